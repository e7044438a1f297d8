"""Access rules and anonymity: decisions, listings, aggregates, and the viewer-taking storage
queries, checked against an independent brute-force statement of the rules."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit._errors import NotFoundError, PermissionDenied, ValidationError
from perfkit.access import (
    DEFAULT_POLICY,
    AccessContext,
    AggregatedFeedback,
    AggregatedReviews,
    CriterionSummary,
    Decision,
    DefaultPolicy,
    FeedbackSummary,
    ReviewSummary,
    Viewer,
    VisibilityPolicy,
    WithheldFeedback,
    WithheldReviews,
    decide,
    feedback_view,
    peer_review_summary,
    peer_summary,
    quarters,
    require,
    review_view,
    visible_feedback,
    visible_goals,
    visible_results,
    visible_reviews,
)
from perfkit.cycles import CycleStage
from perfkit.dataset import CycleData
from perfkit.feedback import (
    Constructive,
    FeedbackEvent,
    FeedbackLog,
    FeedbackRequest,
    FeedbackResponse,
    Note,
    Praise,
    Visibility,
)
from perfkit.goals import Goal, OwnerKind
from perfkit.money import Money
from perfkit.org import Employee, Organisation, OrgUnit
from perfkit.reviews import CriterionRating, Review, ReviewerRole, ReviewStatus
from perfkit.run import CycleResult, EmployeeResult, run_cycle
from perfkit.sample import DEMO_DATE, sample_cycle, sample_policy
from perfkit.scales import FIVE_POINT
from perfkit.storage import MemoryStore, SqliteStore, Store, UnitOfWork
from perfkit.storage.queries import (
    access_context,
    feedback_about,
    goals_for,
    goals_with_progress,
    read_feedback,
    read_goal,
    read_result,
    read_review,
    results_for,
    reviews_for,
    team,
    team_for,
)

from .strategies.access import (
    CYCLE,
    World,
    aggregated_feedback,
    aggregated_reviews,
    criterion_summaries,
    cycle_at,
    decisions,
    feedback_views,
    policies,
    result_of,
    review_lists,
    review_views,
    session_of,
    viewers,
    viewers_of,
    windows,
    withheld_feedback,
    withheld_reviews,
    worlds,
)

SHARED = {ReviewStatus.SHARED, ReviewStatus.ACKNOWLEDGED}
PEERISH = {ReviewerRole.PEER, ReviewerRole.UPWARD}


# --- the rules, stated again by brute force ---------------------------------------------------
# Written as "who is in each item's audience", independently of perfkit.access.


def managers_of(world: World, person: str) -> set[str]:
    """Everyone above ``person`` in the reporting lines (walking manager ids one by one)."""
    manager = {e.id: e.manager_id for e in world.organisation.employees}
    found: set[str] = set()
    m = manager.get(person)
    while m is not None:
        found.add(m)
        m = manager[m]
    return found


def calibrators_of(world: World, viewer: Viewer, person: str) -> bool:
    if viewer.id == person:
        return False
    pops = {s.id: {e.employee_id for e in s.population} for s in world.sessions}
    return any(person in pops.get(s, set()) for s in viewer.calibration_session_ids)


def grouped(world: World, e: FeedbackEvent) -> bool:
    """Reaches its subject only in the aggregate."""
    if isinstance(e, FeedbackRequest):
        return False
    if e.visibility is Visibility.ANONYMOUS:
        return True
    return isinstance(e, FeedbackResponse) and e.author not in managers_of(world, e.subject)


def feedback_audience(world: World, e: FeedbackEvent) -> set[str]:
    readers = {e.author}
    if isinstance(e, FeedbackRequest):
        readers |= set(e.requested_from)  # whatever its visibility: they must see the question
    if e.visibility is Visibility.PRIVATE:
        return readers
    shared = e.visibility in (Visibility.SUBJECT, Visibility.MANAGER_CHAIN)
    if shared and not grouped(world, e):
        readers.add(e.subject)
    if e.visibility is Visibility.MANAGER_CHAIN:
        readers |= managers_of(world, e.subject)
    return readers


def may_read_feedback(world: World, viewer: Viewer, e: FeedbackEvent) -> bool:
    if viewer.id in feedback_audience(world, e):
        return True
    hidden_from_subject = viewer.id == e.subject and (
        grouped(world, e) or e.visibility is Visibility.ANONYMOUS
    )
    return viewer.hr_admin and e.visibility is not Visibility.PRIVATE and not hidden_from_subject


def may_read_goal(world: World, viewer: Viewer, g: Goal) -> bool:
    if viewer.hr_admin:
        return True
    if g.owner.kind is not OwnerKind.EMPLOYEE:
        return viewer.id in world.people
    o = g.owner.id
    return viewer.id == o or viewer.id in managers_of(world, o) or calibrators_of(world, viewer, o)


def may_read_review(world: World, viewer: Viewer, r: Review) -> bool:
    if viewer.id == r.reviewer:
        return True
    if viewer.id == r.subject and r.role in PEERISH:
        return False
    if viewer.hr_admin:
        return True
    if viewer.id == r.subject:
        return r.status in SHARED
    if r.status is ReviewStatus.DRAFT:
        return False
    return viewer.id in managers_of(world, r.subject) or calibrators_of(world, viewer, r.subject)


def may_read_result(world: World, viewer: Viewer, r: EmployeeResult, policy: DefaultPolicy) -> bool:
    released = list(CycleStage).index(world.cycle.stage) >= list(CycleStage).index(
        policy.release_stage
    )
    return (
        viewer.hr_admin
        or (viewer.id == r.employee_id and released)
        or viewer.id in managers_of(world, r.employee_id)
        or calibrators_of(world, viewer, r.employee_id)
    )


def may_read_summary(world: World, viewer: Viewer, subject: str) -> bool:
    return viewer.hr_admin or viewer.id == subject or viewer.id in managers_of(world, subject)


def quarter_bounds(year: int, q: int) -> tuple[datetime, datetime]:
    start = datetime(year, 3 * q - 2, 1, tzinfo=UTC)
    end = datetime(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1, tzinfo=UTC)
    return start, end


def expected_feedback_summaries(
    world: World, subject: str, start: datetime, end: datetime, k: int
) -> list[FeedbackSummary]:
    """One entry per quarter overlapping the window; the grouped items counted by the quarter
    of their request (answers) or their own time (the rest)."""
    requests = {e.id: e for e in world.log.events if isinstance(e, FeedbackRequest)}
    out: list[FeedbackSummary] = []
    for year in range(2024, 2029):
        for q in range(1, 5):
            low, high = quarter_bounds(year, q)
            if not (low < end and start < high and start < end):
                continue
            texts = []
            for e in world.log.events:
                if e.subject != subject or e.visibility is Visibility.PRIVATE:
                    continue
                if not grouped(world, e):
                    continue
                when = requests[e.request_id].at if isinstance(e, FeedbackResponse) else e.at
                if low <= when < high:
                    texts.append(e.text)
            label = f"{year}-Q{q}"
            if len(texts) >= k:
                out.append(
                    AggregatedFeedback(
                        subject=subject, quarter=label, count=len(texts), comments=sorted(texts)
                    )
                )
            else:
                reason = (
                    f"fewer than {k} anonymous or peer responses in the quarter: shown only in "
                    f"groups of {k} or more"
                )
                out.append(WithheldFeedback(subject=subject, quarter=label, reason=reason))
    return out


def expected_review_summaries(world: World, subject: str, k: int) -> list[ReviewSummary]:
    out: list[ReviewSummary] = []
    for role in (ReviewerRole.PEER, ReviewerRole.UPWARD):
        group = [
            r
            for r in world.reviews
            if r.subject == subject and r.cycle_id == CYCLE and r.role is role
            if r.status in SHARED
        ]
        if len(group) < k:
            reason = (
                f"fewer than {k} shared {role.value} reviews: shown only in groups of {k} or more"
            )
            out.append(WithheldReviews(subject=subject, cycle_id=CYCLE, role=role, reason=reason))
            continue
        by_criterion: dict[tuple[str, str, int], list[float]] = {}
        comments = [r.summary for r in group if r.summary]
        for r in group:
            for cr in r.ratings:
                key = (cr.criterion_id, cr.rating.scale.id, cr.rating.scale.version)
                by_criterion.setdefault(key, []).append(cr.rating.value)
                comments += [cr.comment] if cr.comment else []
        criteria = [
            CriterionSummary(
                criterion_id=c,
                scale=next(
                    cr.rating.scale
                    for r in group
                    for cr in r.ratings
                    if (cr.criterion_id, cr.rating.scale.id) == (c, s)
                ),
                mean=sum(xs) / len(xs),
            )
            for (c, s, _), xs in sorted(by_criterion.items())
            if len(xs) >= k
        ]
        out.append(
            AggregatedReviews(
                subject=subject,
                cycle_id=CYCLE,
                role=role,
                count=len(group),
                criteria=criteria,
                comments=sorted(comments),
            )
        )
    return out


# --- the property: nothing denied is returned, everything allowed is ---------------------------


@given(data=st.data(), world=worlds(), policy=policies)
def test_listings_return_exactly_what_the_rules_allow(
    data: st.DataObject, world: World, policy: DefaultPolicy
) -> None:
    context = world.context()
    for _ in range(4):
        viewer = data.draw(viewers_of(world))
        events = world.log.events
        assert visible_feedback(viewer, events, context, policy=policy) == tuple(
            e for e in events if may_read_feedback(world, viewer, e)
        )
        assert visible_goals(viewer, world.goals, context, policy=policy) == tuple(
            g for g in world.goals if may_read_goal(world, viewer, g)
        )
        assert visible_reviews(viewer, world.reviews, context, policy=policy) == tuple(
            r for r in world.reviews if may_read_review(world, viewer, r)
        )
        assert visible_results(viewer, CYCLE, world.results, context, policy=policy) == tuple(
            r for r in world.results if may_read_result(world, viewer, r, policy)
        )


@given(data=st.data(), world=worlds(), policy=policies)
def test_aggregates_show_exactly_what_the_rules_allow(
    data: st.DataObject, world: World, policy: DefaultPolicy
) -> None:
    context = world.context()
    start, end = data.draw(windows())
    for viewer in (data.draw(viewers_of(world)), Viewer.hr("hr")):
        for subject in world.people:
            check_aggregates(world, context, policy, viewer, subject, start, end)


def check_aggregates(
    world: World,
    context: AccessContext,
    policy: DefaultPolicy,
    viewer: Viewer,
    subject: str,
    start: datetime,
    end: datetime,
) -> None:
    if not may_read_summary(world, viewer, subject):
        with pytest.raises(PermissionDenied, match="may not read the feedback summary of"):
            peer_summary(viewer, subject, world.log, context, start=start, end=end, policy=policy)
        with pytest.raises(PermissionDenied, match="may not read the review summary of"):
            peer_review_summary(viewer, subject, CYCLE, world.reviews, context, policy=policy)
        view = feedback_view(viewer, subject, world.log, context, start=start, end=end)
        assert view.summaries == ()
        return
    found = peer_summary(viewer, subject, world.log, context, start=start, end=end, policy=policy)
    assert list(found) == expected_feedback_summaries(world, subject, start, end, policy.k)
    reviews = peer_review_summary(viewer, subject, CYCLE, world.reviews, context, policy=policy)
    expected = expected_review_summaries(world, subject, policy.k)
    assert [without_means(s) for s in reviews] == [without_means(s) for s in expected]
    for got, want in zip(reviews, expected, strict=True):
        if isinstance(got, AggregatedReviews) and isinstance(want, AggregatedReviews):
            for a, b in zip(got.criteria, want.criteria, strict=True):
                assert math.isclose(a.mean, b.mean)


def without_means(summary: ReviewSummary) -> object:
    """The summary with each criterion's mean left out (means are compared with a tolerance)."""
    if isinstance(summary, AggregatedReviews):
        return (
            summary.count,
            summary.comments,
            [(c.criterion_id, c.scale) for c in summary.criteria],
        )
    return summary


@given(data=st.data(), world=worlds(), policy=policies)
def test_peer_review_aggregates_match_the_rules(
    data: st.DataObject, world: World, policy: DefaultPolicy
) -> None:
    """Many reviews of one person, so that aggregates (and criteria left out of them) occur."""
    reviews = data.draw(review_lists(list(world.people), subject="p0", max_size=16))
    dense = world._replace(reviews=reviews)
    found = peer_review_summary(
        Viewer.hr("hr"), "p0", CYCLE, reviews, dense.context(), policy=policy
    )
    expected = expected_review_summaries(dense, "p0", policy.k)
    assert [without_means(s) for s in found] == [without_means(s) for s in expected]


@given(data=st.data(), world=worlds(), policy=policies)
def test_views_combine_the_listing_and_the_aggregates(
    data: st.DataObject, world: World, policy: DefaultPolicy
) -> None:
    context = world.context()
    viewer = data.draw(viewers_of(world))
    subject = data.draw(st.sampled_from(world.people))
    start, end = data.draw(windows())
    view = feedback_view(viewer, subject, world.log, context, start=start, end=end, policy=policy)
    assert view.events == tuple(
        e for e in world.log.about(subject, start, end) if may_read_feedback(world, viewer, e)
    )
    if may_read_summary(world, viewer, subject):
        assert view.summaries == peer_summary(
            viewer, subject, world.log, context, start=start, end=end, policy=policy
        )
    # The subject never gets one by one what reaches them only aggregated.
    if viewer.id == subject:
        assert not any(grouped(world, e) and e.author != subject for e in view.events)
    rv = review_view(viewer, CYCLE, world.reviews, context, subject_id=subject, policy=policy)
    assert rv.reviews == tuple(
        sorted(
            (
                r
                for r in world.reviews
                if r.cycle_id == CYCLE
                and r.subject == subject
                and may_read_review(world, viewer, r)
            ),
            key=lambda r: r.id,
        )
    )
    assert bool(rv.summaries) == may_read_summary(world, viewer, subject)


@given(data=st.data(), world=worlds(), policy=policies)
def test_aggregates_do_not_depend_on_answer_times_or_order(
    data: st.DataObject, world: World, policy: DefaultPolicy
) -> None:
    """Moving each answer to another time (after its request) and shuffling the log changes no
    aggregate: nothing in them reveals when, or in which order, people answered."""
    context = world.context()
    moved: list[FeedbackEvent] = []
    requests = {e.id: e for e in world.log.events if isinstance(e, FeedbackRequest)}
    for e in world.log.events:
        if isinstance(e, FeedbackResponse):
            delay = timedelta(hours=data.draw(st.integers(0, 5000)))
            e = attrs.evolve(e, at=requests[e.request_id].at + delay)
        moved.append(e)
    order = data.draw(st.permutations(range(len(moved))))
    other = FeedbackLog(events=[moved[i] for i in order])
    start, end = data.draw(windows())
    hr = Viewer.hr("hr")
    for subject in world.people:
        before = peer_summary(hr, subject, world.log, context, start=start, end=end, policy=policy)
        after = peer_summary(hr, subject, other, context, start=start, end=end, policy=policy)
        assert before == after
    shuffled = data.draw(st.permutations(world.reviews))
    for subject in world.people:
        assert peer_review_summary(
            hr, subject, CYCLE, world.reviews, context, policy=policy
        ) == peer_review_summary(hr, subject, CYCLE, shuffled, context, policy=policy)


# --- a small company, by hand ----------------------------------------------------------------
#
#   ceo ── mgr ──┬── ann
#                ├── bob
#                ├── cy
#                └── dee
#   hr-1 (HR administrator, not an employee)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def person(pid: str, manager: str | None) -> Employee:
    return Employee(
        id=pid,
        name=pid.title(),
        manager_id=manager,
        unit_id="co",
        hire_date=date(2020, 1, 1),
        job_level="L2",
        base_pay=Money.of("50000", "EUR"),
    )


ORG = Organisation(
    units=[OrgUnit(id="co", name="Company")],
    employees=[
        person("ceo", None),
        person("mgr", "ceo"),
        *(person(p, "mgr") for p in ("ann", "bob", "cy", "dee")),
    ],
)
CONTEXT = AccessContext(organisation=ORG, cycles=(cycle_at(CycleStage.CALIBRATION),))
ANN, BOB, CY, DEE, MGR, CEO = (
    Viewer.employee(p) for p in ("ann", "bob", "cy", "dee", "mgr", "ceo")
)
HR = Viewer.hr("hr-1")


def request_and_answers(n: int, *, visibility: Visibility = Visibility.ANONYMOUS) -> FeedbackLog:
    """A 360 request about ann asked of bob, cy and dee (by her manager), with ``n`` answers."""
    request = FeedbackRequest(
        id="q",
        author="mgr",
        subject="ann",
        at=T0,
        requested_from=("bob", "cy", "dee"),
        question="What should Ann keep doing?",
        visibility=Visibility.SUBJECT,
    )
    answers = [
        FeedbackResponse(
            id=f"a-{who}",
            request_id="q",
            author=who,
            subject="ann",
            at=T0 + timedelta(days=10 - i),
            text=text,
            visibility=visibility,
        )
        for i, (who, text) in enumerate(
            [("bob", "Keep the demos."), ("cy", "Clear writing."), ("dee", "Asks good questions.")][
                :n
            ]
        )
    ]
    return FeedbackLog(events=[request, *answers])


def test_two_answers_are_withheld_and_three_are_shown_aggregated() -> None:
    q1: dict[str, Any] = {
        "start": datetime(2026, 1, 1, tzinfo=UTC),
        "end": datetime(2026, 4, 1, tzinfo=UTC),
    }
    withheld = peer_summary(ANN, "ann", request_and_answers(2), CONTEXT, **q1)
    assert withheld == (
        WithheldFeedback(
            subject="ann",
            quarter="2026-Q1",
            reason="fewer than 3 anonymous or peer responses in the quarter: shown only in "
            "groups of 3 or more",
        ),
    )
    # The reason is the same for none and for two: it does not leak the number.
    assert peer_summary(ANN, "ann", request_and_answers(0), CONTEXT, **q1) == withheld
    shown = peer_summary(ANN, "ann", request_and_answers(3), CONTEXT, **q1)
    assert shown == (
        AggregatedFeedback(
            subject="ann",
            quarter="2026-Q1",
            count=3,
            # sorted by text, not by who answered first (dee did, on day 8)
            comments=("Asks good questions.", "Clear writing.", "Keep the demos."),
        ),
    )
    # k is the policy's: with k = 2, two answers are enough.
    assert peer_summary(
        ANN, "ann", request_and_answers(2), CONTEXT, **q1, policy=DefaultPolicy(k=2)
    )[0] == AggregatedFeedback(
        subject="ann", quarter="2026-Q1", count=2, comments=("Clear writing.", "Keep the demos.")
    )


def test_the_subject_never_reads_an_answer_one_by_one() -> None:
    log = request_and_answers(3, visibility=Visibility.SUBJECT)  # even a signed one
    assert [e.id for e in visible_feedback(ANN, log.events, CONTEXT)] == ["q"]
    answer = log.get("a-bob")
    decision = decide(ANN, answer, CONTEXT)
    assert decision == Decision.deny(
        "peer, upward and anonymous feedback reaches its subject only aggregated, in groups of "
        "at least 3"
    )
    with pytest.raises(PermissionDenied, match=r"'ann' may not read feedback event 'a-bob': peer"):
        require(decision, ANN, "feedback event", answer.id)
    # Her manager reads signed answers shared with the chain, not anonymous ones.
    chain = request_and_answers(3, visibility=Visibility.MANAGER_CHAIN)
    assert len(visible_feedback(MGR, chain.events, CONTEXT)) == 4
    assert len(visible_feedback(CEO, chain.events, CONTEXT)) == 3  # not the request
    assert visible_feedback(MGR, request_and_answers(3).events, CONTEXT) == (log.get("q"),)
    # Each author reads their own answer; HR reads them all.
    assert [e.id for e in visible_feedback(BOB, log.events, CONTEXT)] == ["q", "a-bob"]
    assert len(visible_feedback(HR, log.events, CONTEXT)) == 4


def test_answers_count_in_the_quarter_of_their_request() -> None:
    """Answers that arrive in April to a March request stay in the first quarter: a window on
    the second quarter cannot single out the late ones."""
    log = request_and_answers(3)
    late = FeedbackLog(
        events=[
            log.get("q"),
            *(attrs.evolve(e, at=datetime(2026, 4, 20, tzinfo=UTC)) for e in log.events[1:]),
        ]
    )
    q2: dict[str, Any] = {
        "start": datetime(2026, 4, 1, tzinfo=UTC),
        "end": datetime(2026, 7, 1, tzinfo=UTC),
    }
    assert isinstance(peer_summary(ANN, "ann", late, CONTEXT, **q2)[0], WithheldFeedback)
    q1_and_q2: dict[str, Any] = {
        "start": datetime(2026, 3, 31, tzinfo=UTC),
        "end": datetime(2026, 4, 2, tzinfo=UTC),
    }
    first, second = peer_summary(ANN, "ann", late, CONTEXT, **q1_and_q2)
    assert isinstance(first, AggregatedFeedback)
    assert first.count == 3
    assert isinstance(second, WithheldFeedback)


def test_quarters_of_a_window() -> None:
    start = datetime(2026, 3, 31, 23, tzinfo=UTC)
    assert quarters(start, datetime(2026, 7, 1, tzinfo=UTC)) == ("2026-Q1", "2026-Q2")
    assert quarters(start, start) == ()
    # Quarters are counted in UTC: 00:30 on 1 April in Paris is still March in UTC.
    paris = datetime(2026, 4, 1, 1, 30, tzinfo=ZoneInfo("Europe/Paris"))  # 23:30 UTC
    assert quarters(paris, paris + timedelta(minutes=1)) == ("2026-Q1",)
    with pytest.raises(ValidationError, match="end: .* is before start"):
        quarters(start, start - timedelta(days=1))
    with pytest.raises(ValidationError, match="start: .* is a naive datetime"):
        quarters(datetime(2026, 1, 1), start)


def test_private_notes_are_their_authors_alone_even_for_hr() -> None:
    note = Note(id="n", author="mgr", subject="ann", at=T0, text="Talk about the move.")
    assert decide(MGR, note, CONTEXT).allowed
    for viewer in (ANN, CEO, HR, Viewer(id="mgr-hr", hr_admin=True)):
        assert decide(viewer, note, CONTEXT) == Decision.deny(
            "a private item is seen by its author alone"
        )


def test_shared_feedback_reaches_the_subject_and_the_manager_chain() -> None:
    praise = Praise(id="p", author="bob", subject="ann", at=T0, text="Great demo.")
    tip = Constructive(
        id="c",
        author="mgr",
        subject="ann",
        at=T0,
        text="Shorter slides.",
        visibility=Visibility.MANAGER_CHAIN,
    )
    events = (praise, tip)
    assert visible_feedback(ANN, events, CONTEXT) == events
    assert visible_feedback(MGR, events, CONTEXT) == (tip,)  # praise: the subject only
    assert visible_feedback(CEO, events, CONTEXT) == (tip,)  # skip level too
    assert visible_feedback(CY, events, CONTEXT) == ()  # a peer: neither
    assert decide(CY, tip, CONTEXT).reason == (
        "it is shared with its subject and their managers only"
    )
    # Anonymous praise reaches ann only in the aggregate; nobody else but HR and its author.
    anonymous = attrs.evolve(praise, visibility=Visibility.ANONYMOUS)
    assert visible_feedback(ANN, [anonymous], CONTEXT) == ()
    assert visible_feedback(MGR, [anonymous], CONTEXT) == ()
    assert visible_feedback(BOB, [anonymous], CONTEXT) == (anonymous,)


def test_goals() -> None:
    data = sample_cycle(20, seed=3)
    context = AccessContext.from_data(data)
    org = data.organisation
    worker = next(e.id for e in org.employees if not org.is_manager(e.id))
    boss = org.chain_of_command(worker)[-1].id
    peer = next(e.id for e in org.employees if e.id != worker and not org.manages(e.id, worker))
    own = data.goals_of(worker)
    assert own
    assert visible_goals(Viewer.employee(worker), own, context) == own
    assert visible_goals(Viewer.employee(boss), own, context) == own
    assert visible_goals(Viewer.employee(peer), own, context) == ()
    assert visible_goals(Viewer.calibrator(peer, "s"), own, context) == ()  # no such session
    with_session = attrs.evolve(context, sessions=(session_of("s", [worker]),))
    assert visible_goals(Viewer.calibrator(peer, "s"), own, with_session) == own
    company = [g for g in data.goals.goals if g.owner.kind is not OwnerKind.EMPLOYEE]
    assert visible_goals(Viewer.employee(peer), company, context) == tuple(company)
    assert visible_goals(Viewer.employee("visitor"), company, context) == ()
    assert visible_goals(Viewer.hr("visitor"), company, context) == tuple(company)


def review(rid: str, subject: str, reviewer: str, role: ReviewerRole, **kw: Any) -> Review:
    rating = CriterionRating(criterion_id="goals", rating=FIVE_POINT.rate(kw.pop("value", 4)))
    return Review(
        id=rid,
        cycle_id=CYCLE,
        form_id="f",
        subject=subject,
        reviewer=reviewer,
        role=role,
        ratings=[rating],
        status=kw.pop("status", ReviewStatus.SUBMITTED),
        **kw,
    )


def test_reviews() -> None:
    by_manager = review("m", "ann", "mgr", ReviewerRole.MANAGER)
    peers = [
        review(
            f"p-{who}",
            "ann",
            who,
            ReviewerRole.PEER,
            status=ReviewStatus.SHARED,
            value=v,
            summary=s,
        )
        for who, v, s in (("bob", 3, "Reliable."), ("cy", 4, ""), ("dee", 5, "A joy."))
    ]
    upward = review("u", "mgr", "ann", ReviewerRole.UPWARD, status=ReviewStatus.SHARED)
    draft = review("d", "ann", "bob", ReviewerRole.PEER, status=ReviewStatus.DRAFT, value=1)
    everything = [by_manager, *peers, upward, draft]
    assert visible_reviews(ANN, everything, CONTEXT) == (upward,)  # only what she wrote
    shared = attrs.evolve(by_manager, status=ReviewStatus.SHARED)
    assert visible_reviews(ANN, [shared], CONTEXT) == (shared,)
    assert decide(ANN, by_manager, CONTEXT).reason == "it is not shared with its subject yet"
    # mgr: the reviews of ann (not the draft), not the upward review of themselves.
    assert visible_reviews(MGR, everything, CONTEXT) == (by_manager, *peers)
    assert visible_reviews(CEO, everything, CONTEXT) == (by_manager, *peers, upward)
    assert visible_reviews(BOB, everything, CONTEXT) == (peers[0], draft)
    assert visible_reviews(HR, everything, CONTEXT) == tuple(everything)
    # ann reads her peers' reviews only aggregated: three shared ones, no reviewer ids.
    summary = peer_review_summary(ANN, "ann", CYCLE, everything, CONTEXT)
    assert summary == (
        AggregatedReviews(
            subject="ann",
            cycle_id=CYCLE,
            role=ReviewerRole.PEER,
            count=3,
            criteria=(CriterionSummary(criterion_id="goals", scale=FIVE_POINT.ref, mean=4.0),),
            comments=("A joy.", "Reliable."),
        ),
        WithheldReviews(
            subject="ann",
            cycle_id=CYCLE,
            role=ReviewerRole.UPWARD,
            reason="fewer than 3 shared upward reviews: shown only in groups of 3 or more",
        ),
    )
    # mgr's one upward review stays withheld from them.
    assert isinstance(
        peer_review_summary(MGR, "mgr", CYCLE, everything, CONTEXT)[1], WithheldReviews
    )
    with pytest.raises(PermissionDenied, match="'bob' may not read the review summary of 'ann'"):
        peer_review_summary(BOB, "ann", CYCLE, everything, CONTEXT)
    view = review_view(ANN, CYCLE, everything, CONTEXT, subject_id="ann")
    assert view.reviews == ()
    assert view.summaries == summary


def test_results_are_released_with_the_cycle() -> None:
    result = result_of("ann", "co")
    early = CONTEXT
    assert decide(ANN, result, early, cycle_id=CYCLE) == Decision.deny(
        "cycle 'c1' has not released final results: it is at stage 'calibration', results "
        "are released from 'completed'"
    )
    assert visible_results(MGR, CYCLE, [result], early) == (result,)
    assert visible_results(CEO, CYCLE, [result], early) == (result,)
    assert visible_results(BOB, CYCLE, [result], early) == ()
    done = attrs.evolve(early, cycles=(cycle_at(CycleStage.COMPLETED),))
    assert visible_results(ANN, CYCLE, [result], done) == (result,)
    rewards = attrs.evolve(early, cycles=(cycle_at(CycleStage.REWARDS),))
    assert visible_results(ANN, CYCLE, [result], rewards) == ()
    after_calibration = DefaultPolicy(release_stage="rewards")
    assert visible_results(ANN, CYCLE, [result], rewards, policy=after_calibration) == (result,)
    assert "is unknown" in decide(ANN, result, early, cycle_id="c9").reason
    with pytest.raises(ValidationError, match="cycle_id: None is not a valid id"):
        decide(ANN, result, early)


def test_calibration_participants_see_the_population_but_not_themselves() -> None:
    session = session_of("cal", ["ann", "bob"])
    context = attrs.evolve(CONTEXT, sessions=(session,))
    bob_calibrates = Viewer.calibrator("bob", "cal")
    results = [result_of(p, "co") for p in ("ann", "bob", "cy")]
    assert visible_results(bob_calibrates, CYCLE, results, context) == (results[0],)
    outsider = Viewer.calibrator("x", "cal")
    assert visible_results(outsider, CYCLE, results, context) == tuple(results[:2])
    peer_review = review("p", "ann", "cy", ReviewerRole.PEER)
    assert visible_reviews(outsider, [peer_review], context) == (peer_review,)
    # A calibrator does not read feedback through the session.
    tip = Praise(id="p", author="cy", subject="ann", at=T0, text="Thanks!")
    assert visible_feedback(outsider, [tip], context) == ()


class Leaky(DefaultPolicy):
    """A host policy that (wrongly) lets everyone read every feedback event."""

    def can_see_feedback(
        self, viewer: Viewer, event: FeedbackEvent, context: AccessContext
    ) -> Decision:
        return Decision.allow("everything goes")


def test_no_policy_lets_the_subject_read_grouped_items_one_by_one() -> None:
    log = request_and_answers(3)
    assert visible_feedback(ANN, log.events, CONTEXT, policy=Leaky()) == (log.get("q"),)
    assert len(visible_feedback(CY, log.events, CONTEXT, policy=Leaky())) == 4


def test_a_host_policy_wrapping_the_default() -> None:
    data = sample_cycle(12, seed=1)
    context = AccessContext.from_data(data)
    policy: VisibilityPolicy = DefaultPolicy(k=4)
    assert isinstance(policy, VisibilityPolicy)
    goals = data.goals.goals
    hr_paris = Viewer(id="hr-p", hr_admin=True, attributes={"region": "nowhere"})
    assert visible_goals(hr_paris, goals, context, policy=policy) == goals
    wrapper = _RegionWrapper(DefaultPolicy(k=4))
    assert isinstance(wrapper, VisibilityPolicy)
    shown = visible_goals(hr_paris, goals, context, policy=wrapper)
    assert shown == tuple(g for g in goals if g.owner.kind is not OwnerKind.EMPLOYEE)


class _Delegating:
    """A host policy by composition: every rule delegated to the default one."""

    def __init__(self, inner: DefaultPolicy) -> None:
        self.inner = inner
        self.k = inner.k

    def can_see_goal(self, viewer: Viewer, goal: Goal, context: AccessContext) -> Decision:
        return self.inner.can_see_goal(viewer, goal, context)

    def can_see_feedback(
        self, viewer: Viewer, event: FeedbackEvent, context: AccessContext
    ) -> Decision:
        return self.inner.can_see_feedback(viewer, event, context)

    def can_see_review(self, viewer: Viewer, review: Review, context: AccessContext) -> Decision:
        return self.inner.can_see_review(viewer, review, context)

    def can_see_result(
        self, viewer: Viewer, result: EmployeeResult, cycle_id: str, context: AccessContext
    ) -> Decision:
        return self.inner.can_see_result(viewer, result, cycle_id, context)

    def can_see_summary(self, viewer: Viewer, subject_id: str, context: AccessContext) -> Decision:
        return self.inner.can_see_summary(viewer, subject_id, context)

    def aggregated_only(self, item: FeedbackEvent | Review, context: AccessContext) -> bool:
        return self.inner.aggregated_only(item, context)

    def counts_in_summary(self, item: FeedbackEvent | Review, context: AccessContext) -> bool:
        return self.inner.counts_in_summary(item, context)


class _RegionWrapper(_Delegating):
    """HR administrators see the goals of their own region only (``region`` attributes)."""

    def can_see_goal(self, viewer: Viewer, goal: Goal, context: AccessContext) -> Decision:
        if viewer.hr_admin and goal.owner.kind is OwnerKind.EMPLOYEE:
            owner = context.organisation.employee(goal.owner.id)
            if owner.attributes.get("region") != viewer.attributes.get("region"):
                return Decision.deny("HR sees its own region only")
        return self.inner.can_see_goal(viewer, goal, context)


def test_bad_arguments_name_what_is_wrong() -> None:
    log = request_and_answers(1)
    with pytest.raises(ValidationError, match="viewer: 'ann' is not a Viewer"):
        visible_feedback("ann", log.events, CONTEXT)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="context: .* is not an AccessContext"):
        visible_feedback(ANN, log.events, ORG)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="policy: .* is not a visibility policy"):
        visible_feedback(ANN, log.events, CONTEXT, policy=object())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"events\[1\]: 'x' is not a feedback event"):
        visible_feedback(ANN, [log.events[0], "x"], CONTEXT)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="goals: 'g' is not a collection of Goal"):
        visible_goals(ANN, "g", CONTEXT)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="item: 3 is not a Goal, a feedback event"):
        decide(ANN, 3, CONTEXT)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="subject_id: '' is not a valid id"):
        peer_summary(ANN, "", log, CONTEXT, start=T0, end=T0)
    with pytest.raises(ValidationError, match="log: .* is not a FeedbackLog"):
        peer_summary(ANN, "ann", log.events, CONTEXT, start=T0, end=T0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="policy.can_see_feedback: 'yes' is not a Decision"):
        visible_feedback(ANN, log.events, CONTEXT, policy=_Says("yes"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="policy.k: 0 is not a whole number of at least 1"):
        peer_summary(ANN, "ann", log, CONTEXT, start=T0, end=T0, policy=_Says("yes", k=0))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="decision: True is not a Decision"):
        require(True, ANN, "goal", "g")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="k: 0 is not at least 1"):
        DefaultPolicy(k=0)
    with pytest.raises(ValidationError, match="release_stage: 'later' is not a CycleStage"):
        DefaultPolicy(release_stage="later")
    with pytest.raises(ValidationError, match=r"calibration_session_ids\[1\]: 's' repeats"):
        Viewer(id="v", calibration_session_ids=["s", "s"])
    with pytest.raises(ValidationError, match="hr_admin: 1 is not true or false"):
        Viewer(id="v", hr_admin=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="reason: '' must not be empty"):
        Decision.allow("")
    with pytest.raises(ValidationError, match="comments: .* is not sorted by text"):
        AggregatedFeedback(subject="a", quarter="2026-Q1", count=2, comments=["b", "a"])
    with pytest.raises(ValidationError, match="quarter: '2026-Q5' is not a calendar quarter"):
        WithheldFeedback(subject="a", quarter="2026-Q5", reason="r")
    with pytest.raises(ValidationError, match="data: 1 is not a CycleData"):
        AccessContext.from_data(1)  # type: ignore[arg-type]


@given(garbage=st.none() | st.integers() | st.text() | st.lists(st.integers()))
def test_policy_methods_refuse_garbage(garbage: Any) -> None:
    policy, note = DEFAULT_POLICY, request_and_answers(1).events[1]
    calls = [
        lambda: policy.can_see_goal(ANN, garbage, CONTEXT),
        lambda: policy.can_see_feedback(garbage, note, CONTEXT),
        lambda: policy.can_see_feedback(ANN, note, garbage),
        lambda: policy.can_see_review(ANN, garbage, CONTEXT),
        lambda: policy.can_see_result(ANN, garbage, CYCLE, CONTEXT),
        lambda: policy.can_see_summary(garbage, "ann", CONTEXT),
        lambda: policy.aggregated_only(garbage, CONTEXT),
        lambda: policy.counts_in_summary(note, garbage),
        lambda: policy.released(garbage),
        lambda: CONTEXT.calibration_session_of(garbage, "ann"),
        lambda: decide(ANN, garbage, CONTEXT),
    ]
    for call in calls:
        with pytest.raises(ValidationError):
            call()
    if not isinstance(garbage, str):
        with pytest.raises(ValidationError, match="manager_id: .* is not a string id"):
            CONTEXT.manages(garbage, "ann")
        with pytest.raises(ValidationError, match="cycle_id: .* is not a string id"):
            CONTEXT.cycle(garbage)


class _Says(_Delegating):
    """A broken host policy: its feedback rule answers ``answer``, and its ``k`` is ``k``."""

    def __init__(self, answer: object, k: int = 3) -> None:
        super().__init__(DefaultPolicy())
        self.answer = answer
        self.k = k

    def can_see_feedback(  # type: ignore[override]
        self, viewer: Viewer, event: FeedbackEvent, context: AccessContext
    ) -> object:
        return self.answer


# --- round trips ------------------------------------------------------------------------------


@given(
    st.one_of(
        viewers,
        decisions,
        criterion_summaries,
        aggregated_feedback,
        withheld_feedback,
        aggregated_reviews,
        withheld_reviews,
        feedback_views(),
        review_views(),
        policies,
    )
)
def test_round_trip(x: Any) -> None:
    assert perfkit.loads(perfkit.dumps(x), type(x)) == x


@given(aggregated_feedback | withheld_feedback, aggregated_reviews | withheld_reviews)
def test_union_round_trip(feedback: FeedbackSummary, reviews: ReviewSummary) -> None:
    assert perfkit.structure(perfkit.unstructure(feedback), FeedbackSummary) == feedback
    assert perfkit.structure(perfkit.unstructure(reviews), ReviewSummary) == reviews
    assert perfkit.unstructure(feedback)["type"] == feedback.kind


@given(worlds(max_people=4))
def test_context_round_trip(world: World) -> None:
    context = world.context()
    assert perfkit.loads(perfkit.dumps(context), AccessContext) == context


def test_aggregates_carry_no_author_and_no_time() -> None:
    for cls in (AggregatedFeedback, WithheldFeedback, AggregatedReviews, WithheldReviews):
        names = {f.name for f in attrs.fields(cls)}
        assert not names & {"author", "reviewer", "at", "authors", "reviewers", "times"}
    assert {f.name for f in attrs.fields(WithheldFeedback)} == {"subject", "quarter", "reason"}


# --- the storage queries, on a real SQLite file and in memory ----------------------------------

AT = datetime(2026, 12, 20, 18, tzinfo=UTC)


@pytest.fixture(scope="module")
def company() -> tuple[CycleData, CycleResult]:
    data = sample_cycle(30, seed=5)
    return data, run_cycle(data, sample_policy(data), at=AT)


@pytest.fixture(params=["memory", "sqlite"])
def uow(
    request: pytest.FixtureRequest, tmp_path: Path, company: tuple[CycleData, CycleResult]
) -> Iterator[UnitOfWork]:
    data, result = company
    store: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "a.db")
    with store.transaction(actor="hr", at=AT) as w:
        w.import_data(data)
        w.results.save(result)
        w.calibrations.save(result.calibration)
        w.commit()
    with store.transaction(actor="reader", at=AT) as reader:
        yield reader
    store.close()


def sample_viewers(data: CycleData) -> list[Viewer]:
    org = data.organisation
    boss = org.roots()[0].id
    middle = next(e.id for e in org.employees if e.manager_id == boss and org.is_manager(e.id))
    worker = next(e.id for e in org.employees if not org.is_manager(e.id))
    return [
        Viewer.employee(boss),
        Viewer.employee(middle),
        Viewer.employee(worker),
        Viewer.hr("hr-1"),
        Viewer.calibrator("cal", "fy2026-calibration"),
        Viewer.employee("stranger"),
    ]


def test_storage_listings_apply_the_rules(
    uow: UnitOfWork, company: tuple[CycleData, CycleResult]
) -> None:
    data, result = company
    context = AccessContext.from_data(data, sessions=(result.calibration,))
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    subjects = sorted({e.subject for e in data.feedback.events})[:6]
    for viewer in sample_viewers(data):
        for subject in subjects:
            view = feedback_about(uow, viewer, subject, start, end)
            assert view == feedback_view(
                viewer, subject, data.feedback, context, start=start, end=end
            )
        rv = reviews_for(uow, viewer, "fy2026")
        assert rv.reviews == visible_reviews(
            viewer, sorted(data.reviews, key=lambda r: r.id), context
        )
        one = reviews_for(uow, viewer, "fy2026", subjects[0])
        assert one == review_view(viewer, "fy2026", data.reviews, context, subject_id=subjects[0])
        everyone = results_for(uow, viewer, "fy2026")
        assert everyone == visible_results(viewer, "fy2026", result.employees, context)
    # The cycle is at calibration: employees do not see their own result yet; managers,
    # calibrators and HR do.
    worker = sample_viewers(data)[2]
    assert results_for(uow, worker, "fy2026") == ()
    assert len(results_for(uow, Viewer.calibrator("cal", "fy2026-calibration"), "fy2026")) == len(
        result.employees
    )
    assert len(results_for(uow, Viewer.hr("hr-1"), "fy2026")) == len(result.employees)
    assert results_for(uow, Viewer.calibrator("cal", "no-such-session"), "fy2026") == ()


def test_storage_results_by_unit(uow: UnitOfWork, company: tuple[CycleData, CycleResult]) -> None:
    data, result = company
    org = data.organisation
    division = next(u for u in org.units if u.parent_id is not None)
    hr = Viewer.hr("hr-1")
    own = results_for(uow, hr, "fy2026", division.id)
    assert own == uow.results.by_unit("fy2026", division.id)
    deep = results_for(uow, hr, "fy2026", division.id, include_subunits=True)
    people = {e.id for e in org.unit_members(division.id)}
    assert {r.employee_id for r in deep} == {r.employee_id for r in result.employees} & people
    with pytest.raises(NotFoundError):
        results_for(uow, hr, "fy2026", "nowhere")
    with pytest.raises(NotFoundError):
        results_for(uow, hr, "no-cycle")
    with pytest.raises(ValidationError, match="include_subunits: 1 is not true or false"):
        results_for(uow, hr, "fy2026", division.id, include_subunits=1)  # type: ignore[arg-type]


def test_storage_goal_queries_apply_the_rules(
    uow: UnitOfWork, company: tuple[CycleData, CycleResult]
) -> None:
    data, _ = company
    org = data.organisation
    boss, middle, worker = (v.id for v in sample_viewers(data)[:3])
    everything = goals_with_progress(uow, worker, "fy2026", DEMO_DATE)
    assert goals_for(uow, Viewer.employee(worker), worker, "fy2026", DEMO_DATE) == everything
    assert goals_for(uow, Viewer.employee(boss), worker, "fy2026", DEMO_DATE) == everything
    peer = next(e.id for e in org.employees if e.id != worker and not org.manages(e.id, worker))
    assert goals_for(uow, Viewer.employee(peer), worker, "fy2026", DEMO_DATE) == ()
    full = team(uow, middle, "fy2026", DEMO_DATE, all_levels=True)
    assert (
        team_for(uow, Viewer.employee(middle), middle, "fy2026", DEMO_DATE, all_levels=True) == full
    )
    # A team page holds pay and attributes: the manager, those above them and HR only.
    assert (
        team_for(uow, Viewer.employee(boss), middle, "fy2026", DEMO_DATE, all_levels=True) == full
    )
    as_hr = team_for(uow, Viewer.hr("hr-1"), middle, "fy2026", DEMO_DATE, all_levels=True)
    assert [m.employee for m in as_hr] == [m.employee for m in full]
    outsider = next(e.id for e in org.employees if e.id != middle and not org.manages(e.id, middle))
    for viewer in (outsider, "nobody"):
        with pytest.raises(PermissionDenied, match="a team page is seen by its manager"):
            team_for(uow, Viewer.employee(viewer), middle, "fy2026", DEMO_DATE)


def test_storage_single_reads_raise_permission_denied(
    uow: UnitOfWork, company: tuple[CycleData, CycleResult]
) -> None:
    data, result = company
    org = data.organisation
    note = next(e for e in data.feedback.events if isinstance(e, Note))
    author, subject = Viewer.employee(note.author), Viewer.employee(note.subject)
    assert read_feedback(uow, author, note.id) == note
    with pytest.raises(PermissionDenied, match="a private item is seen by its author alone"):
        read_feedback(uow, subject, note.id)
    with pytest.raises(PermissionDenied, match="private"):
        read_feedback(uow, Viewer.hr("hr-1"), note.id)
    answer = next(e for e in data.feedback.events if isinstance(e, FeedbackResponse))
    with pytest.raises(PermissionDenied, match="only aggregated, in groups of at least 3"):
        read_feedback(uow, Viewer.employee(answer.subject), answer.id)
    peer = next(r for r in data.reviews if r.role is ReviewerRole.PEER)
    assert read_review(uow, Viewer.employee(peer.reviewer), peer.id) == peer
    with pytest.raises(PermissionDenied, match=f"'{peer.subject}' may not read review"):
        read_review(uow, Viewer.employee(peer.subject), peer.id)
    mine = result.employees[0]
    with pytest.raises(PermissionDenied, match="has not released final results"):
        read_result(uow, Viewer.employee(mine.employee_id), "fy2026", mine.employee_id)
    boss = org.chain_of_command(mine.employee_id)[-1].id
    assert read_result(uow, Viewer.employee(boss), "fy2026", mine.employee_id) == mine
    goal = data.goals_of(mine.employee_id)[0]
    assert read_goal(uow, Viewer.employee(boss), goal.id) == goal
    with pytest.raises(PermissionDenied, match="may not read goal"):
        read_goal(uow, Viewer.employee("stranger"), goal.id)
    with pytest.raises(NotFoundError):
        read_review(uow, Viewer.hr("hr-1"), "no-such-review")
    with pytest.raises(ValidationError, match="viewer: 'hr' is not a Viewer"):
        read_goal(uow, "hr", goal.id)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="cycle_ids: 'fy2026' is not a tuple"):
        access_context(uow, Viewer.hr("hr-1"), "fy2026")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="employee_id: 7 is not a string id"):
        read_result(uow, Viewer.hr("hr-1"), "fy2026", 7)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        read_result(uow, Viewer.hr("hr-1"), "fy2026", "nobody")


def test_storage_results_are_released_when_the_cycle_completes(
    tmp_path: Path, company: tuple[CycleData, CycleResult]
) -> None:
    data, result = company
    store = SqliteStore(tmp_path / "done.db")
    done = attrs.evolve(data.cycle, stage=CycleStage.COMPLETED)
    with store.transaction(actor="hr", at=AT) as w:
        w.import_data(attrs.evolve(data, cycle=done))
        w.results.save(result)
        w.commit()
    org = data.organisation
    with store.transaction(actor="x", at=AT) as r:
        mine = next(e for e in result.employees if not org.is_manager(e.employee_id))
        viewer = Viewer.employee(mine.employee_id)
        assert read_result(r, viewer, "fy2026", mine.employee_id) == mine
        assert results_for(r, viewer, "fy2026") == (mine,)
        context = access_context(r, Viewer.calibrator("c", "fy2026-calibration"))
        assert context.sessions == ()  # this store holds no calibration sessions
        context = access_context(
            r, Viewer.calibrator("c", "fy2026-calibration"), (), (result.calibration,)
        )
        assert context.sessions == (result.calibration,)
    store.close()


def test_default_policy_is_the_documented_one() -> None:
    assert DefaultPolicy(k=3, release_stage=CycleStage.COMPLETED) == DEFAULT_POLICY

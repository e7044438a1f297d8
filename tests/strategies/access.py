"""Strategies for access rules: small random worlds (organisation, feedback, goals, reviews,
results, a cycle, calibration sessions) and viewers of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import NamedTuple

from hypothesis import strategies as st

from perfkit.access import (
    AccessContext,
    AggregatedFeedback,
    AggregatedReviews,
    CriterionSummary,
    Decision,
    DefaultPolicy,
    FeedbackView,
    ReviewView,
    Viewer,
    WithheldFeedback,
    WithheldReviews,
)
from perfkit.calibration import CalibrationEntry, CalibrationSession
from perfkit.cycles import CycleStage, Phase, PhaseWindow, ReviewCycle
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
from perfkit.goals import Goal, Owner, OwnerKind
from perfkit.metrics import BinaryMetric
from perfkit.money import Money
from perfkit.org import Employee, Organisation, OrgUnit
from perfkit.reviews import CriterionRating, Review, ReviewerRole, ReviewStatus
from perfkit.run import EmployeeResult
from perfkit.scales import FIVE_POINT, THREE_POINT, Rating
from perfkit.scoring import Component, Score

from .common import ids, simple_ids, texts

CYCLE = "c1"
UNITS = ("co", "u1", "u2")
SESSION_IDS = ("s1", "s2")
EPOCH = datetime(2025, 11, 1, tzinfo=UTC)
"""Event times run from here over about 14 months, so windows cross several quarters."""

visibilities = st.sampled_from(list(Visibility))
words = st.sampled_from(["good", "great", "slow", "ok", "clear", "late", "kind"])
stages = st.sampled_from(list(CycleStage))


class World(NamedTuple):
    """Everything access decisions run on, as plain domain objects."""

    organisation: Organisation
    cycle: ReviewCycle
    log: FeedbackLog
    goals: tuple[Goal, ...]
    reviews: tuple[Review, ...]
    results: tuple[EmployeeResult, ...]
    sessions: tuple[CalibrationSession, ...]

    @property
    def people(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.organisation.employees)

    def context(self) -> AccessContext:
        return AccessContext(
            organisation=self.organisation, cycles=(self.cycle,), sessions=self.sessions
        )


def cycle_at(stage: CycleStage) -> ReviewCycle:
    """Cycle ``c1`` in 2026 with every phase, at ``stage``."""
    windows = [
        PhaseWindow(phase=p, start=date(2026, 1 + i, 1), end=date(2026, 1 + i, 28))
        for i, p in enumerate(Phase)
    ]
    return ReviewCycle(
        id=CYCLE,
        name="Cycle 1",
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        phases=windows,
        stage=stage,
    )


def _moment(draw: st.DrawFn) -> datetime:
    return EPOCH + timedelta(hours=draw(st.integers(min_value=0, max_value=420 * 24)))


@st.composite
def organisations(draw: st.DrawFn, max_people: int = 7) -> Organisation:
    """Reporting lines without loops (each person's manager comes before them), three units."""
    n = draw(st.integers(min_value=2, max_value=max_people))
    people = []
    for i in range(n):
        manager = None if i == 0 else draw(st.none() | st.sampled_from([f"p{j}" for j in range(i)]))
        people.append(
            Employee(
                id=f"p{i}",
                name=f"Person {i}",
                manager_id=manager,
                unit_id=draw(st.sampled_from(UNITS)),
                hire_date=date(2020, 1, 1),
                job_level="L1",
                base_pay=Money.of("50000", "EUR"),
            )
        )
    units = [
        OrgUnit(id="co", name="Company"),
        OrgUnit(id="u1", name="One", parent_id="co"),
        OrgUnit(id="u2", name="Two", parent_id="u1"),
    ]
    order = draw(st.permutations(range(n)))
    return Organisation(units=units, employees=[people[i] for i in order])


def _pair(draw: st.DrawFn, people: list[str], same_ok: bool = False) -> tuple[str, str]:
    author = draw(st.sampled_from(people))
    others = people if same_ok else [p for p in people if p != author]
    return author, draw(st.sampled_from(others))


@st.composite
def logs(draw: st.DrawFn, people: list[str]) -> FeedbackLog:
    """Praise, constructive feedback, notes, requests and their answers among ``people``."""
    events: list[FeedbackEvent] = []
    for i in range(draw(st.integers(min_value=0, max_value=8))):
        kind = draw(st.sampled_from([Praise, Constructive, Note]))
        author, subject = _pair(draw, people, same_ok=kind is Note)
        events.append(
            kind(
                id=f"f{i}",
                author=author,
                subject=subject,
                at=_moment(draw),
                text=draw(words),
                visibility=draw(visibilities),
            )
        )
    for i in range(draw(st.integers(min_value=0, max_value=3))):
        subject = draw(st.sampled_from(people))
        others = [p for p in people if p != subject]
        asked = draw(st.lists(st.sampled_from(others), min_size=1, unique=True))
        request = FeedbackRequest(
            id=f"q{i}",
            author=draw(st.sampled_from(people)),
            subject=subject,
            at=_moment(draw),
            requested_from=asked,
            question="How are they doing?",
            visibility=draw(visibilities),
        )
        events.append(request)
        for j, person in enumerate(asked):
            if draw(st.booleans()):
                events.append(
                    FeedbackResponse(
                        id=f"q{i}r{j}",
                        request_id=request.id,
                        author=person,
                        subject=subject,
                        at=request.at + timedelta(days=draw(st.integers(0, 200))),
                        text=draw(words),
                        visibility=draw(visibilities),
                    )
                )
    order = draw(st.permutations(range(len(events))))
    return FeedbackLog(events=[events[i] for i in order])


@st.composite
def goal_lists(draw: st.DrawFn, people: list[str]) -> tuple[Goal, ...]:
    out = []
    for i in range(draw(st.integers(min_value=0, max_value=6))):
        kind = draw(st.sampled_from(list(OwnerKind)))
        owner = {
            OwnerKind.COMPANY: "co",
            OwnerKind.UNIT: draw(st.sampled_from(UNITS[1:])),
            OwnerKind.EMPLOYEE: draw(st.sampled_from(people)),
        }[kind]
        out.append(
            Goal(
                id=f"g{i}",
                title=f"Goal {i}",
                owner=Owner(kind=kind, id=owner),
                cycle_id=CYCLE,
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
                metric=BinaryMetric(),
            )
        )
    return tuple(out)


@st.composite
def review_lists(
    draw: st.DrawFn, people: list[str], subject: str | None = None, max_size: int = 12
) -> tuple[Review, ...]:
    """Reviews among ``people`` (all of ``subject`` if given), mostly in cycle ``c1``."""
    out = []
    chosen = subject
    for i in range(draw(st.integers(min_value=0, max_value=max_size))):
        role = draw(st.sampled_from([*ReviewerRole, ReviewerRole.PEER]))
        subject = chosen or draw(st.sampled_from(people))
        reviewer = (
            subject
            if role is ReviewerRole.SELF
            else draw(st.sampled_from([p for p in people if p != subject]))
        )
        status = draw(st.sampled_from(list(ReviewStatus)))
        ratings = [
            CriterionRating(
                criterion_id=c,
                rating=Rating(
                    scale=draw(st.sampled_from([FIVE_POINT.ref, FIVE_POINT.ref, THREE_POINT.ref])),
                    value=float(draw(st.integers(1, 3))),
                ),
                comment=draw(st.sampled_from(["", "fine", "strong"])),
            )
            for c in draw(st.lists(st.sampled_from(["a", "b"]), min_size=1, unique=True))
        ]
        out.append(
            Review(
                id=f"r{i}",
                cycle_id=draw(st.sampled_from([CYCLE, CYCLE, "c0"])),
                form_id="form",
                subject=subject,
                reviewer=reviewer,
                role=role,
                ratings=ratings,
                summary=draw(st.sampled_from(["", "solid", "mixed"])),
                status=status,
            )
        )
    return tuple(out)


def result_of(person: str, unit: str) -> EmployeeResult:
    """A minimal result for ``person`` (access rules look at the employee id only)."""
    score = Score.of(person, "p", FIVE_POINT.ref, [Component.leaf("all", 1.0, 3.0)])
    rating = FIVE_POINT.rate(3)
    return EmployeeResult(
        employee_id=person, unit_id=unit, score=score, rating_before=rating, rating_after=rating
    )


def session_of(session_id: str, members: list[str]) -> CalibrationSession:
    return CalibrationSession(
        id=session_id,
        name=f"Session {session_id}",
        scale=FIVE_POINT.ref,
        population=[
            CalibrationEntry(
                employee_id=m, unit_id="co", job_level="L1", score=0.5, rating=FIVE_POINT.rate(3)
            )
            for m in members
        ],
    )


@st.composite
def worlds(draw: st.DrawFn, max_people: int = 7) -> World:
    """A random small world: an organisation and everything about its people."""
    org = draw(organisations(max_people))
    people = sorted(e.id for e in org.employees)
    units = {e.id: e.unit_id for e in org.employees}
    with_result = draw(st.lists(st.sampled_from(people), unique=True))
    sessions = tuple(
        session_of(s, draw(st.lists(st.sampled_from(people), unique=True)))
        for s in SESSION_IDS
        if draw(st.booleans())
    )
    return World(
        organisation=org,
        cycle=cycle_at(draw(stages)),
        log=draw(logs(people)),
        goals=draw(goal_lists(people)),
        reviews=draw(review_lists(people)),
        results=tuple(result_of(p, units[p]) for p in with_result),
        sessions=sessions,
    )


@st.composite
def viewers_of(draw: st.DrawFn, world: World) -> Viewer:
    """Someone in the world, an outsider, an HR administrator or a calibrator (or several)."""
    who = draw(st.sampled_from([*world.people, "hr", "outsider"]))
    return Viewer(
        id=who,
        hr_admin=draw(st.integers(0, 3)) == 0,
        calibration_session_ids=draw(st.lists(st.sampled_from(["s1", "s2", "s9"]), unique=True)),
    )


policies = st.builds(DefaultPolicy, k=st.integers(min_value=1, max_value=4), release_stage=stages)


@st.composite
def windows(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """A window ``[start, end)`` over the worlds' event times (possibly empty), in any zone."""
    a, b = _moment(draw), _moment(draw)
    start, end = min(a, b), max(a, b)
    zone = draw(
        st.sampled_from([UTC, timezone(timedelta(hours=-10)), timezone(timedelta(hours=9))])
    )
    return start.astimezone(zone), end.astimezone(zone)


# --- strategies for the value types (round trips) ---------------------------------------------

viewers = st.builds(
    Viewer,
    id=ids,
    hr_admin=st.booleans(),
    calibration_session_ids=st.lists(simple_ids, unique=True, max_size=3),
    attributes=st.dictionaries(simple_ids, texts, max_size=3),
)
decisions = st.builds(
    Decision, allowed=st.booleans(), reason=st.text(min_size=1).filter(lambda s: bool(s.strip()))
)
quarter_labels = st.builds(lambda y, q: f"{y:04d}-Q{q}", st.integers(1000, 9999), st.integers(1, 4))
sorted_comments = st.lists(texts, max_size=5).map(sorted)
aggregated_feedback = st.builds(
    AggregatedFeedback,
    subject=ids,
    quarter=quarter_labels,
    count=st.integers(1, 50),
    comments=sorted_comments,
)
withheld_feedback = st.builds(
    WithheldFeedback, subject=ids, quarter=quarter_labels, reason=st.just("fewer than 3")
)
criterion_summaries = st.builds(
    CriterionSummary,
    criterion_id=ids,
    scale=st.just(FIVE_POINT.ref),
    mean=st.floats(1, 5, allow_nan=False),
)
aggregated_reviews = st.builds(
    AggregatedReviews,
    subject=ids,
    cycle_id=ids,
    role=st.sampled_from([ReviewerRole.PEER, ReviewerRole.UPWARD]),
    count=st.integers(1, 50),
    criteria=st.lists(criterion_summaries, max_size=3),
    comments=sorted_comments,
)
withheld_reviews = st.builds(
    WithheldReviews,
    subject=ids,
    cycle_id=ids,
    role=st.sampled_from([ReviewerRole.PEER, ReviewerRole.UPWARD]),
    reason=st.just("fewer than 3"),
)


@st.composite
def feedback_views(draw: st.DrawFn) -> FeedbackView:
    world = draw(worlds(max_people=4))
    start, end = draw(windows())
    subject = draw(st.sampled_from(world.people))
    return FeedbackView(
        subject=subject,
        start=start,
        end=end,
        events=world.log.about(subject),
        summaries=draw(st.lists(aggregated_feedback | withheld_feedback, max_size=3)),
    )


@st.composite
def review_views(draw: st.DrawFn) -> ReviewView:
    world = draw(worlds(max_people=4))
    return ReviewView(
        cycle_id=CYCLE,
        subject=draw(st.none() | st.sampled_from(world.people)),
        reviews=world.reviews,
        summaries=draw(st.lists(aggregated_reviews | withheld_reviews, max_size=3)),
    )

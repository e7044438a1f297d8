"""Process health: check-in completion, on-time reviews, feedback spread, goal alignment, trends."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit import NotFoundError, UnknownReferenceError, ValidationError
from perfkit.cycles import Cadence, Phase, PhaseWindow, ReviewCycle
from perfkit.dataset import CycleData
from perfkit.feedback import (
    Constructive,
    FeedbackLog,
    FeedbackRequest,
    FeedbackResponse,
    Note,
    Praise,
)
from perfkit.goals import Alignment, CheckIn, Goal, GoalSet, GoalStatus, Owner, OwnerKind
from perfkit.health import (
    ALL,
    DEFAULT_FEEDBACK_KINDS,
    AlignmentFigures,
    CheckInFigures,
    CheckInHealth,
    FeedbackFigures,
    FeedbackSpread,
    GoalAlignment,
    HealthReport,
    HealthScope,
    ReviewSubmission,
    ReviewTimeliness,
    ReviewTiming,
    SubmissionFigures,
    Trend,
    TrendMetric,
    TrendPoint,
    checkin_health,
    completion_trend,
    feedback_spread,
    gini_coefficient,
    goal_alignment,
    health_report,
    rating_trend,
    review_timeliness,
)
from perfkit.metrics import BinaryMetric
from perfkit.org import Organisation, OrgUnit
from perfkit.reviews import CriterionRating, Review, ReviewerRole
from perfkit.sample import DEMO_DATE, sample_cycle
from perfkit.scales import BUILTIN_SCALES, ScaleRef

from .strategies.health import (
    FORM,
    UNITS,
    alignment_figures,
    checkin_figures,
    cycle_result,
    feedback_figures,
    moments,
    person,
    rating,
    result_series,
    review_submissions,
    scenarios,
    shuffled,
    submission_figures,
    trends,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


# --- a small hand-built cycle ---------------------------------------------------------------
#
# Weekly check-ins on Mondays 2, 9, 16 and 23 March 2026 (the check_ins phase runs 2-29 March),
# grace 7 days, in Paris. m manages a, b, c and d (all in unit u1 under the company co).

ORG = Organisation(
    units=[OrgUnit(id="co", name="Company"), OrgUnit(id="u1", name="Team", parent_id="co")],
    employees=[
        person("m", None, "co"),
        person("a", "m", "u1"),
        person("b", "m", "u1"),
        person("c", "m", "u1", hired=date(2026, 3, 10)),
        person("d", "m", "u1"),
    ],
)


def cycle(cycle_id: str = "c1", **kw: Any) -> ReviewCycle:
    fields: dict[str, Any] = {
        "name": "Spring",
        "start": date(2026, 3, 1),
        "end": date(2026, 6, 30),
        "phases": [
            PhaseWindow(phase=Phase.CHECK_INS, start=date(2026, 3, 2), end=date(2026, 3, 29)),
            PhaseWindow(phase=Phase.SELF_REVIEW, start=date(2026, 5, 1), end=date(2026, 5, 10)),
            PhaseWindow(phase=Phase.MANAGER_REVIEW, start=date(2026, 5, 5), end=date(2026, 5, 20)),
        ],
        "cadence": Cadence.weekly(),
        "timezone": "Europe/Paris",
        "grace_days": 7,
    }
    return ReviewCycle(id=cycle_id, **{**fields, **kw})


def goal(gid: str, owner: str, status: GoalStatus = GoalStatus.IN_PROGRESS, **kw: Any) -> Goal:
    kind = kw.pop("kind", OwnerKind.EMPLOYEE)
    return Goal(
        id=gid,
        title=f"Goal {gid}",
        owner=Owner(kind=kind, id=owner),
        start_date=date(2026, 3, 1),
        end_date=date(2026, 6, 30),
        status=status,
        metric=BinaryMetric(),
        **kw,
    )


GOALS = [goal("ga", "a"), goal("gb", "b"), goal("gc", "c"), goal("gd", "d", GoalStatus.COMPLETED)]


def check_in(cid: str, goal_id: str, at: datetime, author: str | None = None) -> CheckIn:
    return CheckIn(id=cid, goal_id=goal_id, author=author or goal_id[1], at=at, done=False)


CHECK_INS = [
    check_in("k1", "ga", paris(date(2026, 3, 2))),  # on time
    check_in("k2", "ga", paris(date(2026, 3, 11)), author="m"),  # 9th: 2 days late, by m
    check_in("k3", "ga", paris(date(2026, 3, 25))),  # 16th: 9 days late; 23rd: 2 days late
    # 23:30 UTC on the 15th is 00:30 on the 16th in Paris: c's check-in of the 16th is on time
    check_in("k4", "gc", datetime(2026, 3, 15, 23, 30, tzinfo=UTC)),
]


def data(
    cycle_id: str = "c1",
    check_ins: list[CheckIn] | None = None,
    reviews: list[Review] | None = None,
    feedback: FeedbackLog | None = None,
) -> CycleData:
    return CycleData(
        organisation=ORG,
        cycle=cycle(cycle_id),
        goals=GoalSet(goals=GOALS, check_ins=CHECK_INS if check_ins is None else check_ins),
        feedback=feedback or FeedbackLog(),
        scales=BUILTIN_SCALES,
        forms=[FORM],
        reviews=reviews or [],
    )


MARCH_31 = date(2026, 3, 31)


# --- check-in completion ----------------------------------------------------------------------


def test_checkin_figures_per_person_by_hand() -> None:
    health = checkin_health(data(), on=MARCH_31)
    a, b, c = health.people
    # a: all four Mondays done; the 9th 2 days late, the 16th 9 (overdue), the 23rd 2.
    assert (a.id, a.due, a.done, a.late, a.overdue, a.days_late) == ("a", 4, 4, 3, 1, 13)
    assert a.mean_days_late == pytest.approx(13 / 3)
    assert a.on_time == 1
    assert a.completion == 1.0
    # b: nothing done.
    assert (b.due, b.done, b.missing, b.completion, b.mean_days_late) == (4, 0, 4, 0.0, None)
    # c: hired on the 10th, so owes the 16th and the 23rd; the 16th on time (Paris day).
    assert (c.due, c.done, c.late, c.missing) == (2, 1, 0, 1)
    assert a.explain() == (
        "a: 4 of 4 check-ins due by 2026-03-31 done (100%); 3 late, by 4.3 days on average "
        "(1 more than the 7 grace days)"
    )
    assert b.explain() == "b: 0 of 4 check-ins due by 2026-03-31 done (0%); 4 missing"
    assert c.explain() == "c: 1 of 2 check-ins due by 2026-03-31 done (50%); none late; 1 missing"


def test_checkin_figures_per_team_unit_and_everyone() -> None:
    health = checkin_health(data(), on=MARCH_31)
    # d's only goal is completed, so d owes no check-ins (the reminder list's rule).
    assert [p.id for p in health.people] == ["a", "b", "c"]
    with pytest.raises(NotFoundError, match="no check-in participant with id 'd'"):
        health.person("d")
    team = health.team("m")
    assert (team.people, team.due, team.done, team.late, team.overdue, team.days_late) == (
        3,
        10,
        5,
        3,
        1,
        13,
    )
    assert team.completion == 0.5
    assert team.explain() == (
        "team of m (3 people): 5 of 10 check-ins due by 2026-03-31 done (50%); 3 late, by 4.3 "
        "days on average (1 more than the 7 grace days); 5 missing"
    )
    assert [u.id for u in health.units] == ["co", "u1"]
    assert health.unit("co") == attrs.evolve(team, scope=HealthScope.UNIT, id="co")
    assert health.overall == attrs.evolve(team, scope=HealthScope.ALL, id=ALL)
    assert health.explain().startswith("cycle c1, everyone (3 people): 5 of 10 check-ins")
    assert health.cadence == "FREQ=WEEKLY"


def test_checkin_figures_mid_phase_match_the_reminder_list() -> None:
    d = data()
    on = date(2026, 3, 20)
    health = checkin_health(d, on=on)
    a = health.person("a")
    # By the 20th: the 2nd (on time), the 9th (2 days late), the 16th still open.
    assert (a.due, a.done, a.late, a.days_late, a.missing) == (3, 2, 1, 2, 1)
    reminders = {r.employee_id: r.missed for r in d.due_checkins(on)}
    assert reminders == {"a": 1, "b": 3}
    assert {p.id: p.missing for p in health.people if p.missing} == reminders


def test_checkin_figures_before_the_phase_and_without_a_cadence() -> None:
    assert checkin_health(data(), on=date(2026, 3, 1)).overall.due == 0
    bare = attrs.evolve(data(), cycle=cycle(cadence=None))
    health = checkin_health(bare, on=MARCH_31)
    assert health.cadence is None
    assert health.overall.due == 0
    assert health.overall.completion is None
    assert health.overall.explain() == "everyone (3 people): no check-ins due by 2026-03-31"


def test_checkin_figures_ignore_check_ins_after_the_day() -> None:
    later = [*CHECK_INS, check_in("k9", "gb", paris(date(2026, 4, 2)))]
    assert checkin_health(data(check_ins=later), on=MARCH_31).person("b").done == 0
    # After the phase, a check-in still catches up every open day, late.
    b = checkin_health(data(check_ins=later), on=date(2026, 4, 2)).person("b")
    assert (b.done, b.late, b.overdue, b.days_late) == (4, 4, 4, 31 + 24 + 17 + 10)


def test_checkin_health_refuses_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="^data: 'x' is not a CycleData$"):
        checkin_health("x", on=MARCH_31)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^on: datetime.datetime\(.*is not a date$"):
        checkin_health(data(), on=paris(MARCH_31))


def test_checkin_figures_refuse_impossible_counts() -> None:
    fields: dict[str, Any] = {
        "scope": "team",
        "id": "m",
        "on": MARCH_31,
        "grace_days": 7,
        "people": 2,
        "due": 4,
        "done": 3,
        "late": 2,
        "overdue": 1,
        "days_late": 9,
    }
    assert CheckInFigures(**fields).scope is HealthScope.TEAM
    with pytest.raises(ValidationError, match="^done: 5 is more than due 4$"):
        CheckInFigures(**{**fields, "done": 5})
    with pytest.raises(ValidationError, match="^overdue: 3 is more than late 2$"):
        CheckInFigures(**{**fields, "overdue": 3})
    with pytest.raises(ValidationError, match="^days_late: 8 is less than 9: each late"):
        CheckInFigures(**{**fields, "days_late": 8})
    with pytest.raises(ValidationError, match="^days_late: 1 is not 0 with no late check-in$"):
        CheckInFigures(**{**fields, "late": 0, "overdue": 0, "days_late": 1})
    with pytest.raises(ValidationError, match="^due: -1 is negative$"):
        CheckInFigures(**{**fields, "due": -1})
    with pytest.raises(ValidationError, match="^scope: 'manager' is not a HealthScope"):
        CheckInFigures(**{**fields, "scope": "manager"})


# --- on-time review submission --------------------------------------------------------------


def review(
    rid: str, subject: str, reviewer: str, role: ReviewerRole, cycle_id: str = "c1"
) -> Review:
    return Review(
        id=rid,
        cycle_id=cycle_id,
        form_id="form",
        subject=subject,
        reviewer=reviewer,
        role=role,
        ratings=[CriterionRating(criterion_id="overall", rating=rating(4))],
    )


def reviewed() -> tuple[CycleData, list[Any]]:
    """Self reviews due 10 May, manager reviews 20 May, peer reviews by the cycle end (no
    peer_review phase)."""
    r1, e1 = review("r1", "a", "a", ReviewerRole.SELF).submit("a", paris(date(2026, 5, 9)))
    r2, e2 = review("r2", "b", "b", ReviewerRole.SELF).submit("b", paris(date(2026, 5, 12)))
    r3 = review("r3", "a", "m", ReviewerRole.MANAGER)
    r4, _ = review("r4", "b", "m", ReviewerRole.MANAGER).submit("m", paris(date(2026, 5, 15)))
    r5 = review("r5", "a", "b", ReviewerRole.PEER)
    # 23:30 UTC on 10 May is 01:30 on 11 May in Paris: a day late.
    r6, e6 = review("r6", "c", "c", ReviewerRole.SELF).submit(
        "c", datetime(2026, 5, 10, 23, 30, tzinfo=UTC)
    )
    # r4's submission event is lost: it is submitted, but nobody knows when.
    shared, e_shared = r1.share("m", paris(date(2026, 5, 11)))
    return data(reviews=[r6, r5, r4, r3, r2, shared]), [e_shared, e2, e6, e1]


def test_review_timing_by_hand() -> None:
    d, events = reviewed()
    report = review_timeliness(d, events, on=date(2026, 5, 25))
    timing = {r.review_id: (r.timing.value, r.deadline, r.submitted_on) for r in report.reviews}
    assert timing == {
        "r1": ("on_time", date(2026, 5, 10), date(2026, 5, 9)),
        "r2": ("late", date(2026, 5, 10), date(2026, 5, 12)),
        "r3": ("missing", date(2026, 5, 20), None),
        "r4": ("undated", date(2026, 5, 20), None),
        "r5": ("pending", date(2026, 6, 30), None),
        "r6": ("late", date(2026, 5, 10), date(2026, 5, 11)),
    }
    assert [r.review_id for r in report.reviews] == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert report.review("r2").days_late == 2
    assert report.review("r1").days_late == 0
    assert report.review("r3").days_late is None
    assert report.review("r5").phase is Phase.PEER_REVIEW
    overall = report.overall
    assert (overall.reviews, overall.on_time, overall.late, overall.missing) == (6, 1, 2, 1)
    assert (overall.pending, overall.undated, overall.days_late) == (1, 1, 3)
    assert overall.decided == 4
    assert overall.on_time_rate == 0.25
    assert overall.mean_days_late == 1.5
    assert report.explain() == (
        "cycle c1, everyone (6 reviews): 1 of 4 on time (25%) on 2026-05-25; 2 late, by 1.5 "
        "days on average; 1 missing; 1 not due yet; 1 submitted without a date"
    )


def test_review_timing_per_role_phase_and_reviewer_unit() -> None:
    d, events = reviewed()
    report = review_timeliness(d, events, on=date(2026, 5, 25))
    assert [r.id for r in report.roles] == ["manager", "peer", "self"]
    self_ = report.role(ReviewerRole.SELF)
    assert (self_.reviews, self_.on_time, self_.late) == (3, 1, 2)
    assert self_.explain() == (
        "self reviews (3): 1 of 3 on time (33%) on 2026-05-25; 2 late, by 1.5 days on average"
    )
    manager = report.role("manager")
    assert (manager.missing, manager.undated, manager.on_time_rate) == (1, 1, 0.0)
    assert report.phase(Phase.PEER_REVIEW).explain() == (
        "peer_review phase (1 review): 1 not due yet"
    )
    assert [p.id for p in report.phases] == ["manager_review", "peer_review", "self_review"]
    # Grouped by the reviewer's unit: m sits in co, the others in u1 (under co).
    assert (report.unit("u1").reviews, report.unit("co").reviews) == (4, 6)
    with pytest.raises(NotFoundError, match="no reviewer role with reviews with id 'upward'"):
        report.role("upward")
    with pytest.raises(NotFoundError, match="no review with id 'r9'"):
        report.review("r9")


def test_review_timing_events_after_the_day_have_not_happened() -> None:
    d, events = reviewed()
    report = review_timeliness(d, events, on=date(2026, 5, 11))
    # r2 is submitted on the 12th: on the 11th it is missing (its deadline was the 10th).
    assert report.review("r2").timing is ReviewTiming.MISSING
    assert report.review("r6").timing is ReviewTiming.LATE
    assert report.review("r3").timing is ReviewTiming.PENDING
    assert report.review("r3").explain() == (
        "manager review r3 of a by m: not submitted yet, the manager_review deadline "
        "2026-05-20 is still ahead"
    )
    assert report.review("r2").explain() == (
        "self review r2 of b by b: not submitted, the self_review deadline 2026-05-10 has passed"
    )
    later = review_timeliness(d, events, on=date(2026, 5, 25))
    assert later.review("r2").explain() == (
        "self review r2 of b by b: submitted on 2026-05-12, 2 days after the self_review "
        "deadline 2026-05-10"
    )
    assert later.review("r1").explain() == (
        "self review r1 of a by a: submitted on 2026-05-09, by the self_review deadline 2026-05-10"
    )
    assert later.review("r6").explain() == (
        "self review r6 of c by c: submitted on 2026-05-11, 1 day after the self_review "
        "deadline 2026-05-10"
    )
    assert later.review("r4").explain() == (
        "manager review r4 of b by m: submitted, but no submission event says when"
    )


def test_review_timing_ignores_other_events_and_refuses_non_events() -> None:
    d, events = reviewed()
    moved, goal_event = goal("gz", "a", GoalStatus.AGREED).start("a", paris(date(2026, 5, 1)))
    assert moved.status is GoalStatus.IN_PROGRESS
    stranger, other = review("rx", "a", "a", ReviewerRole.SELF, "c0").submit(
        "a", paris(date(2026, 4, 1))
    )
    assert stranger.id == "rx"
    base = review_timeliness(d, events, on=date(2026, 5, 25))
    assert review_timeliness(d, [*events, goal_event, other], on=date(2026, 5, 25)) == base
    with pytest.raises(ValidationError, match=r"^events\[1\]: 'submitted' is not a Workflow"):
        review_timeliness(d, [events[0], "submitted"], on=date(2026, 5, 25))  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="^events: 'abc' is not a collection"):
        review_timeliness(d, "abc", on=date(2026, 5, 25))  # type: ignore[arg-type]


def test_review_submission_refuses_inconsistent_timing() -> None:
    fields: dict[str, Any] = {
        "review_id": "r1",
        "reviewer": "a",
        "subject": "a",
        "role": "self",
        "phase": "self_review",
        "unit_id": "u1",
        "deadline": date(2026, 5, 10),
        "submitted_on": date(2026, 5, 12),
        "timing": "late",
    }
    assert ReviewSubmission(**fields).days_late == 2
    with pytest.raises(ValidationError, match="^timing: 'on_time' does not fit a submission"):
        ReviewSubmission(**{**fields, "timing": "on_time"})
    with pytest.raises(ValidationError, match="^submitted_on: .* is set for a missing review$"):
        ReviewSubmission(**{**fields, "timing": "missing"})
    with pytest.raises(ValidationError, match="^submitted_on: None is required for a review"):
        ReviewSubmission(**{**fields, "submitted_on": None})
    with pytest.raises(ValidationError, match=r"^reviews: 3 is not on_time \+ late"):
        SubmissionFigures(
            scope="all",
            id="all",
            on=date(2026, 5, 1),
            reviews=3,
            on_time=1,
            late=1,
            missing=0,
            pending=0,
            undated=0,
            days_late=1,
        )


# --- feedback frequency and spread ----------------------------------------------------------


def feedback_log() -> FeedbackLog:
    """In March (Paris): a 1, b 1, c 4 (one an answer to a request), d and m none."""
    march = paris(date(2026, 3, 10))
    ask = FeedbackRequest(
        id="q", author="m", subject="c", at=march, requested_from=("a", "b"), question="How?"
    )
    return FeedbackLog(
        events=[
            Praise(id="p1", author="b", subject="a", at=march, text="Thanks"),
            Constructive(id="k1", author="m", subject="b", at=march, text="Earlier drafts"),
            Praise(id="p2", author="a", subject="c", at=march, text="Thanks"),
            Praise(id="p3", author="b", subject="c", at=march, text="Thanks"),
            Constructive(id="k2", author="m", subject="c", at=march, text="Share more"),
            ask,
            FeedbackResponse(
                id="q1", request_id="q", author="a", subject="c", at=march, text="Good"
            ),
            Note(id="n1", author="m", subject="d", at=march, text="1:1"),
            # 22:30 UTC on 31 March is 1 April in Paris: outside the period.
            Praise(
                id="p4",
                author="a",
                subject="b",
                at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
                text="Thanks",
            ),
            Praise(id="p5", author="a", subject="m", at=paris(date(2026, 2, 27)), text="Thanks"),
        ]
    )


def spread(**kw: Any) -> FeedbackSpread:
    return feedback_spread(
        ORG,
        feedback_log(),
        start=date(2026, 3, 1),
        end=MARCH_31,
        timezone="Europe/Paris",
        **kw,
    )


def test_feedback_spread_by_hand() -> None:
    report = spread()
    assert {p.id: p.events for p in report.people} == {"a": 1, "b": 1, "c": 4, "d": 0, "m": 0}
    overall = report.overall
    assert (overall.people, overall.events, overall.without) == (5, 6, ("d", "m"))
    assert overall.per_person == 1.2
    assert overall.share_without == 0.4
    # Counts 0, 0, 1, 1, 4: Σ|xi - xj| over ordered pairs = 36; 36 / (2 · 5² · 1.2) = 0.6.
    assert overall.gini == pytest.approx(0.6)
    assert overall.explain() == (
        "everyone (5 people): 6 feedback events received from 2026-03-01 to 2026-03-31, 1.2 per "
        "person; 2 (40%) got none: d, m; spread (Gini) 0.60"
    )
    team = report.team("m")
    # a, b, c, d: counts 0, 1, 1, 4: Σ|xi - xj| = 24; 24 / (2 · 4² · 1.5) = 0.5.
    assert (team.people, team.events, team.without, team.gini) == (4, 6, ("d",), 0.5)
    assert team.explain() == (
        "team of m (4 people): 6 feedback events received from 2026-03-01 to 2026-03-31, 1.5 per "
        "person; 1 (25%) got none: d; spread (Gini) 0.50"
    )
    assert report.person("c").explain() == (
        "c: 4 feedback events received from 2026-03-01 to 2026-03-31"
    )
    assert report.person("a").explain() == (
        "a: 1 feedback event received from 2026-03-01 to 2026-03-31"
    )
    assert report.unit("u1") == attrs.evolve(team, scope=HealthScope.UNIT, id="u1")
    assert report.kinds == DEFAULT_FEEDBACK_KINDS
    assert report.explain().endswith("(counting constructive, feedback_response, praise)")


def test_feedback_spread_kinds_and_population() -> None:
    with_notes = spread(kinds=["note", Praise])
    assert with_notes.kinds == ("note", "praise")
    assert {p.id: p.events for p in with_notes.people} == {"a": 1, "b": 0, "c": 2, "d": 1, "m": 0}
    # People who left before the end of the period are not counted.
    gone = Organisation(
        units=ORG.units,
        employees=[
            *(e for e in ORG.employees if e.id != "d"),
            person("d", "m", "u1", left=date(2026, 3, 20)),
        ],
    )
    report = feedback_spread(gone, feedback_log(), start=date(2026, 3, 1), end=MARCH_31)
    assert [p.id for p in report.people] == ["a", "b", "c", "m"]
    with pytest.raises(NotFoundError, match="no employee in the period with id 'd'"):
        report.person("d")


def test_feedback_spread_refuses_bad_arguments() -> None:
    with pytest.raises(ValidationError, match=r"^kinds\[0\]: 'kudos' is not a kind of feedback"):
        spread(kinds=["kudos"])
    with pytest.raises(ValidationError, match="^kinds: \\(\\) is empty"):
        spread(kinds=[])
    with pytest.raises(ValidationError, match="^timezone: 'Mars/Olympus' is not an IANA"):
        feedback_spread(ORG, FeedbackLog(), start=MARCH_31, end=MARCH_31, timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="^end: datetime.date\\(2026, 3, 1\\) is before"):
        feedback_spread(ORG, FeedbackLog(), start=MARCH_31, end=date(2026, 3, 1))
    with pytest.raises(ValidationError, match="^log: None is not a FeedbackLog$"):
        feedback_spread(ORG, None, start=MARCH_31, end=MARCH_31)  # type: ignore[arg-type]


def test_feedback_figures_without_anyone_or_any_event() -> None:
    quiet = feedback_spread(ORG, FeedbackLog(), start=MARCH_31, end=MARCH_31)
    assert quiet.overall.gini is None
    assert quiet.overall.explain().endswith("5 (100%) got none: a, b, c, d, m")
    nobody = FeedbackFigures(
        scope="unit", id="u9", start=MARCH_31, end=MARCH_31, people=0, events=0
    )
    assert nobody.per_person is None
    assert (
        nobody.explain()
        == "unit u9 (0 people): nobody to receive feedback from 2026-03-31 to 2026-03-31"
    )
    with pytest.raises(ValidationError, match=r"^events: 2 are counted for nobody \(people is 0"):
        FeedbackFigures(
            scope="unit", id="u9", start=MARCH_31, end=MARCH_31, people=0, events=2, gini=0.0
        )
    with pytest.raises(ValidationError, match="^gini: None is required when there are events"):
        FeedbackFigures(scope="all", id="all", start=MARCH_31, end=MARCH_31, people=2, events=3)
    with pytest.raises(ValidationError, match="^without: 2 is everyone, yet there are 3 events$"):
        FeedbackFigures(
            scope="all",
            id="all",
            start=MARCH_31,
            end=MARCH_31,
            people=2,
            events=3,
            without=["a", "b"],
            gini=0.5,
        )


def test_gini_coefficient_by_hand() -> None:
    assert gini_coefficient([3, 3, 3]) == 0.0
    assert gini_coefficient([0, 0, 5]) == pytest.approx(2 / 3)  # Σ|xi-xj| 20 / (2·9·5/3)
    assert gini_coefficient([1, 2, 3, 4]) == 0.25  # 20 / (2 · 16 · 2.5)
    assert gini_coefficient([0.5, 1.5]) == 0.25  # 2 / (2 · 4 · 1)
    assert gini_coefficient([7]) == 0.0
    assert gini_coefficient([]) is None
    assert gini_coefficient([0, 0]) is None
    with pytest.raises(ValidationError, match=r"^values\[1\]: -1 is negative$"):
        gini_coefficient([1, -1])
    with pytest.raises(ValidationError, match=r"^values\[0\]: True is not a number$"):
        gini_coefficient([True])
    with pytest.raises(ValidationError, match=r"^values\[0\]: nan is not a finite number$"):
        gini_coefficient([float("nan")])


def brute_gini(xs: list[int] | list[float]) -> float | None:
    total = sum(xs)
    if not xs or total == 0:
        return None
    n = len(xs)
    return sum(abs(a - b) for a, b in itertools.product(xs, xs)) / (2 * n * total)


@given(st.lists(st.integers(min_value=0, max_value=50), max_size=30))
def test_gini_matches_the_pairwise_definition_and_stays_in_bounds(xs: list[int]) -> None:
    g = gini_coefficient(xs)
    expected = brute_gini(xs)
    if expected is None:
        assert g is None
    else:
        assert g == pytest.approx(expected, abs=1e-12)
        assert 0.0 <= g <= (len(xs) - 1) / len(xs)
        assert gini_coefficient(reversed(xs)) == g
        assert gini_coefficient([3 * x for x in xs]) == g  # scale-free


# --- goal alignment -------------------------------------------------------------------------


def alignment_goals() -> GoalSet:
    company = {"kind": OwnerKind.COMPANY}
    unit = {"kind": OwnerKind.UNIT}
    return GoalSet(
        goals=[
            goal("gco", "co", **company),
            goal("gu1", "u1", aligns_to=[Alignment(parent_id="gco")], **unit),
            goal("gu2", "u1", **unit),
            goal("gx", "u1", GoalStatus.ARCHIVED, aligns_to=[Alignment(parent_id="gco")], **unit),
            goal("a1", "a", aligns_to=[Alignment(parent_id="gu1")]),  # through gu1
            goal("a2", "a", aligns_to=[Alignment(parent_id="gco")]),  # directly
            goal("a3", "a"),  # not at all
            goal("b1", "b", aligns_to=[Alignment(parent_id="gx")]),  # only through an archived goal
            goal("b2", "b", GoalStatus.ARCHIVED, aligns_to=[Alignment(parent_id="gco")]),
            goal("c1", "c", aligns_to=[Alignment(parent_id="gu2")]),  # to a unit goal only
            goal("c2", "c", cycle_id="c0", aligns_to=[Alignment(parent_id="a1")]),  # via a's goal
        ]
    )


def test_goal_alignment_by_hand() -> None:
    report = goal_alignment(ORG, alignment_goals())
    overall = report.overall
    assert (overall.goals, overall.aligned, overall.unaligned) == (6, 3, ("a3", "b1", "c1"))
    assert overall.share == 0.5
    assert report.explain() == (
        "everyone (3 people): 3 of 6 individual goals aligned to a company goal (50%); "
        "not aligned: a3, b1, c1"
    )
    assert {p.id: (p.aligned, p.goals) for p in report.people} == {
        "a": (2, 3),
        "b": (0, 1),
        "c": (1, 2),
    }
    assert report.team("m").share == 0.5
    assert report.unit("u1").goals == 6
    # Only one cycle's goals (and goals of no cycle): c2 belongs to cycle c0.
    one = goal_alignment(ORG, alignment_goals(), cycle_id="c1")
    assert (one.overall.goals, one.overall.aligned) == (5, 2)
    assert one.person("c").explain() == (
        "c: 0 of 1 individual goals aligned to a company goal (0%); not aligned: c1"
    )
    empty = goal_alignment(ORG, GoalSet())
    assert empty.overall.share is None
    assert empty.overall.explain() == "everyone (0 people): no individual goals"


def test_goal_alignment_refuses_bad_arguments() -> None:
    stranger = GoalSet(goals=[goal("z1", "zed")])
    with pytest.raises(UnknownReferenceError, match=r"^goals.goals\[0\].owner.id: 'zed' is not"):
        goal_alignment(ORG, stranger)
    with pytest.raises(ValidationError, match="^goals: 'g' is not a GoalSet$"):
        goal_alignment(ORG, "g")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="^cycle_id: ' x' is not a valid id"):
        goal_alignment(ORG, GoalSet(), cycle_id=" x")
    with pytest.raises(ValidationError, match="^unaligned: 1 is not goals - aligned"):
        AlignmentFigures(scope="all", id="all", people=1, goals=2, aligned=2, unaligned=["g"])


# --- trends -----------------------------------------------------------------------------------


def results() -> list[Any]:
    return [
        cycle_result("fy1", [("a", "u1", "m", 3), ("b", "u1", "m", 4), ("c", "u2", "n", 2)]),
        cycle_result(
            "fy2",
            [("a", "u1", "m", 4), ("b", "u1", "m", 2), ("c", "u2", "m", 5), ("d", "t1", "m", 5)],
        ),
        cycle_result("fy3", [("b", "u1", "m", 3)]),
    ]


def test_rating_trend_for_a_person_by_hand() -> None:
    trend = rating_trend(results(), "employee", "a")
    assert trend.values == (3.0, 4.0, None)
    assert [p.change for p in trend.points] == [None, 1.0, None]
    assert [p.count for p in trend.points] == [1, 1, 0]
    assert trend.scale == ScaleRef(id="five-point")
    assert trend.explain() == (
        "final rating on five-point v1 of a: fy1 3.00; fy2 4.00 (+1.00); fy3 none"
    )


def test_rating_trend_for_a_team_a_unit_and_everyone_by_hand() -> None:
    team = rating_trend(results(), HealthScope.TEAM, "m")
    # fy1: a 3, b 4; fy2: a 4, b 2, c 5 (c now reports to m), d 5; fy3: b 3.
    assert team.values == (3.5, 4.0, 3.0)
    assert [p.change for p in team.points] == [None, 0.5, -1.0]
    assert team.explain() == (
        "mean final rating on five-point v1 of the team of m: fy1 3.50 (2 people); fy2 4.00 "
        "(4 people, +0.50); fy3 3.00 (1 person, -1.00)"
    )
    unit = rating_trend(results(), "unit", "u1")
    assert unit.values == (3.5, 3.0, 3.0)
    with_subunits = rating_trend(results(), "unit", "u1", organisation=Organisation(units=UNITS))
    assert with_subunits.values == (3.5, pytest.approx(11 / 3), 3.0)
    everyone = rating_trend(results(), "all")
    assert everyone.values == (3.0, 4.0, 3.0)
    assert everyone.explain().startswith("mean final rating on five-point v1 of everyone: fy1")


def test_rating_trend_refuses_bad_series() -> None:
    with pytest.raises(NotFoundError, match="no employee rated in these cycles with id 'zed'"):
        rating_trend(results(), "employee", "zed")
    with pytest.raises(ValidationError, match="^scope: 'role' is not a trend scope"):
        rating_trend(results(), "role", "self")
    with pytest.raises(ValidationError, match=r"^results\[1\]: 'fy1' repeats the cycle of"):
        rating_trend([results()[0], results()[0]], "all")
    with pytest.raises(ValidationError, match="^results: \\(\\) is empty"):
        rating_trend([], "all")
    with pytest.raises(ValidationError, match=r"^results\[0\]: 'x' is not a CycleResult$"):
        rating_trend(["x"], "all")  # type: ignore[list-item]
    other = cycle_result("fy9", [("a", "u1", "m", 50)], scale=ScaleRef(id="percent"))
    with pytest.raises(
        ValidationError,
        match=r"^results\[1\].employees\['a'\].rating_after.scale: 'percent v1' differs from "
        r"results\[0\]'s five-point v1",
    ):
        rating_trend([results()[0], other], "employee", "a")


def test_rating_trend_on_real_cycle_runs() -> None:
    from perfkit.run import run_cycle
    from perfkit.sample import sample_policy

    at = datetime(2026, 12, 20, 18, tzinfo=PARIS)
    runs = []
    for seed, name in ((7, "fy2025"), (8, "fy2026")):
        d = sample_cycle(30, seed=seed)
        runs.append(attrs.evolve(run_cycle(d, sample_policy(d), at=at), cycle_id=name))
    trend = rating_trend(runs, "all")
    expected = [sum(e.rating_after.value for e in r.employees) / len(r.employees) for r in runs]
    assert trend.values == pytest.approx(expected)
    assert trend.points[1].change == pytest.approx(expected[1] - expected[0])
    person = runs[1].employees[3]
    mine = rating_trend(runs, "employee", person.employee_id)
    assert mine.values[1] == person.rating_after.value


def test_completion_trend_by_hand() -> None:
    better = [
        *(check_in(f"a{k}", "ga", paris(date(2026, 3, 2 + 7 * k))) for k in range(4)),
        check_in("b1", "gb", paris(date(2026, 3, 2))),
        check_in("b2", "gb", paris(date(2026, 3, 9))),
    ]
    cycles = [data("c1"), data("c2", check_ins=better)]
    team = completion_trend(cycles, "team", "m")
    # c1: 5 of 10; c2: a 4 of 4, b 2 of 4, c 0 of 2: 6 of 10.
    assert team.values == (0.5, 0.6)
    assert team.points[1].change == pytest.approx(0.1)
    assert team.explain() == (
        "check-in completion of the team of m: c1 50% (3 people); c2 60% (3 people, +10 "
        "percentage points)"
    )
    person = completion_trend(cycles, "employee", "b", on=[MARCH_31, date(2026, 3, 10)])
    # On 10 March in c2: the 2nd and the 9th due, both done.
    assert person.values == (0.0, 1.0)
    assert person.explain() == "check-in completion of b: c1 0%; c2 100% (+100 percentage points)"
    assert completion_trend(cycles, "unit", "co").values == (0.5, 0.6)
    with pytest.raises(NotFoundError, match="no employee owing check-ins in these cycles"):
        completion_trend(cycles, "employee", "d")
    with pytest.raises(ValidationError, match="^on: 1 days given for 2 cycles$"):
        completion_trend(cycles, "all", on=[MARCH_31])
    with pytest.raises(ValidationError, match=r"^on\[0\]: 'x' is not a date$"):
        completion_trend(cycles, "all", on=["x", MARCH_31])  # type: ignore[list-item]


def test_trend_point_consistency() -> None:
    with pytest.raises(ValidationError, match="^value: 3.0 is set, but nobody is counted$"):
        TrendPoint(cycle_id="fy1", value=3, count=0)
    with pytest.raises(ValidationError, match="^change: 1.0 is set without a value$"):
        TrendPoint(cycle_id="fy1", count=1, change=1)
    with pytest.raises(ValidationError, match=r"^points\[1\]: 'fy1' repeats the cycle id"):
        Trend(
            metric="rating",
            scope="all",
            subject="all",
            points=[TrendPoint(cycle_id="fy1"), TrendPoint(cycle_id="fy1")],
        )


@given(result_series())
def test_rating_trend_changes_are_differences_of_values(series: list[Any]) -> None:
    trend = rating_trend(series, "all")
    assert [p.cycle_id for p in trend.points] == [r.cycle_id for r in series]
    for before, after in itertools.pairwise(trend.points):
        if before.value is None or after.value is None:
            assert after.change is None
        else:
            assert after.change == after.value - before.value
    for p in trend.points:
        assert p.value is None or 1.0 <= p.value <= 5.0
    for r, p in zip(series, trend.points, strict=True):
        assert p.count == len(r.employees)
    assert perfkit.loads(perfkit.dumps(trend), Trend) == trend


# --- the whole picture, and the sample company ----------------------------------------------


def test_health_report_on_the_sample_company() -> None:
    d = sample_cycle(60, seed=7)
    report = health_report(d, on=DEMO_DATE)
    reminders = {r.employee_id: r.missed for r in d.due_checkins(DEMO_DATE)}
    assert {p.id: p.missing for p in report.checkins.people if p.missing} == reminders
    assert report.feedback.start == d.cycle.start
    assert report.alignment.cycle_id == "fy2026"
    # In the sample, only the development-course goals (g2) align to nothing.
    assert all(g.endswith("-g2") for g in report.alignment.overall.unaligned)
    assert report.reviews.overall.undated == len(d.reviews)
    sentences = report.sentences()
    assert [s.split(":")[0] for s in sentences] == [
        "check-ins",
        "reviews",
        "feedback",
        "goal alignment",
    ]
    assert report.explain().startswith("process health of cycle fy2026 on 2026-04-30: (1) ")
    text = perfkit.dumps(report)
    assert perfkit.loads(text, HealthReport) == report
    assert perfkit.dumps(health_report(d, on=DEMO_DATE)) == text


def test_health_report_before_the_cycle_starts() -> None:
    early = health_report(data(), on=date(2026, 2, 20))
    assert (early.feedback.start, early.feedback.end) == (date(2026, 2, 20), date(2026, 2, 20))
    assert early.checkins.overall.due == 0
    assert early.sentences()[0] == "check-ins: everyone (2 people): no check-ins due by 2026-02-20"


def test_health_report_refuses_a_feedback_start_after_the_day() -> None:
    with pytest.raises(ValidationError, match="^feedback_since: .* is after on 2026-03-31$"):
        health_report(data(), on=MARCH_31, feedback_since=date(2026, 4, 1))


# --- invariants over generated cycles ---------------------------------------------------------


@given(scenarios())
def test_figures_stay_in_bounds_and_groups_add_up(scenario: Any) -> None:
    d, events, on = scenario
    report = health_report(d, on=on, review_events=events, feedback_since=min(on, d.cycle.start))
    ch = report.checkins
    people = {p.id: p for p in ch.people}
    assert set(people) == set(d.participants(on))
    for f in (*ch.people, *ch.teams, *ch.units, ch.overall):
        assert f.completion is None or 0.0 <= f.completion <= 1.0
        assert 0 <= f.done <= f.due
    org = d.organisation
    for team in ch.teams:
        members = [people[e.id] for e in org.direct_reports(team.id) if e.id in people]
        assert team.people == len(members)
        assert team.due == sum(m.due for m in members)
        assert team.days_late == sum(m.days_late for m in members)
    assert ch.overall.done == sum(p.done for p in ch.people)
    fb = report.feedback
    counts = [p.events for p in fb.people]
    assert fb.overall.events == sum(counts)
    assert fb.overall.gini == (
        None if brute_gini(counts) is None else pytest.approx(brute_gini(counts))
    )
    for f in (*fb.people, *fb.teams, *fb.units, fb.overall):
        assert f.gini is None or 0.0 <= f.gini <= 1.0
        assert f.share_without is None or 0.0 <= f.share_without <= 1.0
    rv = report.reviews
    assert rv.overall.reviews == len(d.reviews)
    assert sum(r.reviews for r in rv.roles) == sum(p.reviews for p in rv.phases) == len(d.reviews)
    assert rv.overall.on_time_rate is None or 0.0 <= rv.overall.on_time_rate <= 1.0
    al = report.alignment
    for f in (*al.people, *al.teams, *al.units, al.overall):
        assert f.share is None or 0.0 <= f.share <= 1.0


@given(scenarios())
def test_checkin_figures_agree_with_the_reminder_list(scenario: Any) -> None:
    d, _, on = scenario
    window = d.cycle.window(Phase.CHECK_INS)
    assert window is not None
    health = checkin_health(d, on=on)
    reminders = {r.employee_id: r.missed for r in d.due_checkins(on)}
    missing = {p.id: p.missing for p in health.people if p.missing}
    if on <= window.end:
        assert missing == reminders
    else:
        assert reminders == {}


@given(scenarios(), st.data())
def test_adding_a_check_in_never_lowers_completion(scenario: Any, draw: st.DataObject) -> None:
    d, _, on = scenario
    owned = [g for g in d.goals.goals if g.owner.kind is OwnerKind.EMPLOYEE]
    if not owned:
        return
    target = draw.draw(st.sampled_from(owned))
    at = draw.draw(moments(date(2025, 12, 20), date(2026, 7, 20)))
    extra = CheckIn(id="extra", goal_id=target.id, author=target.owner.id, at=at, done=True)
    more = attrs.evolve(
        d, goals=GoalSet(goals=d.goals.goals, check_ins=[*d.goals.check_ins, extra])
    )
    before = checkin_health(d, on=on)
    after = checkin_health(more, on=on)
    assert [p.id for p in after.people] == [p.id for p in before.people]
    for old, new in zip(
        (*before.people, *before.teams, *before.units, before.overall),
        (*after.people, *after.teams, *after.units, after.overall),
        strict=True,
    ):
        assert new.due == old.due
        assert new.done >= old.done
        assert new.missing <= old.missing


@given(scenarios())
def test_results_do_not_depend_on_input_order(scenario: Any) -> None:
    d, events, on = scenario
    since = min(on, d.cycle.start)
    report = health_report(d, on=on, review_events=events, feedback_since=since)
    again = health_report(shuffled(d), on=on, review_events=events[::-1], feedback_since=since)
    assert again == report
    assert perfkit.dumps(again) == perfkit.dumps(report)


@given(scenarios(with_check_ins=False))
def test_goal_alignment_matches_a_walk_up_the_cascade(scenario: Any) -> None:
    d, _, _ = scenario
    goals = {g.id: g for g in d.goals.goals}

    def serves(gid: str) -> bool:
        todo, seen = [gid], set()
        while todo:
            g = goals[todo.pop()]
            for a in g.aligns_to:
                parent = goals[a.parent_id]
                if parent.status is GoalStatus.ARCHIVED or parent.id in seen:
                    continue
                if parent.owner.kind is OwnerKind.COMPANY:
                    return True
                seen.add(parent.id)
                todo.append(parent.id)
        return False

    individual = [
        g
        for g in goals.values()
        if g.owner.kind is OwnerKind.EMPLOYEE and g.status is not GoalStatus.ARCHIVED
    ]
    report = goal_alignment(d.organisation, d.goals)
    assert report.overall.goals == len(individual)
    assert set(report.overall.unaligned) == {g.id for g in individual if not serves(g.id)}


# --- JSON round-trips ---------------------------------------------------------------------------


@given(
    st.one_of(
        checkin_figures(),
        review_submissions(),
        submission_figures(),
        feedback_figures(),
        alignment_figures(),
        trends(),
    )
)
def test_figures_round_trip_through_json(figure: Any) -> None:
    assert perfkit.loads(perfkit.dumps(figure), type(figure)) == figure
    assert isinstance(figure.explain(), str)


@given(scenarios())
def test_reports_round_trip_through_json(scenario: Any) -> None:
    d, events, on = scenario
    report = health_report(d, on=on, review_events=events, feedback_since=min(on, d.cycle.start))
    parts: list[Any] = [report, report.checkins, report.reviews, report.feedback, report.alignment]
    for part in parts:
        assert perfkit.loads(perfkit.dumps(part), type(part)) == part
    assert isinstance(report.explain(), str)
    kinds = (CheckInHealth, ReviewTimeliness, FeedbackSpread, GoalAlignment)
    assert [type(p) for p in parts[1:]] == list(kinds)


def test_trend_metric_and_scope_values() -> None:
    assert [m.value for m in TrendMetric] == ["rating", "checkin_completion"]
    assert [s.value for s in HealthScope] == ["employee", "team", "unit", "role", "phase", "all"]
    assert [t.value for t in ReviewTiming] == ["on_time", "late", "missing", "pending", "undated"]

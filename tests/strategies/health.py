"""Strategies for process-health figures, and small whole cycles to compute them on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from perfkit.calibration import CalibrationEntry, CalibrationSession
from perfkit.cycles import Cadence, CycleStage, Phase, PhaseWindow, ReviewCycle
from perfkit.dataset import CycleData
from perfkit.events import WorkflowEvent
from perfkit.feedback import Constructive, FeedbackLog, Note, Praise
from perfkit.goals import Alignment, CheckIn, Goal, GoalSet, GoalStatus, Owner, OwnerKind
from perfkit.health import (
    AlignmentFigures,
    CheckInFigures,
    FeedbackFigures,
    HealthScope,
    ReviewSubmission,
    ReviewTiming,
    SubmissionFigures,
    Trend,
    TrendMetric,
    TrendPoint,
)
from perfkit.metrics import BinaryMetric
from perfkit.money import Money
from perfkit.org import Employee, Organisation, OrgUnit
from perfkit.reviews import (
    Criterion,
    CriterionKind,
    CriterionRating,
    Review,
    ReviewerRole,
    ReviewForm,
)
from perfkit.run import CycleResult, EmployeeResult
from perfkit.scales import BUILTIN_SCALES, FIVE_POINT, Rating, ScaleRef
from perfkit.scoring import Component, Score

from .common import dates, simple_ids

scopes = st.sampled_from(list(HealthScope))
counts = st.integers(min_value=0, max_value=500)
graces = st.integers(min_value=0, max_value=30)


# --- figures, drawn directly (for the JSON round-trips) ------------------------------------


@st.composite
def checkin_figures(draw: st.DrawFn) -> CheckInFigures:
    grace = draw(graces)
    due = draw(counts)
    done = draw(st.integers(min_value=0, max_value=due))
    late = draw(st.integers(min_value=0, max_value=done))
    overdue = draw(st.integers(min_value=0, max_value=late))
    least = late + overdue * grace
    days_late = 0 if late == 0 else least + draw(st.integers(min_value=0, max_value=100))
    return CheckInFigures(
        scope=draw(scopes),
        id=draw(simple_ids),
        on=draw(dates),
        grace_days=grace,
        people=draw(counts),
        due=due,
        done=done,
        late=late,
        overdue=overdue,
        days_late=days_late,
    )


@st.composite
def review_submissions(draw: st.DrawFn) -> ReviewSubmission:
    deadline = draw(dates)
    timing = draw(st.sampled_from(list(ReviewTiming)))
    submitted = None
    if timing is ReviewTiming.ON_TIME:
        submitted = deadline - timedelta(days=draw(st.integers(min_value=0, max_value=30)))
    elif timing is ReviewTiming.LATE:
        submitted = deadline + timedelta(days=draw(st.integers(min_value=1, max_value=30)))
    role = draw(st.sampled_from(list(ReviewerRole)))
    reviewer = draw(simple_ids)
    return ReviewSubmission(
        review_id=draw(simple_ids),
        reviewer=reviewer,
        subject=reviewer if role is ReviewerRole.SELF else draw(simple_ids),
        role=role,
        phase=draw(st.sampled_from([Phase.SELF_REVIEW, Phase.PEER_REVIEW, Phase.MANAGER_REVIEW])),
        unit_id=draw(simple_ids),
        deadline=deadline,
        submitted_on=submitted,
        timing=timing,
    )


@st.composite
def submission_figures(draw: st.DrawFn) -> SubmissionFigures:
    on_time, late, missing, pending, undated = (draw(counts) for _ in range(5))
    return SubmissionFigures(
        scope=draw(scopes),
        id=draw(simple_ids),
        on=draw(dates),
        reviews=on_time + late + missing + pending + undated,
        on_time=on_time,
        late=late,
        missing=missing,
        pending=pending,
        undated=undated,
        days_late=0 if late == 0 else late + draw(counts),
    )


@st.composite
def feedback_figures(draw: st.DrawFn) -> FeedbackFigures:
    start = draw(dates)
    members = draw(st.lists(simple_ids, unique=True, max_size=8))
    without = sorted(draw(st.lists(st.sampled_from(members), unique=True)) if members else [])
    some = len(without) < len(members)
    events = draw(st.integers(min_value=1, max_value=100)) if some else 0
    return FeedbackFigures(
        scope=draw(scopes),
        id=draw(simple_ids),
        start=start,
        end=start + timedelta(days=draw(st.integers(min_value=0, max_value=400))),
        people=len(members),
        events=events,
        without=without,
        gini=draw(st.floats(min_value=0, max_value=1)) if events else None,
    )


@st.composite
def alignment_figures(draw: st.DrawFn) -> AlignmentFigures:
    unaligned = sorted(draw(st.lists(simple_ids, unique=True, max_size=6)))
    aligned = draw(counts)
    return AlignmentFigures(
        scope=draw(scopes),
        id=draw(simple_ids),
        people=draw(counts),
        goals=aligned + len(unaligned),
        aligned=aligned,
        unaligned=unaligned,
    )


finite = st.floats(min_value=-10, max_value=10, allow_nan=False)


@st.composite
def trends(draw: st.DrawFn) -> Trend:
    cycles = draw(st.lists(simple_ids, unique=True, min_size=1, max_size=5))
    points = []
    for cycle_id in cycles:
        count = draw(st.integers(min_value=0, max_value=20))
        value = draw(st.none() | finite) if count else None
        change = draw(st.none() | finite) if value is not None else None
        points.append(TrendPoint(cycle_id=cycle_id, value=value, count=count, change=change))
    return Trend(
        metric=draw(st.sampled_from(list(TrendMetric))),
        scope=draw(st.sampled_from([HealthScope.EMPLOYEE, HealthScope.TEAM, HealthScope.ALL])),
        subject=draw(simple_ids),
        points=points,
        scale=draw(st.none() | st.just(FIVE_POINT.ref)),
    )


# --- whole small cycles -------------------------------------------------------------------

ZONES = ("UTC", "Europe/Paris", "Asia/Tokyo", "America/Los_Angeles")
CYCLE_START = date(2026, 1, 1)
CYCLE_END = date(2026, 6, 30)
FORM = ReviewForm(
    id="form",
    name="Annual review",
    criteria=[
        Criterion(
            id="overall",
            name="Overall",
            kind=CriterionKind.SECTION,
            weight=1,
            scale=FIVE_POINT.ref,
        )
    ],
)
UNITS = (
    OrgUnit(id="co", name="Company"),
    OrgUnit(id="u1", name="Sales", parent_id="co"),
    OrgUnit(id="t1", name="Sales team", parent_id="u1"),
    OrgUnit(id="u2", name="Support", parent_id="co"),
)


def person(
    pid: str,
    manager: str | None,
    unit: str,
    hired: date = date(2020, 1, 1),
    left: date | None = None,
) -> Employee:
    return Employee(
        id=pid,
        name=f"Person {pid}",
        manager_id=manager,
        unit_id=unit,
        hire_date=hired,
        end_date=left,
        job_level="L2",
        base_pay=Money(amount=Decimal(50000), currency="EUR"),
    )


@st.composite
def organisations(draw: st.DrawFn) -> Organisation:
    """A boss, two managers and up to seven reports across four units."""
    people = [person("e0", None, "co"), person("e1", "e0", "u1"), person("e2", "e0", "u2")]
    for n in range(3, 3 + draw(st.integers(min_value=1, max_value=7))):
        manager = draw(st.sampled_from(["e1", "e2"]))
        unit = draw(st.sampled_from(["u1", "t1"] if manager == "e1" else ["u2"]))
        hired = CYCLE_START + timedelta(days=draw(st.integers(min_value=-60, max_value=90)))
        left = None
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            left = hired + timedelta(days=draw(st.integers(min_value=0, max_value=200)))
        people.append(person(f"e{n}", manager, unit, hired, left))
    return Organisation(units=UNITS, employees=people)


@st.composite
def cycles(draw: st.DrawFn) -> ReviewCycle:
    first = CYCLE_START + timedelta(days=draw(st.integers(min_value=0, max_value=30)))
    last = first + timedelta(days=draw(st.integers(min_value=0, max_value=100)))
    cadence = draw(
        st.sampled_from(
            [
                None,
                Cadence.weekly(),
                Cadence.biweekly(),
                Cadence.monthly(),
                Cadence(rrule="FREQ=WEEKLY;BYDAY=MO,TH"),
            ]
        )
    )
    phases = [PhaseWindow(phase=Phase.CHECK_INS, start=first, end=last)]
    for phase, start, end in (
        (Phase.SELF_REVIEW, date(2026, 5, 1), date(2026, 5, 10)),
        (Phase.PEER_REVIEW, date(2026, 5, 1), date(2026, 5, 12)),
        (Phase.MANAGER_REVIEW, date(2026, 5, 5), date(2026, 5, 20)),
    ):
        if draw(st.booleans()):
            phases.append(PhaseWindow(phase=phase, start=start, end=end))
    return ReviewCycle(
        id="c26",
        name="2026",
        start=CYCLE_START,
        end=CYCLE_END,
        phases=phases,
        cadence=cadence,
        timezone=draw(st.sampled_from(ZONES)),
        grace_days=draw(st.integers(min_value=0, max_value=10)),
        stage=CycleStage.PLANNED,
    )


def moments(low: date, high: date) -> st.SearchStrategy[datetime]:
    """Aware datetimes between two days, in a few zones (so local days differ from UTC ones)."""
    lo = datetime.combine(low, time())
    hi = datetime.combine(high, time())
    zones = st.sampled_from([UTC, *(ZoneInfo(z) for z in ZONES)])
    return st.builds(lambda t, z: t.replace(tzinfo=z), st.datetimes(lo, hi), zones)


_STATUSES = [
    GoalStatus.DRAFT,
    GoalStatus.AGREED,
    GoalStatus.IN_PROGRESS,
    GoalStatus.IN_PROGRESS,
    GoalStatus.COMPLETED,
    GoalStatus.MISSED,
    GoalStatus.ARCHIVED,
]


@st.composite
def goal_sets(draw: st.DrawFn, org: Organisation, with_check_ins: bool = True) -> GoalSet:
    """A company goal, unit goals under it (some not), and each person's goals under them."""

    def goal(gid: str, kind: OwnerKind, owner: str, parents: Sequence[str] = ()) -> Goal:
        start = CYCLE_START + timedelta(days=draw(st.integers(min_value=0, max_value=60)))
        return Goal(
            id=gid,
            title=f"Goal {gid}",
            owner=Owner(kind=kind, id=owner),
            cycle_id=draw(st.sampled_from(["c26", None])),
            aligns_to=[Alignment(parent_id=p) for p in parents],
            start_date=start,
            end_date=CYCLE_END,
            status=draw(st.sampled_from(_STATUSES)),
            metric=BinaryMetric(),
        )

    goals = [goal("g-co", OwnerKind.COMPANY, "co")]
    goals.append(goal("g-co2", OwnerKind.COMPANY, "co"))
    for unit in ("u1", "t1", "u2"):
        parents = draw(st.sampled_from([(), ("g-co",), ("g-co2",)]))
        if unit == "t1" and draw(st.booleans()):
            parents = ("g-u1",)
        goals.append(goal(f"g-{unit}", OwnerKind.UNIT, unit, parents))
    names = [g.id for g in goals]
    for e in org.employees:
        for k in range(draw(st.integers(min_value=0, max_value=2))):
            parents = draw(st.lists(st.sampled_from(names), unique=True, max_size=2))
            goals.append(goal(f"g-{e.id}-{k}", OwnerKind.EMPLOYEE, e.id, parents))
            names.append(goals[-1].id)  # later goals may align to this one: deeper cascades
    check_ins = []
    if with_check_ins:
        owned = [g for g in goals if g.owner.kind is OwnerKind.EMPLOYEE]
        if owned:
            for n in range(draw(st.integers(min_value=0, max_value=25))):
                g = draw(st.sampled_from(owned))
                check_ins.append(
                    CheckIn(
                        id=f"ci{n}",
                        goal_id=g.id,
                        author=g.owner.id,
                        at=draw(moments(CYCLE_START - timedelta(days=5), CYCLE_END)),
                        done=draw(st.booleans()),
                    )
                )
    return GoalSet(goals=goals, check_ins=check_ins)


@st.composite
def feedback_logs(draw: st.DrawFn, org: Organisation) -> FeedbackLog:
    ids = [e.id for e in org.employees]
    events: list[Any] = []
    for n in range(draw(st.integers(min_value=0, max_value=20))):
        author, subject = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
        kind = draw(st.sampled_from([Praise, Praise, Constructive, Note]))
        at = draw(moments(CYCLE_START, CYCLE_END))
        events.append(kind(id=f"f{n}", author=author, subject=subject, at=at, text="Thanks"))
    return FeedbackLog(events=events)


def rating(value: float = 3.0) -> Rating:
    return Rating(scale=FIVE_POINT.ref, value=value)


@st.composite
def reviews_and_events(
    draw: st.DrawFn, org: Organisation
) -> tuple[list[Review], list[WorkflowEvent]]:
    """Reviews of each role (draft or submitted) and, for some, the submission event."""
    ids = [e.id for e in org.employees]
    reviews: list[Review] = []
    events: list[WorkflowEvent] = []
    seen: set[tuple[str, str, ReviewerRole]] = set()
    for n in range(draw(st.integers(min_value=0, max_value=10))):
        role = draw(st.sampled_from(list(ReviewerRole)))
        subject = draw(st.sampled_from(ids))
        reviewer = subject if role is ReviewerRole.SELF else draw(st.sampled_from(ids))
        if (role is not ReviewerRole.SELF and reviewer == subject) or (
            (subject, reviewer, role) in seen
        ):
            continue
        seen.add((subject, reviewer, role))
        draft = Review(
            id=f"r{n}",
            cycle_id="c26",
            form_id="form",
            subject=subject,
            reviewer=reviewer,
            role=role,
            ratings=[CriterionRating(criterion_id="overall", rating=rating())],
        )
        if draw(st.booleans()):
            reviews.append(draft)
            continue
        at = draw(moments(date(2026, 4, 25), date(2026, 6, 10)))
        submitted, event = draft.submit(reviewer, at)
        reviews.append(submitted)
        if draw(st.integers(min_value=0, max_value=4)) > 0:
            events.append(event)
    return reviews, events


@st.composite
def scenarios(
    draw: st.DrawFn, with_check_ins: bool = True
) -> tuple[CycleData, list[WorkflowEvent], date]:
    """A small whole cycle, the review workflow's events, and a day to look at it on."""
    org = draw(organisations())
    reviews, events = draw(reviews_and_events(org))
    data = CycleData(
        organisation=org,
        cycle=draw(cycles()),
        goals=draw(goal_sets(org, with_check_ins)),
        feedback=draw(feedback_logs(org)),
        scales=BUILTIN_SCALES,
        forms=[FORM],
        reviews=reviews,
    )
    on = CYCLE_START + timedelta(days=draw(st.integers(min_value=-10, max_value=200)))
    return data, events, on


def shuffled(data: CycleData) -> CycleData:
    """The same data with every collection in reverse order (a different input order)."""
    org = data.organisation
    return attrs.evolve(
        data,
        organisation=Organisation(units=org.units[::-1], employees=org.employees[::-1]),
        goals=GoalSet(goals=data.goals.goals[::-1], check_ins=data.goals.check_ins[::-1]),
        feedback=FeedbackLog(events=data.feedback.events[::-1]),
        reviews=data.reviews[::-1],
    )


# --- cycle results (for trends) -----------------------------------------------------------


def cycle_result(
    cycle_id: str,
    rows: Sequence[tuple[str, str, str | None, float]],
    scale: ScaleRef = FIVE_POINT.ref,
) -> CycleResult:
    """A minimal cycle result: ``(employee, unit, manager, final rating)`` per person."""
    entries = [
        CalibrationEntry(
            employee_id=pid,
            unit_id=unit,
            manager_id=manager,
            job_level="L2",
            score=value,
            rating=Rating(scale=scale, value=value),
        )
        for pid, unit, manager, value in rows
    ]
    session = CalibrationSession(
        id=f"{cycle_id}-calibration", name="Calibration", scale=scale, population=entries
    )
    employees = [
        EmployeeResult(
            employee_id=pid,
            unit_id=unit,
            score=Score.of(pid, "test", scale, [Component.leaf("all", 1.0, value)]),
            rating_before=Rating(scale=scale, value=value),
            rating_after=Rating(scale=scale, value=value),
        )
        for pid, unit, _, value in rows
    ]
    return CycleResult(
        cycle_id=cycle_id,
        policy="test",
        at=datetime(2026, 12, 20, tzinfo=UTC),
        employees=employees,
        calibration=session,
        distribution=session.report(),
    )


@st.composite
def result_series(draw: st.DrawFn) -> list[CycleResult]:
    """One to four cycles of results over the same few people, ratings 1-5."""
    people = [("a", "u1", "m"), ("b", "u1", "m"), ("c", "u2", "n"), ("d", "t1", "m")]
    out = []
    for k in range(draw(st.integers(min_value=1, max_value=4))):
        rows = [
            (pid, unit, manager, float(draw(st.integers(min_value=1, max_value=5))))
            for pid, unit, manager in people
            if draw(st.integers(min_value=0, max_value=4)) > 0
        ]
        out.append(cycle_result(f"fy{2020 + k}", rows))
    return out

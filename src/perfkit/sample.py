"""A seeded generator of realistic sample organisations and their review cycle.

``sample_cycle(size=60, seed=2026)`` builds a company of ``size`` people: reporting lines with a
span of control of 4 to 10, divisions and teams, pay in EUR or GBP with salary bands, company
goals cascaded to divisions, teams and individuals (numeric, percentage, lower-is-better,
milestone and binary metrics), bi-weekly check-ins through the check-in phase (some people
lapse, so reminders are due), feedback events (praise, constructive feedback, one-on-one notes,
feedback requests and responses) and year-end reviews (self, manager, peers) whose ratings carry
each manager's own leniency.

The same ``size`` and ``seed`` always give the same data (``random.Random(seed)``, no clock), so
the demo, the tests and the benchmarks share it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs

from ._errors import ValidationError
from .cycles import Cadence, CycleStage, Phase, PhaseWindow, ReviewCycle
from .dataset import CycleData
from .feedback import (
    Constructive,
    FeedbackEvent,
    FeedbackLog,
    FeedbackRequest,
    FeedbackResponse,
    Note,
    NoteContext,
    Praise,
    Visibility,
)
from .goals import Alignment, CheckIn, Goal, GoalSet, GoalStatus, Owner, OwnerKind
from .metrics import BinaryMetric, Direction, Metric, Milestone, MilestoneMetric, NumericMetric
from .money import Money, SalaryBand
from .org import Employee, Organisation, OrgUnit
from .reviews import (
    Criterion,
    CriterionKind,
    CriterionRating,
    Review,
    ReviewerRole,
    ReviewForm,
    ReviewStatus,
)
from .scales import BUILTIN_SCALES, FIVE_POINT, Rating

if TYPE_CHECKING:
    from .run import CyclePolicy

__all__ = [
    "BENCHMARK_SHAPE",
    "COMPANY_ID",
    "DEMO_DATE",
    "MAX_SIZE",
    "SampleShape",
    "sample_cycle",
    "sample_policy",
]

COMPANY_ID = "acme"
"""The id of the sample company (its root org unit, and the owner id of company goals)."""

MAX_SIZE = 1_000_000
"""The largest sample organisation the generator builds."""

DEMO_DATE = date(2026, 4, 30)
"""The day the demo looks at: the end of the first quarter of check-ins."""

_TZ = "Europe/Paris"
_YEAR = 2026
_YEAR_END = date(2026, 12, 31)
_CHECKIN_START = date(2026, 2, 2)  # a Monday: bi-weekly check-ins fall on Mondays
_CHECKIN_END = date(2026, 11, 30)  # the end of the check-in phase

_FIRST = [
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Arjun",
    "Bea",
    "Bruno",
    "Chen",
    "Chloé",
    "Dara",
    "Diego",
    "Elif",
    "Emma",
    "Farid",
    "Femi",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Ivan",
    "Jae",
    "Jonas",
    "Kai",
    "Kenji",
    "Lea",
    "Lina",
    "Luca",
    "Maya",
    "Mei",
    "Nadia",
    "Nils",
    "Noor",
    "Omar",
    "Priya",
    "Rafael",
    "Rosa",
    "Sam",
    "Sara",
    "Sofia",
    "Tariq",
    "Theo",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
    "Yusuf",
    "Zoe",
]
_LAST = [
    "Abara",
    "Bauer",
    "Castro",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jansen",
    "Kowalski",
    "Laurent",
    "Martin",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Petit",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Urban",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
]
_LOCATIONS = (("Paris", "EUR"), ("Lyon", "EUR"), ("Berlin", "EUR"), ("London", "GBP"))
_GENDERS = ("female", "male", "female", "male", "non-binary")
_MIDPOINTS = {1: 38_000, 2: 46_000, 3: 56_000, 4: 70_000, 5: 90_000, 6: 120_000, 7: 180_000}
_GBP_RATE = Decimal("0.86")
_DIVISIONS = ("Sales", "Engineering", "Support", "Marketing", "Operations")
_PRAISE = (
    "Thanks for jumping in on the escalation, the customer noticed.",
    "Your write-up made the decision easy for everyone.",
    "Great pairing session, I learned a lot.",
    "You kept the launch calm and on time.",
)
_CONSTRUCTIVE = (
    "Share drafts earlier so others can help sooner.",
    "The status updates were hard to follow; a short summary first would help.",
    "Let's agree on priorities before taking on new requests.",
)
_NOTES = (
    "1:1: reviewed progress on quarterly goals; agreed next steps.",
    "Check-in: blocked on data access, escalated.",
    "1:1: talked about growth and the next course to take.",
)


def _extra_count(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationError(attribute.name, value, "is not a whole number from 0 to 100")


@attrs.frozen(kw_only=True)
class SampleShape:
    """How dense the sample is, beyond its default shape.

    By default every person has two goals (one numeric target with bi-weekly check-ins, one
    development course), about four feedback events and three or four reviews.
    ``extra_goals`` adds that many numeric goals per person, each aligned to their team's goal
    and checked in at the end of some quarters; ``extra_feedback`` adds that many praise events
    about each person from colleagues anywhere in the company. The extras come from a random
    stream of their own, so the default part of the data is the same whatever the shape.
    """

    extra_goals: int = attrs.field(default=0, validator=_extra_count)
    extra_feedback: int = attrs.field(default=0, validator=_extra_count)


BENCHMARK_SHAPE = SampleShape(extra_goals=8, extra_feedback=16)
"""The shape of the scale benchmarks: about 10 goals with check-ins, 20 feedback events and 4
reviews per person."""

_QUARTER_ENDS = (date(_YEAR, 3, 31), date(_YEAR, 6, 30), date(_YEAR, 9, 30))


@attrs.frozen
class _Company:
    """Company and division goals: what the cascade aligns to."""

    goals: list[Goal]
    division_goal: dict[str, str]  # division unit id -> its goal id
    division_function: dict[str, str]  # division unit id -> function name


def _aware(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(_TZ))


def _cycle() -> ReviewCycle:
    def window(phase: Phase, start: tuple[int, int], end: tuple[int, int]) -> PhaseWindow:
        return PhaseWindow(phase=phase, start=date(_YEAR, *start), end=date(_YEAR, *end))

    return ReviewCycle(
        id="fy2026",
        name="Performance year 2026",
        start=date(_YEAR, 1, 1),
        end=date(_YEAR, 12, 31),
        phases=(
            window(Phase.GOAL_SETTING, (1, 1), (1, 31)),
            window(Phase.CHECK_INS, (2, 2), (11, 30)),
            window(Phase.SELF_REVIEW, (12, 1), (12, 10)),
            window(Phase.PEER_REVIEW, (12, 1), (12, 10)),
            window(Phase.MANAGER_REVIEW, (12, 5), (12, 15)),
            window(Phase.CALIBRATION, (12, 16), (12, 20)),
            window(Phase.REWARDS, (12, 21), (12, 31)),
        ),
        cadence=Cadence.biweekly(),
        timezone=_TZ,
        grace_days=7,
        stage=CycleStage.CALIBRATION,
    )


def _reporting_lines(size: int, rng: random.Random) -> list[int | None]:
    """Manager index of each person, breadth first, span of control 4 to 10."""
    managers: list[int | None] = [None]
    queue = [0]
    head = 0
    while len(managers) < size:
        boss = queue[head]
        head += 1
        for _ in range(rng.randint(4, 10)):
            if len(managers) == size:
                break
            queue.append(len(managers))
            managers.append(boss)
    return managers


def _band(level: int, currency: str) -> SalaryBand:
    mid = Decimal(_MIDPOINTS[level]) * (_GBP_RATE if currency == "GBP" else 1)
    mid = mid.quantize(Decimal(1000))

    def m(x: Decimal) -> Money:
        return Money(amount=x.quantize(Decimal(100)), currency=currency)

    return SalaryBand(
        minimum=m(mid * Decimal("0.8")), midpoint=m(mid), maximum=m(mid * Decimal("1.2"))
    )


def _organisation(size: int, rng: random.Random) -> tuple[Organisation, list[int]]:
    managers = _reporting_lines(size, rng)
    width = max(4, len(str(size - 1)))
    ids = [f"e{i:0{width}d}" for i in range(size)]
    depth = [0] * size
    has_reports = [False] * size
    for i, boss in enumerate(managers):
        if boss is not None:
            depth[i] = depth[boss] + 1
            has_reports[boss] = True
    units = [OrgUnit(id=COMPANY_ID, name="Acme Ltd", head_id=ids[0])]
    unit_of = [COMPANY_ID] * size
    division_count = 0
    for i in range(1, size):
        boss = managers[i]
        assert boss is not None
        if depth[i] == 1:
            function = _DIVISIONS[division_count % len(_DIVISIONS)]
            suffix = "" if division_count < len(_DIVISIONS) else f" {division_count // 5 + 1}"
            unit_id = f"u{division_count + 1:02d}"
            units.append(
                OrgUnit(
                    id=unit_id, name=f"{function}{suffix}", parent_id=COMPANY_ID, head_id=ids[i]
                )
            )
            division_count += 1
            unit_of[i] = unit_id
        elif has_reports[i]:
            unit_id = f"t-{ids[i]}"
            units.append(
                OrgUnit(id=unit_id, name=f"Team {ids[i]}", parent_id=unit_of[boss], head_id=ids[i])
            )
            unit_of[i] = unit_id
        else:
            unit_of[i] = unit_of[boss]
    employees = []
    for i in range(size):
        location, currency = _LOCATIONS[rng.randrange(len(_LOCATIONS))]
        level = max(7 - depth[i], 3) if has_reports[i] else rng.randint(1, 4)
        band = _band(level, currency)
        pay = band.midpoint.amount * Decimal(rng.randint(85, 115)) / 100
        roll = rng.random()
        if roll < 0.08 and i > 0:
            hired = date(_YEAR, 1, 1) + timedelta(days=rng.randint(0, 100))
        else:
            hired = date(2012, 1, 1) + timedelta(days=rng.randint(0, 5000))
        ended = None
        if 0.08 <= roll < 0.11 and not has_reports[i]:
            ended = date(_YEAR, 3, 1) + timedelta(days=rng.randint(0, 55))
        name = f"{_FIRST[rng.randrange(len(_FIRST))]} {_LAST[rng.randrange(len(_LAST))]}"
        employees.append(
            Employee(
                id=ids[i],
                name=name,
                manager_id=None if managers[i] is None else ids[managers[i]],  # type: ignore[index]
                unit_id=unit_of[i],
                hire_date=hired,
                end_date=ended,
                job_level=f"L{level}",
                base_pay=Money(amount=pay.quantize(Decimal(100)), currency=currency),
                band=band,
                attributes={
                    "location": location,
                    "gender": _GENDERS[rng.randrange(len(_GENDERS))],
                    "employment": "part_time" if rng.random() < 0.1 else "full_time",
                    "potential": str(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))),
                },
            )
        )
    return Organisation(units=units, employees=employees), depth


def _goal(
    goal_id: str,
    title: str,
    owner: Owner,
    metric: Metric,
    *,
    parents: Sequence[tuple[str, float]] = (),
    weight: float = 1.0,
    status: GoalStatus = GoalStatus.IN_PROGRESS,
    proposed_by: str | None = None,
) -> Goal:
    return Goal(
        id=goal_id,
        title=title,
        owner=owner,
        cycle_id="fy2026",
        aligns_to=[Alignment(parent_id=p, weight=w) for p, w in parents],
        weight=weight,
        start_date=date(_YEAR, 1, 1),
        end_date=date(_YEAR, 12, 31),
        status=status,
        metric=metric,
        proposed_by=proposed_by,
    )


def _function_metric(function: str, scale: float) -> Metric:
    """The measurable target a unit or a person of this function works toward."""
    if function == "Sales":
        return NumericMetric(baseline=0, target=round(3_000_000 * scale, -3), unit="EUR")
    if function == "Support":
        return NumericMetric(baseline=80, target=95, unit="% tickets resolved within 24 h")
    if function == "Marketing":
        base = round(1000 * scale)
        return NumericMetric(baseline=base, target=round(base * 1.2), unit="interactions/week")
    if function == "Engineering":
        return MilestoneMetric(
            milestones=(
                Milestone(id="design", title="Design approved", weight=1, due=date(_YEAR, 3, 31)),
                Milestone(
                    id="beta", title="Beta with 10 customers", weight=2, due=date(_YEAR, 6, 30)
                ),
                Milestone(id="ga", title="General availability", weight=3, due=date(_YEAR, 10, 31)),
            )
        )
    budget = round(500_000 * scale, -2)
    return NumericMetric(
        baseline=budget,
        target=round(budget * 0.84, -2),
        unit="EUR spent",
        direction=Direction.DOWN,
    )


_FUNCTION_TITLE = {
    "Sales": "Close new business",
    "Support": "Resolve 95% of support tickets within 24 h",
    "Marketing": "Raise social media engagement by 20% this quarter",
    "Engineering": "Ship the platform v2",
    "Operations": "Deliver the office move within budget",
}
# Which company goals each function's goals contribute to, with contribution weights.
_FUNCTION_PARENTS = {
    "Sales": (("c-revenue", 2.0),),
    "Support": (("c-nps", 1.0),),
    "Marketing": (("c-engagement", 1.0),),
    "Engineering": (("c-revenue", 1.0), ("c-nps", 1.0)),
    "Operations": (("c-revenue", 0.5),),
}


def _company_goals(org: Organisation) -> _Company:
    company = Owner(kind=OwnerKind.COMPANY, id=COMPANY_ID)
    goals = [
        _goal(
            "c-revenue",
            "Grow revenue to 12M EUR",
            company,
            NumericMetric(baseline=9_000_000, target=12_000_000, unit="EUR"),
        ),
        _goal(
            "c-nps",
            "Raise customer NPS to 50",
            company,
            NumericMetric(baseline=32, target=50, unit="NPS"),
        ),
        _goal(
            "c-engagement",
            "Raise social media engagement by 20%",
            company,
            NumericMetric(baseline=10_000, target=12_000, unit="interactions/week"),
        ),
    ]
    division_goal: dict[str, str] = {}
    division_function: dict[str, str] = {}
    divisions = [u for u in org.units if u.parent_id == COMPANY_ID]
    for n, unit in enumerate(divisions):
        function = _DIVISIONS[n % len(_DIVISIONS)]
        gid = f"{unit.id}-g1"
        goals.append(
            _goal(
                gid,
                f"{unit.name}: {_FUNCTION_TITLE[function]}",
                Owner(kind=OwnerKind.UNIT, id=unit.id),
                _function_metric(function, 1.0),
                parents=_FUNCTION_PARENTS[function],
            )
        )
        division_goal[unit.id] = gid
        division_function[unit.id] = function
    return _Company(goals=goals, division_goal=division_goal, division_function=division_function)


def _cascade(
    org: Organisation, company: _Company, rng: random.Random
) -> tuple[list[Goal], dict[str, tuple[str, float]]]:
    """Team goals under their division's goal, and each person's goals under their unit's goal.

    Returns the goals and, per individual target goal, (function, the person's final attainment).
    """
    goals = list(company.goals)
    unit_goal = dict(company.division_goal)
    function_of = dict(company.division_function)
    by_id = {u.id: u for u in org.units}
    for unit in org.units:  # parents are listed before their children
        if unit.parent_id is None or unit.id in unit_goal:
            continue
        parent = by_id[unit.parent_id]
        function = function_of.get(parent.id, "Operations")
        function_of[unit.id] = function
        gid = f"{unit.id}-g1"
        goals.append(
            _goal(
                gid,
                f"{unit.name}: {_FUNCTION_TITLE[function]}",
                Owner(kind=OwnerKind.UNIT, id=unit.id),
                _function_metric(function, 0.3),
                parents=((unit_goal[parent.id], 1.0),),
            )
        )
        unit_goal[unit.id] = gid
    targets: dict[str, tuple[str, float]] = {}
    for e in org.employees:
        if e.unit_id == COMPANY_ID:
            continue
        function = function_of[e.unit_id]
        me = Owner(kind=OwnerKind.EMPLOYEE, id=e.id)
        gid = f"{e.id}-g1"
        final = min(1.4, max(0.0, rng.gauss(1.0, 0.25)))
        goals.append(
            _goal(
                gid,
                _FUNCTION_TITLE[function],
                me,
                _function_metric(function, 0.05),
                parents=((unit_goal[e.unit_id], round(rng.uniform(0.5, 2.0), 1)),),
                weight=0.7,
                proposed_by=e.manager_id,
            )
        )
        targets[gid] = (function, final)
        goals.append(
            _goal(
                f"{e.id}-g2",
                "Complete a development course",
                me,
                BinaryMetric(),
                weight=0.3,
                proposed_by=e.id,
            )
        )
        targets[f"{e.id}-g2"] = ("Development", final)
    return goals, targets


def _reading(goal: Goal, final: float, progress: float, rng: random.Random) -> dict[str, Any]:
    """The check-in reading of a goal ``progress`` of the way to the person's final attainment."""
    metric = goal.metric
    reached = max(0.0, final * progress + rng.gauss(0, 0.04))
    if isinstance(metric, NumericMetric):
        value = metric.baseline + (metric.target - metric.baseline) * reached
        return {"value": round(value, 1)}
    if isinstance(metric, MilestoneMetric):
        count = min(len(metric.milestones), int(reached * len(metric.milestones) + 0.3))
        return {"milestones_done": tuple(m.id for m in metric.milestones[:count])}
    return {"done": reached > 0.8}


def _check_ins(
    org: Organisation,
    goals: list[Goal],
    targets: dict[str, tuple[str, float]],
    cycle: ReviewCycle,
    rng: random.Random,
) -> list[CheckIn]:
    assert cycle.cadence is not None
    days = cycle.cadence.occurrences(_CHECKIN_START, _CHECKIN_END)
    span = (_CHECKIN_END - _CHECKIN_START).days
    diligence = {e.id: rng.choice((0.95, 0.9, 0.8, 0.6, 0.3)) for e in org.employees}
    by_id = {e.id: e for e in org.employees}
    out: list[CheckIn] = []
    for goal in goals:
        if goal.id not in targets:
            continue
        owner = by_id[goal.owner.id]
        _, final = targets[goal.id]
        for n, day in enumerate(days):
            late = day + timedelta(days=rng.randint(0, 3))
            if late < owner.hire_date or (owner.end_date and late > owner.end_date):
                continue
            if late > _CHECKIN_END or rng.random() > diligence[owner.id]:
                continue
            author = (
                owner.id if rng.random() < 0.8 or owner.manager_id is None else owner.manager_id
            )
            out.append(
                CheckIn(
                    id=f"{goal.id}-c{n + 1}",
                    goal_id=goal.id,
                    author=author,
                    at=_aware(late, rng.randint(9, 17), rng.choice((0, 15, 30, 45))),
                    confidence=round(rng.uniform(0.4, 1.0), 2),
                    note="" if rng.random() < 0.5 else "On track after the last 1:1.",
                    **_reading(goal, final, (late - _CHECKIN_START).days / span, rng),
                )
            )
    return out


def _feedback(org: Organisation, rng: random.Random) -> list[FeedbackEvent]:
    events: list[FeedbackEvent] = []
    employees = org.employees
    start = date(_YEAR, 2, 2)

    def when() -> datetime:
        return _aware(start + timedelta(days=rng.randint(0, 86)), rng.randint(8, 18))

    for e in employees:
        if e.manager_id is None:
            continue
        peers = [p.id for p in org.direct_reports(e.manager_id) if p.id != e.id]
        stamp = e.id
        if peers:
            for k in range(rng.randint(0, 3)):
                events.append(
                    Praise(
                        id=f"f-{stamp}-p{k}",
                        author=rng.choice(peers),
                        subject=e.id,
                        at=when(),
                        text=rng.choice(_PRAISE),
                    )
                )
        events.append(
            Note(
                id=f"f-{stamp}-n",
                author=e.manager_id,
                subject=e.id,
                at=when(),
                text=rng.choice(_NOTES),
                context=NoteContext.ONE_ON_ONE,
            )
        )
        if rng.random() < 0.4:
            events.append(
                Constructive(
                    id=f"f-{stamp}-k",
                    author=e.manager_id,
                    subject=e.id,
                    at=when(),
                    text=rng.choice(_CONSTRUCTIVE),
                    visibility=Visibility.MANAGER_CHAIN,
                )
            )
        if len(peers) >= 3 and rng.random() < 0.3:
            asked = tuple(sorted(rng.sample(peers, 3)))
            asked_at = _aware(date(_YEAR, 3, 2), 9)
            events.append(
                FeedbackRequest(
                    id=f"f-{stamp}-r",
                    author=e.manager_id,
                    subject=e.id,
                    at=asked_at,
                    requested_from=asked,
                    question="What should they keep doing, and change?",
                )
            )
            for k, peer in enumerate(asked[:2]):
                events.append(
                    FeedbackResponse(
                        id=f"f-{stamp}-r{k}",
                        request_id=f"f-{stamp}-r",
                        author=peer,
                        subject=e.id,
                        at=asked_at + timedelta(days=rng.randint(1, 14)),
                        text="Keep the clear writing; involve the team earlier.",
                        visibility=Visibility.ANONYMOUS,
                    )
                )
    return events


def _extra_goals(
    org: Organisation, goals: list[Goal], count: int, rng: random.Random
) -> tuple[list[Goal], list[CheckIn]]:
    """``count`` more numeric goals per person, under their first goal's parent, each checked
    in at the end of some quarters (by its owner)."""
    parent_of = {g.id: g.aligns_to[0].parent_id for g in goals if g.aligns_to}
    out: list[Goal] = []
    check_ins: list[CheckIn] = []
    for e in org.employees:
        parent = parent_of.get(f"{e.id}-g1")
        if parent is None:
            continue
        me = Owner(kind=OwnerKind.EMPLOYEE, id=e.id)
        for k in range(count):
            gid = f"{e.id}-x{k + 1}"
            target = float(rng.choice((10, 20, 50, 100)))
            goal = _goal(
                gid,
                f"Key result {k + 1}",
                me,
                NumericMetric(baseline=0, target=target, unit="points"),
                parents=((parent, 0.5),),
                weight=0.1,
                proposed_by=e.id,
            )
            out.append(goal)
            final = min(1.4, max(0.0, rng.gauss(1.0, 0.3)))
            for q, day in enumerate(_QUARTER_ENDS):
                if day < e.hire_date or (e.end_date and day > e.end_date) or rng.random() < 0.5:
                    continue
                check_ins.append(
                    CheckIn(
                        id=f"{gid}-q{q + 1}",
                        goal_id=gid,
                        author=e.id,
                        at=_aware(day, 17),
                        value=round(target * final * (q + 1) / 4, 1),
                    )
                )
    return out, check_ins


def _extra_feedback(org: Organisation, count: int, rng: random.Random) -> list[FeedbackEvent]:
    """``count`` praise events about each person from colleagues anywhere in the company."""
    ids = [e.id for e in org.employees]
    start = date(_YEAR, 2, 2)
    out: list[FeedbackEvent] = []
    for e in org.employees:
        if e.manager_id is None:
            continue
        for k in range(count):
            author = ids[rng.randrange(len(ids))]
            if author == e.id:
                continue
            out.append(
                Praise(
                    id=f"f-{e.id}-x{k}",
                    author=author,
                    subject=e.id,
                    at=_aware(start + timedelta(days=rng.randint(0, 280)), rng.randint(8, 18)),
                    text=_PRAISE[rng.randrange(len(_PRAISE))],
                )
            )
    return out


def _form() -> ReviewForm:
    ref = FIVE_POINT.ref
    return ReviewForm(
        id="annual-2026",
        name="Annual review 2026",
        criteria=(
            Criterion(
                id="goals", name="Goal results", kind=CriterionKind.GOAL, weight=0.6, scale=ref
            ),
            Criterion(
                id="collaboration",
                name="Collaboration",
                kind=CriterionKind.COMPETENCY,
                weight=0.2,
                scale=ref,
            ),
            Criterion(
                id="ownership",
                name="Ownership",
                kind=CriterionKind.COMPETENCY,
                weight=0.2,
                scale=ref,
            ),
        ),
    )


def _reviews(
    org: Organisation, targets: dict[str, tuple[str, float]], rng: random.Random
) -> list[Review]:
    """Year-end reviews: a self review, the manager's and up to two peers', all submitted.

    Ratings follow each person's final attainment, bent by who rates: every manager has a
    leniency of their own (so rater effects are there to find), people rate themselves a little
    higher, and every rating has some noise.
    """
    leniency = {e.id: round(rng.gauss(0.0, 0.45), 2) for e in org.employees}
    ref = FIVE_POINT.ref
    out: list[Review] = []
    for e in org.employees:
        if e.manager_id is None or f"{e.id}-g1" not in targets or not e.is_active(_YEAR_END):
            continue
        _, final = targets[f"{e.id}-g1"]
        level = 3 + (final - 1.0) / 0.25
        peers = [p.id for p in org.direct_reports(e.manager_id) if p.id != e.id]
        raters = [(e.id, ReviewerRole.SELF, 0.4), (e.manager_id, ReviewerRole.MANAGER, None)]
        raters += [
            (p, ReviewerRole.PEER, 0.0) for p in sorted(rng.sample(peers, min(2, len(peers))))
        ]
        for reviewer, role, bias in raters:
            shift = leniency[reviewer] if bias is None else bias
            ratings = []
            for criterion, noise in (("collaboration", 0.7), ("goals", 0.35), ("ownership", 0.7)):
                value = round(level + shift + rng.gauss(0.0, noise))
                rating = Rating(scale=ref, value=float(min(5, max(1, value))))
                ratings.append(CriterionRating(criterion_id=criterion, rating=rating))
            out.append(
                Review(
                    id=f"r-{e.id}-{role.value}-{reviewer}",
                    cycle_id="fy2026",
                    form_id="annual-2026",
                    subject=e.id,
                    reviewer=reviewer,
                    role=role,
                    ratings=tuple(ratings),
                    status=ReviewStatus.SUBMITTED,
                    version=4,
                )
            )
    return out


def sample_cycle(
    size: int = 60, *, seed: int = 2026, shape: SampleShape | None = None
) -> CycleData:
    """A realistic sample organisation of ``size`` people and its 2026 review cycle.

    Deterministic: the same ``size``, ``seed`` and ``shape`` give equal data (and
    byte-identical JSON). ``shape`` (:class:`SampleShape`) makes it denser, e.g.
    :data:`BENCHMARK_SHAPE` for the scale benchmarks.
    """
    if isinstance(size, bool) or not isinstance(size, int) or not 2 <= size <= MAX_SIZE:
        raise ValidationError(
            "size", size, f"is not a whole number of people from 2 to {MAX_SIZE:,}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValidationError("seed", seed, "is not an integer")
    if shape is not None and not isinstance(shape, SampleShape):
        raise ValidationError("shape", shape, "is not a SampleShape")
    rng = random.Random(seed)
    org, _ = _organisation(size, rng)
    cycle = _cycle()
    company = _company_goals(org)
    goals, targets = _cascade(org, company, rng)
    check_ins = _check_ins(org, goals, targets, cycle, rng)
    feedback = _feedback(org, rng)
    reviews = _reviews(org, targets, rng)
    if shape is not None:
        extra = random.Random(f"{seed}/shape")
        more_goals, more_check_ins = _extra_goals(org, goals, shape.extra_goals, extra)
        goals += more_goals
        check_ins += more_check_ins
        feedback += _extra_feedback(org, shape.extra_feedback, extra)
    return CycleData(
        organisation=org,
        cycle=cycle,
        goals=GoalSet(goals=goals, check_ins=check_ins),
        feedback=FeedbackLog(events=feedback),
        scales=BUILTIN_SCALES,
        forms=(_form(),),
        reviews=reviews,
    )


def sample_policy(data: CycleData | None = None, *, calibration: str = "advise") -> CyclePolicy:
    """The policy the demo runs the sample cycle with.

    Weighted components (goals 0.6, competencies 0.4; manager 60, peers 30, self 10) on the
    five-point scale; a guideline of 5-15% / 15-25% / 30-50% / 15-25% / 5-15% (advice, or forced
    with ``calibration="force"``, which aims at the midpoints 10/20/40/20/10);
    a 9-box with cut-offs at 2.5 and 3.5; a merit matrix by rating and compa-ratio band; budget
    pools of 3% of payroll (one pool per division when ``data`` is given, else one for the
    company), GBP converted at 1 GBP = 1.16 EUR; a bonus plan; a spot award for three praises;
    development plans by the default rules.
    """
    if data is not None and not isinstance(data, CycleData):
        raise ValidationError("data", data, "is not a CycleData")
    # Imported here: run imports the scoring and rewards machinery, which sample does not need
    # for the data alone.
    from .calibration import DistributionGuideline, Target
    from .development import DevelopmentRules
    from .ninebox import NineBoxCutoffs
    from .rewards import (
        BonusPlan,
        CompaBand,
        EligibilityRules,
        LevelTarget,
        MeritMatrix,
        RateTable,
        RatingMultiplier,
        RecognitionRule,
    )
    from .run import CyclePolicy
    from .scoring import make_policy

    d = Decimal
    rates = RateTable.of("EUR", {"GBP": "1.16"})
    matrix = MeritMatrix.from_rows(
        FIVE_POINT.ref,
        [
            CompaBand(label="below 0.95", upper=d("0.95")),
            CompaBand(label="0.95-1.05", upper=d("1.05")),
            CompaBand(label="above 1.05"),
        ],
        {
            1: ["0", "0", "0"],
            2: ["1.5", "1", "0"],
            3: ["4", "3", "2"],
            4: ["5.5", "4.5", "3.5"],
            5: ["7", "6", "5"],
        },
    )
    return CyclePolicy(
        scoring=make_policy(
            "weighted_components",
            {
                "weights": {"goals": 0.6, "competencies": 0.4},
                "roles": {"manager": 60, "peer": 30, "self": 10},
            },
        ),
        rating_scale=FIVE_POINT.ref,
        guideline=DistributionGuideline(
            scale=FIVE_POINT.ref,
            targets=[
                Target(value=value, minimum=low, maximum=high)
                for value, low, high in (
                    (1, 0.05, 0.15),
                    (2, 0.15, 0.25),
                    (3, 0.30, 0.50),
                    (4, 0.15, 0.25),
                    (5, 0.05, 0.15),
                )
            ],
        ),
        calibration=calibration,
        nine_box=NineBoxCutoffs(performance=(2.5, 3.5), potential=(2.5, 3.5)),
        merit=matrix,
        eligibility=EligibilityRules(min_tenure_days=90, min_rating=2),
        pools=_sample_pools(data, rates),
        rates=rates,
        bonus=BonusPlan(
            scale=FIVE_POINT.ref,
            targets=[LevelTarget(job_level=f"L{n}", pct=d(5 * (n - 3))) for n in (5, 6, 7)],
            default_target_pct=d(5),
            multipliers=[
                RatingMultiplier(rating=r, multiplier=d(m))
                for r, m in ((1, "0"), (2, "0.5"), (3, "1"), (4, "1.25"), (5, "1.5"))
            ],
            company_multiplier=d("1.1"),
            cap=d("1.5"),
        ),
        recognition=(
            RecognitionRule(id="spot", min_praise=3, window_days=365, award=Money.of("250", "EUR")),
        ),
        development=DevelopmentRules(),
    )


def _sample_pools(data: CycleData | None, rates: Any) -> tuple[Any, ...]:
    """Budget pools of 3% of payroll in EUR: one per division (a pool covers its subunits), or
    one for the company without data."""
    from .rewards import BudgetPool

    if data is None:
        return (BudgetPool(unit_id=COMPANY_ID, amount=Money.of("60000", "EUR")),)
    org = data.organisation
    pools = []
    for unit in org.units:
        if unit.parent_id != COMPANY_ID:
            continue
        payroll = Money.zero("EUR")
        for person in org.unit_members(unit.id):
            payroll = payroll + rates.to_base(person.base_pay)
        budget = payroll.times(Decimal("0.03")).quantize(0, ROUND_DOWN)
        pools.append(BudgetPool(unit_id=unit.id, amount=budget))
    return tuple(pools)

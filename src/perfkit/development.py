"""Development plans: improvement plans and growth plans opened from a cycle's outcomes.

After ratings are final, people whose performance fell short get an **improvement plan** (a
performance improvement plan, PIP): concrete items with owners and due dates, frequent check-ins
and a review date. People with high performance and high potential get a **growth plan** (stretch
work, a mentor, preparation for a next role). A missed KPI target (the support representative who
does not "resolve 95 % of tickets within 24 h") can open an improvement plan tailored to that
target.

:class:`DevelopmentRules` say when a plan opens and what it holds; :func:`plans_for` applies
them to each person's :class:`PerformanceOutcome` and returns the plans, each saying why it was
opened. Plan items move through a small workflow (open → in progress → done, or dropped) that
returns :class:`~perfkit.events.WorkflowEvent`\\ s like every other workflow.
"""

from __future__ import annotations

import enum
import functools
import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from . import _validation as v
from ._errors import NotFoundError, ValidationError
from .cycles import Cadence
from .events import StateMachine, WorkflowEvent
from .goals import GoalSet, GoalStatus, OwnerKind
from .metrics import Direction, NumericMetric
from .scales import FIVE_POINT, Rating, ScaleRef

__all__ = [
    "DevelopmentPlan",
    "DevelopmentRules",
    "GROWTH_ITEMS",
    "IMPROVEMENT_ITEMS",
    "ITEM_WORKFLOW",
    "ItemOwner",
    "ItemStatus",
    "ItemTemplate",
    "MissedTarget",
    "PerformanceOutcome",
    "PlanItem",
    "PlanKind",
    "PlanTrigger",
    "missed_kpis",
    "plans_for",
]


# --- small validators and converters ------------------------------------------------------


def _days(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A number of days: an integer from 0 to 3660 (ten years)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise v.fail(attribute, value, "is not an integer")
    if not 0 <= value <= _MAX_DAYS:
        raise v.fail(attribute, value, f"is not between 0 and {_MAX_DAYS} days")


def _not_empty(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise v.fail(attribute, value, "is empty")


def _g(x: float) -> str:
    return f"{x:g}"


_MAX_DAYS = 3660
_REL_TOL = 1e-9


def _at_or_below(value: float, limit: float) -> bool:
    return value <= limit or abs(value - limit) <= _REL_TOL * max(1.0, abs(limit))


def _at_or_above(value: float, limit: float) -> bool:
    return value >= limit or abs(value - limit) <= _REL_TOL * max(1.0, abs(limit))


# --- plans ---------------------------------------------------------------------------------


class PlanKind(enum.StrEnum):
    """An improvement plan (performance below expectations, or a missed target) or a growth plan
    (high performance and potential)."""

    IMPROVEMENT = "improvement"
    GROWTH = "growth"


class PlanTrigger(enum.StrEnum):
    """Why a plan was opened."""

    LOW_RATING = "low_rating"
    """The final rating is at or below the improvement threshold."""
    MISSED_KPI = "missed_kpi"
    """A KPI target was missed."""
    HIGH_PERFORMANCE_POTENTIAL = "high_performance_potential"
    """Rating and potential are both at or above the growth thresholds."""
    NINE_BOX = "nine_box"
    """The person's 9-box cell is one the rules name for growth."""


class ItemStatus(enum.StrEnum):
    """Where a plan item is: open, in progress, done, or dropped (no longer relevant)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


_I = ItemStatus
ITEM_WORKFLOW: StateMachine[ItemStatus] = StateMachine(
    "plan item",
    {
        _I.OPEN: frozenset({_I.IN_PROGRESS, _I.DONE, _I.DROPPED}),
        _I.IN_PROGRESS: frozenset({_I.DONE, _I.DROPPED}),
    },
)
"""The plan item workflow: done and dropped are final."""


@attrs.frozen(kw_only=True)
class PlanItem:
    """One action of a development plan: what, who owns it, by when, and where it stands.

    ``goal_id`` names the goal an item is about (the missed KPI an improvement item addresses).
    """

    id: str = attrs.field(validator=v.identifier)
    title: str = attrs.field(validator=v.non_empty_text)
    owner: str = attrs.field(validator=v.identifier)
    due: date = attrs.field(validator=v.a_date)
    status: ItemStatus = attrs.field(
        default=ItemStatus.OPEN,
        validator=v.enum_member(ItemStatus),
    )
    goal_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))


def _unique_triggers(
    _inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]
) -> None:
    seen: dict[object, int] = {}
    for i, t in enumerate(value):
        if t in seen:
            raise ValidationError(f"{attribute.name}[{i}]", t, f"repeats triggers[{seen[t]}]")
        seen[t] = i


@attrs.frozen(kw_only=True)
class DevelopmentPlan:
    """A development plan for one employee.

    ``owner`` is who runs it (the manager; the employee themself at the top of the org), with
    check-ins at ``checkin_cadence`` from ``start`` to the ``review_date``, when the plan is
    reviewed. Items fall due within that span. ``triggers`` and ``reason`` say why the plan was
    opened, as data and as a sentence.
    """

    id: str = attrs.field(validator=v.identifier)
    employee_id: str = attrs.field(validator=v.identifier)
    kind: PlanKind = attrs.field(validator=v.enum_member(PlanKind))
    owner: str = attrs.field(validator=v.identifier)
    start: date = attrs.field(validator=v.a_date)
    review_date: date = attrs.field(validator=v.a_date)
    checkin_cadence: Cadence = attrs.field(validator=v.instance_of(Cadence))
    items: tuple[PlanItem, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(PlanItem)), v.unique_ids(lambda i: i.id, "item")],
    )
    triggers: tuple[PlanTrigger, ...] = attrs.field(
        converter=v.tuple_of,
        validator=[v.each(v.enum_member(PlanTrigger)), _not_empty, _unique_triggers],
    )
    reason: str = attrs.field(validator=v.non_empty_text)

    def __attrs_post_init__(self) -> None:
        v.ordered("start", "review_date", strict=True)(self)
        for i, item in enumerate(self.items):
            if item.due < self.start:
                raise ValidationError(
                    f"items[{i}].due", item.due, f"is before the start {self.start}"
                )
            if item.due > self.review_date:
                raise ValidationError(
                    f"items[{i}].due", item.due, f"is after the review date {self.review_date}"
                )

    def checkin_dates(self) -> tuple[date, ...]:
        """The check-in days of the plan, from its start to its review date (both included)."""
        return self.checkin_cadence.occurrences(self.start, self.review_date)

    def item(self, item_id: str) -> PlanItem:
        """The item with this id (:class:`~perfkit.NotFoundError` if there is none)."""
        if not isinstance(item_id, str):
            raise ValidationError("item_id", item_id, "is not a string id")
        for it in self.items:
            if it.id == item_id:
                return it
        raise NotFoundError("plan item", item_id)

    def move_item(
        self, item_id: str, status: ItemStatus, actor: str, at: datetime, note: str = ""
    ) -> tuple[DevelopmentPlan, WorkflowEvent]:
        """Move one item to ``status`` (see :data:`ITEM_WORKFLOW`): the updated plan and the
        event that records the move (subject ``"<plan id>/<item id>"``)."""
        found = self.item(item_id)
        if not isinstance(status, ItemStatus):
            raise ValidationError("status", status, "is not an ItemStatus")
        event = ITEM_WORKFLOW.event(f"{self.id}/{found.id}", found.status, status, actor, at, note)
        items = tuple(attrs.evolve(i, status=status) if i.id == found.id else i for i in self.items)
        return attrs.evolve(self, items=items), event

    @property
    def is_closed(self) -> bool:
        """Every item is done or dropped."""
        return all(i.status in (ItemStatus.DONE, ItemStatus.DROPPED) for i in self.items)


# --- outcomes ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class MissedTarget:
    """A KPI target someone missed: the goal, its target and the last reading.

    ``attainment`` is the goal's attainment (1.0 = on target); ``value`` the latest reading
    (``None`` when nobody checked in).
    """

    goal_id: str = attrs.field(validator=v.identifier)
    title: str = attrs.field(validator=v.non_empty_text)
    target: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    value: float | None = attrs.field(
        default=None, converter=v.as_float, validator=v.optional(v.finite_float)
    )
    unit: str = attrs.field(default="", validator=v.text)
    direction: Direction = attrs.field(default=Direction.UP, validator=v.enum_member(Direction))
    attainment: float = attrs.field(converter=v.as_float, validator=v.finite_float)

    def describe(self) -> str:
        """``'Resolve tickets within 24 h' at 91% against a target of 95%``."""
        unit = self.unit
        sep = "" if unit in ("%", "") else " "
        reading = "no reading" if self.value is None else f"{_num(self.value)}{sep}{unit}"
        target = f"{_num(self.target)}{sep}{unit}"
        return f"{self.title!r} at {reading} against a target of {target}"


def _num(x: float) -> str:
    """A reading as people write it: ``91``, ``4.5``, ``1,234,567``, ``0.125``."""
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.4f}".rstrip("0").rstrip(".")


@attrs.frozen(kw_only=True)
class PerformanceOutcome:
    """What a cycle concluded about one person: the final (calibrated) rating and, when known,
    their potential (on the rules' potential scale), their 9-box cell name and the KPI targets
    they missed. ``manager_id`` owns the plans opened for them."""

    employee_id: str = attrs.field(validator=v.identifier)
    manager_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    rating: Rating = attrs.field(validator=v.instance_of(Rating))
    potential: float | None = attrs.field(
        default=None, converter=v.as_float, validator=v.optional(v.finite_float)
    )
    nine_box: str | None = attrs.field(default=None, validator=v.optional(v.non_empty_text))
    missed_targets: tuple[MissedTarget, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(MissedTarget)), v.unique_ids(lambda m: m.goal_id, "goal")],
    )


def missed_kpis(
    goals: GoalSet, as_of: datetime, *, cycle_id: str | None = None
) -> dict[str, tuple[MissedTarget, ...]]:
    """The KPI targets each employee missed: ``employee id → missed targets`` (by id).

    A KPI is an employee-owned goal with a numeric metric (in cycle ``cycle_id`` when given, not
    archived) whose period has ended by ``as_of``'s date and whose attainment at ``as_of`` is
    below 1.0 (below target; no check-in counts as 0).
    """
    if not isinstance(goals, GoalSet):
        raise ValidationError("goals", goals, "is not a GoalSet")
    if not isinstance(as_of, datetime):
        raise ValidationError("as_of", as_of, "is not a datetime")
    if as_of.tzinfo is None or as_of.tzinfo.utcoffset(as_of) is None:
        raise ValidationError("as_of", as_of, "is a naive datetime; give it a timezone")
    if cycle_id is not None and not isinstance(cycle_id, str):
        raise ValidationError("cycle_id", cycle_id, "is not a string id")
    found: dict[str, list[MissedTarget]] = {}
    for goal in sorted(goals.goals, key=lambda g: g.id):
        metric = goal.metric
        if (
            goal.owner.kind is not OwnerKind.EMPLOYEE
            or goal.status is GoalStatus.ARCHIVED
            or not isinstance(metric, NumericMetric)
            or (cycle_id is not None and goal.cycle_id != cycle_id)
            or goal.end_date > as_of.date()
        ):
            continue
        attainment = goals.attainment(goal.id, as_of)
        if attainment >= 1.0:
            continue
        latest = goals.latest_check_in(goal.id, as_of)
        found.setdefault(goal.owner.id, []).append(
            MissedTarget(
                goal_id=goal.id,
                title=goal.title,
                target=metric.target,
                value=None if latest is None else latest.value,
                unit=metric.unit,
                direction=metric.direction,
                attainment=attainment,
            )
        )
    return {k: tuple(found[k]) for k in sorted(found)}


# --- rules ---------------------------------------------------------------------------------


class ItemOwner(enum.StrEnum):
    """Who owns an item made from a template: the employee or their manager."""

    EMPLOYEE = "employee"
    MANAGER = "manager"


@attrs.frozen(kw_only=True)
class ItemTemplate:
    """An item every plan of a kind starts with, due ``due_days`` after the plan starts."""

    title: str = attrs.field(validator=v.non_empty_text)
    due_days: int = attrs.field(validator=_days)
    owner: ItemOwner = attrs.field(
        default=ItemOwner.EMPLOYEE,
        validator=v.enum_member(ItemOwner),
    )


IMPROVEMENT_ITEMS: tuple[ItemTemplate, ...] = (
    ItemTemplate(
        title="Agree the expected results and behaviours, and how they will be measured",
        due_days=14,
        owner=ItemOwner.MANAGER,
    ),
    ItemTemplate(title="Follow the agreed training and support", due_days=60),
    ItemTemplate(title="Mid-plan review of progress", due_days=45, owner=ItemOwner.MANAGER),
)
"""The default items of an improvement plan (a performance improvement plan)."""
GROWTH_ITEMS: tuple[ItemTemplate, ...] = (
    ItemTemplate(title="Agree a development goal towards the next role", due_days=30),
    ItemTemplate(title="Find a mentor outside the reporting line", due_days=60),
    ItemTemplate(title="Lead a stretch assignment", due_days=150),
)
"""The default items of a growth plan."""


@attrs.frozen(kw_only=True)
class DevelopmentRules:
    """When plans open and what they hold.

    * **Improvement**: a final rating at or below ``improvement_at_or_below`` (``None``: never),
      on ``scale``; with ``kpi_plans``, also any missed KPI target. The plan holds the
      ``improvement_items`` (when opened for the rating) and one item per missed target,
      check-ins at ``improvement_cadence`` and a review ``improvement_review_days`` after the
      plan starts.
    * **Growth**: a rating at or above ``growth_min_rating`` *and* a potential at or above
      ``growth_min_potential`` (both must be set), or a 9-box cell listed in ``growth_cells``.
      The plan holds the ``growth_items``, check-ins at ``growth_cadence`` and a review
      ``growth_review_days`` after the start.

    A person can get both (a high performer who missed one KPI).
    """

    scale: ScaleRef = attrs.field(factory=lambda: FIVE_POINT.ref, validator=v.instance_of(ScaleRef))
    improvement_at_or_below: float | None = attrs.field(
        default=2.0, converter=v.as_float, validator=v.optional(v.finite_float)
    )
    kpi_plans: bool = attrs.field(default=True, validator=v.instance_of(bool))
    growth_min_rating: float | None = attrs.field(
        default=4.0, converter=v.as_float, validator=v.optional(v.finite_float)
    )
    growth_min_potential: float | None = attrs.field(
        default=4.0, converter=v.as_float, validator=v.optional(v.finite_float)
    )
    growth_cells: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.non_empty_text)
    )
    improvement_cadence: Cadence = attrs.field(
        factory=Cadence.biweekly, validator=v.instance_of(Cadence)
    )
    improvement_review_days: int = attrs.field(default=90, validator=_days)
    improvement_items: tuple[ItemTemplate, ...] = attrs.field(
        default=IMPROVEMENT_ITEMS,
        converter=v.tuple_of,
        validator=v.each(v.instance_of(ItemTemplate)),
    )
    kpi_item_days: int = attrs.field(default=60, validator=_days)
    growth_cadence: Cadence = attrs.field(factory=Cadence.monthly, validator=v.instance_of(Cadence))
    growth_review_days: int = attrs.field(default=180, validator=_days)
    growth_items: tuple[ItemTemplate, ...] = attrs.field(
        default=GROWTH_ITEMS, converter=v.tuple_of, validator=v.each(v.instance_of(ItemTemplate))
    )

    def __attrs_post_init__(self) -> None:
        for name, review in (
            ("improvement_review_days", self.improvement_review_days),
            ("growth_review_days", self.growth_review_days),
        ):
            if review < 1:
                raise ValidationError(name, review, "is not at least 1 day")
        checks = (
            ("improvement_items", self.improvement_items, "improvement_review_days"),
            ("growth_items", self.growth_items, "growth_review_days"),
        )
        for name, templates, review_name in checks:
            review = getattr(self, review_name)
            for i, t in enumerate(templates):
                if t.due_days > review:
                    raise ValidationError(
                        f"{name}[{i}].due_days", t.due_days, f"is after the {review_name} {review}"
                    )
        if self.kpi_item_days > self.improvement_review_days:
            raise ValidationError(
                "kpi_item_days",
                self.kpi_item_days,
                f"is after the improvement_review_days {self.improvement_review_days}",
            )


# --- opening plans -------------------------------------------------------------------------


@functools.cache
def _plan_id(kind: str, on: date, employee_id: str) -> str:
    """``improvement-2026-06-30-e17``; a digest of the employee id when that would pass 150
    characters (ids stop at 200, and item events are named ``<plan id>/<item id>``)."""
    plan_id = f"{kind}-{on.isoformat()}-{employee_id}"
    if len(plan_id) <= 150:
        return plan_id
    digest = hashlib.sha256(employee_id.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return f"{kind}-{on.isoformat()}-{digest}"


def _checked_outcomes(outcomes: object) -> tuple[PerformanceOutcome, ...]:
    items = v.tuple_of(outcomes) if isinstance(outcomes, Iterable) else outcomes
    if not isinstance(items, tuple):
        raise ValidationError("outcomes", outcomes, "is not a sequence of PerformanceOutcome")
    seen: dict[str, int] = {}
    for i, o in enumerate(items):
        if not isinstance(o, PerformanceOutcome):
            raise ValidationError(f"outcomes[{i}]", o, "is not a PerformanceOutcome")
        if o.employee_id in seen:
            raise ValidationError(
                f"outcomes[{i}].employee_id",
                o.employee_id,
                f"repeats outcomes[{seen[o.employee_id]}]",
            )
        seen[o.employee_id] = i
    return items


class _Opener:
    """Builds the plans of one person on one day."""

    def __init__(self, outcome: PerformanceOutcome, rules: DevelopmentRules, on: date) -> None:
        self.outcome = outcome
        self.rules = rules
        self.on = on
        self.owner = outcome.manager_id if outcome.manager_id is not None else outcome.employee_id

    def _owner_of(self, template: ItemTemplate) -> str:
        return self.owner if template.owner is ItemOwner.MANAGER else self.outcome.employee_id

    def _day(self, days: int) -> date:
        try:
            return self.on + timedelta(days=days)
        except OverflowError:
            raise ValidationError("on", self.on, "is too late to schedule a plan from") from None

    def _plan(
        self,
        kind: PlanKind,
        cadence: Cadence,
        review_days: int,
        items: Sequence[tuple[str, int, str, str | None]],
        triggers: list[PlanTrigger],
        reasons: list[str],
    ) -> DevelopmentPlan:
        return DevelopmentPlan(
            id=_plan_id(kind.value, self.on, self.outcome.employee_id),
            employee_id=self.outcome.employee_id,
            kind=kind,
            owner=self.owner,
            start=self.on,
            review_date=self._day(review_days),
            checkin_cadence=cadence,
            items=tuple(
                PlanItem(id=f"item-{n}", title=title, owner=owner, due=self._day(due), goal_id=goal)
                for n, (title, due, owner, goal) in enumerate(items, start=1)
            ),
            triggers=tuple(triggers),
            reason="; ".join(reasons),
        )

    def improvement(self) -> DevelopmentPlan | None:
        rules, outcome = self.rules, self.outcome
        triggers: list[PlanTrigger] = []
        reasons: list[str] = []
        items: list[tuple[str, int, str, str | None]] = []
        limit = rules.improvement_at_or_below
        value = outcome.rating.value
        if limit is not None and _at_or_below(value, limit):
            triggers.append(PlanTrigger.LOW_RATING)
            reasons.append(
                f"rating {_g(value)} on {outcome.rating.scale} is at or below the improvement "
                f"threshold {_g(limit)}"
            )
            items.extend(
                (t.title, t.due_days, self._owner_of(t), None) for t in rules.improvement_items
            )
        if rules.kpi_plans and outcome.missed_targets:
            triggers.append(PlanTrigger.MISSED_KPI)
            for missed in sorted(outcome.missed_targets, key=lambda m: m.goal_id):
                reasons.append(f"missed KPI target: {missed.describe()}")
                reading = (
                    "no reading yet"
                    if missed.value is None
                    else f"{_g(missed.value)}{missed.unit} now"
                )
                title = (
                    f"Reach the target of {missed.title!r}: {_g(missed.target)}{missed.unit} "
                    f"({reading})"
                )
                items.append((title, rules.kpi_item_days, outcome.employee_id, missed.goal_id))
        if not triggers:
            return None
        return self._plan(
            PlanKind.IMPROVEMENT,
            rules.improvement_cadence,
            rules.improvement_review_days,
            items,
            triggers,
            reasons,
        )

    def growth(self) -> DevelopmentPlan | None:
        rules, outcome = self.rules, self.outcome
        triggers: list[PlanTrigger] = []
        reasons: list[str] = []
        min_rating, min_potential = rules.growth_min_rating, rules.growth_min_potential
        value, potential = outcome.rating.value, outcome.potential
        if (
            min_rating is not None
            and min_potential is not None
            and potential is not None
            and _at_or_above(value, min_rating)
            and _at_or_above(potential, min_potential)
        ):
            triggers.append(PlanTrigger.HIGH_PERFORMANCE_POTENTIAL)
            reasons.append(
                f"rating {_g(value)} is at least {_g(min_rating)} and potential {_g(potential)} "
                f"is at least {_g(min_potential)} (high performance, high potential)"
            )
        if outcome.nine_box is not None and outcome.nine_box in rules.growth_cells:
            triggers.append(PlanTrigger.NINE_BOX)
            reasons.append(f"9-box cell {outcome.nine_box!r} opens a growth plan")
        if not triggers:
            return None
        items = [(t.title, t.due_days, self._owner_of(t), None) for t in rules.growth_items]
        return self._plan(
            PlanKind.GROWTH,
            rules.growth_cadence,
            rules.growth_review_days,
            items,
            triggers,
            reasons,
        )


def plans_for(
    outcomes: Iterable[PerformanceOutcome], rules: DevelopmentRules, on: date
) -> tuple[DevelopmentPlan, ...]:
    """The development plans the rules open for these outcomes, starting on day ``on``.

    By employee id, an improvement plan before a growth plan. Plan ids are deterministic:
    ``<kind>-<on>-<employee id>`` (``improvement-2026-07-01-e17``; a digest of a very long
    employee id); items are ``item-1``,
    ``item-2``, ... in the order: the kind's template items, then one item per missed KPI (by
    goal id). Ratings must be on the rules' scale.
    """
    if not isinstance(rules, DevelopmentRules):
        raise ValidationError("rules", rules, "is not DevelopmentRules")
    if isinstance(on, datetime) or not isinstance(on, date):
        raise ValidationError("on", on, "is not a date")
    checked = _checked_outcomes(outcomes)
    for i, o in enumerate(checked):
        if o.rating.scale != rules.scale:
            raise ValidationError(
                f"outcomes[{i}].rating.scale",
                str(o.rating.scale),
                f"is not the rules' scale {rules.scale}",
            )
    plans: list[DevelopmentPlan] = []
    for outcome in sorted(checked, key=lambda o: o.employee_id):
        opener = _Opener(outcome, rules, on)
        for plan in (opener.improvement(), opener.growth()):
            if plan is not None:
                plans.append(plan)
    return tuple(plans)

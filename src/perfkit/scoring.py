"""Scoring: one employee's cycle inputs turned into a score that explains itself.

A *scoring policy* is the rule an organisation applies at the end of a cycle to turn the evidence
about one person — the goals they own and how far they got, the ratings their reviewers gave —
into one overall performance score. perfkit keeps the policy pluggable and the result auditable:

* :func:`employee_inputs` / :func:`all_inputs` gather the evidence from a :class:`CycleData` into
  plain :class:`EmployeeInputs` (goals with their attainment, submitted reviews with each rating
  also placed on 0–1), so a policy never has to know how the cycle is stored.
* A :class:`ScoringPolicy` (a :class:`typing.Protocol`) turns those inputs into a :class:`Score`:
  a value on a rating scale and the tree of :class:`Component` s it is made of. Every component
  obeys one rule — ``contribution = weight × input``, and a component with parts has as input
  the exact sum of its parts' contributions — so every number explains itself.
* Policies are found by name: the built-ins of :mod:`perfkit.policies`, those a host registers
  with :func:`register_policy`, and third-party packages that declare an entry point in the group
  ``perfkit.scoring_policies``. :func:`load_policy` builds one from a configuration table (a dict,
  or a TOML table), with errors that name the key path (``policy.weights.goals``).
* :class:`RatingCutoffs` turns a score into a rating on an ordinal scale (3.5 to < 4.5 is a 4).
"""

from __future__ import annotations

import bisect
import enum
import functools
import importlib
import importlib.metadata
import itertools
import math
import operator
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any, Final, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import attrs

from . import _validation as v
from ._errors import MISSING, NotFoundError, PerfkitError, ValidationError, join_path
from ._validation import as_float, finite_float
from .dataset import CycleData
from .feedback import Constructive, Praise
from .goals import Goal, GoalSet, GoalStatus, OwnerKind
from .metrics import (
    BinaryMetric,
    Direction,
    MilestoneMetric,
    NumericMetric,
)
from .reviews import Criterion, CriterionKind, Review, ReviewerRole, ReviewStatus
from .scales import FIVE_POINT, NumericScale, OrdinalScale, Rating, Scale, ScaleRef

__all__ = [
    "Component",
    "ConfigReader",
    "CriterionInput",
    "ENTRY_POINT_GROUP",
    "EmployeeInputs",
    "FIVE_POINT_CUTOFFS",
    "GoalInput",
    "MetricKind",
    "PolicyFactory",
    "PolicyPluginError",
    "RatingCutoffs",
    "ReviewInput",
    "Score",
    "ScoringPolicy",
    "all_inputs",
    "cutoffs_for",
    "employee_inputs",
    "get_policy_factory",
    "load_policy",
    "make_policy",
    "policy_names",
    "register_policy",
]

ENTRY_POINT_GROUP: Final = "perfkit.scoring_policies"
"""The entry-point group third-party packages declare their scoring policies in."""


# --- small validators --------------------------------------------------------------------


# The fast paths below accept a finite float at once: scoring builds hundreds of thousands of
# components for a large organisation, and the general checks are only needed for the rest.


def _finite(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value.__class__ is float and value - value == 0.0:
        return
    finite_float(inst, attribute, value)


def _non_negative(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value.__class__ is float and 0.0 <= value < math.inf:
        return
    finite_float(inst, attribute, value)
    v.non_negative(inst, attribute, value)


def _positive(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value.__class__ is float and 0.0 < value < math.inf:
        return
    finite_float(inst, attribute, value)
    v.positive(inst, attribute, value)


def _fraction(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A number from 0 to 1."""
    if value.__class__ is float and 0.0 <= value <= 1.0:
        return
    finite_float(inst, attribute, value)
    v.between(0, 1)(inst, attribute, value)


def _optional_finite(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """``v.optional(_finite)`` with the fast path inline."""
    if value is None or (value.__class__ is float and value - value == 0.0):
        return
    finite_float(inst, attribute, value)


def _text(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """``v.text`` with a fast path for a plain string."""
    if value.__class__ is not str:
        v.text(inst, attribute, value)


def _fmt(x: float) -> str:
    """A number for explanations: four significant digits (``3.8``, ``0.6``, ``-3.667``)."""
    return f"{x:.4g}"


def _float(value: Any) -> Any:
    """attrs converter: :func:`~perfkit.metrics.as_float` with a fast path for floats."""
    return value if value.__class__ is float else as_float(value)


def _tuple(value: Any) -> Any:
    """attrs converter: :func:`perfkit._validation.tuple_of` with a fast path for tuples."""
    return value if value.__class__ is tuple else v.tuple_of(value)


_new = object.__new__
_set = object.__setattr__
"""Set the fields of an attrs instance whose values were checked already (see the fast paths
of :meth:`Component.leaf` and :func:`_make_goal_input`)."""


def _optional_float(value: Any) -> Any:
    return value if value is None or value.__class__ is float else as_float(value)


def _attr(name: str) -> Callable[[Any], str]:
    def get(item: Any) -> str:
        return getattr(item, name)  # type: ignore[no-any-return]

    return get


def _unique_items(kind: type, key: str, what: str) -> v.Validator:
    """``[v.each(v.instance_of(kind)), v.unique_ids(key, what)]`` as one validator, with a fast
    path for a tuple of plain ``kind`` items with distinct keys (the general checks, with their
    errors, run for anything else)."""
    each = v.each(v.instance_of(kind))
    unique = v.unique_ids(_attr(key), what)
    get = operator.attrgetter(key)

    def check(inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value.__class__ is tuple:
            for item in value:
                if item.__class__ is not kind:
                    break
            else:
                if len(set(map(get, value))) == len(value):
                    return
        each(inst, attribute, value)
        unique(inst, attribute, value)

    return check


# --- inputs ------------------------------------------------------------------------------


class MetricKind(enum.StrEnum):
    """How a goal is measured (the ``kind`` of its metric)."""

    NUMERIC = "numeric"
    BINARY = "binary"
    MILESTONE = "milestone"


@attrs.frozen(kw_only=True)
class GoalInput:
    """One goal an employee owns in the cycle, as a scoring policy sees it.

    ``weight`` is the goal's weight among the owner's goals; ``attainment`` its own attainment at
    the scoring moment (1.0 = on target, not capped). ``baseline``, ``target`` and ``value`` are in
    the metric's own units (``unit``): for a numeric metric its baseline, target and the latest
    reading; for a binary one 0, 1 and 1.0 once done; for milestones 0, the total milestone
    weight and the weight done. ``value`` is ``None`` before the first check-in.
    """

    goal_id: str = attrs.field(validator=v.identifier)
    title: str = attrs.field(validator=v.non_empty_text)
    weight: float = attrs.field(converter=_float, validator=_positive)
    metric_kind: MetricKind = attrs.field(validator=v.enum_member(MetricKind))
    unit: str = attrs.field(default="", validator=_text)
    direction: Direction = attrs.field(default=Direction.UP, validator=v.enum_member(Direction))
    baseline: float = attrs.field(default=0.0, converter=_float, validator=_finite)
    target: float = attrs.field(default=1.0, converter=_float, validator=_finite)
    value: float | None = attrs.field(
        default=None, converter=_optional_float, validator=_optional_finite
    )
    attainment: float = attrs.field(converter=_float, validator=_non_negative)


@attrs.frozen(kw_only=True)
class CriterionInput:
    """One rating of one criterion in a review: the criterion's kind and weight, the rating as
    given, and ``normalised`` — the rating placed linearly on 0–1 on its own scale (the scale's
    minimum is 0, its maximum 1), so ratings on different scales can be combined."""

    criterion_id: str = attrs.field(validator=v.identifier)
    kind: CriterionKind = attrs.field(validator=v.enum_member(CriterionKind))
    weight: float = attrs.field(converter=_float, validator=_positive)
    rating: Rating = attrs.field(validator=v.instance_of(Rating))
    normalised: float = attrs.field(converter=_float, validator=_fraction)


@attrs.frozen(kw_only=True)
class ReviewInput:
    """One submitted (or shared, or acknowledged) review of the employee: who wrote it, in which
    role, and its ratings in criterion id order."""

    review_id: str = attrs.field(validator=v.identifier)
    reviewer: str = attrs.field(validator=v.identifier)
    role: ReviewerRole = attrs.field(validator=v.enum_member(ReviewerRole))
    ratings: tuple[CriterionInput, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=_unique_items(CriterionInput, "criterion_id", "criterion"),
    )


@attrs.frozen(kw_only=True)
class EmployeeInputs:
    """Everything a scoring policy may use about one employee in one cycle.

    ``goals`` (by goal id) are the goals the employee owns in the cycle, archived ones left out;
    ``reviews`` (by review id) the submitted, shared or acknowledged reviews of them;
    ``praise_count`` and ``constructive_count`` the praise and constructive feedback about them
    from the cycle's first day up to the scoring moment.
    """

    employee_id: str = attrs.field(validator=v.identifier)
    goals: tuple[GoalInput, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=_unique_items(GoalInput, "goal_id", "goal"),
    )
    reviews: tuple[ReviewInput, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=_unique_items(ReviewInput, "review_id", "review"),
    )
    praise_count: int = attrs.field(default=0, validator=v.count)
    constructive_count: int = attrs.field(default=0, validator=v.count)


_SCORED_STATUSES = frozenset(
    {ReviewStatus.SUBMITTED, ReviewStatus.SHARED, ReviewStatus.ACKNOWLEDGED}
)


class _Index:
    """The cycle's goals, reviews and feedback grouped by employee, built once (linear time)."""

    def __init__(self, data: object, as_of: object) -> None:
        if not isinstance(data, CycleData):
            raise ValidationError("data", data, "is not a CycleData")
        if not isinstance(as_of, datetime):
            raise ValidationError("as_of", as_of, "is not a datetime")
        if as_of.tzinfo is None or as_of.tzinfo.utcoffset(as_of) is None:
            raise ValidationError("as_of", as_of, "is a naive datetime; give it a timezone")
        self.data = data
        self.as_of = as_of
        cycle = data.cycle
        self.goals: dict[str, list[Goal]] = {}
        for goal in data.goals.goals:
            if (
                goal.owner.kind is OwnerKind.EMPLOYEE
                and goal.cycle_id in (None, cycle.id)
                and goal.status is not GoalStatus.ARCHIVED
            ):
                self.goals.setdefault(goal.owner.id, []).append(goal)
        self.reviews: dict[str, list[Review]] = {}
        for review in data.reviews:
            if review.status in _SCORED_STATUSES and review.cycle_id == cycle.id:
                self.reviews.setdefault(review.subject, []).append(review)
        self.criteria = {f.id: {c.id: c for c in f.criteria} for f in data.forms}
        self._normalised: dict[tuple[ScaleRef, float], float] = {}
        self._criterion_inputs: dict[tuple[str, str, ScaleRef, float], CriterionInput] = {}
        zone = ZoneInfo(cycle.timezone)
        start = datetime.combine(cycle.start, time(), zone)
        end = datetime.combine(cycle.end + timedelta(days=1), time(), zone)
        self.praise: dict[str, int] = {}
        self.constructive: dict[str, int] = {}
        for event in data.feedback.events:
            if not (start <= event.at < end and event.at <= as_of):
                continue
            if isinstance(event, Praise):
                self.praise[event.subject] = self.praise.get(event.subject, 0) + 1
            elif isinstance(event, Constructive):
                self.constructive[event.subject] = self.constructive.get(event.subject, 0) + 1

    def people(self) -> list[str]:
        return sorted(set(self.goals) | set(self.reviews))

    def inputs(self, employee_id: str) -> EmployeeInputs:
        goals = sorted(self.goals.get(employee_id, ()), key=_by_id)
        reviews = sorted(self.reviews.get(employee_id, ()), key=_by_id)
        goal_set, as_of = self.data.goals, self.as_of
        return EmployeeInputs(
            employee_id=employee_id,
            goals=tuple([_goal_input(goal_set, g, as_of) for g in goals]),
            reviews=tuple([self._review_input(r) for r in reviews]),
            praise_count=self.praise.get(employee_id, 0),
            constructive_count=self.constructive.get(employee_id, 0),
        )

    def _review_input(self, review: Review) -> ReviewInput:
        criteria = self.criteria[review.form_id]
        ratings = []
        for given in sorted(review.ratings, key=_criterion_id):
            rating = given.rating
            # One CriterionInput per form, criterion and rating, shared by the reviews that give
            # it (it is immutable); a zero rating is built anew, so a signed zero keeps its sign.
            key = (review.form_id, given.criterion_id, rating.scale, rating.value)
            made = self._criterion_inputs.get(key)
            if made is None:
                made = self._criterion_input(criteria[given.criterion_id], rating)
                if rating.value != 0.0:
                    self._criterion_inputs[key] = made
            ratings.append(made)
        return ReviewInput(
            review_id=review.id, reviewer=review.reviewer, role=review.role, ratings=ratings
        )

    def _criterion_input(self, criterion: Criterion, rating: Rating) -> CriterionInput:
        key = (rating.scale, rating.value)
        normalised = self._normalised.get(key)
        if normalised is None:
            normalised = self.data.scales.get(key[0]).normalise(key[1])
            self._normalised[key] = normalised
        return CriterionInput(
            criterion_id=criterion.id,
            kind=criterion.kind,
            weight=criterion.weight,
            rating=rating,
            normalised=normalised,
        )


_by_id = operator.attrgetter("id")
_criterion_id = operator.attrgetter("criterion_id")


def _goal_input(goals: GoalSet, goal: Goal, as_of: datetime) -> GoalInput:
    # One look-up gives both the attainment and the check-in it is read from (the same as
    # ``goals.attainment`` and ``goals.latest_check_in``; ``as_of`` is checked by the caller).
    attainment, latest = goals._own(goal.id, as_of)
    metric = goal.metric
    if isinstance(metric, NumericMetric):
        return _make_goal_input(
            goal.id,
            goal.title,
            goal.weight,
            MetricKind.NUMERIC,
            metric.unit,
            metric.direction,
            metric.baseline,
            metric.target,
            None if latest is None else latest.value,
            attainment,
        )
    if isinstance(metric, BinaryMetric):
        done = None if latest is None else (1.0 if latest.done else 0.0)
        return _make_goal_input(
            goal.id,
            goal.title,
            goal.weight,
            MetricKind.BINARY,
            "",
            Direction.UP,
            0.0,
            1.0,
            done,
            attainment,
        )
    assert isinstance(metric, MilestoneMetric)
    total = math.fsum(m.weight for m in metric.milestones)
    reached = None
    if latest is not None:
        done_ids = set(latest.milestones_done)
        reached = math.fsum(m.weight for m in metric.milestones if m.id in done_ids)
    return _make_goal_input(
        goal.id,
        goal.title,
        goal.weight,
        MetricKind.MILESTONE,
        "milestones",
        Direction.UP,
        0.0,
        total,
        reached,
        attainment,
    )


def _make_goal_input(
    goal_id: str,
    title: str,
    weight: float,
    metric_kind: MetricKind,
    unit: str,
    direction: Direction,
    baseline: float,
    target: float,
    value: float | None,
    attainment: float,
) -> GoalInput:
    """A :class:`GoalInput` (thousands per cycle): when every value is of the exact type its
    field keeps and passes the field's check — the validators' conditions, inline — it is set
    directly; anything else goes through the validating constructor (and its errors)."""
    if (
        goal_id.__class__ is str
        and v.is_id(goal_id)
        and title.__class__ is str
        and title.strip()
        and weight.__class__ is float
        and 0.0 < weight < math.inf
        and metric_kind.__class__ is MetricKind
        and unit.__class__ is str
        and direction.__class__ is Direction
        and baseline.__class__ is float
        and baseline - baseline == 0.0
        and target.__class__ is float
        and target - target == 0.0
        and (value is None or (value.__class__ is float and value - value == 0.0))
        and attainment.__class__ is float
        and 0.0 <= attainment < math.inf
    ):
        made = _new(GoalInput)
        _set(made, "goal_id", goal_id)
        _set(made, "title", title)
        _set(made, "weight", weight)
        _set(made, "metric_kind", metric_kind)
        _set(made, "unit", unit)
        _set(made, "direction", direction)
        _set(made, "baseline", baseline)
        _set(made, "target", target)
        _set(made, "value", value)
        _set(made, "attainment", attainment)
        return made
    return GoalInput(
        goal_id=goal_id,
        title=title,
        weight=weight,
        metric_kind=metric_kind,
        unit=unit,
        direction=direction,
        baseline=baseline,
        target=target,
        value=value,
        attainment=attainment,
    )


def employee_inputs(data: CycleData, employee_id: str, as_of: datetime) -> EmployeeInputs:
    """The scoring inputs of one employee at the moment ``as_of`` (check-ins and feedback after
    it are not counted).

    Raises :class:`~perfkit.NotFoundError` when the organisation has no such employee. Each call
    indexes the whole cycle once; to score everyone, use :func:`all_inputs`.
    """
    index = _Index(data, as_of)
    if not isinstance(employee_id, str):
        raise ValidationError("employee_id", employee_id, "is not a string id")
    data.organisation.employee(employee_id)
    return index.inputs(employee_id)


def all_inputs(data: CycleData, as_of: datetime) -> tuple[EmployeeInputs, ...]:
    """The scoring inputs of everyone who owns a (non-archived) goal in the cycle or has a
    submitted review in it, sorted by employee id. Linear in the size of the cycle."""
    index = _Index(data, as_of)
    return tuple(index.inputs(person) for person in index.people())


# --- the explanation tree ----------------------------------------------------------------


def _component_item(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Item check for ``Component.parts`` (looks the class up when called: it is defined below)."""
    if not isinstance(value, Component):
        raise ValidationError(attribute.name, value, "is not a Component")


_each_component = v.each(_component_item)


def _component_parts(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """``v.each(_component_item)`` with a fast path for a tuple of plain Components (a leaf's
    empty tuple included): every score builds a tree of them."""
    if value.__class__ is tuple:
        for part in value:
            if part.__class__ is not Component:
                break
        else:
            return
    _each_component(inst, attribute, value)


@attrs.frozen(kw_only=True)
class Component:
    """One term of a score and why it has its value.

    ``contribution == weight × input`` exactly, and a component with ``parts`` has as ``input``
    the exact (``math.fsum``) sum of its parts' contributions. ``input`` is ``None`` for a
    component that is missing (no evidence for it); it then contributes 0. ``detail`` says in
    words where the input comes from. Build components with :meth:`leaf`, :meth:`group` and
    :meth:`missing`, which compute the derived numbers.
    """

    name: str = attrs.field(validator=v.identifier)
    input: float | None = attrs.field(converter=_optional_float, validator=_optional_finite)
    weight: float = attrs.field(converter=_float, validator=_non_negative)
    contribution: float = attrs.field(converter=_float, validator=_finite)
    detail: str = attrs.field(default="", validator=_text)
    parts: tuple[Component, ...] = attrs.field(
        default=(), converter=_tuple, validator=_component_parts
    )

    def __attrs_post_init__(self) -> None:
        if self.input is None:
            if self.contribution != 0.0:
                raise ValidationError(
                    "contribution", self.contribution, "is not 0 for a missing component"
                )
            if self.parts:
                raise ValidationError("parts", len(self.parts), "parts given to a missing input")
            return
        if self.parts:
            total = math.fsum(p.contribution for p in self.parts)
            if self.input != total:
                raise ValidationError(
                    "input", self.input, f"is not the sum of its parts' contributions {total!r}"
                )
        expected = self.weight * self.input
        if self.contribution != expected:
            raise ValidationError(
                "contribution", self.contribution, f"is not weight × input ({expected!r})"
            )

    @classmethod
    def leaf(cls, name: str, weight: float, input: float, detail: str = "") -> Component:
        """A component without parts: ``contribution = weight × input``."""
        w, x = _number("weight", weight), _number("input", input)
        c = w * x
        if cls is Component and _plain(name, w, c, detail):
            return _built(name, x, w, c, detail, ())
        return cls(name=name, input=x, weight=w, contribution=c, detail=detail)

    @classmethod
    def group(
        cls, name: str, weight: float, parts: Iterable[Component], detail: str = ""
    ) -> Component:
        """A component made of ``parts``: its input is the sum of their contributions."""
        items = _tuple(parts)
        if not isinstance(items, tuple) or not items:
            raise ValidationError("parts", items, "is not a non-empty sequence of components")
        for i, p in enumerate(items):
            if p.__class__ is not Component:
                raise ValidationError(f"parts[{i}]", p, "is not a Component")
        w = _number("weight", weight)
        x = math.fsum([p.contribution for p in items])
        c = w * x
        if cls is Component and x - x == 0.0 and _plain(name, w, c, detail):
            return _built(name, x, w, c, detail, items)
        return cls(name=name, input=x, weight=w, contribution=c, detail=detail, parts=items)

    @classmethod
    def missing(cls, name: str, detail: str = "") -> Component:
        """A component with no evidence: no input, weight 0, contributes 0."""
        return cls(name=name, input=None, weight=0.0, contribution=0.0, detail=detail)

    def term(self) -> str:
        """``goals 0.6 × 3.80`` (``sections missing`` for a missing component)."""
        if self.input is None:
            return f"{self.name} missing"
        return f"{self.name} {self.weight:.3g} × {self.input:.2f}"

    def lines(self, depth: int = 0) -> list[str]:
        """This component and its parts, one line each, indented by depth."""
        pad = "  " * depth
        if self.input is None:
            head = f"{pad}- {self.name}: missing"
        else:
            head = (
                f"{pad}- {self.name}: {_fmt(self.weight)} × {_fmt(self.input)} "
                f"= {_fmt(self.contribution)}"
            )
        if self.detail:
            head += f" ({self.detail})"
        out = [head]
        for part in self.parts:
            out.extend(part.lines(depth + 1))
        return out


def _plain(name: object, weight: float, contribution: float, detail: object) -> bool:
    """Whether a component that :meth:`Component.leaf` or :meth:`Component.group` computed
    (finite float input and weight, contribution = weight × input, input = the exact sum of the
    parts, which are Components) also passes the remaining field checks: an id ``name``, a
    weight of 0 or more, a finite contribution and a text ``detail``. The same checks as the
    class's validators, inline; anything else goes through the validating constructor."""
    return (
        name.__class__ is str
        and v.is_id(name)
        and weight >= 0.0
        and contribution - contribution == 0.0
        and detail.__class__ is str
    )


def _built(
    name: str,
    input: float,
    weight: float,
    contribution: float,
    detail: str,
    parts: tuple[Component, ...],
) -> Component:
    """A :class:`Component` from values already checked (see :func:`_plain`): set field by
    field, as the attrs ``__init__`` does after its validators, without running them again."""
    made = _new(Component)
    _set(made, "name", name)
    _set(made, "input", input)
    _set(made, "weight", weight)
    _set(made, "contribution", contribution)
    _set(made, "detail", detail)
    _set(made, "parts", parts)
    return made


def _number(name: str, value: object) -> float:
    if value.__class__ is float and value - value == 0.0:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(name, value, "is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(name, value, "is not a finite number")
    return number


def _non_empty(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise ValidationError(attribute.name, value, "is empty; a score has a component")


@attrs.frozen(kw_only=True)
class Score:
    """One employee's score under one policy, on a scale, with the components it is made of.

    ``value == math.fsum(c.contribution for c in components)`` exactly; build a score with
    :meth:`of`, which computes it that way.
    """

    employee_id: str = attrs.field(validator=v.identifier)
    policy: str = attrs.field(validator=v.identifier)
    value: float = attrs.field(converter=_float, validator=_finite)
    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    components: tuple[Component, ...] = attrs.field(
        converter=v.tuple_of, validator=[v.each(v.instance_of(Component)), _non_empty]
    )

    def __attrs_post_init__(self) -> None:
        total = math.fsum(c.contribution for c in self.components)
        if self.value != total:
            raise ValidationError(
                "value", self.value, f"is not the sum of the components' contributions {total!r}"
            )

    @classmethod
    def of(
        cls, employee_id: str, policy: str, scale: ScaleRef, components: Iterable[Component]
    ) -> Score:
        """A score whose value is the sum of the components' contributions."""
        items = v.tuple_of(components)
        if not isinstance(items, tuple) or not all(isinstance(c, Component) for c in items):
            raise ValidationError("components", items, "is not a sequence of components")
        value = math.fsum(c.contribution for c in items)
        return cls(
            employee_id=employee_id, policy=policy, value=value, scale=scale, components=items
        )

    def component(self, name: str) -> Component:
        """The top-level component called ``name`` (:class:`~perfkit.NotFoundError` if none)."""
        for c in self.components:
            if c.name == name:
                return c
        raise NotFoundError("component", name)

    def sentence(self) -> str:
        """The score in one line: ``3.56 = goals 0.6 × 3.80 + competencies 0.4 × 3.20``."""
        return f"{self.value:.2f} = " + " + ".join(c.term() for c in self.components)

    def explain(self) -> str:
        """The whole tree, one component a line, each with weight × input = contribution and
        where its input comes from."""
        head = f"{self.employee_id}: {self.value:.2f} on {self.scale} by policy {self.policy}"
        lines = [head, self.sentence()]
        for c in self.components:
            lines.extend(c.lines())
        return "\n".join(lines)


def _shares(weights: Sequence[float]) -> tuple[float, ...]:
    """Weights normalised to shares whose exact sum is at most 1 (never above by rounding), so
    that a weighted mean of values in ``[0, m]`` stays at most ``m`` for ``m`` of 1 or 2."""
    total = math.fsum(weights)
    shares = [w / total for w in weights]
    while math.fsum([*shares, -1.0]) > 0.0:  # exact: fsum rounds the true sum correctly
        largest = max(range(len(shares)), key=lambda i: (shares[i], -i))
        shares[largest] = math.nextafter(shares[largest], 0.0)
    return tuple(shares)


def _within(
    build: Callable[[float], tuple[Component, ...]], low: float, high: float
) -> tuple[Component, ...]:
    """Components from ``build(factor)`` whose contributions sum into ``[low, high]``.

    A weighted mean of values on a scale can leave the scale by a unit in the last place through
    binary rounding; when it does, the top-level weights are scaled by a factor one unit below
    (or above) 1.0 and the sum taken again, so a score never lies outside its scale.
    """
    factor = 1.0
    parts = build(factor)
    for _ in range(64):
        total = math.fsum(p.contribution for p in parts)
        if total > high:
            factor = math.nextafter(factor, 0.0)
        elif total < low:
            factor = math.nextafter(factor, 2.0)
        else:
            break
        parts = build(factor)
    return parts


# --- the policy protocol and the registry ------------------------------------------------


@runtime_checkable
class ScoringPolicy(Protocol):
    """A rule that turns one employee's :class:`EmployeeInputs` into a :class:`Score`.

    ``name`` is the policy's registered name (it is recorded in each score); ``scale`` the scale
    its scores are on. ``score`` must be deterministic and pure: the same inputs give an equal
    score, and nothing outside the inputs is read.
    """

    @property
    def name(self) -> str: ...

    @property
    def scale(self) -> ScaleRef: ...

    def score(self, inputs: EmployeeInputs) -> Score: ...


PolicyFactory = Callable[[Mapping[str, Any]], ScoringPolicy]
"""Builds a policy from its configuration table (the policy's keys, without ``name``)."""


class PolicyPluginError(PerfkitError):
    """A scoring policy from a plugin (an entry point) could not be loaded or built."""


_BUILTIN: Final = {
    "kpi_curve": ("perfkit.policies", "KpiCurvePolicy"),
    "okr": ("perfkit.policies", "OkrPolicy"),
    "weighted_components": ("perfkit.policies", "WeightedComponentsPolicy"),
}
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_LOCK = threading.RLock()
# The registry is the one piece of process-wide state in scoring: names → factories (built-ins
# once imported, hosts' registrations, plugins once loaded) and the plugins' entry points.
_FACTORIES: dict[str, PolicyFactory] = {}
_PLUGINS: dict[str, tuple[importlib.metadata.EntryPoint, ...]] = {}
_SCANNED = threading.Event()


def _scan_plugins() -> None:
    """Read the entry points of the plugin group once (their code is loaded only when used)."""
    with _LOCK:
        if _SCANNED.is_set():
            return
        found: dict[str, list[importlib.metadata.EntryPoint]] = {}
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            found.setdefault(ep.name, []).append(ep)
        for name, eps in sorted(found.items()):
            unique = {(ep.value, _dist_name(ep)): ep for ep in eps}
            _PLUGINS[name] = tuple(unique[k] for k in sorted(unique))
        _SCANNED.set()


def _dist_name(ep: importlib.metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return "" if dist is None else str(dist.metadata["Name"] or "")


def _describe(ep: importlib.metadata.EntryPoint) -> str:
    dist = _dist_name(ep)
    source = f" from distribution {dist!r}" if dist else ""
    return f"entry point {ep.name} = {ep.value!r} (group {ENTRY_POINT_GROUP}{source})"


def policy_names() -> tuple[str, ...]:
    """The names of every known scoring policy, sorted: built-ins, registered ones and installed
    plugins (listed without loading them)."""
    _scan_plugins()
    with _LOCK:
        return tuple(sorted(set(_BUILTIN) | set(_FACTORIES) | set(_PLUGINS)))


def _unknown(name: object) -> ValidationError:
    return ValidationError(
        "policy.name", name, f"is not a scoring policy (available: {', '.join(policy_names())})"
    )


def _builtin(name: str) -> PolicyFactory:
    module, attr = _BUILTIN[name]
    factory: PolicyFactory = getattr(importlib.import_module(module), attr).from_config
    return factory


def _load_plugin(name: str) -> PolicyFactory:
    eps = _PLUGINS[name]
    if len(eps) > 1:
        shown = "; ".join(_describe(ep) for ep in eps)
        raise PolicyPluginError(
            f"scoring policy {name!r} is declared by {len(eps)} entry points: {shown}"
        )
    ep = eps[0]
    try:
        loaded = ep.load()
    except Exception as exc:  # a plugin can fail to import in any way
        raise PolicyPluginError(
            f"scoring policy {name!r}: {_describe(ep)} could not be loaded "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    if not callable(loaded):
        raise PolicyPluginError(
            f"scoring policy {name!r}: {_describe(ep)} is {loaded!r}, not a factory "
            "(a callable taking the configuration table)"
        )
    factory: PolicyFactory = loaded
    return factory


def get_policy_factory(name: str) -> PolicyFactory:
    """The factory of the policy called ``name``.

    Looks in the built-ins, then the policies registered with :func:`register_policy`, then the
    installed plugins (entry-point group ``perfkit.scoring_policies``, whose code is imported on
    first use). An unknown name raises :class:`~perfkit.ValidationError` listing the available
    ones; a plugin that cannot be loaded raises :class:`PolicyPluginError` naming its entry
    point. Built-in names are reserved: a plugin declaring one is ignored.
    """
    if not isinstance(name, str):
        raise ValidationError("policy.name", name, "is not a string")
    with _LOCK:
        found = _FACTORIES.get(name)
        if found is not None:
            return found
        if name in _BUILTIN:
            found = _builtin(name)
        else:
            _scan_plugins()
            if name not in _PLUGINS:
                raise _unknown(name)
            found = _load_plugin(name)
        _FACTORIES[name] = found
        return found


def register_policy(name: str, factory: PolicyFactory) -> None:
    """Make ``factory`` available as the policy ``name`` (for hosts and tests).

    Registering the same factory again is harmless; a name already taken by another factory — a
    built-in, a registered policy or an installed plugin — is refused.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            "name", name, "is not a policy name (lowercase letters, digits, '_' and '-')"
        )
    if not callable(factory):
        raise ValidationError("factory", factory, "is not callable")
    _scan_plugins()
    with _LOCK:
        current = _FACTORIES.get(name)
        if current is None and name in _BUILTIN:
            current = _builtin(name)
        if current is not None and current == factory:
            _FACTORIES[name] = current
            return
        if name in _BUILTIN:
            raise ValidationError("name", name, "is already a scoring policy (built in)")
        if name in _PLUGINS:
            shown = "; ".join(_describe(ep) for ep in _PLUGINS[name])
            raise ValidationError("name", name, f"is already a scoring policy ({shown})")
        if current is not None:
            raise ValidationError("name", name, "is already a scoring policy (registered)")
        _FACTORIES[name] = factory


def make_policy(name: str, config: Mapping[str, Any] | None = None) -> ScoringPolicy:
    """The policy ``name`` built from its configuration table (``None``: its defaults).

    Configuration errors name the key path (``policy.weights.goals: -1 is not positive``).
    """
    factory = get_policy_factory(name)
    table: object = {} if config is None else config
    if not isinstance(table, Mapping):
        raise ValidationError("policy", table, "is not a table (a mapping of keys to values)")
    try:
        policy = factory(table)
    except PerfkitError:
        raise
    except Exception as exc:  # a third-party factory may fail in any way
        raise PolicyPluginError(
            f"scoring policy {name!r} could not be built ({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(policy, ScoringPolicy):
        raise PolicyPluginError(
            f"scoring policy {name!r}: its factory returned {policy!r}, which is not a "
            "ScoringPolicy (name, scale and score(inputs))"
        )
    return policy


def load_policy(table: Mapping[str, Any]) -> ScoringPolicy:
    """The policy a configuration table describes: ``{"name": "okr", ...its keys}``.

    Reads what ``tomllib.loads(text)["policy"]`` gives for a ``[policy]`` table.
    """
    if not isinstance(table, Mapping):
        raise ValidationError("policy", table, "is not a table (a mapping of keys to values)")
    name = table.get("name", MISSING)
    if name is MISSING:
        raise ValidationError(
            "policy.name", MISSING, f"is required (one of: {', '.join(policy_names())})"
        )
    if not isinstance(name, str):
        raise ValidationError("policy.name", name, "is not a string")
    return make_policy(name, {k: val for k, val in table.items() if k != "name"})


# --- reading configuration ---------------------------------------------------------------


class ConfigReader:
    """Reads typed keys from one configuration table, naming the key path in every error.

    Each read declares a key; :meth:`finish` then refuses any key that was not declared
    (``policy.colour: unknown key (known: missing, scale, weights)``). Policies (plugins too)
    use it in their ``from_config``::

        r = ConfigReader(config)                 # errors read "policy.<key>: ..."
        cap = r.number("cap", 1.0, positive=True)
        r.finish()
    """

    def __init__(self, table: object, path: str = "policy") -> None:
        if not isinstance(table, Mapping):
            raise ValidationError(path, table, "is not a table (a mapping of keys to values)")
        for key in table:
            if not isinstance(key, str):
                raise ValidationError(path, key, "is a key that is not a string")
        self._table: Mapping[str, Any] = table
        self.path = path
        self._known: set[str] = set()

    def at(self, key: str) -> str:
        """The path of ``key`` in this table: ``policy.weights.goals``."""
        return join_path(self.path, key)

    def keys(self) -> tuple[str, ...]:
        """The keys given in this table, sorted (for tables whose keys are names, like goal
        ids; reading them through this reader declares them)."""
        return tuple(sorted(self._table))

    def has(self, key: str) -> bool:
        """Whether ``key`` is given (and declare it)."""
        self._known.add(key)
        return key in self._table

    def raw(self, key: str, default: object = MISSING) -> Any:
        """The value of ``key`` as given; without a default, a missing key is an error."""
        self._known.add(key)
        if key in self._table:
            return self._table[key]
        if default is MISSING:
            raise ValidationError(self.at(key), MISSING, "is required")
        return default

    def number(
        self,
        key: str,
        default: object = MISSING,
        *,
        positive: bool = False,
        non_negative: bool = False,
        low: float | None = None,
        high: float | None = None,
    ) -> Any:
        """A finite number (int or float, never a bool), as a float; ``default`` when absent."""
        value = self.raw(key, default)
        if key not in self._table:
            return value
        return _check_number(
            self.at(key), value, positive=positive, non_negative=non_negative, low=low, high=high
        )

    def choice(self, key: str, options: Sequence[str], default: str | object = MISSING) -> Any:
        """One of ``options`` (``policy.missing: 'skip' is not one of 'renormalise', ...``)."""
        value = self.raw(key, default)
        if value not in options or not isinstance(value, str):
            shown = ", ".join(repr(o) for o in options)
            raise ValidationError(self.at(key), value, f"is not one of {shown}")
        return value

    def text(self, key: str, default: str | object = MISSING) -> Any:
        """A string."""
        value = self.raw(key, default)
        if not isinstance(value, str):
            raise ValidationError(self.at(key), value, "is not a string")
        return value

    def table(self, key: str) -> ConfigReader | None:
        """The sub-table ``key`` as a reader (``None`` when absent)."""
        value = self.raw(key, None)
        if value is None and key not in self._table:
            return None
        return ConfigReader(value, self.at(key))

    def array(self, key: str) -> list[Any] | None:
        """The array ``key`` (a list or tuple), ``None`` when absent."""
        value = self.raw(key, None)
        if value is None and key not in self._table:
            return None
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise ValidationError(self.at(key), value, "is not an array")
        return list(value)

    def finish(self) -> None:
        """Refuse the keys given that no read declared."""
        for key in sorted(self._table):
            if key not in self._known:
                known = ", ".join(sorted(self._known)) or "none"
                raise ValidationError(self.at(key), MISSING, f"unknown key (known: {known})")


def _check_number(
    path: str,
    value: object,
    *,
    positive: bool = False,
    non_negative: bool = False,
    low: float | None = None,
    high: float | None = None,
) -> float:
    """``value`` as a finite float, or a :class:`~perfkit.ValidationError` at ``path``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(path, value, "is not a number")
    try:
        number = float(value)
    except OverflowError:
        raise ValidationError(path, value, "is too large a number") from None
    if not math.isfinite(number):
        raise ValidationError(path, value, "is not a finite number")
    if positive and number <= 0:
        raise ValidationError(path, value, "is not positive")
    if non_negative and number < 0:
        raise ValidationError(path, value, "is negative")
    if low is not None and high is not None and not low <= number <= high:
        raise ValidationError(path, value, f"is not between {low:g} and {high:g}")
    return number


# --- from score to rating ----------------------------------------------------------------


def _pairs(value: Any) -> Any:
    """attrs converter: a sequence of 2-item sequences becomes a tuple of tuples (other values
    are left for the validator)."""
    items = v.tuple_of(value)
    if not isinstance(items, tuple):
        return items
    return tuple(tuple(i) if isinstance(i, list) else i for i in items)


def _cutoff_pairs(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    name = attribute.name
    if not isinstance(value, tuple):
        raise ValidationError(name, value, "is not a tuple")
    if not value:
        raise ValidationError(name, value, "is empty; give each rating value its lowest score")
    for i, pair in enumerate(value):
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ValidationError(f"{name}[{i}]", pair, "is not a (lowest score, rating) pair")
        for j, item in enumerate(pair):
            _check_number(f"{name}[{i}][{j}]", item)
        if i:
            before = value[i - 1]
            if not pair[0] > before[0]:
                raise ValidationError(
                    f"{name}[{i}][0]", pair[0], f"is not above the previous cut-off {before[0]:g}"
                )
            if not pair[1] > before[1]:
                raise ValidationError(
                    f"{name}[{i}][1]", pair[1], f"is not above the previous rating {before[1]:g}"
                )


def _float_pairs(value: Any) -> Any:
    items = _pairs(value)
    if not isinstance(items, tuple):
        return items
    out: list[Any] = []
    for pair in items:
        if isinstance(pair, tuple) and len(pair) == 2:
            out.append(tuple(as_float(x) for x in pair))
        else:
            out.append(pair)
    return tuple(out)


@attrs.frozen(kw_only=True)
class RatingCutoffs:
    """Where each rating begins: ``cutoffs`` pairs (lowest score, rating value), both strictly
    increasing, give ratings on ``scale``.

    A score at a boundary goes **up** (with the five-point default, 3.5 is a 4 and 4.4999 a 4);
    a score below the first cut-off gets the lowest rating, one above the last the highest.
    ``score_scale`` is the scale of the scores read (``None``: the same scale); a :class:`Score`
    on another scale is refused.
    """

    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    cutoffs: tuple[tuple[float, float], ...] = attrs.field(
        converter=_float_pairs, validator=_cutoff_pairs
    )
    score_scale: ScaleRef | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(ScaleRef))
    )

    def rate(self, score: Score | float) -> Rating:
        """The rating a score earns."""
        if isinstance(score, Score):
            expected = self.score_scale or self.scale
            if score.scale != expected:
                raise ValidationError(
                    "score.scale",
                    str(score.scale),
                    f"is not {expected}, the scale these cut-offs read",
                )
            value = score.value
        else:
            value = _check_number("score", score)
        at = max(bisect.bisect_right(self._starts, value) - 1, 0)
        return self._ratings[at]

    @functools.cached_property
    def _starts(self) -> list[float]:
        return [low for low, _ in self.cutoffs]

    @functools.cached_property
    def _ratings(self) -> tuple[Rating, ...]:
        """The rating of each cut-off, built once (ratings are immutable, so they are shared)."""
        return tuple(Rating(scale=self.scale, value=value) for _, value in self.cutoffs)

    def describe(self) -> str:
        """``below 1.5 → 1; 1.5 to < 2.5 → 2; ...; 4.5 and above → 5``."""
        pairs = self.cutoffs
        if len(pairs) == 1:
            return f"any score → {pairs[0][1]:g}"
        out = [f"below {pairs[1][0]:g} → {pairs[0][1]:g}"]
        for i in range(1, len(pairs) - 1):
            out.append(f"{pairs[i][0]:g} to < {pairs[i + 1][0]:g} → {pairs[i][1]:g}")
        out.append(f"{pairs[-1][0]:g} and above → {pairs[-1][1]:g}")
        return "; ".join(out)


def cutoffs_for(scale: Scale) -> RatingCutoffs:
    """Round-to-nearest cut-offs for a scale with points (or steps): each rating starts half-way
    between its value and the one below (five-point: 1.5, 2.5, 3.5, 4.5)."""
    if not isinstance(scale, NumericScale | OrdinalScale):
        raise ValidationError("scale", scale, "is not a NumericScale or OrdinalScale")
    values = scale.allowed_values()
    if values is None:
        raise ValidationError(
            "scale",
            str(scale.ref),
            "is continuous or not a scale; cut-offs need a scale with points or steps",
        )
    pairs = [(values[0], values[0])]
    pairs.extend((low + (high - low) / 2, high) for low, high in itertools.pairwise(values))
    return RatingCutoffs(scale=scale.ref, cutoffs=pairs)


FIVE_POINT_CUTOFFS: Final = cutoffs_for(FIVE_POINT)
"""The default five-point cut-offs: below 1.5 → 1, 1.5 → 2, 2.5 → 3, 3.5 → 4, 4.5 and above → 5."""

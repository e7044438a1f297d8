"""Goal metrics: how a goal is measured and how much of it a check-in shows attained.

A *key result* or *KPI* is measured one of three ways:

* :class:`NumericMetric` — a number moving from a baseline to a target ("resolve 95 % of tickets
  within 24 h", from 80 %). With :attr:`Direction.DOWN` lower is better (cost, resolution time,
  spend against a budget).
* :class:`BinaryMetric` — done or not done ("launch the new onboarding").
* :class:`MilestoneMetric` — a project's milestones, each with a weight; attainment is the weight
  share of the milestones done.

Attainment is a float: 0.0 at the baseline (never below it), 1.0 on target, above 1.0 when the
target is beaten. It is *not* capped: capping is a scoring policy's choice, not a fact of the
measurement. The three classes form the tagged union :data:`Metric` (``"type"`` in JSON).
"""

from __future__ import annotations

import enum
import math
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from . import _validation as v
from ._errors import UnknownReferenceError, ValidationError
from ._serialization import register_union
from ._validation import as_float, finite_float

if TYPE_CHECKING:
    from .goals import CheckIn

__all__ = [
    "BinaryMetric",
    "Direction",
    "Metric",
    "Milestone",
    "MilestoneMetric",
    "NumericMetric",
]


class Direction(enum.StrEnum):
    """Which way a numeric metric improves: ``up`` (more is better) or ``down`` (less is better)."""

    UP = "up"
    DOWN = "down"


def _a_check_in(check_in: object) -> None:
    if type(check_in).__name__ == "CheckIn" and type(check_in).__module__ == "perfkit.goals":
        return  # the usual case, without importing goals (which imports this module)
    from .goals import CheckIn

    if not isinstance(check_in, CheckIn):
        raise ValidationError("check_in", check_in, "is not a CheckIn")


def _no_reading(check_in: CheckIn, *, value: bool, done: bool, milestones: bool, what: str) -> None:
    """Refuse the readings a metric of kind ``what`` does not take."""
    if value and check_in.value is not None:
        raise ValidationError("value", check_in.value, f"does not apply to a {what} metric")
    if done and check_in.done is not None:
        raise ValidationError("done", check_in.done, f"does not apply to a {what} metric")
    if milestones and check_in.milestones_done:
        raise ValidationError(
            "milestones_done", check_in.milestones_done, f"does not apply to a {what} metric"
        )


def _to_direction(value: Any) -> Any:
    """attrs converter: a plain string value becomes the Direction member."""
    return v.as_enum(Direction, value)


@attrs.frozen(kw_only=True)
class NumericMetric:
    """A number that should move from ``baseline`` to ``target`` (a KPI or key result).

    ``unit`` is only shown ("%", "tickets", "EUR", "h"). The target must differ from the baseline
    and lie on the ``direction``'s side of it: above for ``up``, below for ``down``. Attainment is
    ``(value - baseline) / (target - baseline)``, which needs no special case for ``down``; it is
    floored at 0.0 and not capped.
    """

    kind: ClassVar[str] = "numeric"

    baseline: float = attrs.field(converter=as_float, validator=finite_float)
    target: float = attrs.field(converter=as_float, validator=finite_float)
    unit: str = attrs.field(default="", validator=v.text)
    direction: Direction = attrs.field(
        default=Direction.UP,
        converter=_to_direction,
        validator=v.enum_member(Direction),
    )

    def __attrs_post_init__(self) -> None:
        span = self.target - self.baseline
        if self.direction is Direction.UP and not span > 0:
            raise ValidationError(
                "target", self.target, f"is not above baseline {self.baseline:g} (direction up)"
            )
        if self.direction is Direction.DOWN and not span < 0:
            raise ValidationError(
                "target", self.target, f"is not below baseline {self.baseline:g} (direction down)"
            )
        if not math.isfinite(span):
            raise ValidationError("target", self.target, "is too far from the baseline")

    def check(self, check_in: CheckIn) -> None:
        """Raise :class:`ValidationError` unless the check-in carries a ``value``, and only that."""
        _a_check_in(check_in)
        if check_in.value is None:
            raise ValidationError("value", None, "is required for a numeric metric")
        _no_reading(check_in, value=False, done=True, milestones=True, what="numeric")

    def attainment(self, check_in: CheckIn) -> float:
        """``(value - baseline) / (target - baseline)``, at least 0.0, not capped."""
        self.check(check_in)
        value = check_in.value
        assert value is not None
        share = (value - self.baseline) / (self.target - self.baseline)
        if not math.isfinite(share):
            raise ValidationError("value", value, "is too far from the baseline to compare")
        return max(0.0, share)


@attrs.frozen(kw_only=True)
class BinaryMetric:
    """Done or not done: attainment 1.0 once a check-in says ``done=True``, else 0.0."""

    kind: ClassVar[str] = "binary"

    def check(self, check_in: CheckIn) -> None:
        """Raise :class:`ValidationError` unless the check-in carries ``done``, and only that."""
        _a_check_in(check_in)
        if check_in.done is None:
            raise ValidationError("done", None, "is required for a binary metric")
        _no_reading(check_in, value=True, done=False, milestones=True, what="binary")

    def attainment(self, check_in: CheckIn) -> float:
        self.check(check_in)
        return 1.0 if check_in.done else 0.0


def _positive_weight(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    finite_float(inst, attribute, value)
    v.weight(inst, attribute, value)


@attrs.frozen(kw_only=True)
class Milestone:
    """One step of a project; its share of the project is its ``weight`` over the total."""

    id: str = attrs.field(validator=v.identifier)
    title: str = attrs.field(validator=v.non_empty_text)
    weight: float = attrs.field(default=1.0, converter=as_float, validator=_positive_weight)
    due: date | None = attrs.field(default=None, validator=v.optional(v.a_date))


def _not_empty(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise ValidationError(attribute.name, value, "needs at least one milestone")


@attrs.frozen(kw_only=True)
class MilestoneMetric:
    """A project measured by milestones; attainment is the weight share of the milestones done.

    A check-in lists *every* milestone done so far (a snapshot, not the news since the last
    check-in), so the latest check-in alone gives the attainment.
    """

    kind: ClassVar[str] = "milestone"

    milestones: tuple[Milestone, ...] = attrs.field(
        converter=v.tuple_of,
        validator=[
            v.each(v.instance_of(Milestone)),
            v.unique_ids(lambda m: m.id, "milestone"),
            _not_empty,
        ],
    )

    def check(self, check_in: CheckIn) -> None:
        """Raise unless every id in ``milestones_done`` is one of this metric's milestones."""
        _a_check_in(check_in)
        _no_reading(check_in, value=True, done=True, milestones=False, what="milestone")
        known = {m.id for m in self.milestones}
        for i, mid in enumerate(check_in.milestones_done):
            if mid not in known:
                options = ", ".join(sorted(known))
                raise UnknownReferenceError(
                    f"milestones_done[{i}]", mid, f"is not a milestone of this goal ({options})"
                )

    def attainment(self, check_in: CheckIn) -> float:
        """Sum of the done milestones' weights over the sum of all weights (0.0 to 1.0)."""
        self.check(check_in)
        done = set(check_in.milestones_done)
        total = math.fsum(m.weight for m in self.milestones)
        reached = math.fsum(m.weight for m in self.milestones if m.id in done)
        return min(1.0, reached / total)


Metric = NumericMetric | BinaryMetric | MilestoneMetric
"""Any goal metric; JSON carries ``"type": "numeric" | "binary" | "milestone"``."""

METRIC_TYPES: tuple[type, ...] = (NumericMetric, BinaryMetric, MilestoneMetric)

register_union(NumericMetric, BinaryMetric, MilestoneMetric)

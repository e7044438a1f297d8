"""Rollup strategies and the explained progress of a goal.

A parent goal (a company objective, a unit's key result) is usually measured by the goals aligned
to it. A *rollup strategy* turns the contributors' ``(weight, value)`` pairs into the parent's
value; the weight is each contributor's contribution weight toward that parent
(:class:`perfkit.goals.Alignment`). Built in:

* :data:`WEIGHTED_MEAN` (the default) — weights normalised to shares first, so one contributor
  passes its value through unchanged and the result lies between the smallest and largest part.
* :data:`MINIMUM` — the weakest contributor decides ("a chain is as strong as its weakest link").
* :data:`ALL_OR_NOTHING` — 1.0 when every contributor reached its target (value ≥ 1.0), else 0.0.
* :data:`SUM_TOWARD_TARGET` — ``Σ weight × value`` where the weights are the shares of the
  parent's target each contributor delivers (EMEA sells 60 % of the target, APAC 40 %).

Hosts add their own with :func:`register_rollup_strategy`; :func:`rollup_strategy` finds one by
name. :class:`Progress` is the result of a rollup, and says how it was reached.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from . import _validation as v
from ._errors import ValidationError
from ._validation import as_float, finite_float

__all__ = [
    "ALL_OR_NOTHING",
    "MINIMUM",
    "Progress",
    "ProgressPart",
    "ProgressSource",
    "RollupStrategy",
    "SUM_TOWARD_TARGET",
    "WEIGHTED_MEAN",
    "register_rollup_strategy",
    "rollup_strategy",
    "rollup_strategy_names",
]


class RollupStrategy(Protocol):
    """How a parent goal's value is made from its contributors' ``(weight, value)`` pairs.

    ``name`` is the key in the registry and in explanations (snake_case). ``combine`` receives
    at least one pair, weights positive, values finite, sorted by contributor id, and returns a
    finite number.
    """

    @property
    def name(self) -> str: ...

    def combine(self, parts: Sequence[tuple[float, float]]) -> float: ...


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        f = float(value)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def _checked_parts(parts: object) -> list[tuple[float, float]]:
    """The ``(weight, value)`` pairs as floats, or a :class:`ValidationError` naming the bad one."""
    if isinstance(parts, str | bytes | Mapping) or not isinstance(parts, Iterable):
        raise ValidationError("parts", parts, "is not a sequence of (weight, value) pairs")
    out: list[tuple[float, float]] = []
    for i, item in enumerate(parts):
        pair = tuple(item) if isinstance(item, tuple | list) else ()
        if len(pair) != 2:
            raise ValidationError(f"parts[{i}]", item, "is not a (weight, value) pair")
        weight, value = _number(pair[0]), _number(pair[1])
        if weight is None or value is None:
            raise ValidationError(f"parts[{i}]", item, "does not hold two finite numbers")
        if weight <= 0:
            raise ValidationError(f"parts[{i}]", item, "has a weight that is not positive")
        out.append((weight, value))
    if not out:
        raise ValidationError("parts", parts, "is empty: there is nothing to combine")
    return out


class _Builtin:
    """Shared shape of the built-in strategies: check the parts, then combine them."""

    __slots__ = ()
    name: str = ""

    def combine(self, parts: Sequence[tuple[float, float]]) -> float:
        return self._combine(_checked_parts(parts))

    def _combine(self, parts: list[tuple[float, float]]) -> float:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<rollup strategy {self.name!r}>"


class _WeightedMean(_Builtin):
    """``Σ (wᵢ / Σw) × vᵢ``: normalised first, so one part gives exactly its own value."""

    __slots__ = ()
    name = "weighted_mean"

    def _combine(self, parts: list[tuple[float, float]]) -> float:
        total = math.fsum(w for w, _ in parts)
        mean = math.fsum((w / total) * x for w, x in parts)
        low = min(x for _, x in parts)
        high = max(x for _, x in parts)
        return min(high, max(low, mean))  # rounding never leaves [min, max]


class _Minimum(_Builtin):
    """The smallest value: the weakest contributor decides (weights are ignored)."""

    __slots__ = ()
    name = "minimum"

    def _combine(self, parts: list[tuple[float, float]]) -> float:
        return min(x for _, x in parts)


class _AllOrNothing(_Builtin):
    """1.0 when every part reached its target (value ≥ 1.0), otherwise 0.0."""

    __slots__ = ()
    name = "all_or_nothing"

    def _combine(self, parts: list[tuple[float, float]]) -> float:
        return 1.0 if all(x >= 1.0 for _, x in parts) else 0.0


class _SumTowardTarget(_Builtin):
    """``Σ wᵢ × vᵢ``: each weight is the share of the parent's target that part delivers."""

    __slots__ = ()
    name = "sum_toward_target"

    def _combine(self, parts: list[tuple[float, float]]) -> float:
        return math.fsum(w * x for w, x in parts)


WEIGHTED_MEAN: RollupStrategy = _WeightedMean()
"""Weighted mean of the contributors (weights normalised): the default rollup."""
MINIMUM: RollupStrategy = _Minimum()
"""The weakest contributor's value."""
ALL_OR_NOTHING: RollupStrategy = _AllOrNothing()
"""1.0 if every contributor reached 1.0, else 0.0."""
SUM_TOWARD_TARGET: RollupStrategy = _SumTowardTarget()
"""Σ weight × value, with weights as shares of the parent's target."""

_REGISTRY: dict[str, RollupStrategy] = {
    s.name: s for s in (WEIGHTED_MEAN, MINIMUM, ALL_OR_NOTHING, SUM_TOWARD_TARGET)
}


_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _shape(strategy: object) -> RollupStrategy:
    name = getattr(strategy, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError("strategy", strategy, "has no snake_case str 'name'")
    if not callable(getattr(strategy, "combine", None)):
        raise ValidationError("strategy", strategy, "has no combine(parts) method")
    return strategy  # type: ignore[return-value]


def rollup_strategy_names() -> tuple[str, ...]:
    """The names of the registered rollup strategies, sorted."""
    return tuple(sorted(_REGISTRY))


def rollup_strategy(name: str | RollupStrategy) -> RollupStrategy:
    """The registered strategy called ``name`` (a strategy object is checked and returned as is).

    An unknown name raises :class:`ValidationError` listing the known ones.
    """
    if not isinstance(name, str):
        return _shape(name)
    found = _REGISTRY.get(name)
    if found is None:
        known = ", ".join(rollup_strategy_names())
        raise ValidationError("strategy", name, f"is not a rollup strategy (known: {known})")
    return found


def register_rollup_strategy(strategy: RollupStrategy) -> None:
    """Make a host's strategy selectable by its name.

    Registering the same object twice is harmless; a name already taken by another strategy is
    refused (built-ins cannot be replaced).
    """
    checked = _shape(strategy)
    current = _REGISTRY.get(checked.name)
    if current is not None and current is not checked:
        raise ValidationError("name", checked.name, "is already a registered rollup strategy")
    _REGISTRY[checked.name] = checked


class ProgressSource(enum.StrEnum):
    """Where a goal's progress comes from: its contributors, its own check-in, or nothing yet."""

    ROLLUP = "rollup"
    CHECK_IN = "check_in"
    NONE = "none"


def _positive_float(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    finite_float(inst, attribute, value)
    v.positive(inst, attribute, value)


@attrs.frozen(kw_only=True)
class ProgressPart:
    """One contributor's share in a rollup: its id, its weight toward the parent, its value."""

    goal_id: str = attrs.field(validator=v.identifier)
    weight: float = attrs.field(converter=as_float, validator=_positive_float)
    value: float = attrs.field(converter=as_float, validator=finite_float)


def _listing(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _to_progress_source(value: Any) -> Any:
    """attrs converter: a plain string value becomes the ProgressSource member."""
    return v.as_enum(ProgressSource, value)


@attrs.frozen(kw_only=True)
class Progress:
    """A goal's progress (attainment, 1.0 = on target) and how it was reached.

    ``source`` is ``rollup`` (from ``parts`` by ``strategy``), ``check_in`` (the goal's own metric
    read from check-in ``check_in_id``) or ``none`` (no contributors and no check-in yet: 0.0).
    ``as_of`` is the moment asked about (``None``: every check-in counted).
    """

    goal_id: str = attrs.field(validator=v.identifier)
    value: float = attrs.field(converter=as_float, validator=finite_float)
    source: ProgressSource = attrs.field(
        converter=_to_progress_source, validator=v.enum_member(ProgressSource)
    )
    strategy: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    parts: tuple[ProgressPart, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(ProgressPart))
    )
    check_in_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    as_of: datetime | None = attrs.field(default=None, validator=v.optional(v.aware_datetime))

    def __attrs_post_init__(self) -> None:
        rollup = self.source is ProgressSource.ROLLUP
        if rollup and not self.parts:
            raise ValidationError("parts", self.parts, "is empty for a rollup")
        if rollup and self.strategy is None:
            raise ValidationError("strategy", None, "is required for a rollup")
        if not rollup and self.parts:
            raise ValidationError("parts", self.parts, f"must be empty for source {self.source}")
        if not rollup and self.strategy is not None:
            raise ValidationError("strategy", self.strategy, f"is not used by {self.source}")
        if (self.source is ProgressSource.CHECK_IN) != (self.check_in_id is not None):
            raise ValidationError(
                "check_in_id", self.check_in_id, f"does not match source {self.source}"
            )
        if self.source is ProgressSource.NONE and self.value != 0.0:
            raise ValidationError("value", self.value, "is not 0.0 without a check-in")

    def sentence(self) -> str:
        """The explanation in words:
        ``g-sales 0.74 = weighted mean of g-apac 0.62 (w 1) and g-emea 0.80 (w 2)``."""
        head = f"{self.goal_id} {self.value:.2f} = "
        if self.source is ProgressSource.ROLLUP:
            how = (self.strategy or "").replace("_", " ")
            parts = [f"{p.goal_id} {p.value:.2f} (w {p.weight:g})" for p in self.parts]
            return f"{head}{how} of {_listing(parts)}"
        if self.source is ProgressSource.CHECK_IN:
            return f"{head}own attainment at check-in {self.check_in_id}"
        when = "" if self.as_of is None else f" as of {self.as_of.isoformat()}"
        return f"{head}no check-in yet{when}"

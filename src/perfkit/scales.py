"""Rating scales: what a rating means, version by version, and how to translate between scales.

A *rating scale* is the ruler a reviewer uses: a numeric range (1–5 in steps of 1, 0–100, an OKR
score from 0.0 to 1.0) or an ordinal list of labelled points, each with its *behavioural anchor*
(the observable behaviour that earns it). A :class:`Rating` stores the value together with a
:class:`ScaleRef` — the scale's id *and version* — so when HR later publishes a new version of a
scale (new labels, a new range), ratings given under the old version keep the meaning they had.

Scales are kept in a :class:`ScaleCatalog`. :func:`map_rating` translates a rating onto another
scale, linearly (:class:`LinearMapping`) or by an explicit table (:class:`TableMapping`), for
example to compare a 3-point rating with 5-point ones.

Values are floats compared with a tolerance of ``1e-9`` × the scale's width, so that ``0.3`` is on
a 0–1 scale with step ``0.1`` although ``3 * 0.1 != 0.3`` in binary floating point.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Self, cast

import attrs

from . import _validation as v
from ._errors import NotFoundError, UnknownReferenceError, ValidationError
from ._serialization import register_union

__all__ = [
    "BUILTIN_SCALES",
    "FIVE_POINT",
    "LinearMapping",
    "NumericScale",
    "OKR",
    "OrdinalScale",
    "PERCENT",
    "Rating",
    "Scale",
    "ScaleCatalog",
    "ScaleMapping",
    "ScalePoint",
    "ScaleRef",
    "THREE_POINT",
    "TableMapping",
    "ValuePair",
    "map_rating",
]

_REL_TOL = 1e-9
_MIN_GAP = 1e-6
"""Allowed values lie at least this fraction of the width apart (a million steps at most)."""
_LISTED = 11
"""Stepped numeric scales with at most this many values list them all in error messages."""


# --- small validators and converters ------------------------------------------------------


def _to_float(value: Any) -> Any:
    """attrs converter: an int, float or Decimal becomes a float; anything else is left for the
    validator to reject (so a bad value is a ValidationError, never a bare TypeError)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    try:
        return float(value)
    except (OverflowError, ValueError):  # an int too large for a float, a signalling NaN
        return value


def _float_value(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A finite float (converted from an int or Decimal by :func:`_to_float`)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(attribute.name, value, "is not a finite number")
        return
    if isinstance(value, int | Decimal) and not isinstance(value, bool):  # not convertible
        raise ValidationError(attribute.name, value, "is not a finite number")
    raise ValidationError(attribute.name, value, "is not a number")


def _g(x: float) -> str:
    """A number as people write it: ``1``, ``0.5``, ``100``."""
    return f"{x:g}"


# --- references and ratings ---------------------------------------------------------------


@attrs.frozen(kw_only=True, order=True)
class ScaleRef:
    """Which scale, exactly: its id and its version."""

    id: str = attrs.field(validator=v.identifier)
    version: int = attrs.field(default=1, validator=v.version)

    def __str__(self) -> str:
        """``five-point v1``."""
        return f"{self.id} v{self.version}"


@attrs.frozen(kw_only=True)
class Rating:
    """A rating as stored: a value on one exact version of a scale.

    Build ratings with :meth:`NumericScale.rate` / :meth:`OrdinalScale.rate`, which check the
    value; a ``Rating`` built directly is only checked for being a finite number.
    """

    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    value: float = attrs.field(converter=_to_float, validator=_float_value)


@functools.lru_cache(maxsize=256)
def _ref(scale_id: str, version: int) -> ScaleRef:
    """One shared (immutable) reference per scale id and version: a scale's ``ref`` is read for
    every rating checked and every score made."""
    return ScaleRef(id=scale_id, version=version)


# --- scales -------------------------------------------------------------------------------


class _ScaleBase:
    """Behaviour shared by the kinds of scale (each defines the fields and ``_nearest``)."""

    __slots__ = ()

    id: str
    version: int
    name: str

    @property
    def ref(self) -> ScaleRef:
        """The reference that ratings on this scale keep."""
        return _ref(self.id, self.version)

    @property
    def bounds(self) -> tuple[float, float]:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def tolerance(self) -> float:
        """How far apart two values may be and still count as the same value on this scale."""
        low, high = self.bounds
        return _REL_TOL * (high - low)

    def allowed_values(self) -> tuple[float, ...] | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def describe_allowed(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _nearest(self, value: float) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def _canonical(self, value: float) -> float | None:
        """The allowed value ``value`` stands for, or ``None`` if it is not allowed."""
        low, high = self.bounds
        if not low <= value <= high:
            return None
        nearest = self._nearest(value)
        return nearest if abs(nearest - value) <= self.tolerance else None

    def _checked_value(self, value: object, path: str = "value") -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValidationError(path, value, "is not a number")
        number = _to_float(value)
        if not isinstance(number, float) or not math.isfinite(number):
            raise ValidationError(path, value, "is not a finite number")
        if self._canonical(number) is None:
            raise ValidationError(
                path, value, f"is not on scale {self.ref} (allowed: {self.describe_allowed()})"
            )
        return number

    def allows(self, value: float) -> bool:
        """Whether ``value`` is a value of this scale."""
        try:
            self._checked_value(value)
        except ValidationError:
            return False
        return True

    def check(self, rating: Rating) -> None:
        """Raise :class:`~perfkit.ValidationError` unless ``rating`` is a valid rating on this
        exact scale version (path ``scale`` or ``value``)."""
        if not isinstance(rating, Rating):
            raise ValidationError("rating", rating, "is not a Rating")
        if rating.scale != self.ref:
            raise ValidationError(
                "scale",
                str(rating.scale),
                f"is not this scale ({self.ref}); check it with ScaleCatalog.validate",
            )
        self._checked_value(rating.value)

    def snap(self, value: float) -> float:
        """The allowed value nearest to ``value`` (clamped to the range; a tie goes to the higher
        value). On a continuous scale this only clamps."""
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValidationError("value", value, "is not a number")
        number = _to_float(value)
        if not isinstance(number, float) or not math.isfinite(number):
            raise ValidationError("value", value, "is not a finite number")
        low, high = self.bounds
        return self._nearest(min(max(number, low), high))

    def next_version(self, **changes: Any) -> Self:
        """The next version of this scale (same id, version + 1) with ``changes`` applied: how HR
        revises a scale without changing what earlier ratings meant."""
        known = set(attrs.fields_dict(cast(Any, type(self)))) - {"id", "version"}
        for key in sorted(changes):
            if key not in known:
                raise ValidationError(key, changes[key], f"is not a field of {type(self).__name__}")
        return cast(Self, attrs.evolve(cast(Any, self), version=self.version + 1, **changes))

    def normalise(self, value: float) -> float:
        """``value`` placed linearly on 0–1: the minimum gives 0, the maximum 1."""
        number = self._checked_value(value)
        low, high = self.bounds
        return _fraction(number, low, high)


def _fraction(value: float, low: float, high: float) -> float:
    """Where ``value`` sits between ``low`` and ``high``, from 0 to 1 (monotone, exact ends)."""
    if value >= high:
        return 1.0
    if value <= low:
        return 0.0
    return min(max((value - low) / (high - low), 0.0), 1.0)


def _lerp(fraction: float, low: float, high: float) -> float:
    """The point ``fraction`` of the way from ``low`` to ``high``; exact at 0 and 1, monotone."""
    if fraction >= 1.0:
        return high
    return min(low + fraction * (high - low), high)


def _nearest_sorted(values: tuple[float, ...], value: float, tol: float) -> float:
    """The nearest of sorted ``values``; a tie (within ``tol``) goes to the higher one."""
    at = bisect.bisect_left(values, value)
    if at == 0:
        return values[0]
    if at == len(values):
        return values[-1]
    lower, upper = values[at - 1], values[at]
    return upper if upper - value <= value - lower + tol else lower


def _check_range(low: float, high: float) -> None:
    if not low < high:
        raise ValidationError("maximum", high, f"is not above minimum {_g(low)}")
    if not math.isfinite(high - low):
        raise ValidationError("maximum", high, f"is too far from minimum {_g(low)}")


@attrs.frozen(kw_only=True)
class NumericScale(_ScaleBase):
    """A numeric rating scale: any value from ``minimum`` to ``maximum``, or only the values
    ``minimum + k × step`` when ``step`` is set (1–5 step 1; 0–100; an OKR score 0.0–1.0)."""

    kind: ClassVar[str] = "numeric"

    id: str = attrs.field(validator=v.identifier)
    version: int = attrs.field(default=1, validator=v.version)
    name: str = attrs.field(validator=v.non_empty_text)
    minimum: float = attrs.field(converter=_to_float, validator=_float_value)
    maximum: float = attrs.field(converter=_to_float, validator=_float_value)
    step: float | None = attrs.field(
        default=None, converter=_to_float, validator=v.optional(_float_value)
    )

    def __attrs_post_init__(self) -> None:
        _check_range(self.minimum, self.maximum)
        if self.step is None:
            return
        if self.step <= 0:
            raise ValidationError("step", self.step, "is not positive")
        count = (self.maximum - self.minimum) / self.step
        if not math.isfinite(count) or count > 1 / _MIN_GAP:
            raise ValidationError(
                "step", self.step, "is too small (a scale has 1,000,000 steps at most)"
            )
        if abs(count - round(count)) > _REL_TOL * max(1.0, count):
            raise ValidationError(
                "step",
                self.step,
                f"does not divide the range {_g(self.minimum)} to {_g(self.maximum)} evenly",
            )

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.minimum, self.maximum)

    @property
    def _steps(self) -> int:
        assert self.step is not None
        return round((self.maximum - self.minimum) / self.step)

    def _grid(self, k: int) -> float:
        """The k-th allowed value; the last one is exactly the maximum."""
        assert self.step is not None
        if k >= self._steps:
            return self.maximum
        return min(self.minimum + k * self.step, self.maximum)

    def allowed_values(self) -> tuple[float, ...] | None:
        """Every value of a stepped scale, in order; ``None`` for a continuous scale."""
        if self.step is None:
            return None
        return tuple(self._grid(k) for k in range(self._steps + 1))

    def describe_allowed(self) -> str:
        if self.step is None:
            return f"any number from {_g(self.minimum)} to {_g(self.maximum)}"
        if self._steps < _LISTED:
            return ", ".join(_g(x) for x in self.allowed_values() or ())
        return f"{_g(self.minimum)} to {_g(self.maximum)} in steps of {_g(self.step)}"

    def _nearest(self, value: float) -> float:
        if self.step is None:
            return value
        k = math.floor((value - self.minimum) / self.step)
        k = min(max(k, 0), self._steps)
        lower = self._grid(k)
        if k == self._steps:
            return lower
        upper = self._grid(k + 1)
        return upper if upper - value <= value - lower + self.tolerance else lower

    def rate(self, value: float) -> Rating:
        """A rating of ``value`` on this scale; refused (naming the allowed values) when it is out
        of range or off the steps."""
        return Rating(scale=self.ref, value=self._checked_value(value))


@attrs.frozen(kw_only=True)
class ScalePoint:
    """One point of an ordinal scale: its value, its label and its behavioural anchor (what a
    person does to earn it)."""

    value: float = attrs.field(converter=_to_float, validator=_float_value)
    label: str = attrs.field(validator=v.non_empty_text)
    anchor: str = attrs.field(default="", validator=v.text)


def _at_least_two(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if len(value) < 2:
        raise ValidationError(attribute.name, len(value), "points given; a scale needs 2 or more")


@attrs.frozen(kw_only=True)
class OrdinalScale(_ScaleBase):
    """An ordinal rating scale: a few labelled points in increasing order ("Unsatisfactory" …
    "Outstanding"), each with a behavioural anchor."""

    kind: ClassVar[str] = "ordinal"

    id: str = attrs.field(validator=v.identifier)
    version: int = attrs.field(default=1, validator=v.version)
    name: str = attrs.field(validator=v.non_empty_text)
    points: tuple[ScalePoint, ...] = attrs.field(
        converter=v.tuple_of, validator=[v.each(v.instance_of(ScalePoint)), _at_least_two]
    )

    def __attrs_post_init__(self) -> None:
        for i in range(1, len(self.points)):
            value, previous = self.points[i].value, self.points[i - 1].value
            if value <= previous:
                raise ValidationError(
                    f"points[{i}].value", value, f"is not above the previous point's {_g(previous)}"
                )
        _check_range(self.points[0].value, self.points[-1].value)
        width = self.points[-1].value - self.points[0].value
        labels: dict[str, int] = {}
        for i, point in enumerate(self.points):
            previous = self.points[i - 1].value
            if i and point.value - previous < _MIN_GAP * width:
                raise ValidationError(
                    f"points[{i}].value",
                    point.value,
                    f"is too close to the previous point's {_g(previous)}",
                )
            key = point.label.strip().casefold()
            if key in labels:
                raise ValidationError(
                    f"points[{i}].label", point.label, f"repeats the label of points[{labels[key]}]"
                )
            labels[key] = i

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.points[0].value, self.points[-1].value)

    @functools.cached_property
    def _values(self) -> tuple[float, ...]:
        return tuple(p.value for p in self.points)

    def allowed_values(self) -> tuple[float, ...]:
        """The point values, in order."""
        return self._values

    def describe_allowed(self) -> str:
        return ", ".join(f"{_g(p.value)} {p.label!r}" for p in self.points)

    def _nearest(self, value: float) -> float:
        return _nearest_sorted(self._values, value, self.tolerance)

    def point(self, value: float) -> ScalePoint:
        """The point with this value (:class:`~perfkit.ValidationError` if there is none)."""
        number = self._checked_value(value)
        return self.points[self._values.index(self._nearest(number))]

    def label(self, value: float) -> str:
        """The label of the point with this value: ``FIVE_POINT.label(4) == "Exceeds
        expectations"``."""
        return self.point(value).label

    def value_of(self, label: str) -> float:
        """The value of the point with this label (case and surrounding spaces ignored)."""
        if not isinstance(label, str):
            raise ValidationError("label", label, "is not a string")
        key = label.strip().casefold()
        for p in self.points:
            if p.label.strip().casefold() == key:
                return p.value
        options = ", ".join(repr(p.label) for p in self.points)
        raise ValidationError("label", label, f"is not a label of scale {self.ref} ({options})")

    def rate(self, value: float) -> Rating:
        """A rating at the point ``value``; refused (listing the points) for any other value."""
        number = self._checked_value(value)
        return Rating(scale=self.ref, value=self._nearest(number))


Scale = NumericScale | OrdinalScale
"""Any rating scale (JSON: tagged ``"type": "numeric"`` or ``"ordinal"``)."""
register_union(NumericScale, OrdinalScale)

_SCALE_TYPES = (NumericScale, OrdinalScale)


# --- the catalog --------------------------------------------------------------------------


def _unique_versions(_inst: object, attribute: attrs.Attribute[Any], value: Iterable[Any]) -> None:
    seen: dict[tuple[str, int], int] = {}
    for i, scale in enumerate(value):
        key = (scale.id, scale.version)
        if key in seen:
            raise ValidationError(
                f"{attribute.name}[{i}]",
                str(scale.ref),
                f"repeats the scale id and version of {attribute.name}[{seen[key]}]",
            )
        seen[key] = i


def _check_ref(name: str, ref: object) -> ScaleRef:
    if not isinstance(ref, ScaleRef):
        raise ValidationError(name, ref, "is not a ScaleRef")
    return ref


@attrs.frozen(kw_only=True)
class ScaleCatalog:
    """The rating scales an organisation uses, every version of each (unique id and version)."""

    scales: tuple[Scale, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(*_SCALE_TYPES)), _unique_versions],
    )

    @functools.cached_property
    def _by_ref(self) -> dict[ScaleRef, Scale]:
        return {s.ref: s for s in self.scales}

    def __contains__(self, ref: object) -> bool:
        """Whether the catalog holds the scale version ``ref`` names."""
        return isinstance(ref, ScaleRef) and ref in self._by_ref

    def get(self, ref: ScaleRef) -> Scale:
        """The scale version ``ref`` names (:class:`~perfkit.NotFoundError` if it is not here)."""
        found = self._by_ref.get(_check_ref("ref", ref))
        if found is None:
            raise NotFoundError("scale", str(ref))
        return found

    def versions(self, scale_id: str) -> tuple[Scale, ...]:
        """Every version of one scale, oldest first (empty if the id is unknown)."""
        if not isinstance(scale_id, str):
            raise ValidationError("scale_id", scale_id, "is not a string id")
        return tuple(sorted((s for s in self.scales if s.id == scale_id), key=_version_of))

    def latest(self, scale_id: str) -> Scale:
        """The highest version of a scale (:class:`~perfkit.NotFoundError` if the id is unknown);
        new ratings are given on it."""
        found = self.versions(scale_id)
        if not found:
            raise NotFoundError("scale", scale_id)
        return found[-1]

    def validate(self, rating: Rating) -> Scale:
        """Check a rating against the scale version it names, and return that scale.

        An unknown scale is an :class:`~perfkit.UnknownReferenceError` at ``scale``.
        """
        if not isinstance(rating, Rating):
            raise ValidationError("rating", rating, "is not a Rating")
        scale = self._by_ref.get(rating.scale)
        if scale is None:
            raise UnknownReferenceError("scale", str(rating.scale), "is not a scale in the catalog")
        scale.check(rating)
        return scale

    def add(self, scale: Scale) -> ScaleCatalog:
        """A catalog with one more scale (a new scale, or a new version of one)."""
        return ScaleCatalog(scales=(*self.scales, scale))


def _version_of(scale: Scale) -> int:
    return scale.version


# --- mapping between scales ---------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LinearMapping:
    """Map a rating linearly: the source minimum goes to the target minimum, the maximum to the
    maximum, everything in between proportionally.

    With ``snap=True`` the result moves to the nearest value the target allows (its nearest step
    or point); a value exactly half-way between two allowed values goes to the **higher** one
    (benefit of the doubt). Without it, a result the target does not allow is refused.
    """

    kind: ClassVar[str] = "linear"

    snap: bool = attrs.field(default=False, validator=v.instance_of(bool))


@attrs.frozen(kw_only=True)
class ValuePair:
    """One row of a :class:`TableMapping`: a source value and the target value it becomes."""

    source: float = attrs.field(converter=_to_float, validator=_float_value)
    target: float = attrs.field(converter=_to_float, validator=_float_value)


def _pairs(value: Any) -> Any:
    """attrs converter: ``{5: 3, 4: 3, ...}`` or ``[(5, 3), ...]`` become ValuePairs."""
    items: Any = list(value.items()) if isinstance(value, Mapping) else v.tuple_of(value)
    if not isinstance(items, tuple | list):
        return items
    out: list[Any] = []
    for i, item in enumerate(items):
        if isinstance(item, tuple | list) and len(item) == 2:
            try:
                out.append(ValuePair(source=item[0], target=item[1]))
            except ValidationError as err:
                raise err.at(f"pairs[{i}]") from None
        else:
            out.append(item)
    return tuple(out)


def _unique_sources(inst: TableMapping, _a: attrs.Attribute[Any], pairs: tuple[Any, ...]) -> None:
    seen: dict[float, int] = {}
    for i, pair in enumerate(pairs):
        if pair.source in seen:
            raise ValidationError(
                f"pairs[{i}].source",
                pair.source,
                f"repeats the source value of pairs[{seen[pair.source]}]",
            )
        seen[pair.source] = i


@attrs.frozen(kw_only=True)
class TableMapping:
    """Map ratings from one scale version to another by an explicit table (5-point → 3-point:
    1, 2 → 1; 3 → 2; 4, 5 → 3). Every source value must be covered and every target value must be
    allowed; :meth:`check` verifies it against the two scales."""

    kind: ClassVar[str] = "table"

    source: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    target: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    pairs: tuple[ValuePair, ...] = attrs.field(
        converter=_pairs, validator=[v.each(v.instance_of(ValuePair)), _unique_sources]
    )

    def check(self, source: Scale, target: Scale) -> None:
        """Raise :class:`~perfkit.ValidationError` unless this table maps every value of
        ``source`` to a value ``target`` allows."""
        for name, scale, ref in (("source", source, self.source), ("target", target, self.target)):
            if not isinstance(scale, _SCALE_TYPES):
                raise ValidationError(name, scale, "is not a NumericScale or OrdinalScale")
            if scale.ref != ref:
                raise ValidationError(name, str(scale.ref), f"is not the mapping's {name} {ref}")
        values = source.allowed_values()
        if values is None:
            raise ValidationError(
                "source", str(source.ref), "is continuous; a table can only map a scale with steps"
            )
        covered: set[float] = set()
        for i, pair in enumerate(self.pairs):
            value = source._canonical(pair.source)
            if value is None:
                raise ValidationError(
                    f"pairs[{i}].source",
                    pair.source,
                    f"is not on scale {source.ref} (allowed: {source.describe_allowed()})",
                )
            covered.add(value)
            if target._canonical(pair.target) is None:
                raise ValidationError(
                    f"pairs[{i}].target",
                    pair.target,
                    f"is not on scale {target.ref} (allowed: {target.describe_allowed()})",
                )
        missing = [x for x in values if x not in covered]
        if missing:
            shown = ", ".join(_g(x) for x in missing)
            raise ValidationError(
                "pairs", len(self.pairs), f"pairs leave source values {shown} unmapped"
            )

    def lookup(self, value: float, source: Scale) -> float:
        """The target value of a source value (compared within the source's tolerance)."""
        wanted = source._checked_value(value)
        canonical = source._canonical(wanted)
        for pair in self.pairs:
            if source._canonical(pair.source) == canonical:
                return pair.target
        raise ValidationError("value", value, f"is not in the table from {self.source}")


ScaleMapping = LinearMapping | TableMapping
"""A way to translate ratings between scales (JSON: ``"type": "linear"`` or ``"table"``)."""
register_union(LinearMapping, TableMapping)


def map_rating(
    rating: Rating, target_scale: Scale, mapping: ScaleMapping, catalog: ScaleCatalog
) -> Rating:
    """Translate ``rating`` onto ``target_scale``; the rating's own scale is looked up in
    ``catalog`` (the exact version it was given on).

    ``LinearMapping``: minimum → minimum, maximum → maximum, proportional in between, optionally
    snapped to the target's nearest allowed value (ties go up). ``TableMapping``: the table's row.
    """
    if not isinstance(catalog, ScaleCatalog):
        raise ValidationError("catalog", catalog, "is not a ScaleCatalog")
    if not isinstance(target_scale, _SCALE_TYPES):
        raise ValidationError("target_scale", target_scale, "is not a NumericScale or OrdinalScale")
    source = catalog.validate(rating)
    if isinstance(mapping, LinearMapping):
        low, high = source.bounds
        value = _lerp(_fraction(rating.value, low, high), *target_scale.bounds)
        if mapping.snap:
            value = target_scale.snap(value)
        elif not target_scale.allows(value):
            raise ValidationError(
                "value",
                value,
                f"(from {_g(rating.value)} on {source.ref}) is not on scale {target_scale.ref} "
                f"(allowed: {target_scale.describe_allowed()}); map with LinearMapping(snap=True)",
            )
        return target_scale.rate(value)
    if isinstance(mapping, TableMapping):
        mapping.check(source, target_scale)
        return target_scale.rate(mapping.lookup(rating.value, source))
    raise ValidationError("mapping", mapping, "is not a LinearMapping or TableMapping")


# --- built-in scales ----------------------------------------------------------------------

FIVE_POINT = OrdinalScale(
    id="five-point",
    name="Five-point rating",
    points=(
        ScalePoint(
            value=1,
            label="Unsatisfactory",
            anchor="Misses most expectations of the role; needs close guidance.",
        ),
        ScalePoint(
            value=2,
            label="Needs improvement",
            anchor="Meets some expectations; gaps in results or behaviours are visible.",
        ),
        ScalePoint(
            value=3,
            label="Meets expectations",
            anchor="Delivers what the role asks, reliably and with the expected behaviours.",
        ),
        ScalePoint(
            value=4,
            label="Exceeds expectations",
            anchor="Often goes beyond the role's results; others rely on this person.",
        ),
        ScalePoint(
            value=5,
            label="Outstanding",
            anchor="Results and influence well beyond the role; a model for others.",
        ),
    ),
)
"""The classic 1–5 performance rating, from "Unsatisfactory" to "Outstanding"."""

THREE_POINT = OrdinalScale(
    id="three-point",
    name="Three-point rating",
    points=(
        ScalePoint(
            value=1, label="Below expectations", anchor="Misses important parts of the role."
        ),
        ScalePoint(value=2, label="Meets expectations", anchor="Delivers what the role asks."),
        ScalePoint(
            value=3, label="Exceeds expectations", anchor="Clearly goes beyond what the role asks."
        ),
    ),
)
"""A simple 1–3 rating: below, meets, exceeds expectations."""

PERCENT = NumericScale(id="percent", name="Percent", minimum=0, maximum=100)
"""Any value from 0 to 100 (attainment, completion)."""

OKR = NumericScale(id="okr", name="OKR score", minimum=0.0, maximum=1.0)
"""An OKR score from 0.0 to 1.0 (0.7 is commonly read as a good stretch result)."""

BUILTIN_SCALES = ScaleCatalog(scales=(FIVE_POINT, THREE_POINT, PERCENT, OKR))
"""A catalog of the built-in scales, to start from (``BUILTIN_SCALES.add(my_scale)``)."""

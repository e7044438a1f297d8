"""The 9-box grid: performance against potential, for talent reviews and succession planning.

The *9-box* (nine-box grid) places each person on two axes — how well they performed this cycle
(columns) and their potential to grow into bigger roles (rows) — each cut into low, moderate and
high. The nine cells have conventional names that suggest what to do next (develop, stretch,
retain, move). perfkit numbers the cells 1–9 row by row from the bottom-left:
``number = 3 × potential + performance + 1`` with low = 0, moderate = 1, high = 2, so box 1 is
low/low and box 9 is high/high:

=================  =========================  =====================  ====================
potential \\ perf   low                        moderate               high
=================  =========================  =====================  ====================
high               7 Rough diamond            8 Future star          9 Star
moderate           4 Inconsistent player      5 Core player          6 High performer
low                1 Underperformer           2 Effective employee   3 Trusted professional
=================  =========================  =====================  ====================

Cut-offs are given on the scales the two scores use. A score equal to a cut-off falls in the
lower band: ``score ≤ low_max`` is low, ``score ≤ mid_max`` moderate, above it high.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from . import _validation as v
from ._errors import NotFoundError, ValidationError
from ._validation import as_float, finite_float

__all__ = [
    "CELL_NAMES",
    "NineBoxCell",
    "NineBoxCutoffs",
    "NineBoxEntry",
    "NineBoxGrid",
    "NineBoxLevel",
    "NineBoxPlacement",
    "NineBoxSummary",
    "nine_box",
]


class NineBoxLevel(enum.StrEnum):
    """A band of one 9-box axis."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


_ORDER = (NineBoxLevel.LOW, NineBoxLevel.MODERATE, NineBoxLevel.HIGH)

CELL_NAMES: Mapping[int, str] = MappingProxyType(
    {
        1: "Underperformer",
        2: "Effective employee",
        3: "Trusted professional",
        4: "Inconsistent player",
        5: "Core player",
        6: "High performer",
        7: "Rough diamond",
        8: "Future star",
        9: "Star",
    }
)
"""The conventional name of each box, by box number (1 low/low … 9 high/high)."""


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValidationError(name, value, "is not a number")
    number = as_float(value)
    if not isinstance(number, float) or not math.isfinite(number):
        raise ValidationError(name, value, "is not a finite number")
    return number


def _cutoff_pair(value: Any) -> Any:
    """attrs converter: a pair of numbers becomes a tuple of floats (anything else is left for
    the validator to reject)."""
    if isinstance(value, tuple | list) and len(value) == 2:
        return tuple(as_float(x) for x in value)
    return value


def _ordered_pair(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or len(value) != 2:
        raise ValidationError(attribute.name, value, "is not a pair (low_max, mid_max)")
    for i, x in enumerate(value):
        if isinstance(x, bool) or not isinstance(x, float) or not math.isfinite(x):
            raise ValidationError(f"{attribute.name}[{i}]", x, "is not a finite number")
    if not value[0] < value[1]:
        raise ValidationError(
            f"{attribute.name}[1]", value[1], f"is not above low_max {value[0]:g}"
        )


def _band(score: float, cut: tuple[float, float]) -> NineBoxLevel:
    if score <= cut[0]:
        return NineBoxLevel.LOW
    if score <= cut[1]:
        return NineBoxLevel.MODERATE
    return NineBoxLevel.HIGH


def _cell_number(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9:
        raise ValidationError(attribute.name, value, "is not a box number from 1 to 9")


@attrs.frozen(kw_only=True)
class NineBoxCell:
    """One box of the 9-box: its performance column, potential row, number (1–9) and name."""

    performance: NineBoxLevel = attrs.field(validator=v.enum_member(NineBoxLevel))
    potential: NineBoxLevel = attrs.field(validator=v.enum_member(NineBoxLevel))
    number: int = attrs.field(validator=_cell_number)
    name: str = attrs.field(validator=v.non_empty_text)

    def __attrs_post_init__(self) -> None:
        want = 3 * _ORDER.index(self.potential) + _ORDER.index(self.performance) + 1
        if self.number != want:
            raise ValidationError(
                "number",
                self.number,
                f"is not the box of {self.performance.value} performance and "
                f"{self.potential.value} potential ({want})",
            )

    @classmethod
    def of(cls, performance: NineBoxLevel | str, potential: NineBoxLevel | str) -> NineBoxCell:
        """The box of a performance band and a potential band."""
        perf = _level("performance", performance)
        pot = _level("potential", potential)
        if cls is NineBoxCell:
            return _cell(perf, pot)  # one shared (immutable) object per box
        number = 3 * _ORDER.index(pot) + _ORDER.index(perf) + 1
        return cls(performance=perf, potential=pot, number=number, name=CELL_NAMES[number])

    @classmethod
    def numbered(cls, number: int) -> NineBoxCell:
        """The box with this number (1 low/low … 9 high/high)."""
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 9:
            raise ValidationError("number", number, "is not a box number from 1 to 9")
        row, column = divmod(number - 1, 3)
        return cls.of(_ORDER[column], _ORDER[row])


@functools.lru_cache(maxsize=16)
def _cell(performance: NineBoxLevel, potential: NineBoxLevel) -> NineBoxCell:
    number = 3 * _ORDER.index(potential) + _ORDER.index(performance) + 1
    return NineBoxCell(
        performance=performance, potential=potential, number=number, name=CELL_NAMES[number]
    )


def _level(name: str, value: object) -> NineBoxLevel:
    if isinstance(value, str):
        try:
            return NineBoxLevel(value)
        except ValueError:
            pass
    raise ValidationError(name, value, "is not a level ('low', 'moderate' or 'high')")


@attrs.frozen(kw_only=True)
class NineBoxCutoffs:
    """Where the bands of each axis end: ``(low_max, mid_max)`` for performance and for
    potential, on the scales the scores use (a score equal to a cut-off is in the lower band)."""

    performance: tuple[float, float] = attrs.field(converter=_cutoff_pair, validator=_ordered_pair)
    potential: tuple[float, float] = attrs.field(converter=_cutoff_pair, validator=_ordered_pair)

    def place(self, performance: float, potential: float) -> NineBoxCell:
        """The box of a performance score and a potential score."""
        perf = _number("performance", performance)
        pot = _number("potential", potential)
        return NineBoxCell.of(_band(perf, self.performance), _band(pot, self.potential))


@attrs.frozen(kw_only=True)
class NineBoxEntry:
    """One person to place: their performance score and potential score."""

    employee_id: str = attrs.field(validator=v.identifier)
    performance: float = attrs.field(converter=as_float, validator=finite_float)
    potential: float = attrs.field(converter=as_float, validator=finite_float)


@attrs.frozen(kw_only=True)
class NineBoxPlacement:
    """Where one person landed: their scores and their box."""

    employee_id: str = attrs.field(validator=v.identifier)
    performance: float = attrs.field(converter=as_float, validator=finite_float)
    potential: float = attrs.field(converter=as_float, validator=finite_float)
    cell: NineBoxCell = attrs.field(validator=v.instance_of(NineBoxCell))


@attrs.frozen(kw_only=True)
class NineBoxSummary:
    """One box of a grid: the box, how many people are in it and who (by employee id)."""

    cell: NineBoxCell = attrs.field(validator=v.instance_of(NineBoxCell))
    count: int = attrs.field(validator=v.count)
    members: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.identifier)
    )


@attrs.frozen(kw_only=True)
class NineBoxGrid:
    """A population on the 9-box: all nine boxes in number order (empty ones included) and
    every person's placement, by employee id."""

    cutoffs: NineBoxCutoffs = attrs.field(validator=v.instance_of(NineBoxCutoffs))
    boxes: tuple[NineBoxSummary, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(NineBoxSummary))
    )
    placements: tuple[NineBoxPlacement, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(NineBoxPlacement))
    )

    def box(self, number: int) -> NineBoxSummary:
        """The box with this number, 1–9."""
        cell = NineBoxCell.numbered(number)
        for b in self.boxes:
            if b.cell == cell:
                return b
        raise NotFoundError("box", str(number))  # pragma: no cover - every grid has nine

    def placement(self, employee_id: str) -> NineBoxPlacement:
        """Where one person landed (:class:`~perfkit.NotFoundError` if they are not here)."""
        if not isinstance(employee_id, str):
            raise ValidationError("employee_id", employee_id, "is not a string id")
        for p in self.placements:
            if p.employee_id == employee_id:
                return p
        raise NotFoundError("employee", employee_id)


def _entry(item: object, at: str) -> NineBoxEntry:
    if isinstance(item, NineBoxEntry):
        return item
    if isinstance(item, tuple | list) and len(item) == 3:
        try:
            return NineBoxEntry(employee_id=item[0], performance=item[1], potential=item[2])
        except ValidationError as err:
            raise err.at(at) from None
    raise ValidationError(at, item, "is not (employee_id, performance, potential)")


def nine_box(
    entries: Iterable[NineBoxEntry | tuple[str, float, float]], cutoffs: NineBoxCutoffs
) -> NineBoxGrid:
    """Place everyone on the 9-box: ``entries`` are :class:`NineBoxEntry` or
    ``(employee_id, performance, potential)`` triples (each person once)."""
    if not isinstance(cutoffs, NineBoxCutoffs):
        raise ValidationError("cutoffs", cutoffs, "is not a NineBoxCutoffs")
    if isinstance(entries, str | bytes | Mapping) or not isinstance(entries, Iterable):
        raise ValidationError("entries", entries, "is not a collection of entries")
    seen: dict[str, int] = {}
    placements = []
    for i, item in enumerate(entries):
        entry = _entry(item, f"entries[{i}]")
        if entry.employee_id in seen:
            raise ValidationError(
                f"entries[{i}].employee_id",
                entry.employee_id,
                f"repeats the employee of entries[{seen[entry.employee_id]}]",
            )
        seen[entry.employee_id] = i
        placements.append(
            NineBoxPlacement(
                employee_id=entry.employee_id,
                performance=entry.performance,
                potential=entry.potential,
                cell=cutoffs.place(entry.performance, entry.potential),
            )
        )
    placements.sort(key=lambda p: p.employee_id)
    members: dict[int, list[str]] = {k: [] for k in range(1, 10)}
    for p in placements:
        members[p.cell.number].append(p.employee_id)
    boxes = tuple(
        NineBoxSummary(cell=NineBoxCell.numbered(k), count=len(ids), members=tuple(ids))
        for k, ids in members.items()
    )
    return NineBoxGrid(cutoffs=cutoffs, boxes=boxes, placements=tuple(placements))

"""Rewards: merit increases, budget pools, bonuses and recognition awards from final ratings.

After calibration, HR turns each person's final rating into pay:

* a **merit increase** from a :class:`MeritMatrix` (rating × compa-ratio band → increase %),
  prorated for the part of the period the person was employed (:func:`proration`), for the
  people the :class:`EligibilityRules` let in;
* fitted to the **budget pools** of the org units (:func:`allocate`): when a pool's demand is
  larger than the pool, every increase in it is scaled by the same factor, then rounded so the
  total never exceeds the pool, in each person's own currency (:class:`RateTable`);
* a **bonus** from a :class:`BonusPlan` (target % × individual × company multiplier, capped);
* **recognition** (spot) awards from praise (:class:`RecognitionRule`).

Money is :class:`~perfkit.money.Money` (Decimal + currency); floats never touch pay. Percentages
are Decimal percents (``Decimal("4.0")`` is 4 %). Arithmetic runs in a fixed decimal context (28
significant digits, half-even), whatever the caller's context, so results are the same
everywhere; amounts not yet rounded to the minor unit (a raw increase, a converted amount) keep
Money's 12 decimal places. Rounding is explicit: half-even to the currency's minor unit unless a
:class:`Rounding` is configured; merit increases inside a pool are rounded down, then the cents
left over are handed out by largest remainder (see :func:`allocate`). Every result explains
itself, as data (its fields) and as a sentence (``sentence()``).
"""

from __future__ import annotations

import enum
import functools
import math
import operator
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Any

import attrs

from . import _validation as v
from ._errors import MISSING, NotFoundError, UnknownReferenceError, ValidationError
from .feedback import FeedbackLog, Praise
from .money import CURRENCIES, MAX_PLACES, Money, minor_unit
from .org import Employee, Organisation
from .scales import Rating, Scale, ScaleRef

__all__ = [
    "BonusPlan",
    "BonusProposal",
    "BudgetPool",
    "CompaBand",
    "CurrencyRate",
    "Eligibility",
    "EligibilityRules",
    "LevelTarget",
    "MeritAllocation",
    "MeritCell",
    "MeritMatrix",
    "MeritProposal",
    "MonotonicityGap",
    "PoolReport",
    "RateTable",
    "RatingMultiplier",
    "RecognitionAward",
    "RecognitionRule",
    "Rounding",
    "allocate",
    "eligible_days",
    "pool_for",
    "propose_merit",
    "proration",
]

_TRAPS = [InvalidOperation, DivisionByZero, Overflow]
_CTX = Context(prec=28, rounding=ROUND_HALF_EVEN, traps=_TRAPS)
"""The context of every computation here (the caller's own context is never used)."""
_FLOOR = Context(prec=28, rounding=ROUND_FLOOR, traps=_TRAPS)
_WIDE = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=_TRAPS)
_UP = Context(prec=200, rounding=ROUND_CEILING, traps=_TRAPS)
_DOWN = Context(prec=200, rounding=ROUND_FLOOR, traps=_TRAPS)
"""Wide contexts rounding up / down: pool accounting errs on the safe side of the pool."""
_ONE = Decimal(1)
_PLACES = Decimal(1).scaleb(-MAX_PLACES)
"""Money holds at most 12 decimal places: unrounded results are kept to that."""
_HUNDRED = Decimal(100)
_at_then_id = operator.attrgetter("at", "id")  # (p.at, p.id), built in C
_REL_TOL = 1e-9


@contextmanager
def _arithmetic(path: str) -> Iterator[None]:
    """Run money arithmetic in perfkit's context; a number too large to compute with becomes a
    :class:`ValidationError` at ``path`` instead of a bare ``decimal`` error."""
    try:
        with localcontext(_CTX):
            yield
    except ArithmeticError:
        raise ValidationError(
            path, MISSING, "is too large or too precise to compute with"
        ) from None


# --- small validators and converters ------------------------------------------------------


def _dec(value: Any) -> Any:
    """attrs converter: an int or a decimal string becomes a Decimal (never a float); anything
    else is left for the validator to reject."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


def _decimal(
    low: Decimal | None = None, high: Decimal | None = None, *, strict: bool = False
) -> Any:
    """A finite Decimal, at least ``low`` (above it when ``strict``), at most ``high``."""

    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, float):
            raise v.fail(attribute, value, "is a float; pass a Decimal (floats never touch pay)")
        v.decimal(_inst, attribute, value)
        assert isinstance(value, Decimal)
        if low is not None and high is not None and not low <= value <= high:
            raise v.fail(attribute, value, f"is not between {low} and {high}")
        if low is not None and strict and not value > low:
            raise v.fail(attribute, value, "is not positive" if low == 0 else f"is not above {low}")
        if low is not None and value < low:
            raise v.fail(attribute, value, "is negative" if low == 0 else f"is below {low}")

    return check


def _int_at_least(low: int) -> Any:
    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise v.fail(attribute, value, "is not an integer")
        if value < low:
            raise v.fail(attribute, value, f"is not at least {low}")

    return check


def _currency(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or value not in CURRENCIES:
        raise v.fail(attribute, value, "is not an ISO 4217 currency code")


def _non_negative_money(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money):
        raise v.fail(attribute, value, "is not Money")
    if value.amount < 0:
        raise ValidationError(f"{attribute.name}.amount", value.amount, "is negative")


def _arg(name: str, value: object, *kinds: type) -> None:
    """Check a function argument's type (``bool`` is never taken for a number)."""
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        wanted = " or ".join(f"{v.article(k.__name__)} {k.__name__}" for k in kinds)
        raise ValidationError(name, value, f"is not {wanted}")


def _day(name: str, value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(name, value, "is not a date")
    return value


def _moment(name: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(name, value, "is not a datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(name, value, "is a naive datetime; give it a timezone")
    return value


def _decimal_arg(name: str, value: object) -> Decimal:
    """A Decimal argument (an int or decimal string is accepted; a float is refused)."""
    converted = _dec(value)
    if isinstance(converted, Decimal) and converted.is_finite():
        return converted
    if isinstance(value, float):
        raise ValidationError(name, value, "is a float; pass a Decimal (floats never touch pay)")
    raise ValidationError(name, value, "is not a finite Decimal")


def _rating_value(name: str, value: object) -> float:
    if isinstance(value, Rating):
        return value.value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValidationError(name, value, "is not a rating value")
    number = v.as_float(value)
    if not isinstance(number, float) or not math.isfinite(number):
        raise ValidationError(name, value, "is not a finite number")
    return number


def _g(x: float) -> str:
    """A rating value as people write it: ``4``, ``3.5``."""
    return f"{x:g}"


def _short(x: Decimal) -> str:
    """A factor for a sentence: at most 4 decimals, no trailing zeros (``0.75``, ``1``)."""
    with localcontext(_CTX):
        return format(x.quantize(Decimal("0.0001")).normalize(), "f")


def _shown(m: Money) -> str:
    """An amount for a sentence, rounded half-even to the minor unit (display only)."""
    with localcontext(_CTX):
        return str(m.quantize())


def _same_value(a: float, b: float) -> bool:
    return abs(a - b) <= _REL_TOL * max(1.0, abs(a), abs(b))


class Rounding(enum.StrEnum):
    """How an amount is rounded to its currency's minor unit (default: ``half_even``, banker's
    rounding; ``down`` never pays more than computed)."""

    HALF_EVEN = "half_even"
    HALF_UP = "half_up"
    DOWN = "down"
    UP = "up"

    @property
    def mode(self) -> str:
        """The :mod:`decimal` rounding mode."""
        return _MODES[self]


_MODES = {
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.DOWN: ROUND_DOWN,
    Rounding.UP: ROUND_UP,
}


# --- proration ----------------------------------------------------------------------------


def _period(period_start: object, period_end: object) -> tuple[date, date]:
    start = _day("period_start", period_start)
    end = _day("period_end", period_end)
    if end < start:
        raise ValidationError("period_end", end, f"is before period_start {start}")
    return start, end


def eligible_days(employee: Employee, period_start: date, period_end: date) -> int:
    """Days of the period (both ends included) on which the person was employed: the hire date
    and the end date (the last day worked) cut the period."""
    _arg("employee", employee, Employee)
    start, end = _period(period_start, period_end)
    first = max(start, employee.hire_date)
    last = end if employee.end_date is None else min(end, employee.end_date)
    return max(0, (last - first).days + 1)


def proration(employee: Employee, period_start: date, period_end: date) -> Decimal:
    """Proration: the share of the period the person was employed, in [0, 1].

    Eligible days over days in the period, on the real calendar with both ends included (2024
    has 366 days: someone hired on 2024-03-01 gets 306/366). Exactly 1 for someone employed all
    period, 0 for someone not employed in it; otherwise the quotient to 28 significant digits.
    """
    days = eligible_days(employee, period_start, period_end)
    total = (period_end - period_start).days + 1
    if days == total:
        return _ONE
    with localcontext(_CTX):
        return Decimal(days) / Decimal(total)


# --- eligibility --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Eligibility:
    """Whether someone takes part in a merit or bonus round, and every reason why not."""

    employee_id: str = attrs.field(validator=v.identifier)
    eligible: bool = attrs.field(validator=v.instance_of(bool))
    reasons: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.non_empty_text)
    )

    def __attrs_post_init__(self) -> None:
        if self.eligible and self.reasons:
            raise ValidationError("reasons", self.reasons, "are given for an eligible person")
        if not self.eligible and not self.reasons:
            raise ValidationError("reasons", self.reasons, "are empty; say why not eligible")

    def sentence(self) -> str:
        """``e7 is eligible`` or ``e7 is not eligible: <reasons>``."""
        if self.eligible:
            return f"{self.employee_id} is eligible"
        return f"{self.employee_id} is not eligible: {'; '.join(self.reasons)}"


@attrs.frozen(kw_only=True)
class EligibilityRules:
    """Who takes part in a reward round.

    * ``cutoff``: the eligibility cutoff date — people hired after it are out, and tenure is
      counted up to it (up to the check date ``on`` when there is no cutoff);
    * ``min_tenure_days``: days of service needed by then;
    * ``min_rating``: the lowest final rating that qualifies (``None``: any rating, or none);
    * ``exclude_leavers``: people whose employment ended before ``on`` are out;
    * ``scale``: when set, ratings on another scale are refused (they cannot be compared).
    """

    min_tenure_days: int = attrs.field(default=0, validator=_int_at_least(0))
    min_rating: float | None = attrs.field(
        default=None, converter=v.as_float, validator=v.optional(v.finite_float)
    )
    exclude_leavers: bool = attrs.field(default=True, validator=v.instance_of(bool))
    cutoff: date | None = attrs.field(default=None, validator=v.optional(v.a_date))
    scale: ScaleRef | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(ScaleRef))
    )

    def check(self, employee: Employee, rating: Rating | None, on: date) -> Eligibility:
        """Check one person on day ``on`` (the effective date of the round); every failed rule
        is listed, in the order above."""
        _arg("employee", employee, Employee)
        if rating is not None:
            _arg("rating", rating, Rating)
            if self.scale is not None and rating.scale != self.scale:
                raise ValidationError(
                    "rating.scale", str(rating.scale), f"is not the rules' scale {self.scale}"
                )
        day = _day("on", on)
        reasons: list[str] = []
        hired = employee.hire_date
        if self.cutoff is not None and hired > self.cutoff:
            reasons.append(f"hired {hired}, after the cutoff {self.cutoff}")
        counted_to = self.cutoff if self.cutoff is not None else day
        tenure = employee.tenure_days(counted_to)
        if tenure < self.min_tenure_days:
            reasons.append(
                f"tenure {tenure} days on {counted_to}, less than {self.min_tenure_days}"
            )
        if self.min_rating is not None:
            if rating is None:
                reasons.append(f"no rating (at least {_g(self.min_rating)} needed)")
            elif rating.value < self.min_rating and not _same_value(rating.value, self.min_rating):
                reasons.append(f"rating {_g(rating.value)} is below {_g(self.min_rating)}")
        if self.exclude_leavers and employee.end_date is not None and employee.end_date < day:
            reasons.append(f"left on {employee.end_date}, before {day}")
        return Eligibility(employee_id=employee.id, eligible=not reasons, reasons=tuple(reasons))


# --- currencies -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CurrencyRate:
    """An exchange rate: one unit of ``currency`` is worth ``rate`` units of the base currency."""

    currency: str = attrs.field(validator=_currency)
    rate: Decimal = attrs.field(converter=_dec, validator=_decimal(Decimal(0), strict=True))


@attrs.frozen(kw_only=True)
class RateTable:
    """The exchange rates of a reward round, passed in by the caller (perfkit never fetches
    rates): each currency's value in the ``base`` currency, in which pools are budgeted.

    The base currency's own rate is 1 (it may be listed, as 1). A currency with no rate is
    refused wherever it is used.
    """

    base: str = attrs.field(validator=_currency)
    rates: tuple[CurrencyRate, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[
            v.each(v.instance_of(CurrencyRate)),
            v.unique_ids(lambda r: r.currency, "currency"),
        ],
    )

    def __attrs_post_init__(self) -> None:
        for i, r in enumerate(self.rates):
            if r.currency == self.base and r.rate != _ONE:
                raise ValidationError(
                    f"rates[{i}].rate", r.rate, f"is not 1 for the base {self.base}"
                )

    @classmethod
    def of(cls, base: str, rates: Mapping[str, Decimal | int | str]) -> RateTable:
        """Build from a mapping ``currency → rate to base``:
        ``RateTable.of("EUR", {"USD": "0.9"})``."""
        if not isinstance(rates, Mapping):
            raise ValidationError("rates", rates, "is not a mapping of currency to rate")
        pairs = sorted(rates.items(), key=lambda kv: str(kv[0]))
        return cls(base=base, rates=tuple(CurrencyRate(currency=c, rate=r) for c, r in pairs))

    @functools.cached_property
    def _by_currency(self) -> dict[str, Decimal]:
        return {self.base: _ONE, **{r.currency: r.rate for r in self.rates}}

    def rate(self, currency: str) -> Decimal:
        """Units of the base currency one unit of ``currency`` is worth (1 for the base)."""
        found = self._by_currency.get(currency) if isinstance(currency, str) else None
        if found is None:
            known = ", ".join(sorted(self._by_currency))
            raise UnknownReferenceError(
                "currency", currency, f"has no rate in the rate table (rates for: {known})"
            )
        return found

    def to_base(self, money: Money) -> Money:
        """``money`` in the base currency, not rounded to the minor unit."""
        return self.convert(money, self.base)

    def convert(self, money: Money, to: str) -> Money:
        """``money`` converted to currency ``to`` through the base currency, not rounded to the
        minor unit (only to Money's 12 decimal places; round it with
        :meth:`Money.quantize <perfkit.money.Money.quantize>`)."""
        _arg("money", money, Money)
        target = self.rate(to)
        source = self.rate(money.currency)
        if money.currency == to:
            return money
        with _arithmetic("money.amount"):
            if to == self.base:
                return Money(amount=money.amount, currency=to).times(source)
            amount = _WIDE.divide(_WIDE.multiply(money.amount, source), target)
            return Money(amount=amount.quantize(_PLACES, context=_WIDE), currency=to)


# --- the merit matrix ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CompaBand:
    """A column of a merit matrix: compa-ratios below ``upper`` (exclusive) and at or above the
    previous band's upper bound. The last band is open-ended (``upper`` is ``None``)."""

    label: str = attrs.field(validator=v.non_empty_text)
    upper: Decimal | None = attrs.field(
        default=None, converter=_dec, validator=v.optional(_decimal(Decimal(0), strict=True))
    )


@attrs.frozen(kw_only=True)
class MeritCell:
    """One cell of a merit matrix: the increase ``pct`` (a percent, ``Decimal("4.0")`` = 4 %)
    for final rating ``rating`` in the compa band labelled ``band``."""

    rating: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    band: str = attrs.field(validator=v.non_empty_text)
    pct: Decimal = attrs.field(converter=_dec, validator=_decimal(Decimal(0)))


@attrs.frozen(kw_only=True)
class MonotonicityGap:
    """A place where a merit matrix pays a higher rating less than a lower one, in one band."""

    band: str = attrs.field(validator=v.non_empty_text)
    rating: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    pct: Decimal = attrs.field(converter=_dec, validator=_decimal())
    higher_rating: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    higher_pct: Decimal = attrs.field(converter=_dec, validator=_decimal())

    def sentence(self) -> str:
        return (
            f"band {self.band!r}: rating {_g(self.higher_rating)} gets {self.higher_pct}%, less "
            f"than rating {_g(self.rating)}'s {self.pct}%"
        )


def _strictly_increasing(_inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not value:
        raise v.fail(attribute, value, "is empty; a merit matrix needs at least one rating")
    for i in range(1, len(value)):
        if not value[i] > value[i - 1]:
            raise ValidationError(
                f"{attribute.name}[{i}]", value[i], f"is not above {_g(value[i - 1])}"
            )


def _float_items(value: Any) -> Any:
    value = v.tuple_of(value)
    if isinstance(value, tuple):
        return tuple(v.as_float(x) for x in value)
    return value


@attrs.frozen(kw_only=True)
class MeritMatrix:
    """A merit matrix: the merit increase % for each final rating and compa-ratio band.

    The rows are the rating values of ``scale`` (``ratings``, increasing); the columns are the
    ``compa_bands``, in increasing order of their upper bounds, the last open-ended. Every row ×
    band cell must be given exactly once. With ``require_monotone`` (the default) a higher
    rating may never get a lower increase than a lower rating in the same band; without it,
    :meth:`monotone` reports where that happens.
    """

    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    ratings: tuple[float, ...] = attrs.field(
        converter=_float_items, validator=[v.each(v.finite_float), _strictly_increasing]
    )
    compa_bands: tuple[CompaBand, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(CompaBand))
    )
    cells: tuple[MeritCell, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(MeritCell))
    )
    require_monotone: bool = attrs.field(default=True, validator=v.instance_of(bool))

    def __attrs_post_init__(self) -> None:
        self._check_bands()
        self._check_cells()
        if self.require_monotone:
            gaps = self.monotone()
            if gaps:
                gap = gaps[0]
                at = self._cell_index[(self._row(gap.higher_rating), gap.band)]
                raise ValidationError(
                    f"cells[{at}].pct",
                    gap.higher_pct,
                    f"is below the {gap.pct}% of rating {_g(gap.rating)} in band {gap.band!r} "
                    "(a higher rating never gets a lower increase; set require_monotone=False "
                    "to allow it)",
                )

    def _check_bands(self) -> None:
        bands = self.compa_bands
        if not bands:
            raise ValidationError("compa_bands", bands, "is empty; give at least one band")
        labels: dict[str, int] = {}
        for i, band in enumerate(bands):
            if band.label in labels:
                raise ValidationError(
                    f"compa_bands[{i}].label",
                    band.label,
                    f"repeats compa_bands[{labels[band.label]}]",
                )
            labels[band.label] = i
            last = i == len(bands) - 1
            if last and band.upper is not None:
                raise ValidationError(
                    f"compa_bands[{i}].upper",
                    band.upper,
                    "must be None: the last band is open-ended",
                )
            if not last and band.upper is None:
                raise ValidationError(
                    f"compa_bands[{i}].upper", None, "is missing; only the last band is open-ended"
                )
            previous = bands[i - 1].upper if i else None
            if previous is not None and band.upper is not None and not band.upper > previous:
                raise ValidationError(
                    f"compa_bands[{i}].upper",
                    band.upper,
                    f"is not above the previous band's {previous}",
                )

    def _check_cells(self) -> None:
        labels = {b.label for b in self.compa_bands}
        seen: dict[tuple[int, str], int] = {}
        for i, cell in enumerate(self.cells):
            row = self._find_row(cell.rating)
            if row is None:
                rows = ", ".join(_g(r) for r in self.ratings)
                raise ValidationError(
                    f"cells[{i}].rating", cell.rating, f"is not a rating of the matrix ({rows})"
                )
            if cell.band not in labels:
                raise UnknownReferenceError(
                    f"cells[{i}].band", cell.band, "is not a compa band label"
                )
            key = (row, cell.band)
            if key in seen:
                raise ValidationError(
                    f"cells[{i}]",
                    f"{_g(cell.rating)} × {cell.band}",
                    f"repeats cells[{seen[key]}]",
                )
            seen[key] = i
        for row, rating in enumerate(self.ratings):
            for band in self.compa_bands:
                if (row, band.label) not in seen:
                    raise ValidationError(
                        "cells",
                        MISSING,
                        f"have no cell for rating {_g(rating)} in band {band.label!r}",
                    )

    @classmethod
    def from_rows(
        cls,
        scale: ScaleRef,
        compa_bands: Iterable[CompaBand],
        rows: Mapping[float, Iterable[Decimal | int | str]],
        *,
        require_monotone: bool = True,
    ) -> MeritMatrix:
        """Build from a table ``rating → increase % per band`` (in band order)."""
        if not isinstance(rows, Mapping):
            raise ValidationError("rows", rows, "is not a mapping of rating to percentages")
        bands = v.tuple_of(compa_bands)
        if not isinstance(bands, tuple) or not all(isinstance(b, CompaBand) for b in bands):
            raise ValidationError("compa_bands", compa_bands, "is not a sequence of CompaBand")
        ratings = sorted(_rating_value(f"rows[{k!r}]", k) for k in rows)
        cells: list[MeritCell] = []
        for key, pcts in rows.items():
            values = v.tuple_of(pcts)
            if not isinstance(values, tuple) or len(values) != len(bands):
                raise ValidationError(
                    f"rows[{key!r}]", pcts, f"does not give one percentage per band ({len(bands)})"
                )
            cells.extend(
                MeritCell(rating=key, band=b.label, pct=p)
                for b, p in zip(bands, values, strict=True)
            )
        return cls(
            scale=scale,
            ratings=ratings,
            compa_bands=bands,
            cells=cells,
            require_monotone=require_monotone,
        )

    # --- lookups ----------------------------------------------------------------------------

    def _find_row(self, rating: float) -> int | None:
        for i, r in enumerate(self.ratings):
            if _same_value(r, rating):
                return i
        return None

    def _row(self, rating: float) -> int:
        row = self._find_row(rating)
        assert row is not None
        return row

    @functools.cached_property
    def _cell_index(self) -> dict[tuple[int, str], int]:
        return {(self._row(c.rating), c.band): i for i, c in enumerate(self.cells)}

    def band_for(self, compa_ratio: Decimal) -> CompaBand:
        """The compa band a compa-ratio falls in (upper bounds are exclusive)."""
        ratio = _decimal_arg("compa_ratio", compa_ratio)
        if ratio < 0:
            raise ValidationError("compa_ratio", ratio, "is negative")
        for band in self.compa_bands:
            if band.upper is None or ratio < band.upper:
                return band
        raise AssertionError("the last band is open-ended")  # pragma: no cover

    def increase_pct(self, rating_value: float, compa_ratio: Decimal) -> Decimal:
        """The merit increase % for a final rating value and a compa-ratio."""
        value = _rating_value("rating_value", rating_value)
        row = self._find_row(value)
        if row is None:
            rows = ", ".join(_g(r) for r in self.ratings)
            raise ValidationError(
                "rating_value", rating_value, f"is not a rating of the merit matrix ({rows})"
            )
        band = self.band_for(compa_ratio)
        return self.cells[self._cell_index[(row, band.label)]].pct

    def monotone(self) -> tuple[MonotonicityGap, ...]:
        """Every place where a higher rating gets a lower increase than the rating just below
        it in the same band (band order, then rating order); empty for a monotone matrix."""
        gaps = []
        for band in self.compa_bands:
            pcts = [
                self.cells[self._cell_index[(r, band.label)]].pct for r in range(len(self.ratings))
            ]
            for r in range(1, len(pcts)):
                if pcts[r] < pcts[r - 1]:
                    gaps.append(
                        MonotonicityGap(
                            band=band.label,
                            rating=self.ratings[r - 1],
                            pct=pcts[r - 1],
                            higher_rating=self.ratings[r],
                            higher_pct=pcts[r],
                        )
                    )
        return tuple(gaps)

    def check_scale(self, scale: Scale) -> None:
        """Raise :class:`ValidationError` unless ``scale`` is the matrix's scale and every value
        it allows has a row (for scales with a fixed list of values)."""
        if scale.ref != self.scale:
            raise ValidationError(
                "scale", str(scale.ref), f"is not the matrix's scale {self.scale}"
            )
        for value in scale.allowed_values() or ():
            if self._find_row(value) is None:
                raise ValidationError("ratings", MISSING, f"have no row for rating {_g(value)}")


# --- merit proposals ------------------------------------------------------------------------


def _same_currency(inst: Any, *names: str) -> None:
    want = inst.base_pay.currency
    for name in names:
        m: Money = getattr(inst, name)
        if m.currency != want:
            raise ValidationError(f"{name}.currency", m.currency, f"differs from base_pay's {want}")


_FRACTION = _decimal(Decimal(0), _ONE)


@attrs.frozen(kw_only=True)
class MeritProposal:
    """One person's merit increase, step by step.

    ``pct`` is the matrix cell for ``rating`` and ``band`` (chosen by ``compa_ratio``);
    ``raw_increase`` = ``base_pay`` × ``pct`` / 100 × ``proration``, not rounded to the minor
    unit (only to Money's 12 decimals), in the person's
    currency. ``factor`` is the budget scaling of the person's pool (1 when the pool covers its
    demand) and ``final_increase`` what is paid, rounded to the minor unit. Before
    :func:`allocate`, ``final_increase`` is ``raw_increase`` rounded (half-even by default) and
    ``pool_id`` is ``None``.
    """

    employee_id: str = attrs.field(validator=v.identifier)
    base_pay: Money = attrs.field(validator=_non_negative_money)
    rating: Rating = attrs.field(validator=v.instance_of(Rating))
    compa_ratio: Decimal = attrs.field(converter=_dec, validator=_decimal(Decimal(0)))
    band: str = attrs.field(validator=v.non_empty_text)
    pct: Decimal = attrs.field(converter=_dec, validator=_decimal(Decimal(0)))
    proration: Decimal = attrs.field(default=_ONE, converter=_dec, validator=_FRACTION)
    raw_increase: Money = attrs.field(validator=_non_negative_money)
    factor: Decimal = attrs.field(default=_ONE, converter=_dec, validator=_FRACTION)
    final_increase: Money = attrs.field(validator=_non_negative_money)
    pool_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))

    def __attrs_post_init__(self) -> None:
        _same_currency(self, "raw_increase", "final_increase")

    @property
    def full_increase(self) -> Money:
        """``base_pay × pct / 100``, before proration, not rounded to the minor unit."""
        with _arithmetic("base_pay"):
            return self.base_pay.times(self.pct / _HUNDRED)

    def sentence(self) -> str:
        """``merit 4.0% of 52,000.00 EUR = 2,080.00 EUR, prorated 0.75 → 1,560.00 EUR`` (then,
        when they apply, the pool scaling and the final rounding)."""
        full = self.full_increase
        text = f"merit {self.pct}% of {_shown(self.base_pay)} = {_shown(full)}"
        last = full
        if self.proration != _ONE:
            last = self.raw_increase
            text += f", prorated {_short(self.proration)} → {_shown(last)}"
        if self.factor != _ONE:
            with _arithmetic("raw_increase"):
                last = self.raw_increase.times(self.factor)
            text += f", scaled {_short(self.factor)} by pool {self.pool_id} → {_shown(last)}"
        with localcontext(_CTX):
            shown = last.quantize().amount
        if self.final_increase.amount != shown:
            text += f", rounded → {self.final_increase}"
        return text


def propose_merit(
    employee: Employee,
    rating: Rating,
    matrix: MeritMatrix,
    *,
    proration: Decimal = _ONE,
    compa_ratio: Decimal | None = None,
    rounding: Rounding = Rounding.HALF_EVEN,
) -> MeritProposal:
    """The merit increase the matrix gives ``employee`` for final ``rating``.

    The compa-ratio is the employee's (base pay over their band's midpoint) unless given;
    ``proration`` comes from :func:`proration`. The final increase is rounded with ``rounding``
    to the minor unit until :func:`allocate` fits it to a pool.
    """
    _arg("employee", employee, Employee)
    _arg("rating", rating, Rating)
    _arg("matrix", matrix, MeritMatrix)
    if rating.scale != matrix.scale:
        raise ValidationError(
            "rating.scale", str(rating.scale), f"is not the matrix's scale {matrix.scale}"
        )
    share = _decimal_arg("proration", proration)
    if not 0 <= share <= 1:
        raise ValidationError("proration", share, "is not between 0 and 1")
    if not isinstance(rounding, Rounding):
        raise ValidationError("rounding", rounding, "is not a Rounding")
    if compa_ratio is None:
        with _arithmetic("employee.base_pay"):
            ratio = employee.compa_ratio
        if ratio is None:
            raise ValidationError(
                "employee.band",
                None,
                f"is missing for {employee.id!r}: the merit matrix needs a compa-ratio (give a "
                "salary band or pass compa_ratio=)",
            )
    else:
        ratio = _decimal_arg("compa_ratio", compa_ratio)
    with _arithmetic("base_pay"):
        ratio = +ratio  # to 28 significant digits
        band = matrix.band_for(ratio)
        pct = matrix.increase_pct(rating.value, ratio)
        pay = employee.base_pay
        raw = pay.times(pct / _HUNDRED * share)
        final = raw.quantize(rounding=rounding.mode)
    return MeritProposal(
        employee_id=employee.id,
        base_pay=pay,
        rating=rating,
        compa_ratio=ratio,
        band=band.label,
        pct=pct,
        proration=share,
        raw_increase=raw,
        final_increase=final,
    )


# --- budget pools -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BudgetPool:
    """The merit budget of an org unit, in the base currency of the round's rate table."""

    unit_id: str = attrs.field(validator=v.identifier)
    amount: Money = attrs.field(validator=_non_negative_money)


def pool_for(org: Organisation, pools: Iterable[BudgetPool]) -> dict[str, str]:
    """Which pool each employee draws from: ``employee id → pool unit id``, by employee id.

    A pool covers the people of its unit and of every unit below it, except those below a unit
    with a pool of its own (the nearest pool up the unit tree wins). People with no pool above
    them are left out (and :func:`allocate` refuses their proposals).
    """
    _arg("org", org, Organisation)
    items = v.tuple_of(pools)
    if not isinstance(items, tuple):
        raise ValidationError("pools", pools, "is not a sequence of BudgetPool")
    pool_units: set[str] = set()
    for i, pool in enumerate(items):
        if not isinstance(pool, BudgetPool):
            raise ValidationError(f"pools[{i}]", pool, "is not a BudgetPool")
        if pool.unit_id not in {u.id for u in org.units}:
            raise UnknownReferenceError(f"pools[{i}].unit_id", pool.unit_id, "is not an org unit")
        pool_units.add(pool.unit_id)
    parent = {u.id: u.parent_id for u in org.units}
    nearest: dict[str, str | None] = {}

    def covering(unit_id: str) -> str | None:
        path: list[str] = []
        node: str | None = unit_id
        found: str | None = None
        while node is not None:
            if node in nearest:
                found = nearest[node]
                break
            path.append(node)
            if node in pool_units:
                found = node
                break
            node = parent.get(node)
        for u in path:
            nearest[u] = found
        return found

    mapping = {}
    for e in sorted(org.employees, key=lambda e: e.id):
        pool = covering(e.unit_id)
        if pool is not None:
            mapping[e.id] = pool
    return mapping


@attrs.frozen(kw_only=True)
class PoolReport:
    """How one budget pool was spent, in the base currency.

    ``demand`` is the sum of the raw increases drawn on it, ``factor`` the scaling applied to
    them (``amount / demand`` rounded down when the demand exceeds the pool, else 1), ``spend``
    the sum of the final increases converted to the base currency (each person is paid in their
    own currency, so this is not rounded to the minor unit; demand and spend are rounded *up* to
    Money's 12 decimals) and ``remaining`` = ``amount - spend``, never negative.
    """

    unit_id: str = attrs.field(validator=v.identifier)
    amount: Money = attrs.field(validator=_non_negative_money)
    demand: Money = attrs.field(validator=_non_negative_money)
    factor: Decimal = attrs.field(converter=_dec, validator=_FRACTION)
    spend: Money = attrs.field(validator=_non_negative_money)
    remaining: Money = attrs.field(validator=_non_negative_money)
    headcount: int = attrs.field(validator=_int_at_least(0))

    def sentence(self) -> str:
        """``pool eng: demand 125,000.00 EUR for 2 people, pool 100,000.00 EUR, factor 0.8;
        spent 99,999.99 EUR, 0.01 EUR left``."""
        people = "person" if self.headcount == 1 else "people"
        return (
            f"pool {self.unit_id}: demand {_shown(self.demand)} for {self.headcount} {people}, "
            f"pool {_shown(self.amount)}, factor {_short(self.factor)}; "
            f"spent {_shown(self.spend)}, {_shown(self.remaining)} left"
        )


@attrs.frozen(kw_only=True)
class MeritAllocation:
    """The result of fitting merit proposals to budget pools: the proposals with their final
    increases (by employee id) and a report per pool (by unit id)."""

    proposals: tuple[MeritProposal, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[
            v.each(v.instance_of(MeritProposal)),
            v.unique_ids(lambda p: p.employee_id, "employee"),
        ],
    )
    pools: tuple[PoolReport, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(PoolReport)), v.unique_ids(lambda p: p.unit_id, "pool")],
    )

    @functools.cached_property
    def _by_employee(self) -> dict[str, MeritProposal]:
        return {p.employee_id: p for p in self.proposals}

    def proposal(self, employee_id: str) -> MeritProposal:
        """The proposal of one employee (:class:`~perfkit.NotFoundError` if there is none)."""
        found = self._by_employee.get(employee_id) if isinstance(employee_id, str) else None
        if found is None:
            raise NotFoundError("merit proposal", str(employee_id))
        return found

    def pool(self, unit_id: str) -> PoolReport:
        """The report of one pool (:class:`~perfkit.NotFoundError` if there is none)."""
        for p in self.pools:
            if p.unit_id == unit_id:
                return p
        raise NotFoundError("budget pool", str(unit_id))

    @property
    def total(self) -> Mapping[str, Money]:
        """The final increases summed per currency, by currency code."""
        sums: dict[str, Money] = {}
        for p in self.proposals:
            m = p.final_increase
            sums[m.currency] = sums[m.currency] + m if m.currency in sums else m
        return dict(sorted(sums.items()))


def _checked_pools(pools: Iterable[BudgetPool], base: str) -> dict[str, BudgetPool]:
    items = v.tuple_of(pools)
    if not isinstance(items, tuple):
        raise ValidationError("pools", pools, "is not a sequence of BudgetPool")
    found: dict[str, BudgetPool] = {}
    for i, pool in enumerate(items):
        if not isinstance(pool, BudgetPool):
            raise ValidationError(f"pools[{i}]", pool, "is not a BudgetPool")
        if pool.unit_id in found:
            raise ValidationError(f"pools[{i}].unit_id", pool.unit_id, "repeats another pool")
        if pool.amount.currency != base:
            raise ValidationError(
                f"pools[{i}].amount.currency",
                pool.amount.currency,
                f"is not the rate table's base currency {base}",
            )
        found[pool.unit_id] = pool
    return found


def _grouped_proposals(
    proposals: Iterable[MeritProposal], pools: Mapping[str, BudgetPool], pool_of: object
) -> dict[str, list[MeritProposal]]:
    if not isinstance(pool_of, Mapping):
        raise ValidationError("pool_of", pool_of, "is not a mapping of employee id to pool id")
    items = v.tuple_of(proposals)
    if not isinstance(items, tuple):
        raise ValidationError("proposals", proposals, "is not a sequence of MeritProposal")
    groups: dict[str, list[MeritProposal]] = {u: [] for u in pools}
    seen: dict[str, int] = {}
    for i, p in enumerate(items):
        if not isinstance(p, MeritProposal):
            raise ValidationError(f"proposals[{i}]", p, "is not a MeritProposal")
        if p.employee_id in seen:
            raise ValidationError(
                f"proposals[{i}].employee_id",
                p.employee_id,
                f"repeats proposals[{seen[p.employee_id]}]",
            )
        seen[p.employee_id] = i
        pool_id = pool_of.get(p.employee_id)
        if pool_id is None:
            raise ValidationError(
                f"proposals[{i}].employee_id", p.employee_id, "draws from no pool (not in pool_of)"
            )
        if not isinstance(pool_id, str) or pool_id not in groups:
            raise UnknownReferenceError(
                f"pool_of[{p.employee_id!r}]", pool_id, "is not the unit of a budget pool"
            )
        groups[pool_id].append(p)
    return groups


def _fit_pool(
    pool: BudgetPool, members: list[MeritProposal], rates: RateTable
) -> tuple[PoolReport, list[MeritProposal]]:
    """Scale and round one pool's increases (see :func:`allocate`)."""
    base = rates.base
    members = sorted(members, key=lambda p: p.employee_id)
    rate = [rates.rate(p.base_pay.currency) for p in members]
    raws = [p.raw_increase.amount for p in members]
    demand_up = _UP.create_decimal(0)
    demand_down = _DOWN.create_decimal(0)
    for amount, r in zip(raws, rate, strict=True):
        demand_up = _UP.add(demand_up, _UP.multiply(amount, r))
        demand_down = _DOWN.add(demand_down, _DOWN.multiply(amount, r))
    budget_total = pool.amount.amount
    if demand_up <= budget_total:
        factor, budget = _ONE, demand_down
    else:
        factor, budget = _FLOOR.divide(budget_total, demand_up), budget_total
        if factor.is_zero():
            factor = Decimal(0)
    units = [Decimal(1).scaleb(-minor_unit(p.base_pay.currency)) for p in members]
    if factor == _ONE:
        # The pool covers the demand: everyone keeps their increase as rounded on its own
        # (exactly what they would get without a pool), when those fit the pool too.
        own = [
            p.raw_increase.amount.quantize(unit, rounding=ROUND_HALF_EVEN, context=_DOWN)
            for p, unit in zip(members, units, strict=True)
        ]
        own_spend = _UP.create_decimal(0)
        for amount, r in zip(own, rate, strict=True):
            own_spend = _UP.add(own_spend, _UP.multiply(amount, r))
        if own_spend <= budget_total:
            return _pool_report(pool, members, own, factor, demand_up, own_spend, base)
    finals: list[Decimal] = []
    cut: list[Decimal] = []
    spend = _UP.create_decimal(0)
    for amount, unit, r in zip(raws, units, rate, strict=True):
        target = amount if factor == _ONE else _DOWN.multiply(amount, factor)
        floor = target.quantize(unit, rounding=ROUND_DOWN, context=_DOWN)
        finals.append(floor)
        cut.append(_DOWN.divide(_DOWN.subtract(target, floor), unit))
        spend = _UP.add(spend, _UP.multiply(floor, r))
    # Largest remainder: one more minor unit to those rounding cut most from, while it fits.
    order = sorted(
        (i for i in range(len(members)) if cut[i] > 0),
        key=lambda i: (-cut[i], members[i].employee_id),
    )
    for i in order:
        step = _UP.multiply(units[i], rate[i])
        if _UP.add(spend, step) <= budget:
            finals[i] = finals[i] + units[i]
            spend = _UP.add(spend, step)
    return _pool_report(pool, members, finals, factor, demand_up, spend, base)


def _pool_report(
    pool: BudgetPool,
    members: list[MeritProposal],
    finals: list[Decimal],
    factor: Decimal,
    demand_up: Decimal,
    spend: Decimal,
    base: str,
) -> tuple[PoolReport, list[MeritProposal]]:
    updated = [
        MeritProposal(  # attrs.evolve(p, factor=..., final_increase=..., pool_id=...), spelled out
            employee_id=p.employee_id,
            base_pay=p.base_pay,
            rating=p.rating,
            compa_ratio=p.compa_ratio,
            band=p.band,
            pct=p.pct,
            proration=p.proration,
            raw_increase=p.raw_increase,
            factor=factor,
            final_increase=Money(amount=final, currency=p.base_pay.currency),
            pool_id=pool.unit_id,
        )
        for p, final in zip(members, finals, strict=True)
    ]
    # Reported to Money's 12 decimal places, rounded up: the report never understates spending.
    spent = spend.quantize(_PLACES, context=_UP)
    report = PoolReport(
        unit_id=pool.unit_id,
        amount=pool.amount,
        demand=Money(amount=demand_up.quantize(_PLACES, context=_UP), currency=base),
        factor=factor,
        spend=Money(amount=spent, currency=base),
        remaining=Money(amount=_UP.subtract(pool.amount.amount, spent), currency=base),
        headcount=len(members),
    )
    return report, updated


def allocate(
    proposals: Iterable[MeritProposal],
    pools: Iterable[BudgetPool],
    rates: RateTable,
    pool_of: Mapping[str, str],
) -> MeritAllocation:
    """Fit merit proposals to budget pools: the budget algorithm.

    ``pool_of`` says which pool each employee draws from (:func:`pool_for` builds it from the
    organisation). For each pool, in the base currency of ``rates``:

    1. **demand** = the sum of its people's raw increases, converted at ``rates``;
    2. when the demand exceeds the pool, **factor** = pool / demand, rounded *down* (28
       digits), and every raw increase is multiplied by it; otherwise factor = 1;
    3. each person's scaled increase is rounded **down** to their currency's minor unit, so the
       converted total never exceeds the pool;
    4. when the pool covers the demand and everyone's increase rounded on its own (as without
       a pool) fits it too, those are kept: a budget that does not bind changes nobody's pay;
    5. otherwise the **remainder** is reconciled by largest remainder: people whose increase
       rounding cut the largest fraction of a minor unit (ties: smaller employee id first) get
       one more minor
       unit each, as long as the converted total stays within the budget — the pool, or the
       demand when the pool covers it. Nobody gets more than their scaled increase rounded up,
       and nobody less than it rounded down. What cannot be handed out stays in the pool,
       reported as ``remaining``.

    Accounting rounds toward the safe side (demand up, spend up), so the converted total of the
    final increases never exceeds the pool, exactly.
    """
    _arg("rates", rates, RateTable)
    by_unit = _checked_pools(pools, rates.base)
    groups = _grouped_proposals(proposals, by_unit, pool_of)
    reports: list[PoolReport] = []
    updated: list[MeritProposal] = []
    for unit_id in sorted(by_unit):
        with _arithmetic(f"pools[{unit_id!r}]"):
            report, fitted = _fit_pool(by_unit[unit_id], groups[unit_id], rates)
        reports.append(report)
        updated.extend(fitted)
    updated.sort(key=lambda p: p.employee_id)
    return MeritAllocation(proposals=tuple(updated), pools=tuple(reports))


# --- bonus --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LevelTarget:
    """The target bonus of a job level, as a percent of base pay."""

    job_level: str = attrs.field(validator=v.non_empty_text)
    pct: Decimal = attrs.field(converter=_dec, validator=_decimal(Decimal(0)))


@attrs.frozen(kw_only=True)
class RatingMultiplier:
    """The individual bonus multiplier for a final rating value (1 pays the target)."""

    rating: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    multiplier: Decimal = attrs.field(converter=_dec, validator=_decimal(Decimal(0)))


@attrs.frozen(kw_only=True)
class BonusProposal:
    """One person's bonus, step by step.

    ``target`` = ``base_pay`` × ``target_pct`` / 100 × ``proration`` (the prorated target);
    ``uncapped`` = target × ``individual`` × ``company``; ``cap`` = target × ``cap_multiple``;
    ``amount`` is the smaller of the two, rounded to the minor unit (never above the cap).
    Amounts other than ``amount`` are not rounded to the minor unit (only to Money's 12
    decimals).
    """

    employee_id: str = attrs.field(validator=v.identifier)
    base_pay: Money = attrs.field(validator=_non_negative_money)
    rating: Rating = attrs.field(validator=v.instance_of(Rating))
    target_pct: Decimal = attrs.field(converter=_dec, validator=_decimal(Decimal(0)))
    proration: Decimal = attrs.field(default=_ONE, converter=_dec, validator=_FRACTION)
    target: Money = attrs.field(validator=_non_negative_money)
    individual: Decimal = attrs.field(converter=_dec, validator=_decimal(Decimal(0)))
    company: Decimal = attrs.field(converter=_dec, validator=_decimal(Decimal(0)))
    uncapped: Money = attrs.field(validator=_non_negative_money)
    cap_multiple: Decimal = attrs.field(converter=_dec, validator=_decimal(Decimal(0), strict=True))
    cap: Money = attrs.field(validator=_non_negative_money)
    capped: bool = attrs.field(validator=v.instance_of(bool))
    amount: Money = attrs.field(validator=_non_negative_money)

    def __attrs_post_init__(self) -> None:
        _same_currency(self, "target", "uncapped", "cap", "amount")
        if self.amount.amount > self.cap.amount:
            raise ValidationError(
                "amount.amount", self.amount.amount, f"is above the cap {self.cap.amount}"
            )

    def sentence(self) -> str:
        """``bonus target 10% of 60,000.00 EUR = 6,000.00 EUR × individual 1.5 × company 1.0 =
        9,000.00 EUR, capped at 1.25× target 7,500.00 EUR → 7,500.00 EUR``.

        The cap step shows only when the cap binds; without it the sentence ends on the bonus
        (``... × company 1.0 = 5,400.00 EUR``), followed by ``, rounded → <amount>`` only when
        rounding pays other than the amount shown."""
        with _arithmetic("base_pay"):
            full = self.base_pay.times(self.target_pct / _HUNDRED)
        text = f"bonus target {self.target_pct}% of {_shown(self.base_pay)} = {_shown(full)}"
        if self.proration != _ONE:
            text += f", prorated {_short(self.proration)} → {_shown(self.target)}"
        text += (
            f" × individual {self.individual} × company {self.company} = {_shown(self.uncapped)}"
        )
        if self.capped:
            text += f", capped at {self.cap_multiple}× target {_shown(self.cap)}"
            return f"{text} → {self.amount}"
        with localcontext(_CTX):
            shown = self.uncapped.quantize().amount
        if self.amount.amount != shown:
            text += f", rounded → {self.amount}"
        return text


@attrs.frozen(kw_only=True)
class BonusPlan:
    """A bonus plan: bonus = base pay × target % × individual multiplier × company multiplier ×
    proration, capped at ``cap`` × the (prorated) target, rounded with ``rounding``.

    The target % comes from the person's job level (``targets``), else ``default_target_pct``;
    the individual multiplier from their final rating on ``scale`` (``multipliers``, one per
    rating value); the company multiplier reflects company results (1 = on plan).
    """

    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    targets: tuple[LevelTarget, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[
            v.each(v.instance_of(LevelTarget)),
            v.unique_ids(lambda t: t.job_level, "job level"),
        ],
    )
    default_target_pct: Decimal | None = attrs.field(
        default=None, converter=_dec, validator=v.optional(_decimal(Decimal(0)))
    )
    multipliers: tuple[RatingMultiplier, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(RatingMultiplier))
    )
    company_multiplier: Decimal = attrs.field(
        default=_ONE, converter=_dec, validator=_decimal(Decimal(0))
    )
    cap: Decimal = attrs.field(
        default=Decimal(2), converter=_dec, validator=_decimal(Decimal(0), strict=True)
    )
    rounding: Rounding = attrs.field(default=Rounding.HALF_EVEN, validator=v.enum_member(Rounding))

    def __attrs_post_init__(self) -> None:
        if not self.multipliers:
            raise ValidationError("multipliers", (), "is empty; give one per rating value")
        for i, m in enumerate(self.multipliers):
            for j in range(i):
                if _same_value(self.multipliers[j].rating, m.rating):
                    raise ValidationError(
                        f"multipliers[{i}].rating", m.rating, f"repeats multipliers[{j}]"
                    )
        if not self.targets and self.default_target_pct is None:
            raise ValidationError("targets", (), "are empty and there is no default_target_pct")

    def target_pct(self, job_level: str) -> Decimal:
        """The target bonus % of a job level (the default when the level has none)."""
        for t in self.targets:
            if t.job_level == job_level:
                return t.pct
        if self.default_target_pct is None:
            raise ValidationError(
                "job_level", job_level, "has no bonus target and the plan has no default"
            )
        return self.default_target_pct

    def individual_multiplier(self, rating_value: float) -> Decimal:
        """The individual multiplier of a final rating value."""
        value = _rating_value("rating_value", rating_value)
        for m in self.multipliers:
            if _same_value(m.rating, value):
                return m.multiplier
        known = ", ".join(_g(m.rating) for m in self.multipliers)
        raise ValidationError("rating_value", rating_value, f"has no bonus multiplier ({known})")

    def bonus(self, employee: Employee, rating: Rating, proration: Decimal = _ONE) -> BonusProposal:
        """The bonus of ``employee`` for final ``rating``, prorated by ``proration``."""
        _arg("employee", employee, Employee)
        _arg("rating", rating, Rating)
        if rating.scale != self.scale:
            raise ValidationError(
                "rating.scale", str(rating.scale), f"is not the plan's scale {self.scale}"
            )
        share = _decimal_arg("proration", proration)
        if not 0 <= share <= 1:
            raise ValidationError("proration", share, "is not between 0 and 1")
        pct = self.target_pct(employee.job_level)
        individual = self.individual_multiplier(rating.value)
        pay = employee.base_pay
        with _arithmetic("base_pay"):
            target = pay.times(pct / _HUNDRED * share)
            uncapped = target.times(individual * self.company_multiplier)
            cap = target.times(self.cap)
            capped = uncapped.amount > cap.amount
            amount = cap if capped else uncapped
            paid = amount.quantize(rounding=self.rounding.mode)
            if paid.amount > cap.amount:  # rounding must not lift the bonus above the cap
                paid = amount.quantize(rounding=ROUND_DOWN)
        return BonusProposal(
            employee_id=employee.id,
            base_pay=pay,
            rating=rating,
            target_pct=pct,
            proration=share,
            target=target,
            individual=individual,
            company=self.company_multiplier,
            uncapped=uncapped,
            cap_multiple=self.cap,
            cap=cap,
            capped=capped,
            amount=paid,
        )


# --- recognition --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RecognitionAward:
    """A recognition (spot) award given by a rule for the praise someone received."""

    rule_id: str = attrs.field(validator=v.identifier)
    employee_id: str = attrs.field(validator=v.identifier)
    praise_ids: tuple[str, ...] = attrs.field(converter=v.tuple_of, validator=v.each(v.identifier))
    window_start: datetime = attrs.field(validator=v.aware_datetime)
    window_end: datetime = attrs.field(validator=v.aware_datetime)
    amount: Money = attrs.field(validator=_non_negative_money)
    reason: str = attrs.field(validator=v.non_empty_text)

    @property
    def praise_count(self) -> int:
        return len(self.praise_ids)

    def sentence(self) -> str:
        """``spot award 250.00 EUR for e7: 3 praises from 2 people between ... and ...``."""
        return f"{self.rule_id} award {self.amount} for {self.employee_id}: {self.reason}"


@attrs.frozen(kw_only=True)
class RecognitionRule:
    """A recognition rule: ``min_praise`` or more praises in the ``window_days`` days up to the
    evaluation time earn a spot award.

    The award is a fixed amount (``award``, paid in its own currency) or a percent of base pay
    (``award_pct``, in the person's currency, rounded with ``rounding``) — exactly one of the
    two. With ``distinct_authors`` only praise from different people counts (three praises from
    one colleague count once).
    """

    id: str = attrs.field(validator=v.identifier)
    min_praise: int = attrs.field(validator=_int_at_least(1))
    window_days: int = attrs.field(validator=_int_at_least(1))
    award: Money | None = attrs.field(default=None, validator=v.optional(_non_negative_money))
    award_pct: Decimal | None = attrs.field(
        default=None, converter=_dec, validator=v.optional(_decimal(Decimal(0)))
    )
    distinct_authors: bool = attrs.field(default=False, validator=v.instance_of(bool))
    rounding: Rounding = attrs.field(default=Rounding.HALF_EVEN, validator=v.enum_member(Rounding))

    def __attrs_post_init__(self) -> None:
        if (self.award is None) == (self.award_pct is None):
            raise ValidationError(
                "award", self.award, "give exactly one of award (an amount) and award_pct"
            )

    def awards(
        self,
        praise: FeedbackLog | Iterable[object],
        employees: Iterable[Employee],
        as_of: datetime,
    ) -> tuple[RecognitionAward, ...]:
        """The awards this rule gives at ``as_of``, by employee id.

        ``praise`` is a :class:`~perfkit.feedback.FeedbackLog` or any feedback events (only
        :class:`~perfkit.feedback.Praise` counts); a praise counts when it is about one of
        ``employees`` employed on ``as_of``'s date and was given after ``as_of`` − ``window_days``
        and up to ``as_of`` included.
        """
        _moment("as_of", as_of)
        events = praise.events if isinstance(praise, FeedbackLog) else v.tuple_of(praise)
        if not isinstance(events, tuple):
            raise ValidationError("praise", praise, "is not a FeedbackLog or a sequence of events")
        people = v.tuple_of(employees)
        if not isinstance(people, tuple):
            raise ValidationError("employees", employees, "is not a sequence of Employee")
        by_id: dict[str, Employee] = {}
        for i, e in enumerate(people):
            if not isinstance(e, Employee):
                raise ValidationError(f"employees[{i}]", e, "is not an Employee")
            by_id[e.id] = e
        try:
            start = as_of - timedelta(days=self.window_days)
        except OverflowError:
            raise ValidationError("as_of", as_of, "is too early for the window") from None
        found: dict[str, list[Praise]] = {}
        for event in events:
            if not isinstance(event, Praise) or event.subject not in by_id:
                continue
            if start < event.at <= as_of:
                found.setdefault(event.subject, []).append(event)
        awards = []
        day = as_of.date()
        # The window as text, and a fixed award as text, once for every award of the call.
        window = (start, as_of, start.isoformat(), as_of.isoformat())
        fixed = None if self.award is None else str(self.award)
        for subject in sorted(found):
            person = by_id[subject]
            if not person.is_active(day):
                continue
            given = sorted(found[subject], key=_at_then_id)
            if self.distinct_authors:
                first: dict[str, Praise] = {}
                for p in given:
                    first.setdefault(p.author, p)
                given = sorted(first.values(), key=_at_then_id)
            if len(given) < self.min_praise:
                continue
            awards.append(self._award(person, given, window, fixed))
        return tuple(awards)

    def _award(
        self,
        person: Employee,
        given: list[Praise],
        window: tuple[datetime, datetime, str, str],
        fixed: str | None,
    ) -> RecognitionAward:
        start, end, start_text, end_text = window
        if self.award is not None:
            amount = self.award
            what = str(amount) if fixed is None else fixed
        else:
            assert self.award_pct is not None
            with _arithmetic(f"employees[{person.id!r}].base_pay"):
                amount = person.base_pay.times(self.award_pct / _HUNDRED).quantize(
                    rounding=self.rounding.mode
                )
            what = f"{self.award_pct}% of {_shown(person.base_pay)}"
        authors = len({p.author for p in given})
        noun = "praise" if len(given) == 1 else "praises"
        from_whom = "person" if authors == 1 else "people"
        reason = (
            f"{len(given)} {noun} from {authors} {from_whom} between {start_text} and "
            f"{end_text} (rule: {self.min_praise} or more in {self.window_days} days) "
            f"→ {what}"
        )
        return RecognitionAward(
            rule_id=self.id,
            employee_id=person.id,
            praise_ids=tuple(p.id for p in given),
            window_start=start,
            window_end=end,
            amount=amount,
            reason=reason,
        )

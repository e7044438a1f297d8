"""Money, salary bands and compa-ratio.

Money is a :class:`~decimal.Decimal` amount with an ISO 4217 currency code. Floats never touch
pay: amounts must be Decimals, arithmetic refuses to mix currencies, and rounding is explicit
(:meth:`Money.quantize`, half-even to the currency's minor unit by default).
"""

from __future__ import annotations

import re
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
)
from typing import Any

import attrs

from . import _validation as v
from ._errors import ValidationError

__all__ = [
    "CURRENCIES",
    "MAX_DIGITS",
    "MAX_PLACES",
    "Money",
    "SalaryBand",
    "compa_ratio",
    "minor_unit",
]

# ISO 4217 active codes with their minor unit (decimal places). Codes not listed use 2.
_ZERO_DECIMAL = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}
_THREE_DECIMAL = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
_CODES = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYI UYU UZS
VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
"""
CURRENCIES: frozenset[str] = frozenset(_CODES.split())
"""The ISO 4217 currency codes perfkit accepts."""


def minor_unit(currency: str) -> int:
    """Decimal places of a currency's minor unit (EUR 2, JPY 0, KWD 3)."""
    if not isinstance(currency, str) or currency not in CURRENCIES:
        raise ValidationError("currency", currency, "is not an ISO 4217 currency code")
    if currency in _ZERO_DECIMAL:
        return 0
    if currency in _THREE_DECIMAL:
        return 3
    return 2


def _currency(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or value not in CURRENCIES:
        raise ValidationError(attribute.name, value, "is not an ISO 4217 currency code")


MAX_DIGITS = 18
"""Amounts stay below 10**18 in absolute value (a quintillion): no payroll comes close."""
MAX_PLACES = 12
"""Amounts carry at most 12 decimal places (unrounded intermediate results included)."""

# Arithmetic on money runs in a context wide enough to be exact for every allowed amount.
_EXACT = Context(prec=MAX_DIGITS + MAX_PLACES + 40, rounding=ROUND_HALF_EVEN)


def _canonical(amount: Decimal, currency: str) -> Decimal:
    """The one representation of an amount: at least the currency's minor unit of decimals, no
    trailing zeros beyond it (``1``, ``1.0`` and ``1.00`` EUR are all ``1.00``), so that equal
    amounts serialise to the same text."""
    places = max(minor_unit(currency), -min(0, amount.normalize(_EXACT).as_tuple().exponent))  # type: ignore[operator]
    return amount.quantize(Decimal(1).scaleb(-places), context=_EXACT)


@attrs.frozen(kw_only=True)
class Money:
    """An amount in a currency: ``Money.of("52000.00", "EUR")``.

    The amount is kept in a canonical form (at least the currency's minor unit of decimals, no
    trailing zeros beyond it), so equal amounts are equal objects with the same JSON. Amounts are
    below 10**18 with at most 12 decimals; arithmetic on them is exact.
    """

    amount: Decimal = attrs.field(validator=v.decimal)
    currency: str = attrs.field(validator=_currency)

    def __attrs_post_init__(self) -> None:
        a = self.amount
        if a.adjusted() >= MAX_DIGITS:
            raise ValidationError("amount", a, f"is too large (at most {MAX_DIGITS} digits)")
        exponent = a.normalize(_EXACT).as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_PLACES and a != 0:
            raise ValidationError("amount", a, f"has more than {MAX_PLACES} decimal places")
        object.__setattr__(self, "amount", _canonical(a, self.currency))

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build from a Decimal, an int or a decimal string (never a float)."""
        if isinstance(amount, bool) or not isinstance(amount, Decimal | int | str):
            raise ValidationError("amount", amount, "is not a Decimal, int or decimal string")
        if isinstance(amount, str) and not _DECIMAL_TEXT.match(amount):
            raise ValidationError("amount", amount, "is not a decimal number such as 52000.00")
        return cls(amount=Decimal(amount), currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)

    def _same(self, other: object, name: str = "other") -> Money:
        if not isinstance(other, Money):
            raise ValidationError(name, other, "is not Money")
        if other.currency != self.currency:
            raise ValidationError(
                f"{name}.currency", other.currency, f"cannot be combined with {self.currency}"
            )
        return other

    def __add__(self, other: Money) -> Money:
        o = self._same(other)
        return Money(amount=_EXACT.add(self.amount, o.amount), currency=self.currency)

    def __radd__(self, other: object) -> Money:
        """``0 + money`` is the money, so that ``sum(amounts, ...)`` works."""
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return self._same(other) + self

    def __sub__(self, other: Money) -> Money:
        o = self._same(other)
        return Money(amount=_EXACT.subtract(self.amount, o.amount), currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def times(self, factor: Decimal | int) -> Money:
        """Multiply by a Decimal factor, exactly (round with :meth:`quantize`)."""
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            raise ValidationError("factor", factor, "is not a Decimal or int")
        if isinstance(factor, Decimal) and not factor.is_finite():
            raise ValidationError("factor", factor, "is not a finite Decimal")
        product = _EXACT.multiply(self.amount, Decimal(factor))
        exponent = product.normalize(_EXACT).as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_PLACES:
            product = product.quantize(Decimal(1).scaleb(-MAX_PLACES), context=_EXACT)
        return Money(amount=product, currency=self.currency)

    def quantize(self, places: int | None = None, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Round to ``places`` decimals (default: the currency's minor unit), half-even unless
        ``rounding`` names another :mod:`decimal` rounding mode (``decimal.ROUND_DOWN``, ...)."""
        if places is not None and (
            isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= 12
        ):
            raise ValidationError("places", places, "is not a whole number from 0 to 12")
        if rounding not in _ROUNDINGS:
            raise ValidationError("rounding", rounding, f"is not one of {', '.join(_ROUNDINGS)}")
        p = minor_unit(self.currency) if places is None else places
        exp = Decimal(1).scaleb(-p)
        rounded = self.amount.quantize(exp, rounding=rounding, context=_EXACT)
        return Money(amount=rounded, currency=self.currency)

    def __str__(self) -> str:
        """``2,080.00 EUR``: grouped thousands, the amount as held."""
        return f"{self.amount:,} {self.currency}"


_ROUNDINGS = (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    ROUND_05UP,
)
_DECIMAL_TEXT = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
"""Plain decimal text, ASCII digits only: ``52000``, ``-1.50``, ``.5``."""


def _band_order(inst: SalaryBand) -> None:
    for name in ("minimum", "midpoint", "maximum"):
        m: Money = getattr(inst, name)
        if m.currency != inst.minimum.currency:
            want = inst.minimum.currency
            raise ValidationError(f"{name}.currency", m.currency, f"differs from minimum's {want}")
    if inst.minimum.amount <= 0:
        raise ValidationError("minimum.amount", inst.minimum.amount, "is not positive")
    if not inst.minimum.amount <= inst.midpoint.amount <= inst.maximum.amount:
        raise ValidationError(
            "midpoint.amount",
            inst.midpoint.amount,
            f"is not between minimum {inst.minimum.amount} and maximum {inst.maximum.amount}",
        )


@attrs.frozen(kw_only=True)
class SalaryBand:
    """A pay range for a job level: minimum ≤ midpoint ≤ maximum, in one currency."""

    minimum: Money = attrs.field(validator=v.instance_of(Money))
    midpoint: Money = attrs.field(validator=v.instance_of(Money))
    maximum: Money = attrs.field(validator=v.instance_of(Money))

    def __attrs_post_init__(self) -> None:
        _band_order(self)

    @property
    def currency(self) -> str:
        return self.minimum.currency

    def compa_ratio(self, pay: Money) -> Decimal:
        """``pay / midpoint``, unrounded: 1.00 is paid at the midpoint."""
        return compa_ratio(pay, self)

    def position(self, pay: Money) -> Decimal:
        """Range penetration: 0 at the minimum, 1 at the maximum (may fall outside [0, 1])."""
        self.minimum._same(pay, "pay")
        width = self.maximum.amount - self.minimum.amount
        if width == 0:
            return Decimal(0)
        return _EXACT.divide(pay.amount - self.minimum.amount, width)


def compa_ratio(pay: Money, band: SalaryBand) -> Decimal:
    """Compa-ratio: base pay divided by the band midpoint (same currency)."""
    if not isinstance(band, SalaryBand):
        raise ValidationError("band", band, "is not a SalaryBand")
    band.midpoint._same(pay, "pay")
    return _EXACT.divide(pay.amount, band.midpoint.amount)

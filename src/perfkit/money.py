"""Money, salary bands and compa-ratio.

Money is a :class:`~decimal.Decimal` amount with an ISO 4217 currency code. Floats never touch
pay: amounts must be Decimals, arithmetic refuses to mix currencies, and rounding is explicit
(:meth:`Money.quantize`, half-even to the currency's minor unit by default).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import attrs

from . import _validation as v
from ._errors import ValidationError

__all__ = ["CURRENCIES", "Money", "SalaryBand", "compa_ratio", "minor_unit"]

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
    if currency in _ZERO_DECIMAL:
        return 0
    if currency in _THREE_DECIMAL:
        return 3
    return 2


def _currency(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or value not in CURRENCIES:
        raise ValidationError(attribute.name, value, "is not an ISO 4217 currency code")


@attrs.frozen(kw_only=True)
class Money:
    """An amount in a currency: ``Money.of("52000.00", "EUR")``."""

    amount: Decimal = attrs.field(validator=v.decimal)
    currency: str = attrs.field(validator=_currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build from a Decimal, an int or a decimal string (never a float)."""
        if isinstance(amount, bool) or not isinstance(amount, Decimal | int | str):
            raise ValidationError("amount", amount, "is not a Decimal, int or decimal string")
        try:
            value = Decimal(amount)
        except ArithmeticError:
            raise ValidationError("amount", amount, "is not a decimal number") from None
        return cls(amount=value, currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise ValidationError("other", other, "is not Money")
        if other.currency != self.currency:
            raise ValidationError(
                "currency", other.currency, f"cannot be combined with {self.currency}"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def times(self, factor: Decimal | int) -> Money:
        """Multiply by a Decimal factor, unrounded (round with :meth:`quantize`)."""
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            raise ValidationError("factor", factor, "is not a Decimal or int")
        return Money(amount=self.amount * factor, currency=self.currency)

    def quantize(self, places: int | None = None, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Round to ``places`` decimals (default: the currency's minor unit), half-even."""
        p = minor_unit(self.currency) if places is None else places
        exp = Decimal(1).scaleb(-p)
        return Money(amount=self.amount.quantize(exp, rounding=rounding), currency=self.currency)

    def __str__(self) -> str:
        """``2,080.00 EUR``: grouped, at least the currency's minor unit of decimals."""
        places = minor_unit(self.currency)
        shown = self.amount if -self.amount.as_tuple().exponent > places else self.quantize().amount  # type: ignore[operator]
        return f"{shown:,} {self.currency}"


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
        self.minimum._same(pay)
        width = self.maximum.amount - self.minimum.amount
        if width == 0:
            return Decimal(0)
        return (pay.amount - self.minimum.amount) / width


def compa_ratio(pay: Money, band: SalaryBand) -> Decimal:
    """Compa-ratio: base pay divided by the band midpoint (same currency)."""
    band.midpoint._same(pay)
    return pay.amount / band.midpoint.amount

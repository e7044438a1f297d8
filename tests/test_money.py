from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit import Money, SalaryBand, ValidationError

from .strategies.common import currencies, decimals, money


def eur(x: str) -> Money:
    return Money.of(x, "EUR")


@given(money)
def test_money_round_trips(m: Money) -> None:
    assert perfkit.loads(perfkit.dumps(m), Money) == m
    assert perfkit.loads(perfkit.dumps(m)) == m


@given(decimals, decimals, currencies)
def test_addition_is_exact(a: Decimal, b: Decimal, cur: str) -> None:
    assert (Money(amount=a, currency=cur) + Money(amount=b, currency=cur)).amount == a + b


def test_floats_never_touch_money() -> None:
    with pytest.raises(ValidationError, match=r"amount: 1\.5 is not a Decimal"):
        Money(amount=1.5, currency="EUR")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="amount"):
        Money.of(1.5, "EUR")  # type: ignore[arg-type]


def test_unknown_currency_is_named() -> None:
    with pytest.raises(ValidationError, match="currency: 'EURO' is not an ISO 4217"):
        Money.of("1", "EURO")


def test_mixing_currencies_is_refused() -> None:
    with pytest.raises(ValidationError, match="cannot be combined with EUR"):
        eur("1") + Money.of("1", "USD")


def test_quantize_rounds_half_even_to_minor_unit() -> None:
    assert eur("2.345").quantize().amount == Decimal("2.34")
    assert eur("2.355").quantize().amount == Decimal("2.36")
    assert Money.of("1234.5", "JPY").quantize().amount == Decimal("1234")
    assert Money.of("1.0005", "KWD").quantize().amount == Decimal("1.000")


def test_str_groups_thousands() -> None:
    assert str(eur("52000")) == "52,000.00 EUR"
    assert str(eur("2080.125")) == "2,080.125 EUR"


def test_compa_ratio_and_position() -> None:
    band = SalaryBand(minimum=eur("40000"), midpoint=eur("50000"), maximum=eur("60000"))
    assert band.compa_ratio(eur("52000")) == Decimal("1.04")
    assert band.position(eur("45000")) == Decimal("0.25")
    assert perfkit.loads(perfkit.dumps(band), SalaryBand) == band


def test_band_order_is_checked() -> None:
    with pytest.raises(ValidationError, match="midpoint.amount"):
        SalaryBand(minimum=eur("40000"), midpoint=eur("70000"), maximum=eur("60000"))
    with pytest.raises(ValidationError, match="maximum.currency: 'USD'"):
        SalaryBand(minimum=eur("1"), midpoint=eur("2"), maximum=Money.of("3", "USD"))


@given(st.text(max_size=20))
def test_loads_garbage_gives_only_perfkit_errors(text: str) -> None:
    with pytest.raises(perfkit.PerfkitError):
        perfkit.loads(text, Money)


def test_document_errors_name_every_path() -> None:
    doc = (
        '{"schema_version":1,"type":"SalaryBand","data":{"minimum":{"amount":"x",'
        '"currency":"EUR"},"midpoint":{"amount":"3"}}}'
    )
    with pytest.raises(perfkit.DocumentError) as info:
        perfkit.loads(doc, SalaryBand)
    paths = [e.path for e in info.value.errors]
    assert paths == ["data.minimum.amount", "data.midpoint.currency", "data.maximum"]

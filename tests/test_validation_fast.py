"""The validators' fast paths (the usual value checked first) decide as the plain checks do:
each validator against a reference written the straightforward way, on every kind of value."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import partial
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from perfkit import _validation as v
from perfkit._errors import ValidationError
from perfkit._serialization import _usual_id
from perfkit.goals import CheckIn, OwnerKind
from perfkit.money import Money

FIELD = attrs.fields(CheckIn).milestones_done


class Moment(datetime):
    """A datetime subclass (not the usual class: the checks take the long way)."""


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**308, max_value=10**400),
    st.floats(),
    st.decimals(),
    st.sampled_from([Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), -0.0, 1e300]),
    st.text(max_size=5),
    st.sampled_from(["e1", " e1", "", "x" * 201, "é", OwnerKind.UNIT, "a\x00b"]),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3))])),
    st.tuples(),
    st.lists(st.sampled_from(["a", "b", 1, " c"]), max_size=3).map(tuple),
    st.just(Money(amount=Decimal(1), currency="EUR")),
    st.just(object()),
)


def decision(check: Callable[[], Any]) -> tuple[str, Any]:
    try:
        out = check()
    except ValidationError as err:
        return "refused", str(err)
    return "taken", out


# --- the straightforward references -------------------------------------------------------


def ref_instance_of(*kinds: type) -> v.Validator:
    numeric = any(k in (int, float, Decimal) for k in kinds)

    def check(_inst: object, attribute: Any, value: object) -> None:
        if isinstance(value, bool) and numeric and bool not in kinds:
            raise v.fail(attribute, value, f"is not {v._type_name(kinds)}")
        if not isinstance(value, kinds):
            raise v.fail(attribute, value, f"is not {v._type_name(kinds)}")

    return check


def ref_optional(inner: v.Validator) -> v.Validator:
    def check(inst: object, attribute: Any, value: object) -> None:
        if value is not None:
            inner(inst, attribute, value)

    return check


def ref_as_float(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return value
    try:
        return float(value)
    except (OverflowError, ValueError):
        return value


def ref_finite_float(_inst: object, attribute: Any, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, float | int | Decimal):
        raise v.fail(attribute, value, "is not a number")
    if not isinstance(value, float) or not math.isfinite(value):
        raise v.fail(attribute, value, "is not a finite number")


def ref_finite_number(attribute: Any, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise v.fail(attribute, value, "is not a number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise v.fail(attribute, value, "is not a finite number")
    if isinstance(value, float) and not math.isfinite(value):
        raise v.fail(attribute, value, "is not a finite number")
    try:
        return float(value)
    except OverflowError:
        raise v.fail(attribute, value, "is too large a number") from None


def ref_aware_datetime(_inst: object, attribute: Any, value: object) -> None:
    if not isinstance(value, datetime):
        raise v.fail(attribute, value, "is not a datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise v.fail(attribute, value, "is a naive datetime; give it a timezone")


def ref_a_date(_inst: object, attribute: Any, value: object) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise v.fail(attribute, value, "is not a date")


# --- the comparisons ----------------------------------------------------------------------

KINDS: list[tuple[type, ...]] = [(str,), (int,), (float,), (bool,), (int, float), (Money,),
                                 (str, int), (bool, int), (Decimal,), (tuple,)]  # fmt: skip


@given(values, st.sampled_from(KINDS))
def test_instance_of_decides_as_isinstance_does(value: Any, kinds: tuple[type, ...]) -> None:
    assert decision(lambda: v.instance_of(*kinds)(None, FIELD, value)) == decision(
        lambda: ref_instance_of(*kinds)(None, FIELD, value)
    )


INNERS = [v.identifier, v.text, v.a_date, v.finite_float, v.instance_of(bool)]


@given(values, st.sampled_from(INNERS))
def test_optional_decides_as_its_inner_check_does(value: Any, inner: v.Validator) -> None:
    assert decision(lambda: v.optional(inner)(None, FIELD, value)) == decision(
        lambda: ref_optional(inner)(None, FIELD, value)
    )


@given(values)
def test_float_conversion_and_checks_decide_as_before(value: Any) -> None:
    converted = v.as_float(value)
    expected = ref_as_float(value)
    assert converted is expected or (type(converted) is float and repr(converted) == repr(expected))
    assert decision(lambda: v.finite_float(None, FIELD, converted)) == decision(
        lambda: ref_finite_float(None, FIELD, converted)
    )
    assert decision(lambda: v._finite_number(FIELD, value)) == decision(
        lambda: ref_finite_number(FIELD, value)
    )
    for check, ref in REFERENCES:
        assert decision(partial(check, None, FIELD, value)) == decision(
            partial(ref, None, FIELD, value)
        )


def ref_positive(_inst: object, attribute: Any, value: object) -> None:
    if ref_finite_number(attribute, value) <= 0:
        raise v.fail(attribute, value, "is not positive")


def ref_non_negative(_inst: object, attribute: Any, value: object) -> None:
    if ref_finite_number(attribute, value) < 0:
        raise v.fail(attribute, value, "is negative")


def ref_unit(_inst: object, attribute: Any, value: object) -> None:
    x = ref_finite_number(attribute, value)
    if not 0.0 <= x <= 1.0:
        raise v.fail(attribute, value, "is not between 0 and 1")


REFERENCES: list[tuple[v.Validator, v.Validator]] = [
    (v.positive, ref_positive),
    (v.non_negative, ref_non_negative),
    (v.between(0.0, 1.0), ref_unit),
]


@given(values)
def test_moments_and_days_decide_as_before(value: Any) -> None:
    assert decision(lambda: v.aware_datetime(None, FIELD, value)) == decision(
        lambda: ref_aware_datetime(None, FIELD, value)
    )
    assert decision(lambda: v.a_date(None, FIELD, value)) == decision(
        lambda: ref_a_date(None, FIELD, value)
    )


def test_a_datetime_subclass_and_a_zone_without_offset_are_checked_in_full() -> None:
    class Floating(tzinfo):
        def utcoffset(self, dt: datetime | None) -> None:
            return None

        def dst(self, dt: datetime | None) -> None:
            return None

        def tzname(self, dt: datetime | None) -> str:
            return "floating"

    naive_zoned = datetime(2026, 1, 1, tzinfo=Floating())
    assert decision(lambda: v.aware_datetime(None, FIELD, naive_zoned)) == decision(
        lambda: ref_aware_datetime(None, FIELD, naive_zoned)
    )
    assert decision(lambda: v.aware_datetime(None, FIELD, naive_zoned))[0] == "refused"
    aware = Moment(2026, 1, 1, tzinfo=UTC)
    assert decision(lambda: v.aware_datetime(None, FIELD, aware)) == ("taken", None)
    assert decision(lambda: v.a_date(None, FIELD, aware))[0] == "refused"


@given(values)
def test_each_reports_the_first_bad_item_as_before(value: Any) -> None:
    got = decision(lambda: v.each(v.identifier)(None, FIELD, value))
    if not isinstance(value, tuple):
        assert got == ("refused", str(v.fail(FIELD, value, "is not a tuple")))
        return
    bad = [i for i, x in enumerate(value) if not isinstance(x, str) or not v.is_id(x)]
    assert got[0] == ("refused" if bad else "taken")
    if bad:
        assert got[1].startswith(f"milestones_done[{bad[0]}]: ")


# --- the id test the generated readers inline ------------------------------------------------

_ID_PATTERN = re.compile(r"^(?!\s)[^\x00-\x1f\x7f]{1,200}(?<!\s)$")


def ref_identifier(_inst: object, attribute: Any, value: object) -> None:
    """The id check written the plain way: no fast path."""
    if not isinstance(value, str):
        raise v.fail(attribute, value, "is not a string id")
    if _ID_PATTERN.match(value) is None:
        raise v.fail(
            attribute,
            value,
            "is not a valid id (1-200 characters, no control characters, no space at either end)",
        )


id_like = st.one_of(
    st.text(max_size=8),
    st.text(alphabet=st.characters(codec="ascii"), max_size=6),
    st.sampled_from(["e1", " e1", "e1 ", "\u3000e1", "e1\u2028", "a\x7fb", "é", "x" * 200]),
    st.sampled_from(["x" * 201, "", "\t", "a\nb", "\x1fa", "\x1ca", "a\x85"]),
)


@given(id_like)
def test_the_usual_id_test_and_the_id_check_decide_as_the_plain_check(value: str) -> None:
    expected = decision(lambda: ref_identifier(None, FIELD, value))
    assert decision(lambda: v.identifier(None, FIELD, value)) == expected
    inline = eval(_usual_id("value"), {}, {"value": value})  # what the readers run first
    assert not inline or expected == ("taken", None)  # it never takes a bad id


# --- what the validator factories say they check --------------------------------------------


def test_the_factories_describe_their_checks() -> None:
    inner = v.identifier
    assert v.described(v.between(0.0, 1.0)) == ("between", 0.0, 1.0)
    assert v.described(v.instance_of(bool)) == ("instance_of", (bool,))
    assert v.described(v.instance_of(int, float)) == ("instance_of", (int, float))
    assert v.described(v.instance_of(str, bytes)) == ("instance_of", (str, bytes))
    assert v.described(v.enum_member(OwnerKind)) == ("enum_member", OwnerKind)
    assert v.described(v.each(inner)) == ("each", inner)
    assert v.described(v.optional(v.text)) == ("optional", v.text)
    key = str.lower
    assert v.described(v.unique_ids(key, "goal")) == ("unique_ids", key)
    assert v.described(v.identifier) is None
    assert v.described(object()) is None

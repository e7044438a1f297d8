"""Validators used by every domain class.

Each validator is an attrs validator (``(instance, attribute, value) -> None``) that raises a
:class:`~perfkit.ValidationError` naming the field, never a bare ``TypeError``/``ValueError``.
Containers re-raise their items' errors below their own path with :func:`each`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import attrs

from ._errors import ValidationError

T = TypeVar("T")
E = TypeVar("E", bound=Enum)
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

# An id: 1-200 characters, no control characters, no white space at either end.
_ID_RE = re.compile(r"^(?!\s)[^\x00-\x1f\x7f]{1,200}(?<!\s)$")


def fail(attribute: attrs.Attribute[Any], value: object, reason: str) -> ValidationError:
    return ValidationError(attribute.name, value, reason)


def _describe(check: Validator, *what: Any) -> Validator:
    """Say what a validator made by a factory is (``("between", 0.0, 1.0)``), so that the
    readers generated in :mod:`perfkit._serialization` may inline it or prove that it passes.
    The factories' checks read only the value, never the instance (but for what an ``inner``
    validator given to :func:`optional` or :func:`each` reads)."""
    check._perfkit_check = what  # type: ignore[attr-defined]
    return check


def described(check: object) -> tuple[Any, ...] | None:
    """What :func:`_describe` said of ``check``, or ``None``."""
    what: tuple[Any, ...] | None = getattr(check, "_perfkit_check", None)
    return what


def _type_name(kinds: tuple[type, ...]) -> str:
    """``a Goal``, ``an Employee``, ``a Goal or an Owner``."""
    return " or ".join(f"{article(k.__name__)} {k.__name__}" for k in kinds)


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeio" else "a"


def instance_of(*kinds: type) -> Validator:
    """The value is an instance of one of ``kinds`` (``bool`` is never taken for a number)."""
    numeric = any(k in (int, float, Decimal) for k in kinds)

    if numeric and bool not in kinds:

        def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise fail(attribute, value, f"is not {_type_name(kinds)}")

        return _describe(check, "instance_of", kinds)

    if len(kinds) == 1:  # the usual case, checked for every record: its exact class first
        kind = kinds[0]

        def check_one(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
            if value.__class__ is not kind and not isinstance(value, kind):
                raise fail(attribute, value, f"is not {_type_name(kinds)}")

        return _describe(check_one, "instance_of", kinds)

    def check_any(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kinds):
            raise fail(attribute, value, f"is not {_type_name(kinds)}")

    return _describe(check_any, "instance_of", kinds)


def optional(inner: Validator) -> Validator:
    if inner is identifier:
        return _optional_identifier

    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            inner(inst, attribute, value)

    return _describe(check, "optional", inner)


def enum_member(kind: type[Enum]) -> Validator:
    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            options = ", ".join(repr(m.value) for m in kind)
            name = kind.__name__
            raise fail(attribute, value, f"is not {article(name)} {name} (one of {options})")

    return _describe(check, "enum_member", kind)


def as_enum(kind: type[E], value: Any) -> Any:
    """Converter body: a plain string value becomes the enum member (``"down"`` →
    ``Direction.DOWN``); anything else is left for the validator to reject.

    Used as ``converter=lambda x: v.as_enum(Direction, x)`` (mypy's attrs plugin takes lambdas).
    """
    if isinstance(value, str) and not isinstance(value, Enum):
        for member in kind:
            if member.value == value:
                return member
    return value


def as_float(value: Any) -> Any:
    """attrs converter for float fields: an int or Decimal becomes a float; anything else is left
    for the validator to reject (a bool is never taken for a number)."""
    if value.__class__ is float or isinstance(value, bool) or not isinstance(value, int | Decimal):
        return value
    try:
        return float(value)
    except (OverflowError, ValueError):  # an int too large for a float, a signalling NaN
        return value


def finite_float(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A finite float (after :func:`as_float`); an int too large for a float is refused here."""
    if value.__class__ is float and value - value == 0.0:
        return  # the usual case: a finite float (an infinity or NaN gives NaN here)
    if isinstance(value, bool) or not isinstance(value, float | int | Decimal):
        raise fail(attribute, value, "is not a number")
    if not isinstance(value, float) or not math.isfinite(value):
        raise fail(attribute, value, "is not a finite number")


def count(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A count: an int, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(attribute, value, "is not an integer")
    if value < 0:
        raise fail(attribute, value, "is negative")


def version(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A version number: an int, 1 or more."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(attribute, value, "is not an integer")
    if value < 1:
        raise fail(attribute, value, "is not a version (1 or more)")


def is_id(value: str) -> bool:
    """Whether ``value`` is a valid id (see :func:`identifier`)."""
    # Fast path for the usual ASCII id: printable ASCII has no control characters, and the
    # only ASCII space to rule out at the ends is " ". Anything else goes to the full pattern.
    if value.isascii() and 0 < len(value) <= 200 and value.isprintable():
        return value[0] != " " and value[-1] != " "
    return _ID_RE.match(value) is not None


def identifier(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An id: 1-200 characters, no control characters, no white space at either end."""
    if (  # the usual ASCII id, inline: this validator runs for every id of every record
        value.__class__ is str
        and value.isascii()
        and value.isprintable()
        and 0 < len(value) <= 200
        and value[0] != " "
        and value[-1] != " "
    ):
        return
    if not isinstance(value, str):
        raise fail(attribute, value, "is not a string id")
    if not is_id(value):
        raise fail(
            attribute,
            value,
            "is not a valid id (1-200 characters, no control characters, no space at either end)",
        )


def _optional_identifier(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """``optional(identifier)`` in one call."""
    if value is not None:
        identifier(inst, attribute, value)


def text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Free text: any string, empty included."""
    if not isinstance(value, str):
        raise fail(attribute, value, "is not a string")


def non_empty_text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise fail(attribute, value, "is not a string")
    if not value.strip():
        raise fail(attribute, value, "must not be empty")


def _finite_number(attribute: attrs.Attribute[Any], value: object) -> float:
    if value.__class__ is float and value - value == 0.0:
        return value  # the usual case: a finite float
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise fail(attribute, value, "is not a number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise fail(attribute, value, "is not a finite number")
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(attribute, value, "is not a finite number")
    try:
        return float(value)
    except OverflowError:
        raise fail(attribute, value, "is too large a number") from None


def number(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A finite int, float or Decimal (never a bool)."""
    _finite_number(attribute, value)


def positive(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if _finite_number(attribute, value) <= 0:
        raise fail(attribute, value, "is not positive")


MAX_WEIGHT = 1e9
"""The largest weight perfkit takes: far above any real one, and small enough that sums of
many weights times values never overflow a float."""


def weight(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A weight: positive and at most :data:`MAX_WEIGHT`."""
    w = _finite_number(attribute, value)
    if w <= 0:
        raise fail(attribute, value, "is not positive")
    if w > MAX_WEIGHT:
        raise fail(attribute, value, f"is larger than the largest weight, {MAX_WEIGHT:g}")


def non_negative(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if _finite_number(attribute, value) < 0:
        raise fail(attribute, value, "is negative")


def between(low: float, high: float) -> Validator:
    """A finite number in the closed range ``[low, high]``."""

    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        v = _finite_number(attribute, value)
        if not low <= v <= high:
            raise fail(attribute, value, f"is not between {low:g} and {high:g}")

    return _describe(check, "between", low, high)


def decimal(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A finite :class:`~decimal.Decimal` (floats never touch money)."""
    if not isinstance(value, Decimal):
        raise fail(attribute, value, "is not a Decimal")
    if not value.is_finite():
        raise fail(attribute, value, "is not a finite Decimal")


def aware_datetime(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A timezone-aware :class:`~datetime.datetime`; naive datetimes are refused."""
    if value.__class__ is datetime:  # the usual case, without the isinstance
        zone = value.tzinfo
        if zone is not None and zone.utcoffset(value) is not None:
            return
    if not isinstance(value, datetime):
        raise fail(attribute, value, "is not a datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise fail(attribute, value, "is a naive datetime; give it a timezone")


def a_date(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A calendar date (a datetime is not a date here: it would hide a time and a zone)."""
    if value.__class__ is date:
        return
    if isinstance(value, datetime) or not isinstance(value, date):
        raise fail(attribute, value, "is not a date")


def each(inner: Validator, *, label: str | None = None) -> Validator:
    """Validate every item of a tuple, reporting ``field[i]`` for a bad one."""

    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            raise fail(attribute, value, "is not a tuple")
        if not value:
            return
        for i, item in enumerate(value):
            try:
                inner(inst, attribute, item)
            except ValidationError:
                # Only a failing item pays for the renamed attribute that puts its index in
                # the path (copying an Attribute per item would dominate large collections).
                inner(inst, _renamed(attribute, f"{label or attribute.name}[{i}]"), item)
                raise

    return _describe(check, "each", inner)


def unique_ids(key: Callable[[Any], str], what: str) -> Validator:
    """The items of a tuple have distinct ids."""

    def check(_inst: object, attribute: attrs.Attribute[Any], value: Iterable[Any]) -> None:
        seen: dict[str, int] = {}
        for i, item in enumerate(value):
            k = key(item)
            if k in seen:
                first = f"{attribute.name}[{seen[k]}]"
                raise ValidationError(
                    f"{attribute.name}[{i}]", k, f"repeats the {what} id of {first}"
                )
            seen[k] = i

    return _describe(check, "unique_ids", key)


def _renamed(attribute: attrs.Attribute[Any], name: str) -> attrs.Attribute[Any]:
    return attribute.evolve(name=name)


def ordered(earlier: str, later: str, *, strict: bool = False) -> Callable[[Any], None]:
    """A class-level check: field ``later`` does not come before field ``earlier``.

    With ``strict=True`` it must come after it. ``None`` on either side passes.
    """

    def check(inst: Any) -> None:
        a, b = getattr(inst, earlier), getattr(inst, later)
        if a is None or b is None:
            return
        if strict and b <= a:
            raise ValidationError(later, b, f"is not after {earlier} {a}")
        if b < a:
            raise ValidationError(later, b, f"is before {earlier} {a}")

    return check


def tuple_of(value: Iterable[Any]) -> tuple[Any, ...]:
    """attrs converter: accept any iterable (a list, a generator) for a tuple field.

    A bare string or a non-iterable is passed through unchanged for the field's validator to
    reject with a proper :class:`ValidationError`.
    """
    if isinstance(value, str | bytes | tuple):
        return value  # type: ignore[return-value]
    try:
        return tuple(value)
    except TypeError:
        return value  # type: ignore[return-value]


def iter_errors(checks: Iterable[Callable[[], None]]) -> Iterator[ValidationError]:
    for c in checks:
        try:
            c()
        except ValidationError as e:
            yield e

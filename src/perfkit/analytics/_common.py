"""What the analytics modules share: field validators, input checks and small statistics."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from .. import _validation as v
from .._errors import ValidationError

MIN_GROUP_SIZE = 5
"""The smallest group whose figures fairness reports show: below it a person's rating could be
worked out from the group's figures, so the group is reported as suppressed."""

Record = tuple[str, str, str, float]
"""One rating as plain data: ``(rater, ratee, criterion, value)``."""


# --- field validators ----------------------------------------------------------------------


def finite(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A finite float (after :func:`perfkit._validation.as_float`)."""
    v.finite_float(_inst, attribute, value)


def optional_finite(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        v.finite_float(_inst, attribute, value)


def probability(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A float from 0 to 1 (a share, a p-value)."""
    v.finite_float(_inst, attribute, value)
    assert isinstance(value, float)
    if not 0.0 <= value <= 1.0:
        raise ValidationError(attribute.name, value, "is not between 0 and 1")


def optional_probability(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        probability(_inst, attribute, value)


def non_negative(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.finite_float(_inst, attribute, value)
    assert isinstance(value, float)
    if value < 0.0:
        raise ValidationError(attribute.name, value, "is negative")


def optional_non_negative(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        non_negative(_inst, attribute, value)


def optional_count(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        v.count(_inst, attribute, value)


def at_least_one(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.count(_inst, attribute, value)
    assert isinstance(value, int)
    if value < 1:
        raise ValidationError(attribute.name, value, "is not at least 1")


def open_unit(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A level such as a confidence or a significance level: strictly between 0 and 1."""
    v.finite_float(_inst, attribute, value)
    assert isinstance(value, float)
    if not 0.0 < value < 1.0:
        raise ValidationError(attribute.name, value, "is not strictly between 0 and 1")


def float_field(validator: v.Validator = finite) -> Any:
    """A float field: ints and Decimals become floats, the value is checked by ``validator``."""
    return attrs.field(converter=v.as_float, validator=validator)


def optional_float_field(validator: v.Validator = optional_finite) -> Any:
    """A float field that may be ``None``; it defaults to ``None``."""
    return attrs.field(default=None, converter=v.as_float, validator=validator)


# --- argument checks -----------------------------------------------------------------------


def number(name: str, value: object) -> float:
    """A finite number argument as a float (never a bool), or a ValidationError naming it."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValidationError(name, value, "is not a number")
    try:
        out = float(value)
    except (OverflowError, ValueError):
        raise ValidationError(name, value, "is not a finite number") from None
    if not math.isfinite(out):
        raise ValidationError(name, value, "is not a finite number")
    return out


def level(name: str, value: object) -> float:
    """A confidence or significance level: a number strictly between 0 and 1."""
    out = number(name, value)
    if not 0.0 < out < 1.0:
        raise ValidationError(name, value, "is not strictly between 0 and 1")
    return out


def whole(name: str, value: object, minimum: int) -> int:
    """A whole-number argument of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, value, "is not a whole number")
    if value < minimum:
        raise ValidationError(name, value, f"is less than {minimum}")
    return value


def identifier(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(name, value, "is not a string id")
    if not v.is_id(value):
        raise ValidationError(
            name,
            value,
            "is not a valid id (1-200 characters, no control characters, no space at either end)",
        )
    return value


def ratings_by_employee(ratings: object, name: str = "ratings") -> dict[str, float]:
    """Check a mapping of employee id → rating; the values come back as floats."""
    if not isinstance(ratings, Mapping):
        raise ValidationError(name, ratings, "is not a mapping of employee id to rating")
    out: dict[str, float] = {}
    for key in sorted(ratings, key=_sort_key):
        identifier(f"{name}[{key!r}]", key)
        out[key] = number(f"{name}[{key!r}]", ratings[key])
    return out


def _sort_key(key: object) -> tuple[str, str]:
    """Sort keys of any type (a bad key is reported, not a TypeError from sorting)."""
    return (type(key).__name__, str(key))


def records(items: object, name: str = "records") -> tuple[Record, ...]:
    """Check plain rating records ``(rater, ratee, criterion, value)``: each a 4-tuple, ids
    valid, values finite, no rater rating the same person on the same criterion twice.

    Records come back sorted by rater, ratee and criterion (so results never depend on the
    input order), values as floats.
    """
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise ValidationError(
            name, items, "is not a collection of (rater, ratee, criterion, value) records"
        )
    out: list[Record] = []
    seen: dict[tuple[str, str, str], int] = {}
    for i, item in enumerate(items):
        at = f"{name}[{i}]"
        if isinstance(item, str | bytes) or not isinstance(item, tuple | list) or len(item) != 4:
            raise ValidationError(at, item, "is not a (rater, ratee, criterion, value) record")
        rater = identifier(f"{at}[0]", item[0])
        ratee = identifier(f"{at}[1]", item[1])
        criterion = identifier(f"{at}[2]", item[2])
        value = number(f"{at}[3]", item[3])
        key = (rater, ratee, criterion)
        if key in seen:
            raise ValidationError(
                at,
                item,
                f"repeats {name}[{seen[key]}]: {rater!r} rated {ratee!r} on {criterion!r} twice",
            )
        seen[key] = i
        out.append((rater, ratee, criterion, value))
    out.sort(key=lambda r: (r[0], r[1], r[2]))
    return tuple(out)


# --- small statistics ----------------------------------------------------------------------


def mean(xs: list[float]) -> float:
    """The mean (``math.fsum``, so the same whatever the order of ``xs``); exactly the value
    when all values are equal, so that equal ratings have a spread of exactly 0."""
    low, high = min(xs), max(xs)
    if low == high:
        return low
    return min(max(math.fsum(xs) / len(xs), low), high)


def variance(xs: list[float]) -> float:
    """The sample variance (divided by n − 1; needs two values or more)."""
    m = mean(xs)
    return math.fsum((x - m) * (x - m) for x in xs) / (len(xs) - 1)


def sd(xs: list[float]) -> float:
    """The sample standard deviation (divided by n − 1)."""
    return math.sqrt(variance(xs))


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's correlation of paired values; ``None`` when either side does not vary."""
    mx, my = mean(xs), mean(ys)
    dx = [x - mx for x in xs]
    dy = [y - my for y in ys]
    sxx = math.fsum(d * d for d in dx)
    syy = math.fsum(d * d for d in dy)
    if sxx == 0.0 or syy == 0.0:
        return None
    r = math.fsum(a * b for a, b in zip(dx, dy, strict=True)) / math.sqrt(sxx * syy)
    return min(1.0, max(-1.0, r))


def g(x: float, digits: int = 3) -> str:
    """A number as people read it: ``3.2``, ``0.045``, ``12``."""
    return f"{x:.{digits}g}"


def percent(x: float) -> str:
    """``0.6`` → ``60%``; ``0.625`` → ``62.5%``."""
    return f"{100 * x:.3g}%"


def p_text(p: float) -> str:
    """A p-value as reports print it: ``p = 0.032``, ``p < 0.001``."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"

"""Argument checks every adapter shares, so that a bad argument reads the same everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from .. import _validation as v
from .._errors import ValidationError

T = TypeVar("T")


def key(name: str, value: object) -> str:
    """A lookup key: any string (an id that was never stored is simply not found)."""
    if not isinstance(value, str):
        raise ValidationError(name, value, "is not a string id")
    return value


def instance(name: str, value: object, kind: type[T]) -> T:
    """``value`` is a ``kind``."""
    if not isinstance(value, kind):
        raise ValidationError(name, value, f"is not {v.article(kind.__name__)} {kind.__name__}")
    return value


def expected_version(value: object, *, optional: bool) -> int | None:
    """``expected_version``: a version (1 or more), or ``None`` for a new record when allowed."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        wanted = (
            "None (a new record) or a version (1 or more)" if optional else "a version (1 or more)"
        )
        raise ValidationError("expected_version", value, f"is not {wanted}")
    return value


def moment(name: str, value: object) -> datetime | None:
    """An optional timezone-aware datetime (a period's start or end)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValidationError(name, value, "is not a datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(name, value, "is a naive datetime; give it a timezone")
    return value

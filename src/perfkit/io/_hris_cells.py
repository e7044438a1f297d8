"""Reading one CSV cell: ids, numbers, money, dates and datetimes, enums, lists.

Every reader returns the typed value, or ``None`` after recording a problem at the cell (or when
the cell is empty and optional). Nothing here raises on bad text.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from enum import Enum
from types import SimpleNamespace
from typing import Any, TypeVar

import attrs
from dateutil import parser as dateparser

from .. import _validation as v
from .._errors import ValidationError
from ..money import CURRENCIES, Money
from ._hris_model import ImportProblem, _Row, _Where

E = TypeVar("E", bound=Enum)

_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})
_NUMBER_HINT = "use '.' as the decimal separator and no thousands separators"


def enum_key(text: str) -> str:
    """How a header or an enum cell is compared: ``"In Progress"`` → ``"in_progress"``."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def is_number(text: str) -> bool:
    return _NUMBER.match(text) is not None


# --- fast paths ---------------------------------------------------------------------------
# The readers first try each row with these: they accept only the plain, well-formed cell
# (no surrounding spaces, the canonical spelling) and give exactly what the full readers below
# give for it; anything else is ``None``, and the row is read again by the full readers, which
# say what is wrong. Ids are passed on as written: the domain constructor checks them (an id
# it accepts has no spaces to strip), and a row it refuses is read again the same way. A row
# of a big export thus costs a few string tests per cell, and its object.

_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PLAIN_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def plain_id(text: str) -> bool:
    """An id as written without surrounding spaces: printable ASCII, 1-200 characters (what
    :meth:`Cells.ident` reads unchanged; any other id takes the full reader)."""
    return (
        0 < len(text) <= 200
        and text.isascii()
        and text.isprintable()
        and text[0] != " "
        and text[-1] != " "
    )


def plain_number(text: str) -> float | None:
    """A finite number as written without spaces (``95``, ``-1.5e3``)."""
    if _PLAIN_NUMBER.fullmatch(text) is None:
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def plain_integer(text: str) -> int | None:
    return int(text) if _PLAIN_INTEGER.fullmatch(text) is not None else None


def plain_date(text: str) -> date | None:
    """An ISO 8601 date (``date.fromisoformat`` refuses surrounding spaces)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def plain_moment(text: str, assume: tzinfo | None) -> datetime | None:
    """An ISO 8601 datetime with an offset (or without, read in ``assume``); longer than a
    date, as :func:`parse_datetime` reads it."""
    if len(text) <= 10:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    if assume is None:
        return None
    value = value.replace(tzinfo=assume)
    try:
        value.utcoffset()
    except (ValueError, OverflowError):  # pragma: no cover - zoneinfo is total on datetimes
        return None
    return value


def plain_choices(kind: type[E]) -> dict[str, E]:
    """The members of an enum by their value as written (``in_progress``)."""
    return {m.value: m for m in kind if enum_key(m.value) == m.value}


_TRUTH = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}


def plain_boolean(text: str) -> bool | None:
    return _TRUTH.get(text.lower())


def parse_number(text: str) -> float | str:
    """A finite float, or the reason the text is not one."""
    if not _NUMBER.match(text):
        if re.match(r"^[+-]?[0-9][0-9.,' ]*$", text):
            return f"is not a number ({_NUMBER_HINT})"
        return "is not a number"
    value = float(text)
    if not math.isfinite(value):
        return "is too large a number"
    return value


# Two floating defaults: a part the text does not give differs between the two readings.
_DEFAULTS = (datetime(2000, 1, 1), datetime(2004, 2, 2))  # noqa: DTZ001 - floating on purpose


class _UnknownZone(Exception):
    """dateutil met a time zone name it cannot place."""


def _zone(name: str | None, offset: int | None) -> tzinfo | None:
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    if name is not None:
        raise _UnknownZone(name)
    return None


def _complete(text: str, dayfirst: bool) -> datetime | str:
    """dateutil's reading of a non-ISO date or datetime, refused unless the text names the day,
    the month and a four-digit year (dateutil fills missing parts from a default date, and
    reads two-digit years against today's: both would make the import depend on the clock)."""
    if not _YEAR.search(text):
        return "has no four-digit year"
    try:
        one = dateparser.parse(text, dayfirst=dayfirst, default=_DEFAULTS[0], tzinfos=_zone)
        two = dateparser.parse(text, dayfirst=dayfirst, default=_DEFAULTS[1], tzinfos=_zone)
    except _UnknownZone as exc:
        return f"names the time zone {exc.args[0]!r}; give an offset such as +02:00 instead"
    except (ValueError, OverflowError):
        return "is not a date perfkit can read"
    if one != two:
        return "is not a whole date (day, month and four-digit year)"
    return one


_ISO_HINT = (
    "is not an ISO 8601 date (YYYY-MM-DD); for dates such as 31/03/2026 load with "
    "dayfirst=True (day/month/year) or dayfirst=False (month/day/year)"
)


def parse_date(text: str, dayfirst: bool | None) -> date | str:
    """A calendar date: ISO 8601 always; other spellings only with an explicit ``dayfirst``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    if _ISO_DAY.match(text):
        return "is not a calendar date (no such day)"
    if dayfirst is None:
        return _ISO_HINT
    found = _complete(text, dayfirst)
    if isinstance(found, str):
        return found
    if found.tzinfo is not None or found.time() != time(0):
        return "has a time of day; a date is expected here"
    return found.date()


def parse_datetime(text: str, dayfirst: bool | None, assume: tzinfo | None) -> datetime | str:
    """A moment: ISO 8601 with a time of day (and an offset, unless ``assume`` names the zone
    of naive times); other spellings only with an explicit ``dayfirst``."""
    if len(text) <= 10:
        try:
            date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return "is a date without a time of day; a moment (date and time) is expected"
    value: datetime | str
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            value = dateparser.isoparse(text)
        except (ValueError, OverflowError):
            if dayfirst is None:
                return (
                    "is not an ISO 8601 datetime (such as 2026-03-31T14:30:00+02:00); for "
                    "day/month/year spellings load with dayfirst=True or dayfirst=False"
                )
            value = _complete(text, dayfirst)
            if isinstance(value, str):
                return value
    if value.tzinfo is None or value.utcoffset() is None:
        if assume is None:
            return (
                "has no time zone; give an offset (+02:00, Z) or load with "
                "assume_timezone='Europe/Paris' (the zone the export's times are in)"
            )
        value = value.replace(tzinfo=assume)
        try:
            value.utcoffset()
        except (ValueError, OverflowError):  # pragma: no cover - zoneinfo is total on datetimes
            return "falls outside the calendar in the assumed time zone"
    return value


def parse_decimal(text: str) -> Decimal | str:
    if not _DECIMAL.match(text):
        if re.match(r"^[+-]?[0-9][0-9.,' ]*$", text):
            return f"is not an amount ({_NUMBER_HINT})"
        return "is not an amount such as 52000.00"
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return "is not an amount such as 52000.00"


def parse_money(text: str) -> tuple[Decimal, str | None] | str:
    """``"52000.00"`` or ``"52000.00 EUR"`` (``"EUR 52000.00"`` too): the amount and the
    currency code if the cell names one."""
    parts = text.split()
    code: str | None = None
    if len(parts) == 2:
        if parts[1].upper() in CURRENCIES and parts[1].isalpha():
            amount_text, code = parts[0], parts[1].upper()
        elif parts[0].upper() in CURRENCIES and parts[0].isalpha():
            amount_text, code = parts[1], parts[0].upper()
        else:
            return "is not an amount with an ISO 4217 currency code such as '52000.00 EUR'"
    elif len(parts) == 1:
        amount_text = parts[0]
    else:
        return "is not an amount such as '52000.00' or '52000.00 EUR'"
    amount = parse_decimal(amount_text)
    if isinstance(amount, str):
        return amount
    return amount, code


class Cells:
    """Typed access to the cells of one row, recording a problem for each bad cell."""

    __slots__ = ("assume", "dayfirst", "problems", "row")

    def __init__(
        self, row: _Row, dayfirst: bool | None = None, assume: tzinfo | None = None
    ) -> None:
        self.row = row
        self.dayfirst = dayfirst
        self.assume = assume
        self.problems: list[ImportProblem] = []

    def raw(self, column: str) -> str:
        row = self.row
        number = row.header.get(column)
        if number is None or number > len(row.values):
            return ""
        return row.values[number - 1]

    def has(self, column: str) -> bool:
        """Whether the cell holds something (an empty or blank cell is missing)."""
        return bool(self.raw(column).strip())

    def bad(self, column: str, reason: str) -> None:
        self.problems.append(self.row.cell(column, reason))

    def missing(self, column: str, required: bool, why: str = "") -> bool:
        if self.raw(column).strip():
            return False
        if required:
            self.problems.append(self.row.cell(column, f"is required{why}", value=None))
        return True

    def text(self, column: str, *, required: bool = False) -> str | None:
        """Free text, kept as written (spaces too); only an empty cell is missing."""
        if self.raw(column) == "":
            if required:
                self.problems.append(self.row.cell(column, "is required", value=None))
            return None
        return self.raw(column)

    def ident(self, column: str, *, required: bool = False, why: str = "") -> str | None:
        raw = self.raw(column)
        if plain_id(raw):
            return raw
        if self.missing(column, required, why):
            return None
        text = self.raw(column).strip()
        if not v.is_id(text):
            self.bad(column, "is not a valid id (1-200 characters, no control characters)")
            return None
        return text

    def number(self, column: str, *, required: bool = False) -> float | None:
        plain = plain_number(self.raw(column))
        if plain is not None:
            return plain
        if self.missing(column, required):
            return None
        found = parse_number(self.raw(column).strip())
        if isinstance(found, str):
            self.bad(column, found)
            return None
        return found

    def integer(self, column: str) -> int | None:
        if self.missing(column, False):
            return None
        text = self.raw(column).strip()
        if not _INTEGER.match(text):
            self.bad(column, "is not a whole number")
            return None
        return int(text)

    def boolean(self, column: str) -> bool | None:
        if self.missing(column, False):
            return None
        key = self.raw(column).strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        self.bad(column, "is not true or false (also: yes/no, 1/0)")
        return None

    def day(self, column: str, *, required: bool = False, why: str = "") -> date | None:
        plain = plain_date(self.raw(column))
        if plain is not None:
            return plain
        if self.missing(column, required, why):
            return None
        found = parse_date(self.raw(column).strip(), self.dayfirst)
        if isinstance(found, str):
            self.bad(column, found)
            return None
        return found

    def moment(self, column: str, *, required: bool = False) -> datetime | None:
        plain = plain_moment(self.raw(column), self.assume)
        if plain is not None:
            return plain
        if self.missing(column, required):
            return None
        found = parse_datetime(self.raw(column).strip(), self.dayfirst, self.assume)
        if isinstance(found, str):
            self.bad(column, found)
            return None
        return found

    def choice(self, column: str, kind: type[E], *, required: bool = False) -> E | None:
        if self.missing(column, required):
            return None
        key = enum_key(self.raw(column))
        for member in kind:
            if member.value == key:
                return member
        options = ", ".join(repr(m.value) for m in kind)
        self.bad(column, f"is not one of {options}")
        return None

    def items(self, column: str) -> tuple[str, ...] | None:
        """A ``;``-separated list of ids (``e0003; e0007``); an empty cell is an empty list."""
        if self.missing(column, False):
            return ()
        parts = [p.strip() for p in self.raw(column).split(";")]
        for i, part in enumerate(parts, 1):
            if not v.is_id(part):
                what = "is empty" if not part else f"({part!r}) is not a valid id"
                self.bad(column, f"item {i} {what}; list ids separated by ';'")
                return None
        return tuple(parts)

    def money(self, column: str, currency: str | None, *, required: bool = False) -> Money | None:
        """An amount, in the cell's own currency code or else ``currency``."""
        if self.missing(column, required):
            return None
        found = parse_money(self.raw(column).strip())
        if isinstance(found, str):
            self.bad(column, found)
            return None
        amount, code = found
        if code is not None and currency is not None and code != currency:
            self.bad(column, f"is in {code}, but the row's currency is {currency}")
            return None
        code = code or currency
        if code is None:
            self.bad(column, "has no currency: write '52000.00 EUR' or fill the currency column")
            return None
        try:
            return Money(amount=amount, currency=code)
        except ValidationError as err:
            self.bad(column, err.reason)
            return None


def build(cls: type[Any], kwargs: dict[str, Any], where: _Where) -> tuple[Any, list[ImportProblem]]:
    """Build a domain object; when it is refused, report every field its validators refuse (not
    only the first), else the cross-field rule it breaks; each at the field's place in the file."""
    missing = [a.name for a in attrs.fields(cls) if a.default is attrs.NOTHING]
    absent = [name for name in missing if name not in kwargs]
    if not absent:
        try:
            return cls(**kwargs), []
        except ValidationError as err:
            first = err
    problems = [where.at(name, "is required") for name in absent]
    inst = SimpleNamespace(**kwargs)
    for a in attrs.fields(cls):
        if a.name in kwargs and a.validator is not None:
            try:
                a.validator(inst, a, kwargs[a.name])
            except ValidationError as err:
                problems.append(where.at(err.path, err.reason, err.value))
    if not problems:
        problems.append(where.at(first.path, first.reason, first.value))
    return None, problems

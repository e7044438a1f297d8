"""The import report's types (problems, skipped records, the result) and the internal records the
readers hand to the checks.

A reader (CSV directory or JSON document) turns each row or array item into a :class:`_Record`:
the domain object when it could be built, its id, the problems found in it, and a locator
(:class:`_Where`) that turns a domain field path (``manager_id``, ``ratings[1].rating.value``)
into a place in the file (``employees.csv:14:manager_id (col 4)``, or a JSON path).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from .. import _validation as v
from .._errors import MISSING, PerfkitError, join_path
from ..dataset import CycleData

__all__ = ["DataImportError", "ImportProblem", "ImportResult", "RecordKind", "SkippedRecord"]

SHOWN_PROBLEMS = 50
"""How many problems ``str(DataImportError)`` lists; ``.problems`` keeps them all."""


def _shown(value: str, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


def _number_from_one(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise v.fail(attribute, value, "is not an integer")
    if value < 1:
        raise v.fail(attribute, value, "is not at least 1")


@attrs.frozen(kw_only=True)
class ImportProblem:
    """One thing wrong in an imported file: where (file, line, column name and 1-based number)
    and what (the value found there and the reason).

    ``line`` is the 1-based line a CSV row starts on (``None`` for a problem with the whole
    file or a JSON value); ``column`` the column's name, or for a JSON document the path of the
    bad value (``data.organisation.employees[3].manager_id``); ``value`` the text found there
    (``None`` when the cell is empty or the problem is not about one value).
    ``str()`` reads ``employees.csv:14:manager_id (col 4): 'e-999' is not an employee``.
    """

    file: str = attrs.field(validator=v.non_empty_text)
    line: int | None = attrs.field(default=None, validator=v.optional(_number_from_one))
    column: str | None = attrs.field(default=None, validator=v.optional(v.text))
    column_number: int | None = attrs.field(default=None, validator=v.optional(_number_from_one))
    value: str | None = attrs.field(default=None, validator=v.optional(v.text))
    reason: str = attrs.field(validator=v.non_empty_text)

    @property
    def location(self) -> str:
        """``employees.csv:14:manager_id (col 4)``: the place without the value and reason."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f":{self.column}"
            if self.column_number is not None:
                where += f" (col {self.column_number})"
        elif self.column_number is not None:
            where += f":{self.column_number}"
        return where

    def __str__(self) -> str:
        shown = "" if self.value is None else f"{_shown(self.value)} "
        return f"{self.location}: {shown}{self.reason}"


class DataImportError(PerfkitError):
    """An import was refused: ``problems`` lists every problem found, all in one pass.

    Nothing was loaded. ``str()`` lists the first :data:`SHOWN_PROBLEMS` problems, one a line.
    """

    def __init__(self, problems: Sequence[ImportProblem], source: str) -> None:
        self.problems = tuple(problems)
        self.source = source
        n = len(self.problems)
        noun = "problem" if n == 1 else "problems"
        lines = [f"{source}: import refused, {n} {noun} (nothing was loaded)"]
        lines += [f"  {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        if n > SHOWN_PROBLEMS:
            lines.append(f"  ... and {n - SHOWN_PROBLEMS} more (see .problems)")
        super().__init__("\n".join(lines))


class RecordKind(enum.StrEnum):
    """What an imported record is: one row of a CSV file, one item of a JSON array (a review in
    a CSV file may span several rows, one per rating)."""

    UNIT = "unit"
    EMPLOYEE = "employee"
    GOAL = "goal"
    MILESTONE = "milestone"
    CHECK_IN = "check_in"
    FEEDBACK = "feedback"
    REVIEW = "review"


def _to_kind(value: Any) -> Any:
    return v.as_enum(RecordKind, value)


@attrs.frozen(kw_only=True)
class SkippedRecord:
    """A record left out by ``on_error="skip"``: where it was, its id if it could be read, and
    why (its own problems, or the skipped record it refers to)."""

    kind: RecordKind = attrs.field(converter=_to_kind, validator=v.enum_member(RecordKind))
    file: str = attrs.field(validator=v.non_empty_text)
    id: str | None = attrs.field(default=None, validator=v.optional(v.text))
    lines: tuple[int, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(_number_from_one)
    )
    path: str | None = attrs.field(default=None, validator=v.optional(v.text))
    problems: tuple[ImportProblem, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(ImportProblem))
    )

    def __str__(self) -> str:
        where = self.file
        if self.lines:
            where += ":" + ",".join(str(n) for n in self.lines)
        elif self.path:
            where += f":{self.path}"
        name = "" if self.id is None else f" {self.id!r}"
        reasons = "; ".join(str(p) for p in self.problems)
        return f"{where}: {self.kind.value}{name} skipped: {reasons}"


@attrs.frozen(kw_only=True)
class ImportResult:
    """A successful import: the cycle's data, the records skipped (only with
    ``on_error="skip"``), and notes about what was read (columns kept nowhere, units made up
    from employees.csv)."""

    data: CycleData = attrs.field(validator=v.instance_of(CycleData))
    skipped: tuple[SkippedRecord, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(SkippedRecord))
    )
    notes: tuple[str, ...] = attrs.field(default=(), converter=v.tuple_of, validator=v.each(v.text))

    def report(self) -> str:
        """The import in a few lines: what was loaded, what was skipped and why, the notes."""
        d = self.data
        loaded = (
            f"loaded {len(d.organisation.units)} units, {len(d.organisation.employees)} "
            f"employees, {len(d.goals.goals)} goals, {len(d.goals.check_ins)} check-ins, "
            f"{len(d.feedback.events)} feedback events, {len(d.reviews)} reviews "
            f"for cycle {d.cycle.id!r}"
        )
        lines = [loaded]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} records:")
            lines += [f"  {s}" for s in self.skipped]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


# --- internal: where a record came from ---------------------------------------------------

_INDEX = re.compile(r"^\[(\d+)\]")


class _Where:
    """Turns a field path of a record's domain object into an :class:`ImportProblem`."""

    __slots__ = ()
    file: str

    def at(self, path: str, reason: str, value: object = MISSING) -> ImportProblem:
        raise NotImplementedError  # pragma: no cover

    @property
    def lines(self) -> tuple[int, ...]:
        return ()

    @property
    def path(self) -> str | None:
        return None

    @property
    def label(self) -> str:
        """How another problem refers to this record: ``line 5`` or a JSON path."""
        raise NotImplementedError  # pragma: no cover


def _value_text(value: object) -> str | None:
    """A domain value as the text a problem shows (``None`` for no value)."""
    if value is MISSING:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # pragma: no cover - default=str covers the rest
        return repr(value)


def _split_head(path: str) -> tuple[str, str]:
    """``"ratings[2].rating.value"`` → ``("ratings", "[2].rating.value")``."""
    m = re.match(r"^[^.\[]*", path)
    head = m.group(0) if m else ""
    rest = path[len(head) :]
    return head, rest[1:] if rest.startswith(".") else rest


_NO_FIELDS: Mapping[str, str] = MappingProxyType({})
_NO_CHILDREN: Mapping[str, Sequence[_Where]] = MappingProxyType({})


class _Row(_Where):
    """A CSV row: ``header`` maps a column name to its 1-based number (shared by the rows of a
    file), ``values`` holds the cells; ``fields`` maps a domain field to its column;
    ``children`` maps a field holding a tuple (``ratings``, ``metric.milestones``) to the rows its
    items came from.

    A plain slotted class (one is made per row of a file that may hold a million rows): the
    mappings default to shared empty ones, and are replaced, never changed in place.
    """

    __slots__ = ("children", "extra_lines", "fields", "file", "header", "line", "values")

    def __init__(
        self,
        *,
        file: str,
        line: int,
        header: Mapping[str, int],
        values: Sequence[str],
        fields: Mapping[str, str] = _NO_FIELDS,
        children: Mapping[str, Sequence[_Where]] = _NO_CHILDREN,
        extra_lines: Sequence[int] = (),
    ) -> None:
        self.file = file
        self.line = line
        self.header = header
        self.values = values
        self.fields = fields
        self.children = children
        self.extra_lines = extra_lines

    def __repr__(self) -> str:
        return f"_Row(file={self.file!r}, line={self.line!r})"

    def add_children(self, field: str, rows: Sequence[_Where]) -> None:
        """Record the rows the items of the tuple ``field`` came from."""
        self.children = {**self.children, field: list(rows)}

    @property
    def lines(self) -> tuple[int, ...]:
        return tuple(sorted({self.line, *self.extra_lines}))

    @property
    def label(self) -> str:
        return f"{self.file}:{self.line}"

    def text(self, column: str) -> str:
        """The cell's text as written ("" for a column the file does not have)."""
        number = self.header.get(column)
        if number is None or number > len(self.values):
            return ""
        return self.values[number - 1]

    def cell(self, column: str, reason: str, value: object = MISSING) -> ImportProblem:
        """A problem in ``column`` of this row; the value shown is the cell's text unless
        ``value`` is given."""
        number = self.header.get(column)
        text = self.text(column)
        if value is MISSING:
            shown: str | None = text if text != "" else None
        else:
            shown = value if isinstance(value, str) or value is None else _value_text(value)
        return ImportProblem(
            file=self.file,
            line=self.line,
            column=column,
            column_number=number,
            value=shown,
            reason=reason,
        )

    def row(self, reason: str) -> ImportProblem:
        return ImportProblem(file=self.file, line=self.line, reason=reason)

    def at(self, path: str, reason: str, value: object = MISSING) -> ImportProblem:
        for prefix, kids in self.children.items():
            if path.startswith(prefix + "["):
                m = _INDEX.match(path[len(prefix) :])
                if m and int(m.group(1)) < len(kids):
                    rest = path[len(prefix) + m.end() :]
                    return kids[int(m.group(1))].at(rest.lstrip("."), reason, value)
        best = ""
        for prefix in self.fields:
            if (path == prefix or path.startswith((prefix + ".", prefix + "["))) and len(
                prefix
            ) > len(best):
                best = prefix
        if not best:
            head, _ = _split_head(path)
            if head in self.header:
                best = head
        if best:
            column = self.fields.get(best, best)
            rest = path[len(best) :].lstrip(".")
            rest = re.sub(r"^\[(\d+)\]\.?", lambda m: f"item {int(m.group(1)) + 1} ", rest)
            rest = rest.removesuffix(" parent_id").strip()
            if not rest:
                return self.cell(column, reason)
            shown = "" if value is MISSING else f"{_shown(_value_text(value) or '')} "
            return self.cell(column, f"{rest}: {shown}{reason}")
        shown = "" if value is MISSING else f"{_shown(_value_text(value) or '')} "
        where = f"{path}: " if path else ""
        return self.row(f"{where}{shown}{reason}")


@attrs.define(eq=False)
class _Node(_Where):
    """An item of a JSON document at ``base`` (``data.organisation.employees[3]``)."""

    file: str
    base: str
    raw: Any

    @property
    def path(self) -> str | None:
        return self.base

    @property
    def label(self) -> str:
        return f"{self.file}:{self.base}"

    def at(self, path: str, reason: str, value: object = MISSING) -> ImportProblem:
        found = _walk(self.raw, path)
        shown = _value_text(found) if found is not MISSING else _value_text(value)
        return ImportProblem(
            file=self.file, column=join_path(self.base, path) or None, value=shown, reason=reason
        )


def _walk(raw: Any, path: str) -> Any:
    """The raw JSON value at a field path (``MISSING`` when the path does not lead anywhere)."""
    node = raw
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            i = int(part[1:-1])
            if not isinstance(node, list) or i >= len(node):
                return MISSING
            node = node[i]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return MISSING
    return node


class _Record:
    """One imported record on its way to the data set (slotted: one is made per row)."""

    __slots__ = ("fields", "id", "kind", "obj", "problems", "refs", "skip_reason", "where")

    def __init__(
        self,
        *,
        kind: RecordKind,
        where: _Where,
        id: str | None,
        obj: Any = None,
        problems: list[ImportProblem] | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.where = where
        self.id = id
        self.obj = obj
        self.problems: list[ImportProblem] = [] if problems is None else problems
        self.refs: Sequence[tuple[str, str, str]] = ()
        """``(field path, target kind, id)`` for the records this one refers to that only its
        row names (a milestone's goal); the checks add those its object names. Skip mode drops
        a record whose target was dropped. Replaced, never changed in place."""
        self.skip_reason: Sequence[ImportProblem] = ()
        """Why skip mode dropped the record besides its own problems; replaced, never changed
        in place."""
        self.fields = fields
        """What could be read of the record when its object could not be built: enough to
        check the references it makes (a typo in a manager id is reported even on a row with a
        bad date)."""

    @property
    def ok(self) -> bool:
        return self.obj is not None and not self.problems

    def skipped(self) -> SkippedRecord:
        return SkippedRecord(
            kind=self.kind,
            file=self.where.file,
            id=self.id,
            lines=self.where.lines,
            path=self.where.path,
            problems=(*self.problems, *self.skip_reason),
        )


def sorted_problems(problems: Iterable[ImportProblem], files: Sequence[str]) -> list[ImportProblem]:
    """Problems in file order, then line, then column (stable: JSON problems keep their order)."""
    rank = {f: i for i, f in enumerate(files)}
    return sorted(
        problems,
        key=lambda p: (rank.get(p.file, len(rank)), p.line or 0, p.column_number or 0),
    )

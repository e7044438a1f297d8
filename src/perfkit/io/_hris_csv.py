"""Reading an HRIS export directory: one CSV file per kind of record, each row a record.

Each file is read whole first (UTF-8 with or without BOM, CSV syntax, the header row); a file
that fails there is a problem of the whole file. Each row then becomes a :class:`_Record`, its
bad cells reported at their column.

The big files (check-ins, reviews, feedback, goals) are read row by row twice over, in effect:
a plain reader (``_plain_check_in`` ...) takes a row whose cells are all written the plain way
(``2026-03-02T10:00:00+01:00``, ``in_progress``, ids without spaces around them) and builds its
object straight away; any other row, and any row whose object the domain refuses, goes to the
full reader, which accepts every spelling and reports every problem. Both give the same object
for a plain row, so the plain readers change nothing but the time a big export takes.
"""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import operator
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from .. import _validation as v
from .._errors import ValidationError
from .._frozen import FrozenMap
from ..cycles import ReviewCycle
from ..feedback import (
    Constructive,
    FeedbackRequest,
    FeedbackResponse,
    Note,
    NoteContext,
    Praise,
    Visibility,
)
from ..goals import Alignment, CheckIn, Goal, GoalStatus, Owner, OwnerKind
from ..metrics import BinaryMetric, Direction, Milestone, MilestoneMetric, NumericMetric
from ..money import CURRENCIES, SalaryBand
from ..org import Employee, OrgUnit
from ..reviews import CriterionRating, Review, ReviewerRole, ReviewForm, ReviewStatus
from ..scales import OrdinalScale, Rating, ScaleCatalog
from ._hris_cells import (
    Cells,
    build,
    enum_key,
    parse_number,
    plain_boolean,
    plain_choices,
    plain_date,
    plain_id,
    plain_integer,
    plain_moment,
    plain_number,
)
from ._hris_check import Records
from ._hris_config import Config
from ._hris_model import ImportProblem, RecordKind, _Record, _Row

K = RecordKind


@attrs.frozen
class Spec:
    """A file's columns: those the header must have, and those it may have."""

    file: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    attributes: bool = False
    """Unknown columns become ``Employee.attributes`` (else they are noted and not read)."""

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


UNITS = Spec("units.csv", ("id", "name"), ("parent_id", "head_id"))
EMPLOYEES = Spec(
    "employees.csv",
    ("id", "name", "manager_id", "unit_id", "hire_date", "job_level", "base_pay"),
    ("end_date", "currency", "band_minimum", "band_midpoint", "band_maximum"),
    attributes=True,
)
GOALS = Spec(
    "goals.csv",
    ("id", "title", "owner_kind", "owner_id", "metric"),
    (
        "description",
        "cycle_id",
        "aligns_to",
        "weight",
        "start_date",
        "end_date",
        "status",
        "baseline",
        "target",
        "unit",
        "direction",
        "revision",
        "proposed_by",
    ),
)
MILESTONES = Spec("milestones.csv", ("goal_id", "id", "title"), ("weight", "due"))
CHECKINS = Spec(
    "checkins.csv",
    ("id", "goal_id", "author", "at"),
    ("value", "done", "milestones_done", "confidence", "note"),
)
FEEDBACK = Spec(
    "feedback.csv",
    ("id", "type", "author", "subject", "at"),
    (
        "text",
        "goal_id",
        "competency",
        "visibility",
        "context",
        "requested_from",
        "question",
        "request_id",
    ),
)
REVIEWS = Spec(
    "reviews.csv",
    ("id", "subject", "reviewer", "role"),
    (
        "cycle_id",
        "form_id",
        "status",
        "summary",
        "employee_comment",
        "version",
        "criterion_id",
        "rating",
        "comment",
    ),
)
SPECS = (UNITS, EMPLOYEES, GOALS, MILESTONES, CHECKINS, FEEDBACK, REVIEWS)
FILES = tuple(s.file for s in SPECS)
_CLOSE = 0.85


def column_clash(spec: Spec, name: str) -> str | None:
    """Why a header ``name`` that is not one of ``spec``'s columns cannot be an extra column:
    it names one in other spelling, or looks like a typo of one. ``None`` when it can."""
    key = enum_key(name)
    if key in spec.columns:
        return f"is the column {key!r}" if key != name else None
    close = difflib.get_close_matches(key, spec.columns, n=1, cutoff=_CLOSE)
    if close:
        return f"is not a known column; did you mean {close[0]!r}?"
    return None


@attrs.define(eq=False)
class Table:
    file: str
    header: dict[str, int]
    extra: list[tuple[str, int]]
    rows: list[tuple[_Row, Sequence[ImportProblem]]]
    """Each row with the problem of its shape (a row as wide as the header has none)."""

    def picker(self, columns: Sequence[str]) -> Callable[[Sequence[str]], Sequence[str]]:
        """Reads ``columns`` (two or more) from the cells of a row as wide as the header, at
        once ("" for a column the file does not have)."""
        numbers = [self.header.get(c, 0) - 1 for c in columns]
        if all(n >= 0 for n in numbers):
            return operator.itemgetter(*numbers)

        def pick(cells: Sequence[str]) -> Sequence[str]:
            return [cells[n] if n >= 0 else "" for n in numbers]

        return pick


def _decode(file: str, data: bytes) -> str | ImportProblem:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return ImportProblem(
            file=file,
            line=line,
            reason=f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the export as UTF-8",
        )


def read_table(path: Path, spec: Spec, problems: list[ImportProblem]) -> Table | None:
    """The header and rows of one CSV file, or ``None`` after reporting why it cannot be read."""
    file = spec.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(ImportProblem(file=file, reason=f"cannot be read ({exc.strerror})"))
        return None
    text = _decode(file, data)
    if isinstance(text, ImportProblem):
        problems.append(text)
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    raw: list[tuple[int, list[str]]] = []  # the rows that are not blank, with their lines
    previous = 0
    try:
        for cells in reader:
            line = previous + 1
            previous = reader.line_num
            if cells and (cells[0].strip() or any(c.strip() for c in cells)):
                raw.append((line, cells))
    except csv.Error as exc:
        problems.append(
            ImportProblem(file=file, line=previous + 1, reason=f"is not valid CSV ({exc})")
        )
        return None
    if not raw:
        problems.append(
            ImportProblem(
                file=file,
                reason=f"is empty; a header row is required ({', '.join(spec.required)}, ...)",
            )
        )
        return None
    header_line, names = raw[0]
    header: dict[str, int] = {}
    extra: list[tuple[str, int]] = []
    bad = False
    seen: dict[str, int] = {}
    for number, written in enumerate(names, 1):
        name = written.strip()
        if not name:
            problems.append(
                ImportProblem(
                    file=file, line=header_line, column_number=number, reason="has no column name"
                )
            )
            bad = True
            continue
        key = enum_key(name)
        canonical = key if key in spec.columns else None
        label = canonical or name
        if label in seen:
            problems.append(
                ImportProblem(
                    file=file,
                    line=header_line,
                    column=label,
                    column_number=number,
                    reason=f"repeats column {seen[label]}",
                )
            )
            bad = True
            continue
        seen[label] = number
        if canonical is not None:
            header[canonical] = number
            continue
        clash = column_clash(spec, name)
        if clash is not None:
            problems.append(
                ImportProblem(
                    file=file, line=header_line, column=name, column_number=number, reason=clash
                )
            )
            bad = True
            continue
        extra.append((name, number))
    missing = [c for c in spec.required if c not in header]
    if missing:
        shown = ", ".join(repr(c) for c in missing)
        noun = "column" if len(missing) == 1 else "columns"
        problems.append(
            ImportProblem(
                file=file,
                line=header_line,
                reason=f"has no {noun} {shown} in its header row (required: "
                f"{', '.join(spec.required)})",
            )
        )
        bad = True
    if bad:
        return None
    width = len(names)
    columns = dict(sorted([*header.items(), *extra], key=lambda kv: kv[1]))
    rows: list[tuple[_Row, Sequence[ImportProblem]]] = []
    for line, cells in itertools.islice(raw, 1, None):
        found: Sequence[ImportProblem] = ()
        if len(cells) != width:
            cut = " (a cut-off line?)" if len(cells) < width else ""
            found = [
                ImportProblem(
                    file=file,
                    line=line,
                    reason=f"has {len(cells)} cells; the header has {width}{cut}",
                )
            ]
        rows.append((_Row(file=file, line=line, header=columns, values=cells), found))
    return Table(file=file, header=header, extra=extra, rows=rows)


@attrs.define(eq=False)
class Options:
    dayfirst: bool | None
    assume: Any
    config: Config
    config_file: str


def _cells(row: _Row, opts: Options) -> Cells:
    return Cells(row=row, dayfirst=opts.dayfirst, assume=opts.assume)


def _record(
    kind: RecordKind, row: _Row, ident: str | None, found: Sequence[ImportProblem]
) -> _Record:
    return _Record(kind=kind, where=row, id=ident, problems=list(found))


def _finish(rec: _Record, c: Cells, cls: type[Any], kw: dict[str, Any], where: _Row) -> None:
    """Build the record's object unless a cell of the row was bad."""
    rec.fields = kw
    _cell_problems(rec, c)
    if not rec.problems:
        rec.obj, problems = build(cls, kw, where)
        rec.problems += problems


def _cell_problems(rec: _Record, c: Cells) -> None:
    """A row whose cells do not line up with the header reports only that."""
    if not rec.problems:
        rec.problems += c.problems


def _not_applicable(c: Cells, columns: Sequence[str], what: str) -> None:
    for column in columns:
        if c.has(column):
            c.bad(column, f"does not apply to {what}")


def _present(**kwargs: Any) -> dict[str, Any]:
    """Keyword arguments without the missing (``None``) ones, so defaults apply."""
    return {k: x for k, x in kwargs.items() if x is not None}


# --- units and employees ------------------------------------------------------------------


def units(table: Table, opts: Options) -> list[_Record]:
    out = []
    for row, found in table.rows:
        c = _cells(row, opts)
        kw = {
            "id": c.ident("id", required=True),
            "name": c.text("name", required=True),
            "parent_id": c.ident("parent_id"),
            "head_id": c.ident("head_id"),
        }
        rec = _record(K.UNIT, row, kw["id"], found)
        _finish(rec, c, OrgUnit, kw, row)
        out.append(rec)
    return out


def derived_units(people: Sequence[_Record]) -> list[_Record]:
    """Without units.csv: one top-level unit per unit id named in employees.csv (named by its
    id), at the row that first names it."""
    out = []
    seen: set[str] = set()
    for rec in people:
        assert isinstance(rec.where, _Row)
        uid = rec.where.text("unit_id").strip()
        if uid and v.is_id(uid) and uid not in seen:
            seen.add(uid)
            out.append(_Record(kind=K.UNIT, where=rec.where, id=uid, obj=OrgUnit(id=uid, name=uid)))
    return out


_EMPLOYEE_FIELDS = {
    "base_pay.amount": "base_pay",
    "base_pay.currency": "currency",
    "band.minimum.amount": "band_minimum",
    "band.midpoint.amount": "band_midpoint",
    "band.maximum.amount": "band_maximum",
    "band.minimum": "band_minimum",
    "band.midpoint": "band_midpoint",
    "band.maximum": "band_maximum",
    "band.currency": "currency",
    "band": "band_midpoint",
}
_BAND = ("band_minimum", "band_midpoint", "band_maximum")


def employees(table: Table, opts: Options) -> list[_Record]:
    out = []
    for row, found in table.rows:
        row.fields = _EMPLOYEE_FIELDS
        c = _cells(row, opts)
        currency: str | None = None
        if c.has("currency"):
            currency = c.raw("currency").strip().upper()
            if currency not in CURRENCIES:
                c.bad("currency", "is not an ISO 4217 currency code")
                currency = None
        pay = c.money("base_pay", currency, required=True)
        code = currency or (pay.currency if pay is not None else None)
        band = None
        if any(c.has(col) for col in _BAND):
            low, mid, high = (c.money(col, code, required=True) for col in _BAND)
            if low is not None and mid is not None and high is not None:
                try:
                    band = SalaryBand(minimum=low, midpoint=mid, maximum=high)
                except ValidationError as err:
                    c.problems.append(row.at(f"band.{err.path}", err.reason, err.value))
        attributes = FrozenMap({name: c.raw(name) for name, _ in table.extra if c.raw(name) != ""})
        kw = _present(
            id=c.ident("id", required=True),
            name=c.text("name", required=True),
            manager_id=c.ident("manager_id"),
            unit_id=c.ident("unit_id", required=True),
            hire_date=c.day("hire_date", required=True),
            end_date=c.day("end_date"),
            job_level=c.text("job_level", required=True),
            base_pay=pay,
            band=band,
            attributes=attributes,
        )
        rec = _record(K.EMPLOYEE, row, kw.get("id"), found)
        _finish(rec, c, Employee, kw, row)
        out.append(rec)
    return out


# --- goals and milestones -----------------------------------------------------------------

_METRICS = {"numeric": NumericMetric, "binary": BinaryMetric, "milestone": MilestoneMetric}
_NUMERIC_COLUMNS = ("baseline", "target", "unit", "direction")
_GOAL_FIELDS = {
    "owner.id": "owner_id",
    "owner.kind": "owner_kind",
    "owner": "owner_id",
    "metric.baseline": "baseline",
    "metric.target": "target",
    "metric.unit": "unit",
    "metric.direction": "direction",
    "metric": "metric",
}


def milestones(table: Table, opts: Options) -> list[_Record]:
    out = []
    for row, found in table.rows:
        c = _cells(row, opts)
        goal_id = c.ident("goal_id", required=True)
        kw = _present(
            id=c.ident("id", required=True),
            title=c.text("title", required=True),
            weight=c.number("weight"),
            due=c.day("due"),
        )
        rec = _record(K.MILESTONE, row, kw.get("id"), found)
        if goal_id is not None:
            rec.refs = [("goal_id", "goal", goal_id)]
        _finish(rec, c, Milestone, kw, row)
        out.append(rec)
    return out


def _alignments(c: Cells) -> tuple[Alignment, ...] | None:
    """``aligns_to``: parent goal ids separated by ``;``, each optionally ``=weight``."""
    if not c.has("aligns_to"):
        return ()
    out = []
    for i, item in enumerate(c.raw("aligns_to").split(";"), 1):
        part = item.strip()
        parent, weight = part, 1.0
        if "=" in part:
            head, _, tail = part.rpartition("=")
            number = parse_number(tail.strip())
            if not isinstance(number, str):
                parent, weight = head.strip(), number
        if not v.is_id(parent):
            what = "is empty" if not parent else f"({parent!r}) is not a valid goal id"
            c.bad("aligns_to", f"item {i} {what}; write parent ids separated by ';'")
            return None
        try:
            out.append(Alignment(parent_id=parent, weight=weight))
        except ValidationError as err:
            c.bad("aligns_to", f"item {i}: {err.path} {err.value!r} {err.reason}")
            return None
    return tuple(out)


_GOAL_COLUMNS = (
    "id",
    "title",
    "owner_kind",
    "owner_id",
    "metric",
    "description",
    "cycle_id",
    "aligns_to",
    "weight",
    "start_date",
    "end_date",
    "status",
    "baseline",
    "target",
    "unit",
    "direction",
    "revision",
    "proposed_by",
)
_OWNER_KINDS = plain_choices(OwnerKind)
_DIRECTIONS = plain_choices(Direction)
_GOAL_STATUSES = plain_choices(GoalStatus)


def _plain_alignments(text: str) -> list[Alignment] | None:
    """``aligns_to`` written plainly: ``g1;g2=0.5`` (see :func:`_alignments`)."""
    out = []
    for part in text.split(";"):
        parent, weight = part, 1.0
        if "=" in part:
            parent, _, tail = part.rpartition("=")
            if (number := plain_number(tail)) is None:
                return None
            weight = number
        out.append(Alignment(parent_id=parent, weight=weight))
    return out


def _plain_metric(cells: Sequence[str], mine: Sequence[_Record]) -> Any:
    """The metric of a goal row written plainly (else ``None``)."""
    kind, baseline, target, unit, direction = cells
    if kind == "numeric":
        low, high = plain_number(baseline), plain_number(target)
        if low is None or high is None:
            return None
        mkw: dict[str, Any] = {"baseline": low, "target": high}
        if unit:
            mkw["unit"] = unit
        if direction:
            if (way := _DIRECTIONS.get(direction)) is None:
                return None
            mkw["direction"] = way
        return NumericMetric(**mkw)
    if baseline or target or unit or direction:
        return None
    if kind == "binary":
        return BinaryMetric()
    if kind != "milestone" or not mine or any(not m.ok for m in mine):
        return None
    if len({m.id for m in mine}) != len(mine):
        return None
    return MilestoneMetric(milestones=[m.obj for m in mine])


def _plain_goal(cells: Sequence[str], cycle: ReviewCycle, mine: Sequence[_Record]) -> Goal | None:
    """The goal of a row whose cells are all plainly well formed (else ``None``)."""
    gid, title, owner_kind, owner_id, metric, description, cycle_id, aligns_to = cells[:8]
    weight, start, end, status, baseline, target, unit, direction = cells[8:16]
    revision, proposed_by = cells[16:]
    kind = _OWNER_KINDS.get(owner_kind)
    if kind is None or not title:
        return None
    try:
        measure = _plain_metric((metric, baseline, target, unit, direction), mine)
        if measure is None:
            return None
        kw: dict[str, Any] = {
            "id": gid,
            "title": title,
            "owner": Owner(kind=kind, id=owner_id),
            "metric": measure,
        }
        if description:
            kw["description"] = description
        if cycle_id:
            kw["cycle_id"] = cycle_id
        if aligns_to:
            if (parents := _plain_alignments(aligns_to)) is None:
                return None
            kw["aligns_to"] = parents
        if weight:
            if (number := plain_number(weight)) is None:
                return None
            kw["weight"] = number
        for key, written, default in (
            ("start_date", start, cycle.start),
            ("end_date", end, cycle.end),
        ):
            day = plain_date(written) if written else default
            if day is None:
                return None
            kw[key] = day
        if status:
            if (state := _GOAL_STATUSES.get(status)) is None:
                return None
            kw["status"] = state
        if revision:
            if (count := plain_integer(revision)) is None:
                return None
            kw["revision"] = count
        if proposed_by:
            kw["proposed_by"] = proposed_by
        return Goal(**kw)
    except ValidationError:
        return None


def goals(table: Table, opts: Options, stones: Sequence[_Record]) -> list[_Record]:
    cycle = opts.config.cycle
    by_goal: dict[str, list[_Record]] = {}
    for m in stones:
        for _, _, goal_id in m.refs:
            by_goal.setdefault(goal_id, []).append(m)
    out = []
    pick = table.picker(_GOAL_COLUMNS)
    for row, found in table.rows:
        row.fields = _GOAL_FIELDS
        if not found and cycle is not None:
            cells = pick(row.values)
            mine = by_goal.get(cells[0], [])
            obj = _plain_goal(cells, cycle, mine)
            if obj is not None:
                if isinstance(obj.metric, MilestoneMetric):
                    row.add_children("metric.milestones", [m.where for m in mine])
                out.append(_Record(kind=K.GOAL, where=row, id=obj.id, obj=obj))
                continue
        c = _cells(row, opts)
        gid = c.ident("id", required=True)
        kind = None if c.missing("metric", True) else enum_key(c.raw("metric"))
        metric: Any = None
        mine = by_goal.get(gid or "", [])
        skip_reason: list[ImportProblem] = []
        if kind is None:
            pass
        elif kind not in _METRICS:
            c.bad("metric", "is not one of 'numeric', 'binary', 'milestone'")
        elif kind == "numeric":
            mkw = _present(
                baseline=c.number("baseline", required=True),
                target=c.number("target", required=True),
                unit=c.text("unit"),
                direction=c.choice("direction", Direction),
            )
            if not c.problems:
                metric, problems = build(NumericMetric, mkw, row)
                c.problems += problems
        else:
            _not_applicable(c, _NUMERIC_COLUMNS, f"a {kind} metric")
            if kind == "binary":
                metric = BinaryMetric()
            else:
                metric = _milestone_metric(c, row, gid, mine, skip_reason)
        start = c.day("start_date")
        end = c.day("end_date")
        if cycle is not None:
            start = start or cycle.start
            end = end or cycle.end
        owner = None
        owner_kind = c.choice("owner_kind", OwnerKind, required=True)
        owner_id = c.ident("owner_id", required=True)
        if owner_kind is not None and owner_id is not None:
            owner = Owner(kind=owner_kind, id=owner_id)
        kw = _present(
            id=gid,
            title=c.text("title", required=True),
            description=c.text("description"),
            owner=owner,
            cycle_id=c.ident("cycle_id"),
            aligns_to=_alignments(c),
            weight=c.number("weight"),
            start_date=start,
            end_date=end,
            status=c.choice("status", GoalStatus),
            metric=metric,
            revision=c.integer("revision"),
            proposed_by=c.ident("proposed_by"),
        )
        rec = _record(K.GOAL, row, gid, found)
        rec.skip_reason = skip_reason
        if skip_reason or metric is None or (cycle is None and (start is None or end is None)):
            # (without a cycle its problems are reported, and goals without dates wait for it)
            rec.fields = kw
            _cell_problems(rec, c)
        else:
            _finish(rec, c, Goal, kw, row)
        out.append(rec)
    return out


def _milestone_metric(
    c: Cells, row: _Row, gid: str | None, mine: Sequence[_Record], skip: list[ImportProblem]
) -> MilestoneMetric | None:
    row.add_children("metric.milestones", [m.where for m in mine])
    if any(not m.ok for m in mine):
        bad = ", ".join(m.where.label for m in mine if not m.ok)
        skip.append(row.cell("metric", f"has milestones with problems ({bad})"))
        return None
    if not mine:
        c.bad("metric", f"is 'milestone', but milestones.csv has no milestones for goal {gid!r}")
        return None
    ids: dict[str, _Record] = {}
    for m in mine:
        assert m.id is not None
        if m.id in ids:
            m.problems.append(
                m.where.at(
                    "id", f"repeats a milestone id of goal {gid!r} ({ids[m.id].where.label})"
                )
            )
            skip.append(row.cell("metric", f"has milestones with problems ({m.where.label})"))
            return None
        ids[m.id] = m
    return MilestoneMetric(milestones=[m.obj for m in mine])


def check_milestone_goals(stones: Sequence[_Record], goal_rows: Sequence[_Record]) -> None:
    """A milestones.csv row must belong to a goal measured by milestones."""
    kinds: dict[str, str] = {}
    for g in goal_rows:
        if g.id is not None and g.id not in kinds:
            assert isinstance(g.where, _Row)
            kinds[g.id] = enum_key(g.where.text("metric"))
    for m in stones:
        for _, _, goal_id in m.refs:
            kind = kinds.get(goal_id)
            if kind is not None and kind != "milestone":
                m.problems.append(
                    m.where.at(
                        "goal_id",
                        f"is a goal measured by a {kind or 'missing'} metric, not milestones",
                    )
                )


# --- check-ins and feedback ---------------------------------------------------------------


_CHECK_IN_COLUMNS = (
    "id",
    "goal_id",
    "author",
    "at",
    "value",
    "done",
    "milestones_done",
    "confidence",
    "note",
)


def _plain_check_in(cells: Sequence[str], assume: Any) -> CheckIn | None:
    """The check-in of a row whose cells are all plainly well formed (else ``None``)."""
    ident, goal_id, author, at, value, done, stones, confidence, note = cells
    moment = plain_moment(at, assume)
    if moment is None:
        return None
    kw: dict[str, Any] = {"id": ident, "goal_id": goal_id, "author": author, "at": moment}
    if value:
        if (number := plain_number(value)) is None:
            return None
        kw["value"] = number
    if done:
        if (flag := plain_boolean(done)) is None:
            return None
        kw["done"] = flag
    if stones:
        kw["milestones_done"] = tuple(stones.split(";"))
    if confidence:
        if (number := plain_number(confidence)) is None:
            return None
        kw["confidence"] = number
    if note:
        kw["note"] = note
    try:
        return CheckIn(**kw)
    except ValidationError:
        return None


def check_ins(table: Table, opts: Options) -> list[_Record]:
    out = []
    pick = table.picker(_CHECK_IN_COLUMNS)
    for row, found in table.rows:
        obj = None if found else _plain_check_in(pick(row.values), opts.assume)
        if obj is not None:
            out.append(_Record(kind=K.CHECK_IN, where=row, id=obj.id, obj=obj))
            continue
        c = _cells(row, opts)
        kw = _present(
            id=c.ident("id", required=True),
            goal_id=c.ident("goal_id", required=True),
            author=c.ident("author", required=True),
            at=c.moment("at", required=True),
            value=c.number("value"),
            done=c.boolean("done"),
            milestones_done=c.items("milestones_done"),
            confidence=c.number("confidence"),
            note=c.text("note"),
        )
        rec = _record(K.CHECK_IN, row, kw.get("id"), found)
        _finish(rec, c, CheckIn, kw, row)
        out.append(rec)
    return out


_EVENTS: dict[str, Any] = {
    "praise": Praise,
    "constructive": Constructive,
    "note": Note,
    "feedback_request": FeedbackRequest,
    "feedback_response": FeedbackResponse,
}
_ONLY = {
    "context": ("note",),
    "requested_from": ("feedback_request",),
    "question": ("feedback_request",),
    "request_id": ("feedback_response",),
}


_FEEDBACK_COLUMNS = (
    "id",
    "type",
    "author",
    "subject",
    "at",
    "text",
    "goal_id",
    "competency",
    "visibility",
    "context",
    "requested_from",
    "question",
    "request_id",
)
_VISIBILITY = plain_choices(Visibility)
_CONTEXT = plain_choices(NoteContext)


def _plain_feedback(cells: Sequence[str], assume: Any) -> Any:
    """The feedback event of a row whose cells are all plainly well formed (else ``None``)."""
    (fid, kind, author, subject, at, text, goal_id, competency, visibility) = cells[:9]
    context, asked, question, request_id = cells[9:]
    cls = _EVENTS.get(kind)
    if cls is None:
        return None
    moment = plain_moment(at, assume)
    if moment is None:
        return None
    kw: dict[str, Any] = {"id": fid, "author": author, "subject": subject, "at": moment}
    if goal_id:
        kw["goal_id"] = goal_id
    if competency:
        kw["competency"] = competency
    if visibility:
        if (seen := _VISIBILITY.get(visibility)) is None:
            return None
        kw["visibility"] = seen
    if text:
        kw["text"] = text
    elif kind != "feedback_request":
        return None
    if kind == "note":
        if asked or question or request_id:
            return None
        if context:
            if (where := _CONTEXT.get(context)) is None:
                return None
            kw["context"] = where
    elif kind == "feedback_request":
        if context or request_id or not question or not asked:
            return None
        kw["requested_from"] = tuple(asked.split(";"))
        kw["question"] = question
    elif kind == "feedback_response":
        if context or asked or question or not request_id:
            return None
        kw["request_id"] = request_id
    elif context or asked or question or request_id:
        return None
    try:
        return cls(**kw)
    except ValidationError:
        return None


def feedback(table: Table, opts: Options) -> list[_Record]:
    out = []
    pick = table.picker(_FEEDBACK_COLUMNS)
    for row, found in table.rows:
        obj = None if found else _plain_feedback(pick(row.values), opts.assume)
        if obj is not None:
            out.append(_Record(kind=K.FEEDBACK, where=row, id=obj.id, obj=obj))
            continue
        c = _cells(row, opts)
        fid = c.ident("id", required=True)
        kind = None
        if not c.missing("type", True):
            kind = enum_key(c.raw("type"))
            if kind not in _EVENTS:
                c.bad("type", f"is not one of {', '.join(repr(k) for k in _EVENTS)}")
                kind = None
        kw = _present(
            id=fid,
            author=c.ident("author", required=True),
            subject=c.ident("subject", required=True),
            at=c.moment("at", required=True),
            goal_id=c.ident("goal_id"),
            competency=c.ident("competency"),
            visibility=c.choice("visibility", Visibility),
        )
        if kind is not None:
            for column, kinds in _ONLY.items():
                if kind not in kinds:
                    _not_applicable(c, (column,), f"a {kind}")
            kw["text"] = c.text("text", required=kind != "feedback_request")
            if kind == "note":
                kw["context"] = c.choice("context", NoteContext)
            elif kind == "feedback_request":
                kw["requested_from"] = c.items("requested_from")
                kw["question"] = c.text("question", required=True)
                if not c.has("requested_from"):
                    c.missing("requested_from", True)
            elif kind == "feedback_response":
                kw["request_id"] = c.ident("request_id", required=True)
            kw = _present(**kw)
        rec = _record(K.FEEDBACK, row, fid, found)
        if kind is not None:
            cls = _EVENTS[kind]
            _finish(rec, c, cls, kw, row)
        else:
            rec.fields = kw
            _cell_problems(rec, c)
        out.append(rec)
    return out


# --- reviews --------------------------------------------------------------------------------

_REVIEW_COLUMNS = (
    "subject",
    "reviewer",
    "role",
    "cycle_id",
    "form_id",
    "status",
    "summary",
    "employee_comment",
    "version",
)
_RATING_FIELDS = {"rating.value": "rating", "rating.scale": "criterion_id", "rating": "rating"}


def reviews(table: Table, opts: Options) -> list[_Record]:
    """One review per id: its rows repeat the review's columns (or leave them empty) and give
    one rating each (``criterion_id``, ``rating``, ``comment``)."""
    groups: dict[str, list[tuple[_Row, Sequence[ImportProblem]]]] = {}
    loose: list[_Record] = []
    for row, found in table.rows:
        text = row.text("id")
        rid = text if plain_id(text) else None
        if rid is None:
            c = _cells(row, opts)
            rid = c.ident("id", required=True)
            if rid is None:
                loose.append(_record(K.REVIEW, row, None, [*found, *c.problems]))
                continue
        group = groups.get(rid)
        if group is None:
            groups[rid] = group = []
        group.append((row, found))
    plain = _PlainReviews(table, opts.config)
    out = []
    for rid, rows in groups.items():
        review = plain.review(rid, rows)
        out.append(
            _review(rid, rows, opts)
            if review is None
            else _Record(kind=K.REVIEW, where=rows[0][0], id=rid, obj=review)
        )
    return out + loose


_REVIEW_HEAD = ("id", *_REVIEW_COLUMNS)
_RATING_COLUMNS = ("criterion_id", "rating", "comment")
_ROLES = plain_choices(ReviewerRole)
_REVIEW_STATUSES = plain_choices(ReviewStatus)


class _PlainReviews:
    """Reviews whose rows are all plainly well formed, read without the full cell readers
    (:meth:`review` gives ``None`` for any other, which :func:`_review` then reads)."""

    def __init__(self, table: Table, config: Config) -> None:
        self.head = table.picker(_REVIEW_HEAD)
        self.rating = table.picker(_RATING_COLUMNS)
        self.cycle_id = config.cycle.id if config.cycle is not None else None
        forms = config.forms or ()
        self.single_form = forms[0].id if len(forms) == 1 else None
        self.forms: dict[str, ReviewForm] = {}
        for f in forms:
            self.forms.setdefault(f.id, f)
        self.scales = config.scales
        self.criteria: dict[str, dict[str, Any]] = {}
        self.ordinal: dict[Any, OrdinalScale | None] = {}

    def _criteria(self, form: ReviewForm) -> dict[str, Any]:
        found = self.criteria.get(form.id)
        if found is None:
            found = self.criteria[form.id] = {}
            for x in form.criteria:
                found.setdefault(x.id, x)
        return found

    def _ordinal(self, scales: ScaleCatalog, ref: Any) -> OrdinalScale | None:
        if ref not in self.ordinal:
            scale = scales.get(ref) if ref in scales else None
            self.ordinal[ref] = scale if isinstance(scale, OrdinalScale) else None
        return self.ordinal[ref]

    def review(self, rid: str, rows: Sequence[tuple[_Row, Sequence[ImportProblem]]]) -> Any:
        scales = self.scales
        if scales is None or any(found for _, found in rows):
            return None
        first = rows[0][0]
        head = self.head(first.values)
        for row, _ in rows[1:]:
            for mine, theirs in zip(self.head(row.values)[1:], head[1:], strict=True):
                if mine and mine != theirs:
                    return None
        subject, reviewer, role, cycle_cell, form_cell, status, summary, comment, version = head[1:]
        cycle_id = cycle_cell or self.cycle_id
        form_id = form_cell or self.single_form
        form = self.forms.get(form_id) if form_id is not None else None
        if form is None or cycle_id is None:
            return None
        criteria = self._criteria(form)
        ratings = []
        kids = []
        try:
            for row, _ in rows:
                cid, text, remark = self.rating(row.values)
                if not (cid or text or remark):
                    continue
                kids.append(row)
                criterion = criteria.get(cid)
                if criterion is None or not text:
                    return None
                value = plain_number(text)
                if value is None:
                    scale = self._ordinal(scales, criterion.scale)
                    if scale is None or text != text.strip():
                        return None
                    value = scale.value_of(text)
                rating = Rating(scale=criterion.scale, value=value)
                ratings.append(
                    CriterionRating(criterion_id=cid, rating=rating, comment=remark)
                    if remark
                    else CriterionRating(criterion_id=cid, rating=rating)
                )
            kw: dict[str, Any] = {
                "id": rid,
                "cycle_id": cycle_id,
                "form_id": form.id,
                "subject": subject,
                "reviewer": reviewer,
                "role": _ROLES.get(role),
                "ratings": tuple(ratings),
            }
            if kw["role"] is None:
                return None
            if summary:
                kw["summary"] = summary
            if status:
                if (state := _REVIEW_STATUSES.get(status)) is None:
                    return None
                kw["status"] = state
            if comment:
                kw["employee_comment"] = comment
            if version:
                if (number := plain_integer(version)) is None:
                    return None
                kw["version"] = number
            review = Review(**kw)
        except ValidationError:
            return None
        first.extra_lines = [r.line for r, _ in rows[1:]]
        for row in kids:
            row.fields = _RATING_FIELDS
        first.add_children("ratings", kids)
        return review


def _review(
    rid: str, rows: Sequence[tuple[_Row, Sequence[ImportProblem]]], opts: Options
) -> _Record:
    first, found = rows[0]
    rec = _record(K.REVIEW, first, rid, found)
    first.extra_lines = [r.line for r, _ in rows[1:]]
    c = _cells(first, opts)
    for row, more in rows[1:]:
        rec.problems += more
        for column in _REVIEW_COLUMNS:
            mine = row.text(column)
            theirs = first.text(column)
            if mine.strip() and mine != theirs:
                rec.problems.append(
                    row.cell(
                        column,
                        f"differs from {first.label} ({theirs!r}); the rows of one review repeat "
                        "its columns or leave them empty",
                    )
                )
    cfg = opts.config
    cycle_id = c.ident("cycle_id")
    if cycle_id is None and cfg.cycle is not None:
        cycle_id = cfg.cycle.id
    forms = cfg.forms or ()
    form_id = c.ident(
        "form_id", required=len(forms) != 1, why=" (the cycle file has no single form)"
    )
    if form_id is None and len(forms) == 1:
        form_id = forms[0].id
    form = next((f for f in forms if f.id == form_id), None)
    if form_id is not None and form is None and cfg.forms is not None:
        known = ", ".join(f.id for f in forms) or f"none; add [[forms]] to {opts.config_file}"
        c.bad("form_id", f"is not a review form (forms: {known})")
    ratings: list[CriterionRating] = []
    kids: list[_Row] = []
    for row, _ in rows:
        rc = _cells(row, opts)
        if not (rc.has("criterion_id") or rc.has("rating") or rc.has("comment")):
            continue
        row.fields = _RATING_FIELDS
        kids.append(row)
        rating = _rating(rc, form, cfg.scales)
        c.problems += rc.problems
        if rating is not None:
            ratings.append(rating)
    first.add_children("ratings", kids)
    kw = _present(
        id=rid,
        cycle_id=cycle_id,
        form_id=form_id,
        subject=c.ident("subject", required=True),
        reviewer=c.ident("reviewer", required=True),
        role=c.choice("role", ReviewerRole, required=True),
        ratings=tuple(ratings),
        summary=c.text("summary"),
        status=c.choice("status", ReviewStatus),
        employee_comment=c.text("employee_comment"),
        version=c.integer("version"),
    )
    if form is None and kids:
        # Ratings need their form's scales: the form_id problem is reported (or, when the
        # cycle file failed, the cycle file's problems are).
        rec.fields = kw
        _cell_problems(rec, c)
        return rec
    _finish(rec, c, Review, kw, first)
    return rec


def _rating(
    c: Cells, form: ReviewForm | None, scales: ScaleCatalog | None
) -> CriterionRating | None:
    cid = c.ident("criterion_id", required=True)
    if form is None or scales is None:
        return None
    criterion = next((x for x in form.criteria if x.id == cid), None)
    if cid is not None and criterion is None:
        ids = ", ".join(x.id for x in form.criteria)
        c.bad("criterion_id", f"is not a criterion of form {form.id!r} ({ids})")
    if c.missing("rating", True):
        return None
    text = c.raw("rating").strip()
    value: float | None = None
    found = parse_number(text)
    if isinstance(found, float):
        value = found
    elif criterion is not None and criterion.scale in scales:
        scale = scales.get(criterion.scale)
        if isinstance(scale, OrdinalScale):
            try:
                value = scale.value_of(text)
            except ValidationError as err:
                c.bad("rating", f"is not a number nor {err.reason.removeprefix('is not ')}")
        else:
            c.bad("rating", found)
    elif criterion is not None:
        c.bad("rating", found)
    if criterion is None or value is None or c.problems:
        return None
    kw = _present(
        criterion_id=cid,
        rating=Rating(scale=criterion.scale, value=value),
        comment=c.text("comment"),
    )
    obj, problems = build(CriterionRating, kw, c.row)
    c.problems += problems
    return obj  # type: ignore[no-any-return]


_PROVIDES = {
    "units.csv": ("unit", "company"),
    "employees.csv": ("employee",),
    "goals.csv": ("goal",),
    "feedback.csv": ("feedback_request",),
}


def read_directory(root: Path, opts: Options, recs: Records) -> None:
    """Every CSV file of an export directory into ``recs``."""
    tables: dict[str, Table | None] = {}
    for spec in SPECS:
        path = root / spec.file
        if not path.is_file():
            if spec is EMPLOYEES:
                recs.unreadable.add("employee")
                recs.problems.append(
                    ImportProblem(
                        file=spec.file, reason=f"is missing from {root} (the people: required)"
                    )
                )
            tables[spec.file] = None
            continue
        tables[spec.file] = table = read_table(path, spec, recs.problems)
        if table is None:
            recs.unreadable.update(_PROVIDES.get(spec.file, ()))
        if table is not None and table.extra and not spec.attributes:
            names = ", ".join(f"{n!r} (col {k})" for n, k in table.extra)
            recs.notes.append(f"{spec.file}: columns {names} are not perfkit columns; not read")
    by = recs.by_kind

    def rows(file: str, reader: Callable[[Table, Options], list[_Record]]) -> list[_Record]:
        table = tables[file]
        return [] if table is None else reader(table, opts)

    by[K.EMPLOYEE] = rows("employees.csv", employees)
    if (root / "units.csv").is_file():
        by[K.UNIT] = rows("units.csv", units)
    else:
        by[K.UNIT] = derived_units(by[K.EMPLOYEE])
        recs.notes.append(
            f"units.csv is absent: {len(by[K.UNIT])} top-level units made from the unit ids "
            "of employees.csv"
        )
    by[K.MILESTONE] = rows("milestones.csv", milestones)
    table = tables["goals.csv"]
    by[K.GOAL] = [] if table is None else goals(table, opts, by[K.MILESTONE])
    check_milestone_goals(by[K.MILESTONE], by[K.GOAL])
    by[K.CHECK_IN] = rows("checkins.csv", check_ins)
    by[K.FEEDBACK] = rows("feedback.csv", feedback)
    by[K.REVIEW] = rows("reviews.csv", reviews)

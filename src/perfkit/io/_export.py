"""Results export: a cycle's outcome as JSON, CSV files and a self-contained HTML report.

A :class:`~perfkit.run.CycleResult` is what HR hands on after the year-end run: to payroll
(merit increases and bonuses), to the HRIS (final ratings, 9-box), to auditors (every calibration
adjustment with who, when and why) and to the people who sign it off (the report). perfkit
exports it three ways:

- **JSON** (:func:`result_json`): perfkit's canonical document (``perfkit.dumps``), complete and
  byte-identical for the same result; ``perfkit.loads(text, CycleResult)`` reads it back.
- **CSV** (:func:`result_csv`, :func:`result_csv_files`): flat tables for spreadsheets and HR
  systems — one row per employee (``employees.csv``), per calibration adjustment
  (``adjustments.csv``), per budget pool (``pools.csv``) and per rating value
  (``distribution.csv``). RFC 4180 (comma, double quotes, CRLF line ends), UTF-8, a fixed column
  order; numbers read back exactly (floats in their shortest exact form, money as a plain decimal
  string with its currency in a column of its own, never a float).
- **HTML** (:func:`~perfkit.io._html.result_html`): one file with inline CSS and SVG charts that
  opens without a network.

:func:`write_results` writes any of them into a directory. Given the cycle's
:class:`~perfkit.dataset.CycleData`, the exports add people's and units' names and the labels of
rating values; without it they carry ids only.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from .._errors import NotFoundError, ValidationError
from .._serialization import dumps
from ..dataset import CycleData
from ..money import Money
from ..run import CycleResult, EmployeeResult
from ..scales import OrdinalScale

__all__ = [
    "ADJUSTMENT_COLUMNS",
    "DISTRIBUTION_COLUMNS",
    "EMPLOYEE_COLUMNS",
    "FORMATS",
    "POOL_COLUMNS",
    "result_csv",
    "result_csv_files",
    "result_json",
    "write_results",
]

FORMATS = ("csv", "html", "json")
"""The formats :func:`write_results` writes."""

JSON_FILE = "results.json"
HTML_FILE = "report.html"
EMPLOYEES_FILE = "employees.csv"
ADJUSTMENTS_FILE = "adjustments.csv"
POOLS_FILE = "pools.csv"
DISTRIBUTION_FILE = "distribution.csv"

EMPLOYEE_COLUMNS = (
    "employee_id",
    "employee_name",
    "unit_id",
    "unit_name",
    "score",
    "rating_scale",
    "rating_before",
    "rating_before_label",
    "rating_after",
    "rating_after_label",
    "calibrated",
    "nine_box",
    "nine_box_name",
    "eligible",
    "merit_pct",
    "merit_amount",
    "merit_currency",
    "merit_pool",
    "bonus_amount",
    "bonus_currency",
    "awards",
    "plan_ids",
    "explanation",
)
"""The columns of ``employees.csv``, in order (one row per person rated, by employee id)."""

ADJUSTMENT_COLUMNS = (
    "sequence",
    "employee_id",
    "employee_name",
    "from_value",
    "to_value",
    "by",
    "at",
    "reason",
)
"""The columns of ``adjustments.csv``: every calibration adjustment, in the order made."""

POOL_COLUMNS = (
    "unit_id",
    "unit_name",
    "currency",
    "budget",
    "demand",
    "factor",
    "spend",
    "remaining",
    "headcount",
)
"""The columns of ``pools.csv``: one row per merit budget pool, by unit id."""

DISTRIBUTION_COLUMNS = (
    "rating_value",
    "rating_label",
    "before_count",
    "before_share",
    "after_count",
    "after_share",
    "guideline_minimum",
    "guideline_maximum",
)
"""The columns of ``distribution.csv``: one row per rating value, lowest first."""

PLAN_SEPARATOR = "\n"
"""Separates the plan ids in one ``plan_ids`` cell. Ids hold no control characters, so the
list splits back exactly (``cell.split("\\n")``)."""


# --- checks and look-ups -------------------------------------------------------------------


def check_result(result: object) -> CycleResult:
    if not isinstance(result, CycleResult):
        raise ValidationError("result", result, "is not a CycleResult (from perfkit.run_cycle)")
    return result


class Names:
    """The names the exports show next to ids, read from the cycle's data when it is given:
    people, units and the labels of rating values (empty strings without data)."""

    def __init__(self, result: CycleResult, data: object) -> None:
        if data is not None and not isinstance(data, CycleData):
            raise ValidationError("data", data, "is not a CycleData")
        if data is not None and data.cycle.id != result.cycle_id:
            raise ValidationError(
                "data.cycle.id", data.cycle.id, f"is not the result's cycle {result.cycle_id!r}"
            )
        self.data = data
        self._labels: dict[float, str] = {}
        scale = None
        if data is not None and result.calibration.scale in data.scales:
            scale = data.scales.get(result.calibration.scale)
        if isinstance(scale, OrdinalScale):
            self._labels = {p.value: p.label for p in scale.points}
        self.scale_name = "" if scale is None else scale.name

    def person(self, employee_id: str) -> str:
        """The person's name ("" when unknown or without data)."""
        if self.data is None:
            return ""
        try:
            return self.data.organisation.employee(employee_id).name
        except NotFoundError:
            return ""

    def unit(self, unit_id: str) -> str:
        """The unit's name ("" when unknown or without data)."""
        if self.data is None:
            return ""
        try:
            return self.data.organisation.unit(unit_id).name
        except NotFoundError:
            return ""

    def label(self, value: float) -> str:
        """The label of a rating value on an ordinal scale ("" otherwise)."""
        return self._labels.get(value, "")


# --- formatting ----------------------------------------------------------------------------


def number(x: float) -> str:
    """A float as text that reads back to the same float: ``3`` for 3.0, else its shortest
    exact form (``4.625012``)."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    return repr(float(x))


def decimal(d: Decimal) -> str:
    """A Decimal as plain text, never in exponent form (``0.0000001``, not ``1E-7``)."""
    return format(d, "f")


def boolean(b: bool | None) -> str:
    """``true``, ``false``, or empty for ``None`` (not decided)."""
    return "" if b is None else ("true" if b else "false")


def _money(m: Money | None) -> tuple[str, str]:
    return ("", "") if m is None else (decimal(m.amount), m.currency)


def _table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """RFC 4180 CSV: a header row, then the rows; CRLF line ends, quotes only where needed."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


# --- JSON ----------------------------------------------------------------------------------


def result_json(result: CycleResult) -> str:
    """The result as perfkit's canonical JSON document: everything the run decided, with every
    explanation; the same result always gives the same bytes."""
    return dumps(check_result(result))


# --- CSV -----------------------------------------------------------------------------------


def _employee_row(e: EmployeeResult, names: Names) -> list[str]:
    merit_amount, merit_currency = _money(e.merit.final_increase if e.merit else None)
    bonus_amount, bonus_currency = _money(e.bonus.amount if e.bonus else None)
    return [
        e.employee_id,
        names.person(e.employee_id),
        e.unit_id,
        names.unit(e.unit_id),
        number(e.score.value),
        str(e.rating_after.scale),
        number(e.rating_before.value),
        names.label(e.rating_before.value),
        number(e.rating_after.value),
        names.label(e.rating_after.value),
        boolean(bool(e.adjustments)),
        "" if e.nine_box is None else str(e.nine_box.number),
        "" if e.nine_box is None else e.nine_box.name,
        boolean(None if e.eligibility is None else e.eligibility.eligible),
        "" if e.merit is None else decimal(e.merit.pct),
        merit_amount,
        merit_currency,
        "" if e.merit is None or e.merit.pool_id is None else e.merit.pool_id,
        bonus_amount,
        bonus_currency,
        str(len(e.awards)),
        PLAN_SEPARATOR.join(e.plan_ids),
        e.explain(),
    ]


def result_csv(result: CycleResult, *, data: CycleData | None = None) -> str:
    """``employees.csv``: one row per person rated (by employee id) with the score, the rating
    before and after calibration, whether calibration adjusted it, the 9-box, eligibility, the
    merit increase and bonus (amount and currency), awards, development plan ids and the
    explanation of every number (see :data:`EMPLOYEE_COLUMNS`)."""
    checked = check_result(result)
    return _employees_csv(checked, Names(checked, data))


def _employee_id(e: EmployeeResult) -> str:
    return e.employee_id


def _employees_csv(result: CycleResult, names: Names) -> str:
    rows = [_employee_row(e, names) for e in sorted(result.employees, key=_employee_id)]
    return _table(EMPLOYEE_COLUMNS, rows)


def _adjustments_csv(result: CycleResult, names: Names) -> str:
    rows = [
        [
            str(n),
            a.employee_id,
            names.person(a.employee_id),
            number(a.from_value),
            number(a.to_value),
            a.by,
            a.at.isoformat(),
            a.reason,
        ]
        for n, a in enumerate(result.calibration.adjustments, start=1)
    ]
    return _table(ADJUSTMENT_COLUMNS, rows)


def _pools_csv(result: CycleResult, names: Names) -> str:
    pools = () if result.merit is None else result.merit.pools
    rows = [
        [
            p.unit_id,
            names.unit(p.unit_id),
            p.amount.currency,
            decimal(p.amount.amount),
            decimal(p.demand.amount),
            decimal(p.factor),
            decimal(p.spend.amount),
            decimal(p.remaining.amount),
            str(p.headcount),
        ]
        for p in sorted(pools, key=lambda p: p.unit_id)
    ]
    return _table(POOL_COLUMNS, rows)


class DistributionRow(NamedTuple):
    """One rating value of the distribution: count and share before and after calibration, and
    the guideline's range (``None`` when the guideline does not list the value, or there is
    none)."""

    value: float
    before_count: int
    before_share: float
    after_count: int
    after_share: float
    minimum: float | None
    maximum: float | None


def distribution_rows(result: CycleResult) -> list[DistributionRow]:
    """Every rating value rated or in the guideline, lowest first."""
    before = {c.value: c for c in result.distribution.before.values}
    after = {c.value: c for c in result.distribution.after.values}
    targets = {}
    if result.guideline is not None:
        targets = {t.value: t for t in result.guideline.targets}
    out = []
    for value in sorted(set(before) | set(after) | set(targets)):
        b, a, t = before.get(value), after.get(value), targets.get(value)
        out.append(
            DistributionRow(
                value=value,
                before_count=0 if b is None else b.count,
                before_share=0.0 if b is None else b.share,
                after_count=0 if a is None else a.count,
                after_share=0.0 if a is None else a.share,
                minimum=None if t is None else t.minimum,
                maximum=None if t is None else t.maximum,
            )
        )
    return out


def _distribution_csv(result: CycleResult, names: Names) -> str:
    rows = [
        [
            number(r.value),
            names.label(r.value),
            str(r.before_count),
            number(r.before_share),
            str(r.after_count),
            number(r.after_share),
            "" if r.minimum is None else number(r.minimum),
            "" if r.maximum is None else number(r.maximum),
        ]
        for r in distribution_rows(result)
    ]
    return _table(DISTRIBUTION_COLUMNS, rows)


def result_csv_files(result: CycleResult, *, data: CycleData | None = None) -> dict[str, str]:
    """Every CSV export, file name → text, by file name: ``adjustments.csv`` (every calibration
    adjustment in the order made), ``distribution.csv`` (per rating value, before and after
    calibration against the guideline), ``employees.csv`` (:func:`result_csv`) and
    ``pools.csv`` (merit spend per budget pool, in the pools' base currency). A file with
    nothing to list holds its header row only."""
    checked = check_result(result)
    names = Names(checked, data)
    files: dict[str, Callable[[CycleResult, Names], str]] = {
        ADJUSTMENTS_FILE: _adjustments_csv,
        DISTRIBUTION_FILE: _distribution_csv,
        EMPLOYEES_FILE: _employees_csv,
        POOLS_FILE: _pools_csv,
    }
    return {name: make(checked, names) for name, make in sorted(files.items())}


# --- files ---------------------------------------------------------------------------------


def _formats(formats: object) -> tuple[str, ...]:
    items: tuple[object, ...]
    if isinstance(formats, str):
        items = (formats,)
    elif isinstance(formats, bytes | dict) or not isinstance(formats, Iterable):
        raise ValidationError("formats", formats, f"is not a collection of {_format_list()}")
    else:
        items = tuple(formats)
    if not items:
        raise ValidationError("formats", items, f"is empty; name some of {_format_list()}")
    for i, f in enumerate(items):
        if f not in FORMATS:
            raise ValidationError(f"formats[{i}]", f, f"is not a format ({_format_list()})")
    return tuple(f for f in FORMATS if f in items)


def _format_list() -> str:
    return ", ".join(repr(f) for f in FORMATS)


def _directory(out_dir: object) -> Path:
    if not isinstance(out_dir, str | os.PathLike) or isinstance(out_dir, bytes):
        raise ValidationError("out_dir", out_dir, "is not a directory path")
    path = Path(out_dir)
    if not str(out_dir):
        raise ValidationError("out_dir", out_dir, "is empty; name a directory")
    if path.exists() and not path.is_dir():
        raise ValidationError("out_dir", str(out_dir), "is a file, not a directory")
    return path


def _encoded(name: str, text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValidationError(
            name,
            text[max(0, err.start - 20) : err.end + 20],
            "holds text that is not valid Unicode (a lone surrogate); fix it in the data",
        ) from None


def write_results(
    result: CycleResult,
    out_dir: str | os.PathLike[str],
    *,
    formats: Iterable[str] = FORMATS,
    data: CycleData | None = None,
) -> tuple[Path, ...]:
    """Write the result into ``out_dir`` (created if missing; files there are replaced) and
    return the paths written, sorted.

    ``formats`` picks any of ``"json"`` (``results.json``, exactly :func:`result_json`),
    ``"csv"`` (the four files of :func:`result_csv_files`) and ``"html"`` (``report.html``).
    ``data``, the cycle's inputs, adds names and rating labels to the CSV files and the report.
    Everything is checked and rendered before the first file is written.
    """
    checked = check_result(result)
    wanted = _formats(formats)
    directory = _directory(out_dir)
    Names(checked, data)  # refuse wrong data before writing anything
    texts: dict[str, str] = {}
    if "json" in wanted:
        texts[JSON_FILE] = result_json(checked)
    if "csv" in wanted:
        texts.update(result_csv_files(checked, data=data))
    if "html" in wanted:
        from ._html import result_html  # the report builds on this module's helpers

        texts[HTML_FILE] = result_html(checked, data=data)
    encoded = {name: _encoded(name, text) for name, text in sorted(texts.items())}
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in encoded.items():
        path = directory / name
        path.write_bytes(content)
        written.append(path)
    return tuple(written)

"""pandas DataFrames of a cycle's inputs and results, for people analysts in notebooks.

The optional extra ``perfkit[frames]`` (pandas). Every function takes plain perfkit objects —
a :class:`~perfkit.dataset.CycleData`, a :class:`~perfkit.run.CycleResult` — and returns a new
DataFrame; nothing is stored or printed and the same objects always give an equal frame (rows
sorted by id, or by time then id for events; columns in a fixed, documented order; names in
snake_case).

Money stays exact: every amount is an exact :class:`~decimal.Decimal` column (object dtype) with a
``<name>_float`` twin (float64, for plots and quick means) and its currency in a ``currency`` (or
``<name>_currency``) column. Sum the Decimal column when the total must be right to the cent.

Policy comparisons (:mod:`perfkit.whatif`) have :func:`comparison_frame` (each person's figures
under every policy, side by side), :func:`costs_frame` and :func:`impact_frame` (the
four-fifths rule per policy and group). :func:`to_frame` turns any other sequence of perfkit
(attrs) records into a frame, flattening nested records into prefixed columns.

These frames are analyst views of all the data: they apply no access rules. Only the author of
anonymous feedback is withheld by default (see :func:`feedback_frame`).
"""

from __future__ import annotations

import enum
import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from ._errors import ValidationError
from ._frozen import FrozenMap
from .analytics import AdverseImpactReport
from .calibration import Distribution, DistributionGuideline
from .dataset import CycleData
from .goals import OwnerKind
from .money import Money
from .ninebox import NineBoxGrid
from .normalisation import SeverityModel
from .rewards import MeritAllocation
from .run import CycleResult
from .whatif import PolicyComparison

try:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]
except ImportError as _missing:  # pragma: no cover - tested with the import blocked
    raise ImportError(
        "perfkit.frames needs pandas, which is not installed: pip install 'perfkit[frames]'"
    ) from _missing

__all__ = [
    "Z_95",
    "checkins_frame",
    "comparison_frame",
    "costs_frame",
    "distribution_frame",
    "employees_frame",
    "feedback_frame",
    "goals_frame",
    "impact_frame",
    "nine_box_frame",
    "pools_frame",
    "rater_effects_frame",
    "results_frame",
    "reviews_frame",
    "to_frame",
]

Z_95 = 1.959963984540054
"""The two-sided 95 % normal quantile: rater-effect intervals are severity ± Z_95 × SE."""


# --- argument checks ------------------------------------------------------------------------


def _result(value: object, name: str = "result") -> CycleResult:
    if not isinstance(value, CycleResult):
        raise ValidationError(name, value, "is not a CycleResult (from perfkit.run.run_cycle)")
    return value


def _data(value: object, name: str = "data") -> CycleData:
    if not isinstance(value, CycleData):
        raise ValidationError(name, value, "is not a CycleData")
    return value


def _day(value: object, name: str = "on") -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(name, value, "is not a date")
    return value


def _float(x: Decimal | None) -> float:
    return math.nan if x is None else float(x)


# --- to_frame: any records, flattened -------------------------------------------------------

_Get = Callable[[Any], Any]
"""Reads one cell from the value at a node of the layout (``None`` in, ``None`` out)."""


@attrs.frozen
class _Column:
    name: str
    get: _Get
    expand: bool = False  # a FrozenMap: one column per key, found in the data


def _join(prefix: str, name: str) -> str:
    return f"{prefix}_{name}" if prefix else name


def _scalar(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _attrs_members(tp: Any) -> tuple[type, ...]:
    """The attrs classes a declared type stands for: ``X``, ``X | None`` or ``A | B | C``;
    empty when it is anything else (a scalar, a tuple, a mix of records and scalars)."""
    if isinstance(tp, type):
        return (tp,) if attrs.has(tp) else ()
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    origin = typing.get_origin(tp)
    if origin not in (typing.Union, types.UnionType) or not args:
        return ()
    if all(isinstance(a, type) and attrs.has(a) for a in args):
        return tuple(args)
    return ()


def _is_map(tp: Any) -> bool:
    if tp is FrozenMap:
        return True
    return FrozenMap in typing.get_args(tp)


def _hints(cls: type) -> Mapping[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - an unresolvable annotation: read the field as a value
        return {}


def _layout(tp: Any, name: str, stack: tuple[type, ...]) -> list[_Column]:
    """The columns of a value of declared type ``tp``; each getter takes that value."""
    if _is_map(tp):
        return [_Column(name, lambda x: x, expand=True)]
    members = _attrs_members(tp)
    if not members or any(m in stack for m in members):
        return [_Column(name or "value", _scalar)]
    if members == (Money,):
        return [
            _Column(name or "amount", lambda m: None if m is None else m.amount),
            _Column(_join(name, "float") if name else "amount_float", _money_float),
            _Column(_join(name, "currency"), lambda m: None if m is None else m.currency),
        ]
    columns: list[_Column] = []
    if len(members) > 1 or any(isinstance(getattr(m, "kind", None), str) for m in members):
        columns.append(_Column(_join(name, "type"), lambda x: getattr(x, "kind", None)))
    merged: dict[str, list[tuple[type, _Get]]] = {}
    expand: dict[str, bool] = {}
    for member in members:
        hints = _hints(member)
        for field in attrs.fields(member):
            for col in _layout(hints.get(field.name), _join(name, field.name), (*stack, member)):
                merged.setdefault(col.name, []).append((member, _through(field.name, col.get)))
                # A map shared by several kinds would need their keys merged: read it whole.
                expand[col.name] = col.expand and len(members) == 1
    columns.extend(
        _Column(col_name, _pick(tuple(readers)), expand=expand[col_name])
        for col_name, readers in merged.items()
    )
    return columns


def _money_float(m: Money | None) -> float | None:
    return None if m is None else float(m.amount)


def _through(field: str, get: _Get) -> _Get:
    def read(value: Any) -> Any:
        return get(None if value is None else getattr(value, field))

    return read


def _pick(readers: tuple[tuple[type, _Get], ...]) -> _Get:
    def read(value: Any) -> Any:
        for member, get in readers:
            if isinstance(value, member):
                return get(value)
        return None

    return read


def _records(records: object) -> tuple[Any, ...]:
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Iterable):
        raise ValidationError("records", records, "is not a sequence of perfkit records")
    items = tuple(records)
    for i, item in enumerate(items):
        if not attrs.has(type(item)):
            raise ValidationError(f"records[{i}]", item, "is not a perfkit record (attrs object)")
    return items


def to_frame(records: Iterable[Any], *, index: str | None = None) -> pd.DataFrame:
    """A DataFrame of any perfkit records (attrs objects): one row per record, in the order
    given, one column per field.

    Nested records are flattened into prefixed columns (``owner_kind``, ``owner_id``); a field
    that holds one of several record kinds (a metric, a feedback event) gets a ``<field>_type``
    column with the kind and the columns of every kind; money becomes ``<field>`` (exact
    Decimal), ``<field>_float`` and ``<field>_currency``; a map of attributes one column per key
    (``attributes_gender``); enums their value. Tuples stay tuples in one column. The columns
    come from the declared field types, so they do not depend on the data (except map keys);
    records of several kinds give a ``type`` column and the columns of each kind, the kinds
    taken in the order of their class names.
    ``index`` names the column to use as the index.
    """
    items = _records(records)
    if index is not None and not isinstance(index, str):
        raise ValidationError("index", index, "is not a column name")
    if not items:
        return pd.DataFrame(index=pd.Index([], name=index)) if index else pd.DataFrame()
    # Several kinds of record: their columns in the order of the kinds' names, whatever the
    # order of the rows.
    classes = tuple(sorted({type(x) for x in items}, key=lambda c: (c.__module__, c.__qualname__)))
    if len(classes) == 1:
        tp: Any = classes[0]
    else:
        tp = typing.Union[classes]  # noqa: UP007 - built from a runtime tuple of classes
    columns: dict[str, list[Any]] = {}
    for col in _layout(tp, "", ()):
        cells = [col.get(x) for x in items]
        if not col.expand:
            _add_column(columns, col.name, cells)
            continue
        keys = sorted({k for cell in cells if cell is not None for k in cell})
        for key in keys:
            _add_column(
                columns,
                _join(col.name, key),
                [None if cell is None else cell.get(key) for cell in cells],
            )
    frame = pd.DataFrame(columns)
    if index is None:
        return frame
    if index not in frame.columns:
        shown = ", ".join(str(c) for c in frame.columns)
        raise ValidationError("index", index, f"is not a column (columns: {shown})")
    return frame.set_index(index)


def _add_column(columns: dict[str, list[Any]], name: str, cells: list[Any]) -> None:
    if name in columns:
        raise ValidationError(
            "records", name, "is a column name two fields flatten to; use the records directly"
        )
    columns[name] = cells


# --- people and results ---------------------------------------------------------------------


def employees_frame(data: CycleData) -> pd.DataFrame:
    """The people of the cycle, one row per employee (index ``employee_id``): name, manager,
    unit and its name, job level, hire and end dates, base pay (``base_pay`` exact,
    ``base_pay_float``, ``currency``), compa-ratio, then one column per employee attribute
    (``gender``, ``location``…, sorted; an attribute named like a fixed column is prefixed
    ``attribute_``). Join it to a result frame to group ratings by any attribute."""
    org = _data(data).organisation
    people = sorted(org.employees, key=lambda e: e.id)
    fixed = [
        "name",
        "manager_id",
        "unit_id",
        "unit_name",
        "job_level",
        "hire_date",
        "end_date",
        "base_pay",
        "base_pay_float",
        "currency",
        "compa_ratio",
    ]
    rows: dict[str, list[Any]] = {k: [] for k in fixed}
    for e in people:
        ratio = e.compa_ratio
        for key, value in (
            ("name", e.name),
            ("manager_id", e.manager_id),
            ("unit_id", e.unit_id),
            ("unit_name", org.unit(e.unit_id).name),
            ("job_level", e.job_level),
            ("hire_date", e.hire_date),
            ("end_date", e.end_date),
            ("base_pay", e.base_pay.amount),
            ("base_pay_float", float(e.base_pay.amount)),
            ("currency", e.base_pay.currency),
            ("compa_ratio", _float(ratio)),
        ):
            rows[key].append(value)
    keys = sorted({k for e in people for k in e.attributes})
    for key in keys:
        column = f"attribute_{key}" if key in rows else key
        rows[column] = [e.attributes.get(key) for e in people]
    return pd.DataFrame(rows, index=pd.Index([e.id for e in people], name="employee_id"))


_RESULT_COLUMNS = (
    "unit_id",
    "policy",
    "score",
    "rating_before",
    "rating_after",
    "rating_change",
    "adjustments",
    "nine_box",
    "nine_box_name",
    "eligible",
    "merit_pct",
    "merit",
    "merit_float",
    "bonus",
    "bonus_float",
    "currency",
    "pool_id",
    "awards",
    "plans",
    "explanation",
)


def results_frame(result: CycleResult) -> pd.DataFrame:
    """Each person's outcome of a cycle run, one row per employee (index ``employee_id``).

    Columns: ``unit_id``, ``policy`` (the scoring policy's name), ``score``, ``rating_before``
    and ``rating_after`` calibration and ``rating_change``, ``adjustments`` (how many calibration
    changes), ``nine_box`` (box number 1–9, nullable) and ``nine_box_name``, ``eligible``
    (nullable: no rules, no verdict), ``merit_pct`` (the matrix %), ``merit`` (the final
    increase, exact Decimal) and ``merit_float``, ``bonus`` and ``bonus_float``, ``currency``
    (the person's pay currency, which merit and bonus are paid in), ``pool_id``, ``awards``
    and ``plans`` (counts), and ``explanation`` (every number as a sentence).
    """
    people = sorted(_result(result).employees, key=lambda e: e.employee_id)
    rows: dict[str, list[Any]] = {k: [] for k in _RESULT_COLUMNS}
    for e in people:
        merit, bonus = e.merit, e.bonus
        pay = merit.base_pay if merit is not None else bonus.base_pay if bonus is not None else None
        for key, value in (
            ("unit_id", e.unit_id),
            ("policy", e.score.policy),
            ("score", e.score.value),
            ("rating_before", e.rating_before.value),
            ("rating_after", e.rating_after.value),
            ("rating_change", e.rating_after.value - e.rating_before.value),
            ("adjustments", len(e.adjustments)),
            ("nine_box", None if e.nine_box is None else e.nine_box.number),
            ("nine_box_name", None if e.nine_box is None else e.nine_box.name),
            ("eligible", None if e.eligibility is None else e.eligibility.eligible),
            ("merit_pct", math.nan if merit is None else float(merit.pct)),
            ("merit", None if merit is None else merit.final_increase.amount),
            ("merit_float", math.nan if merit is None else float(merit.final_increase.amount)),
            ("bonus", None if bonus is None else bonus.amount.amount),
            ("bonus_float", math.nan if bonus is None else float(bonus.amount.amount)),
            ("currency", None if pay is None else pay.currency),
            ("pool_id", None if merit is None else merit.pool_id),
            ("awards", len(e.awards)),
            ("plans", len(e.plan_ids)),
            ("explanation", e.explain()),
        ):
            rows[key].append(value)
    frame = pd.DataFrame(rows, index=pd.Index([e.employee_id for e in people], name="employee_id"))
    return frame.astype(
        {
            "score": "float64",
            "rating_before": "float64",
            "rating_after": "float64",
            "rating_change": "float64",
            "adjustments": "int64",
            "nine_box": "Int64",
            "eligible": "boolean",
            "merit_pct": "float64",
            "merit": "object",
            "merit_float": "float64",
            "bonus": "object",
            "bonus_float": "float64",
            "awards": "int64",
            "plans": "int64",
        }
    )


# --- distributions and the 9-box ------------------------------------------------------------

_DISTRIBUTION_COLUMNS = (
    "before_count",
    "before_share",
    "after_count",
    "after_share",
    "minimum",
    "maximum",
    "midpoint",
    "minimum_count",
    "maximum_count",
    "over",
    "under",
)


def _values(
    before: Distribution, after: Distribution, guideline: DistributionGuideline | None
) -> list[float]:
    """The rating values to list: every value held before or after, and every guideline
    value."""
    values = {c.value for c in before.values} | {c.value for c in after.values}
    if guideline is not None:
        values |= {t.value for t in guideline.targets}
    return sorted(values)


def _distribution_rows(
    before: Distribution,
    after: Distribution,
    guideline: DistributionGuideline | None,
    values: list[float],
) -> list[tuple[float, dict[str, Any]]]:
    size = after.size
    rows = []
    for value in values:
        b, a = before.count(value), after.count(value)
        row: dict[str, Any] = {
            "before_count": b,
            "before_share": b / before.size if before.size else 0.0,
            "after_count": a,
            "after_share": a / size if size else 0.0,
        }
        if guideline is None:
            row.update(
                minimum=math.nan,
                maximum=math.nan,
                midpoint=math.nan,
                minimum_count=None,
                maximum_count=None,
                over=None,
                under=None,
            )
        else:
            target = guideline.target(value)
            low, high = (0.0, 0.0) if target is None else (target.minimum, target.maximum)
            lo, hi = (0, 0) if target is None else target.counts(size)
            row.update(
                minimum=low,
                maximum=high,
                midpoint=(low + high) / 2,
                minimum_count=lo,
                maximum_count=hi,
                over=max(0, a - hi),
                under=max(0, lo - a),
            )
        rows.append((value, row))
    return rows


def distribution_frame(result: CycleResult, *, by: str | None = None) -> pd.DataFrame:
    """The rating distribution before and after calibration against the guideline.

    One row per rating value (index ``value``; with ``by="unit"`` one per unit and value, index
    ``(unit_id, value)``): ``before_count``/``before_share``, ``after_count``/``after_share``,
    the guideline's range ``minimum``–``maximum`` (shares) and ``midpoint``, the whole numbers
    of people the range allows for the population (``minimum_count``, ``maximum_count``) and how
    many people are ``over`` or ``under`` it after calibration. Every unit lists the same
    values: every value anyone holds and every value of the guideline (so the frame pivots
    cleanly); a value the guideline does not list has the range 0–0;
    without a guideline the guideline columns are empty (NaN / <NA>).
    """
    res = _result(result)
    if by not in (None, "unit"):
        raise ValidationError("by", by, "is not None or 'unit'")
    report, guideline = res.distribution, res.guideline
    values = _values(report.before, report.after, guideline)
    if by is None:
        rows = _distribution_rows(report.before, report.after, guideline, values)
        index = pd.Index([value for value, _ in rows], name="value", dtype="float64")
    else:
        rows = []
        keys = []
        for unit in sorted(report.units, key=lambda u: u.unit_id):
            for value, row in _distribution_rows(unit.before, unit.after, guideline, values):
                rows.append((value, row))
                keys.append((unit.unit_id, value))
        index = pd.MultiIndex.from_tuples(keys, names=["unit_id", "value"])
    frame = pd.DataFrame([row for _, row in rows], index=index, columns=list(_DISTRIBUTION_COLUMNS))
    return frame.astype(
        {
            "before_count": "int64",
            "before_share": "float64",
            "after_count": "int64",
            "after_share": "float64",
            "minimum": "float64",
            "maximum": "float64",
            "midpoint": "float64",
            "minimum_count": "Int64",
            "maximum_count": "Int64",
            "over": "Int64",
            "under": "Int64",
        }
    )


def _grid(value: object) -> NineBoxGrid:
    if isinstance(value, NineBoxGrid):
        return value
    res = _result(value)
    if res.nine_box is None:
        raise ValidationError("result.nine_box", None, "is missing: the policy has no 9-box")
    return res.nine_box


def nine_box_frame(result: CycleResult | NineBoxGrid) -> pd.DataFrame:
    """The 9-box grid, one row per box 1–9 (index ``box``): ``performance`` and ``potential``
    band, the box ``name``, ``count`` of people and their ``share``."""
    grid = _grid(result)
    total = sum(b.count for b in grid.boxes)
    rows = [
        {
            "performance": b.cell.performance.value,
            "potential": b.cell.potential.value,
            "name": b.cell.name,
            "count": b.count,
            "share": b.count / total if total else 0.0,
        }
        for b in sorted(grid.boxes, key=lambda b: b.cell.number)
    ]
    index = pd.Index([b.cell.number for b in sorted(grid.boxes, key=lambda b: b.cell.number)])
    return pd.DataFrame(rows, index=index.rename("box"))


# --- rewards and rater effects --------------------------------------------------------------

_POOL_COLUMNS = (
    "amount",
    "amount_float",
    "demand",
    "demand_float",
    "spend",
    "spend_float",
    "remaining",
    "remaining_float",
    "currency",
    "factor",
    "headcount",
    "utilisation",
)


def _allocation(value: object) -> MeritAllocation | None:
    if isinstance(value, MeritAllocation):
        return value
    return _result(value).merit


def pools_frame(result: CycleResult | MeritAllocation) -> pd.DataFrame:
    """Merit spend per budget pool, one row per pool (index ``unit_id``, the pool's unit), in
    the pools' base currency: ``amount`` (the budget), ``demand`` (what the matrix asked for),
    ``spend`` and ``remaining`` — each exact (Decimal) with a ``_float`` twin — ``currency``,
    the scaling ``factor`` applied when demand exceeded the budget, ``headcount`` and
    ``utilisation`` (spend / amount). Empty when the run had no budget pools."""
    allocation = _allocation(result)
    pools = () if allocation is None else sorted(allocation.pools, key=lambda p: p.unit_id)
    rows = [
        {
            "amount": p.amount.amount,
            "amount_float": float(p.amount.amount),
            "demand": p.demand.amount,
            "demand_float": float(p.demand.amount),
            "spend": p.spend.amount,
            "spend_float": float(p.spend.amount),
            "remaining": p.remaining.amount,
            "remaining_float": float(p.remaining.amount),
            "currency": p.amount.currency,
            "factor": float(p.factor),
            "headcount": p.headcount,
            "utilisation": float(p.spend.amount / p.amount.amount) if p.amount.amount else math.nan,
        }
        for p in pools
    ]
    index = pd.Index([p.unit_id for p in pools], name="unit_id", dtype="object")
    frame = pd.DataFrame(rows, index=index, columns=list(_POOL_COLUMNS))
    return frame.astype(
        {
            "amount": "object",
            "demand": "object",
            "spend": "object",
            "remaining": "object",
            "amount_float": "float64",
            "demand_float": "float64",
            "spend_float": "float64",
            "remaining_float": "float64",
            "factor": "float64",
            "headcount": "int64",
            "utilisation": "float64",
        }
    )


def _severity(value: object) -> SeverityModel | None:
    if isinstance(value, SeverityModel):
        return value
    return _result(value).rater_effects


_RATER_COLUMNS = ("n", "mean", "mean_deviation", "severity", "se", "low", "high", "direction")


def rater_effects_frame(result: CycleResult | SeverityModel) -> pd.DataFrame:
    """Rater effects (leniency and severity), one row per rater (index ``rater_id``): ratings
    given ``n``, their ``mean`` and ``mean_deviation`` from the ratees' means (0–1 basis), the
    model's ``severity`` (> 0 lenient, < 0 harsh) with its standard error ``se`` and 95 %
    interval ``low``–``high``, and ``direction``: ``lenient`` or ``harsh`` when the interval
    excludes 0, else ``unclear``. Empty when the run had no reviews to fit."""
    model = _severity(result)
    raters = () if model is None else sorted(model.raters, key=lambda r: r.rater_id)
    rows = []
    for r in raters:
        low, high = r.severity - Z_95 * r.se, r.severity + Z_95 * r.se
        direction = "lenient" if low > 0 else "harsh" if high < 0 else "unclear"
        rows.append(
            {
                "n": r.n,
                "mean": r.mean,
                "mean_deviation": r.mean_deviation,
                "severity": r.severity,
                "se": r.se,
                "low": low,
                "high": high,
                "direction": direction,
            }
        )
    index = pd.Index([r.rater_id for r in raters], name="rater_id", dtype="object")
    frame = pd.DataFrame(rows, index=index, columns=list(_RATER_COLUMNS))
    return frame.astype({"n": "int64", **dict.fromkeys(_RATER_COLUMNS[1:-1], "float64")})


# --- policy comparisons (perfkit.whatif) and adverse impact (perfkit.analytics) -----------


def _comparison(value: object) -> PolicyComparison:
    if not isinstance(value, PolicyComparison):
        raise ValidationError(
            "comparison", value, "is not a PolicyComparison (from perfkit.whatif.compare_policies)"
        )
    return value


def comparison_frame(comparison: PolicyComparison) -> pd.DataFrame:
    """Each person under every policy compared, one row per employee (index ``employee_id``):
    ``unit_id``, ``group`` (the fairness attribute's value), ``changed`` (whether any policy
    rates them differently from the baseline), then, for each policy ``p`` in the order
    compared (the baseline first): ``rating_<p>`` (final, calibrated), ``change_<p>`` (from the
    baseline's), ``rating_before_<p>`` (by the cut-offs), ``score_<p>``, ``merit_<p>`` (exact
    Decimal) and ``merit_<p>_float``, ``bonus_<p>`` and ``bonus_<p>_float``; last the
    ``currency`` merit and bonus are paid in. Columns are grouped by figure, so the ratings
    under each policy stand side by side."""
    comp = _comparison(comparison)
    names = comp.names
    people = sorted(comp.people, key=lambda p: p.employee_id)
    figures: list[tuple[str, Callable[[Any], Any]]] = [
        ("rating", lambda o: o.rating),
        ("change", lambda o: o.change),
        ("rating_before", lambda o: o.rating_before),
        ("score", lambda o: o.score),
        ("merit", lambda o: None if o.merit is None else o.merit.amount),
        ("merit_float", lambda o: _money_float(o.merit)),
        ("bonus", lambda o: None if o.bonus is None else o.bonus.amount),
        ("bonus_float", lambda o: _money_float(o.bonus)),
    ]
    rows: dict[str, list[Any]] = {"unit_id": [], "group": [], "changed": []}
    columns: list[tuple[str, str, Callable[[Any], Any]]] = []
    for figure, read in figures:
        for name in names:
            column = f"{figure}_{name}"
            if figure.endswith("_float"):
                column = f"{figure.removesuffix('_float')}_{name}_float"
            columns.append((column, name, read))
            rows[column] = []
    rows["currency"] = []
    for person in people:
        rows["unit_id"].append(person.unit_id)
        rows["group"].append(person.group)
        rows["changed"].append(person.changed)
        for column, name, read in columns:
            rows[column].append(read(person.outcome(name)))
        paid = [m for o in person.outcomes for m in (o.merit, o.bonus) if m is not None]
        rows["currency"].append(paid[0].currency if paid else None)
    index = pd.Index([p.employee_id for p in people], name="employee_id", dtype="object")
    frame = pd.DataFrame(rows, index=index)
    floats = [c for c, _, _ in columns if not c.startswith(("merit_", "bonus_"))]
    floats += [c for c, _, _ in columns if c.endswith("_float")]
    money = [c for c, _, _ in columns if c.startswith(("merit_", "bonus_"))]
    money = [c for c in money if not c.endswith("_float")]
    return frame.astype(
        {"changed": "bool", **dict.fromkeys(floats, "float64"), **dict.fromkeys(money, "object")}
    )


_COST_COLUMNS = (
    "headcount",
    "merit",
    "merit_float",
    "bonus",
    "bonus_float",
    "awards",
    "awards_float",
    "total",
    "total_float",
    "total_change",
    "total_change_float",
)


def costs_frame(comparison: PolicyComparison) -> pd.DataFrame:
    """The reward cost of each policy per org unit, one row per policy, unit and currency
    (index ``(policy, unit_id, currency)``; the unit is the one people sit in, not the units
    above it): ``headcount``, ``merit``, ``bonus``, recognition ``awards`` and their ``total``,
    and the ``total_change`` from the baseline — each exact (Decimal) with a ``_float`` twin.
    Costs are in the policy's base currency when it has a rate table, else per currency. Sum
    over ``unit_id`` for a policy's total (``frame.groupby(level="policy").total.sum()``)."""
    comp = _comparison(comparison)
    keys: list[tuple[str, str, str]] = []
    rows: list[dict[str, Any]] = []
    for outcome in comp.policies:
        for unit in sorted(outcome.units, key=lambda u: u.unit_id):
            changes = {c.currency: c.total for c in unit.changes}
            for cost in sorted(unit.costs, key=lambda c: c.currency):
                change = changes.get(cost.currency)
                keys.append((outcome.name, unit.unit_id, cost.currency))
                rows.append(
                    {
                        "headcount": unit.headcount,
                        "merit": cost.merit.amount,
                        "merit_float": float(cost.merit.amount),
                        "bonus": cost.bonus.amount,
                        "bonus_float": float(cost.bonus.amount),
                        "awards": cost.awards.amount,
                        "awards_float": float(cost.awards.amount),
                        "total": cost.total.amount,
                        "total_float": float(cost.total.amount),
                        "total_change": None if change is None else change.amount,
                        "total_change_float": _money_float(change),
                    }
                )
    index = pd.MultiIndex.from_tuples(keys, names=["policy", "unit_id", "currency"])
    frame = pd.DataFrame(rows, index=index, columns=list(_COST_COLUMNS))
    return frame.astype(
        {
            "headcount": "int64",
            **{c: "float64" for c in _COST_COLUMNS if c.endswith("_float")},
            **{c: "object" for c in _COST_COLUMNS[1:] if not c.endswith("_float")},
        }
    )


_IMPACT_COLUMNS = (
    "n",
    "suppressed",
    "selected",
    "rate",
    "impact_ratio",
    "four_fifths",
    "mean",
    "gap",
    "gap_low",
    "gap_high",
    "gap_p",
    "reference",
    "flagged",
)


def _impact_rows(report: AdverseImpactReport) -> list[tuple[str, dict[str, Any]]]:
    flagged = set(report.flagged)
    return [
        (
            g.group,
            {
                "n": g.n,
                "suppressed": g.suppressed,
                "selected": g.selected,
                "rate": g.rate,
                "impact_ratio": g.impact_ratio,
                "four_fifths": g.four_fifths,
                "mean": g.mean,
                "gap": g.gap,
                "gap_low": g.gap_low,
                "gap_high": g.gap_high,
                "gap_p": g.gap_p,
                "reference": g.group == report.reference,
                "flagged": g.group in flagged,
            },
        )
        for g in sorted(report.groups, key=lambda g: g.group)
    ]


def impact_frame(source: AdverseImpactReport | PolicyComparison) -> pd.DataFrame:
    """Adverse impact (the four-fifths rule) per group: from an
    :class:`~perfkit.analytics.AdverseImpactReport` one row per group (index ``group``); from a
    :class:`~perfkit.whatif.PolicyComparison` run with ``group_by`` one row per policy and group
    (index ``(policy, group)``), so a gap that one policy widens shows side by side.

    Columns: ``n``, ``suppressed`` (too small a group to report: its figures are empty),
    ``selected`` and the selection ``rate``, the ``impact_ratio`` to the reference group and
    ``four_fifths`` (passes the rule), the ``mean`` rating and its ``gap`` to the reference
    group with its confidence interval ``gap_low``–``gap_high`` and ``gap_p``, ``reference``
    (the most favoured group) and ``flagged`` (fails the four-fifths rule)."""
    if isinstance(source, AdverseImpactReport):
        pairs = _impact_rows(source)
        index: Any = pd.Index([g for g, _ in pairs], name="group", dtype="object")
    elif isinstance(source, PolicyComparison):
        pairs = []
        keys = []
        for outcome in source.policies:
            if outcome.fairness is None:
                continue
            for group, row in _impact_rows(outcome.fairness):
                pairs.append((group, row))
                keys.append((outcome.name, group))
        index = pd.MultiIndex.from_tuples(keys, names=["policy", "group"])
    else:
        raise ValidationError(
            "source", source, "is not an AdverseImpactReport or a PolicyComparison"
        )
    frame = pd.DataFrame([row for _, row in pairs], index=index, columns=list(_IMPACT_COLUMNS))
    return frame.astype(
        {
            "n": "int64",
            "suppressed": "bool",
            "selected": "Int64",
            "four_fifths": "boolean",
            "reference": "bool",
            "flagged": "bool",
            **dict.fromkeys(
                ("rate", "impact_ratio", "mean", "gap", "gap_low", "gap_high", "gap_p"), "float64"
            ),
        }
    )


# --- inputs: goals, check-ins, reviews, feedback --------------------------------------------


def _depths(data: CycleData) -> dict[str, int]:
    """Each goal's depth in the cascade: 0 for a goal that aligns to nothing, else one more
    than its shallowest parent."""
    goals = data.goals
    depth = {g.id: 0 for g in goals.roots()}
    level = sorted(depth)
    while level:
        following: list[str] = []
        for gid in level:
            for child in goals.contributors(gid):
                if child.id not in depth:
                    depth[child.id] = depth[gid] + 1
                    following.append(child.id)
        level = sorted(following)
    return depth


_GOAL_COLUMNS = (
    "title",
    "owner_kind",
    "owner_id",
    "unit_id",
    "cycle_id",
    "status",
    "metric",
    "weight",
    "parent_ids",
    "depth",
    "start_date",
    "end_date",
    "progress",
    "progress_source",
    "check_ins",
    "last_check_in",
)


def goals_frame(data: CycleData, *, on: date) -> pd.DataFrame:
    """The goals with their progress at the end of day ``on`` (in the cycle's time zone), one
    row per goal (index ``goal_id``): ``title``, ``owner_kind`` and ``owner_id``, ``unit_id``
    (the owning unit, or the owner's unit), ``cycle_id``, ``status``, ``metric`` (its kind),
    ``weight``, ``parent_ids`` (the goals it aligns to), ``depth`` in the cascade (0 at the
    top), dates, ``progress`` (attainment, 1.0 = on target; rolled up from contributors where
    there are any), ``progress_source``, ``check_ins`` (how many up to ``on``) and
    ``last_check_in`` (when)."""
    cycle_data = _data(data)
    day = _day(on)
    as_of = cycle_data.end_of_day(day)
    org, goals = cycle_data.organisation, cycle_data.goals
    depth = _depths(cycle_data)
    ordered = sorted(goals.goals, key=lambda g: g.id)
    rows = []
    for g in ordered:
        progress = goals.progress(g.id, as_of=as_of)
        seen = goals.check_ins_for(g.id, as_of)
        unit = (
            org.employee(g.owner.id).unit_id if g.owner.kind is OwnerKind.EMPLOYEE else g.owner.id
        )
        rows.append(
            {
                "title": g.title,
                "owner_kind": g.owner.kind.value,
                "owner_id": g.owner.id,
                "unit_id": unit,
                "cycle_id": g.cycle_id,
                "status": g.status.value,
                "metric": g.metric.kind,
                "weight": g.weight,
                "parent_ids": tuple(sorted(a.parent_id for a in g.aligns_to)),
                "depth": depth.get(g.id, 0),
                "start_date": g.start_date,
                "end_date": g.end_date,
                "progress": progress.value,
                "progress_source": progress.source.value,
                "check_ins": len(seen),
                "last_check_in": seen[-1].at if seen else None,
            }
        )
    index = pd.Index([g.id for g in ordered], name="goal_id", dtype="object")
    frame = pd.DataFrame(rows, index=index, columns=list(_GOAL_COLUMNS))
    return frame.astype(
        {"weight": "float64", "depth": "int64", "progress": "float64", "check_ins": "int64"}
    )


_CHECKIN_COLUMNS = (
    "goal_id",
    "owner_kind",
    "owner_id",
    "author",
    "at",
    "value",
    "done",
    "milestones_done",
    "confidence",
    "attainment",
    "note",
)


def checkins_frame(data: CycleData) -> pd.DataFrame:
    """The check-ins, one row per check-in (index ``check_in_id``) in time order (then by id):
    the goal and its owner, ``author``, ``at``, the reading (``value``, ``done`` or
    ``milestones_done``), ``confidence``, the goal's own ``attainment`` at that reading and the
    ``note``."""
    goals = _data(data).goals
    ordered = sorted(goals.check_ins, key=lambda c: (c.at, c.id))
    rows = []
    for c in ordered:
        goal = goals.goal(c.goal_id)
        rows.append(
            {
                "goal_id": c.goal_id,
                "owner_kind": goal.owner.kind.value,
                "owner_id": goal.owner.id,
                "author": c.author,
                "at": c.at,
                "value": math.nan if c.value is None else c.value,
                "done": c.done,
                "milestones_done": c.milestones_done,
                "confidence": math.nan if c.confidence is None else c.confidence,
                "attainment": goal.metric.attainment(c),
                "note": c.note,
            }
        )
    index = pd.Index([c.id for c in ordered], name="check_in_id", dtype="object")
    frame = pd.DataFrame(rows, index=index, columns=list(_CHECKIN_COLUMNS))
    return frame.astype(
        {"value": "float64", "done": "boolean", "confidence": "float64", "attainment": "float64"}
    )


_REVIEW_COLUMNS = (
    "review_id",
    "cycle_id",
    "form_id",
    "subject",
    "reviewer",
    "role",
    "status",
    "criterion_id",
    "criterion_kind",
    "criterion_weight",
    "scale_id",
    "scale_version",
    "rating",
    "normalised",
    "comment",
)


def reviews_frame(data: CycleData) -> pd.DataFrame:
    """The review ratings in long form, one row per rated criterion of each review (sorted by
    review id, then criterion id): the review (``review_id``, ``cycle_id``, ``form_id``,
    ``subject``, ``reviewer``, ``role``, ``status``), the criterion (``criterion_id``,
    ``criterion_kind``, ``criterion_weight``), the scale, the ``rating`` and its place on 0–1
    (``normalised``), and the ``comment``. Reviews without ratings (drafts) have no rows.
    Pivot it for inter-rater analyses (``pivot_table(index="subject", columns="reviewer")``)."""
    cycle_data = _data(data)
    forms = {f.id: f for f in cycle_data.forms}
    rows = []
    for review in sorted(cycle_data.reviews, key=lambda r: r.id):
        criteria = {c.id: c for c in forms[review.form_id].criteria}
        for r in sorted(review.ratings, key=lambda r: r.criterion_id):
            criterion = criteria[r.criterion_id]
            scale = cycle_data.scales.get(r.rating.scale)
            rows.append(
                {
                    "review_id": review.id,
                    "cycle_id": review.cycle_id,
                    "form_id": review.form_id,
                    "subject": review.subject,
                    "reviewer": review.reviewer,
                    "role": review.role.value,
                    "status": review.status.value,
                    "criterion_id": r.criterion_id,
                    "criterion_kind": criterion.kind.value,
                    "criterion_weight": criterion.weight,
                    "scale_id": r.rating.scale.id,
                    "scale_version": r.rating.scale.version,
                    "rating": r.rating.value,
                    "normalised": scale.normalise(r.rating.value),
                    "comment": r.comment,
                }
            )
    frame = pd.DataFrame(rows, columns=list(_REVIEW_COLUMNS))
    return frame.astype(
        {
            "criterion_weight": "float64",
            "scale_version": "int64",
            "rating": "float64",
            "normalised": "float64",
        }
    )


_FEEDBACK_COLUMNS = (
    "type",
    "at",
    "author",
    "subject",
    "visibility",
    "text",
    "goal_id",
    "competency",
    "context",
    "question",
    "requested_from",
    "request_id",
)


def feedback_frame(data: CycleData, *, reveal_anonymous: bool = False) -> pd.DataFrame:
    """The feedback events, one row per event (index ``event_id``) in time order (then by id):
    ``type`` (``praise``, ``constructive``, ``note``, ``feedback_request``,
    ``feedback_response``), ``at``, ``author``, ``subject``, ``visibility``, ``text``, the
    ``goal_id`` or ``competency`` it is about, and what only some kinds have (a note's
    ``context``, a request's ``question`` and ``requested_from``, a response's ``request_id``).

    The author of anonymous feedback is withheld (``None``) unless ``reveal_anonymous`` is
    true: an analysis rarely needs it, and a shared notebook should not leak it.
    """
    log = _data(data).feedback
    if not isinstance(reveal_anonymous, bool):
        raise ValidationError("reveal_anonymous", reveal_anonymous, "is not true or false")
    ordered = sorted(log.events, key=lambda e: (e.at, e.id))
    rows = []
    for e in ordered:
        hidden = e.visibility.value == "anonymous" and not reveal_anonymous
        context = getattr(e, "context", None)
        rows.append(
            {
                "type": e.kind,
                "at": e.at,
                "author": None if hidden else e.author,
                "subject": e.subject,
                "visibility": e.visibility.value,
                "text": e.text,
                "goal_id": e.goal_id,
                "competency": e.competency,
                "context": None if context is None else context.value,
                "question": getattr(e, "question", None),
                "requested_from": getattr(e, "requested_from", None),
                "request_id": getattr(e, "request_id", None),
            }
        )
    index = pd.Index([e.id for e in ordered], name="event_id", dtype="object")
    return pd.DataFrame(rows, index=index, columns=list(_FEEDBACK_COLUMNS))

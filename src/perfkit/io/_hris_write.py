"""Writing a data set as an HRIS export directory: the CSV files and cycle.toml that
:func:`~perfkit.io.load_dataset` reads back into an equal :class:`~perfkit.dataset.CycleData`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from .._errors import ValidationError
from ..dataset import CycleData
from ..feedback import FeedbackRequest, FeedbackResponse, Note
from ..metrics import MilestoneMetric, NumericMetric
from ._hris_config import config_toml
from ._hris_csv import (
    CHECKINS,
    EMPLOYEES,
    FEEDBACK,
    GOALS,
    MILESTONES,
    REVIEWS,
    UNITS,
    column_clash,
)


def _cell(value: Any) -> str:
    kind = type(value)  # the usual cells first: a big export writes millions of them
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return ""
    if kind is float:
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)  # "\r\n" between rows: a lone "\r" in a cell is then quoted
    writer.writerow(columns)
    writer.writerows(map(_cell, row) for row in rows)
    return out.getvalue()


def _listed(where: str, ids: Sequence[str]) -> str:
    """Ids in one cell, separated by ``;`` (an id holding ``;`` cannot be listed)."""
    for i, item in enumerate(ids):
        if ";" in item:
            raise ValidationError(
                f"{where}[{i}]", item, "holds ';', which separates the ids of one CSV cell"
            )
    return ";".join(ids)


def files(data: CycleData) -> dict[str, str]:
    """The files of the export directory, by name, as text."""
    if not isinstance(data, CycleData):
        raise ValidationError("data", data, "is not a CycleData")
    org = data.organisation
    out = {
        "cycle.toml": config_toml(data.cycle, data.scales, data.forms),
        "units.csv": _csv(
            UNITS.columns,
            ((u.id, u.name, u.parent_id, u.head_id) for u in org.units),
        ),
    }
    out["employees.csv"] = _employees(data)
    out.update(_goals(data))
    out["checkins.csv"] = _csv(
        CHECKINS.columns,
        (
            (
                c.id,
                c.goal_id,
                c.author,
                c.at,
                c.value,
                c.done,
                _listed(f"goals.check_ins[{i}].milestones_done", c.milestones_done),
                c.confidence,
                c.note,
            )
            for i, c in enumerate(data.goals.check_ins)
        ),
    )
    out["feedback.csv"] = _feedback(data)
    out["reviews.csv"] = _reviews(data)
    return out


def _employees(data: CycleData) -> str:
    people = data.organisation.employees
    keys: set[str] = set()  # the attribute names that were found fit to be columns
    for i, e in enumerate(people):
        for key, value in e.attributes.items():
            if key not in keys:
                where = f"organisation.employees[{i}].attributes[{key!r}]"
                clash = column_clash(EMPLOYEES, key)
                if key in EMPLOYEES.columns or clash is not None or key != key.strip():
                    raise ValidationError(
                        where,
                        key,
                        "cannot be an employees.csv column name "
                        f"({clash or 'it is taken or has spaces at an end'}); rename the attribute",
                    )
            if value == "":
                where = f"organisation.employees[{i}].attributes[{key!r}]"
                raise ValidationError(
                    where, value, "is empty; employees.csv reads an empty cell as no attribute"
                )
            keys.add(key)
    extra = sorted(keys)
    rows = []
    for e in people:
        band = e.band
        rows.append(
            (
                e.id,
                e.name,
                e.manager_id,
                e.unit_id,
                e.hire_date,
                e.job_level,
                e.base_pay.amount,
                e.end_date,
                e.base_pay.currency,
                None if band is None else band.minimum.amount,
                None if band is None else band.midpoint.amount,
                None if band is None else band.maximum.amount,
                *(e.attributes.get(k) for k in extra),
            )
        )
    return _csv((*EMPLOYEES.columns, *extra), rows)


def _alignments(where: str, goal: Any) -> str:
    items = []
    for j, a in enumerate(goal.aligns_to):
        if ";" in a.parent_id:
            raise ValidationError(
                f"{where}.aligns_to[{j}].parent_id",
                a.parent_id,
                "holds ';', which separates the parent goals of one CSV cell",
            )
        items.append(
            a.parent_id
            if a.weight == 1.0 and "=" not in a.parent_id
            else f"{a.parent_id}={a.weight!r}"
        )
    return ";".join(items)


def _goals(data: CycleData) -> dict[str, str]:
    rows = []
    stones = []
    for i, g in enumerate(data.goals.goals):
        m = g.metric
        n = m if isinstance(m, NumericMetric) else None
        rows.append(
            (
                g.id,
                g.title,
                g.owner.kind,
                g.owner.id,
                m.kind,
                g.description,
                g.cycle_id,
                _alignments(f"goals.goals[{i}]", g),
                g.weight,
                g.start_date,
                g.end_date,
                g.status,
                None if n is None else n.baseline,
                None if n is None else n.target,
                None if n is None else n.unit,
                None if n is None else n.direction,
                g.revision,
                g.proposed_by,
            )
        )
        if isinstance(m, MilestoneMetric):
            stones += [(g.id, s.id, s.title, s.weight, s.due) for s in m.milestones]
    return {
        "goals.csv": _csv(GOALS.columns, rows),
        "milestones.csv": _csv(MILESTONES.columns, stones),
    }


def _feedback(data: CycleData) -> str:
    rows = []
    for i, e in enumerate(data.feedback.events):
        asked = getattr(e, "requested_from", ())
        rows.append(
            (
                e.id,
                e.kind,
                e.author,
                e.subject,
                e.at,
                e.text,
                e.goal_id,
                e.competency,
                e.visibility,
                e.context if isinstance(e, Note) else None,
                _listed(f"feedback.events[{i}].requested_from", asked) if asked else None,
                e.question if isinstance(e, FeedbackRequest) else None,
                e.request_id if isinstance(e, FeedbackResponse) else None,
            )
        )
    return _csv(FEEDBACK.columns, rows)


def _reviews(data: CycleData) -> str:
    rows: list[tuple[Any, ...]] = []
    for r in data.reviews:
        head = (
            r.id,
            r.subject,
            r.reviewer,
            r.role,
            r.cycle_id,
            r.form_id,
            r.status,
            r.summary,
            r.employee_comment,
            r.version,
        )
        if not r.ratings:
            rows.append((*head, None, None, None))
        for cr in r.ratings:
            rows.append((*head, cr.criterion_id, cr.rating.value, cr.comment))
    return _csv(REVIEWS.columns, rows)

"""Reading a data set as one JSON document: perfkit's own ``CycleData`` document
(``perfkit.dumps(data)``), item by item, so that every bad item is reported with its JSON path
and skip mode can leave out bad items as it leaves out bad rows."""

from __future__ import annotations

import json
from datetime import tzinfo
from types import SimpleNamespace
from typing import Any

from .._errors import MISSING, DocumentError
from .._serialization import SCHEMA_VERSION, structure
from .._validation import is_id
from ..cycles import ReviewCycle
from ..feedback import FeedbackEvent
from ..goals import CheckIn, Goal, OwnerKind
from ..org import Employee, OrgUnit
from ..reviews import Review, ReviewForm
from ..scales import ScaleCatalog
from ._hris_check import Records
from ._hris_config import Config
from ._hris_model import ImportProblem, RecordKind, _Node, _Record, _value_text

K = RecordKind
_TARGETS = {
    K.UNIT: ("unit", "company"),
    K.EMPLOYEE: ("employee",),
    K.GOAL: ("goal",),
    K.FEEDBACK: ("feedback_request",),
}
_PARTS = ("cycle", "feedback", "forms", "goals", "organisation", "reviews", "scales")


def _problem(file: str, path: str, reason: str, value: Any = MISSING) -> ImportProblem:
    return ImportProblem(file=file, column=path or None, value=_value_text(value), reason=reason)


def parse_document(file: str, data: bytes) -> tuple[Any, list[ImportProblem]]:
    """The JSON value of a file, or its syntax problem with line and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [
            ImportProblem(
                file=file, line=line, reason=f"is not UTF-8 text (byte 0x{data[exc.start]:02x})"
            )
        ]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        return None, [
            ImportProblem(
                file=file,
                line=exc.lineno,
                column_number=exc.colno,
                reason=f"is not valid JSON ({exc.msg})",
            )
        ]
    except RecursionError:
        return None, [ImportProblem(file=file, reason="is nested too deeply")]


def _object(
    file: str, path: str, raw: Any, keys: tuple[str, ...], problems: list[ImportProblem]
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        problems.append(_problem(file, path, "is not an object", raw))
        return {}
    extra = sorted(set(raw) - set(keys))
    if extra:
        problems.append(
            _problem(
                file, path, f"has keys that are not known here (known: {', '.join(keys)})", extra
            )
        )
    return raw


def _items(file: str, path: str, raw: Any, problems: list[ImportProblem]) -> list[Any]:
    if raw is MISSING:
        return []
    if not isinstance(raw, list):
        problems.append(_problem(file, path, "is not an array", raw))
        return []
    return raw


def _records(
    file: str, path: str, raw: Any, kind: RecordKind, cls: Any, zone: tzinfo | None, recs: Records
) -> list[_Record]:
    out = []
    if raw is not MISSING and not isinstance(raw, list):
        recs.unreadable.update(_TARGETS.get(kind, ()))
    for i, item in enumerate(_items(file, path, raw, recs.problems)):
        where = _Node(file=file, base=f"{path}[{i}]", raw=item)
        ident = item.get("id") if isinstance(item, dict) else None
        rec = _Record(kind=kind, where=where, id=ident if isinstance(ident, str) else None)
        try:
            rec.obj = structure(item, cls, assume_timezone=zone)
        except DocumentError as err:
            rec.problems += [where.at(e.path, e.reason, e.value) for e in err.errors]
            rec.fields = _readable(item)
        except RecursionError:
            rec.problems.append(where.at("", "is nested too deeply"))
        out.append(rec)
    return out


def _id_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and is_id(value) else None


def _readable(raw: Any) -> dict[str, Any] | None:
    """The references a JSON item makes, as far as they can be read (for an item that could not
    be built: its references are checked all the same)."""
    if not isinstance(raw, dict):
        return None
    found: dict[str, Any] = {
        k: _id_or_none(raw.get(k))
        for k in (
            "author",
            "goal_id",
            "head_id",
            "manager_id",
            "parent_id",
            "request_id",
            "reviewer",
            "subject",
            "unit_id",
        )
    }
    asked = raw.get("requested_from")
    if isinstance(asked, list):
        found["requested_from"] = [_id_or_none(x) for x in asked]
    parents = raw.get("aligns_to")
    if isinstance(parents, list):
        found["aligns_to"] = [
            SimpleNamespace(parent_id=_id_or_none(a.get("parent_id")))
            if isinstance(a, dict)
            else None
            for a in parents
        ]
    owner = raw.get("owner")
    if isinstance(owner, dict):
        kind = next((k for k in OwnerKind if k.value == owner.get("kind")), None)
        ident = _id_or_none(owner.get("id"))
        if kind is not None and ident is not None:
            found["owner"] = SimpleNamespace(kind=kind, id=ident)
    return found


def _part(file: str, path: str, raw: Any, cls: Any, zone: tzinfo | None, config: Config) -> Any:
    try:
        return structure(raw, cls, assume_timezone=zone)
    except DocumentError as err:
        node = _Node(file=file, base=path, raw=raw)
        config.problems += [node.at(e.path, e.reason, e.value) for e in err.errors]
    except RecursionError:
        config.problems.append(_problem(file, path, "is nested too deeply"))
    return None


def read_document(file: str, doc: Any, zone: tzinfo | None, recs: Records) -> Config:
    """The records and the cycle, scales and forms of a ``CycleData`` document."""
    problems = recs.problems
    config = Config()
    top = _object(file, "", doc, ("data", "schema_version", "type"), problems)
    version = top.get("schema_version", MISSING) if top else MISSING
    if top and (type(version) is not int or version != SCHEMA_VERSION):
        problems.append(
            _problem(
                file,
                "schema_version",
                f"is not supported (this perfkit reads version {SCHEMA_VERSION})",
                version,
            )
        )
    if top and top.get("type") != "CycleData":
        problems.append(
            _problem(
                file, "type", "is not 'CycleData' (a whole data set)", top.get("type", MISSING)
            )
        )
    if top and "data" not in top:
        problems.append(_problem(file, "data", "is required"))
    data = _object(file, "data", top.get("data", {}), _PARTS, problems) if top else {}
    if "cycle" in data:
        config.cycle = _part(file, "data.cycle", data["cycle"], ReviewCycle, zone, config)
    if "scales" in data:
        config.scales = _part(file, "data.scales", data["scales"], ScaleCatalog, zone, config)
    if "forms" in data:
        raw_forms = _items(file, "data.forms", data["forms"], config.problems)
        forms = [
            _part(file, f"data.forms[{i}]", raw, ReviewForm, zone, config)
            for i, raw in enumerate(raw_forms)
        ]
        if all(f is not None for f in forms):
            config.forms = tuple(forms)
    if top and "organisation" not in data:
        problems.append(_problem(file, "data.organisation", "is required"))
        recs.unreadable.update(("unit", "company", "employee"))
    org = _object(
        file, "data.organisation", data.get("organisation", {}), ("employees", "units"), problems
    )
    goals = _object(file, "data.goals", data.get("goals", {}), ("check_ins", "goals"), problems)
    log = _object(file, "data.feedback", data.get("feedback", {}), ("events",), problems)
    by = recs.by_kind
    by[K.UNIT] = _records(
        file, "data.organisation.units", org.get("units", MISSING), K.UNIT, OrgUnit, zone, recs
    )
    by[K.EMPLOYEE] = _records(
        file,
        "data.organisation.employees",
        org.get("employees", MISSING),
        K.EMPLOYEE,
        Employee,
        zone,
        recs,
    )
    by[K.GOAL] = _records(
        file, "data.goals.goals", goals.get("goals", MISSING), K.GOAL, Goal, zone, recs
    )
    by[K.CHECK_IN] = _records(
        file,
        "data.goals.check_ins",
        goals.get("check_ins", MISSING),
        K.CHECK_IN,
        CheckIn,
        zone,
        recs,
    )
    by[K.FEEDBACK] = _records(
        file,
        "data.feedback.events",
        log.get("events", MISSING),
        K.FEEDBACK,
        FeedbackEvent,
        zone,
        recs,
    )
    by[K.REVIEW] = _records(
        file, "data.reviews", data.get("reviews", MISSING), K.REVIEW, Review, zone, recs
    )
    return config

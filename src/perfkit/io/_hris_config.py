"""The cycle file of an import directory: the review cycle, the rating scales and the review
forms, which an HRIS export does not hold.

``cycle.toml`` (or ``cycle.json``, the same keys as a JSON object) has a ``[cycle]`` table (a
:class:`~perfkit.cycles.ReviewCycle` in perfkit's JSON field names), ``[[forms]]`` (review
forms), optional ``[[scales]]`` (rating scales besides the built-in ones) and
``builtin_scales`` (default true: the catalog starts with :data:`~perfkit.scales.BUILTIN_SCALES`).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from typing import Any

import attrs

from .._errors import MISSING, DocumentError
from .._serialization import structure, unstructure
from ..cycles import ReviewCycle
from ..reviews import ReviewForm
from ..scales import BUILTIN_SCALES, Scale, ScaleCatalog
from ._hris_model import ImportProblem

CONFIG_FILES = ("cycle.toml", "cycle.json")
_KEYS = ("builtin_scales", "cycle", "forms", "scales")


@attrs.define(eq=False)
class Config:
    """What the cycle file (or the caller's arguments) gives: any part may be missing."""

    cycle: ReviewCycle | None = None
    scales: ScaleCatalog | None = None
    forms: tuple[ReviewForm, ...] | None = None
    problems: list[ImportProblem] = attrs.Factory(list)


def _plain(value: Any) -> Any:
    """TOML's native dates and times as the ISO strings perfkit's JSON uses."""
    if isinstance(value, dict):
        return {k: _plain(x) for k, x in value.items()}
    if isinstance(value, list):
        return [_plain(x) for x in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _structured(
    file: str, path: str, raw: Any, cls: Any, problems: list[ImportProblem]
) -> Any | None:
    try:
        return structure(raw, cls)
    except DocumentError as err:
        for e in err.errors:
            where = path + (
                "" if not e.path else e.path if e.path.startswith("[") else f".{e.path}"
            )
            value = None if e.value is MISSING else _text(e.value)
            problems.append(ImportProblem(file=file, column=where, value=value, reason=e.reason))
    return None


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # pragma: no cover
        return repr(value)


def parse_config(file: str, text: str) -> tuple[dict[str, Any] | None, list[ImportProblem]]:
    """The cycle file's content as plain data, or the syntax problem with its line and column."""
    if file.endswith(".toml"):
        try:
            return _plain(tomllib.loads(text)), []
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
            line, col = (int(m.group(1)), int(m.group(2))) if m else (None, None)
            reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "bad TOML"
            return None, [
                ImportProblem(
                    file=file, line=line, column_number=col, reason=f"is not valid TOML ({reason})"
                )
            ]
        except RecursionError:
            return None, [ImportProblem(file=file, reason="is nested too deeply")]
    try:
        doc = json.loads(text)
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
    if not isinstance(doc, dict):
        return None, [ImportProblem(file=file, reason="is not a JSON object")]
    return doc, []


def read_config(file: str, doc: dict[str, Any]) -> Config:
    """The cycle, scales and forms of a parsed cycle file, every problem listed."""
    found = Config()
    problems = found.problems
    extra = sorted(set(doc) - set(_KEYS))
    if extra:
        problems.append(
            ImportProblem(
                file=file,
                value=", ".join(extra),
                reason=f"are not known keys (known: {', '.join(_KEYS)})",
            )
        )
    if "cycle" not in doc:
        problems.append(
            ImportProblem(file=file, column="cycle", reason="is required (the review cycle)")
        )
    else:
        found.cycle = _structured(file, "cycle", doc["cycle"], ReviewCycle, problems)
    builtin = doc.get("builtin_scales", True)
    if not isinstance(builtin, bool):
        problems.append(
            ImportProblem(
                file=file, column="builtin_scales", value=_text(builtin), reason="is not a boolean"
            )
        )
        builtin = True
    listed: list[Scale] = []
    raw_scales = doc.get("scales", [])
    if not isinstance(raw_scales, list):
        problems.append(
            ImportProblem(file=file, column="scales", reason="is not a list of scale tables")
        )
        raw_scales = []
    for i, raw in enumerate(raw_scales):
        scale = _structured(file, f"scales[{i}]", raw, Scale, problems)
        if scale is not None:
            listed.append(scale)
    scales = [*BUILTIN_SCALES.scales, *listed] if builtin else listed
    seen: set[Any] = set()
    for i, scale in enumerate(scales):
        if scale.ref in seen:
            problems.append(
                ImportProblem(
                    file=file,
                    column=f"scales[{i - (len(BUILTIN_SCALES.scales) if builtin else 0)}]",
                    value=str(scale.ref),
                    reason="repeats a scale id and version"
                    + (" (a built-in scale; set builtin_scales = false)" if builtin else ""),
                )
            )
        seen.add(scale.ref)
    if len(seen) == len(scales):
        found.scales = ScaleCatalog(scales=scales)
    raw_forms = doc.get("forms", [])
    if not isinstance(raw_forms, list):
        problems.append(
            ImportProblem(file=file, column="forms", reason="is not a list of form tables")
        )
        raw_forms = []
    forms: list[ReviewForm] = []
    for i, raw in enumerate(raw_forms):
        form = _structured(file, f"forms[{i}]", raw, ReviewForm, problems)
        if form is not None:
            forms.append(form)
    ids = [f.id for f in forms]
    for i, fid in enumerate(ids):
        if fid in ids[:i]:
            problems.append(
                ImportProblem(
                    file=file, column=f"forms[{i}].id", value=fid, reason="repeats a form id"
                )
            )
    if len(forms) == len(raw_forms) and len(set(ids)) == len(ids):
        found.forms = tuple(forms)
    return found


def check_forms(
    file: str, forms: Sequence[ReviewForm], scales: ScaleCatalog
) -> list[ImportProblem]:
    """Every criterion's scale is in the catalog."""
    out = []
    for i, form in enumerate(forms):
        for j, c in enumerate(form.criteria):
            if c.scale not in scales:
                out.append(
                    ImportProblem(
                        file=file,
                        column=f"forms[{i}].criteria[{j}].scale",
                        value=str(c.scale),
                        reason="is not a scale in the catalog (built-in or listed in [[scales]])",
                    )
                )
    return out


# --- writing cycle.toml -------------------------------------------------------------------


def config_toml(cycle: ReviewCycle, scales: ScaleCatalog, forms: Sequence[ReviewForm]) -> str:
    """The cycle file for a data set, as TOML."""
    builtin = BUILTIN_SCALES.scales
    starts_builtin = scales.scales[: len(builtin)] == builtin
    listed = scales.scales[len(builtin) :] if starts_builtin else scales.scales
    doc: dict[str, Any] = {}
    if not starts_builtin:
        doc["builtin_scales"] = False
    doc["cycle"] = unstructure(cycle)
    doc["forms"] = [unstructure(f) for f in forms]
    if listed:
        doc["scales"] = [unstructure(s) for s in listed]
    return "".join(_toml_table((), doc)).lstrip("\n")


def _is_table(value: Any) -> bool:
    """A dict written as a ``[table]``; a dict of plain values goes inline (``{ id = "x" }``)."""
    return isinstance(value, dict) and any(
        isinstance(x, dict | list) for x in value.values() if x is not None
    )


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(x, dict) for x in value)


def _toml_table(path: tuple[str, ...], table: dict[str, Any]) -> Iterator[str]:
    plain = {k: x for k, x in table.items() if x is not None}
    for key, value in plain.items():
        if not _is_table(value) and not _is_table_list(value):
            yield f"{_key(key)} = {_value(value)}\n"
    for key, value in plain.items():
        if _is_table(value):
            yield f"\n[{'.'.join(_key(k) for k in (*path, key))}]\n"
            yield from _toml_table((*path, key), value)
        elif _is_table_list(value):
            for item in value:
                yield f"\n[[{'.'.join(_key(k) for k in (*path, key))}]]\n"
                yield from _toml_table((*path, key), item)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _string(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):  # pragma: no cover - domain floats are finite
            raise ValueError(value)
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(x) for x in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)} = {_value(x)}" for k, x in value.items() if x is not None)
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"cannot write {value!r} to TOML")  # pragma: no cover

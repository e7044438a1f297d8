"""perfkit's one JSON format: a single cattrs converter, documents with a schema version.

Design notes (see docs/serialization.md for the published format):

* Every value type has a strict structure hook: a string field refuses ``5``, an int refuses
  ``"5"`` and ``true``, a datetime refuses a naive value unless the caller named a timezone to
  assume. Errors never escape as bare ``TypeError``/``KeyError``: :func:`loads` and
  :func:`structure` raise :class:`~perfkit.DocumentError` listing every problem with its path.
* Decimal and datetimes travel as strings (``"52000.00"``, ``"2026-03-31T17:00:00+02:00"``),
  dates as ``"2026-03-31"``, enums by value, tuples as arrays.
* Unions of event or metric kinds are tagged with ``"type"`` taken from each class's ``kind``.
* Output is deterministic: keys sorted, no whitespace, floats by ``repr``.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import types
import typing
from collections.abc import Callable, Iterator
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from dateutil.parser import isoparse

from ._errors import MISSING, DocumentError, PerfkitError, ValidationError, join_path
from ._frozen import FrozenMap

__all__ = [
    "SCHEMA_VERSION",
    "dumps",
    "get_converter",
    "loads",
    "register_union",
    "structure",
    "unstructure",
]

T = TypeVar("T")

SCHEMA_VERSION = 1
"""Version of the JSON document format. Bumped on any incompatible change."""

_UNIONS: list[tuple[type, ...]] = []
_LOCK = threading.Lock()
_CONVERTERS: dict[str | None, cattrs.Converter] = {}


def register_union(*members: type) -> None:
    """Declare a union of attrs classes tagged by their ``kind`` class variable.

    Domain modules call this at import time for their event and metric unions.
    """
    for m in members:
        if not isinstance(getattr(m, "kind", None), str):
            raise TypeError(f"{m.__name__} needs a str class variable 'kind'")  # pragma: no cover
    _UNIONS.append(tuple(members))
    _CONVERTERS.clear()


class _Problems(Exception):
    """Internal: several validation errors found while structuring one value."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__(errors)
        self.errors = errors


# --- strict primitive hooks --------------------------------------------------------------


def _s_str(obj: Any, t: Any) -> str:
    if t is not str and _is_enum(t):  # a StrEnum reaches the str hook first
        return _enum_hook(t)(obj, t)  # type: ignore[return-value]
    if not isinstance(obj, str):
        raise ValidationError("", obj, "is not a string")
    return obj


def _s_int(obj: Any, _: Any) -> int:
    if isinstance(obj, bool) or not isinstance(obj, int):
        raise ValidationError("", obj, "is not an integer")
    return obj


def _s_float(obj: Any, _: Any) -> float:
    if isinstance(obj, bool) or not isinstance(obj, int | float):
        raise ValidationError("", obj, "is not a number")
    return float(obj)


def _s_bool(obj: Any, _: Any) -> bool:
    if not isinstance(obj, bool):
        raise ValidationError("", obj, "is not true or false")
    return obj


_DECIMAL_TEXT = re.compile(r"^-?[0-9]+(?:\.[0-9]+)?$")


def _s_decimal(obj: Any, _: Any) -> Decimal:
    if not isinstance(obj, str):
        raise ValidationError("", obj, 'is not a decimal string such as "52000.00"')
    if not _DECIMAL_TEXT.match(obj):
        raise ValidationError("", obj, 'is not a decimal number such as "52000.00"')
    try:
        value = Decimal(obj)
    except (InvalidOperation, ValueError):  # pragma: no cover - the pattern admits only decimals
        raise ValidationError("", obj, "is not a decimal number") from None
    if not value.is_finite():
        raise ValidationError("", obj, "is not a finite decimal number")
    return value


def _s_date(obj: Any, _: Any) -> date:
    if not isinstance(obj, str):
        raise ValidationError("", obj, "is not an ISO 8601 date string")
    try:
        return date.fromisoformat(obj)
    except ValueError:
        raise ValidationError("", obj, "is not an ISO 8601 date (YYYY-MM-DD)") from None


def _datetime_hook(assume: tzinfo | None) -> Callable[[Any, Any], datetime]:
    def hook(obj: Any, _: Any) -> datetime:
        if not isinstance(obj, str):
            raise ValidationError("", obj, "is not an ISO 8601 datetime string")
        try:
            # The standard library reads perfkit's own output fast; dateutil takes the rest of
            # ISO 8601 (week dates, ordinal dates, ...).
            value = datetime.fromisoformat(obj)
        except ValueError:
            try:
                value = isoparse(obj)
            except (ValueError, OverflowError):
                raise ValidationError("", obj, "is not an ISO 8601 datetime") from None
        if value.tzinfo is None:
            if assume is None:
                raise ValidationError(
                    "",
                    obj,
                    "has no timezone (give an offset such as +00:00, or load with "
                    "assume_timezone=...)",
                )
            value = value.replace(tzinfo=assume)
        return value

    return hook


def _s_frozen_map(obj: Any, _: Any) -> FrozenMap:
    if not isinstance(obj, dict):
        raise ValidationError("", obj, "is not an object")
    errors = [
        ValidationError(f"[{k!r}]", v, "is not a string")
        for k, v in obj.items()
        if not isinstance(v, str)
    ]
    if errors:
        raise _Problems(errors)
    return FrozenMap(obj)


def _is_enum(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, Enum)


@functools.cache
def _enum_hook(kind: type[Enum]) -> Callable[[Any, Any], Enum]:
    by_value = {m.value: m for m in kind}
    options = ", ".join(repr(m.value) for m in kind)

    def hook(obj: Any, _: Any) -> Enum:
        try:
            return by_value[obj]
        except (KeyError, TypeError):
            raise ValidationError("", obj, f"is not one of {options}") from None

    return hook


def _is_var_tuple(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(conv: cattrs.Converter, t: Any) -> Callable[[Any, Any], tuple[Any, ...]]:
    item_type = get_args(t)[0]

    def hook(obj: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(obj, list | tuple):
            raise ValidationError("", obj, "is not an array")
        out: list[Any] = []
        errors: list[ValidationError] = []
        for i, item in enumerate(obj):
            try:
                out.append(conv.structure(item, item_type))
            except Exception as exc:  # noqa: BLE001 - reported with its index
                errors.extend(_flatten(exc, f"[{i}]"))
        if errors:
            raise _Problems(errors)
        return tuple(out)

    return hook


def _union_members(t: Any) -> frozenset[type]:
    if get_origin(t) in (typing.Union, types.UnionType):
        return frozenset(a for a in get_args(t) if a is not type(None))
    return frozenset()


def _install_union(conv: cattrs.Converter, members: tuple[type, ...]) -> None:
    by_tag = {m.kind: m for m in members}  # type: ignore[attr-defined]
    wanted = frozenset(members)
    options = ", ".join(repr(k) for k in sorted(by_tag))

    def matches(t: Any) -> bool:
        return _union_members(t) == wanted and len(wanted) > 0

    def structure_union(obj: Any, t: Any) -> Any:
        if obj is None and type(None) in get_args(t):
            return None
        if not isinstance(obj, dict):
            raise ValidationError("", obj, "is not an object")
        tag = obj.get("type", MISSING)
        if tag is MISSING:
            raise ValidationError("type", MISSING, f"is missing (one of {options})")
        cls = by_tag.get(tag) if isinstance(tag, str) else None
        if cls is None:
            raise ValidationError("type", tag, f"is not one of {options}")
        return conv.structure(obj, cls)

    def unstructure_union(obj: Any) -> Any:
        if obj is None:
            return None
        body = conv.unstructure(obj, type(obj))
        return {"type": type(obj).kind, **body}

    conv.register_structure_hook_func(matches, structure_union)
    conv.register_unstructure_hook_func(matches, unstructure_union)
    for m in members:
        # A member on its own (as a document) carries its tag too, and may be read back with it.
        conv.register_unstructure_hook(m, _tagged_member_unstructure(conv, m))
        conv.register_structure_hook(m, _tagged_member_structure(conv, m))


def _tagged_member_structure(conv: cattrs.Converter, cls: type) -> Callable[[Any, Any], Any]:
    base: Callable[[Any, Any], Any] = cattrs.gen.make_dict_structure_fn(
        cls, conv, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True
    )
    kind: str = cls.kind  # type: ignore[attr-defined]

    def hook(obj: Any, t: Any) -> Any:
        if isinstance(obj, dict) and "type" in obj:
            if obj["type"] != kind:
                raise ValidationError("type", obj["type"], f"is not {kind!r}")
            obj = {k: v for k, v in obj.items() if k != "type"}
        return base(obj, t)

    return hook


def _tagged_member_unstructure(conv: cattrs.Converter, cls: type) -> Callable[[Any], Any]:
    base: Callable[[Any], dict[str, Any]] = cattrs.gen.make_dict_unstructure_fn(cls, conv)

    def hook(obj: Any) -> Any:
        return {"type": cls.kind, **base(obj)}  # type: ignore[attr-defined]

    return hook


def _build(assume: tzinfo | None) -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(str, _s_str)
    conv.register_structure_hook(int, _s_int)
    conv.register_structure_hook(float, _s_float)
    # A float field may hold an int or a Decimal: it always leaves as a float, so that equal
    # objects give identical JSON.
    conv.register_unstructure_hook(float, float)
    conv.register_structure_hook(bool, _s_bool)
    conv.register_structure_hook(Decimal, _s_decimal)
    conv.register_unstructure_hook(Decimal, lambda d: format(d, "f"))  # never "1E-9"
    conv.register_structure_hook(date, _s_date)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(datetime, _datetime_hook(assume))
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_structure_hook(FrozenMap, _s_frozen_map)
    conv.register_unstructure_hook(FrozenMap, FrozenMap.to_dict)
    conv.register_structure_hook_factory(_is_enum, _enum_hook)
    conv.register_unstructure_hook_func(_is_enum, lambda e: e.value)
    conv.register_unstructure_hook(str, str)  # a StrEnum member leaves as its plain value
    conv.register_structure_hook_factory(_is_var_tuple, lambda t: _tuple_hook(conv, t))
    conv.register_unstructure_hook_func(_is_var_tuple, lambda xs: [conv.unstructure(x) for x in xs])
    for members in _UNIONS:
        _install_union(conv, members)
    return conv


def get_converter(assume_timezone: tzinfo | None = None) -> cattrs.Converter:
    """The shared converter (one per assumed timezone), built on first use.

    It is built after every domain module has registered its unions, so plugins that register
    unions must do so before the first call.
    """
    key = None if assume_timezone is None else repr(assume_timezone)
    conv = _CONVERTERS.get(key)
    if conv is None:
        with _LOCK:
            conv = _CONVERTERS.get(key)
            if conv is None:
                conv = _build(assume_timezone)
                _CONVERTERS[key] = conv
    return conv


# --- errors ------------------------------------------------------------------------------


def _flatten(exc: BaseException, path: str) -> Iterator[ValidationError]:
    if isinstance(exc, ValidationError):
        yield exc.at(path)
    elif isinstance(exc, _Problems):
        for e in exc.errors:
            yield e.at(path)
    elif isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            yield from _flatten(sub, join_path(path, note.name))
        for sub in without:
            yield from _flatten(sub, path)
    elif isinstance(exc, IterableValidationError):
        indexed, rest = exc.group_exceptions()
        for sub, inote in indexed:
            yield from _flatten(sub, f"{path}[{inote.index!r}]")
        for sub in rest:
            yield from _flatten(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        yield ValidationError(path, sorted(exc.extra_fields), "are not known keys here")
    elif isinstance(exc, BaseValidationError):
        for sub in exc.exceptions:
            yield from _flatten(sub, path)
    elif isinstance(exc, cattrs.errors.StructureHandlerNotFoundError):
        yield ValidationError(path, MISSING, "cannot be read from JSON (it holds code, not data)")
    elif isinstance(exc, KeyError):
        yield ValidationError(path, MISSING, "is required")
    elif isinstance(exc, PerfkitError | ValueError | TypeError | AttributeError | ArithmeticError):
        yield ValidationError(path, MISSING, f"is not valid ({exc})")
    else:
        raise exc


def _check_target(cls: object) -> None:
    if not (isinstance(cls, type) and attrs.has(cls)) and not _union_members(cls):
        raise ValidationError("cls", cls, "is not a perfkit type (such as perfkit.Goal)")


def _check_zone(assume_timezone: object) -> None:
    if assume_timezone is not None and not isinstance(assume_timezone, tzinfo):
        raise ValidationError("assume_timezone", assume_timezone, "is not a tzinfo")


def structure(data: Any, cls: type[T], *, assume_timezone: tzinfo | None = None) -> T:
    """Build a ``cls`` from plain JSON-compatible data, or raise :class:`DocumentError`."""
    _check_target(cls)
    _check_zone(assume_timezone)
    conv = get_converter(assume_timezone)
    if attrs.has(cls) and not isinstance(data, dict):
        raise DocumentError([ValidationError("", data, "is not an object")])
    try:
        return conv.structure(data, cls)
    except RecursionError:
        raise DocumentError([ValidationError("", MISSING, "is nested too deeply")]) from None
    except Exception as exc:  # noqa: BLE001 - turned into perfkit errors with paths
        raise DocumentError(list(_flatten(exc, ""))) from None


def unstructure(obj: Any) -> Any:
    """Plain JSON-compatible data for any perfkit value."""
    return get_converter().unstructure(obj)


def _dump_json(data: Any) -> str:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def dumps(obj: Any) -> str:
    """Serialise a perfkit object to a JSON document (deterministic: same object, same bytes).

    The document is ``{"data": ..., "schema_version": 1, "type": "<ClassName>"}``.
    """
    if not attrs.has(type(obj)):
        raise ValidationError("", obj, "is not a perfkit object")
    return _dump_json(
        {"schema_version": SCHEMA_VERSION, "type": type(obj).__name__, "data": unstructure(obj)}
    )


def _document_types() -> dict[str, type]:
    import perfkit

    found: dict[str, type] = {}
    for name in perfkit.__all__:
        obj = getattr(perfkit, name)
        if isinstance(obj, type) and attrs.has(obj):
            found[name] = obj
    return found


@typing.overload
def loads(text: str | bytes, cls: type[T], *, assume_timezone: tzinfo | None = None) -> T: ...
@typing.overload
def loads(text: str | bytes, cls: None = None, *, assume_timezone: tzinfo | None = None) -> Any: ...
def loads(
    text: str | bytes, cls: type[Any] | None = None, *, assume_timezone: tzinfo | None = None
) -> Any:
    """Read a document written by :func:`dumps`.

    With ``cls`` the document must hold that type; without it the type is read from the
    document. A naive datetime is refused unless ``assume_timezone`` names the zone to assume.
    """
    if not isinstance(text, str | bytes | bytearray):
        raise ValidationError("text", text, "is not a JSON document (str or bytes)")
    if cls is not None:
        _check_target(cls)
    _check_zone(assume_timezone)
    try:
        doc = json.loads(text)
    except RecursionError:
        raise DocumentError([ValidationError("", MISSING, "is nested too deeply")]) from None
    except (ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", 0)
        col = getattr(exc, "colno", 0)
        raise DocumentError(
            [ValidationError(f"{line}:{col}", MISSING, f"is not valid JSON ({exc})")]
        ) from None
    if not isinstance(doc, dict):
        raise DocumentError([ValidationError("", doc, "is not a perfkit document object")])
    problems = []
    version = doc.get("schema_version", MISSING)
    if type(version) is not int or version != SCHEMA_VERSION:
        problems.append(
            ValidationError(
                "schema_version",
                version,
                f"is not supported (this perfkit reads version {SCHEMA_VERSION})",
            )
        )
    type_name = doc.get("type", MISSING)
    target: type[Any] | None
    if cls is not None:
        target = cls
        if type_name != cls.__name__:
            problems.append(ValidationError("type", type_name, f"is not {cls.__name__}"))
    else:
        target = _document_types().get(type_name) if isinstance(type_name, str) else None
        if target is None:
            problems.append(ValidationError("type", type_name, "is not a perfkit document type"))
    extra = sorted(set(doc) - {"schema_version", "type", "data"})
    if extra:
        problems.append(ValidationError("", extra, "are not known document keys"))
    if "data" not in doc:
        problems.append(ValidationError("data", MISSING, "is required"))
    if problems:
        raise DocumentError(problems)
    assert target is not None
    try:
        return structure(doc["data"], target, assume_timezone=assume_timezone)
    except DocumentError as err:
        raise DocumentError([e.at("data") for e in err.errors]) from None

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
import importlib
import json
import re
import threading
import types
import typing
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
import cattrs.fns
from cattrs.errors import (
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from dateutil.parser import isoparse

from . import _validation as v
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

    _mark(hook, ("datetime", assume))
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


def _mark(hook: Callable[..., Any], what: tuple[str, Any]) -> None:
    """Say what a hook does, for the fast paths generated from the converter's hooks."""
    hook._perfkit_hook = what  # type: ignore[attr-defined]


def _marked(hook: object) -> tuple[str, Any] | None:
    what: tuple[str, Any] | None = getattr(hook, "_perfkit_hook", None)
    return what


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

    _mark(hook, ("enum", by_value))
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

    _mark(hook, ("tuple", item_type))
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

    _mark(structure_union, ("union", by_tag))
    _mark(unstructure_union, ("union", members))
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

    _mark(hook, ("member", cls))
    return hook


def _tagged_member_unstructure(conv: cattrs.Converter, cls: type) -> Callable[[Any], Any]:
    base: Callable[[Any], dict[str, Any]] = cattrs.gen.make_dict_unstructure_fn(cls, conv)

    def hook(obj: Any) -> Any:
        return {"type": cls.kind, **base(obj)}  # type: ignore[attr-defined]

    _mark(hook, ("member", cls))
    return hook


def _u_decimal(d: Decimal) -> str:
    return format(d, "f")  # never "1E-9"


def _u_enum(e: Enum) -> Any:
    return e.value


def _tuple_unstructure(conv: cattrs.Converter) -> Callable[[Any], list[Any]]:
    def hook(xs: Any) -> list[Any]:
        return [conv.unstructure(x) for x in xs]

    _mark(hook, ("tuple", None))
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
    conv.register_unstructure_hook(Decimal, _u_decimal)
    conv.register_structure_hook(date, _s_date)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(datetime, _datetime_hook(assume))
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_structure_hook(FrozenMap, _s_frozen_map)
    conv.register_unstructure_hook(FrozenMap, FrozenMap.to_dict)
    conv.register_structure_hook_factory(_is_enum, _enum_hook)
    conv.register_unstructure_hook_func(_is_enum, _u_enum)
    conv.register_unstructure_hook(str, str)  # a StrEnum member leaves as its plain value
    conv.register_structure_hook_factory(_is_var_tuple, lambda t: _tuple_hook(conv, t))
    conv.register_unstructure_hook_func(_is_var_tuple, _tuple_unstructure(conv))
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


# --- fast paths --------------------------------------------------------------------------
#
# A store reads and writes millions of records; the converter above is exact and reports every
# problem with its path, but pays for that on every value (a hook call per field, error
# bookkeeping, dict copies for tagged unions). The fast paths below are generated per class from
# the converter's own hooks: a reader accepts a subset of what the converter accepts and builds
# an equal object, checked as the class's ``__init__`` checks it (for a plain frozen attrs class
# the reader sets the fields itself and leaves out only the checks it proved pass), a
# writer gives the very bytes ``json.dumps`` gives for ``unstructure(obj)``. Either gives up
# (raises) on anything it does not recognise, and the caller then runs the converter, so results
# and error reports stay the converter's.


class _Unfit(Exception):
    """Internal: a fast path met a value it leaves to the converter."""


_NOT_GIVEN = object()
_q = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) writes a str with
_float_repr = float.__repr__
_int_repr = int.__repr__


def _any_text(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    allow_nan=False)`` for plain JSON data; :class:`_Unfit` for anything json.dumps would
    refuse (or order in a way of its own: keys that are not strings)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _q(value)
    if isinstance(value, int):
        return _int_repr(value)
    if isinstance(value, float):
        if value - value != 0.0:  # NaN or an infinity: json.dumps says why
            raise _Unfit
        return _float_repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join([_any_text(x) for x in value]) + "]"
    if isinstance(value, dict):
        for k in value:
            if k.__class__ is not str:
                raise _Unfit
        return "{" + ",".join([_q(k) + ":" + _any_text(value[k]) for k in sorted(value)]) + "}"
    raise _Unfit


def _is_cattrs_class_hook(hook: object, cls: type, verb: str) -> bool:
    """Whether ``hook`` is the function cattrs generated for ``cls`` (no overrides)."""
    return (
        getattr(hook, "__name__", None) == f"{verb}_{cls.__name__}"
        and getattr(hook, "overrides", None) == {}
    )


def _is_optional(t: Any) -> bool:
    args = get_args(t)
    return (
        get_origin(t) in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args
    )


def _optional_inner(t: Any) -> Any:
    first, second = get_args(t)
    return first if second is type(None) else second


# --- what the generated readers know of the values they build -------------------------------

_Form = tuple[Any, ...]
"""What a generated reader knows of a value it gives: ``("str",)``, ``("int",)``,
``("float",)`` (maybe not finite), ``("bool",)``, ``("date",)`` (of exactly these classes);
``("datetime",)`` (exactly a datetime, with a fixed-offset :class:`~datetime.timezone`);
``("obj", classes)`` (an object of exactly one of ``classes``: an enum member, an object built
by a generated reader); ``("none",)``; ``("opt", form)`` (``None`` or ``form``);
``("tuple", form)`` (exactly a tuple of items of ``form``); ``("const", value)`` (a field's
default); ``("any",)`` (nothing known)."""

_ANY: _Form = ("any",)
_FORM_CLASSES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (float,),
    "bool": (bool,),
    "date": (date,),
    "datetime": (datetime,),
}
_ATTRS_CONFIG: Any = importlib.import_module("attr._config")  # the switch of attrs.validators

# Validators of perfkit._validation that read only the value (never the instance): the readers
# may run them before the object exists, or leave them out where they provably pass.
_VALUE_CHECKS = frozenset(
    {
        v.identifier,
        v._optional_identifier,
        v.text,
        v.non_empty_text,
        v.aware_datetime,
        v.a_date,
        v.finite_float,
        v.number,
        v.positive,
        v.non_negative,
        v.weight,
        v.count,
        v.version,
        v.decimal,
    }
)


def _form_classes(form: _Form) -> tuple[type, ...]:
    """The exact classes a value of ``form`` has, or ``()`` when not known."""
    if form[0] == "obj":
        return tuple(form[1])
    return _FORM_CLASSES.get(form[0], ())


def _members(table: dict[Any, Any]) -> _Form:
    """The form of a value looked up in an enum's table of members."""
    return ("obj", frozenset(type(m) for m in table.values()))


def _value_only(check: object) -> bool:
    """Whether ``check`` (a validator) reads only the value it is given."""
    if check in _VALUE_CHECKS:
        return True
    what = v.described(check)
    if what is None:
        return False
    if what[0] in ("instance_of", "enum_member", "between"):
        return True
    return what[0] in ("optional", "each") and _value_only(what[1])


_AND: type = type(attrs.validators.and_())


def _parts(validator: object) -> list[Any]:
    """The validators ``__init__`` runs for a field, in order (a list given to attrs is one
    ``and_`` validator)."""
    if validator is None:
        return []
    if isinstance(validator, _AND):
        return [p for part in getattr(validator, "_validators") for p in _parts(part)]  # noqa: B009
    return [validator]


def _keeps(converter: object, form: _Form) -> bool:
    """Whether ``converter`` provably gives back any value of ``form`` unchanged."""
    if form[0] == "const":
        value = form[1]
        if converter is v.tuple_of:
            return bool(value.__class__ is tuple)
        return bool(converter is v.as_float and value.__class__ is float)
    if converter is v.tuple_of:
        return bool(form[0] == "tuple")
    return bool(converter is v.as_float and form[0] == "float")


_IMMUTABLE = (type(None), bool, int, float, str, Decimal, date, Enum)


def _immutable(value: object) -> bool:
    """A default a check may be run on once, at generation: a value that cannot change."""
    if isinstance(value, tuple):
        return all(_immutable(x) for x in value)
    return isinstance(value, _IMMUTABLE)


def _usual_id(var: str) -> str:
    """The test of :func:`perfkit._validation.identifier` for the usual id (printable ASCII,
    1-200 characters, no space at either end), on ``var``, an exact ``str``."""
    return (
        f"{var}.isascii() and {var}.isprintable() and 0 < len({var}) <= 200"
        f" and {var}[0] != ' ' and {var}[-1] != ' '"
    )


@attrs.frozen
class _FrozenProbe:
    """Internal: shows what attrs makes of a frozen class."""


_FROZEN_SETATTR = _FrozenProbe.__setattr__


def _direct_setters(cls: type) -> dict[str, Any] | None:
    """For a class whose objects a generated reader may build itself, as its ``__init__``
    does (see :meth:`_Fast._reader_lines`): the slot setter of each field. ``None`` for any
    other class: one whose ``__init__`` is not attrs' own, or does more than set the fields
    (pre-init hook, cached hash, fields not set by ``__init__``, converters or factories that
    take the instance), or that is not frozen with slots."""
    if cls.__setattr__ is not _FROZEN_SETATTR:  # type: ignore[comparison-overlap]
        return None
    code = getattr(cls.__dict__.get("__init__"), "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return None
    if hasattr(cls, "__attrs_pre_init__"):
        return None
    slots: set[str] = set()
    for k in cls.__mro__:
        names = k.__dict__.get("__slots__", ())
        slots.update((names,) if isinstance(names, str) else names)
    if "_attrs_cached_hash" in slots:
        return None
    setters: dict[str, Any] = {}
    for a in attrs.fields(cls):
        if not a.init or isinstance(a.converter, attrs.Converter):
            return None
        default = a.default
        if isinstance(default, attrs.Factory) and default.takes_self:  # type: ignore[arg-type]
            return None
        found = next((k.__dict__[a.name] for k in cls.__mro__ if a.name in k.__dict__), None)
        if not isinstance(found, types.MemberDescriptorType):
            return None
        setters[a.name] = found.__set__
    return setters


class _Fast:
    """The generated readers and writers of one converter (the default one: no timezone to
    assume), built per class on first use."""

    def __init__(self, conv: cattrs.Converter) -> None:
        self.conv = conv
        self._readers: dict[Any, Callable[[Any], Any]] = {}
        self._writers: dict[Any, Callable[[Any], str]] = {}
        self._runtime: dict[type, Callable[[Any], str]] = {}
        self.documents: dict[type, Callable[[Any], str]] = {}
        self._building: set[Any] = set()
        self._forms: dict[Any, _Form] = {}
        self._lock = threading.RLock()
        self._count = 0

    # --- helpers of the generated code -------------------------------------------------

    def _name(self, g: dict[str, Any], value: Any) -> str:
        self._count += 1
        name = f"_g{self._count}"
        g[name] = value
        return name

    def _compile(self, name: str, lines: list[str], g: dict[str, Any]) -> Any:
        code = "\n".join(lines)
        g.update(_Unfit=_Unfit, _M=_NOT_GIVEN, _q=_q, _any=_any_text)
        g.update(_fr=_float_repr, _ir=_int_repr, _new=object.__new__)
        g.update(_attrs_config=_ATTRS_CONFIG)
        exec(compile(code, f"<perfkit fast {name}>", "exec"), g)
        return g[name]

    # --- readers: plain JSON data -> object ---------------------------------------------

    def reader(self, cls: Any) -> Callable[[Any], Any]:
        """A function that builds a ``cls`` from its plain data (an attrs class), or raises."""
        found = self._readers.get(cls)
        if found is None:
            with self._lock:
                found = self._readers.get(cls)
                if found is None:
                    found = self._make_reader(cls)
                    self._readers[cls] = found
        return found

    def _late_reader(self, cls: Any) -> Callable[[Any], Any]:
        """The reader of a class met inside another: itself, or for a class whose reader is
        being generated (a recursive type) a function that looks it up when called."""
        if cls in self._building:
            return lambda obj: self.reader(cls)(obj)
        return self.reader(cls)

    def _reader_form(self, cls: Any) -> _Form:
        """What the reader of ``cls`` (found by :meth:`_late_reader`) gives: an object of
        exactly that class when the reader was generated here, else anything."""
        if cls in self._building:
            return _ANY
        return self._forms.get(cls, _ANY)

    def _make_reader(self, cls: Any) -> Callable[[Any], Any]:
        conv = self.conv
        hook = conv.get_structure_hook(cls)
        mark = _marked(hook)
        tagged = mark is not None and mark[0] == "member"
        if not (attrs.has(cls) and (tagged or _is_cattrs_class_hook(hook, cls, "structure"))):
            return lambda obj: hook(obj, cls)
        self._building.add(cls)
        try:
            attrs.resolve_types(cls)
            fields = [a for a in attrs.fields(cls) if a.init]
            if tagged and any(a.name == "type" for a in fields):
                return lambda obj: hook(obj, cls)
            g: dict[str, Any] = {}
            plain = typing.cast(
                Callable[[Any], Any],
                self._compile("read", self._reader_lines(cls, fields, tagged, g, None), g),
            )
            setters = _direct_setters(cls)
            read = plain
            if setters is not None:
                g = {"_plain": plain}
                lines = self._reader_lines(cls, fields, tagged, g, setters)
                read = typing.cast(Callable[[Any], Any], self._compile("read", lines, g))
            self._forms[cls] = ("obj", frozenset({cls}))
            return read
        finally:
            self._building.discard(cls)

    def _reader_lines(
        self,
        cls: Any,
        fields: list[attrs.Attribute[Any]],
        tagged: bool,
        g: dict[str, Any],
        setters: dict[str, Any] | None,
    ) -> list[str]:
        """The code of a reader of ``cls``. Without ``setters`` it calls ``cls(...)``; with
        them (see :func:`_direct_setters`) it builds the object as the class's ``__init__``
        does, but skips each check the values read are proved to pass (see :meth:`_settle`)."""
        direct = setters is not None
        lines = ["def read(o):"]
        if direct:
            lines.append("  if _attrs_config._run_validators is not True: return _plain(o)")
        lines += ["  if o.__class__ is not dict: raise _Unfit", "  m = 0"]
        if tagged:
            kind = self._name(g, getattr(cls, "kind"))  # noqa: B009 - a union member
            lines.append(f"  if 'type' in o and o['type'] != {kind}: raise _Unfit")
        args = []
        late: list[str] = []
        for i, a in enumerate(fields):
            var = f"x{i}"
            if a.default is attrs.NOTHING:
                lines.append(f"  {var} = o[{a.name!r}]")
                read, form = self._read(a.type, var, g, 2)
                lines += read
                if direct:
                    lines += self._settle(a, var, form, g, 2)
            else:
                default = a.default
                factory = isinstance(default, attrs.Factory)  # type: ignore[arg-type]
                lines.append(f"  {var} = o.get({a.name!r}, _M)")
                lines.append(f"  if {var} is _M:")
                if not direct:
                    # as if not given: __init__ calls the factory
                    given = attrs.NOTHING if factory else default
                    lines.append(f"    {var} = {self._name(g, given)}")
                    lines.append("    m += 1")
                elif factory:
                    factory_fn = getattr(default, "factory")  # noqa: B009 - an attrs.Factory
                    lines.append(f"    {var} = {self._name(g, factory_fn)}()")
                    lines.append("    m += 1")
                    lines += self._settle(a, var, _ANY, g, 4)
                else:
                    lines.append(f"    {var} = {self._name(g, default)}")
                    lines.append("    m += 1")
                    lines += self._settle(a, var, ("const", default), g, 4)
                lines.append("  else:")
                read, form = self._read(a.type, var, g, 4)
                if direct:
                    read += self._settle(a, var, form, g, 4)
                lines += read or ["    pass"]
            args.append(f"{a.alias}={var}")
            if direct:
                late += self._late_checks(a, var, g)
        # No other keys: the fields found (all but the m missing) are every key there is
        # (but the tag of a union member).
        known = f"{len(fields)} + ('type' in o)" if tagged else f"{len(fields)}"
        lines.append(f"  if len(o) + m != {known}: raise _Unfit")
        if setters is None:
            lines.append(f"  return {self._name(g, cls)}({', '.join(args)})")
            return lines
        lines.append(f"  r = _new({self._name(g, cls)})")
        for i, a in enumerate(fields):
            lines.append(f"  {self._name(g, setters[a.name])}(r, x{i})")
        lines += late
        if hasattr(cls, "__attrs_post_init__"):
            lines.append("  r.__attrs_post_init__()")
        lines.append("  return r")
        return lines

    # --- the checks of a directly built object ---------------------------------------------
    #
    # A directly built object gets what ``__init__`` gives it: each field's value through the
    # field's converter, every validator that reads the instance run on the whole object (in
    # field order), then ``__attrs_post_init__``. The validators of perfkit._validation that
    # read only the value run as soon as the value is known, inlined where they take it, and
    # are left out where the reader proved they pass: a ``str`` read is text, a datetime read
    # with a fixed offset is aware, an object built by a generated reader is an instance of its
    # class, a default is checked once, here. Any check that fails raises, and the caller reads
    # the document the exact way, which reports the error.

    def _settle(
        self, a: attrs.Attribute[Any], var: str, form: _Form, g: dict[str, Any], indent: int
    ) -> list[str]:
        """Statements that pass ``var`` (of form ``form``) through the field's converter and
        check it with the field's validators that read only the value."""
        pad = " " * indent
        checks = [c for c in _parts(a.validator) if _value_only(c)]
        name = self._name(g, a)
        converter = a.converter
        if converter is None or _keeps(converter, form):
            return self._checks(checks, form, var, name, g, indent)
        same = self._checks(checks, form, var, name, g, indent + 2)
        other = self._checks(checks, _ANY, var, name, g, indent + 2)
        # A converter that gives back the very object it was given left its form alone.
        return [
            f"{pad}_y = {self._name(g, converter)}({var})",
            f"{pad}if _y is not {var}:",
            f"{pad}  {var} = _y",
            *other,
            *([f"{pad}else:", *same] if same else []),
        ]

    def _checks(
        self, checks: list[Any], form: _Form, var: str, attr: str, g: dict[str, Any], indent: int
    ) -> list[str]:
        return [line for c in checks for line in self._check(c, form, var, attr, g, indent)]

    def _check(
        self, check: Any, form: _Form, var: str, attr: str, g: dict[str, Any], indent: int
    ) -> list[str]:
        """Statements that raise unless ``check`` (a validator that reads only the value)
        passes ``var`` of form ``form``: none where it provably passes, a test of the usual
        value inlined before the call, or the call."""
        pad = " " * indent
        call = f"{self._name(g, check)}(None, {attr}, {var})"
        what = v.described(check)
        if form[0] == "const":
            value = form[1]
            if _immutable(value):
                try:
                    check(None, g[attr], value)
                except Exception:  # noqa: BLE001 - the call below raises it again
                    return [f"{pad}{call}"]
                return []
            return [f"{pad}{call}"]
        if check is v._optional_identifier or (what is not None and what[0] == "optional"):
            inner = v.identifier if what is None else what[1]
            if form[0] == "none":
                return []
            if form[0] == "opt":
                found = self._check(inner, form[1], var, attr, g, indent + 2)
                return [f"{pad}if {var} is not None:", *found] if found else []
            if form[0] != "any":
                return self._check(inner, form, var, attr, g, indent)
            return [f"{pad}{call}"]
        kinds = _form_classes(form)
        if check is v.identifier and kinds == (str,):
            return [f"{pad}if not ({_usual_id(var)}): {call}"]
        if (check is v.text and kinds == (str,)) or (
            (check is v.aware_datetime and form[0] == "datetime")
            or (check is v.a_date and kinds == (date,))
        ):
            return []
        if check is v.non_empty_text and kinds == (str,):
            return [f"{pad}if not {var}.strip(): {call}"]
        if kinds == (float,):
            finite = f"{var} - {var} == 0.0"
            test = {
                v.finite_float: finite,
                v.number: finite,
                v.positive: f"{finite} and {var} > 0.0",
                v.non_negative: f"{finite} and {var} >= 0.0",
                v.weight: f"{finite} and 0.0 < {var} <= {v.MAX_WEIGHT!r}",
            }.get(check)
            if test is None and what is not None and what[0] == "between":
                low, high = self._name(g, what[1]), self._name(g, what[2])
                test = f"{finite} and {low} <= {var} <= {high}"
            if test is not None:
                return [f"{pad}if not ({test}): {call}"]
        if kinds == (int,) and check in (v.count, v.version):
            return [f"{pad}if {var} < {0 if check is v.count else 1}: {call}"]
        if what is not None and what[0] == "instance_of" and kinds:
            numeric = any(k in (int, float, Decimal) for k in what[1])
            wanted = what[1]
            if all(
                issubclass(k, wanted)
                and not (numeric and issubclass(k, bool) and bool not in wanted)
                for k in kinds
            ):
                return []
        if (
            what is not None
            and what[0] == "enum_member"
            and kinds
            and all(issubclass(k, what[1]) for k in kinds)
        ):
            return []
        if what is not None and what[0] == "each" and form[0] == "tuple":
            item = f"_i{self._count}"
            self._count += 1
            found = self._check(what[1], form[1], item, attr, g, indent + 2)
            return [f"{pad}for {item} in {var}:", *found] if found else []
        return [f"{pad}{call}"]

    def _late_checks(self, a: attrs.Attribute[Any], var: str, g: dict[str, Any]) -> list[str]:
        """The calls of the field's validators that may read the instance ``r``: run as
        ``__init__`` runs them, once every field is set."""
        out = []
        for c in _parts(a.validator):
            if _value_only(c):
                continue
            call = f"{self._name(g, c)}(r, {self._name(g, a)}, {var})"
            what = v.described(c)
            if what is not None and what[0] == "unique_ids":  # an empty tuple has no repeats
                out.append(f"  if {var}.__class__ is not tuple or {var}: {call}")
            else:
                out.append(f"  {call}")
        return out

    def _read_lines(self, t: Any, var: str, g: dict[str, Any], indent: int) -> list[str]:
        return self._read(t, var, g, indent)[0]

    def _read(self, t: Any, var: str, g: dict[str, Any], indent: int) -> tuple[list[str], _Form]:
        """Statements that turn ``var`` (plain data) into a value of type ``t`` in place, or
        raise: each does what the converter's hook for ``t`` does, for the inputs it takes;
        and the form of the value they give (see :data:`_Form`)."""
        pad = " " * indent
        if t is None:  # no annotation: cattrs passes the value through
            return [], _ANY
        hook = self.conv.get_structure_hook(t)
        mark = _marked(hook)
        if hook is _s_str:
            if t is not str and _is_enum(t):
                table = _marked(_enum_hook(t))
                assert table is not None
                return [f"{pad}{var} = {self._name(g, table[1])}[{var}]"], _members(table[1])
            return [f"{pad}if {var}.__class__ is not str: raise _Unfit"], ("str",)
        if hook is _s_int:
            return [f"{pad}if {var}.__class__ is not int: raise _Unfit"], ("int",)
        if hook is _s_float:
            return [
                f"{pad}if {var}.__class__ is not float:",
                f"{pad}  if {var}.__class__ is not int: raise _Unfit",
                f"{pad}  {var} = float({var})",
            ], ("float",)
        if hook is _s_bool:
            return [f"{pad}if {var} is not True and {var} is not False: raise _Unfit"], ("bool",)
        if hook is _s_date:
            return [
                f"{pad}if {var}.__class__ is not str: raise _Unfit",
                f"{pad}{var} = {self._name(g, date.fromisoformat)}({var})",
            ], ("date",)
        if mark is not None and mark[0] == "datetime" and mark[1] is None:
            # A fixed offset (what fromisoformat gives a zoned text): an aware datetime.
            return [
                f"{pad}if {var}.__class__ is not str: raise _Unfit",
                f"{pad}{var} = {self._name(g, datetime.fromisoformat)}({var})",
                f"{pad}if {var}.tzinfo.__class__ is not {self._name(g, timezone)}: raise _Unfit",
            ], ("datetime",)
        if mark is not None and mark[0] == "enum":
            return [f"{pad}{var} = {self._name(g, mark[1])}[{var}]"], _members(mark[1])
        if getattr(hook, "__func__", None) is cattrs.BaseConverter._structure_optional:
            inner, form = self._read(_optional_inner(t), var, g, indent + 2)
            return ([f"{pad}if {var} is not None:", *inner] if inner else []), ("opt", form)
        if mark is not None and mark[0] == "union":
            by_tag = {tag: self.reader(m) for tag, m in mark[1].items()}
            forms = [self._reader_form(m) for m in mark[1].values()]
            union: _Form = _ANY
            if forms and all(f[0] == "obj" for f in forms):
                union = ("obj", frozenset(k for f in forms for k in f[1]))
            lookup = f"{var} = {self._name(g, by_tag)}[{var}['type']]({var})"
            if type(None) in get_args(t):
                return [f"{pad}if {var} is not None: {lookup}"], ("opt", union)
            return [f"{pad}{lookup}"], union
        if mark is not None and mark[0] == "member":
            read = self._late_reader(mark[1])
            return [f"{pad}{var} = {self._name(g, read)}({var})"], self._reader_form(mark[1])
        if mark is not None and mark[0] == "tuple":
            item = mark[1]
            lines = [f"{pad}if {var}.__class__ is not list: raise _Unfit"]
            if self.conv.get_structure_hook(item) is _s_str and item is str:
                return [
                    *lines,
                    f"{pad}for _i in {var}:",
                    f"{pad}  if _i.__class__ is not str: raise _Unfit",
                    f"{pad}{var} = tuple({var})",
                ], ("tuple", ("str",))
            each, item_form = self._item_reader(item)
            return [
                *lines,
                f"{pad}{var} = tuple([{self._name(g, each)}(_i) for _i in {var}])",
            ], ("tuple", item_form)
        if isinstance(t, type) and attrs.has(t) and _is_cattrs_class_hook(hook, t, "structure"):
            read = self._late_reader(t)
            return [f"{pad}{var} = {self._name(g, read)}({var})"], self._reader_form(t)
        # Anything else: the converter's own hook (a Decimal, a FrozenMap, a fixed tuple, ...).
        return [f"{pad}{var} = {self._name(g, hook)}({var}, {self._name(g, t)})"], _ANY

    def _item_reader(self, t: Any) -> tuple[Callable[[Any], Any], _Form]:
        """The function reading one item of a tuple of ``t``, and the form of what it gives:
        the reader itself for a class with a generated reader."""
        hook = self.conv.get_structure_hook(t)
        if isinstance(t, type) and attrs.has(t) and _is_cattrs_class_hook(hook, t, "structure"):
            read = self._late_reader(t)
            return read, self._reader_form(t)
        g: dict[str, Any] = {}
        lines, form = self._read(t, "x", g, 2)
        conv = self._compile("conv", ["def conv(x):", *lines, "  return x"], g)
        return typing.cast(Callable[[Any], Any], conv), form

    # --- writers: object -> JSON text ------------------------------------------------------

    def document_writer(self, cls: Any) -> Callable[[Any], str]:
        """``dumps`` for objects of ``cls`` (an attrs class): the document around the text of
        ``unstructure(obj)``, written as ``_dump_json`` writes the document (keys sorted: data,
        schema_version, type); the converter writes what the generated writer gives up on."""
        found = self.documents.get(cls)
        if found is not None:
            return found
        write = self.writer(cls)
        unstructure_ = self.conv.unstructure
        head = '{"data":'
        tail = f',"schema_version":{SCHEMA_VERSION},"type":{_q(cls.__name__)}}}'

        def document(obj: Any) -> str:
            try:
                data = write(obj)
            except Exception:  # noqa: BLE001 - the converter writes it, or raises what it raises
                data = _dump_json(unstructure_(obj))
            return head + data + tail

        self.documents[cls] = document
        return document

    def writer(self, cls: Any) -> Callable[[Any], str]:
        """A function giving the canonical JSON text of ``unstructure(obj)`` for an object of
        class ``cls`` (dispatched on the class, as ``unstructure`` does), or raising."""
        found = self._writers.get(cls)
        if found is None:
            with self._lock:
                found = self._writers.get(cls)
                if found is None:
                    found = self._make_writer(cls)
                    self._writers[cls] = found
        return found

    def _late_writer(self, cls: Any) -> Callable[[Any], str]:
        if cls in self._building:
            return lambda obj: self.writer(cls)(obj)
        return self.writer(cls)

    def _runtime_text(self, value: Any) -> str:
        """The text of ``conv.unstructure(value)`` (dispatched on the value's class)."""
        cls = value.__class__
        fn = self._runtime.get(cls)
        if fn is None:
            with self._lock:
                g: dict[str, Any] = {}
                lines = ["def write(x):", *self._write_lines(cls, "x", "s", g, 2), "  return s"]
                fn = typing.cast(Callable[[Any], str], self._compile("write", lines, g))
                self._runtime[cls] = fn
        return fn(value)

    def _make_writer(self, cls: Any) -> Callable[[Any], str]:
        conv = self.conv
        hook = conv.get_unstructure_hook(cls)
        mark = _marked(hook)
        tagged = mark is not None and mark[0] == "member"
        if not (attrs.has(cls) and (tagged or _is_cattrs_class_hook(hook, cls, "unstructure"))):
            return lambda obj: _any_text(hook(obj))
        self._building.add(cls)
        try:
            attrs.resolve_types(cls)
            fields = [a for a in attrs.fields(cls) if a.init]
            if tagged and any(a.name == "type" for a in fields):
                return lambda obj: _any_text(hook(obj))
            g: dict[str, Any] = {}
            lines = ["def write(o):"]
            parts: list[tuple[str, str]] = []
            if tagged:
                tag = _q(getattr(cls, "kind"))  # noqa: B009 - a union member
                parts.append(("type", tag.replace("{", "{{").replace("}", "}}")))
            for i, a in enumerate(fields):
                value, text = f"v{i}", f"t{i}"
                lines.append(f"  {value} = o.{a.name}")
                lines += self._write_lines(a.type, value, text, g, 2)
                parts.append((a.name, "{" + text + "}"))
            template = (
                "{{"
                + ",".join(
                    (_q(key) + ":").replace("{", "{{").replace("}", "}}") + text
                    for key, text in sorted(parts)
                )
                + "}}"
            )
            lines.append(f"  return f{template!r}")
            return typing.cast(Callable[[Any], str], self._compile("write", lines, g))
        finally:
            self._building.discard(cls)

    def _write_lines(self, t: Any, var: str, out: str, g: dict[str, Any], indent: int) -> list[str]:
        """Statements that set ``out`` to the JSON text of what the converter's unstructure
        hook for ``t`` makes of ``var``."""
        pad = " " * indent
        if t is None:
            hook: Any = self.conv.unstructure
        else:
            hook = self.conv.get_unstructure_hook(t)
        mark = _marked(hook)
        if hook is cattrs.fns.identity:
            if t is int:
                return [f"{pad}{out} = _ir({var}) if {var}.__class__ is int else _any({var})"]
            if t is bool:
                return [
                    f"{pad}if {var} is True: {out} = 'true'",
                    f"{pad}elif {var} is False: {out} = 'false'",
                    f"{pad}else: {out} = _any({var})",
                ]
            return [f"{pad}{out} = _any({var})"]
        if hook is str:
            return [f"{pad}{out} = _q({var} if {var}.__class__ is str else str({var}))"]
        if hook is float:
            return [
                f"{pad}if {var}.__class__ is not float: {var} = float({var})",
                f"{pad}if {var} - {var} != 0.0: raise _Unfit",
                f"{pad}{out} = _fr({var})",
            ]
        if hook is _u_decimal:
            return [f"{pad}{out} = _q({self._name(g, _u_decimal)}({var}))"]
        if hook is date.isoformat or hook is datetime.isoformat:
            # ISO 8601 text has nothing to escape.
            return [f"{pad}{out} = '\"' + {self._name(g, hook)}({var}) + '\"'"]
        if hook is _u_enum:
            return [
                f"{pad}{out} = {var}.value",
                f"{pad}{out} = _q({out}) if {out}.__class__ is str else _any({out})",
            ]
        if (
            t is not None
            and _is_optional(t)
            and getattr(hook, "__name__", None) == "unstructure_optional"
        ):
            inner = self._write_lines(_optional_inner(t), var, out, g, indent + 2)
            return [f"{pad}if {var} is None: {out} = 'null'", f"{pad}else:", *inner]
        if mark is not None and mark[0] == "union":
            by_class = {m: self._late_writer(m) for m in mark[1]}
            return [
                f"{pad}if {var} is None: {out} = 'null'",
                f"{pad}else: {out} = {self._name(g, by_class)}[{var}.__class__]({var})",
            ]
        if mark is not None and mark[0] == "member":
            return [f"{pad}{out} = {self._name(g, self._late_writer(mark[1]))}({var})"]
        if mark is not None and mark[0] == "tuple":
            each = self._name(g, self._runtime_text)
            return [f"{pad}{out} = '[' + ','.join([{each}(_i) for _i in {var}]) + ']'"]
        if isinstance(t, type) and attrs.has(t) and _is_cattrs_class_hook(hook, t, "unstructure"):
            return [f"{pad}{out} = {self._name(g, self._late_writer(t))}({var})"]
        # Anything else (a FrozenMap, a fixed tuple, Any, ...): the hook, then plain JSON.
        return [f"{pad}{out} = _any({self._name(g, hook)}({var}))"]


_FAST: dict[str, _Fast] = {}


def _fast() -> _Fast:
    """The fast paths of the default converter (rebuilt with it when a union is registered)."""
    conv = get_converter()
    fast = _FAST.get("default")
    if fast is None or fast.conv is not conv:
        with _LOCK:
            fast = _FAST.get("default")
            if fast is None or fast.conv is not conv:
                fast = _Fast(conv)
                _FAST["default"] = fast
    return fast


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
    if attrs.has(cls):
        if not isinstance(data, dict):
            raise DocumentError([ValidationError("", data, "is not an object")])
        if assume_timezone is None:
            try:
                return _fast().reader(cls)(data)  # type: ignore[no-any-return]
            except Exception:  # noqa: BLE001 - the converter reads it, or says why not
                pass
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
    cls = type(obj)
    fast = _FAST.get("default")
    if fast is None or fast.conv is not _CONVERTERS.get(None):
        fast = _fast()
    write = fast.documents.get(cls)
    if write is None:
        if not attrs.has(cls):
            raise ValidationError("", obj, "is not a perfkit object")
        write = fast.document_writer(cls)
    return write(obj)


def _document_reader(cls: type[T]) -> Callable[[Any], T]:
    """For the stores: a function that builds a ``cls`` from a parsed document (what
    ``json.loads`` makes of ``dumps(obj)``), or raises anything. It takes what :func:`loads`
    takes and gives what it gives, or less: on any exception the caller runs :func:`loads` on
    the text, which reads it or reports why not."""
    read = _fast().reader(cls)
    name = cls.__name__

    def read_document(doc: Any) -> T:
        if doc.__class__ is not dict or len(doc) != 3 or doc.get("type") != name:
            raise _Unfit
        version = doc.get("schema_version")
        if version.__class__ is not int or version != SCHEMA_VERSION:
            raise _Unfit
        return read(doc["data"])  # type: ignore[no-any-return]

    return read_document


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
    members = _union_members(cls) if cls is not None else frozenset()
    if members:  # a union such as FeedbackEvent: the document names one of its classes
        names = {m.__name__: m for m in members}
        target = names.get(type_name) if isinstance(type_name, str) else None
        if target is None:
            options = " or ".join(sorted(names))
            problems.append(ValidationError("type", type_name, f"is not {options}"))
    elif cls is not None:
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

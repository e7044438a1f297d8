"""The generated fast paths of the JSON format: the converter's bytes and objects, and the
converter's errors whenever a fast path gives up."""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit import _validation as v
from perfkit._errors import DocumentError, ValidationError
from perfkit._serialization import (
    _any_text,
    _direct_setters,
    _dump_json,
    _fast,
    _flatten,
    _Unfit,
    get_converter,
    unstructure,
)
from perfkit.goals import CheckIn, Goal, Owner, OwnerKind
from perfkit.metrics import BinaryMetric, NumericMetric
from perfkit.org import Employee

from .strategies.calibration import sessions
from .strategies.common import money
from .strategies.cycles import review_cycles
from .strategies.export import cycle_results
from .strategies.feedback import constructives, logs, notes, praises, requests, responses
from .strategies.goals import check_ins, goal_sets, goals
from .strategies.org import employees, org_units, organisations
from .strategies.reviews import forms, reviews
from .strategies.scales import catalogs, numeric_scales, ordinal_scales

records = st.one_of(
    goals(),
    check_ins(),
    praises(),
    constructives(),
    notes(),
    requests(),
    responses(),
    reviews(),
    employees(),
    org_units(),
    review_cycles(),
    numeric_scales(),
    ordinal_scales(),
    forms,
    money,
)
"""What a store keeps, one record at a time."""

wholes = st.one_of(
    organisations(), goal_sets(), logs(), catalogs(), sessions(), cycle_results(max_people=3)
)
"""Values made of many records (and the cycle result, the largest document)."""


def slow_text(value: Any) -> str:
    """What dumps wrote before the fast paths: the converter, then json.dumps."""
    return _dump_json(
        {"schema_version": 1, "type": type(value).__name__, "data": unstructure(value)}
    )


def slow_structure(data: Any, cls: type) -> Any:
    """What structure did before the fast paths: the converter, its errors flattened."""
    try:
        return get_converter().structure(data, cls)
    except Exception as exc:  # noqa: BLE001 - as structure() reports them
        raise DocumentError(list(_flatten(exc, ""))) from None


def outcome(read: Any) -> tuple[str, Any]:
    """A read's result as comparable data: the value's canonical text, or the error texts."""
    try:
        value = read()
    except DocumentError as err:
        return "error", [str(e) for e in err.errors]
    return "value", slow_text(value)


# --- writing ------------------------------------------------------------------------------


@given(st.one_of(records, wholes))
def test_dumps_writes_the_bytes_the_converter_writes(value: Any) -> None:
    assert perfkit.dumps(value) == slow_text(value)
    assert _fast().writer(type(value))(value) == _dump_json(unstructure(value))


def test_floats_given_as_ints_and_decimals_leave_as_floats() -> None:
    metric = NumericMetric(baseline=0, target=10, unit="tickets")
    assert perfkit.dumps(metric) == slow_text(metric)
    assert '"baseline":0.0' in perfkit.dumps(metric)


def test_a_str_subclass_in_a_str_field_leaves_as_its_plain_value() -> None:
    class Code(enum.StrEnum):
        UNIT = "u-1"

    owner = Owner(kind=OwnerKind.UNIT, id=Code.UNIT)
    assert perfkit.dumps(owner) == slow_text(owner)
    assert '"id":"u-1"' in perfkit.dumps(owner)


def test_what_json_refuses_is_refused_as_before() -> None:
    at = datetime(2026, 1, 2, tzinfo=UTC)
    with attrs.validators.disabled():
        nan = CheckIn(id="c1", goal_id="g1", author="e1", at=at, value=float("nan"))
        no_time = CheckIn(id="c1", goal_id="g1", author="e1", at=object())  # type: ignore[arg-type]
        odd_note = CheckIn(id="c1", goal_id="g1", author="e1", at=at, note=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        perfkit.dumps(nan)
    with pytest.raises(TypeError):
        perfkit.dumps(no_time)
    assert perfkit.dumps(odd_note) == slow_text(odd_note)  # the str hook: "3"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from([OwnerKind.UNIT, 10**30, -0.0]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        | st.dictionaries(st.integers(), inner, min_size=1, max_size=2)
    ),
    max_leaves=12,
)


@given(json_values)
def test_plain_data_is_written_as_json_dumps_writes_it_or_left_to_it(value: Any) -> None:
    try:
        text = _any_text(value)
    except _Unfit:
        return  # json.dumps writes it (or refuses it) itself
    assert text == _dump_json(value)


# --- reading ------------------------------------------------------------------------------


@given(st.one_of(records, wholes))
def test_the_fast_reader_builds_what_the_converter_builds(value: Any) -> None:
    data = json.loads(perfkit.dumps(value))["data"]
    fast = _fast().reader(type(value))(data)  # it takes every valid document
    slow = get_converter().structure(data, type(value))
    assert fast == slow == value
    assert slow_text(fast) == slow_text(slow)


def _paths(data: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*here, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*here, i))
    return out


garbage = st.sampled_from(
    [None, True, False, 0, 1, -1, 2.5, 1e308, "", "x", "2026-03-31", "2026-03-31T17:00:00",
     "2026-03-31T17:00:00+02:00", "52000.00", "up", "numeric", "employee", [], ["x"], {},
     {"type": "binary"}, 10**30]
)  # fmt: skip


@st.composite
def damaged(draw: st.DrawFn) -> tuple[Any, type]:
    """A record's plain data with one change: a value replaced, a key dropped or added."""
    value = draw(records)
    data = json.loads(perfkit.dumps(value))["data"]
    path = draw(st.sampled_from(_paths(data)))
    how = draw(st.sampled_from(["replace", "drop", "add"]))
    if not path:
        return (draw(garbage) if how == "replace" else data), type(value)
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "replace":
        parent[last] = draw(garbage)
    elif how == "drop":
        del parent[last]
    elif isinstance(parent, dict):
        parent[draw(st.sampled_from(["extra", "type", "id"]))] = draw(garbage)
    return data, type(value)


@given(damaged())
def test_a_changed_document_reads_as_the_converter_reads_it(case: tuple[Any, type]) -> None:
    data, cls = case
    expected = outcome(lambda: slow_structure(data, cls))
    if not isinstance(data, dict):
        assert expected[0] == "error"
        return
    assert outcome(lambda: perfkit.structure(data, cls)) == expected


def test_a_naive_datetime_takes_the_converters_path_and_its_error() -> None:
    data = json.loads(perfkit.dumps(BinaryMetric()))["data"]
    assert perfkit.structure(data, BinaryMetric) == BinaryMetric()
    goal = json.loads(
        perfkit.dumps(
            Goal(
                id="g1",
                title="t",
                owner=Owner(kind=OwnerKind.EMPLOYEE, id="e1"),
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
                metric=BinaryMetric(),
            )
        )
    )["data"]
    goal["start_date"] = "2026-W01-1"  # an ISO week date: the converter's reading of it
    assert perfkit.structure(goal, Goal).start_date == date(2025, 12, 29)
    goal["metric"] = {"type": "nope"}
    with pytest.raises(DocumentError, match=r"metric\.type: 'nope' is not one of"):
        perfkit.structure(goal, Goal)


def test_the_fast_paths_follow_the_converter_when_unions_are_registered() -> None:
    fast = _fast()
    assert fast.conv is get_converter()
    assert _fast() is fast
    with pytest.raises(_Unfit):
        fast.reader(Employee)([])


def test_datetimes_read_back_with_their_offset() -> None:
    from perfkit.feedback import Praise

    at = datetime(2026, 3, 31, 17, 0, tzinfo=timezone(timedelta(hours=2)))
    event = Praise(id="f1", author="e1", subject="e2", at=at, text="Thanks")
    back = perfkit.loads(perfkit.dumps(event), Praise)
    assert back == event
    assert back.at.utcoffset() == timedelta(hours=2)


def _praise_data() -> dict[str, Any]:
    return {
        "id": "f1",
        "at": "2026-03-31T17:00:00+02:00",
        "author": "e1",
        "subject": "e2",
        "text": "Thanks",
        "type": "praise",
    }


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"type": "note"}, "type: 'note' is not 'praise'"),
        ({"extra": 1}, r"\['extra'\] are not known keys here"),
        ({"author": 5}, "author: 5 is not a string"),
        ({"at": "2026-03-31T17:00:00"}, "at: '2026-03-31T17:00:00' has no timezone"),
        ({"at": "yesterday"}, "at: 'yesterday' is not an ISO 8601 datetime"),
        ({"visibility": "everyone"}, "visibility: 'everyone' is not one of"),
        ({"goal_id": ""}, "goal_id: '' is not a valid id"),
        ({"text": None}, "text: None is not a string"),
    ],
)
def test_a_bad_value_gets_the_converters_error(change: dict[str, Any], error: str) -> None:
    from perfkit.feedback import Praise

    data = {**_praise_data(), **change}
    with pytest.raises(DocumentError, match=error):
        perfkit.structure(data, Praise)
    assert outcome(lambda: perfkit.structure(data, Praise)) == outcome(
        lambda: slow_structure(data, Praise)
    )


def test_a_missing_value_gets_the_converters_error() -> None:
    from perfkit.feedback import Praise

    data = _praise_data()
    del data["subject"]
    with pytest.raises(DocumentError, match="subject: is required"):
        perfkit.structure(data, Praise)
    assert perfkit.structure(_praise_data(), Praise).subject == "e2"


# --- objects built by the readers themselves ------------------------------------------------

bad_alike = {
    str: ["", " ", " e1", "e1 ", "a\x00b", "é", "x" * 201, "e1", "2026-13-01", "  \t"],
    float: [float("nan"), float("inf"), float("-inf"), -1.0, 0.0, -0.0, 1.5, 2.0, 1e10, 5e-324],
    int: [0, -1, 1, 2, 10**20],
    bool: [True, False],
}
"""Values of the JSON type a document holds, that the classes' checks may refuse."""


@st.composite
def invalid_alike(draw: st.DrawFn) -> tuple[Any, type]:
    """A record's plain data with values of the right JSON type that its checks may refuse:
    ids and texts that are empty or padded, numbers out of range or not finite, repeated
    items, the same person on both sides."""
    value = draw(records)
    data = json.loads(perfkit.dumps(value))["data"]
    paths = [p for p in _paths(data) if p]
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        old = parent[last]
        if isinstance(old, list):
            parent[last] = old + old[:1]  # a repeated item
        elif isinstance(old, dict):
            continue
        elif type(old) in bad_alike:
            parent[last] = draw(st.sampled_from([*bad_alike[type(old)], *_leaves(data)]))
    return data, type(value)


def _leaves(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [x for v in data.values() for x in _leaves(v)]
    if isinstance(data, list):
        return [x for v in data for x in _leaves(v)]
    return [data] if isinstance(data, str) else []


@given(invalid_alike())
def test_a_document_the_checks_refuse_reads_as_the_converter_reads_it(
    case: tuple[Any, type],
) -> None:
    data, cls = case
    expected = outcome(lambda: slow_structure(data, cls))
    assert outcome(lambda: perfkit.structure(data, cls)) == expected
    try:
        built = _fast().reader(cls)(data)
    except Exception:  # noqa: BLE001 - the fast path may give up on anything
        return
    assert expected == ("value", slow_text(built))  # it builds only what __init__ builds


@given(invalid_alike())
def test_with_checks_switched_off_the_readers_build_as_init_does(case: tuple[Any, type]) -> None:
    data, cls = case
    with attrs.validators.disabled():
        try:
            expected: Any = repr(slow_structure(data, cls))  # not JSON, maybe: NaN, inf
        except DocumentError as err:
            expected = [str(e) for e in err.errors]
        try:
            built = _fast().reader(cls)(data)
        except Exception:  # noqa: BLE001 - the fast path may give up on anything
            return
    assert repr(built) == expected


def _fields_of(obj: Any) -> dict[str, Any]:
    return {a.name: getattr(obj, a.name) for a in attrs.fields(type(obj))}


@given(records)
def test_a_directly_built_object_is_the_one_init_builds(value: Any) -> None:
    cls = type(value)
    data = json.loads(perfkit.dumps(value))["data"]
    built = _fast().reader(cls)(data)
    again = cls(**{a.alias: getattr(built, a.name) for a in attrs.fields(cls)})
    assert type(built) is cls
    assert _fields_of(built) == _fields_of(again) == _fields_of(value)
    assert hash(built) == hash(again)


def test_only_plain_frozen_attrs_classes_are_built_directly() -> None:
    assert _direct_setters(CheckIn) is not None
    assert _direct_setters(Goal) is not None

    @attrs.frozen
    class PreInit:
        a: str = attrs.field(validator=v.identifier)

        def __attrs_pre_init__(self) -> None:
            pass

    @attrs.frozen(cache_hash=True)
    class CachedHash:
        a: str = attrs.field(validator=v.identifier)

    @attrs.define
    class Mutable:
        a: str = attrs.field(validator=v.identifier)

    @attrs.frozen
    class Hidden:
        a: str = attrs.field(validator=v.identifier)
        b: str = attrs.field(init=False, default="x")

    @attrs.frozen
    class WithSelf:
        a: str = attrs.field(converter=attrs.Converter(lambda x, _self: x, takes_self=True))

    @attrs.frozen(slots=False)
    class NoSlots:
        a: str = attrs.field(validator=v.identifier)

    @attrs.frozen(init=False)
    class OwnInit:
        a: str = attrs.field(validator=v.identifier)

        def __init__(self, a: str) -> None:
            self.__attrs_init__(a=a)

    for cls in (PreInit, CachedHash, Mutable, Hidden, WithSelf, NoSlots, OwnInit):
        assert _direct_setters(cls) is None, cls
    for cls in (PreInit, CachedHash, Mutable, NoSlots, OwnInit):
        assert _fast().reader(cls)({"a": "e1"}) == cls(a="e1")  # type: ignore[call-arg]
        with pytest.raises(ValidationError, match="a: '' is not a valid id"):
            _fast().reader(cls)({"a": ""})


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


@attrs.frozen(kw_only=True)
class Tagged:
    """A class with a converter that changes what it is given, checks that read the instance,
    a list of checks and a factory default: what a generated reader must run as __init__ does."""

    code: str = attrs.field(converter=_lower, validator=[v.identifier, v.non_empty_text])
    owner: str = attrs.field(validator=v.identifier)
    others: tuple[str, ...] = attrs.field(
        factory=tuple,
        converter=v.tuple_of,
        validator=[v.each(v.identifier), v.unique_ids(lambda x: x, "other")],
    )
    share: float = attrs.field(default=0.5, converter=v.as_float, validator=v.between(0.0, 1.0))
    count: int = attrs.field(default=0, validator=v.count)
    seen: list[str] = attrs.field(factory=list)

    @others.validator
    def _not_the_owner(self, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        if self.owner in value:
            raise ValidationError(attribute.name, value, "holds the owner")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"code": "ABC", "owner": "o1"}, None),
        ({"code": "ABC", "owner": "o1", "others": ["x", "y"], "share": 1, "count": 3}, None),
        ({"code": "A B", "owner": "o1", "seen": ["s"]}, None),
        ({"code": " ", "owner": "o1"}, "code: ' ' is not a valid id"),
        ({"code": "a", "owner": "o1", "others": ["x", "x"]}, r"others\[1\]: 'x' repeats"),
        ({"code": "a", "owner": "o1", "others": ["o1"]}, "others: .* holds the owner"),
        ({"code": "a", "owner": "o1", "others": [""]}, r"others\[0\]: '' is not a valid id"),
        ({"code": "a", "owner": "o1", "share": 1.5}, "share: 1.5 is not between 0 and 1"),
        ({"code": "a", "owner": "o1", "share": float("nan")}, "share: nan is not a finite"),
        ({"code": "a", "owner": "o1", "count": -1}, "count: -1 is negative"),
        ({"code": "a", "owner": ""}, "owner: '' is not a valid id"),
    ],
)
def test_a_generated_reader_runs_what_init_runs(data: dict[str, Any], error: str | None) -> None:
    expected = outcome(lambda: slow_structure(data, Tagged))
    assert outcome(lambda: perfkit.structure(data, Tagged)) == expected
    if error is None:
        built = _fast().reader(Tagged)(data)
        assert built == slow_structure(data, Tagged)
        assert built.code == data["code"].lower()
        assert built.seen == data.get("seen", [])
        assert built.seen is not Tagged(code="a", owner="b").seen  # the factory, called
    else:
        with pytest.raises(DocumentError, match=error):
            perfkit.structure(data, Tagged)
        with pytest.raises(Exception):  # noqa: B017, PT011 - it gives up, as it may
            _fast().reader(Tagged)(data)


def test_a_zone_other_than_a_fixed_offset_is_left_to_the_converter() -> None:
    class Zone(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            return timedelta(hours=1)

        def dst(self, dt: datetime | None) -> timedelta:
            return timedelta(0)

        def tzname(self, dt: datetime | None) -> str:
            return "Z1"

    data = json.loads(
        perfkit.dumps(
            CheckIn(id="c1", goal_id="g1", author="e1", at=datetime(2026, 1, 1, tzinfo=UTC))
        )
    )["data"]
    assert _fast().reader(CheckIn)(data).at.tzinfo is UTC
    assert isinstance(datetime.fromisoformat(data["at"]).tzinfo, timezone)
    assert not isinstance(Zone(), timezone)


@given(
    st.sampled_from(["id", "author", "subject", "goal_id", "text"]),
    st.one_of(
        st.text(max_size=6),
        st.sampled_from(["e1", " e1", "e1 ", "\u3000e1", "a\x7fb", "é", "x" * 201, " \u2028 "]),
    ),
)
def test_any_string_in_an_id_or_text_reads_as_the_converter_reads_it(key: str, text: str) -> None:
    from perfkit.feedback import Praise

    data = {**_praise_data(), key: text}
    expected = outcome(lambda: slow_structure(data, Praise))
    assert outcome(lambda: perfkit.structure(data, Praise)) == expected

"""The generated fast paths of the JSON format: the converter's bytes and objects, and the
converter's errors whenever a fast path gives up."""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit._errors import DocumentError
from perfkit._serialization import (
    _any_text,
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

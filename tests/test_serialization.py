"""The JSON format: strict types, timezone rules, document envelope, determinism, garbage."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit import DocumentError, Money, PerfkitError, WorkflowEvent

from .strategies.common import aware_datetimes, money, simple_ids, texts

events = st.builds(
    WorkflowEvent,
    subject_type=st.sampled_from(["goal", "review", "cycle"]),
    subject_id=simple_ids,
    from_state=simple_ids,
    to_state=simple_ids,
    actor=simple_ids,
    at=aware_datetimes,
    note=texts,
)


def doc(type_name: str, data: Any, version: Any = 1) -> str:
    return json.dumps({"schema_version": version, "type": type_name, "data": data})


def event_data(**changes: Any) -> dict[str, Any]:
    base = {
        "subject_type": "goal",
        "subject_id": "g1",
        "from_state": "draft",
        "to_state": "proposed",
        "actor": "e1",
        "at": "2026-03-31T17:00:00+02:00",
        "note": "",
    }
    base.update(changes)
    return base


@given(events)
def test_workflow_events_round_trip(event: WorkflowEvent) -> None:
    text = perfkit.dumps(event)
    back = perfkit.loads(text, WorkflowEvent)
    assert back == event
    assert back.at.utcoffset() == event.at.utcoffset()
    assert perfkit.dumps(back) == text


@given(money)
def test_output_is_canonical(m: Money) -> None:
    text = perfkit.dumps(m)
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def test_datetimes_travel_as_iso_strings_with_offset() -> None:
    at = datetime(2026, 3, 31, 17, 0, tzinfo=timezone(timedelta(hours=2)))
    event = WorkflowEvent(
        subject_type="goal", subject_id="g1", from_state="a", to_state="b", actor="e1", at=at
    )
    assert perfkit.unstructure(event)["at"] == "2026-03-31T17:00:00+02:00"


def test_naive_datetime_is_refused_with_its_path() -> None:
    with pytest.raises(DocumentError, match=r"data\.at: '2026-03-31T17:00:00' has no timezone"):
        perfkit.loads(doc("WorkflowEvent", event_data(at="2026-03-31T17:00:00")), WorkflowEvent)


def test_naive_datetime_is_localised_only_when_asked() -> None:
    text = doc("WorkflowEvent", event_data(at="2026-03-31T17:00:00"))
    event = perfkit.loads(text, WorkflowEvent, assume_timezone=UTC)
    assert event.at == datetime(2026, 3, 31, 17, 0, tzinfo=UTC)


def test_naive_datetime_is_refused_in_python_too() -> None:
    with pytest.raises(perfkit.ValidationError, match="at: .* is a naive datetime"):
        WorkflowEvent(
            subject_type="goal",
            subject_id="g1",
            from_state="a",
            to_state="b",
            actor="e1",
            at=datetime(2026, 1, 1),
        )


def test_strict_primitives() -> None:
    bad = event_data(subject_id=5, note=None, at=1234)
    with pytest.raises(DocumentError) as info:
        perfkit.loads(doc("WorkflowEvent", bad), WorkflowEvent)
    found = {e.path: e.reason for e in info.value.errors}
    assert found == {
        "data.subject_id": "is not a string",
        "data.note": "is not a string",
        "data.at": "is not an ISO 8601 datetime string",
    }


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(DocumentError, match=r"\['colour'\] are not known keys"):
        perfkit.loads(doc("WorkflowEvent", event_data(colour="red")), WorkflowEvent)


def test_schema_version_and_type_are_checked() -> None:
    with pytest.raises(DocumentError) as info:
        perfkit.loads(doc("Money", {"amount": "1", "currency": "EUR"}, version=99), WorkflowEvent)
    messages = [str(e) for e in info.value.errors]
    assert messages == [
        "schema_version: 99 is not supported (this perfkit reads version 1)",
        "type: 'Money' is not WorkflowEvent",
    ]


def test_type_is_read_from_the_document() -> None:
    assert perfkit.loads(doc("Money", {"amount": "1.50", "currency": "EUR"})) == Money.of(
        "1.50", "EUR"
    )
    with pytest.raises(DocumentError, match="'Nope' is not a perfkit document type"):
        perfkit.loads(doc("Nope", {}))


def test_a_union_reads_the_class_its_document_names() -> None:
    from perfkit.feedback import FeedbackEvent, Praise
    from perfkit.metrics import Metric, NumericMetric

    praise = Praise(
        id="f1", author="e1", subject="e2", at=datetime(2026, 3, 1, tzinfo=UTC), text="Thanks"
    )
    assert perfkit.loads(perfkit.dumps(praise), FeedbackEvent) == praise
    metric = NumericMetric(unit="%", baseline=0, target=95)
    assert perfkit.loads(perfkit.dumps(metric), Metric) == metric
    with pytest.raises(DocumentError) as info:
        perfkit.loads(perfkit.dumps(praise), Metric)
    assert [str(e) for e in info.value.errors] == [
        "type: 'Praise' is not BinaryMetric or MilestoneMetric or NumericMetric"
    ]


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(DocumentError, match=r"2:5: is not valid JSON"):
        perfkit.loads('{"a":\n    ]')


def test_dumps_refuses_what_is_not_perfkit() -> None:
    with pytest.raises(perfkit.ValidationError):
        perfkit.dumps({"a": 1})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def public_attrs_classes() -> list[type]:
    return [
        obj
        for name in perfkit.__all__
        if isinstance(obj := getattr(perfkit, name), type) and attrs.has(obj)
    ]


@pytest.mark.parametrize("cls", public_attrs_classes(), ids=lambda c: c.__name__)
@given(data=json_values)
def test_garbage_documents_raise_only_perfkit_errors(cls: type, data: Any) -> None:
    with contextlib.suppress(PerfkitError):
        assert isinstance(perfkit.structure(data, cls), cls)


@pytest.mark.parametrize("cls", public_attrs_classes(), ids=lambda c: c.__name__)
@given(data=st.dictionaries(st.sampled_from(["id", "name", "at", "amount", "type"]), json_values))
def test_garbage_objects_raise_only_perfkit_errors(cls: type, data: Any) -> None:
    with contextlib.suppress(PerfkitError):
        assert isinstance(perfkit.structure(data, cls), cls)

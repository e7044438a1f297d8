"""Feedback events and the feedback log: rules, paths, queries, JSON."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit.feedback import (
    Constructive,
    FeedbackEvent,
    FeedbackLog,
    FeedbackRequest,
    FeedbackResponse,
    Note,
    NoteContext,
    Praise,
    Visibility,
)

from .strategies.feedback import events, logs, windows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def praise(id: str = "p1", at: datetime = T0, **kw: Any) -> Praise:
    fields: dict[str, Any] = {"author": "bob", "subject": "ann", "text": "Great demo"}
    return Praise(id=id, at=at, **{**fields, **kw})


def request(id: str = "q1", at: datetime = T0, **kw: Any) -> FeedbackRequest:
    fields: dict[str, Any] = {
        "author": "bob",
        "subject": "ann",
        "requested_from": ("cy", "dee"),
        "question": "How does Ann run the weekly planning?",
    }
    return FeedbackRequest(id=id, at=at, **{**fields, **kw})


def response(id: str = "a1", at: datetime = T0 + DAY, **kw: Any) -> FeedbackResponse:
    fields: dict[str, Any] = {
        "request_id": "q1",
        "author": "cy",
        "subject": "ann",
        "text": "Clear agendas.",
    }
    return FeedbackResponse(id=id, at=at, **{**fields, **kw})


# --- events -------------------------------------------------------------------------------


def test_defaults_share_praise_and_keep_notes_private() -> None:
    assert praise().visibility is Visibility.SUBJECT
    assert (
        Constructive(id="c", author="bob", subject="ann", at=T0, text="Slow down").visibility
        is Visibility.SUBJECT
    )
    note = Note(id="n", author="bob", subject="ann", at=T0, text="Discussed goals")
    assert note.visibility is Visibility.PRIVATE
    assert note.context is NoteContext.ONE_ON_ONE
    assert request().visibility is Visibility.PRIVATE
    assert response().visibility is Visibility.ANONYMOUS
    assert [v.value for v in Visibility] == ["private", "subject", "manager_chain", "anonymous"]


def test_a_person_may_note_their_own_check_in() -> None:
    own = Note(
        id="n", author="ann", subject="ann", at=T0, text="Blocked", context=NoteContext.CHECK_IN
    )
    assert own.subject == own.author


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: praise(author="ann"),
            r"subject: 'ann' is the author; praise is about someone else",
        ),
        (
            lambda: Constructive(id="c", author="ann", subject="ann", at=T0, text="x"),
            r"subject: 'ann' is the author; constructive feedback is about someone else",
        ),
        (
            lambda: response(author="ann"),
            r"subject: 'ann' is the author; a feedback response is about someone else",
        ),
        (lambda: praise(text="  "), r"text: '  ' must not be empty"),
        (lambda: praise(at=datetime(2026, 3, 2)), r"at: .* is a naive datetime"),
        (lambda: praise(visibility="public"), r"visibility: 'public' is not a Visibility"),
        (lambda: praise(goal_id=""), r"goal_id: '' is not a valid id"),
        (lambda: praise(competency=3), r"competency: 3 is not a string id"),
        (
            lambda: Note(id="n", author="a", subject="b", at=T0, text="x", context="lunch"),
            r"context: 'lunch' is not a NoteContext",
        ),
        (lambda: request(requested_from=()), r"requested_from: \(\) is empty; ask at least one"),
        (
            lambda: request(requested_from=["cy", "dee", "cy"]),
            r"requested_from\[2\]: 'cy' repeats requested_from\[0\]",
        ),
        (
            lambda: request(requested_from=["cy", "ann"]),
            r"requested_from\[1\]: 'ann' is the subject; ask others about them",
        ),
        (lambda: request(requested_from="cy"), r"requested_from: 'cy' is not a tuple"),
        (lambda: request(question=""), r"question: '' must not be empty"),
    ],
)
def test_event_rules(build: Any, message: str) -> None:
    with pytest.raises(perfkit.ValidationError, match=message):
        build()


# --- the log: rules with paths ------------------------------------------------------------

BASE = (praise(), request(), response())


@pytest.mark.parametrize(
    ("extra", "error", "message"),
    [
        (
            response(id="a2", request_id="q9"),
            perfkit.UnknownReferenceError,
            r"events\[3\]\.request_id: 'q9' is not a feedback request in the log",
        ),
        (
            response(id="a2", request_id="p1"),
            perfkit.UnknownReferenceError,
            r"events\[3\]\.request_id: 'p1' is a praise, not a request",
        ),
        (
            response(id="a2", author="eve"),
            perfkit.ValidationError,
            r"events\[3\]\.author: 'eve' was not asked by request 'q1' \(asked: cy, dee\)",
        ),
        (
            response(id="a2", author="dee", at=T0 - HOUR),
            perfkit.ValidationError,
            r"events\[3\]\.at: .* is before its request 'q1'",
        ),
        (
            response(id="a2", author="cy", at=T0 + 2 * DAY),
            perfkit.ValidationError,
            r"events\[3\]\.author: 'cy' already answered request 'q1' \(events\[2\]\)",
        ),
        (
            response(id="a2", author="dee", subject="bob"),
            perfkit.ValidationError,
            r"events\[3\]\.subject: 'bob' differs from the request's 'ann'",
        ),
        (
            praise(id="q1"),
            perfkit.ValidationError,
            r"events\[3\]: 'q1' repeats the event id of events\[1\]",
        ),
        ("not an event", perfkit.ValidationError, r"events\[3\]: 'not an event' is not a Praise"),
    ],
)
def test_log_rules_name_the_bad_event(extra: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        FeedbackLog(events=[*BASE, extra])


def test_a_response_at_the_moment_of_the_request_is_accepted() -> None:
    log = FeedbackLog(events=[request(), response(at=T0)])
    assert log.responses_to("q1") == (response(at=T0),)


def test_a_response_may_come_before_its_request_in_the_list() -> None:
    log = FeedbackLog(events=[response(), request()])
    assert [e.id for e in log.about("ann")] == ["q1", "a1"]


# --- queries ------------------------------------------------------------------------------


def make_log() -> FeedbackLog:
    paris = timezone(timedelta(hours=1))
    return FeedbackLog(
        events=[
            Note(id="n1", author="bob", subject="ann", at=T0 + 3 * DAY, text="1:1"),
            praise(id="p2", at=T0 + DAY),
            praise(id="p1", at=T0 + DAY),  # same time: ordered by id
            request(),
            response(id="a1", at=T0 + 2 * DAY),
            Constructive(
                id="c1", author="ann", subject="bob", at=(T0 + HOUR).astimezone(paris), text="Late"
            ),
            request(id="q2", subject="cy", requested_from=["ann"], at=T0 + 4 * DAY),
        ]
    )


def test_about_is_chronological_then_by_id_within_a_half_open_window() -> None:
    log = make_log()
    assert [e.id for e in log.about("ann")] == ["q1", "p1", "p2", "a1", "n1"]
    assert [e.id for e in log.about("ann", start=T0 + DAY)] == ["p1", "p2", "a1", "n1"]
    assert [e.id for e in log.about("ann", start=T0 + DAY, end=T0 + 3 * DAY)] == [
        "p1",
        "p2",
        "a1",
    ]
    assert log.about("nobody") == ()
    with pytest.raises(perfkit.ValidationError, match=r"end: .* is before start"):
        log.about("ann", start=T0 + DAY, end=T0)
    with pytest.raises(perfkit.ValidationError, match=r"start: .* is a naive datetime"):
        log.about("ann", start=datetime(2026, 1, 1))


def test_by_author_and_lookups() -> None:
    log = make_log()
    assert [e.id for e in log.by("bob")] == ["q1", "p1", "p2", "n1", "q2"]
    assert [e.id for e in log.by("ann")] == ["c1"]
    assert log.get("c1").subject == "bob"
    with pytest.raises(perfkit.NotFoundError, match=r"no feedback event with id 'zz'"):
        log.get("zz")


def test_responses_and_open_requests() -> None:
    log = make_log()
    assert [r.id for r in log.responses_to("q1")] == ["a1"]
    assert log.responses_to("q2") == ()
    with pytest.raises(perfkit.NotFoundError, match=r"no feedback request with id 'p1'"):
        log.responses_to("p1")
    assert log.awaiting("q1") == ("dee",)
    assert log.awaiting("q1", as_of=T0 + DAY) == ("cy", "dee")
    assert log.open_requests(T0 - HOUR) == ()
    assert [r.id for r in log.open_requests(T0 + 5 * DAY)] == ["q1", "q2"]
    done = log.add(response(id="a2", author="dee", at=T0 + 3 * DAY))
    assert [r.id for r in done.open_requests(T0 + 2 * DAY)] == ["q1"]
    assert [r.id for r in done.open_requests(T0 + 5 * DAY)] == ["q2"]


def test_count_by_subject() -> None:
    log = make_log()
    assert log.count_by_subject() == {"ann": 5, "bob": 1, "cy": 1}
    assert list(log.count_by_subject()) == ["ann", "bob", "cy"]
    assert log.count_by_subject(Praise) == {"ann": 2}
    assert log.count_by_subject("feedback_request") == {"ann": 1, "cy": 1}
    with pytest.raises(perfkit.ValidationError, match=r"kind: 'kudos' is not a kind of feedback"):
        log.count_by_subject("kudos")


@given(logs(), st.data())
def test_queries_match_a_brute_force_model_whatever_the_order(
    log: FeedbackLog, data: st.DataObject
) -> None:
    shuffled = FeedbackLog(events=data.draw(st.permutations(log.events)))
    start, end = data.draw(windows())
    for subject in ("ann", "bob", "cy"):
        expected = sorted(
            (
                e
                for e in log.events
                if e.subject == subject
                and (start is None or start <= e.at)
                and (end is None or e.at < end)
            ),
            key=lambda e: (e.at, e.id),
        )
        assert list(log.about(subject, start, end)) == expected
        assert shuffled.about(subject, start, end) == log.about(subject, start, end)
        assert shuffled.by(subject) == log.by(subject)
    counts: dict[str, int] = {}
    for e in log.events:
        counts[e.subject] = counts.get(e.subject, 0) + 1
    assert shuffled.count_by_subject() == counts
    for r in (e for e in log.events if isinstance(e, FeedbackRequest)):
        answers = log.responses_to(r.id)
        assert all(a.request_id == r.id and a.author in r.requested_from for a in answers)
        assert set(log.awaiting(r.id)) == set(r.requested_from) - {a.author for a in answers}
    if start is not None:
        opened = shuffled.open_requests(start)
        assert all(r.at <= start and shuffled.awaiting(r.id, start) for r in opened)


# --- JSON ---------------------------------------------------------------------------------


@given(logs())
def test_logs_round_trip(log: FeedbackLog) -> None:
    assert perfkit.loads(perfkit.dumps(log), FeedbackLog) == log


@given(events)
def test_events_round_trip_as_the_union(event: FeedbackEvent) -> None:
    data = perfkit.unstructure(event)
    assert data["type"] == event.kind
    assert perfkit.structure(data, FeedbackEvent) == event  # type: ignore[arg-type]


@given(events)
def test_events_round_trip_as_documents(event: FeedbackEvent) -> None:
    assert perfkit.loads(perfkit.dumps(event), type(event)) == event


def test_event_json_is_tagged() -> None:
    assert perfkit.unstructure(praise()) == {
        "type": "praise",
        "id": "p1",
        "author": "bob",
        "subject": "ann",
        "at": "2026-03-02T09:00:00+00:00",
        "text": "Great demo",
        "goal_id": None,
        "competency": None,
        "visibility": "subject",
    }
    bad = {**perfkit.unstructure(praise()), "type": "kudos"}
    with pytest.raises(perfkit.DocumentError, match=r"type: 'kudos' is not one of"):
        perfkit.structure(bad, FeedbackEvent)  # type: ignore[arg-type]


def test_a_bad_log_document_names_the_path() -> None:
    doc = perfkit.dumps(FeedbackLog(events=[request(), response()])).replace(
        '"request_id":"q1"', '"request_id":"q9"'
    )
    with pytest.raises(perfkit.DocumentError) as info:
        perfkit.loads(doc, FeedbackLog)
    assert [str(e) for e in info.value.errors] == [
        "data.events[1].request_id: 'q9' is not a feedback request in the log"
    ]


# --- garbage in, perfkit errors out -------------------------------------------------------

garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.text(max_size=3), max_size=2),
    st.datetimes(),
)


@given(st.text(max_size=40))
def test_garbage_documents_give_only_perfkit_errors(text: str) -> None:
    with pytest.raises(perfkit.PerfkitError):
        perfkit.loads(text, FeedbackLog)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.sampled_from([FeedbackEvent, FeedbackLog]),
    st.dictionaries(
        st.sampled_from(
            ["type", "id", "author", "subject", "at", "text", "events", "request_id", "visibility"]
        ),
        json_values,
    ),
)
def test_garbage_data_gives_only_perfkit_errors(cls: Any, data: dict[str, Any]) -> None:
    with contextlib.suppress(perfkit.PerfkitError):
        perfkit.structure(data, cls)


@given(garbage)
def test_garbage_arguments_give_only_validation_errors(value: Any) -> None:
    log = make_log()
    for call in (
        lambda: praise(author=value),
        lambda: praise(at=value),
        lambda: request(requested_from=value),
        lambda: response(request_id=value),
        lambda: FeedbackLog(events=value),
        lambda: log.about(value),
        lambda: log.about("ann", start=value),
        lambda: log.by(value),
        lambda: log.get(value),
        lambda: log.responses_to(value),
        lambda: log.awaiting("q1", value),
        lambda: log.open_requests(value),
        lambda: log.count_by_subject(value),
    ):
        with contextlib.suppress(perfkit.ValidationError, perfkit.NotFoundError):
            call()

"""Strategies for feedback events and consistent feedback logs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

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

from .common import aware_datetimes, ids, texts

people = st.sampled_from(["ann", "bob", "cy", "dee", "eve", "fay"])
visibilities = st.sampled_from(list(Visibility))
contexts = st.sampled_from(list(NoteContext))
words = st.text(min_size=1, max_size=30).filter(lambda s: bool(s.strip()))
optional_ids = st.none() | ids


@st.composite
def _two_people(draw: st.DrawFn) -> tuple[str, str]:
    author = draw(people)
    subject = draw(people.filter(lambda p: p != author))
    return author, subject


def _common(draw: st.DrawFn, event_id: str | None = None) -> dict[str, Any]:
    author, subject = draw(_two_people())
    return {
        "id": event_id if event_id is not None else draw(ids),
        "author": author,
        "subject": subject,
        "at": draw(aware_datetimes),
        "goal_id": draw(optional_ids),
        "competency": draw(optional_ids),
        "visibility": draw(visibilities),
    }


@st.composite
def praises(draw: st.DrawFn) -> Praise:
    return Praise(text=draw(words), **_common(draw))


@st.composite
def constructives(draw: st.DrawFn) -> Constructive:
    return Constructive(text=draw(words), **_common(draw))


@st.composite
def notes(draw: st.DrawFn) -> Note:
    fields = _common(draw)
    if draw(st.booleans()):
        fields["subject"] = fields["author"]  # a note about one's own check-in
    return Note(text=draw(words), context=draw(contexts), **fields)


@st.composite
def requests(draw: st.DrawFn, event_id: str | None = None) -> FeedbackRequest:
    fields = _common(draw, event_id)
    asked = draw(
        st.lists(
            people.filter(lambda p: p != fields["subject"]), min_size=1, max_size=3, unique=True
        )
    )
    return FeedbackRequest(requested_from=asked, question=draw(words), text=draw(texts), **fields)


@st.composite
def responses(draw: st.DrawFn) -> FeedbackResponse:
    """A response on its own (its request is not checked outside a log)."""
    return FeedbackResponse(request_id=draw(ids), text=draw(words), **_common(draw))


events: st.SearchStrategy[FeedbackEvent] = st.one_of(
    praises(), constructives(), notes(), requests(), responses()
)


@st.composite
def logs(draw: st.DrawFn, max_events: int = 12) -> FeedbackLog:
    """A consistent log: unique ids, responses answer earlier requests, once per person asked."""
    plain = draw(st.lists(st.one_of(praises(), constructives(), notes()), max_size=max_events // 2))
    asks = draw(st.lists(requests(), max_size=3))
    answers: list[tuple[FeedbackResponse, FeedbackRequest]] = []
    for request in asks:
        for person in request.requested_from:
            if draw(st.booleans()):
                delay = draw(st.integers(min_value=0, max_value=90 * 24 * 60))
                answer = FeedbackResponse(
                    id=draw(ids),
                    request_id=request.id,
                    author=person,
                    subject=request.subject,
                    at=request.at + timedelta(minutes=delay),
                    text=draw(words),
                    visibility=draw(visibilities),
                )
                answers.append((answer, request))
    unique: dict[str, Any] = {}
    for e in [*plain, *asks]:
        unique.setdefault(e.id, e)
    for answer, request in answers:
        if unique.get(request.id) is request:
            unique.setdefault(answer.id, answer)
    kept = list(unique.values())
    order = draw(st.permutations(range(len(kept))))
    return FeedbackLog(events=[kept[i] for i in order])


@st.composite
def windows(draw: st.DrawFn) -> tuple[datetime | None, datetime | None]:
    """A time window ``[start, end)``; either end may be open (``None``)."""
    start, end = draw(st.none() | aware_datetimes), draw(st.none() | aware_datetimes)
    if start is not None and end is not None and end < start:
        start, end = end, start
    return start, end

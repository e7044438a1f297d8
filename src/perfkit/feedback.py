"""Continuous feedback: praise, constructive feedback, 1:1 notes, and feedback requests.

Between reviews, people give each other feedback. Each piece is a *feedback event* with an author,
a subject (the person it is about), a time and a :class:`Visibility` that says who may read it.
A manager or an employee can also *request* feedback about someone from a few colleagues (360°
or peer feedback); the colleagues' answers are :class:`FeedbackResponse` events.

A :class:`FeedbackLog` holds the events of an organisation (or of one team), checks that they fit
together (responses answer a real request, from someone it asked, after it was made) and answers
the questions a team page asks: feedback about someone this quarter, what one person wrote, which
requests are still waiting.
"""

from __future__ import annotations

import enum
import functools
from datetime import datetime
from typing import Any, ClassVar

import attrs

from . import _validation as v
from ._errors import NotFoundError, UnknownReferenceError, ValidationError
from ._serialization import register_union

__all__ = [
    "Constructive",
    "FeedbackEvent",
    "FeedbackLog",
    "FeedbackRequest",
    "FeedbackResponse",
    "Note",
    "NoteContext",
    "Praise",
    "Visibility",
]


class Visibility(enum.StrEnum):
    """Who may read a piece of feedback (besides its author, who always may)."""

    PRIVATE = "private"
    """The author only (a manager's own notes)."""
    SUBJECT = "subject"
    """Shared with the person it is about."""
    MANAGER_CHAIN = "manager_chain"
    """Shared with the person it is about and their chain of managers."""
    ANONYMOUS = "anonymous"
    """The person it is about sees it, without the author's name."""


class NoteContext(enum.StrEnum):
    """Where a note was taken."""

    ONE_ON_ONE = "one_on_one"
    CHECK_IN = "check_in"


def _not_the_subject(inst: Any, what: str) -> None:
    if inst.author == inst.subject:
        raise ValidationError(
            "subject", inst.subject, f"is the author; {what} is about someone else"
        )


def _requested_from(
    inst: FeedbackRequest, attribute: attrs.Attribute[Any], value: tuple[Any, ...]
) -> None:
    if not value:
        raise ValidationError(attribute.name, value, "is empty; ask at least one person")
    seen: dict[str, int] = {}
    for i, person in enumerate(value):
        if person in seen:
            raise ValidationError(
                f"{attribute.name}[{i}]", person, f"repeats {attribute.name}[{seen[person]}]"
            )
        if person == inst.subject:
            raise ValidationError(
                f"{attribute.name}[{i}]", person, "is the subject; ask others about them"
            )
        seen[person] = i


# The fields every feedback event has are repeated in each class (rather than inherited) so
# that each class reads whole and keeps its own visibility default.


def _to_visibility(value: Any) -> Any:
    """attrs converter: a plain string value becomes the Visibility member."""
    return v.as_enum(Visibility, value)


@attrs.frozen(kw_only=True)
class Praise:
    """Recognition of something done well (shared with the subject by default)."""

    kind: ClassVar[str] = "praise"

    id: str = attrs.field(validator=v.identifier)
    author: str = attrs.field(validator=v.identifier)
    subject: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    text: str = attrs.field(validator=v.non_empty_text)
    goal_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    competency: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    visibility: Visibility = attrs.field(
        default=Visibility.SUBJECT,
        converter=_to_visibility,
        validator=v.enum_member(Visibility),
    )

    def __attrs_post_init__(self) -> None:
        _not_the_subject(self, "praise")


@attrs.frozen(kw_only=True)
class Constructive:
    """Constructive (developmental) feedback: what to do differently (shared with the subject by
    default)."""

    kind: ClassVar[str] = "constructive"

    id: str = attrs.field(validator=v.identifier)
    author: str = attrs.field(validator=v.identifier)
    subject: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    text: str = attrs.field(validator=v.non_empty_text)
    goal_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    competency: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    visibility: Visibility = attrs.field(
        default=Visibility.SUBJECT,
        converter=_to_visibility,
        validator=v.enum_member(Visibility),
    )

    def __attrs_post_init__(self) -> None:
        _not_the_subject(self, "constructive feedback")


def _to_note_context(value: Any) -> Any:
    """attrs converter: a plain string value becomes the NoteContext member."""
    return v.as_enum(NoteContext, value)


@attrs.frozen(kw_only=True)
class Note:
    """A note from a one-on-one or a check-in (private to its author by default). The author may
    be the subject: people keep notes about their own check-ins."""

    kind: ClassVar[str] = "note"

    id: str = attrs.field(validator=v.identifier)
    author: str = attrs.field(validator=v.identifier)
    subject: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    text: str = attrs.field(validator=v.non_empty_text)
    context: NoteContext = attrs.field(
        default=NoteContext.ONE_ON_ONE,
        converter=_to_note_context,
        validator=v.enum_member(NoteContext),
    )
    goal_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    competency: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    visibility: Visibility = attrs.field(
        default=Visibility.PRIVATE,
        converter=_to_visibility,
        validator=v.enum_member(Visibility),
    )


@attrs.frozen(kw_only=True)
class FeedbackRequest:
    """A request for feedback about ``subject`` from the people in ``requested_from`` (peer or
    360° feedback), with the ``question`` to answer; ``text`` may add context.

    The people asked always see the request; ``visibility`` (private by default) says whether the
    subject and their managers see it too.
    """

    kind: ClassVar[str] = "feedback_request"

    id: str = attrs.field(validator=v.identifier)
    author: str = attrs.field(validator=v.identifier)
    subject: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    requested_from: tuple[str, ...] = attrs.field(
        converter=v.tuple_of, validator=[v.each(v.identifier), _requested_from]
    )
    question: str = attrs.field(validator=v.non_empty_text)
    text: str = attrs.field(default="", validator=v.text)
    goal_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    competency: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    visibility: Visibility = attrs.field(
        default=Visibility.PRIVATE,
        converter=_to_visibility,
        validator=v.enum_member(Visibility),
    )


@attrs.frozen(kw_only=True)
class FeedbackResponse:
    """An answer to a :class:`FeedbackRequest` (``request_id``), by one of the people it asked.

    Anonymous by default: the subject reads it without the author's name (access rules withhold
    anonymous answers while there are too few of them to hide who wrote what).
    """

    kind: ClassVar[str] = "feedback_response"

    id: str = attrs.field(validator=v.identifier)
    request_id: str = attrs.field(validator=v.identifier)
    author: str = attrs.field(validator=v.identifier)
    subject: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    text: str = attrs.field(validator=v.non_empty_text)
    goal_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    competency: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    visibility: Visibility = attrs.field(
        default=Visibility.ANONYMOUS,
        converter=_to_visibility,
        validator=v.enum_member(Visibility),
    )

    def __attrs_post_init__(self) -> None:
        _not_the_subject(self, "a feedback response")


FeedbackEvent = Praise | Constructive | Note | FeedbackRequest | FeedbackResponse
"""Any feedback event (JSON: tagged by ``"type"``: ``"praise"``, ``"constructive"``, ``"note"``,
``"feedback_request"``, ``"feedback_response"``)."""
register_union(Praise, Constructive, Note, FeedbackRequest, FeedbackResponse)

_EVENT_TYPES: tuple[type[Any], ...] = (
    Praise,
    Constructive,
    Note,
    FeedbackRequest,
    FeedbackResponse,
)
_BY_KIND: dict[str, type[Any]] = {t.kind: t for t in _EVENT_TYPES}


def _chronological(event: FeedbackEvent) -> tuple[datetime, str]:
    return (event.at, event.id)


def _check_id(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(name, value, "is not a string id")
    return value


def _check_time(name: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(name, value, "is not a datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(name, value, "is a naive datetime; give it a timezone")
    return value


def _check_kind(value: object) -> type[Any] | None:
    if value is None:
        return None
    if isinstance(value, type) and value in _EVENT_TYPES:
        return value
    if isinstance(value, str) and value in _BY_KIND:
        return _BY_KIND[value]
    options = ", ".join(repr(k) for k in sorted(_BY_KIND))
    raise ValidationError("kind", value, f"is not a kind of feedback (one of {options})")


@attrs.frozen(kw_only=True)
class FeedbackLog:
    """The feedback events of an organisation, checked to fit together.

    Ids are unique. Each :class:`FeedbackResponse` names an existing :class:`FeedbackRequest`
    (``events[7].request_id``), is about the request's subject, comes from a person the request
    asked, no earlier than the request, and only once per person. Events keep the order given;
    queries answer in chronological order, then by id.
    """

    events: tuple[FeedbackEvent, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(*_EVENT_TYPES)), v.unique_ids(lambda e: e.id, "event")],
    )

    def __attrs_post_init__(self) -> None:
        by_id = self._by_id
        answered: dict[tuple[str, str], int] = {}
        for i, event in enumerate(self.events):
            if not isinstance(event, FeedbackResponse):
                continue
            at = f"events[{i}]"
            request = by_id.get(event.request_id)
            if request is None:
                raise UnknownReferenceError(
                    f"{at}.request_id", event.request_id, "is not a feedback request in the log"
                )
            if not isinstance(request, FeedbackRequest):
                raise UnknownReferenceError(
                    f"{at}.request_id", event.request_id, f"is a {request.kind}, not a request"
                )
            if event.subject != request.subject:
                raise ValidationError(
                    f"{at}.subject",
                    event.subject,
                    f"differs from the request's {request.subject!r}",
                )
            if event.author not in request.requested_from:
                raise ValidationError(
                    f"{at}.author",
                    event.author,
                    f"was not asked by request {request.id!r} "
                    f"(asked: {', '.join(request.requested_from)})",
                )
            if event.at < request.at:
                raise ValidationError(
                    f"{at}.at", event.at, f"is before its request {request.id!r} ({request.at})"
                )
            key = (request.id, event.author)
            if key in answered:
                raise ValidationError(
                    f"{at}.author",
                    event.author,
                    f"already answered request {request.id!r} (events[{answered[key]}])",
                )
            answered[key] = i

    # --- indexes (built once, on first use; not part of equality or the JSON) --------------

    @functools.cached_property
    def _by_id(self) -> dict[str, FeedbackEvent]:
        return {e.id: e for e in self.events}

    @functools.cached_property
    def _sorted(self) -> tuple[FeedbackEvent, ...]:
        return tuple(sorted(self.events, key=_chronological))

    @functools.cached_property
    def _responses(self) -> dict[str, tuple[FeedbackResponse, ...]]:
        found: dict[str, list[FeedbackResponse]] = {}
        for e in self._sorted:
            if isinstance(e, FeedbackResponse):
                found.setdefault(e.request_id, []).append(e)
        return {k: tuple(g) for k, g in found.items()}

    # --- queries ----------------------------------------------------------------------------

    def get(self, event_id: str) -> FeedbackEvent:
        """The event with this id (:class:`~perfkit.NotFoundError` if there is none)."""
        found = self._by_id.get(_check_id("event_id", event_id))
        if found is None:
            raise NotFoundError("feedback event", event_id)
        return found

    def about(
        self, subject: str, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[FeedbackEvent, ...]:
        """Every event about ``subject`` from ``start`` (included) to ``end`` (excluded),
        chronologically, then by id. Visibility is not applied here: that is for access rules."""
        who = _check_id("subject", subject)
        low = None if start is None else _check_time("start", start)
        high = None if end is None else _check_time("end", end)
        if low is not None and high is not None and high < low:
            raise ValidationError("end", high, f"is before start {low}")
        return tuple(
            e
            for e in self._sorted
            if e.subject == who and (low is None or low <= e.at) and (high is None or e.at < high)
        )

    def by(self, author: str) -> tuple[FeedbackEvent, ...]:
        """Every event ``author`` wrote, chronologically, then by id."""
        who = _check_id("author", author)
        return tuple(e for e in self._sorted if e.author == who)

    def _request(self, request_id: str) -> FeedbackRequest:
        found = self._by_id.get(_check_id("request_id", request_id))
        if not isinstance(found, FeedbackRequest):
            raise NotFoundError("feedback request", request_id)
        return found

    def responses_to(self, request_id: str) -> tuple[FeedbackResponse, ...]:
        """The answers to one request, chronologically, then by id
        (:class:`~perfkit.NotFoundError` if there is no such request)."""
        return self._responses.get(self._request(request_id).id, ())

    def awaiting(self, request_id: str, as_of: datetime | None = None) -> tuple[str, ...]:
        """The people a request asked who had not answered it by ``as_of`` (default: at all), in
        the order the request named them: whom to remind."""
        request = self._request(request_id)
        when = None if as_of is None else _check_time("as_of", as_of)
        done = {
            r.author for r in self._responses.get(request.id, ()) if when is None or r.at <= when
        }
        return tuple(p for p in request.requested_from if p not in done)

    def open_requests(self, as_of: datetime) -> tuple[FeedbackRequest, ...]:
        """The requests made by ``as_of`` that someone asked had not yet answered at ``as_of``,
        chronologically, then by id."""
        when = _check_time("as_of", as_of)
        return tuple(
            e
            for e in self._sorted
            if isinstance(e, FeedbackRequest) and e.at <= when and self.awaiting(e.id, when)
        )

    def count_by_subject(self, kind: type[Any] | str | None = None) -> dict[str, int]:
        """How many events each person is the subject of, by subject id; ``kind`` (a class such
        as :class:`Praise` or its tag ``"praise"``) counts only that kind."""
        wanted = _check_kind(kind)
        counts: dict[str, int] = {}
        for e in self.events:
            if wanted is None or isinstance(e, wanted):
                counts[e.subject] = counts.get(e.subject, 0) + 1
        return dict(sorted(counts.items()))

    def add(self, *events: FeedbackEvent) -> FeedbackLog:
        """A log with ``events`` appended (checked like any log)."""
        return FeedbackLog(events=(*self.events, *events))

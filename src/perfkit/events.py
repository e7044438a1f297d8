"""Workflow events and the small state machine every workflow shares.

Goals, reviews and review cycles move through states (a goal from *draft* to *agreed* to
*completed*). Every move is a :class:`WorkflowEvent` with the actor and the time, so a host can
show the history and notify people. A move the workflow does not allow raises
:class:`~perfkit.TransitionError` saying what is allowed instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Generic, TypeVar

import attrs

from . import _validation as v
from ._errors import TransitionError, ValidationError

__all__ = ["StateMachine", "WorkflowEvent"]

S = TypeVar("S", bound=Enum)


@attrs.frozen(kw_only=True)
class WorkflowEvent:
    """One move of one workflow: ``subject_type`` ``subject_id`` went ``from_state`` → ``to_state``.

    ``subject_type`` is ``"goal"``, ``"review"`` or ``"cycle"``; states are the enum values.
    """

    subject_type: str = attrs.field(validator=v.identifier)
    subject_id: str = attrs.field(validator=v.identifier)
    from_state: str = attrs.field(validator=v.identifier)
    to_state: str = attrs.field(validator=v.identifier)
    actor: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    note: str = attrs.field(default="", validator=v.text)


class StateMachine(Generic[S]):
    """The allowed moves of one workflow, as a table ``state → states reachable from it``."""

    def __init__(self, subject_type: str, moves: Mapping[S, frozenset[S]]) -> None:
        self.subject_type = subject_type
        self.moves: Mapping[S, frozenset[S]] = dict(moves)
        self._kind: type[Enum] = type(next(iter(self.moves)))

    def _state(self, state: object, name: str) -> S:
        if not isinstance(state, self._kind):
            options = ", ".join(repr(m.value) for m in self._kind)
            raise ValidationError(name, state, f"is not a {self.subject_type} state ({options})")
        return state  # type: ignore[return-value]

    def allowed(self, current: S) -> frozenset[S]:
        return self.moves.get(self._state(current, "current"), frozenset())

    def is_final(self, state: S) -> bool:
        return not self.allowed(state)

    def check(self, subject_id: str, current: S, target: S, why: str = "") -> None:
        """Raise :class:`TransitionError` unless ``current → target`` is an allowed move."""
        self._state(target, "target")
        if target not in self.allowed(current):
            raise TransitionError(
                f"{self.subject_type} {subject_id!r}",
                str(current.value),
                str(target.value),
                (str(s.value) for s in self.allowed(current)),
                why,
            )

    def event(
        self, subject_id: str, current: S, target: S, actor: str, at: datetime, note: str = ""
    ) -> WorkflowEvent:
        """Check the move and return the event that records it."""
        self.check(subject_id, current, target)
        return WorkflowEvent(
            subject_type=self.subject_type,
            subject_id=subject_id,
            from_state=str(current.value),
            to_state=str(target.value),
            actor=actor,
            at=at,
            note=note,
        )

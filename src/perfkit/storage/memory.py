"""The in-memory store: perfkit's reference adapter.

:class:`MemoryStore` keeps everything in Python dicts, for tests, notebooks, demos and as the
model every other adapter is compared against (the stateful test of :mod:`perfkit.testing`
drives an adapter and a ``MemoryStore`` with the same operations and compares every answer).
Simple beats clever here: the committed state is one snapshot, ``kind → id → (version,
record)`` plus the audit log and its head. A unit of work reads and writes a private copy of
it (a table is copied on its first write) and :meth:`MemoryUnitOfWork.commit` publishes it
under a lock.

Optimistic concurrency between units of work that overlap (two threads): a unit of work
remembers the operations it performed. If nobody committed since it started, its copy is
published as it is; otherwise its operations are applied again, in order, to the state now
committed — exactly as if the two units of work had run one after the other — so a save whose
``expected_version`` another unit of work has meanwhile moved on raises
:class:`~perfkit.ConcurrencyError` at commit, and nothing of that unit of work is published.
Nothing is ever written to disk: closing the store (or the process) forgets it all.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, NamedTuple, TypeVar

import attrs

from .. import _validation as v
from .._errors import (
    ConcurrencyError,
    NotFoundError,
    StoreError,
    UnknownReferenceError,
    ValidationError,
)
from .._serialization import dumps
from ..calibration import CalibrationSession
from ..cycles import ReviewCycle
from ..dataset import CycleData
from ..feedback import (
    Constructive,
    FeedbackEvent,
    FeedbackLog,
    FeedbackRequest,
    FeedbackResponse,
    Note,
    Praise,
)
from ..goals import CheckIn, Goal, GoalSet, OwnerKind
from ..org import Employee, Organisation
from ..reviews import Review
from ..run import CycleResult, EmployeeResult
from ..scales import ScaleCatalog
from ._audit import GENESIS, AuditEntry, AuditReport, entry, verify_chain
from ._checks import expected_version as _version
from ._checks import instance as _instance
from ._checks import key as _text_id
from ._checks import moment as _time
from ._protocols import (
    AuditLog,
    CalibrationRepository,
    CycleRepository,
    FeedbackRepository,
    GoalRepository,
    OrganisationRepository,
    ResultRepository,
    ReviewRepository,
)
from ._rows import InputGuard

__all__ = ["MemoryStore", "MemoryUnitOfWork"]

T = TypeVar("T")

_EVENT_TYPES = (Praise, Constructive, Note, FeedbackRequest, FeedbackResponse)
_ORG_KEY = "organisation"


# --- arguments -----------------------------------------------------------------------------


def _event(value: object, name: str = "event") -> FeedbackEvent:
    if not isinstance(value, _EVENT_TYPES):
        raise ValidationError(
            name,
            value,
            "is not a feedback event (Praise, Constructive, Note, FeedbackRequest or "
            "FeedbackResponse)",
        )
    return value


def _records(name: str, value: object) -> Iterable[Any]:
    """The argument of a bulk write: any iterable of records, but not a str (its characters)
    nor a mapping (its keys), which are never what a caller means."""
    if isinstance(value, str | bytes | bytearray | Mapping):
        raise ValidationError(name, value, "is not an iterable of records (a str or a mapping)")
    try:
        iter(value)  # type: ignore[call-overload]
    except TypeError:
        raise ValidationError(name, value, "is not an iterable of records") from None
    return value  # type: ignore[return-value]


@attrs.frozen
class _Stamp:
    """Who changes things in a unit of work, when and why: what its audit entries carry."""

    actor: str
    at: datetime
    reason: str

    @classmethod
    def of(cls, actor: object, at: object, reason: object) -> _Stamp:
        fields = attrs.fields(AuditEntry)
        v.identifier(None, fields.actor, actor)
        v.aware_datetime(None, fields.at, at)
        v.text(None, fields.reason, reason)
        return cls(actor, at, reason)  # type: ignore[arg-type]


# --- the state -----------------------------------------------------------------------------


class _Row(NamedTuple):
    version: int
    value: Any
    text: str | None  # the record's perfkit JSON, kept for audited kinds (the next "before")


_KINDS = (
    "organisation",
    "cycle",
    "inputs",  # per cycle id: the scale catalog and review forms import_data stored
    "goal",
    "check_in",
    "feedback",
    "review",
    "calibration",
    "result",
)


class _State:
    """One snapshot of everything stored: ``kind → id → _Row`` and the audit log with its head.

    Copy-on-write: :meth:`fork` shares every table (and the log) with its parent until the fork
    writes to it, so a committed snapshot is never changed.
    """

    __slots__ = ("_own", "_own_log", "head", "log", "tables")

    def __init__(
        self, tables: dict[str, dict[str, _Row]], log: list[AuditEntry], head: str | None
    ) -> None:
        self.tables = tables
        self.log = log
        self.head = head
        self._own: set[str] = set()
        self._own_log = False

    @classmethod
    def empty(cls) -> _State:
        return cls({k: {} for k in _KINDS}, [], None)

    def fork(self) -> _State:
        return _State(dict(self.tables), self.log, self.head)

    def seal(self) -> _State:
        """This state as a committed snapshot: later writes go to forks of it."""
        self._own = set()
        self._own_log = False
        return self

    def rows(self, kind: str) -> dict[str, _Row]:
        return self.tables[kind]

    def writable(self, kind: str) -> dict[str, _Row]:
        if kind not in self._own:
            self.tables[kind] = dict(self.tables[kind])
            self._own.add(kind)
        return self.tables[kind]

    def append(
        self, stamp: _Stamp, kind: str, record_id: str, before: str | None, after: str
    ) -> None:
        if not self._own_log:
            self.log = list(self.log)
            self._own_log = True
        new = entry(
            seq=len(self.log) + 1,
            actor=stamp.actor,
            at=stamp.at,
            kind=kind,
            record_id=record_id,
            before=before,
            after=after,
            reason=stamp.reason,
            prev_hash=self.head or GENESIS,
        )
        self.log.append(new)
        self.head = new.hash

    def value(self, kind: str, record_id: str, what: str) -> Any:
        row = self.tables[kind].get(record_id)
        if row is None:
            raise NotFoundError(what, record_id)
        return row.value

    def version(self, kind: str, record_id: str, what: str) -> int:
        row = self.tables[kind].get(record_id)
        if row is None:
            raise NotFoundError(what, record_id)
        return row.version

    def values(self, kind: str) -> list[Any]:
        return [row.value for row in self.tables[kind].values()]


# --- writes: each checks everything first, then changes the state ---------------------------

_Op = Callable[[_State], Any]


_ARGUMENT = {"goal": "goal", "review": "review", "cycle": "cycle", "calibration": "session"}
"""The argument that takes a record of each versioned kind, for the errors that name it."""


def _unicode(argument: str, value: Any, text: str | None = None) -> str:
    """``value``'s JSON text, refused (as the SQL stores refuse it) when it holds text that is
    not valid Unicode: a lone surrogate, which no store can keep as UTF-8."""
    text = dumps(value) if text is None else text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            argument,
            value,
            "holds text that is not valid Unicode (a lone surrogate): stores keep UTF-8 only",
        ) from None
    return text


def _save_versioned(
    state: _State,
    stamp: _Stamp,
    kind: str,
    record_id: str,
    value: Any,
    expected: int | None,
    *,
    audited: bool,
) -> int:
    current = state.rows(kind).get(record_id)
    found = None if current is None else current.version
    if expected is None and current is not None:
        raise ConcurrencyError(kind, record_id, None, found)
    if expected is not None and found != expected:
        raise ConcurrencyError(kind, record_id, expected, found)
    version = 1 if expected is None else expected + 1
    text = _unicode(_ARGUMENT[kind], value)
    if audited:
        state.append(stamp, kind, record_id, None if current is None else current.text, text)
    state.writable(kind)[record_id] = _Row(version, value, text if audited else None)
    return version


def _insert_once(state: _State, kind: str, record_id: str) -> None:
    """Check-ins and feedback events are written once and never edited."""
    if record_id in state.rows(kind):
        raise ConcurrencyError(kind, record_id, None, 1)


def _add_check_in(state: _State, check_in: CheckIn) -> None:
    _insert_once(state, "check_in", check_in.id)
    row = state.rows("goal").get(check_in.goal_id)
    if row is None:
        raise UnknownReferenceError("check_in.goal_id", check_in.goal_id, "is not a stored goal")
    try:
        row.value.metric.check(check_in)
    except ValidationError as err:
        raise err.at("check_in") from None
    _unicode("check_in", check_in)
    state.writable("check_in")[check_in.id] = _Row(1, check_in, None)


def _repath(err: ValidationError, old: str, new: str) -> ValidationError:
    """``err`` with the prefix ``old`` of its path replaced by ``new``."""
    if not err.path.startswith(old):
        return err  # pragma: no cover - FeedbackLog reports the newest event
    return type(err)(new + err.path[len(old) :], err.value, err.reason)


def _add_event(state: _State, event: FeedbackEvent) -> None:
    _insert_once(state, "feedback", event.id)
    if isinstance(event, FeedbackResponse):
        # The request and its other answers, then this one: FeedbackLog's own checks (a real
        # request, about the same person, from someone asked, not before it, only once).
        rows = state.rows("feedback")
        related: list[FeedbackEvent] = []
        request = rows.get(event.request_id)
        if request is not None:
            related.append(request.value)
        related += [
            row.value
            for row in rows.values()
            if isinstance(row.value, FeedbackResponse) and row.value.request_id == event.request_id
        ]
        try:
            FeedbackLog(events=(*related, event))
        except ValidationError as err:
            raise _repath(err, f"events[{len(related)}]", "event") from None
    _unicode("event", event)
    state.writable("feedback")[event.id] = _Row(1, event, None)


_Step = Callable[[_State, _Stamp, int, Any], None]


def _many(name: str, items: Iterable[Any], step: _Step) -> Callable[[_State, _Stamp], int]:
    """A bulk write: ``step(state, stamp, i, item)`` for each item, in order, with its errors
    named at ``name[i]``. Run it atomically: a refused item leaves nothing of the call.

    The items are taken from ``items`` as they are written (a generator is read once, lazily)
    and kept, so that a commit that must replay the write has them again.
    """
    taken: list[Any] | None = None

    def op(state: _State, stamp: _Stamp) -> int:
        nonlocal taken
        replay = taken is not None
        source: Iterable[Any] = taken if taken is not None else items
        kept: list[Any] = []
        count = 0
        for i, item in enumerate(source):
            if not replay:
                kept.append(item)
            try:
                step(state, stamp, i, item)
            except ValidationError as err:
                raise _position(err, name, i) from None
            except ConcurrencyError as err:
                raise err.at(f"{name}[{i}]") from None
            count += 1
        if not replay:
            taken = kept
        return count

    return op


def _position(err: ValidationError, name: str, index: int) -> ValidationError:
    """``err`` of one item (its path below the one-by-one argument, ``check_in.goal_id``) put
    at the item's place in the bulk argument (``check_ins[7].goal_id``)."""
    head, dot, rest = err.path.partition(".")
    where = f"{name}[{index}]"
    if head.split("[", 1)[0] in ("goal", "check_in", "event", "review", name):
        return type(err)(where + dot + rest if dot else where, err.value, err.reason)
    return err.at(where)  # pragma: no cover - every step names its item


def _goal_step(state: _State, stamp: _Stamp, i: int, item: Any) -> None:
    goal = _instance("goal", item, Goal)
    _save_versioned(state, stamp, "goal", goal.id, goal, None, audited=True)


def _check_in_step(state: _State, stamp: _Stamp, i: int, item: Any) -> None:
    _add_check_in(state, _instance("check_in", item, CheckIn))


def _event_step(state: _State, stamp: _Stamp, i: int, item: Any) -> None:
    _add_event(state, _event(item))


def _review_step(state: _State, stamp: _Stamp, i: int, item: Any) -> None:
    review = _instance("review", item, Review)
    _save_versioned(state, stamp, "review", review.id, review, None, audited=True)


def _save_result(state: _State, stamp: _Stamp, result: CycleResult) -> None:
    current = state.rows("result").get(result.cycle_id)
    text = dumps(result)
    version = 1 if current is None else current.version + 1
    state.writable("result")[result.cycle_id] = _Row(version, result, text)
    state.append(stamp, "result", result.cycle_id, None if current is None else current.text, text)


def _import(state: _State, stamp: _Stamp, data: CycleData) -> None:
    """Store a whole CycleData. Not atomic by itself: run it on a fork."""
    state.writable("organisation")[_ORG_KEY] = _Row(1, data.organisation, None)
    _save_versioned(state, stamp, "cycle", data.cycle.id, data.cycle, None, audited=False)
    for goal in data.goals.goals:
        _save_versioned(state, stamp, "goal", goal.id, goal, None, audited=True)
    for check_in in data.goals.check_ins:
        _add_check_in(state, check_in)
    events = data.feedback.events
    for event in events:
        _insert_once(state, "feedback", event.id)
    stored = state.values("feedback")
    if any(isinstance(e, FeedbackResponse) for e in events):
        # The new answers must fit the requests already stored too (one pass over the lot).
        try:
            FeedbackLog(events=(*stored, *events))
        except ValidationError as err:
            found = re.match(r"events\[(\d+)\]", err.path)
            if found is None:  # pragma: no cover - FeedbackLog names the event
                raise
            index = int(found.group(1))
            raise _repath(
                err, found.group(0), f"data.feedback.events[{index - len(stored)}]"
            ) from None
    table = state.writable("feedback")
    for event in events:
        table[event.id] = _Row(1, event, None)
    for review in data.reviews:
        _save_versioned(state, stamp, "review", review.id, review, None, audited=True)
    state.writable("inputs")[data.cycle.id] = _Row(1, (data.scales, data.forms), None)


# --- reads ---------------------------------------------------------------------------------


def _chronological(item: Any) -> tuple[datetime, str]:
    return (item.at, item.id)


def _by_id(item: Any) -> str:
    return str(item.id)


def _cycle_goals(state: _State, cycle_id: str) -> list[Goal]:
    """The goals of a cycle and the goals outside any cycle (``cycle_id`` None), which count in
    every cycle (as in CycleData), by id."""
    return sorted((g for g in state.values("goal") if g.cycle_id in (cycle_id, None)), key=_by_id)


def _cycle_check_ins(state: _State, cycle_id: str) -> list[CheckIn]:
    """The check-ins of the cycle's goals (as :func:`_cycle_goals`), chronologically, then by
    id."""
    ids = {g.id for g in _cycle_goals(state, cycle_id)}
    return sorted((c for c in state.values("check_in") if c.goal_id in ids), key=_chronological)


def _log(state: _State) -> list[FeedbackEvent]:
    return sorted(state.values("feedback"), key=_chronological)


def _cycle_reviews(state: _State, cycle_id: str, subject: str | None) -> list[Review]:
    found = (
        r
        for r in state.values("review")
        if r.cycle_id == cycle_id and (subject is None or r.subject == subject)
    )
    return sorted(found, key=_by_id)


def _organisation(state: _State) -> Organisation:
    row = state.rows("organisation").get(_ORG_KEY)
    return Organisation() if row is None else row.value


# --- the unit of work and its repositories -------------------------------------------------


class MemoryUnitOfWork:
    """One transaction on a :class:`MemoryStore`: the repositories, ``commit`` and ``rollback``.

    Reads see this unit of work's own uncommitted writes. ``commit`` publishes them and the unit
    of work goes on (later writes need another ``commit``); ``rollback`` drops them. Leaving the
    ``with`` block drops whatever was not committed, and ends the unit of work.
    """

    organisation: OrganisationRepository
    cycles: CycleRepository
    goals: GoalRepository
    feedback: FeedbackRepository
    reviews: ReviewRepository
    calibrations: CalibrationRepository
    results: ResultRepository
    audit: AuditLog

    def __init__(self, store: MemoryStore, stamp: _Stamp) -> None:
        self._store = store
        self._stamp = stamp
        self._base = store._snapshot()
        self._work = self._base.fork()
        self._ops: list[tuple[_Op, bool]] = []
        self._open = True
        self._iterations: dict[int, str] = {}  # the open iterators: token → what they read
        self._input = InputGuard()  # a bulk write reading its caller's iterable
        self._tokens = itertools.count()
        self.organisation = _Organisations(self)
        self.cycles = _Cycles(self)
        self.goals = _Goals(self)
        self.feedback = _Feedback(self)
        self.reviews = _Reviews(self)
        self.calibrations = _Calibrations(self)
        self.results = _Results(self)
        self.audit = _Audit(self)

    # --- plumbing ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self._open:
            raise StoreError(
                "this unit of work has ended (its `with` block is over); open a new one with "
                "store.transaction(actor=..., at=...)"
            )

    def _check_idle(self) -> None:
        """No iterator of this unit of work is open: a write, commit or rollback may run."""
        self._input.check()
        for what in self._iterations.values():
            raise StoreError(
                f"an iteration over {what} is still open in this unit of work: finish it or "
                "close it (it.close()) before writing, committing or rolling back"
            )

    def _state(self) -> _State:
        self._check_open()
        return self._work

    def _iterate(self, what: str, read: Callable[[_State], Iterable[T]]) -> Iterator[T]:
        """A lazy iterator over ``read(state)``: it reads on its first ``next()`` and, until it
        is exhausted or closed, keeps this unit of work from writing, committing or rolling
        back (the rules every adapter follows, although memory could do without them)."""

        def records() -> Iterator[T]:
            found = read(self._state())
            token = next(self._tokens)
            self._iterations[token] = what
            try:
                for record in found:
                    yield record
                    self._check_open()  # next() after the unit of work ended
            finally:
                self._iterations.pop(token, None)

        return records()

    def _write(self, op: Callable[[_State, _Stamp], T], *, atomic: bool = False) -> T:
        """Run a write on the private state and remember it for a commit that must replay it.

        A single-record write checks everything before it changes anything; an ``atomic`` one
        (an import) runs on a fork that replaces the private state only when it succeeded.
        """
        self._check_open()
        self._check_idle()
        stamp = self._stamp

        def run(state: _State) -> T:
            return op(state, stamp)

        if atomic:
            trial = self._work.fork()
            result = run(trial)
            self._work = trial
        else:
            result = run(self._work)
        self._ops.append((run, atomic))
        return result

    def _end(self) -> None:
        self._open = False
        self._ops = []
        self._iterations.clear()

    # --- the protocol -----------------------------------------------------------------------

    def commit(self) -> None:
        """Publish this unit of work's writes; raises ConcurrencyError (and publishes nothing)
        when a record it saved was changed by another unit of work since it read it."""
        self._check_open()
        self._check_idle()
        self._base = self._store._publish(self._base, self._work, [op for op, _ in self._ops])
        self._work = self._base.fork()
        self._ops = []

    def rollback(self) -> None:
        """Drop the writes made since the last commit; the unit of work goes on."""
        self._check_open()
        self._check_idle()
        self._base = self._store._snapshot()
        self._work = self._base.fork()
        self._ops = []

    def import_data(self, data: CycleData) -> None:
        """Store a whole cycle's inputs, all or nothing: the organisation (replacing the stored
        one), the cycle, goals, check-ins, feedback events and reviews (inserted: an id already
        stored raises ConcurrencyError), and the scale catalog and forms, kept with the cycle.
        Goals and reviews are audited like saves."""
        _instance("data", data, CycleData)
        self._write(lambda s, stamp: _import(s, stamp, data), atomic=True)

    def cycle_data(self, cycle_id: str) -> CycleData:
        """The cycle's inputs: the organisation, the cycle, its goal set (as ``goal_set``), every
        feedback event (as ``feedback.log()``), the scales and forms stored with the cycle, and
        its reviews by id."""
        key = _text_id("cycle_id", cycle_id)
        state = self._state()
        cycle = state.value("cycle", key, "cycle")
        inputs = state.rows("inputs").get(key)
        scales, forms = (ScaleCatalog(), ()) if inputs is None else inputs.value
        return CycleData(
            organisation=_organisation(state),
            cycle=cycle,
            goals=self.goals.goal_set(key),
            feedback=self.feedback.log(),
            scales=scales,
            forms=forms,
            reviews=self.reviews.by_cycle(key),
        )


class _Repository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def _state(self) -> _State:
        return self._uow._state()


class _Organisations(_Repository):
    def save(self, organisation: Organisation) -> None:
        org = _instance("organisation", organisation, Organisation)
        _unicode("organisation", org)

        def op(state: _State, _stamp: _Stamp) -> None:
            state.writable("organisation")[_ORG_KEY] = _Row(1, org, None)

        self._uow._write(op)

    def load(self) -> Organisation:
        return _organisation(self._state())

    def employee(self, employee_id: str) -> Employee:
        key = _text_id("employee_id", employee_id)
        return _organisation(self._state()).employee(key)


class _Cycles(_Repository):
    def add(self, cycle: ReviewCycle) -> None:
        c = _instance("cycle", cycle, ReviewCycle)
        self._uow._write(
            lambda s, stamp: _save_versioned(s, stamp, "cycle", c.id, c, None, audited=False)
        )

    def save(self, cycle: ReviewCycle, expected_version: int) -> int:
        c = _instance("cycle", cycle, ReviewCycle)
        n = _version(expected_version, optional=False)
        return self._uow._write(
            lambda s, stamp: _save_versioned(s, stamp, "cycle", c.id, c, n, audited=False)
        )

    def get(self, cycle_id: str) -> ReviewCycle:
        key = _text_id("cycle_id", cycle_id)
        return self._state().value("cycle", key, "cycle")  # type: ignore[no-any-return]

    def version(self, cycle_id: str) -> int:
        return self._state().version("cycle", _text_id("cycle_id", cycle_id), "cycle")

    def list(self) -> tuple[ReviewCycle, ...]:
        return tuple(sorted(self._state().values("cycle"), key=_by_id))


class _Goals(_Repository):
    def save(self, goal: Goal, expected_version: int | None = None) -> int:
        g = _instance("goal", goal, Goal)
        n = _version(expected_version, optional=True)
        return self._uow._write(
            lambda s, stamp: _save_versioned(s, stamp, "goal", g.id, g, n, audited=True)
        )

    def get(self, goal_id: str) -> Goal:
        key = _text_id("goal_id", goal_id)
        return self._state().value("goal", key, "goal")  # type: ignore[no-any-return]

    def version(self, goal_id: str) -> int:
        return self._state().version("goal", _text_id("goal_id", goal_id), "goal")

    def in_cycle(self, cycle_id: str) -> tuple[Goal, ...]:
        """The cycle's goals and the goals outside any cycle, by id."""
        key = _text_id("cycle_id", cycle_id)
        return tuple(_cycle_goals(self._state(), key))

    def of_employee(self, employee_id: str, cycle_id: str) -> tuple[Goal, ...]:
        """The goals the employee owns in the cycle (or outside any cycle), by id."""
        who = _text_id("employee_id", employee_id)
        key = _text_id("cycle_id", cycle_id)
        return tuple(
            g
            for g in _cycle_goals(self._state(), key)
            if g.owner.kind is OwnerKind.EMPLOYEE and g.owner.id == who
        )

    def add_check_in(self, check_in: CheckIn) -> None:
        c = _instance("check_in", check_in, CheckIn)
        self._uow._write(lambda s, _stamp: _add_check_in(s, c))

    def check_ins(self, goal_id: str) -> tuple[CheckIn, ...]:
        key = _text_id("goal_id", goal_id)
        state = self._state()
        state.value("goal", key, "goal")
        return tuple(
            sorted((c for c in state.values("check_in") if c.goal_id == key), key=_chronological)
        )

    def goal_set(self, cycle_id: str) -> GoalSet:
        key = _text_id("cycle_id", cycle_id)
        state = self._state()
        return GoalSet(goals=_cycle_goals(state, key), check_ins=_cycle_check_ins(state, key))

    def add_many(self, goals: Iterable[Goal]) -> int:
        """Insert new goals as ``save(goal)`` for each would, all or nothing; how many."""
        items = self._uow._input.items(_records("goals", goals), "goals.add_many")
        return self._uow._write(_many("goals", items, _goal_step), atomic=True)

    def add_check_ins(self, check_ins: Iterable[CheckIn]) -> int:
        """Record check-ins as ``add_check_in`` for each would, all or nothing; how many."""
        items = self._uow._input.items(_records("check_ins", check_ins), "goals.add_check_ins")
        return self._uow._write(_many("check_ins", items, _check_in_step), atomic=True)

    def iter_in_cycle(self, cycle_id: str) -> Iterator[Goal]:
        """The goals of :meth:`in_cycle`, lazily."""
        key = _text_id("cycle_id", cycle_id)
        return self._uow._iterate("goals", lambda s: _cycle_goals(s, key))

    def iter_check_ins(self, cycle_id: str) -> Iterator[CheckIn]:
        """The check-ins of ``goal_set(cycle_id)``, lazily."""
        key = _text_id("cycle_id", cycle_id)
        return self._uow._iterate("check-ins", lambda s: _cycle_check_ins(s, key))


class _Feedback(_Repository):
    def add(self, event: FeedbackEvent) -> None:
        e = _event(event)
        self._uow._write(lambda s, _stamp: _add_event(s, e))

    def about(
        self, subject: str, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[FeedbackEvent, ...]:
        who = _text_id("subject", subject)
        low = _time("start", start)
        high = _time("end", end)
        if low is not None and high is not None and high < low:
            raise ValidationError("end", high, f"is before start {low}")
        found = (
            e
            for e in self._state().values("feedback")
            if e.subject == who and (low is None or low <= e.at) and (high is None or e.at < high)
        )
        return tuple(sorted(found, key=_chronological))

    def log(self) -> FeedbackLog:
        """Every event, chronologically, then by id."""
        return FeedbackLog(events=_log(self._state()))

    def add_many(self, events: Iterable[FeedbackEvent]) -> int:
        """Record events as ``add(event)`` for each would, all or nothing; how many."""
        items = self._uow._input.items(_records("events", events), "feedback.add_many")
        return self._uow._write(_many("events", items, _event_step), atomic=True)

    def iter_log(self) -> Iterator[FeedbackEvent]:
        """The events of :meth:`log`, lazily."""
        return self._uow._iterate("feedback events", _log)


class _Reviews(_Repository):
    def save(self, review: Review, expected_version: int | None = None) -> int:
        r = _instance("review", review, Review)
        n = _version(expected_version, optional=True)
        return self._uow._write(
            lambda s, stamp: _save_versioned(s, stamp, "review", r.id, r, n, audited=True)
        )

    def get(self, review_id: str) -> Review:
        key = _text_id("review_id", review_id)
        return self._state().value("review", key, "review")  # type: ignore[no-any-return]

    def version(self, review_id: str) -> int:
        return self._state().version("review", _text_id("review_id", review_id), "review")

    def by_cycle(self, cycle_id: str, subject: str | None = None) -> tuple[Review, ...]:
        key = _text_id("cycle_id", cycle_id)
        who = None if subject is None else _text_id("subject", subject)
        return tuple(_cycle_reviews(self._state(), key, who))

    def add_many(self, reviews: Iterable[Review]) -> int:
        """Insert new reviews as ``save(review)`` for each would, all or nothing; how many."""
        items = self._uow._input.items(_records("reviews", reviews), "reviews.add_many")
        return self._uow._write(_many("reviews", items, _review_step), atomic=True)

    def iter_by_cycle(self, cycle_id: str, subject: str | None = None) -> Iterator[Review]:
        """The reviews of :meth:`by_cycle`, lazily."""
        key = _text_id("cycle_id", cycle_id)
        who = None if subject is None else _text_id("subject", subject)
        return self._uow._iterate("reviews", lambda s: _cycle_reviews(s, key, who))


_SESSION = "calibration session"


class _Calibrations(_Repository):
    def save(self, session: CalibrationSession, expected_version: int | None = None) -> int:
        c = _instance("session", session, CalibrationSession)
        n = _version(expected_version, optional=True)
        return self._uow._write(
            lambda s, stamp: _save_versioned(s, stamp, "calibration", c.id, c, n, audited=True)
        )

    def get(self, session_id: str) -> CalibrationSession:
        key = _text_id("session_id", session_id)
        return self._state().value("calibration", key, _SESSION)  # type: ignore[no-any-return]

    def version(self, session_id: str) -> int:
        return self._state().version("calibration", _text_id("session_id", session_id), _SESSION)


class _Results(_Repository):
    def save(self, result: CycleResult) -> None:
        r = _instance("result", result, CycleResult)
        self._uow._write(lambda s, stamp: _save_result(s, stamp, r))

    def get(self, cycle_id: str) -> CycleResult:
        key = _text_id("cycle_id", cycle_id)
        return self._state().value("result", key, "cycle result")  # type: ignore[no-any-return]

    def by_unit(self, cycle_id: str, unit_id: str) -> tuple[EmployeeResult, ...]:
        """The results of the unit's people, by employee id; empty when the cycle has none."""
        key = _text_id("cycle_id", cycle_id)
        unit = _text_id("unit_id", unit_id)
        row = self._state().rows("result").get(key)
        if row is None:
            return ()
        people = (e for e in row.value.employees if e.unit_id == unit)
        return tuple(sorted(people, key=lambda e: e.employee_id))


class _Audit(_Repository):
    def entries(self, record_id: str | None = None) -> tuple[AuditEntry, ...]:
        log = self._state().log
        if record_id is None:
            return tuple(log)
        key = _text_id("record_id", record_id)
        return tuple(e for e in log if e.record_id == key)

    def verify(self) -> AuditReport:
        state = self._state()
        return verify_chain(state.log, state.head)


# --- the store -----------------------------------------------------------------------------


class _Transaction:
    """The context manager :meth:`MemoryStore.transaction` returns."""

    def __init__(self, store: MemoryStore, stamp: _Stamp) -> None:
        self._store = store
        self._stamp = stamp
        self._uow: MemoryUnitOfWork | None = None

    def __enter__(self) -> MemoryUnitOfWork:
        if self._uow is not None:
            raise StoreError(
                "a transaction opens once; call store.transaction(...) for another unit of work"
            )
        self._uow = MemoryUnitOfWork(self._store, self._stamp)
        return self._uow

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._uow is not None:
            self._uow._end()  # whatever was not committed is dropped with the private state


class MemoryStore:
    """A store in memory: the reference adapter (see the module docstring).

    Thread-safe: units of work may run in several threads at once; commits are serialised and
    checked for conflicting saves.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _State.empty()
        self._closed = False

    def __repr__(self) -> str:
        return "MemoryStore(closed)" if self._closed else "MemoryStore()"

    def transaction(self, *, actor: str, at: datetime, reason: str = "") -> _Transaction:
        """A unit of work (use it in a ``with`` block); ``actor``, ``at`` and ``reason`` stamp
        the audit entries it writes."""
        stamp = _Stamp.of(actor, at, reason)
        self._check_open()
        return _Transaction(self, stamp)

    def close(self) -> None:
        """Forget everything; later transactions raise StoreError. Closing twice is harmless."""
        with self._lock:
            self._closed = True
            self._state = _State.empty()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("this MemoryStore is closed; create a new MemoryStore()")

    def _snapshot(self) -> _State:
        with self._lock:
            self._check_open()
            return self._state

    def _publish(self, base: _State, work: _State, ops: list[_Op]) -> _State:
        with self._lock:
            self._check_open()
            current = self._state
            if current is base:
                new = work
            else:
                # Someone committed meanwhile: replay this unit of work on what is committed
                # now, as if it had started after them. A stale save raises here, and the
                # half-replayed fork is simply dropped.
                new = current.fork()
                for op in ops:
                    op(new)
            self._state = new.seal()
            return new

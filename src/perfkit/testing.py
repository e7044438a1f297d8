"""The storage conformance suite: the tests every store adapter passes — a host's own too.

Subclass :class:`StoreConformance` in a test module and say how to make a fresh, empty store::

    import pathlib

    from perfkit.testing import StoreConformance
    from myapp.storage import MyStore


    class TestMyStore(StoreConformance):
        def make_store(self, tmp_path: pathlib.Path) -> MyStore:
            return MyStore(tmp_path / "perfkit.db")

pytest then runs every test of the class against that adapter: round trips of every kind of
record, ordering, versions and :class:`~perfkit.ConcurrencyError`, rollback, the audit log,
the host queries, ``import_data``/``cycle_data``, and a hypothesis stateful test that drives
the adapter and the reference :class:`~perfkit.storage.memory.MemoryStore` with the same random
operations and compares every answer and every error.

This module imports pytest and hypothesis, perfkit's test dependencies (``perfkit[test]``);
nothing else in perfkit imports it. For pytest's detailed assertion messages inside the suite,
call ``pytest.register_assert_rewrite("perfkit.testing")`` in your ``conftest.py``.

What the suite holds every adapter to, beyond the protocol docstrings
(:mod:`perfkit.storage._protocols`):

- Versions are the store's own (a review's or session's ``version`` field is just data): an
  insert (``expected_version=None``, ``cycles.add``) gives version 1, each save one more.
  A refused save raises ``ConcurrencyError(kind, id, expected, found)`` with ``kind`` one of
  ``"goal"``, ``"review"``, ``"calibration"``, ``"cycle"``, changes nothing, and leaves the unit
  of work usable. Check-ins and feedback events are written once: a second one with the same id
  raises ``ConcurrencyError("check_in" or "feedback", id, None, 1)``.
- ``NotFoundError(what, id)`` for a lookup of one record by id, with ``what`` one of
  ``"goal"``, ``"review"``, ``"calibration session"``, ``"cycle"``, ``"cycle result"``,
  ``"employee"`` (``goals.check_ins`` of an unknown goal too). Queries that filter (``in_cycle``,
  ``of_employee``, ``about``, ``by_cycle``, ``by_unit``, ``goal_set``) answer empty instead.
- Goals outside any cycle (``cycle_id`` None) count in every cycle, as in
  :class:`~perfkit.CycleData`: ``in_cycle``, ``of_employee``, ``goal_set`` and ``cycle_data``
  include them.
- ``goals.add_check_in`` of a check-in whose goal is not stored raises
  ``UnknownReferenceError`` at ``check_in.goal_id``; one whose reading does not fit the goal's
  metric a ``ValidationError`` below ``check_in``. ``feedback.add`` of a response applies the
  checks of :class:`~perfkit.FeedbackLog` against the stored events (``event.request_id``, ...).
  When several things are wrong, the first in this order is raised: the argument's type, an id
  already stored, a reference to nothing, the fit with what is referenced.
- A bad argument raises ``ValidationError`` whose path starts with the argument's name as the
  protocol spells it (``goal_id``, ``expected_version``, ``start``, ``data``, ...).
- The audit log: one entry per save of a goal, review, calibration session or cycle result
  (``import_data`` counts as inserting its goals and reviews); organisation, cycles,
  check-ins and feedback are not audited. ``at`` keeps its UTC offset (the hash covers
  ``at.isoformat()``).
- A unit of work may commit more than once; writes after a commit need another commit. After
  its ``with`` block, using it raises ``StoreError``; so does ``transaction()`` on a closed
  store. ``close()`` twice is harmless.
- ``import_data`` inserts (an id already stored raises ``ConcurrencyError``) and is all or
  nothing with its unit of work.
- ``cycle_data`` is compared with what was imported after :func:`normalised` (every collection
  in id order), so an adapter may return either order.
"""

from __future__ import annotations

import abc
import functools
import pathlib
import random
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, ClassVar
from uuid import uuid4

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ._errors import (
    ConcurrencyError,
    NotFoundError,
    PerfkitError,
    StoreError,
    UnknownReferenceError,
    ValidationError,
)
from ._serialization import dumps, unstructure
from .calibration import CalibrationSession
from .cycles import CycleStage
from .dataset import CycleData
from .feedback import FeedbackEvent, FeedbackLog, FeedbackRequest, FeedbackResponse, Note, Praise
from .goals import CheckIn, Goal, GoalSet, Owner, OwnerKind
from .metrics import NumericMetric
from .org import Organisation
from .reviews import Review
from .run import CycleResult, EmployeeResult, run_cycle
from .sample import sample_cycle, sample_policy
from .scales import ScaleCatalog
from .storage import Store, UnitOfWork
from .storage.memory import MemoryStore

__all__ = ["StoreConformance", "normalised"]


def normalised(data: CycleData) -> CycleData:
    """``data`` with every collection in id order (scales by id and version): what
    :meth:`~perfkit.storage.UnitOfWork.cycle_data` is compared with."""
    org = data.organisation
    return CycleData(
        organisation=Organisation(
            units=sorted(org.units, key=_key_id), employees=sorted(org.employees, key=_key_id)
        ),
        cycle=data.cycle,
        goals=GoalSet(
            goals=sorted(data.goals.goals, key=_key_id),
            check_ins=sorted(data.goals.check_ins, key=_key_id),
        ),
        feedback=FeedbackLog(events=sorted(data.feedback.events, key=_key_id)),
        scales=ScaleCatalog(
            scales=sorted(data.scales.scales, key=lambda s: (s.ref.id, s.ref.version))
        ),
        forms=sorted(data.forms, key=_key_id),
        reviews=sorted(data.reviews, key=_key_id),
    )


def _key_id(item: Any) -> str:
    return str(item.id)


# --- test data ------------------------------------------------------------------------------

_CYCLE = "fy2026"
_T0 = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
_PLUS2 = timezone(timedelta(hours=2))
_MINUS5 = timezone(timedelta(hours=-5))
_KOLKATA = timezone(timedelta(hours=5, minutes=30))


@functools.cache
def _data() -> CycleData:
    """A small sample company (8 people) with a feedback request and its answers."""
    return sample_cycle(8, seed=2026)


@functools.cache
def _result() -> CycleResult:
    """Its cycle result, with a forced distribution (so the session has adjustments)."""
    data = _data()
    at = datetime(2027, 1, 15, 12, tzinfo=UTC)
    return run_cycle(data, sample_policy(data, calibration="force"), at=at)


def _people() -> list[str]:
    return [e.id for e in _data().organisation.employees]


def _goal(
    goal_id: str,
    *,
    owner: str = "e0001",
    cycle_id: str | None = _CYCLE,
    title: str = "Cut the support backlog",
    kind: OwnerKind = OwnerKind.EMPLOYEE,
) -> Goal:
    return Goal(
        id=goal_id,
        title=title,
        owner=Owner(kind=kind, id=owner),
        cycle_id=cycle_id,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        metric=NumericMetric(baseline=0, target=10, unit="tickets"),
    )


def _check_in(check_in_id: str, goal_id: str, at: datetime, value: float = 5.0) -> CheckIn:
    return CheckIn(id=check_in_id, goal_id=goal_id, author="e0001", at=at, value=value)


def _praise(event_id: str, subject: str, at: datetime, author: str = "e0000") -> Praise:
    return Praise(id=event_id, author=author, subject=subject, at=at, text="Great demo.")


def _review(review_id: str, n: int = 1, *, cycle_id: str = _CYCLE) -> Review:
    return attrs.evolve(_data().reviews[0], id=review_id, summary=f"take {n}", cycle_id=cycle_id)


def _session(session_id: str, n: int = 1) -> CalibrationSession:
    return attrs.evolve(_result().calibration, id=session_id, name=f"Calibration {n}")


@attrs.frozen
class _Kind:
    """A kind of record people edit: its repository, how to make one, its names."""

    repo: str
    make: Callable[[str, int], Any]
    what: str


_VERSIONED = {
    "goal": _Kind("goals", lambda i, n: _goal(i, title=f"Goal, take {n}"), "goal"),
    "review": _Kind("reviews", _review, "review"),
    "calibration": _Kind("calibrations", _session, "calibration session"),
}


def _repo(uow: UnitOfWork, kind: str) -> Any:
    return getattr(uow, _VERSIONED[kind].repo)


class _Boom(Exception):
    """Raised inside a transaction to see it roll back."""


def _add_all(uow: UnitOfWork, events: Sequence[FeedbackEvent]) -> None:
    for event in events:
        uow.feedback.add(event)


def _by_unit(uow: UnitOfWork, unit_id: str) -> tuple[EmployeeResult, ...]:
    return uow.results.by_unit(_CYCLE, unit_id)


def _argument(path: str) -> str:
    """The argument a path names: ``check_in.goal_id`` → ``check_in``."""
    return path.split(".", 1)[0].split("[", 1)[0]


def _concurrency(err: pytest.ExceptionInfo[ConcurrencyError]) -> tuple[Any, ...]:
    e = err.value
    return (e.kind, e.record_id, e.expected, e.found)


# The invalid arguments every adapter names (path starts with the name).
_BAD_ARGUMENTS: list[tuple[str, Callable[[UnitOfWork], object]]] = [
    ("organisation", lambda u: u.organisation.save("acme")),  # type: ignore[arg-type]
    ("employee_id", lambda u: u.organisation.employee(7)),  # type: ignore[arg-type]
    ("cycle", lambda u: u.cycles.add(None)),  # type: ignore[arg-type]
    ("expected_version", lambda u: u.cycles.save(_data().cycle, 0)),
    ("cycle_id", lambda u: u.cycles.get(None)),  # type: ignore[arg-type]
    ("goal", lambda u: u.goals.save({"id": "g1"})),  # type: ignore[arg-type]
    ("expected_version", lambda u: u.goals.save(_goal("g1"), expected_version=True)),
    ("expected_version", lambda u: u.goals.save(_goal("g1"), expected_version="1")),  # type: ignore[arg-type]
    ("goal_id", lambda u: u.goals.get(5)),  # type: ignore[arg-type]
    ("goal_id", lambda u: u.goals.version(None)),  # type: ignore[arg-type]
    ("cycle_id", lambda u: u.goals.in_cycle(2026)),  # type: ignore[arg-type]
    ("employee_id", lambda u: u.goals.of_employee(None, _CYCLE)),  # type: ignore[arg-type]
    ("check_in", lambda u: u.goals.add_check_in(_goal("g1"))),  # type: ignore[arg-type]
    ("goal_id", lambda u: u.goals.check_ins(1)),  # type: ignore[arg-type]
    ("cycle_id", lambda u: u.goals.goal_set(None)),  # type: ignore[arg-type]
    ("event", lambda u: u.feedback.add("well done")),  # type: ignore[arg-type]
    ("subject", lambda u: u.feedback.about(3)),  # type: ignore[arg-type]
    ("start", lambda u: u.feedback.about("e0001", start=datetime(2026, 1, 1))),  # noqa: DTZ001
    ("end", lambda u: u.feedback.about("e0001", end="2026-02-01")),  # type: ignore[arg-type]
    ("end", lambda u: u.feedback.about("e0001", start=_T0, end=_T0 - timedelta(days=1))),
    ("review", lambda u: u.reviews.save(_goal("g1"))),  # type: ignore[arg-type]
    ("review_id", lambda u: u.reviews.get(["r1"])),  # type: ignore[arg-type]
    ("subject", lambda u: u.reviews.by_cycle(_CYCLE, subject=1)),  # type: ignore[arg-type]
    ("session", lambda u: u.calibrations.save(None)),  # type: ignore[arg-type]
    ("expected_version", lambda u: u.calibrations.save(_session("s1"), expected_version=-1)),
    ("session_id", lambda u: u.calibrations.version(1.5)),  # type: ignore[arg-type]
    ("result", lambda u: u.results.save(_data())),  # type: ignore[arg-type]
    ("cycle_id", lambda u: u.results.get(None)),  # type: ignore[arg-type]
    ("unit_id", lambda u: u.results.by_unit(_CYCLE, None)),  # type: ignore[arg-type]
    ("record_id", lambda u: u.audit.entries(12)),  # type: ignore[arg-type]
    ("data", lambda u: u.import_data(_data().goals)),  # type: ignore[arg-type]
    ("cycle_id", lambda u: u.cycle_data(None)),  # type: ignore[arg-type]
    ("goals", lambda u: u.goals.add_many("g1")),  # type: ignore[arg-type]
    ("goals", lambda u: u.goals.add_many({"g1": _goal("g1")})),  # type: ignore[dict-item]
    ("goals", lambda u: u.goals.add_many(None)),  # type: ignore[arg-type]
    ("check_ins", lambda u: u.goals.add_check_ins(5)),  # type: ignore[arg-type]
    ("check_ins", lambda u: u.goals.add_check_ins(_check_in("c1", "g1", _T0))),  # type: ignore[arg-type]
    ("events", lambda u: u.feedback.add_many("well done")),  # type: ignore[arg-type]
    ("events", lambda u: u.feedback.add_many(_praise("f1", "e0001", _T0))),  # type: ignore[arg-type]
    ("reviews", lambda u: u.reviews.add_many({})),
    ("reviews", lambda u: u.reviews.add_many(3.5)),  # type: ignore[arg-type]
    ("cycle_id", lambda u: u.goals.iter_in_cycle(2026)),  # type: ignore[arg-type]
    ("cycle_id", lambda u: u.goals.iter_check_ins(None)),  # type: ignore[arg-type]
    ("cycle_id", lambda u: u.reviews.iter_by_cycle(None)),  # type: ignore[arg-type]
    ("subject", lambda u: u.reviews.iter_by_cycle(_CYCLE, subject=1)),  # type: ignore[arg-type]
]


# --- streams (add_many, add_check_ins, iter_*) ------------------------------------------------

_BIG = 4_500  # more than two batches of the SQL adapters (about 2,000 rows a batch)
_DAY0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def _head(data: CycleData) -> CycleData:
    """The head of a cycle: its organisation, the cycle, its scales and forms, and nothing
    else (what ``import_data`` stores before the records are streamed in)."""
    return attrs.evolve(data, goals=GoalSet(), feedback=FeedbackLog(), reviews=())


def _stream(items: Sequence[Any]) -> Iterator[Any]:
    """``items`` as a generator: read once, lazily, with no length."""
    yield from items


def _failing(items: Sequence[Any], after: int) -> Iterator[Any]:
    """The first ``after`` items of ``items``, then ``_Boom`` (a file that breaks midway)."""
    yield from items[:after]
    raise _Boom


def _request(
    request_id: str,
    subject: str = "e0001",
    asked: tuple[str, ...] = ("e0005", "e0006"),
    at: datetime = _DAY0,
) -> FeedbackRequest:
    return FeedbackRequest(
        id=request_id,
        author="e0000",
        subject=subject,
        at=at,
        requested_from=asked,
        question="What should they keep doing?",
    )


def _answer(
    event_id: str,
    request_id: str,
    author: str = "e0005",
    subject: str = "e0001",
    at: datetime = _DAY0,
) -> FeedbackResponse:
    return FeedbackResponse(
        id=event_id,
        request_id=request_id,
        author=author,
        subject=subject,
        at=at + timedelta(hours=1),
        text="Keep writing things down.",
    )


def _many_goals(n: int, prefix: str = "g") -> list[Goal]:
    """``n`` small goals, not in id order (so that order by id and order given differ)."""
    goals = [
        _goal(f"{prefix}{i:05d}", cycle_id=(None if i % 97 == 0 else _CYCLE)) for i in range(n)
    ]
    random.Random(n).shuffle(goals)
    return goals


def _many_check_ins(n: int, goal_ids: Sequence[str], prefix: str = "c") -> list[CheckIn]:
    return [
        _check_in(
            f"{prefix}{i:05d}",
            goal_ids[i % len(goal_ids)],
            _DAY0 + timedelta(minutes=i % 611),
            i % 11,
        )
        for i in range(n)
    ]


def _many_events(n: int, prefix: str = "f") -> list[FeedbackEvent]:
    """``n`` events: praise, and a request every 500 with its two answers right after it (so
    some requests and their answers fall in different batches)."""
    events: list[FeedbackEvent] = []
    i = 0
    while len(events) < n:
        if i % 500 == 498 and len(events) + 3 <= n:
            request = _request(f"{prefix}{i:05d}-q", at=_DAY0 + timedelta(minutes=i))
            events += [
                request,
                _answer(f"{prefix}{i:05d}-a", request.id, "e0005", at=request.at),
                _answer(f"{prefix}{i:05d}-b", request.id, "e0006", at=request.at),
            ]
        else:
            events.append(
                _praise(f"{prefix}{i:05d}", f"e000{i % 7 + 1}", _DAY0 + timedelta(minutes=i % 307))
            )
        i += 1
    return events


def _many_reviews(n: int, prefix: str = "r") -> list[Review]:
    template = _data().reviews[0]
    return [attrs.evolve(template, id=f"{prefix}{i:05d}") for i in range(n)[::-1]]


def _everything(uow: UnitOfWork, cycles: Sequence[str] = (_CYCLE, "fy2027")) -> dict[str, Any]:
    """What a unit of work sees of the store, through the listings (to compare two stores, or a
    store before and after a refused call)."""
    seen: dict[str, Any] = {
        "organisation": uow.organisation.load(),
        "cycles": uow.cycles.list(),
        "log": uow.feedback.log().events,
        "audit": uow.audit.entries(),
    }
    for cycle_id in cycles:
        goals = uow.goals.in_cycle(cycle_id)
        reviews = uow.reviews.by_cycle(cycle_id)
        seen[f"goals of {cycle_id}"] = [(g, uow.goals.version(g.id)) for g in goals]
        seen[f"check-ins of {cycle_id}"] = uow.goals.goal_set(cycle_id).check_ins
        seen[f"reviews of {cycle_id}"] = [(r, uow.reviews.version(r.id)) for r in reviews]
    return seen


def _streams(uow: UnitOfWork, cycle_id: str, subject: str | None = None) -> dict[str, Any]:
    """Every iterator of a cycle, listed, next to the listing it must equal."""
    return {
        "goals": (list(uow.goals.iter_in_cycle(cycle_id)), list(uow.goals.in_cycle(cycle_id))),
        "check-ins": (
            list(uow.goals.iter_check_ins(cycle_id)),
            list(uow.goals.goal_set(cycle_id).check_ins),
        ),
        "log": (list(uow.feedback.iter_log()), list(uow.feedback.log().events)),
        "reviews": (
            list(uow.reviews.iter_by_cycle(cycle_id, subject)),
            list(uow.reviews.by_cycle(cycle_id, subject)),
        ),
    }


def _assert_streams_match(uow: UnitOfWork, cycle_id: str, subject: str | None = None) -> None:
    for name, (streamed, listed) in _streams(uow, cycle_id, subject).items():
        assert streamed == listed, f"{name}: the iterator differs from the listing"


# The writers of a stream, by the argument name their errors start with.
_WRITERS: dict[str, Callable[[UnitOfWork, Any], int]] = {
    "goals": lambda u, xs: u.goals.add_many(xs),
    "check_ins": lambda u, xs: u.goals.add_check_ins(xs),
    "events": lambda u, xs: u.feedback.add_many(xs),
    "reviews": lambda u, xs: u.reviews.add_many(xs),
}

# The iterators, by what they read (their unit of work's rules are the same).
_ITERATORS: dict[str, Callable[[UnitOfWork], Iterator[Any]]] = {
    "goals": lambda u: u.goals.iter_in_cycle(_CYCLE),
    "check-ins": lambda u: u.goals.iter_check_ins(_CYCLE),
    "log": lambda u: u.feedback.iter_log(),
    "reviews": lambda u: u.reviews.iter_by_cycle(_CYCLE),
}


def _close(it: Iterator[Any]) -> None:
    """Close an iterator of a store (they are generators: ``it.close()``)."""
    close = getattr(it, "close", None)
    assert callable(close), "a store's iterator is a generator: it has close()"
    close()


# Every kind of write, refused while an iteration is open (and commit/rollback too).
_WRITES_WHILE_ITERATING: list[tuple[str, Callable[[UnitOfWork], object]]] = [
    ("organisation.save", lambda u: u.organisation.save(_data().organisation)),
    ("cycles.add", lambda u: u.cycles.add(attrs.evolve(_data().cycle, id="fy2030"))),
    ("cycles.save", lambda u: u.cycles.save(_data().cycle, 1)),
    ("goals.save", lambda u: u.goals.save(_goal("g-new"))),
    ("goals.add_many", lambda u: u.goals.add_many([_goal("g-new")])),
    ("goals.add_check_in", lambda u: u.goals.add_check_in(_check_in("c-new", "s-g1", _T0))),
    ("goals.add_check_ins", lambda u: u.goals.add_check_ins([_check_in("c-new", "s-g1", _T0)])),
    ("feedback.add", lambda u: u.feedback.add(_praise("f-new", "e0001", _T0))),
    ("feedback.add_many", lambda u: u.feedback.add_many([_praise("f-new", "e0001", _T0)])),
    ("reviews.save", lambda u: u.reviews.save(_review("r-new"))),
    ("reviews.add_many", lambda u: u.reviews.add_many([_review("r-new")])),
    ("calibrations.save", lambda u: u.calibrations.save(_session("s-new"))),
    ("results.save", lambda u: u.results.save(_result())),
    (
        "import_data",
        lambda u: u.import_data(
            attrs.evolve(_head(_data()), cycle=attrs.evolve(_data().cycle, id="fy2031"))
        ),
    ),
    ("commit", lambda u: u.commit()),
    ("rollback", lambda u: u.rollback()),
]


def _small_cycle(uow: UnitOfWork) -> None:
    """A few records of every kind a stream reads (ids ``s-...``)."""
    uow.import_data(_head(_data()))
    uow.goals.add_many([_goal("s-g1"), _goal("s-g2"), _goal("s-g3", cycle_id=None)])
    uow.goals.add_check_ins(
        [_check_in(f"s-c{i}", f"s-g{i % 3 + 1}", _T0 + timedelta(hours=i)) for i in range(4)]
    )
    uow.feedback.add_many([_praise(f"s-f{i}", "e0001", _T0 + timedelta(hours=i)) for i in range(3)])
    uow.reviews.add_many([_review(f"s-r{i}", i) for i in range(3)])


# --- the suite --------------------------------------------------------------------------------


class StoreConformance(abc.ABC):
    """Subclass with :meth:`make_store`; pytest runs every test below against that adapter.

    ``stateful_examples`` (default: half the hypothesis profile's ``max_examples``, at least 10)
    and ``stateful_steps`` size the comparison with the reference model.
    """

    stateful_examples: ClassVar[int | None] = None
    stateful_steps: ClassVar[int] = 40

    @abc.abstractmethod
    def make_store(self, tmp_path: pathlib.Path) -> Store:
        """A fresh, empty store that keeps its files (if any) under ``tmp_path``."""

    @pytest.fixture
    def store(self, tmp_path: pathlib.Path) -> Iterator[Store]:
        made = self.make_store(tmp_path)
        try:
            yield made
        finally:
            made.close()

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def commit(
        store: Store,
        write: Callable[[UnitOfWork], Any],
        *,
        actor: str = "dana",
        at: datetime = _T0,
        reason: str = "",
    ) -> Any:
        """Run ``write`` in a unit of work and commit it."""
        with store.transaction(actor=actor, at=at, reason=reason) as uow:
            out = write(uow)
            uow.commit()
        return out

    @staticmethod
    def read(store: Store, query: Callable[[UnitOfWork], Any]) -> Any:
        """Run ``query`` in a unit of work of its own (that commits nothing)."""
        with store.transaction(actor="reader", at=_T0) as uow:
            return query(uow)

    # --- transactions -------------------------------------------------------------------------

    def test_is_a_store(self, store: Store) -> None:
        assert isinstance(store, Store)

    def test_commit_makes_writes_visible_to_later_units_of_work(self, store: Store) -> None:
        self.commit(store, lambda u: u.goals.save(_goal("g1")))
        assert self.read(store, lambda u: u.goals.get("g1")) == _goal("g1")

    def _write_one_of_each(self, uow: UnitOfWork) -> None:
        data = _data()
        uow.organisation.save(data.organisation)
        uow.cycles.add(data.cycle)
        uow.goals.save(_goal("g1"))
        uow.goals.add_check_in(_check_in("c1", "g1", _T0))
        uow.feedback.add(_praise("f1", "e0001", _T0))
        uow.reviews.save(_review("r1"))
        uow.calibrations.save(_session("s1"))
        uow.results.save(_result())

    def _assert_empty(self, store: Store) -> None:
        def look(uow: UnitOfWork) -> None:
            assert uow.organisation.load() == Organisation()
            assert uow.cycles.list() == ()
            for kind, record_id in (("goal", "g1"), ("review", "r1"), ("calibration", "s1")):
                with pytest.raises(NotFoundError):
                    _repo(uow, kind).get(record_id)
            with pytest.raises(NotFoundError):
                uow.goals.check_ins("g1")
            assert uow.feedback.log() == FeedbackLog()
            with pytest.raises(NotFoundError):
                uow.results.get(_CYCLE)
            assert uow.audit.entries() == ()

        self.read(store, look)

    def test_leaving_without_commit_rolls_everything_back(self, store: Store) -> None:
        with store.transaction(actor="dana", at=_T0) as uow:
            self._write_one_of_each(uow)
        self._assert_empty(store)

    @staticmethod
    def fail_inside(store: Store, write: Callable[[UnitOfWork], Any]) -> None:
        """Run ``write`` in a unit of work, then raise ``_Boom`` out of its block."""
        with store.transaction(actor="dana", at=_T0) as uow:
            write(uow)
            raise _Boom

    def test_an_exception_rolls_everything_back_and_propagates(self, store: Store) -> None:
        with pytest.raises(_Boom):
            self.fail_inside(store, self._write_one_of_each)
        self._assert_empty(store)

    def test_rollback_drops_uncommitted_writes_and_the_unit_of_work_goes_on(
        self, store: Store
    ) -> None:
        with store.transaction(actor="dana", at=_T0) as uow:
            uow.goals.save(_goal("g1"))
            uow.rollback()
            with pytest.raises(NotFoundError):
                uow.goals.get("g1")
            uow.goals.save(_goal("g2"))
            uow.commit()
        assert self.read(store, lambda u: u.goals.in_cycle(_CYCLE)) == (_goal("g2"),)

    def test_reads_see_their_own_uncommitted_writes(self, store: Store) -> None:
        data = _data()
        with store.transaction(actor="dana", at=_T0) as uow:
            self._write_one_of_each(uow)
            assert uow.organisation.load() == data.organisation
            assert uow.cycles.get(_CYCLE) == data.cycle
            assert uow.goals.get("g1") == _goal("g1")
            assert uow.goals.version("g1") == 1
            assert uow.goals.check_ins("g1") == (_check_in("c1", "g1", _T0),)
            assert uow.feedback.about("e0001") == (_praise("f1", "e0001", _T0),)
            assert uow.reviews.get("r1") == _review("r1")
            assert uow.calibrations.get("s1") == _session("s1")
            assert uow.results.get(_CYCLE) == _result()
            assert [e.record_id for e in uow.audit.entries()] == ["g1", "r1", "s1", _CYCLE]
        self._assert_empty(store)

    def test_writes_after_a_commit_need_another_commit(self, store: Store) -> None:
        with store.transaction(actor="dana", at=_T0) as uow:
            uow.goals.save(_goal("g1"))
            uow.commit()
            uow.goals.save(_goal("g2"))
            assert uow.goals.save(_goal("g1", title="Again"), expected_version=1) == 2
        assert self.read(store, lambda u: (u.goals.in_cycle(_CYCLE), u.goals.version("g1"))) == (
            (_goal("g1"),),
            1,
        )
        assert len(self.read(store, lambda u: u.audit.entries())) == 1

    def test_a_unit_of_work_ends_with_its_block(self, store: Store) -> None:
        with store.transaction(actor="dana", at=_T0) as uow:
            uow.goals.save(_goal("g1"))
            uow.commit()
        with pytest.raises(StoreError):
            uow.goals.get("g1")
        with pytest.raises(StoreError):
            uow.goals.save(_goal("g2"))
        with pytest.raises(StoreError):
            uow.commit()

    @pytest.mark.parametrize(
        ("name", "arguments"),
        [
            ("actor", {"actor": "", "at": _T0}),
            ("actor", {"actor": 7, "at": _T0}),
            ("at", {"actor": "dana", "at": datetime(2026, 5, 4, 9, 30)}),  # noqa: DTZ001
            ("at", {"actor": "dana", "at": "2026-05-04T09:30:00Z"}),
            ("reason", {"actor": "dana", "at": _T0, "reason": None}),
        ],
    )
    def test_transaction_arguments_are_checked(
        self, store: Store, name: str, arguments: dict[str, Any]
    ) -> None:
        with pytest.raises(ValidationError) as err, store.transaction(**arguments):
            pass  # pragma: no cover - the transaction does not open
        assert err.value.path == name

    def test_a_closed_store_refuses_new_transactions(self, store: Store) -> None:
        store.close()
        with pytest.raises(StoreError), store.transaction(actor="dana", at=_T0):
            pass  # pragma: no cover - the transaction does not open
        store.close()  # closing twice is harmless

    # --- organisation and cycles ------------------------------------------------------------

    def test_organisation_round_trip(self, store: Store) -> None:
        data, small = _data(), sample_cycle(3, seed=5).organisation
        assert self.read(store, lambda u: u.organisation.load()) == Organisation()
        self.commit(store, lambda u: u.organisation.save(data.organisation))
        assert self.read(store, lambda u: u.organisation.load()) == data.organisation
        boss = data.organisation.employees[0]
        assert self.read(store, lambda u: u.organisation.employee(boss.id)) == boss
        with pytest.raises(NotFoundError) as err:
            self.read(store, lambda u: u.organisation.employee("e9999"))
        assert (err.value.what, err.value.key) == ("employee", "e9999")
        self.commit(store, lambda u: u.organisation.save(small))
        assert self.read(store, lambda u: u.organisation.load()) == small

    def test_cycles_are_versioned_and_listed_by_id(self, store: Store) -> None:
        cycle = _data().cycle
        earlier = attrs.evolve(cycle, id="fy2025", name="FY 2025", stage=CycleStage.COMPLETED)

        def add_both(uow: UnitOfWork) -> None:
            uow.cycles.add(cycle)
            uow.cycles.add(earlier)

        self.commit(store, add_both)
        assert self.read(store, lambda u: u.cycles.list()) == (earlier, cycle)
        assert self.read(store, lambda u: u.cycles.version(_CYCLE)) == 1
        moved = attrs.evolve(cycle, stage=CycleStage.REWARDS)
        assert self.commit(store, lambda u: u.cycles.save(moved, 1)) == 2
        assert self.read(store, lambda u: (u.cycles.get(_CYCLE), u.cycles.version(_CYCLE))) == (
            moved,
            2,
        )
        with pytest.raises(ConcurrencyError) as stale:
            self.commit(store, lambda u: u.cycles.save(cycle, 1))
        assert _concurrency(stale) == ("cycle", _CYCLE, 1, 2)
        with pytest.raises(ConcurrencyError) as again:
            self.commit(store, lambda u: u.cycles.add(cycle))
        assert _concurrency(again) == ("cycle", _CYCLE, None, 2)
        with pytest.raises(ConcurrencyError) as missing:
            self.commit(store, lambda u: u.cycles.save(attrs.evolve(cycle, id="fy2030"), 1))
        assert _concurrency(missing) == ("cycle", "fy2030", 1, None)
        assert self.read(store, lambda u: u.cycles.get(_CYCLE)) == moved
        for query in (lambda u: u.cycles.get("fy2030"), lambda u: u.cycles.version("fy2030")):
            with pytest.raises(NotFoundError) as err:
                self.read(store, query)
            assert (err.value.what, err.value.key) == ("cycle", "fy2030")

    # --- versions of the records people edit ------------------------------------------------

    @pytest.mark.parametrize("kind", sorted(_VERSIONED))
    def test_versions_start_at_one_and_go_up_by_one(self, store: Store, kind: str) -> None:
        make = _VERSIONED[kind].make
        assert self.commit(store, lambda u: _repo(u, kind).save(make("x1", 1))) == 1

        def save(uow: UnitOfWork, n: int) -> int:
            return int(_repo(uow, kind).save(make("x1", n), expected_version=n - 1))

        for n in (2, 3):
            assert self.commit(store, functools.partial(save, n=n)) == n
        assert self.read(store, lambda u: _repo(u, kind).get("x1")) == make("x1", 3)
        assert self.read(store, lambda u: _repo(u, kind).version("x1")) == 3

    @pytest.mark.parametrize("kind", sorted(_VERSIONED))
    def test_a_stale_version_is_refused_and_changes_nothing(self, store: Store, kind: str) -> None:
        make = _VERSIONED[kind].make
        self.commit(store, lambda u: _repo(u, kind).save(make("x1", 1)))
        # Ann reads version 1 ...
        seen = self.read(store, lambda u: _repo(u, kind).version("x1"))
        # ... Bob saves on top of it ...
        self.commit(store, lambda u: _repo(u, kind).save(make("x1", 2), expected_version=seen))
        # ... and Ann's save, made on version 1, is refused.
        with store.transaction(actor="ann", at=_T0) as uow:
            with pytest.raises(ConcurrencyError) as err:
                _repo(uow, kind).save(make("x1", 3), expected_version=seen)
            assert _concurrency(err) == (kind, "x1", 1, 2)
            assert _repo(uow, kind).get("x1") == make("x1", 2)
            assert _repo(uow, kind).version("x1") == 2
            assert len(uow.audit.entries()) == 2
            uow.commit()
        assert self.read(store, lambda u: _repo(u, kind).get("x1")) == make("x1", 2)
        # The unit of work goes on after a refused save: Ann re-applies on version 2.
        with store.transaction(actor="ann", at=_T0) as uow:
            with pytest.raises(ConcurrencyError):
                _repo(uow, kind).save(make("x1", 3), expected_version=1)
            assert _repo(uow, kind).save(make("x1", 3), expected_version=2) == 3
            uow.commit()
        assert self.read(store, lambda u: _repo(u, kind).get("x1")) == make("x1", 3)

    @pytest.mark.parametrize("kind", sorted(_VERSIONED))
    def test_inserting_an_existing_id_is_refused(self, store: Store, kind: str) -> None:
        make = _VERSIONED[kind].make
        self.commit(store, lambda u: _repo(u, kind).save(make("x1", 1)))
        with pytest.raises(ConcurrencyError) as err:
            self.commit(store, lambda u: _repo(u, kind).save(make("x1", 2)))
        assert _concurrency(err) == (kind, "x1", None, 1)
        assert "already exists" in str(err.value)
        assert self.read(store, lambda u: _repo(u, kind).get("x1")) == make("x1", 1)

    @pytest.mark.parametrize("kind", sorted(_VERSIONED))
    def test_updating_a_missing_record_is_refused(self, store: Store, kind: str) -> None:
        make = _VERSIONED[kind].make
        with pytest.raises(ConcurrencyError) as err:
            self.commit(store, lambda u: _repo(u, kind).save(make("x1", 1), expected_version=3))
        assert _concurrency(err) == (kind, "x1", 3, None)
        with pytest.raises(NotFoundError):
            self.read(store, lambda u: _repo(u, kind).get("x1"))

    @pytest.mark.parametrize("kind", sorted(_VERSIONED))
    def test_unknown_ids_are_not_found(self, store: Store, kind: str) -> None:
        what = _VERSIONED[kind].what

        def call(uow: UnitOfWork, method: str) -> object:
            return getattr(_repo(uow, kind), method)("nope")

        for method in ("get", "version"):
            with pytest.raises(NotFoundError) as err:
                self.read(store, functools.partial(call, method=method))
            assert (err.value.what, err.value.key) == (what, "nope")

    @pytest.mark.parametrize("key", ["", " padded", "padded ", "a\x00b", "x" * 201, "\ud800"])
    def test_keys_no_record_can_have_find_nothing(self, store: Store, key: str) -> None:
        """A key that no record can have (not an id) is looked up like any other: a get is
        NotFoundError naming it, a listing is empty, in every store."""

        def look(uow: UnitOfWork) -> None:
            for what, get in (
                ("goal", uow.goals.get),
                ("goal", uow.goals.check_ins),
                ("review", uow.reviews.get),
                ("calibration session", uow.calibrations.get),
                ("cycle", uow.cycles.get),
            ):
                with pytest.raises(NotFoundError) as err:
                    get(key)
                assert err.value.key == key, what
            assert uow.goals.in_cycle(key) == ()
            assert uow.goals.of_employee(key, _CYCLE) == ()
            assert uow.reviews.by_cycle(key) == ()
            assert uow.reviews.by_cycle(_CYCLE, key) == ()
            assert uow.feedback.about(key) == ()
            assert list(uow.goals.iter_in_cycle(key)) == []
            assert uow.audit.entries(key) == ()

        self.read(store, look)

    # --- goals and check-ins ----------------------------------------------------------------

    def test_goals_of_a_cycle_and_of_an_employee_by_id(self, store: Store) -> None:
        goals = [
            _goal("g-b"),
            _goal("g-x", cycle_id=None),
            _goal("g-a"),
            _goal("g-later", cycle_id="fy2027"),
            _goal("g-c", owner="e0002"),
            _goal("g-u", owner="u01", kind=OwnerKind.UNIT),
        ]
        self.commit(store, lambda u: [u.goals.save(g) for g in goals])
        by_id = {g.id: g for g in goals}

        def pick(*ids: str) -> tuple[Goal, ...]:
            return tuple(by_id[i] for i in ids)

        assert self.read(store, lambda u: u.goals.in_cycle(_CYCLE)) == pick(
            "g-a", "g-b", "g-c", "g-u", "g-x"
        )
        assert self.read(store, lambda u: u.goals.in_cycle("fy2027")) == pick("g-later", "g-x")
        assert self.read(store, lambda u: u.goals.of_employee("e0001", _CYCLE)) == pick(
            "g-a", "g-b", "g-x"
        )
        assert self.read(store, lambda u: u.goals.of_employee("u01", _CYCLE)) == ()
        assert self.read(store, lambda u: u.goals.of_employee("e0009", _CYCLE)) == ()

    def test_check_ins_are_chronological_then_by_id(self, store: Store) -> None:
        # c-early is at 08:00 UTC written as 10:00+02:00: later as text, earlier in time.
        early = datetime(2026, 3, 2, 10, 0, tzinfo=_PLUS2)
        nine = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        same = datetime(2026, 3, 2, 4, 0, tzinfo=_MINUS5)  # the same moment as `nine`
        items = [
            _check_in("c-z", "g1", nine),
            _check_in("c-late", "g1", datetime(2026, 4, 1, 9, tzinfo=UTC), 7),
            _check_in("c-a", "g1", same),
            _check_in("c-early", "g1", early, 2),
            _check_in("c-other", "g2", early),
        ]

        def write(uow: UnitOfWork) -> None:
            uow.goals.save(_goal("g1"))
            uow.goals.save(_goal("g2"))
            for c in items:
                uow.goals.add_check_in(c)

        self.commit(store, write)
        found = self.read(store, lambda u: u.goals.check_ins("g1"))
        assert [c.id for c in found] == ["c-early", "c-a", "c-z", "c-late"]
        assert [c.at.utcoffset() for c in found] == [
            timedelta(hours=2),
            timedelta(hours=-5),
            timedelta(0),
            timedelta(0),
        ]
        assert self.read(store, lambda u: u.goals.check_ins("g2")) == (items[-1],)
        with pytest.raises(NotFoundError) as err:
            self.read(store, lambda u: u.goals.check_ins("g9"))
        assert (err.value.what, err.value.key) == ("goal", "g9")

    def test_check_ins_need_a_stored_goal_that_fits_and_a_new_id(self, store: Store) -> None:
        self.commit(store, lambda u: u.goals.save(_goal("g1")))
        with store.transaction(actor="dana", at=_T0) as uow:
            with pytest.raises(UnknownReferenceError) as unknown:
                uow.goals.add_check_in(_check_in("c1", "g9", _T0))
            assert unknown.value.path == "check_in.goal_id"
            misfit = CheckIn(id="c1", goal_id="g1", author="e0001", at=_T0, done=True)
            with pytest.raises(ValidationError) as bad:
                uow.goals.add_check_in(misfit)
            assert bad.value.path.startswith("check_in.")
            uow.goals.add_check_in(_check_in("c1", "g1", _T0))
            with pytest.raises(ConcurrencyError) as twice:
                uow.goals.add_check_in(_check_in("c1", "g1", _T0 + timedelta(days=1)))
            assert _concurrency(twice) == ("check_in", "c1", None, 1)
            uow.commit()
        assert self.read(store, lambda u: u.goals.check_ins("g1")) == (_check_in("c1", "g1", _T0),)

    def test_goal_set_of_a_cycle(self, store: Store) -> None:
        def write(uow: UnitOfWork) -> None:
            uow.goals.save(_goal("g2"))
            uow.goals.save(_goal("g1", cycle_id=None))
            uow.goals.save(_goal("g3", cycle_id="fy2027"))
            uow.goals.add_check_in(_check_in("c2", "g2", _T0))
            uow.goals.add_check_in(_check_in("c1", "g1", _T0 + timedelta(hours=1)))
            uow.goals.add_check_in(_check_in("c3", "g3", _T0))

        self.commit(store, write)
        expected = GoalSet(
            goals=[_goal("g1", cycle_id=None), _goal("g2")],
            check_ins=[_check_in("c2", "g2", _T0), _check_in("c1", "g1", _T0 + timedelta(hours=1))],
        )
        found = self.read(store, lambda u: u.goals.goal_set(_CYCLE))
        assert dumps(found) == dumps(expected)
        assert self.read(store, lambda u: u.goals.goal_set("fy1999")) == GoalSet(
            goals=[_goal("g1", cycle_id=None)],
            check_ins=[_check_in("c1", "g1", _T0 + timedelta(hours=1))],
        )

    # --- feedback -----------------------------------------------------------------------------

    def test_feedback_about_someone_in_a_period(self, store: Store) -> None:
        start = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
        end = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
        events = [
            _praise("f-end", "e0001", end.astimezone(_PLUS2)),  # at end: left out
            _praise("f-start", "e0001", start.astimezone(_MINUS5)),  # at start: kept
            _praise("f-mid-b", "e0001", datetime(2026, 3, 10, 12, tzinfo=UTC)),
            _praise("f-mid-a", "e0001", datetime(2026, 3, 10, 14, tzinfo=_PLUS2)),  # same moment
            _praise("f-before", "e0001", start - timedelta(seconds=1)),
            _praise("f-other", "e0002", datetime(2026, 3, 10, 12, tzinfo=UTC)),
        ]
        self.commit(store, functools.partial(_add_all, events=events))

        def ids(found: tuple[FeedbackEvent, ...]) -> list[str]:
            return [e.id for e in found]

        assert ids(self.read(store, lambda u: u.feedback.about("e0001", start, end))) == [
            "f-start",
            "f-mid-a",
            "f-mid-b",
        ]
        assert ids(self.read(store, lambda u: u.feedback.about("e0001"))) == [
            "f-before",
            "f-start",
            "f-mid-a",
            "f-mid-b",
            "f-end",
        ]
        assert ids(self.read(store, lambda u: u.feedback.about("e0001", start=end))) == ["f-end"]
        assert ids(self.read(store, lambda u: u.feedback.about("e0001", end=start))) == ["f-before"]
        assert self.read(store, lambda u: u.feedback.about("e0009")) == ()
        found = self.read(store, lambda u: u.feedback.about("e0001", start, end))
        assert found[0] == events[1]
        assert found[0].at.utcoffset() == timedelta(hours=-5)

    def test_the_feedback_log_holds_every_event_chronologically(self, store: Store) -> None:
        events = _data().feedback.events
        # Added one by one, latest first (answers after their requests).
        backwards = sorted(events, key=lambda e: (isinstance(e, FeedbackResponse), e.id))[::-1]
        backwards.sort(key=lambda e: isinstance(e, FeedbackResponse))
        self.commit(store, functools.partial(_add_all, events=backwards))
        log = self.read(store, lambda u: u.feedback.log())
        assert log.events == tuple(sorted(events, key=lambda e: (e.at, e.id)))

    def test_feedback_responses_answer_a_stored_request(self, store: Store) -> None:
        request = FeedbackRequest(
            id="q1",
            author="e0000",
            subject="e0001",
            at=_T0,
            requested_from=("e0005", "e0006"),
            question="What should they keep doing?",
        )

        def answer(event_id: str, author: str, request_id: str = "q1") -> FeedbackResponse:
            return FeedbackResponse(
                id=event_id,
                request_id=request_id,
                author=author,
                subject="e0001",
                at=_T0 + timedelta(days=1),
                text="Keep writing things down.",
            )

        with store.transaction(actor="dana", at=_T0) as uow:
            with pytest.raises(UnknownReferenceError) as unknown:
                uow.feedback.add(answer("a1", "e0005"))
            assert unknown.value.path == "event.request_id"
            uow.feedback.add(request)
            with pytest.raises(ValidationError) as not_asked:
                uow.feedback.add(answer("a1", "e0007"))
            assert not_asked.value.path == "event.author"
            uow.feedback.add(answer("a1", "e0005"))
            with pytest.raises(ValidationError) as twice:
                uow.feedback.add(answer("a2", "e0005"))
            assert twice.value.path == "event.author"
            with pytest.raises(ConcurrencyError) as same_id:
                uow.feedback.add(answer("a1", "e0006"))
            assert _concurrency(same_id) == ("feedback", "a1", None, 1)
            uow.commit()
        assert [e.id for e in self.read(store, lambda u: u.feedback.log()).events] == ["q1", "a1"]

    # --- reviews, calibration sessions, results -----------------------------------------------

    def test_reviews_of_a_cycle_and_a_subject_by_id(self, store: Store) -> None:
        reviews = list(_data().reviews)
        random.Random(3).shuffle(reviews)
        other = _review("r-old", cycle_id="fy2025")
        self.commit(store, lambda u: [u.reviews.save(r) for r in [*reviews, other]])
        ordered = tuple(sorted(reviews, key=lambda r: r.id))
        assert self.read(store, lambda u: u.reviews.by_cycle(_CYCLE)) == ordered
        assert self.read(store, lambda u: u.reviews.by_cycle(_CYCLE, "e0001")) == tuple(
            r for r in ordered if r.subject == "e0001"
        )
        assert self.read(store, lambda u: u.reviews.by_cycle("fy2025")) == (other,)
        assert self.read(store, lambda u: u.reviews.by_cycle("fy2025", "e0002")) == ()
        assert self.read(store, lambda u: u.reviews.by_cycle("fy1999")) == ()

    def test_a_calibration_session_is_saved_whole(self, store: Store) -> None:
        session = _result().calibration
        assert session.adjustments  # a forced distribution moved people
        self.commit(store, lambda u: u.calibrations.save(session))
        found = self.read(store, lambda u: u.calibrations.get(session.id))
        assert found == session
        assert dumps(found) == dumps(session)

    def test_cycle_results_round_trip_and_replace(self, store: Store) -> None:
        result = _result()
        self.commit(store, lambda u: u.results.save(result))
        assert dumps(self.read(store, lambda u: u.results.get(_CYCLE))) == dumps(result)
        rerun = attrs.evolve(
            result, at=result.at + timedelta(days=1), employees=result.employees[:3]
        )
        self.commit(store, lambda u: u.results.save(rerun))
        assert self.read(store, lambda u: u.results.get(_CYCLE)) == rerun
        entries = self.read(store, lambda u: u.audit.entries(_CYCLE))
        assert [(e.kind, e.before, e.after) for e in entries] == [
            ("result", None, dumps(result)),
            ("result", dumps(result), dumps(rerun)),
        ]
        with pytest.raises(NotFoundError) as err:
            self.read(store, lambda u: u.results.get("fy2027"))
        assert (err.value.what, err.value.key) == ("cycle result", "fy2027")

    def test_results_of_a_unit_by_employee_id(self, store: Store) -> None:
        result = _result()
        shuffled = list(result.employees)
        random.Random(5).shuffle(shuffled)
        self.commit(store, lambda u: u.results.save(attrs.evolve(result, employees=shuffled)))
        units = sorted({e.unit_id for e in result.employees})
        assert len(units) > 1
        for unit in units:
            expected = tuple(
                sorted(
                    (e for e in result.employees if e.unit_id == unit), key=lambda e: e.employee_id
                )
            )
            found = self.read(store, functools.partial(_by_unit, unit_id=unit))
            assert found == expected
        assert self.read(store, lambda u: u.results.by_unit(_CYCLE, "acme")) == ()
        assert self.read(store, lambda u: u.results.by_unit("fy2027", units[0])) == ()

    # --- the audit log ------------------------------------------------------------------------

    def test_every_save_is_audited_with_who_when_why_before_and_after(self, store: Store) -> None:
        first, second = _goal("g1"), _goal("g1", title="Halve the backlog")
        at1 = datetime(2026, 5, 4, 9, 30, tzinfo=_KOLKATA)
        at2 = datetime(2026, 5, 5, 17, 0, tzinfo=_MINUS5)
        self.commit(
            store,
            lambda u: (u.goals.save(first), u.reviews.save(_review("r1"))),
            actor="dana",
            at=at1,
            reason="goal setting",
        )

        def later(uow: UnitOfWork) -> None:
            uow.goals.save(second, expected_version=1)
            uow.calibrations.save(_session("s1"))
            uow.results.save(_result())

        self.commit(store, later, actor="sam", at=at2)
        entries = self.read(store, lambda u: u.audit.entries())
        assert [(e.seq, e.kind, e.record_id, e.actor, e.reason) for e in entries] == [
            (1, "goal", "g1", "dana", "goal setting"),
            (2, "review", "r1", "dana", "goal setting"),
            (3, "goal", "g1", "sam", ""),
            (4, "calibration", "s1", "sam", ""),
            (5, "result", _CYCLE, "sam", ""),
        ]
        assert [e.at.isoformat() for e in entries] == [at1.isoformat()] * 2 + [at2.isoformat()] * 3
        assert [(e.before, e.after) for e in entries[:3]] == [
            (None, dumps(first)),
            (None, dumps(_review("r1"))),
            (dumps(first), dumps(second)),
        ]
        assert entries[3].after == dumps(_session("s1"))
        assert entries[4].after == dumps(_result())
        assert self.read(store, lambda u: u.audit.entries("g1")) == (entries[0], entries[2])
        assert self.read(store, lambda u: u.audit.entries("nothing")) == ()
        report = self.read(store, lambda u: u.audit.verify())
        assert report.ok
        assert report.checked == 5

    def test_organisation_cycles_check_ins_and_feedback_are_not_audited(self, store: Store) -> None:
        def write(uow: UnitOfWork) -> None:
            uow.organisation.save(_data().organisation)
            uow.cycles.add(_data().cycle)
            uow.cycles.save(attrs.evolve(_data().cycle, name="FY26"), 1)
            uow.goals.save(_goal("g1"))
            uow.goals.add_check_in(_check_in("c1", "g1", _T0))
            uow.feedback.add(_praise("f1", "e0001", _T0))

        self.commit(store, write)
        assert [e.kind for e in self.read(store, lambda u: u.audit.entries())] == ["goal"]

    def test_audit_entries_roll_back_with_their_transaction(self, store: Store) -> None:
        self.commit(store, lambda u: u.goals.save(_goal("g1")))

        def write(uow: UnitOfWork) -> None:
            uow.goals.save(_goal("g1", title="Other"), expected_version=1)
            uow.reviews.save(_review("r1"))
            assert len(uow.audit.entries()) == 3

        with pytest.raises(_Boom):
            self.fail_inside(store, write)
        with store.transaction(actor="dana", at=_T0) as uow:
            uow.goals.save(_goal("g2"))
        assert len(self.read(store, lambda u: u.audit.entries())) == 1
        self.commit(store, lambda u: u.reviews.save(_review("r1")))
        entries = self.read(store, lambda u: u.audit.entries())
        assert [(e.seq, e.record_id) for e in entries] == [(1, "g1"), (2, "r1")]
        assert entries[1].prev_hash == entries[0].hash
        assert self.read(store, lambda u: u.audit.verify()).ok

    def test_an_empty_audit_log_verifies(self, store: Store) -> None:
        report = self.read(store, lambda u: u.audit.verify())
        assert (report.ok, report.checked) == (True, 0)

    # --- a whole cycle ------------------------------------------------------------------------

    def test_import_then_cycle_data_gives_the_same_data(self, store: Store) -> None:
        data = _data()
        self.commit(store, lambda u: u.import_data(data))
        loaded = self.read(store, lambda u: u.cycle_data(_CYCLE))
        assert dumps(normalised(loaded)) == dumps(normalised(data))

    def test_imported_data_answers_the_host_queries(self, store: Store) -> None:
        data = _data()
        self.commit(store, lambda u: u.import_data(data))

        def check(uow: UnitOfWork) -> None:
            assert normalised(attrs.evolve(data, organisation=uow.organisation.load())) == (
                normalised(data)
            )
            assert uow.cycles.get(_CYCLE) == data.cycle
            assert uow.goals.in_cycle(_CYCLE) == tuple(sorted(data.goals.goals, key=_key_id))
            for person in _people():
                assert uow.goals.of_employee(person, _CYCLE) == data.goals_of(person)
                assert uow.reviews.by_cycle(_CYCLE, person) == data.reviews_of(person)
                assert uow.feedback.about(person) == data.feedback.about(person)
            for goal in data.goals.goals:
                assert uow.goals.check_ins(goal.id) == data.goals.check_ins_for(goal.id)
                assert uow.goals.version(goal.id) == 1
            for review in data.reviews:
                assert uow.reviews.version(review.id) == 1

        self.read(store, check)

    def test_import_audits_the_goals_and_reviews_it_inserts(self, store: Store) -> None:
        data = _data()
        self.commit(store, lambda u: u.import_data(data), actor="hris", reason="import")
        entries = self.read(store, lambda u: u.audit.entries())
        expected = sorted(
            [("goal", g.id, dumps(g)) for g in data.goals.goals]
            + [("review", r.id, dumps(r)) for r in data.reviews]
        )
        assert sorted((e.kind, e.record_id, e.after) for e in entries) == expected
        assert {(e.actor, e.reason, e.before) for e in entries} == {("hris", "import", None)}
        assert self.read(store, lambda u: u.audit.verify()).ok

    def test_import_is_all_or_nothing(self, store: Store) -> None:
        data = _data()
        clash = data.reviews[-1]
        self.commit(store, lambda u: u.reviews.save(clash))
        with pytest.raises(ConcurrencyError) as err:
            self.commit(store, lambda u: u.import_data(data))
        assert _concurrency(err) == ("review", clash.id, None, 1)

        def nothing_imported(uow: UnitOfWork) -> None:
            assert uow.organisation.load() == Organisation()
            assert uow.cycles.list() == ()
            assert uow.goals.in_cycle(_CYCLE) == ()
            assert uow.feedback.log() == FeedbackLog()
            assert uow.reviews.by_cycle(_CYCLE) == (clash,)
            assert len(uow.audit.entries()) == 1

        self.read(store, nothing_imported)
        self.commit(store, lambda u: u.reviews.save(clash, expected_version=1))  # still usable

    def test_importing_a_cycle_twice_is_refused(self, store: Store) -> None:
        data = _data()
        self.commit(store, lambda u: u.import_data(data))
        with pytest.raises(ConcurrencyError) as err:
            self.commit(store, lambda u: u.import_data(data))
        assert (err.value.kind, err.value.expected) == ("cycle", None)
        assert len(self.read(store, lambda u: u.audit.entries())) == len(data.goals.goals) + len(
            data.reviews
        )

    def test_cycle_data_of_an_unknown_cycle_is_not_found(self, store: Store) -> None:
        with pytest.raises(NotFoundError) as err:
            self.read(store, lambda u: u.cycle_data("fy1999"))
        assert (err.value.what, err.value.key) == ("cycle", "fy1999")

    # --- streams: the same records as one by one ----------------------------------------------

    def two_stores(self, tmp_path: pathlib.Path) -> tuple[Store, Store]:
        """Two fresh stores of this adapter (closed at the end of the test by the caller)."""
        made = []
        for name in ("one", "two"):
            where = tmp_path / f"{name}-{uuid4().hex[:8]}"
            where.mkdir()
            made.append(self.make_store(where))
        return made[0], made[1]

    def test_add_many_stores_what_one_by_one_stores(self, tmp_path: pathlib.Path) -> None:
        data = sample_cycle(40, seed=41)
        events = sorted(
            data.feedback.events, key=lambda e: (isinstance(e, FeedbackResponse), e.at, e.id)
        )
        streamed, single = self.two_stores(tmp_path)
        try:

            def stream(uow: UnitOfWork) -> list[int]:
                uow.import_data(_head(data))
                return [
                    uow.goals.add_many(_stream(data.goals.goals)),
                    uow.goals.add_check_ins(_stream(data.goals.check_ins)),
                    uow.feedback.add_many(_stream(events)),
                    uow.reviews.add_many(_stream(data.reviews)),
                ]

            def one_by_one(uow: UnitOfWork) -> None:
                uow.import_data(_head(data))
                for goal in data.goals.goals:
                    uow.goals.save(goal)
                for check_in in data.goals.check_ins:
                    uow.goals.add_check_in(check_in)
                for event in events:
                    uow.feedback.add(event)
                for review in data.reviews:
                    uow.reviews.save(review)

            counts = self.commit(streamed, stream, actor="hris", reason="bulk load")
            assert counts == [
                len(data.goals.goals),
                len(data.goals.check_ins),
                len(events),
                len(data.reviews),
            ]
            self.commit(single, one_by_one, actor="hris", reason="bulk load")
            expected = self.read(single, _everything)
            assert self.read(streamed, _everything) == expected
            assert len(expected["audit"]) == len(data.goals.goals) + len(data.reviews)
            assert [e.record_id for e in expected["audit"]] == [
                *(g.id for g in data.goals.goals),
                *(r.id for r in data.reviews),
            ]
            loaded = self.read(streamed, lambda u: u.cycle_data(_CYCLE))
            assert dumps(normalised(loaded)) == dumps(normalised(data))
            assert self.read(streamed, lambda u: u.audit.verify()).ok
        finally:
            streamed.close()
            single.close()

    def test_add_many_of_nothing_stores_nothing(self, store: Store) -> None:
        def write(uow: UnitOfWork) -> list[int]:
            empties: list[Callable[[], Iterable[Any]]] = [
                list,
                tuple,
                lambda: iter([]),
                lambda: _stream([]),
            ]
            return [call(uow, empty()) for call in _WRITERS.values() for empty in empties]

        assert self.commit(store, write) == [0] * 16
        self._assert_empty(store)

    def test_add_many_across_batches(self, store: Store) -> None:
        goals = _many_goals(_BIG)
        check_ins = _many_check_ins(_BIG, ["g00001", "g00002", "g00003"])
        events = _many_events(_BIG)
        reviews = _many_reviews(2_100)
        assert any(isinstance(e, FeedbackResponse) for e in events[1_990:2_010])

        def write(uow: UnitOfWork) -> list[int]:
            return [
                uow.goals.add_many(_stream(goals)),
                uow.goals.add_check_ins(_stream(check_ins)),
                uow.feedback.add_many(_stream(events)),
                uow.reviews.add_many(_stream(reviews)),
            ]

        assert self.commit(store, write, actor="hris") == [_BIG, _BIG, _BIG, 2_100]

        def check(uow: UnitOfWork) -> None:
            assert uow.goals.in_cycle(_CYCLE) == tuple(sorted(goals, key=_key_id))
            assert uow.goals.in_cycle("fy2027") == tuple(
                sorted((g for g in goals if g.cycle_id is None), key=_key_id)
            )
            assert uow.goals.goal_set(_CYCLE).check_ins == tuple(
                sorted(check_ins, key=lambda c: (c.at, c.id))
            )
            assert uow.feedback.log().events == tuple(sorted(events, key=lambda e: (e.at, e.id)))
            assert uow.reviews.by_cycle(_CYCLE) == tuple(sorted(reviews, key=_key_id))
            _assert_streams_match(uow, _CYCLE)
            _assert_streams_match(uow, "fy2027", "e0001")
            entries = uow.audit.entries()
            assert [e.record_id for e in entries] == [
                *(g.id for g in goals),
                *(r.id for r in reviews),
            ]
            assert {(e.actor, e.before) for e in entries} == {("hris", None)}
            assert uow.goals.version(goals[-1].id) == 1
            assert uow.reviews.version(reviews[-1].id) == 1

        self.read(store, check)

    # --- streams: all or nothing per call -----------------------------------------------------

    def refused_in_second_call(
        self,
        store: Store,
        name: str,
        first: Sequence[Any],
        second: Sequence[Any],
        bad: int,
        error: type[PerfkitError],
        *,
        stored: Callable[[UnitOfWork], object] | None = None,
    ) -> Any:
        """Write ``first``, then ``second`` (whose item ``bad`` is refused) in one unit of work:
        the second call raises ``error`` and keeps nothing, the first call stays, the unit of
        work goes on (``second`` without its bad item is then written). Returns the error."""
        write = _WRITERS[name]

        def setup(uow: UnitOfWork) -> None:
            uow.import_data(_head(_data()))
            uow.goals.add_many([_goal("t-g1"), _goal("t-g2")])
            uow.feedback.add(_request("t-q1"))
            if stored is not None:
                stored(uow)

        self.commit(store, setup)
        fixed = [*second[:bad], *second[bad + 1 :]]
        with store.transaction(actor="dana", at=_T0) as uow:
            assert write(uow, _stream(first)) == len(first)
            before = _everything(uow)
            with pytest.raises(error) as err:
                write(uow, _stream(second))
            assert _everything(uow) == before, "a refused call kept some of its items"
            if isinstance(err.value, ConcurrencyError):  # named by its place in the call
                assert err.value.path == f"{name}[{bad}]"
                assert str(err.value).startswith(f"{name}[{bad}]: ")
            assert write(uow, _stream(fixed)) == len(fixed)
            after = _everything(uow)
            uow.commit()
        assert self.read(store, _everything) == after
        return err.value

    @pytest.mark.parametrize("bad", [3, 2_345])
    def test_a_refused_goal_keeps_nothing_of_its_call(self, store: Store, bad: int) -> None:
        first = _many_goals(10, prefix="a")
        second: list[Any] = _many_goals(bad + 20, prefix="b")
        second[bad] = _check_in("c1", "t-g1", _T0)
        err = self.refused_in_second_call(store, "goals", first, second, bad, ValidationError)
        assert err.path == f"goals[{bad}]"
        assert "is not a Goal" in str(err)

    @pytest.mark.parametrize(
        ("where", "found"), [("earlier call", 1), ("committed", 1), ("committed twice", 2)]
    )
    def test_a_goal_already_stored_keeps_nothing_of_its_call(
        self, store: Store, where: str, found: int
    ) -> None:
        first = _many_goals(10, prefix="a")
        second = _many_goals(2_400, prefix="b")
        clash = first[4] if where == "earlier call" else _goal("t-g1")

        def stored(uow: UnitOfWork) -> None:
            if where == "committed twice":
                uow.goals.save(_goal("t-g1", title="Again"), expected_version=1)

        second[2_222] = clash
        err = self.refused_in_second_call(
            store, "goals", first, second, 2_222, ConcurrencyError, stored=stored
        )
        assert (err.kind, err.record_id, err.expected, err.found) == ("goal", clash.id, None, found)

    @pytest.mark.parametrize(("at", "again"), [(5, 9), (5, 2_100), (1_999, 2_000)])
    def test_a_goal_repeated_in_its_call_keeps_nothing_of_it(
        self, store: Store, at: int, again: int
    ) -> None:
        second = _many_goals(2_400, prefix="b")
        second[again] = attrs.evolve(second[at], title="The same id again")
        err = self.refused_in_second_call(
            store, "goals", _many_goals(3, prefix="a"), second, again, ConcurrencyError
        )
        assert (err.kind, err.record_id, err.expected, err.found) == (
            "goal",
            second[at].id,
            None,
            1,
        )

    @pytest.mark.parametrize("bad", [0, 2_050])
    def test_a_check_in_of_an_unknown_goal_keeps_nothing_of_its_call(
        self, store: Store, bad: int
    ) -> None:
        second = _many_check_ins(2_100, ["t-g1", "t-g2"], prefix="b")
        second[bad] = _check_in("b-lost", "g-none", _T0)
        err = self.refused_in_second_call(
            store,
            "check_ins",
            _many_check_ins(5, ["t-g1"], prefix="a"),
            second,
            bad,
            UnknownReferenceError,
        )
        assert (err.path, err.value) == (f"check_ins[{bad}].goal_id", "g-none")

    @pytest.mark.parametrize("bad", [7, 2_001])
    def test_a_check_in_that_does_not_fit_its_goal_keeps_nothing_of_its_call(
        self, store: Store, bad: int
    ) -> None:
        second: list[Any] = _many_check_ins(2_100, ["t-g1", "t-g2"], prefix="b")
        second[bad] = CheckIn(id="b-misfit", goal_id="t-g2", author="e0001", at=_T0, done=True)
        err = self.refused_in_second_call(store, "check_ins", [], second, bad, ValidationError)
        assert not isinstance(err, UnknownReferenceError)
        assert err.path.startswith(f"check_ins[{bad}].")

    def test_a_check_in_that_is_not_one_keeps_nothing_of_its_call(self, store: Store) -> None:
        second: list[Any] = _many_check_ins(30, ["t-g1"], prefix="b")
        second[12] = _goal("t-g9")
        err = self.refused_in_second_call(
            store, "check_ins", _many_check_ins(3, ["t-g2"]), second, 12, ValidationError
        )
        assert err.path == "check_ins[12]"

    @pytest.mark.parametrize(("at", "again"), [(None, 2_030), (3, 2_030), (2_010, 2_030)])
    def test_a_check_in_id_stored_or_repeated_keeps_nothing_of_its_call(
        self, store: Store, at: int | None, again: int
    ) -> None:
        first = _many_check_ins(5, ["t-g1"], prefix="a")
        second = _many_check_ins(2_100, ["t-g1", "t-g2"], prefix="b")
        clash = first[2] if at is None else second[at]
        second[again] = attrs.evolve(clash, goal_id="t-g2", at=_T0)
        err = self.refused_in_second_call(
            store, "check_ins", first, second, again, ConcurrencyError
        )
        assert (err.kind, err.record_id, err.expected, err.found) == ("check_in", clash.id, None, 1)

    @pytest.mark.parametrize(
        ("case", "path"),
        [
            ("not an event", "events[{k}]"),
            ("no such request", "events[{k}].request_id"),
            ("request later in the call", "events[{k}].request_id"),
            ("a praise, not a request", "events[{k}].request_id"),
            ("not asked", "events[{k}].author"),
            ("other subject", "events[{k}].subject"),
            ("before the request", "events[{k}].at"),
            ("answered earlier in the call", "events[{k}].author"),
            ("answered in an earlier call", "events[{k}].author"),
            ("answered and committed", "events[{k}].author"),
        ],
    )
    @pytest.mark.parametrize("bad", [4, 2_020])
    def test_a_refused_feedback_event_keeps_nothing_of_its_call(
        self, store: Store, case: str, path: str, bad: int
    ) -> None:
        first: list[Any] = [_praise("a-f1", "e0002", _T0), _answer("a-ans", "t-q1", "e0006")]
        second: list[Any] = _many_events(bad + 40, prefix="b")
        # A request just before the bad item, answered just before it too.
        second[bad - 2] = _request("b-q", subject="e0003", asked=("e0004", "e0005"))
        second[bad - 1] = _answer("b-ans", "b-q", "e0004", subject="e0003")
        stored = None
        bad_event: Any
        if case == "not an event":
            bad_event = _goal("b-goal")
        elif case == "no such request":
            bad_event = _answer("b-bad", "q-none")
        elif case == "request later in the call":
            bad_event = _answer("b-bad", "b-later-q")
            second[bad + 5] = _request("b-later-q")
        elif case == "a praise, not a request":
            bad_event = _answer("b-bad", "a-f1")
        elif case == "not asked":
            bad_event = _answer("b-bad", "b-q", "e0006", subject="e0003")
        elif case == "other subject":
            bad_event = _answer("b-bad", "t-q1", "e0005", subject="e0002")
        elif case == "before the request":
            bad_event = attrs.evolve(
                _answer("b-bad", "t-q1", "e0005"), at=_DAY0 - timedelta(days=1)
            )
        elif case == "answered earlier in the call":
            bad_event = _answer("b-bad", "b-q", "e0004", subject="e0003")
        elif case == "answered in an earlier call":
            bad_event = _answer("b-bad", "t-q1", "e0006")
        else:
            bad_event = _answer("b-bad", "t-q1", "e0005")

            def stored(uow: UnitOfWork) -> None:
                uow.feedback.add(_answer("t-ans", "t-q1", "e0005"))

        second[bad] = bad_event
        error = UnknownReferenceError if path.endswith("request_id") else ValidationError
        err = self.refused_in_second_call(store, "events", first, second, bad, error, stored=stored)
        assert isinstance(err, error)
        assert err.path == path.format(k=bad)

    @pytest.mark.parametrize(("at", "again"), [(None, 2_005), (10, 2_005), (2_001, 2_005)])
    def test_a_feedback_id_stored_or_repeated_keeps_nothing_of_its_call(
        self, store: Store, at: int | None, again: int
    ) -> None:
        first = [_praise("a-f1", "e0002", _T0)]
        second = _many_events(2_100, prefix="b")
        clash = first[0] if at is None else second[at]
        second[again] = _praise(clash.id, "e0003", _T0 + timedelta(days=3))
        err = self.refused_in_second_call(store, "events", first, second, again, ConcurrencyError)
        assert (err.kind, err.record_id, err.expected, err.found) == ("feedback", clash.id, None, 1)

    @pytest.mark.parametrize("case", ["not a review", "earlier call", "committed", "repeated"])
    def test_a_refused_review_keeps_nothing_of_its_call(self, store: Store, case: str) -> None:
        first = _many_reviews(4, prefix="a")
        second: list[Any] = _many_reviews(2_050, prefix="b")
        bad = 2_020
        clash = {
            "earlier call": first[1],
            "committed": _review("t-r1"),
            "repeated": second[7],
        }.get(case, _goal("b-goal"))
        second[bad] = clash

        def stored(uow: UnitOfWork) -> None:
            uow.reviews.save(_review("t-r1"))

        error = ValidationError if case == "not a review" else ConcurrencyError
        err = self.refused_in_second_call(
            store, "reviews", first, second, bad, error, stored=stored
        )
        if case == "not a review":
            assert err.path == f"reviews[{bad}]"
            assert "is not a Review" in str(err)
        else:
            assert (err.kind, err.record_id, err.expected, err.found) == (
                "review",
                clash.id,
                None,
                1,
            )

    @pytest.mark.parametrize("name", sorted(_WRITERS))
    def test_a_refused_first_write_of_a_unit_of_work_keeps_nothing(
        self, store: Store, name: str
    ) -> None:
        # The call that fails is the first write of its unit of work, in its first batch.
        stored: dict[str, tuple[Any, Any]] = {
            "goals": (_goal("t-g9"), _goal("t-g1")),
            "check_ins": (_check_in("c9", "t-g1", _T0), _check_in("c1", "t-g1", _T0)),
            "events": (_praise("f9", "e0001", _T0), _praise("f1", "e0002", _T0)),
            "reviews": (_review("r9"), _review("r1")),
        }
        new, clash = stored[name]

        def setup(uow: UnitOfWork) -> None:
            uow.goals.save(_goal("t-g1"))
            if name != "goals":
                _WRITERS[name](uow, [clash])

        self.commit(store, setup)
        before = self.read(store, _everything)
        with store.transaction(actor="dana", at=_T0) as uow:
            with pytest.raises(ConcurrencyError) as err:
                _WRITERS[name](uow, _stream([new, clash]))
            assert err.value.record_id == clash.id
            assert _everything(uow) == before
            assert _WRITERS[name](uow, [new]) == 1
            uow.commit()
        with store.transaction(actor="dana", at=_T0) as uow:
            with pytest.raises(ConcurrencyError):
                _WRITERS[name](uow, [clash])
            uow.commit()  # nothing to publish, and no error either
        after = self.read(store, _everything)
        assert after != before
        with store.transaction(actor="dana", at=_T0) as uow:
            uow.rollback()
            assert _everything(uow) == after

    def test_the_first_refused_item_is_named(self, store: Store) -> None:
        # Several items are wrong: the error names the first, as one-by-one writes would.
        goals: list[Any] = _many_goals(2_300)
        goals[2_200] = "not a goal"
        goals[1_500] = goals[10]  # repeated: the first wrong item
        with store.transaction(actor="dana", at=_T0) as uow:
            with pytest.raises(ConcurrencyError) as repeated:
                uow.goals.add_many(goals)
            assert repeated.value.record_id == goals[10].id
            uow.goals.save(_goal("t-g1"))
            check_ins: list[Any] = _many_check_ins(2_300, ["t-g1"])
            check_ins[2_100] = _check_in("c-lost", "g-none", _T0)
            check_ins[300] = attrs.evolve(check_ins[20], at=_T0)  # repeated, first
            with pytest.raises(ConcurrencyError) as again:
                uow.goals.add_check_ins(check_ins)
            assert again.value.record_id == check_ins[20].id
            check_ins[300] = CheckIn(
                id="c-misfit", goal_id="t-g1", author="e0001", at=_T0, done=True
            )
            with pytest.raises(ValidationError) as misfit:
                uow.goals.add_check_ins(check_ins)
            assert misfit.value.path.startswith("check_ins[300].")

    @pytest.mark.parametrize("name", sorted(_WRITERS))
    def test_an_input_that_breaks_midway_keeps_nothing_of_the_call(
        self, store: Store, name: str
    ) -> None:
        make: dict[str, Callable[[], list[Any]]] = {
            "goals": lambda: _many_goals(2_600),
            "check_ins": lambda: _many_check_ins(2_600, ["t-g1", "t-g2"]),
            "events": lambda: _many_events(2_600),
            "reviews": lambda: _many_reviews(2_100),
        }
        items = make[name]()
        self.commit(store, lambda u: u.goals.add_many([_goal("t-g1"), _goal("t-g2")]))
        with store.transaction(actor="dana", at=_T0) as uow:
            uow.goals.save(_goal("t-g3"))
            before = _everything(uow)
            with pytest.raises(_Boom):
                _WRITERS[name](uow, _failing(items, len(items) - 50))
            assert _everything(uow) == before
            assert _WRITERS[name](uow, _stream(items[:3])) == 3
            uow.commit()
        assert self.read(store, lambda u: u.goals.get("t-g3")) == _goal("t-g3")

    def test_check_ins_may_follow_goals_written_earlier_in_the_unit_of_work(
        self, store: Store
    ) -> None:
        self.commit(store, lambda u: u.goals.save(_goal("t-g1")))
        with store.transaction(actor="dana", at=_T0) as uow:
            uow.goals.save(_goal("t-g2"))
            uow.goals.add_many(_many_goals(2_100))
            check_ins = _many_check_ins(4_100, ["t-g1", "t-g2", "g00005", "g02099"])
            assert uow.goals.add_check_ins(_stream(check_ins)) == len(check_ins)
            uow.goals.save(_goal("t-g3"))
            uow.rollback()
            with pytest.raises(UnknownReferenceError) as err:
                uow.goals.add_check_ins(
                    [_check_in("c1", "t-g1", _T0), _check_in("c2", "t-g2", _T0)]
                )
            assert err.value.path == "check_ins[1].goal_id"
            assert uow.goals.add_check_ins([_check_in("c1", "t-g1", _T0)]) == 1
            uow.commit()
        assert self.read(store, lambda u: u.goals.check_ins("t-g1")) == (
            _check_in("c1", "t-g1", _T0),
        )

    # --- streams: iterators -------------------------------------------------------------------

    def test_iterators_give_the_listings_after_an_import(self, store: Store) -> None:
        data = sample_cycle(40, seed=43)
        self.commit(store, lambda u: u.import_data(data))

        def check(uow: UnitOfWork) -> None:
            _assert_streams_match(uow, _CYCLE)
            for person in [e.id for e in data.organisation.employees][:12]:
                _assert_streams_match(uow, _CYCLE, person)
            assert list(uow.goals.iter_in_cycle(_CYCLE)) == sorted(data.goals.goals, key=_key_id)
            assert list(uow.reviews.iter_by_cycle(_CYCLE)) == sorted(data.reviews, key=_key_id)
            assert list(uow.feedback.iter_log()) == sorted(
                data.feedback.events, key=lambda e: (e.at, e.id)
            )
            for unknown in ("fy1999", "fy2026 "):
                assert list(uow.goals.iter_in_cycle(unknown)) == []
                assert list(uow.goals.iter_check_ins(unknown)) == []
                assert list(uow.reviews.iter_by_cycle(unknown)) == []
            assert list(uow.reviews.iter_by_cycle(_CYCLE, "e9999")) == []

        self.read(store, check)

    def test_iterators_give_the_listings_after_mixed_writes(self, store: Store) -> None:
        early = datetime(2026, 3, 2, 10, 0, tzinfo=_PLUS2)  # 08:00 UTC
        same = datetime(2026, 3, 2, 4, 0, tzinfo=_MINUS5)  # 09:00 UTC

        def committed(uow: UnitOfWork) -> None:
            uow.goals.save(_goal("m-b"))
            uow.goals.add_many([_goal("m-x", cycle_id=None), _goal("m-later", cycle_id="fy2027")])
            uow.goals.add_check_in(_check_in("m-c9", "m-b", same))
            uow.feedback.add(_request("m-q"))
            uow.reviews.add_many([_review("m-r2"), _review("m-r0", cycle_id="fy2027")])

        self.commit(store, committed)
        with store.transaction(actor="dana", at=_T0) as uow:
            uow.goals.add_many([_goal("m-a"), _goal("m-c", owner="e0002")])
            uow.goals.save(_goal("m-b", title="Changed"), expected_version=1)
            uow.goals.add_check_ins(
                [
                    _check_in("m-c1", "m-x", early),
                    _check_in("m-c0", "m-a", same),
                    _check_in("m-c2", "m-later", _T0),
                ]
            )
            uow.feedback.add_many([_answer("m-ans", "m-q"), _praise("m-f", "e0001", early)])
            uow.feedback.add(_praise("m-e", "e0002", same))
            uow.reviews.save(_review("m-r1"))
            for cycle_id in (_CYCLE, "fy2027", "fy1999"):
                _assert_streams_match(uow, cycle_id)
                _assert_streams_match(uow, cycle_id, "e0001")
            assert [c.id for c in uow.goals.iter_check_ins(_CYCLE)] == ["m-c1", "m-c0", "m-c9"]
            assert [c.id for c in uow.goals.iter_check_ins("fy2027")] == ["m-c1", "m-c2"]
            assert [g.id for g in uow.goals.iter_in_cycle(_CYCLE)] == [
                "m-a",
                "m-b",
                "m-c",
                "m-x",
            ]
            uow.commit()
        for cycle_id in (_CYCLE, "fy2027"):
            self.read(store, functools.partial(_assert_streams_match, cycle_id=cycle_id))

    def test_iterators_read_nothing_before_their_first_next(self, store: Store) -> None:
        with store.transaction(actor="dana", at=_T0) as uow:
            its = {name: make(uow) for name, make in _ITERATORS.items()}
            # Not started: they hold nothing, and they see what is written before they start.
            _small_cycle(uow)
            listed = {name: want for name, (_, want) in _streams(uow, _CYCLE).items()}
            for name, it in its.items():
                assert listed[name], name
                assert list(it) == listed[name], name
            uow.commit()

    def test_iterators_are_checked_at_the_call(self, store: Store) -> None:
        calls: list[Callable[[UnitOfWork], object]] = [
            lambda u: u.goals.iter_in_cycle(5),  # type: ignore[arg-type]
            lambda u: u.goals.iter_check_ins(None),  # type: ignore[arg-type]
            lambda u: u.reviews.iter_by_cycle(["fy2026"]),  # type: ignore[arg-type]
            lambda u: u.reviews.iter_by_cycle(_CYCLE, 7),  # type: ignore[arg-type]
        ]
        with store.transaction(actor="dana", at=_T0) as uow:
            for call in calls:
                with pytest.raises(ValidationError):
                    call(uow)  # no next(): the check runs at the call
            uow.goals.save(_goal("g1"))  # nothing was left open
            uow.commit()

    # --- streams: iterators and their unit of work --------------------------------------------

    @pytest.mark.parametrize("kind", sorted(_ITERATORS))
    def test_an_open_iterator_holds_writes_commit_and_rollback(
        self, store: Store, kind: str
    ) -> None:
        self.commit(store, _small_cycle)
        with store.transaction(actor="dana", at=_T0) as uow:
            before = _everything(uow)
            it = _ITERATORS[kind](uow)
            first = next(it)
            for name, write in _WRITES_WHILE_ITERATING:
                with pytest.raises(StoreError, match="finish it or close it") as err:
                    write(uow)
                assert "still open" in str(err.value), name
            consumed: list[Any] = []

            def watched() -> Iterator[Goal]:
                consumed.append(1)
                yield _goal("g-watched")

            with pytest.raises(StoreError):
                uow.goals.add_many(watched())
            assert consumed == []  # refused before reading its input
            # Reads go on meanwhile, other iterators too.
            assert uow.goals.get("s-g1") == _goal("s-g1")
            assert len(uow.goals.in_cycle(_CYCLE)) == 3
            assert list(uow.reviews.iter_by_cycle(_CYCLE)) == list(uow.reviews.by_cycle(_CYCLE))
            rest = list(it)
            assert _everything(uow) == before
            listing = _streams(uow, _CYCLE)[kind][1]
            assert [first, *rest] == listing
            # Exhausted: writes go on.
            uow.goals.save(_goal("g-after"))
            uow.commit()
        assert self.read(store, lambda u: u.goals.version("g-after")) == 1

    @pytest.mark.parametrize("bulk", ["goals", "check_ins", "events", "reviews"])
    def test_a_bulk_write_refuses_writes_from_inside_its_input(
        self, store: Store, bulk: str
    ) -> None:
        """The iterable a bulk write reads runs the caller's code; a write, commit or rollback
        of the same unit of work from inside it is refused (StoreError) and changes nothing;
        reads go on."""
        self.commit(store, _small_cycle)
        writers: dict[str, Callable[[UnitOfWork, Iterable[Any]], int]] = {
            "goals": lambda u, xs: u.goals.add_many(xs),
            "check_ins": lambda u, xs: u.goals.add_check_ins(xs),
            "events": lambda u, xs: u.feedback.add_many(xs),
            "reviews": lambda u, xs: u.reviews.add_many(xs),
        }
        writer = writers[bulk]
        with store.transaction(actor="dana", at=_T0) as uow:
            before = _everything(uow)
            refused: list[str] = []

            def source() -> Iterator[Any]:
                for name, write in _WRITES_WHILE_ITERATING:
                    try:
                        write(uow)
                    except StoreError as err:
                        if "still reading its input" in str(err):
                            refused.append(name)
                assert uow.goals.get("s-g1") == _goal("s-g1")  # reads go on
                yield from ()

            assert writer(uow, source()) == 0
            assert refused == [name for name, _ in _WRITES_WHILE_ITERATING]
            assert _everything(uow) == before
            uow.goals.save(_goal("g-after"))  # the unit of work goes on
            uow.commit()
        assert self.read(store, lambda u: u.goals.version("g-after")) == 1

    def test_text_no_store_can_keep_is_refused_and_nothing_kept(self, store: Store) -> None:
        """A lone surrogate (not valid Unicode) is refused by every write, single or bulk, as a
        ValidationError; nothing is kept, not even an audit entry."""
        self.commit(store, _small_cycle)
        bad_goal = attrs.evolve(_goal("g-bad"), title="Ship \ud800")
        bad_event = attrs.evolve(_praise("f-bad", "e0001", _T0), text="Thanks \ud800")
        with store.transaction(actor="dana", at=_T0) as uow:
            before = _everything(uow)
            singles: list[Callable[[], object]] = [
                lambda: uow.goals.save(bad_goal),
                lambda: uow.feedback.add(bad_event),
            ]
            for write in singles:
                with pytest.raises(ValidationError, match="not valid Unicode"):
                    write()
            bulks: list[tuple[str, Callable[[], int]]] = [
                ("goals[1]", lambda: uow.goals.add_many([_goal("g-ok"), bad_goal])),
                ("events[0]", lambda: uow.feedback.add_many([bad_event])),
            ]
            for path, bulk in bulks:
                with pytest.raises(ValidationError, match="not valid Unicode") as err:
                    bulk()
                assert err.value.path == path
            assert _everything(uow) == before

    def test_a_closed_or_dropped_iterator_no_longer_holds(self, store: Store) -> None:
        self.commit(store, _small_cycle)
        with store.transaction(actor="dana", at=_T0) as uow:
            it = uow.goals.iter_in_cycle(_CYCLE)
            next(it)
            with pytest.raises(StoreError):
                uow.goals.save(_goal("g-a"))
            _close(it)
            uow.goals.save(_goal("g-a"))
            with pytest.raises(StopIteration):
                next(it)
            for _event in uow.feedback.iter_log():
                break  # the loop drops the last reference to its iterator
            uow.goals.save(_goal("g-b"))
            empty = uow.reviews.iter_by_cycle("fy1999")
            with pytest.raises(StopIteration):
                next(empty)
            uow.rollback()
            uow.goals.save(_goal("g-c"))
            uow.commit()
        assert self.read(store, lambda u: u.goals.version("g-c")) == 1
        with pytest.raises(NotFoundError):
            self.read(store, lambda u: u.goals.get("g-a"))

    def test_an_iterator_ends_with_its_unit_of_work(self, store: Store) -> None:
        self.commit(store, _small_cycle)
        with store.transaction(actor="dana", at=_T0) as uow:
            started = uow.goals.iter_in_cycle(_CYCLE)
            next(started)
            waiting = uow.feedback.iter_log()
        # The block ended with an iterator open: no error there, but no more records either.
        for it in (started, waiting):
            with pytest.raises(StoreError, match="unit of work"):
                next(it)
        _close(started)
        self.commit(store, lambda u: u.goals.save(_goal("g-later")))
        assert self.read(store, lambda u: u.goals.version("g-later")) == 1

    def test_many_records_stream_a_batch_at_a_time(self, store: Store) -> None:
        goals = _many_goals(_BIG)
        self.commit(store, lambda u: u.goals.add_many(goals))
        with store.transaction(actor="dana", at=_T0) as uow:
            it = uow.goals.iter_in_cycle(_CYCLE)
            head = [next(it) for _ in range(2_345)]  # into the second batch
            with pytest.raises(StoreError):
                uow.goals.save(_goal("g-new"))
            assert uow.goals.in_cycle(_CYCLE)[:2_345] == tuple(head)
            assert [*head, *it] == sorted(goals, key=_key_id)
            uow.goals.save(_goal("g-new"))
            uow.commit()

    # --- arguments ----------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("name", "call"),
        _BAD_ARGUMENTS,
        ids=[f"{i}-{n}" for i, (n, _) in enumerate(_BAD_ARGUMENTS)],
    )
    def test_bad_arguments_are_named(
        self, store: Store, name: str, call: Callable[[UnitOfWork], object]
    ) -> None:
        with pytest.raises(ValidationError) as err:
            self.read(store, call)
        assert _argument(err.value.path) == name

    # --- the reference model ------------------------------------------------------------------

    def test_matches_the_reference_model(self, tmp_path: pathlib.Path) -> None:
        """Random operations on this adapter and on a MemoryStore give the same answers."""

        def fresh() -> Store:
            where = tmp_path / uuid4().hex
            where.mkdir()
            return self.make_store(where)

        examples = self.stateful_examples or max(10, settings().max_examples // 2)
        run_state_machine_as_test(
            _reference_machine(fresh),
            settings=settings(
                max_examples=examples,
                stateful_step_count=self.stateful_steps,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )


# --- the stateful comparison ------------------------------------------------------------------

_GOAL_IDS = ("g1", "g2", "g3")
_REVIEW_IDS = ("r1", "r2", "r3")
_SESSION_IDS = ("s1", "s2")
_CHECK_IN_IDS = ("c1", "c2", "c3", "c4", "c5", "c6")
_EVENT_IDS = ("f1", "f2", "f3", "f4", "f5")
_CYCLES = (_CYCLE, "fy2027")
_TIMES = (
    datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    datetime(2026, 3, 2, 10, 0, tzinfo=_PLUS2),  # 08:00 UTC
    datetime(2026, 3, 2, 4, 0, tzinfo=_MINUS5),  # 09:00 UTC, like the first
    datetime(2026, 3, 9, 15, 45, tzinfo=_KOLKATA),
    datetime(2026, 4, 1, 0, 0, tzinfo=UTC),
)
# "right": insert when missing, else the current version (the most common, so that saves land).
_VERSION_CHOICES = ("right", "right", "right", "insert", "current", "stale", "ahead")


def _outcome(call: Callable[[UnitOfWork], Any], uow: UnitOfWork) -> tuple[Any, ...]:
    """What a call gave, comparable between stores: its answer as plain data, or its error."""
    try:
        return ("ok", unstructure(call(uow)))
    except ConcurrencyError as e:
        return ("ConcurrencyError", e.kind, e.record_id, e.expected, e.found, e.path)
    except NotFoundError as e:
        return ("NotFoundError", e.what, e.key)
    except ValidationError as e:
        return (type(e).__name__, _item(e.path))
    except PerfkitError as e:
        return (type(e).__name__,)


def _item(path: str) -> str:
    """What a path names, to compare: the item of a bulk write (``check_ins[3]`` of
    ``check_ins[3].goal_id``), else the argument (``check_in`` of ``check_in.goal_id``)."""
    found = re.match(r"\w+\[\d+\]", path)
    return found.group(0) if found else _argument(path)


def _reference_machine(make_store: Callable[[], Store]) -> type[RuleBasedStateMachine]:
    """A state machine class (a new one per call: see the STYLE note on @given and base classes)
    that runs the same operations on a fresh store and on a MemoryStore."""
    data = _data()
    people = _people()[:5]
    units = sorted({e.unit_id for e in data.organisation.employees})
    orgs = (data.organisation, sample_cycle(4, seed=2026).organisation)
    result = _result()

    def make_event(
        event_id: str, kind: str, subject: int, author: int, at: datetime, request_id: str
    ) -> FeedbackEvent:
        about = people[subject]
        writer = people[(subject + author) % len(people)]  # never the subject
        if kind == "praise":
            return _praise(event_id, about, at, author=writer)
        if kind == "note":
            return Note(id=event_id, author=writer, subject=about, at=at, text="1:1 notes")
        if kind == "request":
            asked = tuple(p for p in people if p != about)[:2]
            return FeedbackRequest(
                id=event_id,
                author=writer,
                subject=about,
                at=at,
                requested_from=asked,
                question="What went well?",
            )
        return FeedbackResponse(
            id=event_id,
            request_id=request_id,
            author=writer,
            subject=about,
            at=at,
            text="It went well.",
        )

    class StoreMatchesTheModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.model: Store = MemoryStore()
            self.store: Store = make_store()
            self.open: list[tuple[Any, UnitOfWork]] = []  # (context manager, unit of work)

        # --- plumbing -------------------------------------------------------------------------

        def both(self, call: Callable[[UnitOfWork], Any]) -> tuple[Any, ...]:
            (_, model), (_, store) = self.open
            expected = _outcome(call, model)
            actual = _outcome(call, store)
            assert actual == expected, f"the store answered {actual!r}, the model {expected!r}"
            return expected

        def start(self, actor: str, at: datetime, reason: str) -> None:
            for s in (self.model, self.store):
                manager = s.transaction(actor=actor, at=at, reason=reason)
                self.open.append((manager, manager.__enter__()))

        def end(self, error: BaseException | None) -> None:
            for manager, _ in self.open:
                kind = None if error is None else type(error)
                assert not manager.__exit__(kind, error, None)
            self.open = []

        def teardown(self) -> None:
            try:
                if self.open:
                    self.end(None)
            finally:
                self.store.close()
                self.model.close()

        def expected_version(self, repo: str, record_id: str, choice: str) -> int | None:
            _, model = self.open[0]
            try:
                current: int = getattr(model, repo).version(record_id)
            except NotFoundError:
                current = 0
            if choice == "insert" or (choice == "right" and current == 0):
                return None
            return {
                "right": current,
                "current": max(current, 1),
                "stale": max(current - 1, 1),
                "ahead": current + 1,
            }[choice]

        # --- transactions ---------------------------------------------------------------------

        @initialize()
        def setup(self) -> None:
            self.start("hr", _T0, "setup")
            self.both(lambda u: u.organisation.save(data.organisation))
            self.both(lambda u: u.cycles.add(data.cycle))
            # A few records to start from, so that updates and check-ins have something to hit.
            self.both(lambda u: u.goals.save(_goal("g1", owner=people[1])))
            self.both(lambda u: u.goals.save(_goal("g2", owner=people[2], cycle_id=None)))
            self.both(lambda u: u.reviews.save(_review("r1")))
            self.both(lambda u: u.commit())
            self.end(None)

        @precondition(lambda self: not self.open)
        @rule(
            actor=st.sampled_from(("dana", "sam")),
            at=st.sampled_from(_TIMES),
            reason=st.sampled_from(("", "mid-year review")),
        )
        def begin(self, actor: str, at: datetime, reason: str) -> None:
            self.start(actor, at, reason)

        @precondition(lambda self: bool(self.open))
        @rule(how=st.sampled_from(("commit", "commit and go on", "leave", "raise", "rollback")))
        def finish(self, how: str) -> None:
            if how.startswith("commit"):
                self.both(lambda u: u.commit())
            if how == "rollback":
                self.both(lambda u: u.rollback())
            elif how != "commit and go on":
                self.end(_Boom() if how == "raise" else None)

        # --- writes ---------------------------------------------------------------------------

        @precondition(lambda self: bool(self.open))
        @rule(
            goal_id=st.sampled_from(_GOAL_IDS),
            owner=st.sampled_from(people),
            cycle_id=st.sampled_from((*_CYCLES, None)),
            n=st.integers(1, 3),
            choice=st.sampled_from(_VERSION_CHOICES),
        )
        def save_goal(
            self, goal_id: str, owner: str, cycle_id: str | None, n: int, choice: str
        ) -> None:
            goal = _goal(goal_id, owner=owner, cycle_id=cycle_id, title=f"Goal, take {n}")
            version = self.expected_version("goals", goal_id, choice)
            self.both(lambda u: u.goals.save(goal, expected_version=version))

        @precondition(lambda self: bool(self.open))
        @rule(
            review_id=st.sampled_from(_REVIEW_IDS),
            n=st.integers(1, 3),
            cycle_id=st.sampled_from(_CYCLES),
            template=st.integers(0, 3),
            choice=st.sampled_from(_VERSION_CHOICES),
        )
        def save_review(
            self, review_id: str, n: int, cycle_id: str, template: int, choice: str
        ) -> None:
            review = attrs.evolve(
                data.reviews[template], id=review_id, summary=f"take {n}", cycle_id=cycle_id
            )
            version = self.expected_version("reviews", review_id, choice)
            self.both(lambda u: u.reviews.save(review, expected_version=version))

        @precondition(lambda self: bool(self.open))
        @rule(
            session_id=st.sampled_from(_SESSION_IDS),
            n=st.integers(1, 3),
            choice=st.sampled_from(_VERSION_CHOICES),
        )
        def save_session(self, session_id: str, n: int, choice: str) -> None:
            session = _session(session_id, n)
            version = self.expected_version("calibrations", session_id, choice)
            self.both(lambda u: u.calibrations.save(session, expected_version=version))

        @precondition(lambda self: bool(self.open))
        @rule(
            name=st.sampled_from(("FY 2026", "Year 2026")),
            stage=st.sampled_from((CycleStage.CALIBRATION, CycleStage.REWARDS)),
            choice=st.sampled_from(_VERSION_CHOICES),
        )
        def save_cycle(self, name: str, stage: CycleStage, choice: str) -> None:
            cycle = attrs.evolve(data.cycle, name=name, stage=stage)
            version = self.expected_version("cycles", _CYCLE, choice)
            if version is None:
                self.both(lambda u: u.cycles.add(cycle))
            else:
                self.both(lambda u: u.cycles.save(cycle, version))

        @precondition(lambda self: bool(self.open))
        @rule(which=st.integers(0, 1))
        def save_organisation(self, which: int) -> None:
            self.both(lambda u: u.organisation.save(orgs[which]))

        @precondition(lambda self: bool(self.open))
        @rule(
            check_in_id=st.sampled_from(_CHECK_IN_IDS),
            goal_id=st.sampled_from((*_GOAL_IDS, *_GOAL_IDS, "g-none")),
            at=st.sampled_from(_TIMES),
            value=st.floats(0, 10),
            fits=st.sampled_from((True, True, True, False)),
        )
        def add_check_in(
            self, check_in_id: str, goal_id: str, at: datetime, value: float, fits: bool
        ) -> None:
            reading: dict[str, Any] = {"value": value} if fits else {"done": True}
            check_in = CheckIn(id=check_in_id, goal_id=goal_id, author="e0001", at=at, **reading)
            self.both(lambda u: u.goals.add_check_in(check_in))

        @precondition(lambda self: bool(self.open))
        @rule(
            event_id=st.sampled_from(_EVENT_IDS),
            kind=st.sampled_from(("praise", "note", "request", "response")),
            subject=st.integers(0, len(people) - 1),
            author=st.integers(1, len(people) - 1),
            at=st.sampled_from(_TIMES),
            request_id=st.sampled_from(_EVENT_IDS),
        )
        def add_feedback(
            self, event_id: str, kind: str, subject: int, author: int, at: datetime, request_id: str
        ) -> None:
            event = make_event(event_id, kind, subject, author, at, request_id)
            self.both(lambda u: u.feedback.add(event))

        # --- streams ----------------------------------------------------------------------------

        @precondition(lambda self: bool(self.open))
        @rule(
            items=st.lists(
                st.tuples(
                    st.sampled_from((*_GOAL_IDS, "g4", "g5", "g6")),
                    st.sampled_from(people),
                    st.sampled_from((*_CYCLES, None)),
                    st.sampled_from((True, True, True, True, False)),
                ),
                max_size=4,
            )
        )
        def add_many_goals(self, items: list[tuple[str, str, str | None, bool]]) -> None:
            goals = [
                _goal(i, owner=o, cycle_id=c, title="Streamed") if ok else _check_in(i, i, _T0)
                for i, o, c, ok in items
            ]
            self.both(lambda u: u.goals.add_many(_stream(goals)))

        @precondition(lambda self: bool(self.open))
        @rule(
            items=st.lists(
                st.tuples(
                    st.sampled_from(_CHECK_IN_IDS),
                    st.sampled_from((*_GOAL_IDS, "g4", "g-none")),
                    st.sampled_from(_TIMES),
                    st.sampled_from((True, True, True, True, False)),
                ),
                max_size=4,
            )
        )
        def add_many_check_ins(self, items: list[tuple[str, str, datetime, bool]]) -> None:
            check_ins = [
                CheckIn(id=i, goal_id=g, author="e0001", at=at, value=4.0)
                if fits
                else CheckIn(id=i, goal_id=g, author="e0001", at=at, done=False)
                for i, g, at, fits in items
            ]
            self.both(lambda u: u.goals.add_check_ins(_stream(check_ins)))

        @precondition(lambda self: bool(self.open))
        @rule(
            items=st.lists(
                st.tuples(
                    st.sampled_from(_EVENT_IDS),
                    st.sampled_from(("praise", "note", "request", "response", "response")),
                    st.integers(0, len(people) - 1),
                    st.integers(1, len(people) - 1),
                    st.sampled_from(_TIMES),
                    st.sampled_from(_EVENT_IDS),
                ),
                max_size=5,
            )
        )
        def add_many_events(self, items: list[tuple[str, str, int, int, datetime, str]]) -> None:
            events = [make_event(*item) for item in items]
            self.both(lambda u: u.feedback.add_many(_stream(events)))

        @precondition(lambda self: bool(self.open))
        @rule(
            items=st.lists(
                st.tuples(
                    st.sampled_from((*_REVIEW_IDS, "r4", "r5")),
                    st.sampled_from(_CYCLES),
                    st.integers(0, 3),
                    st.sampled_from((True, True, True, True, False)),
                ),
                max_size=4,
            )
        )
        def add_many_reviews(self, items: list[tuple[str, str, int, bool]]) -> None:
            reviews = [
                attrs.evolve(data.reviews[t], id=i, summary="streamed", cycle_id=c)
                if ok
                else _goal(i)
                for i, c, t, ok in items
            ]
            self.both(lambda u: u.reviews.add_many(_stream(reviews)))

        @precondition(lambda self: bool(self.open))
        @rule(
            cycle_id=st.sampled_from((*_CYCLES, "fy1999")), subject=st.sampled_from((None, *people))
        )
        def read_streams(self, cycle_id: str, subject: str | None) -> None:
            for name in ("goals", "check-ins", "log", "reviews"):

                def streamed(uow: UnitOfWork, name: str = name) -> list[Any]:
                    got, want = _streams(uow, cycle_id, subject)[name]
                    assert got == want, f"{name}: the iterator differs from the listing"
                    return list(got)

                self.both(streamed)

        @precondition(lambda self: bool(self.open))
        @rule(
            kind=st.sampled_from(sorted(_ITERATORS)),
            write=st.sampled_from(("save", "add_many", "commit", "rollback")),
        )
        def write_while_iterating(self, kind: str, write: str) -> None:
            def probe(uow: UnitOfWork) -> tuple[bool, tuple[Any, ...]]:
                it = _ITERATORS[kind](uow)
                try:
                    started = next(it, None) is not None
                    outcome = _outcome(
                        {
                            "save": lambda u: u.goals.save(_goal("g6", title="While iterating")),
                            "add_many": lambda u: u.reviews.add_many([_review("r5")]),
                            "commit": lambda u: u.commit(),
                            "rollback": lambda u: u.rollback(),
                        }[write],
                        uow,
                    )
                    return started, outcome
                finally:
                    _close(it)

            self.both(probe)

        @precondition(lambda self: bool(self.open))
        @rule(at=st.sampled_from(_TIMES), cycle_id=st.sampled_from(_CYCLES), keep=st.integers(1, 8))
        def save_result(self, at: datetime, cycle_id: str, keep: int) -> None:
            # Backwards: by_unit must sort by employee id whatever the order saved.
            employees = result.employees[:keep][::-1]
            changed = attrs.evolve(result, at=at, cycle_id=cycle_id, employees=employees)
            self.both(lambda u: u.results.save(changed))

        # --- reads ----------------------------------------------------------------------------

        @precondition(lambda self: bool(self.open))
        @rule(
            record=st.sampled_from(
                [("goals", i) for i in (*_GOAL_IDS, "g-none")]
                + [("reviews", i) for i in _REVIEW_IDS]
                + [("calibrations", i) for i in _SESSION_IDS]
            )
        )
        def read_record(self, record: tuple[str, str]) -> None:
            repo, record_id = record
            self.both(lambda u: getattr(u, repo).get(record_id))
            self.both(lambda u: getattr(u, repo).version(record_id))

        @precondition(lambda self: bool(self.open))
        @rule(
            cycle_id=st.sampled_from((*_CYCLES, "fy1999")),
            person=st.sampled_from(people),
            goal_id=st.sampled_from((*_GOAL_IDS, "g-none")),
        )
        def read_goals(self, cycle_id: str, person: str, goal_id: str) -> None:
            self.both(lambda u: u.goals.in_cycle(cycle_id))
            self.both(lambda u: u.goals.of_employee(person, cycle_id))
            self.both(lambda u: u.goals.check_ins(goal_id))
            self.both(lambda u: u.goals.goal_set(cycle_id))

        @precondition(lambda self: bool(self.open))
        @rule(
            subject=st.sampled_from(people),
            start=st.sampled_from((None, *_TIMES)),
            end=st.sampled_from((None, *_TIMES)),
        )
        def read_feedback(self, subject: str, start: datetime | None, end: datetime | None) -> None:
            self.both(lambda u: u.feedback.about(subject, start, end))
            self.both(lambda u: u.feedback.log())

        @precondition(lambda self: bool(self.open))
        @rule(cycle_id=st.sampled_from((*_CYCLES, "fy1999")), subject=st.sampled_from(people))
        def read_reviews(self, cycle_id: str, subject: str) -> None:
            self.both(lambda u: u.reviews.by_cycle(cycle_id))
            self.both(lambda u: u.reviews.by_cycle(cycle_id, subject))

        @precondition(lambda self: bool(self.open))
        @rule(cycle_id=st.sampled_from(_CYCLES), unit=st.sampled_from(units))
        def read_results(self, cycle_id: str, unit: str) -> None:
            self.both(lambda u: u.results.get(cycle_id))
            self.both(lambda u: u.results.by_unit(cycle_id, unit))

        @precondition(lambda self: bool(self.open))
        @rule(person=st.sampled_from((*people, "e9999")))
        def read_organisation_and_cycles(self, person: str) -> None:
            self.both(lambda u: u.organisation.load())
            self.both(lambda u: u.organisation.employee(person))
            self.both(lambda u: u.cycles.list())
            self.both(lambda u: u.cycles.version(_CYCLE))
            self.both(lambda u: u.cycle_data(_CYCLE))

        @precondition(lambda self: bool(self.open))
        @rule(record_id=st.sampled_from((None, *_GOAL_IDS, *_REVIEW_IDS, _CYCLE)))
        def read_audit(self, record_id: str | None) -> None:
            self.both(lambda u: u.audit.entries(record_id))

        @invariant()
        def the_audit_log_verifies(self) -> None:
            if self.open:
                assert self.both(lambda u: u.audit.verify().ok) == ("ok", True)

    return StoreMatchesTheModel

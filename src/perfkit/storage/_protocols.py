"""The storage protocols: what every adapter (memory, SQLite, PostgreSQL, a host's own) provides.

The domain and the cycle run depend on these protocols only. A store hands out units of work; a
unit of work holds one repository per kind of record and commits all or nothing::

    with store.transaction(actor="dana", at=now) as uow:
        review = uow.reviews.get("r-17")
        version = uow.reviews.version("r-17")
        uow.reviews.save(review.rate(...), expected_version=version)
        uow.commit()          # leaving the block without commit() rolls everything back

Records that people edit (goals, reviews, calibration sessions) carry a store-managed version:
``save(item, expected_version=n)`` writes only if the stored version is still ``n`` and returns
``n + 1``; otherwise it raises :class:`ConcurrencyError` and nothing is overwritten.
``expected_version=None`` inserts a new record (an existing id is a ``ConcurrencyError`` too).

Large cycles are written and read as streams (``add_many``, ``add_check_ins``, ``iter_*``), a
batch at a time, so memory depends on the batch, not on the cycle. The rules every adapter keeps:

- **The same records as one by one.** ``goals.add_many(xs)`` leaves the store exactly as
  ``goals.save(x)`` for each ``x`` in order would (versions 1, the same audit entries in the same
  order); ``list(goals.iter_in_cycle(c)) == goals.in_cycle(c)``, and so on. An empty iterable
  stores nothing, writes no audit entry and returns 0.
- **All or nothing per call.** If any item is refused, the call raises and nothing of that call
  is kept; what the unit of work wrote before stays and it can go on. The error names the item
  by the argument and its position in the iterable: ``goals[12]`` (not a Goal),
  ``check_ins[40000].goal_id`` (``UnknownReferenceError``), ``events[3].request_id``;
  ``ConcurrencyError(kind, id, None, found)`` for an id already stored, and
  ``ConcurrencyError(kind, id, None, 1)`` for an id repeated inside the call. A ``str``, a
  ``dict`` or a non-iterable argument is a ``ValidationError`` naming the argument.
- **Lazy.** Writers consume any iterable (a generator reading a file) a batch at a time; an
  exception the iterable raises propagates, and nothing of the call is kept. Iterators read
  nothing until their first ``next()``; a bad argument raises at the call.
- **Iterators belong to their unit of work** and see its uncommitted writes made before they
  started. While one is open (started, neither exhausted nor closed), every write of the unit of
  work and ``commit``/``rollback`` raise ``StoreError`` and change nothing: finish the iteration
  or ``close()`` it first (the iterators are generators). After the unit of work ends, ``next()``
  raises ``StoreError``.

Every change to goals, reviews (ratings), calibration sessions (adjustments) and cycle results
(rewards) is appended to the audit log with the unit of work's actor and time, hash-chained so
that :meth:`AuditLog.verify` detects an entry edited or deleted behind perfkit's back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable

from ..calibration import CalibrationSession
from ..cycles import ReviewCycle
from ..dataset import CycleData
from ..feedback import FeedbackEvent, FeedbackLog
from ..goals import CheckIn, Goal, GoalSet
from ..org import Employee, Organisation
from ..reviews import Review
from ..run import CycleResult, EmployeeResult
from ._audit import AuditEntry, AuditReport

__all__ = [
    "AuditLog",
    "CalibrationRepository",
    "CycleRepository",
    "FeedbackRepository",
    "GoalRepository",
    "OrganisationRepository",
    "ResultRepository",
    "ReviewRepository",
    "Store",
    "UnitOfWork",
]


class OrganisationRepository(Protocol):
    """The organisation: units and employees, saved and loaded as a whole."""

    def save(self, organisation: Organisation) -> None:
        """Replace the stored organisation with this one."""

    def load(self) -> Organisation:
        """The stored organisation (an empty one when nothing was saved)."""

    def employee(self, employee_id: str) -> Employee:
        """One employee; ``NotFoundError`` when there is none."""


class CycleRepository(Protocol):
    def add(self, cycle: ReviewCycle) -> None:
        """Store a new cycle; an existing id raises ``ConcurrencyError``."""

    def save(self, cycle: ReviewCycle, expected_version: int) -> int:
        """Replace a cycle (its stage moved) if its version is still ``expected_version``."""

    def get(self, cycle_id: str) -> ReviewCycle: ...

    def version(self, cycle_id: str) -> int: ...

    def list(self) -> tuple[ReviewCycle, ...]:
        """Every cycle, by id."""


class GoalRepository(Protocol):
    def save(self, goal: Goal, expected_version: int | None = None) -> int:
        """Insert (``expected_version=None``) or update a goal; returns the new version."""

    def get(self, goal_id: str) -> Goal: ...

    def version(self, goal_id: str) -> int: ...

    def in_cycle(self, cycle_id: str) -> tuple[Goal, ...]:
        """The goals of a cycle, by id."""

    def of_employee(self, employee_id: str, cycle_id: str) -> tuple[Goal, ...]:
        """The goals an employee owns in a cycle, by id."""

    def add_check_in(self, check_in: CheckIn) -> None:
        """Record a check-in (check-ins are never edited); its goal must exist."""

    def check_ins(self, goal_id: str) -> tuple[CheckIn, ...]:
        """A goal's check-ins, chronological, then by id."""

    def goal_set(self, cycle_id: str) -> GoalSet:
        """The cycle's goals with their check-ins, as one checked GoalSet."""

    def add_many(self, goals: Iterable[Goal]) -> int:
        """Insert new goals, a batch at a time, as ``save(goal)`` (``expected_version=None``)
        for each would: version 1, each with its audit entry, in order. Returns how many.

        All or nothing: a refused goal (``goals[i]`` not a Goal, an id already stored or
        repeated in ``goals``: ``ConcurrencyError("goal", id, None, 1)``) keeps nothing of the
        call; the unit of work goes on. ``goals`` is consumed lazily (any iterable, not a str
        or a dict)."""

    def add_check_ins(self, check_ins: Iterable[CheckIn]) -> int:
        """Record check-ins, a batch at a time, as ``add_check_in`` for each would: each
        against its stored goal's metric (stored: committed, or written earlier in this unit
        of work). Returns how many.

        All or nothing: ``check_ins[i].goal_id`` (``UnknownReferenceError``) for a goal not
        stored, a ``ValidationError`` below ``check_ins[i]`` for a reading that does not fit,
        ``ConcurrencyError("check_in", id, None, 1)`` for an id stored or repeated."""

    def iter_in_cycle(self, cycle_id: str) -> Iterator[Goal]:
        """The goals of :meth:`in_cycle`, in the same order, read a batch at a time.

        A generator of this unit of work: nothing is read before the first ``next()``; while
        it is open, writes, commit and rollback raise ``StoreError`` (close it first)."""

    def iter_check_ins(self, cycle_id: str) -> Iterator[CheckIn]:
        """The check-ins of ``goal_set(cycle_id)`` (of the goals :meth:`in_cycle` gives), in the
        same order (chronological, then by id), read a batch at a time (see
        :meth:`iter_in_cycle`)."""


class FeedbackRepository(Protocol):
    def add(self, event: FeedbackEvent) -> None:
        """Record a feedback event (events are never edited)."""

    def about(
        self, subject: str, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[FeedbackEvent, ...]:
        """Events about ``subject`` with ``start <= at < end``, chronological, then by id."""

    def log(self) -> FeedbackLog:
        """Every event, as one checked FeedbackLog."""

    def add_many(self, events: Iterable[FeedbackEvent]) -> int:
        """Record events, a batch at a time, as ``add(event)`` for each would: a response must
        answer a request that is stored or earlier in ``events`` (about the same person, from
        someone asked, not before the request, once per person). Returns how many.

        All or nothing: ``events[i]`` (not an event), ``events[i].request_id``
        (``UnknownReferenceError``), ``events[i].author``, ...;
        ``ConcurrencyError("feedback", id, None, 1)`` for an id stored or repeated."""

    def iter_log(self) -> Iterator[FeedbackEvent]:
        """The events of :meth:`log`, in the same order (chronological, then by id), read a
        batch at a time (a generator of this unit of work, see
        :meth:`GoalRepository.iter_in_cycle`)."""


class ReviewRepository(Protocol):
    def save(self, review: Review, expected_version: int | None = None) -> int: ...

    def get(self, review_id: str) -> Review: ...

    def version(self, review_id: str) -> int: ...

    def by_cycle(self, cycle_id: str, subject: str | None = None) -> tuple[Review, ...]:
        """A cycle's reviews (of one subject if given), by id."""

    def add_many(self, reviews: Iterable[Review]) -> int:
        """Insert new reviews, a batch at a time, as ``save(review)`` for each would (version 1,
        audited, in order). Returns how many. All or nothing: ``reviews[i]`` (not a Review),
        ``ConcurrencyError("review", id, None, found)`` for an id stored or repeated."""

    def iter_by_cycle(self, cycle_id: str, subject: str | None = None) -> Iterator[Review]:
        """The reviews of :meth:`by_cycle`, in the same order, read a batch at a time (a
        generator of this unit of work, see :meth:`GoalRepository.iter_in_cycle`)."""


class CalibrationRepository(Protocol):
    def save(self, session: CalibrationSession, expected_version: int | None = None) -> int:
        """Save a whole calibration session (population and adjustments) atomically."""

    def get(self, session_id: str) -> CalibrationSession: ...

    def version(self, session_id: str) -> int: ...


class ResultRepository(Protocol):
    def save(self, result: CycleResult) -> None:
        """Store a cycle's results, replacing earlier results of that cycle, atomically."""

    def get(self, cycle_id: str) -> CycleResult: ...

    def by_unit(self, cycle_id: str, unit_id: str) -> tuple[EmployeeResult, ...]:
        """The results of the people whose unit is ``unit_id`` (that unit only), by id."""


class AuditLog(Protocol):
    def entries(self, record_id: str | None = None) -> tuple[AuditEntry, ...]:
        """The log in order (of one record if given)."""

    def verify(self) -> AuditReport:
        """Re-compute the hash chain; the report lists every entry that does not match."""


class UnitOfWork(Protocol):
    """One transaction: repositories that read and write inside it, and commit/rollback."""

    organisation: OrganisationRepository
    cycles: CycleRepository
    goals: GoalRepository
    feedback: FeedbackRepository
    reviews: ReviewRepository
    calibrations: CalibrationRepository
    results: ResultRepository
    audit: AuditLog

    def import_data(self, data: CycleData) -> None:
        """Store a whole cycle's inputs: organisation, cycle, goals, check-ins, feedback,
        scales, forms and reviews, all or nothing (with the unit of work)."""

    def cycle_data(self, cycle_id: str) -> CycleData:
        """Load a whole cycle's inputs back (equal to what :meth:`import_data` stored)."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


@runtime_checkable
class Store(Protocol):
    """A place perfkit data lives. ``transaction`` opens a unit of work; ``actor``, ``at`` and
    ``reason`` stamp the audit entries it writes."""

    def transaction(
        self, *, actor: str, at: datetime, reason: str = ""
    ) -> AbstractContextManager[UnitOfWork]: ...

    def close(self) -> None: ...

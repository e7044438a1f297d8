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

Every change to goals, reviews (ratings), calibration sessions (adjustments) and cycle results
(rewards) is appended to the audit log with the unit of work's actor and time, hash-chained so
that :meth:`AuditLog.verify` detects an entry edited or deleted behind perfkit's back.
"""

from __future__ import annotations

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


class FeedbackRepository(Protocol):
    def add(self, event: FeedbackEvent) -> None:
        """Record a feedback event (events are never edited)."""

    def about(
        self, subject: str, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[FeedbackEvent, ...]:
        """Events about ``subject`` with ``start <= at < end``, chronological, then by id."""

    def log(self) -> FeedbackLog:
        """Every event, as one checked FeedbackLog."""


class ReviewRepository(Protocol):
    def save(self, review: Review, expected_version: int | None = None) -> int: ...

    def get(self, review_id: str) -> Review: ...

    def version(self, review_id: str) -> int: ...

    def by_cycle(self, cycle_id: str, subject: str | None = None) -> tuple[Review, ...]:
        """A cycle's reviews (of one subject if given), by id."""


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

"""Storage the host chooses: protocols, and adapters that implement them.

``perfkit.storage`` defines what a store provides (:class:`Store`, :class:`UnitOfWork` and one
repository per kind of record); adapters implement it: in memory (``perfkit.storage.memory``),
SQLite (``perfkit.storage.sqlite``, the embedded default) and PostgreSQL
(``perfkit.storage.postgres``, the ``perfkit[postgres]`` extra). ``perfkit.testing`` holds the
conformance suite every adapter passes — a host's own adapter too.
"""

from .._errors import ConcurrencyError, StoreError
from ._audit import GENESIS, AuditEntry, AuditProblem, AuditReport, chain_hash, entry, verify_chain
from ._protocols import (
    AuditLog,
    CalibrationRepository,
    CycleRepository,
    FeedbackRepository,
    GoalRepository,
    OrganisationRepository,
    ResultRepository,
    ReviewRepository,
    Store,
    UnitOfWork,
)
from .memory import MemoryStore
from .sqlite import SqliteStore

__all__ = [
    "AuditEntry",
    "AuditLog",
    "AuditProblem",
    "AuditReport",
    "CalibrationRepository",
    "ConcurrencyError",
    "CycleRepository",
    "FeedbackRepository",
    "GENESIS",
    "GoalRepository",
    "MemoryStore",
    "OrganisationRepository",
    "ResultRepository",
    "ReviewRepository",
    "SqliteStore",
    "Store",
    "StoreError",
    "UnitOfWork",
    "chain_hash",
    "entry",
    "verify_chain",
]

"""The SQLite file format of :class:`~perfkit.storage.sqlite.SqliteStore`: tables and migrations.

The schema is a list of numbered steps. Step ``n`` brings a file from schema ``n - 1`` to
schema ``n``; a new file gets every step, an older file the steps it lacks, all in one
transaction, so a file is always at exactly one schema version (kept in ``perfkit_schema``).
``PRAGMA application_id`` marks the file as perfkit's, so that another program's SQLite file is
never mistaken for (or "migrated" into) a perfkit store.

Every record is kept as its perfkit JSON document (``record``), next to the columns that the
queries filter and sort on; timestamps are kept twice: as ISO text in UTC (``*_utc``, which sorts
chronologically as text) and as the original text with its offset (``*_text``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from .. import _validation as v
from .._errors import ValidationError

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "Migration", "check_migrations"]

APPLICATION_ID = 0x50464B54
"""``PRAGMA application_id`` of a perfkit file: the bytes ``PFKT``."""


def _statements(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple):
        raise ValidationError(attribute.name, value, "is not a sequence of SQL statements")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ValidationError(f"{attribute.name}[{i}]", item, "is not an SQL statement")


def _callable(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not callable(value):
        raise ValidationError(attribute.name, value, "is not a function of a sqlite3 connection")


@attrs.frozen(kw_only=True)
class Migration:
    """One step of the schema: the SQL ``statements`` (then the function ``apply``, for data
    changes that SQL cannot express) that bring a file to schema ``version``.

    Every missing step runs in one transaction, so ``apply`` must neither commit nor roll back.
    Steps never change once released: a new perfkit that needs another table or column appends
    a step.
    """

    version: int = attrs.field(validator=[v.instance_of(int), v.positive])
    description: str = attrs.field(validator=v.non_empty_text)
    statements: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=_statements
    )
    apply: Callable[[sqlite3.Connection], None] | None = attrs.field(
        default=None, validator=_callable
    )

    def run(self, conn: sqlite3.Connection) -> None:
        """Apply this step on ``conn``, inside the caller's transaction."""
        for statement in self.statements:
            conn.execute(statement)
        if self.apply is not None:
            self.apply(conn)


_SCHEMA_1 = (
    # The schema version of this file (one row).
    """CREATE TABLE perfkit_schema (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        version INTEGER NOT NULL CHECK (version >= 1),
        written_by TEXT NOT NULL
    )""",
    # The organisation, saved and loaded as a whole; ``position`` keeps the order it was given.
    # (The indexes on the columns that refer to other rows keep the foreign key checks quick.)
    """CREATE TABLE org_units (
        position INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        parent_id TEXT REFERENCES org_units (id) DEFERRABLE INITIALLY DEFERRED,
        record TEXT NOT NULL
    )""",
    "CREATE INDEX org_units_by_parent ON org_units (parent_id, id)",
    """CREATE TABLE employees (
        position INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        unit_id TEXT NOT NULL REFERENCES org_units (id) DEFERRABLE INITIALLY DEFERRED,
        manager_id TEXT REFERENCES employees (id) DEFERRABLE INITIALLY DEFERRED,
        record TEXT NOT NULL
    )""",
    "CREATE INDEX employees_by_unit ON employees (unit_id, id)",
    "CREATE INDEX employees_by_manager ON employees (manager_id, id)",
    # Review cycles.
    """CREATE TABLE cycles (
        id TEXT PRIMARY KEY,
        stage TEXT NOT NULL,
        start_date TEXT NOT NULL,
        end_date TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        record TEXT NOT NULL
    )""",
    # Goals and their check-ins.
    """CREATE TABLE goals (
        position INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        cycle_id TEXT,
        owner_kind TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        record TEXT NOT NULL
    )""",
    "CREATE INDEX goals_by_cycle ON goals (cycle_id, id)",
    "CREATE INDEX goals_by_owner ON goals (owner_id, cycle_id, id)",
    """CREATE TABLE check_ins (
        position INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        goal_id TEXT NOT NULL REFERENCES goals (id),
        author TEXT NOT NULL,
        at_utc TEXT NOT NULL,
        at_text TEXT NOT NULL,
        record TEXT NOT NULL
    )""",
    "CREATE INDEX check_ins_by_goal ON check_ins (goal_id, at_utc, id)",
    # Feedback events (never edited).
    """CREATE TABLE feedback (
        position INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        author TEXT NOT NULL,
        subject TEXT NOT NULL,
        goal_id TEXT,
        request_id TEXT,
        at_utc TEXT NOT NULL,
        at_text TEXT NOT NULL,
        record TEXT NOT NULL
    )""",
    "CREATE INDEX feedback_by_subject ON feedback (subject, at_utc, id)",
    "CREATE INDEX feedback_by_time ON feedback (at_utc, id)",
    "CREATE INDEX feedback_by_request ON feedback (request_id, author)",
    # The rating scales (every version of each) and review forms a cycle was imported with.
    """CREATE TABLE cycle_scales (
        position INTEGER PRIMARY KEY,
        cycle_id TEXT NOT NULL REFERENCES cycles (id),
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        record TEXT NOT NULL,
        UNIQUE (cycle_id, id, version)
    )""",
    """CREATE TABLE cycle_forms (
        position INTEGER PRIMARY KEY,
        cycle_id TEXT NOT NULL REFERENCES cycles (id),
        id TEXT NOT NULL,
        record TEXT NOT NULL,
        UNIQUE (cycle_id, id)
    )""",
    # Reviews.
    """CREATE TABLE reviews (
        position INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        cycle_id TEXT NOT NULL,
        form_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        role TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        record TEXT NOT NULL
    )""",
    "CREATE INDEX reviews_by_cycle ON reviews (cycle_id, id)",
    "CREATE INDEX reviews_by_subject ON reviews (subject, cycle_id, id)",
    # Calibration sessions.
    """CREATE TABLE calibrations (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        record TEXT NOT NULL
    )""",
    # Cycle results: the whole result, and one row per person, kept in unit order for the
    # queries by unit.
    """CREATE TABLE results (
        cycle_id TEXT PRIMARY KEY,
        policy TEXT NOT NULL,
        at_utc TEXT NOT NULL,
        at_text TEXT NOT NULL,
        record TEXT NOT NULL
    )""",
    """CREATE TABLE employee_results (
        cycle_id TEXT NOT NULL REFERENCES results (cycle_id) ON DELETE CASCADE,
        employee_id TEXT NOT NULL,
        unit_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (cycle_id, unit_id, employee_id, position)
    ) WITHOUT ROWID""",
    # The audit log (hash-chained) and its head: the hash of the last entry, kept apart.
    """CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        actor TEXT NOT NULL,
        at_utc TEXT NOT NULL,
        at_text TEXT NOT NULL,
        kind TEXT NOT NULL,
        record_id TEXT NOT NULL,
        before TEXT,
        after TEXT NOT NULL,
        reason TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    "CREATE INDEX audit_by_record ON audit (record_id, seq)",
    """CREATE TABLE audit_head (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    )""",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(version=1, description="the first schema", statements=_SCHEMA_1),
)
"""Every step of the schema, in order."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this perfkit writes (and the newest it reads)."""


def check_migrations(migrations: object) -> tuple[Migration, ...]:
    """``migrations`` as a tuple, if it numbers its steps 1, 2, 3, … in order."""
    if isinstance(migrations, str | bytes) or not isinstance(migrations, Sequence):
        raise ValidationError("migrations", migrations, "is not a sequence of Migration steps")
    steps = tuple(migrations)
    if not steps:
        raise ValidationError("migrations", steps, "is empty (the first step creates the schema)")
    for i, step in enumerate(steps):
        if not isinstance(step, Migration):
            raise ValidationError(f"migrations[{i}]", step, "is not a Migration")
        if step.version != i + 1:
            raise ValidationError(
                f"migrations[{i}].version",
                step.version,
                f"is not {i + 1} (steps are numbered 1, 2, 3, … in order)",
            )
    return steps

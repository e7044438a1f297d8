"""The PostgreSQL adapter's tables: the migrations that create them, and the SQLAlchemy Core
tables the queries use.

Every record is kept as its perfkit JSON document (``doc``, TEXT, so the canonical text comes
back byte for byte) next to the columns the queries filter and sort on. Ids are ``COLLATE "C"``
so that ``ORDER BY id`` is code-point order, the order Python sorts strings in. ``pos`` keeps the
order of the records whose order means something (an organisation's units and employees, a
cycle's scales and forms, a result's employees).

The database's layout is versioned in ``perfkit_schema`` (one row per migration applied).
:data:`MIGRATIONS` is the numbered list of forward migrations: a new perfkit release appends
one and never edits an old one.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

__all__ = ["MIGRATIONS", "Migration", "Tables", "tables"]


class Migration(NamedTuple):
    """One step of the database layout: ``version`` (from 1, no gaps), what it does, and its
    SQL statements (``{s}`` stands for the quoted schema name)."""

    version: int
    description: str
    statements: tuple[str, ...]


_ID = 'text COLLATE "C"'

_V1 = (
    # --- the organisation ----------------------------------------------------------------
    f"""CREATE TABLE {{s}}.units (
        id {_ID} PRIMARY KEY,
        parent_id {_ID} REFERENCES {{s}}.units (id) DEFERRABLE INITIALLY DEFERRED,
        head_id {_ID},
        pos bigint GENERATED ALWAYS AS IDENTITY,
        doc text NOT NULL
    )""",
    "CREATE INDEX units_parent ON {s}.units (parent_id)",
    "CREATE INDEX units_head ON {s}.units (head_id)",
    f"""CREATE TABLE {{s}}.employees (
        id {_ID} PRIMARY KEY,
        unit_id {_ID} NOT NULL REFERENCES {{s}}.units (id) DEFERRABLE INITIALLY DEFERRED,
        manager_id {_ID} REFERENCES {{s}}.employees (id) DEFERRABLE INITIALLY DEFERRED,
        pos bigint GENERATED ALWAYS AS IDENTITY,
        doc text NOT NULL
    )""",
    "CREATE INDEX employees_unit ON {s}.employees (unit_id)",
    "CREATE INDEX employees_manager ON {s}.employees (manager_id)",
    """ALTER TABLE {s}.units ADD CONSTRAINT units_head_fkey FOREIGN KEY (head_id)
        REFERENCES {s}.employees (id) DEFERRABLE INITIALLY DEFERRED""",
    # --- cycles, goals and check-ins ------------------------------------------------------
    f"""CREATE TABLE {{s}}.cycles (
        id {_ID} PRIMARY KEY,
        version integer NOT NULL CHECK (version >= 1),
        doc text NOT NULL
    )""",
    f"""CREATE TABLE {{s}}.goals (
        id {_ID} PRIMARY KEY,
        cycle_id {_ID},
        owner_kind text NOT NULL,
        owner_id {_ID} NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        doc text NOT NULL
    )""",
    "CREATE INDEX goals_cycle ON {s}.goals (cycle_id, id)",
    "CREATE INDEX goals_owner ON {s}.goals (owner_kind, owner_id, cycle_id, id)",
    f"""CREATE TABLE {{s}}.check_ins (
        id {_ID} PRIMARY KEY,
        goal_id {_ID} NOT NULL REFERENCES {{s}}.goals (id),
        at timestamptz NOT NULL,
        doc text NOT NULL
    )""",
    "CREATE INDEX check_ins_goal ON {s}.check_ins (goal_id, at, id)",
    # --- feedback -------------------------------------------------------------------------
    f"""CREATE TABLE {{s}}.feedback (
        id {_ID} PRIMARY KEY,
        kind text NOT NULL,
        subject {_ID} NOT NULL,
        at timestamptz NOT NULL,
        request_id {_ID} REFERENCES {{s}}.feedback (id) DEFERRABLE INITIALLY DEFERRED,
        doc text NOT NULL
    )""",
    "CREATE INDEX feedback_subject ON {s}.feedback (subject, at, id)",
    "CREATE INDEX feedback_request ON {s}.feedback (request_id)",
    "CREATE INDEX feedback_at ON {s}.feedback (at, id)",
    # --- a cycle's scales and forms -------------------------------------------------------
    f"""CREATE TABLE {{s}}.scales (
        cycle_id {_ID} NOT NULL REFERENCES {{s}}.cycles (id),
        scale_id {_ID} NOT NULL,
        scale_version integer NOT NULL,
        kind text NOT NULL,
        pos bigint GENERATED ALWAYS AS IDENTITY,
        doc text NOT NULL,
        PRIMARY KEY (cycle_id, scale_id, scale_version)
    )""",
    f"""CREATE TABLE {{s}}.forms (
        cycle_id {_ID} NOT NULL REFERENCES {{s}}.cycles (id),
        form_id {_ID} NOT NULL,
        pos bigint GENERATED ALWAYS AS IDENTITY,
        doc text NOT NULL,
        PRIMARY KEY (cycle_id, form_id)
    )""",
    # --- reviews and calibration ----------------------------------------------------------
    f"""CREATE TABLE {{s}}.reviews (
        id {_ID} PRIMARY KEY,
        cycle_id {_ID} NOT NULL,
        subject {_ID} NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        doc text NOT NULL
    )""",
    "CREATE INDEX reviews_cycle ON {s}.reviews (cycle_id, id)",
    "CREATE INDEX reviews_subject ON {s}.reviews (cycle_id, subject, id)",
    f"""CREATE TABLE {{s}}.calibrations (
        id {_ID} PRIMARY KEY,
        version integer NOT NULL CHECK (version >= 1),
        doc text NOT NULL
    )""",
    # --- results --------------------------------------------------------------------------
    f"""CREATE TABLE {{s}}.results (
        cycle_id {_ID} PRIMARY KEY,
        doc text NOT NULL
    )""",
    f"""CREATE TABLE {{s}}.result_employees (
        cycle_id {_ID} NOT NULL REFERENCES {{s}}.results (cycle_id) ON DELETE CASCADE,
        pos integer NOT NULL,
        employee_id {_ID} NOT NULL,
        unit_id {_ID} NOT NULL,
        doc text NOT NULL,
        PRIMARY KEY (cycle_id, pos)
    )""",
    "CREATE INDEX result_employees_unit ON {s}.result_employees (cycle_id, unit_id, employee_id)",
    # --- the audit log and its head -------------------------------------------------------
    f"""CREATE TABLE {{s}}.audit (
        seq bigint PRIMARY KEY CHECK (seq >= 1),
        actor {_ID} NOT NULL,
        at text NOT NULL,
        kind {_ID} NOT NULL,
        record_id {_ID} NOT NULL,
        before text,
        after text NOT NULL,
        reason text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL
    )""",
    "CREATE INDEX audit_record ON {s}.audit (record_id, seq)",
    """CREATE TABLE {s}.audit_head (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        seq bigint NOT NULL CHECK (seq >= 0),
        hash text
    )""",
    "INSERT INTO {s}.audit_head (one, seq, hash) VALUES (true, 0, NULL)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "organisation, cycles, goals, check-ins, feedback, scales, forms, reviews, "
        "calibration sessions, results and the audit log",
        _V1,
    ),
)
"""The forward migrations, in order. ``MIGRATIONS[-1].version`` is the layout this perfkit
writes."""

SCHEMA_TABLE = """CREATE TABLE {s}.perfkit_schema (
    version integer PRIMARY KEY CHECK (version >= 1),
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
"""The table that says a schema is perfkit's and which migrations it holds."""


class Tables(NamedTuple):
    """The tables of one schema, for SQLAlchemy Core statements."""

    schema_versions: sa.Table
    units: sa.Table
    employees: sa.Table
    cycles: sa.Table
    goals: sa.Table
    check_ins: sa.Table
    feedback: sa.Table
    scales: sa.Table
    forms: sa.Table
    reviews: sa.Table
    calibrations: sa.Table
    results: sa.Table
    result_employees: sa.Table
    audit: sa.Table
    audit_head: sa.Table


def _id(name: str, *, nullable: bool = False, primary_key: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=nullable and not primary_key, primary_key=primary_key)


def _pos() -> sa.Column[int]:
    return sa.Column("pos", sa.BigInteger, sa.Identity(always=True), nullable=False)


def _doc() -> sa.Column[str]:
    return sa.Column("doc", sa.Text, nullable=False)


def _version() -> sa.Column[int]:
    return sa.Column("version", sa.Integer, nullable=False)


def tables(schema: str) -> Tables:
    """The tables in ``schema`` (built per store, so that no global state holds a schema)."""
    md = sa.MetaData(schema=schema)
    at = sa.DateTime(timezone=True)
    return Tables(
        schema_versions=sa.Table(
            "perfkit_schema",
            md,
            sa.Column("version", sa.Integer, primary_key=True),
            sa.Column("description", sa.Text, nullable=False),
            sa.Column("applied_at", at, nullable=False),
        ),
        units=sa.Table(
            "units",
            md,
            _id("id", primary_key=True),
            _id("parent_id", nullable=True),
            _id("head_id", nullable=True),
            _pos(),
            _doc(),
        ),
        employees=sa.Table(
            "employees",
            md,
            _id("id", primary_key=True),
            _id("unit_id"),
            _id("manager_id", nullable=True),
            _pos(),
            _doc(),
        ),
        cycles=sa.Table("cycles", md, _id("id", primary_key=True), _version(), _doc()),
        goals=sa.Table(
            "goals",
            md,
            _id("id", primary_key=True),
            _id("cycle_id", nullable=True),
            sa.Column("owner_kind", sa.Text, nullable=False),
            _id("owner_id"),
            _version(),
            _doc(),
        ),
        check_ins=sa.Table(
            "check_ins",
            md,
            _id("id", primary_key=True),
            _id("goal_id"),
            sa.Column("at", at, nullable=False),
            _doc(),
        ),
        feedback=sa.Table(
            "feedback",
            md,
            _id("id", primary_key=True),
            sa.Column("kind", sa.Text, nullable=False),
            _id("subject"),
            sa.Column("at", at, nullable=False),
            _id("request_id", nullable=True),
            _doc(),
        ),
        scales=sa.Table(
            "scales",
            md,
            _id("cycle_id", primary_key=True),
            _id("scale_id", primary_key=True),
            sa.Column("scale_version", sa.Integer, primary_key=True),
            sa.Column("kind", sa.Text, nullable=False),
            _pos(),
            _doc(),
        ),
        forms=sa.Table(
            "forms",
            md,
            _id("cycle_id", primary_key=True),
            _id("form_id", primary_key=True),
            _pos(),
            _doc(),
        ),
        reviews=sa.Table(
            "reviews",
            md,
            _id("id", primary_key=True),
            _id("cycle_id"),
            _id("subject"),
            _version(),
            _doc(),
        ),
        calibrations=sa.Table("calibrations", md, _id("id", primary_key=True), _version(), _doc()),
        results=sa.Table("results", md, _id("cycle_id", primary_key=True), _doc()),
        result_employees=sa.Table(
            "result_employees",
            md,
            _id("cycle_id", primary_key=True),
            sa.Column("pos", sa.Integer, primary_key=True, autoincrement=False),
            _id("employee_id"),
            _id("unit_id"),
            _doc(),
        ),
        audit=sa.Table(
            "audit",
            md,
            sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
            _id("actor"),
            sa.Column("at", sa.Text, nullable=False),
            _id("kind"),
            _id("record_id"),
            sa.Column("before", sa.Text, nullable=True),
            sa.Column("after", sa.Text, nullable=False),
            sa.Column("reason", sa.Text, nullable=False),
            sa.Column("prev_hash", sa.Text, nullable=False),
            sa.Column("hash", sa.Text, nullable=False),
        ),
        audit_head=sa.Table(
            "audit_head",
            md,
            sa.Column("one", sa.Boolean, primary_key=True),
            sa.Column("seq", sa.BigInteger, nullable=False),
            sa.Column("hash", sa.Text, nullable=True),
        ),
    )

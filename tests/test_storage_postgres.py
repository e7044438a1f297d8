"""The PostgreSQL store against a real server: the conformance suite (on perfkit's own
transactions and inside a host's transaction), concurrency between two connections, the
tamper-evident audit log, the schema and its migrations, and driver errors.

Every test works in a fresh schema of its own (``perfkit_test_<uuid>``) and drops it afterwards.
"""

from __future__ import annotations

import gc
import os
import pathlib
import socket
import subprocess
import sys
import threading
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from perfkit._errors import (
    ConcurrencyError,
    DocumentError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from perfkit._serialization import dumps
from perfkit.feedback import FeedbackRequest, FeedbackResponse, Praise
from perfkit.goals import CheckIn, Goal, Owner, OwnerKind
from perfkit.metrics import NumericMetric
from perfkit.reviews import Review
from perfkit.sample import sample_cycle
from perfkit.storage import Store, UnitOfWork
from perfkit.storage._pg_schema import MIGRATIONS, Migration, tables
from perfkit.storage.postgres import _BATCH, _FETCH, PostgresStore, _prepare_schema
from perfkit.testing import StoreConformance, normalised
from tests.strategies.common import ids
from tests.strategies.feedback import constructives, notes, praises, requests
from tests.strategies.goals import goals
from tests.strategies.reviews import reviews

AT = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
ROOT = pathlib.Path(__file__).resolve().parent.parent


# --- fixtures ------------------------------------------------------------------------------


def engine_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    made = sa.create_engine(engine_url(postgres_url))
    try:
        yield made
    finally:
        made.dispose()


def new_schema() -> str:
    return f"perfkit_test_{uuid.uuid4().hex}"


def drop(engine: sa.Engine, *schemas: str) -> None:
    for schema in schemas:  # one transaction each: a schema's tables take many locks
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def schema(engine: sa.Engine) -> Iterator[str]:
    name = new_schema()
    try:
        yield name
    finally:
        drop(engine, name)


@pytest.fixture
def store(engine: sa.Engine, schema: str) -> Iterator[PostgresStore]:
    made = PostgresStore(engine, schema=schema)
    try:
        yield made
    finally:
        made.close()


def sql(engine: sa.Engine, statement: str, **params: Any) -> list[Any]:
    """Plain SQL behind perfkit's back (a DBA, or an attacker)."""
    with engine.begin() as conn:
        result = conn.execute(sa.text(statement), params)
        return list(result.all()) if result.returns_rows else []


def goal(goal_id: str, title: str = "Cut the support backlog", cycle_id: str = "fy2026") -> Goal:
    return Goal(
        id=goal_id,
        title=title,
        owner=Owner(kind=OwnerKind.EMPLOYEE, id="e0001"),
        cycle_id=cycle_id,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        metric=NumericMetric(baseline=0, target=10, unit="tickets"),
    )


def commit(
    store: Store, write: Callable[[UnitOfWork], Any], *, actor: str = "dana", reason: str = ""
) -> Any:
    with store.transaction(actor=actor, at=AT, reason=reason) as uow:
        out = write(uow)
        uow.commit()
    return out


def read(store: Store, query: Callable[[UnitOfWork], Any]) -> Any:
    with store.transaction(actor="reader", at=AT) as uow:
        return query(uow)


# --- the conformance suite -----------------------------------------------------------------


class TestPostgresStore(StoreConformance):
    """Units of work in transactions of their own, on the host's engine."""

    @pytest.fixture(autouse=True)
    def _server(self, engine: sa.Engine) -> Iterator[None]:
        self.engine = engine
        self.schemas: list[str] = []
        try:
            yield
        finally:
            drop(engine, *self.schemas)

    def make_store(self, tmp_path: pathlib.Path) -> PostgresStore:
        name = new_schema()
        self.schemas.append(name)
        return PostgresStore(self.engine, schema=name)


class HostTransactionStore(PostgresStore):
    """A store on a connection of its own, inside a transaction the host opened; closing it
    rolls the host's transaction back (as a host request that failed would)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.host = engine.connect()
        self.outer = self.host.begin()
        super().__init__(self.host, schema=new_schema())

    def close(self) -> None:
        super().close()
        if not self.host.closed:
            self.outer.rollback()
            self.host.close()


class TestPostgresStoreInAHostTransaction(StoreConformance):
    """Units of work as savepoints in the host's transaction; the host's rollback at the end
    leaves no trace, not even the schema."""

    stateful_examples = 10

    @pytest.fixture(autouse=True)
    def _server(self, engine: sa.Engine) -> Iterator[None]:
        self.engine = engine
        self.made: list[HostTransactionStore] = []
        try:
            yield
        finally:
            for store in self.made:
                store.close()

    def make_store(self, tmp_path: pathlib.Path) -> PostgresStore:
        store = HostTransactionStore(self.engine)
        self.made.append(store)
        return store


# --- optimistic concurrency between two real connections ------------------------------------


def _versioned(kind: str) -> tuple[str, Callable[[int], Any]]:
    """The repository of a kind people edit, and version ``n`` of its record ``x1``."""
    data = sample_cycle(8, seed=2026)
    if kind == "goal":
        return "goals", lambda n: goal("x1", title=f"Take {n}")
    if kind == "review":
        return "reviews", lambda n: attrs.evolve(data.reviews[0], id="x1", summary=f"take {n}")
    return "cycles", lambda n: attrs.evolve(data.cycle, id="x1", name=f"Take {n}")


def save(uow: UnitOfWork, repo: str, record: Any, expected: int | None) -> int:
    if repo == "cycles":
        if expected is None:
            uow.cycles.add(record)
            return 1
        return uow.cycles.save(record, expected)
    return int(getattr(uow, repo).save(record, expected_version=expected))


def race(store: Store, repo: str, make: Callable[[int], Any], expected: int | None) -> list[Any]:
    """Two threads, each in its own transaction on its own connection: both read the record's
    version, then both save their change on it and commit. What each one got."""
    ready = threading.Barrier(2, timeout=30)
    outcomes: list[Any] = [None, None]

    def work(i: int) -> None:
        try:
            with store.transaction(actor=f"person{i}", at=AT) as uow:
                seen = None if expected is None else getattr(uow, repo).version("x1")
                ready.wait()
                outcomes[i] = save(uow, repo, make(10 + i), seen)
                uow.commit()
        except Exception as err:  # noqa: BLE001 - reported to the test
            outcomes[i] = err

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("kind", ["goal", "review", "cycle"])
def test_two_connections_save_on_the_same_version_and_exactly_one_wins(
    store: PostgresStore, kind: str
) -> None:
    repo, make = _versioned(kind)
    commit(store, lambda u: save(u, repo, make(1), None))
    outcomes = race(store, repo, make, expected=1)
    won = [o for o in outcomes if o == 2]
    lost = [o for o in outcomes if isinstance(o, ConcurrencyError)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    assert (lost[0].kind, lost[0].record_id, lost[0].expected, lost[0].found) == (kind, "x1", 1, 2)
    winner = outcomes.index(2)
    stored = read(store, lambda u: (getattr(u, repo).get("x1"), getattr(u, repo).version("x1")))
    assert stored == (make(10 + winner), 2)
    report = read(store, lambda u: u.audit.verify())
    assert report.ok
    assert report.checked == (0 if kind == "cycle" else 2)


@pytest.mark.parametrize("kind", ["goal", "cycle"])
def test_two_connections_insert_the_same_id_and_exactly_one_wins(
    store: PostgresStore, kind: str
) -> None:
    repo, make = _versioned(kind)
    outcomes = race(store, repo, make, expected=None)
    lost = [o for o in outcomes if isinstance(o, ConcurrencyError)]
    assert sorted(map(repr, outcomes)).count("1") == 1, outcomes
    assert len(lost) == 1
    assert (lost[0].expected, lost[0].found) == (None, 1)
    assert read(store, lambda u: getattr(u, repo).version("x1")) == 1


def test_a_lock_held_too_long_is_a_store_error_not_a_driver_error(store: PostgresStore) -> None:
    commit(store, lambda u: u.goals.save(goal("g1")))
    with store.transaction(actor="ann", at=AT) as first:
        first.goals.save(goal("g1", title="Ann's"), expected_version=1)  # holds the audit log
        with store.transaction(actor="bob", at=AT) as second:
            second.connection.execute(sa.text("SET LOCAL lock_timeout = '50ms'"))
            with pytest.raises(StoreError, match="lock timeout"):
                second.goals.save(goal("g1", title="Bob's"), expected_version=1)
            with pytest.raises(StoreError, match="earlier statement of this unit of work failed"):
                second.goals.get("g1")
        first.commit()
    assert read(store, lambda u: u.goals.get("g1")) == goal("g1", title="Ann's")


# --- the audit log, tampered with in plain SQL ----------------------------------------------


@pytest.fixture
def audited(store: PostgresStore) -> PostgresStore:
    """A store whose log holds three entries: g1 inserted, g1 updated, g2 inserted."""
    commit(store, lambda u: u.goals.save(goal("g1")), reason="goal setting")
    commit(store, lambda u: u.goals.save(goal("g1", title="Halve it"), expected_version=1))
    commit(store, lambda u: u.goals.save(goal("g2")))
    assert read(store, lambda u: u.audit.verify()).ok
    return store


def problems(store: Store) -> list[tuple[int, str]]:
    report = read(store, lambda u: u.audit.verify())
    return [(p.seq, p.reason) for p in report.problems]


def test_an_entry_edited_behind_perfkits_back_is_found(
    audited: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    sql(engine, f'UPDATE "{schema}".audit SET after = :forged WHERE seq = 2', forged="{}")
    assert problems(audited) == [(2, "was changed after it was written")]


def test_a_reason_rewritten_is_found(
    audited: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    sql(engine, f"UPDATE \"{schema}\".audit SET reason = 'nothing to see' WHERE seq = 1")
    assert problems(audited) == [(1, "was changed after it was written")]


def test_a_deleted_middle_entry_is_found(
    audited: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    sql(engine, f'DELETE FROM "{schema}".audit WHERE seq = 2')
    assert problems(audited) == [
        (3, "expected entry 2: entries are missing"),
        (3, "does not follow the entry before it"),
    ]


def test_a_deleted_last_entry_is_found(
    audited: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    sql(engine, f'DELETE FROM "{schema}".audit WHERE seq = 3')
    assert problems(audited) == [(3, "the log ends before its recorded head: entries are missing")]


def test_the_chain_goes_on_after_the_head_so_a_deleted_tail_stays_found(
    audited: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    sql(engine, f'DELETE FROM "{schema}".audit WHERE seq = 3')
    commit(audited, lambda u: u.goals.save(goal("g3")))
    assert [e.seq for e in read(audited, lambda u: u.audit.entries())] == [1, 2, 4]
    assert problems(audited) == [
        (4, "expected entry 3: entries are missing"),
        (4, "does not follow the entry before it"),
    ]


def test_an_unreadable_entry_is_reported_not_raised(
    audited: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    sql(engine, f"UPDATE \"{schema}\".audit SET at = 'last tuesday' WHERE seq = 2")
    found = problems(audited)
    assert found[0][0] == 2
    assert found[0][1].startswith("cannot be read")
    with pytest.raises(StoreError, match="audit entry 2 cannot be read"):
        read(audited, lambda u: u.audit.entries())


def test_a_missing_head_is_reported_and_stops_audited_writes(
    audited: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    sql(engine, f'DELETE FROM "{schema}".audit_head')
    assert (0, "the log's head row is missing") in problems(audited)
    with pytest.raises(StoreError, match="head row .* is missing"):
        commit(audited, lambda u: u.goals.save(goal("g9")))


def test_audit_entries_keep_the_exact_moment_and_offset(store: PostgresStore) -> None:
    kolkata = datetime(
        2026, 5, 4, 15, 0, 15, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))
    )
    with store.transaction(actor="dana", at=kolkata, reason="ünïcode ✓") as uow:
        uow.goals.save(goal("g1"))
        uow.commit()
    (e,) = read(store, lambda u: u.audit.entries())
    assert (e.at, e.at.isoformat(), e.reason) == (kolkata, kolkata.isoformat(), "ünïcode ✓")


# --- records and ordering -------------------------------------------------------------------


def test_ids_come_back_in_code_point_order_not_the_servers_collation(
    store: PostgresStore,
) -> None:
    @given(st.lists(ids, min_size=1, max_size=8, unique=True))
    def check(goal_ids: list[str]) -> None:
        cycle = f"c-{uuid.uuid4().hex}"
        with store.transaction(actor="dana", at=AT) as uow:
            for gid in reversed(goal_ids):
                uow.goals.save(goal(gid, cycle_id=cycle))
            found = [g.id for g in uow.goals.in_cycle(cycle) if g.cycle_id == cycle]
            assert found == sorted(goal_ids)

    check()


def test_records_round_trip_byte_for_byte(store: PostgresStore) -> None:
    events = st.one_of(praises(), constructives(), notes(), requests())

    @given(goals(), reviews(), events)
    def check(a_goal: Goal, a_review: Any, event: Any) -> None:
        with store.transaction(actor="dana", at=AT) as uow:  # never committed
            uow.goals.save(a_goal)
            uow.reviews.save(a_review)
            uow.feedback.add(event)
            assert dumps(uow.goals.get(a_goal.id)) == dumps(a_goal)
            assert uow.goals.get(a_goal.id) == a_goal
            assert dumps(uow.reviews.get(a_review.id)) == dumps(a_review)
            assert uow.feedback.about(event.subject) == (event,)
            entries = uow.audit.entries()
            assert [e.after for e in entries[-2:]] == [dumps(a_goal), dumps(a_review)]

    check()


def test_a_record_changed_behind_perfkits_back_is_a_store_error(
    store: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    commit(store, lambda u: u.goals.save(goal("g1")))
    sql(engine, f'UPDATE "{schema}".goals SET doc = \'{{"nope": 1}}\'')
    with pytest.raises(StoreError, match="stored goal 'g1' is not a perfkit document"):
        read(store, lambda u: u.goals.get("g1"))
    with pytest.raises(StoreError, match="stored goal 'g1'"):
        read(store, lambda u: u.goals.goal_set("fy2026"))


def test_cycle_data_that_no_longer_fits_together_names_every_problem(
    store: PostgresStore,
) -> None:
    data = sample_cycle(8, seed=2026)
    commit(store, lambda u: u.import_data(data))
    smaller = sample_cycle(3, seed=5).organisation
    commit(store, lambda u: u.organisation.save(smaller))
    with pytest.raises(DocumentError, match="cycle data: .* problems") as err:
        read(store, lambda u: u.cycle_data("fy2026"))
    assert any("is not an employee" in str(e) for e in err.value.errors)


def test_import_and_load_a_larger_company(store: PostgresStore) -> None:
    data = sample_cycle(300, seed=7)
    commit(store, lambda u: u.import_data(data), actor="hris", reason="import")
    loaded = read(store, lambda u: u.cycle_data(data.cycle.id))
    assert dumps(normalised(loaded)) == dumps(normalised(data))
    assert loaded.organisation == data.organisation  # the organisation keeps its order
    assert loaded.scales == data.scales
    report = read(store, lambda u: u.audit.verify())
    assert (report.ok, report.checked) == (True, len(data.goals.goals) + len(data.reviews))


def test_check_ins_are_refused_when_the_goal_is_unknown_before_touching_the_server(
    store: PostgresStore,
) -> None:
    check_in = CheckIn(id="c1", goal_id="g1", author="e0001", at=AT, value=1)
    with store.transaction(actor="dana", at=AT) as uow:
        with pytest.raises(ValidationError, match="check_in.goal_id: 'g1' is not a stored goal"):
            uow.goals.add_check_in(check_in)
        uow.goals.save(goal("g1"))
        uow.goals.add_check_in(check_in)  # the unit of work goes on
        assert uow.goals.check_ins("g1") == (check_in,)


def test_a_reason_postgresql_cannot_store_is_refused(store: PostgresStore) -> None:
    with (
        pytest.raises(ValidationError, match="reason: .* NUL"),
        store.transaction(actor="dana", at=AT, reason="a\x00b"),
    ):
        pass  # pragma: no cover - the transaction does not open


# --- the host's own transaction -------------------------------------------------------------


def test_units_of_work_inside_the_hosts_transaction_last_only_if_the_host_commits(
    store: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    for host_commits in (False, True):
        with engine.connect() as conn:
            host = conn.begin()
            inside = PostgresStore(conn, schema=schema)
            with inside.transaction(actor="priya", at=AT) as uow:
                uow.goals.save(goal("g1"))
                uow.connection.execute(sa.text("CREATE TEMP TABLE host_row (n int)"))
                uow.commit()
            # The host's transaction sees it; nobody else does yet.
            assert conn.execute(sa.text(f'SELECT count(*) FROM "{schema}".goals')).scalar() == 1
            with pytest.raises(NotFoundError):
                read(store, lambda u: u.goals.get("g1"))
            if host_commits:
                host.commit()
            else:
                host.rollback()
            inside.close()
            assert not conn.closed  # the host's connection stays the host's
        if host_commits:
            assert read(store, lambda u: u.goals.version("g1")) == 1
        else:
            with pytest.raises(NotFoundError):
                read(store, lambda u: u.goals.get("g1"))


def test_a_unit_of_work_left_without_commit_rolls_back_to_its_savepoint(
    store: PostgresStore, schema: str, engine: sa.Engine
) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(sa.text("CREATE TEMP TABLE host_work (n int)"))
        conn.execute(sa.text("INSERT INTO host_work VALUES (1)"))
        inside = PostgresStore(conn, schema=schema)
        with inside.transaction(actor="priya", at=AT) as uow:
            uow.goals.save(goal("g1"))
        with inside.transaction(actor="priya", at=AT) as uow:
            assert uow.goals.in_cycle("fy2026") == ()
        # The host's own work before the store's savepoint is untouched.
        assert conn.execute(sa.text("SELECT n FROM host_work")).scalar() == 1


def test_a_closed_host_connection_is_a_store_error(engine: sa.Engine, schema: str) -> None:
    conn = engine.connect()
    inside = PostgresStore(conn, schema=schema)
    conn.close()
    with (
        pytest.raises(StoreError, match="Connection .* is closed"),
        inside.transaction(actor="priya", at=AT),
    ):
        pass  # pragma: no cover - the transaction does not open


# --- the schema and its migrations ----------------------------------------------------------


def test_the_tables_are_what_the_queries_expect(
    store: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    inspector = sa.inspect(engine)
    for table in tables(schema):
        found = [c["name"] for c in inspector.get_columns(table.name, schema=schema)]
        assert found == [c.name for c in table.columns], table.name
    versions = sql(engine, f'SELECT version FROM "{schema}".perfkit_schema ORDER BY version')
    assert [v for (v,) in versions] == [m.version for m in MIGRATIONS]
    assert store.layout_version == MIGRATIONS[-1].version


def test_ids_are_ordered_by_code_point_in_every_id_column(
    engine: sa.Engine, store: PostgresStore, schema: str
) -> None:
    rows = sql(
        engine,
        "SELECT table_name, column_name, collation_name FROM information_schema.columns "
        "WHERE table_schema = :s AND (column_name = 'id' OR column_name LIKE '%\\_id')",
        s=schema,
    )
    assert rows
    assert {collation for _, _, collation in rows} == {"C"}


def test_every_query_has_an_index(engine: sa.Engine, store: PostgresStore, schema: str) -> None:
    rows = sql(
        engine,
        "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = :s",
        s=schema,
    )
    defs = {d.split(" USING btree ")[1] for _, d in rows}
    for wanted in (
        "(cycle_id, id)",  # goals.in_cycle, reviews.by_cycle
        "(owner_kind, owner_id, cycle_id, id)",  # goals.of_employee
        "(goal_id, at, id)",  # goals.check_ins
        "(subject, at, id)",  # feedback.about
        "(at, id)",  # feedback.log
        "(cycle_id, subject, id)",  # reviews.by_cycle(subject)
        "(cycle_id, unit_id, employee_id)",  # results.by_unit
        "(record_id, seq)",  # audit.entries(record_id)
    ):
        assert wanted in defs, wanted


def test_reopening_a_schema_keeps_its_data(
    engine: sa.Engine, store: PostgresStore, schema: str
) -> None:
    commit(store, lambda u: u.goals.save(goal("g1")))
    with PostgresStore(engine, schema=schema, migrate=False) as again:
        assert read(again, lambda u: u.goals.get("g1")) == goal("g1")


def test_a_newer_layout_is_refused(engine: sa.Engine, store: PostgresStore, schema: str) -> None:
    sql(engine, f"INSERT INTO \"{schema}\".perfkit_schema (version, description) VALUES (2, 'x')")
    with pytest.raises(StoreError, match=r"layout version 2, newer than .* upgrade perfkit"):
        PostgresStore(engine, schema=schema)


def test_a_schema_holding_other_tables_is_refused(engine: sa.Engine, schema: str) -> None:
    sql(engine, f'CREATE SCHEMA "{schema}"')
    sql(engine, f'CREATE TABLE "{schema}".payroll (id int)')
    with pytest.raises(StoreError, match=r"tables that are not perfkit's \(payroll\)"):
        PostgresStore(engine, schema=schema)
    assert sql(engine, "SELECT to_regclass(:t) IS NULL", t=f"{schema}.goals") == [(True,)]


def test_a_foreign_perfkit_schema_table_is_refused(engine: sa.Engine, schema: str) -> None:
    sql(engine, f'CREATE SCHEMA "{schema}"')
    sql(engine, f'CREATE TABLE "{schema}".perfkit_schema (name text)')
    with pytest.raises(StoreError, match="perfkit_schema table that perfkit did not write"):
        PostgresStore(engine, schema=schema)


def test_migrations_with_a_gap_are_refused(
    engine: sa.Engine, store: PostgresStore, schema: str
) -> None:
    sql(engine, f"INSERT INTO \"{schema}\".perfkit_schema (version, description) VALUES (3, 'x')")
    with pytest.raises(StoreError, match=r"lists migrations \[1, 3\]"):
        PostgresStore(engine, schema=schema)


def test_migrate_false_refuses_to_create_tables(engine: sa.Engine, schema: str) -> None:
    with pytest.raises(StoreError, match="migrate=True"):
        PostgresStore(engine, schema=schema, migrate=False)
    assert sql(engine, "SELECT count(*) FROM pg_namespace WHERE nspname = :s", s=schema) == [(0,)]


def test_forward_migrations_run_in_order_once(
    engine: sa.Engine, store: PostgresStore, schema: str
) -> None:
    commit(store, lambda u: u.goals.save(goal("g1")))
    step = Migration(2, "goal titles searchable", ("CREATE INDEX goals_doc ON {s}.goals (doc)",))
    later = (*MIGRATIONS, step)
    with engine.begin() as conn, pytest.raises(StoreError, match="needs 2: open it once"):
        _prepare_schema(conn, schema, migrate=False, migrations=later)
    for _ in range(2):  # the second time finds nothing to do
        with engine.begin() as conn:
            assert _prepare_schema(conn, schema, migrate=True, migrations=later) == 2
    versions = sql(engine, f'SELECT version FROM "{schema}".perfkit_schema ORDER BY version')
    assert versions == [(1,), (2,)]
    assert sql(engine, "SELECT to_regclass(:i) IS NOT NULL", i=f"{schema}.goals_doc") == [(True,)]
    # This perfkit stops at version 1 and says so; the data is still there for a newer one.
    with pytest.raises(StoreError, match="upgrade perfkit"):
        PostgresStore(engine, schema=schema)


def test_two_stores_opening_a_new_schema_at_once_create_it_once(
    engine: sa.Engine, schema: str
) -> None:
    opened: list[Any] = []

    def open_one() -> None:
        try:
            opened.append(PostgresStore(engine, schema=schema))
        except Exception as err:  # noqa: BLE001 - reported to the test
            opened.append(err)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(o, PostgresStore) for o in opened), opened
    assert sql(engine, f'SELECT count(*) FROM "{schema}".perfkit_schema') == [(1,)]


# --- connecting -----------------------------------------------------------------------------


def test_a_plain_url_gets_the_psycopg_driver_and_an_engine_of_its_own(
    postgres_url: str, schema: str
) -> None:
    for url in (postgres_url, postgres_url.replace("postgresql://", "postgres://", 1)):
        store = PostgresStore(url, schema=schema)
        assert "psycopg" in repr(store)
        commit(store, lambda u: u.cycles.list())
        store.close()
        store.close()
        with pytest.raises(StoreError, match="closed"), store.transaction(actor="a", at=AT):
            pass  # pragma: no cover


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("sqlite:///perfkit.db", "is not a PostgreSQL URL"),
        ("postgresql+psycopg2://u@localhost/db", "perfkit uses psycopg 3"),
        ("not a url at all", "is not a database URL"),
        (42, "is not a PostgreSQL URL, a SQLAlchemy Engine or a Connection"),
    ],
)
def test_what_is_not_a_postgresql_url_is_refused(given: Any, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as err:
        PostgresStore(given)
    assert err.value.path == "url_or_engine"


def test_an_engine_of_another_database_is_refused() -> None:
    engine = sa.create_engine("sqlite://")
    with pytest.raises(ValidationError, match="not a PostgreSQL engine on psycopg 3"):
        PostgresStore(engine)


@pytest.mark.parametrize(
    ("name", "value"), [("schema", "Perfkit-Prod"), ("schema", ""), ("migrate", "yes")]
)
def test_bad_store_options_are_named(name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as err:
        PostgresStore("postgresql://u@localhost/db", **{name: value})
    assert err.value.path == name


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_server_that_cannot_be_reached_is_named_without_its_password() -> None:
    port = closed_port()
    url = f"postgresql://hr:s3cret-pw@127.0.0.1:{port}/perfkit"
    with pytest.raises(StoreError) as err:
        PostgresStore(url)
    text = str(err.value)
    assert f"postgresql+psycopg://hr:***@127.0.0.1:{port}/perfkit" in text
    assert "s3cret-pw" not in text
    assert "check that it runs" in text


def test_a_database_that_does_not_exist_is_a_store_error(postgres_url: str) -> None:
    url = sa.make_url(postgres_url).set(database="perfkit_no_such_database")
    with pytest.raises(StoreError, match="perfkit_no_such_database"):
        PostgresStore(url.render_as_string(hide_password=False))


# --- the extra ------------------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.parametrize("missing", ["sqlalchemy", "psycopg"])
def test_without_the_extra_the_import_says_what_to_install(missing: str) -> None:
    done = run_python(
        f"import sys; sys.modules[{missing!r}] = None\n"
        "from perfkit._errors import StoreError\n"
        "try:\n"
        "    import perfkit.storage.postgres\n"
        "except StoreError as err:\n"
        "    print(err)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "install perfkit[postgres]" in done.stdout


def test_perfkit_itself_never_imports_sqlalchemy_or_psycopg() -> None:
    done = run_python(
        "import sys, perfkit, perfkit.storage, perfkit.storage.memory, perfkit.storage.sqlite\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'psycopg')))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_user_without_rights_gets_a_store_error_that_says_so(
    postgres_url: str, engine: sa.Engine, schema: str
) -> None:
    role = f"perfkit_test_role_{uuid.uuid4().hex[:12]}"
    sql(engine, f'CREATE ROLE "{role}" LOGIN')
    try:
        url = sa.make_url(postgres_url).set(username=role)
        with pytest.raises(StoreError, match=f"may not do this while preparing schema '{schema}'"):
            PostgresStore(url.render_as_string(hide_password=False), schema=schema)
    finally:
        sql(engine, f'DROP ROLE "{role}"')


def test_on_a_connection_outside_any_transaction_each_unit_of_work_is_its_own(
    store: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    with engine.connect() as conn:
        inside = PostgresStore(conn, schema=schema)
        assert not conn.in_transaction()
        with inside.transaction(actor="priya", at=AT) as uow:
            uow.goals.save(goal("g1"))
            uow.commit()
        assert not conn.in_transaction()
        assert read(store, lambda u: u.goals.version("g1")) == 1  # committed for real


# --- the streaming bulk API: add_many and the iterators -------------------------------------


def praise(event_id: str, at: datetime = AT) -> Praise:
    return Praise(id=event_id, author="e0001", subject="e0002", at=at, text="Thanks!")


def check_in(check_in_id: str, goal_id: str = "g1", value: float = 3) -> CheckIn:
    return CheckIn(id=check_in_id, goal_id=goal_id, author="e0001", at=AT, value=value)


def review(review_id: str) -> Review:
    return attrs.evolve(_REVIEW, id=review_id)


_REVIEW = sample_cycle(8, seed=2026).reviews[0]


def interrupted(make: Callable[[int], Any], n: int) -> Iterator[Any]:
    """``n`` records, then the source fails (a file that breaks off, a lost upstream)."""
    for i in range(n):
        yield make(i)
    raise Interrupted


class Interrupted(Exception):
    pass


def count_rows(engine: sa.Engine, schema: str, table: str) -> int:
    return int(sql(engine, f'SELECT count(*) FROM "{schema}".{table}')[0][0])


@pytest.mark.parametrize(
    ("table", "call"),
    [
        ("goals", lambda u, records: u.goals.add_many(records)),
        ("check_ins", lambda u, records: u.goals.add_check_ins(records)),
        ("feedback", lambda u, records: u.feedback.add_many(records)),
        ("reviews", lambda u, records: u.reviews.add_many(records)),
    ],
)
def test_an_add_many_interrupted_in_its_third_batch_keeps_nothing_of_the_call(
    store: PostgresStore,
    engine: sa.Engine,
    schema: str,
    table: str,
    call: Callable[[UnitOfWork, Iterator[Any]], int],
) -> None:
    make = {
        "goals": lambda i: goal(f"g{i:05d}"),
        "check_ins": lambda i: check_in(f"c{i:05d}"),
        "feedback": lambda i: praise(f"f{i:05d}"),
        "reviews": lambda i: review(f"r{i:05d}"),
    }[table]
    with store.transaction(actor="hris", at=AT) as uow:
        uow.goals.save(goal("g1"))
        with pytest.raises(Interrupted):
            call(uow, interrupted(make, 2 * _BATCH + 17))  # two batches written, then it fails
        assert call(uow, iter([make(99_999)])) == 1  # the unit of work goes on
        uow.commit()
    # Another connection sees the unit of work's other writes, and nothing of the failed call.
    assert count_rows(engine, schema, table) == (2 if table == "goals" else 1)
    audited = {"goals": 2, "reviews": 2}.get(table, 1)
    assert count_rows(engine, schema, "audit") == audited
    assert read(store, lambda u: u.audit.verify()).ok


def test_a_repeat_across_batches_is_named_and_keeps_nothing(
    store: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    commit(store, lambda u: u.goals.save(goal("g-old")))
    commit(store, lambda u: u.goals.save(goal("g-old", title="Again"), expected_version=1))
    repeat = [goal(f"g{i:05d}") for i in range(_BATCH + 20)]
    repeat[_BATCH + 7] = goal("g00003")  # repeats one of the first batch
    stored = [goal(f"g{i:05d}") for i in range(2 * _BATCH)]
    stored[2 * _BATCH - 1] = goal("g-old")  # stored already, at version 2
    with store.transaction(actor="hris", at=AT) as uow:
        with pytest.raises(ConcurrencyError) as err:
            uow.goals.add_many(iter(repeat))
        assert (err.value.kind, err.value.record_id, err.value.expected, err.value.found) == (
            "goal",
            "g00003",
            None,
            1,
        )
        with pytest.raises(ConcurrencyError, match="'g-old' already exists \\(version 2\\)"):
            uow.goals.add_many(iter(stored))
        uow.commit()
    assert count_rows(engine, schema, "goals") == 1
    assert count_rows(engine, schema, "audit") == 2


def test_a_check_in_refused_in_a_later_batch_is_named_by_its_position(
    store: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    commit(store, lambda u: u.goals.save(goal("g1")))
    check_ins = [check_in(f"c{i:05d}") for i in range(_BATCH + 10)]
    check_ins[_BATCH + 3] = CheckIn(id="c-done", goal_id="g1", author="e0001", at=AT, done=True)
    with store.transaction(actor="hris", at=AT) as uow:
        with pytest.raises(ValidationError) as err:
            uow.goals.add_check_ins(iter(check_ins))
        assert err.value.path == f"check_ins[{_BATCH + 3}].value"
        check_ins[_BATCH + 3] = check_in("c00002")  # a repeat, now
        with pytest.raises(ConcurrencyError, match="check_in 'c00002' already exists"):
            uow.goals.add_check_ins(iter(check_ins))
        uow.commit()
    assert count_rows(engine, schema, "check_ins") == 0


def test_check_ins_read_their_goals_in_one_query_per_batch(
    store: PostgresStore, engine: sa.Engine
) -> None:
    commit(store, lambda u: [u.goals.save(goal(f"g{i}")) for i in range(3)])
    check_ins = [check_in(f"c{i:05d}", goal_id=f"g{i % 3}") for i in range(2 * _BATCH + 1)]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        assert commit(store, lambda u: u.goals.add_check_ins(iter(check_ins))) == len(check_ins)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert sum(".goals" in s and "check_ins" not in s for s in statements) == 3


def test_a_record_postgresql_cannot_store_is_named_by_its_position(store: PostgresStore) -> None:
    goals = [goal("g1"), goal("g2"), goal("g3", title="Half a pair \ud800")]
    with store.transaction(actor="hris", at=AT) as uow:
        with pytest.raises(ValidationError, match="lone surrogate") as err:
            uow.goals.add_many(goals)
        assert err.value.path == "goals[2]"
        assert uow.goals.in_cycle("fy2026") == ()
        goals[1] = goal("g1")  # a repeat before the bad record is refused first, as one by one
        with pytest.raises(ConcurrencyError, match="'g1'"):
            uow.goals.add_many(goals)


def test_iterating_twenty_thousand_goals_holds_a_batch_not_the_table(
    store: PostgresStore,
) -> None:
    n = 20_000
    long = "A goal with a long description. " * 20
    commit(store, lambda u: u.goals.add_many(goal(f"g{i:05d}", title=long) for i in range(n)))
    with store.transaction(actor="reader", at=AT) as uow:
        warm = uow.goals.iter_in_cycle("fy2026")  # the statement compiled, the reader built
        next(warm)
        warm.close()
        tracemalloc.start()
        try:
            counted = sum(1 for _ in uow.goals.iter_in_cycle("fy2026"))
            streamed = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            listed = len(uow.goals.in_cycle("fy2026"))
            whole = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert counted == listed == n
    # The listing holds every row and record at once; the iterator a batch or two of each
    # (fetching all the rows alone would take three quarters of what the listing takes).
    assert streamed < whole / 3, (streamed, whole)


def test_two_iterators_open_at_once_in_one_unit_of_work(store: PostgresStore) -> None:
    n = 2 * _FETCH + 5  # more than one fetch each, so that their fetches interleave
    commit(store, lambda u: u.goals.add_many(goal(f"g{i:05d}") for i in range(n)))
    commit(store, lambda u: u.feedback.add_many(praise(f"f{i:05d}") for i in range(n)))
    with store.transaction(actor="reader", at=AT) as uow:
        goals, events = uow.goals.iter_in_cycle("fy2026"), uow.feedback.iter_log()
        pairs = list(zip(goals, events, strict=True))
        assert uow.goals.version("g00000") == 1  # reads go on meanwhile
        assert tuple(g for g, _ in pairs) == uow.goals.in_cycle("fy2026")
        assert tuple(e for _, e in pairs) == uow.feedback.log().events
        uow.goals.save(goal("g-after"))  # both are exhausted: writes may go on
        uow.commit()


def test_an_iterator_left_open_does_not_disturb_the_hosts_transaction(
    store: PostgresStore, engine: sa.Engine, schema: str
) -> None:
    commit(store, lambda u: u.goals.add_many(goal(f"g{i:05d}") for i in range(_FETCH + 1)))
    with engine.connect() as conn:
        host = conn.begin()
        inside = PostgresStore(conn, schema=schema)
        with inside.transaction(actor="priya", at=AT) as uow:
            it = uow.goals.iter_in_cycle("fy2026")
            assert next(it).id == "g00000"
        # The savepoint rolled back with the cursor closed first: the host's work goes on.
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        with inside.transaction(actor="priya", at=AT) as uow:
            uow.goals.save(goal("g-new"))
            uow.commit()
        with pytest.raises(StoreError, match="this unit of work is over"):
            next(it)
        del it
        gc.collect()
        host.commit()
    assert read(store, lambda u: u.goals.version("g-new")) == 1


def test_an_iterator_dropped_after_its_unit_of_work_leaves_the_next_one_alone(
    store: PostgresStore,
) -> None:
    commit(store, lambda u: u.goals.add_many(goal(f"g{i:05d}") for i in range(_FETCH + 1)))
    with store.transaction(actor="reader", at=AT) as uow:
        it = uow.goals.iter_in_cycle("fy2026")
        next(it)
    with store.transaction(actor="dana", at=AT) as uow:  # may get the same pooled connection
        del it
        gc.collect()
        uow.goals.save(goal("g-new"))
        assert len(uow.goals.in_cycle("fy2026")) == _FETCH + 2
        uow.commit()
    assert read(store, lambda u: u.goals.version("g-new")) == 1


def test_a_response_that_breaks_a_rule_is_named_before_a_later_repeat(
    store: PostgresStore,
) -> None:
    early = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=2)))  # 08:00 UTC
    asked = FeedbackRequest(
        id="f3",
        author="e0001",
        subject="e0002",
        at=AT,
        requested_from=("e0003",),
        question="How did the launch go?",
    )
    answer = FeedbackResponse(
        id="f1", author="e0003", subject="e0002", at=early, request_id="f3", text="Fine."
    )
    with store.transaction(actor="dana", at=AT) as uow:
        with pytest.raises(ValidationError) as err:
            uow.feedback.add_many([asked, answer, praise("f1")])
        assert err.value.path == "events[1].at"  # before its request; the repeat comes after
        assert uow.feedback.log().events == ()

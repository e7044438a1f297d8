"""The SQL adapters' bulk paths: batched parsing and reading, the collector paused, the audit
chain written directly, and records with awkward text through SQLite and PostgreSQL COPY."""

from __future__ import annotations

import gc
import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfkit._errors import DocumentError, StoreError, ValidationError
from perfkit._serialization import dumps, loads
from perfkit.dataset import CycleData
from perfkit.feedback import FeedbackLog
from perfkit.goals import Goal, GoalSet
from perfkit.org import Organisation
from perfkit.sample import sample_cycle
from perfkit.storage._audit import GENESIS, chain_hash, extend, links, verify_chain
from perfkit.storage._rows import collector_paused, parse_many, read_all
from perfkit.storage.sqlite import SqliteStore
from perfkit.testing import normalised

from .strategies.common import texts
from .strategies.goals import goals

AT = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
AWKWARD = 'tab\there, line\nbreak, back\\slash, quote" nul\x00 \u2028 é 😀 \\N \r'


# --- parsing and reading in batches -------------------------------------------------------


def test_texts_parse_together_into_one_value_each() -> None:
    assert parse_many(['{"a":1}', "[2]", '"x"']) == [{"a": 1}, [2], "x"]
    assert parse_many([]) == []


@pytest.mark.parametrize(
    "texts",
    [
        ['{"a":1}', "1,2"],  # a text holding two values
        ["[1", "2]"],  # two texts holding one
        ["{}", ""],  # an empty text
        ["{}", "nope"],
        ["{}", None],  # not a text at all
        ["{}", b"{}"],
    ],
)
def test_texts_that_are_not_one_json_value_each_are_left_to_be_read_alone(
    texts: list[Any],
) -> None:
    assert parse_many(texts) is None


def _goal_rows(n: int) -> list[tuple[str, str]]:
    return [(g.id, dumps(g)) for g in sample_cycle(12, seed=3).goals.goals[:n]]


def _load(row: Any, cls: type) -> Any:
    try:
        if not isinstance(row[1], str):
            raise DocumentError([])
        return loads(row[1], cls)
    except DocumentError:
        raise StoreError(f"stored {row[0]} cannot be read") from None


def test_every_row_is_read_in_order_across_batches() -> None:
    rows = _goal_rows(30)
    batches = [rows[:7], rows[7:8], [], rows[8:]]
    got = read_all(batches, text=1, cls=lambda _: Goal, load=_load)
    assert [dumps(g) for g in got] == [doc for _, doc in rows]


@pytest.mark.parametrize(
    "damage", ['{"oops": 1}', "not json", '{"data":{}},{"data":{}}', None, "", "[]"]
)
def test_a_damaged_row_in_a_batch_is_named_as_loads_would_name_it(damage: Any) -> None:
    rows = _goal_rows(10)
    rows[6] = (rows[6][0], damage)
    with pytest.raises(StoreError, match=f"stored {rows[6][0]} cannot be read"):
        read_all([rows], text=1, cls=lambda _: Goal, load=_load)


def test_a_row_the_fast_path_leaves_is_read_by_loads() -> None:
    rows = _goal_rows(3)
    doc = json.loads(rows[1][1])
    doc["data"]["start_date"] = "2026-W01-1"  # an ISO week date: only the converter reads it
    rows[1] = (rows[1][0], json.dumps(doc))
    got = read_all([rows], text=1, cls=lambda _: Goal, load=_load)
    assert got[1].start_date.isoformat() == "2025-12-29"
    assert [g.id for g in got] == [key for key, _ in rows]


def test_the_collector_is_paused_and_given_back_as_it_was() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # the host's choice stays
    finally:
        gc.enable()


# --- the audit chain ----------------------------------------------------------------------

changes = st.lists(
    st.tuples(
        st.sampled_from(["goal", "review", "result"]),
        st.text(min_size=1, max_size=8),
        st.none() | texts,
        texts,
    ),
    max_size=5,
)


@given(changes, st.integers(0, 10**6), texts)
def test_the_chain_written_directly_is_the_chain_json_dumps_hashes(
    batch: list[tuple[str, str, str | None, str]], seq: int, reason: str
) -> None:
    at = datetime(2026, 3, 31, 17, 0, 0, 123, tzinfo=timezone(timedelta(hours=2)))
    prev = "ab" * 32
    rows = list(links(seq, prev, batch, actor="dana", at=at, reason=reason))
    assert [row[0] for row in rows] == list(range(seq + 1, seq + 1 + len(batch)))
    for row, (kind, record_id, before, after) in zip(rows, batch, strict=True):
        digest = chain_hash(
            seq=row[0],
            actor="dana",
            at=at,
            kind=kind,
            record_id=record_id,
            before=before,
            after=after,
            reason=reason,
            prev_hash=prev,
        )
        assert row == (row[0], kind, record_id, before, after, prev, digest)
        prev = digest


def test_entries_are_the_chain_with_their_fields_checked() -> None:
    at = datetime(2026, 3, 31, tzinfo=UTC)
    changes = [("goal", "g1", None, "{}"), ("review", "r1", "{}", '{"a":1}')]
    entries = extend(0, GENESIS, changes, actor="dana", at=at, reason="why")
    assert verify_chain(entries, entries[-1].hash).ok
    assert [e.hash for e in entries] == [
        row[-1] for row in links(0, GENESIS, changes, actor="dana", at=at, reason="why")
    ]
    with pytest.raises(ValidationError, match="record_id: ' g2' is not a valid id"):
        extend(0, GENESIS, [("goal", " g2", None, "{}")], actor="dana", at=at, reason="")


# --- awkward text through the stores -------------------------------------------------------


def awkward_data() -> CycleData:
    """A small cycle whose free text holds what SQL text formats escape."""
    data = sample_cycle(6, seed=11)
    goal_list = [attrs.evolve(g, description=AWKWARD + g.id) for g in data.goals.goals]
    events = [
        attrs.evolve(e, text=AWKWARD + e.id) if getattr(e, "text", "") else e
        for e in data.feedback.events
    ]
    people = [attrs.evolve(e, name=AWKWARD + e.id) for e in data.organisation.employees]
    return attrs.evolve(
        data,
        organisation=Organisation(units=data.organisation.units, employees=people),
        goals=GoalSet(goals=goal_list, check_ins=data.goals.check_ins),
        feedback=FeedbackLog(events=events),
    )


def test_sqlite_keeps_awkward_text_byte_for_byte(tmp_path: Path) -> None:
    data = awkward_data()
    with SqliteStore(tmp_path / "p.db") as store:
        with store.transaction(actor="hris", at=AT, reason=AWKWARD) as uow:
            uow.import_data(data)
            uow.commit()
        with store.transaction(actor="hris", at=AT) as uow:
            loaded = uow.cycle_data(data.cycle.id)
            assert uow.audit.verify().ok
    assert dumps(normalised(loaded)) == dumps(normalised(data))


def test_sqlite_names_a_damaged_record_in_the_middle_of_a_large_read(tmp_path: Path) -> None:
    data = sample_cycle(40, seed=5)
    with SqliteStore(tmp_path / "p.db") as store:
        with store.transaction(actor="hris", at=AT) as uow:
            uow.import_data(data)
            uow.commit()
        with sqlite3.connect(tmp_path / "p.db") as conn:
            (count,) = conn.execute("SELECT count(*) FROM check_ins").fetchone()
            assert count > 1100  # more than one batch
            (victim,) = conn.execute(
                "SELECT id FROM check_ins ORDER BY at_utc, id LIMIT 1 OFFSET ?", (count - 3,)
            ).fetchone()
            conn.execute("UPDATE check_ins SET record = '{\"oops\": 1}' WHERE id = ?", (victim,))
        with (
            store.transaction(actor="r", at=AT) as uow,
            pytest.raises(StoreError, match=f"stored check-in '{victim}' .* cannot be read"),
        ):
            uow.goals.goal_set(data.cycle.id)


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[Any]:
    import sqlalchemy as sa

    from perfkit.storage.postgres import PostgresStore

    schema = f"perfkit_test_{uuid.uuid4().hex}"
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    store = PostgresStore(engine, schema=schema)
    try:
        yield store
    finally:
        store.close()
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def test_postgres_copy_keeps_awkward_text_byte_for_byte(pg_store: Any) -> None:
    data = awkward_data()
    with pg_store.transaction(actor="hris", at=AT, reason="tab\tand\\n") as uow:
        uow.import_data(data)
        uow.commit()
    with pg_store.transaction(actor="hris", at=AT) as uow:
        loaded = uow.cycle_data(data.cycle.id)
        report = uow.audit.verify()
        entries = uow.audit.entries()
    assert dumps(normalised(loaded)) == dumps(normalised(data))
    assert (report.ok, report.checked) == (True, len(data.goals.goals) + len(data.reviews))
    assert [e.after for e in entries[: len(data.goals.goals)]] == [
        dumps(g) for g in data.goals.goals
    ]


def test_a_value_postgresql_cannot_take_in_a_copy_is_a_store_error_and_leaves_nothing(
    pg_store: Any,
) -> None:
    data = sample_cycle(5, seed=2)
    first = attrs.evolve(data.goals.goals[0], description="half a pair: \ud800")
    broken = attrs.evolve(
        data, goals=GoalSet(goals=[first, *data.goals.goals[1:]], check_ins=data.goals.check_ins)
    )
    with (
        pg_store.transaction(actor="hris", at=AT) as uow,
        pytest.raises(StoreError, match="importing cycle 'fy2026'"),
    ):
        uow.import_data(broken)
    with pg_store.transaction(actor="hris", at=AT) as uow:
        uow.import_data(data)  # the unit of work that failed left nothing behind
        uow.commit()
    with pg_store.transaction(actor="hris", at=AT) as uow:
        assert [c.id for c in uow.cycles.list()] == [data.cycle.id]
        assert uow.audit.verify().checked == len(data.goals.goals) + len(data.reviews)


@given(goals())
def test_a_goal_reads_back_through_a_batch_as_itself(goal: Goal) -> None:
    got = read_all([[(goal.id, dumps(goal))]], text=1, cls=lambda _: Goal, load=_load)
    assert got == [goal]
    assert dumps(got[0]) == dumps(goal)


def test_a_single_save_postgresql_cannot_take_is_a_validation_error(pg_store: Any) -> None:
    data = sample_cycle(5, seed=2)
    with pg_store.transaction(actor="hris", at=AT) as uow:
        uow.import_data(data)
        uow.commit()
    bad = attrs.evolve(data.goals.goals[0], id="g-bad", description="half a pair: \ud800")
    with pg_store.transaction(actor="hris", at=AT) as uow:
        with pytest.raises(ValidationError, match="not valid Unicode .* saving goal 'g-bad'"):
            uow.goals.save(bad)
        # the unit of work goes on: nothing was sent
        assert len(uow.goals.in_cycle("fy2026")) == len(data.goals.goals)

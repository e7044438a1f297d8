"""The SQLite adapter: round trips, versions, the file format, migrations, tampering, and real
processes (killed mid-save, or racing for the same review). Every test uses real files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfkit
from perfkit._errors import (
    ConcurrencyError,
    NotFoundError,
    StoreError,
    UnknownReferenceError,
    ValidationError,
)
from perfkit.dataset import CycleData
from perfkit.feedback import (
    FeedbackEvent,
    FeedbackLog,
    FeedbackRequest,
    FeedbackResponse,
    Praise,
)
from perfkit.goals import CheckIn, Goal, OwnerKind
from perfkit.reviews import Review
from perfkit.run import run_cycle
from perfkit.sample import sample_cycle, sample_policy
from perfkit.storage import Store
from perfkit.storage import sqlite as sqlite_module
from perfkit.storage.memory import MemoryStore
from perfkit.storage.sqlite import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    SqliteStore,
    SqliteUnitOfWork,
)
from perfkit.storage.sqlite import _utc_text as utc_text
from perfkit.testing import StoreConformance

from .strategies.common import aware_datetimes, timezones
from .strategies.feedback import constructives, logs, notes, praises, requests
from .strategies.goals import goals
from .strategies.reviews import reviews

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SRC = Path(perfkit.__file__).resolve().parents[1]


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> CycleData:
    return sample_cycle(40, seed=7)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "perfkit.db")
    yield s
    s.close()


@pytest.fixture
def loaded(store: SqliteStore, small: CycleData) -> SqliteStore:
    with store.transaction(actor="importer", at=AT, reason="import") as uow:
        uow.import_data(small)
        uow.commit()
    return store


def fresh_store() -> tuple[tempfile.TemporaryDirectory[str], SqliteStore]:
    """A store in its own temporary directory (hypothesis tests cannot use tmp_path)."""
    folder = tempfile.TemporaryDirectory()
    return folder, SqliteStore(Path(folder.name) / "perfkit.db")


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection, as someone working behind perfkit's back would open."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def count(path: Path, table: str) -> int:
    with raw(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def by_id(data: CycleData) -> str:
    """``perfkit.dumps`` of a CycleData with every part in id order (chronological for
    check-ins and feedback events), so that two stores' answers compare whatever their order."""

    def chrono(x: CheckIn | FeedbackEvent) -> tuple[datetime, str]:
        return (x.at, x.id)

    org = data.organisation
    normal = attrs.evolve(
        data,
        organisation=attrs.evolve(
            org,
            units=sorted(org.units, key=lambda u: u.id),
            employees=sorted(org.employees, key=lambda e: e.id),
        ),
        goals=attrs.evolve(
            data.goals,
            goals=sorted(data.goals.goals, key=lambda g: g.id),
            check_ins=sorted(data.goals.check_ins, key=chrono),
        ),
        feedback=attrs.evolve(data.feedback, events=sorted(data.feedback.events, key=chrono)),
        scales=attrs.evolve(
            data.scales, scales=sorted(data.scales.scales, key=lambda s: (s.id, s.version))
        ),
        forms=sorted(data.forms, key=lambda f: f.id),
        reviews=sorted(data.reviews, key=lambda r: r.id),
    )
    return perfkit.dumps(normal)


# --- the conformance suite ----------------------------------------------------------------


class TestSqliteStore(StoreConformance):
    def make_store(self, tmp_path: Path) -> SqliteStore:
        return SqliteStore(tmp_path / "perfkit.db")


# --- it is a Store -------------------------------------------------------------------------


def test_a_sqlite_store_is_a_store(store: SqliteStore) -> None:
    assert isinstance(store, Store)
    assert store.schema_version == SCHEMA_VERSION
    assert store.path.name == "perfkit.db"


# --- whole cycles --------------------------------------------------------------------------


def test_import_then_load_gives_the_same_cycle_data(loaded: SqliteStore, small: CycleData) -> None:
    with loaded.transaction(actor="reader", at=AT) as uow:
        back = uow.cycle_data(small.cycle.id)
    assert by_id(back) == by_id(small)
    # the organisation, scales and forms keep the order they were imported in
    assert back.organisation == small.organisation
    assert back.scales == small.scales
    assert back.forms == small.forms


def test_cycle_data_matches_the_reference_store(loaded: SqliteStore, small: CycleData) -> None:
    memory = MemoryStore()
    with memory.transaction(actor="importer", at=AT, reason="import") as uow:
        uow.import_data(small)
        uow.commit()
    with loaded.transaction(actor="r", at=AT) as mine, memory.transaction(actor="r", at=AT) as ref:
        assert perfkit.dumps(mine.cycle_data(small.cycle.id)) == perfkit.dumps(
            ref.cycle_data(small.cycle.id)
        )
        assert mine.audit.entries() == ref.audit.entries()
        assert mine.goals.goal_set(small.cycle.id) == ref.goals.goal_set(small.cycle.id)
        assert mine.feedback.log() == ref.feedback.log()


def test_import_writes_one_audit_entry_per_goal_and_review(
    loaded: SqliteStore, small: CycleData
) -> None:
    with loaded.transaction(actor="auditor", at=AT) as uow:
        entries = uow.audit.entries()
        assert [(e.kind, e.record_id) for e in entries] == [
            ("goal", g.id) for g in small.goals.goals
        ] + [("review", r.id) for r in small.reviews]
        assert {(e.actor, e.at, e.reason, e.before) for e in entries} == {
            ("importer", AT, "import", None)
        }
        assert entries[0].after == perfkit.dumps(small.goals.goals[0])
        assert uow.audit.verify().ok
        assert uow.audit.verify().checked == len(small.goals.goals) + len(small.reviews)


def test_importing_a_cycle_twice_is_refused_and_changes_nothing(
    loaded: SqliteStore, small: CycleData
) -> None:
    before = count(loaded.path, "audit")
    with loaded.transaction(actor="importer", at=AT) as uow:
        with pytest.raises(ConcurrencyError, match="cycle 'fy2026' already exists"):
            uow.import_data(small)
        uow.commit()
    assert count(loaded.path, "audit") == before
    assert count(loaded.path, "goals") == len(small.goals.goals)


def test_an_import_that_collides_on_a_check_in_stores_nothing(
    store: SqliteStore, small: CycleData
) -> None:
    goal = small.goals.goals[0]
    taken = small.goals.check_ins[3]
    with store.transaction(actor="dana", at=AT) as uow:
        uow.goals.save(attrs.evolve(goal, id="elsewhere"))
        uow.goals.add_check_in(attrs.evolve(taken, goal_id="elsewhere"))
        with pytest.raises(ConcurrencyError, match="check_in"):
            uow.import_data(small)
        # the failed import left the earlier writes of this unit of work alone
        assert [g.id for g in uow.goals.in_cycle(small.cycle.id)] == ["elsewhere"]
        uow.commit()
    assert count(store.path, "goals") == 1
    assert count(store.path, "employees") == 0
    assert count(store.path, "audit") == 1


def test_cycle_data_of_an_unknown_cycle(store: SqliteStore) -> None:
    with store.transaction(actor="r", at=AT) as uow, pytest.raises(NotFoundError, match="nope"):
        uow.cycle_data("nope")


def test_results_round_trip_and_queries_by_unit(loaded: SqliteStore, small: CycleData) -> None:
    result = run_cycle(small, sample_policy(small), at=AT)
    with loaded.transaction(actor="hr", at=AT, reason="year end") as uow:
        uow.results.save(result)
        uow.results.save(result)  # replaces: once more, same rows
        uow.commit()
    assert count(loaded.path, "employee_results") == len(result.employees)
    with loaded.transaction(actor="reader", at=AT) as uow:
        assert uow.results.get(small.cycle.id) == result
        units = {e.unit_id for e in result.employees}
        for unit in sorted(units):
            got = uow.results.by_unit(small.cycle.id, unit)
            want = sorted(
                (e for e in result.employees if e.unit_id == unit), key=lambda e: e.employee_id
            )
            assert got == tuple(want)
        assert uow.results.by_unit(small.cycle.id, "no-such-unit") == ()
        assert uow.results.by_unit("other-cycle", "acme") == ()
        entries = uow.audit.entries(small.cycle.id)
        assert [e.kind for e in entries] == ["result", "result"]
        assert entries[0].before is None
        assert entries[1].before == entries[0].after == perfkit.dumps(result)
        with pytest.raises(NotFoundError, match="cycle result"):
            uow.results.get("other-cycle")


# --- versions, concurrency, rollback -------------------------------------------------------


def test_versions_go_up_by_one_and_stale_saves_are_refused(
    loaded: SqliteStore, small: CycleData
) -> None:
    review = small.reviews[0]
    with loaded.transaction(actor="dana", at=AT, reason="typo") as uow:
        assert uow.reviews.version(review.id) == 1
        edited = attrs.evolve(review, summary="fixed")
        assert uow.reviews.save(edited, expected_version=1) == 2
        with pytest.raises(ConcurrencyError, match="is at version 2, not 1") as info:
            uow.reviews.save(attrs.evolve(review, summary="lost"), expected_version=1)
        assert (info.value.kind, info.value.expected, info.value.found) == ("review", 1, 2)
        with pytest.raises(ConcurrencyError, match=r"already exists \(version 2\)"):
            uow.reviews.save(edited)
        with pytest.raises(ConcurrencyError, match="does not exist") as missing:
            uow.reviews.save(attrs.evolve(review, id="r-new"), expected_version=3)
        assert (missing.value.expected, missing.value.found) == (3, None)
        assert uow.reviews.get(review.id) == edited  # the refused saves changed nothing
        uow.commit()
    with loaded.transaction(actor="dana", at=AT) as uow:
        assert uow.reviews.version(review.id) == 2
        last = uow.audit.entries(review.id)[-1]
        assert (last.actor, last.reason, last.after) == ("dana", "typo", perfkit.dumps(edited))
        assert last.before == perfkit.dumps(review)


def test_cycles_are_versioned_but_not_audited(store: SqliteStore, small: CycleData) -> None:
    cycle = small.cycle
    with store.transaction(actor="hr", at=AT) as uow:
        uow.cycles.add(cycle)
        with pytest.raises(ConcurrencyError, match="already exists"):
            uow.cycles.add(cycle)
        assert uow.cycles.save(cycle, expected_version=1) == 2
        with pytest.raises(ValidationError, match="expected_version: None is not a version"):
            uow.cycles.save(cycle, expected_version=None)  # type: ignore[arg-type]
        uow.cycles.add(attrs.evolve(cycle, id="a-first"))
        assert [c.id for c in uow.cycles.list()] == ["a-first", cycle.id]
        assert uow.audit.entries() == ()
        uow.commit()


def test_leaving_without_commit_or_by_an_exception_rolls_back(
    store: SqliteStore, small: CycleData
) -> None:
    goal = small.goals.goals[0]
    with store.transaction(actor="dana", at=AT) as uow:
        uow.goals.save(goal)
        assert uow.goals.get(goal.id) == goal  # reads see their own writes

    def fail_half_way() -> None:
        with store.transaction(actor="dana", at=AT) as uow:
            uow.goals.save(goal)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_half_way()
    with store.transaction(actor="dana", at=AT) as uow:
        uow.goals.save(goal)
        uow.rollback()
        with pytest.raises(NotFoundError, match="no goal with id"):
            uow.goals.get(goal.id)
        uow.goals.save(goal)
        uow.commit()
        uow.goals.save(attrs.evolve(goal, title="not kept"), expected_version=1)
    with store.transaction(actor="dana", at=AT) as uow:
        assert uow.goals.get(goal.id) == goal
        assert uow.goals.version(goal.id) == 1
        assert len(uow.audit.entries()) == 1
        assert uow.audit.verify().ok


def test_a_unit_of_work_reads_one_snapshot_until_it_writes(
    loaded: SqliteStore, small: CycleData
) -> None:
    review = small.reviews[1]
    with loaded.transaction(actor="b", at=AT) as slow:
        seen = slow.reviews.get(review.id)
        version = slow.reviews.version(review.id)
        with loaded.transaction(actor="a", at=AT) as fast:
            fast.reviews.save(attrs.evolve(review, summary="first"), expected_version=version)
            fast.commit()
        # still the snapshot: what it read and its version agree
        assert slow.reviews.get(review.id) == seen
        assert slow.reviews.version(review.id) == version
        with pytest.raises(ConcurrencyError, match="someone else changed it"):
            slow.reviews.save(attrs.evolve(seen, summary="second"), expected_version=version)
        # after its first write it reads what is committed now
        assert slow.reviews.get(review.id).summary == "first"


def test_a_second_writer_in_the_same_thread_is_told_at_once(
    tmp_path: Path, small: CycleData
) -> None:
    store = SqliteStore(tmp_path / "patient.db", timeout=60)
    goals = small.goals.goals
    started = time.monotonic()
    with store.transaction(actor="a", at=AT) as a, store.transaction(actor="b", at=AT) as b:
        a.goals.save(goals[0])
        with pytest.raises(StoreError, match="one writer at a time: commit or leave"):
            b.goals.save(goals[1])
        a.commit()
        b.goals.save(goals[1])  # a has committed: b may write now
        b.commit()
    assert time.monotonic() - started < 30  # told, not left waiting for the 60 s timeout
    with store.transaction(actor="c", at=AT) as uow:
        assert [g.id for g in uow.goals.in_cycle(small.cycle.id)] == sorted(
            [goals[0].id, goals[1].id]
        )


def test_a_writer_in_another_thread_waits_then_gives_up(tmp_path: Path, small: CycleData) -> None:
    path = tmp_path / "locked.db"
    holder = SqliteStore(path)
    waiter = SqliteStore(path, timeout=0.2)
    outcome: list[BaseException | None] = []

    def write() -> None:
        try:
            with waiter.transaction(actor="w", at=AT) as uow:
                uow.goals.save(small.goals.goals[1])
                uow.commit()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    with holder.transaction(actor="h", at=AT) as uow:
        uow.goals.save(small.goals.goals[0])
        thread = threading.Thread(target=write)
        thread.start()
        thread.join()
        uow.commit()
    assert len(outcome) == 1
    assert isinstance(outcome[0], StoreError)
    assert "is locked" in str(outcome[0])
    assert "try again" in str(outcome[0])
    # with the writer gone, the same write goes through
    write()
    assert outcome[1] is None
    assert count(path, "goals") == 2


# --- the repositories' queries -------------------------------------------------------------


def test_goal_and_review_queries_answer_in_id_order(loaded: SqliteStore, small: CycleData) -> None:
    cycle = small.cycle.id
    with loaded.transaction(actor="r", at=AT) as uow:
        assert uow.goals.in_cycle(cycle) == tuple(sorted(small.goals.goals, key=lambda g: g.id))
        assert uow.goals.in_cycle("other") == ()
        person = small.organisation.employees[5].id
        assert uow.goals.of_employee(person, cycle) == small.goals_of(person)
        assert uow.reviews.by_cycle(cycle) == tuple(sorted(small.reviews, key=lambda r: r.id))
        assert uow.reviews.by_cycle(cycle, person) == small.reviews_of(person)
        goal = small.goals.goals[-1]
        assert uow.goals.check_ins(goal.id) == small.goals.check_ins_for(goal.id)
        assert uow.organisation.load() == small.organisation
        assert uow.organisation.employee(person) == small.organisation.employee(person)
        with pytest.raises(NotFoundError, match="no employee with id 'ghost'"):
            uow.organisation.employee("ghost")
        with pytest.raises(NotFoundError, match="no goal with id 'ghost'"):
            uow.goals.check_ins("ghost")
        with pytest.raises(ValidationError, match="goal_id: 7 is not a string id"):
            uow.goals.get(7)  # type: ignore[arg-type]


def test_check_ins_must_name_a_stored_goal_and_fit_its_metric(
    loaded: SqliteStore, small: CycleData
) -> None:
    check_in = small.goals.check_ins[0]
    with loaded.transaction(actor="dana", at=AT) as uow:
        with pytest.raises(UnknownReferenceError, match="check_in.goal_id: 'ghost'"):
            uow.goals.add_check_in(attrs.evolve(check_in, id="new", goal_id="ghost"))
        with pytest.raises(ConcurrencyError, match="check_in"):
            uow.goals.add_check_in(check_in)
        goal = uow.goals.get(check_in.goal_id)
        wrong = (
            attrs.evolve(check_in, id="new", value=None, done=True)
            if check_in.value is not None
            else attrs.evolve(check_in, id="new", value=1.0, done=None, milestones_done=())
        )
        with pytest.raises(ValidationError, match=r"^check_in\."):
            uow.goals.add_check_in(wrong)
        later = attrs.evolve(check_in, id="later", at=check_in.at + timedelta(days=400))
        uow.goals.add_check_in(later)
        assert uow.goals.check_ins(goal.id)[-1] == later


def test_feedback_about_a_subject_in_a_period(store: SqliteStore) -> None:
    paris = timezone(timedelta(hours=2))

    def praise(event_id: str, subject: str, at: datetime) -> Praise:
        return Praise(id=event_id, author="ann", subject=subject, at=at, text="Well done")

    events = [
        praise("p3", "bob", datetime(2026, 3, 1, tzinfo=UTC)),
        praise("p1", "bob", datetime(2026, 1, 1, tzinfo=UTC)),
        # the same instant as p1, written in another zone: ties go by id
        praise("p0", "bob", datetime(2026, 1, 1, 2, tzinfo=paris)),
        praise("p2", "cy", datetime(2026, 2, 1, tzinfo=UTC)),
    ]
    with store.transaction(actor="dana", at=AT) as uow:
        for e in events:
            uow.feedback.add(e)
        assert [e.id for e in uow.feedback.about("bob")] == ["p0", "p1", "p3"]
        start = datetime(2026, 1, 1, 1, tzinfo=paris)  # 23:00 UTC the day before
        end = datetime(2026, 3, 1, tzinfo=UTC)
        assert [e.id for e in uow.feedback.about("bob", start, end)] == ["p0", "p1"]
        assert [e.id for e in uow.feedback.about("bob", end)] == ["p3"]
        with pytest.raises(ValidationError, match="end: .* is before start"):
            uow.feedback.about("bob", end, start)
        with pytest.raises(ValidationError, match="start: .* is a naive datetime"):
            uow.feedback.about("bob", datetime(2026, 1, 1))
        assert [e.id for e in uow.feedback.log().events] == ["p0", "p1", "p2", "p3"]


def test_a_feedback_response_must_answer_a_stored_request(store: SqliteStore) -> None:
    ask = FeedbackRequest(
        id="q1", author="ann", subject="bob", at=AT, requested_from=["cy"], question="How?"
    )
    answer = FeedbackResponse(
        id="a1", request_id="q1", author="cy", subject="bob", at=AT, text="Well."
    )
    with store.transaction(actor="dana", at=AT) as uow:
        with pytest.raises(UnknownReferenceError, match=r"event\.request_id: 'q1'"):
            uow.feedback.add(answer)
        uow.feedback.add(ask)
        with pytest.raises(ValidationError, match=r"event\.author: 'dee' was not asked"):
            uow.feedback.add(attrs.evolve(answer, author="dee"))
        uow.feedback.add(answer)
        with pytest.raises(ValidationError, match=r"event\.author: 'cy' already answered"):
            uow.feedback.add(attrs.evolve(answer, id="a2"))
        with pytest.raises(ConcurrencyError, match="feedback 'a1' already exists"):
            uow.feedback.add(answer)
        assert uow.feedback.log().events == (answer, ask)  # the same instant: by id


def test_bad_arguments_name_the_argument(store: SqliteStore) -> None:
    with pytest.raises(ValidationError, match="actor: '' is not a valid id"):
        store.transaction(actor="", at=AT)
    with pytest.raises(ValidationError, match="at: .* is a naive datetime"):
        store.transaction(actor="a", at=datetime(2026, 1, 1))
    with store.transaction(actor="a", at=AT) as uow:
        with pytest.raises(ValidationError, match="goal: 'x' is not a Goal"):
            uow.goals.save("x")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="expected_version: 0 is not None"):
            uow.goals.save(sample_cycle(3).goals.goals[0], expected_version=0)
        with pytest.raises(ValidationError, match="event: 3 is not"):
            uow.feedback.add(3)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="data: None is not a CycleData"):
            uow.import_data(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="path: ':memory:' is not a file path"):
        SqliteStore(":memory:")
    with pytest.raises(ValidationError, match="timeout: -1 is not a number of seconds"):
        SqliteStore(store.path, timeout=-1)
    with pytest.raises(ValidationError, match="path: 42 is not a file path"):
        SqliteStore(42)  # type: ignore[arg-type]


def test_text_sqlite_cannot_store_is_refused_by_name(store: SqliteStore, small: CycleData) -> None:
    goal = attrs.evolve(small.goals.goals[0], description="half a pair: \ud800")
    with store.transaction(actor="a", at=AT) as uow:
        with pytest.raises(ValidationError, match="^goal: .* not valid Unicode"):
            uow.goals.save(goal)
        data = attrs.evolve(
            small, goals=attrs.evolve(small.goals, goals=[goal, *small.goals.goals[1:]])
        )
        with pytest.raises(ValidationError, match="^data: .* not valid Unicode"):
            uow.import_data(data)
        with pytest.raises(NotFoundError):
            uow.goals.get("\ud800")  # such an id cannot have been stored
        uow.goals.save(small.goals.goals[0])  # the unit of work goes on
        uow.commit()
    assert count(store.path, "goals") == 1


def test_a_closed_store_and_an_ended_unit_of_work_say_so(store: SqliteStore) -> None:
    with store.transaction(actor="a", at=AT) as uow:
        pass
    with pytest.raises(StoreError, match="this unit of work is over"):
        uow.cycles.list()
    store.close()
    with pytest.raises(StoreError, match="is closed; open the file again"):
        store.transaction(actor="a", at=AT)


def test_a_file_deleted_under_an_open_store(tmp_path: Path) -> None:
    path = tmp_path / "gone.db"
    with SqliteStore(path) as store:
        path.unlink()
        with pytest.raises(StoreError, match="is gone"):
            store.transaction(actor="a", at=AT).__enter__()


# --- round trips (hypothesis) --------------------------------------------------------------


@given(goal=goals(), edits=st.lists(st.text(min_size=1, max_size=20).filter(str.strip)))
def test_goals_round_trip_through_every_save(goal: Goal, edits: list[str]) -> None:
    folder, store = fresh_store()
    with folder, store:
        with store.transaction(actor="a", at=AT) as uow:
            assert uow.goals.save(goal) == 1
            current = goal
            for n, title in enumerate(edits, start=1):
                current = attrs.evolve(current, title=title)
                assert uow.goals.save(current, expected_version=n) == n + 1
            uow.commit()
        with store.transaction(actor="b", at=AT) as uow:
            assert uow.goals.get(goal.id) == current
            assert uow.goals.version(goal.id) == len(edits) + 1
            cycle = goal.cycle_id or "any-cycle"
            assert uow.goals.in_cycle(cycle) == (current,)
            mine = goal.owner.kind is OwnerKind.EMPLOYEE
            assert uow.goals.of_employee(goal.owner.id, cycle) == ((current,) if mine else ())
            report = uow.audit.verify()
            assert report.ok
            assert report.checked == len(edits) + 1


@given(review=reviews())
def test_reviews_round_trip(review: Review) -> None:
    folder, store = fresh_store()
    with folder, store:
        with store.transaction(actor="a", at=AT) as uow:
            uow.reviews.save(review)
            uow.commit()
        with store.transaction(actor="b", at=AT) as uow:
            assert uow.reviews.get(review.id) == review
            assert uow.reviews.by_cycle(review.cycle_id, review.subject) == (review,)


@given(
    events=st.lists(st.one_of(praises(), constructives(), notes(), requests()), max_size=10),
    start=st.none() | aware_datetimes,
    end=st.none() | aware_datetimes,
)
def test_feedback_queries_match_a_brute_force_filter(
    events: list[FeedbackEvent], start: datetime | None, end: datetime | None
) -> None:
    unique = list({e.id: e for e in events}.values())
    folder, store = fresh_store()
    with folder, store, store.transaction(actor="a", at=AT) as uow:
        for e in unique:
            uow.feedback.add(e)
        for subject in sorted({e.subject for e in unique} | {"nobody"}):
            if start is not None and end is not None and end < start:
                with pytest.raises(ValidationError):
                    uow.feedback.about(subject, start, end)
                continue
            want = sorted(
                (
                    e
                    for e in unique
                    if e.subject == subject
                    and (start is None or start <= e.at)
                    and (end is None or e.at < end)
                ),
                key=lambda e: (e.at, e.id),
            )
            assert uow.feedback.about(subject, start, end) == tuple(want)


everywhen = st.datetimes(timezones=timezones)


@given(a=everywhen, b=everywhen)
def test_utc_text_sorts_like_the_instants_it_stands_for(a: datetime, b: datetime) -> None:
    assert (utc_text(a) < utc_text(b)) == (a < b)
    assert (utc_text(a) == utc_text(b)) == (a == b)


def test_utc_text_at_the_ends_of_the_calendar() -> None:
    plus = timezone(timedelta(hours=5))
    minus = timezone(timedelta(hours=-5))
    first = datetime.min.replace(tzinfo=plus)  # 0000-12-31T19:00 UTC: before year 1
    last = datetime.max.replace(tzinfo=minus)  # 10000-01-01T04:59 UTC: after year 9999
    assert utc_text(first) == "0000-12-31T19:00:00.000000"
    assert utc_text(last) == "9999-12-32T04:59:59.999999"
    assert utc_text(first) < utc_text(datetime.min.replace(tzinfo=UTC))
    assert utc_text(last) > utc_text(datetime.max.replace(tzinfo=UTC))


# --- the file ------------------------------------------------------------------------------


def test_the_file_is_marked_in_wal_mode_and_holds_a_table_per_kind(loaded: SqliteStore) -> None:
    with raw(loaded.path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version, written_by FROM perfkit_schema").fetchall() == [
            (SCHEMA_VERSION, perfkit.__version__)
        ]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables >= {
            "perfkit_schema", "org_units", "employees", "cycles", "goals", "check_ins",
            "feedback", "cycle_scales", "cycle_forms", "reviews", "calibrations", "results",
            "employee_results", "audit", "audit_head",
        }  # fmt: skip
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # every query has its index
        plan = " ".join(
            str(r)
            for r in conn.execute(
                "EXPLAIN QUERY PLAN SELECT record FROM check_ins WHERE goal_id = ? "
                "ORDER BY at_utc, id",
                ("g",),
            )
        )
        assert "check_ins_by_goal" in plan
        row = conn.execute("SELECT record FROM goals ORDER BY id LIMIT 1").fetchone()
        assert json.loads(row[0])["type"] == "Goal"


def test_a_check_in_cannot_outlive_its_goal_in_the_file(loaded: SqliteStore) -> None:
    with raw(loaded.path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        goal = conn.execute("SELECT goal_id FROM check_ins LIMIT 1").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("DELETE FROM goals WHERE id = ?", (goal,))


def test_a_file_that_is_not_perfkits_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, just some notes\n" * 100)
    with pytest.raises(StoreError, match="is not a perfkit database; give a new path or a"):
        SqliteStore(text)
    other = tmp_path / "other.db"
    with raw(other) as conn:
        conn.execute("CREATE TABLE things (x)")
    with pytest.raises(StoreError, match="other.db is not a perfkit database"):
        SqliteStore(other)
    assert text.read_text().startswith("not a database")  # left as it was
    with raw(other) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0
    with pytest.raises(StoreError, match="cannot open .*existing, writable directory"):
        SqliteStore(tmp_path / "no-such-folder" / "x.db")


def test_an_empty_file_becomes_a_perfkit_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with SqliteStore(empty) as store, store.transaction(actor="a", at=AT) as uow:
        assert uow.cycles.list() == ()
    with raw(empty) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_a_file_from_a_newer_perfkit_is_refused(loaded: SqliteStore) -> None:
    with raw(loaded.path) as conn:
        conn.execute("UPDATE perfkit_schema SET version = 3")
    with pytest.raises(StoreError, match=r"was written by a newer perfkit \(schema 3;.*upgrade"):
        SqliteStore(loaded.path)


def test_a_perfkit_file_without_its_schema_version_is_damaged(store: SqliteStore) -> None:
    with raw(store.path) as conn:
        conn.execute("DROP TABLE perfkit_schema")
    with pytest.raises(StoreError, match="damaged perfkit database"):
        SqliteStore(store.path)


STEP_2 = Migration(
    version=2,
    description="goal priorities",
    statements=(
        "ALTER TABLE goals ADD COLUMN priority INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX goals_by_priority ON goals (priority, id)",
    ),
    apply=lambda conn: conn.execute("UPDATE goals SET priority = length(id)"),
)


def test_an_older_file_is_migrated_forward_when_opened(
    loaded: SqliteStore, small: CycleData
) -> None:
    newer = SqliteStore(loaded.path, migrations=(*MIGRATIONS, STEP_2))
    assert newer.schema_version == 2
    with raw(loaded.path) as conn:
        assert conn.execute("SELECT version FROM perfkit_schema").fetchone()[0] == 2
        rows = conn.execute("SELECT id, priority FROM goals").fetchall()
        assert rows
        assert all(priority == len(gid) for gid, priority in rows)
    with newer.transaction(actor="r", at=AT) as uow:  # everything is still there
        assert by_id(uow.cycle_data(small.cycle.id)) == by_id(small)
    SqliteStore(loaded.path, migrations=(*MIGRATIONS, STEP_2))  # opening again: nothing to do
    with pytest.raises(StoreError, match=r"newer perfkit \(schema 2"):
        SqliteStore(loaded.path)  # this perfkit only knows schema 1
    with pytest.raises(StoreError, match="migrated to schema 2 by another perfkit .*upgrade"):
        loaded.transaction(actor="r", at=AT).__enter__()  # it was open before the migration


def test_a_failing_migration_leaves_the_file_unchanged(loaded: SqliteStore) -> None:
    broken = Migration(
        version=2,
        description="a step with a typo",
        statements=("ALTER TABLE goals ADD COLUMN priority INTEGER", "ALTER TABEL oops"),
    )
    with pytest.raises(StoreError, match="from schema 1 to 2 failed at step 2 .*unchanged"):
        SqliteStore(loaded.path, migrations=(*MIGRATIONS, broken))
    with raw(loaded.path) as conn:
        assert conn.execute("SELECT version FROM perfkit_schema").fetchone()[0] == 1
        columns = [r[1] for r in conn.execute("PRAGMA table_info(goals)")]
        assert "priority" not in columns
    SqliteStore(loaded.path)  # still a good schema-1 file


def test_migration_steps_are_numbered_in_order(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"migrations\[1\]\.version: 3 is not 2"):
        SqliteStore(tmp_path / "x.db", migrations=(*MIGRATIONS, attrs.evolve(STEP_2, version=3)))
    with pytest.raises(ValidationError, match="migrations: .* is empty"):
        SqliteStore(tmp_path / "x.db", migrations=())
    with pytest.raises(ValidationError, match=r"statements\[0\]: 5 is not an SQL statement"):
        Migration(version=2, description="d", statements=(5,))  # type: ignore[arg-type]
    assert not (tmp_path / "x.db").exists()


# --- tampering -----------------------------------------------------------------------------


@pytest.fixture
def audited(store: SqliteStore, small: CycleData) -> SqliteStore:
    with store.transaction(actor="dana", at=AT, reason="goals") as uow:
        for goal in small.goals.goals[:5]:
            uow.goals.save(goal)
        uow.commit()
    return store


def verify(store: SqliteStore) -> list[tuple[int, str]]:
    with store.transaction(actor="auditor", at=AT) as uow:
        report = uow.audit.verify()
    return [(p.seq, p.reason) for p in report.problems]


def test_an_untouched_log_verifies(audited: SqliteStore) -> None:
    assert verify(audited) == []


def test_an_edited_entry_is_found(audited: SqliteStore) -> None:
    with raw(audited.path) as conn:
        conn.execute("UPDATE audit SET after = replace(after, 'Goal', 'Gaol') WHERE seq = 3")
    assert verify(audited) == [(3, "was changed after it was written")]


def test_a_deleted_middle_entry_is_found(audited: SqliteStore) -> None:
    with raw(audited.path) as conn:
        conn.execute("DELETE FROM audit WHERE seq = 2")
    problems = verify(audited)
    assert (3, "expected entry 2: entries are missing") in problems
    assert (3, "does not follow the entry before it") in problems


def test_a_deleted_last_entry_is_found_by_the_head(audited: SqliteStore) -> None:
    with raw(audited.path) as conn:
        conn.execute("DELETE FROM audit WHERE seq = 5")
    assert verify(audited) == [(5, "the log ends before its recorded head: entries are missing")]


def test_an_entry_that_cannot_be_read_is_reported(audited: SqliteStore) -> None:
    with raw(audited.path) as conn:
        conn.execute("UPDATE audit SET at_text = 'yesterday' WHERE seq = 4")
    problems = verify(audited)
    assert problems[0][0] == 4
    assert "cannot be read" in problems[0][1]
    with (
        audited.transaction(actor="auditor", at=AT) as uow,
        pytest.raises(StoreError, match="audit entry 4 .* cannot be read"),
    ):
        uow.audit.entries()


def test_a_record_changed_behind_perfkits_back_is_a_store_error(audited: SqliteStore) -> None:
    with raw(audited.path) as conn:
        gid = conn.execute("SELECT id FROM goals LIMIT 1").fetchone()[0]
        conn.execute("UPDATE goals SET record = '{\"oops\": 1}' WHERE id = ?", (gid,))
    with (
        audited.transaction(actor="r", at=AT) as uow,
        pytest.raises(StoreError, match="stored goal .* cannot be read .*restore"),
    ):
        uow.goals.get(gid)


def test_a_head_without_its_entries_is_found(audited: SqliteStore) -> None:
    with raw(audited.path) as conn:
        conn.execute("DELETE FROM audit")
        conn.execute("DELETE FROM audit_head")
    assert verify(audited) == []  # an empty log with no head: nothing to see...
    with raw(audited.path) as conn:
        conn.execute("INSERT INTO audit_head VALUES (1, 5, ?)", ("f" * 64,))
    assert verify(audited) == [(1, "the log ends before its recorded head: entries are missing")]


# --- real processes ------------------------------------------------------------------------


def run_python(script: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(test: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


IMPORTER = """
    import json, os, sys
    from datetime import UTC, datetime
    from pathlib import Path
    from perfkit.sample import sample_cycle
    from perfkit.storage.sqlite import SqliteStore

    folder, runs, size = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    data = sample_cycle(size)
    counts = {
        "employees": len(data.organisation.employees),
        "goals": len(data.goals.goals),
        "check_ins": len(data.goals.check_ins),
        "feedback": len(data.feedback.events),
        "reviews": len(data.reviews),
        "audit": len(data.goals.goals) + len(data.reviews),
        "cycles": 1,
    }
    (folder / "counts.tmp").write_text(json.dumps(counts))
    os.replace(folder / "counts.tmp", folder / "counts.json")

    def save(run):
        store = SqliteStore(folder / f"{run}.db")
        (folder / f"{run}.tmp").write_text(str(os.getpid()))
        os.replace(folder / f"{run}.tmp", folder / f"{run}.started")  # the save begins now
        with store.transaction(actor="importer", at=datetime(2026, 5, 1, tzinfo=UTC)) as uow:
            uow.import_data(data)
            uow.commit()
        (folder / f"{run}.committed").touch()

    children = []
    for run in range(runs):  # one copy of the data, forked: every run saves the same cycle
        pid = os.fork()
        if pid == 0:
            try:
                save(run)
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
"""


def test_a_process_killed_mid_save_leaves_all_or_nothing(tmp_path: Path) -> None:
    # run → when to kill it, once its save has begun: at once, after a delay, once the
    # write-ahead log has grown (rows are being written), or never (the save completes).
    def wal_size(run: int) -> int:
        wal = tmp_path / f"{run}.db-wal"
        return wal.stat().st_size if wal.exists() else 0

    kill_when: dict[int, Callable[[float], bool]] = {
        0: lambda elapsed: True,
        1: lambda elapsed: elapsed > 0.7,
        2: lambda elapsed: wal_size(2) > 4_000_000,
        3: lambda elapsed: False,
    }
    child = run_python(IMPORTER, str(tmp_path), str(len(kill_when)), "5000")
    started: dict[int, float] = {}
    pending = set(kill_when)
    deadline = time.monotonic() + 180
    while pending and time.monotonic() < deadline and child.poll() is None:
        for run in sorted(pending):
            marker = tmp_path / f"{run}.started"
            if run not in started and marker.exists():
                started[run] = time.monotonic()
            if run in started and kill_when[run](time.monotonic() - started[run]):
                if not (tmp_path / f"{run}.committed").exists():
                    os.kill(int(marker.read_text()), signal.SIGKILL)
                pending.discard(run)
            elif run in started and (tmp_path / f"{run}.committed").exists():
                pending.discard(run)
        time.sleep(0.005)
    _, err = child.communicate(timeout=180)
    assert child.returncode == 0, err.decode()
    full = json.loads((tmp_path / "counts.json").read_text())
    outcomes = {}
    for run in kill_when:
        path = tmp_path / f"{run}.db"
        with raw(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        SqliteStore(path).close()  # opens cleanly
        found = {table: count(path, table) for table in full}
        assert found in (full, dict.fromkeys(full, 0)), (run, found)
        outcomes[run] = "all" if found == full else "none"
        if outcomes[run] == "all":
            with SqliteStore(path) as store, store.transaction(actor="a", at=AT) as uow:
                assert uow.audit.verify().ok
    assert outcomes[0] == "none"  # killed as the save began: nothing of it
    assert outcomes[2] == "none"  # killed while rows were being written: nothing of it
    assert outcomes[3] == "all"  # never killed: all of it


RACER = """
    import os, sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    import attrs
    from perfkit._errors import ConcurrencyError
    from perfkit.storage.sqlite import SqliteStore

    path, me, folder, review_id = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    store = SqliteStore(path, timeout=30)
    with store.transaction(actor=me, at=datetime(2026, 5, 1, tzinfo=UTC), reason="race") as uow:
        review = uow.reviews.get(review_id)
        version = uow.reviews.version(review_id)
        (folder / f"{me}.tmp").write_text(str(version))
        os.replace(folder / f"{me}.tmp", folder / f"{me}.ready")  # whole, or not there
        while not (folder / "go").exists():
            time.sleep(0.001)
        try:
            uow.reviews.save(attrs.evolve(review, summary=f"by {me}"), expected_version=version)
            uow.commit()
            outcome = "saved"
        except ConcurrencyError as err:
            outcome = f"conflict {err.expected} {err.found}"
    (folder / f"{me}.outcome").write_text(outcome)
"""


def test_two_processes_saving_the_same_review_one_wins(
    loaded: SqliteStore, small: CycleData, tmp_path: Path
) -> None:
    review = small.reviews[2]
    racers = ["p1", "p2"]
    procs = [run_python(RACER, str(loaded.path), me, str(tmp_path), review.id) for me in racers]
    wait_for(lambda: all((tmp_path / f"{me}.ready").exists() for me in racers), "both reads")
    assert {(tmp_path / f"{me}.ready").read_text() for me in racers} == {"1"}
    (tmp_path / "go").touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    outcomes = {me: (tmp_path / f"{me}.outcome").read_text() for me in racers}
    assert sorted(outcomes.values()) == ["conflict 1 2", "saved"]
    winner = next(me for me, outcome in outcomes.items() if outcome == "saved")
    with loaded.transaction(actor="r", at=AT) as uow:
        assert uow.reviews.get(review.id) == attrs.evolve(review, summary=f"by {winner}")
        assert uow.reviews.version(review.id) == 2
        last = uow.audit.entries(review.id)[-1]
        assert (last.actor, last.reason) == (winner, "race")
        assert uow.audit.verify().ok


# --- streams: bulk writes and iterators a batch at a time ----------------------------------


@contextmanager
def batches_of(size: int) -> Iterator[None]:
    """Bulk writes and reads a few records at a time, so that small data crosses batches."""
    saved = sqlite_module._BATCH, sqlite_module._FETCH
    sqlite_module._BATCH = sqlite_module._FETCH = size
    try:
        yield
    finally:
        sqlite_module._BATCH, sqlite_module._FETCH = saved


def stream_in(uow: SqliteUnitOfWork, data: CycleData) -> tuple[int, ...]:
    """``data`` written through the streaming writers, every iterable a generator."""
    uow.organisation.save(data.organisation)
    uow.cycles.add(data.cycle)
    return (
        uow.goals.add_many(g for g in data.goals.goals),
        uow.goals.add_check_ins(c for c in data.goals.check_ins),
        uow.feedback.add_many(e for e in data.feedback.events),
        uow.reviews.add_many(r for r in data.reviews),
    )


def praises_of(n: int, prefix: str = "p") -> Iterator[Praise]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        yield Praise(
            id=f"{prefix}{i:06d}",
            author="ann",
            subject="bob",
            at=start + timedelta(minutes=i),
            text="Thank you for the launch plan",
        )


@pytest.mark.parametrize("size", [1, 7, 2000])
def test_streamed_writes_store_what_import_data_stores(
    tmp_path: Path, small: CycleData, size: int
) -> None:
    imported = SqliteStore(tmp_path / "imported.db")
    with imported.transaction(actor="importer", at=AT, reason="import") as uow:
        uow.import_data(small)
        uow.commit()
    streamed = SqliteStore(tmp_path / "streamed.db")
    with batches_of(size), streamed.transaction(actor="importer", at=AT, reason="import") as uow:
        counts = stream_in(uow, small)
        uow.commit()
    assert counts == (
        len(small.goals.goals),
        len(small.goals.check_ins),
        len(small.feedback.events),
        len(small.reviews),
    )
    cycle = small.cycle.id
    with imported.transaction(actor="r", at=AT) as a, streamed.transaction(actor="r", at=AT) as b:
        assert b.goals.goal_set(cycle) == a.goals.goal_set(cycle)
        assert b.feedback.log() == a.feedback.log()
        assert b.reviews.by_cycle(cycle) == a.reviews.by_cycle(cycle)
        assert b.audit.entries() == a.audit.entries()  # the same entries, the same chain
        assert b.audit.verify().ok
    for table in ("goals", "check_ins", "feedback", "reviews", "audit"):
        with raw(imported.path) as one, raw(streamed.path) as two:
            sql = (
                f"SELECT * FROM {table} ORDER BY position"
                if table != "audit"
                else ("SELECT * FROM audit ORDER BY seq")
            )
            assert two.execute(sql).fetchall() == one.execute(sql).fetchall(), table


def test_an_empty_stream_stores_nothing(store: SqliteStore) -> None:
    with store.transaction(actor="a", at=AT) as uow:
        assert uow.goals.add_many([]) == 0
        assert uow.goals.add_check_ins(iter(())) == 0
        assert uow.feedback.add_many(()) == 0
        assert uow.reviews.add_many(x for x in ()) == 0
        assert uow.audit.entries() == ()
        uow.commit()
    assert count(store.path, "audit") == 0


@pytest.mark.parametrize("size", [3, 1000])
def test_iterators_give_what_the_listings_give(
    loaded: SqliteStore, small: CycleData, size: int
) -> None:
    cycle = small.cycle.id
    person = small.reviews[0].subject
    with batches_of(size), loaded.transaction(actor="r", at=AT) as uow:
        assert tuple(uow.goals.iter_in_cycle(cycle)) == uow.goals.in_cycle(cycle)
        assert tuple(uow.goals.iter_check_ins(cycle)) == uow.goals.goal_set(cycle).check_ins
        assert tuple(uow.feedback.iter_log()) == uow.feedback.log().events
        assert tuple(uow.reviews.iter_by_cycle(cycle)) == uow.reviews.by_cycle(cycle)
        mine = tuple(uow.reviews.iter_by_cycle(cycle, person))
        assert mine == uow.reviews.by_cycle(cycle, person) != ()
        assert list(uow.goals.iter_in_cycle("no-such-cycle")) == []
        assert list(uow.goals.iter_check_ins("no-such-cycle")) == []
        assert list(uow.reviews.iter_by_cycle("no-such-cycle")) == []


def test_iterator_arguments_are_checked_at_the_call(store: SqliteStore) -> None:
    with store.transaction(actor="r", at=AT) as uow:
        with pytest.raises(ValidationError, match="cycle_id: 5 is not a string id"):
            uow.goals.iter_in_cycle(5)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="cycle_id: None is not a string id"):
            uow.goals.iter_check_ins(None)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="subject: 3 is not a string id"):
            uow.reviews.iter_by_cycle("c", 3)  # type: ignore[arg-type]


def test_an_iterator_reads_nothing_until_asked_and_then_sees_earlier_writes(
    store: SqliteStore, small: CycleData
) -> None:
    first, second = small.goals.goals[:2]
    with store.transaction(actor="a", at=AT) as uow:
        it = uow.goals.iter_in_cycle(small.cycle.id)
        uow.goals.save(first)  # the iterator is not open yet: writing is fine
        uow.goals.save(second)
        assert [g.id for g in it] == sorted([first.id, second.id])
        uow.commit()


def test_an_open_iterator_holds_off_writes_commit_and_rollback(
    loaded: SqliteStore, small: CycleData
) -> None:
    cycle = small.cycle.id
    goal = small.goals.goals[0]
    with batches_of(4), loaded.transaction(actor="a", at=AT) as uow:
        expected = uow.goals.in_cycle(cycle)
        it = uow.goals.iter_in_cycle(cycle)  # a read transaction: commit() would end it
        got = [next(it)]
        refused: list[Callable[[], object]] = [
            lambda: uow.goals.save(attrs.evolve(goal, title="New"), expected_version=1),
            lambda: uow.goals.add_many([]),
            lambda: uow.goals.add_check_ins([]),
            lambda: uow.feedback.add_many([]),
            lambda: uow.reviews.add_many([]),
            lambda: uow.feedback.add(next(praises_of(1, "new"))),
            lambda: uow.organisation.save(small.organisation),
            lambda: uow.import_data(small),
            uow.commit,
            uow.rollback,
        ]
        for write in refused:
            with pytest.raises(StoreError, match="an iteration over goals is still open") as err:
                write()
            assert "finish it or close it (it.close())" in str(err.value)
        # reads go on meanwhile, other iterators too
        assert uow.goals.get(goal.id) == goal
        assert uow.goals.in_cycle(cycle) == expected
        assert tuple(uow.reviews.iter_by_cycle(cycle)) == uow.reviews.by_cycle(cycle)
        got.extend(it)  # the iteration was not disturbed
        assert tuple(got) == expected
        uow.goals.save(attrs.evolve(goal, title="New"), expected_version=1)  # exhausted: free
        # closed early, or dropped by a break: free again
        again = uow.goals.iter_in_cycle(cycle)
        next(again)
        with pytest.raises(StoreError, match="iteration over goals"):
            uow.commit()
        again.close()
        for _ in uow.feedback.iter_log():
            break
        uow.commit()
    with loaded.transaction(actor="r", at=AT) as uow:
        assert uow.goals.get(goal.id).title == "New"


def test_an_iterator_does_not_outlive_its_unit_of_work(
    loaded: SqliteStore, small: CycleData
) -> None:
    for taken in (1, 3):  # inside a batch of rows, and at the end of one
        with batches_of(3), loaded.transaction(actor="r", at=AT) as uow:
            it = uow.feedback.iter_log()
            for _ in range(taken):
                next(it)
        with pytest.raises(StoreError, match="this unit of work is over"):
            next(it)


def test_refused_items_are_named_by_position_and_nothing_of_the_call_is_kept(
    store: SqliteStore, small: CycleData
) -> None:
    goals = small.goals.goals[:8]
    with batches_of(3), store.transaction(actor="a", at=AT) as uow:
        uow.goals.save(goals[0])
        uow.goals.save(attrs.evolve(goals[0], title="Twice"), expected_version=1)
        with pytest.raises(ValidationError, match=r"^goals\[4\]: 'x' is not a Goal"):
            uow.goals.add_many([*goals[1:5], "x", goals[5]])  # type: ignore[list-item]
        with pytest.raises(ConcurrencyError, match=repr(goals[0].id)) as stored:
            uow.goals.add_many([*goals[1:6], goals[0]])  # stored before, at version 2
        assert (stored.value.expected, stored.value.found) == (None, 2)
        for repeat in ([*goals[1:6], goals[1]], [goals[1], goals[1]]):  # across / in a batch
            with pytest.raises(ConcurrencyError, match=repr(goals[1].id)) as twice:
                uow.goals.add_many(iter(repeat))
            assert (twice.value.kind, twice.value.expected, twice.value.found) == ("goal", None, 1)
        # an earlier refusal wins over a later one, whichever the kind
        with pytest.raises(ConcurrencyError, match=repr(goals[0].id)):
            uow.goals.add_many([goals[1], goals[0], "x"])  # type: ignore[list-item]
        with pytest.raises(ValidationError, match=r"^goals\[1\]: 'x'"):
            uow.goals.add_many([goals[1], "x", goals[0]])  # type: ignore[list-item]
        assert [g.id for g in uow.goals.in_cycle(small.cycle.id)] == [goals[0].id]
        assert len(uow.audit.entries()) == 2
        assert uow.goals.add_many(goals[1:]) == 7  # the unit of work goes on
        uow.commit()
    assert count(store.path, "goals") == 8
    assert count(store.path, "audit") == 9


def test_bulk_write_arguments_must_be_iterables_of_records(store: SqliteStore) -> None:
    with store.transaction(actor="a", at=AT) as uow:
        for value in ("goals", b"x", {"a": 1}, 5, None):
            with pytest.raises(ValidationError, match="^goals: .* is not an iterable of goals"):
                uow.goals.add_many(value)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="^check_ins: 'x' is not an iterable"):
            uow.goals.add_check_ins("x")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="^events: 3 is not an iterable"):
            uow.feedback.add_many(3)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match=r"^reviews: \{\} is not an iterable"):
            uow.reviews.add_many({})  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match=r"^reviews\[0\]: 1 is not a Review"):
            uow.reviews.add_many([1])  # type: ignore[list-item]
        with pytest.raises(ValidationError, match=r"^events\[0\]: 1 is not"):
            uow.feedback.add_many([1])  # type: ignore[list-item]
        with pytest.raises(ValidationError, match=r"^check_ins\[0\]: 1 is not a CheckIn"):
            uow.goals.add_check_ins([1])  # type: ignore[list-item]


def test_streamed_check_ins_need_their_goal_and_a_fitting_reading(
    store: SqliteStore, small: CycleData
) -> None:
    goal = next(
        g for g in small.goals.goals if sum(c.goal_id == g.id for c in small.goals.check_ins) > 2
    )
    mine = [c for c in small.goals.check_ins if c.goal_id == goal.id]
    first = mine[0]
    wrong = (
        attrs.evolve(first, id="wrong", value=None, done=True)
        if first.value is not None
        else attrs.evolve(first, id="wrong", value=1.0, done=None, milestones_done=())
    )
    ghost = attrs.evolve(first, id="ghost-c", goal_id="ghost")
    with batches_of(2), store.transaction(actor="a", at=AT) as uow:
        with pytest.raises(UnknownReferenceError, match=r"^check_ins\[0\]\.goal_id: "):
            uow.goals.add_check_ins(mine)  # the goal is not stored
        uow.goals.save(goal)
        with pytest.raises(ConcurrencyError, match=f"check_in {first.id!r}"):
            uow.goals.add_check_ins([*mine[:2], first, ghost])  # the repeat comes first
        with pytest.raises(UnknownReferenceError, match=r"^check_ins\[2\]\.goal_id: 'ghost'"):
            uow.goals.add_check_ins([*mine[:2], ghost, first])
        with pytest.raises(ValidationError, match=r"^check_ins\[2\]\.(value|done)"):
            uow.goals.add_check_ins([*mine[:2], wrong])
        with pytest.raises(ConcurrencyError, match=f"check_in {first.id!r}") as err:
            uow.goals.add_check_ins([*mine[:2], first])  # repeated in the next batch
        assert (err.value.expected, err.value.found) == (None, 1)
        assert uow.goals.check_ins(goal.id) == ()
        assert uow.goals.add_check_ins(iter(mine)) == len(mine)
        uow.commit()
    assert count(store.path, "check_ins") == len(mine)


def test_streamed_responses_answer_requests_stored_or_earlier_in_the_call(
    store: SqliteStore,
) -> None:
    ask = FeedbackRequest(
        id="q1", author="ann", subject="bob", at=AT, requested_from=["cy", "dee"], question="How?"
    )

    def answer(event_id: str, author: str, at: datetime = AT) -> FeedbackResponse:
        return FeedbackResponse(
            id=event_id, request_id="q1", author=author, subject="bob", at=at, text="Well."
        )

    filler = list(praises_of(4))
    with batches_of(2), store.transaction(actor="a", at=AT) as uow:
        with pytest.raises(UnknownReferenceError, match=r"^events\[4\]\.request_id: 'q1'"):
            uow.feedback.add_many([*filler, answer("a1", "cy"), ask])  # the answer comes first
        with pytest.raises(ValidationError, match=r"^events\[5\]\.author: 'eve' was not asked"):
            uow.feedback.add_many([*filler, ask, answer("a1", "eve")])
        with pytest.raises(ValidationError, match=r"^events\[6\]\.author: 'cy' already answered"):
            uow.feedback.add_many([ask, *filler, answer("a1", "cy"), answer("a2", "cy")])
        with pytest.raises(ValidationError, match=r"^events\[1\]\.at: .* before"):
            uow.feedback.add_many([ask, answer("a1", "cy", AT - timedelta(days=1))])
        assert uow.feedback.log().events == ()
        assert uow.feedback.add_many([ask, *filler, answer("a1", "cy")]) == 6
        # a later call finds the request and its answers stored
        with pytest.raises(ValidationError, match=r"^events\[0\]\.author: 'cy' already answered"):
            uow.feedback.add_many([answer("a2", "cy")])
        with pytest.raises(ConcurrencyError, match="feedback 'a1' already exists"):
            uow.feedback.add_many([answer("a2", "dee"), answer("a1", "dee")])
        assert uow.feedback.add_many([answer("a2", "dee")]) == 1
        uow.commit()
    assert count(store.path, "feedback") == 7


def test_streamed_text_sqlite_cannot_store_is_named_by_position(
    store: SqliteStore, small: CycleData
) -> None:
    goals = list(small.goals.goals[:5])
    goals[3] = attrs.evolve(goals[3], description="half a pair: \ud800")
    events = list(praises_of(5))
    events[4] = attrs.evolve(events[4], text="\udfff")
    with batches_of(2), store.transaction(actor="a", at=AT) as uow:
        with pytest.raises(ValidationError, match=r"^goals\[3\]: .* not valid Unicode"):
            uow.goals.add_many(goals)
        with pytest.raises(ValidationError, match=r"^events\[4\]: .* not valid Unicode"):
            uow.feedback.add_many(events)
        assert uow.goals.in_cycle(small.cycle.id) == ()
        assert uow.feedback.log().events == ()


def test_an_interrupted_add_many_keeps_nothing_of_the_call(store: SqliteStore) -> None:
    def failing() -> Iterator[Praise]:
        yield from praises_of(2 * sqlite_module._BATCH + 10, "q")  # into the third batch
        raise RuntimeError("the export file is truncated")

    with store.transaction(actor="a", at=AT) as uow:
        uow.feedback.add(next(praises_of(1, "before")))
        with pytest.raises(RuntimeError, match="truncated"):
            uow.feedback.add_many(failing())
        uow.feedback.add(next(praises_of(1, "after")))  # the unit of work goes on
        uow.commit()
    with raw(store.path) as conn:  # another connection sees what was committed
        ids = [row[0] for row in conn.execute("SELECT id FROM feedback ORDER BY id")]
    assert ids == ["after000000", "before000000"]


def test_streams_hold_a_few_batches_not_the_whole_stream(store: SqliteStore) -> None:
    def peak(work: Callable[[], object]) -> int:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        work()
        return tracemalloc.get_traced_memory()[1] - base

    tracemalloc.start()
    try:
        with store.transaction(actor="a", at=AT) as uow:
            writing = [peak(lambda: uow.feedback.add_many(praises_of(4_000, "a")))]
            uow.commit()
            reading = [peak(lambda: sum(1 for _ in uow.feedback.iter_log()))]
            writing.append(peak(lambda: uow.feedback.add_many(praises_of(12_000, "b"))))
            uow.commit()
            reading.append(peak(lambda: sum(1 for _ in uow.feedback.iter_log())))
            listing = peak(lambda: uow.feedback.log())
    finally:
        tracemalloc.stop()
    # memory depends on the batch (2,000 records), not on the stream: three and four times the
    # records, not twice the memory (holding them all would, as the listing does)
    assert writing[1] < 2 * writing[0], writing
    assert reading[1] < 2 * reading[0], reading
    assert listing > 3 * reading[1], (listing, reading)


def test_bulk_writes_read_a_batch_at_a_time(store: SqliteStore, small: CycleData) -> None:
    statements: list[str] = []
    check_ins = small.goals.check_ins
    with batches_of(50), store.transaction(actor="a", at=AT) as uow:
        uow.goals.add_many(small.goals.goals)
        conn = uow._conn
        conn.set_trace_callback(statements.append)
        assert uow.goals.add_check_ins(check_ins) == len(check_ins)
        assert uow.feedback.add_many(small.feedback.events) == len(small.feedback.events)
        read = sum(1 for _ in uow.goals.iter_check_ins(small.cycle.id))
        conn.set_trace_callback(None)
    assert read == len(check_ins) > 150
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    batches = -(-len(check_ins) // 50) + -(-len(small.feedback.events) // 50)
    # a query per batch for its goals (or its requests' events), one for where the batch
    # starts in the table (to name a repeated id), and one for the iterator;
    # never one per record
    assert len(selects) <= 2 * batches + 1, selects[:5]


@settings(max_examples=20, deadline=None)
@given(log=logs(max_events=14), size=st.integers(min_value=1, max_value=5))
def test_add_many_leaves_what_adding_one_by_one_leaves(log: FeedbackLog, size: int) -> None:
    # requests first: a response must answer a request stored or earlier in the call
    events = sorted(log.events, key=lambda e: not isinstance(e, FeedbackRequest))
    folder, bulk = fresh_store()
    other, single = fresh_store()
    try:
        with batches_of(size), bulk.transaction(actor="a", at=AT) as uow:
            assert uow.feedback.add_many(iter(events)) == len(events)
            uow.commit()
        with single.transaction(actor="a", at=AT) as uow:
            for e in events:
                uow.feedback.add(e)
            uow.commit()
        with bulk.transaction(actor="r", at=AT) as a, single.transaction(actor="r", at=AT) as b:
            assert a.feedback.log() == b.feedback.log()
            with batches_of(size):
                assert tuple(a.feedback.iter_log()) == b.feedback.log().events
    finally:
        folder.cleanup()
        other.cleanup()


@settings(max_examples=20, deadline=None)
@given(
    items=st.lists(goals(), max_size=8, unique_by=lambda g: g.id),
    size=st.integers(min_value=1, max_value=4),
)
def test_goals_added_many_are_audited_like_single_saves(items: list[Goal], size: int) -> None:
    folders = []
    answers = []
    for bulk in (True, False):
        folder, store = fresh_store()
        folders.append(folder)
        with batches_of(size), store.transaction(actor="a", at=AT, reason="r") as uow:
            if bulk:
                assert uow.goals.add_many(items) == len(items)
            else:
                for g in items:
                    assert uow.goals.save(g) == 1
            uow.commit()
        with store.transaction(actor="r", at=AT) as uow:
            answers.append(([uow.goals.get(g.id) for g in items], uow.audit.entries()))
    for folder in folders:
        folder.cleanup()
    assert answers[0] == answers[1]
    assert answers[0][0] == items


def test_a_check_in_of_a_goal_changed_behind_perfkits_back_is_a_store_error(
    store: SqliteStore, small: CycleData
) -> None:
    goal = next(
        g for g in small.goals.goals if any(c.goal_id == g.id for c in small.goals.check_ins)
    )
    mine = [c for c in small.goals.check_ins if c.goal_id == goal.id]
    with store.transaction(actor="a", at=AT) as uow:
        uow.goals.save(goal)
        uow.commit()
    for damage in ("not JSON at all", '{"data": {"metric": 5}}'):
        with raw(store.path) as conn:
            conn.execute("UPDATE goals SET record = ? WHERE id = ?", (damage, goal.id))
        with store.transaction(actor="a", at=AT) as uow:
            with pytest.raises(StoreError, match=f"the stored goal {goal.id!r} .* cannot be read"):
                uow.goals.add_check_ins(mine)
            assert count(store.path, "check_ins") == 0

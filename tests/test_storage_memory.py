"""The in-memory store: the conformance suite, and what only threads can show."""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest

from perfkit._errors import ConcurrencyError, StoreError
from perfkit.goals import Goal, Owner, OwnerKind
from perfkit.metrics import NumericMetric
from perfkit.run import run_cycle
from perfkit.sample import sample_cycle, sample_policy
from perfkit.storage import Store, UnitOfWork
from perfkit.storage.memory import MemoryStore
from perfkit.testing import StoreConformance

AT = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


class TestMemoryStore(StoreConformance):
    def make_store(self, tmp_path: pathlib.Path) -> MemoryStore:
        return MemoryStore()


def goal(goal_id: str, title: str = "Cut the backlog") -> Goal:
    return Goal(
        id=goal_id,
        title=title,
        owner=Owner(kind=OwnerKind.EMPLOYEE, id="e0001"),
        cycle_id="fy2026",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        metric=NumericMetric(baseline=0, target=10),
    )


def race(store: Store, *writes: Callable[[UnitOfWork], Any]) -> list[BaseException | None]:
    """Open one unit of work per write in its own thread, let every write happen, then commit
    them one after the other in argument order; what each commit raised (None: it committed)."""
    started = threading.Barrier(len(writes))
    turns = [threading.Event() for _ in writes]
    outcomes: list[BaseException | None] = [None] * len(writes)

    def work(i: int) -> None:
        try:
            with store.transaction(actor=f"user{i}", at=AT) as uow:
                refused: Exception | None = None
                try:
                    writes[i](uow)
                except Exception as err:  # noqa: BLE001 - reported in its turn
                    refused = err
                started.wait(timeout=10)
                turns[i].wait(timeout=10)
                if refused is not None:
                    raise refused
                uow.commit()
        except Exception as err:  # noqa: BLE001 - reported to the test
            outcomes[i] = err
        finally:
            if i + 1 < len(turns):
                turns[i + 1].set()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(writes))]
    for t in threads:
        t.start()
    turns[0].set()
    for t in threads:
        t.join(timeout=20)
    return outcomes


def test_two_threads_saving_the_same_version_one_wins() -> None:
    store = MemoryStore()
    with store.transaction(actor="hr", at=AT) as uow:
        uow.goals.save(goal("g1"))
        uow.commit()
    outcomes = race(
        store,
        lambda u: u.goals.save(goal("g1", "Ann's"), expected_version=u.goals.version("g1")),
        lambda u: u.goals.save(goal("g1", "Bob's"), expected_version=u.goals.version("g1")),
    )
    assert outcomes[0] is None
    assert isinstance(outcomes[1], ConcurrencyError)
    assert (outcomes[1].kind, outcomes[1].record_id, outcomes[1].expected, outcomes[1].found) == (
        "goal",
        "g1",
        1,
        2,
    )
    with store.transaction(actor="hr", at=AT) as uow:
        assert uow.goals.get("g1").title == "Ann's"
        assert uow.goals.version("g1") == 2
        assert [e.actor for e in uow.audit.entries()] == ["hr", "user0"]
        assert uow.audit.verify().ok


def test_two_threads_inserting_the_same_id_one_wins() -> None:
    store = MemoryStore()
    outcomes = race(
        store, lambda u: u.goals.save(goal("g1", "Ann's")), lambda u: u.goals.save(goal("g1"))
    )
    assert outcomes[0] is None
    assert isinstance(outcomes[1], ConcurrencyError)
    assert (outcomes[1].expected, outcomes[1].found) == (None, 1)
    with store.transaction(actor="hr", at=AT) as uow:
        assert uow.goals.get("g1").title == "Ann's"


def test_a_refused_commit_publishes_nothing_of_its_unit_of_work() -> None:
    store = MemoryStore()
    with store.transaction(actor="hr", at=AT) as uow:
        uow.goals.save(goal("g1"))
        uow.commit()

    def bob(u: UnitOfWork) -> None:
        u.goals.save(goal("g2"))  # would be fine alone ...
        u.goals.save(goal("g1", "Bob's"), expected_version=1)  # ... but this one is stale

    outcomes = race(store, lambda u: u.goals.save(goal("g1", "Ann's"), expected_version=1), bob)
    assert outcomes[0] is None
    assert isinstance(outcomes[1], ConcurrencyError)
    with store.transaction(actor="hr", at=AT) as uow:
        assert [g.id for g in uow.goals.in_cycle("fy2026")] == ["g1"]
        assert len(uow.audit.entries()) == 2


def test_units_of_work_on_different_records_both_commit_and_the_chain_holds() -> None:
    store = MemoryStore()
    data = sample_cycle(6, seed=3)
    outcomes = race(
        store,
        lambda u: u.goals.save(goal("g1")),
        lambda u: u.reviews.save(data.reviews[0]),
        lambda u: u.goals.add_check_in(data.goals.check_ins[0]),  # its goal is not stored
    )
    assert outcomes[:2] == [None, None]
    assert type(outcomes[2]).__name__ == "UnknownReferenceError"
    with store.transaction(actor="hr", at=AT) as uow:
        entries = uow.audit.entries()
        assert [(e.seq, e.record_id, e.actor) for e in entries] == [
            (1, "g1", "user0"),
            (2, data.reviews[0].id, "user1"),
        ]
        assert entries[1].prev_hash == entries[0].hash
        assert uow.audit.verify().ok


def test_concurrent_results_are_serialised_with_the_right_before() -> None:
    """Results replace each other: two runs saved at once both commit, in commit order, and the
    second one's audit entry records the first one as its "before"."""
    data = sample_cycle(6, seed=3)
    first = run_cycle(data, sample_policy(data), at=AT)
    store = MemoryStore()
    second = attrs.evolve(first, employees=first.employees[:2])
    outcomes = race(store, lambda u: u.results.save(first), lambda u: u.results.save(second))
    assert outcomes == [None, None]
    with store.transaction(actor="hr", at=AT) as uow:
        assert uow.results.get("fy2026") == second
        a, b = uow.audit.entries()
        assert (a.before, b.before) == (None, a.after)
        assert uow.audit.verify().ok


def test_many_threads_incrementing_one_goal_lose_no_update() -> None:
    """Each thread retries on ConcurrencyError: every increment lands exactly once."""
    store = MemoryStore()
    with store.transaction(actor="hr", at=AT) as uow:
        uow.goals.save(goal("g1", "0"))
        uow.commit()

    together = threading.Barrier(4)

    def bump(i: int) -> None:
        for k in range(5):
            while True:
                with store.transaction(actor=f"user{i}", at=AT) as uow:
                    current = uow.goals.get("g1")
                    version = uow.goals.version("g1")
                    uow.goals.save(
                        attrs.evolve(current, title=str(int(current.title) + 1)),
                        expected_version=version,
                    )
                    if k == 0 and version == 1:
                        together.wait(timeout=10)  # the first round: all four on version 1
                    try:
                        uow.commit()
                    except ConcurrencyError:
                        continue
                    break

    threads = [threading.Thread(target=bump, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with store.transaction(actor="hr", at=AT) as uow:
        assert uow.goals.get("g1").title == "20"
        assert uow.goals.version("g1") == 21
        assert len(uow.audit.entries()) == 21
        assert uow.audit.verify().ok


def test_a_transaction_opens_once() -> None:
    store = MemoryStore()
    manager = store.transaction(actor="hr", at=AT)
    with manager, pytest.raises(StoreError, match="opens once"), manager:
        pass  # pragma: no cover - it does not open twice


def test_repr_says_whether_it_is_closed() -> None:
    store = MemoryStore()
    assert repr(store) == "MemoryStore()"
    store.close()
    assert repr(store) == "MemoryStore(closed)"
    with pytest.raises(StoreError, match="closed; create a new MemoryStore"):
        store.transaction(actor="hr", at=AT)

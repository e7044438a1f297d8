"""The host queries on top of the protocols, checked on the memory and SQLite stores against
answers computed straight from the CycleData."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from perfkit import NotFoundError, OwnerKind, ValidationError
from perfkit.dataset import CycleData
from perfkit.sample import DEMO_DATE, sample_cycle
from perfkit.storage import MemoryStore, SqliteStore, Store, UnitOfWork
from perfkit.storage.queries import goals_with_progress, team, unit_goal_tree

AT = datetime(2026, 12, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def data() -> CycleData:
    return sample_cycle(80, seed=11)


@pytest.fixture(params=["memory", "sqlite"])
def uow(request: pytest.FixtureRequest, tmp_path: Path, data: CycleData) -> Iterator[UnitOfWork]:
    store: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "q.db")
    with store.transaction(actor="hr", at=AT) as w:
        w.import_data(data)
        w.commit()
    with store.transaction(actor="hr", at=AT) as reader:
        yield reader
    store.close()


def test_goals_with_progress(uow: UnitOfWork, data: CycleData) -> None:
    person = data.reviews[0].subject
    found = goals_with_progress(uow, person, data.cycle.id, DEMO_DATE)
    assert [g.goal.id for g in found] == [g.id for g in data.goals_of(person)]
    for g in found:
        assert g.progress == data.progress(g.goal.id, DEMO_DATE)
    with pytest.raises(NotFoundError):
        goals_with_progress(uow, "nobody", data.cycle.id, DEMO_DATE)
    with pytest.raises(ValidationError, match="on: "):
        goals_with_progress(uow, person, data.cycle.id, AT)  # type: ignore[arg-type]


@pytest.mark.parametrize("all_levels", [False, True])
def test_team_page(uow: UnitOfWork, data: CycleData, all_levels: bool) -> None:
    org = data.organisation
    boss = org.roots()[0].id
    page = team(uow, boss, data.cycle.id, DEMO_DATE, all_levels=all_levels)
    expected = [s for s in org.reporting_tree(boss) if all_levels or s.depth == 1]
    assert [(m.employee.id, m.depth) for m in page] == [(s.employee.id, s.depth) for s in expected]
    due = {d.employee_id: d for d in data.due_checkins(DEMO_DATE)}
    for member in page:
        assert member.due == due.get(member.employee.id)
        assert [g.goal.id for g in member.goals] == [
            g.id for g in data.goals_of(member.employee.id)
        ]
    if all_levels:
        assert any(m.due for m in page)  # the sample has people who lapse


def test_unit_goal_tree(uow: UnitOfWork, data: CycleData) -> None:
    org = data.organisation
    division = next(u for u in org.units if u.parent_id is not None)
    tree = unit_goal_tree(uow, division.id, data.cycle.id, DEMO_DATE)
    units = {division.id} | {u.id for u in org.subunits(division.id)}
    people = {e.id for e in org.unit_members(division.id)}
    owned = {
        g.id
        for g in data.goals.goals
        if (g.owner.kind is OwnerKind.UNIT and g.owner.id in units)
        or (g.owner.kind is OwnerKind.EMPLOYEE and g.owner.id in people)
    }
    assert {g.goal.id for g in tree} == owned
    assert tree[0].depth == 0
    assert tree[0].goal.owner.id == division.id  # the division's goal leads its cascade
    # Each goal deeper than 0 comes right after (below) the goal it aligns to.
    for before, after in itertools.pairwise(tree):
        assert after.depth <= before.depth + 1
        if after.depth == before.depth + 1:
            assert before.goal.id in {a.parent_id for a in after.goal.aligns_to}


def test_unknown_unit_or_cycle(uow: UnitOfWork, data: CycleData) -> None:
    with pytest.raises(NotFoundError):
        unit_goal_tree(uow, "nowhere", data.cycle.id, date(2026, 4, 30))
    with pytest.raises(NotFoundError):
        team(uow, data.organisation.roots()[0].id, "no-cycle", date(2026, 4, 30))

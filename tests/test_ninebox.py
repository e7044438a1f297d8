"""The 9-box grid: cut-offs, placement, cell names and numbers, grids."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit._errors import NotFoundError, PerfkitError, ValidationError
from perfkit.ninebox import (
    CELL_NAMES,
    NineBoxCell,
    NineBoxCutoffs,
    NineBoxEntry,
    NineBoxGrid,
    NineBoxLevel,
    nine_box,
)

from .strategies.calibration import axis_scores, cutoffs, nine_box_entries

# performance on a 1–5 rating, potential on a 1–5 talent-review scale
CUTS = NineBoxCutoffs(performance=(2.5, 3.5), potential=(2, 3))
RANK = {NineBoxLevel.LOW: 0, NineBoxLevel.MODERATE: 1, NineBoxLevel.HIGH: 2}


def test_placement_by_hand() -> None:
    star = CUTS.place(4.6, 4)
    assert (star.performance, star.potential, star.number, star.name) == (
        NineBoxLevel.HIGH,
        NineBoxLevel.HIGH,
        9,
        "Star",
    )
    assert CUTS.place(3, 2.5).name == "Core player"
    assert CUTS.place(3, 2.5).number == 5
    assert CUTS.place(1.5, 1).name == "Underperformer"
    assert CUTS.place(1.5, 1).number == 1
    assert CUTS.place(2, 5).name == "Rough diamond"  # low performance, high potential: 7
    assert CUTS.place(4, 1).name == "Trusted professional"  # high performance, low potential: 3
    # a score on a cut-off is in the lower band
    assert CUTS.place(2.5, 2).number == 1
    assert CUTS.place(3.5, 3).number == 5
    assert CUTS.place(3.5000001, 3.0000001).number == 9


def test_cell_numbers_and_names() -> None:
    cells = [NineBoxCell.numbered(k) for k in range(1, 10)]
    assert [(c.performance.value, c.potential.value) for c in cells] == [
        ("low", "low"),
        ("moderate", "low"),
        ("high", "low"),
        ("low", "moderate"),
        ("moderate", "moderate"),
        ("high", "moderate"),
        ("low", "high"),
        ("moderate", "high"),
        ("high", "high"),
    ]
    assert [c.name for c in cells] == [CELL_NAMES[k] for k in range(1, 10)]
    assert len(set(CELL_NAMES.values())) == 9
    assert NineBoxCell.of("moderate", "high") == cells[7]
    with pytest.raises(ValidationError, match=r"number: 5 is not the box of high performance"):
        NineBoxCell(
            performance=NineBoxLevel.HIGH, potential=NineBoxLevel.HIGH, number=5, name="Star"
        )
    with pytest.raises(ValidationError, match=r"number: 10 is not a box number from 1 to 9"):
        NineBoxCell.numbered(10)
    with pytest.raises(ValidationError, match=r"potential: 'top' is not a level"):
        NineBoxCell.of("high", "top")


def test_grid_counts_and_members_by_id() -> None:
    grid = nine_box(
        [
            ("zoe", 4.8, 4.5),
            ("amy", 4.1, 3.9),
            NineBoxEntry(employee_id="bo", performance=3, potential=2.5),
            ("cy", 1.2, 1),
        ],
        CUTS,
    )
    assert [b.cell.number for b in grid.boxes] == list(range(1, 10))
    star = grid.box(9)
    assert (star.count, star.members) == (2, ("amy", "zoe"))
    assert grid.box(5).members == ("bo",)
    assert grid.box(1).members == ("cy",)
    assert grid.box(7).count == 0
    assert [p.employee_id for p in grid.placements] == ["amy", "bo", "cy", "zoe"]
    assert grid.placement("cy").cell.name == "Underperformer"
    with pytest.raises(NotFoundError, match="no employee with id 'x'"):
        grid.placement("x")


def test_refusals_name_the_field() -> None:
    with pytest.raises(ValidationError, match=r"performance\[1\]: 2\.0 is not above low_max 3"):
        NineBoxCutoffs(performance=(3, 2), potential=(1, 2))
    with pytest.raises(ValidationError, match=r"potential: \(1,\) is not a pair"):
        NineBoxCutoffs(performance=(1, 2), potential=(1,))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"performance\[0\]: nan is not a finite number"):
        NineBoxCutoffs(performance=(float("nan"), 2), potential=(1, 2))
    with pytest.raises(ValidationError, match=r"performance: 'high' is not a number"):
        CUTS.place("high", 3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"entries\[1\].employee_id: 'a' repeats"):
        nine_box([("a", 1, 1), ("a", 2, 2)], CUTS)
    with pytest.raises(ValidationError, match=r"entries\[0\].potential: None is not a number"):
        nine_box([("a", 1, None)], CUTS)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"entries\[0\]: 'abc' is not \(employee_id"):
        nine_box(["abc"], CUTS)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"cutoffs: None is not a NineBoxCutoffs"):
        nine_box([], None)  # type: ignore[arg-type]


@given(cutoffs, axis_scores, axis_scores, axis_scores, axis_scores)
def test_placement_is_monotone_in_both_axes(
    cuts: NineBoxCutoffs, perf: float, pot: float, more_perf: float, more_pot: float
) -> None:
    low_perf, high_perf = sorted((perf, more_perf))
    low_pot, high_pot = sorted((pot, more_pot))
    a = cuts.place(low_perf, low_pot)
    b = cuts.place(high_perf, high_pot)
    assert RANK[a.performance] <= RANK[b.performance]
    assert RANK[a.potential] <= RANK[b.potential]
    assert b.number >= a.number
    assert a.number == 3 * RANK[a.potential] + RANK[a.performance] + 1
    assert a.name == CELL_NAMES[a.number]
    for cell, score, cut in (
        (a.performance, low_perf, cuts.performance),
        (a.potential, low_pot, cuts.potential),
    ):
        if cell is NineBoxLevel.LOW:
            assert score <= cut[0]
        elif cell is NineBoxLevel.MODERATE:
            assert cut[0] < score <= cut[1]
        else:
            assert score > cut[1]


@given(nine_box_entries, cutoffs, st.randoms(use_true_random=False))
def test_grids_count_everyone_once_in_id_order(
    entries: list[NineBoxEntry], cuts: NineBoxCutoffs, rnd: Any
) -> None:
    grid = nine_box(entries, cuts)
    assert sum(b.count for b in grid.boxes) == len(entries)
    for box in grid.boxes:
        assert box.count == len(box.members)
        assert list(box.members) == sorted(box.members)
        for member in box.members:
            assert grid.placement(member).cell == box.cell
    for e in entries:
        assert grid.placement(e.employee_id).cell == cuts.place(e.performance, e.potential)
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert perfkit.dumps(nine_box(shuffled, cuts)) == perfkit.dumps(grid)
    assert perfkit.loads(perfkit.dumps(grid), NineBoxGrid) == grid
    assert perfkit.loads(perfkit.dumps(cuts), NineBoxCutoffs) == cuts
    for e in entries[:3]:
        assert perfkit.loads(perfkit.dumps(e), NineBoxEntry) == e


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.tuples(st.text(max_size=2), st.floats(), st.none()),
    st.just(object()),
)


@given(garbage, garbage, garbage)
def test_garbage_gives_only_perfkit_errors(a: Any, b: Any, c: Any) -> None:
    calls = [
        lambda: CUTS.place(a, b),
        lambda: NineBoxCutoffs(performance=a, potential=b),
        lambda: nine_box(a, CUTS),
        lambda: nine_box([a], CUTS),
        lambda: nine_box([(a, b, c)], CUTS),
        lambda: NineBoxCell.of(a, b),
        lambda: NineBoxCell.numbered(a),
        lambda: nine_box([], CUTS).box(a),
        lambda: nine_box([], CUTS).placement(a),
        lambda: perfkit.structure({"performance": a, "potential": b}, NineBoxCutoffs),
        lambda: perfkit.loads(str(a), NineBoxGrid),
    ]
    for call in calls:
        with contextlib.suppress(PerfkitError):
            call()

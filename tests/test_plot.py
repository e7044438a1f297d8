"""Charts (perfkit.plot): asserted on the artists drawn, never on pixels."""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
from datetime import UTC, date, datetime
from typing import Any

import attrs
import matplotlib
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib import _pylab_helpers
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure

from perfkit._errors import NotFoundError, ValidationError
from perfkit.calibration import CalibrationEntry, DistributionGuideline, Target, compare
from perfkit.normalisation import RaterSeverity, SeverityModel, StandardErrorMethod
from perfkit.plot import (
    Z_95,
    goal_tree,
    merit_spend,
    nine_box,
    rater_effects,
    rating_distribution,
)
from perfkit.run import CycleResult, run_cycle
from perfkit.sample import sample_cycle, sample_policy
from perfkit.scales import FIVE_POINT

from .strategies.calibration import entries

matplotlib.use("Agg")  # no window, whatever the environment says

AT = datetime(2026, 12, 20, 18, tzinfo=UTC)
MID_YEAR = date(2026, 6, 30)
_SMALL = sample_cycle(12, seed=1)
_RESULT = run_cycle(_SMALL, sample_policy(_SMALL), at=AT)
"""A small real result: the hypothesis test swaps its distribution for the population drawn."""


@pytest.fixture(scope="module")
def data() -> Any:
    return sample_cycle(60, seed=7)


@pytest.fixture(scope="module")
def result(data: Any) -> CycleResult:
    return run_cycle(data, sample_policy(data, calibration="force"), at=AT)


def bars(ax: Axes, label: str) -> BarContainer:
    found = [c for c in ax.containers if isinstance(c, BarContainer) and c.get_label() == label]
    assert len(found) == 1, [c.get_label() for c in ax.containers]
    return found[0]


def heights(container: BarContainer) -> list[float]:
    return [p.get_height() for p in container.patches]


def tick_labels(ax: Axes, axis: str = "x") -> list[str]:
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


# --- the rating distribution ----------------------------------------------------------------


def hand_result(result: CycleResult) -> CycleResult:
    """Ten people: before 1 ×1, 2 ×2, 3 ×4, 4 ×2, 5 ×1; after 2 ×3, 3 ×3, 4 ×3, 5 ×1
    (unit a: the first five). Guideline: 1 at 5–15 %, 3 at 30–50 %, 5 at 0–10 %."""
    values = [1, 2, 2, 3, 3, 3, 3, 4, 4, 5]
    moved = {0: 2.0, 6: 4.0}

    def entry(i: int, value: float) -> CalibrationEntry:
        return CalibrationEntry(
            employee_id=f"p{i}",
            unit_id="a" if i < 5 else "b",
            job_level="L1",
            score=value,
            rating=FIVE_POINT.rate(value),
        )

    before = [entry(i, x) for i, x in enumerate(values)]
    after = [entry(i, moved.get(i, x)) for i, x in enumerate(values)]
    guide = DistributionGuideline(
        scale=FIVE_POINT.ref,
        targets=[
            Target(value=1, minimum=0.05, maximum=0.15),
            Target(value=3, minimum=0.3, maximum=0.5),
            Target(value=5, minimum=0.0, maximum=0.1),
        ],
    )
    return attrs.evolve(result, distribution=compare(before, after), guideline=guide)


def test_rating_distribution_by_hand(result: CycleResult) -> None:
    ax = rating_distribution(hand_result(result))
    assert isinstance(ax.figure, Figure)
    assert tick_labels(ax) == ["1", "2", "3", "4", "5"]
    assert heights(bars(ax, "before calibration")) == [1, 2, 4, 2, 1]
    assert heights(bars(ax, "after calibration")) == [0, 3, 3, 3, 1]
    # The guideline's ranges in people (share × 10): 0.5–1.5, none for 2 and 4, 3–5, 0–1.
    (ranges,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert ranges.get_label() == "guideline range"
    spans = [y for seg in ranges.get_segments() for y in (seg[0][1], seg[1][1])]
    assert spans == pytest.approx([0.5, 1.5, 0, 0, 3, 5, 0, 0, 0, 1])
    (mid,) = [line for line in ax.get_lines() if line.get_label() == "guideline midpoint"]
    assert list(mid.get_ydata()) == pytest.approx([1.0, 0.0, 4.0, 0.0, 0.5])
    assert ax.get_ylabel() == "people"
    assert "(10)" in ax.get_title()
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {
        "before calibration",
        "after calibration",
        "guideline range",
        "guideline midpoint",
    }


def test_rating_distribution_as_shares_and_per_unit(result: CycleResult) -> None:
    hand = hand_result(result)
    ax = rating_distribution(hand, share=True)
    assert heights(bars(ax, "after calibration")) == pytest.approx([0, 0.3, 0.3, 0.3, 0.1])
    (ranges,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert [s[1][1] for s in ranges.get_segments()] == pytest.approx([0.15, 0, 0.5, 0, 0.1])
    assert ax.get_ylabel() == "share of people"
    unit = rating_distribution(hand, unit="a")
    assert heights(bars(unit, "before calibration")) == [1, 2, 2, 0, 0]
    assert heights(bars(unit, "after calibration")) == [0, 3, 2, 0, 0]
    assert "unit a (5)" in unit.get_title()
    with pytest.raises(NotFoundError, match=r"no rated unit with id 'zz'"):
        rating_distribution(hand, unit="zz")


def test_rating_distribution_without_a_guideline_draws_only_the_bars(
    result: CycleResult,
) -> None:
    ax = rating_distribution(attrs.evolve(hand_result(result), guideline=None))
    assert not [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len([c for c in ax.containers if isinstance(c, BarContainer)]) == 2


@given(entries(min_size=1, max_size=20), st.booleans())
def test_bar_heights_are_the_counts_of_any_population(population: Any, share: bool) -> None:
    report = compare(population, population)
    fake = attrs.evolve(_RESULT, distribution=report, guideline=None)
    ax = rating_distribution(fake, share=share)
    values = [c.value for c in report.before.values]
    expected = [report.before.count(x) for x in values]
    got = heights(bars(ax, "before calibration"))
    if share:
        assert sum(got) == pytest.approx(1.0)
        expected = [n / len(population) for n in expected]
    assert got == pytest.approx(expected)
    assert tick_labels(ax) == [f"{x:g}" for x in values]


# --- the 9-box ------------------------------------------------------------------------------


def test_nine_box_draws_every_box_with_its_count(result: CycleResult) -> None:
    ax = nine_box(result)
    grid = result.nine_box
    assert grid is not None
    (image,) = ax.get_images()
    counts = image.get_array()
    for box in grid.boxes:
        row, column = divmod(box.cell.number - 1, 3)
        assert counts[row][column] == box.count
    texts = sorted(t.get_text() for t in ax.texts)
    assert len(texts) == 9
    assert f"9 Star\n{grid.box(9).count}" in texts
    assert f"1 Underperformer\n{grid.box(1).count}" in texts
    assert tick_labels(ax) == ["low", "moderate", "high"]
    assert tick_labels(ax, "y") == ["low", "moderate", "high"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("performance", "potential")
    assert nine_box(grid).get_images()[0].get_array().tolist() == counts.tolist()
    with pytest.raises(ValidationError, match=r"^result.nine_box: None is missing"):
        nine_box(attrs.evolve(result, nine_box=None))


# --- merit spend ----------------------------------------------------------------------------


def test_merit_spend_draws_budget_spend_and_demand_per_pool(result: CycleResult) -> None:
    ax = merit_spend(result)
    assert result.merit is not None
    pools = sorted(result.merit.pools, key=lambda p: p.unit_id)
    assert tick_labels(ax) == [p.unit_id for p in pools]
    assert heights(bars(ax, "budget")) == [float(p.amount.amount) for p in pools]
    assert heights(bars(ax, "spent")) == [float(p.spend.amount) for p in pools]
    (demand,) = [line for line in ax.get_lines() if line.get_label() == "demand (matrix)"]
    assert list(demand.get_ydata()) == [float(p.demand.amount) for p in pools]
    assert ax.get_ylabel() == "EUR"
    assert heights(bars(merit_spend(result.merit), "spent")) == heights(bars(ax, "spent"))
    with pytest.raises(ValidationError, match=r"^result.merit: None has no budget pools"):
        merit_spend(attrs.evolve(result, merit=None))


# --- rater effects --------------------------------------------------------------------------


def rater(rid: str, severity: float, se: float) -> RaterSeverity:
    return RaterSeverity(
        rater_id=rid, n=3, mean=0.5, mean_deviation=severity, severity=severity, se=se
    )


MODEL = SeverityModel(
    n=12,
    people_count=4,
    rater_count=4,
    components=1,
    residual_variance=0.01,
    rater_variance=0.02,
    ridge=0.5,
    identified=True,
    se_method=StandardErrorMethod.EXACT,
    raters=[
        rater("ann", 0.1, 0.02),
        rater("bob", -0.3, 0.05),
        rater("cy", 0.0, 0.01),
        rater("dee", 0.25, 0.1),
    ],
    people=[],
)


def test_rater_effects_by_hand() -> None:
    ax = rater_effects(MODEL)
    (bar,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    points = bar.lines[0]
    # Harshest at the bottom (y = 0): bob -0.3, cy 0, ann 0.1, dee 0.25.
    assert tick_labels(ax, "y") == ["bob", "cy", "ann", "dee"]
    assert list(points.get_xdata()) == [-0.3, 0.0, 0.1, 0.25]
    assert list(points.get_ydata()) == [0, 1, 2, 3]
    (whiskers,) = bar.lines[2]
    widths = [seg[1][0] - seg[0][0] for seg in whiskers.get_segments()]
    assert widths == pytest.approx([2 * Z_95 * se for se in (0.05, 0.01, 0.02, 0.1)])
    assert "4 raters" in ax.get_title()


def test_rater_effects_top_keeps_the_furthest_from_neutral(result: CycleResult) -> None:
    ax = rater_effects(MODEL, top=2, z=1.0)
    assert tick_labels(ax, "y") == ["bob", "dee"]
    (bar,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    (whiskers,) = bar.lines[2]
    assert [s[1][0] - s[0][0] for s in whiskers.get_segments()] == pytest.approx([0.1, 0.2])
    real = rater_effects(result, top=5)
    assert len(tick_labels(real, "y")) == 5
    with pytest.raises(ValidationError, match=r"^top: 0 is below 1"):
        rater_effects(MODEL, top=0)
    with pytest.raises(ValidationError, match=r"^z: -1 is not a positive number"):
        rater_effects(MODEL, z=-1)
    with pytest.raises(ValidationError, match=r"^result.rater_effects: None has no raters"):
        rater_effects(attrs.evolve(result, rater_effects=None))


# --- the goal tree --------------------------------------------------------------------------


def test_goal_tree_draws_a_units_cascade_indented_by_depth(data: Any) -> None:
    ax = goal_tree(data, on=MID_YEAR, unit="u01", max_depth=1)
    labels = tick_labels(ax, "y")
    goals = data.goals
    children = goals.contributors("u01-g1")
    assert len(labels) == 1 + len(children)
    assert labels[0].startswith("u01-g1: ")
    assert [label.split(":")[0].strip() for label in labels[1:]] == [c.id for c in children]
    assert all(
        label.startswith("    ") and not label.startswith("        ") for label in labels[1:]
    )
    (progress,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    widths = [p.get_width() for p in progress.patches]
    ids = ["u01-g1", *(c.id for c in children)]
    assert widths == [data.progress(gid, MID_YEAR).value for gid in ids]
    (target,) = [line for line in ax.get_lines() if line.get_label() == "target"]
    assert list(target.get_xdata()) == [1.0, 1.0]
    assert "2026-06-30" in ax.get_title()


def test_goal_tree_from_a_root_and_from_the_top(data: Any) -> None:
    only = goal_tree(data, on=MID_YEAR, root="c-nps", max_depth=0)
    assert [label.split(":")[0] for label in tick_labels(only, "y")] == ["c-nps"]
    whole = goal_tree(data, on=MID_YEAR, max_depth=1)
    labels = tick_labels(whole, "y")
    tops = [label.split(":")[0] for label in labels if not label.startswith(" ")]
    assert tops == ["c-engagement", "c-nps", "c-revenue"]  # cascaded roots, by id
    deep = goal_tree(data, on=MID_YEAR, root="c-engagement")
    depth = max(len(label) - len(label.lstrip(" ")) for label in tick_labels(deep, "y")) // 4
    assert depth >= 2


def test_goal_tree_refusals(data: Any) -> None:
    with pytest.raises(ValidationError, match=r"^unit: 'u01' cannot be given with root"):
        goal_tree(data, on=MID_YEAR, root="c-nps", unit="u01")
    with pytest.raises(NotFoundError, match=r"no goal with id 'nope'"):
        goal_tree(data, on=MID_YEAR, root="nope")
    with pytest.raises(NotFoundError):
        goal_tree(data, on=MID_YEAR, unit="nope")
    with pytest.raises(ValidationError, match=r"^max_depth: -1 is below 0"):
        goal_tree(data, on=MID_YEAR, max_depth=-1)
    with pytest.raises(ValidationError, match=r"^on: .* is not a date"):
        goal_tree(data, on="2026-06-30", root="c-nps")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^data: 1 is not a CycleData"):
        goal_tree(1, on=MID_YEAR)  # type: ignore[arg-type]


# --- shared behaviour -----------------------------------------------------------------------


def test_charts_draw_on_the_axes_given_and_leave_global_state_alone(
    data: Any, result: CycleResult
) -> None:
    settings = dict(matplotlib.rcParams)
    managers = list(_pylab_helpers.Gcf.get_all_fig_managers())
    figure = Figure(figsize=(12, 8))
    grid = figure.subplots(2, 3).ravel()
    drawn = [
        rating_distribution(result, ax=grid[0]),
        nine_box(result, ax=grid[1]),
        merit_spend(result, ax=grid[2]),
        rater_effects(result, top=8, ax=grid[3]),
        goal_tree(data, on=MID_YEAR, unit="u02", max_depth=1, ax=grid[4]),
    ]
    assert drawn == list(grid[:5])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")
    assert dict(matplotlib.rcParams) == settings
    assert list(_pylab_helpers.Gcf.get_all_fig_managers()) == managers


@pytest.mark.parametrize(
    "call",
    [
        lambda r, ax: rating_distribution(r, ax=ax),
        lambda r, ax: nine_box(r, ax=ax),
        lambda r, ax: merit_spend(r, ax=ax),
        lambda r, ax: rater_effects(r, ax=ax),
    ],
)
def test_refusals_name_the_argument(call: Any, result: CycleResult) -> None:
    with pytest.raises(ValidationError, match=r"^ax: 'axes' is not a matplotlib Axes"):
        call(result, "axes")
    with pytest.raises(ValidationError, match=r"^result: 7 is not a CycleResult"):
        call(7, None)


def test_rating_distribution_refuses_a_non_flag(result: CycleResult) -> None:
    with pytest.raises(ValidationError, match=r"^share: 1 is not true or false"):
        rating_distribution(result, share=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^unit: 3 is not a string id"):
        rating_distribution(result, unit=3)  # type: ignore[arg-type]


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dates(),
)


@given(garbage, garbage)
def test_garbage_gives_only_perfkit_errors(first: Any, second: Any) -> None:
    calls = [
        lambda: rating_distribution(first),
        lambda: rating_distribution(_RESULT, unit=first, share=second),
        lambda: rating_distribution(_RESULT, ax=first),
        lambda: nine_box(first),
        lambda: merit_spend(first),
        lambda: rater_effects(first),
        lambda: rater_effects(_RESULT, top=first, z=second),
        lambda: goal_tree(first, on=MID_YEAR),
        lambda: goal_tree(_SMALL, on=first, root=second),
        lambda: goal_tree(_SMALL, on=MID_YEAR, unit=first, max_depth=second),
    ]
    for call in calls:
        with contextlib.suppress(ValidationError, NotFoundError):
            call()


def test_without_matplotlib_the_import_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("matplotlib", "matplotlib.axes", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "perfkit.plot")
    with pytest.raises(ImportError, match=r"pip install 'perfkit\[plot\]'"):
        importlib.import_module("perfkit.plot")

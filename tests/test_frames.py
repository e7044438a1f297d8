"""DataFrames for notebooks (perfkit.frames) and the example notebook that uses them."""

from __future__ import annotations

import contextlib
import importlib
import math
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import nbformat
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbclient import NotebookClient

from perfkit._errors import ValidationError
from perfkit.analytics import adverse_impact
from perfkit.calibration import (
    CalibrationEntry,
    DistributionGuideline,
    Target,
    compare,
)
from perfkit.feedback import FeedbackResponse, Visibility
from perfkit.frames import (
    Z_95,
    checkins_frame,
    comparison_frame,
    costs_frame,
    distribution_frame,
    employees_frame,
    feedback_frame,
    goals_frame,
    impact_frame,
    nine_box_frame,
    pools_frame,
    rater_effects_frame,
    results_frame,
    reviews_frame,
    to_frame,
)
from perfkit.goals import Alignment, Goal, Owner, OwnerKind
from perfkit.metrics import BinaryMetric, NumericMetric
from perfkit.money import Money, SalaryBand
from perfkit.ninebox import NineBoxCell
from perfkit.normalisation import RaterSeverity, SeverityModel, StandardErrorMethod
from perfkit.org import Employee
from perfkit.rewards import CompaBand, Eligibility, MeritMatrix, propose_merit
from perfkit.run import CycleResult, EmployeeResult, run_cycle
from perfkit.sample import sample_cycle, sample_policy
from perfkit.scales import FIVE_POINT, Rating
from perfkit.scoring import Component, Score
from perfkit.whatif import PolicyComparison, compare_policies

from .strategies.feedback import logs
from .strategies.goals import goal_sets
from .strategies.org import employees

AT = datetime(2026, 12, 20, 18, tzinfo=UTC)
MID_YEAR = date(2026, 6, 30)
NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "policies.ipynb"


_SMALL_DATA = sample_cycle(12, seed=3)
_SMALL_RESULT = run_cycle(_SMALL_DATA, sample_policy(_SMALL_DATA), at=AT)


@pytest.fixture(scope="module")
def data() -> Any:
    return sample_cycle(60, seed=7)


@pytest.fixture(scope="module")
def result(data: Any) -> CycleResult:
    return run_cycle(data, sample_policy(data), at=AT)


@pytest.fixture(scope="module")
def forced(data: Any) -> CycleResult:
    return run_cycle(data, sample_policy(data, calibration="force"), at=AT)


@pytest.fixture(scope="module")
def comparison(data: Any) -> PolicyComparison:
    policies = {
        "current": sample_policy(data),
        "proposed": sample_policy(data, calibration="force"),
    }
    return compare_policies(data, policies, at=AT, group_by="gender", threshold=4)


def rating(x: float) -> Rating:
    return Rating(scale=FIVE_POINT.ref, value=x)


# --- to_frame ------------------------------------------------------------------------------


def goal(gid: str, metric: Any, *parents: str) -> Goal:
    return Goal(
        id=gid,
        title=f"Goal {gid}",
        owner=Owner(kind=OwnerKind.EMPLOYEE, id="ann"),
        aligns_to=[Alignment(parent_id=p) for p in parents],
        weight=0.5,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        metric=metric,
    )


def test_to_frame_flattens_nested_records_and_unions() -> None:
    sales = goal("g1", NumericMetric(baseline=0, target=100, unit="EUR"))
    course = goal("g2", BinaryMetric(), "g1")
    frame = to_frame([sales, course], index="id")
    assert list(frame.index) == ["g1", "g2"]
    assert frame.index.name == "id"
    # Declared field order; a nested record's fields prefixed; a union gets a type column.
    assert list(frame.columns[:5]) == ["title", "description", "owner_kind", "owner_id", "cycle_id"]
    assert frame.loc["g1", "owner_kind"] == "employee"
    assert list(frame.metric_type) == ["numeric", "binary"]
    assert frame.loc["g1", "metric_target"] == 100.0
    assert math.isnan(frame.loc["g2", "metric_target"])
    assert frame.loc["g1", "status"] == "draft"  # enums give their value
    assert frame.loc["g2", "aligns_to"] == (Alignment(parent_id="g1"),)  # tuples stay whole
    assert frame.loc["g1", "start_date"] == date(2026, 1, 1)


def test_to_frame_keeps_money_exact_with_a_float_twin_and_maps_as_columns() -> None:
    eur = "EUR"
    ann = Employee(
        id="ann",
        name="Ann",
        unit_id="team",
        hire_date=date(2020, 1, 1),
        job_level="L3",
        base_pay=Money.of("52000.10", eur),
        attributes={"gender": "female", "location": "Paris"},
    )
    ben = attrs.evolve(
        ann,
        id="ben",
        base_pay=Money.of("45000", "GBP"),
        band=SalaryBand(
            minimum=Money.of("40000", "GBP"),
            midpoint=Money.of("50000", "GBP"),
            maximum=Money.of("60000", "GBP"),
        ),
        attributes={"gender": "male", "team": "blue"},
    )
    frame = to_frame([ann, ben], index="id")
    assert frame.loc["ann", "base_pay"] == Decimal("52000.10")
    assert isinstance(frame.loc["ann", "base_pay"], Decimal)
    assert frame.loc["ann", "base_pay_float"] == 52000.1
    assert list(frame.base_pay_currency) == ["EUR", "GBP"]
    # An optional record that is missing leaves its columns empty.
    assert frame.loc["ann", "band_midpoint"] is None
    assert frame.loc["ben", "band_midpoint"] == Decimal("50000.00")
    # One column per attribute key (all keys of all rows, sorted).
    assert [c for c in frame.columns if c.startswith("attributes_")] == [
        "attributes_gender",
        "attributes_location",
        "attributes_team",
    ]
    assert frame.loc["ben", "attributes_team"] == "blue"
    assert frame.loc["ann", "attributes_team"] is None or pd.isna(
        frame.loc["ann", "attributes_team"]
    )


def test_to_frame_of_several_kinds_orders_columns_by_kind_name(data: Any) -> None:
    events = data.feedback.events
    frame = to_frame(events)
    again = to_frame(list(reversed(events)))
    assert list(frame.columns) == list(again.columns)
    assert frame.columns[0] == "type"
    assert set(frame.type) == {e.kind for e in events}
    response = next(i for i, e in enumerate(events) if isinstance(e, FeedbackResponse))
    assert frame.loc[response, "request_id"] == events[response].request_id


def test_to_frame_refusals_name_the_argument() -> None:
    with pytest.raises(ValidationError, match=r"^records: 'abc' is not a sequence"):
        to_frame("abc")
    with pytest.raises(ValidationError, match=r"^records\[1\]: 3 is not a perfkit record"):
        to_frame([goal("g1", BinaryMetric()), 3])
    with pytest.raises(ValidationError, match=r"^index: 'nope' is not a column \(columns: id, "):
        to_frame([goal("g1", BinaryMetric())], index="nope")
    with pytest.raises(ValidationError, match=r"^index: 3 is not a column name"):
        to_frame([], index=3)  # type: ignore[arg-type]
    assert to_frame([]).empty
    assert to_frame([], index="id").index.name == "id"


@given(goal_sets())
def test_to_frame_rows_hold_each_records_fields(goals: Any) -> None:
    items = goals.goals
    frame = to_frame(items)
    assert len(frame) == len(items)
    for i, g in enumerate(items):
        row = frame.iloc[i]
        assert row["id"] == g.id
        assert row["title"] == g.title
        assert row["owner_kind"] == g.owner.kind.value
        assert row["owner_id"] == g.owner.id
        assert row["metric_type"] == g.metric.kind
        assert row["weight"] == g.weight
        assert row["aligns_to"] == g.aligns_to


@given(st.lists(employees(), max_size=6, unique_by=lambda e: e.id), st.randoms())
def test_to_frame_columns_do_not_depend_on_row_order(people: list[Any], rng: Any) -> None:
    shuffled = list(people)
    rng.shuffle(shuffled)
    a, b = to_frame(people), to_frame(shuffled)
    assert list(a.columns) == list(b.columns)
    keys = sorted({k for p in people for k in p.attributes})
    assert [c for c in a.columns if c.startswith("attributes_")] == [
        f"attributes_{k}" for k in keys
    ]
    if people:
        pd.testing.assert_frame_equal(
            a.set_index("id").sort_index(), b.set_index("id").sort_index()
        )


@given(logs())
def test_to_frame_of_any_feedback_log(log: Any) -> None:
    frame = to_frame(log.events, index="id")
    assert list(frame.index) == [e.id for e in log.events]
    for e in log.events:
        assert frame.loc[e.id, "type"] == e.kind
        assert frame.loc[e.id, "visibility"] == e.visibility.value


# --- results -------------------------------------------------------------------------------


def test_results_frame_has_one_row_per_person_with_the_results_numbers(
    result: CycleResult,
) -> None:
    frame = results_frame(result)
    assert frame.index.name == "employee_id"
    assert list(frame.index) == sorted(e.employee_id for e in result.employees)
    assert list(frame.columns) == [
        "unit_id",
        "policy",
        "score",
        "rating_before",
        "rating_after",
        "rating_change",
        "adjustments",
        "nine_box",
        "nine_box_name",
        "eligible",
        "merit_pct",
        "merit",
        "merit_float",
        "bonus",
        "bonus_float",
        "currency",
        "pool_id",
        "awards",
        "plans",
        "explanation",
    ]
    for e in result.employees:
        row = frame.loc[e.employee_id]
        assert row.score == e.score.value
        assert row.rating_after == e.rating_after.value
        assert row.explanation == e.explain()
        if e.merit is not None:
            assert row.merit == e.merit.final_increase.amount
            assert row.currency == e.merit.final_increase.currency
    # Exact money: the Decimal column sums to the allocation's totals, per currency.
    assert result.merit is not None
    for currency, total in result.merit.total.items():
        assert frame[frame.currency == currency].merit.dropna().sum() == total.amount


def test_results_frame_of_a_hand_made_result(result: CycleResult) -> None:
    band = SalaryBand(
        minimum=Money.of("40000", "EUR"),
        midpoint=Money.of("50000", "EUR"),
        maximum=Money.of("60000", "EUR"),
    )
    ann = Employee(
        id="ann",
        name="Ann",
        unit_id="team",
        hire_date=date(2020, 1, 1),
        job_level="L3",
        base_pay=Money.of("50000", "EUR"),
        band=band,
    )
    matrix = MeritMatrix.from_rows(
        FIVE_POINT.ref, [CompaBand(label="all")], {1: ["0"], 2: ["1"], 3: ["3"], 4: ["5"], 5: ["7"]}
    )
    score = Score.of("ann", "hand", FIVE_POINT.ref, [Component.leaf("goals", 1.0, 3.6)])
    people = (
        EmployeeResult(
            employee_id="ann",
            unit_id="team",
            score=score,
            rating_before=rating(4.0),
            rating_after=rating(4.0),
            nine_box=NineBoxCell.numbered(6),
            eligibility=Eligibility(employee_id="ann", eligible=True),
            merit=propose_merit(ann, rating(4.0), matrix),
        ),
        EmployeeResult(
            employee_id="bob",
            unit_id="team",
            score=attrs.evolve(score, employee_id="bob"),
            rating_before=rating(4.0),
            rating_after=rating(3.0),
            eligibility=Eligibility(employee_id="bob", eligible=False, reasons=("too new",)),
        ),
    )
    frame = results_frame(attrs.evolve(result, employees=people))
    ann_row, bob_row = frame.loc["ann"], frame.loc["bob"]
    # 5 % of 50,000.00 EUR = 2,500.00 EUR.
    assert ann_row.merit == Decimal("2500.00")
    assert ann_row.merit_float == 2500.0
    assert ann_row.merit_pct == 5.0
    assert ann_row.currency == "EUR"
    assert ann_row.nine_box == 6
    assert ann_row.nine_box_name == "High performer"
    assert bool(ann_row.eligible)
    assert bob_row.rating_change == -1.0
    assert not bool(bob_row.eligible)
    assert pd.isna(bob_row.nine_box)
    assert bob_row.merit is None
    assert math.isnan(bob_row.merit_float)
    assert math.isnan(bob_row.bonus_float)
    assert bob_row.currency is None or pd.isna(bob_row.currency)
    assert str(frame.nine_box.dtype) == "Int64"
    assert "not eligible for rewards: too new" in bob_row.explanation


# --- distributions -------------------------------------------------------------------------


def hand_report() -> Any:
    """Ten people in two units; calibration moves two of them.

    before: 1 ×1, 2 ×2, 3 ×4, 4 ×2, 5 ×1; after: a1 1 → 2 and b2 3 → 4, so
    1 ×0, 2 ×3, 3 ×3, 4 ×3, 5 ×1.
    """
    ratings = [("a1", "a", 1), ("a2", "a", 2), ("a3", "a", 2), ("a4", "a", 3), ("a5", "a", 3)]
    ratings += [("b1", "b", 3), ("b2", "b", 3), ("b3", "b", 4), ("b4", "b", 4), ("b5", "b", 5)]
    moved = {"a1": 2.0, "b2": 4.0}

    def entry(pid: str, unit: str, value: float) -> CalibrationEntry:
        return CalibrationEntry(
            employee_id=pid, unit_id=unit, job_level="L1", score=value, rating=rating(value)
        )

    before = [entry(p, u, x) for p, u, x in ratings]
    after = [entry(p, u, moved.get(p, x)) for p, u, x in ratings]
    return compare(before, after)


GUIDE = DistributionGuideline(
    scale=FIVE_POINT.ref,
    targets=[
        Target(value=1, minimum=0.05, maximum=0.15),
        Target(value=3, minimum=0.3, maximum=0.5),
        Target(value=5, minimum=0.0, maximum=0.1),
    ],
)


def test_distribution_frame_by_hand(result: CycleResult) -> None:
    frame = distribution_frame(attrs.evolve(result, distribution=hand_report(), guideline=GUIDE))
    assert list(frame.index) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert list(frame.before_count) == [1, 2, 4, 2, 1]
    assert list(frame.after_count) == [0, 3, 3, 3, 1]
    assert list(frame.after_share) == [0.0, 0.3, 0.3, 0.3, 0.1]
    # Value 1: 5–15 % of 10 people allows ceil(0.5) = 1 to floor(1.5) = 1; nobody has it.
    assert (frame.loc[1.0, "minimum_count"], frame.loc[1.0, "maximum_count"]) == (1, 1)
    assert (frame.loc[1.0, "over"], frame.loc[1.0, "under"]) == (0, 1)
    # Value 2 is not in the guideline: its range is 0–0, so all 3 are over.
    assert (frame.loc[2.0, "minimum"], frame.loc[2.0, "maximum"]) == (0.0, 0.0)
    assert frame.loc[2.0, "over"] == 3
    # Value 3: 30–50 % → 3 to 5 people, midpoint 40 %; 3 have it.
    assert (frame.loc[3.0, "minimum_count"], frame.loc[3.0, "maximum_count"]) == (3, 5)
    assert frame.loc[3.0, "midpoint"] == pytest.approx(0.4)
    assert (frame.loc[3.0, "over"], frame.loc[3.0, "under"]) == (0, 0)

    by_unit = distribution_frame(
        attrs.evolve(result, distribution=hand_report(), guideline=GUIDE), by="unit"
    )
    assert list(by_unit.index.names) == ["unit_id", "value"]
    assert list(by_unit.loc["a"].before_count) == [1, 2, 2, 0, 0]
    assert list(by_unit.loc["b"].after_count) == [0, 0, 1, 3, 1]
    # Unit b, 5 people: value 5 allows 0–10 % → 0 to 0 people; one has it.
    assert by_unit.loc[("b", 5.0), "over"] == 1


def test_distribution_frame_without_a_guideline(result: CycleResult) -> None:
    frame = distribution_frame(attrs.evolve(result, distribution=hand_report(), guideline=None))
    assert list(frame.index) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert frame.minimum.isna().all()
    assert frame.over.isna().all()
    with pytest.raises(ValidationError, match=r"^by: 'manager' is not None or 'unit'"):
        distribution_frame(result, by="manager")


def test_distribution_frame_agrees_with_the_deviation_report(forced: CycleResult) -> None:
    by_unit = distribution_frame(forced, by="unit")
    report = forced.deviations_after
    assert report is not None
    for group in report.groups:
        for row in group.rows:
            key = (group.group, row.value)
            assert by_unit.loc[key, "after_count"] == row.count
            assert by_unit.loc[key, "over"] == row.over
            assert by_unit.loc[key, "under"] == row.under
    whole = distribution_frame(forced)
    assert whole.before_count.sum() == whole.after_count.sum() == len(forced.employees)
    assert whole.after_share.sum() == pytest.approx(1.0)


@given(
    size=st.integers(min_value=8, max_value=30),
    seed=st.integers(min_value=0, max_value=10_000),
    force=st.booleans(),
)
def test_frames_of_any_sample_run_add_up(size: int, seed: int, force: bool) -> None:
    data = sample_cycle(size, seed=seed)
    res = run_cycle(data, sample_policy(data, calibration="force" if force else "advise"), at=AT)
    people = results_frame(res)
    assert len(people) == len(res.employees)
    assert people.index.is_unique
    assert people.index.is_monotonic_increasing
    whole = distribution_frame(res)
    assert whole.after_count.sum() == len(people)
    for value, row in whole.iterrows():
        assert row.after_count == (people.rating_after == value).sum()
        assert row.before_count == (people.rating_before == value).sum()
    by_unit = distribution_frame(res, by="unit")
    assert by_unit.after_count.groupby(level="unit_id").sum().to_dict() == (
        people.groupby("unit_id").size().to_dict()
    )
    boxes = nine_box_frame(res)
    assert boxes["count"].sum() == people.nine_box.notna().sum()
    for box, row in boxes.iterrows():
        assert row["count"] == (people.nine_box == box).sum()
    pools = pools_frame(res)
    if res.merit is not None:
        assert (pools.spend <= pools.amount).all()
        assert pools.headcount.sum() == people.pool_id.notna().sum()
    # The same inputs give an equal frame.
    pd.testing.assert_frame_equal(people, results_frame(res))


# --- 9-box, pools, rater effects -----------------------------------------------------------


def test_nine_box_frame(result: CycleResult) -> None:
    frame = nine_box_frame(result)
    assert list(frame.index) == list(range(1, 10))
    assert frame.loc[9, "name"] == "Star"
    assert (frame.loc[9, "performance"], frame.loc[9, "potential"]) == ("high", "high")
    assert frame.loc[2, "performance"] == "moderate"
    assert result.nine_box is not None
    assert frame["count"].tolist() == [result.nine_box.box(k).count for k in range(1, 10)]
    assert frame.share.sum() == pytest.approx(1.0)
    assert nine_box_frame(result.nine_box).equals(frame)
    with pytest.raises(ValidationError, match=r"^result.nine_box: None is missing"):
        nine_box_frame(attrs.evolve(result, nine_box=None))


def test_pools_frame(result: CycleResult) -> None:
    frame = pools_frame(result)
    assert result.merit is not None
    assert list(frame.index) == sorted(p.unit_id for p in result.merit.pools)
    for p in result.merit.pools:
        row = frame.loc[p.unit_id]
        assert row.amount == p.amount.amount
        assert isinstance(row.spend, Decimal)
        assert row.spend == p.spend.amount
        assert row.spend_float == float(p.spend.amount)
        assert row.remaining == p.amount.amount - p.spend.amount
        assert row.utilisation == pytest.approx(float(p.spend.amount / p.amount.amount))
        assert row.currency == "EUR"
    empty = pools_frame(attrs.evolve(result, merit=None))
    assert empty.empty
    assert list(empty.columns) == list(frame.columns)


def test_rater_effects_frame_by_hand(result: CycleResult) -> None:
    def rater(rid: str, severity: float, se: float) -> RaterSeverity:
        return RaterSeverity(
            rater_id=rid, n=4, mean=0.5, mean_deviation=severity, severity=severity, se=se
        )

    model = SeverityModel(
        n=12,
        people_count=4,
        rater_count=3,
        components=1,
        residual_variance=0.01,
        rater_variance=0.02,
        ridge=0.5,
        identified=True,
        se_method=StandardErrorMethod.EXACT,
        raters=[rater("zed", 0.2, 0.05), rater("amy", -0.2, 0.05), rater("kim", 0.05, 0.05)],
        people=[],
    )
    frame = rater_effects_frame(model)
    assert list(frame.index) == ["amy", "kim", "zed"]
    # zed: 0.2 ± 1.96 × 0.05 = 0.102 to 0.298, above 0: lenient; kim's interval holds 0.
    assert frame.loc["zed", "low"] == pytest.approx(0.2 - Z_95 * 0.05)
    assert frame.loc["zed", "high"] == pytest.approx(0.298, abs=1e-3)
    assert frame.direction.tolist() == ["harsh", "unclear", "lenient"]
    assert rater_effects_frame(attrs.evolve(result, rater_effects=model)).equals(frame)
    empty = rater_effects_frame(attrs.evolve(result, rater_effects=None))
    assert empty.empty
    assert list(empty.columns) == list(frame.columns)


# --- policy comparisons and adverse impact --------------------------------------------------


def test_comparison_frame_puts_each_policys_figures_side_by_side(
    comparison: PolicyComparison,
) -> None:
    frame = comparison_frame(comparison)
    assert list(frame.index) == sorted(p.employee_id for p in comparison.people)
    assert list(frame.columns) == [
        "unit_id",
        "group",
        "changed",
        "rating_current",
        "rating_proposed",
        "change_current",
        "change_proposed",
        "rating_before_current",
        "rating_before_proposed",
        "score_current",
        "score_proposed",
        "merit_current",
        "merit_proposed",
        "merit_current_float",
        "merit_proposed_float",
        "bonus_current",
        "bonus_proposed",
        "bonus_current_float",
        "bonus_proposed_float",
        "currency",
    ]
    for person in comparison.people:
        row = frame.loc[person.employee_id]
        proposed = person.outcome("proposed")
        assert row.rating_proposed == proposed.rating
        assert row.change_proposed == proposed.change
        assert row.change_current == 0.0
        assert bool(row.changed) == person.changed
        assert row.group == person.group
        if proposed.merit is not None:
            assert row.merit_proposed == proposed.merit.amount
            assert row.currency == proposed.merit.currency
    assert frame.changed.sum() == len(comparison.changes())
    with pytest.raises(ValidationError, match=r"^comparison: 1 is not a PolicyComparison"):
        comparison_frame(1)  # type: ignore[arg-type]


def test_costs_frame_adds_up_to_each_policys_total(comparison: PolicyComparison) -> None:
    frame = costs_frame(comparison)
    assert list(frame.index.names) == ["policy", "unit_id", "currency"]
    totals = frame.groupby(level="policy").total.sum()
    for outcome in comparison.policies:
        assert totals[outcome.name] == outcome.cost().total.amount  # exact Decimals
        for unit in outcome.units:
            for cost in unit.costs:
                row = frame.loc[(outcome.name, unit.unit_id, cost.currency)]
                assert row.headcount == unit.headcount
                assert row.merit == cost.merit.amount
                assert row.total_float == float(cost.total.amount)
    baseline = frame.loc["current"]
    assert (baseline.total_change == 0).all()
    with pytest.raises(ValidationError, match=r"^comparison: 'x' is not a PolicyComparison"):
        costs_frame("x")  # type: ignore[arg-type]


def test_impact_frame_by_hand() -> None:
    ratings = {f"x{i}": r for i, r in enumerate([4, 4, 4, 4, 2])}
    ratings |= {f"y{i}": r for i, r in enumerate([4, 2, 2, 2, 2])}
    ratings |= {"z0": 5, "z1": 5}
    groups = {pid: pid[0] for pid in ratings}
    frame = impact_frame(adverse_impact(ratings, groups, threshold=4))
    assert list(frame.index) == ["x", "y", "z"]
    # x: 4 of 5 = 0.8 (the reference); y: 1 of 5 = 0.2, ratio 0.2 / 0.8 = 0.25: flagged.
    assert frame.loc["x", "rate"] == 0.8
    assert bool(frame.loc["x", "reference"])
    assert frame.loc["y", "impact_ratio"] == pytest.approx(0.25)
    assert not bool(frame.loc["y", "four_fifths"])
    assert bool(frame.loc["y", "flagged"])
    assert frame.loc["y", "gap"] == pytest.approx(2.4 - 3.6)
    # z: 2 people, under the minimum group size of 5: only its size is shown.
    assert bool(frame.loc["z", "suppressed"])
    assert frame.loc["z", "n"] == 2
    assert pd.isna(frame.loc["z", "selected"])
    assert math.isnan(frame.loc["z", "rate"])
    assert str(frame.selected.dtype) == "Int64"


def test_impact_frame_of_a_comparison_has_a_row_per_policy_and_group(
    comparison: PolicyComparison,
) -> None:
    frame = impact_frame(comparison)
    assert list(frame.index.names) == ["policy", "group"]
    for outcome in comparison.policies:
        assert outcome.fairness is not None
        for g in outcome.fairness.groups:
            assert frame.loc[(outcome.name, g.group), "n"] == g.n
            assert bool(frame.loc[(outcome.name, g.group), "flagged"]) == (
                g.group in outcome.fairness.flagged
            )
    ungrouped = attrs.evolve(
        comparison, policies=[attrs.evolve(p, fairness=None) for p in comparison.policies]
    )
    assert impact_frame(ungrouped).empty
    with pytest.raises(ValidationError, match=r"^source: None is not an AdverseImpactReport"):
        impact_frame(None)  # type: ignore[arg-type]


# --- inputs --------------------------------------------------------------------------------


def test_employees_frame(data: Any) -> None:
    frame = employees_frame(data)
    people = sorted(data.organisation.employees, key=lambda e: e.id)
    assert list(frame.index) == [e.id for e in people]
    assert list(frame.columns[:11]) == [
        "name",
        "manager_id",
        "unit_id",
        "unit_name",
        "job_level",
        "hire_date",
        "end_date",
        "base_pay",
        "base_pay_float",
        "currency",
        "compa_ratio",
    ]
    assert list(frame.columns[11:]) == ["employment", "gender", "location", "potential"]
    first = people[1]
    row = frame.loc[first.id]
    assert row.base_pay == first.base_pay.amount
    assert row.gender == first.attributes["gender"]
    assert row.unit_name == data.organisation.unit(first.unit_id).name
    assert row.compa_ratio == pytest.approx(float(first.compa_ratio))


def test_employees_frame_prefixes_an_attribute_named_like_a_column(data: Any) -> None:
    people = list(data.organisation.employees)
    people[0] = attrs.evolve(people[0], attributes={"name": "nickname", "gender": "female"})
    odd = attrs.evolve(data, organisation=attrs.evolve(data.organisation, employees=people))
    frame = employees_frame(odd)
    assert frame.loc[people[0].id, "attribute_name"] == "nickname"
    assert frame.loc[people[0].id, "name"] == people[0].name


def test_goals_frame(data: Any) -> None:
    frame = goals_frame(data, on=MID_YEAR)
    goals = data.goals
    assert list(frame.index) == sorted(g.id for g in goals.goals)
    assert frame.loc["c-revenue", "depth"] == 0
    assert frame.loc["c-revenue", "progress_source"] == "rollup"
    for gid in ("c-revenue", "u01-g1", "e0005-g1", "e0005-g2"):
        assert frame.loc[gid, "progress"] == data.progress(gid, MID_YEAR).value
    assert frame.loc["u01-g1", "depth"] == 1
    assert frame.loc["u01-g1", "parent_ids"] == ("c-revenue",)
    person = frame.loc["e0005-g1"]
    assert person.owner_kind == "employee"
    assert person.unit_id == data.organisation.employee("e0005").unit_id
    seen = goals.check_ins_for("e0005-g1", data.end_of_day(MID_YEAR))
    assert person.check_ins == len(seen)
    assert person.last_check_in == seen[-1].at
    with pytest.raises(ValidationError, match=r"^on: datetime.datetime\(.*is not a date"):
        goals_frame(data, on=AT)
    with pytest.raises(ValidationError, match=r"^data: 3 is not a CycleData"):
        goals_frame(3, on=MID_YEAR)  # type: ignore[arg-type]


def test_checkins_frame(data: Any) -> None:
    frame = checkins_frame(data)
    items = sorted(data.goals.check_ins, key=lambda c: (c.at, c.id))
    assert list(frame.index) == [c.id for c in items]
    assert frame["at"].is_monotonic_increasing
    one = items[5]
    row = frame.loc[one.id]
    assert row.goal_id == one.goal_id
    assert row.attainment == data.goals.goal(one.goal_id).metric.attainment(one)
    binary = next(c for c in items if c.done is not None)
    assert bool(frame.loc[binary.id, "done"]) == binary.done
    assert math.isnan(frame.loc[binary.id, "value"])


def test_reviews_frame(data: Any) -> None:
    frame = reviews_frame(data)
    assert len(frame) == sum(len(r.ratings) for r in data.reviews)
    assert list(frame.columns[:3]) == ["review_id", "cycle_id", "form_id"]
    assert frame.review_id.is_monotonic_increasing
    first = frame.iloc[0]
    review = next(r for r in data.reviews if r.id == first.review_id)
    assert first.criterion_id == "collaboration"  # criteria by id within a review
    given = review.rating_for("collaboration")
    assert given is not None
    assert first.rating == given.rating.value
    assert first.normalised == (given.rating.value - 1) / 4
    assert first.criterion_kind == "competency"
    wide = frame.pivot_table(index="subject", columns="role", values="rating", aggfunc="mean")
    assert set(wide.columns) >= {"manager", "self"}


def test_feedback_frame_withholds_anonymous_authors(data: Any) -> None:
    frame = feedback_frame(data)
    events = sorted(data.feedback.events, key=lambda e: (e.at, e.id))
    assert list(frame.index) == [e.id for e in events]
    anonymous = [e for e in events if e.visibility is Visibility.ANONYMOUS]
    assert anonymous
    assert frame.loc[[e.id for e in anonymous], "author"].isna().all()
    named = next(e for e in events if e.visibility is not Visibility.ANONYMOUS)
    assert frame.loc[named.id, "author"] == named.author
    revealed = feedback_frame(data, reveal_anonymous=True)
    assert revealed.loc[anonymous[0].id, "author"] == anonymous[0].author
    response = next(e for e in events if isinstance(e, FeedbackResponse))
    assert revealed.loc[response.id, "request_id"] == response.request_id
    with pytest.raises(ValidationError, match=r"^reveal_anonymous: 'yes' is not true or false"):
        feedback_frame(data, reveal_anonymous="yes")  # type: ignore[arg-type]


# --- refusals and installation ---------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        results_frame,
        distribution_frame,
        pools_frame,
        rater_effects_frame,
        nine_box_frame,
    ],
)
def test_result_frames_refuse_anything_else(call: Any) -> None:
    with pytest.raises(ValidationError, match=r"^result: 'x' is not a CycleResult"):
        call("x")


@pytest.mark.parametrize("call", [employees_frame, checkins_frame, reviews_frame, feedback_frame])
def test_data_frames_refuse_anything_else(call: Any) -> None:
    with pytest.raises(ValidationError, match=r"^data: None is not a CycleData"):
        call(None)


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.dates(),
)


@given(garbage, garbage)
def test_garbage_gives_only_perfkit_errors(first: Any, second: Any) -> None:
    calls = [
        lambda: to_frame(first),
        lambda: to_frame([first]),
        lambda: to_frame([], index=second),
        lambda: results_frame(first),
        lambda: distribution_frame(first),
        lambda: distribution_frame(_SMALL_RESULT, by=second),
        lambda: pools_frame(first),
        lambda: rater_effects_frame(first),
        lambda: nine_box_frame(first),
        lambda: employees_frame(first),
        lambda: goals_frame(first, on=MID_YEAR),
        lambda: goals_frame(_SMALL_DATA, on=second),
        lambda: checkins_frame(first),
        lambda: reviews_frame(first),
        lambda: feedback_frame(first),
        lambda: feedback_frame(_SMALL_DATA, reveal_anonymous=second),
        lambda: comparison_frame(first),
        lambda: costs_frame(first),
        lambda: impact_frame(first),
    ]
    for call in calls:
        with contextlib.suppress(ValidationError):
            call()


def test_import_perfkit_loads_neither_pandas_nor_matplotlib() -> None:
    code = (
        "import sys, perfkit, perfkit.run, perfkit.whatif; "
        "print(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_without_pandas_the_import_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.delitem(sys.modules, "perfkit.frames")
    with pytest.raises(ImportError, match=r"pip install 'perfkit\[frames\]'"):
        importlib.import_module("perfkit.frames")


# --- the example notebook -------------------------------------------------------------------


def test_the_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert 'load_dataset("data/acme")' in code[0].source  # the example company


def test_the_policies_notebook_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    streams = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream" and o.name == "stderr"
    ]
    assert streams == [], "the notebook wrote to stderr (a warning?)"
    images = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "display_data" and "image/png" in o.data
    ]
    assert len(images) >= 4
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "people get another rating under the proposed policy" in text

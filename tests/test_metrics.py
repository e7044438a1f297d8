"""Goal metrics: validation of numeric targets, attainment by hand, the Metric union in JSON."""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit import DocumentError, PerfkitError, UnknownReferenceError, ValidationError
from perfkit.goals import CheckIn
from perfkit.metrics import (
    BinaryMetric,
    Direction,
    Metric,
    Milestone,
    MilestoneMetric,
    NumericMetric,
)

from .strategies.goals import metrics, milestones, numeric_metrics, reals

AT = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)


def reading(**fields: Any) -> CheckIn:
    return CheckIn(id="c1", goal_id="g1", author="e1", at=AT, **fields)


# --- numeric ---------------------------------------------------------------------------------


def test_support_tickets_up_from_80_to_95_percent() -> None:
    """'Resolve 95 % of support tickets within 24 h', from 80 % today."""
    metric = NumericMetric(baseline=80, target=95, unit="%")
    assert metric.attainment(reading(value=80)) == 0.0
    assert metric.attainment(reading(value=89)) == pytest.approx(0.6)  # 9 of 15 points
    assert metric.attainment(reading(value=95)) == 1.0


def test_social_engagement_over_achievement_is_not_capped() -> None:
    """'Raise social engagement by 20 %': 1000 → 1200 interactions; 1300 is 150 %."""
    metric = NumericMetric(baseline=1000, target=1200, unit="interactions")
    assert metric.attainment(reading(value=1300)) == 1.5
    assert metric.attainment(reading(value=1100)) == 0.5


def test_budget_lower_is_better() -> None:
    """'Deliver within budget': forecast 120k EUR, budget 100k; spending 90k beats the target."""
    metric = NumericMetric(baseline=120_000, target=100_000, unit="EUR", direction=Direction.DOWN)
    assert metric.attainment(reading(value=110_000)) == 0.5
    assert metric.attainment(reading(value=100_000)) == 1.0
    assert metric.attainment(reading(value=90_000)) == 1.5
    assert metric.attainment(reading(value=130_000)) == 0.0  # worse than baseline: floored


def test_below_baseline_is_floored_at_zero() -> None:
    metric = NumericMetric(baseline=4.0, target=4.5, unit="points")  # client satisfaction ≥ 4.5
    assert metric.attainment(reading(value=3.2)) == 0.0
    assert metric.attainment(reading(value=4.25)) == 0.5
    assert metric.attainment(reading(value=4.6)) == pytest.approx(1.2)


def test_numbers_of_any_kind_become_floats() -> None:
    metric = NumericMetric(baseline=Decimal("1.5"), target=3)
    assert metric.baseline == 1.5
    assert type(metric.baseline) is float
    assert type(metric.target) is float


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"baseline": 80, "target": 80},
            r"target: 80\.0 is not above baseline 80 \(direction up\)",
        ),
        ({"baseline": 80, "target": 70}, r"target: 70\.0 is not above baseline 80"),
        (
            {"baseline": 100, "target": 120, "direction": Direction.DOWN},
            r"target: 120\.0 is not below baseline 100 \(direction down\)",
        ),
        ({"baseline": "80", "target": 95}, r"baseline: '80' is not a number"),
        ({"baseline": True, "target": 95}, r"baseline: True is not a number"),
        ({"baseline": 0, "target": math.inf}, r"target: inf is not a finite number"),
        ({"baseline": 0, "target": 10**400}, r"target: 1000.* is not a finite number"),
        ({"baseline": -1e308, "target": 1e308}, r"target: 1e\+308 is too far from the baseline"),
        (
            {"baseline": 0, "target": 1, "direction": "upward"},
            r"direction: 'upward' is not a Direction",
        ),
        ({"baseline": 0, "target": 1, "unit": 5}, r"unit: 5 is not a string"),
    ],
)
def test_numeric_metric_errors_name_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        NumericMetric(**kwargs)


@given(numeric_metrics(), reals, reals)
def test_numeric_attainment_is_monotone_in_the_good_direction(
    metric: NumericMetric, a: float, b: float
) -> None:
    low, high = sorted((a, b))
    worse, better = (low, high) if metric.direction is Direction.UP else (high, low)
    att_worse = metric.attainment(reading(value=worse))
    att_better = metric.attainment(reading(value=better))
    assert 0.0 <= att_worse <= att_better


@given(numeric_metrics())
def test_baseline_is_zero_and_target_is_one(metric: NumericMetric) -> None:
    assert metric.attainment(reading(value=metric.baseline)) == 0.0
    assert metric.attainment(reading(value=metric.target)) == pytest.approx(1.0)


def test_numeric_needs_a_value_and_only_a_value() -> None:
    metric = NumericMetric(baseline=0, target=1)
    with pytest.raises(ValidationError, match="value: None is required for a numeric metric"):
        metric.attainment(reading())
    with pytest.raises(ValidationError, match="done: True does not apply to a numeric metric"):
        metric.check(reading(value=1, done=True))
    with pytest.raises(ValidationError, match="milestones_done: .* does not apply to a numeric"):
        metric.check(reading(value=1, milestones_done=["m1"]))


def test_numeric_attainment_too_far_from_the_baseline_is_refused() -> None:
    metric = NumericMetric(baseline=0, target=1e-300)
    with pytest.raises(ValidationError, match="value: 1e\\+300 is too far from the baseline"):
        metric.attainment(reading(value=1e300))


# --- binary ----------------------------------------------------------------------------------


def test_binary_is_one_or_zero() -> None:
    metric = BinaryMetric()
    assert metric.attainment(reading(done=True)) == 1.0
    assert metric.attainment(reading(done=False)) == 0.0
    with pytest.raises(ValidationError, match="done: None is required for a binary metric"):
        metric.attainment(reading())
    with pytest.raises(ValidationError, match="value: 1.0 does not apply to a binary metric"):
        metric.check(reading(done=True, value=1))


# --- milestones ------------------------------------------------------------------------------


def project() -> MilestoneMetric:
    return MilestoneMetric(
        milestones=[
            Milestone(id="design", title="Design signed off", weight=1, due=date(2026, 1, 31)),
            Milestone(id="build", title="Built", weight=2),
            Milestone(id="launch", title="Launched", weight=1, due=date(2026, 3, 31)),
        ]
    )


def test_milestone_attainment_is_the_weight_share_done() -> None:
    metric = project()
    assert metric.attainment(reading()) == 0.0
    assert metric.attainment(reading(milestones_done=["design"])) == 0.25
    assert metric.attainment(reading(milestones_done=["build", "design"])) == 0.75
    assert metric.attainment(reading(milestones_done=["launch", "design", "build"])) == 1.0


@given(st.lists(milestones, min_size=1, max_size=6, unique_by=lambda m: m.id), st.data())
def test_milestone_attainment_is_between_zero_and_one(
    items: list[Milestone], data: st.DataObject
) -> None:
    metric = MilestoneMetric(milestones=items)
    done = data.draw(st.lists(st.sampled_from([m.id for m in items]), unique=True))
    share = metric.attainment(reading(milestones_done=done))
    assert 0.0 <= share <= 1.0
    if len(done) == len(items):
        assert share == 1.0
    if not done:
        assert share == 0.0


def test_milestone_errors() -> None:
    with pytest.raises(ValidationError, match=r"milestones: \(\) needs at least one milestone"):
        MilestoneMetric(milestones=[])
    with pytest.raises(ValidationError, match=r"milestones\[1\]: 'a' repeats the milestone id"):
        MilestoneMetric(milestones=[Milestone(id="a", title="A"), Milestone(id="a", title="B")])
    with pytest.raises(ValidationError, match=r"milestones\[0\]: 'a' is not a Milestone"):
        MilestoneMetric(milestones=["a"])
    with pytest.raises(ValidationError, match="weight: 0.0 is not positive"):
        Milestone(id="a", title="A", weight=0)
    with pytest.raises(ValidationError, match="due: datetime.* is not a date"):
        Milestone(id="a", title="A", due=AT)
    with pytest.raises(
        UnknownReferenceError,
        match=r"milestones_done\[1\]: 'ship' is not a milestone of this goal \(build, design",
    ):
        project().attainment(reading(milestones_done=["design", "ship"]))
    with pytest.raises(ValidationError, match="value: 3.0 does not apply to a milestone metric"):
        project().check(reading(value=3))


# --- JSON ------------------------------------------------------------------------------------


@given(metrics)
def test_metric_union_round_trips(metric: Metric) -> None:
    data = perfkit.unstructure(metric)
    assert data["type"] == type(metric).kind
    assert perfkit.structure(data, Metric) == metric  # type: ignore[arg-type]


@given(metrics)
def test_a_metric_alone_round_trips_as_a_document(metric: Metric) -> None:
    assert perfkit.loads(perfkit.dumps(metric), type(metric)) == metric


def test_metric_json_is_tagged() -> None:
    data = perfkit.unstructure(NumericMetric(baseline=80, target=95, unit="%"))
    assert data == {
        "type": "numeric",
        "baseline": 80.0,
        "target": 95.0,
        "unit": "%",
        "direction": "up",
    }
    assert perfkit.unstructure(BinaryMetric()) == {"type": "binary"}


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"type": "numeric", "baseline": 1, "target": 1}, "target"),
        ({"type": "percent", "baseline": 1}, "type"),
        ({"baseline": 1, "target": 2}, "type"),
        ({"type": "numeric", "baseline": "x", "target": 2}, "baseline"),
        ({"type": "milestone", "milestones": [{"id": "a"}]}, "milestones[0].title"),
    ],
)
def test_bad_metric_json_names_the_path(data: dict[str, Any], path: str) -> None:
    with pytest.raises(DocumentError) as info:
        perfkit.structure(data, Metric)  # type: ignore[arg-type]
    assert info.value.errors[0].path.startswith(path)


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.decimals(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(AT),
)


@given(garbage, garbage, garbage, garbage)
def test_garbage_gives_only_perfkit_errors(a: Any, b: Any, c: Any, d: Any) -> None:
    for build in (
        lambda: NumericMetric(baseline=a, target=b, unit=c, direction=d),
        lambda: Milestone(id=a, title=b, weight=c, due=d),
        lambda: MilestoneMetric(milestones=a),
        lambda: perfkit.structure({"type": a, "baseline": b, "target": c}, Metric),  # type: ignore[arg-type]
        lambda: perfkit.structure(a, Metric),  # type: ignore[arg-type]
    ):
        with contextlib.suppress(PerfkitError):
            build()

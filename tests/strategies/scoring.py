"""Strategies for scoring inputs, explanation trees, scores and policy configurations."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from perfkit.metrics import Direction
from perfkit.policies import (
    ComponentName,
    GoalEvidence,
    KpiCurve,
    KpiCurvePolicy,
    MissingRule,
    OkrAverage,
    OkrPolicy,
    WeightedComponentsPolicy,
)
from perfkit.reviews import CriterionKind, ReviewerRole
from perfkit.scales import FIVE_POINT, OKR, PERCENT, THREE_POINT, Scale
from perfkit.scoring import (
    Component,
    CriterionInput,
    EmployeeInputs,
    GoalInput,
    MetricKind,
    RatingCutoffs,
    ReviewInput,
    Score,
)

from .common import simple_ids, texts

SCALES: tuple[Scale, ...] = (FIVE_POINT, THREE_POINT, PERCENT, OKR)
titles = st.text(min_size=1, max_size=15).filter(lambda s: bool(s.strip()))
goal_weights = st.floats(min_value=0.01, max_value=100.0, allow_nan=False)
attainments = st.floats(min_value=0.0, max_value=3.0, allow_nan=False)
"""Attainments from 0 to 3 (three times the target), boundary values included."""


def _reading(baseline: float, target: float, attainment: float) -> float:
    """The reading of a numeric metric that gives ``attainment`` (monotone in attainment)."""
    return baseline + attainment * (target - baseline)


@st.composite
def goal_inputs(draw: st.DrawFn, goal_id: str | None = None) -> GoalInput:
    """A goal input whose reading, when it has one, fits its attainment."""
    kind = draw(st.sampled_from(list(MetricKind)))
    gid = goal_id if goal_id is not None else draw(simple_ids)
    common: dict[str, Any] = {"goal_id": gid, "title": draw(titles), "weight": draw(goal_weights)}
    read = draw(st.booleans())
    if kind is MetricKind.NUMERIC:
        direction = draw(st.sampled_from(list(Direction)))
        baseline = draw(st.floats(min_value=-1000, max_value=1000, allow_nan=False))
        span = draw(st.floats(min_value=1.0, max_value=1000.0, allow_nan=False))
        target = baseline + span if direction is Direction.UP else baseline - span
        attainment = draw(attainments) if read else 0.0
        return GoalInput(
            metric_kind=kind,
            unit=draw(st.sampled_from(["%", "EUR", "tickets", ""])),
            direction=direction,
            baseline=baseline,
            target=target,
            value=_reading(baseline, target, attainment) if read else None,
            attainment=attainment,
            **common,
        )
    if kind is MetricKind.BINARY:
        done = draw(st.booleans())
        value = (1.0 if done else 0.0) if read else None
        return GoalInput(metric_kind=kind, value=value, attainment=value or 0.0, **common)
    total = draw(st.floats(min_value=1.0, max_value=10.0, allow_nan=False))
    share = draw(st.floats(min_value=0.0, max_value=1.0, allow_nan=False)) if read else 0.0
    return GoalInput(
        metric_kind=kind,
        unit="milestones",
        target=total,
        value=share * total if read else None,
        attainment=share,
        **common,
    )


@st.composite
def criterion_inputs(draw: st.DrawFn, criterion_id: str | None = None) -> CriterionInput:
    """A rating on one of the built-in scales, with its 0–1 placement."""
    scale = draw(st.sampled_from(SCALES))
    allowed = scale.allowed_values()
    if allowed is None:
        low, high = scale.bounds
        value = draw(st.floats(min_value=low, max_value=high, allow_nan=False))
    else:
        value = draw(st.sampled_from(allowed))
    rating = scale.rate(value)
    return CriterionInput(
        criterion_id=criterion_id if criterion_id is not None else draw(simple_ids),
        kind=draw(st.sampled_from(list(CriterionKind))),
        weight=draw(goal_weights),
        rating=rating,
        normalised=scale.normalise(rating.value),
    )


@st.composite
def review_inputs(draw: st.DrawFn, review_id: str | None = None) -> ReviewInput:
    names = draw(st.lists(simple_ids, min_size=1, max_size=4, unique=True))
    return ReviewInput(
        review_id=review_id if review_id is not None else draw(simple_ids),
        reviewer=draw(simple_ids),
        role=draw(st.sampled_from(list(ReviewerRole))),
        ratings=[draw(criterion_inputs(n)) for n in names],
    )


@st.composite
def employee_inputs(
    draw: st.DrawFn, *, min_goals: int = 0, min_reviews: int = 0, max_reviews: int = 5
) -> EmployeeInputs:
    """One employee's inputs: up to 5 goals and ``max_reviews`` reviews, distinct ids."""
    goal_ids = draw(st.lists(simple_ids, min_size=min_goals, max_size=5, unique=True))
    review_ids = draw(st.lists(simple_ids, min_size=min_reviews, max_size=max_reviews, unique=True))
    return EmployeeInputs(
        employee_id=draw(simple_ids),
        goals=[draw(goal_inputs(g)) for g in goal_ids],
        reviews=[draw(review_inputs(r)) for r in review_ids],
        praise_count=draw(st.integers(min_value=0, max_value=50)),
        constructive_count=draw(st.integers(min_value=0, max_value=50)),
    )


numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
shares = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)

leaves = st.builds(Component.leaf, name=simple_ids, weight=shares, input=numbers, detail=texts)
missing_components = st.builds(Component.missing, name=simple_ids, detail=texts)
components = st.recursive(
    leaves | missing_components,
    lambda inner: st.builds(
        Component.group,
        name=simple_ids,
        weight=shares,
        parts=st.lists(inner, min_size=1, max_size=4),
        detail=texts,
    ),
    max_leaves=12,
)
"""Any valid explanation tree."""

scores = st.builds(
    Score.of,
    employee_id=simple_ids,
    policy=simple_ids,
    scale=st.sampled_from([s.ref for s in SCALES]),
    components=st.lists(components, min_size=1, max_size=4),
)


@st.composite
def rating_cutoffs(draw: st.DrawFn) -> RatingCutoffs:
    """Cut-offs with strictly increasing scores and ratings."""
    starts = sorted(draw(st.lists(numbers, min_size=1, max_size=6, unique=True)))
    values = sorted(
        draw(st.lists(numbers, min_size=len(starts), max_size=len(starts), unique=True))
    )
    scales = st.sampled_from([s.ref for s in SCALES])
    return RatingCutoffs(
        scale=draw(scales),
        cutoffs=list(zip(starts, values, strict=True)),
        score_scale=draw(st.none() | scales),
    )


# --- policies ----------------------------------------------------------------------------


@st.composite
def weighted_components_policies(draw: st.DrawFn) -> WeightedComponentsPolicy:
    """Any weighted_components configuration, on any built-in scale."""
    scale = draw(st.sampled_from(SCALES))
    names = draw(
        st.lists(st.sampled_from(list(ComponentName)), min_size=1, max_size=3, unique=True)
    )
    weights = {n: draw(goal_weights) for n in names}
    roles = {
        r: draw(st.just(0.0) | st.floats(min_value=1e-9, max_value=100.0, allow_nan=False))
        for r in draw(st.lists(st.sampled_from(list(ReviewerRole)), max_size=4, unique=True))
    }
    changes: dict[str, Any] = {}
    if draw(st.booleans()):
        low, high = scale.bounds
        xs = sorted(draw(st.lists(st.floats(0.0, 2.0), min_size=2, max_size=5, unique=True)))
        ys = sorted(draw(st.lists(st.floats(low, high), min_size=len(xs), max_size=len(xs))))
        changes["curve"] = list(zip(xs, ys, strict=True))
    return WeightedComponentsPolicy(
        output_scale=scale,
        weights=weights,
        roles=roles,
        **changes,
        missing=draw(st.sampled_from([MissingRule.RENORMALISE, MissingRule.ZERO])),
        goals_from=draw(st.sampled_from(list(GoalEvidence))),
    )


okr_policies = st.builds(OkrPolicy, average=st.sampled_from(list(OkrAverage)))


@st.composite
def kpi_curves(draw: st.DrawFn, direction: Direction = Direction.UP) -> KpiCurve:
    """A valid payout curve running in ``direction``."""
    points = sorted(
        draw(
            st.lists(
                st.floats(min_value=-1000, max_value=1000, allow_nan=False),
                min_size=3,
                max_size=3,
                unique=True,
            )
        )
    )
    if direction is Direction.DOWN:
        points.reverse()
    payouts = sorted(
        draw(st.lists(st.floats(min_value=0.0, max_value=2.0), min_size=3, max_size=3))
    )
    return KpiCurve(
        threshold=points[0],
        target=points[1],
        stretch=points[2],
        threshold_payout=payouts[0],
        target_payout=payouts[1],
        stretch_payout=payouts[2],
    )


@st.composite
def kpi_policies(draw: st.DrawFn, goals: tuple[GoalInput, ...] = ()) -> KpiCurvePolicy:
    """A kpi_curve policy with a random default curve and, for some of ``goals``, a curve of
    their own running in their metric's direction."""
    own = {
        g.goal_id: draw(kpi_curves(g.direction))
        for g in goals
        if g.metric_kind is MetricKind.NUMERIC and draw(st.booleans())
    }
    return KpiCurvePolicy(default=draw(kpi_curves(Direction.UP)), goals=own)

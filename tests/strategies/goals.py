"""Strategies for goals, metrics, check-ins, goal sets and rollup results."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from perfkit.goals import (
    Alignment,
    CheckIn,
    Goal,
    GoalRevision,
    GoalSet,
    GoalStatus,
    Owner,
    OwnerKind,
    OwnerWeights,
    ParentWeights,
    WeightReport,
)
from perfkit.metrics import (
    BinaryMetric,
    Direction,
    Metric,
    Milestone,
    MilestoneMetric,
    NumericMetric,
)
from perfkit.rollup import Progress, ProgressPart, ProgressSource, rollup_strategy_names

from .common import aware_datetimes, dates, ids, simple_ids, texts, unit_floats, weights

START = date(2026, 1, 1)
END = date(2026, 3, 31)
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)

reals = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
spans = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def numeric_metrics(draw: st.DrawFn) -> NumericMetric:
    baseline = draw(reals)
    direction = draw(st.sampled_from(Direction))
    span = draw(spans)
    target = baseline + span if direction is Direction.UP else baseline - span
    return NumericMetric(
        baseline=baseline,
        target=target,
        unit=draw(st.sampled_from(["", "%", "tickets", "EUR", "h"])),
        direction=direction,
    )


binary_metrics = st.just(BinaryMetric())

milestones = st.builds(
    Milestone,
    id=ids,
    title=st.text(min_size=1, max_size=20).filter(str.strip),
    weight=weights,
    due=st.none() | dates,
)

milestone_metrics = st.builds(
    MilestoneMetric,
    milestones=st.lists(milestones, min_size=1, max_size=5, unique_by=lambda m: m.id),
)

metrics: st.SearchStrategy[Metric] = st.one_of(numeric_metrics(), binary_metrics, milestone_metrics)

owners = st.builds(Owner, kind=st.sampled_from(OwnerKind), id=ids)

alignments = st.builds(Alignment, parent_id=ids, weight=weights)

titles = st.text(min_size=1, max_size=30).filter(str.strip)


@st.composite
def goals(draw: st.DrawFn, goal_id: str | None = None, parents: tuple[str, ...] = ()) -> Goal:
    """A goal; with ``parents`` it aligns to a subset of them."""
    gid = goal_id if goal_id is not None else draw(ids)
    if goal_id is None:
        chosen = draw(st.lists(ids.filter(lambda p: p != gid), max_size=3, unique=True))
    else:
        chosen = draw(st.lists(st.sampled_from(parents), unique=True)) if parents else []
    start = draw(dates)
    status = draw(st.sampled_from(GoalStatus))
    # A proposed goal names its proposer; any other may or may not.
    proposer = draw(ids if status is GoalStatus.PROPOSED else st.none() | ids)
    return Goal(
        id=gid,
        title=draw(titles),
        description=draw(texts),
        owner=draw(owners),
        cycle_id=draw(st.none() | simple_ids),
        aligns_to=[Alignment(parent_id=p, weight=draw(weights)) for p in chosen],
        weight=draw(weights),
        start_date=start,
        end_date=start + timedelta(days=draw(st.integers(0, 400))),
        status=status,
        metric=draw(metrics),
        revision=draw(st.integers(1, 50)),
        proposed_by=proposer,
    )


@st.composite
def readings(draw: st.DrawFn, metric: Metric) -> dict[str, Any]:
    """The check-in fields that fit ``metric``."""
    if isinstance(metric, NumericMetric):
        return {"value": draw(reals)}
    if isinstance(metric, BinaryMetric):
        return {"done": draw(st.booleans())}
    done = draw(st.lists(st.sampled_from([m.id for m in metric.milestones]), unique=True))
    return {"milestones_done": done}


@st.composite
def check_ins(draw: st.DrawFn, goal: Goal | None = None, check_in_id: str | None = None) -> CheckIn:
    """A check-in (fitting ``goal``'s metric when one is given)."""
    metric = goal.metric if goal is not None else draw(metrics)
    return CheckIn(
        id=check_in_id if check_in_id is not None else draw(ids),
        goal_id=goal.id if goal is not None else draw(ids),
        author=draw(ids),
        at=draw(aware_datetimes),
        confidence=draw(st.none() | unit_floats),
        note=draw(texts),
        **draw(readings(metric)),
    )


@st.composite
def goal_sets(draw: st.DrawFn, max_goals: int = 12, max_check_ins: int = 20) -> GoalSet:
    """A valid goal set: goal ``i`` may align only to goals made before it (so no loops), given
    in a shuffled order, with check-ins that fit their goals."""
    n = draw(st.integers(1, max_goals))
    names = draw(st.lists(simple_ids, min_size=n, max_size=n, unique=True))
    made: list[Goal] = []
    for i, name in enumerate(names):
        made.append(draw(goals(goal_id=name, parents=tuple(names[:i]))))
    count = draw(st.integers(0, max_check_ins))
    found = [
        draw(check_ins(goal=draw(st.sampled_from(made)), check_in_id=f"c{k}")) for k in range(count)
    ]
    return GoalSet(goals=draw(st.permutations(made)), check_ins=found)


progress_parts = st.builds(ProgressPart, goal_id=ids, weight=weights, value=reals)


@st.composite
def progresses(draw: st.DrawFn) -> Progress:
    source = draw(st.sampled_from(ProgressSource))
    common = {"goal_id": draw(ids), "as_of": draw(st.none() | aware_datetimes)}
    if source is ProgressSource.ROLLUP:
        return Progress(
            value=draw(reals),
            source=source,
            strategy=draw(st.sampled_from(rollup_strategy_names())),
            parts=draw(st.lists(progress_parts, min_size=1, max_size=4)),
            **common,
        )
    if source is ProgressSource.CHECK_IN:
        return Progress(value=draw(reals), source=source, check_in_id=draw(ids), **common)
    return Progress(value=0.0, source=source, **common)


weight_reports = st.builds(
    WeightReport,
    require_sum_to_one=st.booleans(),
    owners=st.lists(
        st.builds(
            OwnerWeights,
            owner=owners,
            cycle_id=st.none() | ids,
            goal_ids=st.lists(ids, max_size=3),
            total=reals,
        ),
        max_size=3,
    ),
    parents=st.lists(
        st.builds(ParentWeights, parent_id=ids, goal_ids=st.lists(ids, max_size=3), total=reals),
        max_size=3,
    ),
)

revisable_goals = goals().filter(
    lambda g: g.status not in (GoalStatus.COMPLETED, GoalStatus.MISSED, GoalStatus.ARCHIVED)
)


@st.composite
def goal_revisions(draw: st.DrawFn) -> GoalRevision:
    goal = draw(revisable_goals)
    _, record = goal.revise(
        draw(ids), draw(aware_datetimes), draw(titles), title=goal.title + " (revised)"
    )
    return record

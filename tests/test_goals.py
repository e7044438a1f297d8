"""Goals, check-ins, the goal set (references, loops, queries, rollups, weights), the workflow."""

from __future__ import annotations

import contextlib
import itertools
import math
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit import (
    DocumentError,
    HierarchyLoopError,
    NotFoundError,
    PerfkitError,
    TransitionError,
    UnknownReferenceError,
    ValidationError,
    WorkflowEvent,
)
from perfkit.goals import (
    GOAL_WORKFLOW,
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
from perfkit.rollup import (
    ALL_OR_NOTHING,
    MINIMUM,
    SUM_TOWARD_TARGET,
    WEIGHTED_MEAN,
    ProgressPart,
    ProgressSource,
)

from .strategies.common import aware_datetimes, simple_ids
from .strategies.goals import (
    alignments,
    check_ins,
    goal_revisions,
    goal_sets,
    goals,
    owners,
    revisable_goals,
    weight_reports,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
COMPANY = Owner(kind=OwnerKind.COMPANY, id="acme")
SALES = Owner(kind=OwnerKind.UNIT, id="u-sales")
ANA = Owner(kind=OwnerKind.EMPLOYEE, id="e-ana")
PERCENT = NumericMetric(baseline=0, target=100, unit="%")


def goal(
    goal_id: str,
    *parents: str | tuple[str, float],
    metric: Metric = PERCENT,
    owner: Owner = SALES,
    **fields: Any,
) -> Goal:
    """A Q1 goal aligned to ``parents`` (an id, or ``(id, weight)``)."""
    aligned = [
        Alignment(parent_id=p, weight=1.0)
        if isinstance(p, str)
        else Alignment(parent_id=p[0], weight=p[1])
        for p in parents
    ]
    if fields.get("status") is GoalStatus.PROPOSED:
        fields.setdefault("proposed_by", "e-ana")  # a proposal names who made it
    return Goal(
        id=goal_id,
        title=f"Goal {goal_id}",
        owner=owner,
        aligns_to=aligned,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 3, 31),
        metric=metric,
        **fields,
    )


def check(check_id: str, goal_id: str, day: int = 0, **reading: Any) -> CheckIn:
    return CheckIn(
        id=check_id, goal_id=goal_id, author="e-ana", at=T0 + timedelta(days=day), **reading
    )


# --- single objects --------------------------------------------------------------------------


def test_seed_goal_support_tickets() -> None:
    g = Goal(
        id="g-tickets",
        title="Resolve 95% of support tickets within 24 hours",
        owner=Owner(kind=OwnerKind.EMPLOYEE, id="e-sam"),
        cycle_id="2026-q1",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 3, 31),
        metric=NumericMetric(baseline=80, target=95, unit="%"),
    )
    assert g.status is GoalStatus.DRAFT
    assert g.revision == 1
    assert g.weight == 1.0
    assert g.description == ""


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"weight": -0.2}, ValidationError, r"^weight: -0\.2 is not positive$"),
        ({"weight": "1"}, ValidationError, r"^weight: '1' is not a number$"),
        ({"title": "  "}, ValidationError, r"^title: '  ' must not be empty$"),
        ({"end_date": date(2025, 12, 31)}, ValidationError, r"^end_date: .* is before start_date"),
        ({"start_date": T0}, ValidationError, r"^start_date: datetime.* is not a date$"),
        ({"revision": 0}, ValidationError, r"^revision: 0 is not at least 1$"),
        ({"revision": True}, ValidationError, r"^revision: True is not an integer$"),
        ({"status": "drafty"}, ValidationError, r"^status: 'drafty' is not a GoalStatus"),
        ({"metric": "numeric"}, ValidationError, r"^metric: 'numeric' is not a NumericMetric or"),
        ({"owner": "e-ana"}, ValidationError, r"^owner: 'e-ana' is not an Owner$"),
        ({"proposed_by": ""}, ValidationError, r"^proposed_by: '' is not a valid id"),
        (
            {"aligns_to": [Alignment(parent_id="p"), Alignment(parent_id="p", weight=2)]},
            ValidationError,
            r"^aligns_to\[1\]: 'p' repeats the parent goal id of aligns_to\[0\]$",
        ),
        (
            {"aligns_to": [Alignment(parent_id="p"), Alignment(parent_id="g1")]},
            HierarchyLoopError,
            r"^aligns_to\[1\]\.parent_id: goal alignment loops: g1 -> g1$",
        ),
        ({"aligns_to": ["p"]}, ValidationError, r"^aligns_to\[0\]: 'p' is not an Alignment$"),
    ],
)
def test_goal_errors_name_the_field(fields: dict[str, Any], error: type, message: str) -> None:
    base = goal("g1")
    with pytest.raises(error, match=message):
        attrs.evolve(base, **fields)


def test_a_loop_of_length_one_is_named() -> None:
    with pytest.raises(HierarchyLoopError, match="goal alignment loops: g1 -> g1") as info:
        goal("g1", "g1")
    assert info.value.loop == ("g1", "g1")


def test_alignment_and_owner_errors() -> None:
    with pytest.raises(ValidationError, match=r"^weight: 0\.0 is not positive$"):
        Alignment(parent_id="p", weight=0)
    with pytest.raises(ValidationError, match=r"^parent_id: 5 is not a string id$"):
        Alignment(parent_id=5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^kind: 'team' is not an OwnerKind"):
        Owner(kind="team", id="t")  # type: ignore[arg-type]
    assert str(ANA) == "employee:e-ana"


def test_check_in_errors() -> None:
    with pytest.raises(ValidationError, match=r"^at: .* is a naive datetime"):
        CheckIn(id="c", goal_id="g", author="e", at=datetime(2026, 1, 1), value=1)
    with pytest.raises(ValidationError, match=r"^confidence: 1\.5 is not between 0 and 1$"):
        check("c", "g", value=1, confidence=1.5)
    with pytest.raises(ValidationError, match=r"^value: nan is not a finite number$"):
        check("c", "g", value=math.nan)
    with pytest.raises(ValidationError, match=r"^done: 1 is not a bool$"):
        check("c", "g", done=1)
    with pytest.raises(ValidationError, match=r"^milestones_done\[1\]: 'm' repeats the milestone"):
        check("c", "g", milestones_done=["m", "m"])
    assert check("c", "g", value=3, confidence=1).value == 3.0


# --- the goal set: references and loops ------------------------------------------------------


def test_repeated_goal_ids_are_refused() -> None:
    with pytest.raises(
        ValidationError, match=r"^goals\[2\]: 'a' repeats the goal id of goals\[0\]"
    ):
        GoalSet(goals=[goal("a"), goal("b"), goal("a")])
    with pytest.raises(ValidationError, match=r"^check_ins\[1\]: 'c' repeats the check-in id"):
        GoalSet(goals=[goal("a")], check_ins=[check("c", "a", value=1), check("c", "a", value=2)])


def test_dangling_parent_names_its_path() -> None:
    with pytest.raises(
        UnknownReferenceError,
        match=r"^goals\[3\]\.aligns_to\[1\]\.parent_id: 'g-nowhere' is not a goal in this set$",
    ):
        GoalSet(goals=[goal("a"), goal("b", "a"), goal("c"), goal("d", "c", "g-nowhere")])


def test_loop_of_length_two_is_named() -> None:
    with pytest.raises(HierarchyLoopError) as info:
        GoalSet(goals=[goal("root"), goal("b", "a", "root"), goal("a", "b")])
    assert info.value.loop == ("a", "b", "a")
    assert str(info.value) == "goals[2].aligns_to[0].parent_id: goal alignment loops: a -> b -> a"


def test_loop_of_length_n_is_named() -> None:
    ring = [goal(f"g{i}", f"g{(i + 1) % 5}") for i in range(5)]
    with pytest.raises(HierarchyLoopError, match="g0 -> g1 -> g2 -> g3 -> g4 -> g0"):
        GoalSet(goals=[*ring[2:], goal("other", "g3"), *ring[:2]])


@given(st.integers(2, 8), st.randoms(use_true_random=False))
def test_the_loop_named_does_not_depend_on_input_order(n: int, rnd: random.Random) -> None:
    ring = [goal(f"g{i}", f"g{(i + 1) % n}", "hub") for i in range(n)]
    # "entry" sorts first and reaches the loop at its last goal, not at its smallest id.
    items = [*ring, goal("hub"), goal("leaf", "g1"), goal("entry", f"g{n - 1}")]
    rnd.shuffle(items)
    with pytest.raises(HierarchyLoopError) as info:
        GoalSet(goals=items)
    assert info.value.loop == (*(f"g{i}" for i in range(n)), "g0")
    index = int(info.value.path.split("]")[0].split("[")[1])
    assert items[index].id == "g0"


def test_a_deep_loop_is_found_without_recursion() -> None:
    n = 20_000
    chain = [goal(f"g{i}", f"g{i + 1}") for i in range(n - 1)]
    with pytest.raises(HierarchyLoopError, match=r"g0 -> g1 -> .* -> g19999 -> g0"):
        GoalSet(goals=[*chain, goal(f"g{n - 1}", "g0")])


def test_check_ins_must_name_a_goal_and_fit_its_metric() -> None:
    binary = goal("b", metric=BinaryMetric())
    with pytest.raises(UnknownReferenceError, match=r"^check_ins\[1\]\.goal_id: 'x' is not a goal"):
        GoalSet(goals=[binary], check_ins=[check("c0", "b", done=True), check("c1", "x", value=1)])
    numeric = goal("n")
    readings = [check(f"c{i}", "n", value=i) for i in range(5)]
    with pytest.raises(
        ValidationError, match=r"^check_ins\[5\]\.value: None is required for a numeric metric$"
    ):
        GoalSet(goals=[numeric], check_ins=[*readings, check("c5", "n", done=True)])
    project = goal("p", metric=MilestoneMetric(milestones=[Milestone(id="m1", title="One")]))
    with pytest.raises(
        UnknownReferenceError, match=r"^check_ins\[0\]\.milestones_done\[0\]: 'm9' is not a"
    ):
        GoalSet(goals=[project], check_ins=[check("c", "p", milestones_done=["m9"])])


# --- queries ---------------------------------------------------------------------------------


def cascade() -> GoalSet:
    """acme's objective ← sales ← EMEA, APAC; support ← the shared CRM project (also sales)."""
    return GoalSet(
        goals=[
            goal("g-emea", ("g-sales", 2)),
            goal("g-crm", "g-sales", "g-support", metric=BinaryMetric(), owner=ANA),
            goal("g-acme", owner=COMPANY),
            goal("g-apac", ("g-sales", 1)),
            goal("g-sales", "g-acme"),
            goal("g-support", ("g-acme", 3), owner=Owner(kind=OwnerKind.UNIT, id="u-support")),
        ],
        check_ins=[
            check("c3", "g-emea", day=20, value=80),
            check("c1", "g-emea", day=10, value=40),
            check("c2", "g-apac", day=10, value=62),
            check("c4", "g-crm", day=30, done=True),
            check("c0", "g-support", day=1, value=99),  # ignored: g-support rolls up
        ],
    )


def ids_of(items: Sequence[Goal]) -> list[str]:
    return [g.id for g in items]


def test_structure_queries_answer_in_id_order() -> None:
    gs = cascade()
    assert gs.goal("g-crm").owner == ANA
    assert ids_of(gs.contributors("g-sales")) == ["g-apac", "g-crm", "g-emea"]
    assert ids_of(gs.contributors("g-emea")) == []
    assert ids_of(gs.parents("g-crm")) == ["g-sales", "g-support"]
    assert ids_of(gs.roots()) == ["g-acme"]
    assert ids_of(gs.descendants("g-acme")) == ["g-apac", "g-crm", "g-emea", "g-sales", "g-support"]
    assert ids_of(gs.descendants("g-support")) == ["g-crm"]
    assert ids_of(gs.goals_of(SALES)) == ["g-apac", "g-emea", "g-sales"]
    assert ids_of(gs.goals_of(Owner(kind=OwnerKind.EMPLOYEE, id="e-zed"))) == []


def test_check_ins_are_chronological_and_cut_at_as_of() -> None:
    gs = cascade()
    assert [c.id for c in gs.check_ins_for("g-emea")] == ["c1", "c3"]
    assert [c.id for c in gs.check_ins_for("g-emea", as_of=T0 + timedelta(days=15))] == ["c1"]
    exactly = T0 + timedelta(days=20)
    assert gs.latest_check_in("g-emea", as_of=exactly).id == "c3"  # type: ignore[union-attr]
    assert gs.latest_check_in("g-emea", as_of=T0) is None
    assert gs.check_ins_for("g-acme") == ()
    assert gs.attainment("g-emea") == 0.8
    assert gs.attainment("g-emea", as_of=T0 + timedelta(days=15)) == 0.4
    assert gs.attainment("g-acme") == 0.0


def test_same_instant_check_ins_are_ordered_by_id() -> None:
    other_zone = T0.astimezone(timezone(timedelta(hours=2)))
    gs = GoalSet(
        goals=[goal("g")],
        check_ins=[
            CheckIn(id="b", goal_id="g", author="e", at=T0, value=10),
            CheckIn(id="a", goal_id="g", author="e", at=other_zone, value=20),
        ],
    )
    assert [c.id for c in gs.check_ins_for("g")] == ["a", "b"]
    assert gs.attainment("g") == 0.1


def test_unknown_ids_and_bad_arguments_are_perfkit_errors() -> None:
    gs = cascade()
    for query in (gs.goal, gs.contributors, gs.parents, gs.descendants, gs.check_ins_for,
                  gs.latest_check_in, gs.attainment, gs.progress):  # fmt: skip
        with pytest.raises(NotFoundError, match="no goal with id 'g-nope'"):
            query("g-nope")  # type: ignore[operator]
        with pytest.raises(ValidationError, match=r"^goal_id: \['g'\] is not a string id$"):
            query(["g"])  # type: ignore[operator]
    with pytest.raises(ValidationError, match=r"^as_of: .* is a naive datetime"):
        gs.progress("g-emea", as_of=datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match=r"^owner: 'e-ana' is not an Owner$"):
        gs.goals_of("e-ana")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^strategy: 'median' is not a rollup strategy"):
        gs.progress("g-sales", strategy="median")
    with pytest.raises(ValidationError, match=r"^require_sum_to_one: 1 is not a bool$"):
        gs.weight_report(1)  # type: ignore[arg-type]


# --- progress and rollups --------------------------------------------------------------------


def test_rollup_by_hand_with_a_shared_contributor() -> None:
    gs = cascade()
    emea = gs.progress("g-emea")
    assert (emea.value, emea.source, emea.check_in_id) == (0.8, ProgressSource.CHECK_IN, "c3")
    # g-sales = (2 × 0.80 + 1 × 0.62 + 1 × 1.0) / 4 = 0.805
    sales = gs.progress("g-sales")
    assert sales.source is ProgressSource.ROLLUP
    assert sales.strategy == "weighted_mean"
    assert sales.parts == (
        ProgressPart(goal_id="g-apac", weight=1, value=0.62),
        ProgressPart(goal_id="g-crm", weight=1, value=1.0),
        ProgressPart(goal_id="g-emea", weight=2, value=0.8),
    )
    assert sales.value == pytest.approx(0.805)
    assert sales.sentence() == (
        "g-sales 0.81 = weighted mean of g-apac 0.62 (w 1), g-crm 1.00 (w 1) and g-emea 0.80 (w 2)"
    )
    # g-support has one contributor, the CRM project (shared with sales): exactly its value.
    assert gs.progress("g-support").value == 1.0
    # g-acme = (1 × 0.805 + 3 × 1.0) / 4 = 0.95125
    assert gs.progress("g-acme").value == pytest.approx(0.95125)
    assert gs.progress("g-acme", strategy=MINIMUM).value == pytest.approx(0.62)
    assert gs.progress("g-acme", strategy="minimum").strategy == "minimum"
    assert gs.progress("g-acme", strategy=ALL_OR_NOTHING).value == 0.0
    # As of day 15 EMEA is at 0.40 and the CRM project is not done yet.
    day15 = gs.progress("g-sales", as_of=T0 + timedelta(days=15))
    assert day15.value == pytest.approx((2 * 0.4 + 0.62 + 0.0) / 4)
    assert day15.as_of == T0 + timedelta(days=15)


def test_a_goal_without_contributors_or_check_ins_is_at_zero() -> None:
    progress = GoalSet(goals=[goal("g")]).progress("g")
    assert (progress.value, progress.source, progress.parts) == (0.0, ProgressSource.NONE, ())
    assert progress.sentence() == "g 0.00 = no check-in yet"


def test_sum_toward_target_adds_shares_of_the_target() -> None:
    gs = GoalSet(
        goals=[goal("sales"), goal("emea", ("sales", 0.6)), goal("apac", ("sales", 0.4))],
        check_ins=[check("c1", "emea", value=90), check("c2", "apac", value=110)],
    )
    assert gs.progress("sales", strategy=SUM_TOWARD_TARGET).value == pytest.approx(0.98)


def test_archived_contributors_leave_the_rollup() -> None:
    gs = GoalSet(
        goals=[
            goal("parent"),
            goal("kept", "parent"),
            goal("dropped", "parent", status=GoalStatus.ARCHIVED),
            goal("lone", "solo"),
            goal("solo"),
        ],
        check_ins=[check("c1", "kept", value=50), check("c2", "solo", value=30)],
    )
    assert [p.goal_id for p in gs.progress("parent").parts] == ["kept"]
    assert gs.progress("parent").value == 0.5
    assert ids_of(gs.contributors("parent")) == ["dropped", "kept"]
    archived_only = GoalSet(
        goals=[goal("solo"), goal("lone", "solo", status=GoalStatus.ARCHIVED)],
        check_ins=[check("c2", "solo", value=30)],
    )
    assert archived_only.progress("solo").source is ProgressSource.CHECK_IN
    assert archived_only.progress("solo").value == pytest.approx(0.3)


def test_a_strategy_that_returns_nonsense_is_named() -> None:
    class Broken:
        name = "broken"

        def combine(self, parts: Sequence[tuple[float, float]]) -> float:
            return math.nan

    with pytest.raises(ValidationError, match=r"^strategy: 'broken' returned nan, which is not"):
        cascade().progress("g-sales", strategy=Broken())


class Counting:
    """Weighted mean that counts its calls: each goal must be combined once per rollup."""

    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def combine(self, parts: Sequence[tuple[float, float]]) -> float:
        self.calls += 1
        return WEIGHTED_MEAN.combine(parts)


def test_shared_contributors_are_computed_once() -> None:
    """A ladder of 60 levels, each goal aligned to both goals of the level above: 2^60 paths,
    120 goals. The rollup combines each goal with contributors exactly once."""
    levels = 60
    items = [goal("top")]
    items += [goal(f"l1-{s}", "top") for s in "ab"]
    for i in range(2, levels + 1):
        items += [goal(f"l{i}-{s}", f"l{i - 1}-a", f"l{i - 1}-b") for s in "ab"]
    leaves = [check(f"c-{s}", f"l{levels}-{s}", value=v) for s, v in (("a", 40), ("b", 60))]
    gs = GoalSet(goals=items, check_ins=leaves)
    counter = Counting()
    assert gs.progress("top", strategy=counter).value == pytest.approx(0.5)
    assert counter.calls == 1 + 2 * (levels - 1)


def test_a_deep_chain_of_20000_goals_rolls_up_without_recursion() -> None:
    n = 20_000
    chain = [goal("g0"), *(goal(f"g{i}", f"g{i - 1}") for i in range(1, n))]
    gs = GoalSet(goals=chain, check_ins=[check("c", f"g{n - 1}", value=37)])
    progress = gs.progress("g0")
    assert progress.value == 0.37  # one contributor per level: passed through exactly
    assert progress.parts == (ProgressPart(goal_id="g1", weight=1.0, value=0.37),)
    assert len(gs.descendants("g0")) == n - 1


def model_attainment(metric: Metric, c: CheckIn) -> float:
    if isinstance(metric, NumericMetric):
        assert c.value is not None
        return max(0.0, (c.value - metric.baseline) / (metric.target - metric.baseline))
    if isinstance(metric, BinaryMetric):
        return 1.0 if c.done else 0.0
    total = sum(m.weight for m in metric.milestones)
    return sum(m.weight for m in metric.milestones if m.id in c.milestones_done) / total


def model_progress(gs: GoalSet, goal_id: str, as_of: datetime | None) -> float:
    """The rollup as the brief states it, by plain recursion over the whole set."""
    kids = sorted(
        (g.id, a.weight)
        for g in gs.goals
        for a in g.aligns_to
        if a.parent_id == goal_id and g.status is not GoalStatus.ARCHIVED
    )
    if kids:
        total = sum(w for _, w in kids)
        return sum(w / total * model_progress(gs, c, as_of) for c, w in kids)
    seen = [c for c in gs.check_ins if c.goal_id == goal_id and (as_of is None or c.at <= as_of)]
    if not seen:
        return 0.0
    latest = max(seen, key=lambda c: (c.at, c.id))
    metric = next(g.metric for g in gs.goals if g.id == goal_id)
    return model_attainment(metric, latest)


@given(goal_sets(), st.none() | aware_datetimes)
def test_progress_matches_the_brute_force_model(gs: GoalSet, as_of: datetime | None) -> None:
    for g in gs.goals:
        got = gs.progress(g.id, as_of).value
        assert got == pytest.approx(model_progress(gs, g.id, as_of), rel=1e-9, abs=1e-9)


@given(goal_sets(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(gs: GoalSet, rnd: random.Random) -> None:
    goals_, readings = list(gs.goals), list(gs.check_ins)
    rnd.shuffle(goals_)
    rnd.shuffle(readings)
    shuffled = GoalSet(goals=goals_, check_ins=readings)
    for g in gs.goals:
        assert shuffled.progress(g.id) == gs.progress(g.id)
        assert shuffled.contributors(g.id) == gs.contributors(g.id)
        assert shuffled.check_ins_for(g.id) == gs.check_ins_for(g.id)
    assert shuffled.roots() == gs.roots()
    assert shuffled.weight_report(True) == gs.weight_report(True)


@given(goal_sets(max_check_ins=0), st.data())
def test_raising_a_leaf_never_lowers_a_weighted_mean_rollup(
    gs: GoalSet, data: st.DataObject
) -> None:
    numeric = [g for g in gs.goals if isinstance(g.metric, NumericMetric)]
    if not numeric:
        return
    leaf = data.draw(st.sampled_from(numeric))
    assert isinstance(leaf.metric, NumericMetric)
    low = data.draw(st.floats(0.0, 2.0))
    high = data.draw(st.floats(low, 3.0))
    span = leaf.metric.target - leaf.metric.baseline

    def with_reading(share: float) -> GoalSet:
        value = leaf.metric.baseline + share * span  # type: ignore[union-attr]
        return attrs.evolve(gs, check_ins=[check("c", leaf.id, value=value)])

    before, after = with_reading(low), with_reading(high)
    for g in gs.goals:
        assert after.progress(g.id).value >= before.progress(g.id).value


# --- weights ---------------------------------------------------------------------------------


def test_weight_report_by_hand() -> None:
    gs = GoalSet(
        goals=[
            goal("a1", owner=ANA, cycle_id="q1", weight=0.5),
            goal("a2", owner=ANA, cycle_id="q1", weight=0.3),
            goal("a3", owner=ANA, cycle_id="q2", weight=1.0),
            goal("a4", owner=ANA, cycle_id="q1", weight=0.2, status=GoalStatus.ARCHIVED),
            goal("s1", owner=SALES, weight=0.1),
            goal("s2", owner=SALES, weight=0.2),
            goal("s3", owner=SALES, weight=0.7),
            goal("k1", ("s1", 0.6), owner=ANA, cycle_id="q2"),
            goal("k2", ("s1", 0.4), ("s2", 0.5), owner=ANA, cycle_id="q2"),
        ]
    )
    report = gs.weight_report(require_sum_to_one=True)
    assert [(str(o.owner), o.cycle_id, o.goal_ids, o.total) for o in report.owners] == [
        ("unit:u-sales", None, ("s1", "s2", "s3"), pytest.approx(1.0)),
        ("employee:e-ana", "q1", ("a1", "a2"), pytest.approx(0.8)),
        ("employee:e-ana", "q2", ("a3", "k1", "k2"), 3.0),
    ]
    assert [(p.parent_id, p.goal_ids, p.total) for p in report.parents] == [
        ("s1", ("k1", "k2"), 1.0),
        ("s2", ("k2",), 0.5),
    ]
    assert [(str(o.owner), o.cycle_id) for o in report.unbalanced_owners] == [
        ("employee:e-ana", "q1"),
        ("employee:e-ana", "q2"),
    ]
    assert [p.parent_id for p in report.unbalanced_parents] == ["s2"]
    assert not report.ok
    relaxed = gs.weight_report()
    assert relaxed.owners == report.owners
    assert relaxed.unbalanced_owners == relaxed.unbalanced_parents == ()
    assert relaxed.ok
    # Weights are reported, never changed.
    assert [g.weight for g in gs.goals][:2] == [0.5, 0.3]


def test_sum_of_one_is_judged_within_1e_9() -> None:
    assert OwnerWeights(owner=ANA, goal_ids=["a"], total=1 + 1e-10).sums_to_one
    assert not OwnerWeights(owner=ANA, goal_ids=["a"], total=1 + 1e-8).sums_to_one
    assert ParentWeights(parent_id="p", goal_ids=["a", "b", "c"], total=0.1 + 0.2 + 0.7).sums_to_one


# --- the workflow ----------------------------------------------------------------------------

MOVES = {
    "propose": (GoalStatus.DRAFT, GoalStatus.PROPOSED),
    "agree": (GoalStatus.PROPOSED, GoalStatus.AGREED),
    "start": (GoalStatus.AGREED, GoalStatus.IN_PROGRESS),
    "complete": (GoalStatus.IN_PROGRESS, GoalStatus.COMPLETED),
    "miss": (GoalStatus.IN_PROGRESS, GoalStatus.MISSED),
}
FINAL = (GoalStatus.COMPLETED, GoalStatus.MISSED, GoalStatus.ARCHIVED)


@pytest.mark.parametrize("method", sorted(MOVES))
def test_every_forward_move(method: str) -> None:
    before, after = MOVES[method]
    g = goal("g1", status=before, proposed_by="e-manager")
    moved, event = getattr(g, method)("e-ana", T0, note="1:1")
    assert moved.status is after
    assert event == WorkflowEvent(
        subject_type="goal",
        subject_id="g1",
        from_state=str(before),
        to_state=str(after),
        actor="e-ana",
        at=T0,
        note="1:1",
    )
    assert attrs.evolve(moved, status=before, proposed_by=g.proposed_by) == g


@pytest.mark.parametrize("status", [s for s in GoalStatus if s not in FINAL])
def test_archive_from_every_open_state(status: GoalStatus) -> None:
    archived, event = goal("g1", status=status).archive("e-manager", T0, "reorganisation")
    assert archived.status is GoalStatus.ARCHIVED
    assert (event.from_state, event.to_state, event.note) == (status, "archived", "reorganisation")


def test_the_workflow_table() -> None:
    allowed = {s: sorted(GOAL_WORKFLOW.allowed(s)) for s in GoalStatus}
    assert allowed == {
        GoalStatus.DRAFT: ["archived", "proposed"],
        GoalStatus.PROPOSED: ["agreed", "archived", "draft"],
        GoalStatus.AGREED: ["archived", "in_progress"],
        GoalStatus.IN_PROGRESS: ["archived", "completed", "missed"],
        GoalStatus.COMPLETED: [],
        GoalStatus.MISSED: [],
        GoalStatus.ARCHIVED: [],
    }


def test_goals_are_set_together() -> None:
    """Ana proposes, her manager agrees: the proposer alone cannot agree."""
    draft = goal("g1", owner=ANA)
    proposed, _ = draft.propose("e-ana", T0)
    assert proposed.proposed_by == "e-ana"
    with pytest.raises(
        TransitionError,
        match=r"goal 'g1': cannot go from 'proposed' to 'agreed': 'e-ana' proposed it, so "
        r"agreement needs the other party",
    ):
        proposed.agree("e-ana", T0)
    agreed, event = proposed.agree("e-manager", T0 + timedelta(hours=1))
    assert agreed.status is GoalStatus.AGREED
    assert event.actor == "e-manager"


def test_reject_sends_a_proposal_back_to_draft_with_a_reason() -> None:
    proposed, _ = goal("g1").propose("e-manager", T0)
    with pytest.raises(ValidationError, match=r"^note: '' must not be empty$"):
        proposed.reject("e-ana", T0, "")
    draft, event = proposed.reject("e-ana", T0, "target too high for Q1")
    assert draft.status is GoalStatus.DRAFT
    assert event.note == "target too high for Q1"
    with pytest.raises(TransitionError, match="cannot go from 'draft' to 'draft'"):
        draft.reject("e-ana", T0, "again")


@pytest.mark.parametrize(
    ("status", "method", "current", "target", "allowed"),
    [
        (GoalStatus.DRAFT, "agree", "draft", "agreed", "archived, proposed"),
        (GoalStatus.DRAFT, "start", "draft", "in_progress", "archived, proposed"),
        (GoalStatus.AGREED, "complete", "agreed", "completed", "archived, in_progress"),
        (GoalStatus.PROPOSED, "miss", "proposed", "missed", "agreed, archived, draft"),
        (GoalStatus.IN_PROGRESS, "propose", "in_progress", "proposed",
         "archived, completed, missed"),
        (GoalStatus.COMPLETED, "archive", "completed", "archived", r"none \(final state\)"),
        (GoalStatus.MISSED, "start", "missed", "in_progress", r"none \(final state\)"),
        (GoalStatus.ARCHIVED, "propose", "archived", "proposed", r"none \(final state\)"),
    ],
)  # fmt: skip
def test_refused_moves_say_what_is_allowed(
    status: GoalStatus, method: str, current: str, target: str, allowed: str
) -> None:
    message = (
        f"^goal 'g1': cannot go from '{current}' to '{target}'; allowed from '{current}': "
        f"{allowed}$"
    )
    with pytest.raises(TransitionError, match=message):
        getattr(goal("g1", status=status), method)("e-ana", T0)


def test_workflow_arguments_are_checked() -> None:
    g = goal("g1")
    with pytest.raises(ValidationError, match=r"^at: .* is a naive datetime"):
        g.propose("e-ana", datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match=r"^actor: 7 is not a string id$"):
        g.propose(7, T0)  # type: ignore[arg-type]


# --- revisions -------------------------------------------------------------------------------


def test_revising_an_agreed_goal_needs_a_new_agreement() -> None:
    agreed = goal("g1", owner=ANA, status=GoalStatus.AGREED, proposed_by="e-ana")
    later = T0 + timedelta(days=40)
    revised, record = agreed.revise(
        "e-manager", later, "market shrank", metric=NumericMetric(baseline=0, target=80, unit="%")
    )
    assert revised.revision == 2
    assert revised.status is GoalStatus.PROPOSED
    assert revised.proposed_by == "e-manager"
    assert revised.metric == NumericMetric(baseline=0, target=80, unit="%")
    assert record == GoalRevision(
        goal_id="g1",
        revision=2,
        before=agreed,
        after=revised,
        actor="e-manager",
        at=later,
        reason="market shrank",
    )
    with pytest.raises(TransitionError, match="'e-manager' proposed it"):
        revised.agree("e-manager", later)
    again, _ = revised.agree("e-ana", later)
    assert again.status is GoalStatus.AGREED


def test_revision_history_is_kept() -> None:
    g = goal("g1", status=GoalStatus.IN_PROGRESS)
    history = []
    for i, weight in enumerate([0.5, 0.4, 0.3], start=1):
        g, record = g.revise(f"e-{i}", T0 + timedelta(days=i), f"change {i}", weight=weight)
        history.append(record)
    assert [r.revision for r in history] == [2, 3, 4]
    assert [r.before.weight for r in history] == [1.0, 0.5, 0.4]
    assert [r.after.weight for r in history] == [0.5, 0.4, 0.3]
    assert history[0].before.status is GoalStatus.IN_PROGRESS
    assert [r.after.status for r in history] == [GoalStatus.PROPOSED] * 3
    assert all(a.after == b.before for a, b in itertools.pairwise(history))


def test_a_draft_stays_a_draft_when_revised() -> None:
    draft = goal("g1")
    revised, _ = draft.revise("e-ana", T0, "clearer title", title="Close 40 deals")
    assert (revised.status, revised.proposed_by, revised.revision) == (GoalStatus.DRAFT, None, 2)


@pytest.mark.parametrize("status", FINAL)
def test_closed_goals_cannot_be_revised(status: GoalStatus) -> None:
    with pytest.raises(
        TransitionError,
        match=f"cannot go from '{status}' to 'revised': a {status} goal is closed; set a new goal",
    ):
        goal("g1", status=status).revise("e-ana", T0, "late change", weight=2)


@pytest.mark.parametrize(
    ("args", "changes", "error", "message"),
    [
        (("e-ana", T0, "why"), {"status": "agreed"}, ValidationError,
         r"^changes: \['status'\] cannot be revised \(revisable: aligns_to, cycle_id,"),
        (("e-ana", T0, "why"), {"id": "g2", "revision": 9}, ValidationError,
         r"^changes: \['id', 'revision'\] cannot be revised"),
        (("e-ana", T0, "why"), {}, ValidationError, r"^changes: \{\} is empty"),
        (("e-ana", T0, "why"), {"weight": 1.0}, ValidationError,
         r"^changes: \{'weight': 1.0\} change nothing$"),
        (("e-ana", T0, "why"), {"weight": -1}, ValidationError, r"^weight: -1.0 is not positive$"),
        (("e-ana", T0, "why"), {"aligns_to": [Alignment(parent_id="g1")]}, HierarchyLoopError,
         r"g1 -> g1"),
        (("e-ana", T0, " "), {"weight": 2}, ValidationError, r"^reason: ' ' must not be empty$"),
        (("", T0, "why"), {"weight": 2}, ValidationError, r"^actor: '' is not a valid id"),
        (("e-ana", datetime(2026, 1, 1), "why"), {"weight": 2}, ValidationError,
         r"^at: .* is a naive datetime"),
    ],
)  # fmt: skip
def test_bad_revisions_are_refused(
    args: tuple[Any, ...], changes: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        goal("g1", status=GoalStatus.AGREED).revise(*args, **changes)


def test_a_revision_record_is_consistent() -> None:
    g = goal("g1")
    after, record = g.revise("e-ana", T0, "why", weight=2)
    with pytest.raises(ValidationError, match=r"^after\.id: 'g2' is not goal_id 'g1'$"):
        attrs.evolve(record, after=attrs.evolve(after, id="g2"))
    with pytest.raises(ValidationError, match=r"^after\.revision: 3 is not revision 2$"):
        attrs.evolve(record, after=attrs.evolve(after, revision=3))
    with pytest.raises(ValidationError, match=r"^before\.revision: 2 is not revision 1$"):
        attrs.evolve(record, before=after)


# --- JSON ------------------------------------------------------------------------------------


@given(goals())
def test_goals_round_trip(g: Goal) -> None:
    assert perfkit.loads(perfkit.dumps(g), Goal) == g


@given(check_ins())
def test_check_ins_round_trip(c: CheckIn) -> None:
    assert perfkit.loads(perfkit.dumps(c), CheckIn) == c


@given(owners, alignments)
def test_owners_and_alignments_round_trip(owner: Owner, alignment: Alignment) -> None:
    assert perfkit.loads(perfkit.dumps(owner), Owner) == owner
    assert perfkit.loads(perfkit.dumps(alignment), Alignment) == alignment


@given(goal_sets())
def test_goal_sets_round_trip_and_indexes_stay_out_of_json(gs: GoalSet) -> None:
    text = perfkit.dumps(gs)
    for g in gs.goals:  # fill the cached indexes
        gs.progress(g.id)
    assert perfkit.dumps(gs) == text
    back = perfkit.loads(text, GoalSet)
    assert back == gs
    assert hash(back) == hash(gs)
    assert set(perfkit.unstructure(gs)) == {"goals", "check_ins"}


@given(goal_revisions())
def test_goal_revisions_round_trip(record: GoalRevision) -> None:
    assert perfkit.loads(perfkit.dumps(record), GoalRevision) == record


@given(weight_reports)
def test_weight_reports_round_trip(report: WeightReport) -> None:
    assert perfkit.loads(perfkit.dumps(report), WeightReport) == report


def test_goal_set_json_errors_name_the_path() -> None:
    gs = cascade()
    data = perfkit.unstructure(gs)
    data["goals"][1]["aligns_to"][0]["weight"] = -1
    data["check_ins"][2]["at"] = "2026-01-01T09:00:00"
    with pytest.raises(DocumentError) as info:
        perfkit.structure(data, GoalSet)
    paths = [e.path for e in info.value.errors]
    assert paths == ["goals[1].aligns_to[0].weight", "check_ins[2].at"]
    data = perfkit.unstructure(gs)
    data["goals"][0]["aligns_to"][0]["parent_id"] = "g-nowhere"
    with pytest.raises(DocumentError, match=r"goals\[0\]\.aligns_to\[0\]\.parent_id"):
        perfkit.structure(data, GoalSet)


# --- garbage ---------------------------------------------------------------------------------

garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=4),
    st.lists(st.text(max_size=2), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.just(T0),
    st.just(date(2026, 1, 1)),
    st.just(ANA),
    st.just(PERCENT),
)


@given(st.lists(garbage, min_size=6, max_size=6))
def test_garbage_gives_only_perfkit_errors(junk: list[Any]) -> None:
    a, b, c, d, e, f = junk
    base = goal("g1", status=GoalStatus.AGREED)
    gs = cascade()
    for attempt in (
        lambda: Goal(id=a, title=b, owner=c, start_date=d, end_date=e, metric=f),
        lambda: attrs.evolve(base, aligns_to=a, weight=b, status=c, revision=d),
        lambda: CheckIn(id=a, goal_id="g", author="e", at=b, value=c, done=d, confidence=e),
        lambda: CheckIn(id="c", goal_id="g", author="e", at=T0, milestones_done=a),
        lambda: GoalSet(goals=a, check_ins=b),
        lambda: GoalSet(goals=[base], check_ins=[a]),
        lambda: Owner(kind=a, id=b),
        lambda: Alignment(parent_id=a, weight=b),
        lambda: base.revise(a, b, c, weight=d),
        lambda: base.revise("e", T0, "why", weight=a, title=b, metric=c),
        lambda: base.start(a, b, c),
        lambda: base.reject(a, T0, b),
        lambda: gs.progress(a, b, c),
        lambda: gs.progress("g-sales", a, c),
        lambda: gs.check_ins_for("g-emea", a),
        lambda: gs.goals_of(a),
        lambda: gs.weight_report(a),
        lambda: perfkit.structure({"goals": a, "check_ins": b}, GoalSet),
        lambda: perfkit.loads(str(a), GoalSet),
    ):
        with contextlib.suppress(PerfkitError):
            attempt()


@given(revisable_goals, simple_ids)
def test_revising_any_open_goal_keeps_it_valid(g: Goal, actor: str) -> None:
    revised, record = g.revise(actor, T0, "because", description=g.description + "!")
    assert revised.revision == g.revision + 1
    assert record.before == g
    assert revised.status in (GoalStatus.DRAFT, GoalStatus.PROPOSED)
    assert perfkit.loads(perfkit.dumps(revised), Goal) == revised


def test_direction_down_goal_in_a_set() -> None:
    budget = goal(
        "g-budget",
        metric=NumericMetric(
            baseline=120_000, target=100_000, unit="EUR", direction=Direction.DOWN
        ),
    )
    gs = GoalSet(goals=[budget], check_ins=[check("c", "g-budget", value=95_000)])
    assert gs.progress("g-budget").value == 1.25


def test_a_proposal_names_its_proposer() -> None:
    with pytest.raises(ValidationError, match="proposed_by: is required for a proposed goal"):
        goal("g1", status=GoalStatus.PROPOSED, proposed_by=None)

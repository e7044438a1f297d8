"""Scoring inputs, explanation trees, scores, cut-offs, the policy registry, config reading."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, time
from fractions import Fraction
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit.dataset import CycleData
from perfkit.feedback import Constructive, Praise
from perfkit.goals import GoalStatus, OwnerKind
from perfkit.policies import OkrPolicy
from perfkit.reviews import CriterionRating, Review, ReviewerRole, ReviewStatus
from perfkit.sample import sample_cycle
from perfkit.scales import FIVE_POINT, OKR, PERCENT, THREE_POINT, Rating, ScaleRef
from perfkit.scoring import (
    FIVE_POINT_CUTOFFS,
    Component,
    ConfigReader,
    EmployeeInputs,
    PolicyPluginError,
    RatingCutoffs,
    Score,
    all_inputs,
    cutoffs_for,
    employee_inputs,
    get_policy_factory,
    load_policy,
    make_policy,
    policy_names,
    register_policy,
)

from .strategies.scoring import components, rating_cutoffs, scores
from .strategies.scoring import employee_inputs as inputs_strategy

ValidationError = perfkit.ValidationError
PARIS = ZoneInfo("Europe/Paris")
AS_OF = datetime(2026, 9, 30, 18, 0, tzinfo=PARIS)


# --- inputs from a cycle ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cycle() -> CycleData:
    """The sample company with a few reviews added: a submitted manager review, a shared peer
    review, a draft (not counted) and an archived goal (not counted)."""
    data = sample_cycle(30, seed=7)
    subject = next(g.owner.id for g in data.goals.goals if g.owner.kind is OwnerKind.EMPLOYEE)
    manager = data.organisation.manager(subject)
    assert manager is not None
    peer = next(e.id for e in data.organisation.employees if e.id not in (subject, manager.id))

    def made(rid: str, reviewer: str, role: ReviewerRole, status: ReviewStatus) -> Review:
        return Review(
            id=rid,
            cycle_id=data.cycle.id,
            form_id="annual-2026",
            subject=subject,
            reviewer=reviewer,
            role=role,
            ratings=[
                CriterionRating(criterion_id="ownership", rating=FIVE_POINT.rate(4)),
                CriterionRating(criterion_id="collaboration", rating=FIVE_POINT.rate(2)),
            ],
            status=status,
        )

    added = (
        made("t-manager", manager.id, ReviewerRole.MANAGER, ReviewStatus.SUBMITTED),
        made("t-peer", peer, ReviewerRole.PEER, ReviewStatus.SHARED),
        attrs.evolve(
            made("t-draft", peer, ReviewerRole.PEER, ReviewStatus.SUBMITTED),
            status=ReviewStatus.DRAFT,
        ),
    )
    goals = [
        attrs.evolve(g, status=GoalStatus.ARCHIVED) if g.id == f"{subject}-g2" else g
        for g in data.goals.goals
    ]
    return attrs.evolve(
        data,
        reviews=(*data.reviews, *added),
        goals=attrs.evolve(data.goals, goals=goals),
    )


def _subject(data: CycleData) -> str:
    return next(r.subject for r in data.reviews if r.id == "t-manager")


def test_employee_inputs_from_a_cycle(cycle: CycleData) -> None:
    who = _subject(cycle)
    inputs = employee_inputs(cycle, who, AS_OF)
    assert inputs.employee_id == who
    # Goals: the ones the employee owns, archived ones left out, by id.
    owned = sorted(
        g.id for g in cycle.goals.goals if g.owner.id == who and g.owner.kind is OwnerKind.EMPLOYEE
    )
    assert f"{who}-g2" in owned
    assert [g.goal_id for g in inputs.goals] == [i for i in owned if i != f"{who}-g2"]
    for g in inputs.goals:
        goal = cycle.goals.goal(g.goal_id)
        assert g.attainment == cycle.goals.attainment(g.goal_id, AS_OF)
        assert (g.title, g.weight) == (goal.title, goal.weight)
        latest = cycle.goals.latest_check_in(g.goal_id, AS_OF)
        if g.metric_kind == "numeric":
            assert g.value == (None if latest is None else latest.value)
            assert (g.baseline, g.target) == (goal.metric.baseline, goal.metric.target)  # type: ignore[union-attr]
    # Reviews: submitted, shared and acknowledged ones, by id; drafts are not counted.
    expected = sorted(
        r.id for r in cycle.reviews if r.subject == who and r.status is not ReviewStatus.DRAFT
    )
    assert [r.review_id for r in inputs.reviews] == expected
    assert "t-draft" not in expected
    manager = next(r for r in inputs.reviews if r.review_id == "t-manager")
    assert manager.role is ReviewerRole.MANAGER
    assert [(c.criterion_id, c.rating.value, c.normalised) for c in manager.ratings] == [
        ("collaboration", 2.0, 0.25),
        ("ownership", 4.0, 0.75),
    ]
    assert {c.kind.value for c in manager.ratings} == {"competency"}
    assert manager.ratings[0].weight == 0.2
    # Feedback: praise and constructive feedback about them, from the cycle's start to as_of.
    start = datetime.combine(cycle.cycle.start, time(), PARIS)

    def count(kind: type) -> int:
        return sum(
            1
            for e in cycle.feedback.events
            if isinstance(e, kind) and e.subject == who and start <= e.at <= AS_OF
        )

    assert (inputs.praise_count, inputs.constructive_count) == (count(Praise), count(Constructive))


def test_inputs_depend_on_the_moment(cycle: CycleData) -> None:
    who = _subject(cycle)
    early = employee_inputs(cycle, who, datetime(2026, 1, 2, tzinfo=PARIS))
    assert all(g.value is None and g.attainment == 0.0 for g in early.goals)
    assert early.praise_count == 0


def test_all_inputs_cover_goal_owners_and_reviewed_people(cycle: CycleData) -> None:
    everyone = all_inputs(cycle, AS_OF)
    ids = [i.employee_id for i in everyone]
    owners = {
        g.owner.id
        for g in cycle.goals.goals
        if g.owner.kind is OwnerKind.EMPLOYEE and g.status is not GoalStatus.ARCHIVED
    }
    reviewed = {r.subject for r in cycle.reviews if r.status is not ReviewStatus.DRAFT}
    assert ids == sorted(owners | reviewed)
    who = _subject(cycle)
    assert everyone[ids.index(who)] == employee_inputs(cycle, who, AS_OF)
    # Every built-in policy scores everyone with goals.
    for name in ("weighted_components", "okr", "kpi_curve"):
        policy = make_policy(name)
        for one in everyone:
            if one.goals:
                assert policy.score(one).employee_id == one.employee_id


def test_input_errors(cycle: CycleData) -> None:
    with pytest.raises(perfkit.NotFoundError, match="no employee with id 'nobody'"):
        employee_inputs(cycle, "nobody", AS_OF)
    with pytest.raises(ValidationError, match="^as_of: .* is a naive datetime"):
        all_inputs(cycle, datetime(2026, 9, 30))
    with pytest.raises(ValidationError, match="^data: 'x' is not a CycleData"):
        all_inputs("x", AS_OF)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="^employee_id: 3 is not a string id"):
        employee_inputs(cycle, 3, AS_OF)  # type: ignore[arg-type]


def test_someone_without_goals_or_reviews_has_empty_inputs(cycle: CycleData) -> None:
    everyone = {i.employee_id for i in all_inputs(cycle, AS_OF)}
    idle = next(e.id for e in cycle.organisation.employees if e.id not in everyone)
    inputs = employee_inputs(cycle, idle, AS_OF)
    assert (inputs.goals, inputs.reviews) == ((), ())


@given(inputs_strategy())
def test_inputs_round_trip(inputs: EmployeeInputs) -> None:
    assert perfkit.loads(perfkit.dumps(inputs), EmployeeInputs) == inputs


def test_input_validation() -> None:
    with pytest.raises(ValidationError, match="^praise_count: -1 is negative"):
        EmployeeInputs(employee_id="x", praise_count=-1)
    with pytest.raises(ValidationError, match=r"^goals\[0\]: 'g' is not a GoalInput"):
        EmployeeInputs(employee_id="x", goals=["g"])


# --- components and scores --------------------------------------------------------------------


def test_component_rule_is_enforced() -> None:
    with pytest.raises(ValidationError, match=r"^contribution: 1.5 is not weight × input \(1.0\)"):
        Component(name="a", input=2.0, weight=0.5, contribution=1.5)
    part = Component.leaf("p", 0.5, 4.0)
    with pytest.raises(
        ValidationError, match=r"^input: 3.0 is not the sum of its parts' contributions 2.0"
    ):
        Component(name="a", input=3.0, weight=1.0, contribution=3.0, parts=[part])
    with pytest.raises(ValidationError, match="^contribution: 1.0 is not 0 for a missing"):
        Component(name="a", input=None, weight=1.0, contribution=1.0)
    with pytest.raises(ValidationError, match="^weight: -1.0 is negative"):
        Component.leaf("a", -1.0, 2.0)
    with pytest.raises(ValidationError, match="^weight: True is not a number"):
        Component.leaf("a", True, 2.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="^input: nan is not a finite number"):
        Component.leaf("a", 1.0, math.nan)
    with pytest.raises(ValidationError, match=r"^parts: \(\) is not a non-empty sequence"):
        Component.group("a", 1.0, [])
    with pytest.raises(ValidationError, match=r"^parts\[1\]: 'x' is not a Component"):
        Component.group("a", 1.0, [part, "x"])  # type: ignore[list-item]
    group = Component.group("g", 0.4, [part, Component.leaf("q", 0.5, 3.0)], "why")
    # input: 0.5 × 4 + 0.5 × 3 = 3.5; contribution: 0.4 × 3.5 = 1.4
    assert (group.input, group.contribution) == (3.5, 0.4 * 3.5)


def test_score_value_is_the_sum_of_its_components() -> None:
    goals = Component.leaf("goals", 0.6, 3.8)
    competencies = Component.leaf("competencies", 0.4, 3.2)
    score = Score.of("e-1", "weighted_components", FIVE_POINT.ref, [goals, competencies])
    assert score.value == math.fsum([0.6 * 3.8, 0.4 * 3.2])
    assert score.sentence() == "3.56 = goals 0.6 × 3.80 + competencies 0.4 × 3.20"
    assert score.component("goals") is goals
    with pytest.raises(perfkit.NotFoundError, match="no component with id 'sections'"):
        score.component("sections")
    with pytest.raises(ValidationError, match="^value: 3.5 is not the sum of the components'"):
        attrs.evolve(score, value=3.5)
    with pytest.raises(ValidationError, match=r"^components: \(\) is empty; a score has"):
        Score.of("e-1", "p", FIVE_POINT.ref, [])


def test_explain_shows_the_tree() -> None:
    part = Component.group(
        "competencies", 0.4, [Component.leaf("r-1", 0.5, 4.0), Component.leaf("r-2", 0.5, 3.0)]
    )
    score = Score.of(
        "e-1",
        "weighted_components",
        FIVE_POINT.ref,
        [
            Component.leaf("goals", 0.6, 3.0, "on target"),
            part,
            Component.missing("sections", "none"),
        ],
    )
    assert score.explain() == (
        "e-1: 3.20 on five-point v1 by policy weighted_components\n"
        "3.20 = goals 0.6 × 3.00 + competencies 0.4 × 3.50 + sections missing\n"
        "- goals: 0.6 × 3 = 1.8 (on target)\n"
        "- competencies: 0.4 × 3.5 = 1.4\n"
        "  - r-1: 0.5 × 4 = 2\n"
        "  - r-2: 0.5 × 3 = 1.5\n"
        "- sections: missing (none)"
    )


def _check(component: Component) -> None:
    if component.input is not None:
        assert component.contribution == component.weight * component.input
        if component.parts:
            assert component.input == math.fsum(p.contribution for p in component.parts)
    for p in component.parts:
        _check(p)


@given(scores)
def test_scores_round_trip(score: Score) -> None:
    text = perfkit.dumps(score)
    back = perfkit.loads(text, Score)
    assert back == score
    assert perfkit.dumps(back) == text
    assert score.value == math.fsum(c.contribution for c in score.components)


@given(components)
def test_components_obey_the_rule_and_round_trip(component: Component) -> None:
    _check(component)
    assert perfkit.structure(perfkit.unstructure(component), Component) == component


# --- from score to rating ---------------------------------------------------------------------


def test_five_point_cutoffs_boundaries_go_up() -> None:
    rate = FIVE_POINT_CUTOFFS.rate
    assert [rate(x).value for x in (0.2, 1.0, 1.49, 1.5, 2.5, 3.4999999, 3.5, 4.4999, 4.5, 7)] == [
        1,
        1,
        1,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
    ]
    assert rate(3.5) == Rating(scale=FIVE_POINT.ref, value=4.0)
    assert FIVE_POINT_CUTOFFS.describe() == (
        "below 1.5 → 1; 1.5 to < 2.5 → 2; 2.5 to < 3.5 → 3; 3.5 to < 4.5 → 4; 4.5 and above → 5"
    )


@given(st.floats(min_value=-10, max_value=10, allow_nan=False))
def test_five_point_cutoffs_round_half_up(x: float) -> None:
    expected = min(5, max(1, math.floor(Fraction(x) + Fraction(1, 2))))
    assert FIVE_POINT_CUTOFFS.rate(x).value == expected


def test_cutoffs_for_a_scale() -> None:
    assert cutoffs_for(THREE_POINT).cutoffs == ((1.0, 1.0), (1.5, 2.0), (2.5, 3.0))
    assert cutoffs_for(FIVE_POINT) == FIVE_POINT_CUTOFFS
    with pytest.raises(ValidationError, match="^scale: .* is continuous"):
        cutoffs_for(PERCENT)


def test_cutoffs_read_scores_on_their_scale() -> None:
    okr_score = Score.of("e", "okr", OKR.ref, [Component.leaf("k", 1.0, 0.7)])
    with pytest.raises(ValidationError, match="^score.scale: 'okr v1' is not five-point v1"):
        FIVE_POINT_CUTOFFS.rate(okr_score)
    okr_to_five = RatingCutoffs(
        scale=FIVE_POINT.ref,
        score_scale=OKR.ref,
        cutoffs=[(0.0, 1), (0.3, 2), (0.6, 3), (0.8, 4), (0.95, 5)],
    )
    assert okr_to_five.rate(okr_score).value == 3.0
    assert perfkit.loads(perfkit.dumps(okr_to_five), RatingCutoffs) == okr_to_five
    with pytest.raises(ValidationError, match="^score: 'x' is not a number"):
        okr_to_five.rate("x")  # type: ignore[arg-type]


@given(rating_cutoffs(), st.floats(min_value=-1e7, max_value=1e7))
def test_cutoffs_round_trip_and_rate_within_them(cutoffs: RatingCutoffs, x: float) -> None:
    assert perfkit.loads(perfkit.dumps(cutoffs), RatingCutoffs) == cutoffs
    values = [value for _, value in cutoffs.cutoffs]
    got = cutoffs.rate(x).value
    assert got in values
    later = [start for start, _ in cutoffs.cutoffs if start > x]
    assert got == (values[0] if x < cutoffs.cutoffs[0][0] else values[len(values) - len(later) - 1])


def test_cutoffs_are_checked() -> None:
    ref = FIVE_POINT.ref
    with pytest.raises(ValidationError, match=r"^cutoffs\[1\]\[0\]: 1.0 is not above the previous"):
        RatingCutoffs(scale=ref, cutoffs=[(1, 1), (1, 2)])
    with pytest.raises(ValidationError, match=r"^cutoffs\[1\]\[1\]: 1.0 is not above the previous"):
        RatingCutoffs(scale=ref, cutoffs=[(1, 1), (2, 1)])
    with pytest.raises(ValidationError, match=r"^cutoffs: \(\) is empty"):
        RatingCutoffs(scale=ref, cutoffs=[])
    with pytest.raises(ValidationError, match=r"^cutoffs\[0\]: \(1,\) is not a \(lowest score"):
        RatingCutoffs(scale=ref, cutoffs=[(1,)])
    with pytest.raises(ValidationError, match=r"^cutoffs\[0\]\[1\]: 'a' is not a number"):
        RatingCutoffs(scale=ref, cutoffs=[(1, "a")])


# --- the registry ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ConstantPolicy:
    """A test policy: everyone gets ``value`` on the five-point scale."""

    name: ClassVar[str] = "test-constant"
    value: float = 3.0

    @property
    def scale(self) -> ScaleRef:
        return FIVE_POINT.ref

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ConstantPolicy:
        r = ConfigReader(config)
        value = r.number("value", 3.0, low=1, high=5)
        r.finish()
        return cls(value=value)

    def score(self, inputs: EmployeeInputs) -> Score:
        return Score.of(
            inputs.employee_id, self.name, self.scale, [Component.leaf("all", 1.0, self.value)]
        )


def test_builtins_are_registered() -> None:
    assert {"kpi_curve", "okr", "weighted_components"} <= set(policy_names())
    assert get_policy_factory("okr") == OkrPolicy.from_config
    with pytest.raises(
        ValidationError,
        match=r"^policy.name: 'nope' is not a scoring policy \(available: .*kpi_curve, okr, .*"
        r"weighted_components",
    ):
        get_policy_factory("nope")


def test_register_a_policy() -> None:
    register_policy("test-constant", ConstantPolicy.from_config)
    register_policy("test-constant", ConstantPolicy.from_config)  # the same again: harmless
    assert "test-constant" in policy_names()
    policy = make_policy("test-constant", {"value": 4})
    assert policy.score(EmployeeInputs(employee_id="x")).value == 4.0
    with pytest.raises(ValidationError, match="^policy.value: 9 is not between 1 and 5"):
        make_policy("test-constant", {"value": 9})
    with pytest.raises(ValidationError, match="^name: 'test-constant' is already a scoring policy"):
        register_policy("test-constant", OkrPolicy.from_config)
    with pytest.raises(ValidationError, match="^name: 'okr' is already a scoring policy"):
        register_policy("okr", ConstantPolicy.from_config)
    register_policy("okr", OkrPolicy.from_config)  # a built-in's own factory: harmless
    with pytest.raises(ValidationError, match="^name: 'Bad Name' is not a policy name"):
        register_policy("Bad Name", ConstantPolicy.from_config)
    with pytest.raises(ValidationError, match="^factory: 3 is not callable"):
        register_policy("test-three", 3)  # type: ignore[arg-type]


def _boom(config: Mapping[str, Any]) -> Any:
    raise TypeError("boom")


def _not_a_policy(config: Mapping[str, Any]) -> Any:
    return 42


def test_factories_that_misbehave() -> None:
    register_policy("test-boom", _boom)
    register_policy("test-not-a-policy", _not_a_policy)
    with pytest.raises(
        PolicyPluginError, match=r"'test-boom' could not be built \(TypeError: boom\)"
    ):
        make_policy("test-boom")
    with pytest.raises(PolicyPluginError, match="returned 42, which is not a ScoringPolicy"):
        make_policy("test-not-a-policy")


def test_load_policy_from_a_table() -> None:
    assert load_policy({"name": "okr", "average": "weighted"}) == OkrPolicy(average="weighted")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^policy.name: is required \(one of: .*okr"):
        load_policy({"average": "mean"})
    with pytest.raises(ValidationError, match="^policy.name: 3 is not a string"):
        load_policy({"name": 3})
    with pytest.raises(ValidationError, match="^policy: 'okr' is not a table"):
        load_policy("okr")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^policy: \[1\] is not a table"):
        make_policy("okr", [1])  # type: ignore[arg-type]


# --- reading configuration ------------------------------------------------------------------


def test_config_reader() -> None:
    r = ConfigReader(
        {"n": 2, "flag": True, "big": 10**400, "inf": math.inf, "m": 3, "t": {"x": 1}, "a": "s"}
    )
    assert r.number("n", positive=True) == 2.0
    assert r.number("absent", None) is None
    for key, message in (
        ("flag", "policy.flag: True is not a number"),
        ("big", "policy.big: 1000000000000000000000000000000000000000000000000000000000000"),
        ("inf", "policy.inf: inf is not a finite number"),
    ):
        with pytest.raises(ValidationError) as info:
            r.number(key)
        assert str(info.value).startswith(message)
    with pytest.raises(ValidationError, match="^policy.n: 2 is not between 3 and 4"):
        r.number("n", low=3, high=4)
    with pytest.raises(ValidationError, match="^policy.missing: is required"):
        r.number("missing")
    with pytest.raises(ValidationError, match="^policy.m: 3 is not one of 'a', 'b'"):
        r.choice("m", ["a", "b"])
    with pytest.raises(ValidationError, match="^policy.a: 's' is not an array"):
        r.array("a")
    sub = r.table("t")
    assert sub is not None
    with pytest.raises(ValidationError, match=r"^policy.t.x: unknown key \(known: none\)"):
        sub.finish()
    assert r.table("none") is None
    with pytest.raises(ValidationError, match=r"^policy.a: unknown key \(known: none\)$"):
        ConfigReader({"a": 1}).finish()
    with pytest.raises(ValidationError, match=r"^policy: \[1\] is not a table"):
        ConfigReader([1])
    with pytest.raises(ValidationError, match="^policy: 1 is a key that is not a string"):
        ConfigReader({1: 2})
    assert ConfigReader({"b": 1, "a": 2}).keys() == ("a", "b")

"""The built-in scoring policies: weighted components, OKR and KPI payout curves."""

from __future__ import annotations

import math
import random
import tomllib

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit.metrics import Direction
from perfkit.policies import (
    DEFAULT_KPI_CURVE,
    KPI_PAYOUT,
    ON_TARGET,
    ComponentName,
    GoalEvidence,
    KpiCurve,
    KpiCurvePolicy,
    MissingRule,
    OkrAverage,
    OkrPolicy,
    WeightedComponentsPolicy,
    default_curve,
)
from perfkit.reviews import CriterionKind, ReviewerRole
from perfkit.scales import FIVE_POINT, OKR, PERCENT, THREE_POINT, Scale
from perfkit.scoring import (
    FIVE_POINT_CUTOFFS,
    Component,
    CriterionInput,
    EmployeeInputs,
    GoalInput,
    MetricKind,
    ReviewInput,
    Score,
    ScoringPolicy,
    load_policy,
    make_policy,
)

from .strategies.scoring import (
    SCALES,
    employee_inputs,
    kpi_curves,
    kpi_policies,
    okr_policies,
    weighted_components_policies,
)

ValidationError = perfkit.ValidationError
C, S, G = CriterionKind.COMPETENCY, CriterionKind.SECTION, CriterionKind.GOAL


# --- builders for hand-computed examples --------------------------------------------------


def goal(goal_id: str, attainment: float, weight: float = 1.0) -> GoalInput:
    """A numeric goal from 0 to 100 % whose reading gives ``attainment``."""
    return GoalInput(
        goal_id=goal_id,
        title=f"Goal {goal_id}",
        weight=weight,
        metric_kind=MetricKind.NUMERIC,
        unit="%",
        baseline=0.0,
        target=100.0,
        value=100.0 * attainment,
        attainment=attainment,
    )


def rated(
    criterion_id: str,
    value: float,
    kind: CriterionKind = C,
    weight: float = 1.0,
    scale: Scale = FIVE_POINT,
) -> CriterionInput:
    rating = scale.rate(value)
    return CriterionInput(
        criterion_id=criterion_id,
        kind=kind,
        weight=weight,
        rating=rating,
        normalised=scale.normalise(value),
    )


def review(review_id: str, role: ReviewerRole, *ratings: CriterionInput) -> ReviewInput:
    return ReviewInput(review_id=review_id, reviewer=f"by-{review_id}", role=role, ratings=ratings)


M, P, SELF, UP = ReviewerRole.MANAGER, ReviewerRole.PEER, ReviewerRole.SELF, ReviewerRole.UPWARD

GOALS = (goal("g-a", 1.2, weight=0.75), goal("g-b", 0.6, weight=0.25))
REVIEWS = (
    review("r-1", M, rated("collaboration", 4), rated("ownership", 5), rated("results", 2, kind=G)),
    review("r-2", P, rated("collaboration", 3), rated("ownership", 3)),
    review("r-3", P, rated("collaboration", 4), rated("ownership", 4)),
    review("r-4", SELF, rated("collaboration", 5), rated("ownership", 5)),
    review("r-5", UP, rated("collaboration", 1), rated("ownership", 1)),
)
ANNA = EmployeeInputs(employee_id="anna", goals=GOALS, reviews=REVIEWS)


def check_tree(component: Component) -> None:
    """The explanation rule, checked at every node: contribution = weight × input, and a parent's
    input is the exact sum of its parts' contributions."""
    if component.input is None:
        assert component.contribution == 0.0
        assert component.parts == ()
        return
    assert component.contribution == component.weight * component.input
    if component.parts:
        assert component.input == math.fsum(p.contribution for p in component.parts)
    for part in component.parts:
        check_tree(part)


def check_score(score: Score) -> None:
    assert score.value == math.fsum(c.contribution for c in score.components)
    for c in score.components:
        check_tree(c)


# --- weighted_components: hand-computed examples ------------------------------------------


def test_weighted_components_by_hand() -> None:
    policy = WeightedComponentsPolicy()
    score = policy.score(ANNA)
    check_score(score)
    # goals: mean attainment 0.75 × 1.2 + 0.25 × 0.6 = 1.05, on the curve between 1.0 → 3 and
    #   1.15 → 4: 3 + (1.05 - 1.0) / 0.15 = 3.3333
    # competencies: manager (4 + 5) / 2 = 4.5; peers ((3 + 3) / 2 + (4 + 4) / 2) / 2 = 3.5;
    #   self 5; upward weighs 0: (60 × 4.5 + 30 × 3.5 + 10 × 5) / 100 = 4.25
    # score: 0.6 × 3.3333 + 0.4 × 4.25 = 2.0 + 1.7 = 3.7
    goals, competencies = score.components
    assert goals.input == pytest.approx(10 / 3, abs=1e-12)
    assert competencies.input == pytest.approx(4.25, abs=1e-12)
    assert score.value == pytest.approx(3.7, abs=1e-12)
    assert score.sentence() == "3.70 = goals 0.6 × 3.33 + competencies 0.4 × 4.25"
    assert score.scale == FIVE_POINT.ref
    assert score.policy == "weighted_components"
    assert FIVE_POINT_CUTOFFS.rate(score).value == 4.0
    # The tree: the curve's point at 1.0 plus each goal's pull along the segment.
    curve, g_a, g_b = goals.parts
    assert (curve.name, curve.input, curve.weight) == ("curve", 3.0, 1.0)
    assert g_a.input == pytest.approx(0.2)
    assert g_a.weight == pytest.approx(0.75 / 0.15)
    assert g_b.input == pytest.approx(-0.4)
    assert g_b.weight == pytest.approx(0.25 / 0.15)
    roles = {p.name: p for p in competencies.parts}
    assert list(roles) == ["manager", "peer", "self", "upward"]
    assert roles["upward"].weight == 0.0
    assert roles["upward"].contribution == 0.0
    assert roles["peer"].input == 3.5
    assert [r.weight for r in roles["peer"].parts] == [0.5, 0.5]
    assert "r-1" in score.explain()


def test_goals_from_ratings() -> None:
    # The manager rated the goal criterion 2; only the manager rated it, so goals = 2.
    # 0.6 × 2 + 0.4 × 4.25 = 1.2 + 1.7 = 2.9
    score = WeightedComponentsPolicy(goals_from=GoalEvidence.RATINGS).score(ANNA)
    assert score.component("goals").input == 2.0
    assert score.value == pytest.approx(2.9, abs=1e-12)


def test_missing_component_renormalise() -> None:
    only_goals = attrs.evolve(ANNA, reviews=())
    score = WeightedComponentsPolicy().score(only_goals)
    # competencies missing: goals' weight 0.6 rescales to 1; score = goals = 3.3333
    assert score.value == pytest.approx(10 / 3, abs=1e-12)
    assert score.component("goals").weight == 1.0
    missing = score.component("competencies")
    assert (missing.input, missing.weight, missing.contribution) == (None, 0.0, 0.0)
    assert "its weight 0.4 went to the others" in missing.detail
    assert score.sentence() == "3.33 = goals 1 × 3.33 + competencies missing"
    only_reviews = attrs.evolve(ANNA, goals=())
    # goals missing: competencies alone: 4.25
    assert WeightedComponentsPolicy().score(only_reviews).value == 4.25


def test_missing_component_zero_counts_the_scale_minimum() -> None:
    policy = WeightedComponentsPolicy(missing=MissingRule.ZERO)
    # no reviews: 0.6 × 3.3333 + 0.4 × 1 (the lowest rating, not 0) = 2.0 + 0.4 = 2.4
    score = policy.score(attrs.evolve(ANNA, reviews=()))
    assert score.value == pytest.approx(2.4, abs=1e-12)
    assert score.component("competencies").input == 1.0
    # no goals: 0.6 × 1 + 0.4 × 4.25 = 0.6 + 1.7 = 2.3
    assert policy.score(attrs.evolve(ANNA, goals=())).value == pytest.approx(2.3, abs=1e-12)
    # nothing at all: every component at the minimum, 1
    assert policy.score(EmployeeInputs(employee_id="x")).value == 1.0
    # On a scale that starts at 0, a missing component contributes 0: 0.6 × 50 + 0.4 × 0 = 30
    percent = WeightedComponentsPolicy(output_scale=PERCENT, missing=MissingRule.ZERO)
    on_target = EmployeeInputs(employee_id="x", goals=[goal("g", 1.0)])
    assert percent.score(on_target).value == 30.0


def test_missing_component_refused() -> None:
    policy = WeightedComponentsPolicy(missing=MissingRule.REFUSE)
    assert policy.score(ANNA).value == pytest.approx(3.7, abs=1e-12)
    with pytest.raises(
        ValidationError,
        match=r"^competencies: is missing for employee 'anna' \(no submitted review rates a "
        r"competency criterion\); missing = 'refuse'$",
    ):
        policy.score(attrs.evolve(ANNA, reviews=()))


def test_nothing_to_score_is_an_error() -> None:
    with pytest.raises(
        ValidationError, match=r"^inputs: 'x' has nothing to score \(goals: no goals"
    ):
        WeightedComponentsPolicy().score(EmployeeInputs(employee_id="x"))
    only_upward = EmployeeInputs(employee_id="x", reviews=[REVIEWS[-1]])
    with pytest.raises(ValidationError, match=r"only reviews in roles weighted 0 \(upward\)"):
        WeightedComponentsPolicy(weights={"competencies": 1}).score(only_upward)


def test_ratings_are_mapped_linearly_across_scales() -> None:
    # 75 on the percent scale is 0.75 of its range: 1 + 0.75 × 4 = 4 on the five-point scale;
    # with a five-point 2 (0.25 → 2) of weight 3: (1 × 4 + 3 × 2) / 4 = 2.5
    inputs = EmployeeInputs(
        employee_id="x",
        reviews=[review("r", M, rated("a", 75, scale=PERCENT), rated("b", 2, weight=3))],
    )
    policy = WeightedComponentsPolicy(weights={"competencies": 1})
    assert policy.score(inputs).value == 2.5
    # On the three-point scale: the same ratings are 0.75 → 2.5 and 0.25 → 1.5: (2.5 + 4.5) / 4
    three = WeightedComponentsPolicy(output_scale=THREE_POINT, weights={"competencies": 1})
    assert three.score(inputs).value == 1.75
    assert three.scale == THREE_POINT.ref


def test_the_attainment_curve_is_flat_beyond_its_ends() -> None:
    policy = WeightedComponentsPolicy(weights={"goals": 1})
    far = EmployeeInputs(employee_id="x", goals=[goal("a", 2.5), goal("b", 1.4)])
    assert policy.score(far).value == 5.0  # mean 1.95 ≥ 1.3: capped at 5
    none = EmployeeInputs(employee_id="x", goals=[goal("a", 0.0)])
    assert policy.score(none).value == 1.0
    # A custom curve that starts at 0.5: below it the curve is flat at its first value.
    custom = WeightedComponentsPolicy(weights={"goals": 1}, curve=[(0.5, 2), (1.0, 4)])
    assert custom.score(none).value == 2.0
    # 0.75 is half-way from 0.5 → 2 to 1.0 → 4: 3
    assert custom.score(EmployeeInputs(employee_id="x", goals=[goal("a", 0.75)])).value == 3.0


def test_default_curve_follows_the_scale() -> None:
    assert default_curve(FIVE_POINT) == (
        (0.0, 1.0),
        (0.5, 2.0),
        (1.0, 3.0),
        (1.15, 4.0),
        (1.3, 5.0),
    )
    assert default_curve(THREE_POINT) == (
        (0.0, 1.0),
        (0.5, 1.5),
        (1.0, 2.0),
        (1.15, 2.5),
        (1.3, 3.0),
    )
    assert WeightedComponentsPolicy(output_scale=PERCENT).curve[-1] == (1.3, 100.0)


# --- OKR -----------------------------------------------------------------------------------


def test_okr_by_hand() -> None:
    inputs = EmployeeInputs(
        employee_id="x",
        goals=[goal("kr-1", 1.3, weight=2), goal("kr-2", 0.5), goal("kr-3", 0.6)],
    )
    # mean: (1.0 (1.3 capped) + 0.5 + 0.6) / 3 = 0.7: on target
    score = OkrPolicy().score(inputs)
    check_score(score)
    assert score.value == pytest.approx(ON_TARGET, abs=1e-12)
    assert score.scale == OKR.ref
    assert score.components[0].parts[0].input == 1.0
    assert "capped at 1.0" in score.components[0].parts[0].detail
    # goal-weighted: (2 × 1.0 + 0.5 + 0.6) / 4 = 0.775
    weighted = OkrPolicy(average=OkrAverage.WEIGHTED).score(inputs)
    assert weighted.value == pytest.approx(0.775, abs=1e-12)
    assert weighted.sentence() == "0.78 = key_results 1 × 0.78"


def test_okr_needs_key_results() -> None:
    with pytest.raises(ValidationError, match=r"^goals: is empty for employee 'x'; okr scores"):
        OkrPolicy().score(EmployeeInputs(employee_id="x"))


# --- kpi_curve ------------------------------------------------------------------------------


def test_kpi_curve_points() -> None:
    tickets = KpiCurve(threshold=85, target=95, stretch=99, threshold_payout=0.5)
    assert tickets.direction is Direction.UP
    assert [tickets.payout(x) for x in (84.99, 85, 90, 95, 97, 99, 100)] == pytest.approx(
        [0.0, 0.5, 0.75, 1.0, 1.1, 1.2, 1.2]
    )
    cost = KpiCurve(threshold=110_000, target=100_000, stretch=90_000)
    assert cost.direction is Direction.DOWN
    assert [cost.payout(x) for x in (120_000, 110_000, 104_000, 100_000, 95_000, 80_000)] == (
        pytest.approx([0.0, 0.0, 0.6, 1.0, 1.1, 1.2])
    )
    assert DEFAULT_KPI_CURVE.describe() == "0.85 → 0, 1 → 1, 1.2 → 1.2"


def test_kpi_curve_policy_by_hand() -> None:
    tickets = GoalInput(
        goal_id="tickets",
        title="Resolve tickets within 24 h",
        weight=0.5,
        metric_kind=MetricKind.NUMERIC,
        unit="%",
        baseline=80,
        target=95,
        value=97,
        attainment=(97 - 80) / 15,
    )
    cost = GoalInput(
        goal_id="cost",
        title="Run cost",
        weight=0.3,
        metric_kind=MetricKind.NUMERIC,
        unit="EUR",
        direction=Direction.DOWN,
        baseline=120_000,
        target=100_000,
        value=104_000,
        attainment=0.8,
    )
    launch = GoalInput(
        goal_id="launch",
        title="Launch",
        weight=0.2,
        metric_kind=MetricKind.BINARY,
        value=1.0,
        attainment=1.0,
    )
    policy = make_policy(
        "kpi_curve",
        {
            "goals": {
                "tickets": {"threshold": 85, "target": 95, "stretch": 99, "threshold_payout": 0.5}
            },
            "units": {"EUR": {"threshold": 110_000, "target": 100_000, "stretch": 90_000}},
        },
    )
    score = policy.score(EmployeeInputs(employee_id="x", goals=[tickets, cost, launch]))
    check_score(score)
    # tickets 97 % on its own curve: 1 + (97 - 95) / (99 - 95) × 0.2 = 1.1
    # cost 104k on the EUR curve: (110k - 104k) / (110k - 100k) = 0.6
    # launch done: attainment 1.0 on the default curve → 1.0
    # score: 0.5 × 1.1 + 0.3 × 0.6 + 0.2 × 1.0 = 0.55 + 0.18 + 0.2 = 0.93
    assert score.value == pytest.approx(0.93, abs=1e-12)
    assert score.scale == KPI_PAYOUT.ref
    parts = {p.name: p for p in score.components[0].parts}
    assert parts["tickets"].input == pytest.approx(1.1)
    assert "curve goals['tickets'] (85 → 0.5, 95 → 1, 99 → 1.2)" in parts["tickets"].detail
    assert parts["cost"].input == pytest.approx(0.6)
    assert "units['EUR']" in parts["cost"].detail
    assert parts["launch"].input == 1.0
    assert "default" in parts["launch"].detail
    # No reading yet pays nothing on a curve in the metric's units.
    unread = attrs.evolve(tickets, value=None, attainment=0.0)
    again = policy.score(EmployeeInputs(employee_id="x", goals=[unread]))
    assert again.value == 0.0
    assert "no reading yet" in again.components[0].parts[0].detail


def test_kpi_curve_direction_must_match_the_metric() -> None:
    policy = KpiCurvePolicy(units={"%": KpiCurve(threshold=110, target=100, stretch=90)})
    with pytest.raises(
        ValidationError,
        match=r"^direction: 'up' of goal 'g' does not match its KPI curve units\['%'\] "
        r"\(110 → 0, 100 → 1, 90 → 1.2\), which runs downward$",
    ):
        policy.score(EmployeeInputs(employee_id="x", goals=[goal("g", 1.0)]))


def test_kpi_curve_checks() -> None:
    with pytest.raises(ValidationError, match="^target: 95.0 is not strictly between threshold"):
        KpiCurve(threshold=85, target=95, stretch=90)
    with pytest.raises(ValidationError, match="^stretch_payout: 0.9 is below target_payout 1"):
        KpiCurve(threshold=85, target=95, stretch=99, stretch_payout=0.9)
    with pytest.raises(ValidationError, match="^threshold_payout: 2.5 is not between 0 and 2"):
        KpiCurve(threshold=85, target=95, stretch=99, threshold_payout=2.5)
    with pytest.raises(ValidationError, match="^default: .* runs downward; the default curve is"):
        KpiCurvePolicy(default=KpiCurve(threshold=2, target=1, stretch=0))
    with pytest.raises(ValidationError, match=r"^goals\[1\]\[0\]: 'a' repeats goals\[0\]\[0\]"):
        KpiCurvePolicy(goals=[("a", DEFAULT_KPI_CURVE), ("a", DEFAULT_KPI_CURVE)])


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        (
            "weighted_components",
            {"weights": {"goals": -1}},
            "policy.weights.goals: -1 is not positive",
        ),
        (
            "weighted_components",
            {"missing": "skip"},
            "policy.missing: 'skip' is not one of 'renormalise', 'zero', 'refuse'",
        ),
        (
            "weighted_components",
            {"colour": "red"},
            "policy.colour: unknown key (known: curve, goals_from, missing, roles, scale, weights)",
        ),
        (
            "weighted_components",
            {"weights": {"bonus": 1}},
            "policy.weights.bonus: unknown key (known: competencies, goals, sections)",
        ),
        ("weighted_components", {"weights": {}}, "policy.weights: is empty; weigh goals"),
        ("weighted_components", {"roles": {"peer": -30}}, "policy.roles.peer: -30 is negative"),
        (
            "weighted_components",
            {"roles": {"peer": True}},
            "policy.roles.peer: True is not a number",
        ),
        (
            "weighted_components",
            {"scale": "ten"},
            "policy.scale: 'ten' is not one of 'five-point', 'okr', 'percent', 'three-point'",
        ),
        (
            "weighted_components",
            {"curve": [[0, 1], [1, 6]]},
            "policy.curve[1][1]: 6.0 is not between 1 and 5",
        ),
        (
            "weighted_components",
            {"curve": [[0, 1], [0, 2]]},
            "policy.curve[1][0]: 0.0 is not above the previous 0",
        ),
        (
            "weighted_components",
            {"curve": [[0, 3], [1, 2]]},
            "policy.curve[1][1]: 2.0 is below the previous 3",
        ),
        (
            "weighted_components",
            {"curve": [[0, 1]]},
            "policy.curve: 1 points given; a curve needs 2",
        ),
        ("weighted_components", {"curve": [[0, "a"]]}, "policy.curve[0][1]: 'a' is not a number"),
        ("weighted_components", {"curve": [0, 1]}, "policy.curve[0]: 0 is not a pair of numbers"),
        ("weighted_components", {"weights": 3}, "policy.weights: 3 is not a table"),
        ("okr", {"average": "median"}, "policy.average: 'median' is not one of 'mean', 'weighted'"),
        (
            "kpi_curve",
            {"goals": {"g-1": {"threshold": 85}}},
            "policy.goals.g-1.target: is required",
        ),
        (
            "kpi_curve",
            {"units": {"EUR": {"threshold": 1, "target": 2, "stretch": 3, "stretch_payout": 3}}},
            "policy.units.EUR.stretch_payout: 3.0 is not between 0 and 2",
        ),
        (
            "kpi_curve",
            {"default": {"target": 0.8}},
            "policy.default.target: 0.8 is not strictly between threshold 0.85 and stretch 1.2",
        ),
        ("kpi_curve", {"default": {"cap": 1}}, "policy.default.cap: unknown key (known: stretch"),
    ],
)
def test_config_errors_name_the_key_path(
    name: str, config: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        make_policy(name, config)
    assert str(info.value).startswith(message)


def test_config_from_toml() -> None:
    text = """
    [policy]
    name = "weighted_components"
    scale = "five-point"
    missing = "zero"
    curve = [[0.0, 1], [1.0, 3], [1.5, 5]]

    [policy.weights]
    goals = 50
    competencies = 50

    [policy.roles]
    manager = 1
    """
    policy = load_policy(tomllib.loads(text)["policy"])
    assert isinstance(policy, WeightedComponentsPolicy)
    assert policy.weights == ((ComponentName.GOALS, 50.0), (ComponentName.COMPETENCIES, 50.0))
    assert policy.roles == ((ReviewerRole.MANAGER, 1.0),)
    assert policy.missing is MissingRule.ZERO
    assert policy.curve == ((0.0, 1.0), (1.0, 3.0), (1.5, 5.0))
    # goals: mean 1.05 → 3 + 0.05 / 0.5 × 2 = 3.2; competencies: the manager only, 4.5
    # 0.5 × 3.2 + 0.5 × 4.5 = 3.85
    assert policy.score(ANNA).value == pytest.approx(3.85, abs=1e-12)
    kpi = load_policy(
        tomllib.loads(
            """
            [policy]
            name = "kpi_curve"
            [policy.default]
            threshold = 0.9
            threshold_payout = 0.25
            [policy.units."%"]
            threshold = 85
            target = 95
            stretch = 99
            """
        )["policy"]
    )
    assert isinstance(kpi, KpiCurvePolicy)
    assert kpi.default == KpiCurve(threshold=0.9, target=1.0, stretch=1.2, threshold_payout=0.25)
    assert kpi.units == (("%", KpiCurve(threshold=85, target=95, stretch=99)),)


def test_defaults_and_protocol() -> None:
    for name, cls in (
        ("weighted_components", WeightedComponentsPolicy),
        ("okr", OkrPolicy),
        ("kpi_curve", KpiCurvePolicy),
    ):
        policy = make_policy(name)
        assert policy == cls()
        assert isinstance(policy, ScoringPolicy)
        assert policy.name == name
    assert WeightedComponentsPolicy().weights == (
        (ComponentName.GOALS, 0.6),
        (ComponentName.COMPETENCIES, 0.4),
    )
    assert dict(WeightedComponentsPolicy().roles) == {M: 60, P: 30, SELF: 10, UP: 0}


def test_score_refuses_what_is_not_inputs() -> None:
    for policy in (WeightedComponentsPolicy(), OkrPolicy(), KpiCurvePolicy()):
        with pytest.raises(ValidationError, match="^inputs: 'anna' is not an EmployeeInputs"):
            policy.score("anna")  # type: ignore[arg-type]


# --- properties ---------------------------------------------------------------------------


def _has_evidence(policy: WeightedComponentsPolicy, inputs: EmployeeInputs) -> bool:
    """Brute force: does any configured component have evidence that weighs something?"""
    role_weight = dict(policy.roles)
    for name, _ in policy.weights:
        if name is ComponentName.GOALS and policy.goals_from is GoalEvidence.ATTAINMENT:
            if inputs.goals:
                return True
            continue
        kind = {"goals": G, "competencies": C, "sections": S}[name.value]
        roles = {r.role for r in inputs.reviews if any(c.kind is kind for c in r.ratings)}
        if sum(role_weight.get(r, 0.0) for r in roles) > 0:
            return True
    return False


def _model(policy: WeightedComponentsPolicy, inputs: EmployeeInputs) -> float:
    """The weighted_components score computed the plain way, for comparison."""
    low, high = policy.output_scale.bounds
    role_weight = dict(policy.roles)
    values: dict[ComponentName, float | None] = {}
    for name, _ in policy.weights:
        if name is ComponentName.GOALS and policy.goals_from is GoalEvidence.ATTAINMENT:
            if not inputs.goals:
                values[name] = None
                continue
            total = sum(g.weight for g in inputs.goals)
            mean = sum(g.weight * g.attainment for g in inputs.goals) / total
            xs, ys = zip(*policy.curve, strict=True)
            if mean <= xs[0]:
                values[name] = ys[0]
            elif mean >= xs[-1]:
                values[name] = ys[-1]
            else:
                k = max(i for i in range(len(xs)) if xs[i] <= mean)
                values[name] = ys[k] + (ys[k + 1] - ys[k]) * (mean - xs[k]) / (xs[k + 1] - xs[k])
            continue
        kind = {"goals": G, "competencies": C, "sections": S}[name.value]
        per_role: dict[ReviewerRole, list[float]] = {}
        for r in inputs.reviews:
            rs = [c for c in r.ratings if c.kind is kind]
            if rs:
                mean = sum(c.weight * (low + c.normalised * (high - low)) for c in rs) / sum(
                    c.weight for c in rs
                )
                per_role.setdefault(r.role, []).append(mean)
        weight = sum(role_weight.get(role, 0.0) for role in per_role)
        if weight == 0:
            values[name] = None
            continue
        values[name] = (
            sum(role_weight.get(role, 0.0) * sum(ms) / len(ms) for role, ms in per_role.items())
            / weight
        )
    counted = {
        n: (low if values[n] is None else values[n])
        for n, _ in policy.weights
        if policy.missing is MissingRule.ZERO or values[n] is not None
    }
    weights = dict(policy.weights)
    return sum(weights[n] * x for n, x in counted.items()) / sum(weights[n] for n in counted)


@given(weighted_components_policies(), employee_inputs())
def test_weighted_components_properties(
    policy: WeightedComponentsPolicy, inputs: EmployeeInputs
) -> None:
    if not _has_evidence(policy, inputs) and policy.missing is not MissingRule.ZERO:
        with pytest.raises(ValidationError, match="has nothing to score"):
            policy.score(inputs)
        return
    score = policy.score(inputs)
    check_score(score)
    low, high = policy.output_scale.bounds
    assert low <= score.value <= high  # within the scale, exactly
    assert score.value == pytest.approx(_model(policy, inputs), rel=1e-9, abs=1e-9 * (high - low))
    assert score.scale == policy.output_scale.ref
    assert [c.name for c in score.components] == [n.value for n, _ in policy.weights]


@given(okr_policies, employee_inputs(min_goals=1))
def test_okr_properties(policy: OkrPolicy, inputs: EmployeeInputs) -> None:
    score = policy.score(inputs)
    check_score(score)
    assert 0.0 <= score.value <= 1.0  # exactly, even after rounding
    capped = [min(g.attainment, 1.0) for g in inputs.goals]
    if policy.average is OkrAverage.MEAN:
        expected = sum(capped) / len(capped)
    else:
        expected = sum(g.weight * c for g, c in zip(inputs.goals, capped, strict=True)) / sum(
            g.weight for g in inputs.goals
        )
    assert score.value == pytest.approx(expected, rel=1e-9, abs=1e-12)


@st.composite
def kpi_cases(draw: st.DrawFn) -> tuple[KpiCurvePolicy, EmployeeInputs]:
    inputs = draw(employee_inputs(min_goals=1))
    return draw(kpi_policies(inputs.goals)), inputs


def _raised(goal: GoalInput, attainment: float) -> GoalInput:
    """The same goal at a higher attainment, with the reading that gives it."""
    if goal.metric_kind is MetricKind.NUMERIC:
        value = goal.baseline + attainment * (goal.target - goal.baseline)
    elif goal.metric_kind is MetricKind.BINARY:
        attainment = 1.0 if attainment >= 1.0 else goal.attainment
        value = attainment
    else:
        attainment = min(attainment, 1.0)
        value = attainment * goal.target
    return attrs.evolve(goal, attainment=attainment, value=value)


@given(kpi_cases(), st.data())
def test_kpi_properties(case: tuple[KpiCurvePolicy, EmployeeInputs], data: st.DataObject) -> None:
    policy, inputs = case
    score = policy.score(inputs)
    check_score(score)
    assert 0.0 <= score.value <= KPI_PAYOUT.maximum
    cap = max([policy.default.stretch_payout, *(c.stretch_payout for _, c in policy.goals)])
    assert score.value <= cap * (1 + 1e-15)
    # A higher attainment never lowers the score (readings move with it: up for up metrics,
    # down for lower-is-better ones).
    i = data.draw(st.integers(min_value=0, max_value=len(inputs.goals) - 1))
    before = inputs.goals[i]
    after = _raised(before, before.attainment + data.draw(st.floats(min_value=0.0, max_value=3.0)))
    goals = list(inputs.goals)
    goals[i] = after
    assert policy.score(attrs.evolve(inputs, goals=goals)).value >= score.value


@given(
    st.sampled_from(list(Direction)).flatmap(kpi_curves), st.floats(-2000, 2000), st.floats(0, 500)
)
def test_a_better_reading_never_pays_less(curve: KpiCurve, x: float, step: float) -> None:
    better = x + step if curve.direction is Direction.UP else x - step
    assert curve.payout(better) >= curve.payout(x)
    assert 0.0 <= curve.payout(x) <= curve.stretch_payout


@st.composite
def any_policy_and_inputs(draw: st.DrawFn) -> tuple[ScoringPolicy, EmployeeInputs]:
    inputs = draw(employee_inputs(min_goals=1))
    policy = draw(
        st.one_of(
            weighted_components_policies().filter(lambda p: p.missing is MissingRule.ZERO),
            okr_policies,
            kpi_policies(inputs.goals),
        )
    )
    return policy, inputs


@given(any_policy_and_inputs(), st.randoms(use_true_random=False))
def test_same_inputs_same_score_whatever_the_order(
    case: tuple[ScoringPolicy, EmployeeInputs], rnd: random.Random
) -> None:
    policy, inputs = case
    score = policy.score(inputs)
    check_score(score)
    goals, reviews = list(inputs.goals), list(inputs.reviews)
    rnd.shuffle(goals)
    rnd.shuffle(reviews)
    reviews = [attrs.evolve(r, ratings=rnd.sample(r.ratings, len(r.ratings))) for r in reviews]
    shuffled = attrs.evolve(inputs, goals=goals, reviews=reviews)
    again = policy.score(shuffled)
    assert again == score
    assert perfkit.dumps(again) == perfkit.dumps(score)
    assert perfkit.loads(perfkit.dumps(score), Score) == score


@given(st.sampled_from(SCALES))
def test_policy_scales(scale: Scale) -> None:
    assert WeightedComponentsPolicy(output_scale=scale).scale == scale.ref
    assert OkrPolicy().scale == OKR.ref
    assert KpiCurvePolicy().scale == KPI_PAYOUT.ref


@given(
    st.one_of(
        weighted_components_policies(),
        okr_policies,
        kpi_policies(),
        st.sampled_from(list(Direction)).flatmap(kpi_curves),
    )
)
def test_policies_round_trip(policy: object) -> None:
    assert perfkit.loads(perfkit.dumps(policy), type(policy)) == policy


def test_a_vanishing_role_weight_is_refused() -> None:
    # 5e-324 is positive but vanishes in sums of weights: a weight is 0 or at least 1e-9.
    with pytest.raises(ValidationError, match=r"roles\[0\]\[1\]: 5e-324 is neither 0 nor at least"):
        WeightedComponentsPolicy(
            output_scale=FIVE_POINT, weights={"goals": 1.0}, roles={"self": 5e-324}
        )

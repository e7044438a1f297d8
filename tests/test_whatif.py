"""Policy what-if: the same cycle under two or more policies, compared person by person, in
distribution, in reward cost and in fairness."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfkit
from perfkit.analytics import adverse_impact, groups_by_attribute
from perfkit.explain import explain_employee
from perfkit.money import Money
from perfkit.rewards import MeritMatrix
from perfkit.run import CalibrationMode, CyclePolicy, run_cycle
from perfkit.sample import sample_cycle, sample_policy
from perfkit.scales import THREE_POINT
from perfkit.scoring import FIVE_POINT_CUTOFFS, make_policy
from perfkit.whatif import (
    PersonComparison,
    PersonOutcome,
    PolicyComparison,
    RatingShift,
    RewardCost,
    compare,
    compare_policies,
)

from .strategies.explain import RUN_AT
from .strategies.whatif import AT, MATRIX, eur, five_people, weights_policy


def seventy_thirty_vs_fifty_fifty(**options: Any) -> PolicyComparison:
    return compare_policies(
        five_people(),
        {"current": weights_policy(0.7, 0.3), "proposed": weights_policy(0.5, 0.5)},
        at=AT,
        **options,
    )


# --- the hand-checked example -----------------------------------------------------------------


def test_weights_70_30_to_50_50_move_ann_ben_and_dan() -> None:
    # See tests/strategies/whatif.py for each score. 70/30 → 50/50: ann 4 → 3 (her goals count
    # less), ben 2 → 3 and dan 4 → 5 (their reviews count more); cat and eve stay.
    cmp = seventy_thirty_vs_fifty_fifty()
    assert cmp.names == ("current", "proposed")
    assert cmp.baseline.name == "current"
    moves = {p.employee_id: p.outcome("proposed").change for p in cmp.changes()}
    assert moves == {"ann": -1.0, "ben": 1.0, "dan": 1.0}
    assert cmp.changes("current") == ()
    ann = cmp.person("ann")
    assert [(o.policy, o.score, o.rating) for o in ann.outcomes] == [
        ("current", pytest.approx(3.8), 4.0),
        ("proposed", 3.0, 3.0),
    ]
    assert ann.sentence() == "ann: rating 4 under current, 3 under proposed (-1)"
    assert not cmp.person("cat").changed
    proposed = cmp.policy("proposed")
    assert (proposed.up, proposed.down, proposed.same, proposed.changed) == (2, 1, 2, 3)
    # Distribution: current 2: 2 (ben, eve), 3: 1, 4: 2 (ann, dan); proposed 2: 1, 3: 3, 5: 1.
    assert [(s.value, s.count, s.change) for s in proposed.distribution] == [
        (1.0, 0, 0),
        (2.0, 1, -1),
        (3.0, 3, 2),
        (4.0, 0, -2),
        (5.0, 1, 1),
    ]
    assert proposed.count(3) == 3
    assert cmp.baseline.distribution[3] == RatingShift(value=4, count=2, share=0.4, change=0)


def test_the_cost_difference_by_hand() -> None:
    # Merit (band mid: 1 % / 3 % / 4.5 % / 6 % of 50,000 for ratings 2 / 3 / 4 / 5):
    #   current  ann 2,250 + ben 500 + cat 1,500 + dan 2,250 + eve 500 = 7,000 (pool 7,500 covers)
    #   proposed 1,500 × 3 + 3,000 + 500 = 8,000 > 7,500: scaled by 0.9375 → 7,500.00
    # Bonus (10 % of 50,000 = 5,000 × 0.5 / 1 / 1.25 / 1.5):
    #   current  6,250 + 2,500 + 5,000 + 6,250 + 2,500 = 22,500
    #   proposed 5,000 + 5,000 + 5,000 + 7,500 + 2,500 = 25,000
    cmp = seventy_thirty_vs_fifty_fifty()
    current, proposed = cmp.policies
    assert current.cost() == RewardCost(
        currency="EUR",
        merit=eur("7000"),
        bonus=eur("22500"),
        awards=eur("0"),
        total=eur("29500"),
    )
    assert proposed.cost("EUR").total == eur("32500")
    (change,) = proposed.total_change
    assert (change.merit, change.bonus, change.total) == (eur("500"), eur("2500"), eur("3000"))
    assert current.total_change == (RewardCost.zero("EUR"),)
    assert proposed.budget == eur("7500") == current.budget
    assert proposed.base_currency == "EUR"
    (team,) = proposed.units
    assert (team.unit_id, team.headcount, team.costs) == ("team", 5, proposed.total)
    assert team.changes == proposed.total_change
    assert proposed.unit("team") == team
    assert cmp.person("dan").outcome("proposed").merit == eur("2812.50")  # 3,000 × 0.9375
    assert cmp.person("dan").outcome("proposed").bonus == eur("7500")
    assert proposed.sentences()[1] == (
        "proposed: reward cost 32,500.00 EUR (merit 7,500.00 EUR of 7,500.00 EUR, bonus "
        "25,000.00 EUR, awards 0.00 EUR)"
    )
    moved, cost = proposed.sentences("current")[0:2]
    assert moved == (
        "proposed: 3 of 5 people rated differently from current (2 up, 1 down); final ratings "
        "1: 0 (0); 2: 1 (-1); 3: 3 (+2); 4: 0 (-2); 5: 1 (+1)"
    )
    assert cost == (
        "proposed: reward cost 32,500.00 EUR (merit 7,500.00 EUR of 7,500.00 EUR, bonus "
        "25,000.00 EUR, awards 0.00 EUR), +3,000.00 EUR against current"
    )


def test_fairness_is_the_adverse_impact_report_of_the_final_ratings() -> None:
    cmp = seventy_thirty_vs_fifty_fifty(group_by="gender", threshold=4, min_group_size=2)
    data = five_people()
    groups = groups_by_attribute(data.organisation, "gender")
    assert (cmp.group_by, cmp.threshold) == ("gender", 4.0)
    assert cmp.person("ann").group == "female"
    for p in cmp.policies:
        finals = {e.employee_id: e.rating_after.value for e in p.result.employees}
        assert p.fairness == adverse_impact(finals, groups, threshold=4, min_group_size=2)
    # 4 or higher: current ann (f) and dan (m); proposed dan only.
    assert {g.group: g.selected for g in cmp.policy("current").fairness.groups} == {  # type: ignore[union-attr]
        "female": 1,
        "male": 1,
    }
    assert any(s.startswith("proposed: female: 0 of 3") for s in cmp.sentences())
    assert seventy_thirty_vs_fifty_fifty().policy("proposed").fairness is None


def test_a_forced_distribution_against_advice() -> None:
    guided = attrs.evolve(
        weights_policy(0.5, 0.5),
        guideline=sample_policy().guideline,  # 10 / 20 / 40 / 20 / 10 % at the midpoints
        calibration=CalibrationMode.FORCE,
    )
    cmp = compare_policies(
        five_people(), {"advised": weights_policy(0.5, 0.5), "forced": guided}, at=AT
    )
    forced_outcome = cmp.policy("forced")
    assert forced_outcome.result.calibration.adjustments  # the forced distribution moved people
    for p in cmp.changes("forced"):
        outcome = p.outcome("forced")
        assert outcome.rating_before == p.outcome("advised").rating  # same scores, same cut-offs
        assert outcome.change == outcome.rating - outcome.rating_before
    x = cmp.why(cmp.changes("forced")[0].employee_id, "forced")
    assert x.calibrations[0].reason.startswith("forced distribution")


def test_why_explains_one_person_under_one_policy() -> None:
    cmp = seventy_thirty_vs_fifty_fifty()
    x = cmp.why("dan", "proposed")
    assert x == explain_employee(cmp.policy("proposed").result, "dan", cutoffs=FIVE_POINT_CUTOFFS)
    assert x.rating.sentence() == "rating 5 by the cut-offs: 4.5 is at or above 4.5"


# --- determinism and order --------------------------------------------------------------------


def test_the_same_policy_twice_changes_nothing() -> None:
    policy = weights_policy(0.7, 0.3)
    cmp = compare_policies(five_people(), {"a": policy, "b": policy}, at=AT)
    assert cmp.changes() == ()
    b = cmp.policy("b")
    assert (b.up, b.down, b.same) == (0, 0, 5)
    assert all(s.change == 0 for s in b.distribution)
    assert b.total_change == (RewardCost.zero("EUR"),)
    assert b.result == cmp.policy("a").result
    assert [o.merit for o in cmp.person("ann").outcomes] == [eur("2250")] * 2


def test_policies_are_compared_in_the_order_given() -> None:
    data = five_people()
    policies = {
        "zeta": weights_policy(0.5, 0.5),
        "alpha": weights_policy(0.7, 0.3),
        "mid": weights_policy(0.6, 0.4),
    }
    cmp = compare(data, policies, at=AT)
    assert cmp.names == ("zeta", "alpha", "mid")
    assert [o.policy for o in cmp.person("ann").outcomes] == ["zeta", "alpha", "mid"]
    # Changes are measured from the first: ann is 3 under zeta, 4 under alpha.
    assert cmp.person("ann").outcome("alpha").change == 1.0
    assert compare is compare_policies


@settings(max_examples=max(3, settings().max_examples // 10), deadline=None)
@given(st.integers(20, 40), st.integers(0, 10_000))
def test_the_comparison_json_is_byte_identical_and_round_trips(size: int, seed: int) -> None:
    def once() -> PolicyComparison:
        data = sample_cycle(size, seed=seed)
        return compare_policies(
            data,
            {"advise": sample_policy(data), "force": sample_policy(data, calibration="force")},
            at=RUN_AT,
            group_by="gender",
            threshold=4,
        )

    first, second = once(), once()
    text = perfkit.dumps(first)
    assert perfkit.dumps(second) == text
    back = perfkit.loads(text, PolicyComparison)
    assert back == first
    assert perfkit.dumps(back) == text


# --- invariants on random sample companies ----------------------------------------------------


def weighted(data: Any, goals: float, competencies: float, **changes: Any) -> CyclePolicy:
    base = sample_policy(data, **changes)
    scoring = make_policy(
        "weighted_components",
        {
            "weights": {"goals": goals, "competencies": competencies},
            "roles": {"manager": 60, "peer": 30, "self": 10},
        },
    )
    return attrs.evolve(base, scoring=scoring)


@settings(max_examples=max(4, settings().max_examples // 5), deadline=None)
@given(
    size=st.integers(20, 50),
    seed=st.integers(0, 10_000),
    weights=st.sampled_from([(0.7, 0.3), (0.5, 0.5), (0.3, 0.7)]),
    force=st.booleans(),
    rates=st.booleans(),
)
def test_the_figures_add_up(
    size: int, seed: int, weights: tuple[float, float], force: bool, rates: bool
) -> None:
    data = sample_cycle(size, seed=seed)
    current = weighted(data, 0.7, 0.3)
    proposed = weighted(data, *weights, calibration="force" if force else "advise")
    if not rates:
        current = attrs.evolve(current, pools=(), rates=None)
        proposed = attrs.evolve(proposed, pools=(), rates=None)
    cmp = compare_policies(data, {"current": current, "proposed": proposed}, at=RUN_AT)
    for outcome, policy in zip(cmp.policies, (current, proposed), strict=True):
        # Each policy's result is exactly the run on its own.
        assert outcome.result == run_cycle(data, policy, at=RUN_AT)
        n = len(outcome.result.employees)
        assert sum(s.count for s in outcome.distribution) == n
        assert sum(s.change for s in outcome.distribution) == 0
        assert outcome.up + outcome.down + outcome.same == n
        # The total is the sum over units, and the sum over people, currency by currency.
        by_person: dict[str, Money] = {}
        for e in outcome.result.employees:
            amounts = [a.amount for a in e.awards]
            if e.merit is not None:
                amounts.append(e.merit.final_increase)
            if e.bonus is not None:
                amounts.append(e.bonus.amount)
            for m in amounts:
                if policy.rates is not None:
                    m = policy.rates.to_base(m)
                by_person[m.currency] = by_person.get(m.currency, Money.zero(m.currency)) + m
        assert {c.currency: c.total for c in outcome.total} == by_person
        for cost in outcome.total:
            units = [c for u in outcome.units for c in u.costs if c.currency == cost.currency]
            assert sum((c.total for c in units), Money.zero(cost.currency)) == cost.total
        assert sum(u.headcount for u in outcome.units) == n
        if not rates:
            assert outcome.base_currency is None
            assert outcome.budget is None
    # Each person's change is their rating minus the baseline's.
    proposed_outcome = cmp.policy("proposed")
    for person in cmp.people:
        base, other = person.outcomes
        assert other.change == other.rating - base.rating
        assert base.change == 0
    assert len(cmp.changes()) == proposed_outcome.changed


def test_without_rates_costs_stay_per_currency() -> None:
    data = sample_cycle(30, seed=4)
    plain = attrs.evolve(sample_policy(data), pools=(), rates=None)
    cmp = compare_policies(data, {"a": plain, "b": plain}, at=RUN_AT)
    a = cmp.policy("a")
    assert [c.currency for c in a.total] == ["EUR", "GBP"]
    assert a.cost("GBP").currency == "GBP"
    assert a.cost("USD") == RewardCost.zero("USD")
    with pytest.raises(
        perfkit.ValidationError, match=r"currency: None is required: costs are in several"
    ):
        a.cost()


# --- errors ----------------------------------------------------------------------------------


def test_bad_calls_name_what_is_wrong() -> None:
    data = five_people()
    good = weights_policy(0.7, 0.3)
    with pytest.raises(perfkit.ValidationError, match="data: 1 is not a CycleData"):
        compare_policies(1, {"a": good, "b": good}, at=AT)  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match="policies: .* is not a mapping"):
        compare_policies(data, [good, good], at=AT)  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match=r"policies: \['a'\] are fewer than two"):
        compare_policies(data, {"a": good}, at=AT)
    with pytest.raises(perfkit.ValidationError, match="policies: ' a' is not a policy name"):
        compare_policies(data, {" a": good, "b": good}, at=AT)
    with pytest.raises(perfkit.ValidationError, match=r"policies\['b'\]: 3 is not a CyclePolicy"):
        compare_policies(data, {"a": good, "b": 3}, at=AT)  # type: ignore[dict-item]
    three = attrs.evolve(good, rating_scale=THREE_POINT.ref, merit=None, bonus=None, pools=())
    with pytest.raises(
        perfkit.ValidationError,
        match=r"policies\['b'\].rating_scale: 'three-point v1' is not the rating scale of 'a'",
    ):
        compare_policies(data, {"a": good, "b": three}, at=AT)
    with pytest.raises(perfkit.ValidationError, match="threshold: None is required with group_by"):
        compare_policies(data, {"a": good, "b": good}, at=AT, group_by="gender")
    with pytest.raises(perfkit.ValidationError, match="group_by: None is required with a thresh"):
        compare_policies(data, {"a": good, "b": good}, at=AT, threshold=4)
    with pytest.raises(perfkit.ValidationError, match="min_group_size: 0 is less than 1"):
        compare_policies(
            data, {"a": good, "b": good}, at=AT, group_by="gender", threshold=4, min_group_size=0
        )
    with pytest.raises(
        perfkit.ValidationError,
        match=r"group_by: 'age' is not an attribute of anyone rated \(attributes: gender\)",
    ):
        compare_policies(data, {"a": good, "b": good}, at=AT, group_by="age", threshold=4)
    wrong_matrix = MeritMatrix.from_rows(
        THREE_POINT.ref,
        MATRIX.compa_bands,
        {1: ["0", "0", "0"], 2: ["1", "1", "1"], 3: ["2", "2", "2"]},
    )
    with pytest.raises(
        perfkit.ValidationError,
        match=r"policies\['b'\].merit.scale: 'five-point v1' is not the matrix's scale",
    ):
        compare_policies(data, {"a": good, "b": attrs.evolve(good, merit=wrong_matrix)}, at=AT)


def test_the_result_types_check_themselves() -> None:
    outcome = PersonOutcome(policy="a", score=3, rating_before=3, rating=3, change=0)
    with pytest.raises(perfkit.ValidationError, match=r"outcomes\[1\].change: 0.0 is not the"):
        PersonComparison(
            employee_id="ann",
            unit_id="team",
            outcomes=[outcome, attrs.evolve(outcome, policy="b", rating=4)],
        )
    with pytest.raises(perfkit.ValidationError, match=r"outcomes\[1\]: 'a' repeats the policy"):
        PersonComparison(employee_id="ann", unit_id="team", outcomes=[outcome, outcome])
    with pytest.raises(perfkit.ValidationError, match="outcomes: .* is empty"):
        PersonComparison(employee_id="ann", unit_id="team", outcomes=[])
    with pytest.raises(perfkit.ValidationError, match=r"total: '3.00 EUR' is not merit \+ bonus"):
        RewardCost(currency="EUR", merit=eur("1"), bonus=eur("1"), awards=eur("0"), total=eur("3"))
    with pytest.raises(perfkit.ValidationError, match="bonus.currency: 'GBP' is not EUR"):
        RewardCost(
            currency="EUR",
            merit=eur("1"),
            bonus=Money.of("1", "GBP"),
            awards=eur("0"),
            total=eur("2"),
        )
    with pytest.raises(perfkit.NotFoundError, match="no policy with id 'nope'"):
        seventy_thirty_vs_fifty_fifty().policy("nope")
    with pytest.raises(perfkit.NotFoundError, match="no employee with id 'boss'"):
        seventy_thirty_vs_fifty_fifty().person("boss")
    assert RewardCost.zero("EUR").sentence(eur("10")) == (
        "0.00 EUR (merit 0.00 EUR of 10.00 EUR, bonus 0.00 EUR, awards 0.00 EUR)"
    )
    assert Decimal(0) == RewardCost.zero("JPY").total.amount
    one = RewardCost(
        currency="EUR", merit=eur("1"), bonus=eur("2"), awards=eur("3"), total=eur("6")
    )
    assert (one + one).total == eur("12")
    assert (one - one) == RewardCost.zero("EUR")


@pytest.mark.parametrize("threshold", [0, 1, 5.5, 6])
def test_a_threshold_off_the_scale_is_refused(threshold: float) -> None:
    data = five_people()
    policies = {"a": weights_policy(0.7, 0.3), "b": weights_policy(0.5, 0.5)}
    with pytest.raises(perfkit.ValidationError, match=r"threshold: .* is not a rating above the"):
        compare_policies(data, policies, at=AT, group_by="gender", threshold=threshold)

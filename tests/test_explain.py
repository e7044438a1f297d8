"""Explanations: every score, rating, calibration change and reward as data and as a sentence,
and the data recomputes the result's numbers exactly."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Context, Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfkit
from perfkit.calibration import Adjustment
from perfkit.development import PlanKind, PlanTrigger
from perfkit.explain import (
    AwardPart,
    BonusPart,
    CalibrationPart,
    EligibilityPart,
    EmployeeExplanation,
    ExplanationPart,
    MeritPart,
    NineBoxPart,
    PlanPart,
    RatingPart,
    RoundingRule,
    ScorePart,
    explain_all,
    explain_employee,
    explain_text,
)
from perfkit.money import Money, minor_unit
from perfkit.ninebox import NineBoxCell, NineBoxCutoffs
from perfkit.rewards import BudgetPool, Rounding
from perfkit.run import CycleResult, run_cycle
from perfkit.scales import FIVE_POINT, THREE_POINT
from perfkit.scoring import FIVE_POINT_CUTOFFS, Component, RatingCutoffs, cutoffs_for

from .strategies.explain import Run, sample_runs
from .strategies.whatif import AT, BONUS, eur, five_people, weights_policy

CTX = Context(prec=28, rounding=ROUND_HALF_EVEN)
WIDE = Context(prec=200, rounding=ROUND_HALF_EVEN)
MODES = {
    RoundingRule.HALF_EVEN: ROUND_HALF_EVEN,
    RoundingRule.HALF_UP: ROUND_HALF_UP,
    RoundingRule.DOWN: ROUND_DOWN,
    RoundingRule.UP: ROUND_UP,
}
PLAN_MODES = {
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.DOWN: ROUND_DOWN,
    Rounding.UP: ROUND_UP,
}


def share(pct: Decimal, proration: Decimal = Decimal(1)) -> Decimal:
    """pct / 100 × proration, as rewards computes it (28 digits, half-even)."""
    return CTX.multiply(CTX.divide(pct, Decimal(100)), proration)


def rounded(amount: Decimal, currency: str, rule: RoundingRule) -> Decimal:
    """``amount`` rounded to the minor unit by ``rule``, written out from the rule's definition."""
    unit = Decimal(1).scaleb(-minor_unit(currency))
    if rule is RoundingRule.LARGEST_REMAINDER:
        return amount.quantize(unit, rounding=ROUND_DOWN, context=WIDE) + unit
    return amount.quantize(unit, rounding=MODES[rule], context=WIDE)


def round_trips(x: EmployeeExplanation) -> None:
    assert perfkit.loads(perfkit.dumps(x), EmployeeExplanation) == x
    for part in x.parts():
        assert perfkit.structure(perfkit.unstructure(part), ExplanationPart) == part  # type: ignore[arg-type]


# --- hand-checked examples ------------------------------------------------------------------


def run(goals: float, competencies: float, **changes: Any) -> CycleResult:
    policy = attrs.evolve(weights_policy(goals, competencies), **changes)
    return run_cycle(five_people(), policy, at=AT)


def test_a_whole_explanation_by_hand() -> None:
    # ann: goal reading 130 → attainment 1.3 → 5 on the default curve; competency 1.
    # 0.7 × 5 + 0.3 × 1 = 3.8 → rating 4 (3.5 to < 4.5). Merit: compa 1.0 → band mid, 4.5 % of
    # 50,000 = 2,250.00; the pool of 7,500 covers the demand of 7,000. Bonus: 10 % of 50,000 =
    # 5,000 × 1.25 (rating 4) × 1 = 6,250.00, under the cap of 2 × 5,000.
    x = explain_employee(run(0.7, 0.3), "ann", cutoffs=FIVE_POINT_CUTOFFS)
    assert x.score.value == pytest.approx(3.8)
    assert [c.name for c in x.score.components] == ["goals", "competencies"]
    assert (x.rating.value, x.rating.low, x.rating.high) == (4.0, 3.5, 4.5)
    assert x.calibrations == ()
    assert x.final_rating == 4.0
    assert x.merit is not None
    assert (x.merit.pct, x.merit.band, x.merit.compa_ratio) == (Decimal("4.5"), "mid", Decimal(1))
    assert (x.merit.full, x.merit.amount) == (eur("2250"), eur("2250"))
    assert (x.merit.factor, x.merit.pool_id, x.merit.rounding) == (
        Decimal(1),
        "co",
        RoundingRule.HALF_EVEN,
    )
    assert x.bonus is not None
    assert (x.bonus.target, x.bonus.individual, x.bonus.uncapped) == (
        eur("5000"),
        Decimal("1.25"),
        eur("6250"),
    )
    assert not x.bonus.capped
    assert x.text() == (
        "Outcome of ann in cycle fy under policy weighted_components. "
        "Score 3.80 = goals 0.7 × 5.00 + competencies 0.3 × 1.00. "
        "Rating 4 by the cut-offs: 3.8 is in 3.5 to < 4.5. "
        "Merit 4.5% (rating 4, compa-ratio 1 in band mid) of 50,000.00 EUR = 2,250.00 EUR. "
        "Bonus target 10% of 50,000.00 EUR = 5,000.00 EUR × individual 1.25 (rating 4) × "
        "company 1 = 6,250.00 EUR."
    )
    assert explain_text(run(0.7, 0.3), "ann", cutoffs=FIVE_POINT_CUTOFFS) == x.text()
    round_trips(x)


def test_pool_scaling_and_the_largest_remainder_by_hand() -> None:
    # 50/50: ann, ben and cat 3 (3 % = 1,500.00), dan 5 (6 % = 3,000.00), eve 2 (1 % = 500.00):
    # demand 8,000.00 > pool 7,499.99 → factor 7,499.99 / 8,000 = 0.93749875.
    # Scaled: 1,406.248125 (×3), 2,812.49625, 468.749375; rounded down they sum to 7,499.95.
    # The 4 cents left go by largest remainder: eve (.9375), then ann, ben, cat (.8125 each,
    # by id); dan (.625) keeps his rounded-down 2,812.49.
    result = run(0.5, 0.5, pools=[BudgetPool(unit_id="co", amount=eur("7499.99"))])
    by_id = {x.employee_id: x for x in explain_all(result)}
    dan, ann = by_id["dan"].merit, by_id["ann"].merit
    assert dan is not None
    assert ann is not None
    assert dan.factor == Decimal("0.93749875")
    assert dan.scaled == eur("2812.49625")
    assert (dan.rounding, dan.amount) == (RoundingRule.DOWN, eur("2812.49"))
    assert dan.sentence() == (
        "merit 6% (rating 5, compa-ratio 1 in band mid) of 50,000.00 EUR = 3,000.00 EUR, "
        "scaled 0.9375 by pool co → 2,812.50 EUR, rounded down → 2,812.49 EUR"
    )
    assert (ann.rounding, ann.amount) == (RoundingRule.LARGEST_REMAINDER, eur("1406.25"))
    # 1,406.248125 is shown as 1,406.25, which is what is paid: no rounding step to show.
    assert ann.sentence().endswith("scaled 0.9375 by pool co → 1,406.25 EUR")
    paid = {pid: x.merit.amount for pid, x in by_id.items() if x.merit is not None}
    assert paid == {
        "ann": eur("1406.25"),
        "ben": eur("1406.25"),
        "cat": eur("1406.25"),
        "dan": eur("2812.49"),
        "eve": eur("468.75"),
    }
    assert sum(paid.values(), Money.zero("EUR")) == eur("7499.99")


def test_a_capped_bonus_and_a_rounded_one_by_hand() -> None:
    # dan under 50/50 is rated 5: 5,000 × 1.5 = 7,500 is above the cap 1.2 × 5,000 = 6,000.
    capped = run(0.5, 0.5, bonus=attrs.evolve(BONUS, cap=Decimal("1.2")))
    bonus = explain_employee(capped, "dan").bonus
    assert bonus is not None
    assert (bonus.capped, bonus.cap, bonus.amount) == (True, eur("6000"), eur("6000"))
    assert bonus.sentence() == (
        "bonus target 10% of 50,000.00 EUR = 5,000.00 EUR × individual 1.5 (rating 5) × "
        "company 1 = 7,500.00 EUR, capped at 1.2× target 6,000.00 EUR"
    )
    # eve (rating 2): 5,000 × 0.5 × 1.000002 = 2,500.005, rounded half-up to 2,500.01.
    plan = attrs.evolve(BONUS, company_multiplier=Decimal("1.000002"), rounding=Rounding.HALF_UP)
    half = run(0.5, 0.5, bonus=plan)
    eve = explain_employee(half, "eve").bonus
    assert eve is not None
    assert (eve.uncapped, eve.rounding, eve.amount) == (
        eur("2500.005"),
        RoundingRule.HALF_UP,
        eur("2500.01"),
    )
    assert eve.sentence().endswith(
        "× company 1.000002 = 2,500.00 EUR, rounded half-up → 2,500.01 EUR"
    )
    # The result's own sentence (rewards) shows the cap only when it binds, and the rounding
    # only when it pays other than the amount shown.
    raw = half.employee("eve").bonus
    assert raw is not None
    assert raw.sentence().endswith("× company 1.000002 = 2,500.00 EUR, rounded → 2,500.01 EUR")
    plain = run(0.5, 0.5).employee("eve").bonus
    assert plain is not None
    assert plain.sentence() == (
        "bonus target 10% of 50,000.00 EUR = 5,000.00 EUR × individual 0.5 × company 1 = "
        "2,500.00 EUR"
    )
    dan = capped.employee("dan").bonus
    assert dan is not None
    assert dan.sentence().endswith(", capped at 1.2× target 6,000.00 EUR → 6,000.00 EUR")


def test_calibration_changes_chain_from_the_cut_offs_to_the_final_rating() -> None:
    first = Adjustment(
        employee_id="eve", from_value=2, to_value=3, by="dana", at=AT, reason="strong H2"
    )
    later = datetime(2026, 12, 21, 9, tzinfo=UTC)
    second = Adjustment(
        employee_id="eve", from_value=3, to_value=4, by="lee", at=later, reason="committee"
    )
    result = run_cycle(five_people(), weights_policy(0.5, 0.5), at=AT, adjustments=[first, second])
    x = explain_employee(result, "eve", cutoffs=FIVE_POINT_CUTOFFS)
    assert [(c.from_value, c.to_value, c.by, c.change) for c in x.calibrations] == [
        (2, 3, "dana", 1),
        (3, 4, "lee", 1),
    ]
    assert x.final_rating == 4
    assert x.sentences()[2:4] == (
        "calibrated 2 → 3 by dana on 2026-12-20: strong H2",
        "calibrated 3 → 4 by lee on 2026-12-21: committee",
    )
    # Rewards follow the final rating: 4.5 % of 50,000.
    assert x.merit is not None
    assert x.merit.rating == 4
    round_trips(x)


def test_rating_sentences_name_the_band() -> None:
    def said(score: float) -> str:
        value = FIVE_POINT_CUTOFFS.rate(score).value
        return RatingPart(
            score=score, value=value, scale=FIVE_POINT.ref, cutoffs=FIVE_POINT_CUTOFFS
        ).sentence()

    assert said(1.2) == "rating 1 by the cut-offs: 1.2 is below 1.5"
    assert said(3.5) == "rating 4 by the cut-offs: 3.5 is in 3.5 to < 4.5"
    assert said(4.75) == "rating 5 by the cut-offs: 4.75 is at or above 4.5"
    # A score just under a cut-off is not shown rounded onto it.
    just_under = math.nextafter(3.5, 0.0)
    assert said(just_under) == f"rating 3 by the cut-offs: {just_under!r} is in 2.5 to < 3.5"
    unknown = RatingPart(score=3.2, value=3, scale=FIVE_POINT.ref)
    assert unknown.sentence() == "rating 3 by the cut-offs"
    assert (unknown.low, unknown.high) == (None, None)
    one = RatingCutoffs(scale=FIVE_POINT.ref, cutoffs=[(0, 3)])
    assert RatingPart(score=9, value=3, scale=FIVE_POINT.ref, cutoffs=one).sentence() == (
        "rating 3 by the cut-offs: any score gets 3"
    )


def test_nine_box_sentences_name_the_bands() -> None:
    cut = NineBoxCutoffs(performance=(2.5, 3.5), potential=(2.5, 3.5))
    part = NineBoxPart(cell=cut.place(4, 3), performance=4, potential=3, cutoffs=cut)
    assert part.sentence() == (
        "9-box 6: High performer (performance 4: high, above 3.5; "
        "potential 3: moderate, above 2.5, at most 3.5)"
    )
    assert NineBoxPart(cell=NineBoxCell.numbered(1)).sentence() == (
        "9-box 1: Underperformer (low performance, low potential)"
    )
    with pytest.raises(perfkit.ValidationError, match=r"cell: 9 is not the box the cut-offs give"):
        NineBoxPart(cell=NineBoxCell.numbered(9), performance=4, potential=3, cutoffs=cut)
    with pytest.raises(perfkit.ValidationError, match="cutoffs: None come with performance"):
        NineBoxPart(cell=NineBoxCell.numbered(9), performance=4)


def test_eligibility_awards_and_plans_say_themselves() -> None:
    assert EligibilityPart(eligible=True).sentence() == "eligible for rewards"
    no = EligibilityPart(eligible=False, reasons=["rating 1 is below 2", "left on 2026-06-30"])
    assert no.sentence() == "not eligible for rewards: rating 1 is below 2; left on 2026-06-30"
    with pytest.raises(perfkit.ValidationError, match="reasons: .* are empty; say why not"):
        EligibilityPart(eligible=False)
    award = AwardPart(
        rule_id="spot",
        amount=eur("250"),
        praise_ids=["p1", "p2", "p3"],
        window_start=datetime(2025, 12, 20, tzinfo=UTC),
        window_end=AT,
        reason="3 praises from 2 people",
    )
    assert award.sentence() == "spot award 250.00 EUR: 3 praises from 2 people"
    plan = PlanPart(
        plan_id="improvement-e7",
        plan_kind=PlanKind.IMPROVEMENT,
        owner="boss",
        review_date=date(2027, 3, 31),
        triggers=[PlanTrigger.LOW_RATING],
        reason="rating 1 is at or below the improvement threshold 2",
    )
    assert plan.sentence() == (
        "improvement plan improvement-e7 run by boss, reviewed on 2027-03-31: rating 1 is at or "
        "below the improvement threshold 2"
    )


# --- the parts refuse numbers that do not add up ----------------------------------------------


def merit_part(**changes: object) -> MeritPart:
    fields: dict[str, object] = {
        "base_pay": eur("50000"),
        "rating": 3,
        "compa_ratio": Decimal(1),
        "band": "mid",
        "pct": Decimal(3),
        "full": eur("1500"),
        "proration": Decimal("0.5"),
        "prorated": eur("750"),
        "factor": Decimal("0.9"),
        "pool_id": "co",
        "scaled": eur("675"),
        "rounding": RoundingRule.DOWN,
        "amount": eur("675"),
    }
    fields.update(changes)
    return MeritPart(**fields)  # type: ignore[arg-type]


def test_parts_refuse_numbers_that_do_not_add_up() -> None:
    assert merit_part().sentence() == (
        "merit 3% (rating 3, compa-ratio 1 in band mid) of 50,000.00 EUR = 1,500.00 EUR, "
        "prorated 0.5 → 750.00 EUR, scaled 0.9 by pool co → 675.00 EUR"
    )
    with pytest.raises(
        perfkit.ValidationError, match=r"full: '1,400.00 EUR' is not base_pay × pct"
    ):
        merit_part(full=eur("1400"))
    with pytest.raises(perfkit.ValidationError, match=r"prorated: '700.00 EUR' is not base_pay"):
        merit_part(prorated=eur("700"))
    with pytest.raises(perfkit.ValidationError, match=r"scaled: .* is not prorated × factor"):
        merit_part(scaled=eur("600"))
    with pytest.raises(perfkit.ValidationError, match=r"amount: '674.00 EUR' is not prorated"):
        merit_part(amount=eur("674"))
    assert (
        merit_part(amount=eur("674"), rounding=RoundingRule.OTHER)
        .sentence()
        .endswith("→ 675.00 EUR, set → 674.00 EUR")
    )
    with pytest.raises(perfkit.ValidationError, match="amount.currency: 'GBP' differs from"):
        merit_part(amount=Money.of("675", "GBP"))
    with pytest.raises(perfkit.ValidationError, match="factor: Decimal.* is not between 0 and 1"):
        merit_part(factor=Decimal("1.5"))
    with pytest.raises(perfkit.ValidationError, match="base_pay: 5 is not Money"):
        merit_part(base_pay=5)
    with pytest.raises(perfkit.ValidationError, match="capped: True does not say whether"):
        BonusPart(
            base_pay=eur("100"),
            rating=3,
            target_pct=10,
            full_target=eur("10"),
            target=eur("10"),
            individual=1,
            company=1,
            uncapped=eur("10"),
            cap_multiple=2,
            cap=eur("20"),
            capped=True,
            rounding=RoundingRule.HALF_EVEN,
            amount=eur("10"),
        )
    with pytest.raises(perfkit.ValidationError, match="to_value: 3.0 equals from_value"):
        CalibrationPart(from_value=3, to_value=3, by="dana", at=AT, reason="no change")
    with pytest.raises(perfkit.ValidationError, match=r"value: 3.0 is not the sum of the comp"):
        ScorePart(
            value=3,
            scale=FIVE_POINT.ref,
            policy="p",
            components=[Component.leaf("goals", 1.0, 2.0)],
        )
    with pytest.raises(perfkit.ValidationError, match=r"value: 4.0 is not the rating the cut-offs"):
        RatingPart(score=3.2, value=4, scale=FIVE_POINT.ref, cutoffs=FIVE_POINT_CUTOFFS)
    with pytest.raises(perfkit.ValidationError, match="cutoffs.scale: 'three-point v1' is not"):
        RatingPart(score=2, value=2, scale=FIVE_POINT.ref, cutoffs=cutoffs_for(THREE_POINT))


def test_an_explanation_refuses_a_broken_chain() -> None:
    x = explain_employee(run(0.5, 0.5), "eve")
    step = CalibrationPart(from_value=3, to_value=4, by="dana", at=AT, reason="committee")
    with pytest.raises(
        perfkit.ValidationError, match=r"calibrations\[0\].from_value: 3.0 is not the rating it"
    ):
        attrs.evolve(x, calibrations=[step], final_rating=4)
    with pytest.raises(perfkit.ValidationError, match="final_rating: 5.0 is not the rating after"):
        attrs.evolve(x, final_rating=5)
    with pytest.raises(perfkit.ValidationError, match="rating.score: 1.0 is not the score"):
        attrs.evolve(x, rating=attrs.evolve(x.rating, score=1.0, value=1))


def test_bad_calls_name_what_is_wrong() -> None:
    result = run(0.5, 0.5)
    with pytest.raises(perfkit.ValidationError, match="result: 'x' is not a CycleResult"):
        explain_employee("x", "ann")  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match="employee_id: 7 is not a string id"):
        explain_employee(result, 7)  # type: ignore[arg-type]
    with pytest.raises(perfkit.NotFoundError, match="no employee result with id 'boss'"):
        explain_employee(result, "boss")
    with pytest.raises(perfkit.ValidationError, match="cutoffs: 3 is not a RatingCutoffs"):
        explain_all(result, cutoffs=3)  # type: ignore[arg-type]
    strict = RatingCutoffs(scale=FIVE_POINT.ref, cutoffs=[(1, 1), (2, 2), (3, 3), (3.9, 4), (5, 5)])
    with pytest.raises(
        perfkit.ValidationError, match="cutoffs: .* are not the cut-offs of this run"
    ):
        explain_employee(result, "dan", cutoffs=strict)  # 4.5 would be a 4 under these


def test_explanations_are_deterministic_and_by_employee_id() -> None:
    a, b = explain_all(run(0.7, 0.3)), explain_all(run(0.7, 0.3))
    assert a == b
    assert [x.employee_id for x in a] == ["ann", "ben", "cat", "dan", "eve"]
    assert [perfkit.dumps(x) for x in a] == [perfkit.dumps(x) for x in b]


# --- the data recomputes every number, for everyone of random sample cycles -------------------


def check_tree(components: tuple[Component, ...]) -> None:
    for c in components:
        if c.input is None:
            assert c.contribution == 0.0
            continue
        assert c.contribution == c.weight * c.input
        if c.parts:
            assert c.input == math.fsum(p.contribution for p in c.parts)
            check_tree(c.parts)


def check_merit(x: EmployeeExplanation, r: Run) -> None:
    e = r.result.employee(x.employee_id)
    if e.merit is None:
        assert x.merit is None
        return
    m = x.merit
    assert m is not None
    assert r.policy.merit is not None
    assert m.pct == r.policy.merit.increase_pct(x.final_rating, m.compa_ratio)
    assert m.full == m.base_pay.times(share(m.pct))
    assert m.prorated == m.base_pay.times(share(m.pct, m.proration)) == e.merit.raw_increase
    exact = WIDE.multiply(m.prorated.amount, m.factor)
    if m.pool_id is None:
        assert (m.factor, m.rounding) == (Decimal(1), RoundingRule.HALF_EVEN)
    elif m.factor < 1:
        assert m.rounding in (RoundingRule.DOWN, RoundingRule.LARGEST_REMAINDER)
    assert m.rounding is not RoundingRule.OTHER
    assert rounded(exact, m.currency, m.rounding) == m.amount.amount
    assert m.amount == e.merit.final_increase


def check_bonus(x: EmployeeExplanation, r: Run) -> None:
    e = r.result.employee(x.employee_id)
    if e.bonus is None:
        assert x.bonus is None
        return
    b = x.bonus
    plan = r.policy.bonus
    assert b is not None
    assert plan is not None
    assert b.individual == plan.individual_multiplier(x.final_rating)
    assert b.target == b.base_pay.times(share(b.target_pct, b.proration))
    assert b.uncapped == b.target.times(CTX.multiply(b.individual, b.company))
    assert b.cap == b.target.times(b.cap_multiple)
    assert b.capped == (b.uncapped > b.cap)
    before = min(b.uncapped.amount, b.cap.amount)
    unit = Decimal(1).scaleb(-minor_unit(b.currency))
    expected = before.quantize(unit, rounding=PLAN_MODES[plan.rounding], context=WIDE)
    if expected > b.cap.amount:  # rounding never lifts a bonus over its cap
        expected = before.quantize(unit, rounding=ROUND_DOWN, context=WIDE)
    assert rounded(before, b.currency, b.rounding) == expected == b.amount.amount
    assert b.amount == e.bonus.amount


@settings(max_examples=max(8, settings().max_examples // 5), deadline=None)
@given(sample_runs())
def test_the_data_recomputes_every_number(r: Run) -> None:
    everyone = explain_all(r.result, cutoffs=r.cutoffs)
    assert [x.employee_id for x in everyone] == [e.employee_id for e in r.result.employees]
    grid = r.policy.nine_box
    for x in everyone:
        e = r.result.employee(x.employee_id)
        # The score is the exact sum of its terms, each weight × input, all the way down.
        assert (
            x.score.value == e.score.value == math.fsum(c.contribution for c in x.score.components)
        )
        check_tree(x.score.components)
        # The cut-offs give the rating; the calibration steps chain to the final rating.
        assert r.cutoffs.rate(x.score.value).value == x.rating.value == e.rating_before.value
        if x.rating.low is not None:
            assert x.score.value >= x.rating.low
        if x.rating.high is not None:
            assert x.score.value < x.rating.high
        value = x.rating.value
        for step in x.calibrations:
            assert step.from_value == value
            value = step.to_value
        assert value == x.final_rating == e.rating_after.value
        assert len(x.calibrations) == len(e.adjustments)
        # The 9-box cell is where the cut-offs put the final rating and the potential.
        if x.nine_box is not None:
            assert grid is not None
            assert x.nine_box.performance == x.final_rating
            assert x.nine_box.potential is not None
            assert grid.place(x.final_rating, x.nine_box.potential) == x.nine_box.cell == e.nine_box
        else:
            assert e.nine_box is None
        check_merit(x, r)
        check_bonus(x, r)
        assert [a.amount for a in x.awards] == [a.amount for a in e.awards]
        assert [p.plan_id for p in x.plans] == list(e.plan_ids)
        assert x.eligibility is None or x.eligibility.eligible == e.eligibility.eligible  # type: ignore[union-attr]
        assert len(x.sentences()) == len(x.parts())
        assert x.text().endswith(".")
        round_trips(x)


@settings(max_examples=5, deadline=None)
@given(st.integers(20, 40), st.integers(0, 1000))
def test_explaining_the_sample_run_is_deterministic(size: int, seed: int) -> None:
    from perfkit.sample import sample_cycle, sample_policy

    from .strategies.explain import FIVE_CUTOFFS, RUN_AT

    def once() -> list[str]:
        data = sample_cycle(size, seed=seed)
        result = run_cycle(data, sample_policy(data, calibration="force"), at=RUN_AT)
        return [perfkit.dumps(x) for x in explain_all(result, cutoffs=FIVE_CUTOFFS)]

    assert once() == once()

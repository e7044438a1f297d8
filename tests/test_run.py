"""The cycle run: inputs + policy → scores → calibration → rewards → development → CycleResult."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfkit
from perfkit import (
    FIVE_POINT,
    Adjustment,
    BudgetPool,
    CalibrationMode,
    CheckIn,
    CompaBand,
    Criterion,
    CriterionKind,
    CriterionRating,
    CycleData,
    CyclePolicy,
    CycleResult,
    Employee,
    Goal,
    GoalSet,
    GoalStatus,
    MeritMatrix,
    Money,
    NumericMetric,
    Organisation,
    OrgUnit,
    Owner,
    OwnerKind,
    RateTable,
    Review,
    ReviewCycle,
    ReviewerRole,
    ReviewForm,
    ReviewStatus,
    SalaryBand,
    ValidationError,
    make_policy,
    run_cycle,
    slot_counts,
)
from perfkit.sample import sample_cycle, sample_policy
from perfkit.scales import BUILTIN_SCALES

AT = datetime(2026, 12, 20, 18, tzinfo=UTC)
EUR = "EUR"


def person(pid: str, pay: str, manager: str | None = "boss") -> Employee:
    def m(x: str) -> Money:
        return Money.of(x, EUR)

    return Employee(
        id=pid,
        name=pid.title(),
        manager_id=manager,
        unit_id="team",
        hire_date=date(2020, 1, 1),
        job_level="L3",
        base_pay=m(pay),
        band=SalaryBand(minimum=m("40000"), midpoint=m("50000"), maximum=m("60000")),
    )


def tiny() -> CycleData:
    """Two people with hand-checkable numbers (see test_hand_computed_run)."""
    org = Organisation(
        units=[OrgUnit(id="co", name="Co"), OrgUnit(id="team", name="Team", parent_id="co")],
        employees=[person("boss", "90000", None), person("ann", "52000"), person("ben", "45000")],
    )
    cycle = ReviewCycle(id="fy", name="FY", start=date(2026, 1, 1), end=date(2026, 12, 31))
    metric = NumericMetric(baseline=0, target=100, unit="tickets")
    goals = [
        Goal(
            id=f"{p}-g",
            title="Tickets",
            owner=Owner(kind=OwnerKind.EMPLOYEE, id=p),
            cycle_id="fy",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            status=GoalStatus.IN_PROGRESS,
            metric=metric,
        )
        for p in ("ann", "ben")
    ]
    check_ins = [
        CheckIn(
            id="c-ann",
            goal_id="ann-g",
            author="ann",
            at=datetime(2026, 12, 1, tzinfo=UTC),
            value=100.0,
        ),
        CheckIn(
            id="c-ben",
            goal_id="ben-g",
            author="ben",
            at=datetime(2026, 12, 1, tzinfo=UTC),
            value=50.0,
        ),
    ]
    form = ReviewForm(
        id="f",
        name="Form",
        criteria=[
            Criterion(
                id="collab",
                name="Collaboration",
                kind=CriterionKind.COMPETENCY,
                weight=1,
                scale=FIVE_POINT.ref,
            ),
        ],
    )
    reviews = [
        Review(
            id=f"r-{p}",
            cycle_id="fy",
            form_id="f",
            subject=p,
            reviewer="boss",
            role=ReviewerRole.MANAGER,
            status=ReviewStatus.SUBMITTED,
            ratings=[CriterionRating(criterion_id="collab", rating=FIVE_POINT.rate(v))],
        )
        for p, v in (("ann", 4), ("ben", 2))
    ]
    return CycleData(
        organisation=org,
        cycle=cycle,
        goals=GoalSet(goals=goals, check_ins=check_ins),
        scales=BUILTIN_SCALES,
        forms=[form],
        reviews=reviews,
    )


MATRIX = MeritMatrix.from_rows(
    FIVE_POINT.ref,
    [
        CompaBand(label="low", upper=Decimal("0.95")),
        CompaBand(label="mid", upper=Decimal("1.05")),
        CompaBand(label="high"),
    ],
    {
        1: ["0", "0", "0"],
        2: ["1.5", "1", "0"],
        3: ["4", "3", "2"],
        4: ["5.5", "4.5", "3.5"],
        5: ["7", "6", "5"],
    },
)


def tiny_policy(**changes: object) -> CyclePolicy:
    policy = CyclePolicy(
        scoring=make_policy(
            "weighted_components",
            {
                "weights": {"goals": 0.5, "competencies": 0.5},
                "roles": {"manager": 1},
            },
        ),
        rating_scale=FIVE_POINT.ref,
        merit=MATRIX,
        pools=[BudgetPool(unit_id="co", amount=Money.of("2000", EUR))],
        rates=RateTable.of(EUR, {}),
    )
    return attrs.evolve(policy, **changes)


def test_hand_computed_run() -> None:
    result = run_cycle(tiny(), tiny_policy(), at=AT)
    ann, ben = result.employee("ann"), result.employee("ben")
    # ann: attainment 100/100 = 1.0 → the default curve gives 3; collaboration 4;
    # 0.5 × 3 + 0.5 × 4 = 3.5, a boundary, which goes up: rating 4.
    assert ann.score.value == 3.5
    assert ann.rating_before == ann.rating_after == FIVE_POINT.rate(4)
    # ben: attainment 0.5 → 2 on the curve; collaboration 2; 0.5 × 2 + 0.5 × 2 = 2.0 → rating 2.
    assert ben.score.value == 2.0
    assert ben.rating_after == FIVE_POINT.rate(2)
    # Merit: ann compa 52/50 = 1.04 (mid) at rating 4 → 4.5 % of 52,000 = 2,340.00;
    # ben compa 0.9 (low) at rating 2 → 1.5 % of 45,000 = 675.00. Demand 3,015.00 > pool 2,000.
    assert ann.merit is not None
    assert ben.merit is not None
    assert (ann.merit.pct, ben.merit.pct) == (Decimal("4.5"), Decimal("1.5"))
    assert ann.merit.raw_increase == Money.of("2340.00", EUR)
    assert ben.merit.raw_increase == Money.of("675.00", EUR)
    assert result.merit is not None
    (pool,) = result.merit.pools
    assert pool.demand == Money.of("3015.00", EUR)
    assert pool.spend == Money.of("2000.00", EUR)
    assert ann.merit.final_increase + ben.merit.final_increase == Money.of("2000.00", EUR)
    assert "boss" not in {e.employee_id for e in result.employees}  # nothing to rate


def test_calibrators_adjustments_flow_into_rewards() -> None:
    change = Adjustment(
        employee_id="ben", from_value=2, to_value=3, by="dana", at=AT, reason="strong second half"
    )
    result = run_cycle(tiny(), tiny_policy(pools=(), rates=None), at=AT, adjustments=[change])
    ben = result.employee("ben")
    assert ben.rating_before == FIVE_POINT.rate(2)  # the original is never lost
    assert ben.rating_after == FIVE_POINT.rate(3)
    assert ben.adjustments == (change,)
    # Rating 3, compa 0.9 (low band) → 4 % of 45,000 = 1,800.00, no pool to fit.
    assert ben.merit is not None
    assert ben.merit.final_increase == Money.of("1800.00", EUR)
    assert "calibrated 2 → 3 by dana on 2026-12-20: strong second half" in ben.explain()


@pytest.fixture(scope="module")
def sample_run() -> tuple[CycleData, CycleResult]:
    data = sample_cycle()
    return data, run_cycle(data, sample_policy(data), at=AT)


def test_every_score_explains_itself_exactly(sample_run: tuple[CycleData, CycleResult]) -> None:
    _, result = sample_run
    for e in result.employees:
        assert e.score.value == math.fsum(c.contribution for c in e.score.components)
        assert e.explain().startswith(e.score.sentence())


def test_rewards_never_exceed_their_pools(sample_run: tuple[CycleData, CycleResult]) -> None:
    _, result = sample_run
    assert result.merit is not None
    for pool in result.merit.pools:
        assert pool.spend <= pool.amount
        assert pool.spend + pool.remaining == pool.amount


def test_advice_changes_no_rating(sample_run: tuple[CycleData, CycleResult]) -> None:
    _, result = sample_run
    assert all(e.rating_before == e.rating_after for e in result.employees)
    assert result.deviations_before is not None
    assert result.deviations_after is not None
    assert result.deviations_before.groups == result.deviations_after.groups
    assert result.deviations_before is not None
    assert result.deviations_before.groups


def test_forced_distribution_fills_the_slots() -> None:
    data = sample_cycle(120, seed=3)
    result = run_cycle(data, sample_policy(data, calibration="force"), at=AT)
    shares = {1: 0.1, 2: 0.2, 3: 0.4, 4: 0.2, 5: 0.1}
    expected = {s.value: s.count for s in slot_counts(len(result.employees), shares)}
    assert {v.value: v.count for v in result.distribution.after.values} == expected
    moved = [e for e in result.employees if e.adjustments]
    assert moved
    assert all(a.reason == "forced distribution" for e in moved for a in e.adjustments)
    # A higher score never ends with a lower rating.
    ranked = sorted(result.employees, key=lambda e: e.score.value)
    values = [e.rating_after.value for e in ranked]
    assert values == sorted(values)


def test_nine_box_and_plans_follow_the_calibrated_rating(
    sample_run: tuple[CycleData, CycleResult],
) -> None:
    _data, result = sample_run
    assert result.nine_box is not None
    assert sum(b.count for b in result.nine_box.boxes) == len(result.employees)
    for e in result.employees:
        assert e.nine_box is not None
        assert e.nine_box == result.nine_box.placement(e.employee_id).cell
    plan_owners = {p.employee_id for p in result.plans}
    low = {e.employee_id for e in result.employees if e.rating_after.value <= 2}
    assert low <= plan_owners


def test_the_result_round_trips(sample_run: tuple[CycleData, CycleResult]) -> None:
    _, result = sample_run
    text = perfkit.dumps(result)
    assert perfkit.loads(text, CycleResult) == result
    assert perfkit.dumps(perfkit.loads(text, CycleResult)) == text


@settings(max_examples=5, deadline=None)
@given(size=st.integers(20, 120), seed=st.integers(0, 1000), force=st.booleans())
def test_same_inputs_give_byte_identical_json(size: int, seed: int, force: bool) -> None:
    mode = "force" if force else "advise"

    def once() -> str:
        data = sample_cycle(size, seed=seed)
        return perfkit.dumps(run_cycle(data, sample_policy(data, calibration=mode), at=AT))

    assert once() == once()


def test_policy_checks_its_parts() -> None:
    with pytest.raises(ValidationError, match="calibration: 'force' needs a guideline"):
        tiny_policy(calibration=CalibrationMode.FORCE)
    with pytest.raises(ValidationError, match="rates: None are required with budget pools"):
        tiny_policy(rates=None)
    with pytest.raises(ValidationError, match="scoring: 'median' is not a scoring policy"):
        tiny_policy(scoring="median")
    with pytest.raises(ValidationError, match="data: 1 is not a CycleData"):
        run_cycle(1, tiny_policy(), at=AT)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="at: .* is a naive datetime"):
        run_cycle(tiny(), tiny_policy(), at=datetime(2026, 12, 20))


def test_leavers_are_not_rated() -> None:
    data = sample_cycle(400, seed=5)
    gone = {e.id for e in data.organisation.employees if not e.is_active(date(2026, 12, 20))}
    assert gone  # the sample has spring leavers at this size
    result = run_cycle(data, sample_policy(data, calibration="force"), at=AT)
    rated = {e.employee_id for e in result.employees}
    assert not rated & gone
    assert not {p.employee_id for p in result.plans} & gone


def test_awards_reach_people_who_are_not_rated() -> None:
    data = sample_cycle()
    result = run_cycle(data, sample_policy(data), at=AT)
    assert result.awards
    rated = {e.employee_id for e in result.employees}
    for award in result.awards:
        if award.employee_id in rated:
            assert award in result.employee(award.employee_id).awards


def test_potentials_override_person_by_person() -> None:
    data = sample_cycle()
    policy = sample_policy(data)
    plain = run_cycle(data, policy, at=AT)
    someone = plain.employees[0].employee_id
    moved = run_cycle(data, policy, at=AT, potentials={someone: 5.0})
    assert moved.nine_box is not None
    assert plain.nine_box is not None
    assert len(moved.nine_box.placements) == len(plain.nine_box.placements)
    assert moved.nine_box.placement(someone).potential == 5.0
    with pytest.raises(
        ValidationError, match=rf"potentials\['{someone}'\]: 'high' is not a number"
    ):
        run_cycle(data, policy, at=AT, potentials={someone: "high"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="potentials: .* is not a mapping"):
        run_cycle(data, policy, at=AT, potentials=[1, 2])  # type: ignore[arg-type]


def test_calibrators_adjust_after_the_forced_distribution() -> None:
    data = sample_cycle(120, seed=3)
    policy = sample_policy(data, calibration="force")
    forced = run_cycle(data, policy, at=AT)
    target = forced.employees[0]
    now = target.rating_after.value
    to = 5.0 if now < 5 else 4.0
    change = Adjustment(
        employee_id=target.employee_id,
        from_value=now,
        to_value=to,
        by="dana",
        at=AT,
        reason="panel agreed",
    )
    final = run_cycle(data, policy, at=AT, adjustments=[change]).employee(target.employee_id)
    assert final.rating_after.value == to
    assert final.adjustments[-1] == change


def test_a_policy_that_does_not_fit_is_refused_before_any_work() -> None:
    data = tiny()
    three = MeritMatrix.from_rows(
        perfkit.THREE_POINT.ref,
        [CompaBand(label="all")],
        {1: ["0"], 2: ["2"], 3: ["4"]},
    )
    with pytest.raises(ValidationError, match=r"^policy\.merit"):
        run_cycle(data, tiny_policy(merit=three, pools=(), rates=None), at=AT)
    dollars = RateTable.of("USD", {})
    with pytest.raises(
        ValidationError, match=r"employees\['boss'\]\.base_pay\.currency: 'EUR' has no rate"
    ):
        run_cycle(data, tiny_policy(rates=dollars), at=AT)
    with pytest.raises(ValidationError, match="data: 'x' is not a CycleData"):
        sample_policy("x")  # type: ignore[arg-type]

"""Rewards: merit matrix, proration, eligibility, currencies, budget pools, bonus, recognition."""

from __future__ import annotations

import contextlib
import decimal
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit.feedback import FeedbackLog, Note, NoteContext, Praise
from perfkit.money import Money, SalaryBand, minor_unit
from perfkit.org import Employee, Organisation, OrgUnit
from perfkit.rewards import (
    BonusPlan,
    BonusProposal,
    BudgetPool,
    CompaBand,
    CurrencyRate,
    Eligibility,
    EligibilityRules,
    LevelTarget,
    MeritAllocation,
    MeritCell,
    MeritMatrix,
    MeritProposal,
    MonotonicityGap,
    PoolReport,
    RateTable,
    RatingMultiplier,
    RecognitionAward,
    RecognitionRule,
    Rounding,
    allocate,
    eligible_days,
    pool_for,
    propose_merit,
    proration,
)
from perfkit.scales import FIVE_POINT, THREE_POINT, Rating

from .strategies.common import dates
from .strategies.org import employee_fields, garbage
from .strategies.rewards import (
    FIVE,
    RATING_VALUES,
    bonus_plans,
    compa_bands,
    compa_ratios,
    eligibilities,
    eligibility_rules,
    employees_with_band,
    fractions,
    merit_matrices,
    merit_proposals,
    monotonicity_gaps,
    pool_reports,
    pools,
    praise_events,
    rate_tables,
    ratings,
    recognition_awards,
    recognition_rules,
    some_currencies,
)

D = Decimal


def eur(x: str) -> Money:
    return Money.of(x, "EUR")


def person(
    eid: str,
    pay: str = "52000.00",
    currency: str = "EUR",
    *,
    hired: date = date(2020, 1, 1),
    left: date | None = None,
    unit: str = "eng",
    level: str = "L2",
    midpoint: str | None = "50000",
) -> Employee:
    band = None
    if midpoint is not None:
        mid = D(midpoint)
        band = SalaryBand(
            minimum=Money(amount=mid * D("0.8"), currency=currency),
            midpoint=Money(amount=mid, currency=currency),
            maximum=Money(amount=mid * D("1.2"), currency=currency),
        )
    return Employee(
        id=eid,
        name=eid.title(),
        unit_id=unit,
        hire_date=hired,
        end_date=left,
        job_level=level,
        base_pay=Money.of(pay, currency),
        band=band,
    )


BANDS = (
    CompaBand(label="below", upper=D("0.9")),
    CompaBand(label="at", upper=D("1.1")),
    CompaBand(label="above"),
)
# The hand-made 3×3 matrix on the three-point scale (rows: rating; columns: compa band).
#               below   at    above
#   1 (below)     0      0      0
#   2 (meets)     4      3      2
#   3 (exceeds)   6      5      3.5
MATRIX = MeritMatrix.from_rows(
    THREE_POINT.ref, BANDS, {1: ["0", "0", "0"], 2: ["4", "3", "2"], 3: ["6", "5", "3.5"]}
)


def three(value: float) -> Rating:
    return THREE_POINT.rate(value)


def five(value: float) -> Rating:
    return FIVE_POINT.rate(value)


# --- JSON round trips ----------------------------------------------------------------------


def round_trips(x: Any) -> None:
    text = perfkit.dumps(x)
    back = perfkit.loads(text, type(x))
    assert back == x
    assert perfkit.dumps(back) == text


@st.composite
def bonus_proposals(draw: st.DrawFn) -> BonusProposal:
    plan = draw(bonus_plans())
    return plan.bonus(draw(employees_with_band()), draw(ratings), draw(fractions))


@st.composite
def allocations(draw: st.DrawFn) -> MeritAllocation:
    # Rates with 2 decimals keep every amount of the report at or above a millionth: the shared
    # converter writes smaller Decimals in exponent notation (1E-7), which it cannot read back.
    table = draw(rate_tables(base="EUR", places=2))
    n = draw(st.integers(0, 6))
    props = [draw(merit_proposals(employee_id=f"e{k}")) for k in range(n)]
    pool_list = [
        BudgetPool(unit_id="a", amount=eur("1000")),
        BudgetPool(unit_id="b", amount=eur("5")),
    ]
    pool_of = {p.employee_id: draw(st.sampled_from(["a", "b"])) for p in props}
    return allocate(props, pool_list, table, pool_of)


EVERY_TYPE = {
    "CompaBand": compa_bands().map(lambda bands: bands[0]),
    "MeritCell": st.builds(
        MeritCell, rating=st.sampled_from(RATING_VALUES), band=st.just("x"), pct=fractions
    ),
    "MeritMatrix": merit_matrices(),
    "MeritMatrix (not monotone)": merit_matrices(monotone=False),
    "MonotonicityGap": monotonicity_gaps,
    "CurrencyRate": st.builds(CurrencyRate, currency=some_currencies, rate=st.just(D("1.25"))),
    "RateTable": rate_tables(),
    "Eligibility": eligibilities(),
    "EligibilityRules": eligibility_rules,
    "MeritProposal": merit_proposals(),
    "BudgetPool": pools,
    "PoolReport": pool_reports,
    "MeritAllocation": allocations(),
    "LevelTarget": st.builds(LevelTarget, job_level=st.just("L3"), pct=fractions),
    "RatingMultiplier": st.builds(RatingMultiplier, rating=st.just(3.0), multiplier=fractions),
    "BonusPlan": bonus_plans(),
    "BonusProposal": bonus_proposals(),
    "RecognitionRule": recognition_rules(),
    "RecognitionAward": recognition_awards(),
}


@pytest.mark.parametrize("name", sorted(EVERY_TYPE))
@given(data=st.data())
def test_every_type_round_trips_through_json(name: str, data: st.DataObject) -> None:
    round_trips(data.draw(EVERY_TYPE[name]))


# --- the merit matrix ------------------------------------------------------------------------


def test_three_by_three_matrix_by_hand() -> None:
    assert MATRIX.increase_pct(3, D("0.85")) == D("6")
    assert MATRIX.increase_pct(3, D("0.9")) == D("5")  # an upper bound is exclusive
    assert MATRIX.increase_pct(2, D("1.0999")) == D("3")
    assert MATRIX.increase_pct(2, D("1.1")) == D("2")
    assert MATRIX.increase_pct(2, D("7")) == D("2")  # the last band is open-ended
    assert MATRIX.increase_pct(1, D("0")) == D("0")
    assert MATRIX.band_for(D("1.04")).label == "at"
    assert MATRIX.monotone() == ()
    MATRIX.check_scale(THREE_POINT)


def test_merit_proposal_by_hand() -> None:
    # 52,000 EUR on a 50,000 midpoint: compa-ratio 1.04 → band "at"; rating 3 → 5 %.
    # 52,000 × 5 % = 2,600; prorated 0.75 → 1,950.00 EUR.
    p = propose_merit(person("ann"), three(3), MATRIX, proration=D("0.75"))
    assert (p.compa_ratio, p.band, p.pct) == (D("1.04"), "at", D("5"))
    assert p.raw_increase == eur("1950")
    assert p.final_increase.amount == D("1950.00")
    assert p.sentence() == "merit 5% of 52,000.00 EUR = 2,600.00 EUR, prorated 0.75 → 1,950.00 EUR"
    round_trips(p)


def test_the_sentence_of_the_brief() -> None:
    matrix = MeritMatrix.from_rows(
        FIVE,
        [CompaBand(label="all")],
        {v: [D("4.0") if v >= 4 else D(v - 1)] for v in RATING_VALUES},
    )
    p = propose_merit(person("ann"), five(4), matrix, proration=D("0.75"))
    assert (
        p.sentence() == "merit 4.0% of 52,000.00 EUR = 2,080.00 EUR, prorated 0.75 → 1,560.00 EUR"
    )


def test_an_explicit_compa_ratio_and_a_missing_band() -> None:
    nobody = person("bob", midpoint=None)
    p = propose_merit(nobody, three(2), MATRIX, compa_ratio=D("0.5"))
    assert (p.band, p.pct) == ("below", D("4"))
    with pytest.raises(perfkit.ValidationError, match="employee.band: None is missing for 'bob'"):
        propose_merit(nobody, three(2), MATRIX)


def test_ratings_on_another_scale_are_refused() -> None:
    with pytest.raises(perfkit.ValidationError, match="rating.scale: 'five-point v1' is not"):
        propose_merit(person("ann"), five(3), MATRIX)
    with pytest.raises(
        perfkit.ValidationError,
        match=r"rating_value: 4 is not a rating of the merit matrix \(1, 2, 3\)",
    ):
        MATRIX.increase_pct(4, D(1))
    with pytest.raises(perfkit.ValidationError, match="compa_ratio: 0.9 is a float"):
        MATRIX.increase_pct(2, 0.9)  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match="scale: 'five-point v1' is not the matrix"):
        MATRIX.check_scale(FIVE_POINT)


def cells_of(rows: dict[float, list[str]]) -> list[MeritCell]:
    return [
        MeritCell(rating=r, band=b.label, pct=p)
        for r, ps in rows.items()
        for b, p in zip(BANDS, ps, strict=True)
    ]


def test_every_cell_is_needed_once() -> None:
    full = {1: ["0", "0", "0"], 2: ["4", "3", "2"], 3: ["6", "5", "3.5"]}
    cells = cells_of(full)
    common = {"scale": THREE_POINT.ref, "ratings": [1, 2, 3], "compa_bands": BANDS}
    with pytest.raises(
        perfkit.ValidationError, match="cells: have no cell for rating 3 in band 'above'"
    ):
        MeritMatrix(**common, cells=cells[:-1])
    with pytest.raises(
        perfkit.ValidationError, match=r"cells\[9\]: '1 × below' repeats cells\[0\]"
    ):
        MeritMatrix(**common, cells=[*cells, cells[0]])
    with pytest.raises(perfkit.UnknownReferenceError, match=r"cells\[9\].band: 'middle' is not"):
        MeritMatrix(**common, cells=[*cells, MeritCell(rating=1, band="middle", pct=D(0))])
    with pytest.raises(perfkit.ValidationError, match=r"cells\[9\].rating: 4.0 is not a rating"):
        MeritMatrix(**common, cells=[*cells, MeritCell(rating=4, band="at", pct=D(0))])
    with pytest.raises(perfkit.ValidationError, match=r"ratings\[1\]: 1.0 is not above 2"):
        MeritMatrix(**{**common, "ratings": [2, 1, 3]}, cells=cells)


def test_compa_bands_are_ordered_and_only_the_last_is_open() -> None:
    def build(bands: list[CompaBand]) -> MeritMatrix:
        return MeritMatrix.from_rows(
            THREE_POINT.ref, bands, {r: ["1"] * len(bands) for r in (1, 2, 3)}
        )

    with pytest.raises(
        perfkit.ValidationError,
        match=r"compa_bands\[1\].upper: Decimal\('0.9'\) is not above the previous band's 1.0",
    ):
        build(
            [
                CompaBand(label="a", upper=D("1.0")),
                CompaBand(label="b", upper=D("0.9")),
                CompaBand(label="c"),
            ]
        )
    with pytest.raises(
        perfkit.ValidationError, match=r"compa_bands\[1\].upper: Decimal\('2'\) must be None"
    ):
        build([CompaBand(label="a", upper=D("1")), CompaBand(label="b", upper=D("2"))])
    with pytest.raises(perfkit.ValidationError, match=r"compa_bands\[0\].upper: None is missing"):
        build([CompaBand(label="a"), CompaBand(label="b")])
    with pytest.raises(perfkit.ValidationError, match=r"compa_bands\[1\].label: 'a' repeats"):
        build([CompaBand(label="a", upper=D(1)), CompaBand(label="a")])
    with pytest.raises(perfkit.ValidationError, match="compa_bands: .* is empty"):
        build([])


def test_a_non_monotone_matrix_is_refused_or_reported() -> None:
    rows = {1: ["0", "0", "0"], 2: ["4", "3", "2"], 3: ["6", "2.5", "3.5"]}
    with pytest.raises(
        perfkit.ValidationError,
        match=r"cells\[7\].pct: Decimal\('2.5'\) is below the 3% of rating 2 in band 'at'",
    ):
        MeritMatrix.from_rows(THREE_POINT.ref, BANDS, rows)
    lax = MeritMatrix.from_rows(THREE_POINT.ref, BANDS, rows, require_monotone=False)
    gap = MonotonicityGap(band="at", rating=2, pct=D("3"), higher_rating=3, higher_pct=D("2.5"))
    assert lax.monotone() == (gap,)
    assert gap.sentence() == "band 'at': rating 3 gets 2.5%, less than rating 2's 3%"


@given(
    merit_matrices(),
    st.sampled_from(RATING_VALUES),
    st.sampled_from(RATING_VALUES),
    compa_ratios,
    employees_with_band(),
)
def test_a_higher_rating_never_lowers_the_merit_increase(
    matrix: MeritMatrix, a: float, b: float, ratio: Decimal, employee: Employee
) -> None:
    low, high = sorted((a, b))
    assert matrix.increase_pct(low, ratio) <= matrix.increase_pct(high, ratio)
    p_low = propose_merit(employee, five(low), matrix, compa_ratio=ratio)
    p_high = propose_merit(employee, five(high), matrix, compa_ratio=ratio)
    assert p_low.raw_increase.amount <= p_high.raw_increase.amount
    assert p_low.final_increase.amount <= p_high.final_increase.amount


# --- proration -----------------------------------------------------------------------------


def test_proration_across_a_leap_year() -> None:
    # Hired 2024-03-01: March to December of 2024 is 306 of its 366 days.
    hired = person("ann", hired=date(2024, 3, 1))
    assert eligible_days(hired, date(2024, 1, 1), date(2024, 12, 31)) == 306
    assert proration(hired, date(2024, 1, 1), date(2024, 12, 31)) == D(306) / D(366)
    # The same hire date in 2023 (365 days): 306 of 365.
    assert (
        eligible_days(person("bob", hired=date(2023, 3, 1)), date(2023, 1, 1), date(2023, 12, 31))
        == 306
    )
    # Left on 2024-02-29 (last day worked) after being hired on 2024-02-01: 29 days.
    short = person("cy", hired=date(2024, 2, 1), left=date(2024, 2, 29))
    assert eligible_days(short, date(2024, 1, 1), date(2024, 12, 31)) == 29
    assert proration(person("dee"), date(2024, 1, 1), date(2024, 12, 31)) == D(1)
    assert proration(
        person("eve", hired=date(2025, 1, 1)), date(2024, 1, 1), date(2024, 12, 31)
    ) == D(0)


def test_proration_does_not_depend_on_the_callers_decimal_context() -> None:
    hired = person("ann", hired=date(2024, 3, 1))
    expected = proration(hired, date(2024, 1, 1), date(2024, 12, 31))
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_DOWN
        assert proration(hired, date(2024, 1, 1), date(2024, 12, 31)) == expected
        p = propose_merit(person("bob"), three(3), MATRIX, proration=expected)
    assert p == propose_merit(person("bob"), three(3), MATRIX, proration=expected)


def test_a_period_must_not_end_before_it_starts() -> None:
    with pytest.raises(
        perfkit.ValidationError, match="period_end: .* is before period_start 2024-01-01"
    ):
        proration(person("ann"), date(2024, 1, 1), date(2023, 12, 31))


@given(employee_fields(), dates, st.integers(0, 800))
def test_proration_is_a_share_and_whole_for_the_whole_period(
    fields: dict[str, Any], start: date, length: int
) -> None:
    employee = Employee(**fields)
    end = start + timedelta(days=length)
    share = proration(employee, start, end)
    assert D(0) <= share <= D(1)
    employed_all_period = employee.hire_date <= start and (
        employee.end_date is None or employee.end_date >= end
    )
    assert (share == 1) == employed_all_period
    days = eligible_days(employee, start, end)
    assert days == sum(employee.is_active(start + timedelta(days=k)) for k in range(length + 1))


# --- eligibility ---------------------------------------------------------------------------


def test_eligibility_rules_name_every_reason() -> None:
    rules = EligibilityRules(
        min_tenure_days=90, min_rating=2, cutoff=date(2026, 10, 1), scale=THREE_POINT.ref
    )
    on = date(2027, 1, 1)
    ok = rules.check(person("ann", hired=date(2025, 1, 1)), three(2), on)
    assert ok == Eligibility(employee_id="ann", eligible=True)
    assert ok.sentence() == "ann is eligible"
    late = rules.check(person("bob", hired=date(2026, 10, 2), left=date(2026, 12, 1)), three(1), on)
    assert late.reasons == (
        "hired 2026-10-02, after the cutoff 2026-10-01",
        "tenure 0 days on 2026-10-01, less than 90",
        "rating 1 is below 2",
        "left on 2026-12-01, before 2027-01-01",
    )
    assert late.sentence().startswith("bob is not eligible: hired 2026-10-02")
    assert rules.check(person("cy", hired=date(2026, 8, 1)), None, on).reasons == (
        "tenure 61 days on 2026-10-01, less than 90",
        "no rating (at least 2 needed)",
    )
    with pytest.raises(
        perfkit.ValidationError, match="rating.scale: 'five-point v1' is not the rules' scale"
    ):
        rules.check(person("ann"), five(3), on)
    leaver_ok = EligibilityRules(exclude_leavers=False)
    assert leaver_ok.check(person("dee", left=date(2026, 1, 1)), None, on).eligible


def test_an_eligibility_says_why_exactly_when_not_eligible() -> None:
    with pytest.raises(perfkit.ValidationError, match="reasons: .* are empty"):
        Eligibility(employee_id="a", eligible=False)
    with pytest.raises(perfkit.ValidationError, match="reasons: .* are given for an eligible"):
        Eligibility(employee_id="a", eligible=True, reasons=["late"])


# --- currencies ------------------------------------------------------------------------------

RATES = RateTable.of("EUR", {"USD": "0.9", "JPY": "0.0062"})


def test_conversion_goes_through_the_base_currency() -> None:
    assert RATES.convert(Money.of("100", "USD"), "EUR") == eur("90.0")
    assert RATES.to_base(Money.of("1000", "JPY")) == eur("6.2000")
    assert RATES.convert(eur("9"), "USD") == Money.of("10", "USD")
    assert RATES.convert(Money.of("90", "USD"), "JPY").quantize() == Money.of("13065", "JPY")
    assert RATES.rate("EUR") == 1


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(
        perfkit.UnknownReferenceError,
        match=r"currency: 'GBP' has no rate in the rate table \(rates for: EUR, JPY, USD\)",
    ):
        RATES.convert(Money.of("1", "GBP"), "EUR")
    with pytest.raises(perfkit.UnknownReferenceError, match="currency: 'CHF'"):
        RATES.convert(eur("1"), "CHF")
    with pytest.raises(
        perfkit.ValidationError, match=r"rates\[0\].rate: Decimal\('2'\) is not 1 for the base EUR"
    ):
        RateTable(base="EUR", rates=[CurrencyRate(currency="EUR", rate=D(2))])
    with pytest.raises(perfkit.ValidationError, match="rate: Decimal.'0'. is not positive"):
        CurrencyRate(currency="USD", rate=D(0))
    with pytest.raises(perfkit.ValidationError, match="rate: 0.9 is a float"):
        CurrencyRate(currency="USD", rate=0.9)  # type: ignore[arg-type]


# --- budget pools ----------------------------------------------------------------------------

ORG = Organisation(
    units=[
        OrgUnit(id="co", name="Company"),
        OrgUnit(id="eng", name="Engineering", parent_id="co"),
        OrgUnit(id="web", name="Web", parent_id="eng"),
        OrgUnit(id="ops", name="Operations", parent_id="co"),
        OrgUnit(id="lab", name="Lab"),
    ],
    employees=[
        person("ann", unit="web"),
        person("bob", unit="eng"),
        person("cy", unit="ops"),
        person("dee", unit="co"),
        person("eve", unit="lab"),
    ],
)


def test_the_nearest_pool_up_the_unit_tree_wins() -> None:
    pool_list = [
        BudgetPool(unit_id="co", amount=eur("100")),
        BudgetPool(unit_id="eng", amount=eur("50")),
    ]
    assert pool_for(ORG, pool_list) == {"ann": "eng", "bob": "eng", "cy": "co", "dee": "co"}
    assert list(pool_for(ORG, pool_list)) == ["ann", "bob", "cy", "dee"]
    with pytest.raises(
        perfkit.UnknownReferenceError, match=r"pools\[0\].unit_id: 'mars' is not an org unit"
    ):
        pool_for(ORG, [BudgetPool(unit_id="mars", amount=eur("1"))])


def proposal(eid: str, raw: str, currency: str = "EUR") -> MeritProposal:
    return MeritProposal(
        employee_id=eid,
        base_pay=Money.of("1000", currency),
        rating=three(2),
        compa_ratio=D(1),
        band="at",
        pct=D(1),
        raw_increase=Money.of(raw, currency),
        final_increase=Money.of(raw, currency).quantize(),
    )


def test_a_pool_that_is_80_percent_of_demand_in_two_currencies() -> None:
    # Ann: 52,000 EUR, compa 1.04 ("at"), rating 3 → 5 % = 2,600.00 EUR.
    # Bob: 60,000 USD on a 70,000 USD midpoint, compa 0.857 ("below"), rating 3 → 6 % = 3,600.00 USD
    #      = 3,240.00 EUR at 0.9.
    # Demand 5,840.00 EUR; the pool is 80 % of it: 4,672.00 EUR; factor 0.8.
    # Ann 2,080.00 EUR; Bob 2,880.00 USD = 2,592.00 EUR; spent 4,672.00 EUR, nothing left.
    ann = propose_merit(person("ann"), three(3), MATRIX)
    bob = propose_merit(person("bob", "60000", "USD", midpoint="70000"), three(3), MATRIX)
    assert (bob.band, bob.pct, bob.raw_increase) == ("below", D(6), Money.of("3600", "USD"))
    pool_list = [BudgetPool(unit_id="eng", amount=eur("4672.00"))]
    result = allocate([bob, ann], pool_list, RATES, pool_for(ORG, pool_list))
    assert [p.employee_id for p in result.proposals] == ["ann", "bob"]
    assert result.proposal("ann").final_increase == eur("2080.00")
    assert result.proposal("bob").final_increase == Money.of("2880.00", "USD")
    report = result.pool("eng")
    assert (report.factor, report.headcount) == (D("0.8"), 2)
    assert (report.demand.amount, report.spend.amount, report.remaining.amount) == (
        D("5840.00"),
        D("4672.00"),
        D(0),
    )
    assert report.sentence() == (
        "pool eng: demand 5,840.00 EUR for 2 people, pool 4,672.00 EUR, factor 0.8; "
        "spent 4,672.00 EUR, 0.00 EUR left"
    )
    assert result.proposal("bob").sentence() == (
        "merit 6% of 60,000.00 USD = 3,600.00 USD, scaled 0.8 by pool eng → 2,880.00 USD"
    )
    assert result.total == {"EUR": eur("2080.00"), "USD": Money.of("2880.00", "USD")}


def test_rounding_remainders_go_by_largest_remainder_within_the_pool() -> None:
    # Three raises of 10.00 EUR against a pool of 20.00: factor 2/3 (rounded down), each scaled
    # raise is 6.666…, rounded down to 6.66 (19.98 in all); the 0.02 left goes one cent at a
    # time to the largest remainders — all equal, so to the smallest ids: a and b.
    props = [proposal(x, "10.00") for x in ("c", "a", "b")]
    result = allocate(
        props, [BudgetPool(unit_id="p", amount=eur("20.00"))], RATES, dict.fromkeys("abc", "p")
    )
    assert [p.final_increase.amount for p in result.proposals] == [D("6.67"), D("6.67"), D("6.66")]
    assert result.pools[0].spend == eur("20.00")
    assert result.pools[0].factor == D("0.6666666666666666666666666666")
    assert (
        result.proposal("c")
        .sentence()
        .endswith("scaled 0.6667 by pool p → 6.67 EUR, rounded → 6.66 EUR")
    )


def test_a_cent_that_does_not_fit_stays_in_the_pool() -> None:
    # One raise of 10.005 EUR, pool 100: not scaled; the pool does not bind, so the raise is
    # rounded on its own, half-even: 10.00, exactly as without a pool. Two such raises: the same,
    # 10.00 each — a budget that does not bind changes nobody's pay.
    pool_list = [BudgetPool(unit_id="p", amount=eur("100"))]
    one = allocate([proposal("a", "10.005")], pool_list, RATES, {"a": "p"})
    assert one.proposals[0].final_increase == eur("10.00")
    assert one.pools[0].remaining == eur("90.00")
    two = allocate(
        [proposal("b", "10.005"), proposal("a", "10.005")],
        pool_list,
        RATES,
        dict.fromkeys("ab", "p"),
    )
    assert [p.final_increase.amount for p in two.proposals] == [D("10.00"), D("10.00")]
    assert two.pools[0].factor == 1


def test_remainders_across_currencies_use_the_fraction_of_a_minor_unit() -> None:
    # Pool 10.00 EUR; demand: 9.999 EUR (a) + 1,000.9 JPY at 0.0062 (b, 6.20558 EUR) = 16.20458.
    # Factor 10 / 16.20458 = 0.61711…: a → 6.1705 EUR, b → 617.66 JPY.
    # Floors 6.17 EUR + 617 JPY (3.8254 EUR) = 9.9954 EUR. Remainders: b 0.66 of a yen, a 0.05 of
    # a cent. b first: one more yen would make 9.9954 + 0.0062 = 10.0016 > 10, so no; a's cent
    # (10.0054) does not fit either: 0.0046 EUR stays in the pool.
    props = [proposal("a", "9.999"), proposal("b", "1000.9", "JPY")]
    result = allocate(
        props, [BudgetPool(unit_id="p", amount=eur("10.00"))], RATES, {"a": "p", "b": "p"}
    )
    assert result.proposal("a").final_increase == eur("6.17")
    assert result.proposal("b").final_increase == Money.of("617", "JPY")
    assert result.pools[0].spend.amount == D("9.9954")
    assert result.pools[0].remaining.amount == D("0.0046")


@st.composite
def pool_scenarios(
    draw: st.DrawFn,
) -> tuple[list[MeritProposal], list[BudgetPool], RateTable, dict[str, str]]:
    table = draw(rate_tables())
    n = draw(st.integers(0, 14))
    props = [draw(merit_proposals(employee_id=f"e{k:02}")) for k in range(n)]
    unit_ids = ["p1", "p2", "p3"]
    pool_of = {p.employee_id: draw(st.sampled_from(unit_ids)) for p in props}
    pool_list = []
    for u in unit_ids:
        demand = sum(
            (table.to_base(p.raw_increase).amount for p in props if pool_of[p.employee_id] == u),
            D(0),
        )
        share = draw(
            st.sampled_from([D(0), D("0.5"), D("0.8"), D("0.999"), D(1), D("1.5")]) | fractions
        )
        amount = draw(
            st.just((demand * share).quantize(D("0.01"))) | st.decimals(0, 10**6, places=2)
        )
        pool_list.append(BudgetPool(unit_id=u, amount=Money(amount=amount, currency=table.base)))
    return props, draw(st.permutations(pool_list)), table, pool_of


def exact(m: Money, table: RateTable) -> Fraction:
    return Fraction(m.amount) * Fraction(table.rate(m.currency))


@given(pool_scenarios())
def test_rewards_never_exceed_the_pool(
    scenario: tuple[list[MeritProposal], list[BudgetPool], RateTable, dict[str, str]],
) -> None:
    props, pool_list, table, pool_of = scenario
    result = allocate(props, pool_list, table, pool_of)
    for pool in pool_list:
        members = [p for p in result.proposals if p.pool_id == pool.unit_id]
        spent = sum((exact(p.final_increase, table) for p in members), Fraction(0))
        demand = sum((exact(p.raw_increase, table) for p in members), Fraction(0))
        assert spent <= Fraction(pool.amount.amount)
        report = result.pool(pool.unit_id)
        own = [p.raw_increase.quantize(rounding=decimal.ROUND_HALF_EVEN).amount for p in members]
        if report.factor == 1 and [p.final_increase.amount for p in members] == own:
            pass  # the pool does not bind: everyone keeps their increase rounded on its own
        else:
            assert spent <= demand
        # The report rounds spending up to Money's 12 decimal places (exact for these rates).
        assert 0 <= Fraction(report.spend.amount) - spent < Fraction(1, 10**12)
        assert report.spend.amount + report.remaining.amount == pool.amount.amount
        assert D(0) <= report.factor <= D(1)
        assert (report.factor == 1) == (demand <= Fraction(pool.amount.amount))
        for p in members:
            unit = Fraction(1, 10 ** minor_unit(p.base_pay.currency))
            target = Fraction(p.raw_increase.amount) * Fraction(report.factor)
            assert target - unit < Fraction(p.final_increase.amount) <= target + unit
            assert Fraction(p.final_increase.amount) % unit == 0
            assert p.factor == report.factor


@given(pool_scenarios(), st.randoms())
def test_allocation_is_deterministic_whatever_the_input_order(
    scenario: tuple[list[MeritProposal], list[BudgetPool], RateTable, dict[str, str]], rnd: Any
) -> None:
    props, pool_list, table, pool_of = scenario
    shuffled = list(props)
    rnd.shuffle(shuffled)
    first = allocate(props, pool_list, table, pool_of)
    assert perfkit.dumps(
        allocate(shuffled, list(reversed(pool_list)), table, dict(reversed(pool_of.items())))
    ) == perfkit.dumps(first)


def test_allocation_refuses_what_does_not_fit_together() -> None:
    pool_list = [BudgetPool(unit_id="p", amount=eur("10"))]
    with pytest.raises(
        perfkit.ValidationError, match=r"proposals\[0\].employee_id: 'a' draws from no pool"
    ):
        allocate([proposal("a", "1")], pool_list, RATES, {})
    with pytest.raises(
        perfkit.UnknownReferenceError, match=r"pool_of\['a'\]: 'q' is not the unit of a budget pool"
    ):
        allocate([proposal("a", "1")], pool_list, RATES, {"a": "q"})
    with pytest.raises(
        perfkit.ValidationError, match=r"proposals\[1\].employee_id: 'a' repeats proposals\[0\]"
    ):
        allocate([proposal("a", "1"), proposal("a", "2")], pool_list, RATES, {"a": "p"})
    with pytest.raises(
        perfkit.ValidationError,
        match=r"pools\[0\].amount.currency: 'USD' is not the rate table's base currency EUR",
    ):
        allocate([], [BudgetPool(unit_id="p", amount=Money.of("1", "USD"))], RATES, {})
    with pytest.raises(perfkit.UnknownReferenceError, match="currency: 'GBP' has no rate"):
        allocate([proposal("a", "1", "GBP")], pool_list, RATES, {"a": "p"})
    with pytest.raises(perfkit.ValidationError, match=r"pools\[1\].unit_id: 'p' repeats"):
        allocate([], [*pool_list, *pool_list], RATES, {})
    with pytest.raises(perfkit.NotFoundError, match="no merit proposal with id 'zz'"):
        allocate([], pool_list, RATES, {}).proposal("zz")


def test_merit_proposals_check_their_currencies() -> None:
    with pytest.raises(
        perfkit.ValidationError, match="final_increase.currency: 'USD' differs from base_pay's EUR"
    ):
        attrs.evolve(proposal("a", "1"), final_increase=Money.of("1", "USD"))
    with pytest.raises(
        perfkit.ValidationError, match=r"raw_increase.amount: Decimal\('-1.00'\) is negative"
    ):
        attrs.evolve(proposal("a", "1"), raw_increase=eur("-1"))
    with pytest.raises(
        perfkit.ValidationError, match="proration: Decimal.'1.5'. is not between 0 and 1"
    ):
        attrs.evolve(proposal("a", "1"), proration=D("1.5"))


# --- bonus ---------------------------------------------------------------------------------

PLAN = BonusPlan(
    scale=THREE_POINT.ref,
    targets=[LevelTarget(job_level="L3", pct=D(15))],
    default_target_pct=D(10),
    multipliers=[
        RatingMultiplier(rating=1, multiplier=D(0)),
        RatingMultiplier(rating=2, multiplier=D(1)),
        RatingMultiplier(rating=3, multiplier=D("1.5")),
    ],
    company_multiplier=D("1.2"),
    cap=D("1.5"),
)


def test_a_bonus_with_a_cap_by_hand() -> None:
    # 60,000 × 10 % = 6,000 target; prorated 0.5 → 3,000; × 1.5 × 1.2 = 5,400; the cap is
    # 1.5 × 3,000 = 4,500, so 4,500.00 EUR.
    b = PLAN.bonus(person("ann", "60000"), three(3), D("0.5"))
    assert (b.target_pct, b.target, b.uncapped, b.cap) == (
        D(10),
        eur("3000"),
        eur("5400"),
        eur("4500"),
    )
    assert b.capped
    assert b.amount == eur("4500.00")
    assert b.sentence() == (
        "bonus target 10% of 60,000.00 EUR = 6,000.00 EUR, prorated 0.5 → 3,000.00 EUR "
        "× individual 1.5 × company 1.2 = 5,400.00 EUR, "
        "capped at 1.5× target 4,500.00 EUR → 4,500.00 EUR"
    )
    # Level L3 has its own 15 %: 80,000 × 15 % = 12,000 × 1 × 1.2 = 14,400.00, under the cap.
    c = PLAN.bonus(person("bob", "80000", level="L3"), three(2))
    assert (c.amount, c.capped) == (eur("14400.00"), False)
    assert c.sentence().endswith("× individual 1 × company 1.2 = 14,400.00 EUR")
    round_trips(b)


def test_bonus_rounding_never_lifts_a_bonus_over_its_cap() -> None:
    # Target 1 % of 0.50 EUR = 0.005; cap 1 × target = 0.005; half-up would pay 0.01 > cap.
    plan = attrs.evolve(PLAN, cap=D(1), rounding=Rounding.HALF_UP, default_target_pct=D(1))
    b = plan.bonus(person("ann", "0.50"), three(3))
    assert b.capped
    assert b.amount == eur("0.00")


def test_bonus_plan_errors_name_the_field() -> None:
    with pytest.raises(
        perfkit.ValidationError,
        match="job_level: 'L9' has no bonus target and the plan has no default",
    ):
        attrs.evolve(PLAN, default_target_pct=None).bonus(person("ann", level="L9"), three(2))
    with pytest.raises(
        perfkit.ValidationError, match="targets: .* are empty and there is no default_target_pct"
    ):
        BonusPlan(scale=FIVE, multipliers=[RatingMultiplier(rating=1, multiplier=D(1))])
    with pytest.raises(
        perfkit.ValidationError, match=r"multipliers\[1\].rating: 1.0 repeats multipliers\[0\]"
    ):
        attrs.evolve(PLAN, multipliers=[RatingMultiplier(rating=1, multiplier=D(1))] * 2)
    with pytest.raises(
        perfkit.ValidationError, match=r"rating_value: 5.0 has no bonus multiplier \(1, 2, 3\)"
    ):
        PLAN.individual_multiplier(5.0)
    with pytest.raises(perfkit.ValidationError, match="cap: Decimal.'0'. is not positive"):
        attrs.evolve(PLAN, cap=D(0))
    with pytest.raises(
        perfkit.ValidationError, match="proration: Decimal.'2'. is not between 0 and 1"
    ):
        PLAN.bonus(person("ann"), three(2), D(2))


@given(bonus_plans(), employees_with_band(), ratings, fractions)
def test_bonuses_never_exceed_the_cap(
    plan: BonusPlan, employee: Employee, rating: Rating, share: Decimal
) -> None:
    b = plan.bonus(employee, rating, share)
    assert b.amount.amount <= b.cap.amount
    assert b.cap.amount == b.target.amount * plan.cap
    assert b.amount.amount >= 0
    assert -b.amount.amount.as_tuple().exponent <= minor_unit(b.amount.currency)  # type: ignore[operator]
    assert plan.bonus(employee, rating, share) == b


# --- recognition ---------------------------------------------------------------------------

AS_OF = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)


def praise(pid: str, author: str, subject: str, days_before: float) -> Praise:
    return Praise(
        id=pid,
        author=author,
        subject=subject,
        at=AS_OF - timedelta(days=days_before),
        text="Great work",
    )


SPOT = RecognitionRule(id="spot", min_praise=3, window_days=90, award=eur("250"))
PEOPLE = [person("ann"), person("bob"), person("cy"), person("dee", left=date(2026, 3, 1))]


def test_a_recognition_award_by_hand() -> None:
    log = FeedbackLog(
        events=[
            praise("p1", "bob", "ann", 80),
            praise("p2", "cy", "ann", 10),
            praise("p3", "bob", "ann", 0),  # at as_of itself: counts
            praise("p4", "ann", "bob", 1),
            praise("p5", "ann", "bob", 2),
            praise("p6", "cy", "bob", 90),  # exactly 90 days before: outside the window
            praise("p7", "ann", "dee", 1),
            praise("p8", "bob", "dee", 2),
            praise("p9", "cy", "dee", 3),  # dee left before as_of: no award
            Note(
                id="n1",
                author="bob",
                subject="ann",
                at=AS_OF,
                text="1:1",
                context=NoteContext.ONE_ON_ONE,
            ),
        ]
    )
    awards = SPOT.awards(log, PEOPLE, AS_OF)
    assert len(awards) == 1
    award = awards[0]
    assert (award.employee_id, award.praise_ids, award.amount) == (
        "ann",
        ("p1", "p2", "p3"),
        eur("250"),
    )
    assert award.praise_count == 3
    assert award.window_start == AS_OF - timedelta(days=90)
    assert award.sentence() == (
        "spot award 250.00 EUR for ann: 3 praises from 2 people between "
        "2025-12-31T18:00:00+00:00 and 2026-03-31T18:00:00+00:00 (rule: 3 or more in 90 days) "
        "→ 250.00 EUR"
    )
    round_trips(award)
    # Counting distinct authors only, Ann has 2 (bob twice): no award.
    assert attrs.evolve(SPOT, distinct_authors=True).awards(log, PEOPLE, AS_OF) == ()


def test_a_percentage_award_is_paid_in_the_persons_currency() -> None:
    rule = RecognitionRule(id="kudos", min_praise=1, window_days=30, award_pct=D("0.5"))
    awards = rule.awards([praise("p1", "ann", "bob", 1)], [person("bob", "61001", "USD")], AS_OF)
    # 0.5 % of 61,001 USD = 305.005 → 305.00 (half-even).
    assert awards[0].amount == Money.of("305.00", "USD")
    assert awards[0].reason.endswith("→ 0.5% of 61,001.00 USD")
    with pytest.raises(perfkit.ValidationError, match="award: None give exactly one of award"):
        RecognitionRule(id="x", min_praise=1, window_days=1)


@given(recognition_rules(), st.data())
def test_recognition_counts_what_the_rule_says(rule: RecognitionRule, data: st.DataObject) -> None:
    people = ("ann", "bob", "cy")
    events = data.draw(praise_events(people))
    as_of = datetime(2026, 3, 1, tzinfo=UTC)
    employees = [person(p, "1000", "GBP") for p in people]
    awards = rule.awards(events, employees, as_of)
    assert [a.employee_id for a in awards] == sorted(a.employee_id for a in awards)
    for subject in people:
        counted = [
            e
            for e in events
            if e.subject == subject and as_of - timedelta(days=rule.window_days) < e.at <= as_of
        ]
        n = len({e.author for e in counted}) if rule.distinct_authors else len(counted)
        got = [a for a in awards if a.employee_id == subject]
        assert len(got) == (1 if n >= rule.min_praise else 0)
        if got:
            assert got[0].praise_count == n
    assert rule.awards(list(reversed(events)), list(reversed(employees)), as_of) == awards


# --- garbage in: only perfkit errors -------------------------------------------------------


def only_perfkit_errors(build: Callable[[], object]) -> None:
    with contextlib.suppress(perfkit.PerfkitError):
        build()


@given(garbage, garbage, garbage)
def test_garbage_arguments_give_only_perfkit_errors(a: Any, b: Any, c: Any) -> None:
    ann = person("ann")
    pool_list = [BudgetPool(unit_id="eng", amount=eur("100"))]
    calls: list[Callable[[], object]] = [
        lambda: proration(a, b, c),
        lambda: proration(ann, a, b),
        lambda: proration(ann, date(2024, 1, 1), a),
        lambda: eligible_days(ann, a, b),
        lambda: EligibilityRules().check(a, b, c),
        lambda: EligibilityRules().check(ann, a, date(2024, 1, 1)),
        lambda: EligibilityRules(min_rating=2).check(ann, three(2), a),
        lambda: RATES.convert(a, b),
        lambda: RATES.convert(eur("1"), a),
        lambda: RATES.rate(a),
        lambda: RateTable.of(a, b),
        lambda: RateTable.of("EUR", {"USD": a}),
        lambda: MATRIX.increase_pct(a, b),
        lambda: MATRIX.increase_pct(2, a),
        lambda: MATRIX.band_for(a),
        lambda: MeritMatrix.from_rows(a, b, c),
        lambda: MeritMatrix.from_rows(THREE_POINT.ref, BANDS, {1: a}),
        lambda: propose_merit(a, b, c),
        lambda: propose_merit(ann, three(2), MATRIX, proration=a),
        lambda: propose_merit(ann, three(2), MATRIX, compa_ratio=a),
        lambda: propose_merit(ann, three(2), MATRIX, rounding=a),
        lambda: pool_for(a, b),
        lambda: pool_for(ORG, a),
        lambda: allocate(a, b, c, a),
        lambda: allocate([proposal("ann", "1")], pool_list, RATES, a),
        lambda: allocate(a, pool_list, RATES, {"ann": "eng"}),
        lambda: allocate([], a, RATES, {}),
        lambda: PLAN.bonus(a, b, c),
        lambda: PLAN.bonus(ann, three(2), a),
        lambda: PLAN.target_pct(a),
        lambda: PLAN.individual_multiplier(a),
        lambda: SPOT.awards(a, b, c),
        lambda: SPOT.awards([], PEOPLE, a),
        lambda: SPOT.awards(a, PEOPLE, AS_OF),
        lambda: SPOT.awards([], a, AS_OF),
    ]
    for call in calls:
        only_perfkit_errors(call)


FIELDS_OF: dict[type, Callable[[], dict[str, Any]]] = {
    CompaBand: lambda: {"label": "a", "upper": D(1)},
    MeritCell: lambda: {"rating": 1, "band": "a", "pct": D(1)},
    MeritMatrix: lambda: {
        "scale": THREE_POINT.ref,
        "ratings": MATRIX.ratings,
        "compa_bands": BANDS,
        "cells": MATRIX.cells,
    },
    CurrencyRate: lambda: {"currency": "USD", "rate": D(1)},
    RateTable: lambda: {"base": "EUR", "rates": RATES.rates},
    EligibilityRules: lambda: {"min_tenure_days": 1, "min_rating": 2, "cutoff": date(2026, 1, 1)},
    BudgetPool: lambda: {"unit_id": "u", "amount": eur("1")},
    MeritProposal: lambda: attrs.asdict(proposal("a", "1"), recurse=False),
    BonusPlan: lambda: attrs.asdict(PLAN, recurse=False),
    RecognitionRule: lambda: attrs.asdict(SPOT, recurse=False),
}


@pytest.mark.parametrize("cls", list(FIELDS_OF), ids=lambda c: c.__name__)
@given(data=st.data(), value=garbage | st.lists(garbage, max_size=3))
def test_garbage_in_a_field_is_a_validation_error(
    cls: type, data: st.DataObject, value: object
) -> None:
    fields = FIELDS_OF[cls]()
    fields[data.draw(st.sampled_from(sorted(fields)))] = value
    only_perfkit_errors(lambda: cls(**fields))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize(
    "cls",
    [
        CompaBand,
        MeritCell,
        MeritMatrix,
        MonotonicityGap,
        CurrencyRate,
        RateTable,
        Eligibility,
        EligibilityRules,
        MeritProposal,
        BudgetPool,
        PoolReport,
        MeritAllocation,
        LevelTarget,
        RatingMultiplier,
        BonusPlan,
        BonusProposal,
        RecognitionRule,
        RecognitionAward,
    ],
    ids=lambda c: c.__name__,
)
@given(
    data=json_values
    | st.dictionaries(st.sampled_from(["rating", "amount", "band", "cells", "pct"]), json_values)
)
def test_garbage_documents_give_only_perfkit_errors(cls: type, data: Any) -> None:
    with contextlib.suppress(perfkit.PerfkitError):
        assert isinstance(perfkit.structure(data, cls), cls)


@given(st.lists(st.decimals(min_value=0, max_value=100000, places=6), min_size=1, max_size=8))
def test_a_budget_that_does_not_bind_changes_nobodys_pay(raws: list[D]) -> None:
    props = [proposal(f"e{i}", str(raw)) for i, raw in enumerate(raws)]
    roomy = [BudgetPool(unit_id="p", amount=eur("10000000"))]
    fitted = allocate(props, roomy, RATES, {p.employee_id: "p" for p in props})
    for p in fitted.proposals:
        assert p.final_increase == p.raw_increase.quantize(rounding=decimal.ROUND_HALF_EVEN)

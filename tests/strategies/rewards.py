"""Strategies for rewards (merit, pools, bonus, recognition) and development plans."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from perfkit.cycles import Cadence
from perfkit.development import (
    DevelopmentPlan,
    DevelopmentRules,
    ItemOwner,
    ItemStatus,
    ItemTemplate,
    MissedTarget,
    PerformanceOutcome,
    PlanItem,
    PlanKind,
    PlanTrigger,
)
from perfkit.feedback import Praise
from perfkit.metrics import Direction
from perfkit.money import Money, SalaryBand
from perfkit.org import Employee
from perfkit.rewards import (
    BonusPlan,
    BudgetPool,
    CompaBand,
    CurrencyRate,
    Eligibility,
    EligibilityRules,
    LevelTarget,
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
)
from perfkit.scales import FIVE_POINT

from .common import aware_datetimes, dates, ids, simple_ids
from .org import employee_fields

FIVE = FIVE_POINT.ref
RATING_VALUES = (1.0, 2.0, 3.0, 4.0, 5.0)

ratings = st.sampled_from(RATING_VALUES).map(FIVE_POINT.rate)
titles = st.text(min_size=1, max_size=20).filter(str.strip)

pcts = st.decimals(min_value=0, max_value=20, places=2, allow_nan=False, allow_infinity=False)
fractions = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)
factors = st.decimals(min_value=0, max_value=3, places=2, allow_nan=False, allow_infinity=False)
amounts = st.decimals(min_value=0, max_value=Decimal("1e7"), places=2, allow_nan=False)
compa_ratios = st.decimals(
    min_value=0, max_value=3, places=4, allow_nan=False, allow_infinity=False
)
rates = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(200), places=6, allow_nan=False)
"""Exchange rates to the base currency (200 covers KWD to JPY; 0.0001 the other way)."""
SOME_CURRENCIES = ("EUR", "USD", "GBP", "JPY", "KWD", "CHF")
some_currencies = st.sampled_from(SOME_CURRENCIES)


@st.composite
def compa_bands(draw: st.DrawFn, max_bands: int = 4) -> tuple[CompaBand, ...]:
    """Bands with increasing upper bounds, the last open-ended, distinct labels."""
    n = draw(st.integers(1, max_bands))
    uppers = sorted(
        draw(
            st.lists(
                st.decimals(min_value=Decimal("0.5"), max_value=Decimal("1.5"), places=2),
                min_size=n - 1,
                max_size=n - 1,
                unique=True,
            )
        )
    )
    labels = draw(st.lists(simple_ids, min_size=n, max_size=n, unique=True))
    return tuple(
        CompaBand(label=labels[i], upper=uppers[i] if i < n - 1 else None) for i in range(n)
    )


@st.composite
def merit_matrices(draw: st.DrawFn, monotone: bool = True) -> MeritMatrix:
    """A five-point merit matrix (monotone in the rating within each band when asked)."""
    bands = draw(compa_bands())
    columns = []
    for _ in bands:
        column = draw(st.lists(pcts, min_size=5, max_size=5))
        columns.append(sorted(column) if monotone else column)
    cells = [
        MeritCell(rating=r, band=b.label, pct=columns[j][i])
        for j, b in enumerate(bands)
        for i, r in enumerate(RATING_VALUES)
    ]
    return MeritMatrix(
        scale=FIVE,
        ratings=RATING_VALUES,
        compa_bands=bands,
        cells=draw(st.permutations(cells)),
        require_monotone=monotone,
    )


@st.composite
def employees_with_band(draw: st.DrawFn, currency: str | None = None) -> Employee:
    fields = draw(employee_fields())
    cur = currency or draw(some_currencies)
    pay = draw(st.decimals(min_value=1000, max_value=500000, places=0))
    mid = draw(st.decimals(min_value=20000, max_value=300000, places=0))
    fields["base_pay"] = Money(amount=pay, currency=cur)
    fields["band"] = SalaryBand(
        minimum=Money(amount=mid * Decimal("0.8"), currency=cur),
        midpoint=Money(amount=mid, currency=cur),
        maximum=Money(amount=mid * Decimal("1.2"), currency=cur),
    )
    return Employee(**fields)


@st.composite
def rate_tables(draw: st.DrawFn, base: str | None = None, places: int = 6) -> RateTable:
    """A rate table covering every currency of SOME_CURRENCIES (rates with ``places`` decimals)."""
    base_currency = base or draw(some_currencies)
    step = Decimal(1).scaleb(-places)
    return RateTable(
        base=base_currency,
        rates=[
            CurrencyRate(currency=c, rate=max(step, draw(rates).quantize(step)))
            for c in SOME_CURRENCIES
            if c != base_currency
        ],
    )


@st.composite
def merit_proposals(
    draw: st.DrawFn, employee_id: str | None = None, currency: str | None = None
) -> MeritProposal:
    """A proposal built field by field (raw increases with up to 6 decimals)."""
    cur = currency or draw(some_currencies)
    base = Money(amount=draw(amounts), currency=cur)
    raw_amount = draw(
        st.just(Decimal(0)) | st.decimals(min_value=Decimal("0.01"), max_value=10**5, places=6)
    )
    raw = Money(amount=raw_amount, currency=cur)
    return MeritProposal(
        employee_id=employee_id if employee_id is not None else draw(ids),
        base_pay=base,
        rating=draw(ratings),
        compa_ratio=draw(compa_ratios),
        band=draw(simple_ids),
        pct=draw(pcts),
        proration=draw(fractions),
        raw_increase=raw,
        factor=draw(fractions),
        final_increase=Money(amount=draw(amounts), currency=cur),
        pool_id=draw(st.none() | simple_ids),
    )


pools = st.builds(
    BudgetPool,
    unit_id=ids,
    amount=st.builds(Money, amount=amounts, currency=some_currencies),
)

pool_reports = st.builds(
    PoolReport,
    unit_id=ids,
    amount=st.builds(Money, amount=amounts, currency=st.just("EUR")),
    demand=st.builds(Money, amount=amounts, currency=st.just("EUR")),
    factor=fractions,
    spend=st.builds(Money, amount=amounts, currency=st.just("EUR")),
    remaining=st.builds(Money, amount=amounts, currency=st.just("EUR")),
    headcount=st.integers(0, 1000),
)

monotonicity_gaps = st.builds(
    MonotonicityGap,
    band=simple_ids,
    rating=st.sampled_from(RATING_VALUES),
    pct=pcts,
    higher_rating=st.sampled_from(RATING_VALUES),
    higher_pct=pcts,
)


@st.composite
def eligibilities(draw: st.DrawFn) -> Eligibility:
    reasons = draw(st.lists(titles, max_size=3))
    return Eligibility(employee_id=draw(ids), eligible=not reasons, reasons=reasons)


eligibility_rules = st.builds(
    EligibilityRules,
    min_tenure_days=st.integers(0, 400),
    min_rating=st.none() | st.sampled_from(RATING_VALUES),
    exclude_leavers=st.booleans(),
    cutoff=st.none() | dates,
    scale=st.none() | st.just(FIVE),
)


@st.composite
def bonus_plans(draw: st.DrawFn) -> BonusPlan:
    levels = draw(st.lists(st.sampled_from(["L1", "L2", "L3", "L4"]), unique=True, max_size=4))
    return BonusPlan(
        scale=FIVE,
        targets=[LevelTarget(job_level=lv, pct=draw(pcts)) for lv in levels],
        default_target_pct=draw(pcts),
        multipliers=[RatingMultiplier(rating=r, multiplier=draw(factors)) for r in RATING_VALUES],
        company_multiplier=draw(factors),
        cap=draw(st.decimals(min_value=Decimal("0.5"), max_value=3, places=2)),
        rounding=draw(st.sampled_from(Rounding)),
    )


@st.composite
def recognition_rules(draw: st.DrawFn) -> RecognitionRule:
    fixed = draw(st.booleans())
    return RecognitionRule(
        id=draw(simple_ids),
        min_praise=draw(st.integers(1, 4)),
        window_days=draw(st.integers(1, 120)),
        award=Money(amount=draw(amounts), currency=draw(some_currencies)) if fixed else None,
        award_pct=None if fixed else draw(pcts),
        distinct_authors=draw(st.booleans()),
        rounding=draw(st.sampled_from(Rounding)),
    )


@st.composite
def recognition_awards(draw: st.DrawFn) -> RecognitionAward:
    start = draw(aware_datetimes)
    return RecognitionAward(
        rule_id=draw(ids),
        employee_id=draw(ids),
        praise_ids=draw(st.lists(ids, max_size=4)),
        window_start=start,
        window_end=draw(aware_datetimes),
        amount=Money(amount=draw(amounts), currency=draw(some_currencies)),
        reason=draw(titles),
    )


@st.composite
def praise_events(draw: st.DrawFn, people: tuple[str, ...]) -> list[Praise]:
    """Praise between the given people, at random minutes of early 2026."""
    found = []
    for n in range(draw(st.integers(0, 12))):
        author, subject = draw(st.permutations(people))[:2]
        at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 200_000)))
        found.append(Praise(id=f"p{n}", author=author, subject=subject, at=at, text="thanks"))
    return found


# --- development ---------------------------------------------------------------------------

cadences = st.sampled_from(
    [Cadence.weekly(), Cadence.biweekly(), Cadence.monthly(), Cadence.quarterly()]
)

missed_targets = st.builds(
    MissedTarget,
    goal_id=ids,
    title=titles,
    target=st.floats(-1e6, 1e6),
    value=st.none() | st.floats(-1e6, 1e6),
    unit=st.sampled_from(["", "%", "h", "EUR"]),
    direction=st.sampled_from(Direction),
    attainment=st.floats(0, 0.999),
)


@st.composite
def outcomes(draw: st.DrawFn, employee_id: str | None = None) -> PerformanceOutcome:
    eid = employee_id if employee_id is not None else draw(ids)
    return PerformanceOutcome(
        employee_id=eid,
        manager_id=draw(st.none() | ids),
        rating=draw(ratings),
        potential=draw(st.none() | st.sampled_from(RATING_VALUES)),
        nine_box=draw(st.none() | st.sampled_from(["Star", "Core player", "Risk"])),
        missed_targets=draw(st.lists(missed_targets, max_size=2, unique_by=lambda m: m.goal_id)),
    )


@st.composite
def outcome_lists(draw: st.DrawFn, max_size: int = 12) -> list[PerformanceOutcome]:
    people = draw(st.lists(ids, max_size=max_size, unique=True))
    return [draw(outcomes(p)) for p in people]


item_templates = st.builds(
    ItemTemplate,
    title=titles,
    due_days=st.integers(0, 60),
    owner=st.sampled_from(ItemOwner),
)


@st.composite
def development_rules(draw: st.DrawFn) -> DevelopmentRules:
    return DevelopmentRules(
        scale=FIVE,
        improvement_at_or_below=draw(st.none() | st.sampled_from(RATING_VALUES)),
        kpi_plans=draw(st.booleans()),
        growth_min_rating=draw(st.none() | st.sampled_from(RATING_VALUES)),
        growth_min_potential=draw(st.none() | st.sampled_from(RATING_VALUES)),
        growth_cells=draw(st.lists(st.sampled_from(["Star", "Core player", "Risk"]), max_size=2)),
        improvement_cadence=draw(cadences),
        improvement_review_days=draw(st.integers(60, 200)),
        improvement_items=draw(st.lists(item_templates, max_size=3)),
        kpi_item_days=draw(st.integers(0, 60)),
        growth_cadence=draw(cadences),
        growth_review_days=draw(st.integers(60, 400)),
        growth_items=draw(st.lists(item_templates, max_size=3)),
    )


@st.composite
def development_plans(draw: st.DrawFn) -> DevelopmentPlan:
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)))
    span = draw(st.integers(1, 400))
    review = start + timedelta(days=span)
    n = draw(st.integers(0, 4))
    items = [
        PlanItem(
            id=f"item-{k + 1}",
            title=draw(titles),
            owner=draw(ids),
            due=start + timedelta(days=draw(st.integers(0, span))),
            status=draw(st.sampled_from(ItemStatus)),
            goal_id=draw(st.none() | ids),
        )
        for k in range(n)
    ]
    triggers = draw(st.lists(st.sampled_from(PlanTrigger), min_size=1, max_size=3, unique=True))
    return DevelopmentPlan(
        id=draw(ids),
        employee_id=draw(ids),
        kind=draw(st.sampled_from(PlanKind)),
        owner=draw(ids),
        start=start,
        review_date=review,
        checkin_cadence=draw(cadences),
        items=items,
        triggers=triggers,
        reason=draw(titles),
    )

"""A hand-built cycle for policy what-ifs: five people whose numbers can be checked by hand.

Each person has one goal (0 → 100, so attainment = reading / 100, which the default curve puts
at 1 for 0, 2 for 0.5, 3 for 1.0, 4 for 1.15 and 5 for 1.3) and one manager review of one
competency. Everyone earns 50,000.00 EUR at the band midpoint (compa-ratio 1.0, band "mid").

======  ========  ====  ==========  ===================  ===================
person  reading   goal  competency  70/30                50/50
======  ========  ====  ==========  ===================  ===================
ann     130       5     1           3.5 + 0.3 = 3.8 → 4  2.5 + 0.5 = 3.0 → 3
ben     0         1     5           0.7 + 1.5 = 2.2 → 2  0.5 + 2.5 = 3.0 → 3
cat     100       3     3           3 → 3                3 → 3
dan     115       4     5           2.8 + 1.5 = 4.3 → 4  2.0 + 2.5 = 4.5 → 5
eve     50        2     2           2 → 2                2 → 2
======  ========  ====  ==========  ===================  ===================
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from perfkit.cycles import ReviewCycle
from perfkit.dataset import CycleData
from perfkit.goals import CheckIn, Goal, GoalSet, GoalStatus, Owner, OwnerKind
from perfkit.metrics import NumericMetric
from perfkit.money import Money, SalaryBand
from perfkit.org import Employee, Organisation, OrgUnit
from perfkit.reviews import (
    Criterion,
    CriterionKind,
    CriterionRating,
    Review,
    ReviewerRole,
    ReviewForm,
    ReviewStatus,
)
from perfkit.rewards import (
    BonusPlan,
    BudgetPool,
    CompaBand,
    MeritMatrix,
    RateTable,
    RatingMultiplier,
)
from perfkit.run import CyclePolicy
from perfkit.scales import BUILTIN_SCALES, FIVE_POINT
from perfkit.scoring import make_policy

AT = datetime(2026, 12, 20, 18, tzinfo=UTC)
PEOPLE = {
    # id: (goal reading, competency rating, gender)
    "ann": (130, 1, "female"),
    "ben": (0, 5, "male"),
    "cat": (100, 3, "female"),
    "dan": (115, 5, "male"),
    "eve": (50, 2, "female"),
}


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def five_people() -> CycleData:
    """The five people of the table above, and their manager (who is not rated)."""
    band = SalaryBand(minimum=eur("40000"), midpoint=eur("50000"), maximum=eur("60000"))
    staff = [
        Employee(
            id=pid,
            name=pid.title(),
            manager_id="boss",
            unit_id="team",
            hire_date=date(2020, 1, 1),
            job_level="L3",
            base_pay=eur("50000"),
            band=band,
            attributes={"gender": gender},
        )
        for pid, (_, _, gender) in PEOPLE.items()
    ]
    boss = Employee(
        id="boss",
        name="Boss",
        unit_id="co",
        hire_date=date(2020, 1, 1),
        job_level="L5",
        base_pay=eur("90000"),
    )
    org = Organisation(
        units=[OrgUnit(id="co", name="Co"), OrgUnit(id="team", name="Team", parent_id="co")],
        employees=[boss, *staff],
    )
    metric = NumericMetric(baseline=0, target=100, unit="points")
    goals = [
        Goal(
            id=f"{pid}-g",
            title="Deliver 100 points",
            owner=Owner(kind=OwnerKind.EMPLOYEE, id=pid),
            cycle_id="fy",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            status=GoalStatus.IN_PROGRESS,
            metric=metric,
        )
        for pid in PEOPLE
    ]
    readings = [
        CheckIn(
            id=f"{pid}-c",
            goal_id=f"{pid}-g",
            author=pid,
            at=datetime(2026, 12, 1, tzinfo=UTC),
            value=reading,
        )
        for pid, (reading, _, _) in PEOPLE.items()
    ]
    form = ReviewForm(
        id="form",
        name="Annual review",
        criteria=[
            Criterion(
                id="craft",
                name="Craft",
                kind=CriterionKind.COMPETENCY,
                weight=1,
                scale=FIVE_POINT.ref,
            )
        ],
    )
    reviews = [
        Review(
            id=f"{pid}-r",
            cycle_id="fy",
            form_id="form",
            subject=pid,
            reviewer="boss",
            role=ReviewerRole.MANAGER,
            status=ReviewStatus.SUBMITTED,
            ratings=[CriterionRating(criterion_id="craft", rating=FIVE_POINT.rate(rating))],
        )
        for pid, (_, rating, _) in PEOPLE.items()
    ]
    return CycleData(
        organisation=org,
        cycle=ReviewCycle(id="fy", name="FY 2026", start=date(2026, 1, 1), end=date(2026, 12, 31)),
        goals=GoalSet(goals=goals, check_ins=readings),
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
BONUS = BonusPlan(
    scale=FIVE_POINT.ref,
    default_target_pct=Decimal(10),
    multipliers=[
        RatingMultiplier(rating=r, multiplier=Decimal(m))
        for r, m in ((1, "0"), (2, "0.5"), (3, "1"), (4, "1.25"), (5, "1.5"))
    ],
)


def weights_policy(
    goals: float,
    competencies: float,
    *,
    pool: str | None = "7500",
) -> CyclePolicy:
    """Weighted components (manager reviews only) with the merit matrix, a 7,500.00 EUR pool for
    the company (``pool=None``: no pool, no rates) and a 10 % target bonus."""
    return CyclePolicy(
        scoring=make_policy(
            "weighted_components",
            {"weights": {"goals": goals, "competencies": competencies}, "roles": {"manager": 1}},
        ),
        rating_scale=FIVE_POINT.ref,
        merit=MATRIX,
        pools=() if pool is None else (BudgetPool(unit_id="co", amount=eur(pool)),),
        rates=None if pool is None else RateTable.of("EUR", {}),
        bonus=BONUS,
    )

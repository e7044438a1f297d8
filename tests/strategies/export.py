"""Strategies for cycle results to export: built part by part, with ids, names and reasons that
hold HTML and CSV special characters."""

from __future__ import annotations

from decimal import Decimal

import attrs
from hypothesis import strategies as st

from perfkit.calibration import CalibrationEntry, CalibrationSession
from perfkit.money import Money
from perfkit.ninebox import NineBoxCutoffs, nine_box
from perfkit.normalisation import RaterScore, severity_model
from perfkit.rewards import BonusProposal, Eligibility, MeritAllocation
from perfkit.run import CycleResult, EmployeeResult
from perfkit.scales import FIVE_POINT
from perfkit.scoring import Component, Score

from .calibration import guidelines
from .common import aware_datetimes, ids
from .rewards import (
    amounts,
    development_plans,
    merit_proposals,
    pcts,
    pool_reports,
    recognition_awards,
    some_currencies,
)

NASTY = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    'a "quoted", comma',
    "Tom & Jerry's",
    "=HYPERLINK(1)",
    "</td></tr></table>",
    "line\u2028break",
)
"""Text that must be escaped in HTML and quoted in CSV."""

nasty_ids = ids | st.sampled_from(NASTY)
nasty_texts = st.text(min_size=1, max_size=20).filter(str.strip) | st.sampled_from(NASTY)
score_values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.sampled_from(
    [1.0, 2.5, 3.0140000000000002, 4.625012]
)
RATINGS = (1.0, 2.0, 3.0, 4.0, 5.0)
rating_values = st.sampled_from(RATINGS)
awards = st.lists(recognition_awards(), max_size=2)
CUTOFFS = NineBoxCutoffs(performance=(2.5, 3.5), potential=(2.5, 3.5))


@st.composite
def bonus_proposals(draw: st.DrawFn, employee_id: str) -> BonusProposal:
    """A bonus with consistent currencies, paid at most its cap."""
    currency = draw(some_currencies)

    def money(amount: Decimal) -> Money:
        return Money(amount=amount, currency=currency)

    cap = draw(amounts)
    paid = min(cap, draw(amounts))
    return BonusProposal(
        employee_id=employee_id,
        base_pay=money(draw(amounts)),
        rating=FIVE_POINT.rate(draw(rating_values)),
        target_pct=draw(pcts),
        target=money(draw(amounts)),
        individual=Decimal("1.25"),
        company=Decimal(1),
        uncapped=money(draw(amounts)),
        cap_multiple=Decimal("1.5"),
        cap=money(cap),
        capped=paid == cap,
        amount=money(paid),
    )


@st.composite
def cycle_results(draw: st.DrawFn, max_people: int = 6) -> CycleResult:
    """A result of 0 to ``max_people`` people on the five-point scale: a calibration session with
    random adjustments, and optionally a guideline, a 9-box, merit with pools, bonuses, awards,
    plans and rater effects."""
    people = draw(st.lists(nasty_ids, max_size=max_people, unique=True))
    units = draw(st.lists(nasty_ids, min_size=1, max_size=3, unique=True))
    unit_of = {p: draw(st.sampled_from(units)) for p in people}
    entries = [
        CalibrationEntry(
            employee_id=p,
            unit_id=unit_of[p],
            job_level="L1",
            score=draw(score_values),
            rating=FIVE_POINT.rate(draw(rating_values)),
        )
        for p in people
    ]
    session = CalibrationSession(
        id="calibration", name="Calibration", scale=FIVE_POINT.ref, population=entries
    )
    for _ in range(draw(st.integers(0, 6)) if people else 0):
        who = draw(st.sampled_from(people))
        now = session.calibrated(who).value
        to = draw(st.sampled_from([x for x in RATINGS if x != now]))
        by, at, reason = draw(nasty_ids), draw(aware_datetimes), draw(nasty_texts)
        session, _ = session.adjust(who, to, by, at, reason, FIVE_POINT)
    guideline = draw(st.none() | guidelines())
    grid = None
    placed = draw(st.booleans())
    if people and placed:
        grid = nine_box(
            [(p, session.calibrated(p).value, draw(rating_values)) for p in people], CUTOFFS
        )
    with_merit = draw(st.booleans())
    merit = {p: draw(merit_proposals(employee_id=p)) for p in people if with_merit}
    employees = []
    for p in sorted(people):
        reasons = draw(st.lists(nasty_texts, max_size=2))
        employees.append(
            EmployeeResult(
                employee_id=p,
                unit_id=unit_of[p],
                score=Score.of(
                    p, "policy", FIVE_POINT.ref, [Component.leaf("goals", 1.0, draw(score_values))]
                ),
                rating_before=session.original(p),
                rating_after=session.calibrated(p),
                adjustments=session.history(p),
                nine_box=None if grid is None else grid.placement(p).cell,
                eligibility=draw(
                    st.none()
                    | st.just(Eligibility(employee_id=p, eligible=not reasons, reasons=reasons))
                ),
                merit=merit.get(p),
                bonus=draw(st.none() | bonus_proposals(p)),
                awards=[attrs.evolve(a, employee_id=p) for a in draw(awards)],
                plan_ids=draw(st.lists(nasty_ids, max_size=2, unique=True)),
            )
        )
    allocation = None
    if with_merit:
        pools = draw(st.lists(pool_reports, max_size=3, unique_by=lambda r: r.unit_id))
        allocation = MeritAllocation(proposals=list(merit.values()), pools=pools)
    raters = None
    if len(people) >= 2 and draw(st.booleans()):
        pairs = draw(
            st.lists(
                st.tuples(st.sampled_from(people), st.sampled_from(people)),
                min_size=1,
                max_size=10,
                unique=True,
            )
        )
        raters = severity_model(
            [RaterScore(rater_id=r, ratee_id=s, value=draw(st.floats(0, 1))) for r, s in pairs]
        )
    return CycleResult(
        cycle_id=draw(nasty_ids),
        policy=draw(nasty_ids),
        at=draw(aware_datetimes),
        employees=employees,
        calibration=session,
        distribution=session.report(),
        guideline=guideline,
        deviations_before=None
        if guideline is None
        else guideline.deviations(session, by="unit", use="original"),
        deviations_after=None
        if guideline is None
        else guideline.deviations(session, by="unit", use="calibrated"),
        rater_effects=raters,
        nine_box=grid,
        merit=allocation,
        awards=[a for e in employees for a in e.awards],
        plans=draw(st.lists(development_plans(), max_size=2)),
    )

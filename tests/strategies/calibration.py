"""Strategies for calibration sessions, guidelines, rater scores and the 9-box."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import strategies as st

from perfkit.calibration import (
    Adjustment,
    CalibrationEntry,
    CalibrationSession,
    DistributionGuideline,
    Target,
)
from perfkit.ninebox import NineBoxCutoffs, NineBoxEntry
from perfkit.normalisation import RaterScore
from perfkit.scales import FIVE_POINT

from .common import aware_datetimes, ids, simple_ids

AT = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)

five_point_values = st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0])
scores = st.floats(min_value=-100.0, max_value=100.0, allow_nan=False, allow_infinity=False)
few_scores = st.sampled_from([0.1, 0.2, 0.5, 0.7, 0.9])
"""Scores drawn from a few values, so that ties happen."""
units = st.sampled_from(["u-sales", "u-eng", "u-ops"])
managers = st.sampled_from([None, "m1", "m2", "m3"])
levels = st.sampled_from(["L1", "L2", "L3"])
reasons = st.text(min_size=1, max_size=20).filter(lambda s: bool(s.strip()))


@st.composite
def entries(
    draw: st.DrawFn, *, min_size: int = 0, max_size: int = 25, tied: bool | None = None
) -> list[CalibrationEntry]:
    """A population on the five-point scale: unique employee ids, scores with or without ties."""
    people = draw(st.lists(simple_ids, min_size=min_size, max_size=max_size, unique=True))
    use_ties = draw(st.booleans()) if tied is None else tied
    return [
        CalibrationEntry(
            employee_id=p,
            unit_id=draw(units),
            manager_id=draw(managers),
            job_level=draw(levels),
            score=draw(few_scores if use_ties else scores),
            rating=FIVE_POINT.rate(draw(five_point_values)),
        )
        for p in people
    ]


entry = st.builds(
    CalibrationEntry,
    employee_id=ids,
    unit_id=ids,
    manager_id=st.none() | ids,
    job_level=reasons,
    score=scores,
    rating=five_point_values.map(FIVE_POINT.rate),
)


@st.composite
def adjustments(draw: st.DrawFn) -> Adjustment:
    before = draw(five_point_values)
    after = draw(five_point_values.filter(lambda x: x != before))
    return Adjustment(
        employee_id=draw(ids),
        from_value=before,
        to_value=after,
        by=draw(ids),
        at=draw(aware_datetimes),
        reason=draw(reasons),
    )


@st.composite
def sessions(draw: st.DrawFn, *, min_size: int = 1, max_size: int = 15) -> CalibrationSession:
    """An open session with a random history of adjustments made through ``adjust``."""
    population = draw(entries(min_size=min_size, max_size=max_size))
    session = CalibrationSession(
        id=draw(simple_ids), name="Calibration", scale=FIVE_POINT.ref, population=population
    )
    if not population:
        return session
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        who = draw(st.sampled_from(population)).employee_id
        now = session.calibrated(who).value
        to = draw(five_point_values.filter(lambda x, now=now: x != now))
        session, _ = session.adjust(
            who, to, draw(simple_ids), draw(aware_datetimes), "why", FIVE_POINT
        )
    return session


shares = st.integers(min_value=0, max_value=100).map(lambda k: k / 100)


@st.composite
def targets(draw: st.DrawFn, value: float) -> Target:
    low, high = sorted((draw(shares), draw(shares)))
    if draw(st.booleans()):
        high = low
    return Target(value=value, minimum=low, maximum=high)


@st.composite
def loose_targets(draw: st.DrawFn, value: float) -> Target:
    """A wide range (0–25 % up to 30–100 %): guidelines made of them are mostly feasible."""
    low = draw(st.integers(min_value=0, max_value=25)) / 100
    high = draw(st.integers(min_value=30, max_value=100)) / 100
    return Target(value=value, minimum=low, maximum=high)


@st.composite
def guidelines(
    draw: st.DrawFn, *, forceable: bool = False, loose: bool = False
) -> DistributionGuideline:
    """A guideline on the five-point scale for 1 to 5 of its values. With ``forceable`` at least
    one target has a positive midpoint (so a distribution can be forced); with ``loose`` every
    value has a wide range."""
    if loose:
        values = [1.0, 2.0, 3.0, 4.0, 5.0]
        return DistributionGuideline(
            scale=FIVE_POINT.ref, targets=[draw(loose_targets(x)) for x in values]
        )
    values = draw(st.lists(five_point_values, min_size=1, max_size=5, unique=True))
    found = [draw(targets(x)) for x in values]
    if forceable and all(t.maximum == 0 for t in found):
        found[0] = Target(value=found[0].value, minimum=0.0, maximum=draw(shares.filter(bool)))
    return DistributionGuideline(scale=FIVE_POINT.ref, targets=found)


share_maps = st.dictionaries(
    five_point_values, st.integers(min_value=0, max_value=60).map(lambda k: k / 100), min_size=1
).filter(lambda d: sum(d.values()) > 0)


# --- rater scores --------------------------------------------------------------------------

raters = st.sampled_from([f"r{i}" for i in range(6)])
ratees = st.sampled_from([f"p{i}" for i in range(10)])


@st.composite
def rater_scores(
    draw: st.DrawFn, *, min_size: int = 1, max_size: int = 30, low: float = 1.0, high: float = 5.0
) -> list[RaterScore]:
    """Ratings with unique (rater, ratee) pairs, values in [low, high]."""
    pairs = draw(
        st.lists(st.tuples(raters, ratees), min_size=min_size, max_size=max_size, unique=True)
    )
    values = st.floats(min_value=low, max_value=high, allow_nan=False) | st.sampled_from(
        [1.0, 2.0, 3.0, 4.0, 5.0]
    )
    return [RaterScore(rater_id=r, ratee_id=p, value=draw(values)) for r, p in pairs]


@st.composite
def rater_designs(draw: st.DrawFn) -> list[RaterScore]:
    """Ratings where most people have several raters (2 to 4 raters, 2 to 7 people), so the
    severity model can tell raters from people."""
    raters_ = [f"r{j}" for j in range(draw(st.integers(min_value=2, max_value=4)))]
    values = st.floats(min_value=1.0, max_value=5.0, allow_nan=False) | st.sampled_from(
        [1.0, 2.0, 3.0, 4.0, 5.0]
    )
    out = []
    for i in range(draw(st.integers(min_value=2, max_value=7))):
        chosen = draw(
            st.lists(st.sampled_from(raters_), min_size=1, max_size=len(raters_), unique=True)
        )
        out.extend(RaterScore(rater_id=r, ratee_id=f"p{i}", value=draw(values)) for r in chosen)
    return out


# --- 9-box ---------------------------------------------------------------------------------

axis_scores = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False)


@st.composite
def cutoff_pairs(draw: st.DrawFn) -> tuple[float, float]:
    a = draw(axis_scores)
    b = draw(axis_scores.filter(lambda x: x != a))
    return (min(a, b), max(a, b))


cutoffs = st.builds(NineBoxCutoffs, performance=cutoff_pairs(), potential=cutoff_pairs())
nine_box_entries = st.lists(
    st.builds(NineBoxEntry, employee_id=simple_ids, performance=axis_scores, potential=axis_scores),
    max_size=30,
    unique_by=lambda e: e.employee_id,
)

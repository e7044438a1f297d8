"""Strategies for the analytics module: rating records, rating tables, reliability data,
ratings and groups by employee, and the result objects built from them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from perfkit.analytics import (
    AdverseImpactReport,
    DistributionSummary,
    ICCReport,
    KrippendorffAlpha,
    RaterEffects,
    adverse_impact,
    distribution_by,
    intraclass_correlation,
    krippendorff_alpha,
    rater_effects,
)
from perfkit.money import Money
from perfkit.org import Employee, Organisation, OrgUnit

Record = tuple[str, str, str, float]

scale_values = st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0])
"""Ratings on a five-point scale (many ties, as real ratings have)."""

continuous_values = st.floats(min_value=-100.0, max_value=100.0, allow_nan=False).map(
    lambda x: round(x, 3)
)
"""Ratings on a continuous scale (rounded, so that sums stay well inside float precision)."""

rating_values = scale_values | continuous_values


@st.composite
def rating_records(
    draw: st.DrawFn, max_raters: int = 6, max_ratees: int = 8, max_criteria: int = 3
) -> list[Record]:
    """Rating records ``(rater, ratee, criterion, value)``: a few raters, ratees and criteria,
    each rater rating a random subset of people on a random subset of criteria, values on
    one kind of scale."""
    raters = [f"r{i}" for i in range(draw(st.integers(1, max_raters)))]
    ratees = [f"p{i}" for i in range(draw(st.integers(1, max_ratees)))]
    criteria = [f"c{i}" for i in range(draw(st.integers(1, max_criteria)))]
    values = draw(st.sampled_from([scale_values, continuous_values]))
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(raters), st.sampled_from(ratees), st.sampled_from(criteria)),
            unique=True,
            max_size=60,
        )
    )
    return [(r, p, c, draw(values)) for r, p, c in keys]


@st.composite
def dense_records(draw: st.DrawFn) -> list[Record]:
    """Records where most people are rated by several raters (so leniency and range tests run),
    with raters of their own leniency."""
    raters = [f"r{i}" for i in range(draw(st.integers(2, 5)))]
    ratees = [f"p{i}" for i in range(draw(st.integers(3, 9)))]
    criteria = [f"c{i}" for i in range(draw(st.integers(1, 3)))]
    shift = {r: draw(st.sampled_from([-1.0, 0.0, 0.0, 1.0])) for r in raters}
    out: list[Record] = []
    for p in ratees:
        level = draw(st.sampled_from([2.0, 3.0, 4.0]))
        for r in raters:
            if draw(st.integers(0, 4)) == 0:
                continue
            for c in criteria:
                noise = draw(st.sampled_from([-1.0, 0.0, 0.0, 1.0]))
                out.append((r, p, c, min(5.0, max(1.0, level + shift[r] + noise))))
    return out


def _varies(rows: list[list[float]]) -> bool:
    flat = [x for row in rows for x in row]
    return max(flat) - min(flat) > 1e-6


@st.composite
def icc_tables(draw: st.DrawFn, min_spread: float = 0.0) -> list[list[float]]:
    """A complete table: 2-10 targets (rows) × 2-5 raters (columns), not all equal."""
    n = draw(st.integers(2, 10))
    k = draw(st.integers(2, 5))
    values = draw(
        st.sampled_from(
            [
                scale_values,
                st.integers(0, 100).map(float),
                st.floats(0.0, 10.0, allow_nan=False).map(lambda x: round(x, 4)),
            ]
        )
    )
    return draw(
        st.lists(st.lists(values, min_size=k, max_size=k), min_size=n, max_size=n).filter(_varies)
    )


def has_two_values(data: list[list[float | None]]) -> bool:
    units = len(data[0])
    pairable = set()
    for u in range(units):
        column = [row[u] for row in data if row[u] is not None]
        if len(column) >= 2:
            pairable.update(column)
    return len(pairable) >= 2


@st.composite
def alpha_data(draw: st.DrawFn, values: st.SearchStrategy[float] = scale_values) -> Any:
    """Reliability data (raters × units) with missing ratings, at least one unit rated twice
    and two distinct values among such units."""
    raters = draw(st.integers(2, 6))
    units = draw(st.integers(1, 12))
    cell = st.none() | values
    return draw(
        st.lists(
            st.lists(cell, min_size=units, max_size=units), min_size=raters, max_size=raters
        ).filter(has_two_values)
    )


ratings_maps = st.dictionaries(
    st.sampled_from([f"e{i}" for i in range(40)]), scale_values, max_size=40
)
"""Ratings by employee id."""

group_names = st.sampled_from(["f", "m", "x", "Berlin", "Paris", "under-30", "30-50", "50+"])


@st.composite
def ratings_and_groups(draw: st.DrawFn) -> tuple[dict[str, float], dict[str, str]]:
    """Ratings by employee and a group for most of them (a few have none, a few groups have
    entries for people without a rating)."""
    ratings = draw(
        st.dictionaries(
            st.sampled_from([f"e{i}" for i in range(60)]), rating_values, min_size=1, max_size=60
        )
    )
    names = draw(st.lists(group_names, min_size=1, max_size=4, unique=True))
    groups = {
        key: draw(st.sampled_from(names)) for key in sorted(ratings) if draw(st.integers(0, 9)) > 0
    }
    groups.update({f"x{i}": draw(st.sampled_from(names)) for i in range(draw(st.integers(0, 2)))})
    return ratings, groups


@st.composite
def small_organisations(draw: st.DrawFn) -> Organisation:
    """A small organisation built quickly: a few units, people managed by someone drawn
    before them, levels and attributes from short lists (some people without an attribute,
    some with a blank one)."""
    n_units = draw(st.integers(1, 4))
    units = [
        OrgUnit(id=f"u{i}", name=f"Unit {i}", parent_id=None if i == 0 else "u0")
        for i in range(n_units)
    ]
    people = []
    for i in range(draw(st.integers(1, 30))):
        manager = (
            None if i == 0 or draw(st.integers(0, 6)) == 0 else f"e{draw(st.integers(0, i - 1))}"
        )
        attributes = {}
        for name, values in (
            ("location", ["Berlin", "Paris", "Lyon", ""]),
            ("gender", ["f", "m", "x"]),
        ):
            if draw(st.integers(0, 5)):
                attributes[name] = draw(st.sampled_from(values))
        people.append(
            Employee(
                id=f"e{i}",
                name=f"Person {i}",
                manager_id=manager,
                unit_id=f"u{draw(st.integers(0, n_units - 1))}",
                hire_date=date(2020, 1, 1),
                job_level=draw(st.sampled_from(["L1", "L2", "L3"])),
                base_pay=Money(amount=Decimal(50000), currency="EUR"),
                attributes=attributes,
            )
        )
    return Organisation(units=units, employees=people)


@st.composite
def rated_organisations(draw: st.DrawFn) -> tuple[Organisation, dict[str, float]]:
    """An organisation and ratings of some of its employees."""
    org = draw(small_organisations())
    people = sorted(e.id for e in org.employees)
    rated = draw(st.lists(st.sampled_from(people), unique=True, min_size=1))
    return org, {key: draw(scale_values) for key in rated}


# --- result objects (built by the functions, so they are consistent) ----------------------


@st.composite
def distribution_summaries(draw: st.DrawFn) -> DistributionSummary:
    org, ratings = draw(rated_organisations())
    by = draw(st.sampled_from(["unit", "manager", "job_level", "attribute"]))
    attribute = draw(st.sampled_from(["location", "gender"])) if by == "attribute" else None
    return distribution_by(
        ratings, org, by, attribute=attribute, min_group_size=draw(st.none() | st.integers(1, 4))
    )


@st.composite
def rater_effect_reports(draw: st.DrawFn) -> RaterEffects:
    records = draw(dense_records() | rating_records())
    return rater_effects(records, min_ratees=draw(st.integers(2, 4)))


@st.composite
def icc_reports(draw: st.DrawFn) -> ICCReport:
    return intraclass_correlation(draw(icc_tables()), confidence=draw(st.sampled_from([0.9, 0.95])))


@st.composite
def alphas(draw: st.DrawFn) -> KrippendorffAlpha:
    level = draw(st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
    return krippendorff_alpha(draw(alpha_data()), level=level)


@st.composite
def adverse_impact_reports(draw: st.DrawFn) -> AdverseImpactReport:
    ratings, groups = draw(ratings_and_groups())
    return adverse_impact(
        ratings,
        groups,
        threshold=draw(scale_values),
        min_group_size=draw(st.integers(1, 6)),
    )


analytics_results = st.one_of(
    distribution_summaries(),
    rater_effect_reports(),
    icc_reports(),
    alphas(),
    adverse_impact_reports(),
)
"""Any analytics result object."""

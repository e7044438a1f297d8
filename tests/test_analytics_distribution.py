"""Rating distributions by unit, manager, level and employee attribute."""

from __future__ import annotations

import contextlib
import math
import random
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit._errors import NotFoundError, PerfkitError, UnknownReferenceError, ValidationError
from perfkit.analytics import (
    DistributionSummary,
    GroupDistribution,
    Grouping,
    PointCount,
    distribution_by,
    groups_by_attribute,
)
from perfkit.money import Money
from perfkit.org import Employee, Organisation, OrgUnit
from perfkit.scales import FIVE_POINT, PERCENT

from .strategies.analytics import distribution_summaries, rated_organisations


def person(pid: str, unit: str, level: str, manager: str | None, **attributes: str) -> Employee:
    return Employee(
        id=pid,
        name=pid.upper(),
        manager_id=manager,
        unit_id=unit,
        hire_date=date(2020, 1, 1),
        job_level=level,
        base_pay=Money(amount=Decimal(50000), currency="EUR"),
        attributes=attributes,
    )


ORG = Organisation(
    units=[
        OrgUnit(id="co", name="Company"),
        OrgUnit(id="eng", name="Engineering", parent_id="co"),
        OrgUnit(id="ops", name="Operations", parent_id="co"),
    ],
    employees=[
        person("ceo", "co", "L5", None, location="Berlin", gender="f"),
        person("e1", "eng", "L2", "ceo", location="Berlin", gender="m"),
        person("e2", "eng", "L2", "ceo", location="Paris", gender="f"),
        person("e3", "eng", "L3", "e1", location="Paris", gender="f"),
        person("e4", "ops", "L2", "ceo", location="Berlin", gender="m"),
        person("e5", "ops", "L3", "e4", location="Berlin"),
    ],
)
RATINGS = {"ceo": 4, "e1": 3, "e2": 5, "e3": 3, "e4": 2, "e5": 4}


def test_by_unit_by_hand() -> None:
    summary = distribution_by(RATINGS, ORG)
    assert summary.by is Grouping.UNIT
    assert [g.group for g in summary.groups] == ["co", "eng", "ops"]
    eng = summary.group("eng")
    # eng: 3, 5, 3 — mean 11/3; deviations −2/3, 4/3, −2/3: Σ² = 24/9, / (n − 1) = 4/3
    assert eng.n == 3
    assert eng.mean == pytest.approx(11 / 3)
    assert eng.sd == pytest.approx(math.sqrt(4 / 3))
    assert (eng.minimum, eng.maximum) == (3.0, 5.0)
    # every group lists the values that occur anywhere: 2, 3, 4, 5
    assert [(p.value, p.count) for p in eng.points] == [(2, 0), (3, 2), (4, 0), (5, 1)]
    assert eng.points[1].share == pytest.approx(2 / 3)
    assert eng.count(3) == 2
    assert eng.count(1) == 0
    co = summary.group("co")
    assert (co.n, co.mean, co.sd) == (1, 4.0, None)
    ops = summary.group("ops")
    assert (ops.mean, ops.sd) == (3.0, pytest.approx(math.sqrt(2)))
    assert summary.overall is not None
    assert summary.overall.n == 6
    assert summary.overall.mean == pytest.approx(21 / 6)
    assert summary.ungrouped == 0
    assert summary.suppressed == ()
    assert eng.sentence() == (
        "eng: 3 people, mean 3.67 (sd 1.15), from 3 to 5; 3: 2 (66.7%), 5: 1 (33.3%)"
    )
    assert co.sentence() == "co: 1 person, mean 4, from 4 to 4; 4: 1 (100%)"
    with pytest.raises(NotFoundError, match="no group with id 'hr'"):
        summary.group("hr")


def test_by_manager_and_level() -> None:
    managers = distribution_by(RATINGS, ORG, "manager")
    # ceo manages e1, e2 and e4 (3, 5, 2); e1 manages e3; e4 manages e5; the ceo has no manager
    assert [(g.group, g.n) for g in managers.groups] == [("ceo", 3), ("e1", 1), ("e4", 1)]
    assert managers.group("ceo").mean == pytest.approx(10 / 3)
    assert managers.ungrouped == 1
    assert managers.sentences()[-1] == "1 rated people have no manager: left out"
    levels = distribution_by(RATINGS, ORG, Grouping.JOB_LEVEL)
    assert [(g.group, g.n, g.mean) for g in levels.groups] == [
        ("L2", 3, pytest.approx(10 / 3)),
        ("L3", 2, 3.5),
        ("L5", 1, 4.0),
    ]


def test_by_attribute_suppresses_small_groups() -> None:
    # Berlin: ceo, e1, e4, e5 (4 people); Paris: e2, e3 (2 people). Default minimum: 5.
    default = distribution_by(RATINGS, ORG, "attribute", attribute="location")
    assert default.min_group_size == 5
    assert default.suppressed == ("Berlin", "Paris")
    berlin = default.group("Berlin")
    assert (berlin.n, berlin.mean, berlin.sd, berlin.points) == (4, None, None, ())
    assert berlin.sentence() == "Berlin: 4 people, too few to report: suppressed"
    # everything hidden is 6 people together: the overall figures reveal no one
    assert default.overall is not None
    assert default.overall.n == 6
    # At 3, Berlin is shown and Paris (2) hidden: overall minus Berlin would give Paris's
    # figures, so there is no overall
    three = distribution_by(RATINGS, ORG, "attribute", attribute="location", min_group_size=3)
    assert three.suppressed == ("Paris",)
    assert three.group("Berlin").mean == pytest.approx(13 / 4)
    assert three.overall is None
    # gender: e5 has none, so is left out; f: ceo, e2, e3 (4, 5, 3); m: e1, e4 (3, 2)
    gender = distribution_by(RATINGS, ORG, "attribute", attribute="gender", min_group_size=1)
    assert [(g.group, g.n, g.mean) for g in gender.groups] == [("f", 3, 4.0), ("m", 2, 2.5)]
    assert gender.ungrouped == 1
    assert "1 rated people have no 'gender' attribute: left out" in gender.explain()
    assert gender.explain().startswith("ratings by 'gender' attribute")
    assert default.explain().startswith(
        "ratings by 'location' attribute (groups under 5 people suppressed)"
    )


def test_on_a_scale() -> None:
    summary = distribution_by(RATINGS, ORG, scale=FIVE_POINT)
    eng = summary.group("eng")
    # every point of the scale, with its label, whether anyone got it or not
    assert [p.value for p in eng.points] == [1, 2, 3, 4, 5]
    assert eng.points[2] == PointCount(value=3, count=2, share=2 / 3, label="Meets expectations")
    assert eng.points[0] == PointCount(value=1, count=0, share=0.0, label="Unsatisfactory")
    assert eng.points[2].sentence() == "3 (Meets expectations): 2 people, 66.7%"
    assert eng.points[4].sentence() == "5 (Outstanding): 1 person, 33.3%"
    assert summary.scale == FIVE_POINT.ref
    # a continuous scale lists the values that occur
    overall = distribution_by(RATINGS, ORG, scale=PERCENT).overall
    assert overall is not None
    assert [p.value for p in overall.points] == [2, 3, 4, 5]
    assert overall.points[0].label == ""
    with pytest.raises(
        ValidationError, match=r"ratings\['e2'\]: 4.5 is not on scale five-point v1"
    ):
        distribution_by({**RATINGS, "e2": 4.5}, ORG, scale=FIVE_POINT)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: distribution_by({"zz": 3}, ORG), r"ratings\['zz'\]: 'zz' is not an employee"),
        (lambda: distribution_by({"e1": "3"}, ORG), r"ratings\['e1'\]: '3' is not a number"),
        (lambda: distribution_by({"e1": math.inf}, ORG), r"ratings\['e1'\]: inf is not a finite"),
        (lambda: distribution_by([("e1", 3)], ORG), "ratings: .* is not a mapping"),  # type: ignore[arg-type]
        (lambda: distribution_by(RATINGS, "org"), "organisation: 'org' is not an Organisation"),  # type: ignore[arg-type]
        (lambda: distribution_by(RATINGS, ORG, "team"), "by: 'team' is not one of 'unit'"),
        (lambda: distribution_by(RATINGS, ORG, "attribute"), "attribute: None is not an attribute"),
        (
            lambda: distribution_by(RATINGS, ORG, "unit", attribute="gender"),
            "attribute: 'gender' is given, but grouping is by unit",
        ),
        (
            lambda: distribution_by(RATINGS, ORG, min_group_size=0),
            "min_group_size: 0 is less than 1",
        ),
        (
            lambda: distribution_by(RATINGS, ORG, scale="five"),
            "scale: 'five' is not a rating scale",
        ),  # type: ignore[arg-type]
    ],
)
def test_refusals(call: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()


def test_unknown_employee_is_an_unknown_reference() -> None:
    with pytest.raises(UnknownReferenceError):
        distribution_by({"zz": 3}, ORG)


def test_groups_by_attribute() -> None:
    assert groups_by_attribute(ORG, "gender") == {
        "ceo": "f",
        "e1": "m",
        "e2": "f",
        "e3": "f",
        "e4": "m",
    }
    with pytest.raises(ValidationError, match="attribute: '' is not an attribute name"):
        groups_by_attribute(ORG, "")
    with pytest.raises(ValidationError, match="organisation: 3 is not an Organisation"):
        groups_by_attribute(3, "gender")  # type: ignore[arg-type]


def test_suppressed_groups_carry_no_figures() -> None:
    with pytest.raises(ValidationError, match="mean: 3.0 is set on a suppressed group"):
        GroupDistribution(group="x", n=2, suppressed=True, mean=3.0)
    with pytest.raises(ValidationError, match="mean: None is missing for a group of 2"):
        GroupDistribution(group="x", n=2)


# --- invariants -----------------------------------------------------------------------------


@given(rated_organisations(), st.sampled_from(["unit", "manager", "job_level", "location"]))
def test_counts_add_up(data: tuple[Organisation, dict[str, float]], by: str) -> None:
    org, ratings = data
    kind, attribute = ("attribute", by) if by == "location" else (by, None)
    summary = distribution_by(ratings, org, kind, attribute=attribute)
    assert sum(g.n for g in summary.groups) + summary.ungrouped == len(ratings)
    assert [g.group for g in summary.groups] == sorted(g.group for g in summary.groups)
    for g in summary.groups:
        if g.suppressed:
            assert g.n < summary.min_group_size
            continue
        assert sum(p.count for p in g.points) == g.n
        assert math.fsum(p.share for p in g.points) == pytest.approx(1.0)
        assert g.mean is not None
        assert g.minimum is not None
        assert g.maximum is not None
        assert g.minimum <= g.mean <= g.maximum
        assert [p.value for p in g.points] == sorted(set(ratings.values()))
    hidden = sum(g.n for g in summary.groups if g.suppressed)
    grouped = sum(g.n for g in summary.groups)
    assert (summary.overall is None) == (grouped == 0 or 0 < hidden < summary.min_group_size)


@given(rated_organisations(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(
    data: tuple[Organisation, dict[str, float]], rnd: random.Random
) -> None:
    org, ratings = data
    keys = list(ratings)
    rnd.shuffle(keys)
    shuffled = {k: ratings[k] for k in keys}
    for by in ("unit", "manager", "job_level"):
        assert distribution_by(shuffled, org, by) == distribution_by(ratings, org, by)


@given(distribution_summaries())
def test_summaries_round_trip(summary: DistributionSummary) -> None:
    assert perfkit.loads(perfkit.dumps(summary), DistributionSummary) == summary
    for g in summary.groups:
        assert perfkit.loads(perfkit.dumps(g), GroupDistribution) == g
        g.sentence()
    summary.explain()


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers() | st.floats() | st.text(), max_size=3),
    st.just(object()),
    st.just(FIVE_POINT),
)


@given(garbage, garbage, garbage)
def test_garbage_gives_only_perfkit_errors(a: Any, b: Any, c: Any) -> None:
    calls = [
        lambda: distribution_by(a, ORG),
        lambda: distribution_by(RATINGS, a, b),
        lambda: distribution_by(RATINGS, ORG, a, attribute=b, scale=c),
        lambda: distribution_by(RATINGS, ORG, min_group_size=a),
        lambda: groups_by_attribute(a, b),
        lambda: distribution_by(RATINGS, ORG).group(a),
        lambda: distribution_by(RATINGS, ORG).group("eng").count(a),
        lambda: perfkit.loads(str(a), DistributionSummary),
        lambda: GroupDistribution(group=a, n=b, mean=c),
    ]
    for call in calls:
        with contextlib.suppress(PerfkitError):
            call()

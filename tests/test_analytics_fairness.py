"""Adverse impact: selection rates, impact ratios, the four-fifths rule and rating gaps."""

from __future__ import annotations

import contextlib
import math
import random
import warnings
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import perfkit
from perfkit._errors import NotFoundError, PerfkitError, ValidationError
from perfkit.analytics import (
    AdverseImpactReport,
    GroupImpact,
    adverse_impact,
    groups_by_attribute,
)
from perfkit.sample import sample_cycle

from .strategies.analytics import adverse_impact_reports, ratings_and_groups, scale_values

A = [5, 5, 4, 4, 4, 4, 3, 3, 3, 2]
B = [5, 4, 4, 3, 3, 3, 2, 2]
C = [5, 5, 5]


def _people(group: str, values: list[int]) -> tuple[dict[str, float], dict[str, str]]:
    ratings = {f"{group}{i}": float(x) for i, x in enumerate(values)}
    return ratings, dict.fromkeys(ratings, group)


def _data(**groups: list[int]) -> tuple[dict[str, float], dict[str, str]]:
    ratings: dict[str, float] = {}
    members: dict[str, str] = {}
    for name, values in groups.items():
        r, g = _people(name, values)
        ratings.update(r)
        members.update(g)
    return ratings, members


def test_adverse_impact_by_hand() -> None:
    ratings, groups = _data(A=A, B=B, C=C)
    report = adverse_impact(ratings, groups, threshold=4)
    # C has 3 people (< 5): suppressed, although all three are rated 5 — and not the reference
    c = report.group("C")
    assert c == GroupImpact(group="C", n=3, suppressed=True)
    # A: 6 of 10 rated 4 or more (rate 0.6); B: 3 of 8 (0.375). A is the reference.
    assert report.reference == "A"
    a, b = report.group("A"), report.group("B")
    assert (a.selected, a.rate, a.impact_ratio, a.four_fifths) == (6, 0.6, 1.0, True)
    assert (b.selected, b.rate) == (3, 0.375)
    # impact ratio 0.375 / 0.6 = 0.625 < 0.8: B fails the four-fifths rule
    assert b.impact_ratio == 0.625
    assert b.four_fifths is False
    assert report.flagged == ("B",)
    # means: A 37/10 = 3.7, B 26/8 = 3.25, gap −0.45. Sample variances: A 8.1/9 = 0.9,
    # B 7.5/7. Welch: se² = 0.9/10 + (7.5/7)/8 = 0.22393, df = se⁴ / (0.09²/9 + 0.13393²/7)
    # = 14.48
    assert a.mean == 3.7
    assert b.mean == 3.25
    assert b.gap == pytest.approx(-0.45)
    se = math.sqrt(0.9 / 10 + (7.5 / 7) / 8)
    df = se**4 / ((0.9 / 10) ** 2 / 9 + ((7.5 / 7) / 8) ** 2 / 7)
    q = float(stats.t.ppf(0.975, df))
    assert b.gap_low == pytest.approx(-0.45 - q * se)
    assert b.gap_high == pytest.approx(-0.45 + q * se)
    welch = stats.ttest_ind(B, A, equal_var=False)
    assert b.gap_p == pytest.approx(float(welch.pvalue), rel=1e-9)
    interval = welch.confidence_interval(0.95)
    assert (b.gap_low, b.gap_high) == (
        pytest.approx(float(interval.low), rel=1e-9),
        pytest.approx(float(interval.high), rel=1e-9),
    )
    # the reference's own gap is 0, with no interval
    assert (a.gap, a.gap_low, a.gap_high, a.gap_p) == (0.0, None, None, None)


def test_sentences() -> None:
    ratings, groups = _data(A=A, B=B, C=C)
    report = adverse_impact(ratings, groups, threshold=4)
    text = report.sentences()
    assert text[0] == (
        "selection: rated 4 or higher; groups under 5 people suppressed; gaps with 95% Welch "
        "confidence intervals"
    )
    assert text[1] == (
        "A: 6 of 10 (60%) rated 4 or higher; the most favoured group (reference); mean rating 3.7"
    )
    assert text[2].startswith(
        "B: 3 of 8 (37.5%) rated 4 or higher; impact ratio 0.625 against A: fails the "
        "four-fifths rule: adverse impact; mean rating 3.25, 0.45 below A (gap CI -1.46 to 0.562"
    )
    assert text[3] == "C: 3 people, too few to report: suppressed"
    assert text[4] == "adverse impact (four-fifths rule) against: B"
    assert report.explain() == "\n".join(text)


def test_four_fifths_is_decided_exactly() -> None:
    # D: 7 of 10 (0.7) against E: 7 of 8 (0.875). 0.7/0.875 is 4/5 exactly, although the
    # floats may round below 0.8: in whole numbers 7·8 = 56 ≥ 0.8 · 10·7 = 56 — passes.
    ratings, groups = _data(D=[5] * 7 + [1] * 3, E=[5] * 7 + [1])
    report = adverse_impact(ratings, groups, threshold=5)
    d = report.group("D")
    assert d.four_fifths is True
    assert d.impact_ratio == pytest.approx(0.8)
    assert report.flagged == ()
    assert report.sentences()[-1] == "no group fails the four-fifths rule"
    # a failing ratio is never shown as 0.8: 3999 of 5000 against 5000 of 5000 is 0.7998
    close_call = GroupImpact(
        group="F",
        n=5000,
        selected=3999,
        rate=0.7998,
        impact_ratio=0.7998,
        four_fifths=False,
        mean=3.0,
        gap=-0.1,
    )
    assert "impact ratio 0.7998 against G: fails" in close_call.sentence("G")
    # one fewer selected in D: 6·8 = 48 < 56 — fails
    ratings["D0"] = 1.0
    assert adverse_impact(ratings, groups, threshold=5).flagged == ("D",)


def test_reference_rules() -> None:
    # a tie for the highest rate goes to the first group by name
    ratings, groups = _data(Y=[5, 5, 1, 1, 1], X=[5, 1, 5, 1, 1])
    assert adverse_impact(ratings, groups, threshold=5).reference == "X"
    # nobody selected: no impact ratios, nothing flagged
    none = adverse_impact(ratings, groups, threshold=6)
    assert [(g.rate, g.impact_ratio, g.four_fifths) for g in none.groups] == [
        (0.0, None, None),
        (0.0, None, None),
    ]
    assert none.flagged == ()
    assert none.sentences()[-1] == "nobody reached the threshold: no impact ratio can be computed"
    assert "no impact ratio against X (its rate is 0)" in none.sentences()[2]
    # every group too small: no reference, no figures
    tiny = adverse_impact(ratings, groups, threshold=5, min_group_size=6)
    assert tiny.reference is None
    assert all(g.suppressed for g in tiny.groups)
    assert tiny.sentences()[-1] == "no group is large enough to report: nothing to compare"


def test_people_without_a_group_are_ignored() -> None:
    ratings, groups = _data(A=A, B=B)
    ratings["lone"] = 5.0  # no group at all
    ratings["blank"] = 5.0
    groups["blank"] = "  "  # a blank group name is no group
    groups["ghost"] = "A"  # a group entry without a rating: ignored
    report = adverse_impact(ratings, groups, threshold=4)
    assert report.ungrouped == 2
    assert report.group("A").n == 10
    assert report.sentences()[-1] == "2 rated people have no group: left out"
    with pytest.raises(NotFoundError, match="no group with id 'Z'"):
        report.group("Z")


def test_single_person_groups_have_no_interval() -> None:
    ratings, groups = _data(A=A, S=[2])
    report = adverse_impact(ratings, groups, threshold=4, min_group_size=1)
    s = report.group("S")
    assert s.gap == pytest.approx(-1.7)
    assert (s.gap_low, s.gap_high, s.gap_p) == (None, None, None)
    # neither group varies: a gap, but no test
    flat = adverse_impact(*_data(P=[3] * 5, Q=[2] * 5), threshold=3)
    q = flat.group("Q")
    assert (q.gap, q.gap_low, q.gap_p) == (-1.0, None, None)


def test_on_the_sample_company() -> None:
    data = sample_cycle(size=60, seed=7)
    groups = groups_by_attribute(data.organisation, "gender")
    ratings = {e.id: float(len(e.job_level)) for e in data.organisation.employees}
    report = adverse_impact(ratings, groups, threshold=2)
    assert sum(g.n for g in report.groups) == len(groups)
    assert perfkit.loads(perfkit.dumps(report), AdverseImpactReport) == report


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ratings": [1]}, "ratings: .* is not a mapping of employee id to rating"),
        ({"ratings": {"a": None}}, r"ratings\['a'\]: None is not a number"),
        ({"ratings": {3: 1.0}}, r"ratings\[3\]: 3 is not a string id"),
        ({"groups": "f"}, "groups: 'f' is not a mapping of employee id to group"),
        ({"groups": {"a": 1}}, r"groups\['a'\]: 1 is not a group name"),
        ({"threshold": "4"}, "threshold: '4' is not a number"),
        ({"min_group_size": 0}, "min_group_size: 0 is less than 1"),
        ({"min_group_size": 2.5}, "min_group_size: 2.5 is not a whole number"),
        ({"confidence": 1}, "confidence: 1 is not strictly between 0 and 1"),
    ],
)
def test_refusals(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"ratings": {"a": 1.0}, "groups": {"a": "f"}, "threshold": 3}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        adverse_impact(**args)


def test_report_is_checked() -> None:
    hidden = GroupImpact(group="g", n=2, suppressed=True)
    settings: dict[str, Any] = {"threshold": 3, "min_group_size": 5, "confidence": 0.95}
    with pytest.raises(ValidationError, match="reference: 'g' is not one of the reported"):
        AdverseImpactReport(**settings, groups=[hidden], reference="g")
    with pytest.raises(ValidationError, match=r"flagged\[0\]: 'h' is not one of the reported"):
        AdverseImpactReport(**settings, groups=[hidden], flagged=["h"])


def test_group_impact_is_checked() -> None:
    with pytest.raises(ValidationError, match="rate: 0.5 is set on a suppressed group"):
        GroupImpact(group="g", n=2, suppressed=True, rate=0.5)
    with pytest.raises(ValidationError, match=r"selected: 3 is more than n \(2\)"):
        GroupImpact(group="g", n=2, selected=3)
    with pytest.raises(ValidationError, match="four_fifths: 1 is not True, False or None"):
        GroupImpact(group="g", n=2, four_fifths=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="rate: 1.5 is not between 0 and 1"):
        GroupImpact(group="g", n=2, rate=1.5)


# --- invariants and a brute-force model -----------------------------------------------------


@given(ratings_and_groups(), scale_values, st.integers(1, 6))
def test_matches_a_brute_force_model(
    data: tuple[dict[str, float], dict[str, str]], threshold: float, minimum: int
) -> None:
    ratings, groups = data
    report = adverse_impact(ratings, groups, threshold=threshold, min_group_size=minimum)
    members: dict[str, list[float]] = {}
    for key, x in ratings.items():
        if key in groups:
            members.setdefault(groups[key], []).append(x)
    assert [g.group for g in report.groups] == sorted(members)
    assert report.ungrouped == sum(1 for key in ratings if key not in groups)
    shown = {name: xs for name, xs in members.items() if len(xs) >= minimum}
    rates = {name: Fraction(sum(x >= threshold for x in xs), len(xs)) for name, xs in shown.items()}
    if not shown:
        assert report.reference is None
        return
    best = max(rates.values())
    assert report.reference == min(name for name, r in rates.items() if r == best)
    flagged = []
    for g in report.groups:
        assert g.n == len(members[g.group])
        if g.group not in shown:
            assert g.suppressed
            assert (g.selected, g.rate, g.mean, g.gap) == (None, None, None, None)
            continue
        assert g.rate == pytest.approx(float(rates[g.group]))
        assert g.mean == pytest.approx(sum(members[g.group]) / g.n)
        if best == 0:
            assert g.impact_ratio is None
        else:
            assert g.impact_ratio == pytest.approx(float(rates[g.group] / best))
            assert g.four_fifths == (rates[g.group] / best >= Fraction(4, 5))
            if not g.four_fifths:
                flagged.append(g.group)
    assert list(report.flagged) == flagged


@given(ratings_and_groups())
def test_gaps_match_scipy(data: tuple[dict[str, float], dict[str, str]]) -> None:
    ratings, groups = data
    report = adverse_impact(ratings, groups, threshold=3, min_group_size=2)
    if report.reference is None:
        return
    members: dict[str, list[float]] = {}
    for key, x in ratings.items():
        if key in groups:
            members.setdefault(groups[key], []).append(x)
    for g in report.groups:
        if g.suppressed or g.group == report.reference or g.gap_p is None:
            continue
        with warnings.catch_warnings():  # scipy warns on nearly equal values
            warnings.simplefilter("ignore")
            welch = stats.ttest_ind(members[g.group], members[report.reference], equal_var=False)
            interval = welch.confidence_interval(0.95)
        assert g.gap_p == pytest.approx(float(welch.pvalue), rel=1e-6, abs=1e-12)
        assert g.gap_low == pytest.approx(float(interval.low), rel=1e-6, abs=1e-9)
        assert g.gap_high == pytest.approx(float(interval.high), rel=1e-6, abs=1e-9)


@given(ratings_and_groups(), scale_values, scale_values)
def test_a_higher_bar_never_selects_more(
    data: tuple[dict[str, float], dict[str, str]], a: float, b: float
) -> None:
    low, high = sorted((a, b))
    ratings, groups = data
    lower = adverse_impact(ratings, groups, threshold=low, min_group_size=1)
    higher = adverse_impact(ratings, groups, threshold=high, min_group_size=1)
    for g, h in zip(lower.groups, higher.groups, strict=True):
        assert g.selected is not None
        assert h.selected is not None
        assert h.selected <= g.selected


@given(ratings_and_groups(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(
    data: tuple[dict[str, float], dict[str, str]], rnd: random.Random
) -> None:
    ratings, groups = data
    keys = list(ratings)
    rnd.shuffle(keys)
    shuffled = {k: ratings[k] for k in keys}
    assert adverse_impact(shuffled, groups, threshold=3) == adverse_impact(
        ratings, groups, threshold=3
    )


@given(adverse_impact_reports())
def test_reports_round_trip(report: AdverseImpactReport) -> None:
    assert perfkit.loads(perfkit.dumps(report), AdverseImpactReport) == report
    for g in report.groups:
        assert perfkit.loads(perfkit.dumps(g), GroupImpact) == g
    report.explain()


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers() | st.text(max_size=2), max_size=3),
    st.just(object()),
)


@given(garbage, garbage, garbage)
def test_garbage_gives_only_perfkit_errors(a: Any, b: Any, c: Any) -> None:
    ratings, groups = _data(A=A, B=B)
    calls = [
        lambda: adverse_impact(a, b, threshold=c),
        lambda: adverse_impact(ratings, groups, threshold=a, min_group_size=b, confidence=c),
        lambda: adverse_impact(ratings, a, threshold=3),
        lambda: adverse_impact(ratings, groups, threshold=3).group(a),
        lambda: perfkit.loads(str(a), AdverseImpactReport),
        lambda: perfkit.structure({"group": a, "n": b}, GroupImpact),
        lambda: GroupImpact(group=a, n=b, rate=c),
    ]
    for call in calls:
        with contextlib.suppress(PerfkitError):
            call()

"""Rater effects: leniency and severity, central tendency and halo — by hand, against scipy
and as invariants."""

from __future__ import annotations

import contextlib
import math
import random
import statistics
import warnings
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import perfkit
from perfkit._errors import NotFoundError, PerfkitError, ValidationError
from perfkit.analytics import (
    Halo,
    Leniency,
    RaterEffect,
    RaterEffects,
    RaterFinding,
    Spread,
    rater_effects,
    rater_effects_from_reviews,
    review_records,
)
from perfkit.reviews import CriterionRating, Review, ReviewerRole, ReviewStatus
from perfkit.scales import FIVE_POINT, THREE_POINT

from .strategies.analytics import dense_records, rater_effect_reports, rating_records

Record = tuple[str, str, str, float]

# Three raters, the same four people, one criterion. A is lenient.
#        p1 p2 p3 p4
#   A:    4  5  4  5
#   B:    3  4  2  4
#   C:    3  3  3  4
GRID = {"A": [4, 5, 4, 5], "B": [3, 4, 2, 4], "C": [3, 3, 3, 4]}
THREE: list[Record] = [
    (rater, f"p{i + 1}", "overall", float(x))
    for rater, xs in GRID.items()
    for i, x in enumerate(xs)
]


def test_leniency_by_hand() -> None:
    effects = rater_effects(THREE)
    a = effects.rater("A")
    lenient = a.leniency
    assert lenient is not None
    # The others' mean per person: p1 (3+3)/2 = 3, p2 3.5, p3 2.5, p4 4; A's differences
    # 1, 1.5, 1.5, 1: mean 1.25, sample sd √(0.25/3) = 0.2887, t = 1.25 / (0.2887/2) = 5√3
    assert lenient.n == 4
    assert (lenient.rater_mean, lenient.others_mean) == (4.5, 3.25)
    assert lenient.difference == 1.25
    assert lenient.sd == pytest.approx(math.sqrt(0.25 / 3))
    assert lenient.t == pytest.approx(5 * math.sqrt(3))
    assert lenient.df == 3
    # Student t with 3 df in closed form: P(|T| ≥ t) = 1 − (2/π)(u/(1 + u²) + atan u),
    # u = t/√3 = 5: 1 − (2/π)(5/26 + atan 5) = 0.00323
    assert lenient.p_value == pytest.approx(1 - 2 / math.pi * (5 / 26 + math.atan(5)))
    # 95% interval: 1.25 ± t(0.975, 3) · 0.2887/2 = 1.25 ± 3.1824 · 0.14434
    q = 3.182446305284263
    assert lenient.low == pytest.approx(1.25 - q * math.sqrt(0.25 / 3) / 2)
    assert lenient.high == pytest.approx(1.25 + q * math.sqrt(0.25 / 3) / 2)
    assert a.findings == (RaterFinding.LENIENT,)
    assert effects.flagged("lenient") == ("A",)
    # B: others' means 3.5, 4, 3.5, 4.5; differences −0.5, 0, −1.5, −0.5: mean −0.625,
    # t = −0.625 / (0.6292/2) = −1.987, p = 0.14: below the others, not significantly
    b = effects.rater("B").leniency
    assert b is not None
    assert b.difference == -0.625
    assert b.t == pytest.approx(-1.98680, abs=1e-5)
    assert b.p_value == pytest.approx(float(stats.t.sf(1.98680, 3) * 2), abs=1e-5)
    assert effects.rater("B").findings == ()


def test_range_restriction_by_hand() -> None:
    spread = rater_effects(THREE).rater("A").spread
    assert spread is not None
    # A's ratings 4, 5, 4, 5: variance 1/3. The others' eight ratings of p1-p4:
    # 3, 3, 4, 3, 2, 3, 4, 4: mean 3.25, variance 3.5/7 = 0.5. Ratio (1/3)/0.5 = 2/3 on (3, 7)
    assert (spread.n, spread.others_n, spread.df1, spread.df2) == (4, 8, 3, 7)
    assert spread.rater_sd == pytest.approx(math.sqrt(1 / 3))
    assert spread.others_sd == pytest.approx(math.sqrt(0.5))
    assert spread.variance_ratio == pytest.approx(2 / 3)
    two_sided = 2 * min(stats.f.cdf(2 / 3, 3, 7), stats.f.sf(2 / 3, 3, 7))
    assert spread.p_value == pytest.approx(float(two_sided), rel=1e-9)


def test_central_tendency_is_found() -> None:
    # M rates all eight people 3; the two others spread them from 1 to 5.
    people = [f"p{i}" for i in range(8)]
    spread_out = [1, 5, 2, 4, 1, 5, 2, 4]
    records: list[Record] = [("M", p, "overall", 3.0) for p in people]
    records += [("X", p, "overall", float(x)) for p, x in zip(people, spread_out, strict=True)]
    records += [("Y", p, "overall", float(6 - x)) for p, x in zip(people, spread_out, strict=True)]
    m = rater_effects(records).rater("M")
    assert m.spread is not None
    assert m.spread.rater_sd == 0.0
    assert m.spread.variance_ratio == 0.0
    assert m.spread.p_value == 0.0
    assert RaterFinding.CENTRAL_TENDENCY in m.findings
    # the others' mean is 3 for everyone: M is level with them
    assert m.leniency is not None
    assert m.leniency.difference == 0.0
    assert "level with the other raters of the same 8 people" in m.leniency.sentence()
    # X and Y spread wider than M + the other: a wide range, significant with 16 ratings
    x = rater_effects(records).rater("X")
    assert x.spread is not None
    assert x.spread.variance_ratio is not None
    assert x.spread.variance_ratio > 1


def test_halo_by_hand() -> None:
    ratees = [f"p{i}" for i in range(5)]
    # H: criteria a and b move together, c opposite: r_ab = 1, r_ac = r_bc = −1: mean −1/3
    h = [("H", p, "a", float(i + 1)) for i, p in enumerate(ratees)]
    h += [("H", p, "b", float(i + 1)) for i, p in enumerate(ratees)]
    h += [("H", p, "c", float(5 - i)) for i, p in enumerate(ratees)]
    # G: a = 1..5, b = 2, 1, 4, 3, 5. Deviations −2..2 and −1, −2, 1, 0, 2: Σ products 8,
    # Σ squares 10 and 10: r = 8/10 = 0.8 — at the default halo threshold
    g = [("G", p, "a", float(i + 1)) for i, p in enumerate(ratees)]
    g += [("G", p, "b", float(x)) for p, x in zip(ratees, [2, 1, 4, 3, 5], strict=True)]
    effects = rater_effects(h + g)
    halo_h = effects.rater("H").halo
    assert halo_h is not None
    assert (halo_h.ratees, halo_h.criteria, halo_h.pairs) == (5, 3, 3)
    assert halo_h.mean_correlation == pytest.approx(-1 / 3)
    halo_g = effects.rater("G").halo
    assert halo_g is not None
    assert halo_g.mean_correlation == pytest.approx(0.8)
    assert effects.rater("G").findings == (RaterFinding.HALO,)
    assert effects.rater("H").findings == ()
    assert rater_effects(h + g, halo_threshold=0.81).rater("G").findings == ()
    assert "criteria correlate 0.8 on average (1 pair of criteria over 5 people)" in (
        effects.rater("G").explain()
    )
    # with four people the correlation is not reported (five by default)
    assert rater_effects([r for r in g if r[1] != "p4"]).rater("G").halo is None
    assert rater_effects([r for r in g if r[1] != "p4"], min_halo_ratees=4).rater("G").halo


def test_too_few_shared_people() -> None:
    # D rates two people nobody else rates, and p1 whom A also rates
    records = [*THREE, ("D", "q1", "overall", 3.0), ("D", "q2", "overall", 4.0)]
    records.append(("D", "p1", "overall", 5.0))
    effects = rater_effects(records)
    d = effects.rater("D")
    assert (d.ratees, d.ratings, d.leniency, d.spread, d.halo) == (3, 3, None, None, None)
    assert d.mean == 4.0
    assert d.sentence() == "D rated 3 people (mean 4): no rating error found"
    assert "leniency: too few people shared with others" in d.explain()
    # with min_ratees=1 … not allowed: a t test needs two people
    with pytest.raises(ValidationError, match="min_ratees: 1 is less than 2"):
        rater_effects(records, min_ratees=1)


def test_differences_that_do_not_vary_have_no_test() -> None:
    # E is always exactly one point above F: the differences do not vary
    records = [("E", f"p{i}", "c", float(i + 2)) for i in range(4)]
    records += [("F", f"p{i}", "c", float(i + 1)) for i in range(4)]
    e = rater_effects(records).rater("E").leniency
    assert e is not None
    assert (e.difference, e.sd, e.t, e.p_value, e.low, e.high) == (1.0, 0.0, None, None, None, None)
    assert "the differences do not vary, so there is no test" in e.sentence()


def test_a_rating_is_the_mean_of_its_criteria() -> None:
    records = [
        ("A", "p1", "x", 4.0),
        ("A", "p1", "y", 2.0),  # A's rating of p1: 3
        ("B", "p1", "x", 5.0),
        ("A", "p2", "x", 1.0),
    ]
    a = rater_effects(records).rater("A")
    assert (a.ratees, a.ratings, a.mean) == (2, 3, 2.0)  # mean of 3 and 1


def test_rater_effects_explain_themselves() -> None:
    effects = rater_effects(THREE)
    a = effects.rater("A")
    assert a.sentence() == "A rated 4 people (mean 4.5): lenient"
    text = a.explain()
    assert "1.25 above the other raters of the same 4 people (mean 4.5 against 3.25" in text
    assert "95% CI 0.791 to 1.71; t = 8.66, df 3, p = 0.0032)" in text
    assert "spread sd 0.577 against 0.707 from the others (variance ratio 0.667" in text
    assert effects.sentences()[0] == a.sentence()
    assert effects.explain().startswith("rater effects at the 0.05 significance level")
    with pytest.raises(NotFoundError, match="no rater with id 'Z'"):
        effects.rater("Z")
    with pytest.raises(ValidationError, match="finding: 'grumpy' is not one of 'lenient'"):
        effects.flagged("grumpy")


# --- reviews --------------------------------------------------------------------------------


def _review(reviewer: str, subject: str, role: str, values: dict[str, float], **kw: Any) -> Review:
    return Review(
        id=f"{reviewer}-{subject}-{role}",
        cycle_id="fy",
        form_id="annual",
        subject=subject,
        reviewer=reviewer,
        role=role,
        ratings=[
            CriterionRating(criterion_id=c, rating=kw.get("scale", FIVE_POINT).rate(x))
            for c, x in values.items()
        ],
        status=kw.get("status", ReviewStatus.SUBMITTED),
    )


def test_review_records() -> None:
    reviews = [
        _review("m1", "e1", "manager", {"goals": 4, "values": 3}),
        _review("e2", "e1", "peer", {"goals": 3}),
        _review("e1", "e1", "self", {"goals": 5}),  # self: left out
        _review("e3", "e1", "peer", {"goals": 2}, status=ReviewStatus.DRAFT),  # draft: left out
    ]
    assert review_records(reviews) == (
        ("e2", "e1", "goals", 3.0),
        ("m1", "e1", "goals", 4.0),
        ("m1", "e1", "values", 3.0),
    )
    assert len(review_records(reviews, include_drafts=True)) == 4
    assert review_records(reviews, roles=["self"]) == (("e1", "e1", "goals", 5.0),)
    assert rater_effects_from_reviews(reviews) == rater_effects(review_records(reviews))


def test_review_records_refusals() -> None:
    mixed = [
        _review("m1", "e1", "manager", {"goals": 4}),
        _review("m2", "e1", "peer", {"goals": 3}, scale=THREE_POINT),
    ]
    with pytest.raises(
        ValidationError,
        match=r"reviews\[1\]\.ratings\[0\]\.rating\.scale: 'three-point v1' is not five-point v1, "
        r"the scale of reviews\[0\]\.ratings\[0\]",
    ):
        review_records(mixed)
    twice = [
        _review("m1", "e1", "manager", {"goals": 4}),
        _review("m1", "e1", "peer", {"goals": 3}),
    ]
    with pytest.raises(
        ValidationError, match=r"reviews\[1\]\.ratings\[0\]: 'goals' is rated again"
    ):
        review_records(twice)
    with pytest.raises(ValidationError, match=r"roles\[0\]: 'boss' is not a reviewer role"):
        review_records([], roles=["boss"])
    with pytest.raises(ValidationError, match="roles: 'peer' is not a collection"):
        review_records([], roles="peer")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"reviews\[0\]: 3 is not a Review"):
        review_records([3])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="include_drafts: 1 is not True or False"):
        review_records([], include_drafts=1)  # type: ignore[arg-type]
    assert review_records([], roles=[ReviewerRole.PEER]) == ()


def test_sample_cycle_reviews() -> None:
    from perfkit.sample import sample_cycle

    data = sample_cycle(size=40, seed=3)
    effects = rater_effects_from_reviews(data.reviews)
    assert effects.raters
    assert {r.rater for r in effects.raters} <= {e.id for e in data.organisation.employees}
    assert perfkit.loads(perfkit.dumps(effects), RaterEffects) == effects


# --- records checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ("abc", "records: 'abc' is not a collection of"),
        ([("a", "b", "c")], r"records\[0\]: \('a', 'b', 'c'\) is not a \(rater, ratee"),
        ([("a", "b", "c", "4")], r"records\[0\]\[3\]: '4' is not a number"),
        ([("a", " b", "c", 4)], r"records\[0\]\[1\]: ' b' is not a valid id"),
        ([("a", "b", 3, 4)], r"records\[0\]\[2\]: 3 is not a string id"),
        ([("a", "b", "c", math.nan)], r"records\[0\]\[3\]: nan is not a finite number"),
        (
            [("a", "b", "c", 4), ("a", "b", "c", 5)],
            r"records\[1\]: .* repeats records\[0\]: 'a' rated 'b' on 'c' twice",
        ),
    ],
)
def test_records_are_checked(records: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        rater_effects(records)


def test_options_are_checked() -> None:
    with pytest.raises(ValidationError, match="significance: 0 is not strictly between 0 and 1"):
        rater_effects(THREE, significance=0)
    with pytest.raises(ValidationError, match="halo_threshold: 'high' is not a number"):
        rater_effects(THREE, halo_threshold="high")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="min_halo_ratees: 2 is less than 3"):
        rater_effects(THREE, min_halo_ratees=2)


# --- invariants and a brute-force model -----------------------------------------------------


@given(rating_records() | dense_records(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_record_order(records: list[Record], rnd: random.Random) -> None:
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert rater_effects(shuffled) == rater_effects(records)


def _overall(records: list[Record]) -> dict[str, dict[str, float]]:
    sums: dict[str, dict[str, list[float]]] = {}
    for r, p, _, x in records:
        sums.setdefault(r, {}).setdefault(p, []).append(x)
    return {r: {p: sum(xs) / len(xs) for p, xs in people.items()} for r, people in sums.items()}


@given(dense_records())
def test_leniency_and_range_match_scipy(records: list[Record]) -> None:
    effects = rater_effects(records)
    overall = _overall(records)
    for effect in effects.raters:
        r = effect.rater
        shared = [p for p in overall[r] if any(p in overall[o] for o in overall if o != r)]
        if len(shared) < 3:
            assert effect.leniency is None
            continue
        lenient, spread = effect.leniency, effect.spread
        assert lenient is not None
        assert spread is not None
        others = {p: [overall[o][p] for o in overall if o != r and p in overall[o]] for p in shared}
        diffs = [overall[r][p] - sum(others[p]) / len(others[p]) for p in shared]
        assert lenient.difference == pytest.approx(sum(diffs) / len(diffs), abs=1e-9)
        if lenient.p_value is not None:
            with warnings.catch_warnings():  # scipy warns on nearly equal differences
                warnings.simplefilter("ignore")
                test = stats.ttest_1samp(diffs, 0.0)
            assert lenient.t == pytest.approx(float(test.statistic), rel=1e-6)
            assert lenient.p_value == pytest.approx(float(test.pvalue), rel=1e-6, abs=1e-12)
        mine = [overall[r][p] for p in shared]
        theirs = [x for p in shared for x in others[p]]
        assert spread.others_n == len(theirs)
        if spread.variance_ratio is not None:
            var_mine = statistics.variance(mine)  # exact (rational arithmetic)
            ratio = var_mine / statistics.variance(theirs) if var_mine > 1e-12 else 0.0
            assert spread.variance_ratio == pytest.approx(ratio, rel=1e-9, abs=1e-12)
            d1, d2 = len(mine) - 1, len(theirs) - 1
            p = min(1.0, 2 * min(stats.f.cdf(ratio, d1, d2), stats.f.sf(ratio, d1, d2)))
            assert spread.p_value == pytest.approx(float(p), rel=1e-6, abs=1e-12)


@given(dense_records(), st.sampled_from([-0.5, 0.25, 1.0]))
def test_a_raised_rater_is_that_much_more_lenient(records: list[Record], shift: float) -> None:
    effects = rater_effects(records)
    target = next((e for e in effects.raters if e.leniency is not None), None)
    if target is None:
        return
    moved = [(r, p, c, x + shift if r == target.rater else x) for r, p, c, x in records]
    after = rater_effects(moved).rater(target.rater)
    assert after.leniency is not None
    assert target.leniency is not None
    assert after.leniency.difference == pytest.approx(target.leniency.difference + shift)
    assert after.spread == target.spread or after.spread is not None


@given(rating_records() | dense_records())
def test_findings_follow_the_figures(records: list[Record]) -> None:
    effects = rater_effects(records)
    for e in effects.raters:
        len_p = None if e.leniency is None else e.leniency.p_value
        lenient = len_p is not None and len_p < effects.significance
        assert (RaterFinding.LENIENT in e.findings or RaterFinding.SEVERE in e.findings) == lenient
        corr = None if e.halo is None else e.halo.mean_correlation
        assert (RaterFinding.HALO in e.findings) == (corr is not None and corr >= 0.8)
        if e.halo is not None and e.halo.mean_correlation is not None:
            assert -1.0 <= e.halo.mean_correlation <= 1.0
        assert e.ratees <= e.ratings


# --- round trips and garbage ----------------------------------------------------------------


@given(rater_effect_reports())
def test_rater_effects_round_trip(effects: RaterEffects) -> None:
    assert perfkit.loads(perfkit.dumps(effects), RaterEffects) == effects
    for e in effects.raters:
        assert perfkit.loads(perfkit.dumps(e), RaterEffect) == e
        for part, kind in ((e.leniency, Leniency), (e.spread, Spread), (e.halo, Halo)):
            if part is not None:
                assert perfkit.loads(perfkit.dumps(part), kind) == part
        e.explain()


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.lists(st.tuples(st.text(max_size=2), st.text(max_size=2), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(object()),
    st.just([object()]),
)


@given(garbage, garbage)
def test_garbage_gives_only_perfkit_errors(a: Any, b: Any) -> None:
    calls = [
        lambda: rater_effects(a),
        lambda: rater_effects([a]),
        lambda: rater_effects(THREE, significance=a, min_ratees=b),
        lambda: rater_effects(THREE, halo_threshold=a, min_halo_ratees=b),
        lambda: rater_effects_from_reviews(a, roles=b),
        lambda: review_records([], roles=a, include_drafts=b),
        lambda: rater_effects(THREE).rater(a),
        lambda: rater_effects(THREE).flagged(a),
        lambda: perfkit.loads(str(a), RaterEffects),
        lambda: perfkit.structure({"rater": a, "ratees": b}, RaterEffect),
        lambda: RaterEffect(rater="a", ratees=1, ratings=1, mean=1.0, findings=a),
    ]
    for call in calls:
        with contextlib.suppress(PerfkitError):
            call()

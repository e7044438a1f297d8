"""Inter-rater reliability: intraclass correlations (against pingouin and Shrout & Fleiss's
worked example) and Krippendorff's alpha (against the krippendorff package and Krippendorff's
published example)."""

from __future__ import annotations

import contextlib
import math
import random
import warnings
from typing import Any

import krippendorff
import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import perfkit
from perfkit._errors import NotFoundError, PerfkitError, ValidationError
from perfkit.analytics import (
    ICC,
    ICCForm,
    ICCReport,
    KrippendorffAlpha,
    MeasurementLevel,
    alpha_from_records,
    icc_from_records,
    intraclass_correlation,
    krippendorff_alpha,
)

from .strategies.analytics import (
    alpha_data,
    alphas,
    continuous_values,
    has_two_values,
    icc_reports,
    icc_tables,
    rating_records,
)

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers
# (rows) × 12 units (columns), None where an observer gave no value.
KRIPPENDORFF_2011: list[list[float | None]] = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


# --- ICC ------------------------------------------------------------------------------------


def test_shrout_fleiss_worked_example() -> None:
    report = intraclass_correlation(SHROUT_FLEISS)
    published = {
        ICCForm.ICC1: 0.17,
        ICCForm.ICC2: 0.29,
        ICCForm.ICC3: 0.71,
        ICCForm.ICC1K: 0.44,
        ICCForm.ICC2K: 0.62,
        ICCForm.ICC3K: 0.91,
    }
    for form, value in published.items():
        assert round(report.form(form).value or 0, 2) == value
    # The ANOVA by hand: grand mean 5.5833; target means 6, 3, 6.5, 4, 7.5, 4.75 give
    # BMS = 4 · Σ(mean − 5.5833)² / 5 = 11.24; judge means 7.67, 2.5, 4.33, 6.67 give
    # JMS = 6 · Σ(mean − 5.5833)² / 3 = 32.49; EMS = 1.02 and WMS = 6.26 as in the paper.
    assert report.ms_targets == pytest.approx(11.2417, abs=5e-4)
    assert report.ms_raters == pytest.approx(32.4861, abs=5e-4)
    assert report.ms_error == pytest.approx(1.0194, abs=5e-4)
    assert report.ms_within == pytest.approx(6.2639, abs=5e-4)
    # ICC(3,1) = (BMS − EMS) / (BMS + 3·EMS) = 10.222 / 14.300 = 0.7148
    assert report.form("icc3").value == pytest.approx(10.2222 / 14.3000, abs=1e-4)
    assert report.form("icc3").label == "ICC(3,1)"
    assert report.form("icc3k").label == "ICC(3,4)"
    assert report.form("icc2").f == pytest.approx(11.0272, abs=1e-4)
    assert (report.form("icc2").df1, report.form("icc2").df2) == (5, 15)
    assert (report.form("icc1").df1, report.form("icc1").df2) == (5, 18)


def _pingouin(rows: list[list[float]], confidence: float = 0.95) -> pd.DataFrame:
    long = pd.DataFrame(
        [(i, j, x) for i, row in enumerate(rows) for j, x in enumerate(row)],
        columns=["target", "rater", "rating"],
    )
    saved = dict(pingouin.options)
    pingouin.options.update({"round": None, "round.column.CI95": None})  # full precision
    try:
        with warnings.catch_warnings():  # pingouin's own pandas deprecation warnings
            warnings.simplefilter("ignore")
            return pingouin.intraclass_corr(long, "target", "rater", "rating")
    finally:
        pingouin.options.clear()
        pingouin.options.update(saved)


def _same(ours: float | None, theirs: Any, tol: float = 1e-9) -> bool:
    theirs = float(theirs)
    if ours is None:
        # undefined (a denominator of 0): pingouin divides by the rounding noise instead and
        # gets an infinity, a NaN or a number like 6e15
        return not math.isfinite(theirs) or abs(theirs) > 1e8
    return math.isclose(ours, theirs, rel_tol=tol, abs_tol=tol)


def _overflows(report: ICCReport) -> bool:
    """Whether pingouin's ICC(2) interval overflows: with Satterthwaite's degrees of freedom
    near 0 its F quantile is near 1e305, and F · (k·JMS + …) is infinite, so pingouin's lower
    bound becomes −0.0 (perfkit divides through by the quantile first)."""
    n, k = report.targets, report.raters
    icc2, msc, mse = report.form("icc2").value, report.ms_raters, report.ms_error
    if icc2 is None or mse == 0:
        return False
    fj = msc / mse
    base = n * (1 + (k - 1) * icc2) - k * icc2
    v = (
        (n - 1)
        * (k - 1)
        * (k * icc2 * fj + base) ** 2
        / ((n - 1) * k**2 * icc2**2 * fj**2 + base**2)
    )
    return float(stats.f.ppf(0.975, n - 1, v)) * (k * msc + (k * n - k - n) * mse) > 1e300


def _check_against_pingouin(rows: list[list[float]]) -> None:
    ours = intraclass_correlation(rows)
    theirs = _pingouin(rows)
    for i, form in enumerate(ICCForm):
        icc = ours.form(form)
        row = theirs.iloc[i]
        assert _same(icc.value, row["ICC"]), (form, icc, row)
        assert icc.df1 == row["df1"]
        assert icc.df2 == row["df2"]
        if icc.f is not None:
            assert _same(icc.f, row["F"])
            assert _same(icc.p_value, row["pval"])
        low, high = row["CI95"]
        if form in (ICCForm.ICC2, ICCForm.ICC2K) and _overflows(ours):
            continue
        if icc.low is not None:
            assert _same(icc.low, low), (form, icc.low, low)
        if icc.high is not None:
            assert _same(icc.high, high), (form, icc.high, high)


def test_shrout_fleiss_matches_pingouin() -> None:
    _check_against_pingouin([[float(x) for x in row] for row in SHROUT_FLEISS])
    report = intraclass_correlation(SHROUT_FLEISS)
    assert report.form("icc2").low == pytest.approx(0.018786509, abs=1e-8)
    assert report.form("icc3k").high == pytest.approx(0.985891676, abs=1e-8)


def _not_degenerate(rows: list[list[float]]) -> bool:
    report = intraclass_correlation(rows)
    scale = max(abs(x) for row in rows for x in row) ** 2 + 1.0
    # well away from a zero mean square, where both sides divide rounding noise
    return min(report.ms_targets, report.ms_error, report.ms_within) > 1e-6 * scale


@given(icc_tables().filter(lambda rows: len(rows) * len(rows[0]) >= 5).filter(_not_degenerate))
def test_icc_matches_pingouin(rows: list[list[float]]) -> None:
    _check_against_pingouin(rows)


@given(icc_tables(), st.randoms(use_true_random=False))
def test_icc_does_not_depend_on_the_order_of_targets_or_raters(
    rows: list[list[float]], rnd: random.Random
) -> None:
    report = intraclass_correlation(rows)
    shuffled = [list(row) for row in rows]
    rnd.shuffle(shuffled)
    order = list(range(len(rows[0])))
    rnd.shuffle(order)
    shuffled = [[row[j] for j in order] for row in shuffled]
    assert intraclass_correlation(shuffled) == report


@given(icc_tables().filter(_not_degenerate), st.floats(0.1, 10.0), st.floats(-50.0, 50.0))
def test_icc_is_unchanged_by_a_change_of_units(rows: list[list[float]], a: float, b: float) -> None:
    report = intraclass_correlation(rows)
    moved = intraclass_correlation([[a * x + b for x in row] for row in rows])
    for form in ICCForm:
        mine, theirs = report.form(form), moved.form(form)
        assert mine.value == pytest.approx(theirs.value, abs=1e-7)


@given(icc_tables().filter(_not_degenerate))
def test_icc_bounds_and_order(rows: list[list[float]]) -> None:
    report = intraclass_correlation(rows)
    for icc in report.forms:
        # ICC(2,k) can pass 1 when the targets vary less than the error (F < 1): its
        # denominator BMS + (JMS − EMS)/n can then be small or negative
        if icc.form is not ICCForm.ICC2K or (icc.f is not None and icc.f >= 1):
            assert icc.value is None or icc.value <= 1 + 1e-12
        if icc.low is not None and icc.high is not None:
            assert icc.low <= icc.high + 1e-12
        assert icc.p_value is None or 0 <= icc.p_value <= 1
    # the single-rater forms are at least −1/(k − 1)
    k = report.raters
    for form in (ICCForm.ICC1, ICCForm.ICC3):
        value = report.form(form).value
        assert value is None or value >= -1 / (k - 1) - 1e-12


def test_perfect_agreement_and_consistency() -> None:
    # Every rater gives each person the same rating: all forms are 1, F is infinite (None)
    agree = intraclass_correlation([[1, 1, 1], [3, 3, 3], [4, 4, 4]])
    for icc in agree.forms:
        assert icc.value == 1.0
        assert icc.f is None
        assert icc.p_value == 0.0
    # Rater 2 is always 2 points above rater 1: consistent (ICC(3) = 1) but not in agreement:
    # BMS = 2·Σ(m − 4)² / 2 with target means 2, 4, 6 → 8; JMS = 3·(2·1²)/1 = 6; EMS = 0;
    # ICC(2,1) = 8 / (8 + 0 + 2·6/3) = 8/12
    shifted = intraclass_correlation([[1, 3], [3, 5], [5, 7]])
    assert shifted.form("icc3").value == 1.0
    assert shifted.form("icc2").value == pytest.approx(8 / 12)
    assert "ICC(3,1) = 1" in shifted.form("icc3").sentence()


def test_an_undefined_form_is_none() -> None:
    # [[1, 2], [2, 1]]: target means equal, rater means equal: BMS = JMS = 0, EMS > 0, and
    # with n = k = 2 ICC(2,1)'s denominator BMS + (k − 1)·EMS + k·(JMS − EMS)/n is 0
    report = intraclass_correlation([[1, 2], [2, 1]])
    icc2 = report.form("icc2")
    assert icc2.value is None
    assert "undefined" in icc2.sentence()
    assert report.form("icc3").value == -1.0


def test_icc_explains_itself() -> None:
    report = intraclass_correlation(SHROUT_FLEISS)
    text = report.explain()
    assert text.splitlines()[0].startswith("6 people rated by the same 4 raters")
    assert "ICC(2,1) = 0.29 (95% CI 0.0188 to 0.761; F(5, 15) = 11; p < 0.001)" in text
    assert len(report.sentences()) == 6
    assert report.form(ICCForm.ICC1).description == "one-way random effects, one rater"
    with pytest.raises(NotFoundError, match="no ICC form with id 'icc9'"):
        report.form("icc9")


def test_icc_confidence_level() -> None:
    wide = intraclass_correlation(SHROUT_FLEISS, confidence=0.99).form("icc3")
    narrow = intraclass_correlation(SHROUT_FLEISS, confidence=0.8).form("icc3")
    assert wide.low is not None
    assert narrow.low is not None
    assert wide.high is not None
    assert narrow.high is not None
    assert wide.low < narrow.low < narrow.high < wide.high
    assert "99% CI" in wide.sentence()


def test_icc_refusals() -> None:
    with pytest.raises(ValidationError, match="rows: 'ab' is not a table"):
        intraclass_correlation("ab")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"rows: 1 people rated; .* needs 2 or more"):
        intraclass_correlation([[1, 2]])
    with pytest.raises(ValidationError, match=r"rows\[0\]: 1 ratings per person"):
        intraclass_correlation([[1], [2]])
    with pytest.raises(ValidationError, match=r"rows\[1\]: 3 ratings in this row, 2 in rows\[0\]"):
        intraclass_correlation([[1, 2], [1, 2, 3]])
    with pytest.raises(ValidationError, match=r"rows\[1\]\[0\]: 'x' is not a number"):
        intraclass_correlation([[1, 2], ["x", 2]])
    with pytest.raises(ValidationError, match=r"rows\[0\]\[1\]: nan is not a finite number"):
        intraclass_correlation([[1, math.nan], [1, 2]])
    with pytest.raises(ValidationError, match="has no variation"):
        intraclass_correlation([[3, 3], [3, 3]])
    with pytest.raises(ValidationError, match="confidence: 1.5 is not strictly between 0 and 1"):
        intraclass_correlation(SHROUT_FLEISS, confidence=1.5)


# --- Krippendorff's alpha -------------------------------------------------------------------


def test_krippendorff_published_example() -> None:
    nominal = krippendorff_alpha(KRIPPENDORFF_2011, level="nominal")
    assert round(nominal.value, 3) == 0.743
    assert round(krippendorff_alpha(KRIPPENDORFF_2011, level="interval").value, 3) == 0.849
    assert round(krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal").value, 3) == 0.815
    assert round(krippendorff_alpha(KRIPPENDORFF_2011, level="ratio").value, 3) == 0.797
    # By hand (nominal): unit 12 has a single value, so 11 units and n = 40 pairable values;
    # n per value: 1 → 9, 2 → 13, 3 → 10, 4 → 5, 5 → 3. Observed disagreement: unit 2
    # (2, 2, 3, 2) gives 2·3/3 = 2 off-diagonal coincidences, unit 6 (1, 2, 3, 4) gives
    # 12/3 = 4, unit 8 (1, 1, 2, 1) gives 2: D_o = 8/40 = 0.2.
    # Expected: (40² − Σ n_v²) / (40 · 39) = (1600 − 384) / 1560 = 0.7795; α = 1 − 0.2/0.7795.
    assert nominal.units == 11
    assert nominal.pairable == 40
    assert nominal.observed == pytest.approx(0.2)
    assert nominal.expected == pytest.approx(1216 / 1560)
    assert nominal.value == pytest.approx(1 - 0.2 / (1216 / 1560))
    assert nominal.sentence().startswith(
        "Krippendorff's alpha (nominal) = 0.743 over 11 units rated by 2 or more of 4 raters"
    )


def _nan(data: list[list[float | None]]) -> np.ndarray:
    return np.array([[np.nan if x is None else x for x in row] for row in data], dtype=float)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_published_example_matches_the_krippendorff_package(level: str) -> None:
    theirs = krippendorff.alpha(
        reliability_data=_nan(KRIPPENDORFF_2011), level_of_measurement=level
    )
    assert krippendorff_alpha(KRIPPENDORFF_2011, level=level).value == pytest.approx(
        float(theirs), abs=1e-12
    )


@given(
    alpha_data() | alpha_data(continuous_values.map(abs)),
    st.sampled_from(["nominal", "ordinal", "interval", "ratio"]),
)
def test_alpha_matches_the_krippendorff_package(data: Any, level: str) -> None:
    theirs = float(krippendorff.alpha(reliability_data=_nan(data), level_of_measurement=level))
    ours = krippendorff_alpha(data, level=level).value
    assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9)


@given(alpha_data(), st.sampled_from(list(MeasurementLevel)))
def test_alpha_is_one_for_perfect_agreement(data: Any, level: MeasurementLevel) -> None:
    # give every unit the first value anyone gave it
    agreed = [list(row) for row in data]
    for u in range(len(data[0])):
        first = next((row[u] for row in data if row[u] is not None), None)
        for row in agreed:
            if row[u] is not None:
                row[u] = first
    if not has_two_values(agreed):  # agreement left a single value: alpha is undefined
        with pytest.raises(ValidationError, match="is the only value given"):
            krippendorff_alpha(agreed, level=level)
        return
    alpha = krippendorff_alpha(agreed, level=level)
    assert alpha.value == 1.0
    assert alpha.observed == 0.0


@given(alpha_data(), st.sampled_from(list(MeasurementLevel)), st.randoms(use_true_random=False))
def test_alpha_does_not_depend_on_the_order_of_raters_or_units(
    data: Any, level: MeasurementLevel, rnd: random.Random
) -> None:
    alpha = krippendorff_alpha(data, level=level)
    rows = [list(row) for row in data]
    rnd.shuffle(rows)
    order = list(range(len(rows[0])))
    rnd.shuffle(order)
    assert krippendorff_alpha([[row[u] for u in order] for row in rows], level=level) == alpha


@given(alpha_data())
def test_nominal_alpha_ignores_what_the_values_are(data: Any) -> None:
    # nominal categories: renaming them (any one-to-one map) changes nothing
    relabel = {1.0: 40.0, 2.0: -3.0, 3.0: 7.5, 4.0: 0.0, 5.0: 11.0}
    moved = [[None if x is None else relabel[x] for x in row] for row in data]
    assert krippendorff_alpha(moved, level="nominal").value == pytest.approx(
        krippendorff_alpha(data, level="nominal").value, abs=1e-12
    )


@given(alpha_data())
def test_alpha_at_most_one(data: Any) -> None:
    for level in MeasurementLevel:
        assert krippendorff_alpha(data, level=level).value <= 1.0


def test_alpha_refusals() -> None:
    with pytest.raises(ValidationError, match="level: 'fuzzy' is not one of 'nominal'"):
        krippendorff_alpha(KRIPPENDORFF_2011, level="fuzzy")
    with pytest.raises(ValidationError, match="data: .* is empty"):
        krippendorff_alpha([])
    with pytest.raises(ValidationError, match="has no unit rated by two or more raters"):
        krippendorff_alpha([[1, None], [None, 2]])
    with pytest.raises(ValidationError, match="data: 3.0 is the only value given"):
        krippendorff_alpha([[3, 3, None], [3, 3, 4]])
    with pytest.raises(ValidationError, match=r"data\[1\]\[0\]: inf is not a finite number"):
        krippendorff_alpha([[1, 2], [math.inf, 2]])
    with pytest.raises(ValidationError, match=r"data\[1\]: 1 ratings in this row, 2 in data\[0\]"):
        krippendorff_alpha([[1, 2], [1]])
    # NaN is a missing rating (as in the krippendorff package and pandas)
    assert krippendorff_alpha([[1, 2, math.nan], [1, 3, 2]], level="nominal").units == 2


# --- from records --------------------------------------------------------------------------


def test_alpha_from_records() -> None:
    records = [
        ("ann", "p1", "goals", 4),
        ("bob", "p1", "goals", 4),
        ("ann", "p2", "goals", 2),
        ("bob", "p2", "goals", 3),
        ("cat", "p2", "goals", 2),
        ("bob", "p1", "teamwork", 5),  # rated once: not pairable
    ]
    alpha = alpha_from_records(records)
    # Interval alpha by hand: units p1/goals (4, 4) and p2/goals (2, 3, 2); n = 5 values
    # 4, 4, 2, 3, 2. Observed: p2's pairs (2,3) and (3,2), twice each, over m − 1 = 2 give
    # o_23 = o_32 = 1; Σ o·δ = 2·1² = 2 → D_o = 2/5. Expected: n_2 = 2, n_3 = 1, n_4 = 2:
    # Σ n_c·n_k·δ = 2·(2·1·1 + 2·2·4 + 1·2·1) = 40 → D_e = 40 / (5·4) = 2. α = 1 − 0.4/2 = 0.8
    assert alpha.value == pytest.approx(0.8)
    assert (alpha.raters, alpha.units, alpha.pairable) == (3, 2, 5)
    assert alpha.observed == pytest.approx(0.4)
    assert alpha.expected == pytest.approx(2.0)
    # the same as the dense layout: raters ann, bob, cat × units p1/goals, p1/teamwork, p2/goals
    dense = [[4, None, 2], [4, 5, 3], [None, None, 2]]
    for level in MeasurementLevel:
        assert alpha_from_records(records, level=level) == krippendorff_alpha(dense, level=level)
    with pytest.raises(ValidationError, match="records: .* has no unit rated by two or more"):
        alpha_from_records([("ann", "p1", "goals", 4), ("bob", "p2", "goals", 4)])
    with pytest.raises(ValidationError, match="level: 'loud' is not one of"):
        alpha_from_records(records, level="loud")


def test_icc_from_records_uses_the_units_everyone_rated() -> None:
    records = [
        (rater, f"p{i}", "overall", float(row[j]))
        for i, row in enumerate(SHROUT_FLEISS)
        for j, rater in enumerate(["j1", "j2", "j3", "j4"])
    ]
    records.append(("j1", "extra", "overall", 3.0))  # rated by one judge only: left out
    assert icc_from_records(records) == intraclass_correlation(SHROUT_FLEISS)
    with pytest.raises(
        ValidationError, match="records: 1 units .* are rated by all 4 raters; an ICC needs 2"
    ):
        icc_from_records([r for r in records if r[1] in ("p0", "extra")])


def _dense(records: list[Any]) -> list[list[float | None]]:
    raters = sorted({r[0] for r in records})
    units = sorted({(r[1], r[2]) for r in records})
    cell = {(r[0], r[1], r[2]): r[3] for r in records}
    return [[cell.get((rater, *unit)) for unit in units] for rater in raters]


@given(rating_records(), st.sampled_from(list(MeasurementLevel)), st.randoms(use_true_random=False))
def test_alpha_from_records_is_alpha_of_the_dense_layout(
    records: list[Any], level: MeasurementLevel, rnd: random.Random
) -> None:
    data = _dense(records)
    if not records or not has_two_values(data):
        with pytest.raises(ValidationError):
            alpha_from_records(records, level=level)
        return
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert alpha_from_records(shuffled, level=level) == krippendorff_alpha(data, level=level)


# --- round trips and garbage ----------------------------------------------------------------


@given(icc_reports())
def test_icc_reports_round_trip(report: ICCReport) -> None:
    assert perfkit.loads(perfkit.dumps(report), ICCReport) == report
    for icc in report.forms:
        assert perfkit.loads(perfkit.dumps(icc), ICC) == icc


@given(alphas())
def test_alphas_round_trip(alpha: KrippendorffAlpha) -> None:
    assert perfkit.loads(perfkit.dumps(alpha), KrippendorffAlpha) == alpha


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.lists(st.lists(st.integers() | st.none(), max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(object()),
    st.just([object()]),
)


@given(garbage, garbage)
def test_garbage_gives_only_perfkit_errors(a: Any, b: Any) -> None:
    calls = [
        lambda: intraclass_correlation(a, confidence=b),
        lambda: intraclass_correlation(SHROUT_FLEISS, confidence=a),
        lambda: krippendorff_alpha(a, level=b),
        lambda: krippendorff_alpha(KRIPPENDORFF_2011, level=a),
        lambda: alpha_from_records(a, level=b),
        lambda: alpha_from_records([a]),
        lambda: icc_from_records(a, confidence=b),
        lambda: intraclass_correlation(SHROUT_FLEISS).form(a),
        lambda: perfkit.loads(str(a), ICCReport),
        lambda: perfkit.structure({"level": a, "value": b}, KrippendorffAlpha),
    ]
    for call in calls:
        with contextlib.suppress(PerfkitError):
            call()

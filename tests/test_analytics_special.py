"""The t, F and incomplete beta functions behind the analytics' p-values and intervals,
checked against scipy and against closed forms."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

from perfkit.analytics._special import (
    betainc,
    f_cdf,
    f_quantile,
    f_sf,
    normal_quantile,
    t_cdf,
    t_quantile,
    t_two_sided_p,
)

dfs = st.floats(min_value=0.5, max_value=1e5, allow_nan=False)
small_dfs = st.floats(min_value=0.5, max_value=200.0, allow_nan=False)
t_values = st.floats(min_value=-60.0, max_value=60.0, allow_nan=False)
f_values = st.floats(min_value=1e-4, max_value=1e3, allow_nan=False)
shapes = st.floats(min_value=0.05, max_value=5e4, allow_nan=False)
levels = st.floats(min_value=0.001, max_value=0.999, allow_nan=False)


def close(a: float, b: float, rel: float = 1e-9, tiny: float = 1e-250) -> bool:
    """Equal to ``rel`` (relative), or both below ``tiny`` (where scipy flushes to 0)."""
    if abs(a) < tiny and abs(b) < tiny:
        return True
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


# scipy loses precision at subnormal x (where perfkit's value is the right one)
@given(shapes, shapes, st.floats(min_value=0.0, max_value=1.0, allow_subnormal=False))
def test_incomplete_beta_matches_scipy(a: float, b: float, x: float) -> None:
    assert close(betainc(a, b, x), float(special.betainc(a, b, x)), rel=1e-9)


def test_incomplete_beta_closed_forms() -> None:
    # I_x(1, 1) = x;  I_x(a, 1) = x^a;  I_x(1, b) = 1 − (1 − x)^b;  I_½(a, a) = ½
    assert math.isclose(betainc(1, 1, 0.3), 0.3, rel_tol=1e-15)
    assert math.isclose(betainc(2.5, 1, 0.4), 0.4**2.5, rel_tol=1e-14)
    assert math.isclose(betainc(1, 3, 0.2), 1 - 0.8**3, rel_tol=1e-14)
    assert math.isclose(betainc(7.3, 7.3, 0.5), 0.5, rel_tol=1e-14)
    assert betainc(2, 3, 0.0) == 0.0
    assert betainc(2, 3, 1.0) == 1.0


@given(t_values, dfs)
def test_t_matches_scipy(t: float, df: float) -> None:
    assert close(t_two_sided_p(t, df), float(2 * stats.t.sf(abs(t), df)))
    assert close(t_cdf(t, df), float(stats.t.cdf(t, df)))


@given(levels, dfs)
def test_t_quantile_matches_scipy(q: float, df: float) -> None:
    assert math.isclose(t_quantile(q, df), float(stats.t.ppf(q, df)), rel_tol=1e-9, abs_tol=1e-12)


@given(f_values, small_dfs, small_dfs)
def test_f_matches_scipy(f: float, d1: float, d2: float) -> None:
    assert close(f_sf(f, d1, d2), float(stats.f.sf(f, d1, d2)))
    assert close(f_cdf(f, d1, d2), float(stats.f.cdf(f, d1, d2)))


@given(levels, small_dfs, small_dfs)
def test_f_quantile_matches_scipy(q: float, d1: float, d2: float) -> None:
    assert math.isclose(f_quantile(q, d1, d2), float(stats.f.ppf(q, d1, d2)), rel_tol=1e-9)


@given(levels, small_dfs, small_dfs)
def test_quantiles_invert_the_distributions(q: float, d1: float, d2: float) -> None:
    assert math.isclose(t_cdf(t_quantile(q, d1), d1), q, rel_tol=1e-10)
    assert math.isclose(f_cdf(f_quantile(q, d1, d2), d1, d2), q, rel_tol=1e-10)


@given(t_values, t_values, small_dfs)
def test_t_cdf_is_monotone_and_symmetric(a: float, b: float, df: float) -> None:
    low, high = sorted((a, b))
    assert t_cdf(low, df) <= t_cdf(high, df)
    assert math.isclose(t_cdf(-a, df), 1 - t_cdf(a, df), rel_tol=1e-12, abs_tol=1e-15)


def test_t_closed_forms() -> None:
    # df = 1 is the Cauchy distribution: P(T ≤ t) = ½ + atan(t)/π
    assert math.isclose(t_cdf(2.0, 1), 0.5 + math.atan(2.0) / math.pi, rel_tol=1e-14)
    # df = 2: P(T ≤ t) = ½ + t / (2·√(2 + t²))
    assert math.isclose(t_cdf(1.5, 2), 0.5 + 1.5 / (2 * math.sqrt(2 + 2.25)), rel_tol=1e-14)
    # the 97.5% point with 10 df from any table: 2.228139
    assert t_quantile(0.975, 10) == pytest.approx(2.228138851986274, rel=1e-12)
    assert t_quantile(0.5, 7) == 0.0
    assert t_quantile(0.025, 10) == -t_quantile(0.975, 10)
    # a tiny p-value is not lost to 1 − 0.99999…
    assert t_two_sided_p(40.0, 30) == pytest.approx(float(2 * stats.t.sf(40.0, 30)), rel=1e-9)
    assert t_two_sided_p(1e200, 5) == 0.0


def test_f_closed_forms() -> None:
    # F(2, 2): P(F ≤ f) = f / (1 + f)
    assert math.isclose(f_cdf(3.0, 2, 2), 0.75, rel_tol=1e-14)
    assert math.isclose(f_sf(3.0, 2, 2), 0.25, rel_tol=1e-14)
    assert math.isclose(f_quantile(0.75, 2, 2), 3.0, rel_tol=1e-12)
    assert f_cdf(0.0, 3, 4) == 0.0
    assert f_sf(0.0, 3, 4) == 1.0
    assert f_sf(math.inf, 3, 4) == 0.0


def test_normal_quantile() -> None:
    assert normal_quantile(0.975) == pytest.approx(1.959963984540054, rel=1e-12)

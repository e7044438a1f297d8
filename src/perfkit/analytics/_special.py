"""The probability distributions the tests of significance need: normal, Student t and F.

Pure Python. The t and F distributions are both read off the regularized incomplete beta
function ``I_x(a, b)``, evaluated by its continued fraction (modified Lentz, as in Numerical
Recipes, §6.4): the series for ``I_x(a, b)`` when ``x < (a + 1) / (a + b + 2)``, else the one for
``1 − I_x`` through the symmetry ``I_x(a, b) = 1 − I_{1−x}(b, a)``, so that both a probability and
its complement come out accurate (a p-value of 1e-12 is not lost to ``1 − 0.999999999999``).
Quantiles are found by safeguarded Newton steps on the logarithm of the value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

__all__ = [
    "betainc",
    "f_cdf",
    "f_quantile",
    "f_sf",
    "normal_quantile",
    "t_cdf",
    "t_quantile",
    "t_two_sided_p",
]

_EPS = 4e-16
"""The continued fraction stops when a step changes it by less than this (relative)."""
_TINY = 1e-300
"""Lentz's guard against dividing by zero."""
_MAX_TERMS = 100_000
"""Far more terms than the fraction needs for any degrees of freedom met in practice
(it needs about the square root of the larger parameter)."""
_STANDARD = NormalDist()


_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)
_STIRLING_FROM = 10.0


def _stirling_rest(x: float) -> float:
    """``lgamma(x) − ((x − ½)·ln x − x + ½·ln 2π)`` for ``x ≥ 10``: the tail of Stirling's series
    (error below 1e-14)."""
    r = 1.0 / (x * x)
    return (
        1.0 / 12.0
        - r * (1.0 / 360.0 - r * (1.0 / 1260.0 - r * (1.0 / 1680.0 - r * (1.0 / 1188.0))))
    ) / x


def _log_beta(a: float, b: float) -> float:
    """``ln B(a, b)``. With large parameters the three ``lgamma`` values are huge and nearly
    cancel (a t test on 100,000 people), so Stirling's series is subtracted term by term."""
    small, big = min(a, b), max(a, b)
    if big < _STIRLING_FROM:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    total = small + big
    rest = _stirling_rest(big) - _stirling_rest(total)
    if small < _STIRLING_FROM:
        # lgamma(big) − lgamma(big + small), with its large terms cancelled by hand
        diff = -(big - 0.5) * math.log1p(small / big) - small * math.log(total) + small + rest
        return math.lgamma(small) + diff
    return (
        _HALF_LOG_TWO_PI
        - 0.5 * math.log(small)
        + rest
        + _stirling_rest(small)
        - (big - 0.5) * math.log1p(small / big)
        - small * math.log1p(big / small)
    )


def _continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of ``I_x(a, b)`` (Numerical Recipes ``betacf``), modified Lentz."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _TINY:
        d = _TINY
    d = 1.0 / d
    h = d
    for m in range(1, _MAX_TERMS + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _TINY:
            d = _TINY
        c = 1.0 + aa / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) <= _EPS:
            break
    return h


def _beta_pair(a: float, b: float, x: float, y: float) -> tuple[float, float]:
    """``(I_x(a, b), 1 − I_x(a, b))`` for ``x`` in [0, 1] with ``y = 1 − x`` given exactly by the
    caller; the smaller of the two is computed directly, the other as its complement."""
    if x <= 0.0:
        return 0.0, 1.0
    if y <= 0.0:
        return 1.0, 0.0
    log_x = math.log(x) if x < 0.5 else math.log1p(-y)
    log_y = math.log(y) if y < 0.5 else math.log1p(-x)
    front = math.exp(a * log_x + b * log_y - _log_beta(a, b))
    if x < (a + 1.0) / (a + b + 2.0):
        lower = front * _continued_fraction(a, b, x) / a
        return lower, 1.0 - lower
    upper = front * _continued_fraction(b, a, y) / b
    return 1.0 - upper, upper


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function ``I_x(a, b)`` (``a, b > 0``, ``0 ≤ x ≤ 1``)."""
    return _beta_pair(a, b, x, 1.0 - x)[0]


# --- Student t ------------------------------------------------------------------------------


def _t_split(t: float, df: float) -> tuple[float, float]:
    """``x = df / (df + t²)`` and ``1 − x``, both without cancellation or overflow."""
    r = t / math.sqrt(df)
    r2 = r * r
    if math.isinf(r2):
        return 0.0, 1.0
    return 1.0 / (1.0 + r2), r2 / (1.0 + r2)


def t_two_sided_p(t: float, df: float) -> float:
    """The two-sided p-value of a t statistic: ``P(|T| ≥ |t|)`` with ``df`` degrees of freedom."""
    x, y = _t_split(t, df)
    return _beta_pair(df / 2.0, 0.5, x, y)[0]


def t_cdf(t: float, df: float) -> float:
    """``P(T ≤ t)`` for Student's t with ``df`` degrees of freedom."""
    half = t_two_sided_p(t, df) / 2.0
    return half if t < 0 else 1.0 - half


def _t_log_density(t: float, df: float) -> float:
    return (
        math.lgamma((df + 1.0) / 2.0)
        - math.lgamma(df / 2.0)
        - 0.5 * math.log(df * math.pi)
        - (df + 1.0) / 2.0 * math.log1p((t / math.sqrt(df)) ** 2)
    )


def t_quantile(q: float, df: float) -> float:
    """The ``q``-quantile of Student's t with ``df`` degrees of freedom (``0 < q < 1``)."""
    if q == 0.5:
        return 0.0
    if q < 0.5:
        return -t_quantile(1.0 - q, df)
    tail = 2.0 * (1.0 - q)  # the two-sided p-value the quantile has

    def excess(u: float) -> float:
        return t_two_sided_p(math.exp(u), df) - tail

    def slope(u: float) -> float:
        t = math.exp(u)
        return -2.0 * math.exp(_t_log_density(t, df)) * t

    z = _STANDARD.inv_cdf(q)
    start = z + (z**3 + z) / (4.0 * df)  # Cornish–Fisher: a good first guess
    return math.exp(_solve_decreasing(excess, slope, math.log(max(start, 1e-300))))


# --- F --------------------------------------------------------------------------------------


def _f_split(f: float, d1: float, d2: float) -> tuple[float, float]:
    """``y = d1·f / (d1·f + d2)`` and ``x = 1 − y``, without cancellation or overflow."""
    if f <= 0.0:
        return 0.0, 1.0
    if math.isinf(f):
        return 1.0, 0.0
    ratio = d1 * f / d2
    if math.isinf(ratio):
        return 1.0, 0.0
    return ratio / (1.0 + ratio), 1.0 / (1.0 + ratio)


def f_cdf(f: float, d1: float, d2: float) -> float:
    """``P(F ≤ f)`` for the F distribution with ``(d1, d2)`` degrees of freedom."""
    y, x = _f_split(f, d1, d2)
    return _beta_pair(d1 / 2.0, d2 / 2.0, y, x)[0]


def f_sf(f: float, d1: float, d2: float) -> float:
    """``P(F ≥ f)``: the p-value of an F test."""
    y, x = _f_split(f, d1, d2)
    return _beta_pair(d1 / 2.0, d2 / 2.0, y, x)[1]


def _f_log_density(f: float, d1: float, d2: float) -> float:
    return (
        0.5 * d1 * math.log(d1 / d2)
        + (0.5 * d1 - 1.0) * math.log(f)
        - 0.5 * (d1 + d2) * math.log1p(d1 * f / d2)
        - _log_beta(d1 / 2.0, d2 / 2.0)
    )


def f_quantile(q: float, d1: float, d2: float) -> float:
    """The ``q``-quantile of the F distribution with ``(d1, d2)`` degrees of freedom."""
    tail = 1.0 - q

    def excess(u: float) -> float:
        return f_sf(math.exp(u), d1, d2) - tail

    def slope(u: float) -> float:
        f = math.exp(u)
        return -math.exp(_f_log_density(f, d1, d2)) * f

    return math.exp(_solve_decreasing(excess, slope, 0.0))


# --- normal ---------------------------------------------------------------------------------


def normal_quantile(q: float) -> float:
    """The ``q``-quantile of the standard normal distribution."""
    return _STANDARD.inv_cdf(q)


# --- root finding ---------------------------------------------------------------------------

_LIMIT = 709.0
"""Quantiles are looked for between e^-709 and e^709 (about the range of a float); beyond,
the quantile is 0 or infinite."""


def _solve_decreasing(
    g: Callable[[float], float], slope: Callable[[float], float], start: float
) -> float:
    """The root of a decreasing function ``g``: bracket it from ``start``, then Newton steps
    that fall back to bisection whenever a step would leave the bracket (``rtsafe``)."""
    u = min(max(start, -_LIMIT), _LIMIT)
    lo, hi = u - 1.0, u + 1.0
    width = 1.0
    while lo > -_LIMIT and g(lo) <= 0.0:
        width *= 2.0
        lo = max(u - width, -_LIMIT)
    width = 1.0
    while hi < _LIMIT and g(hi) >= 0.0:
        width *= 2.0
        hi = min(u + width, _LIMIT)
    if g(lo) < 0.0:
        return -math.inf
    if g(hi) > 0.0:
        return math.inf
    for _ in range(400):
        gu = g(u)
        if gu == 0.0:
            return u
        if gu > 0.0:
            lo = u
        else:
            hi = u
        d = slope(u)
        nu = u - gu / d if d != 0.0 and math.isfinite(d) else math.nan
        if not lo < nu < hi:
            nu = 0.5 * (lo + hi)
        if abs(nu - u) <= 1e-15 * max(1.0, abs(u)) or hi - lo <= 1e-15 * max(1.0, abs(u)):
            return nu
        u = nu
    return u  # pragma: no cover - the bracket halves at least every other step

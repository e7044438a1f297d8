"""Rater normalisation (z-scores with shrinkage) and the rater-severity mixed model."""

from __future__ import annotations

import contextlib
import math
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit._errors import NotFoundError, PerfkitError, ValidationError
from perfkit.normalisation import (
    Normalisation,
    RaterScore,
    SeverityModel,
    StandardErrorMethod,
    normalise,
    severity_model,
    shrinkage_weight,
)
from perfkit.scales import FIVE_POINT, PERCENT, NumericScale

from .strategies.calibration import rater_designs, rater_scores

ONE_TO_FIVE = NumericScale(id="one-to-five", name="1 to 5", minimum=1, maximum=5)


def scores_of(rater: str, values: list[float], prefix: str | None = None) -> list[RaterScore]:
    return [
        RaterScore(rater_id=rater, ratee_id=f"{prefix or rater.lower()}{i}", value=x)
        for i, x in enumerate(values)
    ]


# --- normalisation --------------------------------------------------------------------------

THREE_RATERS = [
    *scores_of("A", [1, 3, 1, 3]),  # a harsh rater: mean 2, sd 1
    *scores_of("B", [3, 5, 3, 5]),  # a lenient rater: mean 4, sd 1
    *scores_of("C", [3]),  # one ratee: sd 0
]


def test_three_raters_by_hand() -> None:
    # pooled: 9 values, mean 27/9 = 3; squared deviations 4,0,4,0,0,4,0,4,0 → var 16/9, sd 4/3
    result = normalise(THREE_RATERS, FIVE_POINT, k=4)
    assert result.pooled_mean == pytest.approx(3)
    assert result.pooled_sd == pytest.approx(4 / 3)
    a, b, c = result.raters
    # w = n / (n + k): 4/8 for A and B, 1/5 for C
    assert (a.n, a.mean, a.sd, a.weight) == (4, 2.0, 1.0, 0.5)
    assert c.weight == pytest.approx(0.2)
    # A: mean* = ½·2 + ½·3 = 2.5, sd* = ½·1 + ½·4/3 = 7/6; B: mean* 3.5, sd* 7/6
    assert (a.adjusted_mean, a.adjusted_sd) == pytest.approx((2.5, 7 / 6))
    assert (b.adjusted_mean, b.adjusted_sd) == pytest.approx((3.5, 7 / 6))
    # C: mean* = 3, sd* = ⅕·0 + ⅘·4/3 = 16/15 (no division by the zero spread)
    assert (c.adjusted_mean, c.adjusted_sd) == pytest.approx((3, 16 / 15))
    got = {(s.rater_id, s.value): s for s in result.scores}
    # A's 3: z* = 0.5 / (7/6) = 3/7 → 3 + 3/7 · 4/3 = 25/7; A's 1: z* = -9/7 → 9/7
    assert got["A", 3].z == pytest.approx(3 / 7)
    assert got["A", 3].normalised == pytest.approx(25 / 7)
    assert got["A", 1].normalised == pytest.approx(9 / 7)
    # B's 3 and 5 mirror them: 17/7 and 33/7 — the same 3 means more from a harsh rater
    assert got["B", 3].normalised == pytest.approx(17 / 7)
    assert got["B", 5].normalised == pytest.approx(33 / 7)
    assert got["C", 3].normalised == pytest.approx(3)
    assert (got["A", 3].raw_z, got["C", 3].raw_z) == (1.0, 0.0)
    # the ratees averaged
    assert result.score("A", "a1").normalised == pytest.approx(25 / 7)
    ratees = {r.ratee_id: r for r in result.by_ratee()}
    assert ratees["b1"].normalised == pytest.approx(33 / 7)
    assert (ratees["b1"].n, ratees["b1"].mean) == (1, 5.0)


def test_no_shrinkage_and_snapping() -> None:
    result = normalise(THREE_RATERS, FIVE_POINT, k=0)
    got = {(s.rater_id, s.value): s for s in result.scores}
    # k = 0: own mean and sd; A's 3 is z = 1 → 3 + 4/3; C's single rating has z = 0
    assert got["A", 3].z == 1.0
    assert got["A", 3].normalised == pytest.approx(13 / 3)
    assert got["C", 3].z == 0.0
    snapped = normalise(THREE_RATERS, FIVE_POINT, k=0, snap=True)
    assert {s.normalised for s in snapped.scores} <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert snapped.score("A", "a1").normalised == 4.0  # 4.33 → 4
    assert snapped.score("B", "b0").normalised == 2.0  # 1.67 → 2
    assert snapped.snapped


@given(rater_scores())
def test_per_rater_z_scores_have_mean_zero_without_shrinkage(scores: list[RaterScore]) -> None:
    result = normalise(scores, ONE_TO_FIVE, k=0)
    for rater in result.raters:
        zs = [s.z for s in result.scores if s.rater_id == rater.rater_id]
        assert len(zs) == rater.n
        assert abs(math.fsum(zs) / len(zs)) <= 1e-9
        raw = [s.raw_z for s in result.scores if s.rater_id == rater.rater_id]
        assert raw == zs
        assert rater.weight == 1.0


@given(rater_scores(), st.floats(min_value=0.0, max_value=50.0), st.booleans())
def test_normalised_values_stay_on_the_scale(
    scores: list[RaterScore], k: float, snap: bool
) -> None:
    result = normalise(scores, FIVE_POINT, k=k, snap=snap)
    assert len(result.scores) == len(scores)
    for s in result.scores:
        assert 1.0 <= s.normalised <= 5.0
        if snap:
            assert FIVE_POINT.allows(s.normalised)
    for r in result.raters:
        assert min(r.mean, result.pooled_mean) - 1e-9 <= r.adjusted_mean
        assert r.adjusted_mean <= max(r.mean, result.pooled_mean) + 1e-9
    assert perfkit.loads(perfkit.dumps(result), Normalisation) == result
    for ratee in result.by_ratee():
        assert perfkit.loads(perfkit.dumps(ratee), type(ratee)) == ratee


@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=1e-3, max_value=1e3))
def test_shrinkage_weight_is_in_0_1_and_grows_with_n(n: int, k: float) -> None:
    w = shrinkage_weight(n, k)
    assert 0.0 <= w < 1.0
    assert shrinkage_weight(n + 1, k) > w
    assert shrinkage_weight(n, k * 2) <= w
    assert shrinkage_weight(n, 0) == (1.0 if n else 0.0)


def test_shrinkage_weight_by_hand() -> None:
    assert shrinkage_weight(5) == 0.5  # the default k = 5
    assert shrinkage_weight(15, 5) == 0.75
    with pytest.raises(ValidationError, match=r"k: -1 is negative"):
        shrinkage_weight(3, -1)
    with pytest.raises(ValidationError, match=r"n: 2\.5 is not a whole number of ratees"):
        shrinkage_weight(2.5)  # type: ignore[arg-type]


@given(rater_scores(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(scores: list[RaterScore], rnd: Any) -> None:
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    assert perfkit.dumps(normalise(scores, FIVE_POINT)) == perfkit.dumps(
        normalise(shuffled, FIVE_POINT)
    )
    assert perfkit.dumps(severity_model(scores)) == perfkit.dumps(severity_model(shuffled))


def test_normalise_refusals() -> None:
    with pytest.raises(ValidationError, match=r"scores: \(\) is empty"):
        normalise([], FIVE_POINT)
    twice = [*scores_of("A", [3]), *scores_of("A", [4])]
    with pytest.raises(ValidationError, match=r"scores\[1\]: 'A → a0' repeats the rater and ratee"):
        normalise(twice, FIVE_POINT)
    with pytest.raises(
        ValidationError, match=r"scores\[0\].value: 7\.0 is outside scale five-point"
    ):
        normalise(scores_of("A", [7]), FIVE_POINT)
    with pytest.raises(ValidationError, match=r"k: -2 is negative"):
        normalise(THREE_RATERS, FIVE_POINT, k=-2)
    with pytest.raises(ValidationError, match=r"scale: 'five' is not a NumericScale"):
        normalise(THREE_RATERS, "five")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"scores\[0\]: 3 is not a RaterScore"):
        normalise([3], FIVE_POINT)  # type: ignore[list-item]
    result = normalise(THREE_RATERS, FIVE_POINT)
    with pytest.raises(NotFoundError, match="no rater with id 'Z'"):
        result.rater("Z")
    with pytest.raises(NotFoundError, match="no rating with id 'A → b0'"):
        result.score("A", "b0")
    # values a rounding error apart: no spread (not z = ±1 from the last bit of a float)
    noise = normalise(scores_of("A", [5.0, 4.999999999999999]), FIVE_POINT, k=0)
    assert [s.z for s in noise.scores] == [0.0, 0.0]
    # everybody rated the same: no spread anywhere, nothing moves
    flat = normalise(scores_of("A", [3, 3]) + scores_of("B", [3]), PERCENT)
    assert {s.normalised for s in flat.scores} == {3.0}


# --- the severity model ---------------------------------------------------------------------

# Three raters each rate the same four people (a balanced, fully crossed design):
# rating = person + rater + residual, persons 4, 3, 2, 3, raters +.5, 0, -.5, and residuals that
# add up to zero in every row and column (±.2 for p1 and p2).
BALANCED = {
    "p1": (4.7, 3.8, 3.5),
    "p2": (3.3, 3.2, 2.5),
    "p3": (2.5, 2.0, 1.5),
    "p4": (3.5, 3.0, 2.5),
}
BALANCED_SCORES = [
    RaterScore(rater_id=r, ratee_id=p, value=y)
    for p, ys in BALANCED.items()
    for r, y in zip("ABC", ys, strict=True)
]


def test_balanced_design_by_hand() -> None:
    model = severity_model(BALANCED_SCORES)
    # residuals ±.2 four times: SSE = 0.16 on 12 − 4 − 3 + 1 = 6 df → σ²_e = 2/75
    assert model.residual_variance == pytest.approx(2 / 75)
    # within-person SS = .78 + .38 + .5 + .5 = 2.16 on 8 df = .27 → σ²_rater = .27 − 2/75
    assert model.rater_variance == pytest.approx(73 / 300)
    lam = 8 / 73
    assert model.ridge == pytest.approx(lam)
    # BLUP: b = P·(rater mean − grand mean) / (P + λ) = 4 · ±.5 / (4 + 8/73) = ±146/300
    a, b, c = model.raters
    assert (a.severity, b.severity, c.severity) == pytest.approx((146 / 300, 0, -146 / 300))
    assert (a.mean, a.mean_deviation, a.n) == (pytest.approx(3.5), pytest.approx(0.5), 4)
    # PEV = σ²_e · [(Z'MZ + λI)⁻¹]_jj = σ²_e · (1/(Rλ) + (1 − 1/R)/(P + λ))
    pev = 2 / 75 * (1 / (3 * lam) + (2 / 3) / (4 + lam))
    assert a.se == pytest.approx(math.sqrt(pev))
    assert model.se_method is StandardErrorMethod.EXACT
    assert (model.n, model.people_count, model.rater_count, model.components) == (12, 4, 3, 1)
    assert model.identified
    # every person was rated by everyone: the severities cancel out
    assert [p.adjusted for p in model.people] == pytest.approx([4, 3, 2, 3])
    assert a.explain() == (
        "A: lenient, severity +0.487 ± 0.29 (SE) from 4 ratings, on average +0.5 from their "
        "ratees' means"
    )
    assert c.explain().startswith("C: harsh, severity -0.487")
    assert model.rater("B").severity == pytest.approx(0)
    assert model.person("p3").mean == 2.0
    with pytest.raises(NotFoundError, match="no rater with id 'D'"):
        model.rater("D")
    with pytest.raises(NotFoundError, match="no ratee with id 'p9'"):
        model.person("p9")


def test_a_harsh_managers_team_is_adjusted_up() -> None:
    # Two managers share two people (a calibration panel); each also rates a person alone.
    scores = [
        RaterScore(rater_id="harsh", ratee_id="shared1", value=2),
        RaterScore(rater_id="kind", ratee_id="shared1", value=4),
        RaterScore(rater_id="harsh", ratee_id="shared2", value=3),
        RaterScore(rater_id="kind", ratee_id="shared2", value=4),
        RaterScore(rater_id="harsh", ratee_id="only-harsh", value=3),
        RaterScore(rater_id="kind", ratee_id="only-kind", value=3),
    ]
    model = severity_model(scores, ridge=1.0)
    # Z'MZ: each manager has d = ½ + ½ + 0 = 1 and they share −½ − ½ = −1; Z'My: harsh was
    # 1 and ½ below the shared people's means, kind as much above: g = (−1.5, 1.5).
    # (Z'MZ + I) b = g is [[2, −1], [−1, 2]] b = (−1.5, 1.5) → b = (−½, ½)
    assert model.rater("harsh").severity == pytest.approx(-0.5)
    assert model.rater("kind").severity == pytest.approx(0.5)
    # the person only the harsh manager rated is adjusted up by ½, the other one down
    assert model.person("only-harsh").adjusted == pytest.approx(3.5)
    assert model.person("only-kind").adjusted == pytest.approx(2.5)
    assert model.ridge == 1.0


def test_severity_is_not_identified_without_people_rated_twice() -> None:
    model = severity_model(scores_of("A", [1, 2]) + scores_of("B", [4, 5]))
    assert not model.identified
    assert [r.severity for r in model.raters] == [0.0, 0.0]
    assert [p.adjusted for p in model.people] == [1.0, 2.0, 4.0, 5.0]
    assert model.ridge is None
    assert perfkit.loads(perfkit.dumps(model), SeverityModel) == model


def _simulate(seed: int) -> tuple[list[RaterScore], dict[str, float], dict[str, float]]:
    rnd = random.Random(seed)
    raters = {f"r{j:02}": rnd.gauss(0, 0.5) for j in range(40)}
    people = {f"p{i:03}": rnd.gauss(3, 0.8) for i in range(300)}
    scores = []
    for p, level in people.items():
        for r in rnd.sample(sorted(raters), 3):
            value = level + raters[r] + rnd.gauss(0, 0.4)
            scores.append(RaterScore(rater_id=r, ratee_id=p, value=value))
    return scores, raters, people


def _correlation(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy)


def test_simulated_severities_are_recovered() -> None:
    scores, true_raters, true_people = _simulate(2026)
    model = severity_model(scores)
    ids = sorted(true_raters)
    estimated = [model.rater(r).severity for r in ids]
    assert _correlation(estimated, [true_raters[r] for r in ids]) > 0.9
    assert model.residual_variance == pytest.approx(0.16, rel=0.25)
    assert model.rater_variance == pytest.approx(0.25, rel=0.5)
    # removing severity brings people closer to their true performance than their raw mean
    people = sorted(true_people)
    shift = sum(true_raters.values()) / len(true_raters)  # severities are relative to the mean

    def error(values: list[float]) -> float:
        return math.fsum(
            (v - true_people[p] - shift) ** 2 for v, p in zip(values, people, strict=True)
        )

    assert error([model.person(p).adjusted for p in people]) < 0.6 * error(
        [model.person(p).mean for p in people]
    )
    # the standard errors are honest: most true severities lie within 2 SE
    inside = sum(
        abs(model.rater(r).severity - (true_raters[r] - shift)) <= 2 * model.rater(r).se
        for r in ids
    )
    assert inside >= 0.85 * len(ids)


# --- a brute-force oracle: the mixed-model equations solved densely --------------------------


def _solve(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    """Gauss–Jordan with partial pivoting: a⁻¹ b (a square and non-singular)."""
    n = len(a)
    m = [row[:] + extra[:] for row, extra in zip(a, b, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        div = m[col][col]
        m[col] = [x / div for x in m[col]]
        for r in range(n):
            if r != col and m[r][col] != 0:
                f = m[r][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=True)]
    return [row[n:] for row in m]


def _least_squares_sse(columns: list[list[float]], y: list[float]) -> tuple[float, int]:
    """Residual sum of squares of y on the columns, and their rank (modified Gram–Schmidt)."""
    basis: list[list[float]] = []
    for col in columns:
        v = col[:]
        for q in basis:
            d = sum(a * b for a, b in zip(v, q, strict=True))
            v = [a - d * b for a, b in zip(v, q, strict=True)]
        norm = math.sqrt(sum(a * a for a in v))
        if norm > 1e-9:
            basis.append([a / norm for a in v])
    r = y[:]
    for q in basis:
        d = sum(a * b for a, b in zip(r, q, strict=True))
        r = [a - d * b for a, b in zip(r, q, strict=True)]
    return sum(a * a for a in r), len(basis)


@given(rater_scores(min_size=2, max_size=24) | rater_designs())
def test_the_model_matches_a_brute_force_solution(scores: list[RaterScore]) -> None:
    model = severity_model(scores)
    people = sorted({s.ratee_id for s in scores})
    raters = sorted({s.rater_id for s in scores})
    n, p_count, r_count = len(scores), len(people), len(raters)
    y = [s.value for s in scores]
    x_cols = [[1.0 if s.ratee_id == p else 0.0 for s in scores] for p in people]
    z_cols = [[1.0 if s.rater_id == r else 0.0 for s in scores] for r in raters]
    sse_people, _ = _least_squares_sse(x_cols, y)
    sse_both, rank = _least_squares_sse(x_cols + z_cols, y)
    assert model.components == p_count + r_count - rank
    identified = n - p_count > 0 and n - rank > 0
    assert model.identified == identified
    if not identified:
        assert all(r.severity == 0 for r in model.raters)
        return
    sigma_e = sse_both / (n - rank)
    assert model.residual_variance == pytest.approx(sigma_e, rel=1e-6, abs=1e-9)
    sigma_r = max(0.0, sse_people / (n - p_count) - sigma_e)
    assert model.rater_variance == pytest.approx(sigma_r, rel=1e-6, abs=1e-9)
    if model.ridge is None or model.ridge < 1e-6 or model.ridge > 1e6:
        return
    lam = model.ridge
    cols = x_cols + z_cols
    size = len(cols)
    mme = [
        [
            sum(a * b for a, b in zip(cols[i], cols[j], strict=True))
            + (lam if i == j and i >= p_count else 0.0)
            for j in range(size)
        ]
        for i in range(size)
    ]
    rhs = [[sum(a * b for a, b in zip(cols[i], y, strict=True))] for i in range(size)]
    solution = [row[0] for row in _solve(mme, rhs)]
    identity = [[1.0 if i == j else 0.0 for j in range(size)] for i in range(size)]
    inverse = _solve(mme, identity)
    for j, r in enumerate(raters):
        got = model.rater(r)
        assert got.severity == pytest.approx(solution[p_count + j], rel=1e-6, abs=1e-7)
        se = math.sqrt(max(0.0, model.residual_variance * inverse[p_count + j][p_count + j]))
        assert got.se == pytest.approx(se, rel=1e-6, abs=1e-7)
    for i, person in enumerate(people):
        assert model.person(person).adjusted == pytest.approx(solution[i], rel=1e-6, abs=1e-7)
    # the fast standard errors are a lower bound of the exact ones
    fast = severity_model(scores, exact_se_limit=0)
    assert fast.se_method is StandardErrorMethod.DIAGONAL
    for a, b in zip(fast.raters, model.raters, strict=True):
        assert a.severity == b.severity
        assert a.se <= b.se + 1e-9


@given(rater_scores())
def test_severity_models_round_trip(scores: list[RaterScore]) -> None:
    model = severity_model(scores)
    assert perfkit.loads(perfkit.dumps(model), SeverityModel) == model
    for s in scores:
        assert perfkit.loads(perfkit.dumps(s), RaterScore) == s
    # severities add up to 0 within each group of connected raters
    if model.components == 1:
        assert abs(math.fsum(r.severity for r in model.raters)) <= 1e-6


def test_severity_model_refusals() -> None:
    with pytest.raises(ValidationError, match=r"ridge: 0 is not positive"):
        severity_model(BALANCED_SCORES, ridge=0)
    with pytest.raises(ValidationError, match=r"exact_se_limit: -1 is negative"):
        severity_model(BALANCED_SCORES, exact_se_limit=-1)
    with pytest.raises(ValidationError, match=r"scores: 'AB' is not a collection of RaterScore"):
        severity_model("AB")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"value: inf is not a finite number"):
        RaterScore(rater_id="a", ratee_id="b", value=math.inf)


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(object()),
    st.just([object()]),
    st.just(FIVE_POINT),
)


@given(garbage, garbage, garbage)
def test_garbage_gives_only_perfkit_errors(a: Any, b: Any, c: Any) -> None:
    calls = [
        lambda: normalise(a, b, k=c),
        lambda: normalise(THREE_RATERS, a),
        lambda: normalise(THREE_RATERS, FIVE_POINT, k=a, snap=b),
        lambda: normalise([a], FIVE_POINT),
        lambda: severity_model(a),
        lambda: severity_model([a]),
        lambda: severity_model(BALANCED_SCORES, ridge=a, exact_se_limit=b),
        lambda: shrinkage_weight(a, b),
        lambda: RaterScore(rater_id=a, ratee_id=b, value=c),
        lambda: normalise(THREE_RATERS, FIVE_POINT).rater(a),
        lambda: normalise(THREE_RATERS, FIVE_POINT).score(a, b),
        lambda: severity_model(BALANCED_SCORES).person(a),
        lambda: perfkit.loads(str(a), SeverityModel),
        lambda: perfkit.structure({"rater_id": a, "ratee_id": b, "value": c}, RaterScore),
    ]
    for call in calls:
        with contextlib.suppress(PerfkitError):
            call()


def test_a_perfect_fit_still_centres_the_severities() -> None:
    # Every rater's ratings differ from the others' by a constant: residual variance ~0, so the
    # ridge is ~0 and the equations are ill-conditioned; the severities must still add up to 0.
    scores = [
        RaterScore(rater_id="r0", ratee_id="p0", value=1.0),
        RaterScore(rater_id="r0", ratee_id="p1", value=1.0),
        RaterScore(rater_id="r1", ratee_id="p0", value=1.0),
        RaterScore(rater_id="r2", ratee_id="p0", value=2.0),
        RaterScore(rater_id="r2", ratee_id="p1", value=2.0),
    ]
    model = severity_model(scores)
    assert abs(math.fsum(r.severity for r in model.raters)) <= 1e-12
    lenient = max(model.raters, key=lambda r: r.severity)
    assert lenient.rater_id == "r2"

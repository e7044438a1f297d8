"""The speed work (issue "Scale and speed") changes how results are computed, never what they are.

Each fast path is checked here against the straightforward computation it replaces — kept in
this file as the reference, written the way the code was before — on random inputs, bit for bit
(floats compared by ``float.hex``, so a signed zero counts) and error for error (same type and
message). A denser sample cycle is pinned byte for byte as well (``tests/test_golden.py`` pins
the default shape).
"""

from __future__ import annotations

import bisect
import hashlib
import math
import operator
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit import _validation as v
from perfkit._errors import ValidationError
from perfkit.calibration import (
    CalibrationSession,
    Deviation,
    DeviationReport,
    DistributionGuideline,
    GroupBy,
    GroupDeviations,
    RatingView,
    Target,
)
from perfkit.dataset import CycleData
from perfkit.goals import GoalSet
from perfkit.metrics import Direction
from perfkit.normalisation import (
    RaterScore,
    _Design,
    _dot,
    _gather,
    _scores,
    _sums,
    severity_model,
)
from perfkit.policies import (
    _criterion_leaf,
    _equal_shares,
    _make_criterion_leaf,
    _on_scale,
    _shares_of,
)
from perfkit.reviews import (
    Criterion,
    CriterionKind,
    CriterionRating,
    Review,
    ReviewerRole,
    ReviewForm,
    ReviewStatus,
)
from perfkit.rewards import MeritProposal
from perfkit.run import CyclePolicy, _rater_scores, run_cycle
from perfkit.sample import BENCHMARK_SHAPE, sample_cycle, sample_policy
from perfkit.scales import FIVE_POINT, NumericScale, Rating, ScaleCatalog
from perfkit.scoring import (
    Component,
    CriterionInput,
    EmployeeInputs,
    GoalInput,
    MetricKind,
    RatingCutoffs,
    ReviewInput,
    Score,
    _component_item,
    _component_parts,
    _make_goal_input,
    _number,
    _optional_finite,
    _shares,
    _text,
    _unique_items,
    all_inputs,
    cutoffs_for,
)

from .strategies.calibration import entries, guidelines, rater_designs, rater_scores, sessions
from .strategies.common import ids
from .strategies.goals import goal_sets

AT = datetime(2026, 12, 20, tzinfo=UTC)


def outcome(make: Callable[[], Any]) -> tuple[Any, ...]:
    """What a call gives: its value (by repr, which shows every float and its sign) or its
    error (type and message)."""
    try:
        made = make()
    except Exception as err:  # noqa: BLE001 - the references may fail as the code did
        return ("error", type(err), str(err))
    return ("ok", repr(made))


def hexes(xs: Iterable[float]) -> list[str]:
    return [x.hex() for x in xs]


# --- a denser cycle, end to end -------------------------------------------------------------

# sha256 of perfkit.dumps(run_cycle(...)) for sample_cycle(400, seed=3, shape=BENCHMARK_SHAPE),
# taken before the speed work.
DENSE = {
    "advise": "8cefe2f3c09ea8c9b763ce13ff1c5d4861ce16035bc07da96362f1992dff1159",
    "force": "e022081ceee98a6fede344888c02965e6644fb6a1c88ec29dd8894504e43c3ca",
}


@pytest.fixture(scope="module")
def dense() -> CycleData:
    return sample_cycle(400, seed=3, shape=BENCHMARK_SHAPE)


@pytest.mark.parametrize("mode", ["advise", "force"])
def test_a_dense_cycle_is_byte_identical(dense: CycleData, mode: str) -> None:
    result = run_cycle(dense, sample_policy(dense, calibration=mode), at=AT)
    assert hashlib.sha256(perfkit.dumps(result).encode()).hexdigest() == DENSE[mode]


# --- the severity model's conjugate gradient ------------------------------------------------


def reference_solve(design: _Design, ridge: float) -> list[float]:
    """``(Z'MZ + λI) b = Z'My`` solved as before: rater order, one fsum per person and rater."""

    def apply(b: list[float]) -> list[float]:
        r = [math.fsum(b[j] for j, _ in obs) / len(obs) for obs in design.by_person]
        return [
            (ridge + len(people)) * bj - math.fsum(r[i] for i in people)
            for bj, people in zip(b, design.by_rater, strict=True)
        ]

    rhs, diag = design.g, [dj + ridge for dj in design.d]
    size = len(rhs)
    x = [0.0] * size
    norm = math.sqrt(_dot(rhs, rhs))
    if norm == 0:
        return x
    inv = [1 / dj if dj > 0 else 1.0 for dj in diag]
    r = list(rhs)
    z = [ri * wi for ri, wi in zip(r, inv, strict=True)]
    p = list(z)
    rz = _dot(r, z)
    for _ in range(max(100, 4 * size)):
        ap = apply(p)
        pap = _dot(p, ap)
        if pap <= 0:
            break
        alpha = rz / pap
        x = [xi + alpha * pi for xi, pi in zip(x, p, strict=True)]
        r = [ri - alpha * api for ri, api in zip(r, ap, strict=True)]
        if math.sqrt(_dot(r, r)) <= 1e-13 * norm:
            break
        z = [ri * wi for ri, wi in zip(r, inv, strict=True)]
        rz_next = _dot(r, z)
        beta = rz_next / rz
        rz = rz_next
        p = [zi + beta * pi for zi, pi in zip(z, p, strict=True)]
    return x


def random_design(seed: int, people: int, raters: int) -> list[RaterScore]:
    """People with 1 to 6 raters each, raters with very different loads (blocks of every size)."""
    rng = random.Random(seed)
    out = []
    for i in range(people):
        chosen = rng.sample(range(raters), rng.randint(1, min(6, raters)))
        for j in chosen:
            value = rng.choice([1.0, 2.0, 3.0, 4.0, 5.0, rng.uniform(1.0, 5.0)])
            out.append(RaterScore(rater_id=f"r{j:03}", ratee_id=f"p{i:03}", value=value))
    return out


@given(
    st.one_of(rater_designs(), rater_scores(min_size=1, max_size=40)),
    st.sampled_from([0.0, 1e-9, 0.37, 1.0, 25.0]),
)
def test_the_blocked_solve_is_the_rater_by_rater_solve_bit_for_bit(
    scores: list[RaterScore], ridge: float
) -> None:
    design = _Design(_scores(scores))
    assert hexes(design.solve(ridge)) == hexes(reference_solve(design, ridge))


@pytest.mark.parametrize(("seed", "people", "raters"), [(1, 60, 12), (2, 150, 40), (3, 90, 90)])
@pytest.mark.parametrize("ridge", [0.0, 0.5])
def test_larger_designs_solve_bit_for_bit(
    seed: int, people: int, raters: int, ridge: float
) -> None:
    design = _Design(_scores(random_design(seed, people, raters)))
    assert hexes(design.solve(ridge)) == hexes(reference_solve(design, ridge))


def test_the_severity_model_of_a_sample_cycle_is_unchanged() -> None:
    data = sample_cycle(120, seed=5)
    scores = _rater_scores(data)
    model = severity_model(scores)
    design = _Design(_scores(scores))
    # the fitted effects come from the same solves as the reference ones
    assert model.identified
    assert hexes(design.solve(0.0)) == hexes(reference_solve(design, 0.0))
    assert model.ridge is not None
    assert hexes(design.solve(model.ridge)) == hexes(reference_solve(design, model.ridge))


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False) | st.sampled_from(
    [0.0, -0.0, 1e-300, -1e-300, 5e-324]
)


@given(st.lists(st.lists(finite, min_size=4, max_size=4), min_size=1, max_size=8), st.data())
def test_block_sums_are_fsum_of_each_row(rows: list[list[float]], data: st.DataObject) -> None:
    width = data.draw(st.integers(min_value=1, max_value=4))
    table = [row[:width] for row in rows]
    xs = [x for row in table for x in row]
    # column t picks the t-th number of every row
    columns = [_gather(k * width + t for k in range(len(table))) for t in range(width)]
    assert hexes(_sums(columns, xs)) == hexes(math.fsum(row) for row in table)


# --- components -----------------------------------------------------------------------------


def reference_leaf(name: Any, weight: Any, input: Any, detail: Any = "") -> Component:
    w, x = _number("weight", weight), _number("input", input)
    return Component(name=name, input=x, weight=w, contribution=w * x, detail=detail)


def reference_group(name: Any, weight: Any, parts: Any, detail: Any = "") -> Component:
    items = tuple(parts)
    w = _number("weight", weight)
    x = math.fsum(p.contribution for p in items)
    return Component(name=name, input=x, weight=w, contribution=w * x, detail=detail, parts=items)


names = ids | st.sampled_from(["", " x", "x ", "a\x00b", "ok"]) | st.integers() | st.none()
numbers = (
    st.sampled_from([0.0, -0.0, -1.0, 1e308, -1e308, 5e-324, math.inf, math.nan, 2])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.booleans()
    | st.just("1")
)
details = st.text(max_size=5) | st.none() | st.integers()


ODD_COMPONENT_VALUES = (names, numbers, numbers, details)


@pytest.mark.parametrize("field", range(4))
@given(data=st.data())
def test_a_leaf_is_the_validated_component(field: int, data: st.DataObject) -> None:
    values: list[Any] = ["goals", 0.6, 3.8, "why"]
    values[field] = data.draw(ODD_COMPONENT_VALUES[field])
    assert outcome(lambda: Component.leaf(*values)) == outcome(lambda: reference_leaf(*values))


@pytest.mark.parametrize("field", range(3))
@given(
    data=st.data(),
    leaves=st.lists(
        st.tuples(ids, st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=1, max_size=4
    ),
)
def test_a_group_is_the_validated_component(
    field: int, data: st.DataObject, leaves: list[tuple[str, float, float]]
) -> None:
    parts = [Component.leaf(n, abs(w), x) for n, w, x in leaves]
    values: list[Any] = ["competencies", 0.4, "how"]
    values[field] = data.draw((names, numbers, details)[field])
    name, weight, detail = values
    made = outcome(lambda: Component.group(name, weight, parts, detail))
    assert made == outcome(lambda: reference_group(name, weight, parts, detail))
    if made[0] == "ok":
        built = Component.group(name, weight, parts, detail)
        assert built == reference_group(name, weight, parts, detail)
        assert hash(built) == hash(reference_group(name, weight, parts, detail))
        assert perfkit.structure(perfkit.unstructure(built), Component) == built


def test_a_component_built_directly_has_every_field() -> None:
    made = Component.group("g", 0.5, [Component.leaf("a", 1.0, 2.0, "why")], "how")
    for field in attrs.fields(Component):
        getattr(made, field.name)  # a field left unset would raise AttributeError
    assert attrs.asdict(made, recurse=False).keys() == {f.name for f in attrs.fields(Component)}


# --- goal inputs ----------------------------------------------------------------------------

goal_values = (
    st.sampled_from([0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, 1e308, True])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-5, max_value=5)
    | st.none()
    | st.just("x")
)


GOAL_INPUT_FIELDS = [f.name for f in attrs.fields(GoalInput)]
VALID_GOAL_INPUT = ("g1", "Goal", 0.5, MetricKind.NUMERIC, "%", Direction.UP, 0.0, 1.0, 0.4, 0.4)
ODD_GOAL_VALUES = {
    "goal_id": ids | st.sampled_from(["", " a", "a\x00", 7, None]),
    "title": st.sampled_from(["", " ", "\t", "Goal", 3]) | st.text(max_size=4),
    "metric_kind": st.sampled_from([*MetricKind, "numeric", None]),
    "unit": st.sampled_from(["", "h", None, 1]),
    "direction": st.sampled_from([*Direction, "up", None]),
}


@pytest.mark.parametrize("field", range(10))
@given(data=st.data())
def test_a_goal_input_is_the_validated_one(field: int, data: st.DataObject) -> None:
    assert GOAL_INPUT_FIELDS == [
        "goal_id",
        "title",
        "weight",
        "metric_kind",
        "unit",
        "direction",
        "baseline",
        "target",
        "value",
        "attainment",
    ]
    values: list[Any] = list(VALID_GOAL_INPUT)
    changed = {field} | data.draw(st.sets(st.sampled_from(range(len(values))), max_size=1))
    for k in sorted(changed):
        values[k] = data.draw(ODD_GOAL_VALUES.get(GOAL_INPUT_FIELDS[k], goal_values))
    kwargs = dict(zip(GOAL_INPUT_FIELDS, values, strict=True))
    assert outcome(lambda: _make_goal_input(*values)) == outcome(lambda: GoalInput(**kwargs))


# --- validators with fast paths -------------------------------------------------------------


def same_check(fast: v.Validator, slow: v.Validator, attribute: Any, value: Any) -> None:
    assert outcome(lambda: fast(None, attribute, value)) == outcome(
        lambda: slow(None, attribute, value)
    )


def criterion_input(criterion_id: str) -> CriterionInput:
    return CriterionInput(
        criterion_id=criterion_id,
        kind=CriterionKind.COMPETENCY,
        weight=1.0,
        rating=FIVE_POINT.rate(3),
        normalised=0.5,
    )


@given(
    st.lists(st.sampled_from(["a", "b", "c"]).map(criterion_input) | st.just("x"), max_size=4),
    st.booleans(),
)
def test_the_unique_items_check_is_each_then_unique(items: list[Any], as_tuple: bool) -> None:
    value: Any = tuple(items) if as_tuple else items
    attribute = attrs.fields(ReviewInput).ratings
    slow_each = v.each(v.instance_of(CriterionInput))
    slow_unique = v.unique_ids(operator.attrgetter("criterion_id"), "criterion")

    def slow(inst: Any, a: Any, x: Any) -> None:
        slow_each(inst, a, x)
        slow_unique(inst, a, x)

    same_check(_unique_items(CriterionInput, "criterion_id", "criterion"), slow, attribute, value)


@given(st.lists(st.just(Component.leaf("a", 1.0, 1.0)) | st.integers(), max_size=3), st.booleans())
def test_the_parts_check_is_each_component(items: list[Any], as_tuple: bool) -> None:
    value: Any = tuple(items) if as_tuple else items
    attribute = attrs.fields(Component).parts
    same_check(_component_parts, v.each(_component_item), attribute, value)


@given(numbers | st.none() | st.text(max_size=2))
def test_the_inline_checks_are_the_general_ones(value: Any) -> None:
    def finite(inst: Any, a: Any, x: Any) -> None:
        if x.__class__ is float and x - x == 0.0:
            return
        v.finite_float(inst, a, x)

    same_check(_optional_finite, v.optional(finite), attrs.fields(Component).input, value)
    same_check(_text, v.text, attrs.fields(Component).detail, value)


# --- memoised pieces of a score -------------------------------------------------------------

ZERO_SCALE = NumericScale(id="centred", name="Centred", minimum=-1.0, maximum=1.0, step=0.5)
zeroish = st.sampled_from([0.0, -0.0, 0.5, 1.0])


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["c1", "c2"]),
            st.sampled_from([0.5, 1.0, 0.25]),
            st.sampled_from([-1.0, -0.5, 0.0, -0.0, 0.5, 1.0]),
            zeroish,
            st.sampled_from([0.2, 1.0]),
            st.sampled_from([(0.0, 1.0), (-0.0, 1.0), (1.0, 5.0), (-1.0, 0.0), (-1.0, -0.0)]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_memoised_criterion_leaves_are_the_leaves_built_anew(
    calls: list[tuple[str, float, float, float, float, tuple[float, float]]],
) -> None:
    for criterion_id, share, value, normalised, weight, (low, high) in calls:
        c = CriterionInput(
            criterion_id=criterion_id,
            kind=CriterionKind.COMPETENCY,
            weight=weight,
            rating=Rating(scale=ZERO_SCALE.ref, value=value),
            normalised=normalised,
        )
        made = _criterion_leaf(c, share, low, high)
        fresh = Component.leaf(
            criterion_id,
            share,
            _on_scale(normalised, low, high),
            f"rated {value:g} on {ZERO_SCALE.ref}, {normalised:.4g} of its range; criterion "
            f"weight {weight:g}",
        )
        assert repr(made) == repr(fresh)
        assert made == _make_criterion_leaf(
            criterion_id, share, low, high, value, ZERO_SCALE.ref, normalised, weight
        )


@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, 60.0, 30.0, 1e-9, 0.1]), min_size=1, max_size=5))
def test_memoised_shares_are_the_shares(weights: list[float]) -> None:
    if math.fsum(weights) == 0:
        return
    assert hexes(_shares_of(weights)) == hexes(_shares(weights))
    n = len(weights)
    assert hexes(_equal_shares(n)) == hexes(_shares([1.0] * n))


cutoff_lists = st.lists(
    st.floats(min_value=-10, max_value=10, allow_nan=False), min_size=1, max_size=5, unique=True
).map(sorted)


@given(cutoff_lists, st.floats(min_value=-20, max_value=20, allow_nan=False))
def test_rating_cutoffs_rate_as_before(lows: list[float], score: float) -> None:
    pairs = [(low, float(k + 1)) for k, low in enumerate(lows)]
    cutoffs = RatingCutoffs(scale=FIVE_POINT.ref, cutoffs=pairs)
    starts = [low for low, _ in cutoffs.cutoffs]
    at = max(bisect.bisect_right(starts, score) - 1, 0)
    assert cutoffs.rate(score) == Rating(scale=FIVE_POINT.ref, value=cutoffs.cutoffs[at][1])
    assert cutoffs.rate(score) is cutoffs.rate(score)  # one shared rating per cut-off
    assert cutoffs_for(FIVE_POINT).rate(3.5).value == 4.0


# --- calibration reports ---------------------------------------------------------------------


def reference_deviations(
    guideline: DistributionGuideline, session: CalibrationSession, use: str
) -> DeviationReport:
    """Deviations by unit as before: every row and every feasibility computed anew."""
    values = (
        {e.employee_id: e.rating.value for e in session.population}
        if use == "original"
        else {e.employee_id: session.calibrated(e.employee_id).value for e in session.population}
    )
    groups: dict[str, list[float]] = {}
    for e in sorted(session.population, key=operator.attrgetter("employee_id")):
        groups.setdefault(e.unit_id, []).append(values[e.employee_id])
    targets = {t.value: t for t in guideline.targets}
    out = []
    for key in sorted(groups):
        ratings = groups[key]
        size = len(ratings)
        counts: dict[float, int] = {}
        for x in ratings:
            counts[x] = counts.get(x, 0) + 1
        rows = []
        for value in sorted(set(targets) | set(counts)):
            target, count = targets.get(value), counts.get(value, 0)
            low, high, lo, hi = 0.0, 0.0, 0, 0
            if target is not None:
                low, high = target.minimum, target.maximum
                lo, hi = (
                    math.ceil(perfkit.calibration._exact(low) * size),
                    math.floor(perfkit.calibration._exact(high) * size),
                )
            rows.append(
                Deviation(
                    value=value,
                    count=count,
                    share=count / size if size else 0.0,
                    minimum=low,
                    maximum=high,
                    minimum_count=lo,
                    maximum_count=hi,
                    over=max(0, count - hi),
                    under=max(0, lo - count),
                    in_guideline=target is not None,
                )
            )
        out.append(
            GroupDeviations(
                group=key,
                size=size,
                feasible=guideline.feasibility(size).feasible,
                moves=max(sum(r.over for r in rows), sum(r.under for r in rows)),
                rows=tuple(rows),
            )
        )
    return DeviationReport(by=GroupBy.UNIT, use=RatingView(use), groups=tuple(out))


@given(sessions(max_size=25), guidelines(), st.sampled_from(["original", "calibrated"]))
def test_deviations_are_computed_as_before(
    session: CalibrationSession, guideline: DistributionGuideline, use: str
) -> None:
    report = guideline.deviations(session, by="unit", use=use)
    assert report == reference_deviations(guideline, session, use)


@given(
    entries(max_size=20), st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1)
)
def test_target_counts_are_memoised_faithfully(people: list[Any], a: float, b: float) -> None:
    low, high = min(a, b), max(a, b)
    target = Target(value=3.0, minimum=low, maximum=high)
    n = len(people)
    exact = perfkit.calibration._exact
    assert target.counts(n) == (math.ceil(exact(low) * n), math.floor(exact(high) * n))
    negative = Target(value=3.0, minimum=-0.0, maximum=high)
    assert negative.counts(n) == (0, math.floor(exact(high) * n))


# --- goal timelines --------------------------------------------------------------------------


@given(goal_sets(max_goals=5, max_check_ins=15), st.data())
def test_check_ins_up_to_a_moment_are_found_as_before(
    goal_set: GoalSet, data: st.DataObject
) -> None:
    moments = [c.at for c in goal_set.check_ins]
    moment = data.draw(
        st.none()
        | (st.sampled_from(moments) if moments else st.just(AT))
        | st.just(AT - timedelta(days=20000))
    )
    for goal in goal_set.goals:
        mine = sorted(
            (c for c in goal_set.check_ins if c.goal_id == goal.id),
            key=lambda c: (c.at, c.id),
        )
        if moment is not None:
            mine = mine[: bisect.bisect_right([c.at for c in mine], moment)]
        assert goal_set.check_ins_for(goal.id, moment) == tuple(mine)
        assert goal_set.latest_check_in(goal.id, moment) == (mine[-1] if mine else None)
        expected = goal.metric.attainment(mine[-1]) if mine else 0.0
        assert goal_set.attainment(goal.id, moment) == expected


# --- reviews: rater scores and scoring inputs -----------------------------------------------


def signed_zero_data() -> CycleData:
    """A small cycle whose reviews rate on a scale through 0, with 0.0 and -0.0 ratings."""
    base = sample_cycle(12, seed=4)
    scale = ZERO_SCALE
    form = ReviewForm(
        id="centred-form",
        name="Centred",
        criteria=[
            Criterion(id="a", name="A", kind="competency", weight=1.0, scale=scale.ref),
            Criterion(id="b", name="B", kind="goal", weight=2.0, scale=scale.ref),
        ],
    )
    people = [e for e in base.organisation.employees if e.manager_id is not None]
    reviews: list[Review] = []
    for k, person in enumerate(people):
        for role, reviewer in (
            (ReviewerRole.MANAGER, person.manager_id),
            (ReviewerRole.SELF, None),
        ):
            value = [0.0, -0.0, 0.5, -1.0][(k + len(reviews)) % 4]
            reviews.append(
                Review(
                    id=f"z-{person.id}-{role.value}",
                    cycle_id=base.cycle.id,
                    form_id=form.id,
                    subject=person.id,
                    reviewer=reviewer or person.id,
                    role=role,
                    ratings=[
                        CriterionRating(
                            criterion_id="a", rating=Rating(scale=scale.ref, value=value)
                        ),
                        CriterionRating(
                            criterion_id="b", rating=Rating(scale=scale.ref, value=-0.0)
                        ),
                    ],
                    status=ReviewStatus.SUBMITTED,
                )
            )
    return attrs.evolve(
        base,
        scales=ScaleCatalog(scales=(*base.scales.scales, scale)),
        forms=(*base.forms, form),
        reviews=(*base.reviews, *reviews),
    )


def reference_rater_scores(data: CycleData) -> list[RaterScore]:
    forms = {f.id: f for f in data.forms}
    return [
        RaterScore(
            rater_id=r.reviewer,
            ratee_id=r.subject,
            value=r.weighted_mean(forms[r.form_id], data.scales).value,
        )
        for r in sorted(data.reviews, key=lambda r: r.id)
        if r.role is not ReviewerRole.SELF and r.status.value != "draft" and r.ratings
    ]


def test_rater_scores_are_the_weighted_means() -> None:
    for data in (signed_zero_data(), sample_cycle(80, seed=9)):
        assert repr(_rater_scores(data)) == repr(reference_rater_scores(data))


def reference_inputs(data: CycleData, person: str) -> EmployeeInputs:
    """One person's inputs with every criterion input built anew (as before)."""
    mine = all_inputs(data, AT)
    found = next(i for i in mine if i.employee_id == person)
    forms = {f.id: {c.id: c for c in f.criteria} for f in data.forms}
    reviews = {r.id: r for r in data.reviews}
    rebuilt = []
    for review_input in found.reviews:
        review = reviews[review_input.review_id]
        criteria = forms[review.form_id]
        ratings = [
            CriterionInput(
                criterion_id=g.criterion_id,
                kind=criteria[g.criterion_id].kind,
                weight=criteria[g.criterion_id].weight,
                rating=g.rating,
                normalised=data.scales.get(g.rating.scale).normalise(g.rating.value),
            )
            for g in sorted(review.ratings, key=lambda g: g.criterion_id)
        ]
        rebuilt.append(attrs.evolve(review_input, ratings=ratings))
    return attrs.evolve(found, reviews=rebuilt)


def test_shared_criterion_inputs_keep_each_rating_and_its_sign() -> None:
    data = signed_zero_data()
    for inputs in all_inputs(data, AT):
        expected = reference_inputs(data, inputs.employee_id)
        assert repr(inputs) == repr(expected)


# --- the cycle run: scores person by person -------------------------------------------------


@attrs.frozen
class Refusing:
    """A scoring policy that refuses one person and scores the others as the sample does."""

    inner: Any
    refuse: str
    name: str = "weighted_components"

    @property
    def scale(self) -> Any:
        return self.inner.scale

    def score(self, inputs: EmployeeInputs) -> Score:
        if inputs.employee_id == self.refuse:
            raise ValidationError("inputs", self.refuse, "is refused by this test policy")
        return self.inner.score(inputs)  # type: ignore[no-any-return]


def test_a_scoring_error_is_raised_as_before() -> None:
    data = sample_cycle(30, seed=2)
    policy = sample_policy(data)
    people = sorted({i.employee_id for i in all_inputs(data, AT)})
    refusing = attrs.evolve(policy, scoring=Refusing(policy.scoring, people[3]))
    with pytest.raises(ValidationError, match="is refused by this test policy") as caught:
        run_cycle(data, refusing, at=AT)
    assert caught.value.__cause__ is None


def test_an_input_error_still_comes_before_a_scoring_error() -> None:
    # A later person's goal reads a value too far from its baseline to compare (an error met
    # while gathering inputs); an earlier person is refused by the policy. Gathering every
    # input first, the run met the input error first — and still does.
    data = sample_cycle(30, seed=2)
    people = sorted({i.employee_id for i in all_inputs(data, AT)})
    late = people[-1]
    goal = next(
        g
        for g in data.goals.goals
        if g.owner.id == late
        and isinstance(g.metric, perfkit.NumericMetric)
        and any(c.goal_id == g.id for c in data.goals.check_ins)
    )
    metric = perfkit.NumericMetric(baseline=0.0, target=1e-300, unit="x")
    goals = [attrs.evolve(g, metric=metric) if g.id == goal.id else g for g in data.goals.goals]
    check_ins = [
        attrs.evolve(c, value=1e300) if c.goal_id == goal.id else c for c in data.goals.check_ins
    ]
    broken = attrs.evolve(data, goals=GoalSet(goals=goals, check_ins=check_ins))
    policy = sample_policy(broken)
    refusing: CyclePolicy = attrs.evolve(policy, scoring=Refusing(policy.scoring, people[0]))
    with pytest.raises(ValidationError, match="too far from the baseline"):
        run_cycle(broken, refusing, at=AT)


def test_merit_proposals_fitted_to_a_pool_keep_every_field() -> None:
    # _pool_report spells attrs.evolve out field by field: a new field must be added there too.
    assert [f.name for f in attrs.fields(MeritProposal)] == [
        "employee_id",
        "base_pay",
        "rating",
        "compa_ratio",
        "band",
        "pct",
        "proration",
        "raw_increase",
        "factor",
        "final_increase",
        "pool_id",
    ]

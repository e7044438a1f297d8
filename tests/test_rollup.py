"""Rollup strategies (bounds, identity, monotonicity, registry) and the Progress explanation."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit import PerfkitError, ValidationError
from perfkit.rollup import (
    ALL_OR_NOTHING,
    MINIMUM,
    SUM_TOWARD_TARGET,
    WEIGHTED_MEAN,
    Progress,
    ProgressPart,
    ProgressSource,
    register_rollup_strategy,
    rollup_strategy,
    rollup_strategy_names,
)

from .strategies.common import weights
from .strategies.goals import progresses

values = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)
parts_lists = st.lists(st.tuples(weights, values), min_size=1, max_size=8)
BUILTINS = (WEIGHTED_MEAN, MINIMUM, ALL_OR_NOTHING, SUM_TOWARD_TARGET)


@given(parts_lists)
def test_weighted_mean_lies_between_min_and_max(parts: list[tuple[float, float]]) -> None:
    mean = WEIGHTED_MEAN.combine(parts)
    assert min(x for _, x in parts) <= mean <= max(x for _, x in parts)
    assert MINIMUM.combine(parts) <= mean


@given(weights, values)
def test_one_part_passes_through_exactly(weight: float, value: float) -> None:
    assert WEIGHTED_MEAN.combine([(weight, value)]) == value
    assert MINIMUM.combine([(weight, value)]) == value
    assert SUM_TOWARD_TARGET.combine([(1.0, value)]) == value


@given(weights, st.sampled_from([0.0, 1.0]))
def test_all_or_nothing_passes_zero_and_one_through(weight: float, value: float) -> None:
    assert ALL_OR_NOTHING.combine([(weight, value)]) == value


@given(parts_lists, st.data())
def test_raising_a_part_never_lowers_the_weighted_mean(
    parts: list[tuple[float, float]], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(parts) - 1))
    weight, value = parts[i]
    higher = data.draw(st.floats(min_value=value, max_value=20.0, allow_nan=False))
    raised = [*parts[:i], (weight, higher), *parts[i + 1 :]]
    assert WEIGHTED_MEAN.combine(raised) >= WEIGHTED_MEAN.combine(parts)
    assert MINIMUM.combine(raised) >= MINIMUM.combine(parts)
    assert ALL_OR_NOTHING.combine(raised) >= ALL_OR_NOTHING.combine(parts)
    assert SUM_TOWARD_TARGET.combine(raised) >= SUM_TOWARD_TARGET.combine(parts)


@given(parts_lists, st.floats(min_value=0.01, max_value=100.0))
def test_weighted_mean_ignores_the_scale_of_weights(
    parts: list[tuple[float, float]], factor: float
) -> None:
    scaled = [(w * factor, x) for w, x in parts]
    assert WEIGHTED_MEAN.combine(scaled) == pytest.approx(WEIGHTED_MEAN.combine(parts))


def test_rounding_never_takes_the_weighted_mean_out_of_bounds() -> None:
    # Unclamped, these shares add up to a hair over 1 and the mean to 0.10000000000000002.
    parts = [(7.0, 0.1), (3.0, 0.1), (0.7, 0.1), (0.2, 0.1), (7.0, 0.1)]
    assert WEIGHTED_MEAN.combine(parts) == 0.1


def test_strategies_by_hand() -> None:
    parts = [(2.0, 0.80), (1.0, 0.62)]
    assert WEIGHTED_MEAN.combine(parts) == pytest.approx(0.74)  # (1.6 + 0.62) / 3
    assert MINIMUM.combine(parts) == 0.62
    assert ALL_OR_NOTHING.combine(parts) == 0.0
    assert ALL_OR_NOTHING.combine([(1.0, 1.0), (5.0, 1.3)]) == 1.0
    # EMEA delivers 60 % of the sales target and reached 90 % of its own; APAC 40 %, reached 110 %.
    assert SUM_TOWARD_TARGET.combine([(0.6, 0.9), (0.4, 1.1)]) == pytest.approx(0.98)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([], r"parts: \[\] is empty: there is nothing to combine"),
        ("ab", r"parts: 'ab' is not a sequence of \(weight, value\) pairs"),
        (5, r"parts: 5 is not a sequence"),
        ([(1.0,)], r"parts\[0\]: \(1.0,\) is not a \(weight, value\) pair"),
        ([(1.0, 0.5), 3], r"parts\[1\]: 3 is not a \(weight, value\) pair"),
        ([(0.0, 0.5)], r"parts\[0\]: \(0.0, 0.5\) has a weight that is not positive"),
        ([(-1, 0.5)], r"parts\[0\]: \(-1, 0.5\) has a weight that is not positive"),
        ([(1.0, math.nan)], r"parts\[0\]: \(1.0, nan\) does not hold two finite numbers"),
        ([(True, 0.5)], r"parts\[0\]: \(True, 0.5\) does not hold two finite numbers"),
        ([(10**400, 0.5)], r"does not hold two finite numbers"),
    ],
)
@pytest.mark.parametrize("strategy", BUILTINS, ids=lambda s: s.name)
def test_bad_parts_are_named(strategy: Any, parts: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        strategy.combine(parts)


# --- the registry ----------------------------------------------------------------------------


def test_builtins_are_registered_by_name() -> None:
    names = rollup_strategy_names()
    assert list(names) == sorted(names)
    assert {"all_or_nothing", "minimum", "sum_toward_target", "weighted_mean"} <= set(names)
    for s in BUILTINS:
        assert rollup_strategy(s.name) is s
        assert rollup_strategy(s) is s


def test_unknown_name_lists_the_known_ones() -> None:
    # Other tests (and the docs) may have registered more strategies: check the built-ins are
    # listed, in sorted order, whatever else is there.
    with pytest.raises(ValidationError, match=r"strategy: 'median' is not a rollup strategy") as e:
        rollup_strategy("median")
    known = str(e.value).split("(known: ")[1].rstrip(")").split(", ")
    assert known == sorted(known)
    assert {"all_or_nothing", "minimum", "sum_toward_target", "weighted_mean"} <= set(known)


class Median:
    """A host's strategy: the (lower) median value, weights ignored."""

    name = "test_lower_median"

    def combine(self, parts: Sequence[tuple[float, float]]) -> float:
        ordered = sorted(x for _, x in parts)
        return ordered[(len(ordered) - 1) // 2]


def test_hosts_register_their_own_strategy() -> None:
    median = Median()
    register_rollup_strategy(median)
    register_rollup_strategy(median)  # the same object again is harmless
    assert rollup_strategy("test_lower_median") is median
    assert "test_lower_median" in rollup_strategy_names()
    with pytest.raises(ValidationError, match="name: 'test_lower_median' is already a registered"):
        register_rollup_strategy(Median())
    impostor = Median()
    impostor.name = "weighted_mean"
    with pytest.raises(ValidationError, match="name: 'weighted_mean' is already a registered"):
        register_rollup_strategy(impostor)
    assert rollup_strategy("weighted_mean") is WEIGHTED_MEAN


@pytest.mark.parametrize(
    ("thing", "message"),
    [
        (object(), "has no snake_case str 'name'"),
        (Median.combine, "has no snake_case str 'name'"),
        (type("Nameless", (), {"name": "Has Spaces", "combine": Median.combine})(), "snake_case"),
        (type("Mute", (), {"name": "mute"})(), r"has no combine\(parts\) method"),
    ],
)
def test_strategies_must_have_the_right_shape(thing: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        register_rollup_strategy(thing)
    with pytest.raises(ValidationError, match=message):
        rollup_strategy(thing)


# --- Progress --------------------------------------------------------------------------------


def test_progress_explains_itself() -> None:
    rolled = Progress(
        goal_id="g-sales",
        value=0.74,
        source=ProgressSource.ROLLUP,
        strategy="weighted_mean",
        parts=[
            ProgressPart(goal_id="g-apac", weight=1, value=0.62),
            ProgressPart(goal_id="g-emea", weight=2, value=0.8),
        ],
    )
    assert rolled.sentence() == (
        "g-sales 0.74 = weighted mean of g-apac 0.62 (w 1) and g-emea 0.80 (w 2)"
    )
    three = Progress(
        goal_id="p",
        value=0.5,
        source=ProgressSource.ROLLUP,
        strategy="minimum",
        parts=[ProgressPart(goal_id=c, weight=0.5, value=0.5) for c in "abc"],
    )
    assert (
        three.sentence() == "p 0.50 = minimum of a 0.50 (w 0.5), b 0.50 (w 0.5) and c 0.50 (w 0.5)"
    )
    own = Progress(goal_id="g", value=1.25, source=ProgressSource.CHECK_IN, check_in_id="c-7")
    assert own.sentence() == "g 1.25 = own attainment at check-in c-7"
    at = datetime(2026, 3, 31, tzinfo=UTC)
    nothing = Progress(goal_id="g", value=0, source=ProgressSource.NONE, as_of=at)
    assert nothing.sentence() == "g 0.00 = no check-in yet as of 2026-03-31T00:00:00+00:00"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": ProgressSource.ROLLUP, "strategy": "minimum"},
         r"parts: \(\) is empty for a rollup"),
        ({"source": ProgressSource.ROLLUP, "parts": [ProgressPart(goal_id="a", weight=1, value=1)]},
         "strategy: None is required for a rollup"),
        ({"source": ProgressSource.CHECK_IN}, "check_in_id: None does not match source check_in"),
        ({"source": ProgressSource.NONE, "check_in_id": "c"},
         "check_in_id: 'c' does not match source none"),
        ({"source": ProgressSource.NONE, "strategy": "minimum"},
         "strategy: 'minimum' is not used by none"),
        ({"source": ProgressSource.CHECK_IN, "check_in_id": "c",
          "parts": [ProgressPart(goal_id="a", weight=1, value=1)]},
         r"parts: .* must be empty for source check_in"),
        ({"source": ProgressSource.NONE, "value": 0.5}, "value: 0.5 is not 0.0 without a check-in"),
        ({"source": "guess"}, "source: 'guess' is not a ProgressSource"),
        ({"source": ProgressSource.NONE, "value": math.inf}, "value: inf is not a finite number"),
    ],
)  # fmt: skip
def test_progress_must_be_consistent(kwargs: dict[str, Any], message: str) -> None:
    fields = {"goal_id": "g", "value": 0.0, **kwargs}
    with pytest.raises(ValidationError, match=message):
        Progress(**fields)


@given(progresses())
def test_progress_round_trips(progress: Progress) -> None:
    assert perfkit.loads(perfkit.dumps(progress), Progress) == progress
    assert isinstance(progress.sentence(), str)


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.lists(st.tuples(st.floats(), st.floats()), max_size=2),
)


@given(garbage, garbage, garbage)
def test_garbage_gives_only_perfkit_errors(a: Any, b: Any, c: Any) -> None:
    for build in (
        lambda: Progress(goal_id=a, value=b, source=c),
        lambda: ProgressPart(goal_id=a, weight=b, value=c),
        lambda: WEIGHTED_MEAN.combine(a),
        lambda: SUM_TOWARD_TARGET.combine(a),
        lambda: rollup_strategy(a),
    ):
        with contextlib.suppress(PerfkitError):
            build()

"""Rating scales: rating, labels, versions, catalogs, mapping between scales, JSON."""

from __future__ import annotations

import contextlib
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import perfkit
from perfkit.scales import (
    BUILTIN_SCALES,
    FIVE_POINT,
    OKR,
    PERCENT,
    THREE_POINT,
    LinearMapping,
    NumericScale,
    OrdinalScale,
    Rating,
    Scale,
    ScaleCatalog,
    ScaleMapping,
    ScalePoint,
    ScaleRef,
    TableMapping,
    ValuePair,
    map_rating,
)

from .strategies.scales import (
    catalogs,
    linear_mappings,
    ordinal_scales,
    ratings,
    scale_points,
    scale_refs,
    scales,
    scales_with_ratings,
    table_mappings,
    value_pairs,
    values_on,
)

ONE_TO_FIVE = NumericScale(id="one-to-five", name="1 to 5", minimum=1, maximum=5, step=1)
CATALOG = BUILTIN_SCALES.add(ONE_TO_FIVE)
FIVE_TO_THREE = TableMapping(
    source=FIVE_POINT.ref, target=THREE_POINT.ref, pairs={1: 1, 2: 1, 3: 2, 4: 3, 5: 3}
)

garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.decimals(),
)


# --- numeric scales -----------------------------------------------------------------------


def test_a_one_to_five_scale_rates_its_steps() -> None:
    assert [ONE_TO_FIVE.rate(x).value for x in (1, 2, 3, 4, 5)] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert ONE_TO_FIVE.rate(4) == Rating(scale=ScaleRef(id="one-to-five", version=1), value=4.0)
    assert ONE_TO_FIVE.rate(Decimal("2")).value == 2.0
    assert ONE_TO_FIVE.allowed_values() == (1.0, 2.0, 3.0, 4.0, 5.0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (3.5, r"value: 3\.5 is not on scale one-to-five v1 \(allowed: 1, 2, 3, 4, 5\)"),
        (0, r"value: 0 is not on scale one-to-five v1"),
        (6, r"value: 6 is not on scale"),
        (True, r"value: True is not a number"),
        ("4", r"value: '4' is not a number"),
        (math.nan, r"value: nan is not a finite number"),
        (math.inf, r"value: inf is not a finite number"),
    ],
)
def test_a_value_off_the_scale_is_refused_with_the_allowed_values(value: Any, message: str) -> None:
    with pytest.raises(perfkit.ValidationError, match=message):
        ONE_TO_FIVE.rate(value)


def test_continuous_and_fine_scales_say_what_they_allow() -> None:
    assert OKR.rate(0.7).value == 0.7
    with pytest.raises(perfkit.ValidationError, match=r"allowed: any number from 0 to 1\)"):
        OKR.rate(1.2)
    fine = NumericScale(id="fine", name="Fine", minimum=0, maximum=100, step=5)
    with pytest.raises(perfkit.ValidationError, match=r"allowed: 0 to 100 in steps of 5\)"):
        fine.rate(12)
    tenths = NumericScale(id="tenths", name="Tenths", minimum=0, maximum=1, step=0.1)
    assert tenths.rate(0.3).value == 0.3  # although 3 * 0.1 != 0.3 in binary floating point
    assert tenths.allows(0.7)
    assert not tenths.allows(0.75)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"minimum": 5, "maximum": 1}, r"maximum: 1\.0 is not above minimum 5"),
        ({"minimum": 1, "maximum": 1}, r"maximum: 1\.0 is not above minimum 1"),
        ({"step": 3}, r"step: 3\.0 does not divide the range 1 to 5 evenly"),
        ({"step": 0}, r"step: 0\.0 is not positive"),
        ({"step": -1}, r"step: -1\.0 is not positive"),
        ({"step": 1e-9}, r"step: 1e-09 is too small"),
        ({"version": 0}, r"version: 0 is not a version \(1 or more\)"),
        ({"version": 1.0}, r"version: 1\.0 is not an integer"),
        ({"name": " "}, r"name: ' ' must not be empty"),
        ({"minimum": "1"}, r"minimum: '1' is not a number"),
        ({"minimum": -1e308, "maximum": 1e308}, r"maximum: 1e\+308 is too far from minimum"),
    ],
)
def test_numeric_scale_rules(fields: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"id": "s", "name": "S", "minimum": 1, "maximum": 5, "step": 1}
    with pytest.raises(perfkit.ValidationError, match=message):
        NumericScale(**{**base, **fields})


# --- ordinal scales -----------------------------------------------------------------------


def test_an_ordinal_scale_has_labelled_points() -> None:
    assert FIVE_POINT.label(4) == "Exceeds expectations"
    assert FIVE_POINT.label(1.0) == "Unsatisfactory"
    assert FIVE_POINT.point(5).anchor.startswith("Results and influence")
    assert FIVE_POINT.value_of("  outstanding ") == 5.0
    assert [p.label for p in THREE_POINT.points] == [
        "Below expectations",
        "Meets expectations",
        "Exceeds expectations",
    ]
    assert FIVE_POINT.rate(3) == Rating(scale=FIVE_POINT.ref, value=3.0)


def test_an_ordinal_value_must_be_one_of_the_points() -> None:
    with pytest.raises(
        perfkit.ValidationError,
        match=r"value: 2\.5 is not on scale five-point v1 \(allowed: 1 'Unsatisfactory', "
        r"2 'Needs improvement', 3 'Meets expectations', 4 'Exceeds expectations', "
        r"5 'Outstanding'\)",
    ):
        FIVE_POINT.label(2.5)
    with pytest.raises(perfkit.ValidationError, match=r"label: 'Great' is not a label of scale"):
        FIVE_POINT.value_of("Great")


def _points(*pairs: tuple[float, str]) -> list[ScalePoint]:
    return [ScalePoint(value=x, label=label) for x, label in pairs]


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (_points((1, "Low")), r"points: 1 points given; a scale needs 2 or more"),
        (_points((1, "Low"), (1, "High")), r"points\[1\]\.value: 1\.0 is not above the previous"),
        (_points((2, "Low"), (1, "High")), r"points\[1\]\.value: 1\.0 is not above the previous"),
        (_points((1, "Low"), (2, " low ")), r"points\[1\]\.label: ' low ' repeats the label of"),
        (
            _points((0, "a"), (1e-9, "b"), (1, "c")),
            r"points\[1\]\.value: 1e-09 is too close to the previous point's 0",
        ),
        ([ScalePoint(value=1, label="a"), 2], r"points\[1\]: 2 is not a ScalePoint"),
        ("ab", r"points: 'ab' is not a tuple"),
    ],
)
def test_ordinal_scale_rules(points: Any, message: str) -> None:
    with pytest.raises(perfkit.ValidationError, match=message):
        OrdinalScale(id="o", name="O", points=points)


def test_a_scale_point_needs_a_label() -> None:
    with pytest.raises(perfkit.ValidationError, match=r"label: '' must not be empty"):
        ScalePoint(value=1, label="")


# --- properties of every scale ------------------------------------------------------------


@given(scales_with_ratings())
def test_every_rating_rate_accepts_is_valid_and_round_trips(pair: tuple[Scale, Rating]) -> None:
    scale, rating = pair
    scale.check(rating)
    assert ScaleCatalog(scales=[scale]).validate(rating) is scale
    assert perfkit.loads(perfkit.dumps(rating), Rating) == rating
    low, high = scale.bounds
    assert low <= rating.value <= high
    assert 0.0 <= scale.normalise(rating.value) <= 1.0


@given(scales, st.floats(allow_nan=False, allow_infinity=False))
def test_rate_accepts_exactly_the_allowed_values(scale: Scale, value: float) -> None:
    low, high = scale.bounds
    allowed = scale.allowed_values()
    expected = low <= value <= high
    if allowed is not None:
        expected = expected and any(abs(value - x) <= scale.tolerance for x in allowed)
    assert scale.allows(value) is expected
    if not expected:
        with pytest.raises(perfkit.ValidationError, match=rf"is not on scale {scale.ref}"):
            scale.rate(value)


@given(scales, st.floats(allow_nan=False, allow_infinity=False))
def test_snap_gives_the_nearest_allowed_value(scale: Scale, value: float) -> None:
    snapped = scale.snap(value)
    assert scale.allows(snapped)
    allowed = scale.allowed_values()
    low, high = scale.bounds
    clamped = min(max(value, low), high)
    if allowed is None:
        assert snapped == clamped
    else:
        best = min(abs(clamped - x) for x in allowed)
        assert abs(clamped - snapped) <= best + 2 * scale.tolerance


@given(scales, st.data())
def test_a_rating_on_another_version_is_refused(scale: Scale, data: st.DataObject) -> None:
    rating = data.draw(values_on(scale))
    newer = scale.next_version()
    assert newer.ref == ScaleRef(id=scale.id, version=scale.version + 1)
    with pytest.raises(perfkit.ValidationError, match=rf"scale: '{scale.ref}' is not this scale"):
        newer.check(scale.rate(rating))


@given(ordinal_scales(), st.data())
def test_old_ratings_keep_their_meaning_after_a_new_version(
    scale: OrdinalScale, data: st.DataObject
) -> None:
    rating = data.draw(values_on(scale).map(scale.rate))
    meaning = scale.label(rating.value)
    # HR publishes a new version: the points are relabelled and moved.
    revised = scale.next_version(
        name="Revised",
        points=[ScalePoint(value=p.value * 2 + 1, label=f"new {p.label}") for p in scale.points],
    )
    catalog = ScaleCatalog(scales=[scale, revised])
    assert catalog.latest(scale.id) == revised
    assert catalog.validate(rating) is scale
    found = catalog.get(rating.scale)
    assert isinstance(found, OrdinalScale)
    assert found.label(rating.value) == meaning
    restored = perfkit.loads(perfkit.dumps(rating), Rating)
    assert catalog.validate(restored) is scale


def test_next_version_refuses_unknown_fields() -> None:
    with pytest.raises(perfkit.ValidationError, match=r"colour: 'red' is not a field of Ordinal"):
        FIVE_POINT.next_version(colour="red")
    with pytest.raises(perfkit.ValidationError, match=r"maximum: 0\.0 is not above minimum 0"):
        OKR.next_version(maximum=0)


def test_check_refuses_what_is_not_a_rating() -> None:
    with pytest.raises(perfkit.ValidationError, match=r"rating: 4 is not a Rating"):
        FIVE_POINT.check(4)  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match=r"value: 7\.0 is not on scale five-point"):
        FIVE_POINT.check(Rating(scale=FIVE_POINT.ref, value=7))


# --- the catalog --------------------------------------------------------------------------


def test_catalog_lookups() -> None:
    v2 = FIVE_POINT.next_version(name="Five-point rating (2027)")
    catalog = BUILTIN_SCALES.add(v2)
    assert catalog.get(FIVE_POINT.ref) is FIVE_POINT
    assert catalog.latest("five-point") is v2
    assert catalog.versions("five-point") == (FIVE_POINT, v2)
    assert catalog.versions("nope") == ()
    assert FIVE_POINT.ref in catalog
    assert ScaleRef(id="five-point", version=3) not in catalog
    assert [] not in catalog
    with pytest.raises(perfkit.NotFoundError, match=r"no scale with id 'five-point v3'"):
        catalog.get(ScaleRef(id="five-point", version=3))
    with pytest.raises(perfkit.NotFoundError, match=r"no scale with id 'nope'"):
        catalog.latest("nope")
    with pytest.raises(perfkit.ValidationError, match=r"ref: 'five-point' is not a ScaleRef"):
        catalog.get("five-point")  # type: ignore[arg-type]


def test_catalog_refuses_a_repeated_version() -> None:
    with pytest.raises(
        perfkit.ValidationError,
        match=r"scales\[2\]: 'five-point v1' repeats the scale id and version of scales\[0\]",
    ):
        ScaleCatalog(scales=[FIVE_POINT, OKR, FIVE_POINT])
    with pytest.raises(perfkit.ValidationError, match=r"scales\[1\]: 3 is not a NumericScale"):
        ScaleCatalog(scales=[FIVE_POINT, 3])


def test_catalog_validate_names_an_unknown_scale() -> None:
    stray = Rating(scale=ScaleRef(id="ten-point", version=1), value=3)
    with pytest.raises(
        perfkit.UnknownReferenceError, match=r"scale: 'ten-point v1' is not a scale in the catalog"
    ):
        BUILTIN_SCALES.validate(stray)
    with pytest.raises(perfkit.ValidationError, match=r"value: 9\.0 is not on scale okr v1"):
        BUILTIN_SCALES.validate(Rating(scale=OKR.ref, value=9))


# --- mapping ------------------------------------------------------------------------------


def test_linear_map_one_to_five_onto_percent() -> None:
    mapped = [
        map_rating(ONE_TO_FIVE.rate(x), PERCENT, LinearMapping(), CATALOG).value
        for x in (1, 2, 3, 4, 5)
    ]
    assert mapped == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert map_rating(OKR.rate(0.7), PERCENT, LinearMapping(), CATALOG) == PERCENT.rate(70)


def test_snapping_goes_to_the_nearest_value_and_ties_go_up() -> None:
    snap = LinearMapping(snap=True)
    # 1-5 onto 1-3: 1 → 1, 2 → 1.5 (tie: up to 2), 3 → 2, 4 → 2.5 (tie: up to 3), 5 → 3.
    assert [
        map_rating(FIVE_POINT.rate(x), THREE_POINT, snap, CATALOG).value for x in range(1, 6)
    ] == [1.0, 2.0, 2.0, 3.0, 3.0]
    # 0-100 onto 1-5 step 1: 60 → 3.4 → 3; 62.5 → 3.5 (tie) → 4; 70 → 3.8 → 4.
    assert [
        map_rating(PERCENT.rate(x), ONE_TO_FIVE, snap, CATALOG).value for x in (60, 62.5, 70)
    ] == [3.0, 4.0, 4.0]
    # A continuous target is never snapped.
    assert map_rating(FIVE_POINT.rate(2), OKR, snap, CATALOG).value == 0.25


def test_without_snapping_an_unrepresentable_result_is_refused() -> None:
    with pytest.raises(
        perfkit.ValidationError,
        match=r"value: 1\.5 \(from 2 on five-point v1\) is not on scale three-point v1 .*"
        r"map with LinearMapping\(snap=True\)",
    ):
        map_rating(FIVE_POINT.rate(2), THREE_POINT, LinearMapping(), CATALOG)


def test_table_map_five_point_to_three_point() -> None:
    got = [map_rating(FIVE_POINT.rate(x), THREE_POINT, FIVE_TO_THREE, CATALOG) for x in range(1, 6)]
    assert [THREE_POINT.label(r.value) for r in got] == [
        "Below expectations",
        "Below expectations",
        "Meets expectations",
        "Exceeds expectations",
        "Exceeds expectations",
    ]
    assert all(r.scale == THREE_POINT.ref for r in got)


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ({1: 1, 2: 1, 3: 2, 4: 3}, r"pairs: 4 pairs leave source values 5 unmapped"),
        ({1: 1, 2: 1, 3: 2, 4: 3, 5: 4}, r"pairs\[4\]\.target: 4\.0 is not on scale three-point"),
        ({1: 1, 2: 1, 3: 2, 4: 3, 5: 3, 6: 3}, r"pairs\[5\]\.source: 6\.0 is not on scale five"),
    ],
)
def test_a_table_must_cover_the_source_and_hit_the_target(
    pairs: dict[int, int], message: str
) -> None:
    table = TableMapping(source=FIVE_POINT.ref, target=THREE_POINT.ref, pairs=pairs)
    with pytest.raises(perfkit.ValidationError, match=message):
        map_rating(FIVE_POINT.rate(3), THREE_POINT, table, CATALOG)


def test_table_mapping_rules() -> None:
    with pytest.raises(
        perfkit.ValidationError, match=r"pairs\[1\]\.source: 1\.0 repeats the source value of"
    ):
        TableMapping(source=FIVE_POINT.ref, target=THREE_POINT.ref, pairs=[(1, 1), (1.0, 2)])
    with pytest.raises(perfkit.ValidationError, match=r"pairs\[0\]\.target: 'x' is not a number"):
        TableMapping(source=FIVE_POINT.ref, target=THREE_POINT.ref, pairs=[(1, "x")])
    with pytest.raises(
        perfkit.ValidationError,
        match=r"source: 'three-point v1' is not the mapping.s source five-point v1",
    ):
        FIVE_TO_THREE.check(THREE_POINT, THREE_POINT)
    with pytest.raises(perfkit.ValidationError, match=r"target: 'okr v1' is not the mapping's"):
        map_rating(FIVE_POINT.rate(3), OKR, FIVE_TO_THREE, CATALOG)
    continuous = TableMapping(source=OKR.ref, target=THREE_POINT.ref, pairs={0: 1, 1: 3})
    with pytest.raises(perfkit.ValidationError, match=r"source: 'okr v1' is continuous"):
        map_rating(OKR.rate(1), THREE_POINT, continuous, CATALOG)


def test_map_rating_checks_its_arguments() -> None:
    rating = FIVE_POINT.rate(3)
    with pytest.raises(perfkit.ValidationError, match=r"catalog: 1 is not a ScaleCatalog"):
        map_rating(rating, OKR, LinearMapping(), 1)  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match=r"target_scale: 'okr' is not a Numeric"):
        map_rating(rating, "okr", LinearMapping(), CATALOG)  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match=r"mapping: None is not a LinearMapping"):
        map_rating(rating, OKR, None, CATALOG)  # type: ignore[arg-type]
    with pytest.raises(perfkit.UnknownReferenceError, match=r"scale: 'one-to-five v1'"):
        map_rating(ONE_TO_FIVE.rate(3), OKR, LinearMapping(), BUILTIN_SCALES)


@given(scales, scales, st.data())
def test_linear_mapping_is_monotone_and_maps_ends_to_ends(
    source: Scale, target: Scale, data: st.DataObject
) -> None:
    assume(source.ref != target.ref)
    catalog = ScaleCatalog(scales=[source])
    low, high = source.bounds
    for snap in (False, True):
        mapping = LinearMapping(snap=snap)
        ends = [map_rating(source.rate(x), target, mapping, catalog).value for x in (low, high)]
        assert ends == list(target.bounds)
    a, b = sorted([data.draw(values_on(source)), data.draw(values_on(source))])
    snap = LinearMapping(snap=True)
    mapped_a = map_rating(source.rate(a), target, snap, catalog)
    mapped_b = map_rating(source.rate(b), target, snap, catalog)
    assert mapped_a.value <= mapped_b.value
    target.check(mapped_a)
    if target.allowed_values() is None:  # unsnapped onto a continuous scale: same proportion
        plain = map_rating(source.rate(a), target, LinearMapping(), catalog)
        t_low, t_high = target.bounds
        expected = t_low + (a - low) / (high - low) * (t_high - t_low)
        assert math.isclose(plain.value, expected, rel_tol=1e-9, abs_tol=1e-9 * (t_high - t_low))


@given(table_mappings(), st.data())
def test_a_complete_table_maps_every_source_value(
    found: tuple[TableMapping, Scale, Scale], data: st.DataObject
) -> None:
    table, source, target = found
    assume(source.ref != target.ref)
    catalog = ScaleCatalog(scales=[source])
    value = data.draw(values_on(source))
    mapped = map_rating(source.rate(value), target, table, catalog)
    target.check(mapped)
    row = next(p for p in table.pairs if abs(p.source - value) <= source.tolerance)
    assert mapped.value == row.target


# --- JSON -----------------------------------------------------------------------------------


@given(st.one_of(scale_refs, ratings, scale_points, catalogs(), value_pairs))
def test_plain_types_round_trip(x: Any) -> None:
    assert perfkit.loads(perfkit.dumps(x), type(x)) == x


@given(scales)
def test_scales_round_trip_as_the_union(scale: Scale) -> None:
    data = perfkit.unstructure(scale)
    assert data["type"] == type(scale).kind
    assert perfkit.structure(data, Scale) == scale  # type: ignore[arg-type]


@given(st.one_of(linear_mappings, table_mappings().map(lambda t: t[0])))
def test_mappings_round_trip_as_the_union(mapping: ScaleMapping) -> None:
    assert perfkit.structure(perfkit.unstructure(mapping), ScaleMapping) == mapping  # type: ignore[arg-type]


@given(st.one_of(scales, linear_mappings))
def test_union_members_round_trip_as_documents(x: Any) -> None:
    assert perfkit.loads(perfkit.dumps(x), type(x)) == x


def test_built_in_scales_json_is_stable() -> None:
    assert perfkit.dumps(FIVE_TO_THREE.pairs[0]) == (
        '{"data":{"source":1.0,"target":1.0},"schema_version":1,"type":"ValuePair"}'
    )
    assert perfkit.unstructure(FIVE_POINT.rate(4)) == {
        "scale": {"id": "five-point", "version": 1},
        "value": 4.0,
    }
    assert perfkit.loads(perfkit.dumps(BUILTIN_SCALES), ScaleCatalog) == BUILTIN_SCALES


# --- garbage in, perfkit errors out -------------------------------------------------------


@given(
    st.sampled_from([ScaleRef, Rating, ScalePoint, ScaleCatalog, TableMapping, ValuePair]),
    st.text(max_size=40),
)
def test_garbage_documents_give_only_perfkit_errors(cls: type, text: str) -> None:
    with pytest.raises(perfkit.PerfkitError):
        perfkit.loads(text, cls)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.sampled_from([Scale, ScaleMapping, ScaleCatalog, Rating, TableMapping]),
    st.dictionaries(
        st.sampled_from(
            [
                "type",
                "id",
                "version",
                "name",
                "minimum",
                "maximum",
                "step",
                "points",
                "scales",
                "scale",
                "value",
                "source",
                "target",
                "pairs",
                "snap",
            ]
        ),
        json_values,
    ),
)
def test_garbage_data_gives_only_perfkit_errors(cls: Any, data: dict[str, Any]) -> None:
    with contextlib.suppress(perfkit.PerfkitError):
        perfkit.structure(data, cls)


@given(st.sampled_from(["id", "version", "name", "minimum", "maximum", "step"]), garbage)
def test_garbage_fields_give_only_validation_errors(field: str, value: Any) -> None:
    fields: dict[str, Any] = {"id": "s", "name": "S", "minimum": 0, "maximum": 10, "step": 1}
    fields[field] = value
    with contextlib.suppress(perfkit.ValidationError):
        NumericScale(**fields)


@given(garbage)
def test_garbage_arguments_give_only_validation_errors(value: Any) -> None:
    for call in (
        lambda: FIVE_POINT.rate(value),
        lambda: OKR.rate(value),
        lambda: FIVE_POINT.label(value),
        lambda: FIVE_POINT.value_of(value),
        lambda: OKR.snap(value),
        lambda: BUILTIN_SCALES.get(value),
        lambda: BUILTIN_SCALES.latest(value),
        lambda: BUILTIN_SCALES.validate(value),
        lambda: Rating(scale=FIVE_POINT.ref, value=value),
        lambda: ScaleRef(id=value),
        lambda: ScalePoint(value=value, label="x"),
        lambda: LinearMapping(snap=value),
        lambda: TableMapping(source=OKR.ref, target=OKR.ref, pairs=value),
        lambda: map_rating(value, OKR, LinearMapping(), BUILTIN_SCALES),
        lambda: OrdinalScale(id="o", name="O", points=value),
    ):
        with contextlib.suppress(perfkit.ValidationError, perfkit.NotFoundError):
            call()

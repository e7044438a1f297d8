"""Strategies for rating scales, ratings, catalogs and mappings."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from perfkit.scales import (
    LinearMapping,
    NumericScale,
    OrdinalScale,
    Rating,
    Scale,
    ScaleCatalog,
    ScalePoint,
    ScaleRef,
    TableMapping,
    ValuePair,
)

from .common import ids, simple_ids, texts

versions = st.integers(min_value=1, max_value=50)
scale_refs = st.builds(ScaleRef, id=ids, version=versions)
names = st.text(min_size=1, max_size=20).filter(lambda s: bool(s.strip()))

_bounds = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
_widths = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def numeric_scales(draw: st.DrawFn, *, stepped: bool | None = None) -> NumericScale:
    """A numeric scale, continuous or with 1 to 20 steps (``stepped`` forces one or the other)."""
    low = draw(_bounds)
    high = low + draw(_widths)
    if high <= low:  # pragma: no cover - absorbed by rounding
        high = low + 1.0
    with_step = draw(st.booleans()) if stepped is None else stepped
    step = (high - low) / draw(st.integers(min_value=1, max_value=20)) if with_step else None
    return NumericScale(
        id=draw(simple_ids),
        version=draw(versions),
        name=draw(names),
        minimum=low,
        maximum=high,
        step=step,
    )


@st.composite
def ordinal_scales(draw: st.DrawFn, *, min_points: int = 2) -> OrdinalScale:
    """An ordinal scale of 2 to 7 points with distinct labels."""
    ints = draw(
        st.lists(
            st.integers(min_value=-1000, max_value=1000),
            min_size=min_points,
            max_size=7,
            unique=True,
        )
    )
    factor = draw(st.sampled_from([1.0, 0.1, 0.25, 2.5, 100.0]))
    values = sorted(i * factor for i in ints)
    labels = draw(
        st.lists(
            names,
            min_size=len(values),
            max_size=len(values),
            unique_by=lambda s: s.strip().casefold(),
        )
    )
    points = [
        ScalePoint(value=x, label=label, anchor=draw(texts))
        for x, label in zip(values, labels, strict=True)
    ]
    return OrdinalScale(
        id=draw(simple_ids), version=draw(versions), name=draw(names), points=points
    )


scales: st.SearchStrategy[Scale] = st.one_of(numeric_scales(), ordinal_scales())
discrete_scales: st.SearchStrategy[Scale] = st.one_of(
    numeric_scales(stepped=True), ordinal_scales()
)


def values_on(scale: Scale) -> st.SearchStrategy[float]:
    """Values the scale allows."""
    allowed = scale.allowed_values()
    if allowed is None:
        low, high = scale.bounds
        return st.floats(min_value=low, max_value=high, allow_nan=False)
    return st.sampled_from(allowed)


def ratings_on(scale: Scale) -> st.SearchStrategy[Rating]:
    return values_on(scale).map(scale.rate)


@st.composite
def scales_with_ratings(draw: st.DrawFn) -> tuple[Scale, Rating]:
    scale = draw(scales)
    return scale, draw(ratings_on(scale))


ratings = scales_with_ratings().map(lambda pair: pair[1])
scale_points = st.builds(ScalePoint, value=_bounds, label=names, anchor=texts)


@st.composite
def catalogs(draw: st.DrawFn) -> ScaleCatalog:
    """A catalog of up to 5 scales with distinct (id, version)."""
    found = draw(st.lists(scales, max_size=5, unique_by=lambda s: (s.id, s.version)))
    return ScaleCatalog(scales=found)


linear_mappings = st.builds(LinearMapping, snap=st.booleans())
value_pairs = st.builds(ValuePair, source=_bounds, target=_bounds)


@st.composite
def table_mappings(draw: st.DrawFn) -> tuple[TableMapping, Scale, Scale]:
    """A complete table from a discrete scale to another scale, with both scales."""
    source = draw(discrete_scales)
    target = draw(scales)
    values = source.allowed_values() or ()
    pairs: list[Any] = [(x, draw(values_on(target))) for x in values]
    order = draw(st.permutations(range(len(pairs))))
    table = TableMapping(source=source.ref, target=target.ref, pairs=[pairs[i] for i in order])
    return table, source, target


mappings = st.one_of(linear_mappings, table_mappings().map(lambda t: t[0]))

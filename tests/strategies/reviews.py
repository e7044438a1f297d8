"""Strategies for review forms and reviews that fit them."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from perfkit.reviews import (
    Criterion,
    CriterionKind,
    CriterionRating,
    Review,
    ReviewerRole,
    ReviewForm,
    ReviewStatus,
)
from perfkit.scales import ScaleCatalog

from .common import ids, simple_ids, texts, weights
from .scales import catalogs, ratings, ratings_on, scale_refs

people = st.sampled_from(["ann", "bob", "cy", "dee"])
names = st.text(min_size=1, max_size=20).filter(lambda s: bool(s.strip()))
kinds = st.sampled_from(list(CriterionKind))
roles = st.sampled_from(list(ReviewerRole))
statuses = st.sampled_from(list(ReviewStatus))

criteria = st.builds(
    Criterion,
    id=ids,
    name=names,
    kind=kinds,
    weight=weights,
    scale=scale_refs,
    description=texts,
)
criterion_ratings = st.builds(CriterionRating, criterion_id=ids, rating=ratings, comment=texts)
forms = st.builds(
    ReviewForm,
    id=ids,
    name=names,
    criteria=st.lists(criteria, min_size=1, max_size=5, unique_by=lambda c: c.id),
)


@st.composite
def _people(draw: st.DrawFn, role: ReviewerRole) -> tuple[str, str]:
    subject = draw(people)
    if role is ReviewerRole.SELF:
        return subject, subject
    return subject, draw(people.filter(lambda p: p != subject))


@st.composite
def reviews(draw: st.DrawFn) -> Review:
    """Any valid review (its ratings need not fit any form)."""
    role = draw(roles)
    subject, reviewer = draw(_people(role))
    ratings_ = draw(st.lists(criterion_ratings, max_size=4, unique_by=lambda r: r.criterion_id))
    status = draw(statuses) if ratings_ else ReviewStatus.DRAFT
    comment = draw(texts) if status is ReviewStatus.ACKNOWLEDGED else ""
    return Review(
        id=draw(ids),
        cycle_id=draw(ids),
        form_id=draw(ids),
        subject=subject,
        reviewer=reviewer,
        role=role,
        ratings=ratings_,
        summary=draw(texts),
        status=status,
        employee_comment=comment,
        version=draw(st.integers(min_value=1, max_value=100)),
    )


@st.composite
def rated_reviews(draw: st.DrawFn, min_ratings: int = 1) -> tuple[Review, ReviewForm, ScaleCatalog]:
    """A draft review whose ratings fit its form, with the form and a catalog of its scales."""
    catalog = draw(catalogs().filter(lambda c: len(c.scales) > 0))
    n = draw(st.integers(min_value=1, max_value=6))
    chosen = [draw(st.sampled_from(catalog.scales)) for _ in range(n)]
    crits = [
        Criterion(
            id=f"c{i}",
            name=f"Criterion {i}",
            kind=draw(kinds),
            weight=draw(weights),
            scale=scale.ref,
        )
        for i, scale in enumerate(chosen)
    ]
    form = ReviewForm(id=draw(simple_ids), name=draw(names), criteria=crits)
    rated = draw(
        st.lists(st.sampled_from(range(n)), min_size=min(min_ratings, n), max_size=n, unique=True)
    )
    given: list[Any] = [
        CriterionRating(criterion_id=f"c{i}", rating=draw(ratings_on(chosen[i]))) for i in rated
    ]
    role = draw(roles)
    subject, reviewer = draw(_people(role))
    review = Review(
        id=draw(ids),
        cycle_id="cycle",
        form_id=form.id,
        subject=subject,
        reviewer=reviewer,
        role=role,
        ratings=given,
    )
    return review, form, catalog

"""Review forms, reviews, the weighted mean and the review workflow."""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit.reviews import (
    REVIEW_WORKFLOW,
    Criterion,
    CriterionKind,
    CriterionRating,
    CriterionScore,
    Review,
    ReviewerRole,
    ReviewForm,
    ReviewStatus,
    WeightedMean,
)
from perfkit.scales import (
    BUILTIN_SCALES,
    FIVE_POINT,
    OKR,
    PERCENT,
    Rating,
    ScaleCatalog,
    ScaleRef,
)

from .strategies.reviews import criteria, forms, rated_reviews, reviews

AT = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)

FORM = ReviewForm(
    id="annual-2026",
    name="Annual review 2026",
    criteria=[
        Criterion(
            id="delivery", name="Delivery", kind=CriterionKind.GOAL, weight=2, scale=FIVE_POINT.ref
        ),
        Criterion(
            id="teamwork",
            name="Teamwork",
            kind=CriterionKind.COMPETENCY,
            weight=1,
            scale=FIVE_POINT.ref,
        ),
        Criterion(id="okrs", name="OKRs", kind=CriterionKind.SECTION, weight=1, scale=OKR.ref),
    ],
)


def draft(**kw: Any) -> Review:
    fields: dict[str, Any] = {
        "id": "r1",
        "cycle_id": "2026",
        "form_id": "annual-2026",
        "subject": "ann",
        "reviewer": "bob",
        "role": ReviewerRole.MANAGER,
    }
    return Review(**{**fields, **kw})


def rated(**kw: Any) -> Review:
    return (
        draft(**kw)
        .rate("teamwork", FIVE_POINT.rate(3))
        .rate("delivery", FIVE_POINT.rate(4), "Shipped the billing revamp")
    )


# --- forms and reviews --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ReviewForm(id="f", name="F", criteria=[]),
            r"criteria: \(\) is empty; a form needs a criterion",
        ),
        (
            lambda: ReviewForm(id="f", name="F", criteria=[FORM.criteria[0], FORM.criteria[0]]),
            r"criteria\[1\]: 'delivery' repeats the criterion id of criteria\[0\]",
        ),
        (
            lambda: ReviewForm(id="f", name="F", criteria=[FORM.criteria[0], "x"]),
            r"criteria\[1\]: 'x' is not a Criterion",
        ),
        (
            lambda: attrs.evolve(FORM.criteria[0], weight=0),
            r"weight: 0\.0 is not positive",
        ),
        (
            lambda: attrs.evolve(FORM.criteria[0], weight=-0.2),
            r"weight: -0\.2 is not positive",
        ),
        (
            lambda: attrs.evolve(FORM.criteria[0], kind="goals"),
            r"kind: 'goals' is not a CriterionKind",
        ),
        (
            lambda: attrs.evolve(FORM.criteria[0], scale="five-point"),
            r"scale: 'five-point' is not a ScaleRef",
        ),
    ],
)
def test_form_rules(build: Any, message: str) -> None:
    with pytest.raises(perfkit.ValidationError, match=message):
        build()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"role": ReviewerRole.SELF},
            r"reviewer: 'bob' is not the subject 'ann'; a self review is written by its subject",
        ),
        (
            {"reviewer": "ann"},
            r"reviewer: 'ann' is the subject; a manager review is written by someone else",
        ),
        (
            {"reviewer": "ann", "role": ReviewerRole.PEER},
            r"reviewer: 'ann' is the subject; a peer review is written by someone else",
        ),
        (
            {"status": ReviewStatus.SUBMITTED},
            r"ratings: \(\) is empty; a submitted review has ratings",
        ),
        (
            {"employee_comment": "Fair"},
            r"employee_comment: 'Fair' is set, but only an acknowledged review carries",
        ),
        (
            {
                "ratings": [
                    CriterionRating(criterion_id="a", rating=FIVE_POINT.rate(1)),
                    CriterionRating(criterion_id="a", rating=FIVE_POINT.rate(2)),
                ]
            },
            r"ratings\[1\]: 'a' repeats the criterion id of ratings\[0\]",
        ),
        ({"version": 0}, r"version: 0 is not a version"),
        ({"role": "boss"}, r"role: 'boss' is not a ReviewerRole"),
    ],
)
def test_review_rules(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(perfkit.ValidationError, match=message):
        draft(**fields)


def test_a_self_review_is_written_by_its_subject() -> None:
    own = draft(role=ReviewerRole.SELF, reviewer="ann")
    assert own.reviewer == own.subject


def test_form_check_names_the_bad_rating() -> None:
    good = [CriterionRating(criterion_id="delivery", rating=FIVE_POINT.rate(4))]

    def with_third(cr: CriterionRating) -> Review:
        extra = CriterionRating(criterion_id="teamwork", rating=FIVE_POINT.rate(2))
        return draft(ratings=[*good, extra, cr])

    FORM.check(draft(ratings=good), BUILTIN_SCALES)
    cases = [
        (
            CriterionRating(criterion_id="grit", rating=FIVE_POINT.rate(3)),
            perfkit.UnknownReferenceError,
            r"ratings\[2\]\.criterion_id: 'grit' is not a criterion of form 'annual-2026'",
        ),
        (
            CriterionRating(criterion_id="okrs", rating=FIVE_POINT.rate(3)),
            perfkit.ValidationError,
            (
                r"ratings\[2\]\.rating\.scale: 'five-point v1' is not the scale of criterion "
                r"'okrs' \(okr v1\)"
            ),
        ),
        (
            CriterionRating(criterion_id="okrs", rating=Rating(scale=OKR.ref, value=1.5)),
            perfkit.ValidationError,
            (
                r"ratings\[2\]\.rating\.value: 1\.5 is not on scale okr v1 "
                r"\(allowed: any number from 0 to 1\)"
            ),
        ),
    ]
    for cr, error, message in cases:
        with pytest.raises(error, match=message):
            FORM.check(with_third(cr), BUILTIN_SCALES)
    with pytest.raises(
        perfkit.UnknownReferenceError,
        match=r"ratings\[0\]\.rating\.scale: 'five-point v1' is not a scale in the catalog",
    ):
        FORM.check(draft(ratings=good), ScaleCatalog(scales=[OKR]))
    with pytest.raises(perfkit.ValidationError, match=r"form_id: 'other' is not this form"):
        FORM.check(draft(form_id="other"), BUILTIN_SCALES)


def test_form_lookups() -> None:
    assert FORM.criterion("okrs").scale == OKR.ref
    with pytest.raises(perfkit.NotFoundError, match=r"no criterion with id 'grit'"):
        FORM.criterion("grit")
    assert FORM.unrated(rated()) == ("okrs",)
    FORM.check_scales(BUILTIN_SCALES)
    with pytest.raises(
        perfkit.UnknownReferenceError, match=r"criteria\[2\]\.scale: 'okr v1' is not a scale"
    ):
        FORM.check_scales(ScaleCatalog(scales=[FIVE_POINT]))


# --- the weighted mean --------------------------------------------------------------------


def test_weighted_mean_by_hand() -> None:
    # delivery 4 on 1-5 → 0.75, weight 2; teamwork 3 → 0.5, weight 1; okrs unrated.
    # (2 × 0.75 + 1 × 0.5) / 3 = 2 / 3.
    mean = rated().weighted_mean(FORM, BUILTIN_SCALES)
    assert mean.value == pytest.approx(2 / 3)
    assert mean.total_weight == 3.0
    assert [(p.criterion_id, p.normalised, p.weight) for p in mean.parts] == [
        ("delivery", 0.75, 2.0),
        ("teamwork", 0.5, 1.0),
    ]
    assert [p.contribution for p in mean.parts] == [pytest.approx(0.5), pytest.approx(1 / 6)]
    assert mean.unrated == ("okrs",)
    assert mean.explain() == (
        "weighted mean 0.6667 of 2 rated criteria (total weight 3): delivery rated 4 on "
        "five-point v1 = 0.75 × weight 2; teamwork rated 3 on five-point v1 = 0.5 × weight 1; "
        "not rated: okrs"
    )
    # Adding the OKR score 0.9 (already on 0-1): (1.5 + 0.5 + 0.9) / 4 = 0.725.
    full = rated().rate("okrs", OKR.rate(0.9)).weighted_mean(FORM, BUILTIN_SCALES)
    assert full.value == pytest.approx(0.725)
    assert full.unrated == ()


def test_weighted_mean_needs_ratings_and_a_fitting_review() -> None:
    with pytest.raises(perfkit.ValidationError, match=r"ratings: \(\) is empty; there is nothing"):
        draft().weighted_mean(FORM, BUILTIN_SCALES)
    with pytest.raises(perfkit.ValidationError, match=r"form: 'annual' is not a ReviewForm"):
        rated().weighted_mean("annual", BUILTIN_SCALES)  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match=r"catalog: None is not a ScaleCatalog"):
        rated().weighted_mean(FORM, None)  # type: ignore[arg-type]
    off = draft().rate("delivery", Rating(scale=FIVE_POINT.ref, value=9))
    with pytest.raises(perfkit.ValidationError, match=r"ratings\[0\]\.rating\.value: 9\.0"):
        off.weighted_mean(FORM, BUILTIN_SCALES)


@given(rated_reviews(), st.data())
def test_weighted_mean_matches_a_brute_force_model(
    found: tuple[Review, ReviewForm, ScaleCatalog], data: st.DataObject
) -> None:
    review, form, catalog = found
    mean = review.weighted_mean(form, catalog)
    assert 0.0 <= mean.value <= 1.0
    weights = {c.id: c.weight for c in form.criteria}
    num = den = 0.0
    for cr in review.ratings:
        low, high = catalog.get(cr.rating.scale).bounds
        num += weights[cr.criterion_id] * (cr.rating.value - low) / (high - low)
        den += weights[cr.criterion_id]
    assert math.isclose(mean.value, num / den, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(sum(p.contribution for p in mean.parts), mean.value, abs_tol=1e-9)
    assert [p.criterion_id for p in mean.parts] == sorted(r.criterion_id for r in review.ratings)
    assert set(mean.unrated) == {c.id for c in form.criteria} - {
        r.criterion_id for r in review.ratings
    }
    shuffled = attrs.evolve(review, ratings=data.draw(st.permutations(review.ratings)))
    assert shuffled.weighted_mean(form, catalog) == mean
    assert perfkit.loads(perfkit.dumps(mean), WeightedMean) == mean


@given(rated_reviews())
def test_a_higher_rating_never_lowers_the_mean(
    found: tuple[Review, ReviewForm, ScaleCatalog],
) -> None:
    review, form, catalog = found
    first = review.ratings[0]
    scale = catalog.get(first.rating.scale)
    top = scale.rate(scale.bounds[1])
    raised = review.rate(first.criterion_id, top)
    assert raised.weighted_mean(form, catalog).value >= review.weighted_mean(form, catalog).value


# --- the workflow -------------------------------------------------------------------------


def test_the_whole_workflow() -> None:
    review = rated()
    assert review.version == 3  # created at 1, rated twice
    assert [r.criterion_id for r in review.ratings] == ["delivery", "teamwork"]
    submitted, e1 = review.submit("bob", AT)
    shared, e2 = submitted.share("hr-lee", AT)
    done, e3 = shared.acknowledge("ann", AT, "I see it differently on teamwork.")
    assert [r.status for r in (submitted, shared, done)] == [
        ReviewStatus.SUBMITTED,
        ReviewStatus.SHARED,
        ReviewStatus.ACKNOWLEDGED,
    ]
    assert [r.version for r in (submitted, shared, done)] == [4, 5, 6]
    assert [(e.from_state, e.to_state, e.actor) for e in (e1, e2, e3)] == [
        ("draft", "submitted", "bob"),
        ("submitted", "shared", "hr-lee"),
        ("shared", "acknowledged", "ann"),
    ]
    assert all(
        e.subject_type == "review" and e.subject_id == "r1" and e.at == AT for e in (e1, e2, e3)
    )
    assert done.employee_comment == "I see it differently on teamwork."
    assert done.ratings == review.ratings
    assert REVIEW_WORKFLOW.is_final(ReviewStatus.ACKNOWLEDGED)


def test_rating_again_replaces_the_rating() -> None:
    review = rated().rate("delivery", FIVE_POINT.rate(5), "Even better")
    assert review.rating_for("delivery") == CriterionRating(
        criterion_id="delivery", rating=FIVE_POINT.rate(5), comment="Even better"
    )
    assert review.rating_for("okrs") is None
    assert len(review.ratings) == 2
    assert review.version == 4


def test_the_reviewer_or_hr_shares_and_a_self_review_is_shared_by_its_subject() -> None:
    submitted, _ = rated().submit("bob", AT)
    assert submitted.share("bob", AT)[0].status is ReviewStatus.SHARED
    own, _ = rated(role=ReviewerRole.SELF, reviewer="ann").submit("ann", AT)
    assert own.share("ann", AT)[0].status is ReviewStatus.SHARED


def at_status(status: ReviewStatus) -> Review:
    review = rated()
    if status is not ReviewStatus.DRAFT:
        review, _ = review.submit("bob", AT)
    if status in (ReviewStatus.SHARED, ReviewStatus.ACKNOWLEDGED):
        review, _ = review.share("bob", AT)
    if status is ReviewStatus.ACKNOWLEDGED:
        review, _ = review.acknowledge("ann", AT)
    return review


MOVES: dict[str, Any] = {
    "rate": lambda r: r.rate("okrs", OKR.rate(0.5)),
    "submit": lambda r: r.submit("bob", AT),
    "share": lambda r: r.share("bob", AT),
    "acknowledge": lambda r: r.acknowledge("ann", AT),
}
ALLOWED = {
    ReviewStatus.DRAFT: {"rate", "submit"},
    ReviewStatus.SUBMITTED: {"share"},
    ReviewStatus.SHARED: {"acknowledge"},
    ReviewStatus.ACKNOWLEDGED: set(),
}
TARGET = {"rate": "draft", "submit": "submitted", "share": "shared", "acknowledge": "acknowledged"}
NEXT = {"draft": "submitted", "submitted": "shared", "shared": "acknowledged"}


@pytest.mark.parametrize("status", list(ReviewStatus))
@pytest.mark.parametrize("move", list(MOVES))
def test_every_move_from_every_status(status: ReviewStatus, move: str) -> None:
    review = at_status(status)
    if move in ALLOWED[status]:
        result = MOVES[move](review)
        moved = result if isinstance(result, Review) else result[0]
        assert moved.version == review.version + 1
        return
    allowed = NEXT.get(status.value, "none (final state)")
    why = ": only a draft review can be rated" if move == "rate" else ""
    message = (
        f"review 'r1': cannot go from '{status.value}' to '{TARGET[move]}'{why}; "
        f"allowed from '{status.value}': {allowed}"
    )
    with pytest.raises(perfkit.TransitionError) as info:
        MOVES[move](review)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("move", "message"),
    [
        (
            lambda: rated().submit("ann", AT),
            (
                "review 'r1': cannot go from 'draft' to 'submitted': only the reviewer 'bob' can "
                "submit it, not 'ann'; allowed from 'draft': submitted"
            ),
        ),
        (
            lambda: draft().submit("bob", AT),
            (
                "review 'r1': cannot go from 'draft' to 'submitted': it has no ratings; allowed "
                "from 'draft': submitted"
            ),
        ),
        (
            lambda: at_status(ReviewStatus.SUBMITTED).share("ann", AT),
            (
                "review 'r1': cannot go from 'submitted' to 'shared': the subject 'ann' cannot "
                "share their own review; allowed from 'submitted': shared"
            ),
        ),
        (
            lambda: at_status(ReviewStatus.SHARED).acknowledge("bob", AT),
            (
                "review 'r1': cannot go from 'shared' to 'acknowledged': only the subject 'ann' "
                "can acknowledge it, not 'bob'; allowed from 'shared': acknowledged"
            ),
        ),
    ],
)
def test_moves_by_the_wrong_person_are_refused(move: Any, message: str) -> None:
    with pytest.raises(perfkit.TransitionError) as info:
        move()
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("move", "message"),
    [
        (lambda r: r.submit("", AT), r"actor: '' is not a valid id"),
        (lambda r: r.submit(7, AT), r"actor: 7 is not a valid id"),
        (lambda r: r.submit("bob", datetime(2026, 1, 1)), r"at: .* is a naive datetime"),
        (lambda r: r.submit("bob", "2026-01-01"), r"at: '2026-01-01' is not a datetime"),
        (lambda r: r.rate("delivery", 4), r"rating: 4 is not a Rating"),
        (lambda r: r.rate("", FIVE_POINT.rate(4)), r"criterion_id: '' is not a valid id"),
        (lambda r: r.rate("delivery", FIVE_POINT.rate(4), None), r"comment: None is not a str"),
    ],
)
def test_workflow_arguments_are_checked(move: Any, message: str) -> None:
    with pytest.raises(perfkit.ValidationError, match=message):
        move(rated())
    with pytest.raises(perfkit.ValidationError, match=r"comment: 5 is not a string"):
        at_status(ReviewStatus.SHARED).acknowledge("ann", AT, 5)  # type: ignore[arg-type]


@given(rated_reviews())
def test_any_fitting_review_goes_through_the_workflow(
    found: tuple[Review, ReviewForm, ScaleCatalog],
) -> None:
    review, form, catalog = found
    submitted, _ = review.submit(review.reviewer, AT)
    shared, _ = submitted.share("hr", AT)
    done, event = shared.acknowledge(review.subject, AT, "ok")
    assert done.version == review.version + 3
    assert event.to_state == "acknowledged"
    form.check(done, catalog)
    assert done.weighted_mean(form, catalog) == review.weighted_mean(form, catalog)


# --- JSON ---------------------------------------------------------------------------------


@given(st.one_of(criteria, forms, reviews()))
def test_round_trips(x: Any) -> None:
    assert perfkit.loads(perfkit.dumps(x), type(x)) == x


def test_criterion_rating_and_score_round_trip() -> None:
    cr = CriterionRating(criterion_id="c", rating=FIVE_POINT.rate(2), comment="Improving")
    assert perfkit.loads(perfkit.dumps(cr), CriterionRating) == cr
    part = rated().weighted_mean(FORM, BUILTIN_SCALES).parts[0]
    assert isinstance(part, CriterionScore)
    assert perfkit.loads(perfkit.dumps(part), CriterionScore) == part
    assert perfkit.unstructure(done_review())["status"] == "acknowledged"


def done_review() -> Review:
    return at_status(ReviewStatus.ACKNOWLEDGED)


# --- garbage in, perfkit errors out -------------------------------------------------------

garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.datetimes(),
)


@given(st.sampled_from([Review, ReviewForm, WeightedMean]), st.text(max_size=40))
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
    st.sampled_from([Review, ReviewForm, Criterion]),
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "cycle_id",
                "form_id",
                "subject",
                "reviewer",
                "role",
                "ratings",
                "status",
                "version",
                "name",
                "criteria",
                "kind",
                "weight",
                "scale",
            ]
        ),
        json_values,
    ),
)
def test_garbage_data_gives_only_perfkit_errors(cls: Any, data: dict[str, Any]) -> None:
    with contextlib.suppress(perfkit.PerfkitError):
        perfkit.structure(data, cls)


@given(garbage)
def test_garbage_arguments_give_only_perfkit_errors(value: Any) -> None:
    review = rated()
    for call in (
        lambda: draft(subject=value),
        lambda: draft(ratings=value),
        lambda: draft(status=value),
        lambda: draft(version=value),
        lambda: attrs.evolve(FORM.criteria[0], weight=value),
        lambda: ReviewForm(id="f", name="F", criteria=value),
        lambda: review.rate(value, FIVE_POINT.rate(3)),
        lambda: review.rate("delivery", value),
        lambda: review.submit(value, AT),
        lambda: review.submit("bob", value),
        lambda: review.weighted_mean(value, BUILTIN_SCALES),
        lambda: review.weighted_mean(FORM, value),
        lambda: review.rating_for(value),
        lambda: FORM.check(value, BUILTIN_SCALES),
        lambda: FORM.criterion(value),
        lambda: FORM.unrated(value),
        lambda: Rating(scale=ScaleRef(id="x"), value=value),
        lambda: PERCENT.rate(value),
    ):
        with contextlib.suppress(perfkit.PerfkitError):
            call()

"""Performance reviews: review forms, ratings per criterion, and the review workflow.

A *review form* (template) lists the *criteria* a reviewer rates — goals, competencies, or whole
sections — each with a weight and the rating scale it is rated on. A *review* is one reviewer's
ratings of one person (the subject) in one review cycle: a self-assessment, the manager's review,
a peer's or an upward (report → manager) review.

A review moves ``draft → submitted → shared → acknowledged``: the reviewer rates and submits it,
it is shared with the employee (by the reviewer or HR), and the employee acknowledges it, with a
comment if they wish. Every move returns the new review (its ``version`` one higher, for
optimistic concurrency) and a :class:`~perfkit.WorkflowEvent`.
"""

from __future__ import annotations

import enum
import math
from datetime import datetime
from typing import Any

import attrs

from . import _validation as v
from ._errors import NotFoundError, TransitionError, UnknownReferenceError, ValidationError
from .cycles import CycleAction, ReviewCycle
from .events import StateMachine, WorkflowEvent
from .scales import Rating, ScaleCatalog, ScaleRef, _to_float

__all__ = [
    "Criterion",
    "CriterionKind",
    "CriterionRating",
    "CriterionScore",
    "REVIEW_WORKFLOW",
    "Review",
    "ReviewForm",
    "ReviewStatus",
    "ReviewerRole",
    "WeightedMean",
]


class ReviewerRole(enum.StrEnum):
    """Who writes a review, relative to its subject."""

    SELF = "self"
    """A self-assessment: the subject reviews themselves."""
    MANAGER = "manager"
    """The subject's manager."""
    PEER = "peer"
    """A colleague."""
    UPWARD = "upward"
    """A direct report reviewing their manager."""


class CriterionKind(enum.StrEnum):
    """What a criterion of a review form rates."""

    GOAL = "goal"
    COMPETENCY = "competency"
    SECTION = "section"


class ReviewStatus(enum.StrEnum):
    """Where a review is in its workflow."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    SHARED = "shared"
    ACKNOWLEDGED = "acknowledged"


REVIEW_WORKFLOW: StateMachine[ReviewStatus] = StateMachine(
    "review",
    {
        ReviewStatus.DRAFT: frozenset({ReviewStatus.SUBMITTED}),
        ReviewStatus.SUBMITTED: frozenset({ReviewStatus.SHARED}),
        ReviewStatus.SHARED: frozenset({ReviewStatus.ACKNOWLEDGED}),
    },
)
"""The review workflow: draft → submitted → shared → acknowledged (final)."""


def _not_empty(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise ValidationError(attribute.name, value, "is empty; a form needs a criterion")


def _id(item: Any) -> str:
    return item.id  # type: ignore[no-any-return]


def _criterion_id(item: Any) -> str:
    return item.criterion_id  # type: ignore[no-any-return]


def _to_criterion_kind(value: Any) -> Any:
    """attrs converter: a plain string value becomes the CriterionKind member."""
    return v.as_enum(CriterionKind, value)


@attrs.frozen(kw_only=True)
class Criterion:
    """One thing a review form rates (a goal, a competency, a section), with its weight in the
    overall rating and the scale version it is rated on."""

    id: str = attrs.field(validator=v.identifier)
    name: str = attrs.field(validator=v.non_empty_text)
    kind: CriterionKind = attrs.field(
        converter=_to_criterion_kind, validator=v.enum_member(CriterionKind)
    )
    weight: float = attrs.field(converter=_to_float, validator=v.weight)
    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    description: str = attrs.field(default="", validator=v.text)


@attrs.frozen(kw_only=True)
class CriterionRating:
    """A reviewer's rating of one criterion, with an optional comment."""

    criterion_id: str = attrs.field(validator=v.identifier)
    rating: Rating = attrs.field(validator=v.instance_of(Rating))
    comment: str = attrs.field(default="", validator=v.text)


@attrs.frozen(kw_only=True)
class CriterionScore:
    """One criterion's part in a :class:`WeightedMean`: its rating, that rating placed on 0–1
    (``normalised``), its weight, and ``contribution`` = weight × normalised / total weight."""

    criterion_id: str = attrs.field(validator=v.identifier)
    weight: float = attrs.field(converter=_to_float, validator=v.positive)
    rating: Rating = attrs.field(validator=v.instance_of(Rating))
    normalised: float = attrs.field(converter=_to_float, validator=v.between(0, 1))
    contribution: float = attrs.field(converter=_to_float, validator=v.between(0, 1))


def _g(x: float) -> str:
    return f"{x:.4g}"


@attrs.frozen(kw_only=True)
class WeightedMean:
    """The criteria-weighted mean of a review's ratings, on 0–1, with the parts it is made of.

    Each rating is first placed linearly on 0–1 on its own scale (minimum 0, maximum 1), so
    criteria rated on different scales can be averaged. Only rated criteria count; their weights
    are used as given (``value = Σ weight × normalised / Σ weight``). ``unrated`` lists the
    criteria of the form left without a rating.
    """

    value: float = attrs.field(converter=_to_float, validator=v.between(0, 1))
    total_weight: float = attrs.field(converter=_to_float, validator=v.positive)
    parts: tuple[CriterionScore, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(CriterionScore))
    )
    unrated: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.identifier)
    )

    def explain(self) -> str:
        """The number as a sentence: which ratings, how they were placed on 0–1, their weights."""
        shown = "; ".join(
            f"{p.criterion_id} rated {_g(p.rating.value)} on {p.rating.scale} "
            f"= {_g(p.normalised)} × weight {_g(p.weight)}"
            for p in self.parts
        )
        text = (
            f"weighted mean {_g(self.value)} of {len(self.parts)} rated "
            f"{'criterion' if len(self.parts) == 1 else 'criteria'} "
            f"(total weight {_g(self.total_weight)}): {shown}"
        )
        if self.unrated:
            text += f"; not rated: {', '.join(self.unrated)}"
        return text


@attrs.frozen(kw_only=True)
class ReviewForm:
    """A review form (template): the criteria a reviewer rates, each with weight and scale."""

    id: str = attrs.field(validator=v.identifier)
    name: str = attrs.field(validator=v.non_empty_text)
    criteria: tuple[Criterion, ...] = attrs.field(
        converter=v.tuple_of,
        validator=[
            v.each(v.instance_of(Criterion)),
            _not_empty,
            v.unique_ids(_id, "criterion"),
        ],
    )

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id (:class:`~perfkit.NotFoundError` if there is none)."""
        if not isinstance(criterion_id, str):
            raise ValidationError("criterion_id", criterion_id, "is not a string id")
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise NotFoundError("criterion", criterion_id)

    def check_scales(self, catalog: ScaleCatalog) -> None:
        """Raise unless every criterion's scale is in ``catalog`` (``criteria[2].scale``)."""
        if not isinstance(catalog, ScaleCatalog):
            raise ValidationError("catalog", catalog, "is not a ScaleCatalog")
        for i, c in enumerate(self.criteria):
            if c.scale not in catalog:
                raise UnknownReferenceError(
                    f"criteria[{i}].scale", str(c.scale), "is not a scale in the catalog"
                )

    def check(self, review: Review, catalog: ScaleCatalog) -> None:
        """Raise unless ``review`` fits this form: each rating names a criterion of the form, is
        on that criterion's scale version, and has a value the scale allows
        (``ratings[2].rating.value: 7.0 is not on scale ...``)."""
        if not isinstance(review, Review):
            raise ValidationError("review", review, "is not a Review")
        if not isinstance(catalog, ScaleCatalog):
            raise ValidationError("catalog", catalog, "is not a ScaleCatalog")
        if review.form_id != self.id:
            raise ValidationError("form_id", review.form_id, f"is not this form {self.id!r}")
        criteria = {c.id: c for c in self.criteria}
        for i, cr in enumerate(review.ratings):
            at = f"ratings[{i}]"
            criterion = criteria.get(cr.criterion_id)
            if criterion is None:
                raise UnknownReferenceError(
                    f"{at}.criterion_id", cr.criterion_id, f"is not a criterion of form {self.id!r}"
                )
            if cr.rating.scale != criterion.scale:
                raise ValidationError(
                    f"{at}.rating.scale",
                    str(cr.rating.scale),
                    f"is not the scale of criterion {criterion.id!r} ({criterion.scale})",
                )
            if criterion.scale not in catalog:
                raise UnknownReferenceError(
                    f"{at}.rating.scale", str(cr.rating.scale), "is not a scale in the catalog"
                )
            try:
                catalog.validate(cr.rating)
            except ValidationError as err:
                raise err.at(f"{at}.rating") from None

    def unrated(self, review: Review) -> tuple[str, ...]:
        """The ids of the criteria ``review`` has not rated yet, in form order."""
        if not isinstance(review, Review):
            raise ValidationError("review", review, "is not a Review")
        done = {r.criterion_id for r in review.ratings}
        return tuple(c.id for c in self.criteria if c.id not in done)


_ROLE_ACTION = {
    ReviewerRole.SELF: CycleAction.SELF_REVIEW,
    ReviewerRole.PEER: CycleAction.PEER_REVIEW,
    ReviewerRole.UPWARD: CycleAction.PEER_REVIEW,
    ReviewerRole.MANAGER: CycleAction.MANAGER_REVIEW,
}
"""The cycle action each reviewer role's review belongs to (upward reviews run with peer ones)."""


def _check_actor(actor: object, at: object) -> tuple[str, datetime]:
    if not isinstance(actor, str) or not actor or actor[0].isspace():
        raise ValidationError("actor", actor, "is not a valid id")
    if not isinstance(at, datetime):
        raise ValidationError("at", at, "is not a datetime")
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise ValidationError("at", at, "is a naive datetime; give it a timezone")
    return actor, at


def _to_reviewer_role(value: Any) -> Any:
    """attrs converter: a plain string value becomes the ReviewerRole member."""
    return v.as_enum(ReviewerRole, value)


def _to_review_status(value: Any) -> Any:
    """attrs converter: a plain string value becomes the ReviewStatus member."""
    return v.as_enum(ReviewStatus, value)


@attrs.frozen(kw_only=True)
class Review:
    """One reviewer's review of one person (the subject) in one review cycle, on one form.

    A self-assessment (role ``self``) is written by its subject; every other review by someone
    else. ``ratings`` holds at most one rating per criterion. ``employee_comment`` is the
    subject's comment on acknowledging. ``version`` goes up by one with every change.
    """

    id: str = attrs.field(validator=v.identifier)
    cycle_id: str = attrs.field(validator=v.identifier)
    form_id: str = attrs.field(validator=v.identifier)
    subject: str = attrs.field(validator=v.identifier)
    reviewer: str = attrs.field(validator=v.identifier)
    role: ReviewerRole = attrs.field(
        converter=_to_reviewer_role, validator=v.enum_member(ReviewerRole)
    )
    ratings: tuple[CriterionRating, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[
            v.each(v.instance_of(CriterionRating)),
            v.unique_ids(_criterion_id, "criterion"),
        ],
    )
    summary: str = attrs.field(default="", validator=v.text)
    status: ReviewStatus = attrs.field(
        default=ReviewStatus.DRAFT,
        converter=_to_review_status,
        validator=v.enum_member(ReviewStatus),
    )
    employee_comment: str = attrs.field(default="", validator=v.text)
    version: int = attrs.field(default=1, validator=v.version)

    def __attrs_post_init__(self) -> None:
        if self.role is ReviewerRole.SELF and self.reviewer != self.subject:
            raise ValidationError(
                "reviewer",
                self.reviewer,
                f"is not the subject {self.subject!r}; a self review is written by its subject",
            )
        if self.role is not ReviewerRole.SELF and self.reviewer == self.subject:
            raise ValidationError(
                "reviewer",
                self.reviewer,
                f"is the subject; a {self.role.value} review is written by someone else",
            )
        if self.status is not ReviewStatus.DRAFT and not self.ratings:
            raise ValidationError(
                "ratings", self.ratings, f"is empty; a {self.status.value} review has ratings"
            )
        if self.employee_comment and self.status is not ReviewStatus.ACKNOWLEDGED:
            raise ValidationError(
                "employee_comment",
                self.employee_comment,
                "is set, but only an acknowledged review carries the employee's comment",
            )

    # --- reading ----------------------------------------------------------------------------

    def rating_for(self, criterion_id: str) -> CriterionRating | None:
        """The rating of one criterion, ``None`` if it is not rated yet."""
        if not isinstance(criterion_id, str):
            raise ValidationError("criterion_id", criterion_id, "is not a string id")
        for r in self.ratings:
            if r.criterion_id == criterion_id:
                return r
        return None

    def weighted_mean(self, form: ReviewForm, catalog: ScaleCatalog) -> WeightedMean:
        """The criteria-weighted mean of the ratings on 0–1, with its parts (see
        :class:`WeightedMean`). The review is checked against ``form`` first."""
        if not isinstance(form, ReviewForm):
            raise ValidationError("form", form, "is not a ReviewForm")
        form.check(self, catalog)
        if not self.ratings:
            raise ValidationError("ratings", self.ratings, "is empty; there is nothing to average")
        given = {r.criterion_id: r.rating for r in self.ratings}
        rated = sorted((c for c in form.criteria if c.id in given), key=_id)
        total = math.fsum(c.weight for c in rated)
        normalised = {
            c.id: catalog.get(given[c.id].scale).normalise(given[c.id].value) for c in rated
        }
        value = math.fsum(c.weight * normalised[c.id] for c in rated) / total
        parts = tuple(
            CriterionScore(
                criterion_id=c.id,
                weight=c.weight,
                rating=given[c.id],
                normalised=normalised[c.id],
                contribution=min(c.weight * normalised[c.id] / total, 1.0),
            )
            for c in rated
        )
        return WeightedMean(
            value=min(value, 1.0),
            total_weight=total,
            parts=parts,
            unrated=tuple(sorted(c.id for c in form.criteria if c.id not in given)),
        )

    # --- workflow ---------------------------------------------------------------------------

    def _refuse(self, target: ReviewStatus, why: str) -> TransitionError:
        return TransitionError(
            f"review {self.id!r}",
            self.status.value,
            target.value,
            (s.value for s in REVIEW_WORKFLOW.allowed(self.status)),
            why,
        )

    def _move(
        self, target: ReviewStatus, actor: str, at: datetime, **changes: Any
    ) -> tuple[Review, WorkflowEvent]:
        event = REVIEW_WORKFLOW.event(self.id, self.status, target, actor, at)
        moved = attrs.evolve(self, status=target, version=self.version + 1, **changes)
        return moved, event

    def _gate(self, cycle: ReviewCycle | None, *actions: CycleAction) -> None:
        """With a cycle, refuse (``PhaseError``) what its current stage does not allow."""
        if cycle is None:
            return
        if not isinstance(cycle, ReviewCycle):
            raise ValidationError("cycle", cycle, "is not a ReviewCycle")
        if cycle.id != self.cycle_id:
            raise ValidationError(
                "cycle", cycle.id, f"is not this review's cycle {self.cycle_id!r}"
            )
        for action in actions:
            cycle.check_allowed(action)

    def rate(
        self,
        criterion_id: str,
        rating: Rating,
        comment: str = "",
        *,
        cycle: ReviewCycle | None = None,
    ) -> Review:
        """A new review with ``criterion_id`` rated (replacing an earlier rating of it); only a
        draft can be rated. Ratings are kept in criterion id order. With ``cycle``, a rating
        outside the review phases (after calibration closed, say) raises ``PhaseError``."""
        self._gate(cycle, CycleAction.RATE, _ROLE_ACTION[self.role])
        new = CriterionRating(criterion_id=criterion_id, rating=rating, comment=comment)
        if self.status is not ReviewStatus.DRAFT:
            raise self._refuse(ReviewStatus.DRAFT, "only a draft review can be rated")
        kept = [r for r in self.ratings if r.criterion_id != criterion_id]
        ratings = tuple(sorted([*kept, new], key=_criterion_id))
        return attrs.evolve(self, ratings=ratings, version=self.version + 1)

    def submit(
        self, actor: str, at: datetime, *, cycle: ReviewCycle | None = None
    ) -> tuple[Review, WorkflowEvent]:
        """The reviewer hands the review in: draft → submitted. A review without ratings is
        refused; with ``cycle``, so is one handed in outside its review phase."""
        actor, at = _check_actor(actor, at)
        self._gate(cycle, _ROLE_ACTION[self.role])
        REVIEW_WORKFLOW.check(self.id, self.status, ReviewStatus.SUBMITTED)
        if actor != self.reviewer:
            raise self._refuse(
                ReviewStatus.SUBMITTED,
                f"only the reviewer {self.reviewer!r} can submit it, not {actor!r}",
            )
        if not self.ratings:
            raise self._refuse(ReviewStatus.SUBMITTED, "it has no ratings")
        return self._move(ReviewStatus.SUBMITTED, actor, at)

    def share(self, actor: str, at: datetime) -> tuple[Review, WorkflowEvent]:
        """Share the submitted review with its subject: submitted → shared. The reviewer or HR
        shares; the subject cannot share a review of themselves (unless it is their self
        review)."""
        actor, at = _check_actor(actor, at)
        REVIEW_WORKFLOW.check(self.id, self.status, ReviewStatus.SHARED)
        if actor == self.subject and self.role is not ReviewerRole.SELF:
            raise self._refuse(
                ReviewStatus.SHARED, f"the subject {actor!r} cannot share their own review"
            )
        return self._move(ReviewStatus.SHARED, actor, at)

    def acknowledge(
        self, actor: str, at: datetime, comment: str = ""
    ) -> tuple[Review, WorkflowEvent]:
        """The subject confirms they have read the review, optionally commenting: shared →
        acknowledged. Acknowledging is not agreeing; the comment is kept with the review."""
        actor, at = _check_actor(actor, at)
        if not isinstance(comment, str):
            raise ValidationError("comment", comment, "is not a string")
        REVIEW_WORKFLOW.check(self.id, self.status, ReviewStatus.ACKNOWLEDGED)
        if actor != self.subject:
            raise self._refuse(
                ReviewStatus.ACKNOWLEDGED,
                f"only the subject {self.subject!r} can acknowledge it, not {actor!r}",
            )
        return self._move(ReviewStatus.ACKNOWLEDGED, actor, at, employee_comment=comment)

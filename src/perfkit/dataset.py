"""Everything one review cycle runs on, checked as a whole.

A :class:`CycleData` bundles the organisation, the review cycle, its goals and check-ins, the
feedback, the rating scales, the review forms and the reviews. Each part validates itself when
it is built; ``CycleData`` checks what only the whole can see — that every person, unit, goal,
form and scale a part names exists — and reports the place of every bad reference
(``goals.goals[12].owner.id: 'e-999' is not an employee``), all of them at once.

It is also the unit that travels: one JSON document (``perfkit.dumps(data)``) holds a whole
cycle's inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from functools import cached_property

import attrs

from . import _validation as v
from ._errors import DocumentError, UnknownReferenceError, ValidationError
from .cycles import DueCheckIn, ReviewCycle, due_checkins
from .feedback import FeedbackLog
from .goals import GoalSet, OwnerKind
from .org import Organisation
from .reviews import Review, ReviewForm
from .scales import ScaleCatalog

__all__ = ["CycleData"]


@attrs.frozen(kw_only=True)
class CycleData:
    """The inputs of one review cycle: people, cycle, goals, feedback, scales, forms, reviews.

    Goals owned by the company name the id of a root org unit (the company itself). Building a
    ``CycleData`` whose parts refer to something that is not there raises
    :class:`~perfkit.DocumentError` listing every bad reference with its path.
    """

    organisation: Organisation = attrs.field(validator=v.instance_of(Organisation))
    cycle: ReviewCycle = attrs.field(validator=v.instance_of(ReviewCycle))
    goals: GoalSet = attrs.field(factory=GoalSet, validator=v.instance_of(GoalSet))
    feedback: FeedbackLog = attrs.field(factory=FeedbackLog, validator=v.instance_of(FeedbackLog))
    scales: ScaleCatalog = attrs.field(factory=ScaleCatalog, validator=v.instance_of(ScaleCatalog))
    forms: tuple[ReviewForm, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(ReviewForm)), v.unique_ids(lambda f: f.id, "form")],
    )
    reviews: tuple[Review, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(Review)), v.unique_ids(lambda r: r.id, "review")],
    )

    def __attrs_post_init__(self) -> None:
        problems = list(self._reference_problems())
        if problems:
            raise DocumentError(problems, source="cycle data")

    # --- cross-references --------------------------------------------------------------------

    def _reference_problems(self) -> Iterator[ValidationError]:
        org = self.organisation
        people = {e.id for e in org.employees}
        units = {u.id for u in org.units}
        companies = {u.id for u in org.units if u.parent_id is None}

        def person(path: str, pid: str) -> Iterator[ValidationError]:
            if pid not in people:
                yield UnknownReferenceError(path, pid, "is not an employee")

        for i, goal in enumerate(self.goals.goals):
            here = f"goals.goals[{i}]"
            kind, oid = goal.owner.kind, goal.owner.id
            if kind is OwnerKind.EMPLOYEE:
                yield from person(f"{here}.owner.id", oid)
            elif kind is OwnerKind.UNIT and oid not in units:
                yield UnknownReferenceError(f"{here}.owner.id", oid, "is not an org unit")
            elif kind is OwnerKind.COMPANY and oid not in companies:
                yield UnknownReferenceError(
                    f"{here}.owner.id", oid, "is not the company (a root org unit)"
                )
            if goal.cycle_id is not None and goal.cycle_id != self.cycle.id:
                yield UnknownReferenceError(
                    f"{here}.cycle_id", goal.cycle_id, f"is not this cycle ({self.cycle.id!r})"
                )
        for i, check_in in enumerate(self.goals.check_ins):
            yield from person(f"goals.check_ins[{i}].author", check_in.author)
        goal_ids = {g.id for g in self.goals.goals}
        for i, event in enumerate(self.feedback.events):
            here = f"feedback.events[{i}]"
            yield from person(f"{here}.author", event.author)
            yield from person(f"{here}.subject", event.subject)
            for j, asked in enumerate(getattr(event, "requested_from", ())):
                yield from person(f"{here}.requested_from[{j}]", asked)
            if event.goal_id is not None and event.goal_id not in goal_ids:
                yield UnknownReferenceError(f"{here}.goal_id", event.goal_id, "is not a goal")
        for i, form in enumerate(self.forms):
            try:
                form.check_scales(self.scales)
            except ValidationError as err:
                yield err.at(f"forms[{i}]")
        forms = {f.id: f for f in self.forms}
        for i, review in enumerate(self.reviews):
            here = f"reviews[{i}]"
            yield from person(f"{here}.subject", review.subject)
            yield from person(f"{here}.reviewer", review.reviewer)
            if review.cycle_id != self.cycle.id:
                yield UnknownReferenceError(
                    f"{here}.cycle_id", review.cycle_id, f"is not this cycle ({self.cycle.id!r})"
                )
            review_form = forms.get(review.form_id)
            if review_form is None:
                yield UnknownReferenceError(f"{here}.form_id", review.form_id, "is not a form")
                continue
            try:
                review_form.check(review, self.scales)
            except ValidationError as err:
                yield err.at(here)

    # --- derived views -----------------------------------------------------------------------

    @cached_property
    def _check_in_times(self) -> dict[str, tuple[datetime, ...]]:
        """Employee id → the times check-ins were recorded on goals that employee owns."""
        owner_of = {
            g.id: g.owner.id for g in self.goals.goals if g.owner.kind is OwnerKind.EMPLOYEE
        }
        times: defaultdict[str, list[datetime]] = defaultdict(list)
        for check_in in self.goals.check_ins:
            owner = owner_of.get(check_in.goal_id)
            if owner is not None:
                times[owner].append(check_in.at)
        return {k: tuple(sorted(ts)) for k, ts in sorted(times.items())}

    def participants(self, on: date) -> tuple[str, ...]:
        """Ids of the people employed on ``on`` who own a goal in this cycle, sorted."""
        owners = {
            g.owner.id
            for g in self.goals.goals
            if g.owner.kind is OwnerKind.EMPLOYEE and g.cycle_id in (None, self.cycle.id)
        }
        return tuple(
            sorted(e.id for e in self.organisation.employees if e.id in owners and e.is_active(on))
        )

    def due_checkins(self, on: date) -> tuple[DueCheckIn, ...]:
        """The check-in reminder list on ``on``: a person's check-in is any check-in recorded on
        a goal they own (by them, or by their manager in a one-on-one)."""
        return due_checkins(self.cycle, self.participants(on), self._check_in_times, on)

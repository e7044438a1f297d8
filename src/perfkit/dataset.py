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
from datetime import date, datetime, time
from functools import cached_property
from zoneinfo import ZoneInfo

import attrs

from . import _validation as v
from ._errors import DocumentError, NotFoundError, UnknownReferenceError, ValidationError
from .cycles import DueCheckIn, ReviewCycle, due_checkins
from .feedback import FeedbackLog
from .goals import Goal, GoalSet, GoalStatus, Owner, OwnerKind
from .org import Organisation
from .reviews import Review, ReviewForm
from .rollup import Progress
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

    @cached_property
    def _open_goal_start(self) -> dict[str, date]:
        """Employee id → the earliest start date of the goals they own in this cycle that are
        still open (not completed, missed or archived)."""
        first: dict[str, date] = {}
        for g in self.goals.goals:
            if g.owner.kind is not OwnerKind.EMPLOYEE or g.status in _CLOSED:
                continue
            if g.cycle_id not in (None, self.cycle.id):
                continue
            pid = g.owner.id
            if pid not in first or g.start_date < first[pid]:
                first[pid] = g.start_date
        return first

    def participants(self, on: date) -> tuple[str, ...]:
        """Ids of the people employed on ``on`` who own an open goal in this cycle, sorted."""
        owners = self._open_goal_start
        return tuple(
            sorted(e.id for e in self.organisation.employees if e.id in owners and e.is_active(on))
        )

    def due_checkins(self, on: date) -> tuple[DueCheckIn, ...]:
        """The check-in reminder list on ``on``.

        A person's check-in is any check-in recorded on a goal they own (by them, or by their
        manager in a one-on-one). People owe check-ins while they own an open goal (not completed,
        missed or archived) and are employed; cadence days before their hire date or before
        their first open goal starts do not count.
        """
        people = self.participants(on)
        org = self.organisation
        starts = {
            pid: max(org.employee(pid).hire_date, self._open_goal_start[pid]) for pid in people
        }
        return due_checkins(self.cycle, people, self._check_in_times, on, starts=starts)

    # --- lookups a host product needs --------------------------------------------------------

    def end_of_day(self, on: date) -> datetime:
        """The last moment of day ``on`` in the cycle's time zone: the ``as_of`` of a daily view."""
        day = _date(on)
        return datetime.combine(day, time.max, tzinfo=ZoneInfo(self.cycle.timezone))

    def progress(self, goal_id: str, on: date) -> Progress:
        """A goal's progress at the end of day ``on`` (in the cycle's time zone), explained."""
        return self.goals.progress(goal_id, as_of=self.end_of_day(on))

    def goals_of(self, employee_id: str) -> tuple[Goal, ...]:
        """The goals an employee owns in this cycle, by id."""
        self.organisation.employee(employee_id)
        return tuple(
            g
            for g in self.goals.goals_of(Owner(kind=OwnerKind.EMPLOYEE, id=employee_id))
            if g.cycle_id in (None, self.cycle.id)
        )

    def form(self, form_id: str) -> ReviewForm:
        """The review form with this id."""
        for f in self.forms:
            if f.id == form_id:
                return f
        raise NotFoundError("review form", form_id)

    def reviews_of(self, subject: str) -> tuple[Review, ...]:
        """The reviews whose subject is this employee, by id."""
        self.organisation.employee(subject)
        return tuple(sorted((r for r in self.reviews if r.subject == subject), key=lambda r: r.id))


_CLOSED = frozenset({GoalStatus.COMPLETED, GoalStatus.MISSED, GoalStatus.ARCHIVED})


def _date(value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError("on", value, "is not a date")
    return value

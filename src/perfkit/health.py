"""Process health: is the performance practice happening, and is it getting better?

Besides outcomes (ratings, pay), HR teams watch the *process metrics* of performance management —
the signs that the practice is alive, which a team uses to improve it:

* **check-in completion** against the cadence: of the check-ins due by a day, how many were done,
  how many late and by how many days on average (:func:`checkin_health`);
* **on-time review submission**: reviews handed in by their phase's deadline, late, or missing,
  per reviewer role, phase and unit (:func:`review_timeliness`);
* **feedback frequency and spread**: feedback events per person in a period, who got none, and
  the Gini coefficient of feedback received (:func:`feedback_spread`);
* **goal alignment**: the share of individual goals that serve a company goal, directly or
  through their team's goals (:func:`goal_alignment`);
* **trends** across cycles for a person, a manager's team or a unit: final ratings and check-in
  completion with the change from the previous cycle (:func:`rating_trend`,
  :func:`completion_trend`).

Every figure is given per person, per manager's team (their direct reports), per org unit (its
members and those of every unit below it) and for everyone, sorted by id; each is an immutable
record that serialises to JSON and explains itself as a sentence. The functions are pure: the
caller passes the day to look at (``on=``), the clock is never read.
"""

from __future__ import annotations

import bisect
import enum
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from . import _validation as v
from ._errors import NotFoundError, UnknownReferenceError, ValidationError
from .cycles import Phase, ReviewCycle
from .dataset import CycleData
from .events import WorkflowEvent
from .feedback import (
    Constructive,
    FeedbackLog,
    FeedbackRequest,
    FeedbackResponse,
    Note,
    Praise,
)
from .goals import GoalSet, GoalStatus, OwnerKind
from .org import Organisation
from .reviews import ReviewerRole, ReviewStatus
from .scales import ScaleRef

if TYPE_CHECKING:  # run imports the whole cycle machinery; it may import this module one day
    from .run import CycleResult

__all__ = [
    "ALL",
    "AlignmentFigures",
    "CheckInFigures",
    "CheckInHealth",
    "DEFAULT_FEEDBACK_KINDS",
    "FeedbackFigures",
    "FeedbackSpread",
    "GoalAlignment",
    "HealthReport",
    "HealthScope",
    "ReviewSubmission",
    "ReviewTimeliness",
    "ReviewTiming",
    "SubmissionFigures",
    "Trend",
    "TrendMetric",
    "TrendPoint",
    "checkin_health",
    "completion_trend",
    "feedback_spread",
    "gini_coefficient",
    "goal_alignment",
    "health_report",
    "rating_trend",
    "review_timeliness",
]

T = TypeVar("T")

ALL = "all"
"""The id of the figure that covers everyone (scope ``all``)."""

DEFAULT_FEEDBACK_KINDS: tuple[str, ...] = (
    Constructive.kind,
    FeedbackResponse.kind,
    Praise.kind,
)
"""The feedback events that count as feedback *received*: praise, constructive feedback and
answers to feedback requests. One-on-one notes (a manager's own record) and the requests
themselves are left out unless asked for."""

_FEEDBACK_KINDS = frozenset(
    {Praise.kind, Constructive.kind, Note.kind, FeedbackRequest.kind, FeedbackResponse.kind}
)


class HealthScope(enum.StrEnum):
    """Whom a figure covers: one employee, a manager's team (their direct reports, by the
    manager's id), an org unit with every unit below it, the reviews of one reviewer role or
    one phase, or everyone (id ``all``)."""

    EMPLOYEE = "employee"
    TEAM = "team"
    UNIT = "unit"
    ROLE = "role"
    PHASE = "phase"
    ALL = "all"


def _to_scope(value: Any) -> Any:
    return v.as_enum(HealthScope, value)


def _n(count: int, noun: str) -> str:
    """``1 person``, ``2 people``, ``1 review``, ``3 reviews``."""
    if noun == "people":
        return f"{count} {'person' if count == 1 else 'people'}"
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _who(scope: HealthScope, key: str, size: int, noun: str = "people") -> str:
    """How a figure names whom it covers: ``team of e0001 (6 people)``."""
    if scope is HealthScope.EMPLOYEE:
        return key
    if scope is HealthScope.TEAM:
        return f"team of {key} ({_n(size, noun)})"
    if scope is HealthScope.UNIT:
        return f"unit {key} ({_n(size, noun)})"
    if scope is HealthScope.ROLE:
        return f"{key} reviews ({size})"
    if scope is HealthScope.PHASE:
        return f"{key} phase ({_n(size, 'review')})"
    return f"everyone ({_n(size, noun)})"


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _not_more(inst: Any, name: str, other: str) -> None:
    """Cross-field check: ``name`` is at most ``other`` (a part is not more than its whole)."""
    value, limit = getattr(inst, name), getattr(inst, other)
    if value > limit:
        raise ValidationError(name, value, f"is more than {other} {limit}")


def _grace(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.instance_of(int)(_inst, attribute, value)
    v.between(0, 366)(_inst, attribute, value)


# --- check-in completion ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CheckInFigures:
    """Check-in completion of one scope by day ``on``.

    ``due`` counts the cadence days each person owed a check-in on, ``done`` those a check-in
    satisfied by ``on`` (a check-in on the day or later), ``late`` those satisfied after the day
    (``days_late`` sums by how many days), ``overdue`` those of them satisfied more than the
    cycle's ``grace_days`` late. ``people`` is how many people the figure covers.
    """

    scope: HealthScope = attrs.field(converter=_to_scope, validator=v.enum_member(HealthScope))
    id: str = attrs.field(validator=v.identifier)
    on: date = attrs.field(validator=v.a_date)
    grace_days: int = attrs.field(validator=_grace)
    people: int = attrs.field(validator=v.count)
    due: int = attrs.field(validator=v.count)
    done: int = attrs.field(validator=v.count)
    late: int = attrs.field(validator=v.count)
    overdue: int = attrs.field(validator=v.count)
    days_late: int = attrs.field(validator=v.count)

    def __attrs_post_init__(self) -> None:
        _not_more(self, "done", "due")
        _not_more(self, "late", "done")
        _not_more(self, "overdue", "late")
        least = self.late + self.overdue * self.grace_days
        if self.days_late < least:
            raise ValidationError(
                "days_late",
                self.days_late,
                f"is less than {least}: each late check-in is a day late or more, each overdue "
                f"one more than {self.grace_days} days",
            )
        if self.late == 0 and self.days_late:
            raise ValidationError("days_late", self.days_late, "is not 0 with no late check-in")

    @property
    def missing(self) -> int:
        """Check-ins due by ``on`` that no check-in satisfied."""
        return self.due - self.done

    @property
    def on_time(self) -> int:
        """Check-ins done on their cadence day."""
        return self.done - self.late

    @property
    def completion(self) -> float | None:
        """``done / due``, from 0 to 1; ``None`` when nothing was due."""
        return self.done / self.due if self.due else None

    @property
    def mean_days_late(self) -> float | None:
        """How many days late the late check-ins were, on average (``None`` when none was)."""
        return self.days_late / self.late if self.late else None

    def explain(self) -> str:
        """The figure as a sentence."""
        who = _who(self.scope, self.id, self.people)
        if not self.due:
            return f"{who}: no check-ins due by {self.on}"
        assert self.completion is not None
        text = (
            f"{who}: {self.done} of {self.due} check-ins due by {self.on} done "
            f"({_pct(self.completion)})"
        )
        if self.late:
            text += f"; {self.late} late, by {self.days_late / self.late:.1f} days on average"
            if self.overdue:
                text += f" ({self.overdue} more than the {self.grace_days} grace days)"
        elif self.done:
            text += "; none late"
        if self.missing:
            text += f"; {self.missing} missing"
        return text


def _find(rows: tuple[T, ...], key: object, what: str) -> T:
    if not isinstance(key, str):
        raise ValidationError("id", key, "is not a string id")
    for row in rows:
        if row.id == key:  # type: ignore[attr-defined]
            return row
    raise NotFoundError(what, key)


@attrs.frozen(kw_only=True)
class CheckInHealth:
    """Check-in completion of a cycle by day ``on``: per person, per manager's team, per org
    unit (with its subunits) and for everyone, each list by id.

    ``cadence`` is the cycle's check-in RRULE (``None``: no cadence, so nothing is due).
    """

    cycle_id: str = attrs.field(validator=v.identifier)
    on: date = attrs.field(validator=v.a_date)
    cadence: str | None = attrs.field(validator=v.optional(v.text))
    people: tuple[CheckInFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(CheckInFigures))
    )
    teams: tuple[CheckInFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(CheckInFigures))
    )
    units: tuple[CheckInFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(CheckInFigures))
    )
    overall: CheckInFigures = attrs.field(validator=v.instance_of(CheckInFigures))

    def person(self, employee_id: str) -> CheckInFigures:
        """One person's figure (:class:`~perfkit.NotFoundError` if they owe no check-ins)."""
        return _find(self.people, employee_id, "check-in participant")

    def team(self, manager_id: str) -> CheckInFigures:
        """The figure of a manager's direct reports."""
        return _find(self.teams, manager_id, "team manager")

    def unit(self, unit_id: str) -> CheckInFigures:
        """The figure of an org unit and the units below it."""
        return _find(self.units, unit_id, "unit")

    def explain(self) -> str:
        return f"cycle {self.cycle_id}, {self.overall.explain()}"


def _check_data(data: object) -> CycleData:
    if not isinstance(data, CycleData):
        raise ValidationError("data", data, "is not a CycleData")
    return data


def _check_day(name: str, value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(name, value, "is not a date")
    return value


def _local_day(at: datetime, zone: ZoneInfo, where: str) -> date:
    try:
        return at.astimezone(zone).date()
    except OverflowError:
        raise ValidationError(where, at, f"falls outside the calendar in {zone.key}") from None


def _cadence_days(cycle: ReviewCycle, day: date) -> tuple[date, ...]:
    """The cadence days from the check_ins phase start (the cycle start without that phase) to
    ``day``, never past the phase (or cycle) end — the days :func:`~perfkit.due_checkins`
    counts."""
    if cycle.cadence is None:
        return ()
    window = cycle.window(Phase.CHECK_INS)
    first, last = (cycle.start, cycle.end) if window is None else (window.start, window.end)
    if day < first:
        return ()
    return cycle.cadence.occurrences(first, min(last, day))


_Tally = tuple[int, int, int, int, int]  # due, done, late, overdue, days late


def _tally(days: Sequence[date], start: date, done_on: Sequence[date], grace: int) -> _Tally:
    """One person's check-in counts: each cadence day from ``start`` is satisfied by the first
    check-in day on or after it (``done_on`` is sorted and ends by the report day)."""
    due = done = late = overdue = days_late = 0
    for day in days[bisect.bisect_left(days, start) :]:
        due += 1
        at = bisect.bisect_left(done_on, day)
        if at == len(done_on):
            continue
        done += 1
        lag = (done_on[at] - day).days
        if lag:
            late += 1
            days_late += lag
            if lag > grace:
                overdue += 1
    return due, done, late, overdue, days_late


def _sum_tallies(tallies: Iterable[_Tally]) -> _Tally:
    total = [0, 0, 0, 0, 0]
    for t in tallies:
        for i, x in enumerate(t):
            total[i] += x
    return total[0], total[1], total[2], total[3], total[4]


class _Groups:
    """Who is in which team and unit, for a set of people of an organisation."""

    def __init__(self, organisation: Organisation, people: Iterable[str]) -> None:
        self.people = sorted(set(people))
        self.teams: dict[str, list[str]] = {}
        self.units: dict[str, list[str]] = {}
        paths: dict[str, tuple[str, ...]] = {}
        for pid in self.people:
            person = organisation.employee(pid)
            if person.manager_id is not None:
                self.teams.setdefault(person.manager_id, []).append(pid)
            path = paths.get(person.unit_id)
            if path is None:
                path = tuple(u.id for u in organisation.unit_path(person.unit_id))
                paths[person.unit_id] = path
            for unit_id in path:
                self.units.setdefault(unit_id, []).append(pid)

    def build(
        self, make: Callable[[HealthScope, str, list[str]], T]
    ) -> tuple[tuple[T, ...], tuple[T, ...], tuple[T, ...], T]:
        """People, teams, units (each by id) and everyone, each made by ``make``."""
        return (
            tuple(make(HealthScope.EMPLOYEE, pid, [pid]) for pid in self.people),
            tuple(make(HealthScope.TEAM, k, m) for k, m in sorted(self.teams.items())),
            tuple(make(HealthScope.UNIT, k, m) for k, m in sorted(self.units.items())),
            make(HealthScope.ALL, ALL, self.people),
        )


def checkin_health(data: CycleData, *, on: date) -> CheckInHealth:
    """Check-in completion and lateness against the cycle's cadence, by day ``on``.

    The rule is the reminder list's (:meth:`~perfkit.CycleData.due_checkins`): the people who
    owe check-ins are those employed on ``on`` who own an open goal in the cycle; a person's
    check-ins are those recorded on goals they own (by them, or by their manager in a
    one-on-one), counted on their local day in the cycle's time zone; the cadence falls from the
    check_ins phase start (or the cycle start) to ``on``, never past the phase end; days before
    a person's hire date or first open goal do not count. A cadence day is *done* when a
    check-in falls on it or later (by ``on``), *late* when that check-in came after the day, and
    *overdue* when it came more than the cycle's grace days after it. Unlike the reminder list,
    the figures do not stop when the phase ends: they cover the whole phase.
    """
    data = _check_data(data)
    day = _check_day("on", on)
    cycle = data.cycle
    zone = ZoneInfo(cycle.timezone)
    org = data.organisation
    people = data.participants(day)
    # The dataset's own indexes, so that the rule is exactly the reminder list's.
    first_goal = data._open_goal_start
    times = data._check_in_times
    days = _cadence_days(cycle, day)
    tallies: dict[str, _Tally] = {}
    for pid in people:
        local = sorted(
            {
                d
                for d in (_local_day(t, zone, "goals.check_ins") for t in times.get(pid, ()))
                if d <= day
            }
        )
        start = max(org.employee(pid).hire_date, first_goal[pid])
        tallies[pid] = _tally(days, start, local, cycle.grace_days)

    def make(scope: HealthScope, key: str, members: list[str]) -> CheckInFigures:
        due, done, late, overdue, days_late = _sum_tallies(tallies[m] for m in members)
        return CheckInFigures(
            scope=scope,
            id=key,
            on=day,
            grace_days=cycle.grace_days,
            people=len(members),
            due=due,
            done=done,
            late=late,
            overdue=overdue,
            days_late=days_late,
        )

    rows, teams, units, overall = _Groups(org, people).build(make)
    return CheckInHealth(
        cycle_id=cycle.id,
        on=day,
        cadence=None if cycle.cadence is None else cycle.cadence.rrule,
        people=rows,
        teams=teams,
        units=units,
        overall=overall,
    )


# --- on-time review submission ------------------------------------------------------------


class ReviewTiming(enum.StrEnum):
    """Where a review stands against its phase's deadline on the report day.

    ``on_time``: submitted on or before the deadline; ``late``: submitted after it; ``missing``:
    not submitted and the deadline has passed; ``pending``: not submitted, the deadline still
    ahead; ``undated``: submitted (by its status) but no submission event says when.
    """

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    PENDING = "pending"
    UNDATED = "undated"


def _to_timing(value: Any) -> Any:
    return v.as_enum(ReviewTiming, value)


def _to_role(value: Any) -> Any:
    return v.as_enum(ReviewerRole, value)


def _to_phase(value: Any) -> Any:
    return v.as_enum(Phase, value)


_PHASE_OF_ROLE: Mapping[ReviewerRole, Phase] = {
    ReviewerRole.SELF: Phase.SELF_REVIEW,
    ReviewerRole.PEER: Phase.PEER_REVIEW,
    ReviewerRole.UPWARD: Phase.PEER_REVIEW,
    ReviewerRole.MANAGER: Phase.MANAGER_REVIEW,
}
"""The phase each reviewer role's review belongs to, as in the review workflow's phase gating
(upward reviews run with peer ones)."""


@attrs.frozen(kw_only=True)
class ReviewSubmission:
    """One review against its deadline: the last day of its phase (``phase``), in the cycle's
    time zone. ``unit_id`` is the reviewer's unit; ``submitted_on`` the local day of the
    submission, when it was submitted by the report day and an event says when."""

    review_id: str = attrs.field(validator=v.identifier)
    reviewer: str = attrs.field(validator=v.identifier)
    subject: str = attrs.field(validator=v.identifier)
    role: ReviewerRole = attrs.field(converter=_to_role, validator=v.enum_member(ReviewerRole))
    phase: Phase = attrs.field(converter=_to_phase, validator=v.enum_member(Phase))
    unit_id: str = attrs.field(validator=v.identifier)
    deadline: date = attrs.field(validator=v.a_date)
    submitted_on: date | None = attrs.field(default=None, validator=v.optional(v.a_date))
    timing: ReviewTiming = attrs.field(converter=_to_timing, validator=v.enum_member(ReviewTiming))

    def __attrs_post_init__(self) -> None:
        dated = self.timing in (ReviewTiming.ON_TIME, ReviewTiming.LATE)
        if dated and self.submitted_on is None:
            raise ValidationError(
                "submitted_on", None, f"is required for a review that is {self.timing.value}"
            )
        if not dated and self.submitted_on is not None:
            raise ValidationError(
                "submitted_on", self.submitted_on, f"is set for a {self.timing.value} review"
            )
        if self.submitted_on is not None:
            after = self.submitted_on > self.deadline
            if after != (self.timing is ReviewTiming.LATE):
                side = "after" if after else "not after"
                raise ValidationError(
                    "timing",
                    self.timing.value,
                    f"does not fit a submission {side} the deadline {self.deadline}",
                )

    @property
    def days_late(self) -> int | None:
        """Days after the deadline it was submitted (0 when on time; ``None`` when undated or
        not submitted)."""
        if self.submitted_on is None:
            return None
        return max(0, (self.submitted_on - self.deadline).days)

    def explain(self) -> str:
        what = f"{self.role.value} review {self.review_id} of {self.subject} by {self.reviewer}"
        deadline = f"the {self.phase.value} deadline {self.deadline}"
        t = self.timing
        if t is ReviewTiming.ON_TIME:
            return f"{what}: submitted on {self.submitted_on}, by {deadline}"
        if t is ReviewTiming.LATE:
            late = _n(self.days_late or 0, "day")
            return f"{what}: submitted on {self.submitted_on}, {late} after {deadline}"
        if t is ReviewTiming.MISSING:
            return f"{what}: not submitted, {deadline} has passed"
        if t is ReviewTiming.PENDING:
            return f"{what}: not submitted yet, {deadline} is still ahead"
        return f"{what}: submitted, but no submission event says when"


@attrs.frozen(kw_only=True)
class SubmissionFigures:
    """On-time review submission of one scope on day ``on``: how many ``reviews``, and how many
    of them ``on_time``, ``late`` (``days_late`` summed over them), ``missing``, ``pending`` and
    ``undated`` (see :class:`ReviewTiming`)."""

    scope: HealthScope = attrs.field(converter=_to_scope, validator=v.enum_member(HealthScope))
    id: str = attrs.field(validator=v.identifier)
    on: date = attrs.field(validator=v.a_date)
    reviews: int = attrs.field(validator=v.count)
    on_time: int = attrs.field(validator=v.count)
    late: int = attrs.field(validator=v.count)
    missing: int = attrs.field(validator=v.count)
    pending: int = attrs.field(validator=v.count)
    undated: int = attrs.field(validator=v.count)
    days_late: int = attrs.field(validator=v.count)

    def __attrs_post_init__(self) -> None:
        total = self.on_time + self.late + self.missing + self.pending + self.undated
        if total != self.reviews:
            raise ValidationError(
                "reviews",
                self.reviews,
                f"is not on_time + late + missing + pending + undated ({total})",
            )
        if self.days_late < self.late:
            raise ValidationError(
                "days_late",
                self.days_late,
                f"is less than late {self.late}: each late review is a day late or more",
            )
        if self.late == 0 and self.days_late:
            raise ValidationError("days_late", self.days_late, "is not 0 with no late review")

    @property
    def decided(self) -> int:
        """Reviews whose timing is settled: on time, late, or missing past the deadline."""
        return self.on_time + self.late + self.missing

    @property
    def on_time_rate(self) -> float | None:
        """``on_time / decided``, from 0 to 1 (``None`` when no review is decided yet)."""
        return self.on_time / self.decided if self.decided else None

    @property
    def mean_days_late(self) -> float | None:
        """How many days late the late reviews were, on average (``None`` when none was)."""
        return self.days_late / self.late if self.late else None

    def explain(self) -> str:
        who = _who(self.scope, self.id, self.reviews, "review")
        if not self.reviews:
            return f"{who}: no reviews on {self.on}"
        parts = []
        if self.decided:
            assert self.on_time_rate is not None
            parts.append(
                f"{self.on_time} of {self.decided} on time ({_pct(self.on_time_rate)}) on {self.on}"
            )
        if self.late:
            parts.append(f"{self.late} late, by {self.days_late / self.late:.1f} days on average")
        if self.missing:
            parts.append(f"{self.missing} missing")
        if self.pending:
            parts.append(f"{self.pending} not due yet")
        if self.undated:
            parts.append(f"{self.undated} submitted without a date")
        return f"{who}: " + "; ".join(parts)


@attrs.frozen(kw_only=True)
class ReviewTimeliness:
    """On-time review submission of a cycle on day ``on``: every review (by id), and the
    figures per reviewer role, per phase, per org unit of the reviewer (with its subunits) and
    for everyone."""

    cycle_id: str = attrs.field(validator=v.identifier)
    on: date = attrs.field(validator=v.a_date)
    reviews: tuple[ReviewSubmission, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(ReviewSubmission))
    )
    roles: tuple[SubmissionFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(SubmissionFigures))
    )
    phases: tuple[SubmissionFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(SubmissionFigures))
    )
    units: tuple[SubmissionFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(SubmissionFigures))
    )
    overall: SubmissionFigures = attrs.field(validator=v.instance_of(SubmissionFigures))

    def review(self, review_id: str) -> ReviewSubmission:
        """One review's timing (:class:`~perfkit.NotFoundError` if the cycle has no such
        review)."""
        if not isinstance(review_id, str):
            raise ValidationError("review_id", review_id, "is not a string id")
        for r in self.reviews:
            if r.review_id == review_id:
                return r
        raise NotFoundError("review", review_id)

    def role(self, role: ReviewerRole | str) -> SubmissionFigures:
        """The figure of one reviewer role (``self``, ``manager``, ``peer``, ``upward``)."""
        return _find(self.roles, str(role), "reviewer role with reviews")

    def phase(self, phase: Phase | str) -> SubmissionFigures:
        """The figure of the reviews due in one phase."""
        return _find(self.phases, str(phase), "review phase with reviews")

    def unit(self, unit_id: str) -> SubmissionFigures:
        return _find(self.units, unit_id, "unit")

    def explain(self) -> str:
        return f"cycle {self.cycle_id}, {self.overall.explain()}"


def _collection(name: str, value: object) -> tuple[Any, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(name, value, "is not a collection (a list, a tuple)")
    return tuple(value)


def _submission_days(events: object, zone: ZoneInfo) -> dict[str, date]:
    """Review id → the local day of its earliest ``submitted`` event."""
    found: dict[str, datetime] = {}
    for i, event in enumerate(_collection("events", events)):
        if not isinstance(event, WorkflowEvent):
            raise ValidationError(f"events[{i}]", event, "is not a WorkflowEvent")
        if event.subject_type != "review" or event.to_state != ReviewStatus.SUBMITTED.value:
            continue
        earlier = found.get(event.subject_id)
        if earlier is None or event.at < earlier:
            found[event.subject_id] = event.at
    return {
        key: _local_day(at, zone, f"events (review {key!r})") for key, at in sorted(found.items())
    }


def review_timeliness(
    data: CycleData, events: Iterable[WorkflowEvent] = (), *, on: date
) -> ReviewTimeliness:
    """On-time review submission in the cycle on day ``on``.

    Every review of the data counts (a host creates the draft when it assigns a reviewer). Its
    deadline is the last day of its phase — self reviews the self_review phase, peer and upward
    reviews the peer_review phase, manager reviews the manager_review phase — or the cycle's
    last day when the cycle has no such phase. When it was submitted comes from the review
    workflow's events (``Review.submit`` returns them): the earliest event that moved the review
    to ``submitted``, on its local day in the cycle's time zone; events after ``on`` have not
    happened yet, and events of other subjects or other reviews are ignored, so a host may pass
    its whole event log. A review submitted by its status but without an event is ``undated``.
    """
    data = _check_data(data)
    day = _check_day("on", on)
    cycle = data.cycle
    zone = ZoneInfo(cycle.timezone)
    submitted = _submission_days(events, zone)
    org = data.organisation
    rows: list[ReviewSubmission] = []
    for review in sorted(data.reviews, key=lambda r: r.id):
        phase = _PHASE_OF_ROLE[review.role]
        window = cycle.window(phase)
        deadline = cycle.end if window is None else window.end
        when = submitted.get(review.id)
        if when is not None and when > day:
            when = None
            timing = ReviewTiming.MISSING if day > deadline else ReviewTiming.PENDING
        elif when is not None:
            timing = ReviewTiming.ON_TIME if when <= deadline else ReviewTiming.LATE
        elif review.status is ReviewStatus.DRAFT:
            timing = ReviewTiming.MISSING if day > deadline else ReviewTiming.PENDING
        else:
            timing = ReviewTiming.UNDATED
        rows.append(
            ReviewSubmission(
                review_id=review.id,
                reviewer=review.reviewer,
                subject=review.subject,
                role=review.role,
                phase=phase,
                unit_id=org.employee(review.reviewer).unit_id,
                deadline=deadline,
                submitted_on=when,
                timing=timing,
            )
        )

    def make(
        scope: HealthScope, key: str, members: Sequence[ReviewSubmission]
    ) -> SubmissionFigures:
        count = dict.fromkeys(ReviewTiming, 0)
        for m in members:
            count[m.timing] += 1
        return SubmissionFigures(
            scope=scope,
            id=key,
            on=day,
            reviews=len(members),
            on_time=count[ReviewTiming.ON_TIME],
            late=count[ReviewTiming.LATE],
            missing=count[ReviewTiming.MISSING],
            pending=count[ReviewTiming.PENDING],
            undated=count[ReviewTiming.UNDATED],
            days_late=sum(m.days_late or 0 for m in members),
        )

    by_role: dict[str, list[ReviewSubmission]] = {}
    by_phase: dict[str, list[ReviewSubmission]] = {}
    by_unit: dict[str, list[ReviewSubmission]] = {}
    paths: dict[str, tuple[str, ...]] = {}
    for row in rows:
        by_role.setdefault(row.role.value, []).append(row)
        by_phase.setdefault(row.phase.value, []).append(row)
        path = paths.get(row.unit_id)
        if path is None:
            path = paths[row.unit_id] = tuple(u.id for u in org.unit_path(row.unit_id))
        for unit_id in path:
            by_unit.setdefault(unit_id, []).append(row)
    return ReviewTimeliness(
        cycle_id=cycle.id,
        on=day,
        reviews=rows,
        roles=[make(HealthScope.ROLE, k, m) for k, m in sorted(by_role.items())],
        phases=[make(HealthScope.PHASE, k, m) for k, m in sorted(by_phase.items())],
        units=[make(HealthScope.UNIT, k, m) for k, m in sorted(by_unit.items())],
        overall=make(HealthScope.ALL, ALL, rows),
    )


# --- feedback frequency and spread ----------------------------------------------------------


def gini_coefficient(values: Iterable[int | float]) -> float | None:
    """The Gini coefficient of non-negative amounts: 0 when everyone has the same, toward 1
    when one has everything (at most ``(n - 1) / n`` for ``n`` amounts).

    ``G = Σᵢ Σⱼ |xᵢ - xⱼ| / (2 n² mean)``, computed exactly (as a fraction) from the sorted
    amounts as ``Σᵢ (2i - n - 1) x₍ᵢ₎ / (n Σ x)``. ``None`` when there are no amounts or they are
    all zero (the spread of nothing is not defined).
    """
    items = _collection("values", values)
    exact: list[Fraction] = []
    for i, x in enumerate(items):
        if isinstance(x, bool) or not isinstance(x, int | float):
            raise ValidationError(f"values[{i}]", x, "is not a number")
        if isinstance(x, float) and not math.isfinite(x):
            raise ValidationError(f"values[{i}]", x, "is not a finite number")
        if x < 0:
            raise ValidationError(f"values[{i}]", x, "is negative")
        exact.append(Fraction(x))
    exact.sort()
    n = len(exact)
    total = sum(exact, Fraction(0))
    if n == 0 or total == 0:
        return None
    weighted = sum(((2 * i - n - 1) * x for i, x in enumerate(exact, start=1)), Fraction(0))
    return float(weighted / (n * total))


def _gini(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        v.finite_float(_inst, attribute, value)
        v.between(0, 1)(_inst, attribute, value)


def _optional_float(value: Any) -> Any:
    return None if value is None else v.as_float(value)


@attrs.frozen(kw_only=True)
class FeedbackFigures:
    """Feedback received by one scope from ``start`` to ``end`` (both days included).

    ``events`` counts the feedback events about the ``people`` covered; ``without`` lists, by
    id, those who received none (for their manager to act on); ``gini`` is the Gini coefficient
    of the events received per person (0: everyone got as many; toward 1: a few got them all;
    ``None`` when nobody got any).
    """

    scope: HealthScope = attrs.field(converter=_to_scope, validator=v.enum_member(HealthScope))
    id: str = attrs.field(validator=v.identifier)
    start: date = attrs.field(validator=v.a_date)
    end: date = attrs.field(validator=v.a_date)
    people: int = attrs.field(validator=v.count)
    events: int = attrs.field(validator=v.count)
    without: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.identifier)
    )
    gini: float | None = attrs.field(default=None, converter=_optional_float, validator=_gini)

    def __attrs_post_init__(self) -> None:
        v.ordered("start", "end")(self)
        if self.events and not self.people:
            raise ValidationError("events", self.events, "are counted for nobody (people is 0)")
        if len(self.without) > self.people:
            raise ValidationError(
                "without", len(self.without), f"lists more people than the {self.people} covered"
            )
        if list(self.without) != sorted(set(self.without)):
            raise ValidationError("without", self.without, "is not sorted by id without repeats")
        if self.people and len(self.without) == self.people and self.events:
            raise ValidationError(
                "without", len(self.without), f"is everyone, yet there are {self.events} events"
            )
        if (self.gini is None) != (self.events == 0):
            raise ValidationError(
                "gini", self.gini, "is required when there are events, and only then"
            )

    @property
    def per_person(self) -> float | None:
        """Feedback events per person (``None`` when the figure covers nobody)."""
        return self.events / self.people if self.people else None

    @property
    def share_without(self) -> float | None:
        """The share of people who received no feedback, from 0 to 1."""
        return len(self.without) / self.people if self.people else None

    def explain(self) -> str:
        period = f"from {self.start} to {self.end}"
        if self.scope is HealthScope.EMPLOYEE:
            noun = "event" if self.events == 1 else "events"
            return f"{self.id}: {self.events} feedback {noun} received {period}"
        who = _who(self.scope, self.id, self.people)
        if not self.people:
            return f"{who}: nobody to receive feedback {period}"
        text = (
            f"{who}: {self.events} feedback events received {period}, "
            f"{self.events / self.people:.1f} per person"
        )
        if self.without:
            shown = ", ".join(self.without[:10]) + (", ..." if len(self.without) > 10 else "")
            text += (
                f"; {len(self.without)} ({_pct(len(self.without) / self.people)}) got none: {shown}"
            )
        else:
            text += "; everyone got some"
        if self.gini is not None:
            text += f"; spread (Gini) {self.gini:.2f}"
        return text


@attrs.frozen(kw_only=True)
class FeedbackSpread:
    """Feedback frequency and spread from ``start`` to ``end``: per person, per manager's team,
    per org unit (with its subunits) and for everyone. ``kinds`` are the event kinds counted."""

    start: date = attrs.field(validator=v.a_date)
    end: date = attrs.field(validator=v.a_date)
    kinds: tuple[str, ...] = attrs.field(converter=v.tuple_of, validator=v.each(v.identifier))
    people: tuple[FeedbackFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(FeedbackFigures))
    )
    teams: tuple[FeedbackFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(FeedbackFigures))
    )
    units: tuple[FeedbackFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(FeedbackFigures))
    )
    overall: FeedbackFigures = attrs.field(validator=v.instance_of(FeedbackFigures))

    def person(self, employee_id: str) -> FeedbackFigures:
        return _find(self.people, employee_id, "employee in the period")

    def team(self, manager_id: str) -> FeedbackFigures:
        return _find(self.teams, manager_id, "team manager")

    def unit(self, unit_id: str) -> FeedbackFigures:
        return _find(self.units, unit_id, "unit")

    def explain(self) -> str:
        return f"{self.overall.explain()} (counting {', '.join(self.kinds)})"


def _kinds(kinds: object) -> tuple[str, ...]:
    items = _collection("kinds", kinds)
    found: set[str] = set()
    options = ", ".join(repr(k) for k in sorted(_FEEDBACK_KINDS))
    for i, k in enumerate(items):
        tag = getattr(k, "kind", None) if isinstance(k, type) else k
        if not isinstance(tag, str) or tag not in _FEEDBACK_KINDS:
            raise ValidationError(f"kinds[{i}]", k, f"is not a kind of feedback (one of {options})")
        found.add(tag)
    if not found:
        raise ValidationError("kinds", items, "is empty; count at least one kind of feedback")
    return tuple(sorted(found))


def _zone(name: str, value: object) -> ZoneInfo:
    if not isinstance(value, str) or value == "localtime":
        raise ValidationError(name, value, "is not an IANA time zone name (like 'Europe/Berlin')")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            name, value, "is not an IANA time zone name (like 'Europe/Berlin')"
        ) from None


def feedback_spread(
    organisation: Organisation,
    log: FeedbackLog,
    *,
    start: date,
    end: date,
    timezone: str = "UTC",
    kinds: Iterable[str | type] = DEFAULT_FEEDBACK_KINDS,
) -> FeedbackSpread:
    """Feedback frequency and its spread from ``start`` to ``end`` (both included).

    The people covered are those employed on ``end``; an event counts for its subject when its
    kind is in ``kinds`` (tags such as ``"praise"`` or the classes; by default praise,
    constructive feedback and answers to feedback requests) and its local day in ``timezone``
    falls in the period. Per person, per manager's team, per unit and for everyone: events per
    person, who got none, and the Gini coefficient of events received.
    """
    if not isinstance(organisation, Organisation):
        raise ValidationError("organisation", organisation, "is not an Organisation")
    if not isinstance(log, FeedbackLog):
        raise ValidationError("log", log, "is not a FeedbackLog")
    first = _check_day("start", start)
    last = _check_day("end", end)
    if last < first:
        raise ValidationError("end", last, f"is before start {first}")
    zone = _zone("timezone", timezone)
    wanted = _kinds(kinds)
    people = [e.id for e in organisation.employees if e.is_active(last)]
    received = dict.fromkeys(people, 0)
    for i, event in enumerate(log.events):
        if event.kind not in wanted or event.subject not in received:
            continue
        if first <= _local_day(event.at, zone, f"log.events[{i}].at") <= last:
            received[event.subject] += 1

    def make(scope: HealthScope, key: str, members: list[str]) -> FeedbackFigures:
        counts = [received[m] for m in members]
        return FeedbackFigures(
            scope=scope,
            id=key,
            start=first,
            end=last,
            people=len(members),
            events=sum(counts),
            without=[m for m in members if not received[m]],
            gini=gini_coefficient(counts),
        )

    rows, teams, units, overall = _Groups(organisation, people).build(make)
    return FeedbackSpread(
        start=first, end=last, kinds=wanted, people=rows, teams=teams, units=units, overall=overall
    )


# --- goal alignment -----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AlignmentFigures:
    """How many of one scope's individual ``goals`` are ``aligned`` to a company goal (directly
    or through other goals); ``unaligned`` lists the others' ids."""

    scope: HealthScope = attrs.field(converter=_to_scope, validator=v.enum_member(HealthScope))
    id: str = attrs.field(validator=v.identifier)
    people: int = attrs.field(validator=v.count)
    goals: int = attrs.field(validator=v.count)
    aligned: int = attrs.field(validator=v.count)
    unaligned: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.identifier)
    )

    def __attrs_post_init__(self) -> None:
        _not_more(self, "aligned", "goals")
        if len(self.unaligned) != self.goals - self.aligned:
            raise ValidationError(
                "unaligned",
                len(self.unaligned),
                f"is not goals - aligned ({self.goals - self.aligned})",
            )
        if list(self.unaligned) != sorted(set(self.unaligned)):
            raise ValidationError("unaligned", self.unaligned, "is not sorted by id")

    @property
    def share(self) -> float | None:
        """``aligned / goals``, from 0 to 1 (``None`` without goals)."""
        return self.aligned / self.goals if self.goals else None

    def explain(self) -> str:
        who = _who(self.scope, self.id, self.people)
        if not self.goals:
            return f"{who}: no individual goals"
        assert self.share is not None
        text = (
            f"{who}: {self.aligned} of {self.goals} individual goals aligned to a company goal "
            f"({_pct(self.share)})"
        )
        if self.unaligned:
            shown = ", ".join(self.unaligned[:10]) + (", ..." if len(self.unaligned) > 10 else "")
            text += f"; not aligned: {shown}"
        return text


@attrs.frozen(kw_only=True)
class GoalAlignment:
    """The share of individual goals aligned to a company goal, per person, per manager's
    team, per org unit (with its subunits) and for everyone. ``cycle_id`` is the cycle looked
    at (``None``: every goal of the set)."""

    cycle_id: str | None = attrs.field(validator=v.optional(v.identifier))
    people: tuple[AlignmentFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(AlignmentFigures))
    )
    teams: tuple[AlignmentFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(AlignmentFigures))
    )
    units: tuple[AlignmentFigures, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(AlignmentFigures))
    )
    overall: AlignmentFigures = attrs.field(validator=v.instance_of(AlignmentFigures))

    def person(self, employee_id: str) -> AlignmentFigures:
        return _find(self.people, employee_id, "goal owner")

    def team(self, manager_id: str) -> AlignmentFigures:
        return _find(self.teams, manager_id, "team manager")

    def unit(self, unit_id: str) -> AlignmentFigures:
        return _find(self.units, unit_id, "unit")

    def explain(self) -> str:
        return self.overall.explain()


def _serves_company(goals: GoalSet) -> dict[str, bool]:
    """Goal id → whether it is a live company goal or aligns, through live goals, to one.

    Archived goals no longer apply: they serve nothing, and nothing serves a company goal
    through them. Iterative (a deep cascade is fine); the set's alignment has no loops.
    """
    by_id = {g.id: g for g in goals.goals}
    memo: dict[str, bool] = {}
    for root in sorted(by_id):
        stack = [root]
        while stack:
            node = stack[-1]
            if node in memo:
                stack.pop()
                continue
            goal = by_id[node]
            if goal.status is GoalStatus.ARCHIVED:
                memo[node] = False
            elif goal.owner.kind is OwnerKind.COMPANY:
                memo[node] = True
            else:
                pending = [a.parent_id for a in goal.aligns_to if a.parent_id not in memo]
                if pending:
                    stack.extend(sorted(pending))
                    continue
                memo[node] = any(memo[a.parent_id] for a in goal.aligns_to)
            stack.pop()
    return memo


def goal_alignment(
    organisation: Organisation, goals: GoalSet, *, cycle_id: str | None = None
) -> GoalAlignment:
    """The share of individual goals aligned, directly or transitively, to a company goal.

    Individual goals are those an employee owns, archived ones left out; with ``cycle_id``, only
    the goals of that cycle (or of no cycle). A goal is aligned when one of its parents is a
    company goal or is aligned itself; archived goals on the way do not count. Goals are grouped
    by their owner: per person, per the owner's manager's team, per the owner's unit (with the
    units above it) and for everyone.
    """
    if not isinstance(organisation, Organisation):
        raise ValidationError("organisation", organisation, "is not an Organisation")
    if not isinstance(goals, GoalSet):
        raise ValidationError("goals", goals, "is not a GoalSet")
    if cycle_id is not None:
        v.identifier(None, attrs.fields(GoalAlignment).cycle_id, cycle_id)
    serves = _serves_company(goals)
    owned: dict[str, list[str]] = {}
    for i, goal in enumerate(goals.goals):
        if goal.owner.kind is not OwnerKind.EMPLOYEE or goal.status is GoalStatus.ARCHIVED:
            continue
        if cycle_id is not None and goal.cycle_id not in (None, cycle_id):
            continue
        try:
            organisation.employee(goal.owner.id)
        except NotFoundError:
            raise UnknownReferenceError(
                f"goals.goals[{i}].owner.id", goal.owner.id, "is not an employee"
            ) from None
        owned.setdefault(goal.owner.id, []).append(goal.id)

    def make(scope: HealthScope, key: str, members: list[str]) -> AlignmentFigures:
        ids = sorted(g for m in members for g in owned[m])
        return AlignmentFigures(
            scope=scope,
            id=key,
            people=len(members),
            goals=len(ids),
            aligned=sum(1 for g in ids if serves[g]),
            unaligned=[g for g in ids if not serves[g]],
        )

    rows, teams, units, overall = _Groups(organisation, owned).build(make)
    return GoalAlignment(cycle_id=cycle_id, people=rows, teams=teams, units=units, overall=overall)


# --- trends across cycles ---------------------------------------------------------------------


class TrendMetric(enum.StrEnum):
    """What a trend follows: the final (calibrated) ``rating`` — a person's own, the mean of a
    team's or a unit's — or ``checkin_completion``."""

    RATING = "rating"
    CHECKIN_COMPLETION = "checkin_completion"


def _to_metric(value: Any) -> Any:
    return v.as_enum(TrendMetric, value)


@attrs.frozen(kw_only=True)
class TrendPoint:
    """One cycle of a trend: the ``value`` (``None`` when the cycle has none for the subject),
    how many people it is made of (``count``), and the ``change`` from the previous cycle's
    value (``None`` for the first cycle, or when either value is missing)."""

    cycle_id: str = attrs.field(validator=v.identifier)
    value: float | None = attrs.field(
        default=None, converter=_optional_float, validator=v.optional(v.finite_float)
    )
    count: int = attrs.field(default=0, validator=v.count)
    change: float | None = attrs.field(
        default=None, converter=_optional_float, validator=v.optional(v.finite_float)
    )

    def __attrs_post_init__(self) -> None:
        if self.count == 0 and self.value is not None:
            raise ValidationError("value", self.value, "is set, but nobody is counted")
        if self.value is None and self.change is not None:
            raise ValidationError("change", self.change, "is set without a value")


@attrs.frozen(kw_only=True)
class Trend:
    """A figure followed across cycles, in cycle order, for one employee, a manager's team, a
    unit or everyone. ``scale`` is the rating scale of a rating trend."""

    metric: TrendMetric = attrs.field(converter=_to_metric, validator=v.enum_member(TrendMetric))
    scope: HealthScope = attrs.field(converter=_to_scope, validator=v.enum_member(HealthScope))
    subject: str = attrs.field(validator=v.identifier)
    points: tuple[TrendPoint, ...] = attrs.field(
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(TrendPoint)), v.unique_ids(lambda p: p.cycle_id, "cycle")],
    )
    scale: ScaleRef | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(ScaleRef))
    )

    @property
    def values(self) -> tuple[float | None, ...]:
        """The series of values, in cycle order."""
        return tuple(p.value for p in self.points)

    def explain(self) -> str:
        if self.metric is TrendMetric.RATING:
            what = "final rating" if self.scope is HealthScope.EMPLOYEE else "mean final rating"
            if self.scale is not None:
                what += f" on {self.scale}"
        else:
            what = "check-in completion"
        whose = {
            HealthScope.EMPLOYEE: f"of {self.subject}",
            HealthScope.TEAM: f"of the team of {self.subject}",
            HealthScope.UNIT: f"of unit {self.subject}",
        }.get(self.scope, "of everyone")
        shown = []
        for p in self.points:
            if p.value is None:
                shown.append(f"{p.cycle_id} none")
                continue
            value = (
                _pct(p.value) if self.metric is TrendMetric.CHECKIN_COMPLETION else f"{p.value:.2f}"
            )
            extra = []
            if self.scope is not HealthScope.EMPLOYEE:
                extra.append(_n(p.count, "people"))
            if p.change is not None:
                if self.metric is TrendMetric.CHECKIN_COMPLETION:
                    extra.append(f"{p.change * 100:+.0f} percentage points")
                else:
                    extra.append(f"{p.change:+.2f}")
            shown.append(f"{p.cycle_id} {value}" + (f" ({', '.join(extra)})" if extra else ""))
        return f"{what} {whose}: " + "; ".join(shown)


_TREND_SCOPES = (HealthScope.EMPLOYEE, HealthScope.TEAM, HealthScope.UNIT, HealthScope.ALL)


def _trend_scope(scope: object, subject: object) -> tuple[HealthScope, str]:
    found = v.as_enum(HealthScope, scope)
    if found not in _TREND_SCOPES:
        options = ", ".join(repr(s.value) for s in _TREND_SCOPES)
        raise ValidationError("scope", scope, f"is not a trend scope (one of {options})")
    v.identifier(None, attrs.fields(Trend).subject, subject)
    assert isinstance(subject, str)
    return found, subject


def _series(name: str, items: object, kind: type[T], cycle_of: Callable[[T], str]) -> list[T]:
    values = _collection(name, items)
    if not values:
        raise ValidationError(name, values, "is empty; a trend needs at least one cycle")
    seen: dict[str, int] = {}
    for i, item in enumerate(values):
        if not isinstance(item, kind):
            raise ValidationError(
                f"{name}[{i}]", item, f"is not {v.article(kind.__name__)} {kind.__name__}"
            )
        key = cycle_of(item)
        if key in seen:
            raise ValidationError(
                f"{name}[{i}]",
                key,
                f"repeats the cycle of {name}[{seen[key]}]; give each cycle once",
            )
        seen[key] = i
    return list(values)


def _points(raw: list[tuple[str, float | None, int]]) -> tuple[TrendPoint, ...]:
    points = []
    previous: float | None = None
    for i, (cycle_id, value, count) in enumerate(raw):
        change = None if i == 0 or value is None or previous is None else value - previous
        points.append(TrendPoint(cycle_id=cycle_id, value=value, count=count, change=change))
        previous = value
    return tuple(points)


_WHAT = {
    HealthScope.EMPLOYEE: "employee",
    HealthScope.TEAM: "team manager",
    HealthScope.UNIT: "unit",
}


def rating_trend(
    results: Sequence[CycleResult],
    scope: HealthScope | str,
    subject: str = ALL,
    *,
    organisation: Organisation | None = None,
) -> Trend:
    """Final (calibrated) ratings across cycles, given the cycle results in cycle order.

    ``scope`` ``employee``: the person's own rating; ``team``: the mean rating of the manager
    ``subject``'s direct reports as each cycle's calibration recorded them; ``unit``: the mean
    rating of the people of unit ``subject`` — with ``organisation``, of its subunits' people
    too; ``all``: everyone rated. Each point carries the change from the previous cycle. All the
    ratings must be on one scale (a trend compares like with like).
    """
    from .run import CycleResult  # here: run may import this module

    kind, key = _trend_scope(scope, subject)
    items = _series("results", results, CycleResult, lambda r: r.cycle_id)
    units: frozenset[str] = frozenset({key})
    if kind is HealthScope.UNIT and organisation is not None:
        if not isinstance(organisation, Organisation):
            raise ValidationError("organisation", organisation, "is not an Organisation")
        units = frozenset({key, *(u.id for u in organisation.subunits(key))})
    scale: ScaleRef | None = None
    where = ""
    raw: list[tuple[str, float | None, int]] = []
    for i, result in enumerate(items):
        managers = {e.employee_id: e.manager_id for e in result.calibration.population}
        ratings = []
        for e in sorted(result.employees, key=lambda e: e.employee_id):
            if kind is HealthScope.EMPLOYEE:
                member = e.employee_id == key
            elif kind is HealthScope.TEAM:
                member = managers.get(e.employee_id) == key
            elif kind is HealthScope.UNIT:
                member = e.unit_id in units
            else:
                member = True
            if not member:
                continue
            rating = e.rating_after
            if scale is None:
                scale, where = rating.scale, f"results[{i}]"
            elif rating.scale != scale:
                raise ValidationError(
                    f"results[{i}].employees[{e.employee_id!r}].rating_after.scale",
                    str(rating.scale),
                    f"differs from {where}'s {scale}; a trend compares ratings on one scale",
                )
            ratings.append(rating.value)
        mean = math.fsum(ratings) / len(ratings) if ratings else None
        raw.append((result.cycle_id, mean, len(ratings)))
    if kind is not HealthScope.ALL and not any(count for _, _, count in raw):
        raise NotFoundError(f"{_WHAT[kind]} rated in these cycles", key)
    return Trend(
        metric=TrendMetric.RATING, scope=kind, subject=key, points=_points(raw), scale=scale
    )


def completion_trend(
    cycles: Sequence[CycleData],
    scope: HealthScope | str,
    subject: str = ALL,
    *,
    on: Sequence[date] | None = None,
) -> Trend:
    """Check-in completion across cycles, given each cycle's data in cycle order.

    Each cycle is looked at on the matching day of ``on`` (by default its last day), by the rule
    of :func:`checkin_health`; ``scope`` and ``subject`` pick the person, the manager's team,
    the unit (with its subunits) or everyone. A point's ``count`` is the people covered, its
    value ``None`` when nothing was due.
    """
    kind, key = _trend_scope(scope, subject)
    items = _series("cycles", cycles, CycleData, lambda d: d.cycle.id)
    if on is None:
        days = [d.cycle.end for d in items]
    else:
        days = list(_collection("on", on))
        if len(days) != len(items):
            raise ValidationError("on", len(days), f"days given for {len(items)} cycles")
        for i, day in enumerate(days):
            _check_day(f"on[{i}]", day)
    raw: list[tuple[str, float | None, int]] = []
    found = kind is HealthScope.ALL
    for data, day in zip(items, days, strict=True):
        health = checkin_health(data, on=day)
        rows = {
            HealthScope.EMPLOYEE: health.people,
            HealthScope.TEAM: health.teams,
            HealthScope.UNIT: health.units,
            HealthScope.ALL: (health.overall,),
        }[kind]
        row = next((r for r in rows if r.id == key or kind is HealthScope.ALL), None)
        if row is None:
            raw.append((data.cycle.id, None, 0))
        else:
            found = True
            raw.append((data.cycle.id, row.completion, row.people))
    if not found:
        raise NotFoundError(f"{_WHAT[kind]} owing check-ins in these cycles", key)
    return Trend(
        metric=TrendMetric.CHECKIN_COMPLETION, scope=kind, subject=key, points=_points(raw)
    )


# --- the whole picture --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class HealthReport:
    """The process health of one cycle on day ``on``: check-ins, review submission, feedback
    (from ``feedback.start`` to ``on``) and goal alignment."""

    cycle_id: str = attrs.field(validator=v.identifier)
    on: date = attrs.field(validator=v.a_date)
    checkins: CheckInHealth = attrs.field(validator=v.instance_of(CheckInHealth))
    reviews: ReviewTimeliness = attrs.field(validator=v.instance_of(ReviewTimeliness))
    feedback: FeedbackSpread = attrs.field(validator=v.instance_of(FeedbackSpread))
    alignment: GoalAlignment = attrs.field(validator=v.instance_of(GoalAlignment))

    def sentences(self) -> tuple[str, ...]:
        """One sentence per practice, for everyone."""
        return (
            "check-ins: " + self.checkins.overall.explain(),
            "reviews: " + self.reviews.overall.explain(),
            "feedback: " + self.feedback.overall.explain(),
            "goal alignment: " + self.alignment.overall.explain(),
        )

    def explain(self) -> str:
        return f"process health of cycle {self.cycle_id} on {self.on}: " + "; ".join(
            f"({i}) {s}" for i, s in enumerate(self.sentences(), start=1)
        )


def health_report(
    data: CycleData,
    *,
    on: date,
    review_events: Iterable[WorkflowEvent] = (),
    feedback_since: date | None = None,
) -> HealthReport:
    """Every process-health figure of a cycle on day ``on``: :func:`checkin_health`,
    :func:`review_timeliness` (with the review workflow's ``review_events``),
    :func:`feedback_spread` from ``feedback_since`` (default: the cycle's first day) to ``on``
    in the cycle's time zone, and :func:`goal_alignment` of the cycle's goals."""
    data = _check_data(data)
    day = _check_day("on", on)
    if feedback_since is None:
        since = min(data.cycle.start, day)
    else:
        since = _check_day("feedback_since", feedback_since)
    if since > day:
        raise ValidationError("feedback_since", since, f"is after on {day}")
    return HealthReport(
        cycle_id=data.cycle.id,
        on=day,
        checkins=checkin_health(data, on=day),
        reviews=review_timeliness(data, review_events, on=day),
        feedback=feedback_spread(
            data.organisation,
            data.feedback,
            start=since,
            end=day,
            timezone=data.cycle.timezone,
        ),
        alignment=goal_alignment(data.organisation, data.goals, cycle_id=data.cycle.id),
    )

"""The queries a host product needs, served by every adapter.

They are written once, on top of the storage protocols, so a store of any kind — memory, SQLite,
PostgreSQL or a host's own — answers them the same way:

* :func:`goals_with_progress`: an employee's goals in a cycle, each with its progress explained;
* :func:`team`: a manager's team (direct reports, or all levels) with each person's goals,
  their status and progress, and whether a check-in is due;
* :func:`unit_goal_tree`: a unit's goals, its subunits' and its people's, in cascade order;
* feedback about a subject in a period, reviews by cycle and subject and results by unit are
  repository methods (``uow.feedback.about``, ``uow.reviews.by_cycle``,
  ``uow.results.by_unit``).

Those read everything: they are for trusted code (imports, the cycle run, HR tooling). What a
person reads goes through the *viewer-taking* queries below, which apply the access rules of
:mod:`perfkit.access` (the default policy, or the ``policy=`` a host passes). Listings leave out
silently what the viewer may not read; single reads raise :class:`~perfkit.PermissionDenied`:

* :func:`goals_for`, :func:`team_for`: the two goal queries above, as the viewer may see them;
* :func:`feedback_about`: feedback about a person in a period, with the anonymous and peer
  feedback aggregated per quarter (:class:`~perfkit.access.FeedbackView`);
* :func:`reviews_for`: a cycle's reviews, with peer and upward reviews aggregated
  (:class:`~perfkit.access.ReviewView`);
* :func:`results_for`: a cycle's results, of one unit if asked;
* :func:`read_goal`, :func:`read_feedback`, :func:`read_review`, :func:`read_result`: one item;
* :func:`access_context`: what the rules look at (organisation, cycles, the viewer's
  calibration sessions), loaded from the store.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import attrs

from .. import _validation as v
from .._errors import NotFoundError, PermissionDenied, ValidationError
from ..access import (
    DEFAULT_POLICY,
    AccessContext,
    FeedbackView,
    ReviewView,
    Viewer,
    VisibilityPolicy,
    decide,
    feedback_view,
    require,
    review_view,
    visible_goals,
    visible_results,
)
from ..calibration import CalibrationSession
from ..cycles import DueCheckIn
from ..dataset import CycleData
from ..feedback import FeedbackEvent, FeedbackLog
from ..goals import Goal, GoalSet, OwnerKind
from ..org import Employee
from ..reviews import Review
from ..rollup import Progress
from ..run import EmployeeResult
from ._protocols import UnitOfWork

__all__ = [
    "GoalProgress",
    "TeamMember",
    "access_context",
    "feedback_about",
    "goals_for",
    "goals_with_progress",
    "read_feedback",
    "read_goal",
    "read_result",
    "read_review",
    "results_for",
    "reviews_for",
    "team",
    "team_for",
    "unit_goal_tree",
]


@attrs.frozen(kw_only=True)
class GoalProgress:
    """A goal and its progress at a moment (with the explanation)."""

    goal: Goal = attrs.field(validator=v.instance_of(Goal))
    progress: Progress = attrs.field(validator=v.instance_of(Progress))
    depth: int = attrs.field(default=0, validator=[v.instance_of(int), v.non_negative])


@attrs.frozen(kw_only=True)
class TeamMember:
    """One person on a manager's team page: how far below the manager (1 = direct report),
    their goals with progress, and their check-in reminder if one is due."""

    employee: Employee = attrs.field(validator=v.instance_of(Employee))
    depth: int = attrs.field(validator=[v.instance_of(int), v.positive])
    goals: tuple[GoalProgress, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(GoalProgress))
    )
    due: DueCheckIn | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(DueCheckIn))
    )


def _end_of_day(uow: UnitOfWork, cycle_id: str, on: object) -> datetime:
    if isinstance(on, datetime) or not isinstance(on, date):
        raise ValidationError("on", on, "is not a date")
    zone = ZoneInfo(uow.cycles.get(cycle_id).timezone)
    return datetime.combine(on, time.max, tzinfo=zone)


def _progress_of(goals: GoalSet, wanted: list[Goal], as_of: datetime) -> tuple[GoalProgress, ...]:
    return tuple(GoalProgress(goal=g, progress=goals.progress(g.id, as_of=as_of)) for g in wanted)


def goals_with_progress(
    uow: UnitOfWork, employee_id: str, cycle_id: str, on: date
) -> tuple[GoalProgress, ...]:
    """The goals ``employee_id`` owns in ``cycle_id``, by id, each with its progress at the end
    of day ``on`` in the cycle's time zone (rolled up from contributors where it has them)."""
    uow.organisation.employee(employee_id)
    as_of = _end_of_day(uow, cycle_id, on)
    goals = uow.goals.goal_set(cycle_id)
    return _progress_of(goals, list(uow.goals.of_employee(employee_id, cycle_id)), as_of)


def team(
    uow: UnitOfWork, manager_id: str, cycle_id: str, on: date, *, all_levels: bool = False
) -> tuple[TeamMember, ...]:
    """A manager's team page for day ``on``: the direct reports (or, with ``all_levels``, the
    whole reporting tree, breadth-first then by id), each with their goals in the cycle, status
    and progress, and their check-in reminder when one is due (see
    :meth:`perfkit.CycleData.due_checkins`)."""
    if not isinstance(all_levels, bool):
        raise ValidationError("all_levels", all_levels, "is not true or false")
    org = uow.organisation.load()
    cycle = uow.cycles.get(cycle_id)
    as_of = _end_of_day(uow, cycle_id, on)
    goals = uow.goals.goal_set(cycle_id)
    members = [s for s in org.reporting_tree(manager_id) if all_levels or s.depth == 1]
    due = {
        d.employee_id: d
        for d in CycleData(organisation=org, cycle=cycle, goals=goals).due_checkins(on)
    }
    owned: dict[str, list[Goal]] = {}
    for g in goals.goals:
        if g.owner.kind is OwnerKind.EMPLOYEE:
            owned.setdefault(g.owner.id, []).append(g)
    return tuple(
        TeamMember(
            employee=s.employee,
            depth=s.depth,
            goals=_progress_of(goals, sorted(owned.get(s.employee.id, []), key=_id), as_of),
            due=due.get(s.employee.id),
        )
        for s in members
    )


def unit_goal_tree(
    uow: UnitOfWork, unit_id: str, cycle_id: str, on: date
) -> tuple[GoalProgress, ...]:
    """A unit's goal tree on day ``on``: the goals owned by the unit, its subunits and the people
    in them, in cascade order — each goal followed by the goals that align to it (depth first,
    by id), starting from the goals whose parents are outside the unit (unit goals first, then
    people's goals that align to nothing here). A goal shared by two parents appears under the
    first one only."""
    org = uow.organisation.load()
    units = {unit_id} | {u.id for u in org.subunits(unit_id)}
    people = {e.id for e in org.unit_members(unit_id)}
    as_of = _end_of_day(uow, cycle_id, on)
    goals = uow.goals.goal_set(cycle_id)

    def mine(g: Goal) -> bool:
        kind, owner = g.owner.kind, g.owner.id
        return (kind is OwnerKind.UNIT and owner in units) or (
            kind is OwnerKind.EMPLOYEE and owner in people
        )

    inside = {g.id: g for g in goals.goals if mine(g)}
    # Unit goals lead (the cascade starts there), then people's own goals with no parent here.
    roots = sorted(
        (g for g in inside.values() if not any(a.parent_id in inside for a in g.aligns_to)),
        key=lambda g: (g.owner.kind is not OwnerKind.UNIT, g.id),
    )
    out: list[GoalProgress] = []
    seen: set[str] = set()
    stack: list[tuple[Goal, int]] = [(g, 0) for g in reversed(roots)]
    while stack:
        goal, depth = stack.pop()
        if goal.id in seen:
            continue
        seen.add(goal.id)
        out.append(
            GoalProgress(goal=goal, progress=goals.progress(goal.id, as_of=as_of), depth=depth)
        )
        children = [c for c in goals.contributors(goal.id) if c.id in inside]
        stack.extend((c, depth + 1) for c in reversed(children))
    return tuple(out)


def _id(g: Goal) -> str:
    return g.id


# --- the same, as a viewer may see it ---------------------------------------------------------


def _check_viewer(viewer: object) -> Viewer:
    if not isinstance(viewer, Viewer):
        raise ValidationError("viewer", viewer, "is not a Viewer")
    return viewer


def access_context(
    uow: UnitOfWork,
    viewer: Viewer,
    cycle_ids: tuple[str, ...] = (),
    extra_sessions: tuple[CalibrationSession, ...] = (),
) -> AccessContext:
    """What the access rules look at, from the store: the organisation, the cycles
    ``cycle_ids`` (an unknown one raises :class:`~perfkit.NotFoundError`) and those of the
    viewer's calibration sessions that exist — in the store, or among ``extra_sessions`` (the
    session inside a cycle's results, say); an unknown session id grants nothing."""
    who = _check_viewer(viewer)
    if isinstance(cycle_ids, str) or not isinstance(cycle_ids, tuple | list):
        raise ValidationError("cycle_ids", cycle_ids, "is not a tuple of cycle ids")
    organisation = uow.organisation.load()
    cycles = tuple(uow.cycles.get(c) for c in sorted(set(cycle_ids)))
    given = {s.id: s for s in extra_sessions}
    sessions: list[CalibrationSession] = []
    for session_id in sorted(who.calibration_session_ids):
        try:
            sessions.append(uow.calibrations.get(session_id))
        except NotFoundError:
            if session_id in given:
                sessions.append(given[session_id])
    return AccessContext(organisation=organisation, cycles=cycles, sessions=sessions)


def goals_for(
    uow: UnitOfWork,
    viewer: Viewer,
    employee_id: str,
    cycle_id: str,
    on: date,
    *,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> tuple[GoalProgress, ...]:
    """:func:`goals_with_progress` as ``viewer`` may see it: the goals they may not read are
    left out (all of them, for someone outside the employee's reporting line)."""
    found = goals_with_progress(uow, employee_id, cycle_id, on)
    context = access_context(uow, viewer)
    shown = {g.id for g in visible_goals(viewer, [g.goal for g in found], context, policy=policy)}
    return tuple(g for g in found if g.goal.id in shown)


def team_for(
    uow: UnitOfWork,
    viewer: Viewer,
    manager_id: str,
    cycle_id: str,
    on: date,
    *,
    all_levels: bool = False,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> tuple[TeamMember, ...]:
    """:func:`team` as ``viewer`` may see it. A team page holds its people's employee records
    (pay, band, attributes), so it is open to the manager, the managers above them and HR only
    (anyone else: :class:`~perfkit.PermissionDenied`); each person's goals are those the viewer
    may read, and the check-in reminder — which is derived from the goals — shows only when none
    of their goals was left out."""
    who = _check_viewer(viewer)
    page = team(uow, manager_id, cycle_id, on, all_levels=all_levels)
    context = access_context(uow, who)
    if not (who.hr_admin or who.id == manager_id or context.manages(who.id, manager_id)):
        raise PermissionDenied(
            who.id,
            "team page",
            manager_id,
            "a team page is seen by its manager, the managers above them and HR only",
        )
    out = []
    for member in page:
        goals = [g.goal for g in member.goals]
        shown = {g.id for g in visible_goals(viewer, goals, context, policy=policy)}
        kept = tuple(g for g in member.goals if g.goal.id in shown)
        due = member.due if len(kept) == len(member.goals) else None
        out.append(attrs.evolve(member, goals=kept, due=due))
    return tuple(out)


def feedback_about(
    uow: UnitOfWork,
    viewer: Viewer,
    subject: str,
    start: datetime,
    end: datetime,
    *,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> FeedbackView:
    """The feedback about ``subject`` in ``[start, end)`` as ``viewer`` may see it: the events
    they may read one by one, and — for the subject, their managers and HR — the anonymous and
    peer feedback aggregated per quarter (see :func:`perfkit.access.feedback_view`)."""
    who = _check_viewer(viewer)
    uow.organisation.employee(subject)
    # Every answer is about its request's subject, so the subject's events form a whole log.
    log = FeedbackLog(events=uow.feedback.about(subject))
    context = access_context(uow, who)
    return feedback_view(who, subject, log, context, start=start, end=end, policy=policy)


def reviews_for(
    uow: UnitOfWork,
    viewer: Viewer,
    cycle_id: str,
    subject: str | None = None,
    *,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> ReviewView:
    """The reviews of ``cycle_id`` (of ``subject`` if given) as ``viewer`` may see them, by id;
    with a subject, also the peer and upward summaries when the viewer may read them (see
    :func:`perfkit.access.review_view`)."""
    who = _check_viewer(viewer)
    uow.cycles.get(cycle_id)
    if subject is not None:
        uow.organisation.employee(subject)
    reviews = uow.reviews.by_cycle(cycle_id, subject)
    context = access_context(uow, who, (cycle_id,))
    return review_view(who, cycle_id, reviews, context, subject_id=subject, policy=policy)


def results_for(
    uow: UnitOfWork,
    viewer: Viewer,
    cycle_id: str,
    unit_id: str | None = None,
    *,
    include_subunits: bool = False,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> tuple[EmployeeResult, ...]:
    """The results of ``cycle_id`` that ``viewer`` may read, by employee id: everyone's, or
    those of the people in ``unit_id`` (with ``include_subunits``, also the units below it).
    Empty while the cycle has no stored results."""
    who = _check_viewer(viewer)
    if not isinstance(include_subunits, bool):
        raise ValidationError("include_subunits", include_subunits, "is not true or false")
    uow.cycles.get(cycle_id)
    organisation = uow.organisation.load()
    units: set[str] | None = None
    if unit_id is not None:
        units = {organisation.unit(unit_id).id}
        if include_subunits:
            units |= {u.id for u in organisation.subunits(unit_id)}
    try:
        result = uow.results.get(cycle_id)
    except NotFoundError:
        return ()
    people = sorted(
        (e for e in result.employees if units is None or e.unit_id in units),
        key=lambda e: e.employee_id,
    )
    context = access_context(uow, who, (cycle_id,), (result.calibration,))
    return visible_results(who, cycle_id, people, context, policy=policy)


def read_goal(
    uow: UnitOfWork, viewer: Viewer, goal_id: str, *, policy: VisibilityPolicy = DEFAULT_POLICY
) -> Goal:
    """One goal, if ``viewer`` may read it (else :class:`~perfkit.PermissionDenied`)."""
    who = _check_viewer(viewer)
    goal = uow.goals.get(goal_id)
    require(decide(who, goal, access_context(uow, who), policy=policy), who, "goal", goal.id)
    return goal


def read_feedback(
    uow: UnitOfWork, viewer: Viewer, event_id: str, *, policy: VisibilityPolicy = DEFAULT_POLICY
) -> FeedbackEvent:
    """One feedback event, if ``viewer`` may read it one by one (else
    :class:`~perfkit.PermissionDenied`; anonymous and peer feedback about the viewer reaches
    them only through :func:`feedback_about`)."""
    who = _check_viewer(viewer)
    event = uow.feedback.log().get(event_id)
    context = access_context(uow, who)
    require(decide(who, event, context, policy=policy), who, "feedback event", event.id)
    return event


def read_review(
    uow: UnitOfWork, viewer: Viewer, review_id: str, *, policy: VisibilityPolicy = DEFAULT_POLICY
) -> Review:
    """One review, if ``viewer`` may read it one by one (else
    :class:`~perfkit.PermissionDenied`)."""
    who = _check_viewer(viewer)
    review = uow.reviews.get(review_id)
    context = access_context(uow, who, (review.cycle_id,))
    require(decide(who, review, context, policy=policy), who, "review", review.id)
    return review


def read_result(
    uow: UnitOfWork,
    viewer: Viewer,
    cycle_id: str,
    employee_id: str,
    *,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> EmployeeResult:
    """One person's result in a cycle, if ``viewer`` may read it (else
    :class:`~perfkit.PermissionDenied` — for the employee themselves, until the cycle releases
    results)."""
    who = _check_viewer(viewer)
    if not isinstance(employee_id, str):
        raise ValidationError("employee_id", employee_id, "is not a string id")
    uow.cycles.get(cycle_id)
    result = uow.results.get(cycle_id)
    mine = result.employee(employee_id)
    context = access_context(uow, who, (cycle_id,), (result.calibration,))
    decision = decide(who, mine, context, policy=policy, cycle_id=cycle_id)
    require(decision, who, "result", mine.employee_id)
    return mine

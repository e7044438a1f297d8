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
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import attrs

from .. import _validation as v
from .._errors import ValidationError
from ..cycles import DueCheckIn
from ..dataset import CycleData
from ..goals import Goal, GoalSet, OwnerKind
from ..org import Employee
from ..rollup import Progress
from ._protocols import UnitOfWork

__all__ = ["GoalProgress", "TeamMember", "goals_with_progress", "team", "unit_goal_tree"]


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

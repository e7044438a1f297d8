"""Goals, check-ins, the goal cascade and the goal-setting workflow.

A :class:`Goal` (an objective, a key result, a KPI target) belongs to an :class:`Owner`: the
company, an org unit or an employee. Goals *align* to the goals they serve — an employee's goal to
its team's, the team's to a company objective — and one goal may serve several parents, so the
cascade is a directed acyclic graph, not a tree. Each alignment carries a *contribution weight*.

A :class:`CheckIn` records a reading of a goal's metric at a moment (the number reached, done or
not, the milestones done) with the author's confidence and a note: the record of a one-on-one or a
weekly update. A :class:`GoalSet` holds goals and check-ins, checks every reference once, and
answers the team-page questions: a goal's progress — its own attainment, or rolled up from its
contributors by a :mod:`perfkit.rollup` strategy, explained — its parents and contributors, and
whether weights add up.

Goals are set together: :class:`GoalStatus` moves draft → proposed → agreed → in_progress →
completed | missed (archived from any state that is not final), and agreement must come from
someone other than the proposer. Changes are revisions that keep the history
(:class:`GoalRevision`).
"""

from __future__ import annotations

import bisect
import enum
import functools
import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from . import _validation as v
from ._errors import (
    MISSING,
    HierarchyLoopError,
    NotFoundError,
    TransitionError,
    UnknownReferenceError,
    ValidationError,
)
from ._validation import as_float, finite_float
from .cycles import CycleAction, ReviewCycle
from .events import StateMachine, WorkflowEvent
from .metrics import (
    BinaryMetric,
    Metric,
    MilestoneMetric,
    NumericMetric,
)
from .rollup import (
    WEIGHTED_MEAN,
    Progress,
    ProgressPart,
    ProgressSource,
    RollupStrategy,
    rollup_strategy,
)

__all__ = [
    "Alignment",
    "CheckIn",
    "GOAL_WORKFLOW",
    "Goal",
    "GoalRevision",
    "GoalSet",
    "GoalStatus",
    "Owner",
    "OwnerKind",
    "OwnerWeights",
    "ParentWeights",
    "WeightReport",
]

WEIGHT_TOLERANCE = 1e-9
"""How far from 1.0 a sum of weights may be and still count as summing to one."""


def _positive_float(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A weight: a finite float, positive, at most ``v.MAX_WEIGHT``."""
    finite_float(inst, attribute, value)
    v.weight(inst, attribute, value)


def _optional_float(value: Any) -> Any:
    return None if value is None else as_float(value)


class OwnerKind(enum.StrEnum):
    """Who a goal belongs to: the whole company, an org unit (division, team) or one employee."""

    COMPANY = "company"
    UNIT = "unit"
    EMPLOYEE = "employee"


def _to_owner_kind(value: Any) -> Any:
    """attrs converter: a plain string value becomes the OwnerKind member."""
    return v.as_enum(OwnerKind, value)


@attrs.frozen(kw_only=True)
class Owner:
    """The owner of a goal: ``kind`` and the id of the company, the org unit or the employee."""

    kind: OwnerKind = attrs.field(converter=_to_owner_kind, validator=v.enum_member(OwnerKind))
    id: str = attrs.field(validator=v.identifier)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@attrs.frozen(kw_only=True)
class Alignment:
    """A goal serves ``parent_id`` with contribution ``weight`` (> 0) among the parent's
    contributors; how the weights are used is the rollup strategy's business."""

    parent_id: str = attrs.field(validator=v.identifier)
    weight: float = attrs.field(default=1.0, converter=as_float, validator=_positive_float)


class GoalStatus(enum.StrEnum):
    """Where a goal is in its life: set together (draft → proposed → agreed), pursued
    (in_progress), and closed (completed, missed or archived)."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    AGREED = "agreed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    MISSED = "missed"
    ARCHIVED = "archived"


_S = GoalStatus
GOAL_WORKFLOW: StateMachine[GoalStatus] = StateMachine(
    "goal",
    {
        _S.DRAFT: frozenset({_S.PROPOSED, _S.ARCHIVED}),
        _S.PROPOSED: frozenset({_S.DRAFT, _S.AGREED, _S.ARCHIVED}),
        _S.AGREED: frozenset({_S.IN_PROGRESS, _S.ARCHIVED}),
        _S.IN_PROGRESS: frozenset({_S.COMPLETED, _S.MISSED, _S.ARCHIVED}),
    },
)
"""The goal workflow's moves. ``GOAL_WORKFLOW.allowed(status)`` lists where a goal can go next;
completed, missed and archived are final."""

_METRICS = (NumericMetric, BinaryMetric, MilestoneMetric)
_REVISABLE = (
    "aligns_to",
    "cycle_id",
    "description",
    "end_date",
    "metric",
    "owner",
    "start_date",
    "title",
    "weight",
)
_REVISED_AS_PROPOSAL = frozenset({_S.PROPOSED, _S.AGREED, _S.IN_PROGRESS})


def _revision_number(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(attribute.name, value, "is not an integer")
    if value < 1:
        raise ValidationError(attribute.name, value, "is not at least 1")


def _arg(cls: type, name: str, value: object) -> None:
    """Check a method argument with the validator of the field of the same name on ``cls``."""
    field = getattr(attrs.fields(cls), name)
    field.validator(None, field, value)


def _note(value: object) -> None:
    """A rejection says why: ``note`` must not be empty."""
    v.non_empty_text(None, attrs.fields(WorkflowEvent).note, value)


_SETTING = CycleAction.SET_GOALS
# Moves that belong to setting goals together; every other move changes a goal that was set.
_SETTING_MOVES = frozenset({_S.DRAFT, _S.PROPOSED, _S.AGREED})


# A goal that was set together carries who proposed it (the other party agreed).
_NEEDS_PROPOSER = frozenset({_S.PROPOSED})


def _gate(cycle: ReviewCycle | None, action: CycleAction) -> None:
    """With a cycle, refuse (``PhaseError``) a move its current stage does not allow."""
    if cycle is None:
        return
    if not isinstance(cycle, ReviewCycle):
        raise ValidationError("cycle", cycle, "is not a ReviewCycle")
    cycle.check_allowed(action)


def _to_goal_status(value: Any) -> Any:
    """attrs converter: a plain string value becomes the GoalStatus member."""
    return v.as_enum(GoalStatus, value)


@attrs.frozen(kw_only=True)
class Goal:
    """An objective or key result with an owner, a metric, dates and a place in the cascade.

    ``weight`` is the goal's share among its owner's goals in a cycle (scoring uses it);
    ``aligns_to`` lists the parent goals it contributes to, each with a contribution weight.
    ``revision`` counts agreed-upon versions (see :meth:`revise`); ``proposed_by`` is who last
    proposed it, so that someone else agrees to it.
    """

    id: str = attrs.field(validator=v.identifier)
    title: str = attrs.field(validator=v.non_empty_text)
    description: str = attrs.field(default="", validator=v.text)
    owner: Owner = attrs.field(validator=v.instance_of(Owner))
    cycle_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    aligns_to: tuple[Alignment, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[
            v.each(v.instance_of(Alignment)),
            v.unique_ids(operator.attrgetter("parent_id"), "parent goal"),
        ],
    )
    weight: float = attrs.field(default=1.0, converter=as_float, validator=_positive_float)
    start_date: date = attrs.field(validator=v.a_date)
    end_date: date = attrs.field(validator=v.a_date)
    status: GoalStatus = attrs.field(
        default=GoalStatus.DRAFT,
        converter=_to_goal_status,
        validator=v.enum_member(GoalStatus),
    )
    metric: Metric = attrs.field(validator=v.instance_of(*_METRICS))
    revision: int = attrs.field(default=1, validator=_revision_number)
    proposed_by: str | None = attrs.field(default=None, validator=v.optional(v.identifier))

    def __attrs_post_init__(self) -> None:
        for i, alignment in enumerate(self.aligns_to):
            if alignment.parent_id == self.id:
                raise HierarchyLoopError(
                    f"aligns_to[{i}].parent_id", (self.id, self.id), "goal alignment"
                )
        v.ordered("start_date", "end_date")(self)
        if self.proposed_by is None and self.status in _NEEDS_PROPOSER:
            raise ValidationError(
                "proposed_by",
                MISSING,
                f"is required for a {self.status} goal: agreement needs to know who proposed it",
            )

    # --- the workflow ----------------------------------------------------------------------

    def _move(
        self,
        target: GoalStatus,
        actor: str,
        at: datetime,
        note: str = "",
        cycle: ReviewCycle | None = None,
        **changes: Any,
    ) -> tuple[Goal, WorkflowEvent]:
        _gate(cycle, _SETTING if target in _SETTING_MOVES else CycleAction.CHANGE_GOAL)
        event = GOAL_WORKFLOW.event(self.id, self.status, target, actor, at, note)
        return attrs.evolve(self, status=target, **changes), event

    def propose(
        self, actor: str, at: datetime, note: str = "", *, cycle: ReviewCycle | None = None
    ) -> tuple[Goal, WorkflowEvent]:
        """draft → proposed: ``actor`` puts the goal forward; someone else must agree to it."""
        return self._move(_S.PROPOSED, actor, at, note, cycle, proposed_by=actor)

    def agree(
        self, actor: str, at: datetime, note: str = "", *, cycle: ReviewCycle | None = None
    ) -> tuple[Goal, WorkflowEvent]:
        """proposed → agreed, by the other party: the proposer cannot agree to their own goal.

        perfkit does not know the org chart here; the host checks that ``actor`` is the employee
        or the manager concerned.
        """
        GOAL_WORKFLOW.check(self.id, self.status, _S.AGREED)
        if self.proposed_by is not None and actor == self.proposed_by:
            raise TransitionError(
                f"goal {self.id!r}",
                str(self.status),
                str(_S.AGREED),
                (str(s) for s in GOAL_WORKFLOW.allowed(self.status)),
                f"{actor!r} proposed it, so agreement needs the other party",
            )
        return self._move(_S.AGREED, actor, at, note, cycle)

    def start(
        self, actor: str, at: datetime, note: str = "", *, cycle: ReviewCycle | None = None
    ) -> tuple[Goal, WorkflowEvent]:
        """agreed → in_progress: work on the goal begins."""
        return self._move(_S.IN_PROGRESS, actor, at, note, cycle)

    def complete(
        self, actor: str, at: datetime, note: str = "", *, cycle: ReviewCycle | None = None
    ) -> tuple[Goal, WorkflowEvent]:
        """in_progress → completed: the goal was achieved (final)."""
        return self._move(_S.COMPLETED, actor, at, note, cycle)

    def miss(
        self, actor: str, at: datetime, note: str = "", *, cycle: ReviewCycle | None = None
    ) -> tuple[Goal, WorkflowEvent]:
        """in_progress → missed: the goal was not achieved (final)."""
        return self._move(_S.MISSED, actor, at, note, cycle)

    def archive(
        self, actor: str, at: datetime, note: str = "", *, cycle: ReviewCycle | None = None
    ) -> tuple[Goal, WorkflowEvent]:
        """Any state that is not final → archived: the goal no longer applies (a reorganisation,
        a dropped project). Archived goals leave rollups and weight sums."""
        return self._move(_S.ARCHIVED, actor, at, note, cycle)

    def reject(
        self, actor: str, at: datetime, note: str, *, cycle: ReviewCycle | None = None
    ) -> tuple[Goal, WorkflowEvent]:
        """proposed → draft: the proposal goes back to be reworked; ``note`` says why."""
        _note(note)
        return self._move(_S.DRAFT, actor, at, note, cycle)

    def revise(
        self,
        actor: str,
        at: datetime,
        reason: str,
        *,
        cycle: ReviewCycle | None = None,
        **changes: Any,
    ) -> tuple[Goal, GoalRevision]:
        """A new version of the goal with ``changes`` applied and ``revision`` + 1.

        The :class:`GoalRevision` keeps the before and after. Revising an agreed or in-progress
        goal sends it back to *proposed* with ``actor`` as proposer: the changed goal must be
        agreed again by the other party. A revised proposal is a counter-proposal (``actor``
        becomes the proposer). Completed, missed and archived goals cannot be revised.
        """
        _gate(cycle, CycleAction.CHANGE_GOAL)
        if GOAL_WORKFLOW.is_final(self.status):
            raise TransitionError(
                f"goal {self.id!r}",
                str(self.status),
                "revised",
                (),
                f"a {self.status} goal is closed; set a new goal instead",
            )
        _arg(GoalRevision, "actor", actor)
        _arg(GoalRevision, "at", at)
        _arg(GoalRevision, "reason", reason)
        unknown = sorted(set(changes) - set(_REVISABLE))
        if unknown:
            raise ValidationError(
                "changes", unknown, f"cannot be revised (revisable: {', '.join(_REVISABLE)})"
            )
        if not changes:
            raise ValidationError("changes", {}, "is empty: name the fields to change")
        extra: dict[str, Any] = {"revision": self.revision + 1}
        if self.status in _REVISED_AS_PROPOSAL:
            extra.update(status=_S.PROPOSED, proposed_by=actor)
        after = attrs.evolve(self, **changes, **extra)
        if attrs.evolve(after, **{k: getattr(self, k) for k in extra}) == self:
            raise ValidationError("changes", dict(sorted(changes.items())), "change nothing")
        record = GoalRevision(
            goal_id=self.id,
            revision=after.revision,
            before=self,
            after=after,
            actor=actor,
            at=at,
            reason=reason,
        )
        return after, record


@attrs.frozen(kw_only=True)
class GoalRevision:
    """One change to a goal: the version before and after, who changed it, when and why."""

    goal_id: str = attrs.field(validator=v.identifier)
    revision: int = attrs.field(validator=_revision_number)
    before: Goal = attrs.field(validator=v.instance_of(Goal))
    after: Goal = attrs.field(validator=v.instance_of(Goal))
    actor: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    reason: str = attrs.field(validator=v.non_empty_text)

    def __attrs_post_init__(self) -> None:
        for name in ("before", "after"):
            goal: Goal = getattr(self, name)
            if goal.id != self.goal_id:
                raise ValidationError(f"{name}.id", goal.id, f"is not goal_id {self.goal_id!r}")
        if self.after.revision != self.revision:
            raise ValidationError(
                "after.revision", self.after.revision, f"is not revision {self.revision}"
            )
        if self.before.revision != self.revision - 1:
            raise ValidationError(
                "before.revision", self.before.revision, f"is not revision {self.revision - 1}"
            )


@attrs.frozen(kw_only=True)
class CheckIn:
    """A reading of a goal's metric at a moment, with a note (a one-on-one, a weekly update).

    The reading matches the goal's metric: ``value`` for a numeric metric, ``done`` for a binary
    one, ``milestones_done`` (every milestone done so far) for a milestone metric; a
    :class:`GoalSet` checks the fit. ``confidence`` (0.0–1.0) is the author's confidence that the
    goal will be met.
    """

    id: str = attrs.field(validator=v.identifier)
    goal_id: str = attrs.field(validator=v.identifier)
    author: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    value: float | None = attrs.field(
        default=None, converter=_optional_float, validator=v.optional(finite_float)
    )
    done: bool | None = attrs.field(default=None, validator=v.optional(v.instance_of(bool)))
    milestones_done: tuple[str, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.identifier), v.unique_ids(lambda m: m, "milestone")],
    )
    confidence: float | None = attrs.field(
        default=None,
        converter=_optional_float,
        validator=v.optional(v.between(0.0, 1.0)),
    )
    note: str = attrs.field(default="", validator=v.text)


# --- weight reports ---------------------------------------------------------------------------


def _sums_to_one(total: float) -> bool:
    return abs(total - 1.0) <= WEIGHT_TOLERANCE


@attrs.frozen(kw_only=True)
class OwnerWeights:
    """The weights of one owner's goals in one cycle (``cycle_id`` ``None``: goals outside any
    cycle), and their sum."""

    owner: Owner = attrs.field(validator=v.instance_of(Owner))
    cycle_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    goal_ids: tuple[str, ...] = attrs.field(converter=v.tuple_of, validator=v.each(v.identifier))
    total: float = attrs.field(converter=as_float, validator=finite_float)

    @property
    def sums_to_one(self) -> bool:
        return _sums_to_one(self.total)


@attrs.frozen(kw_only=True)
class ParentWeights:
    """The contribution weights of the goals aligned to ``parent_id``, and their sum."""

    parent_id: str = attrs.field(validator=v.identifier)
    goal_ids: tuple[str, ...] = attrs.field(converter=v.tuple_of, validator=v.each(v.identifier))
    total: float = attrs.field(converter=as_float, validator=finite_float)

    @property
    def sums_to_one(self) -> bool:
        return _sums_to_one(self.total)


@attrs.frozen(kw_only=True)
class WeightReport:
    """Sums of goal weights per owner and cycle, and of contribution weights per parent goal.

    With ``require_sum_to_one`` the policy wants each sum to be 1 (within 1e-9); the groups that
    are not are listed by :attr:`unbalanced_owners` and :attr:`unbalanced_parents`. Nothing is
    rescaled: fixing weights is a decision for people, not for perfkit.
    """

    require_sum_to_one: bool = attrs.field(validator=v.instance_of(bool))
    owners: tuple[OwnerWeights, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(OwnerWeights))
    )
    parents: tuple[ParentWeights, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(ParentWeights))
    )

    @property
    def unbalanced_owners(self) -> tuple[OwnerWeights, ...]:
        if not self.require_sum_to_one:
            return ()
        return tuple(g for g in self.owners if not g.sums_to_one)

    @property
    def unbalanced_parents(self) -> tuple[ParentWeights, ...]:
        if not self.require_sum_to_one:
            return ()
        return tuple(g for g in self.parents if not g.sums_to_one)

    @property
    def ok(self) -> bool:
        """True when the policy is met (always, when it does not require sums of one)."""
        return not self.unbalanced_owners and not self.unbalanced_parents


# --- the goal set -----------------------------------------------------------------------------

_id = operator.attrgetter("id")
_at_then_id = operator.attrgetter("at", "id")  # (c.at, c.id), built in C
_at = operator.attrgetter("at")
_NONE = range(0)


def _bisect_at(items: tuple[CheckIn, ...], span: range, moment: datetime) -> int:
    """Where the check-ins of ``span`` (in time order) after ``moment`` begin."""
    return bisect.bisect_right(items, moment, lo=span.start, hi=span.stop, key=_at)


def _first_loop(parents: Mapping[str, Sequence[str]]) -> tuple[str, ...] | None:
    """A loop of the alignment graph (child → parents), or ``None`` when it is acyclic.

    Depth-first, iteratively (a 100,000-deep chain is fine), starting from ids in sorted order
    and following parents in sorted order, so the loop found does not depend on input order. It
    is given from its smallest id with that id repeated at the end: ``a -> b -> c -> a``.
    """
    done: set[str] = set()
    for start in sorted(parents):
        if start in done:
            continue
        path = [start]
        on_path = {start}
        stack = [iter(parents[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                node = path.pop()
                on_path.discard(node)
                done.add(node)
            elif nxt in on_path:
                loop = path[path.index(nxt) :]
                at = loop.index(min(loop))
                rotated = loop[at:] + loop[:at]
                return (*rotated, rotated[0])
            elif nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(parents[nxt]))
    return None


def _checked_as_of(as_of: object) -> datetime | None:
    if as_of is not None:
        v.aware_datetime(None, attrs.fields(Progress).as_of, as_of)
    return as_of  # type: ignore[return-value]


def _combine(strategy: RollupStrategy, parts: list[tuple[float, float]]) -> float:
    result = strategy.combine(parts)
    if isinstance(result, bool) or not isinstance(result, int | float) or not math.isfinite(result):
        raise ValidationError(
            "strategy", strategy.name, f"returned {result!r}, which is not a finite number"
        )
    return float(result)


@attrs.frozen(kw_only=True)
class GoalSet:
    """The goals of an organisation (or a cycle) and their check-ins, checked together.

    Construction refuses repeated ids, alignments to goals that are not in the set
    (``goals[3].aligns_to[0].parent_id``), alignment loops (named: ``a -> b -> a``), check-ins
    for unknown goals and check-ins whose reading does not fit the goal's metric
    (``check_ins[5].value``). Queries answer in id order (check-ins in time order) whatever the
    input order; indexes are built once, on first use.

    Archived goals stay in the set and answer queries, but leave rollups and weight sums.
    """

    goals: tuple[Goal, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(Goal)), v.unique_ids(_id, "goal")],
    )
    check_ins: tuple[CheckIn, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(CheckIn)), v.unique_ids(_id, "check-in")],
    )

    def __attrs_post_init__(self) -> None:
        by_id = self._by_id
        for i, goal in enumerate(self.goals):
            for j, alignment in enumerate(goal.aligns_to):
                if alignment.parent_id not in by_id:
                    raise UnknownReferenceError(
                        f"goals[{i}].aligns_to[{j}].parent_id",
                        alignment.parent_id,
                        "is not a goal in this set",
                    )
        parents = {g.id: sorted(a.parent_id for a in g.aligns_to) for g in self.goals}
        loop = _first_loop(parents)
        if loop is not None:
            index = self._index[loop[0]]
            j = next(k for k, a in enumerate(self.goals[index].aligns_to) if a.parent_id == loop[1])
            raise HierarchyLoopError(
                f"goals[{index}].aligns_to[{j}].parent_id", loop, "goal alignment"
            )
        for i, check_in in enumerate(self.check_ins):
            target = by_id.get(check_in.goal_id)
            if target is None:
                raise UnknownReferenceError(
                    f"check_ins[{i}].goal_id", check_in.goal_id, "is not a goal in this set"
                )
            try:
                target.metric.check(check_in)
            except ValidationError as err:
                raise err.at(f"check_ins[{i}]") from None

    # --- indexes (derived once; not part of equality or JSON) ------------------------------

    @functools.cached_property
    def _by_id(self) -> dict[str, Goal]:
        return {g.id: g for g in self.goals}

    @functools.cached_property
    def _index(self) -> dict[str, int]:
        return {g.id: i for i, g in enumerate(self.goals)}

    @functools.cached_property
    def _children(self) -> dict[str, tuple[tuple[str, float], ...]]:
        """parent id → ``(child id, contribution weight)``, by child id."""
        found: dict[str, list[tuple[str, float]]] = {}
        for goal in self.goals:
            for a in goal.aligns_to:
                found.setdefault(a.parent_id, []).append((goal.id, a.weight))
        return {k: tuple(sorted(c)) for k, c in found.items()}

    @functools.cached_property
    def _active_children(self) -> dict[str, tuple[tuple[str, float], ...]]:
        """Like ``_children`` without archived contributors: what rollups use."""
        archived = {g.id for g in self.goals if g.status is _S.ARCHIVED}
        out: dict[str, tuple[tuple[str, float], ...]] = {}
        for parent, kids in self._children.items():
            active = tuple(k for k in kids if k[0] not in archived)
            if active:
                out[parent] = active
        return out

    @functools.cached_property
    def _timeline(self) -> tuple[tuple[CheckIn, ...], dict[str, range]]:
        """Every check-in grouped by goal, each goal's in time order (ties by id), and where
        each goal's run lies in it. One tuple for all (not one per goal): the index stays small
        and adds few objects for the garbage collector to track."""
        found: dict[str, list[CheckIn]] = {}
        for c in self.check_ins:
            found.setdefault(c.goal_id, []).append(c)
        items: list[CheckIn] = []
        spans: dict[str, range] = {}
        for goal_id, mine in found.items():
            mine.sort(key=_at_then_id)
            spans[goal_id] = range(len(items), len(items) + len(mine))
            items.extend(mine)
        return tuple(items), spans

    @functools.cached_property
    def _sorted(self) -> tuple[Goal, ...]:
        return tuple(sorted(self.goals, key=_id))

    # --- queries ---------------------------------------------------------------------------

    def goal(self, goal_id: str) -> Goal:
        """The goal with this id, or :class:`NotFoundError`."""
        if not isinstance(goal_id, str):
            raise ValidationError("goal_id", goal_id, "is not a string id")
        found = self._by_id.get(goal_id)
        if found is None:
            raise NotFoundError("goal", goal_id)
        return found

    def _goals(self, ids: Iterable[str]) -> tuple[Goal, ...]:
        return tuple(self._by_id[i] for i in sorted(ids))

    def contributors(self, goal_id: str) -> tuple[Goal, ...]:
        """The goals aligned directly to this one (its children in the cascade), by id."""
        return self._goals(c for c, _ in self._children.get(self.goal(goal_id).id, ()))

    def parents(self, goal_id: str) -> tuple[Goal, ...]:
        """The goals this one aligns to, by id."""
        return self._goals(a.parent_id for a in self.goal(goal_id).aligns_to)

    def roots(self) -> tuple[Goal, ...]:
        """The goals that align to nothing (top of the cascade), by id."""
        return tuple(g for g in self._sorted if not g.aligns_to)

    def descendants(self, goal_id: str) -> tuple[Goal, ...]:
        """Every goal that contributes to this one, directly or through others, by id."""
        start = self.goal(goal_id).id
        seen: set[str] = set()
        todo = [start]
        while todo:
            for child, _ in self._children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return self._goals(seen)

    def goals_of(self, owner: Owner) -> tuple[Goal, ...]:
        """The goals this owner holds (all cycles), by id."""
        if not isinstance(owner, Owner):
            raise ValidationError("owner", owner, "is not an Owner")
        return tuple(g for g in self._sorted if g.owner == owner)

    def check_ins_for(self, goal_id: str, as_of: datetime | None = None) -> tuple[CheckIn, ...]:
        """The goal's check-ins in time order, up to and including ``as_of`` (all when ``None``)."""
        goal = self.goal(goal_id)
        moment = _checked_as_of(as_of)
        items, spans = self._timeline
        span = spans.get(goal.id, _NONE)
        end = span.stop if moment is None else _bisect_at(items, span, moment)
        return items[span.start : end]

    def latest_check_in(self, goal_id: str, as_of: datetime | None = None) -> CheckIn | None:
        """The goal's last check-in at or before ``as_of`` (the last of all when ``None``)."""
        items = self.check_ins_for(goal_id, as_of)
        return items[-1] if items else None

    def attainment(self, goal_id: str, as_of: datetime | None = None) -> float:
        """The goal's own metric read from its latest check-in; 0.0 without one."""
        return self._own(self.goal(goal_id).id, _checked_as_of(as_of))[0]

    def _own(self, goal_id: str, as_of: datetime | None) -> tuple[float, CheckIn | None]:
        """A known goal's own attainment at ``as_of`` and the check-in it comes from."""
        items, spans = self._timeline
        span = spans.get(goal_id, _NONE)
        end = span.stop if as_of is None else _bisect_at(items, span, as_of)
        if end == span.start:
            return 0.0, None
        latest = items[end - 1]
        return self._by_id[goal_id].metric.attainment(latest), latest

    def progress(
        self,
        goal_id: str,
        as_of: datetime | None = None,
        strategy: RollupStrategy | str = WEIGHTED_MEAN,
    ) -> Progress:
        """The goal's progress, explained.

        A goal with (non-archived) contributors rolls up from them by ``strategy`` (an object or
        a registered name), each contributing its own progress with its alignment weight toward
        this goal; a goal without contributors uses its own attainment. Each goal below is
        computed once (a shared contributor too), without recursion, so the cost is linear in
        the size of the goal's subgraph.
        """
        goal = self.goal(goal_id)
        moment = _checked_as_of(as_of)
        how = rollup_strategy(strategy)
        kids = self._active_children.get(goal.id)
        if kids:
            values = self._rollup(goal.id, moment, how)
            return Progress(
                goal_id=goal.id,
                value=values[goal.id],
                source=ProgressSource.ROLLUP,
                strategy=how.name,
                parts=tuple(ProgressPart(goal_id=c, weight=w, value=values[c]) for c, w in kids),
                as_of=moment,
            )
        value, latest = self._own(goal.id, moment)
        if latest is None:
            return Progress(goal_id=goal.id, value=0.0, source=ProgressSource.NONE, as_of=moment)
        return Progress(
            goal_id=goal.id,
            value=value,
            source=ProgressSource.CHECK_IN,
            check_in_id=latest.id,
            as_of=moment,
        )

    def _rollup(
        self, root: str, as_of: datetime | None, strategy: RollupStrategy
    ) -> dict[str, float]:
        """The value of ``root`` and of every goal below it: an iterative post-order walk."""
        kids = self._active_children
        values: dict[str, float] = {}
        stack = [root]
        while stack:
            node = stack[-1]
            if node in values:
                stack.pop()
                continue
            children = kids.get(node, ())
            pending = [c for c, _ in children if c not in values]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if children:
                values[node] = _combine(strategy, [(w, values[c]) for c, w in children])
            else:
                values[node] = self._own(node, as_of)[0]
        return values

    def weight_report(self, require_sum_to_one: bool = False) -> WeightReport:
        """Sum of goal weights per owner and cycle, and of contribution weights per parent.

        Archived goals are left out. With ``require_sum_to_one`` the report lists the groups
        whose sum is not 1 (within 1e-9); it never changes a weight.
        """
        if not isinstance(require_sum_to_one, bool):
            raise ValidationError("require_sum_to_one", require_sum_to_one, "is not a bool")
        groups: dict[tuple[str | None, OwnerKind, str], list[Goal]] = {}
        for g in self._sorted:
            if g.status is not _S.ARCHIVED:
                groups.setdefault((g.cycle_id, g.owner.kind, g.owner.id), []).append(g)
        owners = [
            OwnerWeights(
                owner=members[0].owner,
                cycle_id=cycle,
                goal_ids=tuple(g.id for g in members),
                total=math.fsum(g.weight for g in members),
            )
            for (cycle, _, _), members in sorted(
                groups.items(), key=lambda kv: (kv[0][0] is not None, kv[0][0] or "", *kv[0][1:])
            )
        ]
        parents = [
            ParentWeights(
                parent_id=parent,
                goal_ids=tuple(c for c, _ in kids),
                total=math.fsum(w for _, w in kids),
            )
            for parent, kids in sorted(self._active_children.items())
        ]
        return WeightReport(require_sum_to_one=require_sum_to_one, owners=owners, parents=parents)

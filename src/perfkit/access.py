"""Access rules: who may read which goals, feedback, reviews and results, and anonymity.

A performance-management product holds records people must not all see: a manager's private
notes, the feedback peers gave anonymously, a rating before it is released. perfkit states the
rules once, as a *visibility policy*, and every read a host makes goes through them.

A :class:`Viewer` is the person reading (an employee, a manager — derived from the reporting
lines —, an HR administrator, a calibration participant). A policy answers, item by item,
whether the viewer may read it, with a reason (:class:`Decision`). :class:`DefaultPolicy` holds
perfkit's documented rules (docs/access.md); a host replaces them by passing any object with the
:class:`VisibilityPolicy` methods — usually a subclass or a wrapper of the default one.

Anonymity: peer and upward feedback (answers to feedback requests, peer and upward reviews) and
anything marked anonymous reaches its subject only *aggregated* — an :class:`AggregatedFeedback`
or :class:`AggregatedReviews` — and only when at least ``k`` responses exist (``k`` = 3 by
default). Below that it is withheld (:class:`WithheldFeedback`, :class:`WithheldReviews`) with a
reason that is the same whatever the number. An aggregate carries no author ids and no
per-response times, and lists comments sorted by their text, so nothing in it depends on who
wrote first.

Everything here is pure: the functions filter what they are given. ``perfkit.storage.queries``
applies them to what a store holds.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol, runtime_checkable

import attrs

from . import _validation as v
from ._errors import PermissionDenied, ValidationError
from ._frozen import FrozenMap, frozen_map
from ._serialization import register_union
from .calibration import CalibrationSession
from .cycles import CycleStage, ReviewCycle
from .dataset import CycleData
from .feedback import (
    Constructive,
    FeedbackEvent,
    FeedbackLog,
    FeedbackRequest,
    FeedbackResponse,
    Note,
    Praise,
    Visibility,
)
from .goals import Goal, OwnerKind
from .org import Organisation
from .reviews import Review, ReviewerRole, ReviewStatus
from .run import EmployeeResult
from .scales import ScaleRef

__all__ = [
    "AccessContext",
    "AggregatedFeedback",
    "AggregatedReviews",
    "CriterionSummary",
    "DEFAULT_POLICY",
    "Decision",
    "DefaultPolicy",
    "FeedbackSummary",
    "FeedbackView",
    "ReviewSummary",
    "ReviewView",
    "Viewer",
    "VisibilityPolicy",
    "WithheldFeedback",
    "WithheldReviews",
    "decide",
    "feedback_view",
    "peer_review_summary",
    "peer_summary",
    "quarters",
    "require",
    "review_view",
    "visible_feedback",
    "visible_goals",
    "visible_results",
    "visible_reviews",
]

_EVENT_TYPES = (Praise, Constructive, Note, FeedbackRequest, FeedbackResponse)
_SHARED = frozenset({ReviewStatus.SHARED, ReviewStatus.ACKNOWLEDGED})
_GROUP_ROLES = (ReviewerRole.PEER, ReviewerRole.UPWARD)
_ROLE_ORDER = {r: i for i, r in enumerate(ReviewerRole)}
_STAGE_ORDER = {s: i for i, s in enumerate(CycleStage)}
_QUARTER_RE = re.compile(r"^[0-9]{4}-Q[1-4]$")


# --- small validators ------------------------------------------------------------------------


def _unique_texts(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(value):
        if item in seen:
            raise ValidationError(
                f"{attribute.name}[{i}]", item, f"repeats {attribute.name}[{seen[item]}]"
            )
        seen[item] = i


def _a_bool(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(attribute.name, value, "is not true or false")


def _at_least_one(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(attribute.name, value, "is not an integer")
    if value < 1:
        raise ValidationError(attribute.name, value, "is not at least 1")


def _quarter_label(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _QUARTER_RE.match(value):
        raise ValidationError(attribute.name, value, "is not a calendar quarter like '2026-Q1'")


def _sorted_texts(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    """Comments are kept sorted by text, so their order says nothing about who wrote first."""
    if list(value) != sorted(value):
        raise ValidationError(attribute.name, value, "is not sorted by text")


def _to_stage(value: Any) -> Any:
    return v.as_enum(CycleStage, value)


def _to_role(value: Any) -> Any:
    return v.as_enum(ReviewerRole, value)


def _check_id(name: str, value: object) -> str:
    if not isinstance(value, str) or not v.is_id(value):
        raise ValidationError(name, value, "is not a valid id")
    return value


def _check_time(name: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(name, value, "is not a datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(name, value, "is a naive datetime; give it a timezone")
    return value


def _check_str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(name, value, "is not a string id")
    return value


def _window(start: object, end: object) -> tuple[datetime, datetime]:
    low, high = _check_time("start", start), _check_time("end", end)
    if high < low:
        raise ValidationError("end", high, f"is before start {low}")
    return low, high


def _items(name: str, value: object, kinds: tuple[type, ...], what: str) -> tuple[Any, ...]:
    """A collection argument as a tuple, each item one of ``kinds`` (``events[3]`` if not)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(name, value, f"is not a collection of {what}")
    items = tuple(value)
    for i, item in enumerate(items):
        if not isinstance(item, kinds):
            raise ValidationError(f"{name}[{i}]", item, f"is not {v.article(what)} {what}")
    return items


# --- the viewer and the decision --------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Viewer:
    """Who is reading: an id (an employee's, or an HR administrator's who need not be one) and
    the grants a host knows about.

    Being a *manager* is not a flag: it comes from the organisation's reporting lines (whoever
    is above someone manages them). ``hr_admin`` makes the viewer an HR administrator;
    ``calibration_session_ids`` lists the calibration sessions they take part in.
    ``attributes`` carries free ``str → str`` facts a host's own policy may read (a region,
    a legal-hold flag); the default policy ignores them.
    """

    id: str = attrs.field(validator=v.identifier)
    hr_admin: bool = attrs.field(default=False, validator=_a_bool)
    calibration_session_ids: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=[v.each(v.identifier), _unique_texts]
    )
    attributes: FrozenMap = attrs.field(
        factory=FrozenMap, converter=frozen_map, validator=v.instance_of(FrozenMap)
    )

    @classmethod
    def employee(cls, employee_id: str) -> Viewer:
        """An employee (a manager too: managing follows from the reporting lines)."""
        return cls(id=employee_id)

    @classmethod
    def hr(cls, viewer_id: str) -> Viewer:
        """An HR administrator."""
        return cls(id=viewer_id, hr_admin=True)

    @classmethod
    def calibrator(cls, viewer_id: str, *session_ids: str) -> Viewer:
        """A participant in the calibration sessions ``session_ids``."""
        return cls(id=viewer_id, calibration_session_ids=session_ids)


@attrs.frozen(kw_only=True)
class Decision:
    """A policy's answer for one viewer and one item: ``allowed`` or not, and the rule that
    decided (``reason``), so a refusal can say why without showing the item."""

    allowed: bool = attrs.field(validator=_a_bool)
    reason: str = attrs.field(validator=v.non_empty_text)

    @classmethod
    def allow(cls, reason: str) -> Decision:
        return cls(allowed=True, reason=reason)

    @classmethod
    def deny(cls, reason: str) -> Decision:
        return cls(allowed=False, reason=reason)


def require(decision: Decision, viewer: Viewer, what: str, key: str) -> None:
    """Raise :class:`~perfkit.PermissionDenied` (naming ``viewer``, ``what``, ``key`` and the
    decision's reason) unless ``decision`` allows: for single reads."""
    if not isinstance(decision, Decision):
        raise ValidationError("decision", decision, "is not a Decision")
    if not isinstance(viewer, Viewer):
        raise ValidationError("viewer", viewer, "is not a Viewer")
    if not decision.allowed:
        raise PermissionDenied(viewer.id, what, key, decision.reason)


# --- what the rules look at -------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AccessContext:
    """What access decisions look at besides the viewer and the item.

    ``organisation`` gives the reporting lines (who manages whom); ``cycles`` the review cycles
    whose stage says whether final ratings are released; ``sessions`` the calibration sessions
    whose populations calibration participants see. A viewer's session ids that are not here
    grant nothing, and a result of a cycle that is not here counts as not released.
    """

    organisation: Organisation = attrs.field(validator=v.instance_of(Organisation))
    cycles: tuple[ReviewCycle, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(ReviewCycle)), v.unique_ids(lambda c: c.id, "cycle")],
    )
    sessions: tuple[CalibrationSession, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[
            v.each(v.instance_of(CalibrationSession)),
            v.unique_ids(lambda s: s.id, "session"),
        ],
    )

    @classmethod
    def from_data(
        cls, data: CycleData, sessions: Iterable[CalibrationSession] = ()
    ) -> AccessContext:
        """The context of one cycle's inputs: its organisation and cycle, and ``sessions``."""
        if not isinstance(data, CycleData):
            raise ValidationError("data", data, "is not a CycleData")
        return cls(organisation=data.organisation, cycles=(data.cycle,), sessions=sessions)

    @functools.cached_property
    def _index(self) -> _Index:
        """The lookups decisions use (built once, on first use; not part of equality, hashing
        or the JSON)."""
        return _Index(self)

    def in_organisation(self, person_id: str) -> bool:
        """Whether ``person_id`` is an employee of the organisation."""
        return _check_str("person_id", person_id) in self._index.people

    def manages(self, manager_id: str, employee_id: str) -> bool:
        """Whether ``manager_id`` is anywhere above ``employee_id`` in the reporting lines
        (``False`` when either is not in the organisation; nobody manages themselves)."""
        people = self._index.people
        _check_str("manager_id", manager_id)
        if manager_id not in people or _check_str("employee_id", employee_id) not in people:
            return False
        return self.organisation.manages(manager_id, employee_id)

    def cycle(self, cycle_id: str) -> ReviewCycle | None:
        """The cycle with this id, ``None`` when the context does not have it."""
        return self._index.cycles.get(_check_str("cycle_id", cycle_id))

    def calibration_session_of(self, viewer: Viewer, employee_id: str) -> str | None:
        """The first (by id) of the viewer's calibration sessions in this context whose
        population holds ``employee_id`` — never for the viewer themselves —, else ``None``."""
        if not isinstance(viewer, Viewer):
            raise ValidationError("viewer", viewer, "is not a Viewer")
        if _check_str("employee_id", employee_id) == viewer.id:
            return None
        populations = self._index.populations
        for session_id in sorted(viewer.calibration_session_ids):
            if employee_id in populations.get(session_id, frozenset()):
                return session_id
        return None


class _Index:
    """The lookups an :class:`AccessContext` answers from (built once per context)."""

    def __init__(self, context: AccessContext) -> None:
        self.people = frozenset(e.id for e in context.organisation.employees)
        self.cycles = {c.id: c for c in context.cycles}
        self.populations = {
            s.id: frozenset(e.employee_id for e in s.population) for s in context.sessions
        }


# --- the policy -------------------------------------------------------------------------------


@runtime_checkable
class VisibilityPolicy(Protocol):
    """What a visibility policy answers. :class:`DefaultPolicy` is perfkit's; a host passes its
    own (a subclass of it, a wrapper around it, or a class of its own) wherever ``policy=`` is
    taken.

    ``aggregated_only`` says which feedback events and reviews reach their subject only in an
    aggregate (never one by one, whatever the ``can_see_*`` methods say: the functions of this
    module enforce it), and ``counts_in_summary`` which of those the aggregate counts now.
    ``k`` is the smallest number of responses an aggregate shows.
    """

    @property
    def k(self) -> int: ...

    def can_see_goal(self, viewer: Viewer, goal: Goal, context: AccessContext) -> Decision: ...

    def can_see_feedback(
        self, viewer: Viewer, event: FeedbackEvent, context: AccessContext
    ) -> Decision: ...

    def can_see_review(
        self, viewer: Viewer, review: Review, context: AccessContext
    ) -> Decision: ...

    def can_see_result(
        self, viewer: Viewer, result: EmployeeResult, cycle_id: str, context: AccessContext
    ) -> Decision: ...

    def can_see_summary(
        self, viewer: Viewer, subject_id: str, context: AccessContext
    ) -> Decision: ...

    def aggregated_only(self, item: FeedbackEvent | Review, context: AccessContext) -> bool: ...

    def counts_in_summary(self, item: FeedbackEvent | Review, context: AccessContext) -> bool: ...


_HR = "HR administrators see everything"


@attrs.frozen(kw_only=True)
class DefaultPolicy:
    """perfkit's visibility rules (the table in docs/access.md).

    * Goals: employees see their own; managers those of their whole reporting tree; company and
      unit goals are open to everyone in the organisation; calibration participants see the
      goals of their sessions' population; HR administrators see all.
    * Feedback: its author always; a private item nobody else (not even HR); shared with the
      subject, the subject; shared with the manager chain, the subject and everyone above them;
      a request, also the people it asks. Peer and upward answers to a request, and anything
      anonymous, reach the subject only aggregated. HR administrators see the rest.
    * Reviews: the reviewer; the subject once the review is shared (peer and upward reviews
      only aggregated); the subject's managers and calibration participants once submitted;
      HR administrators all.
    * Results: the employee once the cycle has reached ``release_stage`` (default: completed);
      their managers, calibration participants and HR administrators at any time.
    * Aggregates (anonymous and peer feedback, peer and upward reviews): the subject, their
      managers and HR administrators, with at least ``k`` responses (default 3).
    """

    k: int = attrs.field(default=3, validator=_at_least_one)
    release_stage: CycleStage = attrs.field(
        default=CycleStage.COMPLETED, converter=_to_stage, validator=v.enum_member(CycleStage)
    )

    # --- what reaches its subject only aggregated -------------------------------------------

    def aggregated_only(self, item: FeedbackEvent | Review, context: AccessContext) -> bool:
        """Peer and upward reviews; answers to a feedback request from anyone but the subject's
        managers; anything anonymous (except a request, which is not feedback)."""
        _check_item(context, item, (*_EVENT_TYPES, Review), "feedback event or Review")
        if isinstance(item, Review):
            return item.role in _GROUP_ROLES
        if isinstance(item, FeedbackRequest):
            return False
        if item.visibility is Visibility.ANONYMOUS:
            return True
        return isinstance(item, FeedbackResponse) and not context.manages(item.author, item.subject)

    def counts_in_summary(self, item: FeedbackEvent | Review, context: AccessContext) -> bool:
        """An aggregated-only item counts unless it is private (feedback) or not yet shared with
        its subject (reviews)."""
        if not self.aggregated_only(item, context):
            return False
        if isinstance(item, Review):
            return item.status in _SHARED
        return item.visibility is not Visibility.PRIVATE

    def released(self, cycle: ReviewCycle) -> bool:
        """Whether the cycle has released final results to employees: its stage is
        ``release_stage`` or later (in the order of :class:`~perfkit.CycleStage`)."""
        if not isinstance(cycle, ReviewCycle):
            raise ValidationError("cycle", cycle, "is not a ReviewCycle")
        return _STAGE_ORDER[cycle.stage] >= _STAGE_ORDER[self.release_stage]

    # --- decisions ----------------------------------------------------------------------------

    def can_see_goal(self, viewer: Viewer, goal: Goal, context: AccessContext) -> Decision:
        _check_args(viewer, context, goal, (Goal,), "Goal")
        if viewer.hr_admin:
            return Decision.allow(_HR)
        owner = goal.owner
        if owner.kind is not OwnerKind.EMPLOYEE:
            if context.in_organisation(viewer.id):
                return Decision.allow(
                    f"{owner.kind.value} goals are open to everyone in the organisation"
                )
            return Decision.deny(
                f"{owner.kind.value} goals are open to the organisation's employees only"
            )
        if owner.id == viewer.id:
            return Decision.allow("it is their own goal")
        overseen = _overseen(viewer, owner.id, "owner", context)
        if overseen is not None:
            return overseen
        return Decision.deny(
            "an employee's goal is seen by the employee, their managers, their calibrators "
            "and HR only"
        )

    def can_see_feedback(
        self, viewer: Viewer, event: FeedbackEvent, context: AccessContext
    ) -> Decision:
        _check_args(viewer, context, event, _EVENT_TYPES, "feedback event")
        if viewer.id == event.author:
            return Decision.allow("they wrote it")
        if isinstance(event, FeedbackRequest) and viewer.id in event.requested_from:
            # Whatever its visibility: the people asked must see the question to answer it.
            return Decision.allow("the request asks them")
        if event.visibility is Visibility.PRIVATE:
            return Decision.deny("a private item is seen by its author alone")
        if viewer.id == event.subject:
            if self.aggregated_only(event, context):
                return Decision.deny(self._aggregated_reason())
            if event.visibility is Visibility.ANONYMOUS:
                return Decision.deny(
                    "an anonymous request is not shown to its subject: it names its author"
                )
        if viewer.hr_admin:
            return Decision.allow(_HR)
        if viewer.id == event.subject:
            return Decision.allow("it is shared with its subject")
        if event.visibility is Visibility.MANAGER_CHAIN and context.manages(
            viewer.id, event.subject
        ):
            return Decision.allow("it is shared with the subject's managers")
        return Decision.deny(_FEEDBACK_DENIALS[event.visibility])

    def can_see_review(self, viewer: Viewer, review: Review, context: AccessContext) -> Decision:
        _check_args(viewer, context, review, (Review,), "Review")
        if viewer.id == review.reviewer:
            return Decision.allow("they wrote it")
        if viewer.id == review.subject and self.aggregated_only(review, context):
            return Decision.deny(self._aggregated_reason())
        if viewer.hr_admin:
            return Decision.allow(_HR)
        if viewer.id == review.subject:
            if review.status in _SHARED:
                return Decision.allow("it is shared with its subject")
            return Decision.deny("it is not shared with its subject yet")
        if review.status is ReviewStatus.DRAFT:
            return Decision.deny("a draft is seen by its reviewer alone")
        overseen = _overseen(viewer, review.subject, "subject", context)
        if overseen is not None:
            return overseen
        return Decision.deny(
            "a review is seen by its reviewer, its subject, the subject's managers, their "
            "calibrators and HR only"
        )

    def can_see_result(
        self, viewer: Viewer, result: EmployeeResult, cycle_id: str, context: AccessContext
    ) -> Decision:
        _check_args(viewer, context, result, (EmployeeResult,), "EmployeeResult")
        _check_id("cycle_id", cycle_id)
        if viewer.hr_admin:
            return Decision.allow(_HR)
        if viewer.id == result.employee_id:
            cycle = context.cycle(cycle_id)
            if cycle is None:
                return Decision.deny(
                    f"the release of cycle {cycle_id!r} is unknown (the access context does "
                    "not hold the cycle)"
                )
            if self.released(cycle):
                return Decision.allow(f"cycle {cycle_id!r} has released final results")
            return Decision.deny(
                f"cycle {cycle_id!r} has not released final results: it is at stage "
                f"{cycle.stage.value!r}, results are released from {self.release_stage.value!r}"
            )
        overseen = _overseen(viewer, result.employee_id, "employee", context)
        if overseen is not None:
            return overseen
        return Decision.deny(
            "a result is seen by the employee once released, their managers, their "
            "calibrators and HR only"
        )

    def can_see_summary(self, viewer: Viewer, subject_id: str, context: AccessContext) -> Decision:
        _check_args(viewer, context)
        if viewer.id == _check_str("subject_id", subject_id):
            return Decision.allow("it is about them")
        if viewer.hr_admin:
            return Decision.allow(_HR)
        if context.manages(viewer.id, subject_id):
            return Decision.allow("the subject is in their reporting tree")
        return Decision.deny(
            "aggregated feedback is read by its subject, their managers and HR only"
        )

    def _aggregated_reason(self) -> str:
        return (
            "peer, upward and anonymous feedback reaches its subject only aggregated, in groups "
            f"of at least {self.k}"
        )


def _overseen(viewer: Viewer, person_id: str, noun: str, context: AccessContext) -> Decision | None:
    """Allowed because ``person_id`` is in the viewer's reporting tree or in one of their
    calibration sessions (``noun`` names the person in the reason); None otherwise."""
    if context.manages(viewer.id, person_id):
        return Decision.allow(f"the {noun} is in their reporting tree")
    session = context.calibration_session_of(viewer, person_id)
    if session is not None:
        return Decision.allow(f"the {noun} is in calibration session {session!r}")
    return None


def _check_args(
    viewer: object,
    context: object,
    item: object = None,
    kinds: tuple[type, ...] = (),
    what: str = "",
) -> None:
    """A policy method's arguments (``kinds`` empty: no item to check)."""
    if not isinstance(viewer, Viewer):
        raise ValidationError("viewer", viewer, "is not a Viewer")
    _check_item(context, item, kinds, what)


def _check_item(context: object, item: object, kinds: tuple[type, ...], what: str) -> None:
    if kinds and not isinstance(item, kinds):
        raise ValidationError("item", item, f"is not {v.article(what)} {what}")
    if not isinstance(context, AccessContext):
        raise ValidationError("context", context, "is not an AccessContext")


_FEEDBACK_DENIALS = {
    Visibility.SUBJECT: "it is shared with its subject only",
    Visibility.MANAGER_CHAIN: "it is shared with its subject and their managers only",
    Visibility.ANONYMOUS: "it is anonymous: only its subject reads it, aggregated",
    Visibility.PRIVATE: "a private item is seen by its author alone",
}

DEFAULT_POLICY: DefaultPolicy = DefaultPolicy()
"""The default rules with ``k = 3`` and results released when the cycle is completed."""


def _check_common(viewer: object, context: object, policy: object) -> None:
    if not isinstance(viewer, Viewer):
        raise ValidationError("viewer", viewer, "is not a Viewer")
    if not isinstance(context, AccessContext):
        raise ValidationError("context", context, "is not an AccessContext")
    if not isinstance(policy, VisibilityPolicy):
        raise ValidationError(
            "policy", policy, "is not a visibility policy (see perfkit.access.VisibilityPolicy)"
        )


def _decision(value: object, method: str) -> Decision:
    if not isinstance(value, Decision):
        raise ValidationError(f"policy.{method}", value, "is not a Decision")
    return value


def _k(policy: VisibilityPolicy) -> int:
    k = policy.k
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValidationError("policy.k", k, "is not a whole number of at least 1")
    return k


def decide(
    viewer: Viewer,
    item: Goal | FeedbackEvent | Review | EmployeeResult,
    context: AccessContext,
    *,
    policy: VisibilityPolicy = DEFAULT_POLICY,
    cycle_id: str | None = None,
) -> Decision:
    """Whether ``viewer`` may read one goal, feedback event, review or result (a result needs
    its ``cycle_id``).

    The policy decides, with one rule on top that no policy can lift: an item the policy calls
    *aggregated only* is never shown one by one to its subject (unless they wrote it).
    """
    _check_common(viewer, context, policy)
    if isinstance(item, Goal):
        return _decision(policy.can_see_goal(viewer, item, context), "can_see_goal")
    if isinstance(item, EmployeeResult):
        key = _check_id("cycle_id", cycle_id)
        return _decision(policy.can_see_result(viewer, item, key, context), "can_see_result")
    if isinstance(item, Review):
        if _held_back(viewer, item, item.reviewer, policy, context):
            return Decision.deny(_held_reason(policy))
        return _decision(policy.can_see_review(viewer, item, context), "can_see_review")
    if isinstance(item, _EVENT_TYPES):
        if _held_back(viewer, item, item.author, policy, context):
            return Decision.deny(_held_reason(policy))
        return _decision(policy.can_see_feedback(viewer, item, context), "can_see_feedback")
    raise ValidationError(
        "item", item, "is not a Goal, a feedback event, a Review or an EmployeeResult"
    )


def _held_back(
    viewer: Viewer,
    item: FeedbackEvent | Review,
    author: str,
    policy: VisibilityPolicy,
    context: AccessContext,
) -> bool:
    return (
        viewer.id == item.subject and viewer.id != author and policy.aggregated_only(item, context)
    )


def _held_reason(policy: VisibilityPolicy) -> str:
    return (
        "peer, upward and anonymous feedback reaches its subject only aggregated, in groups of "
        f"at least {_k(policy)}"
    )


# --- listings ---------------------------------------------------------------------------------


def visible_goals(
    viewer: Viewer,
    goals: Iterable[Goal],
    context: AccessContext,
    *,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> tuple[Goal, ...]:
    """The goals ``viewer`` may read, in the order given (the others are left out silently)."""
    _check_common(viewer, context, policy)
    items = _items("goals", goals, (Goal,), "Goal")
    return tuple(g for g in items if decide(viewer, g, context, policy=policy).allowed)


def visible_feedback(
    viewer: Viewer,
    events: Iterable[FeedbackEvent],
    context: AccessContext,
    *,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> tuple[FeedbackEvent, ...]:
    """The feedback events ``viewer`` may read one by one, in the order given. Aggregated-only
    items never appear here for their subject: they reach them through :func:`peer_summary`."""
    _check_common(viewer, context, policy)
    items = _items("events", events, _EVENT_TYPES, "feedback event")
    return tuple(e for e in items if decide(viewer, e, context, policy=policy).allowed)


def visible_reviews(
    viewer: Viewer,
    reviews: Iterable[Review],
    context: AccessContext,
    *,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> tuple[Review, ...]:
    """The reviews ``viewer`` may read one by one, in the order given (peer and upward reviews
    reach their subject through :func:`peer_review_summary`)."""
    _check_common(viewer, context, policy)
    items = _items("reviews", reviews, (Review,), "Review")
    return tuple(r for r in items if decide(viewer, r, context, policy=policy).allowed)


def visible_results(
    viewer: Viewer,
    cycle_id: str,
    results: Iterable[EmployeeResult],
    context: AccessContext,
    *,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> tuple[EmployeeResult, ...]:
    """The results of cycle ``cycle_id`` that ``viewer`` may read, in the order given."""
    _check_common(viewer, context, policy)
    key = _check_id("cycle_id", cycle_id)
    items = _items("results", results, (EmployeeResult,), "EmployeeResult")
    return tuple(
        r for r in items if decide(viewer, r, context, policy=policy, cycle_id=key).allowed
    )


# --- aggregates -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AggregatedFeedback:
    """The anonymous and peer feedback about ``subject`` for one calendar quarter (UTC), shown
    because at least ``k`` responses exist: how many (``count``) and their texts, sorted by text.

    Answers to a request count in the quarter the *request* was made, whenever they came, and
    other items in the quarter they were given: no per-response time shows, and no author.
    """

    kind: ClassVar[str] = "aggregated_feedback"

    subject: str = attrs.field(validator=v.identifier)
    quarter: str = attrs.field(validator=_quarter_label)
    count: int = attrs.field(validator=_at_least_one)
    comments: tuple[str, ...] = attrs.field(
        converter=v.tuple_of, validator=[v.each(v.text), _sorted_texts]
    )


@attrs.frozen(kw_only=True)
class WithheldFeedback:
    """The anonymous and peer feedback about ``subject`` for one quarter, withheld: fewer than
    ``k`` responses exist (none included). ``reason`` says so without saying how many."""

    kind: ClassVar[str] = "withheld_feedback"

    subject: str = attrs.field(validator=v.identifier)
    quarter: str = attrs.field(validator=_quarter_label)
    reason: str = attrs.field(validator=v.non_empty_text)


FeedbackSummary = AggregatedFeedback | WithheldFeedback
"""One quarter of anonymous and peer feedback: shown aggregated or withheld (JSON tagged by
``"type"``: ``"aggregated_feedback"``, ``"withheld_feedback"``)."""
register_union(AggregatedFeedback, WithheldFeedback)


@attrs.frozen(kw_only=True)
class CriterionSummary:
    """The mean of the ratings one criterion received in an aggregate of reviews, on ``scale``.
    Only criteria rated in at least ``k`` of the reviews are shown."""

    criterion_id: str = attrs.field(validator=v.identifier)
    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    mean: float = attrs.field(converter=v.as_float, validator=v.finite_float)


@attrs.frozen(kw_only=True)
class AggregatedReviews:
    """The peer (or upward) reviews of ``subject`` in one cycle, shown because at least ``k``
    of them are shared: how many, each criterion's mean rating and the comments, sorted by
    text — no reviewer ids."""

    kind: ClassVar[str] = "aggregated_reviews"

    subject: str = attrs.field(validator=v.identifier)
    cycle_id: str = attrs.field(validator=v.identifier)
    role: ReviewerRole = attrs.field(converter=_to_role, validator=v.enum_member(ReviewerRole))
    count: int = attrs.field(validator=_at_least_one)
    criteria: tuple[CriterionSummary, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(CriterionSummary))
    )
    comments: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=[v.each(v.text), _sorted_texts]
    )


@attrs.frozen(kw_only=True)
class WithheldReviews:
    """The peer (or upward) reviews of ``subject`` in one cycle, withheld: fewer than ``k`` are
    shared (none included). ``reason`` says so without saying how many."""

    kind: ClassVar[str] = "withheld_reviews"

    subject: str = attrs.field(validator=v.identifier)
    cycle_id: str = attrs.field(validator=v.identifier)
    role: ReviewerRole = attrs.field(converter=_to_role, validator=v.enum_member(ReviewerRole))
    reason: str = attrs.field(validator=v.non_empty_text)


ReviewSummary = AggregatedReviews | WithheldReviews
"""One group of peer or upward reviews: shown aggregated or withheld (JSON tagged by
``"type"``: ``"aggregated_reviews"``, ``"withheld_reviews"``)."""
register_union(AggregatedReviews, WithheldReviews)


def _utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # within hours of year 1 or year 9999
        if moment.year > 5000:
            return datetime.max.replace(tzinfo=UTC)
        return datetime.min.replace(tzinfo=UTC)


def _quarter_of(moment: datetime) -> tuple[int, int]:
    u = _utc(moment)
    return u.year, (u.month - 1) // 3 + 1


def _label(quarter: tuple[int, int]) -> str:
    return f"{quarter[0]:04d}-Q{quarter[1]}"


def quarters(start: datetime, end: datetime) -> tuple[str, ...]:
    """The calendar quarters (UTC) the window ``[start, end)`` touches, in order:
    ``('2026-Q1', '2026-Q2')``. An empty window touches none."""
    low, high = _window(start, end)
    return tuple(_label(q) for q in _quarter_range(low, high))


def _quarter_range(low: datetime, high: datetime) -> list[tuple[int, int]]:
    if high <= low:
        return []
    first, last = _quarter_of(low), _quarter_of(high - timedelta(microseconds=1))
    out = []
    year, q = first
    while (year, q) <= last:
        out.append((year, q))
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return out


def _withheld_reason(k: int, what: str) -> str:
    return f"fewer than {k} {what}: shown only in groups of {k} or more"


def _feedback_summaries(
    subject: str,
    log: FeedbackLog,
    context: AccessContext,
    low: datetime,
    high: datetime,
    policy: VisibilityPolicy,
) -> tuple[FeedbackSummary, ...]:
    k = _k(policy)
    wanted = _quarter_range(low, high)
    groups: dict[tuple[int, int], list[str]] = {q: [] for q in wanted}
    for event in log.about(subject):
        if not policy.counts_in_summary(event, context):
            continue
        when = event.at
        if isinstance(event, FeedbackResponse):
            when = log.get(event.request_id).at  # the quarter of the request, not the answer
        group = groups.get(_quarter_of(when))
        if group is not None:
            group.append(event.text)
    reason = _withheld_reason(k, "anonymous or peer responses in the quarter")
    out: list[FeedbackSummary] = []
    for q in wanted:
        texts = groups[q]
        if len(texts) >= k:
            out.append(
                AggregatedFeedback(
                    subject=subject, quarter=_label(q), count=len(texts), comments=sorted(texts)
                )
            )
        else:
            out.append(WithheldFeedback(subject=subject, quarter=_label(q), reason=reason))
    return tuple(out)


def peer_summary(
    viewer: Viewer,
    subject_id: str,
    log: FeedbackLog,
    context: AccessContext,
    *,
    start: datetime,
    end: datetime,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> tuple[FeedbackSummary, ...]:
    """The anonymous and peer feedback about ``subject_id``, one entry per calendar quarter
    (UTC) that ``[start, end)`` touches: :class:`AggregatedFeedback` when the quarter holds at
    least ``k`` responses, else :class:`WithheldFeedback`.

    Whole quarters are counted (so narrowing the window cannot isolate one response), and an
    answer counts in the quarter of its request. Raises :class:`~perfkit.PermissionDenied`
    unless the viewer may read the subject's aggregates (the subject, their managers, HR).
    """
    _check_common(viewer, context, policy)
    subject = _check_id("subject_id", subject_id)
    if not isinstance(log, FeedbackLog):
        raise ValidationError("log", log, "is not a FeedbackLog")
    low, high = _window(start, end)
    decision = _decision(policy.can_see_summary(viewer, subject, context), "can_see_summary")
    require(decision, viewer, "the feedback summary of", subject)
    return _feedback_summaries(subject, log, context, low, high, policy)


def _review_summaries(
    subject: str,
    cycle_id: str,
    reviews: tuple[Review, ...],
    context: AccessContext,
    policy: VisibilityPolicy,
) -> tuple[ReviewSummary, ...]:
    k = _k(policy)
    counted = [
        r
        for r in reviews
        if r.subject == subject and r.cycle_id == cycle_id and policy.counts_in_summary(r, context)
    ]
    roles = sorted({*_GROUP_ROLES, *(r.role for r in counted)}, key=_ROLE_ORDER.__getitem__)
    out: list[ReviewSummary] = []
    for role in roles:
        group = [r for r in counted if r.role is role]
        if len(group) < k:
            reason = _withheld_reason(k, f"shared {role.value} reviews")
            out.append(
                WithheldReviews(subject=subject, cycle_id=cycle_id, role=role, reason=reason)
            )
            continue
        values: dict[tuple[str, ScaleRef], list[float]] = {}
        comments = [r.summary for r in group if r.summary.strip()]
        for r in group:
            for cr in r.ratings:
                values.setdefault((cr.criterion_id, cr.rating.scale), []).append(cr.rating.value)
                if cr.comment.strip():
                    comments.append(cr.comment)
        criteria = [
            CriterionSummary(criterion_id=c, scale=s, mean=math.fsum(xs) / len(xs))
            for (c, s), xs in sorted(values.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
            if len(xs) >= k
        ]
        out.append(
            AggregatedReviews(
                subject=subject,
                cycle_id=cycle_id,
                role=role,
                count=len(group),
                criteria=criteria,
                comments=sorted(comments),
            )
        )
    return tuple(out)


def peer_review_summary(
    viewer: Viewer,
    subject_id: str,
    cycle_id: str,
    reviews: Iterable[Review],
    context: AccessContext,
    *,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> tuple[ReviewSummary, ...]:
    """The peer and the upward reviews of ``subject_id`` in ``cycle_id`` (one entry each, peer
    first): :class:`AggregatedReviews` when at least ``k`` of that kind are shared, else
    :class:`WithheldReviews`. Raises :class:`~perfkit.PermissionDenied` unless the viewer may
    read the subject's aggregates (the subject, their managers, HR)."""
    _check_common(viewer, context, policy)
    subject = _check_id("subject_id", subject_id)
    cycle = _check_id("cycle_id", cycle_id)
    items = _items("reviews", reviews, (Review,), "Review")
    decision = _decision(policy.can_see_summary(viewer, subject, context), "can_see_summary")
    require(decision, viewer, "the review summary of", subject)
    return _review_summaries(subject, cycle, items, context, policy)


# --- views: what a page shows -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FeedbackView:
    """What one viewer may see of the feedback about ``subject`` in ``[start, end)``: the events
    they may read one by one (chronologically, then by id) and, when they may read the
    subject's aggregates, one summary per quarter the window touches."""

    subject: str = attrs.field(validator=v.identifier)
    start: datetime = attrs.field(validator=v.aware_datetime)
    end: datetime = attrs.field(validator=v.aware_datetime)
    events: tuple[FeedbackEvent, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(*_EVENT_TYPES))
    )
    summaries: tuple[FeedbackSummary, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=v.each(v.instance_of(AggregatedFeedback, WithheldFeedback)),
    )


def feedback_view(
    viewer: Viewer,
    subject_id: str,
    log: FeedbackLog,
    context: AccessContext,
    *,
    start: datetime,
    end: datetime,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> FeedbackView:
    """The feedback about ``subject_id`` in ``[start, end)`` as ``viewer`` may see it: a
    listing, so what they may not read is left out silently (no summaries when they may not
    read the subject's aggregates)."""
    _check_common(viewer, context, policy)
    subject = _check_id("subject_id", subject_id)
    if not isinstance(log, FeedbackLog):
        raise ValidationError("log", log, "is not a FeedbackLog")
    low, high = _window(start, end)
    events = visible_feedback(viewer, log.about(subject, low, high), context, policy=policy)
    decision = _decision(policy.can_see_summary(viewer, subject, context), "can_see_summary")
    summaries = (
        _feedback_summaries(subject, log, context, low, high, policy) if decision.allowed else ()
    )
    return FeedbackView(subject=subject, start=low, end=high, events=events, summaries=summaries)


@attrs.frozen(kw_only=True)
class ReviewView:
    """What one viewer may see of the reviews of a cycle (of one ``subject`` if given): the
    reviews they may read one by one, by id, and — for one subject whose aggregates they may
    read — the peer and upward summaries."""

    cycle_id: str = attrs.field(validator=v.identifier)
    subject: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    reviews: tuple[Review, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(Review))
    )
    summaries: tuple[ReviewSummary, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=v.each(v.instance_of(AggregatedReviews, WithheldReviews)),
    )


def review_view(
    viewer: Viewer,
    cycle_id: str,
    reviews: Iterable[Review],
    context: AccessContext,
    *,
    subject_id: str | None = None,
    policy: VisibilityPolicy = DEFAULT_POLICY,
) -> ReviewView:
    """The reviews of ``cycle_id`` (of ``subject_id`` if given) as ``viewer`` may see them: a
    listing, so what they may not read is left out silently."""
    _check_common(viewer, context, policy)
    cycle = _check_id("cycle_id", cycle_id)
    subject = None if subject_id is None else _check_id("subject_id", subject_id)
    items = _items("reviews", reviews, (Review,), "Review")
    chosen = sorted(
        (r for r in items if r.cycle_id == cycle and (subject is None or r.subject == subject)),
        key=lambda r: r.id,
    )
    shown = visible_reviews(viewer, chosen, context, policy=policy)
    summaries: tuple[ReviewSummary, ...] = ()
    if subject is not None:
        decision = _decision(policy.can_see_summary(viewer, subject, context), "can_see_summary")
        if decision.allowed:
            summaries = _review_summaries(subject, cycle, tuple(chosen), context, policy)
    return ReviewView(cycle_id=cycle, subject=subject, reviews=shown, summaries=summaries)

"""Calibration: making ratings consistent and fair across teams.

In a *calibration session* a group of calibrators (HR, a division head, the managers) looks at the
ratings one population received — a division, a job level, the whole company — and moves the
ratings that are out of line with how the others were rated. perfkit keeps every move as an
:class:`Adjustment` (who, when, from, to, why): the original rating is never changed, the
*calibrated* rating is the original with its adjustments applied (the last one wins), and every
number explains itself (:meth:`CalibrationSession.movement`).

A :class:`DistributionGuideline` says which share of people each rating should roughly go to
("10–15 % Outstanding"). Guidelines are advice: :meth:`~DistributionGuideline.feasibility` and
:meth:`~DistributionGuideline.deviations` only report. Forcing a distribution is the explicit
option, :func:`force_distribution`, and even it only *proposes* adjustments, which a calibrator
applies with :meth:`CalibrationSession.apply`. :func:`compare` reports the distribution before and
after calibration and each person's movement.

Shares are compared exactly: a share is read as the decimal it prints as (``0.7`` is 7/10, not the
binary float just above it), so ``ceil(0.7 × 10)`` is 7 and never 8.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import attrs

from . import _validation as v
from ._errors import NotFoundError, TransitionError, UnknownReferenceError, ValidationError
from ._validation import as_float, finite_float
from .events import StateMachine, WorkflowEvent
from .org import Organisation
from .scales import NumericScale, OrdinalScale, Rating, Scale, ScaleRef

__all__ = [
    "Adjustment",
    "Assignment",
    "CALIBRATION_WORKFLOW",
    "CalibrationEntry",
    "CalibrationSession",
    "Deviation",
    "DeviationReport",
    "Distribution",
    "DistributionGuideline",
    "DistributionReport",
    "Feasibility",
    "ForcedDistribution",
    "GroupBy",
    "GroupDeviations",
    "Movement",
    "RatingMove",
    "RatingView",
    "SessionStatus",
    "Slot",
    "Target",
    "TargetBounds",
    "UnitDistribution",
    "ValueCount",
    "compare",
    "force_distribution",
    "population",
    "slot_counts",
]

FORCED_REASON = "forced distribution"


# --- enums ---------------------------------------------------------------------------------


class SessionStatus(enum.StrEnum):
    """Where a calibration session is: ``open`` takes adjustments, ``closed`` is final."""

    OPEN = "open"
    CLOSED = "closed"


CALIBRATION_WORKFLOW: StateMachine[SessionStatus] = StateMachine(
    "calibration session", {SessionStatus.OPEN: frozenset({SessionStatus.CLOSED})}
)
"""The calibration session workflow: open → closed (final)."""


class RatingMove(enum.StrEnum):
    """Which way calibration moved a person's rating."""

    UP = "up"
    DOWN = "down"
    SAME = "same"


class GroupBy(enum.StrEnum):
    """How :meth:`DistributionGuideline.deviations` groups a population."""

    UNIT = "unit"
    MANAGER = "manager"
    JOB_LEVEL = "job_level"


class RatingView(enum.StrEnum):
    """Which rating of a session to read: the ``original`` one or the ``calibrated`` one."""

    ORIGINAL = "original"
    CALIBRATED = "calibrated"


# --- small validators and helpers ----------------------------------------------------------


def _share(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A share of a population: a finite float from 0 to 1."""
    finite_float(_inst, attribute, value)
    assert isinstance(value, float)
    if not 0.0 <= value <= 1.0:
        raise ValidationError(attribute.name, value, "is not between 0 and 1")


def _g(x: float) -> str:
    """A number as people write it: ``4``, ``0.15``."""
    return f"{x:g}"


def _pct(x: float) -> str:
    return f"{100 * x:g} %"


def _check_id(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(name, value, "is not a string id")
    return value


def _check_scale(scale: object, name: str = "scale") -> Scale:
    if not isinstance(scale, NumericScale | OrdinalScale):
        raise ValidationError(name, scale, "is not a NumericScale or OrdinalScale")
    return scale


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, value, "is not an integer")
    if value < 0:
        raise ValidationError(name, value, "is negative")
    return value


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(name, value, "is not true or false")
    return value


def _check_actor(name: str, actor: object, at: object) -> tuple[str, datetime]:
    if not isinstance(actor, str) or not actor or actor[0].isspace() or len(actor) > 200:
        raise ValidationError(name, actor, "is not a valid id")
    if not isinstance(at, datetime):
        raise ValidationError("at", at, "is not a datetime")
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise ValidationError("at", at, "is a naive datetime; give it a timezone")
    return actor, at


def _exact(x: float) -> Fraction:
    """A share as the decimal it prints as (``0.7`` → 7/10), so quotas compare exactly."""
    return Fraction(repr(x))


def _number(name: str, value: object) -> float:
    """A finite number (int, float or Decimal, never a bool) as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValidationError(name, value, "is not a number")
    number = as_float(value)
    if not isinstance(number, float) or not math.isfinite(number):
        raise ValidationError(name, value, "is not a finite number")
    return number


def _id_of(item: Any) -> str:
    return item.employee_id  # type: ignore[no-any-return]


# --- the population ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CalibrationEntry:
    """One person of a calibration population: where they sit (unit, manager, job level), the
    ``score`` the scoring policy gave them and the ``rating`` the rating cut-offs turned it into
    (their *original* rating)."""

    employee_id: str = attrs.field(validator=v.identifier)
    unit_id: str = attrs.field(validator=v.identifier)
    manager_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    job_level: str = attrs.field(validator=v.non_empty_text)
    score: float = attrs.field(converter=as_float, validator=finite_float)
    rating: Rating = attrs.field(validator=v.instance_of(Rating))


def _entry_tuple(entries: object, name: str = "entries") -> tuple[CalibrationEntry, ...]:
    """Check a collection of entries: each a CalibrationEntry, no person twice."""
    if isinstance(entries, str | bytes | Mapping) or not isinstance(entries, Iterable):
        raise ValidationError(name, entries, "is not a collection of CalibrationEntry")
    items = tuple(entries)
    seen: dict[str, int] = {}
    for i, entry in enumerate(items):
        if not isinstance(entry, CalibrationEntry):
            raise ValidationError(f"{name}[{i}]", entry, "is not a CalibrationEntry")
        if entry.employee_id in seen:
            raise ValidationError(
                f"{name}[{i}].employee_id",
                entry.employee_id,
                f"repeats the employee of {name}[{seen[entry.employee_id]}]",
            )
        seen[entry.employee_id] = i
    return items


def _one_scale(entries: tuple[CalibrationEntry, ...], name: str) -> ScaleRef | None:
    """The scale every entry is rated on (``None`` for no entries); mixed scales are refused."""
    if not entries:
        return None
    ref = entries[0].rating.scale
    for i, entry in enumerate(entries):
        if entry.rating.scale != ref:
            raise ValidationError(
                f"{name}[{i}].rating.scale",
                str(entry.rating.scale),
                f"differs from {name}[0]'s scale {ref}; one population is rated on one scale",
            )
    return ref


def population(
    entries: Iterable[CalibrationEntry],
    unit_id: str | None = None,
    job_level: str | None = None,
    organisation: Organisation | None = None,
) -> tuple[CalibrationEntry, ...]:
    """Select a calibration population, by employee id.

    ``unit_id`` keeps the people of one org unit — with ``organisation`` also those of every unit
    below it (a division with its departments and teams); without it only the unit itself.
    ``job_level`` keeps one job level. With neither, the whole company is the population.
    """
    items = _entry_tuple(entries)
    if organisation is not None and not isinstance(organisation, Organisation):
        raise ValidationError("organisation", organisation, "is not an Organisation")
    if job_level is not None and not isinstance(job_level, str):
        raise ValidationError("job_level", job_level, "is not a string")
    units: set[str] | None = None
    if unit_id is not None:
        key = _check_id("unit_id", unit_id)
        units = {key}
        if organisation is not None:
            units.update(u.id for u in organisation.subunits(key))
    chosen = [
        e
        for e in items
        if (units is None or e.unit_id in units) and (job_level is None or e.job_level == job_level)
    ]
    return tuple(sorted(chosen, key=_id_of))


# --- adjustments and movements -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Adjustment:
    """One calibration change, as recorded: ``employee_id``'s rating went from ``from_value`` to
    ``to_value``, changed ``by`` a calibrator ``at`` a time, for a ``reason``."""

    employee_id: str = attrs.field(validator=v.identifier)
    from_value: float = attrs.field(converter=as_float, validator=finite_float)
    to_value: float = attrs.field(converter=as_float, validator=finite_float)
    by: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    reason: str = attrs.field(validator=v.non_empty_text)

    def __attrs_post_init__(self) -> None:
        if self.to_value == self.from_value:
            raise ValidationError(
                "to_value", self.to_value, "equals from_value; an adjustment changes the rating"
            )

    def explain(self) -> str:
        """``3 → 4 by dana at 2026-12-14T10:00:00+00:00: delivered the migration``."""
        return (
            f"{_g(self.from_value)} → {_g(self.to_value)} by {self.by} at "
            f"{self.at.isoformat()}: {self.reason}"
        )


def _direction(delta: float) -> RatingMove:
    if delta > 0:
        return RatingMove.UP
    if delta < 0:
        return RatingMove.DOWN
    return RatingMove.SAME


@attrs.frozen(kw_only=True)
class Movement:
    """How calibration moved one person: original ``from_value``, calibrated ``to_value``, their
    difference and direction, and the adjustments that made it (in the order recorded)."""

    employee_id: str = attrs.field(validator=v.identifier)
    from_value: float = attrs.field(converter=as_float, validator=finite_float)
    to_value: float = attrs.field(converter=as_float, validator=finite_float)
    delta: float = attrs.field(converter=as_float, validator=finite_float)
    direction: RatingMove = attrs.field(validator=v.enum_member(RatingMove))
    adjustments: tuple[Adjustment, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(Adjustment))
    )

    def explain(self) -> str:
        """The movement as a sentence, with every adjustment that made it."""
        head = f"{self.employee_id}: {_g(self.from_value)} → {_g(self.to_value)}"
        if self.direction is RatingMove.SAME:
            head += " (unchanged)"
        else:
            head += f" ({self.delta:+g}, {self.direction.value})"
        if self.adjustments:
            noun = "adjustment" if len(self.adjustments) == 1 else "adjustments"
            shown = "; ".join(a.explain() for a in self.adjustments)
            head += f" after {len(self.adjustments)} {noun}: {shown}"
        return head


def _movement(
    employee_id: str, before: float, after: float, adjustments: tuple[Adjustment, ...] = ()
) -> Movement:
    delta = after - before
    return Movement(
        employee_id=employee_id,
        from_value=before,
        to_value=after,
        delta=delta,
        direction=_direction(delta),
        adjustments=adjustments,
    )


# --- the session ---------------------------------------------------------------------------


class _State(NamedTuple):
    """A session's derived indexes (not part of its equality, hash or JSON)."""

    entries: dict[str, CalibrationEntry]
    current: dict[str, float]
    history: dict[str, tuple[Adjustment, ...]]


@attrs.frozen(kw_only=True)
class CalibrationSession:
    """A calibration session over one population, on one rating scale version.

    ``population`` holds each person's original rating (unique employee ids, every rating on
    ``scale``); ``adjustments`` is the record of every change, in the order made. The calibrated
    rating of a person is their original with their adjustments applied — the last one wins.
    Each adjustment's ``from_value`` is the calibrated value just before it, so the record is a
    chain that can be replayed and audited. ``version`` goes up by one with every change.
    """

    id: str = attrs.field(validator=v.identifier)
    name: str = attrs.field(validator=v.non_empty_text)
    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    population: tuple[CalibrationEntry, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(CalibrationEntry)), v.unique_ids(_id_of, "employee")],
    )
    adjustments: tuple[Adjustment, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(Adjustment))
    )
    status: SessionStatus = attrs.field(
        default=SessionStatus.OPEN, validator=v.enum_member(SessionStatus)
    )
    version: int = attrs.field(default=1, validator=v.version)

    def __attrs_post_init__(self) -> None:
        for i, entry in enumerate(self.population):
            if entry.rating.scale != self.scale:
                raise ValidationError(
                    f"population[{i}].rating.scale",
                    str(entry.rating.scale),
                    f"is not the session's scale {self.scale}",
                )
        _ = self._state  # replays the adjustments, refusing a broken chain

    @functools.cached_property
    def _state(self) -> _State:
        entries = {e.employee_id: e for e in self.population}
        current = {k: e.rating.value for k, e in entries.items()}
        history: dict[str, list[Adjustment]] = {}
        for i, adj in enumerate(self.adjustments):
            if adj.employee_id not in entries:
                raise UnknownReferenceError(
                    f"adjustments[{i}].employee_id",
                    adj.employee_id,
                    "is not in the session's population",
                )
            before = current[adj.employee_id]
            if adj.from_value != before:
                raise ValidationError(
                    f"adjustments[{i}].from_value",
                    adj.from_value,
                    f"is not {adj.employee_id!r}'s calibrated value {_g(before)} before it",
                )
            current[adj.employee_id] = adj.to_value
            history.setdefault(adj.employee_id, []).append(adj)
        return _State(
            entries=entries,
            current=current,
            history={k: tuple(h) for k, h in history.items()},
        )

    # --- reading -------------------------------------------------------------------------------

    def _entry(self, employee_id: object) -> CalibrationEntry:
        key = _check_id("employee_id", employee_id)
        found = self._state.entries.get(key)
        if found is None:
            raise NotFoundError("calibration entry", key)
        return found

    def original(self, employee_id: str) -> Rating:
        """The rating a person came into calibration with (never changed by calibration)."""
        return self._entry(employee_id).rating

    def calibrated(self, employee_id: str) -> Rating:
        """The calibrated rating: the original with the person's adjustments applied."""
        entry = self._entry(employee_id)
        return Rating(scale=self.scale, value=self._state.current[entry.employee_id])

    def history(self, employee_id: str) -> tuple[Adjustment, ...]:
        """Every adjustment of one person, in the order made (empty if none)."""
        return self._state.history.get(self._entry(employee_id).employee_id, ())

    def movement(self, employee_id: str) -> Movement:
        """Where calibration took a person: original → calibrated, with the adjustments."""
        entry = self._entry(employee_id)
        key = entry.employee_id
        return _movement(
            key, entry.rating.value, self._state.current[key], self._state.history.get(key, ())
        )

    def movements(self) -> tuple[Movement, ...]:
        """Every person's movement, by employee id."""
        return tuple(self.movement(k) for k in sorted(self._state.entries))

    def entries(
        self, use: RatingView | str = RatingView.CALIBRATED
    ) -> tuple[CalibrationEntry, ...]:
        """The population by employee id, each entry carrying its ``original`` or ``calibrated``
        rating (new entries; the session's own are never changed)."""
        view = _view(use)
        ordered = sorted(self.population, key=_id_of)
        if view is RatingView.ORIGINAL:
            return tuple(ordered)
        current = self._state.current
        return tuple(
            e
            if current[e.employee_id] == e.rating.value
            else attrs.evolve(e, rating=Rating(scale=self.scale, value=current[e.employee_id]))
            for e in ordered
        )

    def report(self) -> DistributionReport:
        """The distribution before and after calibration, per unit, and every movement."""
        return _report(self.entries(RatingView.ORIGINAL), self.entries(), self._state.history)

    # --- changing ------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.status is not SessionStatus.OPEN:
            raise TransitionError(
                f"calibration session {self.id!r}",
                self.status.value,
                SessionStatus.OPEN.value,
                (s.value for s in CALIBRATION_WORKFLOW.allowed(self.status)),
                "a closed session takes no more adjustments",
            )

    def _session_scale(self, scale: object) -> Scale:
        checked = _check_scale(scale)
        if checked.ref != self.scale:
            raise ValidationError(
                "scale", str(checked.ref), f"is not the session's scale {self.scale}"
            )
        return checked

    def adjust(
        self,
        employee_id: str,
        to_value: float,
        by: str,
        at: datetime,
        reason: str,
        scale: Scale,
    ) -> tuple[CalibrationSession, Adjustment]:
        """Record one calibration change: a new session with the adjustment appended, and the
        adjustment (its ``from_value`` is the person's current calibrated value).

        Refused when the session is closed (:class:`~perfkit.TransitionError`), when the person
        is not in the population (:class:`~perfkit.NotFoundError`), when ``to_value`` is not on
        ``scale`` (the session's scale) or is the current value already, and without a reason.
        """
        self._check_open()
        checked = self._session_scale(scale)
        entry = self._entry(employee_id)
        target = _on_scale(checked, to_value, "to_value")
        current = self._state.current[entry.employee_id]
        if abs(target - current) <= checked.tolerance:
            raise ValidationError(
                "to_value",
                to_value,
                f"is {entry.employee_id!r}'s calibrated value already; an adjustment changes it",
            )
        adjustment = Adjustment(
            employee_id=entry.employee_id,
            from_value=current,
            to_value=target,
            by=by,
            at=at,
            reason=reason,
        )
        moved = attrs.evolve(
            self, adjustments=(*self.adjustments, adjustment), version=self.version + 1
        )
        return moved, adjustment

    def apply(
        self, adjustments: ForcedDistribution | Iterable[Adjustment], scale: Scale
    ) -> CalibrationSession:
        """Record a batch of proposed adjustments (from :func:`force_distribution`, say) as one
        change: all or nothing. Each must start from the person's current calibrated value (a
        stale proposal is refused, naming it) and end on ``scale``."""
        self._check_open()
        checked = self._session_scale(scale)
        given = adjustments.adjustments if isinstance(adjustments, ForcedDistribution) else None
        if given is None:
            if isinstance(adjustments, str | bytes | Mapping) or not isinstance(
                adjustments, Iterable
            ):
                raise ValidationError(
                    "adjustments", adjustments, "is not a collection of Adjustment"
                )
            given = tuple(adjustments)
        if not given:
            return self
        current = dict(self._state.current)
        recorded = []
        for i, adj in enumerate(given):
            at = f"adjustments[{i}]"
            if not isinstance(adj, Adjustment):
                raise ValidationError(at, adj, "is not an Adjustment")
            if adj.employee_id not in current:
                raise UnknownReferenceError(
                    f"{at}.employee_id", adj.employee_id, "is not in the session's population"
                )
            before = current[adj.employee_id]
            if abs(adj.from_value - before) > checked.tolerance:
                raise ValidationError(
                    f"{at}.from_value",
                    adj.from_value,
                    f"is not {adj.employee_id!r}'s calibrated value {_g(before)}; "
                    "the proposal is stale",
                )
            target = _on_scale(checked, adj.to_value, f"{at}.to_value")
            if abs(target - before) <= checked.tolerance:
                raise ValidationError(
                    f"{at}.to_value", adj.to_value, "is the calibrated value already"
                )
            current[adj.employee_id] = target
            recorded.append(attrs.evolve(adj, from_value=before, to_value=target))
        return attrs.evolve(
            self, adjustments=(*self.adjustments, *recorded), version=self.version + 1
        )

    def close(self, by: str, at: datetime) -> tuple[CalibrationSession, WorkflowEvent]:
        """Close the session (open → closed, final): the calibrated ratings are the final ones.
        Returns the closed session and the workflow event that records who closed it, when."""
        actor, when = _check_actor("by", by, at)
        event = CALIBRATION_WORKFLOW.event(self.id, self.status, SessionStatus.CLOSED, actor, when)
        closed = attrs.evolve(self, status=SessionStatus.CLOSED, version=self.version + 1)
        return closed, event


def _on_scale(scale: Scale, value: object, name: str) -> float:
    """``value`` as the allowed value of ``scale`` it stands for (refused off the scale)."""
    number = _number(name, value)
    if not scale.allows(number):
        raise ValidationError(
            name, value, f"is not on scale {scale.ref} (allowed: {scale.describe_allowed()})"
        )
    return scale.snap(number)


def _view(use: object) -> RatingView:
    if not isinstance(use, str):
        raise ValidationError("use", use, "is not 'original' or 'calibrated'")
    try:
        return RatingView(use)
    except ValueError:
        raise ValidationError("use", use, "is not 'original' or 'calibrated'") from None


def _group_by(by: object) -> GroupBy | None:
    if by is None:
        return None
    if not isinstance(by, str):
        raise ValidationError("by", by, "is not 'unit', 'manager', 'job_level' or None")
    try:
        return GroupBy(by)
    except ValueError:
        raise ValidationError("by", by, "is not 'unit', 'manager', 'job_level' or None") from None


def _source(
    source: object, use: object
) -> tuple[tuple[CalibrationEntry, ...], dict[str, float], RatingView]:
    """The entries of a session or collection, and the value each person is at under ``use``."""
    view = _view(use)
    if isinstance(source, CalibrationSession):
        entries = tuple(sorted(source.population, key=_id_of))
        if view is RatingView.ORIGINAL:
            values = {e.employee_id: e.rating.value for e in entries}
        else:
            values = dict(source._state.current)
        return entries, values, view
    entries = _entry_tuple(source)
    if view is RatingView.CALIBRATED:
        raise ValidationError(
            "use",
            view.value,
            "needs a CalibrationSession; plain entries carry only their original rating",
        )
    entries = tuple(sorted(entries, key=_id_of))
    return entries, {e.employee_id: e.rating.value for e in entries}, view


# --- distribution guidelines ---------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Target:
    """The share of a population a rating value should go to: from ``minimum`` to ``maximum``
    (0–1; a point target has ``minimum == maximum``)."""

    value: float = attrs.field(converter=as_float, validator=finite_float)
    minimum: float = attrs.field(default=0.0, converter=as_float, validator=_share)
    maximum: float = attrs.field(default=1.0, converter=as_float, validator=_share)

    def __attrs_post_init__(self) -> None:
        if self.maximum < self.minimum:
            raise ValidationError("maximum", self.maximum, f"is below minimum {_g(self.minimum)}")

    @property
    def midpoint(self) -> float:
        """The middle of the range: the share a forced distribution aims at."""
        return (self.minimum + self.maximum) / 2

    def counts(self, n: int) -> tuple[int, int]:
        """The whole numbers of people of ``n`` the range allows: ``ceil(min·n)``,
        ``floor(max·n)`` (the first may exceed the second: then no count fits)."""
        size = _check_count("n", n)
        return _counts(self.minimum, self.maximum, size)


@functools.lru_cache(maxsize=4096)
def _counts(minimum: float, maximum: float, size: int) -> tuple[int, int]:
    """:meth:`Target.counts`, memoised: groups of the same size recur in every report (the
    exact shares make it the same for 0.0 and -0.0)."""
    return math.ceil(_exact(minimum) * size), math.floor(_exact(maximum) * size)


def _targets_ok(_inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise ValidationError(attribute.name, value, "is empty; a guideline needs a target")
    seen: dict[float, int] = {}
    for i, target in enumerate(value):
        if target.value in seen:
            raise ValidationError(
                f"{attribute.name}[{i}].value",
                target.value,
                f"repeats the value of {attribute.name}[{seen[target.value]}]",
            )
        seen[target.value] = i


@attrs.frozen(kw_only=True)
class TargetBounds:
    """How many of ``n`` people a target allows: from ``minimum_count`` to ``maximum_count``."""

    value: float = attrs.field(converter=as_float, validator=finite_float)
    minimum_count: int = attrs.field(validator=v.count)
    maximum_count: int = attrs.field(validator=v.count)


@attrs.frozen(kw_only=True)
class Feasibility:
    """Whether some whole-number allocation of ``size`` people meets every target range.

    It does exactly when every range holds a whole number (``empty`` lists the values whose
    range holds none) and ``minimum_total ≤ size ≤ maximum_total`` (the sums of the per-target
    minimum and maximum counts). ``short_by`` is how many more people than ``size`` the minimums
    need; ``over_by`` how many people fit under no maximum.
    """

    size: int = attrs.field(validator=v.count)
    feasible: bool = attrs.field(validator=v.instance_of(bool))
    minimum_total: int = attrs.field(validator=v.count)
    maximum_total: int = attrs.field(validator=v.count)
    bounds: tuple[TargetBounds, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(TargetBounds))
    )
    empty: tuple[float, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(finite_float)
    )
    short_by: int = attrs.field(default=0, validator=v.count)
    over_by: int = attrs.field(default=0, validator=v.count)

    def reasons(self) -> tuple[str, ...]:
        """Why the guideline cannot be met for ``size`` people, one sentence per reason."""
        out = [
            f"the range for {_g(x)} holds no whole number of {self.size} people" for x in self.empty
        ]
        if self.short_by:
            out.append(
                f"the minimums need {self.minimum_total} people but there are only {self.size}"
            )
        if self.over_by:
            out.append(f"the maximums allow {self.maximum_total} people but there are {self.size}")
        return tuple(out)

    def explain(self) -> str:
        """``feasible for 10 people`` or ``not feasible for 10 people: <reasons>``."""
        if self.feasible:
            return f"feasible for {self.size} people"
        return f"not feasible for {self.size} people: " + "; ".join(self.reasons())


def _target_index(guideline: DistributionGuideline) -> dict[float, Target]:
    return {t.value: t for t in guideline.targets}


@attrs.frozen(kw_only=True)
class Deviation:
    """One rating value in one group: how many people have it (``count``, ``share`` of the
    group), the target range and what it allows for the group (``minimum_count`` to
    ``maximum_count``), and how many people are ``over`` or ``under`` it (the fewest moves out
    of or into this value that bring it into range). A value the guideline does not list
    (``in_guideline`` false) has the range 0–0."""

    value: float = attrs.field(converter=as_float, validator=finite_float)
    count: int = attrs.field(validator=v.count)
    share: float = attrs.field(converter=as_float, validator=_share)
    minimum: float = attrs.field(converter=as_float, validator=_share)
    maximum: float = attrs.field(converter=as_float, validator=_share)
    minimum_count: int = attrs.field(validator=v.count)
    maximum_count: int = attrs.field(validator=v.count)
    over: int = attrs.field(validator=v.count)
    under: int = attrs.field(validator=v.count)
    in_guideline: bool = attrs.field(default=True, validator=v.instance_of(bool))


@attrs.frozen(kw_only=True)
class GroupDeviations:
    """One group's distribution against the guideline (``group`` is the unit id, manager id or
    job level; ``None`` for the whole population — or, grouped by manager, for people without
    one). ``moves`` = max(Σ over, Σ under): the fewest rating changes that bring every value into
    range when the guideline is ``feasible`` for the group's size (a lower bound otherwise)."""

    group: str | None = attrs.field(validator=v.optional(v.instance_of(str)))
    size: int = attrs.field(validator=v.count)
    feasible: bool = attrs.field(validator=v.instance_of(bool))
    moves: int = attrs.field(validator=v.count)
    rows: tuple[Deviation, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(Deviation))
    )

    def row(self, value: float) -> Deviation:
        """The row of one rating value (:class:`~perfkit.NotFoundError` if there is none)."""
        number = _number("value", value)
        for r in self.rows:
            if r.value == number:
                return r
        raise NotFoundError("rating value", _g(number))


@attrs.frozen(kw_only=True)
class DeviationReport:
    """Distributions against a guideline, per group (``by``), on ``use`` ratings."""

    by: GroupBy | None = attrs.field(validator=v.optional(v.enum_member(GroupBy)))
    use: RatingView = attrs.field(validator=v.enum_member(RatingView))
    groups: tuple[GroupDeviations, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(GroupDeviations))
    )

    def group(self, key: str | None) -> GroupDeviations:
        """One group (:class:`~perfkit.NotFoundError` if there is no such group)."""
        if key is not None and not isinstance(key, str):
            raise ValidationError("key", key, "is not a string or None")
        for g in self.groups:
            if g.group == key:
                return g
        raise NotFoundError("group", str(key))


def _group_key(entry: CalibrationEntry, by: GroupBy | None) -> str | None:
    if by is GroupBy.UNIT:
        return entry.unit_id
    if by is GroupBy.MANAGER:
        return entry.manager_id
    if by is GroupBy.JOB_LEVEL:
        return entry.job_level
    return None


def _none_first(key: str | None) -> tuple[int, str]:
    return (0, "") if key is None else (1, key)


@attrs.frozen(kw_only=True)
class DistributionGuideline:
    """The recommended distribution of ratings on one scale version: for each rating value a
    :class:`Target` share range. Ranges need not add up to 100 %; a rating value the guideline
    does not list is outside it (its range is 0–0 %).

    A guideline is advice: it reports (:meth:`feasibility`, :meth:`deviations`) and never
    changes a rating. :func:`force_distribution` is the explicit way to enforce it.
    """

    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    targets: tuple[Target, ...] = attrs.field(
        converter=v.tuple_of, validator=[v.each(v.instance_of(Target)), _targets_ok]
    )

    def check(self, scale: Scale) -> None:
        """Raise :class:`~perfkit.ValidationError` unless ``scale`` is this guideline's scale and
        every target value is on it (``targets[2].value``)."""
        checked = _check_scale(scale)
        if checked.ref != self.scale:
            raise ValidationError(
                "scale", str(checked.ref), f"is not the guideline's scale {self.scale}"
            )
        for i, t in enumerate(self.targets):
            if not checked.allows(t.value):
                raise ValidationError(
                    f"targets[{i}].value",
                    t.value,
                    f"is not on scale {checked.ref} (allowed: {checked.describe_allowed()})",
                )

    def target(self, value: float) -> Target | None:
        """The target of a rating value, ``None`` if the guideline does not list it."""
        return _target_index(self).get(_number("value", value))

    def feasibility(self, n: int) -> Feasibility:
        """Whether some whole-number allocation of ``n`` people meets every range; if not, why.

        Feasible exactly when each range holds a whole number of people
        (``ceil(min·n) ≤ floor(max·n)``) and ``Σ ceil(min·n) ≤ n ≤ Σ floor(max·n)``.
        """
        size = _check_count("n", n)
        bounds = []
        empty = []
        for t in sorted(self.targets, key=_value_of):
            lo, hi = t.counts(size)
            bounds.append(TargetBounds(value=t.value, minimum_count=lo, maximum_count=hi))
            if lo > hi:
                empty.append(t.value)
        low = sum(b.minimum_count for b in bounds)
        high = sum(b.maximum_count for b in bounds)
        return Feasibility(
            size=size,
            feasible=not empty and low <= size <= high,
            minimum_total=low,
            maximum_total=high,
            bounds=tuple(bounds),
            empty=tuple(empty),
            short_by=max(0, low - size),
            over_by=max(0, size - high),
        )

    def deviations(
        self,
        entries: CalibrationSession | Iterable[CalibrationEntry],
        by: GroupBy | str | None = None,
        use: RatingView | str = RatingView.ORIGINAL,
    ) -> DeviationReport:
        """The distribution of each group against the guideline: per group and rating value the
        count, share, target range and how many people are over or under it.

        ``entries`` is a :class:`CalibrationSession` (``use`` picks its ``original`` or
        ``calibrated`` ratings) or plain entries (their ratings, which are original ones).
        ``by`` groups by ``"unit"``, ``"manager"`` or ``"job_level"``; ``None`` takes the whole
        population as one group.
        """
        grouping = _group_by(by)
        items, values, view = _source(entries, use)
        self._check_entries(items)
        groups: dict[str | None, list[float]] = {}
        for e in items:
            groups.setdefault(_group_key(e, grouping), []).append(values[e.employee_id])
        if grouping is None and not groups:
            groups[None] = []
        # Rows and feasibility depend only on the group's size and counts, which recur across
        # groups: each distinct one is computed once per report.
        rows: dict[tuple[float, int, int], Deviation] = {}
        feasible: dict[int, bool] = {}
        out = [self._group(k, groups[k], rows, feasible) for k in sorted(groups, key=_none_first)]
        return DeviationReport(by=grouping, use=view, groups=tuple(out))

    def _check_entries(self, items: tuple[CalibrationEntry, ...]) -> None:
        for i, e in enumerate(items):
            if e.rating.scale != self.scale:
                raise ValidationError(
                    f"entries[{i}].rating.scale",
                    str(e.rating.scale),
                    f"is not the guideline's scale {self.scale}",
                )

    def _group(
        self,
        key: str | None,
        ratings: list[float],
        memo: dict[tuple[float, int, int], Deviation],
        feasible: dict[int, bool],
    ) -> GroupDeviations:
        size = len(ratings)
        counts: dict[float, int] = {}
        for x in ratings:
            counts[x] = counts.get(x, 0) + 1
        targets = _target_index(self)
        rows = []
        for value in sorted(set(targets) | set(counts)):
            count = counts.get(value, 0)
            # A zero rating value is never shared, so that a signed zero keeps its sign.
            row = memo.get((value, count, size)) if value else None
            if row is None:
                row = self._row(targets.get(value), value, count, size)
                if value:
                    memo[(value, count, size)] = row
            rows.append(row)
        fits = feasible.get(size)
        if fits is None:
            fits = feasible[size] = self.feasibility(size).feasible
        return GroupDeviations(
            group=key,
            size=size,
            feasible=fits,
            moves=max(sum(r.over for r in rows), sum(r.under for r in rows)),
            rows=tuple(rows),
        )

    @staticmethod
    def _row(target: Target | None, value: float, count: int, size: int) -> Deviation:
        if target is None:
            low, high, lo, hi = 0.0, 0.0, 0, 0
        else:
            low, high = target.minimum, target.maximum
            lo, hi = target.counts(size)
        return Deviation(
            value=value,
            count=count,
            share=count / size if size else 0.0,
            minimum=low,
            maximum=high,
            minimum_count=lo,
            maximum_count=hi,
            over=max(0, count - hi),
            under=max(0, lo - count),
            in_guideline=target is not None,
        )

    def midpoint_shares(self) -> tuple[tuple[float, float], ...]:
        """``(value, share)`` per target, the share being the range's midpoint normalised so the
        shares add up to 1: what :func:`force_distribution` aims at."""
        mids = [(t.value, _exact(t.minimum) + _exact(t.maximum)) for t in self.targets]
        total = sum(m for _, m in mids)
        if total == 0:
            raise ValidationError(
                "targets", len(self.targets), "targets all have the range 0–0; nothing to force"
            )
        return tuple(sorted((value, float(m / total)) for value, m in mids))


def _value_of(item: Any) -> float:
    return item.value  # type: ignore[no-any-return]


# --- forced distribution -------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Slot:
    """How many people of a forced distribution get one rating value: ``quota`` is the exact
    ``n × share``, ``count`` the whole number the largest-remainder method gave it."""

    value: float = attrs.field(converter=as_float, validator=finite_float)
    share: float = attrs.field(converter=as_float, validator=_share)
    quota: float = attrs.field(converter=as_float, validator=v.non_negative)
    count: int = attrs.field(validator=v.count)


def _share_pairs(shares: object) -> list[tuple[float, Fraction]]:
    if isinstance(shares, Mapping):
        raw: Any = list(shares.items())
    elif isinstance(shares, str | bytes) or not isinstance(shares, Iterable):
        raise ValidationError("shares", shares, "is not a mapping or pairs of value and share")
    else:
        raw = list(shares)
    pairs: list[tuple[float, Fraction]] = []
    seen: dict[float, int] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise ValidationError(f"shares[{i}]", item, "is not a (value, share) pair")
        value = _number(f"shares[{i}].value", item[0])
        share = _number(f"shares[{i}].share", item[1])
        if share < 0:
            raise ValidationError(f"shares[{i}].share", item[1], "is negative")
        if value in seen:
            raise ValidationError(
                f"shares[{i}].value", item[0], f"repeats the value of shares[{seen[value]}]"
            )
        seen[value] = i
        exact = Fraction(item[1]) if isinstance(item[1], int | Decimal) else _exact(share)
        pairs.append((value, exact))
    if not pairs or sum(s for _, s in pairs) == 0:
        raise ValidationError("shares", shares, "has no positive share")
    return pairs


def slot_counts(
    n: int, shares: Mapping[float, float] | Iterable[tuple[float, float]]
) -> tuple[Slot, ...]:
    """Whole numbers of people per rating value that add up to ``n``, by the largest-remainder
    (Hamilton) method.

    ``shares`` maps rating values to shares (normalised to add up to 1). Each value first gets
    the whole part of its exact quota ``n × share``; the seats left over go one each to the
    largest remainders; equal remainders go to the **higher rating value first**. Every count is
    within one of its quota. Slots come back in rating-value order, lowest first.
    """
    size = _check_count("n", n)
    pairs = _share_pairs(shares)
    total = sum(s for _, s in pairs)
    quotas = [(value, share / total, share / total * size) for value, share in pairs]
    counts = {value: math.floor(q) for value, _, q in quotas}
    left = size - sum(counts.values())
    by_remainder = sorted(quotas, key=lambda t: (-(t[2] - math.floor(t[2])), -t[0]))
    for value, _, _ in by_remainder[:left]:
        counts[value] += 1
    return tuple(
        Slot(value=value, share=float(share), quota=float(q), count=counts[value])
        for value, share, q in sorted(quotas)
    )


@attrs.frozen(kw_only=True)
class Assignment:
    """One person's place in a forced distribution: their ``rank`` (1 = first), ``score``, the
    rating they had (``from_value``) and the one the distribution gives them (``to_value``)."""

    employee_id: str = attrs.field(validator=v.identifier)
    rank: int = attrs.field(validator=v.count)
    score: float = attrs.field(converter=as_float, validator=finite_float)
    from_value: float = attrs.field(converter=as_float, validator=finite_float)
    to_value: float = attrs.field(converter=as_float, validator=finite_float)


@attrs.frozen(kw_only=True)
class ForcedDistribution:
    """A proposed forced distribution: the slots per rating value, every person's assignment
    in rank order, and the adjustments (only the changed ratings, by employee id, reason
    ``"forced distribution"``) — proposed, not applied (:meth:`CalibrationSession.apply`)."""

    size: int = attrs.field(validator=v.count)
    by_score: bool = attrs.field(validator=v.instance_of(bool))
    slots: tuple[Slot, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(Slot))
    )
    assignments: tuple[Assignment, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(Assignment))
    )
    adjustments: tuple[Adjustment, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(Adjustment))
    )


def force_distribution(
    entries: CalibrationSession | Iterable[CalibrationEntry],
    guideline: DistributionGuideline,
    *,
    by: str,
    at: datetime,
    by_score: bool = True,
) -> ForcedDistribution:
    """Propose the ratings that make a population follow ``guideline`` exactly.

    The slots per rating value come from :func:`slot_counts` with each target's midpoint share,
    normalised. People are ranked and the slots filled from the highest rating value down, so
    the first-ranked get the highest rating. With ``by_score`` (the default) the ranking is by
    score, highest first; equal scores go by the higher original rating first, then by employee
    id. Without it, people are ranked by their current rating (calibrated, for a session), then
    score, then employee id — keeping the calibrators' order as far as the slots allow.

    For a :class:`CalibrationSession` the current ratings are the calibrated ones. The result
    lists everyone's assignment and the adjustments (``by`` at ``at``) for those whose rating
    changes; nothing is applied.
    """
    if not isinstance(guideline, DistributionGuideline):
        raise ValidationError("guideline", guideline, "is not a DistributionGuideline")
    ranked_by_score = _check_bool("by_score", by_score)
    actor, when = _check_actor("by", by, at)
    session = isinstance(entries, CalibrationSession)
    items, current, _ = _source(entries, RatingView.CALIBRATED if session else RatingView.ORIGINAL)
    guideline._check_entries(items)
    shares = guideline.midpoint_shares()
    slots = slot_counts(len(items), shares)

    def key(e: CalibrationEntry) -> tuple[float, float, str]:
        if ranked_by_score:
            return (-e.score, -e.rating.value, e.employee_id)
        return (-current[e.employee_id], -e.score, e.employee_id)

    ranked = sorted(items, key=key)
    values: list[float] = []
    for slot in sorted(slots, key=_value_of, reverse=True):
        values.extend([slot.value] * slot.count)
    assignments = tuple(
        Assignment(
            employee_id=e.employee_id,
            rank=i + 1,
            score=e.score,
            from_value=current[e.employee_id],
            to_value=to,
        )
        for i, (e, to) in enumerate(zip(ranked, values, strict=True))
    )
    adjustments = tuple(
        Adjustment(
            employee_id=a.employee_id,
            from_value=a.from_value,
            to_value=a.to_value,
            by=actor,
            at=when,
            reason=FORCED_REASON,
        )
        for a in sorted(assignments, key=_id_of)
        if a.to_value != a.from_value
    )
    return ForcedDistribution(
        size=len(items),
        by_score=ranked_by_score,
        slots=slots,
        assignments=assignments,
        adjustments=adjustments,
    )


# --- before and after ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ValueCount:
    """How many people of a population have one rating value, and their share of it."""

    value: float = attrs.field(converter=as_float, validator=finite_float)
    count: int = attrs.field(validator=v.count)
    share: float = attrs.field(converter=as_float, validator=_share)


@attrs.frozen(kw_only=True)
class Distribution:
    """The distribution of ratings in a population: ``size`` people, count and share per value
    (lowest value first)."""

    size: int = attrs.field(validator=v.count)
    values: tuple[ValueCount, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(ValueCount))
    )

    def count(self, value: float) -> int:
        """How many people have ``value`` (0 if nobody)."""
        number = _number("value", value)
        return next((c.count for c in self.values if c.value == number), 0)


@attrs.frozen(kw_only=True)
class UnitDistribution:
    """One org unit's distribution before and after calibration."""

    unit_id: str = attrs.field(validator=v.identifier)
    before: Distribution = attrs.field(validator=v.instance_of(Distribution))
    after: Distribution = attrs.field(validator=v.instance_of(Distribution))


@attrs.frozen(kw_only=True)
class DistributionReport:
    """What calibration did to a population: the distribution ``before`` and ``after`` (the
    same rating values listed on both sides), the same per unit (by unit id), every person's
    movement (by employee id) and how many moved ``up``, ``down`` or stayed the ``same``."""

    scale: ScaleRef | None = attrs.field(validator=v.optional(v.instance_of(ScaleRef)))
    before: Distribution = attrs.field(validator=v.instance_of(Distribution))
    after: Distribution = attrs.field(validator=v.instance_of(Distribution))
    units: tuple[UnitDistribution, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(UnitDistribution))
    )
    movements: tuple[Movement, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(Movement))
    )
    up: int = attrs.field(default=0, validator=v.count)
    down: int = attrs.field(default=0, validator=v.count)
    same: int = attrs.field(default=0, validator=v.count)


def _distributions(before: list[float], after: list[float]) -> tuple[Distribution, Distribution]:
    keys = sorted(set(before) | set(after))

    def one(values: list[float]) -> Distribution:
        counts: dict[float, int] = {}
        for x in values:
            counts[x] = counts.get(x, 0) + 1
        size = len(values)
        return Distribution(
            size=size,
            values=tuple(
                ValueCount(value=k, count=counts.get(k, 0), share=counts.get(k, 0) / size)
                for k in keys
            ),
        )

    return one(before), one(after)


def _report(
    before: tuple[CalibrationEntry, ...],
    after: tuple[CalibrationEntry, ...],
    history: Mapping[str, tuple[Adjustment, ...]],
) -> DistributionReport:
    after_by_id = {e.employee_id: e for e in after}
    pairs = [(b, after_by_id[b.employee_id]) for b in sorted(before, key=_id_of)]
    all_before, all_after = _distributions(
        [b.rating.value for b, _ in pairs], [a.rating.value for _, a in pairs]
    )
    by_unit: dict[str, tuple[list[float], list[float]]] = {}
    for b, a in pairs:
        olds, news = by_unit.setdefault(b.unit_id, ([], []))
        olds.append(b.rating.value)
        news.append(a.rating.value)
    units = []
    for unit_id in sorted(by_unit):
        d_before, d_after = _distributions(*by_unit[unit_id])
        units.append(UnitDistribution(unit_id=unit_id, before=d_before, after=d_after))
    movements = tuple(
        _movement(
            b.employee_id, b.rating.value, a.rating.value, tuple(history.get(b.employee_id, ()))
        )
        for b, a in pairs
    )
    ref = pairs[0][0].rating.scale if pairs else None
    return DistributionReport(
        scale=ref,
        before=all_before,
        after=all_after,
        units=tuple(units),
        movements=movements,
        up=sum(m.direction is RatingMove.UP for m in movements),
        down=sum(m.direction is RatingMove.DOWN for m in movements),
        same=sum(m.direction is RatingMove.SAME for m in movements),
    )


def compare(
    before: Iterable[CalibrationEntry], after: Iterable[CalibrationEntry]
) -> DistributionReport:
    """Compare a population before and after calibration: the distribution (count and share
    per rating value) overall and per unit (the unit each person had ``before``), and each
    person's movement up, down or the same. Both sides hold the same people, on one scale."""
    olds = _entry_tuple(before, "before")
    news = _entry_tuple(after, "after")
    ref = _one_scale(olds, "before")
    ref_after = _one_scale(news, "after")
    if ref is not None and ref_after is not None and ref_after != ref:
        raise ValidationError(
            "after[0].rating.scale", str(ref_after), f"is not the scale before ({ref})"
        )
    old_ids = {e.employee_id for e in olds}
    new_ids = {e.employee_id for e in news}
    missing = sorted(old_ids - new_ids)
    if missing:
        raise ValidationError(
            "after", missing, "are not in after (both sides hold the same people)"
        )
    extra = sorted(new_ids - old_ids)
    if extra:
        raise ValidationError("after", extra, "are not in before (both sides hold the same people)")
    return _report(olds, news, {})

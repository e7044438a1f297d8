"""Review cycles: phases, the cycle's workflow stage, phase gating and check-in cadences.

A *review cycle* (a performance period such as "FY26" or "H1 2026") runs through phases in a fixed
order: goal setting, check-ins, self review, peer review, manager review, calibration, rewards.
Each phase has a window of calendar days; windows may overlap (self and peer review often run
together). The cycle's *stage* is a workflow pointer that moves forward one phase at a time, and
the stage decides what people may do (:data:`ACTIONS_BY_STAGE`): goals are set early, ratings are
given in the review phases, nothing changes once the cycle is completed.

A *cadence* says how often people check in with their manager, as an RFC 5545 RRULE
(``FREQ=WEEKLY;INTERVAL=2``); :func:`due_checkins` turns it into the reminder list a host sends.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from dateutil.rrule import rrule, rrulestr

from . import _validation as v
from ._errors import PhaseError, ValidationError
from .events import StateMachine, WorkflowEvent

__all__ = [
    "ACTIONS_BY_STAGE",
    "Cadence",
    "CycleAction",
    "CycleStage",
    "DueCheckIn",
    "DueStatus",
    "Phase",
    "PhaseWindow",
    "ReviewCycle",
    "due_checkins",
]

E = TypeVar("E", bound=enum.Enum)


class Phase(enum.StrEnum):
    """The phases of a review cycle, in the order they run."""

    GOAL_SETTING = "goal_setting"
    CHECK_INS = "check_ins"
    SELF_REVIEW = "self_review"
    PEER_REVIEW = "peer_review"
    MANAGER_REVIEW = "manager_review"
    CALIBRATION = "calibration"
    REWARDS = "rewards"


class CycleStage(enum.StrEnum):
    """Where a cycle's workflow stands: planned, one of the phases, or completed (in order)."""

    PLANNED = "planned"
    GOAL_SETTING = "goal_setting"
    CHECK_INS = "check_ins"
    SELF_REVIEW = "self_review"
    PEER_REVIEW = "peer_review"
    MANAGER_REVIEW = "manager_review"
    CALIBRATION = "calibration"
    REWARDS = "rewards"
    COMPLETED = "completed"


class CycleAction(enum.StrEnum):
    """What people do during a cycle; each is allowed only in some stages."""

    SET_GOALS = "set_goals"
    CHANGE_GOAL = "change_goal"
    CHECK_IN = "check_in"
    GIVE_FEEDBACK = "give_feedback"
    SELF_REVIEW = "self_review"
    PEER_REVIEW = "peer_review"
    MANAGER_REVIEW = "manager_review"
    RATE = "rate"
    CALIBRATE = "calibrate"
    REWARD = "reward"


class DueStatus(enum.StrEnum):
    """A reminder's urgency: ``due`` within the grace period, ``overdue`` after it."""

    OVERDUE = "overdue"
    DUE = "due"


_S = CycleStage
_A = CycleAction

ACTIONS_BY_STAGE: Mapping[CycleStage, frozenset[CycleAction]] = MappingProxyType(
    {
        _S.PLANNED: frozenset({_A.SET_GOALS, _A.CHANGE_GOAL}),
        _S.GOAL_SETTING: frozenset({_A.SET_GOALS, _A.CHANGE_GOAL, _A.CHECK_IN, _A.GIVE_FEEDBACK}),
        _S.CHECK_INS: frozenset({_A.SET_GOALS, _A.CHANGE_GOAL, _A.CHECK_IN, _A.GIVE_FEEDBACK}),
        _S.SELF_REVIEW: frozenset(
            {
                _A.CHANGE_GOAL,
                _A.CHECK_IN,
                _A.GIVE_FEEDBACK,
                _A.SELF_REVIEW,
                _A.PEER_REVIEW,
                _A.RATE,
            }
        ),
        _S.PEER_REVIEW: frozenset(
            {
                _A.CHANGE_GOAL,
                _A.CHECK_IN,
                _A.GIVE_FEEDBACK,
                _A.SELF_REVIEW,
                _A.PEER_REVIEW,
                _A.RATE,
            }
        ),
        _S.MANAGER_REVIEW: frozenset(
            {_A.CHANGE_GOAL, _A.CHECK_IN, _A.GIVE_FEEDBACK, _A.MANAGER_REVIEW, _A.RATE}
        ),
        _S.CALIBRATION: frozenset({_A.CHANGE_GOAL, _A.GIVE_FEEDBACK, _A.CALIBRATE}),
        _S.REWARDS: frozenset({_A.CHANGE_GOAL, _A.GIVE_FEEDBACK, _A.REWARD}),
        _S.COMPLETED: frozenset(),
    }
)
"""Phase gating: which actions each stage allows.

Goals are set until check-ins are under way and may change until the cycle is completed;
check-ins run from goal setting to the end of manager review; self and peer reviews are written
while those phases run (they often overlap); ratings are given in self, peer and manager review
and are closed to change once calibration starts (calibration changes them through its own
action); rewards are decided in the rewards phase; a completed cycle allows nothing.
"""

# How a refusal reads: the verb ("cannot rate") and the rule ("ratings are given in ...").
_ACTION_TEXT: Mapping[CycleAction, tuple[str, str]] = MappingProxyType(
    {
        _A.SET_GOALS: ("set goals", "goals are set in"),
        _A.CHANGE_GOAL: ("change a goal", "goals can be changed in"),
        _A.CHECK_IN: ("check in", "check-ins happen in"),
        _A.GIVE_FEEDBACK: ("give feedback", "feedback is given in"),
        _A.SELF_REVIEW: ("write a self review", "self reviews are written in"),
        _A.PEER_REVIEW: ("write a peer review", "peer reviews are written in"),
        _A.MANAGER_REVIEW: ("write a manager review", "manager reviews are written in"),
        _A.RATE: ("rate", "ratings are given in"),
        _A.CALIBRATE: ("calibrate", "ratings are calibrated in"),
        _A.REWARD: ("reward", "rewards are decided in"),
    }
)

_STAGE_INDEX = {s: i for i, s in enumerate(CycleStage)}


def _either(names: Iterable[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"


def _member(kind: type[E], value: object, name: str) -> E:
    """An enum member from a member or its value, else a ValidationError naming ``name``."""
    if isinstance(value, kind):
        return value
    for m in kind:
        if isinstance(value, str) and m.value == value:
            return m
    options = ", ".join(repr(m.value) for m in kind)
    raise ValidationError(name, value, f"is not a {kind.__name__} (one of {options})")


def _check_date(name: str, value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(name, value, "is not a date")
    return value


# --- phase windows ------------------------------------------------------------------------


def _to_phase(value: Any) -> Any:
    """attrs converter: a plain string value becomes the Phase member."""
    return v.as_enum(Phase, value)


@attrs.frozen(kw_only=True)
class PhaseWindow:
    """The calendar days a phase runs: ``start`` to ``end``, both inclusive."""

    phase: Phase = attrs.field(converter=_to_phase, validator=v.enum_member(Phase))
    start: date = attrs.field(validator=v.a_date)
    end: date = attrs.field(validator=v.a_date)

    def __attrs_post_init__(self) -> None:
        v.ordered("start", "end")(self)

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls inside the window."""
        return self.start <= _check_date("day", day) <= self.end


# --- cadences -----------------------------------------------------------------------------

_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_SUB_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
# Integer-list parts and their RFC 5545 ranges (negative values count from the end if signed).
_INT_PARTS: Mapping[str, tuple[int, bool]] = MappingProxyType(
    {
        "BYMONTH": (12, False),
        "BYMONTHDAY": (31, True),
        "BYYEARDAY": (366, True),
        "BYWEEKNO": (53, True),
        "BYSETPOS": (366, True),
    }
)
_PART_RE = re.compile(r"^([A-Za-z-]+)=([^=]*)$")
_SIGNED_INT_RE = re.compile(r"^[+-]?[0-9]{1,3}$")
_BYDAY_RE = re.compile(r"^([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_RE = re.compile(r"^[0-9]{8}$")
# dateutil works on floating (naive) datetimes at midnight: a cadence falls on days, not instants.
_PROBE_ANCHOR = datetime(9600, 1, 1)  # noqa: DTZ001 - 400 years before the calendar ends
_GREGORIAN_CYCLE = 400  # years after which dates fall on the same weekdays again


class _BadRule(Exception):
    """Internal: why an RRULE is refused (turned into a ValidationError on ``rrule``)."""


def _split_rule(text: str) -> dict[str, str]:
    """The rule's parts as ``{NAME: VALUE}`` (names upper-cased), checked for shape only."""
    if not text.strip():
        raise _BadRule("is empty")
    if ":" in text or any(c.isspace() for c in text):
        raise _BadRule(
            "must be the rule part only, like 'FREQ=WEEKLY;INTERVAL=2' (no 'RRULE:', DTSTART, "
            "white space or line breaks)"
        )
    parts: dict[str, str] = {}
    for i, chunk in enumerate(text.split(";")):
        m = _PART_RE.match(chunk)
        if m is None:
            raise _BadRule(f"has a part {chunk!r} (number {i + 1}) that is not NAME=VALUE")
        name, value = m.group(1).upper(), m.group(2).upper()
        if name in parts:
            raise _BadRule(f"repeats {name} (RFC 5545 allows each part once)")
        parts[name] = value
    return parts


def _positive_int(name: str, value: str, why: str) -> int:
    if not value.isdecimal() or not value.isascii() or int(value) < 1:
        raise _BadRule(f"has {name}={value}, which is not a whole number of at least 1 ({why})")
    return int(value)


def _until(value: str) -> date:
    if _UNTIL_RE.match(value):
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    raise _BadRule(
        f"has UNTIL={value}, which is not a calendar date YYYYMMDD (check-ins fall on days, "
        "so UNTIL carries no time)"
    )


def _check_parts(parts: Mapping[str, str]) -> None:
    """Refuse what dateutil would accept but makes no sense for a check-in cadence."""
    freq = parts.get("FREQ")
    if freq is None:
        raise _BadRule("has no FREQ (say how often: DAILY, WEEKLY, MONTHLY or YEARLY)")
    if freq in _SUB_DAILY:
        raise _BadRule(
            f"has FREQ={freq}, a sub-daily frequency; check-ins fall on calendar days, so FREQ "
            "is DAILY, WEEKLY, MONTHLY or YEARLY"
        )
    if freq not in _FREQS:
        raise _BadRule(f"has FREQ={freq}, which is not DAILY, WEEKLY, MONTHLY or YEARLY")
    for name in _TIME_PARTS:
        if name in parts:
            raise _BadRule(f"has {name}, a time of day; check-ins fall on calendar days")
    if "BYEASTER" in parts:
        raise _BadRule("has BYEASTER, a dateutil extension that RFC 5545 readers do not know")
    if "INTERVAL" in parts:
        _positive_int("INTERVAL", parts["INTERVAL"], "the number of periods between check-ins")
    if "COUNT" in parts:
        _positive_int("COUNT", parts["COUNT"], "a cadence must produce at least one check-in")
    if "UNTIL" in parts:
        if "COUNT" in parts:
            raise _BadRule("has both COUNT and UNTIL (RFC 5545 allows one or the other)")
        _until(parts["UNTIL"])
    for name, (high, signed) in _INT_PARTS.items():
        if name not in parts:
            continue
        span = f"1 to {high}" + (f" or -{high} to -1" if signed else "")
        for item in parts[name].split(","):
            n = int(item) if _SIGNED_INT_RE.match(item) else 0
            if not (1 <= n <= high or (signed and -high <= n <= -1)):
                raise _BadRule(f"has {name}={parts[name]}; each value must be {span}")
    _check_rfc_combinations(freq, parts)


def _check_rfc_combinations(freq: str, parts: Mapping[str, str]) -> None:
    """RFC 5545 section 3.3.10: which BYxxx parts each FREQ may use."""
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise _BadRule("has BYWEEKNO, which RFC 5545 allows only with FREQ=YEARLY")
    if "BYYEARDAY" in parts and freq != "YEARLY":
        raise _BadRule("has BYYEARDAY, which RFC 5545 does not allow with FREQ=" + freq)
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise _BadRule("has BYMONTHDAY, which RFC 5545 does not allow with FREQ=WEEKLY")
    if "BYDAY" not in parts:
        return
    # The nth weekday counts within the month (MONTHLY, or YEARLY with BYMONTH) or the year.
    in_month = freq == "MONTHLY" or (freq == "YEARLY" and "BYMONTH" in parts)
    most = 5 if in_month else 53
    for item in parts["BYDAY"].split(","):
        m = _BYDAY_RE.match(item)
        if m is None:
            raise _BadRule(f"has BYDAY={parts['BYDAY']}; {item!r} is not a weekday like MO or 1MO")
        if m.group(1) is None:
            continue
        if freq not in ("MONTHLY", "YEARLY") or "BYWEEKNO" in parts:
            raise _BadRule(
                f"has BYDAY={parts['BYDAY']}; a numbered weekday ({item}) needs FREQ=MONTHLY or "
                "FREQ=YEARLY without BYWEEKNO"
            )
        n = int(m.group(1))
        if not (1 <= abs(n) <= most):
            period = "month" if in_month else "year"
            raise _BadRule(f"has BYDAY={parts['BYDAY']}; a {period} has no weekday number {n}")


def _build(parts: Mapping[str, str], dtstart: datetime, *, drop: Iterable[str] = ()) -> rrule:
    """A dateutil rule from checked parts, anchored at ``dtstart``, without the ``drop`` parts."""
    skip = set(drop)
    # RFC 5545's default week start is Monday; dateutil would read calendar.firstweekday(),
    # process-wide state a host may have changed.
    text = ";".join(f"{k}={val}" for k, val in {"WKST": "MO", **parts}.items() if k not in skip)
    return cast(rrule, rrulestr(text, dtstart=dtstart))  # a lone rule part is never a set


def _rrule_text(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An RRULE rule part that makes sense for check-ins (see :class:`Cadence`)."""
    if not isinstance(value, str):
        raise v.fail(attribute, value, "is not a string")
    try:
        parts = _split_rule(value)
        _check_parts(parts)
    except _BadRule as bad:
        raise v.fail(attribute, value, f"is not a valid check-in RRULE: {bad}") from None
    try:
        _build(parts, _PROBE_ANCHOR)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise v.fail(attribute, value, f"is not a valid check-in RRULE: {exc}") from None
    # Every period is visited with INTERVAL=1; 400 years cover every calendar pattern, so no
    # occurrence here means the BYxxx parts can never match a day (February 30th).
    probe = _build(parts, _PROBE_ANCHOR, drop=("INTERVAL", "COUNT", "UNTIL"))
    if probe.after(_PROBE_ANCHOR, inc=True) is None:
        raise v.fail(
            attribute, value, "is not a valid check-in RRULE: it never falls on a calendar day"
        )


@attrs.frozen(kw_only=True)
class Cadence:
    """How often people check in: an RFC 5545 RRULE rule part, e.g. ``FREQ=WEEKLY;INTERVAL=2``.

    The rule is kept as written (so the JSON stays a plain RRULE another system can read) and
    checked when built: dateutil must parse it, and it must make sense for calendar days — a
    FREQ of DAILY, WEEKLY, MONTHLY or YEARLY; no BYHOUR/BYMINUTE/BYSECOND; INTERVAL and COUNT
    of at least 1; UNTIL a date (YYYYMMDD), not with COUNT; BYxxx values in their RFC ranges and
    allowed with the FREQ; and at least one day the rule can ever fall on.
    """

    rrule: str = attrs.field(validator=_rrule_text)

    @classmethod
    def weekly(cls) -> Cadence:
        """Every week, on the weekday of the start."""
        return cls(rrule="FREQ=WEEKLY")

    @classmethod
    def biweekly(cls) -> Cadence:
        """Every two weeks, on the weekday of the start."""
        return cls(rrule="FREQ=WEEKLY;INTERVAL=2")

    @classmethod
    def monthly(cls) -> Cadence:
        """Every month, on the day of the month of the start (months without that day are
        skipped, as RFC 5545 says; use ``FREQ=MONTHLY;BYMONTHDAY=-1`` for month ends)."""
        return cls(rrule="FREQ=MONTHLY")

    @classmethod
    def quarterly(cls) -> Cadence:
        """Every three months, on the day of the month of the start."""
        return cls(rrule="FREQ=MONTHLY;INTERVAL=3")

    def occurrences(self, start: date, until: date) -> tuple[date, ...]:
        """The days the cadence falls on from ``start`` to ``until`` (both inclusive).

        The rule is anchored at ``start`` (its DTSTART): ``FREQ=WEEKLY`` falls on the start's
        weekday. As in dateutil, ``start`` itself counts only if the rule matches it.
        """
        first = _check_date("start", start)
        last = _check_date("until", until)
        parts = _split_rule(self.rrule)
        if "UNTIL" in parts:
            last = min(last, _until(parts["UNTIL"]))
        if last < first:
            return ()
        # dateutil walks on to the year 9999 when a rule has no occurrence after ``last`` (an
        # anchor on the 30th with BYMONTH=2): moving both ends by whole 400-year Gregorian cycles,
        # which keep every weekday and leap day, bounds that walk to under 400 years.
        shift = (date.max.year - last.year) // _GREGORIAN_CYCLE * _GREGORIAN_CYCLE
        rule = _build(parts, _shift(first, shift), drop=("UNTIL",))
        found = rule.between(_shift(first, shift), _shift(last, shift), inc=True)
        return tuple(date(d.year - shift, d.month, d.day) for d in found)


def _shift(day: date, years: int) -> datetime:
    """``day`` moved ``years`` on, as the floating midnight dateutil counts with."""
    return datetime(day.year + years, day.month, day.day)  # noqa: DTZ001 - a floating day


# --- review cycles ------------------------------------------------------------------------


def _iana_zone(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """An IANA time zone name that zoneinfo knows (``Europe/Berlin``, ``UTC``)."""
    if not isinstance(value, str):
        raise v.fail(attribute, value, "is not a string")
    if value == "localtime":
        raise v.fail(attribute, value, "names the host's zone, not an IANA time zone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise v.fail(
            attribute, value, "is not an IANA time zone name (like 'Europe/Berlin')"
        ) from None


def _check_phases(cycle: ReviewCycle) -> None:
    """Each window inside the cycle, one per phase, in canonical order, starts non-decreasing."""
    order = list(Phase)
    seen: dict[Phase, int] = {}
    for i, w in enumerate(cycle.phases):
        where = f"phases[{i}]"
        if w.start < cycle.start:
            raise ValidationError(
                f"{where}.start", w.start, f"is before the cycle start {cycle.start}"
            )
        if w.end > cycle.end:
            raise ValidationError(f"{where}.end", w.end, f"is after the cycle end {cycle.end}")
        if w.phase in seen:
            raise ValidationError(
                f"{where}.phase",
                w.phase.value,
                f"repeats phases[{seen[w.phase]}]; a cycle has at most one window per phase",
            )
        if i > 0:
            prev = cycle.phases[i - 1]
            if order.index(w.phase) < order.index(prev.phase):
                raise ValidationError(
                    f"{where}.phase",
                    w.phase.value,
                    f"is listed after {prev.phase.value!r}; list phases in the order "
                    + ", ".join(p.value for p in Phase),
                )
            if w.start < prev.start:
                raise ValidationError(
                    f"{where}.start",
                    w.start,
                    f"is before phases[{i - 1}].start {prev.start}; phases start in order",
                )
        seen[w.phase] = i


def _to_cycle_stage(value: Any) -> Any:
    """attrs converter: a plain string value becomes the CycleStage member."""
    return v.as_enum(CycleStage, value)


@attrs.frozen(kw_only=True)
class ReviewCycle:
    """A performance period with its phases, check-in cadence and workflow stage.

    ``start`` and ``end`` are the period's first and last day; ``phases`` the windows of the
    phases this cycle has (a subset, in canonical order); ``cadence`` how often people check in
    (``None``: no check-in reminders); ``timezone`` the IANA zone in which check-in times count
    as days; ``grace_days`` how many days a check-in may be late before it is overdue; ``stage``
    where the workflow stands (moved with :meth:`advance` and :meth:`complete`).
    """

    id: str = attrs.field(validator=v.identifier)
    name: str = attrs.field(validator=v.non_empty_text)
    start: date = attrs.field(validator=v.a_date)
    end: date = attrs.field(validator=v.a_date)
    phases: tuple[PhaseWindow, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(PhaseWindow))
    )
    cadence: Cadence | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Cadence))
    )
    timezone: str = attrs.field(default="UTC", validator=_iana_zone)
    grace_days: int = attrs.field(default=7, validator=[v.instance_of(int), v.between(0, 366)])
    stage: CycleStage = attrs.field(
        default=CycleStage.PLANNED,
        converter=_to_cycle_stage,
        validator=v.enum_member(CycleStage),
    )

    def __attrs_post_init__(self) -> None:
        v.ordered("start", "end")(self)
        _check_phases(self)
        if self.stage not in self.stages:
            present = ", ".join(s.value for s in self.stages)
            raise ValidationError(
                "stage",
                self.stage.value,
                f"is not a stage of this cycle (its stages: {present})",
            )

    @property
    def stages(self) -> tuple[CycleStage, ...]:
        """The stages this cycle passes through: planned, its phases, completed."""
        return (
            CycleStage.PLANNED,
            *(CycleStage(w.phase.value) for w in self.phases),
            CycleStage.COMPLETED,
        )

    def window(self, phase: Phase | str) -> PhaseWindow | None:
        """The window of ``phase``, or ``None`` when this cycle does not have that phase."""
        wanted = _member(Phase, phase, "phase")
        return next((w for w in self.phases if w.phase is wanted), None)

    @property
    def next_stage(self) -> CycleStage | None:
        """The stage :meth:`advance` moves to (``None`` once completed)."""
        stages = self.stages
        i = stages.index(self.stage)
        return stages[i + 1] if i + 1 < len(stages) else None

    @property
    def workflow(self) -> StateMachine[CycleStage]:
        """This cycle's moves: each stage to the next phase it has, or straight to completed."""
        stages = self.stages
        return StateMachine(
            "cycle",
            {
                s: frozenset({stages[i + 1], CycleStage.COMPLETED})
                for i, s in enumerate(stages[:-1])
            },
        )

    def move_to(
        self, stage: CycleStage | str, actor: str, at: datetime, note: str = ""
    ) -> tuple[ReviewCycle, WorkflowEvent]:
        """Move to ``stage`` (the next phase, or completed): the new cycle and its event.

        Phases run strictly in order: moving back, staying, or jumping over a phase raises
        :class:`~perfkit.TransitionError`.
        """
        target = _member(CycleStage, stage, "stage")
        machine = self.workflow
        machine.check(self.id, self.stage, target, self._why_not(target))
        event = machine.event(self.id, self.stage, target, actor, at, note)
        return attrs.evolve(self, stage=target), event

    def advance(
        self, actor: str, at: datetime, note: str = ""
    ) -> tuple[ReviewCycle, WorkflowEvent]:
        """Open the next phase this cycle has (after the last one: complete the cycle)."""
        return self.move_to(self.next_stage or CycleStage.COMPLETED, actor, at, note)

    def complete(
        self, actor: str, at: datetime, note: str = ""
    ) -> tuple[ReviewCycle, WorkflowEvent]:
        """Close the cycle from whatever stage it is in (remaining phases do not run)."""
        return self.move_to(CycleStage.COMPLETED, actor, at, note)

    def _why_not(self, target: CycleStage) -> str:
        if self.stage is CycleStage.COMPLETED:
            return "the cycle is already completed"
        if target not in self.stages:
            return f"this cycle has no {target.value} phase"
        if _STAGE_INDEX[target] <= _STAGE_INDEX[self.stage]:
            return "phases run in order and never go back"
        return f"phases run in order and the next one is {self.next_stage}"

    # --- phase gating ---------------------------------------------------------------------

    def allows(self, action: CycleAction | str) -> bool:
        """Whether the current stage allows ``action`` (see :data:`ACTIONS_BY_STAGE`)."""
        return _member(CycleAction, action, "action") in ACTIONS_BY_STAGE[self.stage]

    def check_allowed(self, action: CycleAction | str) -> None:
        """Raise :class:`~perfkit.PhaseError`, saying why and when, unless ``action`` is allowed."""
        act = _member(CycleAction, action, "action")
        if act in ACTIONS_BY_STAGE[self.stage]:
            return
        verb, rule = _ACTION_TEXT[act]
        allowing = [s for s in CycleStage if act in ACTIONS_BY_STAGE[s]]
        raise PhaseError(
            f"cannot {verb} in cycle {self.id!r}: {self._why_closed(allowing)} "
            f"(stage is {self.stage.value!r}); {rule} {_either(s.value for s in allowing)}"
        )

    def _why_closed(self, allowing: list[CycleStage]) -> str:
        if self.stage is CycleStage.COMPLETED:
            return "the cycle is completed"
        here = [s for s in allowing if s in self.stages]
        if not here:
            return f"this cycle has no {_either(s.value for s in allowing)} phase"
        if _STAGE_INDEX[here[0]] > _STAGE_INDEX[self.stage]:
            return f"{here[0].value} has not started"
        stages = self.stages
        return f"{stages[stages.index(self.stage) - 1].value} closed"


# --- due check-ins ------------------------------------------------------------------------


def _to_due_status(value: Any) -> Any:
    """attrs converter: a plain string value becomes the DueStatus member."""
    return v.as_enum(DueStatus, value)


@attrs.frozen(kw_only=True)
class DueCheckIn:
    """One line of the check-in reminder list.

    ``employee_id`` has ``missed`` unsatisfied check-in days, the earliest ``since`` and the latest
    ``due_on``; ``status`` is ``overdue`` once ``since`` is more than the cycle's grace days ago.
    """

    employee_id: str = attrs.field(validator=v.identifier)
    since: date = attrs.field(validator=v.a_date)
    due_on: date = attrs.field(validator=v.a_date)
    missed: int = attrs.field(validator=[v.instance_of(int), v.positive])
    status: DueStatus = attrs.field(converter=_to_due_status, validator=v.enum_member(DueStatus))

    def __attrs_post_init__(self) -> None:
        v.ordered("since", "due_on")(self)


def _iterable(name: str, value: object) -> Iterable[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(name, value, "is not a collection (a list, a set, a tuple)")
    return value


def _latest_local_days(
    checkins: object, wanted: set[str], zone: ZoneInfo, on: date
) -> dict[str, date]:
    """Per wanted employee, the latest local day of a check-in on or before ``on``."""
    if not isinstance(checkins, Mapping):
        raise ValidationError("checkins", checkins, "is not a mapping of employee id to datetimes")
    latest: dict[str, date] = {}
    for key, times in checkins.items():
        if not isinstance(key, str):
            raise ValidationError("checkins", key, "has a key that is not an employee id")
        where = f"checkins[{key!r}]"
        for i, at in enumerate(_iterable(where, times)):
            if not isinstance(at, datetime):
                raise ValidationError(f"{where}[{i}]", at, "is not a datetime")
            if at.tzinfo is None or at.utcoffset() is None:
                raise ValidationError(
                    f"{where}[{i}]", at, "is a naive datetime; give it a timezone"
                )
            if key not in wanted:
                continue
            try:
                day = at.astimezone(zone).date()
            except OverflowError:
                raise ValidationError(
                    f"{where}[{i}]", at, f"falls outside the calendar in {zone.key}"
                ) from None
            if day <= on and (key not in latest or day > latest[key]):
                latest[key] = day
    return latest


def _starts(starts: object, people: set[str]) -> dict[str, date]:
    if starts is None:
        return {}
    if not isinstance(starts, Mapping):
        raise ValidationError("starts", starts, "is not a mapping of employee id to date")
    found: dict[str, date] = {}
    for key, value in starts.items():
        if not isinstance(key, str):
            raise ValidationError("starts", key, "has a key that is not an employee id")
        found[key] = _check_date(f"starts[{key!r}]", value)
    return {k: d for k, d in found.items() if k in people}


def due_checkins(
    cycle: ReviewCycle,
    participants: Iterable[str],
    checkins: Mapping[str, Iterable[datetime]],
    on: date,
    starts: Mapping[str, date] | None = None,
) -> tuple[DueCheckIn, ...]:
    """The check-in reminder list of ``cycle`` on day ``on``: who is due or overdue, and since when.

    The cadence falls on days from the check_ins phase start (the cycle start when the cycle has
    no check_ins phase) to ``on``, never past the phase (or cycle) end. A check-in counts on its
    local day in the cycle's timezone; check-ins after ``on`` are ignored. The cadence days after a
    person's latest check-in are unsatisfied: ``since`` is the earliest, ``due_on`` the latest,
    ``missed`` their number, and the person is ``overdue`` when ``on - since`` exceeds the cycle's
    grace days. Sorted overdue first, then by ``since``, then by employee id.

    ``starts`` optionally maps a participant to the first day they owe check-ins (a hire date, or
    the start of their first goal): cadence days before it do not count for them. Once the
    check_ins phase (or the cycle) has ended, nothing is due: the reminders stop with the phase.
    """
    if not isinstance(cycle, ReviewCycle):
        raise ValidationError("cycle", cycle, "is not a ReviewCycle")
    day = _check_date("on", on)
    people: set[str] = set()
    for i, pid in enumerate(_iterable("participants", participants)):
        if not isinstance(pid, str) or not v._ID_RE.match(pid):
            raise ValidationError(f"participants[{i}]", pid, "is not an employee id")
        people.add(pid)
    latest = _latest_local_days(checkins, people, ZoneInfo(cycle.timezone), day)
    begins = _starts(starts, people)
    if cycle.cadence is None:
        return ()
    window = cycle.window(Phase.CHECK_INS)
    first, last = (cycle.start, cycle.end) if window is None else (window.start, window.end)
    if day > last:
        return ()
    days = cycle.cadence.occurrences(first, min(last, day))
    grace = timedelta(days=cycle.grace_days)
    found: list[DueCheckIn] = []
    for pid in people:
        seen = latest.get(pid)
        open_from = 0 if seen is None else bisect.bisect_right(days, seen)
        if pid in begins:
            open_from = max(open_from, bisect.bisect_left(days, begins[pid]))
        if open_from == len(days):
            continue
        since = days[open_from]
        found.append(
            DueCheckIn(
                employee_id=pid,
                since=since,
                due_on=days[-1],
                missed=len(days) - open_from,
                status=DueStatus.OVERDUE if day - since > grace else DueStatus.DUE,
            )
        )
    found.sort(key=lambda d: (d.status is not DueStatus.OVERDUE, d.since, d.employee_id))
    return tuple(found)

"""Strategies for review cycles, phase windows, cadences and due check-ins."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from dateutil import rrule as du
from hypothesis import strategies as st

from perfkit.cycles import (
    Cadence,
    CycleStage,
    DueCheckIn,
    DueStatus,
    Phase,
    PhaseWindow,
    ReviewCycle,
)

from .common import dates, simple_ids, texts, timezones

zone_names = st.sampled_from(
    [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "America/St_Johns",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "Pacific/Auckland",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
    ]
)
"""IANA zones with whole, half and odd-hour offsets, DST in both hemispheres, ±14 h."""

cycle_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FREQ = {"DAILY": du.DAILY, "WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY, "YEARLY": du.YEARLY}


@attrs.frozen
class CadenceSpec:
    """A cadence written two ways: as RRULE text and as dateutil ``rrule`` keyword arguments.

    The tests' brute-force model builds its dates from ``kwargs`` with ``dateutil.rrule.rrule``
    directly, never through perfkit's parsing.
    """

    text: str
    kwargs: dict[str, Any]

    @property
    def cadence(self) -> Cadence:
        return Cadence(rrule=self.text)


@st.composite
def cadence_specs(draw: st.DrawFn) -> CadenceSpec:
    freq = draw(st.sampled_from(sorted(_FREQ)))
    interval = draw(st.integers(min_value=1, max_value=4))
    parts = [f"FREQ={freq}"]
    kwargs: dict[str, Any] = {"freq": _FREQ[freq]}
    if interval != 1 or draw(st.booleans()):
        parts.append(f"INTERVAL={interval}")
        kwargs["interval"] = interval
    if freq in ("DAILY", "WEEKLY") and draw(st.booleans()):
        days = draw(st.sets(st.integers(min_value=0, max_value=6), min_size=1, max_size=3))
        parts.append("BYDAY=" + ",".join(_WEEKDAYS[d] for d in sorted(days)))
        kwargs["byweekday"] = sorted(days)
    if freq == "MONTHLY" and draw(st.booleans()):
        day = draw(st.sampled_from([1, 15, 28, 31, -1]))
        parts.append(f"BYMONTHDAY={day}")
        kwargs["bymonthday"] = day
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        count = draw(st.integers(min_value=1, max_value=6))
        parts.append(f"COUNT={count}")
        kwargs["count"] = count
    return CadenceSpec(text=";".join(parts), kwargs=kwargs)


cadences = st.one_of(
    st.sampled_from([Cadence.weekly(), Cadence.biweekly(), Cadence.monthly(), Cadence.quarterly()]),
    cadence_specs().map(lambda s: s.cadence),
)


@st.composite
def phase_windows(draw: st.DrawFn) -> PhaseWindow:
    start = draw(dates)
    end = start + timedelta(days=draw(st.integers(min_value=0, max_value=120)))
    return PhaseWindow(phase=draw(st.sampled_from(list(Phase))), start=start, end=end)


@st.composite
def review_cycles(
    draw: st.DrawFn,
    cadence: st.SearchStrategy[Cadence | None] | None = None,
) -> ReviewCycle:
    """Valid cycles: a subset of phases in order, windows inside the period, starts ordered."""
    start = draw(cycle_dates)
    length = draw(st.integers(min_value=0, max_value=400))
    end = start + timedelta(days=length)
    chosen = [p for p in Phase if draw(st.booleans())]
    offsets = sorted(draw(st.integers(min_value=0, max_value=length)) for _ in chosen)
    phases = []
    for phase, offset in zip(chosen, offsets, strict=True):
        first = start + timedelta(days=offset)
        span = draw(st.integers(min_value=0, max_value=(end - first).days))
        phases.append(PhaseWindow(phase=phase, start=first, end=first + timedelta(days=span)))
    stages = [CycleStage.PLANNED, *(CycleStage(p.value) for p in chosen), CycleStage.COMPLETED]
    return ReviewCycle(
        id=draw(simple_ids),
        name=draw(texts.filter(str.strip)),
        start=start,
        end=end,
        phases=phases,
        cadence=draw(cadence if cadence is not None else st.none() | cadences),
        timezone=draw(zone_names),
        grace_days=draw(st.integers(min_value=0, max_value=30)),
        stage=draw(st.sampled_from(stages)),
    )


@st.composite
def due_checkin_lines(draw: st.DrawFn) -> DueCheckIn:
    since = draw(dates)
    return DueCheckIn(
        employee_id=draw(simple_ids),
        since=since,
        due_on=since + timedelta(days=draw(st.integers(min_value=0, max_value=400))),
        missed=draw(st.integers(min_value=1, max_value=50)),
        status=draw(st.sampled_from(list(DueStatus))),
    )


@st.composite
def checkin_scenarios(
    draw: st.DrawFn,
) -> tuple[ReviewCycle, CadenceSpec, list[str], dict[str, list[datetime]], date]:
    """A cycle with a cadence, its participants, their check-ins and the day of the list."""
    spec = draw(cadence_specs())
    cycle = draw(review_cycles(cadence=st.just(spec.cadence)))
    people = draw(st.lists(simple_ids, min_size=1, max_size=6, unique=True))
    strangers = draw(st.lists(simple_ids.filter(lambda s: s not in people), max_size=2))
    lo = datetime.combine(cycle.start - timedelta(days=20), datetime.min.time())
    hi = datetime.combine(cycle.end + timedelta(days=20), datetime.min.time())
    moments = st.builds(
        lambda local, zone: local.replace(tzinfo=zone),
        st.datetimes(min_value=lo, max_value=hi),
        timezones | zone_names.map(ZoneInfo),
    )
    checkins = {
        pid: draw(st.lists(moments, max_size=5))
        for pid in [*people, *strangers]
        if draw(st.booleans())
    }
    on = cycle.start + timedelta(
        days=draw(st.integers(min_value=-10, max_value=(cycle.end - cycle.start).days + 30))
    )
    return cycle, spec, people, checkins, on

import calendar
import contextlib
import random
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as du
from hypothesis import given, settings
from hypothesis import strategies as st

import perfkit
from perfkit import PerfkitError, PhaseError, TransitionError, ValidationError
from perfkit.cycles import (
    ACTIONS_BY_STAGE,
    Cadence,
    CycleAction,
    CycleStage,
    DueCheckIn,
    DueStatus,
    Phase,
    PhaseWindow,
    ReviewCycle,
    due_checkins,
)

from .strategies.common import dates
from .strategies.cycles import (
    CadenceSpec,
    cadence_specs,
    cadences,
    checkin_scenarios,
    due_checkin_lines,
    phase_windows,
    review_cycles,
)

D = date
AT = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)


def utc(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def window(phase: Phase, start: date, end: date) -> PhaseWindow:
    return PhaseWindow(phase=phase, start=start, end=end)


def fy26(**changes: Any) -> ReviewCycle:
    """FY26 with every phase; check-ins every two weeks from Monday 2026-01-05 to 2026-06-30."""
    fields: dict[str, Any] = {
        "id": "fy26",
        "name": "FY 2026",
        "start": D(2026, 1, 1),
        "end": D(2026, 12, 31),
        "phases": [
            window(Phase.GOAL_SETTING, D(2026, 1, 1), D(2026, 1, 31)),
            window(Phase.CHECK_INS, D(2026, 1, 5), D(2026, 6, 30)),
            window(Phase.SELF_REVIEW, D(2026, 7, 1), D(2026, 7, 31)),
            window(Phase.PEER_REVIEW, D(2026, 7, 1), D(2026, 7, 31)),
            window(Phase.MANAGER_REVIEW, D(2026, 8, 1), D(2026, 8, 31)),
            window(Phase.CALIBRATION, D(2026, 9, 1), D(2026, 9, 30)),
            window(Phase.REWARDS, D(2026, 10, 1), D(2026, 12, 31)),
        ],
        "cadence": Cadence.biweekly(),
    }
    fields.update(changes)
    return ReviewCycle(**fields)


def listing(lines: Iterable[DueCheckIn]) -> list[tuple[str, date, date, int, str]]:
    return [(x.employee_id, x.since, x.due_on, x.missed, x.status.value) for x in lines]


# --- cadences -------------------------------------------------------------------------------


def test_named_cadences_are_plain_rrules() -> None:
    assert Cadence.weekly().rrule == "FREQ=WEEKLY"
    assert Cadence.biweekly().rrule == "FREQ=WEEKLY;INTERVAL=2"
    assert Cadence.monthly().rrule == "FREQ=MONTHLY"
    assert Cadence.quarterly().rrule == "FREQ=MONTHLY;INTERVAL=3"
    assert perfkit.unstructure(Cadence.biweekly()) == {"rrule": "FREQ=WEEKLY;INTERVAL=2"}


def test_biweekly_occurrences_written_out() -> None:
    assert Cadence.biweekly().occurrences(D(2026, 1, 5), D(2026, 3, 31)) == (
        D(2026, 1, 5),
        D(2026, 1, 19),
        D(2026, 2, 2),
        D(2026, 2, 16),
        D(2026, 3, 2),
        D(2026, 3, 16),
        D(2026, 3, 30),
    )


def test_quarterly_monthly_and_weekly_occurrences_written_out() -> None:
    assert Cadence.quarterly().occurrences(D(2026, 1, 1), D(2026, 12, 31)) == (
        D(2026, 1, 1),
        D(2026, 4, 1),
        D(2026, 7, 1),
        D(2026, 10, 1),
    )
    # RFC 5545: a monthly rule anchored on the 31st skips months without a 31st.
    assert Cadence.monthly().occurrences(D(2026, 1, 31), D(2026, 5, 31)) == (
        D(2026, 1, 31),
        D(2026, 3, 31),
        D(2026, 5, 31),
    )
    month_ends = Cadence(rrule="FREQ=MONTHLY;BYMONTHDAY=-1")
    assert month_ends.occurrences(D(2026, 1, 15), D(2026, 3, 31)) == (
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
    )
    assert Cadence.weekly().occurrences(D(2026, 1, 1), D(2026, 1, 22)) == (
        D(2026, 1, 1),
        D(2026, 1, 8),
        D(2026, 1, 15),
        D(2026, 1, 22),
    )
    assert Cadence.weekly().occurrences(D(2026, 1, 2), D(2026, 1, 1)) == ()


def test_count_and_until_in_the_rule_end_the_cadence() -> None:
    three = Cadence(rrule="FREQ=WEEKLY;COUNT=3")
    assert three.occurrences(D(2026, 1, 5), D(2026, 12, 31)) == (
        D(2026, 1, 5),
        D(2026, 1, 12),
        D(2026, 1, 19),
    )
    until = Cadence(rrule="freq=weekly;until=20260119")  # names and values in any case
    assert until.occurrences(D(2026, 1, 5), D(2026, 12, 31)) == (
        D(2026, 1, 5),
        D(2026, 1, 12),
        D(2026, 1, 19),
    )
    assert until.occurrences(D(2026, 2, 1), D(2026, 12, 31)) == ()


def test_weeks_start_on_monday_unless_the_rule_says_otherwise() -> None:
    # RFC 5545's own WKST example: every other week on Tuesday and Sunday from 5 August 1997.
    rule = "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU"
    monday_weeks = (D(1997, 8, 5), D(1997, 8, 10), D(1997, 8, 19), D(1997, 8, 24))
    sunday_weeks = (D(1997, 8, 5), D(1997, 8, 17), D(1997, 8, 19), D(1997, 8, 31))
    span = (D(1997, 8, 5), D(1997, 12, 31))
    assert Cadence(rrule=f"{rule};WKST=MO").occurrences(*span) == monday_weeks
    assert Cadence(rrule=f"{rule};WKST=SU").occurrences(*span) == sunday_weeks
    before = calendar.firstweekday()
    try:
        calendar.setfirstweekday(calendar.SUNDAY)  # process-wide state must not leak in
        assert Cadence(rrule=rule).occurrences(*span) == monday_weeks
    finally:
        calendar.setfirstweekday(before)


def test_a_rule_that_rarely_matches_its_anchor_answers_quickly() -> None:
    # Anchored on 30 January, BYMONTH=2 means 30 February: never. dateutil alone would walk on
    # to the year 9999; perfkit answers at once, and still finds leap days decades apart.
    assert Cadence(rrule="FREQ=YEARLY;BYMONTH=2").occurrences(D(2026, 1, 30), D(2100, 1, 1)) == ()
    leap_days = Cadence(rrule="FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29")
    assert leap_days.occurrences(D(2090, 1, 1), D(2110, 1, 1)) == (
        D(2092, 2, 29),
        D(2096, 2, 29),
        D(2104, 2, 29),
        D(2108, 2, 29),
    )
    assert leap_days.occurrences(D(9990, 1, 1), D(9999, 12, 31)) == (D(9992, 2, 29), D(9996, 2, 29))


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("", "is empty"),
        (
            "RRULE:FREQ=WEEKLY",
            (
                "must be the rule part only, like 'FREQ=WEEKLY;INTERVAL=2' (no 'RRULE:', DTSTART, "
                "white space or line breaks)"
            ),
        ),
        ("FREQ=WEEKLY; INTERVAL=2", "must be the rule part only"),
        ("FREQ=WEEKLY;", "has a part '' (number 2) that is not NAME=VALUE"),
        ("FREQ=WEEKLY;INTERVAL=2;INTERVAL=3", "repeats INTERVAL (RFC 5545 allows each part once)"),
        ("INTERVAL=2", "has no FREQ (say how often: DAILY, WEEKLY, MONTHLY or YEARLY)"),
        (
            "FREQ=HOURLY",
            (
                "has FREQ=HOURLY, a sub-daily frequency; check-ins fall on calendar days, so "
                "FREQ is DAILY, WEEKLY, MONTHLY or YEARLY"
            ),
        ),
        ("FREQ=FORTNIGHTLY", "has FREQ=FORTNIGHTLY, which is not DAILY, WEEKLY, MONTHLY or YEARLY"),
        ("FREQ=DAILY;BYHOUR=9", "has BYHOUR, a time of day; check-ins fall on calendar days"),
        ("FREQ=YEARLY;BYEASTER=0", "has BYEASTER, a dateutil extension"),
        (
            "FREQ=WEEKLY;COUNT=0",
            (
                "has COUNT=0, which is not a whole number of at least 1 (a cadence must produce at "
                "least one check-in)"
            ),
        ),
        ("FREQ=WEEKLY;INTERVAL=0", "has INTERVAL=0, which is not a whole number of at least 1"),
        ("FREQ=WEEKLY;INTERVAL=-2", "has INTERVAL=-2, which is not a whole number"),
        ("FREQ=WEEKLY;UNTIL=20261231T170000Z", "has UNTIL=20261231T170000Z, which is not a"),
        ("FREQ=WEEKLY;UNTIL=20260230", "has UNTIL=20260230, which is not a calendar date"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20261231", "has both COUNT and UNTIL"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "has BYMONTHDAY=0; each value must be 1 to 31 or -31 to -1"),
        ("FREQ=YEARLY;BYMONTH=13", "has BYMONTH=13; each value must be 1 to 12"),
        ("FREQ=WEEKLY;BYWEEKNO=3", "has BYWEEKNO, which RFC 5545 allows only with FREQ=YEARLY"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "has BYMONTHDAY, which RFC 5545 does not allow with"),
        ("FREQ=WEEKLY;BYDAY=MO(+1)", "has BYDAY=MO(+1); 'MO(+1)' is not a weekday like MO"),
        ("FREQ=WEEKLY;BYDAY=1MO", "has BYDAY=1MO; a numbered weekday (1MO) needs FREQ=MONTHLY"),
        ("FREQ=MONTHLY;BYDAY=6MO", "has BYDAY=6MO; a month has no weekday number 6"),
        ("FREQ=WEEKLY;FOO=1", "unknown parameter 'FOO'"),
        ("FREQ=WEEKLY;WKST=XX", "invalid 'WKST': XX"),
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30", "it never falls on a calendar day"),
        ("FREQ=DAILY;BYSETPOS=2", "it never falls on a calendar day"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(rule: str, reason: str) -> None:
    expected = f"rrule: {rule!r} is not a valid check-in RRULE: {reason}"
    with pytest.raises(ValidationError, match=re.escape(expected)) as info:
        Cadence(rrule=rule)
    assert info.value.path == "rrule"
    assert info.value.value == rule


def test_a_rule_must_be_text() -> None:
    with pytest.raises(ValidationError, match="rrule: 5 is not a string"):
        Cadence(rrule=5)  # type: ignore[arg-type]


def test_occurrences_take_dates_only() -> None:
    with pytest.raises(ValidationError, match="start: .* is not a date"):
        Cadence.weekly().occurrences(AT, D(2026, 2, 1))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="until: 'soon' is not a date"):
        Cadence.weekly().occurrences(D(2026, 1, 1), "soon")  # type: ignore[arg-type]


def dateutil_days(spec: CadenceSpec, start: date, until: date) -> list[date]:
    """The model: dateutil.rrule built from keyword arguments, never from perfkit's text."""
    first, last = datetime.combine(start, time()), datetime.combine(until, time())
    rule = du.rrule(dtstart=first, **spec.kwargs)
    return [d.date() for d in rule.between(first, last, inc=True)]


@given(cadence_specs(), dates, st.integers(min_value=-5, max_value=800))
def test_occurrences_match_dateutil(spec: CadenceSpec, start: date, days: int) -> None:
    until = start + timedelta(days=days)
    assert list(spec.cadence.occurrences(start, until)) == dateutil_days(spec, start, until)


@given(cadence_specs(), st.dates(), st.integers(min_value=0, max_value=400))
def test_occurrences_match_dateutil_across_the_whole_calendar(
    spec: CadenceSpec, start: date, days: int
) -> None:
    until = min(start + timedelta(days=days), D(9999, 12, 31)) if days else start
    assert list(spec.cadence.occurrences(start, until)) == dateutil_days(spec, start, until)


_FRAGMENTS = [
    "FREQ=",
    "DAILY",
    "WEEKLY",
    "MONTHLY",
    "YEARLY",
    "HOURLY",
    ";",
    "INTERVAL=",
    "COUNT=",
    "UNTIL=",
    "BYDAY=",
    "BYMONTHDAY=",
    "BYMONTH=",
    "BYSETPOS=",
    "BYYEARDAY=",
    "BYWEEKNO=",
    "WKST=",
    "MO",
    "FR",
    ",",
    "-",
    "+",
    "0",
    "1",
    "2",
    "5",
    "9",
    "=",
    ":",
    "x",
    "20261231",
]


@settings(max_examples=150)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join) | st.text(max_size=30))
def test_garbage_rules_raise_only_validation_errors(text: str) -> None:
    try:
        cadence = Cadence(rrule=text)
    except ValidationError as err:
        path = err.path
    else:
        found = cadence.occurrences(D(2026, 1, 1), D(2027, 12, 31))
        assert list(found) == sorted(set(found))
        path = "rrule"
    assert path == "rrule"


# --- phases and cycle validation ----------------------------------------------------------


def test_phase_and_stage_orders_are_canonical() -> None:
    assert [p.value for p in Phase] == [
        "goal_setting",
        "check_ins",
        "self_review",
        "peer_review",
        "manager_review",
        "calibration",
        "rewards",
    ]
    assert [s.value for s in CycleStage] == ["planned", *(p.value for p in Phase), "completed"]


def test_phase_window_is_ordered_and_inclusive() -> None:
    one_day = window(Phase.CALIBRATION, D(2026, 9, 1), D(2026, 9, 1))
    assert one_day.contains(D(2026, 9, 1))
    assert not one_day.contains(D(2026, 9, 2))
    with pytest.raises(
        ValidationError,
        match=re.escape("end: datetime.date(2026, 8, 31) is before start 2026-09-01"),
    ):
        window(Phase.CALIBRATION, D(2026, 9, 1), D(2026, 8, 31))
    with pytest.raises(ValidationError, match="phase: 'review' is not a Phase"):
        PhaseWindow(phase="review", start=D(2026, 9, 1), end=D(2026, 9, 2))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="start: .* is not a date"):
        PhaseWindow(phase=Phase.REWARDS, start=AT, end=D(2026, 9, 2))  # type: ignore[arg-type]


def _phases_with(i: int, **changes: Any) -> list[PhaseWindow]:
    phases = list(fy26().phases)
    old = phases[i]
    phases[i] = PhaseWindow(
        phase=changes.get("phase", old.phase),
        start=changes.get("start", old.start),
        end=changes.get("end", old.end),
    )
    return phases


@pytest.mark.parametrize(
    ("phases", "message"),
    [
        (
            _phases_with(0, start=D(2025, 12, 31)),
            "phases[0].start: datetime.date(2025, 12, 31) is before the cycle start 2026-01-01",
        ),
        (
            _phases_with(6, end=D(2027, 1, 1)),
            "phases[6].end: datetime.date(2027, 1, 1) is after the cycle end 2026-12-31",
        ),
        (
            _phases_with(3, phase=Phase.SELF_REVIEW),
            (
                "phases[3].phase: 'self_review' repeats phases[2]; a cycle has at most one window "
                "per phase"
            ),
        ),
        (
            _phases_with(1, phase=Phase.PEER_REVIEW)[:3],
            (
                "phases[2].phase: 'self_review' is listed after 'peer_review'; list phases in the "
                "order goal_setting, check_ins, self_review, peer_review, manager_review, "
                "calibration, rewards"
            ),
        ),
        (
            _phases_with(4, start=D(2026, 6, 30)),
            (
                "phases[4].start: datetime.date(2026, 6, 30) is before phases[3].start 2026-07-01; "
                "phases start in order"
            ),
        ),
        (
            [window(Phase.CHECK_INS, D(2026, 1, 1), D(2026, 1, 1)), "rewards"],
            "phases[1]: 'rewards' is not a PhaseWindow",
        ),
    ],
)
def test_phase_windows_are_checked_against_the_cycle(
    phases: list[PhaseWindow], message: str
) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}$"):
        fy26(phases=phases)


def test_overlapping_phases_and_sparse_cycles_are_fine() -> None:
    cycle = fy26()
    own, peers = cycle.window(Phase.SELF_REVIEW), cycle.window("peer_review")
    assert own is not None
    assert peers is not None
    assert (own.start, own.end) == (peers.start, peers.end)  # self and peer review together
    retail = ReviewCycle(
        id="2026",
        name="Annual review",
        start=D(2026, 1, 1),
        end=D(2026, 12, 31),
        phases=[window(Phase.MANAGER_REVIEW, D(2026, 11, 1), D(2026, 11, 30))],
    )
    assert retail.stages == (CycleStage.PLANNED, CycleStage.MANAGER_REVIEW, CycleStage.COMPLETED)
    assert retail.window(Phase.CHECK_INS) is None
    assert retail.cadence is None
    assert retail.timezone == "UTC"
    assert retail.grace_days == 7


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end": D(2025, 12, 31)}, "end: datetime.date(2025, 12, 31) is before start 2026-01-01"),
        ({"id": ""}, "id: '' is not a valid id"),
        ({"name": "  "}, "name: '  ' must not be empty"),
        ({"timezone": "Mars/Olympus"}, "timezone: 'Mars/Olympus' is not an IANA time zone name"),
        ({"timezone": "../etc/passwd"}, "timezone: '../etc/passwd' is not an IANA time zone"),
        ({"timezone": "Europe"}, "timezone: 'Europe' is not an IANA time zone name"),
        ({"timezone": "localtime"}, "timezone: 'localtime' names the host's zone"),
        ({"timezone": None}, "timezone: None is not a string"),
        ({"grace_days": -1}, "grace_days: -1 is not between 0 and 366"),
        ({"grace_days": 10**12}, "grace_days: 1000000000000 is not between 0 and 366"),
        ({"grace_days": 2.5}, "grace_days: 2.5 is not an int"),
        ({"grace_days": True}, "grace_days: True is not an int"),
        ({"cadence": "FREQ=WEEKLY"}, "cadence: 'FREQ=WEEKLY' is not a Cadence"),
        ({"stage": "done"}, "stage: 'done' is not a CycleStage"),
        ({"phases": "goal_setting"}, "phases: 'goal_setting' is not a tuple"),
    ],
)
def test_cycle_fields_are_validated(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        fy26(**changes)


def test_stage_must_be_a_stage_of_the_cycle() -> None:
    short = fy26(phases=fy26().phases[:2])
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "stage: 'calibration' is not a stage of this cycle (its stages: planned, "
            "goal_setting, check_ins, completed)"
        ),
    ):
        fy26(phases=short.phases, stage=CycleStage.CALIBRATION)


# --- the workflow ---------------------------------------------------------------------------


def test_advance_walks_every_phase_then_completes() -> None:
    cycle = fy26()
    seen = [cycle.stage]
    events = []
    while cycle.stage is not CycleStage.COMPLETED:
        cycle, event = cycle.advance("hr-lead", AT)
        seen.append(cycle.stage)
        events.append(event)
    assert seen == list(CycleStage)
    assert [(e.from_state, e.to_state) for e in events[:2]] == [
        ("planned", "goal_setting"),
        ("goal_setting", "check_ins"),
    ]
    assert events[-1].to_state == "completed"
    assert {(e.subject_type, e.subject_id, e.actor, e.at) for e in events} == {
        ("cycle", "fy26", "hr-lead", AT)
    }


def test_advance_skips_phases_the_cycle_does_not_have() -> None:
    cycle = ReviewCycle(
        id="q3",
        name="Q3",
        start=D(2026, 7, 1),
        end=D(2026, 9, 30),
        phases=[
            window(Phase.CHECK_INS, D(2026, 7, 1), D(2026, 9, 15)),
            window(Phase.MANAGER_REVIEW, D(2026, 9, 16), D(2026, 9, 30)),
        ],
    )
    assert cycle.next_stage is CycleStage.CHECK_INS
    cycle, first = cycle.advance("hr", AT, note="kick-off")
    assert (first.from_state, first.to_state, first.note) == ("planned", "check_ins", "kick-off")
    cycle, second = cycle.advance("hr", AT)
    assert (second.from_state, second.to_state) == ("check_ins", "manager_review")
    cycle, third = cycle.advance("hr", AT)
    assert (third.from_state, third.to_state) == ("manager_review", "completed")
    assert cycle.next_stage is None


def test_moves_after_completed_and_backwards_are_refused() -> None:
    cycle = fy26(stage=CycleStage.CHECK_INS)
    done, event = cycle.complete("hr", AT)
    assert (event.from_state, event.to_state) == ("check_ins", "completed")
    assert cycle.stage is CycleStage.CHECK_INS  # cycles are immutable: a new one is returned
    with pytest.raises(
        TransitionError,
        match=re.escape(
            "cycle 'fy26': cannot go from 'completed' to 'completed': the cycle is already "
            "completed; allowed from 'completed': none (final state)"
        ),
    ):
        done.advance("hr", AT)
    with pytest.raises(TransitionError, match="the cycle is already completed"):
        done.complete("hr", AT)
    with pytest.raises(
        TransitionError,
        match=re.escape(
            "cycle 'fy26': cannot go from 'check_ins' to 'goal_setting': phases run in order and "
            "never go back; allowed from 'check_ins': completed, self_review"
        ),
    ):
        cycle.move_to(CycleStage.GOAL_SETTING, "hr", AT)
    with pytest.raises(TransitionError, match="never go back"):
        cycle.move_to("check_ins", "hr", AT)
    with pytest.raises(
        TransitionError, match="phases run in order and the next one is self_review"
    ):
        cycle.move_to(CycleStage.CALIBRATION, "hr", AT)
    sparse = fy26(phases=fy26().phases[:2])
    with pytest.raises(TransitionError, match="this cycle has no calibration phase"):
        sparse.move_to("calibration", "hr", AT)
    with pytest.raises(ValidationError, match="stage: 'later' is not a CycleStage"):
        cycle.move_to("later", "hr", AT)


def test_workflow_events_need_an_actor_and_an_aware_time() -> None:
    with pytest.raises(ValidationError, match="at: .* is a naive datetime"):
        fy26().advance("hr", datetime(2026, 1, 2, 9))
    with pytest.raises(ValidationError, match="actor: '' is not a valid id"):
        fy26().advance("", AT)


@given(review_cycles())
def test_advancing_visits_the_cycles_stages_in_order(cycle: ReviewCycle) -> None:
    stages = cycle.stages
    visited = [cycle.stage]
    while cycle.next_stage is not None:
        cycle, event = cycle.advance("hr", AT)
        assert event.to_state == cycle.stage.value
        visited.append(cycle.stage)
    assert visited == list(stages[stages.index(visited[0]) :])
    assert [list(CycleStage).index(s) for s in stages] == sorted(
        list(CycleStage).index(s) for s in stages
    )


# --- phase gating ---------------------------------------------------------------------------


def test_the_gating_table() -> None:
    allowed = {s.value: sorted(a.value for a in acts) for s, acts in ACTIONS_BY_STAGE.items()}
    assert allowed == {
        "planned": ["change_goal", "set_goals"],
        "goal_setting": ["change_goal", "check_in", "give_feedback", "set_goals"],
        "check_ins": ["change_goal", "check_in", "give_feedback", "set_goals"],
        "self_review": [
            "change_goal",
            "check_in",
            "give_feedback",
            "peer_review",
            "rate",
            "self_review",
        ],
        "peer_review": [
            "change_goal",
            "check_in",
            "give_feedback",
            "peer_review",
            "rate",
            "self_review",
        ],
        "manager_review": ["change_goal", "check_in", "give_feedback", "manager_review", "rate"],
        "calibration": ["calibrate", "change_goal", "give_feedback"],
        "rewards": ["change_goal", "give_feedback", "reward"],
        "completed": [],
    }


@pytest.mark.parametrize("stage", list(CycleStage))
@pytest.mark.parametrize("action", list(CycleAction))
def test_allows_and_check_allowed_follow_the_table(stage: CycleStage, action: CycleAction) -> None:
    cycle = fy26(stage=stage)
    expected = action in ACTIONS_BY_STAGE[stage]
    assert cycle.allows(action) is expected
    assert cycle.allows(action.value) is expected
    if expected:
        cycle.check_allowed(action)
    else:
        with pytest.raises(PhaseError, match=f"^cannot .* in cycle 'fy26': .*stage is '{stage}'"):
            cycle.check_allowed(action)


@pytest.mark.parametrize(
    ("stage", "action", "message"),
    [
        (
            CycleStage.REWARDS,
            CycleAction.RATE,
            (
                "cannot rate in cycle 'fy26': calibration closed (stage is 'rewards'); ratings are "
                "given in self_review, peer_review or manager_review"
            ),
        ),
        (
            CycleStage.CHECK_INS,
            CycleAction.RATE,
            (
                "cannot rate in cycle 'fy26': self_review has not started (stage is 'check_ins'); "
                "ratings are given in self_review, peer_review or manager_review"
            ),
        ),
        (
            CycleStage.COMPLETED,
            CycleAction.CHANGE_GOAL,
            (
                "cannot change a goal in cycle 'fy26': the cycle is completed (stage is "
                "'completed'); goals can be changed in planned, goal_setting, check_ins, "
                "self_review, peer_review, manager_review, calibration or rewards"
            ),
        ),
        (
            CycleStage.MANAGER_REVIEW,
            CycleAction.SET_GOALS,
            (
                "cannot set goals in cycle 'fy26': peer_review closed (stage is 'manager_review'); "
                "goals are set in planned, goal_setting or check_ins"
            ),
        ),
        (
            CycleStage.PLANNED,
            CycleAction.REWARD,
            (
                "cannot reward in cycle 'fy26': rewards has not started (stage is 'planned'); "
                "rewards are decided in rewards"
            ),
        ),
    ],
)
def test_refusals_say_why_and_when(stage: CycleStage, action: CycleAction, message: str) -> None:
    with pytest.raises(PhaseError, match=f"^{re.escape(message)}$"):
        fy26(stage=stage).check_allowed(action)


def test_refusals_name_phases_the_cycle_lacks() -> None:
    no_reviews = fy26(phases=fy26().phases[:2], stage=CycleStage.CHECK_INS)
    with pytest.raises(
        PhaseError,
        match=re.escape(
            "cannot calibrate in cycle 'fy26': this cycle has no calibration phase (stage is "
            "'check_ins'); ratings are calibrated in calibration"
        ),
    ):
        no_reviews.check_allowed("calibrate")
    with pytest.raises(ValidationError, match="action: 'approve' is not a CycleAction"):
        no_reviews.allows("approve")
    with pytest.raises(ValidationError, match="action: None is not a CycleAction"):
        no_reviews.check_allowed(None)  # type: ignore[arg-type]


# --- due check-ins: hand-computed examples --------------------------------------------------


def test_due_checkins_every_two_weeks_from_5_january() -> None:
    # Cadence days so far: Jan 5, Jan 19, Feb 2, Feb 16, Mar 2 (on = Wednesday 4 March).
    checkins = {
        "alice": [utc(2026, 2, 16)],
        "bob": [utc(2026, 1, 20)],
        "carol": [utc(2026, 1, 7), utc(2026, 3, 2, 9)],
        "erin": [utc(2026, 3, 10), utc(2026, 2, 20)],  # 10 March is after `on`: ignored
        "frank": [utc(2026, 2, 24)],
        "zoe": [],  # not a participant: ignored
    }
    people = ["frank", "erin", "dan", "carol", "bob", "alice"]
    assert listing(due_checkins(fy26(), people, checkins, D(2026, 3, 4))) == [
        ("dan", D(2026, 1, 5), D(2026, 3, 2), 5, "overdue"),
        ("bob", D(2026, 2, 2), D(2026, 3, 2), 3, "overdue"),
        ("alice", D(2026, 3, 2), D(2026, 3, 2), 1, "due"),
        ("erin", D(2026, 3, 2), D(2026, 3, 2), 1, "due"),
        ("frank", D(2026, 3, 2), D(2026, 3, 2), 1, "due"),
    ]


def test_grace_days_decide_overdue() -> None:
    alice = {"alice": [utc(2026, 2, 16)]}  # unsatisfied since Monday 2 March
    assert listing(due_checkins(fy26(), ["alice"], alice, D(2026, 3, 9))) == [
        ("alice", D(2026, 3, 2), D(2026, 3, 2), 1, "due")  # 7 days late: within grace
    ]
    assert listing(due_checkins(fy26(), ["alice"], alice, D(2026, 3, 10))) == [
        ("alice", D(2026, 3, 2), D(2026, 3, 2), 1, "overdue")  # 8 days late
    ]
    strict = fy26(grace_days=0)
    assert listing(due_checkins(strict, ["alice"], alice, D(2026, 3, 2))) == [
        ("alice", D(2026, 3, 2), D(2026, 3, 2), 1, "due")
    ]
    assert due_checkins(strict, ["alice"], alice, D(2026, 3, 3))[0].status is DueStatus.OVERDUE


def test_due_checkins_stop_at_the_check_ins_phase_end() -> None:
    # The phase ends 30 June: the cadence days in it are Jan 5, 19, Feb 2, 16, Mar 2, 16, 30,
    # Apr 13, 27, May 11, 25, Jun 8 and Jun 22 (13 days). On its last day all are owed; once it
    # has ended the reminders stop.
    last_day = due_checkins(fy26(), ["dan"], {}, D(2026, 6, 30))
    assert listing(last_day) == [("dan", D(2026, 1, 5), D(2026, 6, 22), 13, "overdue")]
    assert due_checkins(fy26(), ["dan"], {}, D(2026, 7, 1)) == ()
    assert due_checkins(fy26(), ["dan"], {}, D(2026, 1, 4)) == ()  # before the first cadence day


def test_cadence_days_before_a_persons_start_do_not_count() -> None:
    # Hired 30 March: of Jan 5 ... Apr 13 only Mar 30 and Apr 13 are owed on 15 April.
    found = due_checkins(fy26(), ["new", "old"], {}, D(2026, 4, 15), starts={"new": D(2026, 3, 30)})
    assert listing(found) == [
        ("old", D(2026, 1, 5), D(2026, 4, 13), 8, "overdue"),
        ("new", D(2026, 3, 30), D(2026, 4, 13), 2, "overdue"),
    ]
    started_today = due_checkins(
        fy26(), ["new"], {}, D(2026, 4, 15), starts={"new": D(2026, 4, 15)}
    )
    assert started_today == ()


def test_quarterly_check_ins_over_a_cycle_without_a_check_ins_phase() -> None:
    cycle = ReviewCycle(
        id="2026",
        name="Small business 2026",
        start=D(2026, 1, 1),
        end=D(2026, 12, 31),
        cadence=Cadence.quarterly(),  # Jan 1, Apr 1, Jul 1, Oct 1
        grace_days=14,
    )
    checkins = {
        "ana": [utc(2026, 4, 3)],
        "ben": [utc(2026, 3, 31)],  # early for April: it does not count for 1 April
        "cem": [utc(2026, 7, 1, 8)],
    }
    assert listing(due_checkins(cycle, ["ana", "ben", "cem"], checkins, D(2026, 7, 15))) == [
        ("ben", D(2026, 4, 1), D(2026, 7, 1), 2, "overdue"),
        ("ana", D(2026, 7, 1), D(2026, 7, 1), 1, "due"),  # 14 days: within grace
    ]
    assert listing(due_checkins(cycle, ["ana"], checkins, D(2026, 7, 16))) == [
        ("ana", D(2026, 7, 1), D(2026, 7, 1), 1, "overdue")
    ]


def test_a_check_in_counts_on_its_local_day_in_the_cycle_timezone() -> None:
    weekly = {
        "start": D(2026, 1, 5),
        "end": D(2026, 3, 31),
        "phases": [],
        "cadence": Cadence.weekly(),  # Mondays: Jan 5, Jan 12
    }
    berlin = fy26(timezone="Europe/Berlin", **weekly)
    in_utc = fy26(**weekly)
    sunday_night = {"kim": [datetime(2026, 1, 11, 23, 30, tzinfo=UTC)]}  # Monday 00:30 in Berlin
    assert due_checkins(berlin, ["kim"], sunday_night, D(2026, 1, 12)) == ()
    assert listing(due_checkins(in_utc, ["kim"], sunday_night, D(2026, 1, 12))) == [
        ("kim", D(2026, 1, 12), D(2026, 1, 12), 1, "due")
    ]
    # Monday 23:30 UTC is already Tuesday in Berlin: after `on`, so it is not seen there.
    monday_night = {"kim": [datetime(2026, 1, 12, 23, 30, tzinfo=UTC)]}
    assert due_checkins(in_utc, ["kim"], monday_night, D(2026, 1, 12)) == ()
    assert listing(due_checkins(berlin, ["kim"], monday_night, D(2026, 1, 12))) == [
        ("kim", D(2026, 1, 5), D(2026, 1, 12), 2, "due")
    ]


def test_no_cadence_means_nothing_is_due() -> None:
    assert due_checkins(fy26(cadence=None), ["dan"], {}, D(2026, 6, 1)) == ()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"cycle": "fy26"}, "cycle: 'fy26' is not a ReviewCycle"),
        ({"on": AT}, "on: datetime.datetime(2026, 1, 2, 9, 0, tzinfo=datetime.timezone.utc) is"),
        ({"participants": "alice"}, "participants: 'alice' is not a collection"),
        ({"participants": None}, "participants: None is not a collection"),
        ({"participants": ["alice", 7]}, "participants[1]: 7 is not an employee id"),
        ({"participants": [" alice"]}, "participants[0]: ' alice' is not an employee id"),
        ({"checkins": [("alice", AT)]}, "checkins: [('alice', "),
        ({"checkins": {"alice": AT}}, "checkins['alice']: datetime.datetime(2026, 1, 2, 9, 0"),
        ({"checkins": {"alice": ["2026-01-02"]}}, "checkins['alice'][0]: '2026-01-02' is not a"),
        (
            {"checkins": {"x": [datetime(2026, 1, 2)]}},
            "checkins['x'][0]: datetime.datetime(2026, 1, 2, 0, 0) is a naive datetime",
        ),
        ({"checkins": {3: [AT]}}, "checkins: 3 has a key that is not an employee id"),
        (
            {"checkins": {"alice": [datetime.max.replace(tzinfo=UTC)]}},
            (
                "checkins['alice'][0]: datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=d"
                "atetime.timezone.utc) falls outside the calendar in Pacific/Kiritimati"
            ),
        ),
    ],
)
def test_bad_arguments_are_named(args: dict[str, Any], message: str) -> None:
    call: dict[str, Any] = {
        "cycle": fy26(timezone="Pacific/Kiritimati"),
        "participants": ["alice"],
        "checkins": {},
        "on": D(2026, 3, 4),
    }
    call.update(args)
    with pytest.raises(ValidationError, match=re.escape(message)):
        due_checkins(**call)


# --- due check-ins: the brute-force model ---------------------------------------------------


def model_due(
    cycle: ReviewCycle,
    spec: CadenceSpec,
    participants: list[str],
    checkins: dict[str, list[datetime]],
    on: date,
) -> list[tuple[str, date, date, int, str]]:
    """The documented rule, written plainly over dateutil.rrule built from keyword arguments."""
    phase = [w for w in cycle.phases if w.phase is Phase.CHECK_INS]
    first, last = (phase[0].start, phase[0].end) if phase else (cycle.start, cycle.end)
    if on > last:
        return []  # the reminders stop with the phase
    days = dateutil_days(spec, first, on) if first <= on else []
    zone = ZoneInfo(cycle.timezone)
    rows = []
    for pid in participants:
        local = [t.astimezone(zone).date() for t in checkins.get(pid, [])]
        local = [d for d in local if d <= on]
        unsatisfied = [d for d in days if all(d > c for c in local)]
        if unsatisfied:
            late = (on - unsatisfied[0]).days > cycle.grace_days
            status = "overdue" if late else "due"
            rows.append((pid, unsatisfied[0], unsatisfied[-1], len(unsatisfied), status))
    return sorted(rows, key=lambda r: (r[4] != "overdue", r[1], r[0]))


@given(checkin_scenarios(), st.randoms(use_true_random=False))
def test_due_checkins_match_the_model(scenario: Any, rnd: random.Random) -> None:
    cycle, spec, people, checkins, on = scenario
    found = due_checkins(cycle, people, checkins, on)
    assert listing(found) == model_due(cycle, spec, people, checkins, on)
    # The order of the inputs does not matter.
    shuffled_people = rnd.sample(people, len(people)) * 2
    shuffled = {k: rnd.sample(v, len(v)) for k, v in reversed(checkins.items())}
    assert due_checkins(cycle, shuffled_people, shuffled, on) == found


@given(checkin_scenarios())
def test_future_check_ins_never_change_the_list(scenario: Any) -> None:
    cycle, _spec, people, checkins, on = scenario
    later = datetime.combine(on + timedelta(days=2), time(), tzinfo=UTC)
    more = {pid: [*checkins.get(pid, []), later] for pid in people}
    assert due_checkins(cycle, people, more, on) == due_checkins(cycle, people, checkins, on)


# --- JSON -----------------------------------------------------------------------------------


@given(phase_windows())
def test_phase_window_round_trips(w: PhaseWindow) -> None:
    assert perfkit.loads(perfkit.dumps(w), PhaseWindow) == w


@given(cadences)
def test_cadence_round_trips(c: Cadence) -> None:
    assert perfkit.loads(perfkit.dumps(c), Cadence) == c


@given(review_cycles())
def test_review_cycle_round_trips(c: ReviewCycle) -> None:
    assert perfkit.loads(perfkit.dumps(c), ReviewCycle) == c


@given(due_checkin_lines())
def test_due_checkin_round_trips(line: DueCheckIn) -> None:
    assert perfkit.loads(perfkit.dumps(line), DueCheckIn) == line


def test_review_cycle_json_is_plain() -> None:
    data = perfkit.unstructure(fy26(stage=CycleStage.CHECK_INS))
    assert data["cadence"] == {"rrule": "FREQ=WEEKLY;INTERVAL=2"}
    assert data["phases"][1] == {"phase": "check_ins", "start": "2026-01-05", "end": "2026-06-30"}
    assert (data["stage"], data["timezone"], data["grace_days"]) == ("check_ins", "UTC", 7)


def test_bad_documents_name_the_paths() -> None:
    data = perfkit.unstructure(fy26())
    data["cadence"] = {"rrule": "FREQ=HOURLY"}
    data["phases"][2]["phase"] = "review"
    with pytest.raises(perfkit.DocumentError) as info:
        perfkit.structure(data, ReviewCycle)
    paths = sorted(e.path for e in info.value.errors)
    assert paths == ["cadence.rrule", "phases[2].phase"]
    good = perfkit.unstructure(fy26())
    good["timezone"] = "Nowhere/Land"
    with pytest.raises(perfkit.DocumentError, match="timezone: 'Nowhere/Land' is not an IANA"):
        perfkit.structure(good, ReviewCycle)


# --- garbage gives only perfkit errors ------------------------------------------------------

_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELDS = ["id", "name", "start", "end", "phases", "cadence", "timezone", "grace_days", "stage"]


@given(st.text(max_size=40))
def test_loads_garbage_gives_only_perfkit_errors(text: str) -> None:
    with pytest.raises(PerfkitError):
        perfkit.loads(text, ReviewCycle)


@given(st.dictionaries(st.sampled_from(_FIELDS), _junk))
def test_structure_garbage_gives_only_perfkit_errors(data: dict[str, Any]) -> None:
    with pytest.raises(perfkit.DocumentError):
        perfkit.structure(data, ReviewCycle)


@given(
    st.dictionaries(
        st.sampled_from(_FIELDS),
        _junk,
        min_size=1,
    )
)
def test_constructor_garbage_gives_only_validation_errors(changes: dict[str, Any]) -> None:
    with contextlib.suppress(ValidationError):
        fy26(**changes)


@given(_junk, _junk, _junk, _junk)
def test_due_checkins_garbage_gives_only_perfkit_errors(a: Any, b: Any, c: Any, d: Any) -> None:
    for call in (
        lambda: due_checkins(fy26(), a, {}, D(2026, 3, 4)),
        lambda: due_checkins(fy26(), ["alice"], b, D(2026, 3, 4)),
        lambda: due_checkins(fy26(), ["alice"], {"alice": c}, d),
        lambda: fy26().check_allowed(a),
        lambda: fy26().move_to(b, "hr", AT),
        lambda: fy26().window(c),
    ):
        with contextlib.suppress(PerfkitError):
            call()

"""Calibration sessions, distribution guidelines, forced distribution and before/after reports."""

from __future__ import annotations

import contextlib
import itertools
import math
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit._errors import NotFoundError, PerfkitError, TransitionError, ValidationError
from perfkit.calibration import (
    Adjustment,
    CalibrationEntry,
    CalibrationSession,
    Distribution,
    DistributionGuideline,
    ForcedDistribution,
    GroupBy,
    Movement,
    RatingMove,
    RatingView,
    SessionStatus,
    Slot,
    Target,
    compare,
    force_distribution,
    population,
    slot_counts,
)
from perfkit.money import Money
from perfkit.org import Employee, Organisation, OrgUnit
from perfkit.scales import FIVE_POINT, THREE_POINT, Rating

from .strategies.calibration import (
    AT,
    adjustments,
    entries,
    entry,
    guidelines,
    sessions,
    share_maps,
)

LATER = datetime(2026, 12, 15, 9, 30, tzinfo=UTC)


def person(
    pid: str, value: float, score: float = 0.5, unit: str = "eng", manager: str | None = "m1"
) -> CalibrationEntry:
    return CalibrationEntry(
        employee_id=pid,
        unit_id=unit,
        manager_id=manager,
        job_level="L2",
        score=score,
        rating=FIVE_POINT.rate(value),
    )


def session_of(*people: CalibrationEntry) -> CalibrationSession:
    return CalibrationSession(
        id="div-eng-2026", name="Engineering 2026", scale=FIVE_POINT.ref, population=people
    )


BELL = DistributionGuideline(
    scale=FIVE_POINT.ref,
    targets=[
        Target(value=1, minimum=0.1, maximum=0.1),
        Target(value=2, minimum=0.2, maximum=0.2),
        Target(value=3, minimum=0.4, maximum=0.4),
        Target(value=4, minimum=0.2, maximum=0.2),
        Target(value=5, minimum=0.1, maximum=0.1),
    ],
)
"""10 / 20 / 40 / 20 / 10 %, as point targets."""


def replay(session: CalibrationSession) -> dict[str, float]:
    """The calibrated values, recomputed from the record: last adjustment wins."""
    values = {e.employee_id: e.rating.value for e in session.population}
    for adj in session.adjustments:
        values[adj.employee_id] = adj.to_value
    return values


# --- sessions and adjustments --------------------------------------------------------------


def test_adjust_records_who_when_from_to_why_and_keeps_the_original() -> None:
    s0 = session_of(person("ann", 3), person("bob", 4))
    s1, first = s0.adjust("ann", 4, "dana", AT, "led the migration", FIVE_POINT)
    s2, second = s1.adjust("ann", 5, "hr-lee", LATER, "cross-team impact", FIVE_POINT)
    assert first == Adjustment(
        employee_id="ann",
        from_value=3,
        to_value=4,
        by="dana",
        at=AT,
        reason="led the migration",
    )
    assert second.from_value == 4.0
    assert s2.calibrated("ann") == FIVE_POINT.rate(5)
    assert s2.original("ann") == FIVE_POINT.rate(3)
    assert s2.history("ann") == (first, second)
    assert s2.history("bob") == ()
    assert s2.calibrated("bob") == FIVE_POINT.rate(4)
    assert (s0.version, s1.version, s2.version) == (1, 2, 3)
    # the earlier sessions are untouched
    assert s0.calibrated("ann") == FIVE_POINT.rate(3)
    assert s0.adjustments == ()
    movement = s2.movement("ann")
    assert (movement.from_value, movement.to_value, movement.delta) == (3.0, 5.0, 2.0)
    assert movement.direction is RatingMove.UP
    assert movement.adjustments == (first, second)
    assert movement.explain() == (
        "ann: 3 → 5 (+2, up) after 2 adjustments: 3 → 4 by dana at 2026-12-14T10:00:00+00:00: "
        "led the migration; 4 → 5 by hr-lee at 2026-12-15T09:30:00+00:00: cross-team impact"
    )
    assert s2.movement("bob").explain() == "bob: 4 → 4 (unchanged)"


def test_adjust_refusals_name_the_problem() -> None:
    s = session_of(person("ann", 3))
    with pytest.raises(ValidationError, match=r"to_value: 3 is 'ann'.s calibrated value already"):
        s.adjust("ann", 3, "dana", AT, "no change", FIVE_POINT)
    with pytest.raises(ValidationError, match=r"to_value: 3\.5 is not on scale five-point v1"):
        s.adjust("ann", 3.5, "dana", AT, "between points", FIVE_POINT)
    with pytest.raises(ValidationError, match=r"to_value: 6 is not on scale"):
        s.adjust("ann", 6, "dana", AT, "off the scale", FIVE_POINT)
    with pytest.raises(ValidationError, match=r"reason: '  ' must not be empty"):
        s.adjust("ann", 4, "dana", AT, "  ", FIVE_POINT)
    with pytest.raises(ValidationError, match=r"at: .* is a naive datetime"):
        s.adjust("ann", 4, "dana", datetime(2026, 12, 1), "why", FIVE_POINT)
    with pytest.raises(ValidationError, match=r"scale: 'three-point v1' is not the session's"):
        s.adjust("ann", 2, "dana", AT, "why", THREE_POINT)
    with pytest.raises(NotFoundError, match=r"no calibration entry with id 'zed'"):
        s.adjust("zed", 4, "dana", AT, "why", FIVE_POINT)
    with pytest.raises(ValidationError, match=r"employee_id: 7 is not a string id"):
        s.adjust(7, 4, "dana", AT, "why", FIVE_POINT)  # type: ignore[arg-type]


def test_a_closed_session_takes_no_adjustments() -> None:
    s, _ = session_of(person("ann", 3)).adjust("ann", 4, "dana", AT, "why", FIVE_POINT)
    closed, event = s.close("dana", LATER)
    assert closed.status is SessionStatus.CLOSED
    assert closed.version == s.version + 1
    assert (event.subject_type, event.from_state, event.to_state) == (
        "calibration session",
        "open",
        "closed",
    )
    assert (event.actor, event.at, event.subject_id) == ("dana", LATER, "div-eng-2026")
    assert closed.calibrated("ann").value == 4.0
    with pytest.raises(TransitionError, match=r"a closed session takes no more adjustments"):
        closed.adjust("ann", 5, "dana", LATER, "late change", FIVE_POINT)
    with pytest.raises(TransitionError, match=r"cannot go from 'closed' to 'closed'"):
        closed.close("dana", LATER)
    with pytest.raises(ValidationError, match=r"by: '' is not a valid id"):
        s.close("", LATER)


def test_session_construction_checks_the_record() -> None:
    ann = person("ann", 3)
    with pytest.raises(ValidationError, match=r"population\[1\]: 'ann' repeats the employee id"):
        session_of(ann, ann)
    other = attrs.evolve(ann, employee_id="cy", rating=THREE_POINT.rate(2))
    with pytest.raises(ValidationError, match=r"population\[1\].rating.scale: 'three-point v1'"):
        session_of(ann, other)
    stray = Adjustment(employee_id="zed", from_value=3, to_value=4, by="d", at=AT, reason="x")
    with pytest.raises(
        perfkit.UnknownReferenceError, match=r"adjustments\[0\].employee_id: 'zed' is not in"
    ):
        attrs.evolve(session_of(ann), adjustments=[stray])
    broken = Adjustment(employee_id="ann", from_value=2, to_value=4, by="d", at=AT, reason="x")
    with pytest.raises(
        ValidationError,
        match=r"adjustments\[0\].from_value: 2\.0 is not 'ann'.s calibrated value 3 before it",
    ):
        attrs.evolve(session_of(ann), adjustments=[broken])
    with pytest.raises(ValidationError, match=r"to_value: 3\.0 equals from_value"):
        Adjustment(employee_id="ann", from_value=3, to_value=3, by="d", at=AT, reason="x")
    with pytest.raises(ValidationError, match=r"score: nan is not a finite number"):
        attrs.evolve(ann, score=math.nan)


@given(sessions())
def test_calibrated_is_original_plus_adjustments_and_originals_never_change(
    session: CalibrationSession,
) -> None:
    expected = replay(session)
    for e in session.population:
        assert session.original(e.employee_id) == e.rating
        assert session.calibrated(e.employee_id).value == expected[e.employee_id]
        history = session.history(e.employee_id)
        assert all(a.employee_id == e.employee_id for a in history)
        move = session.movement(e.employee_id)
        assert move.from_value == e.rating.value
        assert move.to_value == expected[e.employee_id]
        assert move.direction == (
            RatingMove.UP
            if move.delta > 0
            else RatingMove.DOWN
            if move.delta < 0
            else RatingMove.SAME
        )
    originals = session.entries(RatingView.ORIGINAL)
    assert [e.rating for e in originals] == [
        e.rating for e in sorted(session.population, key=lambda e: e.employee_id)
    ]
    calibrated = session.entries("calibrated")
    assert [e.rating.value for e in calibrated] == [expected[e.employee_id] for e in calibrated]
    assert session.version == 1 + len(session.adjustments)


@given(sessions())
def test_sessions_round_trip(session: CalibrationSession) -> None:
    assert perfkit.loads(perfkit.dumps(session), CalibrationSession) == session
    report = session.report()
    assert perfkit.loads(perfkit.dumps(report), type(report)) == report
    for m in session.movements():
        assert perfkit.loads(perfkit.dumps(m), Movement) == m


@given(entry, adjustments())
def test_entries_and_adjustments_round_trip(e: CalibrationEntry, a: Adjustment) -> None:
    assert perfkit.loads(perfkit.dumps(e), CalibrationEntry) == e
    assert perfkit.loads(perfkit.dumps(a), Adjustment) == a


def test_apply_records_a_batch_all_or_nothing() -> None:
    s = session_of(person("ann", 3), person("bob", 4))
    batch = [
        Adjustment(employee_id="ann", from_value=3, to_value=4, by="hr", at=AT, reason="r1"),
        Adjustment(employee_id="ann", from_value=4, to_value=2, by="hr", at=AT, reason="r2"),
        Adjustment(employee_id="bob", from_value=4, to_value=5, by="hr", at=AT, reason="r3"),
    ]
    done = s.apply(batch, FIVE_POINT)
    assert done.version == 2
    assert done.adjustments == tuple(batch)
    assert (done.calibrated("ann").value, done.calibrated("bob").value) == (2.0, 5.0)
    stale = [batch[2], attrs.evolve(batch[2], from_value=3.0, to_value=1.0)]
    with pytest.raises(
        ValidationError,
        match=r"adjustments\[1\].from_value: 3\.0 is not 'bob'.s calibrated value 5; the "
        r"proposal is stale",
    ):
        s.apply(stale, FIVE_POINT)
    assert s.apply([], FIVE_POINT) is s
    with pytest.raises(ValidationError, match=r"adjustments\[0\]: 'x' is not an Adjustment"):
        s.apply(["x"], FIVE_POINT)  # type: ignore[list-item]


# --- population selection ------------------------------------------------------------------


def _org() -> Organisation:
    units = [
        OrgUnit(id="acme", name="Acme"),
        OrgUnit(id="eng", name="Engineering", parent_id="acme"),
        OrgUnit(id="eng-web", name="Web", parent_id="eng"),
        OrgUnit(id="sales", name="Sales", parent_id="acme"),
    ]
    people = [
        Employee(
            id=pid,
            name=pid.title(),
            unit_id=unit,
            hire_date=date(2020, 1, 1),
            job_level="L2",
            base_pay=Money.of("50000", "EUR"),
        )
        for pid, unit in [("ann", "eng"), ("bob", "eng-web"), ("cy", "sales"), ("dee", "acme")]
    ]
    return Organisation(units=units, employees=people)


def test_population_by_unit_with_subunits_by_level_and_whole_company() -> None:
    everyone = [
        person("dee", 3, unit="acme"),
        person("cy", 3, unit="sales"),
        attrs.evolve(person("bob", 3, unit="eng-web"), job_level="L3"),
        person("ann", 3, unit="eng"),
    ]
    org = _org()
    ids = lambda xs: [e.employee_id for e in xs]  # noqa: E731
    assert ids(population(everyone, unit_id="eng", organisation=org)) == ["ann", "bob"]
    assert ids(population(everyone, unit_id="eng")) == ["ann"]
    assert ids(population(everyone, unit_id="acme", organisation=org)) == [
        "ann",
        "bob",
        "cy",
        "dee",
    ]
    assert ids(population(everyone, job_level="L3")) == ["bob"]
    assert ids(population(everyone, unit_id="eng", job_level="L2", organisation=org)) == ["ann"]
    assert ids(population(everyone)) == ["ann", "bob", "cy", "dee"]
    with pytest.raises(NotFoundError, match="no unit with id 'nope'"):
        population(everyone, unit_id="nope", organisation=org)
    with pytest.raises(ValidationError, match=r"entries\[1\]: 3 is not a CalibrationEntry"):
        population([everyone[0], 3])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"entries\[1\].employee_id: 'dee' repeats"):
        population([everyone[0], everyone[0]])


# --- slot counts (largest remainder) --------------------------------------------------------


def test_largest_remainder_on_ten_people() -> None:
    slots = slot_counts(10, {1: 0.1, 2: 0.2, 3: 0.4, 4: 0.2, 5: 0.1})
    assert [(s.value, s.count) for s in slots] == [(1, 1), (2, 2), (3, 4), (4, 2), (5, 1)]
    assert [s.quota for s in slots] == [1.0, 2.0, 4.0, 2.0, 1.0]


def test_largest_remainder_leftovers_and_the_tie_break() -> None:
    # 7 people: quotas .7 1.4 2.8 1.4 .7 → floors 0 1 2 1 0 (4), 3 seats left for the
    # remainders .8 (3), .7 (5), .7 (1); the .4s get nothing.
    assert [s.count for s in slot_counts(7, {1: 0.1, 2: 0.2, 3: 0.4, 4: 0.2, 5: 0.1})] == [
        1,
        1,
        3,
        1,
        1,
    ]
    # 5 people: quotas .5 1 2 1 .5 → one seat left, tied remainders .5: the higher value wins.
    assert [
        s.count for s in slot_counts(5, [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.2), (5, 0.1)])
    ] == [
        0,
        1,
        2,
        1,
        1,
    ]
    # shares are normalised: 1:1:2 of 4 people
    assert [s.count for s in slot_counts(4, {1: 1, 2: 1, 3: 2})] == [1, 1, 2]


@given(st.integers(min_value=0, max_value=500), share_maps)
def test_slot_counts_are_the_hamilton_apportionment(n: int, shares: dict[float, float]) -> None:
    slots = slot_counts(n, shares)
    assert sum(s.count for s in slots) == n
    total = sum(Fraction(repr(x)) for x in shares.values())
    quota = {x: n * Fraction(repr(s)) / total for x, s in shares.items()}
    for s in slots:
        assert abs(s.count - quota[s.value]) < 1  # within one of the exact quota
        assert s.count in (math.floor(quota[s.value]), math.ceil(quota[s.value]))
        assert s.quota == pytest.approx(float(quota[s.value]))
    # Every value rounded up has a larger remainder than every value rounded down, or an equal
    # one and a higher rating value; a whole quota is never rounded.
    up = [s.value for s in slots if s.count > quota[s.value]]
    down = [s.value for s in slots if s.count < quota[s.value]]
    for a in up:
        for b in down:
            ra, rb = quota[a] % 1, quota[b] % 1
            assert ra > rb or (ra == rb and a > b)
    assert [s.value for s in slots] == sorted(shares)


def test_slot_counts_refuse_bad_shares() -> None:
    with pytest.raises(ValidationError, match=r"n: -1 is negative"):
        slot_counts(-1, {1: 1.0})
    with pytest.raises(ValidationError, match=r"shares\[0\].share: -0\.5 is negative"):
        slot_counts(3, {1: -0.5})
    with pytest.raises(ValidationError, match=r"shares: .* has no positive share"):
        slot_counts(3, {1: 0.0})
    with pytest.raises(ValidationError, match=r"shares\[1\].value: 1 repeats"):
        slot_counts(3, [(1, 0.5), (1, 0.5)])
    with pytest.raises(ValidationError, match=r"shares\[0\]: 'ab' is not a \(value, share\)"):
        slot_counts(3, ["ab"])  # type: ignore[list-item]


# --- guidelines and feasibility -------------------------------------------------------------


def test_feasibility_of_the_bell_curve() -> None:
    ten = BELL.feasibility(10)
    assert ten.feasible
    assert (ten.minimum_total, ten.maximum_total) == (10, 10)
    assert [(b.value, b.minimum_count, b.maximum_count) for b in ten.bounds] == [
        (1, 1, 1),
        (2, 2, 2),
        (3, 4, 4),
        (4, 2, 2),
        (5, 1, 1),
    ]
    assert ten.explain() == "feasible for 10 people"


def test_feasibility_failures_say_why() -> None:
    too_many = DistributionGuideline(
        scale=FIVE_POINT.ref,
        targets=[
            Target(value=5, minimum=0.3),
            Target(value=4, minimum=0.3),
            Target(value=3, minimum=0.5),
        ],
    )
    result = too_many.feasibility(10)  # minimums need 3 + 3 + 5 = 11 people
    assert not result.feasible
    assert (result.minimum_total, result.short_by, result.over_by) == (11, 1, 0)
    assert result.explain() == (
        "not feasible for 10 people: the minimums need 11 people but there are only 10"
    )
    point = DistributionGuideline(
        scale=FIVE_POINT.ref, targets=[Target(value=5, minimum=0.15, maximum=0.15), Target(value=3)]
    )
    result = point.feasibility(10)  # 1.5 people cannot get a 5
    assert result.empty == (5.0,)
    assert result.reasons() == ("the range for 5 holds no whole number of 10 people",)
    assert point.feasibility(20).feasible
    too_few = DistributionGuideline(
        scale=FIVE_POINT.ref, targets=[Target(value=5, maximum=0.2), Target(value=3, maximum=0.5)]
    )
    result = too_few.feasibility(10)
    assert (result.maximum_total, result.over_by) == (7, 3)
    assert result.reasons() == ("the maximums allow 7 people but there are 10",)
    # 0.7 × 10 is 7 exactly, not the 7.000000000000001 of binary floats
    seventy = DistributionGuideline(
        scale=FIVE_POINT.ref, targets=[Target(value=3, minimum=0.7, maximum=0.7), Target(value=4)]
    )
    assert seventy.feasibility(10).bounds[0].minimum_count == 7


def _allocations(n: int, k: int) -> list[tuple[int, ...]]:
    return [c for c in itertools.product(range(n + 1), repeat=k) if sum(c) == n]


@given(guidelines(), st.integers(min_value=0, max_value=9))
def test_feasibility_matches_brute_force(guideline: DistributionGuideline, n: int) -> None:
    ts = sorted(guideline.targets, key=lambda t: t.value)

    def fits(c: tuple[int, ...]) -> bool:
        return all(
            Fraction(repr(t.minimum)) * n <= x <= Fraction(repr(t.maximum)) * n
            for t, x in zip(ts, c, strict=True)
        )

    exists = any(fits(c) for c in _allocations(n, len(ts)))
    assert guideline.feasibility(n).feasible == exists


def test_targets_and_guidelines_are_checked() -> None:
    with pytest.raises(ValidationError, match=r"maximum: 0\.1 is below minimum 0\.2"):
        Target(value=3, minimum=0.2, maximum=0.1)
    with pytest.raises(ValidationError, match=r"minimum: 1\.5 is not between 0 and 1"):
        Target(value=3, minimum=1.5)
    with pytest.raises(ValidationError, match=r"targets\[1\].value: 3\.0 repeats the value"):
        DistributionGuideline(scale=FIVE_POINT.ref, targets=[Target(value=3), Target(value=3)])
    with pytest.raises(ValidationError, match=r"targets: \(\) is empty"):
        DistributionGuideline(scale=FIVE_POINT.ref, targets=[])
    odd = DistributionGuideline(scale=FIVE_POINT.ref, targets=[Target(value=3.5)])
    with pytest.raises(ValidationError, match=r"targets\[0\].value: 3\.5 is not on scale"):
        odd.check(FIVE_POINT)
    BELL.check(FIVE_POINT)
    with pytest.raises(ValidationError, match=r"scale: 'three-point v1' is not the guideline"):
        BELL.check(THREE_POINT)
    assert BELL.target(3) == Target(value=3, minimum=0.4, maximum=0.4)
    assert BELL.target(6) is None


@given(guidelines(), st.integers(min_value=0, max_value=30))
def test_guidelines_and_feasibility_round_trip(guideline: DistributionGuideline, n: int) -> None:
    assert perfkit.loads(perfkit.dumps(guideline), DistributionGuideline) == guideline
    result = guideline.feasibility(n)
    assert perfkit.loads(perfkit.dumps(result), type(result)) == result


# --- deviations -----------------------------------------------------------------------------


def test_deviations_by_unit_count_share_range_over_under() -> None:
    people = [person(f"e{i}", v, unit="eng") for i, v in enumerate([5, 5, 4, 4, 4, 3, 3, 3, 3, 2])]
    people += [person("s1", 3, unit="sales"), person("s2", 1, unit="sales")]
    guideline = DistributionGuideline(
        scale=FIVE_POINT.ref,
        targets=[
            Target(value=5, minimum=0.05, maximum=0.15),
            Target(value=4, minimum=0.15, maximum=0.25),
            Target(value=3, minimum=0.4, maximum=0.7),
            Target(value=2, minimum=0.0, maximum=0.2),
        ],
    )
    report = guideline.deviations(people, by="unit")
    assert report.by is GroupBy.UNIT
    assert report.use is RatingView.ORIGINAL
    eng = report.group("eng")
    assert eng.size == 10
    rows = {r.value: r for r in eng.rows}
    # 5: 2 people, range 5–15 % of 10 = 1 to 1 person → 1 over
    assert (rows[5].count, rows[5].share, rows[5].minimum_count, rows[5].maximum_count) == (
        2,
        0.2,
        1,
        1,
    )
    assert (rows[5].over, rows[5].under) == (1, 0)
    # 4: 3 people, 2 allowed → 1 over; 3: 4 people, 4 to 7 → fine; 2: 1 person, 0 to 2 → fine
    assert (rows[4].over, rows[3].over, rows[3].under, rows[2].over) == (1, 0, 0, 0)
    assert eng.moves == 2
    assert eng.feasible
    sales = report.group("sales")
    rows = {r.value: r for r in sales.rows}
    # a 1 is outside the guideline (range 0–0): 1 over
    assert (rows[1].in_guideline, rows[1].over, rows[1].maximum) == (False, 1, 0.0)
    assert [g.group for g in report.groups] == ["eng", "sales"]
    whole = guideline.deviations(people)
    assert [g.group for g in whole.groups] == [None]
    assert whole.groups[0].size == 12
    with pytest.raises(NotFoundError, match="no group with id 'ops'"):
        report.group("ops")
    # nobody over, but a 5 is missing: one move (someone's 3 becomes a 5)
    lacking = DistributionGuideline(
        scale=FIVE_POINT.ref, targets=[Target(value=5, minimum=0.25), Target(value=3)]
    )
    group = lacking.deviations([person(f"e{i}", 3) for i in range(4)]).groups[0]
    assert (group.row(5).under, group.row(3).over, group.moves) == (1, 0, 1)


def test_deviations_of_a_session_before_and_after() -> None:
    s = session_of(person("a", 5), person("b", 5), person("c", 3), person("d", 3))
    s, _ = s.adjust("b", 3, "dana", AT, "in line with peers", FIVE_POINT)
    guideline = DistributionGuideline(
        scale=FIVE_POINT.ref,
        targets=[Target(value=5, maximum=0.25), Target(value=3, minimum=0.5)],
    )
    before = guideline.deviations(s, use="original").groups[0]
    after = guideline.deviations(s, use="calibrated").groups[0]
    assert (before.row(5).count, before.row(5).over, before.moves) == (2, 1, 1)
    assert (after.row(5).count, after.row(5).over, after.moves) == (1, 0, 0)
    by_manager = guideline.deviations(s, by=GroupBy.MANAGER, use="calibrated")
    assert [g.group for g in by_manager.groups] == ["m1"]
    with pytest.raises(ValidationError, match=r"use: 'calibrated' needs a CalibrationSession"):
        guideline.deviations(list(s.population), use="calibrated")
    with pytest.raises(ValidationError, match=r"by: 'team' is not 'unit', 'manager'"):
        guideline.deviations(s, by="team")
    with pytest.raises(ValidationError, match=r"use: 'final' is not 'original' or 'calibrated'"):
        guideline.deviations(s, use="final")


@given(entries(max_size=8), guidelines() | guidelines(loose=True))
def test_moves_are_the_fewest_rating_changes(
    people: list[CalibrationEntry], guideline: DistributionGuideline
) -> None:
    group = guideline.deviations(people).groups[0]
    n = group.size
    assert sum(r.count for r in group.rows) == n
    values = [r.value for r in group.rows]
    counts = [r.count for r in group.rows]
    lows = [r.minimum_count for r in group.rows]
    highs = [r.maximum_count for r in group.rows]
    fits = [
        c
        for c in _allocations(n, len(values))
        if all(lo <= x <= hi for lo, x, hi in zip(lows, c, highs, strict=True))
    ]
    assert group.feasible == bool(fits)
    if fits:
        fewest = min(sum(max(0, a - b) for a, b in zip(counts, c, strict=True)) for c in fits)
        assert group.moves == fewest
    assert perfkit.loads(
        perfkit.dumps(guideline.deviations(people, by="job_level")),
        type(guideline.deviations(people)),
    ) == guideline.deviations(people, by="job_level")


# --- forced distribution --------------------------------------------------------------------


def test_forced_distribution_on_ten_people() -> None:
    people = [person(f"e{i:02}", 3, score=i / 10) for i in range(10)]
    forced = force_distribution(people, BELL, by="hr", at=AT)
    assert [(a.employee_id, a.to_value) for a in forced.assignments] == [
        ("e09", 5),
        ("e08", 4),
        ("e07", 4),
        ("e06", 3),
        ("e05", 3),
        ("e04", 3),
        ("e03", 3),
        ("e02", 2),
        ("e01", 2),
        ("e00", 1),
    ]
    assert [a.rank for a in forced.assignments] == list(range(1, 11))
    # only the changed ratings are proposed, by employee id
    assert [(a.employee_id, a.from_value, a.to_value) for a in forced.adjustments] == [
        ("e00", 3, 1),
        ("e01", 3, 2),
        ("e02", 3, 2),
        ("e07", 3, 4),
        ("e08", 3, 4),
        ("e09", 3, 5),
    ]
    assert {a.reason for a in forced.adjustments} == {"forced distribution"}
    assert {(a.by, a.at) for a in forced.adjustments} == {("hr", AT)}
    # proposed, not applied: a session takes them explicitly
    s = session_of(*people).apply(forced, FIVE_POINT)
    assert s.calibrated("e09").value == 5.0
    assert s.original("e09").value == 3.0


def test_forced_distribution_tie_breaks_and_ranges() -> None:
    # equal scores: the higher original rating first, then the employee id
    people = [person("b", 2, score=0.5), person("a", 2, score=0.5), person("c", 4, score=0.5)]
    guideline = DistributionGuideline(
        scale=FIVE_POINT.ref,
        targets=[
            Target(value=5, minimum=0.2, maximum=0.4),
            Target(value=3, minimum=0.6, maximum=0.8),
        ],
    )
    # midpoints 0.3 and 0.7 → quotas 0.9 and 2.1 → 0 + 2 and one seat for remainder .9 (5)
    forced = force_distribution(people, guideline, by="hr", at=AT)
    assert [s.count for s in forced.slots] == [2, 1]
    assert [(a.employee_id, a.to_value) for a in forced.assignments] == [
        ("c", 5),
        ("a", 3),
        ("b", 3),
    ]
    by_rating = force_distribution(
        [person("x", 5, score=0.1), person("y", 3, score=0.9), person("z", 3, score=0.2)],
        guideline,
        by="hr",
        at=AT,
        by_score=False,
    )
    assert [a.employee_id for a in by_rating.assignments] == ["x", "y", "z"]


def test_forced_distribution_uses_a_sessions_calibrated_ratings() -> None:
    s = session_of(person("a", 3, score=0.9), person("b", 3, score=0.1))
    s, _ = s.adjust("a", 5, "dana", AT, "impact", FIVE_POINT)
    guideline = DistributionGuideline(
        scale=FIVE_POINT.ref,
        targets=[
            Target(value=4, minimum=0.5, maximum=0.5),
            Target(value=3, minimum=0.5, maximum=0.5),
        ],
    )
    forced = force_distribution(s, guideline, by="hr", at=LATER)
    assert [(a.employee_id, a.from_value, a.to_value) for a in forced.adjustments] == [("a", 5, 4)]
    assert s.apply(forced, FIVE_POINT).calibrated("a").value == 4.0
    nothing = DistributionGuideline(scale=FIVE_POINT.ref, targets=[Target(value=3, maximum=0)])
    with pytest.raises(ValidationError, match=r"targets: 1 targets all have the range 0–0"):
        force_distribution(s, nothing, by="hr", at=AT)
    other = DistributionGuideline(scale=THREE_POINT.ref, targets=[Target(value=3)])
    with pytest.raises(ValidationError, match=r"entries\[0\].rating.scale: 'five-point v1' is not"):
        force_distribution(s, other, by="hr", at=AT)


@given(entries(max_size=25), guidelines(forceable=True), st.booleans())
def test_forced_distribution_fills_the_slots_in_score_order(
    people: list[CalibrationEntry], guideline: DistributionGuideline, by_score: bool
) -> None:
    forced = force_distribution(people, guideline, by="hr", at=AT, by_score=by_score)
    given_counts = {s.value: 0 for s in forced.slots}
    for a in forced.assignments:
        given_counts[a.to_value] += 1
    assert given_counts == {s.value: s.count for s in forced.slots}
    assert forced.slots == slot_counts(len(people), guideline.midpoint_shares())
    if by_score:
        for a, b in itertools.combinations(forced.assignments, 2):
            # a is ranked above b: never a lower score with a higher rating
            assert a.score >= b.score
            assert a.to_value >= b.to_value
    changed = {a.employee_id for a in forced.assignments if a.to_value != a.from_value}
    assert {a.employee_id for a in forced.adjustments} == changed
    assert perfkit.loads(perfkit.dumps(forced), ForcedDistribution) == forced


@given(entries(max_size=20), guidelines(forceable=True), st.randoms(use_true_random=False))
def test_outputs_do_not_depend_on_input_order(
    people: list[CalibrationEntry], guideline: DistributionGuideline, rnd: Any
) -> None:
    shuffled = list(people)
    rnd.shuffle(shuffled)
    assert perfkit.dumps(force_distribution(people, guideline, by="hr", at=AT)) == perfkit.dumps(
        force_distribution(shuffled, guideline, by="hr", at=AT)
    )
    assert perfkit.dumps(guideline.deviations(people, by="unit")) == perfkit.dumps(
        guideline.deviations(shuffled, by="unit")
    )
    after = [attrs.evolve(e, rating=FIVE_POINT.rate(3)) for e in people]
    assert perfkit.dumps(compare(people, after)) == perfkit.dumps(compare(shuffled, after[::-1]))


# --- before / after -------------------------------------------------------------------------


def test_compare_reports_distributions_units_and_movements() -> None:
    before = [
        person("a", 5, unit="eng"),
        person("b", 4, unit="eng"),
        person("c", 3, unit="sales"),
        person("d", 3, unit="sales"),
    ]
    after = [
        attrs.evolve(before[0], rating=FIVE_POINT.rate(4)),
        before[1],
        attrs.evolve(before[2], rating=FIVE_POINT.rate(4)),
        before[3],
    ]
    report = compare(before, after)
    assert [(c.value, c.count, c.share) for c in report.before.values] == [
        (3, 2, 0.5),
        (4, 1, 0.25),
        (5, 1, 0.25),
    ]
    assert [(c.value, c.count, c.share) for c in report.after.values] == [
        (3, 1, 0.25),
        (4, 3, 0.75),
        (5, 0, 0.0),
    ]
    assert [u.unit_id for u in report.units] == ["eng", "sales"]
    eng = report.units[0]
    assert (eng.before.count(5), eng.after.count(5), eng.after.count(4)) == (1, 0, 2)
    assert [(m.employee_id, m.direction) for m in report.movements] == [
        ("a", RatingMove.DOWN),
        ("b", RatingMove.SAME),
        ("c", RatingMove.UP),
        ("d", RatingMove.SAME),
    ]
    assert (report.up, report.down, report.same) == (1, 1, 2)
    assert report.scale == FIVE_POINT.ref
    with pytest.raises(ValidationError, match=r"after: \['d'\] are not in after"):
        compare(before, after[:3])
    with pytest.raises(ValidationError, match=r"after: \['z'\] are not in before"):
        compare(before[:3], [*after[:3], person("z", 3)])
    empty = compare([], [])
    assert empty.before == Distribution(size=0)
    assert empty.movements == ()


def test_session_report_carries_the_adjustments() -> None:
    s = session_of(person("a", 3, unit="eng"), person("b", 3, unit="ops"))
    s, adj = s.adjust("a", 4, "dana", AT, "impact", FIVE_POINT)
    report = s.report()
    assert report.movements[0].adjustments == (adj,)
    assert report.movements[1].adjustments == ()
    assert (report.up, report.same) == (1, 1)
    assert [u.unit_id for u in report.units] == ["eng", "ops"]


# --- garbage in, perfkit errors out ---------------------------------------------------------

garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(object()),
    st.just([object()]),
    st.just(FIVE_POINT),
    st.just(datetime(2026, 1, 1)),
)


@given(garbage, garbage, garbage, garbage)
def test_garbage_gives_only_perfkit_errors(a: Any, b: Any, c: Any, d: Any) -> None:
    s = session_of(person("ann", 3), person("bob", 4))
    calls = [
        lambda: s.adjust(a, b, c, d, a, b),
        lambda: s.adjust("ann", a, "dana", AT, "why", FIVE_POINT),
        lambda: s.adjust("ann", 4, a, b, c, FIVE_POINT),
        lambda: s.adjust("ann", 4, "dana", AT, "why", a),
        lambda: s.apply(a, FIVE_POINT),
        lambda: s.apply([a], FIVE_POINT),
        lambda: s.close(a, b),
        lambda: s.calibrated(a),
        lambda: s.history(a),
        lambda: s.movement(a),
        lambda: s.entries(a),
        lambda: population(a),
        lambda: population([person("x", 3)], a, b, c),
        lambda: slot_counts(a, b),
        lambda: slot_counts(5, a),
        lambda: slot_counts(5, [(a, b)]),
        lambda: BELL.feasibility(a),
        lambda: BELL.deviations(a, b, c),
        lambda: BELL.deviations(s, a),
        lambda: BELL.deviations(s, None, a),
        lambda: BELL.target(a),
        lambda: BELL.check(a),
        lambda: force_distribution(a, BELL, by="hr", at=AT),
        lambda: force_distribution(s, a, by="hr", at=AT),
        lambda: force_distribution(s, BELL, by=a, at=b, by_score=c),
        lambda: compare(a, b),
        lambda: Target(value=a, minimum=b, maximum=c),
        lambda: CalibrationEntry(
            employee_id=a, unit_id=b, manager_id=c, job_level=d, score=a, rating=b
        ),
        lambda: CalibrationSession(id=a, name=b, scale=c, population=d),
        lambda: Adjustment(employee_id=a, from_value=b, to_value=c, by=d, at=a, reason=b),
        lambda: Slot(value=a, share=b, quota=c, count=d),
        lambda: perfkit.loads(str(a), CalibrationSession),
        lambda: perfkit.structure(a, CalibrationSession),
        lambda: perfkit.structure(
            {"id": a, "name": b, "scale": c, "population": d}, CalibrationSession
        ),
    ]
    for call in calls:
        with contextlib.suppress(PerfkitError):
            call()


def test_ratings_on_a_session_scale_may_be_built_directly() -> None:
    # A Rating built without its scale (value off the points) is still a number the session
    # can hold; calibration moves it onto the scale.
    odd = attrs.evolve(person("ann", 3), rating=Rating(scale=FIVE_POINT.ref, value=3.4))
    _s, adj = session_of(odd).adjust("ann", 3, "dana", AT, "onto the scale", FIVE_POINT)
    assert (adj.from_value, adj.to_value) == (3.4, 3.0)

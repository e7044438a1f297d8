"""The seeded sample organisation and CycleData's cross-reference checks."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfkit
from perfkit import ValidationError
from perfkit.dataset import CycleData
from perfkit.goals import GoalSet, Owner, OwnerKind
from perfkit.sample import COMPANY_ID, DEMO_DATE, sample_cycle


@pytest.fixture(scope="module")
def data() -> CycleData:
    return sample_cycle()


def test_sample_has_the_promised_shape(data: CycleData) -> None:
    org = data.organisation
    assert len(org.employees) == 60
    assert max(org.depth(e.id) for e in org.employees) >= 2  # three levels or more
    kinds = {g.owner.kind for g in data.goals.goals}
    assert kinds == {OwnerKind.COMPANY, OwnerKind.UNIT, OwnerKind.EMPLOYEE}
    days = sorted(c.at.date() for c in data.goals.check_ins)
    assert (days[-1] - days[0]).days >= 80  # check-ins over a quarter
    assert {type(e).__name__ for e in data.feedback.events} == {
        "Praise",
        "Note",
        "Constructive",
        "FeedbackRequest",
        "FeedbackResponse",
    }


def test_every_individual_target_cascades_from_a_company_goal(data: CycleData) -> None:
    goals = data.goals
    company = [g.id for g in goals.goals if g.owner.kind is OwnerKind.COMPANY]
    below = set().union(*({x.id for x in goals.descendants(c)} for c in company))
    targets = [g for g in goals.goals if g.owner.kind is OwnerKind.EMPLOYEE and g.aligns_to]
    assert targets
    assert all(g.id in below for g in targets)


def test_same_seed_same_bytes() -> None:
    a, b = sample_cycle(40, seed=9), sample_cycle(40, seed=9)
    assert a == b
    assert perfkit.dumps(a) == perfkit.dumps(b)
    assert sample_cycle(40, seed=10) != a


def test_cycle_data_round_trips(data: CycleData) -> None:
    text = perfkit.dumps(data)
    back = perfkit.loads(text, CycleData)
    assert back == data
    assert perfkit.dumps(back) == text


@settings(max_examples=10)
@given(size=st.integers(min_value=2, max_value=150), seed=st.integers(0, 2**32))
def test_any_size_and_seed_builds_valid_data(size: int, seed: int) -> None:
    data = sample_cycle(size, seed=seed)
    assert len(data.organisation.employees) == size


@pytest.mark.parametrize("size", [1, 0, -5, True, 2.5, "60"])
def test_bad_size_is_refused(size: object) -> None:
    with pytest.raises(perfkit.ValidationError, match="size"):
        sample_cycle(size)  # type: ignore[arg-type]


def test_due_checkins_agree_with_a_brute_force_reading(data: CycleData) -> None:
    """Listed people have no check-in since `since`; unlisted participants checked in on or
    after the latest cadence day."""
    on = DEMO_DATE
    cycle = data.cycle
    assert cycle.cadence is not None
    zone = ZoneInfo(cycle.timezone)
    window = cycle.window(perfkit.Phase.CHECK_INS)
    assert window is not None
    days = [d for d in cycle.cadence.occurrences(window.start, window.end) if d <= on]
    owner = {g.id: g.owner.id for g in data.goals.goals}
    last: dict[str, date] = {}
    for c in data.goals.check_ins:
        day = c.at.astimezone(zone).date()
        who = owner[c.goal_id]
        if day <= on and day > last.get(who, date.min):
            last[who] = day
    due = {d.employee_id: d for d in data.due_checkins(on)}
    assert due  # the sample is built so that some people lapse
    for person in data.participants(on):
        hired = data.organisation.employee(person).hire_date
        first_goal = min(g.start_date for g in data.goals_of(person))
        start = max(hired, first_goal)
        missed = [d for d in days if d > last.get(person, date.min) and d >= start]
        if missed:
            entry = due[person]
            assert (entry.since, entry.due_on, entry.missed) == (missed[0], missed[-1], len(missed))
            overdue = (on - missed[0]).days > cycle.grace_days
            assert entry.status.value == ("overdue" if overdue else "due")
        else:
            assert person not in due


def test_leavers_are_not_reminded(data: CycleData) -> None:
    gone = [e for e in data.organisation.employees if not e.is_active(DEMO_DATE)]
    listed = {d.employee_id for d in data.due_checkins(DEMO_DATE)}
    assert not listed & {e.id for e in gone}


def test_bad_references_are_all_reported_with_paths(data: CycleData) -> None:
    goals = list(data.goals.goals)
    i = next(n for n, g in enumerate(goals) if g.owner.kind is OwnerKind.EMPLOYEE)
    goals[i] = attrs.evolve(goals[i], owner=Owner(kind=OwnerKind.EMPLOYEE, id="ghost"))
    j = next(n for n, g in enumerate(goals) if g.owner.kind is OwnerKind.UNIT)
    goals[j] = attrs.evolve(goals[j], owner=Owner(kind=OwnerKind.UNIT, id="nowhere"))
    broken = attrs.evolve(data.goals, goals=goals)
    assert isinstance(broken, GoalSet)
    with pytest.raises(perfkit.DocumentError) as info:
        attrs.evolve(data, goals=broken)
    assert [str(e) for e in info.value.errors][:2] == [
        f"goals.goals[{min(i, j)}].owner.id: "
        + ("'ghost' is not an employee" if i < j else "'nowhere' is not an org unit"),
        f"goals.goals[{max(i, j)}].owner.id: "
        + ("'nowhere' is not an org unit" if i < j else "'ghost' is not an employee"),
    ]


def test_company_goals_name_the_root_unit(data: CycleData) -> None:
    goals = list(data.goals.goals)
    k = next(n for n, g in enumerate(goals) if g.owner.kind is OwnerKind.COMPANY)
    assert goals[k].owner.id == COMPANY_ID
    goals[k] = attrs.evolve(goals[k], owner=Owner(kind=OwnerKind.COMPANY, id="u01"))
    with pytest.raises(perfkit.DocumentError, match=r"owner.id: 'u01' is not the company"):
        attrs.evolve(data, goals=attrs.evolve(data.goals, goals=goals))


def test_progress_is_reported_for_every_goal(data: CycleData) -> None:
    as_of = datetime.combine(DEMO_DATE, time.max, tzinfo=ZoneInfo(data.cycle.timezone))
    for g in data.goals.goals:
        assert data.goals.progress(g.id, as_of=as_of).value >= 0.0


def test_new_joiners_owe_check_ins_from_their_hire_date_only(data: CycleData) -> None:
    employees = list(data.organisation.employees)
    k = next(i for i, e in enumerate(employees) if data.goals_of(e.id) and e.end_date is None)
    newcomer = employees[k].id
    employees[k] = attrs.evolve(employees[k], hire_date=date(2026, 4, 20))
    mine = {g.id for g in data.goals_of(newcomer)}
    check_ins = [c for c in data.goals.check_ins if c.goal_id not in mine]
    joined = attrs.evolve(
        data,
        organisation=attrs.evolve(data.organisation, employees=employees),
        goals=attrs.evolve(data.goals, check_ins=check_ins),
    )
    entry = {d.employee_id: d for d in joined.due_checkins(DEMO_DATE)}[newcomer]
    # Of the bi-weekly Mondays since 2 February only 27 April falls on or after 20 April.
    assert (entry.since, entry.due_on, entry.missed) == (date(2026, 4, 27), date(2026, 4, 27), 1)


def test_people_whose_goals_are_closed_are_not_reminded(data: CycleData) -> None:
    lapsed = data.due_checkins(DEMO_DATE)[0].employee_id
    closed = [
        attrs.evolve(g, status=perfkit.GoalStatus.COMPLETED)
        if g.owner.kind is OwnerKind.EMPLOYEE and g.owner.id == lapsed
        else g
        for g in data.goals.goals
    ]
    done = attrs.evolve(data, goals=attrs.evolve(data.goals, goals=closed))
    assert lapsed not in {d.employee_id for d in done.due_checkins(DEMO_DATE)}
    assert lapsed not in done.participants(DEMO_DATE)


def test_reminders_stop_when_the_check_in_phase_ends(data: CycleData) -> None:
    assert data.due_checkins(date(2026, 11, 30))
    assert data.due_checkins(date(2026, 12, 16)) == ()


def test_lookups(data: CycleData) -> None:
    someone = data.reviews[0].subject
    assert [g.id for g in data.goals_of(someone)] == [f"{someone}-g1", f"{someone}-g2"]
    assert all(r.subject == someone for r in data.reviews_of(someone))
    assert data.form("annual-2026").id == "annual-2026"
    with pytest.raises(perfkit.NotFoundError, match="no review form with id 'nope'"):
        data.form("nope")
    with pytest.raises(perfkit.NotFoundError):
        data.goals_of("nobody")
    on = date(2026, 4, 30)
    assert data.end_of_day(on) == datetime.combine(on, time.max, tzinfo=ZoneInfo("Europe/Paris"))
    assert data.progress("c-revenue", on) == data.goals.progress(
        "c-revenue", as_of=data.end_of_day(on)
    )
    with pytest.raises(perfkit.ValidationError, match="on: "):
        data.progress("c-revenue", datetime(2026, 4, 30, tzinfo=ZoneInfo("UTC")))  # type: ignore[arg-type]


def test_shape_adds_goals_and_feedback_without_touching_the_default_part() -> None:
    from perfkit.sample import BENCHMARK_SHAPE, SampleShape

    plain = sample_cycle(50, seed=4)
    dense = sample_cycle(50, seed=4, shape=BENCHMARK_SHAPE)
    assert dense == sample_cycle(50, seed=4, shape=SampleShape(extra_goals=8, extra_feedback=16))
    assert dense.organisation == plain.organisation
    assert dense.reviews == plain.reviews
    plain_goals = {g.id for g in plain.goals.goals}
    assert plain_goals <= {g.id for g in dense.goals.goals}
    extra = [g for g in dense.goals.goals if g.id not in plain_goals]
    people = [e for e in plain.organisation.employees if e.manager_id is not None]
    assert len(extra) == 8 * len(people)
    assert all(g.aligns_to for g in extra)
    assert set(plain.feedback.events) <= set(dense.feedback.events)
    assert len(dense.feedback.events) > len(plain.feedback.events) + 14 * len(people)
    assert sample_cycle(50, seed=4, shape=SampleShape()) == plain


@pytest.mark.parametrize(
    ("field", "value"), [("extra_goals", -1), ("extra_goals", 101), ("extra_feedback", 1.5)]
)
def test_shape_counts_are_checked(field: str, value: object) -> None:
    from perfkit.sample import SampleShape

    with pytest.raises(ValidationError, match=rf"{field}: .* is not a whole number from 0 to 100"):
        SampleShape(**{field: value})  # type: ignore[arg-type]


def test_shape_must_be_a_sample_shape() -> None:
    with pytest.raises(ValidationError, match="shape: .* is not a SampleShape"):
        sample_cycle(10, shape={"extra_goals": 2})  # type: ignore[arg-type]

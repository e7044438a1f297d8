"""Development plans: improvement and growth plans opened by rules, the item workflow."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import perfkit
from perfkit.cycles import Cadence
from perfkit.development import (
    IMPROVEMENT_ITEMS,
    DevelopmentPlan,
    DevelopmentRules,
    ItemOwner,
    ItemStatus,
    ItemTemplate,
    MissedTarget,
    PerformanceOutcome,
    PlanItem,
    PlanKind,
    PlanTrigger,
    missed_kpis,
    plans_for,
)
from perfkit.goals import CheckIn, Goal, GoalSet, GoalStatus, Owner, OwnerKind
from perfkit.metrics import BinaryMetric, Direction, NumericMetric
from perfkit.scales import FIVE_POINT, THREE_POINT, Rating

from .strategies.org import garbage
from .strategies.rewards import (
    development_plans,
    development_rules,
    item_templates,
    missed_targets,
    outcome_lists,
    outcomes,
)

ON = date(2026, 7, 1)
RULES = DevelopmentRules()


def five(value: float) -> Rating:
    return FIVE_POINT.rate(value)


def outcome(eid: str, rating: float, **more: Any) -> PerformanceOutcome:
    return PerformanceOutcome(employee_id=eid, manager_id="boss", rating=five(rating), **more)


def round_trips(x: Any) -> None:
    text = perfkit.dumps(x)
    back = perfkit.loads(text, type(x))
    assert back == x
    assert perfkit.dumps(back) == text


# --- JSON round trips ----------------------------------------------------------------------

EVERY_TYPE = {
    "DevelopmentPlan": development_plans(),
    "DevelopmentRules": development_rules(),
    "ItemTemplate": item_templates,
    "MissedTarget": missed_targets,
    "PerformanceOutcome": outcomes(),
}


@pytest.mark.parametrize("name", sorted(EVERY_TYPE))
@given(data=st.data())
def test_every_type_round_trips_through_json(name: str, data: st.DataObject) -> None:
    round_trips(data.draw(EVERY_TYPE[name]))


def test_the_default_rules_round_trip() -> None:
    round_trips(RULES)


# --- plans opened by each rule -------------------------------------------------------------


def test_a_low_rating_opens_an_improvement_plan() -> None:
    (plan,) = plans_for([outcome("e1", 2)], RULES, ON)
    assert plan.id == "improvement-2026-07-01-e1"
    assert (plan.kind, plan.owner, plan.employee_id) == (PlanKind.IMPROVEMENT, "boss", "e1")
    assert plan.triggers == (PlanTrigger.LOW_RATING,)
    assert plan.reason == "rating 2 on five-point v1 is at or below the improvement threshold 2"
    # 90 days after 2026-07-01 (30 left in July + 31 + 29) is 2026-09-29.
    assert (plan.start, plan.review_date) == (ON, date(2026, 9, 29))
    assert plan.checkin_cadence == Cadence.biweekly()
    assert [(i.id, i.owner, i.due) for i in plan.items] == [
        ("item-1", "boss", date(2026, 7, 15)),
        ("item-2", "e1", date(2026, 8, 30)),
        ("item-3", "boss", date(2026, 8, 15)),
    ]
    assert [i.title for i in plan.items] == [t.title for t in IMPROVEMENT_ITEMS]
    # Every other Wednesday from the start to the review date.
    assert plan.checkin_dates() == (
        date(2026, 7, 1),
        date(2026, 7, 15),
        date(2026, 7, 29),
        date(2026, 8, 12),
        date(2026, 8, 26),
        date(2026, 9, 9),
        date(2026, 9, 23),
    )
    round_trips(plan)


def support_goals() -> GoalSet:
    """The support representative's quarter: resolve 95 % of tickets within 24 h (from 80 %)."""
    goal = Goal(
        id="g-24h",
        title="Resolve 95% of tickets within 24 h",
        owner=Owner(kind=OwnerKind.EMPLOYEE, id="omar"),
        cycle_id="2026-q2",
        start_date=date(2026, 4, 1),
        end_date=date(2026, 6, 30),
        status=GoalStatus.IN_PROGRESS,
        metric=NumericMetric(baseline=80, target=95, unit="%"),
    )
    met = attrs.evolve(
        goal, id="g-csat", title="CSAT 4.5", owner=Owner(kind=OwnerKind.EMPLOYEE, id="ines")
    )
    ongoing = attrs.evolve(goal, id="g-next", end_date=date(2026, 9, 30))
    binary = attrs.evolve(goal, id="g-doc", metric=BinaryMetric())
    team = attrs.evolve(goal, id="g-team", owner=Owner(kind=OwnerKind.UNIT, id="support"))
    at = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)
    return GoalSet(
        goals=[goal, met, ongoing, binary, team],
        check_ins=[
            CheckIn(id="c1", goal_id="g-24h", author="omar", at=at - timedelta(days=30), value=88),
            CheckIn(id="c2", goal_id="g-24h", author="omar", at=at, value=91),
            CheckIn(id="c3", goal_id="g-csat", author="ines", at=at, value=96.5),
        ],
    )


def test_a_missed_kpi_opens_a_tailored_improvement_plan() -> None:
    as_of = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    missed = missed_kpis(support_goals(), as_of, cycle_id="2026-q2")
    # Omar reached 91 %: (91 - 80) / (95 - 80) = 0.733 of the target. Ines beat hers; the
    # ongoing goal has not ended; binary goals and team goals are not personal KPIs.
    assert list(missed) == ["omar"]
    (target,) = missed["omar"]
    assert (target.goal_id, target.value, target.target, target.unit) == ("g-24h", 91.0, 95.0, "%")
    assert target.attainment == pytest.approx(11 / 15)
    assert (
        target.describe() == "'Resolve 95% of tickets within 24 h' at 91% against a target of 95%"
    )
    (plan,) = plans_for([outcome("omar", 3, missed_targets=missed["omar"])], RULES, ON)
    assert plan.kind is PlanKind.IMPROVEMENT
    assert plan.triggers == (PlanTrigger.MISSED_KPI,)
    assert plan.reason == (
        "missed KPI target: 'Resolve 95% of tickets within 24 h' at 91% against a target of 95%"
    )
    (item,) = plan.items
    assert item.title == "Reach the target of 'Resolve 95% of tickets within 24 h': 95% (91% now)"
    assert (item.owner, item.due, item.goal_id) == ("omar", date(2026, 8, 30), "g-24h")
    # Without the KPI rule, a rating of 3 opens nothing.
    no_kpi = attrs.evolve(RULES, kpi_plans=False)
    assert plans_for([outcome("omar", 3, missed_targets=missed["omar"])], no_kpi, ON) == ()
    # A low rating and a missed KPI: one plan, the template items then the KPI item.
    (both,) = plans_for([outcome("omar", 1, missed_targets=missed["omar"])], RULES, ON)
    assert both.triggers == (PlanTrigger.LOW_RATING, PlanTrigger.MISSED_KPI)
    assert [i.goal_id for i in both.items] == [None, None, None, "g-24h"]


def test_missed_kpis_with_no_reading_count_as_missed() -> None:
    goals = support_goals()
    bare = GoalSet(goals=goals.goals)
    missed = missed_kpis(bare, datetime(2026, 7, 1, tzinfo=UTC))
    assert sorted(missed) == ["ines", "omar"]
    assert missed["omar"][0].value is None
    assert missed["omar"][0].describe().endswith("at no reading against a target of 95%")


def test_high_performance_and_potential_opens_a_growth_plan() -> None:
    plans = plans_for(
        [
            outcome("a", 5, potential=4),
            outcome("b", 4, potential=3),  # potential too low
            outcome("c", 4),  # potential unknown
            outcome("d", 3, nine_box="Star"),  # not a growth cell by default
        ],
        RULES,
        ON,
    )
    assert [(p.employee_id, p.kind) for p in plans] == [("a", PlanKind.GROWTH)]
    (growth,) = plans
    assert growth.id == "growth-2026-07-01-a"
    assert growth.triggers == (PlanTrigger.HIGH_PERFORMANCE_POTENTIAL,)
    assert growth.reason == (
        "rating 5 is at least 4 and potential 4 is at least 4 (high performance, high potential)"
    )
    assert growth.review_date == ON + timedelta(days=180)
    assert growth.checkin_cadence == Cadence.monthly()
    assert [i.due for i in growth.items] == [
        date(2026, 7, 31),
        date(2026, 8, 30),
        date(2026, 11, 28),
    ]


def test_a_nine_box_cell_opens_a_growth_plan() -> None:
    rules = attrs.evolve(RULES, growth_cells=("Star", "High potential"))
    (plan,) = plans_for([outcome("d", 3, nine_box="Star")], rules, ON)
    assert plan.triggers == (PlanTrigger.NINE_BOX,)
    assert plan.reason == "9-box cell 'Star' opens a growth plan"


def test_one_person_can_get_both_plans_and_the_top_of_the_org_owns_their_own() -> None:
    miss = MissedTarget(goal_id="g", title="Ship", target=1, value=0, attainment=0)
    ceo = PerformanceOutcome(employee_id="ceo", rating=five(5), potential=5, missed_targets=[miss])
    plans = plans_for([ceo, outcome("mid", 3)], RULES, ON)
    assert [(p.id, p.owner) for p in plans] == [
        ("improvement-2026-07-01-ceo", "ceo"),
        ("growth-2026-07-01-ceo", "ceo"),
    ]


def test_a_very_long_employee_id_gives_a_short_deterministic_plan_id() -> None:
    long_id = "e" * 200
    (plan,) = plans_for([outcome(long_id, 1)], RULES, ON)
    assert len(plan.id) <= 200
    assert plan.id.startswith("improvement-2026-07-01-")
    assert plans_for([outcome(long_id, 1)], RULES, ON)[0].id == plan.id
    at = datetime(2026, 7, 2, tzinfo=UTC)
    _, event = plan.move_item("item-1", ItemStatus.DONE, "boss", at)
    assert event.subject_id == f"{plan.id}/item-1"


def test_rules_are_configurable() -> None:
    rules = DevelopmentRules(
        scale=THREE_POINT.ref,
        improvement_at_or_below=1,
        improvement_cadence=Cadence.weekly(),
        improvement_review_days=60,
        improvement_items=[
            ItemTemplate(title="Weekly coaching", due_days=7, owner=ItemOwner.MANAGER)
        ],
        growth_min_rating=None,
    )
    out = PerformanceOutcome(
        employee_id="x", manager_id="m", rating=THREE_POINT.rate(1), potential=3
    )
    (plan,) = plans_for([out], rules, ON)
    assert (plan.review_date, plan.items[0].owner, plan.items[0].due) == (
        date(2026, 8, 30),
        "m",
        date(2026, 7, 8),
    )
    assert len(plan.checkin_dates()) == 9
    top = PerformanceOutcome(employee_id="y", rating=THREE_POINT.rate(3), potential=3)
    assert plans_for([top], rules, ON) == ()  # growth by rating is switched off


@given(outcome_lists(), development_rules(), st.randoms())
def test_plans_follow_the_rules_and_do_not_depend_on_input_order(
    people: list[PerformanceOutcome], rules: DevelopmentRules, rnd: Any
) -> None:
    plans = plans_for(people, rules, ON)
    shuffled = list(people)
    rnd.shuffle(shuffled)
    again = plans_for(shuffled, rules, ON)
    assert [perfkit.dumps(p) for p in again] == [perfkit.dumps(p) for p in plans]
    assert [p.employee_id for p in plans] == sorted(p.employee_id for p in plans)
    kinds = {(p.employee_id, p.kind): p for p in plans}
    assert len(kinds) == len(plans)
    for o in people:
        low = (
            rules.improvement_at_or_below is not None
            and o.rating.value <= rules.improvement_at_or_below
        )
        kpi = rules.kpi_plans and bool(o.missed_targets)
        high = (
            rules.growth_min_rating is not None
            and rules.growth_min_potential is not None
            and o.potential is not None
            and o.rating.value >= rules.growth_min_rating
            and o.potential >= rules.growth_min_potential
        )
        cell = o.nine_box is not None and o.nine_box in rules.growth_cells
        assert ((o.employee_id, PlanKind.IMPROVEMENT) in kinds) == (low or kpi)
        assert ((o.employee_id, PlanKind.GROWTH) in kinds) == (high or cell)
        improvement = kinds.get((o.employee_id, PlanKind.IMPROVEMENT))
        if improvement is not None:
            expected = len(rules.improvement_items) * low + len(o.missed_targets) * kpi
            assert len(improvement.items) == expected
            assert improvement.owner == (o.manager_id or o.employee_id)
    for p in plans:
        assert all(p.start <= i.due <= p.review_date for i in p.items)


# --- the plan item workflow ----------------------------------------------------------------


def test_items_move_through_their_workflow() -> None:
    (plan,) = plans_for([outcome("e1", 2)], RULES, ON)
    at = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)
    started, event = plan.move_item("item-1", ItemStatus.IN_PROGRESS, "boss", at)
    assert started.item("item-1").status is ItemStatus.IN_PROGRESS
    assert plan.item("item-1").status is ItemStatus.OPEN  # the original is untouched
    assert (event.subject_type, event.subject_id, event.from_state, event.to_state) == (
        "plan item",
        "improvement-2026-07-01-e1/item-1",
        "open",
        "in_progress",
    )
    done, _ = started.move_item("item-1", ItemStatus.DONE, "boss", at)
    with pytest.raises(perfkit.TransitionError, match="cannot go from 'done' to 'open'"):
        done.move_item("item-1", ItemStatus.OPEN, "boss", at)
    assert not done.is_closed
    closed = done
    for item_id in ("item-2", "item-3"):
        closed, _ = closed.move_item(item_id, ItemStatus.DROPPED, "boss", at)
    assert closed.is_closed
    with pytest.raises(perfkit.NotFoundError, match="no plan item with id 'item-9'"):
        plan.move_item("item-9", ItemStatus.DONE, "boss", at)


# --- errors --------------------------------------------------------------------------------


def test_plans_check_their_dates() -> None:
    (plan,) = plans_for([outcome("e1", 2)], RULES, ON)
    with pytest.raises(
        perfkit.ValidationError, match="review_date: .* is not after start 2026-07-01"
    ):
        attrs.evolve(plan, review_date=ON)
    late = attrs.evolve(plan.items[0], due=date(2026, 12, 1))
    with pytest.raises(
        perfkit.ValidationError, match=r"items\[0\].due: .* is after the review date"
    ):
        attrs.evolve(plan, items=[late])
    early = attrs.evolve(plan.items[0], due=date(2026, 6, 1))
    with pytest.raises(perfkit.ValidationError, match=r"items\[0\].due: .* is before the start"):
        attrs.evolve(plan, items=[early])
    with pytest.raises(perfkit.ValidationError, match="triggers: .* is empty"):
        attrs.evolve(plan, triggers=[])
    with pytest.raises(perfkit.ValidationError, match=r"items\[1\]: 'item-1' repeats the item id"):
        attrs.evolve(plan, items=[plan.items[0], plan.items[0]])


def test_rules_check_that_items_fall_due_before_the_review() -> None:
    with pytest.raises(
        perfkit.ValidationError,
        match=r"improvement_items\[0\].due_days: 100 is after the improvement_review_days 90",
    ):
        DevelopmentRules(improvement_items=[ItemTemplate(title="x", due_days=100)])
    with pytest.raises(perfkit.ValidationError, match="kpi_item_days: 120 is after"):
        DevelopmentRules(kpi_item_days=120)
    with pytest.raises(
        perfkit.ValidationError, match="growth_review_days: 0 is not at least 1 day"
    ):
        DevelopmentRules(growth_review_days=0, growth_items=[])
    with pytest.raises(perfkit.ValidationError, match="due_days: -1 is not between 0 and 3660"):
        ItemTemplate(title="x", due_days=-1)


def test_outcomes_are_checked() -> None:
    with pytest.raises(
        perfkit.ValidationError,
        match=r"outcomes\[0\].rating.scale: 'three-point v1' is not the rules' scale five-point v1",
    ):
        plans_for([PerformanceOutcome(employee_id="x", rating=THREE_POINT.rate(1))], RULES, ON)
    with pytest.raises(
        perfkit.ValidationError, match=r"outcomes\[1\].employee_id: 'a' repeats outcomes\[0\]"
    ):
        plans_for([outcome("a", 3), outcome("a", 2)], RULES, ON)
    with pytest.raises(perfkit.ValidationError, match="on: .* is too late to schedule a plan"):
        plans_for([outcome("a", 1)], RULES, date(9999, 12, 1))
    miss = MissedTarget(goal_id="g", title="t", target=1, attainment=0, direction=Direction.DOWN)
    with pytest.raises(
        perfkit.ValidationError, match=r"missed_targets\[1\]: 'g' repeats the goal id"
    ):
        outcome("a", 3, missed_targets=[miss, miss])


@given(garbage, garbage, garbage)
def test_garbage_arguments_give_only_perfkit_errors(a: Any, b: Any, c: Any) -> None:
    (plan,) = plans_for([outcome("e1", 2)], RULES, ON)
    at = datetime(2026, 7, 2, tzinfo=UTC)
    calls: list[Callable[[], object]] = [
        lambda: plans_for(a, b, c),
        lambda: plans_for(a, RULES, ON),
        lambda: plans_for([a], RULES, ON),
        lambda: plans_for([], RULES, a),
        lambda: plans_for([], a, ON),
        lambda: missed_kpis(a, b),
        lambda: missed_kpis(support_goals(), a),
        lambda: missed_kpis(support_goals(), at, cycle_id=a),
        lambda: plan.item(a),
        lambda: plan.move_item(a, b, c, at),
        lambda: plan.move_item("item-1", a, "boss", at),
        lambda: plan.move_item("item-1", ItemStatus.DONE, a, b),
    ]
    for call in calls:
        with contextlib.suppress(perfkit.PerfkitError):
            call()


FIELDS_OF: dict[type, Callable[[], dict[str, Any]]] = {
    PlanItem: lambda: {"id": "i", "title": "t", "owner": "o", "due": ON},
    DevelopmentPlan: lambda: attrs.asdict(
        plans_for([outcome("e1", 2)], RULES, ON)[0], recurse=False
    ),
    MissedTarget: lambda: {
        "goal_id": "g",
        "title": "t",
        "target": 1.0,
        "value": 0.5,
        "attainment": 0.5,
    },
    PerformanceOutcome: lambda: {
        "employee_id": "e",
        "manager_id": "m",
        "rating": five(3),
        "potential": 4.0,
    },
    ItemTemplate: lambda: {"title": "t", "due_days": 3},
    DevelopmentRules: lambda: attrs.asdict(RULES, recurse=False),
}


@pytest.mark.parametrize("cls", list(FIELDS_OF), ids=lambda c: c.__name__)
@given(data=st.data(), value=garbage | st.lists(garbage, max_size=3))
def test_garbage_in_a_field_is_a_validation_error(
    cls: type, data: st.DataObject, value: object
) -> None:
    fields = FIELDS_OF[cls]()
    fields[data.draw(st.sampled_from(sorted(fields)))] = value
    with contextlib.suppress(perfkit.PerfkitError):
        cls(**fields)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize(
    "cls",
    [PlanItem, DevelopmentPlan, MissedTarget, PerformanceOutcome, ItemTemplate, DevelopmentRules],
    ids=lambda c: c.__name__,
)
@given(
    data=json_values
    | st.dictionaries(st.sampled_from(["id", "items", "due", "rating", "kind"]), json_values)
)
def test_garbage_documents_give_only_perfkit_errors(cls: type, data: Any) -> None:
    with contextlib.suppress(perfkit.PerfkitError):
        assert isinstance(perfkit.structure(data, cls), cls)

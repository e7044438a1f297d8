"""Tests of perfkit.org: employees, units, reporting lines and the organisation's queries."""

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import perfkit
from perfkit.money import Money, SalaryBand
from perfkit.org import Employee, Organisation, OrgUnit, Subordinate

from .strategies.common import ids
from .strategies.org import (
    employee_fields,
    employees,
    garbage,
    org_units,
    organisations,
    subordinates,
)

# --- helpers -------------------------------------------------------------------------------


def eur(x: str) -> Money:
    return Money.of(x, "EUR")


def person(eid: str, manager: str | None = None, unit: str = "co", **kw: Any) -> Employee:
    fields: dict[str, Any] = {
        "id": eid,
        "name": eid.title(),
        "manager_id": manager,
        "unit_id": unit,
        "hire_date": date(2020, 1, 1),
        "job_level": "L3",
        "base_pay": eur("50000"),
    }
    fields.update(kw)
    return Employee(**fields)


def id_list(xs: tuple[Any, ...]) -> list[str]:
    return [x.id for x in xs]


def rebuilt(org: Organisation, **changes: Any) -> dict[str, Any]:
    """The organisation's fields as lists, ready to be changed and built again."""
    fields = {"units": list(org.units), "employees": list(org.employees)}
    fields.update(changes)
    return fields


# --- a brute-force model: walk the links naively, by linear search ---------------------------


def find(items: tuple[Any, ...], key: str) -> Any:
    return next(x for x in items if x.id == key)


def m_chain(org: Organisation, eid: str) -> list[str]:
    chain: list[str] = []
    current = find(org.employees, eid)
    while current.manager_id is not None:
        chain.append(current.manager_id)
        current = find(org.employees, current.manager_id)
    return chain


def m_unit_chain(org: Organisation, uid: str) -> list[str]:
    """The unit and every unit above it, the unit first."""
    chain = [uid]
    while (parent := find(org.units, chain[-1]).parent_id) is not None:
        chain.append(parent)
    return chain


def m_tree(org: Organisation, mid: str) -> list[tuple[str, int]]:
    found = []
    for e in org.employees:
        chain = m_chain(org, e.id)
        if mid in chain:
            found.append((e.id, chain.index(mid) + 1))
    return sorted(found, key=lambda pair: (pair[1], pair[0]))


def m_members(org: Organisation, uid: str, deep: bool) -> list[str]:
    return sorted(
        e.id
        for e in org.employees
        if e.unit_id == uid or (deep and uid in m_unit_chain(org, e.unit_id))
    )


def pick(data: st.DataObject, items: tuple[Any, ...]) -> str:
    return str(data.draw(st.sampled_from([x.id for x in items])))


# --- the model checks --------------------------------------------------------------------------


@given(organisations(min_employees=1), st.data())
def test_employee_lookup_and_reporting_lines_match_the_model(
    org: Organisation, data: st.DataObject
) -> None:
    eid = pick(data, org.employees)
    assert org.employee(eid) == find(org.employees, eid)
    assert id_list(org.chain_of_command(eid)) == m_chain(org, eid)
    assert org.depth(eid) == len(m_chain(org, eid))
    direct = sorted(e.id for e in org.employees if e.manager_id == eid)
    assert id_list(org.direct_reports(eid)) == direct
    assert org.span_of_control(eid) == len(direct)
    assert org.is_manager(eid) == bool(direct)
    manager = org.manager(eid)
    assert (manager.id if manager else None) == find(org.employees, eid).manager_id


@given(organisations(min_employees=1), st.data())
def test_reporting_tree_matches_the_model(org: Organisation, data: st.DataObject) -> None:
    mid = pick(data, data.draw(st.sampled_from([org.employees, org.roots()])))
    tree = org.reporting_tree(mid)
    assert [(s.employee.id, s.depth) for s in tree] == m_tree(org, mid)


@given(organisations(min_employees=1), st.data())
def test_manages_matches_the_model(org: Organisation, data: st.DataObject) -> None:
    a, b = pick(data, org.employees), pick(data, org.employees)
    assert org.manages(a, b) == (a in m_chain(org, b))
    assert not org.manages(b, b)


@given(organisations())
def test_roots_are_the_people_without_a_manager(org: Organisation) -> None:
    assert id_list(org.roots()) == sorted(e.id for e in org.employees if e.manager_id is None)


@given(organisations(), st.data())
def test_unit_queries_match_the_model(org: Organisation, data: st.DataObject) -> None:
    uid = pick(data, org.units)
    assert org.unit(uid) == find(org.units, uid)
    assert id_list(org.unit_path(uid)) == list(reversed(m_unit_chain(org, uid)))
    below = sorted(u.id for u in org.units if uid in m_unit_chain(org, u.id)[1:])
    assert id_list(org.subunits(uid)) == below
    assert id_list(org.unit_members(uid)) == m_members(org, uid, deep=True)
    assert id_list(org.unit_members(uid, include_subunits=False)) == m_members(org, uid, False)


@given(organisations())
def test_every_employee_is_in_exactly_one_reporting_tree(org: Organisation) -> None:
    everyone = [r.id for r in org.roots()]
    for root in org.roots():
        everyone += [s.employee.id for s in org.reporting_tree(root.id)]
    assert sorted(everyone) == sorted(e.id for e in org.employees)


@given(organisations())
def test_root_units_partition_the_headcount(org: Organisation) -> None:
    roots = [u for u in org.units if u.parent_id is None]
    members = [e.id for u in roots for e in org.unit_members(u.id)]
    assert sorted(members) == sorted(e.id for e in org.employees)


@given(organisations(min_employees=1), st.data())
def test_answers_do_not_depend_on_input_order(org: Organisation, data: st.DataObject) -> None:
    other = Organisation(
        units=data.draw(st.permutations(org.units)),
        employees=data.draw(st.permutations(org.employees)),
    )
    eid, uid = pick(data, org.employees), pick(data, org.units)
    queries: list[Callable[[Organisation], object]] = [
        lambda o: o.roots(),
        lambda o: o.direct_reports(eid),
        lambda o: o.reporting_tree(eid),
        lambda o: o.chain_of_command(eid),
        lambda o: o.depth(eid),
        lambda o: o.subunits(uid),
        lambda o: o.unit_path(uid),
        lambda o: o.unit_members(uid),
        lambda o: o.unit_members(uid, include_subunits=False),
    ]
    for query in queries:
        assert query(other) == query(org)


# --- a hand example: seven people ----------------------------------------------------------------
#
#   ada (CEO, unit co)
#   ├── bo (CTO, unit eng)
#   │   ├── cy (unit platform)
#   │   └── di (unit platform)
#   │       └── ed (intern, unit platform)
#   └── fay (CFO, unit co)
#       └── cat (unit fin)
#
#   units: co ─┬─ eng ── platform
#              └─ fin


@pytest.fixture
def seven() -> Organisation:
    units = [
        OrgUnit(id="platform", name="Platform", parent_id="eng", head_id="di"),
        OrgUnit(id="co", name="Acme", head_id="ada"),
        OrgUnit(id="fin", name="Finance", parent_id="co", head_id="fay"),
        OrgUnit(id="eng", name="Engineering", parent_id="co", head_id="bo"),
    ]
    people = [
        person("ed", "di", "platform", job_level="Intern"),
        person("cat", "fay", "fin"),
        person("di", "bo", "platform"),
        person("ada", None, "co"),
        person("fay", "ada", "co"),
        person("cy", "bo", "platform"),
        person("bo", "ada", "eng"),
    ]
    return Organisation(units=units, employees=people)


def test_seven_people_chain_of_command(seven: Organisation) -> None:
    assert id_list(seven.chain_of_command("ed")) == ["di", "bo", "ada"]
    assert id_list(seven.chain_of_command("cat")) == ["fay", "ada"]
    assert seven.chain_of_command("ada") == ()
    assert seven.manager("ed") == seven.employee("di")
    assert seven.manager("ada") is None
    assert [seven.depth(x) for x in ("ada", "bo", "di", "ed")] == [0, 1, 2, 3]


def test_seven_people_span_of_control(seven: Organisation) -> None:
    spans = {e.id: seven.span_of_control(e.id) for e in seven.employees}
    assert spans == {"ada": 2, "bo": 2, "cat": 0, "cy": 0, "di": 1, "ed": 0, "fay": 1}
    assert id_list(seven.direct_reports("bo")) == ["cy", "di"]
    assert seven.is_manager("di")
    assert not seven.is_manager("cy")


def test_seven_people_reporting_tree(seven: Organisation) -> None:
    tree = [(s.employee.id, s.depth) for s in seven.reporting_tree("ada")]
    assert tree == [("bo", 1), ("fay", 1), ("cat", 2), ("cy", 2), ("di", 2), ("ed", 3)]
    assert seven.reporting_tree("cat") == ()
    assert seven.manages("ada", "ed")
    assert seven.manages("bo", "ed")
    assert not seven.manages("fay", "ed")
    assert not seven.manages("ed", "di")
    assert not seven.manages("ada", "ada")
    assert id_list(seven.roots()) == ["ada"]


def test_seven_people_units(seven: Organisation) -> None:
    assert id_list(seven.unit_members("co")) == ["ada", "bo", "cat", "cy", "di", "ed", "fay"]
    assert id_list(seven.unit_members("co", include_subunits=False)) == ["ada", "fay"]
    assert id_list(seven.unit_members("eng")) == ["bo", "cy", "di", "ed"]
    assert id_list(seven.unit_members("eng", include_subunits=False)) == ["bo"]
    assert id_list(seven.subunits("co")) == ["eng", "fin", "platform"]
    assert seven.subunits("platform") == ()
    assert id_list(seven.unit_path("platform")) == ["co", "eng", "platform"]
    assert seven.unit("fin").head_id == "fay"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (lambda o: o.employee("zed"), "no employee with id 'zed'"),
        (lambda o: o.manager("zed"), "no employee with id 'zed'"),
        (lambda o: o.direct_reports("zed"), "no employee with id 'zed'"),
        (lambda o: o.span_of_control("zed"), "no employee with id 'zed'"),
        (lambda o: o.is_manager("zed"), "no employee with id 'zed'"),
        (lambda o: o.reporting_tree("zed"), "no employee with id 'zed'"),
        (lambda o: o.chain_of_command("zed"), "no employee with id 'zed'"),
        (lambda o: o.depth("zed"), "no employee with id 'zed'"),
        (lambda o: o.manages("zed", "ada"), "no employee with id 'zed'"),
        (lambda o: o.manages("ada", "zed"), "no employee with id 'zed'"),
        (lambda o: o.unit("eng"), None),
        (lambda o: o.unit("co"), None),
        (lambda o: o.unit("ops"), "no unit with id 'ops'"),
        (lambda o: o.subunits("ops"), "no unit with id 'ops'"),
        (lambda o: o.unit_path("ops"), "no unit with id 'ops'"),
        (lambda o: o.unit_members("ops"), "no unit with id 'ops'"),
        (lambda o: o.unit_members("ada"), "no unit with id 'ada'"),
        (lambda o: o.employee("eng"), "no employee with id 'eng'"),
    ],
)
def test_unknown_ids_raise_not_found(
    seven: Organisation, query: Callable[[Organisation], object], message: str | None
) -> None:
    if message is None:
        query(seven)
        return
    with pytest.raises(perfkit.NotFoundError, match=message):
        query(seven)


def test_query_arguments_of_the_wrong_type_are_named(seven: Organisation) -> None:
    with pytest.raises(perfkit.ValidationError, match=r"employee_id: \['ada'\] is not a string"):
        seven.employee(["ada"])  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match="unit_id: None is not a string id"):
        seven.unit_members(None)  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match="include_subunits: 'no' is not true"):
        seven.unit_members("co", include_subunits="no")  # type: ignore[arg-type]


# --- employees ---------------------------------------------------------------------------------


def test_compa_ratio_is_pay_over_band_midpoint() -> None:
    band = SalaryBand(minimum=eur("40000"), midpoint=eur("50000"), maximum=eur("60000"))
    assert person("a", base_pay=eur("52000"), band=band).compa_ratio == Decimal("1.04")
    assert person("a", base_pay=eur("45000"), band=band).compa_ratio == Decimal("0.9")
    assert person("a").compa_ratio is None


def test_activity_and_tenure_count_calendar_days() -> None:
    leaver = person("a", hire_date=date(2020, 3, 1), end_date=date(2021, 3, 1))
    assert not leaver.is_active(date(2020, 2, 29))
    assert leaver.is_active(date(2020, 3, 1))
    assert leaver.is_active(date(2021, 3, 1))  # the end date is the last day employed
    assert not leaver.is_active(date(2021, 3, 2))
    assert leaver.tenure_days(date(2020, 2, 1)) == 0
    assert leaver.tenure_days(date(2020, 3, 2)) == 1
    assert leaver.tenure_days(date(2021, 3, 1)) == 365  # 2020-03-01 .. 2021-03-01
    assert leaver.tenure_days(date(2030, 1, 1)) == 365  # tenure stops at the end date
    stayer = person("b", hire_date=date(2023, 12, 31))
    assert stayer.tenure_days(date(2024, 12, 31)) == 366  # 2024 is a leap year
    assert stayer.is_active(date(2099, 1, 1))


@given(employees(), st.dates(), st.dates())
def test_tenure_never_decreases_and_is_bounded(e: Employee, a: date, b: date) -> None:
    early, late = sorted((a, b))
    assert 0 <= e.tenure_days(early) <= e.tenure_days(late)
    assert e.tenure_days(late) <= max(0, (late - e.hire_date).days)
    if e.is_active(late):
        assert e.tenure_days(late) == (late - e.hire_date).days


def test_employee_rules_are_named() -> None:
    with pytest.raises(perfkit.ValidationError, match="end_date: .* is before hire_date 2020"):
        person("a", end_date=date(2019, 12, 31))
    band = SalaryBand(minimum=eur("1"), midpoint=eur("2"), maximum=eur("3"))
    with pytest.raises(perfkit.ValidationError, match="band.currency: 'EUR' differs from base_"):
        person("a", base_pay=Money.of("2", "USD"), band=band)
    with pytest.raises(
        perfkit.ValidationError, match=r"base_pay.amount: Decimal\('-1.00'\) is neg"
    ):
        person("a", base_pay=eur("-1"))
    with pytest.raises(perfkit.ValidationError, match=r"attributes\['site'\]: 3 is not a str"):
        person("a", attributes={"site": 3})
    with pytest.raises(perfkit.ValidationError, match="name: ' ' must not be empty"):
        person("a", name=" ")
    with pytest.raises(perfkit.ValidationError, match="on: 3 is not a date"):
        person("a").is_active(3)  # type: ignore[arg-type]
    with pytest.raises(perfkit.ValidationError, match="on: datetime.datetime.* is not a date"):
        person("a").tenure_days(datetime(2024, 1, 1, tzinfo=UTC))


def test_attributes_are_a_frozen_map() -> None:
    e = person("a", attributes={"location": "Lyon", "gender": "f"})
    assert isinstance(e.attributes, perfkit.FrozenMap)
    assert list(e.attributes) == ["gender", "location"]
    assert person("b").attributes == {}


def test_subordinate_depth_is_at_least_one() -> None:
    with pytest.raises(perfkit.ValidationError, match="depth: 0 is not at least 1"):
        Subordinate(employee=person("a"), depth=0)
    with pytest.raises(perfkit.ValidationError, match="depth: True is not an integer"):
        Subordinate(employee=person("a"), depth=True)


# --- loops ---------------------------------------------------------------------------------------

units_co = [OrgUnit(id="co", name="Acme")]


def test_self_management_is_a_loop_of_one() -> None:
    with pytest.raises(
        perfkit.HierarchyLoopError, match="manager_id: reporting line loops: a -> a"
    ):
        person("a", "a")
    with pytest.raises(perfkit.HierarchyLoopError, match="parent_id: unit hierarchy loops: u -> u"):
        OrgUnit(id="u", name="U", parent_id="u")


def test_self_management_in_a_document_names_the_row() -> None:
    good = Organisation(units=units_co, employees=[person("b"), person("a", "b")])
    data = perfkit.unstructure(good)
    data["employees"][1]["manager_id"] = "a"
    with pytest.raises(perfkit.DocumentError) as info:
        perfkit.structure(data, Organisation)
    (err,) = info.value.errors
    assert str(err) == "employees[1].manager_id: reporting line loops: a -> a"
    assert isinstance(err, perfkit.HierarchyLoopError)
    assert err.loop == ("a", "a")


def test_loop_of_two_is_named() -> None:
    with pytest.raises(
        perfkit.HierarchyLoopError, match=r"employees\[1\].manager_id: reporting line loops: a -> b"
    ) as info:
        Organisation(units=units_co, employees=[person("b", "a"), person("a", "b")])
    assert info.value.loop == ("a", "b", "a")


def test_loop_of_three_is_named_from_its_smallest_id() -> None:
    people = [person("z"), person("c", "a"), person("b", "c"), person("a", "b"), person("y", "c")]
    with pytest.raises(perfkit.HierarchyLoopError) as info:
        Organisation(units=units_co, employees=people)
    assert str(info.value) == "employees[3].manager_id: reporting line loops: a -> b -> c -> a"


def test_of_two_loops_the_one_with_the_smallest_id_is_reported() -> None:
    people = [person("q", "p"), person("p", "q"), person("x", "b"), person("b", "x")]
    with pytest.raises(perfkit.HierarchyLoopError) as info:
        Organisation(units=units_co, employees=people)
    assert str(info.value) == "employees[3].manager_id: reporting line loops: b -> x -> b"


def test_unit_loop_is_named() -> None:
    units = [
        OrgUnit(id="root", name="R"),
        OrgUnit(id="u3", name="3", parent_id="u1"),
        OrgUnit(id="u2", name="2", parent_id="u3"),
        OrgUnit(id="u1", name="1", parent_id="u2"),
    ]
    with pytest.raises(perfkit.HierarchyLoopError) as info:
        Organisation(units=units)
    assert str(info.value) == "units[3].parent_id: unit hierarchy loops: u1 -> u2 -> u3 -> u1"


def rotated_from_smallest(loop: list[str]) -> tuple[str, ...]:
    at = loop.index(min(loop))
    turned = loop[at:] + loop[:at]
    return (*turned, turned[0])


@given(organisations(min_employees=2), st.data())
def test_random_reporting_loops_are_found_and_named(org: Organisation, data: st.DataObject) -> None:
    people = list(org.employees)
    positions = list(range(len(people)))
    loops: list[list[str]] = []
    for _ in range(data.draw(st.integers(1, 3))):
        free = [i for i in positions if all(people[i].id not in lp for lp in loops)]
        if len(free) < 2:
            break
        chosen = data.draw(st.lists(st.sampled_from(free), min_size=2, unique=True))
        loop = [people[i].id for i in chosen]
        for k, i in enumerate(chosen):  # each one is managed by the next, the last by the first
            people[i] = attrs.evolve(people[i], manager_id=loop[(k + 1) % len(loop)])
        loops.append(loop)
    expected = min((rotated_from_smallest(lp) for lp in loops), key=lambda lp: lp[0])
    with pytest.raises(perfkit.HierarchyLoopError) as info:
        Organisation(units=org.units, employees=people)
    at = next(i for i, e in enumerate(people) if e.id == expected[0])
    assert info.value.loop == expected
    assert info.value.path == f"employees[{at}].manager_id"
    assert str(info.value) == f"employees[{at}].manager_id: reporting line loops: " + " -> ".join(
        expected
    )


@given(organisations(min_employees=0, max_units=10), st.data())
def test_random_unit_loops_are_found_and_named(org: Organisation, data: st.DataObject) -> None:
    assume(len(org.units) >= 2)
    units = list(org.units)
    chosen = data.draw(st.lists(st.sampled_from(range(len(units))), min_size=2, unique=True))
    loop = [units[i].id for i in chosen]
    for k, i in enumerate(chosen):
        units[i] = attrs.evolve(units[i], parent_id=loop[(k + 1) % len(loop)])
    expected = rotated_from_smallest(loop)
    with pytest.raises(perfkit.HierarchyLoopError) as info:
        Organisation(units=units, employees=org.employees)
    at = next(i for i, u in enumerate(units) if u.id == expected[0])
    assert info.value.loop == expected
    assert str(info.value).startswith(f"units[{at}].parent_id: unit hierarchy loops: ")


# --- bad references and repeated ids ----------------------------------------------------------


def test_bad_references_are_named(seven: Organisation) -> None:
    cases = [
        (
            "employees",
            3,
            {"manager_id": "e99"},
            "employees[3].manager_id: 'e99' is not an employee",
        ),
        ("employees", 0, {"unit_id": "ops"}, "employees[0].unit_id: 'ops' is not a unit"),
        ("units", 2, {"parent_id": "ops"}, "units[2].parent_id: 'ops' is not a unit"),
        ("units", 1, {"head_id": "e99"}, "units[1].head_id: 'e99' is not an employee"),
    ]
    for field, index, change, message in cases:
        items = list(getattr(seven, field))
        items[index] = attrs.evolve(items[index], **change)
        with pytest.raises(perfkit.UnknownReferenceError) as info:
            Organisation(**rebuilt(seven, **{field: items}))
        assert str(info.value) == message


def test_repeated_ids_are_named(seven: Organisation) -> None:
    people = [*seven.employees, person("di", unit="co")]
    with pytest.raises(perfkit.ValidationError, match=r"employees\[7\]: 'di' repeats the employee"):
        Organisation(units=seven.units, employees=people)
    with pytest.raises(perfkit.ValidationError, match=r"units\[4\]: 'co' repeats the unit id of"):
        Organisation(units=[*seven.units, OrgUnit(id="co", name="Again")])


def test_a_bad_reference_in_a_document_names_the_row(seven: Organisation) -> None:
    data = perfkit.unstructure(seven)
    data["employees"][4]["manager_id"] = "e99"
    with pytest.raises(perfkit.DocumentError) as info:
        perfkit.structure(data, Organisation)
    assert [str(e) for e in info.value.errors] == [
        "employees[4].manager_id: 'e99' is not an employee"
    ]
    doc = perfkit.dumps(seven).replace('"manager_id":"ada"', '"manager_id":"e99"', 1)
    with pytest.raises(perfkit.DocumentError, match=r"data.employees\[\d\].manager_id: 'e99'"):
        perfkit.loads(doc, Organisation)


@given(organisations(min_employees=1), st.data(), ids)
def test_random_bad_references_are_reported_with_their_path(
    org: Organisation, data: st.DataObject, missing: str
) -> None:
    field = data.draw(st.sampled_from(["manager_id", "unit_id", "parent_id", "head_id"]))
    kind = "employee" if field in ("manager_id", "head_id") else "unit"
    known = {e.id for e in org.employees} if kind == "employee" else {u.id for u in org.units}
    assume(missing not in known)
    collection = "units" if field in ("parent_id", "head_id") else "employees"
    items = list(getattr(org, collection))
    i = data.draw(st.integers(0, len(items) - 1))
    assume(items[i].id != missing)
    items[i] = attrs.evolve(items[i], **{field: missing})
    with pytest.raises(perfkit.UnknownReferenceError) as info:
        Organisation(**rebuilt(org, **{collection: items}))
    what = "an employee" if kind == "employee" else "a unit"
    assert str(info.value) == f"{collection}[{i}].{field}: {missing!r} is not {what}"


# --- serialisation -----------------------------------------------------------------------------


@given(employees())
def test_employee_round_trips(e: Employee) -> None:
    assert perfkit.loads(perfkit.dumps(e), Employee) == e


@given(org_units())
def test_org_unit_round_trips(u: OrgUnit) -> None:
    assert perfkit.loads(perfkit.dumps(u), OrgUnit) == u


@given(subordinates)
def test_subordinate_round_trips(s: Subordinate) -> None:
    assert perfkit.loads(perfkit.dumps(s), Subordinate) == s


@given(organisations())
def test_organisation_round_trips(org: Organisation) -> None:
    assert perfkit.loads(perfkit.dumps(org), Organisation) == org


@given(organisations(min_employees=1))
def test_indexes_stay_out_of_json_equality_and_hash(org: Organisation) -> None:
    fresh = Organisation(units=org.units, employees=org.employees)
    before = perfkit.dumps(org)
    for e in org.employees:  # build every index
        org.reporting_tree(e.id)
        org.depth(e.id)
    for u in org.units:
        org.unit_members(u.id)
    assert set(perfkit.unstructure(org)) == {"units", "employees"}
    assert perfkit.dumps(org) == before
    assert org == fresh
    assert hash(org) == hash(fresh)


# --- garbage in: only perfkit errors -------------------------------------------------------------


def only_perfkit_errors(build: Callable[[], object]) -> None:
    with contextlib.suppress(perfkit.PerfkitError):
        build()


@given(employee_fields(), st.sampled_from([f.name for f in attrs.fields(Employee)]), garbage)
def test_garbage_in_an_employee_field_is_a_validation_error(
    fields: dict[str, Any], name: str, value: object
) -> None:
    fields[name] = value
    only_perfkit_errors(lambda: Employee(**fields))


@given(st.sampled_from([f.name for f in attrs.fields(OrgUnit)]), garbage)
def test_garbage_in_an_org_unit_field_is_a_validation_error(name: str, value: object) -> None:
    fields: dict[str, Any] = {"id": "u", "name": "Unit", "parent_id": None, "head_id": None}
    fields[name] = value
    only_perfkit_errors(lambda: OrgUnit(**fields))


@given(
    st.sampled_from(["units", "employees"]),
    garbage | st.lists(garbage | st.just(person("x")) | st.just(units_co[0]), max_size=3),
)
def test_garbage_in_an_organisation_is_a_validation_error(name: str, value: object) -> None:
    fields: dict[str, Any] = {"units": units_co, "employees": [person("a")], name: value}
    only_perfkit_errors(lambda: Organisation(**fields))


@given(garbage, garbage)
def test_garbage_arguments_to_queries_give_only_perfkit_errors(a: object, b: object) -> None:
    org = Organisation(units=units_co, employees=[person("a"), person("b", "a")])
    queries: list[Callable[[], object]] = [
        lambda: org.employee(a),  # type: ignore[arg-type]
        lambda: org.unit(a),  # type: ignore[arg-type]
        lambda: org.manager(a),  # type: ignore[arg-type]
        lambda: org.direct_reports(a),  # type: ignore[arg-type]
        lambda: org.span_of_control(a),  # type: ignore[arg-type]
        lambda: org.is_manager(a),  # type: ignore[arg-type]
        lambda: org.reporting_tree(a),  # type: ignore[arg-type]
        lambda: org.chain_of_command(a),  # type: ignore[arg-type]
        lambda: org.depth(a),  # type: ignore[arg-type]
        lambda: org.manages(a, b),  # type: ignore[arg-type]
        lambda: org.manages("a", b),  # type: ignore[arg-type]
        lambda: org.subunits(a),  # type: ignore[arg-type]
        lambda: org.unit_path(a),  # type: ignore[arg-type]
        lambda: org.unit_members(a),  # type: ignore[arg-type]
        lambda: org.unit_members("co", b),  # type: ignore[arg-type]
        lambda: org.employee("a").is_active(a),  # type: ignore[arg-type]
        lambda: org.employee("a").tenure_days(a),  # type: ignore[arg-type]
    ]
    for query in queries:
        only_perfkit_errors(query)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)


@given(st.data(), json_values)
def test_garbage_documents_give_only_document_errors(data: st.DataObject, junk: object) -> None:
    org = Organisation(units=units_co, employees=[person("a"), person("b", "a")])
    doc = perfkit.unstructure(org)
    where = data.draw(
        st.sampled_from(
            [
                ("units", 0, "parent_id"),
                ("units", 0, "id"),
                ("employees", 1, "manager_id"),
                ("employees", 1, "hire_date"),
                ("employees", 1, "base_pay"),
                ("employees", 1, "band"),
                ("employees", 1, "attributes"),
                ("employees", 0, None),
                (None, None, None),
            ]
        )
    )
    collection, index, field = where
    if collection is None:
        doc = junk
    elif field is None:
        doc[collection][index] = junk
    else:
        doc[collection][index][field] = junk
    only_perfkit_errors(lambda: perfkit.structure(doc, Organisation))


# --- size: deep chains and big organisations ------------------------------------------------------


def test_a_ten_thousand_deep_chain_needs_no_recursion() -> None:
    n = 10_000
    units = [OrgUnit(id="u0", name="0")] + [
        OrgUnit(id=f"u{i}", name=str(i), parent_id=f"u{i - 1}") for i in range(1, n)
    ]
    people = [person("e0", unit="u0")] + [
        person(f"e{i}", f"e{i - 1}", f"u{i}") for i in range(1, n)
    ]
    org = Organisation(units=units, employees=people)
    assert org.depth(f"e{n - 1}") == n - 1
    assert len(org.chain_of_command(f"e{n - 1}")) == n - 1
    assert [s.depth for s in org.reporting_tree("e0")] == list(range(1, n))
    assert org.manages("e0", f"e{n - 1}")
    assert len(org.unit_path(f"u{n - 1}")) == n
    assert len(org.subunits("u0")) == n - 1
    assert len(org.unit_members("u0")) == n
    looped = [attrs.evolve(people[0], manager_id=f"e{n - 1}"), *people[1:]]
    with pytest.raises(
        perfkit.HierarchyLoopError, match=r"employees\[0\].manager_id: .* e0 -> e9999"
    ):
        Organisation(units=units, employees=looped)


def test_small_queries_on_a_big_organisation_do_not_scan_it() -> None:
    n = 50_000
    units = [OrgUnit(id="u0", name="0")] + [
        OrgUnit(id=f"u{i}", name=str(i), parent_id=f"u{(i - 1) // 4}") for i in range(1, 500)
    ]
    pay = eur("50000")
    people = [
        Employee(
            id=f"e{i}",
            name="N",
            manager_id=None if i == 0 else f"e{(i - 1) // 5}",
            unit_id=f"u{i % 500}",
            hire_date=date(2020, 1, 1),
            job_level="L3",
            base_pay=pay,
        )
        for i in range(n)
    ]
    start = time.perf_counter()
    org = Organisation(units=units, employees=people)
    built = time.perf_counter() - start
    org.depth("e0"), org.direct_reports("e0"), org.unit_members("u499")  # build the indexes
    start = time.perf_counter()
    for i in range(n - 200, n):
        e = f"e{i}"
        org.direct_reports(e), org.chain_of_command(e), org.depth(e), org.manages("e1", e)
        org.unit_members(f"u{i % 500}", include_subunits=False), org.unit_path(f"u{i % 500}")
    queried = time.perf_counter() - start
    assert built < 5.0  # about 0.05 s on a laptop
    assert queried < 0.25  # about 0.005 s; one scan of 50,000 people per query would be ~10 s

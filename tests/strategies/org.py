"""Strategies for employees, org units and whole (valid) organisations."""

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from perfkit.money import Money, SalaryBand
from perfkit.org import Employee, Organisation, OrgUnit, Subordinate

from .common import currencies, dates, ids, texts

names = st.text(min_size=1, max_size=20).filter(lambda s: bool(s.strip()))
job_levels = st.sampled_from(["L1", "L2", "L3", "L4", "Senior", "Principal"]) | names
pay_amounts = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("1e7"), places=2, allow_nan=False
)
attribute_maps = st.dictionaries(
    st.sampled_from(["location", "gender", "employment_type", "cost_centre"]) | names,
    texts,
    max_size=3,
)


@st.composite
def bands(draw: st.DrawFn, currency: str | None = None) -> SalaryBand:
    """A valid salary band (0 < minimum ≤ midpoint ≤ maximum, one currency)."""
    cur = currency if currency is not None else draw(currencies)
    low, mid, high = sorted(
        draw(
            st.lists(
                st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e7"), places=2),
                min_size=3,
                max_size=3,
            )
        )
    )
    return SalaryBand(
        minimum=Money(amount=low, currency=cur),
        midpoint=Money(amount=mid, currency=cur),
        maximum=Money(amount=high, currency=cur),
    )


@st.composite
def employee_fields(
    draw: st.DrawFn,
    employee_id: str | None = None,
    manager_id: str | None = None,
    unit_id: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments of a valid Employee (ids drawn unless given)."""
    eid = employee_id if employee_id is not None else draw(ids)
    hired = draw(dates)
    currency = draw(currencies)
    return {
        "id": eid,
        "name": draw(names),
        "manager_id": manager_id,
        "unit_id": unit_id if unit_id is not None else draw(ids),
        "hire_date": hired,
        "end_date": draw(st.none() | st.dates(min_value=hired, max_value=date(2100, 1, 1))),
        "job_level": draw(job_levels),
        "base_pay": Money(amount=draw(pay_amounts), currency=currency),
        "band": draw(st.none() | bands(currency)),
        "attributes": draw(attribute_maps),
    }


@st.composite
def employees(draw: st.DrawFn) -> Employee:
    """A valid employee (manager_id a drawn id other than its own, or None)."""
    fields = draw(employee_fields())
    fields["manager_id"] = draw(st.none() | ids.filter(lambda m: m != fields["id"]))
    return Employee(**fields)


@st.composite
def org_units(draw: st.DrawFn) -> OrgUnit:
    uid = draw(ids)
    return OrgUnit(
        id=uid,
        name=draw(names),
        parent_id=draw(st.none() | ids.filter(lambda p: p != uid)),
        head_id=draw(st.none() | ids),
    )


subordinates = st.builds(Subordinate, employee=employees(), depth=st.integers(1, 50))


@st.composite
def organisations(
    draw: st.DrawFn, max_units: int = 8, max_employees: int = 25, min_employees: int = 0
) -> Organisation:
    """A random valid organisation: a forest of units and a forest of reporting lines.

    Each unit or employee picks its parent among the ones drawn before it (so there is no loop),
    then both lists are shuffled, so neither the order nor the ids follow the hierarchy.
    """
    # Sizes drawn first, so that mid-sized organisations are as common as tiny ones.
    n_units = draw(st.integers(1, max_units))
    n_people = draw(st.integers(min_employees, max_employees))
    unit_ids = draw(st.lists(ids, min_size=n_units, max_size=n_units, unique=True))
    emp_ids = draw(st.lists(ids, min_size=n_people, max_size=n_people, unique=True))

    def parent(k: int, earlier: list[str]) -> str | None:
        # Mostly attached to an earlier node (deep trees); sometimes a new root.
        if k == 0 or draw(st.integers(0, 5)) == 0:
            return None
        return draw(st.sampled_from(earlier[:k]))

    units = [
        OrgUnit(
            id=uid,
            name=draw(names),
            parent_id=parent(k, unit_ids),
            head_id=draw(st.none() | st.sampled_from(emp_ids)) if emp_ids else None,
        )
        for k, uid in enumerate(unit_ids)
    ]
    people = [
        Employee(
            **draw(
                employee_fields(
                    employee_id=eid,
                    manager_id=parent(k, emp_ids),
                    unit_id=draw(st.sampled_from(unit_ids)),
                )
            )
        )
        for k, eid in enumerate(emp_ids)
    ]
    return Organisation(units=draw(st.permutations(units)), employees=draw(st.permutations(people)))


garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.text(max_size=5),
    st.binary(max_size=3),
    st.dates(),
    st.datetimes(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers() | st.text(max_size=2), max_size=2),
    st.builds(object),
    st.just(Money.of("1", "EUR")),
)
"""Values of the wrong type (or the right type with a wrong value) for any field or argument."""

"""People and the organisation: employees, org units, reporting lines.

Two hierarchies live side by side. *Reporting lines* (``Employee.manager_id``) say who manages
whom: they decide who reviews, calibrates and approves. *Unit membership* (``Employee.unit_id``
inside a tree of :class:`OrgUnit`) says where someone sits in the structure (division,
department, team): analytics and budgets group by it. The two need not agree: a manager may sit in
another unit than the people they manage (matrix organisations, shared services).

An :class:`Organisation` is checked once, at construction, and then answers the questions a team
page and an analyst ask (direct reports, the reporting tree, the chain of command, span of control,
unit members) from indexes built once, so each query costs about the size of its answer even for
100,000 people.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from . import _validation as v
from ._errors import HierarchyLoopError, NotFoundError, UnknownReferenceError, ValidationError
from ._frozen import FrozenMap, frozen_map
from .money import Money, SalaryBand

__all__ = ["Employee", "OrgUnit", "Organisation", "Subordinate"]


_id = operator.attrgetter("id")


def _attributes(value: Any) -> Any:
    """attrs converter for ``attributes``: a mapping becomes a FrozenMap, errors name the field."""
    try:
        return frozen_map(value)
    except ValidationError as err:
        raise err.at("attributes") from None


def _check_date(name: str, value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(name, value, "is not a date")
    return value


def _check_id(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(name, value, "is not a string id")
    return value


@attrs.frozen(kw_only=True)
class Employee:
    """A person in the organisation, as the HRIS knows them.

    ``manager_id`` is the reporting line (``None`` at the top of a tree), ``unit_id`` the org unit
    the person belongs to. ``end_date`` is the last day of employment (inclusive), ``None`` while
    employed. ``base_pay`` is annual base salary (not negative); ``band`` the salary range of the
    job, in the same currency. ``attributes`` holds free ``str → str`` facts analytics group by
    (location, gender, employment type).
    """

    id: str = attrs.field(validator=v.identifier)
    name: str = attrs.field(validator=v.non_empty_text)
    manager_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    unit_id: str = attrs.field(validator=v.identifier)
    hire_date: date = attrs.field(validator=v.a_date)
    end_date: date | None = attrs.field(default=None, validator=v.optional(v.a_date))
    job_level: str = attrs.field(validator=v.non_empty_text)
    base_pay: Money = attrs.field(validator=v.instance_of(Money))
    band: SalaryBand | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(SalaryBand))
    )
    attributes: FrozenMap = attrs.field(
        factory=FrozenMap, converter=_attributes, validator=v.instance_of(FrozenMap)
    )

    def __attrs_post_init__(self) -> None:
        if self.manager_id == self.id:
            raise HierarchyLoopError("manager_id", (self.id, self.id), "reporting line")
        v.ordered("hire_date", "end_date")(self)
        if self.base_pay.amount < 0:
            raise ValidationError("base_pay.amount", self.base_pay.amount, "is negative")
        if self.band is not None and self.band.currency != self.base_pay.currency:
            raise ValidationError(
                "band.currency",
                self.band.currency,
                f"differs from base_pay's {self.base_pay.currency}",
            )

    @property
    def compa_ratio(self) -> Decimal | None:
        """Compa-ratio: base pay over the band midpoint (1.00 = at the midpoint); ``None`` without
        a band."""
        return None if self.band is None else self.band.compa_ratio(self.base_pay)

    def is_active(self, on: date) -> bool:
        """Employed on day ``on``: hired on or before it, and not gone before it."""
        day = _check_date("on", on)
        return self.hire_date <= day and (self.end_date is None or day <= self.end_date)

    def tenure_days(self, on: date) -> int:
        """Days of service from the hire date to ``on`` (stops at ``end_date``; 0 before hire)."""
        day = _check_date("on", on)
        if self.end_date is not None and self.end_date < day:
            day = self.end_date
        return max(0, (day - self.hire_date).days)


@attrs.frozen(kw_only=True)
class OrgUnit:
    """A node of the organisation structure (company, division, department, team).

    ``parent_id`` is ``None`` for a root unit; ``head_id`` optionally names the employee who
    leads it.
    """

    id: str = attrs.field(validator=v.identifier)
    name: str = attrs.field(validator=v.non_empty_text)
    parent_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    head_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))

    def __attrs_post_init__(self) -> None:
        if self.parent_id == self.id:
            raise HierarchyLoopError("parent_id", (self.id, self.id), "unit hierarchy")


def _depth_at_least_one(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(attribute.name, value, "is not an integer")
    if value < 1:
        raise ValidationError(attribute.name, value, "is not at least 1")


@attrs.frozen(kw_only=True)
class Subordinate:
    """Someone in a manager's reporting tree: ``depth`` 1 is a direct report, 2 a skip-level."""

    employee: Employee = attrs.field(validator=v.instance_of(Employee))
    depth: int = attrs.field(validator=_depth_at_least_one)


def _each_instance_of(kind: type) -> v.Validator:
    """Like ``v.each(v.instance_of(kind))``, without its per-item cost (100,000 employees)."""
    check_one = v.instance_of(kind)

    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            raise ValidationError(attribute.name, value, "is not a tuple")
        for i, item in enumerate(value):
            if type(item) is not kind:
                check_one(inst, attribute.evolve(name=f"{attribute.name}[{i}]"), item)

    return check


def _by_id(items: tuple[Any, ...]) -> dict[str, Any]:
    return {item.id: item for item in items}


def _grouped(items: tuple[Any, ...], key: str) -> dict[str, tuple[Any, ...]]:
    """Group items by the id in attribute ``key``, each group sorted by id."""
    groups: dict[str, list[Any]] = {}
    for item in items:
        k = getattr(item, key)
        if k is not None:
            groups.setdefault(k, []).append(item)
    return {k: tuple(sorted(g, key=_id)) for k, g in groups.items()}


def _first_loop(parent: Mapping[str, str | None]) -> tuple[str, ...] | None:
    """The loop holding the smallest id among all loops of a parent map, or ``None``.

    Each node has at most one parent, so the loops are disjoint and each node is walked once
    (iteratively: a 10,000-deep chain is fine). The loop is given from its smallest id, following
    parent links, with that id repeated at the end: ``a -> b -> c -> a``.
    """
    done: set[str] = set()
    best: list[str] | None = None
    for start in parent:
        if start in done:
            continue
        path: list[str] = []
        on_path: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = parent.get(node)
        if node is not None and node in on_path:
            loop = path[on_path[node] :]
            if best is None or min(loop) < min(best):
                best = loop
        done.update(path)
    if best is None:
        return None
    at = best.index(min(best))
    rotated = best[at:] + best[:at]
    return (*rotated, rotated[0])


@attrs.frozen(kw_only=True)
class Organisation:
    """A checked snapshot of the organisation: its units and its employees.

    Construction refuses repeated ids, references to units or employees that are not there, and
    loops in the reporting lines or the unit hierarchy, naming the bad item
    (``employees[4].manager_id: 'e99' is not an employee``). Problems are looked for in this
    order: unit parents, employees' managers and units, unit heads, unit loops, reporting loops.

    ``units`` and ``employees`` keep the order given; every query answers in id order (or in a
    documented order where order means something), whatever that input order was. The lookup
    indexes are built once, on first use, and are not part of equality, hashing or the JSON.
    """

    units: tuple[OrgUnit, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[_each_instance_of(OrgUnit), v.unique_ids(_id, "unit")],
    )
    employees: tuple[Employee, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[_each_instance_of(Employee), v.unique_ids(_id, "employee")],
    )

    def __attrs_post_init__(self) -> None:
        for problem in self._problems():
            raise problem

    def _problems(self) -> Iterator[ValidationError]:
        units, people = self._unit_by_id, self._employee_by_id
        for i, u in enumerate(self.units):
            if u.parent_id is not None and u.parent_id not in units:
                yield UnknownReferenceError(f"units[{i}].parent_id", u.parent_id, "is not a unit")
        for i, e in enumerate(self.employees):
            if e.manager_id is not None and e.manager_id not in people:
                yield UnknownReferenceError(
                    f"employees[{i}].manager_id", e.manager_id, "is not an employee"
                )
            if e.unit_id not in units:
                yield UnknownReferenceError(f"employees[{i}].unit_id", e.unit_id, "is not a unit")
        for i, u in enumerate(self.units):
            if u.head_id is not None and u.head_id not in people:
                yield UnknownReferenceError(f"units[{i}].head_id", u.head_id, "is not an employee")
        loop = _first_loop({u.id: u.parent_id for u in self.units})
        if loop is not None:
            at = next(i for i, u in enumerate(self.units) if u.id == loop[0])
            yield HierarchyLoopError(f"units[{at}].parent_id", loop, "unit hierarchy")
        loop = _first_loop({e.id: e.manager_id for e in self.employees})
        if loop is not None:
            at = next(i for i, e in enumerate(self.employees) if e.id == loop[0])
            yield HierarchyLoopError(f"employees[{at}].manager_id", loop, "reporting line")

    # --- indexes (built once, on first use; slots, so not in eq, hash or JSON) -------------

    @functools.cached_property
    def _employee_by_id(self) -> dict[str, Employee]:
        return _by_id(self.employees)

    @functools.cached_property
    def _unit_by_id(self) -> dict[str, OrgUnit]:
        return _by_id(self.units)

    @functools.cached_property
    def _reports(self) -> dict[str, tuple[Employee, ...]]:
        return _grouped(self.employees, "manager_id")

    @functools.cached_property
    def _members(self) -> dict[str, tuple[Employee, ...]]:
        return _grouped(self.employees, "unit_id")

    @functools.cached_property
    def _children(self) -> dict[str, tuple[OrgUnit, ...]]:
        return _grouped(self.units, "parent_id")

    @functools.cached_property
    def _roots(self) -> tuple[Employee, ...]:
        return tuple(sorted((e for e in self.employees if e.manager_id is None), key=_id))

    @functools.cached_property
    def _tree_positions(self) -> dict[str, tuple[int, int, int]]:
        """``id → (depth, first, last)``: a pre-order walk of the reporting forest.

        ``a`` manages ``b`` exactly when ``b``'s ``first`` falls in ``(first, last]`` of ``a``.
        """
        positions: dict[str, tuple[int, int, int]] = {}
        counter = 0
        stack: list[tuple[Employee, int, bool]] = [(r, 0, False) for r in reversed(self._roots)]
        while stack:
            person, depth, leaving = stack.pop()
            if leaving:
                d, first, _ = positions[person.id]
                positions[person.id] = (d, first, counter - 1)
                continue
            positions[person.id] = (depth, counter, counter)
            counter += 1
            stack.append((person, depth, True))
            stack.extend((r, depth + 1, False) for r in reversed(self._reports.get(person.id, ())))
        return positions

    # --- queries ----------------------------------------------------------------------------

    def employee(self, employee_id: str) -> Employee:
        """The employee with this id (:class:`~perfkit.NotFoundError` if there is none)."""
        key = _check_id("employee_id", employee_id)
        found = self._employee_by_id.get(key)
        if found is None:
            raise NotFoundError("employee", key)
        return found

    def unit(self, unit_id: str) -> OrgUnit:
        """The org unit with this id (:class:`~perfkit.NotFoundError` if there is none)."""
        key = _check_id("unit_id", unit_id)
        found = self._unit_by_id.get(key)
        if found is None:
            raise NotFoundError("unit", key)
        return found

    def manager(self, employee_id: str) -> Employee | None:
        """The direct (line) manager, ``None`` at the top of a reporting tree."""
        person = self.employee(employee_id)
        return None if person.manager_id is None else self._employee_by_id[person.manager_id]

    def direct_reports(self, manager_id: str) -> tuple[Employee, ...]:
        """The people whose manager is ``manager_id``, by id: a manager's team."""
        return self._reports.get(self.employee(manager_id).id, ())

    def span_of_control(self, manager_id: str) -> int:
        """Span of control: how many direct reports a manager has."""
        return len(self.direct_reports(manager_id))

    def is_manager(self, employee_id: str) -> bool:
        """Whether anyone reports directly to this employee."""
        return bool(self.direct_reports(employee_id))

    def reporting_tree(self, manager_id: str) -> tuple[Subordinate, ...]:
        """Everyone below a manager, skip levels included, with their depth below them.

        Breadth-first: direct reports (depth 1) first, then their reports (depth 2), ...; by id
        within one depth.
        """
        level = self.direct_reports(manager_id)
        found: list[Subordinate] = []
        depth = 1
        while level:
            found.extend(Subordinate(employee=e, depth=depth) for e in level)
            below = [r for e in level for r in self._reports.get(e.id, ())]
            level = tuple(sorted(below, key=_id))
            depth += 1
        return tuple(found)

    def chain_of_command(self, employee_id: str) -> tuple[Employee, ...]:
        """The line managers above someone: the direct manager first, the top of the tree last."""
        person = self.employee(employee_id)
        chain: list[Employee] = []
        while person.manager_id is not None:
            person = self._employee_by_id[person.manager_id]
            chain.append(person)
        return tuple(chain)

    def depth(self, employee_id: str) -> int:
        """Level in the reporting tree: 0 for the top (no manager), 1 for their reports, ..."""
        return self._tree_positions[self.employee(employee_id).id][0]

    def manages(self, manager_id: str, employee_id: str) -> bool:
        """Whether ``manager_id`` is anywhere above ``employee_id`` in the reporting lines.

        Nobody manages themselves.
        """
        _, first, last = self._tree_positions[self.employee(manager_id).id]
        _, position, _ = self._tree_positions[self.employee(employee_id).id]
        return first < position <= last

    def roots(self) -> tuple[Employee, ...]:
        """The people with no manager (the top of each reporting tree), by id."""
        return self._roots

    def subunits(self, unit_id: str) -> tuple[OrgUnit, ...]:
        """Every unit below this one, all levels, by id (the unit itself excluded)."""
        return tuple(sorted(self._below(self.unit(unit_id)), key=_id))

    def _below(self, unit: OrgUnit) -> Iterator[OrgUnit]:
        stack = list(self._children.get(unit.id, ()))
        while stack:
            u = stack.pop()
            yield u
            stack.extend(self._children.get(u.id, ()))

    def unit_path(self, unit_id: str) -> tuple[OrgUnit, ...]:
        """The units from the root down to this one, itself included (a breadcrumb)."""
        unit = self.unit(unit_id)
        path = [unit]
        while unit.parent_id is not None:
            unit = self._unit_by_id[unit.parent_id]
            path.append(unit)
        return tuple(reversed(path))

    def unit_members(self, unit_id: str, include_subunits: bool = True) -> tuple[Employee, ...]:
        """The employees who belong to a unit, by id; with ``include_subunits`` (the default)
        also those of every unit below it: a unit's headcount."""
        if not isinstance(include_subunits, bool):
            raise ValidationError("include_subunits", include_subunits, "is not true or false")
        unit = self.unit(unit_id)
        if not include_subunits:
            return self._members.get(unit.id, ())
        found = list(self._members.get(unit.id, ()))
        for u in self._below(unit):
            found.extend(self._members.get(u.id, ()))
        return tuple(sorted(found, key=_id))

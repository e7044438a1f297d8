"""Policy what-if: run one cycle under two or more policies and compare the outcomes.

Before changing its performance policy (new component weights, a forced distribution, another
merit matrix) an HR team asks what the change would do: who would be rated differently, how the
rating distribution would shift, what rewards would cost, and whether the change would widen a
rating gap between groups (adverse impact, the four-fifths rule). :func:`compare_policies` runs
:func:`~perfkit.run.run_cycle` on the same data under each policy and returns a
:class:`PolicyComparison` with:

* per person: the score and the final (calibrated) rating under each policy and the change from
  the baseline, with the merit increase and bonus (:class:`PersonComparison`);
* per policy (:class:`PolicyOutcome`): the count of final ratings per scale point and its shift
  from the baseline, how many people moved up or down, the reward cost — merit + bonus +
  recognition awards — per org unit and in total, and the fairness report of
  :func:`perfkit.analytics.adverse_impact`;
* the full :class:`~perfkit.run.CycleResult` of each run, so every number can be explained
  (:meth:`PolicyComparison.why`).

Policies are compared in the order given; the first is the **baseline** every change is measured
from. Everything is deterministic: the same data, policies and ``at`` give an equal comparison
and byte-identical JSON.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation
from typing import Any

import attrs

from . import _validation as v
from ._errors import NotFoundError, ValidationError
from .analytics import AdverseImpactReport, adverse_impact, groups_by_attribute
from .dataset import CycleData
from .explain import EmployeeExplanation, explain_employee
from .money import Money
from .run import CyclePolicy, CycleResult, EmployeeResult, run_cycle
from .scales import Scale, ScaleRef
from .scoring import RatingCutoffs, cutoffs_for

__all__ = [
    "PersonComparison",
    "PersonOutcome",
    "PolicyComparison",
    "PolicyOutcome",
    "RatingShift",
    "RewardCost",
    "UnitCost",
    "compare",
    "compare_policies",
]


def _g(x: float) -> str:
    return f"{x:g}"


def _signed(n: float) -> str:
    """``+1``, ``-2``, ``0``: a change as people write it."""
    return "0" if n == 0 else f"{n:+g}"


def _shown(m: Money) -> str:
    return str(m.quantize())


def _signed_money(m: Money) -> str:
    shown = m.quantize()
    return f"+{shown}" if shown.amount > 0 else str(shown)


def _optional_money(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Money):
        raise v.fail(attribute, value, "is not Money")


def _money(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money):
        raise v.fail(attribute, value, "is not Money")


# --- per person ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PersonOutcome:
    """One person's outcome under one policy: the ``score``, the rating the cut-offs gave
    (``rating_before``), the final calibrated ``rating`` and its ``change`` from the baseline's
    final rating, and the merit increase and bonus paid (``None``: none), in their currency."""

    policy: str = attrs.field(validator=v.identifier)
    score: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    rating_before: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    rating: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    change: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    merit: Money | None = attrs.field(default=None, validator=_optional_money)
    bonus: Money | None = attrs.field(default=None, validator=_optional_money)


@attrs.frozen(kw_only=True)
class PersonComparison:
    """One person under every policy compared (``outcomes`` in the policies' order, the
    baseline first); ``group`` is their value of the attribute the fairness figures group by."""

    employee_id: str = attrs.field(validator=v.identifier)
    unit_id: str = attrs.field(validator=v.identifier)
    group: str | None = attrs.field(default=None, validator=v.optional(v.text))
    outcomes: tuple[PersonOutcome, ...] = attrs.field(
        converter=v.tuple_of,
        validator=[
            v.each(v.instance_of(PersonOutcome)),
            v.unique_ids(lambda o: o.policy, "policy"),
        ],
    )

    def __attrs_post_init__(self) -> None:
        if not self.outcomes:
            raise ValidationError("outcomes", (), "is empty; give one outcome per policy")
        base = self.outcomes[0].rating
        for i, o in enumerate(self.outcomes):
            if o.change != o.rating - base:
                raise ValidationError(
                    f"outcomes[{i}].change",
                    o.change,
                    f"is not the rating {_g(o.rating)} minus the baseline's {_g(base)}",
                )

    @property
    def changed(self) -> bool:
        """Whether any policy gives a final rating other than the baseline's."""
        return any(o.change != 0 for o in self.outcomes)

    def outcome(self, policy: str) -> PersonOutcome:
        """The outcome under one policy (:class:`~perfkit.NotFoundError` if not compared)."""
        for o in self.outcomes:
            if o.policy == policy:
                return o
        raise NotFoundError("policy", str(policy))

    def sentence(self) -> str:
        """``ann: rating 4 under current, 3 under proposed (-1)``."""
        parts = []
        for i, o in enumerate(self.outcomes):
            text = f"{_g(o.rating)} under {o.policy}"
            if i:
                text += f" ({_signed(o.change)})"
            parts.append(text)
        return f"{self.employee_id}: rating " + ", ".join(parts)


# --- per policy ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RatingShift:
    """One point of the rating scale under one policy: how many people end on it (final
    ratings), their share, and the ``change`` in count from the baseline."""

    value: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    count: int = attrs.field(validator=v.count)
    share: float = attrs.field(converter=v.as_float, validator=v.between(0, 1))
    change: int = attrs.field(validator=v.instance_of(int))


@attrs.frozen(kw_only=True)
class RewardCost:
    """Reward cost in one currency: merit increases, bonuses and recognition awards and their
    ``total``. Amounts converted to a policy's base currency are not rounded to the minor unit
    (only to Money's 12 decimals), so totals are exact. As a change from the baseline, amounts
    may be negative."""

    currency: str = attrs.field(validator=v.non_empty_text)
    merit: Money = attrs.field(validator=_money)
    bonus: Money = attrs.field(validator=_money)
    awards: Money = attrs.field(validator=_money)
    total: Money = attrs.field(validator=_money)

    def __attrs_post_init__(self) -> None:
        for name in ("merit", "bonus", "awards", "total"):
            found = getattr(self, name).currency
            if found != self.currency:
                raise ValidationError(f"{name}.currency", found, f"is not {self.currency}")
        expected = self.merit + self.bonus + self.awards
        if self.total != expected:
            raise ValidationError(
                "total", str(self.total), f"is not merit + bonus + awards ({expected})"
            )

    @classmethod
    def zero(cls, currency: str) -> RewardCost:
        nil = Money.zero(currency)
        return cls(currency=currency, merit=nil, bonus=nil, awards=nil, total=nil)

    def __add__(self, other: RewardCost) -> RewardCost:
        return _cost(
            self.currency,
            self.merit + other.merit,
            self.bonus + other.bonus,
            self.awards + other.awards,
        )

    def __sub__(self, other: RewardCost) -> RewardCost:
        return _cost(
            self.currency,
            self.merit - other.merit,
            self.bonus - other.bonus,
            self.awards - other.awards,
        )

    def sentence(self, budget: Money | None = None) -> str:
        """``34,567.89 EUR (merit 12,000.00 EUR, bonus 22,317.89 EUR, awards 250.00 EUR)``;
        with a merit ``budget`` in this currency, ``merit 12,000.00 EUR of 12,500.00 EUR``."""
        merit = _shown(self.merit)
        if budget is not None and budget.currency == self.currency:
            merit += f" of {_shown(budget)}"
        return (
            f"{_shown(self.total)} (merit {merit}, bonus {_shown(self.bonus)}, "
            f"awards {_shown(self.awards)})"
        )


def _cost(currency: str, merit: Money, bonus: Money, awards: Money) -> RewardCost:
    return RewardCost(
        currency=currency, merit=merit, bonus=bonus, awards=awards, total=merit + bonus + awards
    )


@attrs.frozen(kw_only=True)
class UnitCost:
    """The reward cost of the people rated in one org unit (their own unit, not the units
    below it), one :class:`RewardCost` per currency (by currency code), and its ``change`` from
    the baseline in each currency either side has."""

    unit_id: str = attrs.field(validator=v.identifier)
    headcount: int = attrs.field(validator=v.count)
    costs: tuple[RewardCost, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(RewardCost))
    )
    changes: tuple[RewardCost, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(RewardCost))
    )


@attrs.frozen(kw_only=True)
class PolicyOutcome:
    """What one policy gives on the cycle.

    ``result`` is the whole run; ``cutoffs`` the rating cut-offs it used. ``distribution``
    counts the final ratings per scale point (lowest first) with the shift from the baseline;
    ``up``/``down``/``same`` count the people whose final rating is above, below or equal to
    their baseline rating. ``base_currency`` is the policy's rate-table base when it has one:
    costs are then converted into it (one :class:`RewardCost` per unit and in ``total``);
    without rates costs stay per currency. ``total_change`` is ``total`` minus the baseline's,
    per currency. ``budget`` is the sum of the policy's merit budget pools (``None``: no pools;
    ``result.merit.pools`` has the spend per pool). ``fairness`` is the adverse-impact report
    of the final ratings when the comparison groups people.
    """

    name: str = attrs.field(validator=v.identifier)
    result: CycleResult = attrs.field(validator=v.instance_of(CycleResult))
    cutoffs: RatingCutoffs = attrs.field(validator=v.instance_of(RatingCutoffs))
    distribution: tuple[RatingShift, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(RatingShift))
    )
    up: int = attrs.field(validator=v.count)
    down: int = attrs.field(validator=v.count)
    same: int = attrs.field(validator=v.count)
    base_currency: str | None = attrs.field(default=None, validator=v.optional(v.non_empty_text))
    budget: Money | None = attrs.field(default=None, validator=_optional_money)
    units: tuple[UnitCost, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(UnitCost))
    )
    total: tuple[RewardCost, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(RewardCost))
    )
    total_change: tuple[RewardCost, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(RewardCost))
    )
    fairness: AdverseImpactReport | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(AdverseImpactReport))
    )

    @property
    def changed(self) -> int:
        """How many people end on another rating than under the baseline."""
        return self.up + self.down

    def count(self, value: float) -> int:
        """How many people end on rating ``value`` (0 if nobody)."""
        return next((s.count for s in self.distribution if s.value == value), 0)

    def unit(self, unit_id: str) -> UnitCost:
        """The cost of one org unit (:class:`~perfkit.NotFoundError` if nobody there is rated)."""
        for u in self.units:
            if u.unit_id == unit_id:
                return u
        raise NotFoundError("unit cost", str(unit_id))

    def cost(self, currency: str | None = None) -> RewardCost:
        """The total cost in ``currency`` (default: the base currency, or the only currency)."""
        want = currency or self.base_currency
        if want is None:
            if len(self.total) != 1:
                listed = ", ".join(c.currency for c in self.total) or "none"
                raise ValidationError(
                    "currency", None, f"is required: costs are in several currencies ({listed})"
                )
            return self.total[0]
        for c in self.total:
            if c.currency == want:
                return c
        return RewardCost.zero(want)

    def sentences(self, baseline: str | None = None) -> tuple[str, ...]:
        """The policy's figures in words (``baseline``: the name of the policy compared with,
        ``None`` when this is the baseline)."""
        people = self.up + self.down + self.same
        points = "; ".join(
            f"{_g(s.value)}: {s.count}" + ("" if baseline is None else f" ({_signed(s.change)})")
            for s in self.distribution
        )
        if baseline is None:
            head = f"{self.name} (baseline): {people} people rated; final ratings {points}"
        else:
            head = (
                f"{self.name}: {self.changed} of {people} people rated differently from "
                f"{baseline} ({self.up} up, {self.down} down); final ratings {points}"
            )
        out = [head]
        changes = {c.currency: c for c in self.total_change}
        for c in self.total:
            text = f"{self.name}: reward cost {c.sentence(self.budget)}"
            if baseline is not None and c.currency in changes:
                text += f", {_signed_money(changes[c.currency].total)} against {baseline}"
            out.append(text)
        if self.fairness is not None:
            out.extend(f"{self.name}: {s}" for s in self.fairness.sentences())
        return tuple(out)


# --- the comparison -----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PolicyComparison:
    """Two or more policies run on the same cycle data: ``policies`` in the order given (the
    first is the baseline), ``people`` by employee id. ``group_by`` and ``threshold`` are the
    fairness settings (the employee attribute grouped by, and the rating at or above which a
    person counts as selected)."""

    cycle_id: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    group_by: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    threshold: float | None = attrs.field(
        default=None, converter=v.as_float, validator=v.optional(v.finite_float)
    )
    policies: tuple[PolicyOutcome, ...] = attrs.field(
        converter=v.tuple_of,
        validator=[v.each(v.instance_of(PolicyOutcome)), v.unique_ids(lambda p: p.name, "policy")],
    )
    people: tuple[PersonComparison, ...] = attrs.field(
        default=(),
        converter=v.tuple_of,
        validator=[
            v.each(v.instance_of(PersonComparison)),
            v.unique_ids(lambda p: p.employee_id, "employee"),
        ],
    )

    @property
    def names(self) -> tuple[str, ...]:
        """The policies' names, in the order compared."""
        return tuple(p.name for p in self.policies)

    @property
    def baseline(self) -> PolicyOutcome:
        """The first policy: every change is measured from it."""
        return self.policies[0]

    def policy(self, name: str) -> PolicyOutcome:
        """One policy's figures (:class:`~perfkit.NotFoundError` if it was not compared)."""
        for p in self.policies:
            if p.name == name:
                return p
        raise NotFoundError("policy", str(name))

    def person(self, employee_id: str) -> PersonComparison:
        """One person under every policy (:class:`~perfkit.NotFoundError` if not rated)."""
        for p in self.people:
            if p.employee_id == employee_id:
                return p
        raise NotFoundError("employee", str(employee_id))

    def changes(self, policy: str | None = None) -> tuple[PersonComparison, ...]:
        """The people whose final rating under ``policy`` (any policy when ``None``) differs
        from the baseline's, by employee id."""
        if policy is None:
            return tuple(p for p in self.people if p.changed)
        self.policy(policy)
        return tuple(p for p in self.people if p.outcome(policy).change != 0)

    def why(self, employee_id: str, policy: str) -> EmployeeExplanation:
        """The explanation of one person's outcome under one policy
        (:func:`perfkit.explain.explain_employee`)."""
        found = self.policy(policy)
        return explain_employee(found.result, employee_id, cutoffs=found.cutoffs)

    def sentences(self) -> tuple[str, ...]:
        """The comparison in words: each policy's figures, then each person who moved."""
        base = self.baseline.name
        out: list[str] = []
        for i, p in enumerate(self.policies):
            out.extend(p.sentences(None if i == 0 else base))
        out.extend(p.sentence() for p in self.changes())
        return tuple(out)

    def explain(self) -> str:
        """:meth:`sentences`, one a line."""
        return "\n".join(self.sentences())


# --- computing it -------------------------------------------------------------------------


def _check_policies(policies: object) -> list[tuple[str, CyclePolicy]]:
    if not isinstance(policies, Mapping):
        raise ValidationError(
            "policies", policies, "is not a mapping of policy name to CyclePolicy"
        )
    items = list(policies.items())
    if len(items) < 2:
        raise ValidationError(
            "policies", sorted(map(str, policies)), "are fewer than two; compare two or more"
        )
    for name, policy in items:
        if not isinstance(name, str) or not v.is_id(name):
            raise ValidationError(
                "policies", name, "is not a policy name (1-200 characters, no control characters)"
            )
        if not isinstance(policy, CyclePolicy):
            raise ValidationError(f"policies[{name!r}]", policy, "is not a CyclePolicy")
    first_name, first = items[0]
    for name, policy in items[1:]:
        if policy.rating_scale != first.rating_scale:
            raise ValidationError(
                f"policies[{name!r}].rating_scale",
                str(policy.rating_scale),
                f"is not the rating scale of {first_name!r} ({first.rating_scale}); ratings on "
                "different scales cannot be compared",
            )
    return items


def _check_fairness(
    group_by: object, threshold: object, min_group_size: object, confidence: object
) -> None:
    """Refuse bad fairness settings before any run (adverse_impact's own checks, on nobody)."""
    if group_by is None:
        if threshold is not None:
            raise ValidationError("group_by", None, "is required with a threshold")
        return
    if not isinstance(group_by, str) or not v.is_id(group_by):
        raise ValidationError("group_by", group_by, "is not an employee attribute name")
    if threshold is None:
        raise ValidationError(
            "threshold", None, "is required with group_by (the rating that counts as selected)"
        )
    adverse_impact(
        {},
        {},
        threshold=threshold,  # type: ignore[arg-type]
        min_group_size=min_group_size,  # type: ignore[arg-type]
        confidence=confidence,  # type: ignore[arg-type]
    )


def _in_policy(err: ValidationError, name: str) -> ValidationError:
    """A run's error about its policy (``policy.merit.scale``, ``cutoffs``), placed under the
    policy's name: ``policies['proposed'].merit.scale``. Other errors are left as they are."""
    if err.path == "policy" or err.path.startswith("policy."):
        moved = copy.copy(err)
        moved.path = err.path[len("policy.") :]
        return moved.at(f"policies[{name!r}]")
    if err.path == "cutoffs" or err.path.startswith("cutoffs."):
        return err.at(f"policies[{name!r}]")
    return err


def _groups(data: CycleData, rated: list[str], attribute: str) -> dict[str, str]:
    """Each employee's value of the attribute (people without it are left out)."""
    found = groups_by_attribute(data.organisation, attribute)
    if not any(pid in found for pid in rated):
        known = sorted({k for e in data.organisation.employees for k in e.attributes})
        raise ValidationError(
            "group_by",
            attribute,
            f"is not an attribute of anyone rated (attributes: {', '.join(known) or 'none'})",
        )
    return found


_KINDS = ("merit", "bonus", "awards")
_SUMS = Context(prec=80, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation])
"""Sums of amounts (at most 18 digits and 12 decimals each) are exact in 80 digits; a sum that
were not would trap rather than round."""


def _person_amounts(
    e: EmployeeResult, policy: CyclePolicy, name: str
) -> list[tuple[str, int, Decimal]]:
    """The person's merit, bonus and awards as ``(currency, kind index, amount)``, converted to
    the base currency when the policy has rates."""
    amounts: list[tuple[int, Money]] = []
    if e.merit is not None:
        amounts.append((0, e.merit.final_increase))
    if e.bonus is not None:
        amounts.append((1, e.bonus.amount))
    amounts.extend((2, a.amount) for a in e.awards)
    out = []
    for kind, money in amounts:
        if policy.rates is not None:
            try:
                money = policy.rates.to_base(money)
            except ValidationError as err:
                raise ValidationError(
                    f"policies[{name!r}].rates",
                    money.currency,
                    f"has no rate for {e.employee_id!r}'s {_KINDS[kind]} ({err.reason})",
                ) from None
        out.append((money.currency, kind, money.amount))
    return out


def _as_costs(sums: Mapping[str, list[Decimal]]) -> tuple[RewardCost, ...]:
    """Per-currency sums ``[merit, bonus, awards]`` as reward costs, by currency code."""
    out = []
    for currency in sorted(sums):
        merit, bonus, awards = (Money(amount=x, currency=currency) for x in sums[currency])
        out.append(_cost(currency, merit, bonus, awards))
    return tuple(out)


def _minus(these: tuple[RewardCost, ...], those: tuple[RewardCost, ...]) -> tuple[RewardCost, ...]:
    """``these − those`` per currency (a currency on one side only counts 0 on the other)."""
    mine = {c.currency: c for c in these}
    theirs = {c.currency: c for c in those}
    out = []
    for currency in sorted(set(mine) | set(theirs)):
        nil = RewardCost.zero(currency)
        out.append(mine.get(currency, nil) - theirs.get(currency, nil))
    return tuple(out)


_Costs = tuple[dict[str, tuple[RewardCost, ...]], dict[str, int], tuple[RewardCost, ...]]
"""Reward costs per org unit (by unit id), headcount per unit, and the total."""


def _costs(result: CycleResult, policy: CyclePolicy, name: str) -> _Costs:
    """The reward cost per org unit (by unit id), the headcount per unit and the total."""
    by_unit: dict[str, dict[str, list[Decimal]]] = {}
    heads: dict[str, int] = {}
    total: dict[str, list[Decimal]] = {}
    zero = Decimal(0)
    for e in result.employees:
        heads[e.unit_id] = heads.get(e.unit_id, 0) + 1
        unit = by_unit.setdefault(e.unit_id, {})
        for currency, kind, amount in _person_amounts(e, policy, name):
            for sums in (unit, total):
                row = sums.setdefault(currency, [zero, zero, zero])
                row[kind] = _SUMS.add(row[kind], amount)
    return {u: _as_costs(by_unit[u]) for u in sorted(by_unit)}, heads, _as_costs(total)


def _budget(policy: CyclePolicy) -> Money | None:
    """The sum of the policy's merit budget pools (all in the rate table's base currency)."""
    if not policy.pools:
        return None
    total = policy.pools[0].amount
    for pool in policy.pools[1:]:
        total = total + pool.amount
    return total


@attrs.frozen
class _Baseline:
    """What every policy is compared with: the baseline's final ratings, their counts per scale
    point and its costs."""

    final: dict[str, float]
    counts: dict[float, int]
    total: tuple[RewardCost, ...]
    units: dict[str, tuple[RewardCost, ...]]


def _policy_outcome(
    name: str,
    policy: CyclePolicy,
    result: CycleResult,
    costs: _Costs,
    scale: Scale,
    points: list[float],
    base: _Baseline,
    rated: list[str],
    fairness: AdverseImpactReport | None,
) -> PolicyOutcome:
    """One policy's figures against the baseline."""
    final = {e.employee_id: e.rating_after.value for e in result.employees}
    counts = _counts(final.values())
    size = len(final)
    distribution = tuple(
        RatingShift(
            value=p,
            count=counts.get(p, 0),
            share=counts.get(p, 0) / size if size else 0.0,
            change=counts.get(p, 0) - base.counts.get(p, 0),
        )
        for p in points
    )
    deltas = [final[pid] - base.final[pid] for pid in rated]
    unit_costs, heads, total = costs
    units = tuple(
        UnitCost(
            unit_id=u,
            headcount=heads[u],
            costs=unit_costs[u],
            changes=_minus(unit_costs[u], base.units.get(u, ())),
        )
        for u in sorted(unit_costs)
    )
    return PolicyOutcome(
        name=name,
        result=result,
        cutoffs=policy.cutoffs or cutoffs_for(scale),
        distribution=distribution,
        up=sum(d > 0 for d in deltas),
        down=sum(d < 0 for d in deltas),
        same=sum(d == 0 for d in deltas),
        base_currency=None if policy.rates is None else policy.rates.base,
        budget=_budget(policy),
        units=units,
        total=total,
        total_change=_minus(total, base.total),
        fairness=fairness,
    )


def compare_policies(
    data: CycleData,
    policies: Mapping[str, CyclePolicy],
    *,
    at: datetime,
    group_by: str | None = None,
    threshold: float | None = None,
    min_group_size: int = 5,
    confidence: float = 0.95,
    calibrator: str = "perfkit",
    potentials: Mapping[str, float] | None = None,
) -> PolicyComparison:
    """Run the cycle under each of ``policies`` (name → :class:`~perfkit.run.CyclePolicy`) and
    compare: per-person rating changes, the distribution shift, the reward cost per org unit and
    in total, and — with ``group_by`` (an employee attribute such as ``"gender"``) and
    ``threshold`` (the final rating at or above which a person counts as selected) — the
    adverse-impact report of each policy (:func:`perfkit.analytics.adverse_impact`, with
    ``min_group_size`` and ``confidence``; people without the attribute are left out of it and
    counted as ``ungrouped``).

    Policies are compared in the order given (a mapping keeps its insertion order): the first
    is the baseline. They must rate on the same scale. ``at``, ``calibrator`` and
    ``potentials`` are passed to every run (:func:`~perfkit.run.run_cycle`); calibrators' own
    adjustments are not, since each names the rating it changes under one policy.
    """
    if not isinstance(data, CycleData):
        raise ValidationError("data", data, "is not a CycleData")
    items = _check_policies(policies)
    _check_fairness(group_by, threshold, min_group_size, confidence)
    if threshold is not None:
        low, high = data.scales.get(items[0][1].rating_scale).bounds
        if not low < float(threshold) <= high:
            raise ValidationError(
                "threshold",
                threshold,
                f"is not a rating above the scale's lowest ({low:g}) and at most its highest "
                f"({high:g}): nobody, or everybody, would count as selected",
            )
    runs: list[tuple[str, CyclePolicy, CycleResult]] = []
    for name, policy in items:
        try:
            result = run_cycle(data, policy, at=at, calibrator=calibrator, potentials=potentials)
        except ValidationError as err:
            raise _in_policy(err, name) from None
        runs.append((name, policy, result))
    base_result = runs[0][2]
    rated = [e.employee_id for e in base_result.employees]
    for name, _, result in runs[1:]:  # who is rated depends on the data only
        assert [e.employee_id for e in result.employees] == rated, name
    scale = data.scales.get(items[0][1].rating_scale)
    groups = None if group_by is None else _groups(data, rated, group_by)

    finals = [{e.employee_id: e for e in result.employees} for _, _, result in runs]
    base_final = {pid: e.rating_after.value for pid, e in finals[0].items()}
    values = scale.allowed_values()
    if values is None:  # a continuous scale: the values anyone ends on
        points = sorted({e.rating_after.value for f in finals for e in f.values()})
    else:
        points = list(values)

    costs = [_costs(result, policy, name) for name, policy, result in runs]
    base = _Baseline(
        final=base_final,
        counts=_counts(base_final.values()),
        total=costs[0][2],
        units=costs[0][0],
    )
    outcomes = []
    for (name, policy, result), cost in zip(runs, costs, strict=True):
        report = None
        if groups is not None:
            assert threshold is not None
            report = adverse_impact(
                {e.employee_id: e.rating_after.value for e in result.employees},
                groups,
                threshold=threshold,
                min_group_size=min_group_size,
                confidence=confidence,
            )
        outcomes.append(
            _policy_outcome(name, policy, result, cost, scale, points, base, rated, report)
        )

    people = []
    for pid in rated:
        rows = []
        for (name, _, _), f in zip(runs, finals, strict=True):
            e = f[pid]
            rows.append(
                PersonOutcome(
                    policy=name,
                    score=e.score.value,
                    rating_before=e.rating_before.value,
                    rating=e.rating_after.value,
                    change=e.rating_after.value - base_final[pid],
                    merit=None if e.merit is None else e.merit.final_increase,
                    bonus=None if e.bonus is None else e.bonus.amount,
                )
            )
        people.append(
            PersonComparison(
                employee_id=pid,
                unit_id=finals[0][pid].unit_id,
                group=None if groups is None else groups.get(pid),
                outcomes=rows,
            )
        )
    return PolicyComparison(
        cycle_id=data.cycle.id,
        at=at,
        scale=scale.ref,
        group_by=group_by,
        threshold=threshold,
        policies=outcomes,
        people=people,
    )


compare = compare_policies
"""The same as :func:`compare_policies` (``perfkit.whatif.compare``)."""


def _counts(values: Any) -> dict[float, int]:
    counts: dict[float, int] = {}
    for x in values:
        counts[x] = counts.get(x, 0) + 1
    return counts

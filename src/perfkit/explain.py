"""Explanations: why one employee got the outcome of a cycle, as data and as sentences.

HR has to be able to answer "why this rating, why this increase?" for every person, and an
auditor has to be able to check the answer. :func:`explain_employee` takes a
:class:`~perfkit.run.CycleResult` and builds an :class:`EmployeeExplanation`: one typed *part*
per step of the cycle — the score and the terms it is the sum of, the rating the cut-offs gave,
each calibration change (who, when, from, to, why), the 9-box cell and the scores that placed it,
reward eligibility, the merit increase (rate, base pay, proration, pool scaling, rounding), the
bonus (target, multipliers, cap), recognition awards and development plans.

Every part holds the numbers the result was computed from, so the result can be recomputed from
the explanation alone (the tests do exactly that), and every part says itself in a sentence
(``sentence()``); :meth:`EmployeeExplanation.text` and :func:`explain_text` join them into a
paragraph. Explanations are plain frozen values: they serialise with :func:`perfkit.dumps` and
compare equal when the outcomes do.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from datetime import date, datetime
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
)
from typing import Any, ClassVar

import attrs

from . import _validation as v
from ._errors import ValidationError
from ._serialization import register_union
from .development import PlanKind, PlanTrigger
from .money import Money, minor_unit
from .ninebox import NineBoxCell, NineBoxCutoffs, NineBoxLevel
from .run import CycleResult, EmployeeResult
from .scales import ScaleRef
from .scoring import Component, RatingCutoffs

__all__ = [
    "AwardPart",
    "BonusPart",
    "CalibrationPart",
    "EligibilityPart",
    "EmployeeExplanation",
    "ExplanationPart",
    "MeritPart",
    "NineBoxPart",
    "PlanPart",
    "RatingPart",
    "RoundingRule",
    "ScorePart",
    "explain_all",
    "explain_employee",
    "explain_text",
]

_CTX = Context(prec=28, rounding=ROUND_HALF_EVEN)
"""The context rewards compute in (28 significant digits, half-even)."""
_EXACT = Context(prec=200, rounding=ROUND_HALF_EVEN)
"""Wide enough that products of amounts and factors are exact."""
_ONE = Decimal(1)


# --- formatting ---------------------------------------------------------------------------


def _g(x: float) -> str:
    """A rating or cut-off as people write it: ``4``, ``3.5``."""
    return f"{x:g}"


def _shown(m: Money) -> str:
    """An amount for a sentence, rounded half-even to the minor unit (display only)."""
    return str(m.quantize())


def _short(x: Decimal) -> str:
    """A factor for a sentence: at most 4 decimals, no trailing zeros (``0.75``, ``1``)."""
    return format(x.quantize(Decimal("0.0001"), context=_CTX).normalize(_CTX), "f")


def _score_text(x: float, boundaries: Iterable[float]) -> str:
    """A score for a sentence with 6 significant digits, or in full when the short form would
    land on a cut-off the score is not on (3.4999999 is not shown as 3.5)."""
    text = f"{x:.6g}"
    if float(text) != x and float(text) in set(boundaries):
        return repr(x)
    return text


# --- validators -----------------------------------------------------------------------------


def _money(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money):
        raise v.fail(attribute, value, "is not Money")


def _fraction(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A Decimal from 0 to 1 (a proration, a pool's scaling factor)."""
    v.decimal(_inst, attribute, value)
    assert isinstance(value, Decimal)
    if not 0 <= value <= 1:
        raise v.fail(attribute, value, "is not between 0 and 1")


def _non_negative_decimal(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    v.decimal(_inst, attribute, value)
    assert isinstance(value, Decimal)
    if value < 0:
        raise v.fail(attribute, value, "is negative")


def _dec(value: Any) -> Any:
    """attrs converter: an int or a decimal string becomes a Decimal (never a float)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


def _same_currency(inst: Any, *names: str) -> None:
    want = inst.base_pay.currency
    for name in names:
        m: Money = getattr(inst, name)
        if m.currency != want:
            raise ValidationError(f"{name}.currency", m.currency, f"differs from base_pay's {want}")


def _share(pct: Decimal, proration: Decimal = Decimal(1)) -> Decimal:
    """``pct / 100 × proration`` as rewards computes it (28 significant digits, half-even)."""
    return _CTX.multiply(_CTX.divide(pct, Decimal(100)), proration)


def _equal(name: str, found: Money, expected: Money, how: str) -> None:
    if found != expected:
        raise ValidationError(name, str(found), f"is not {how} ({expected})")


# --- rounding -----------------------------------------------------------------------------


class RoundingRule(enum.StrEnum):
    """How an amount was rounded to its currency's minor unit.

    ``half_even``, ``half_up``, ``down`` and ``up`` are the plain rules (merit outside a binding
    pool and bonuses use the plan's rule, half-even by default); ``largest_remainder`` is the
    budget pool's reconciliation: rounded down, then one more minor unit from what rounding down
    left in the pool (:func:`perfkit.rewards.allocate`). ``other``: the amount does not follow
    from the numbers by any rule (it was set by hand).
    """

    HALF_EVEN = "half_even"
    HALF_UP = "half_up"
    DOWN = "down"
    UP = "up"
    LARGEST_REMAINDER = "largest_remainder"
    OTHER = "other"


_PLAIN = {
    RoundingRule.HALF_EVEN: ROUND_HALF_EVEN,
    RoundingRule.HALF_UP: ROUND_HALF_UP,
    RoundingRule.DOWN: ROUND_DOWN,
    RoundingRule.UP: ROUND_UP,
}
_SAID = {
    RoundingRule.HALF_EVEN: "rounded half-even",
    RoundingRule.HALF_UP: "rounded half-up",
    RoundingRule.DOWN: "rounded down",
    RoundingRule.UP: "rounded up",
    RoundingRule.LARGEST_REMAINDER: "rounded down, plus one minor unit from the pool's remainder,",
    RoundingRule.OTHER: "set",
}


def _unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def _apply_rounding(amount: Decimal, currency: str, rule: RoundingRule) -> Decimal | None:
    """``amount`` rounded to the minor unit by ``rule`` (``None`` for ``other``)."""
    unit = _unit(currency)
    if rule is RoundingRule.LARGEST_REMAINDER:
        return amount.quantize(unit, rounding=ROUND_DOWN, context=_EXACT) + unit
    mode = _PLAIN.get(rule)
    if mode is None:
        return None
    return amount.quantize(unit, rounding=mode, context=_EXACT)


def _rule_of(
    amount: Decimal, paid: Decimal, currency: str, rules: Iterable[RoundingRule]
) -> RoundingRule:
    """The first of ``rules`` that turns ``amount`` into ``paid`` (``other`` if none does)."""
    for rule in rules:
        if _apply_rounding(amount, currency, rule) == paid:
            return rule
    return RoundingRule.OTHER


def _rounding_said(rule: RoundingRule, last: Money, paid: Money) -> str:
    """The rounding step of a sentence, when the amount paid is not what the sentence last
    showed (amounts are shown rounded half-even)."""
    if paid.amount == last.quantize().amount:
        return ""
    return f", {_SAID[rule]} → {paid}"


# --- the parts ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ScorePart:
    """The score: ``value`` is the exact sum (``math.fsum``) of the top-level components'
    contributions, each ``weight × input`` (see :class:`~perfkit.scoring.Component`), on
    ``scale``, by the scoring ``policy``."""

    kind: ClassVar[str] = "score"

    value: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    policy: str = attrs.field(validator=v.identifier)
    components: tuple[Component, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(Component))
    )

    def __attrs_post_init__(self) -> None:
        if not self.components:
            raise ValidationError("components", (), "is empty; a score has a component")
        total = math.fsum(c.contribution for c in self.components)
        if self.value != total:
            raise ValidationError(
                "value", self.value, f"is not the sum of the components' contributions {total!r}"
            )

    def sentence(self) -> str:
        """``score 3.56 = goals 0.6 × 3.80 + competencies 0.4 × 3.20``."""
        return f"score {self.value:.2f} = " + " + ".join(c.term() for c in self.components)

    def lines(self) -> tuple[str, ...]:
        """The whole component tree, one component a line (weight × input = contribution)."""
        out: list[str] = []
        for c in self.components:
            out.extend(c.lines())
        return tuple(out)


def _band_of(cutoffs: RatingCutoffs, score: float) -> int:
    starts = [low for low, _ in cutoffs.cutoffs]
    at = 0
    for i, low in enumerate(starts):
        if score >= low:
            at = i
    return at


@attrs.frozen(kw_only=True)
class RatingPart:
    """The rating the cut-offs gave the score, before calibration.

    ``cutoffs`` are the policy's cut-offs when the explanation was given them (``None``: not
    known, and the sentence cannot say which band the score fell in).
    """

    kind: ClassVar[str] = "rating"

    score: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    value: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    cutoffs: RatingCutoffs | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(RatingCutoffs))
    )

    def __attrs_post_init__(self) -> None:
        if self.cutoffs is None:
            return
        if self.cutoffs.scale != self.scale:
            raise ValidationError(
                "cutoffs.scale", str(self.cutoffs.scale), f"is not the rating scale {self.scale}"
            )
        given = self.cutoffs.rate(self.score).value
        if given != self.value:
            raise ValidationError(
                "value",
                self.value,
                f"is not the rating the cut-offs give score {self.score!r} ({_g(given)})",
            )

    @property
    def low(self) -> float | None:
        """The lowest score of the band the score fell in (``None``: no lower bound, or the
        cut-offs are not known)."""
        if self.cutoffs is None:
            return None
        at = _band_of(self.cutoffs, self.score)
        return None if at == 0 else self.cutoffs.cutoffs[at][0]

    @property
    def high(self) -> float | None:
        """Where the next band begins (``None``: the top band, or the cut-offs are not known)."""
        if self.cutoffs is None:
            return None
        at = _band_of(self.cutoffs, self.score)
        pairs = self.cutoffs.cutoffs
        return None if at == len(pairs) - 1 else pairs[at + 1][0]

    def sentence(self) -> str:
        """``rating 3 by the cut-offs: 3.37 is in 2.5 to < 3.5``."""
        head = f"rating {_g(self.value)} by the cut-offs"
        if self.cutoffs is None:
            return head
        pairs = self.cutoffs.cutoffs
        shown = _score_text(self.score, [low for low, _ in pairs])
        low, high = self.low, self.high
        if low is None and high is None:
            return f"{head}: any score gets {_g(self.value)}"
        if low is None:
            assert high is not None
            return f"{head}: {shown} is below {_g(high)}"
        if high is None:
            return f"{head}: {shown} is at or above {_g(low)}"
        return f"{head}: {shown} is in {_g(low)} to < {_g(high)}"


@attrs.frozen(kw_only=True)
class CalibrationPart:
    """One calibration change: the rating went ``from_value`` → ``to_value``, changed ``by`` a
    calibrator (``perfkit`` for a forced distribution) ``at`` a time, for a ``reason``."""

    kind: ClassVar[str] = "calibration"

    from_value: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    to_value: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    by: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    reason: str = attrs.field(validator=v.non_empty_text)

    def __attrs_post_init__(self) -> None:
        if self.to_value == self.from_value:
            raise ValidationError(
                "to_value", self.to_value, "equals from_value; a calibration changes the rating"
            )

    @property
    def change(self) -> float:
        """``to_value − from_value``: positive when calibration moved the rating up."""
        return self.to_value - self.from_value

    def sentence(self) -> str:
        """``calibrated 2 → 4 by dana on 2026-12-14: delivered the migration``."""
        return (
            f"calibrated {_g(self.from_value)} → {_g(self.to_value)} by {self.by} on "
            f"{self.at.date().isoformat()}: {self.reason}"
        )


def _level_band(level: NineBoxLevel, cut: tuple[float, float]) -> str:
    if level is NineBoxLevel.LOW:
        return f"at most {_g(cut[0])}"
    if level is NineBoxLevel.MODERATE:
        return f"above {_g(cut[0])}, at most {_g(cut[1])}"
    return f"above {_g(cut[1])}"


@attrs.frozen(kw_only=True)
class NineBoxPart:
    """The 9-box cell: the calibrated rating (performance) and the potential placed against the
    grid's ``cutoffs`` (a score equal to a cut-off is in the lower band). ``performance``,
    ``potential`` and ``cutoffs`` are ``None`` when the result does not hold the placement."""

    kind: ClassVar[str] = "nine_box"

    cell: NineBoxCell = attrs.field(validator=v.instance_of(NineBoxCell))
    performance: float | None = attrs.field(
        default=None, converter=v.as_float, validator=v.optional(v.finite_float)
    )
    potential: float | None = attrs.field(
        default=None, converter=v.as_float, validator=v.optional(v.finite_float)
    )
    cutoffs: NineBoxCutoffs | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(NineBoxCutoffs))
    )

    def __attrs_post_init__(self) -> None:
        given = (self.performance, self.potential, self.cutoffs)
        if any(x is None for x in given) and any(x is not None for x in given):
            raise ValidationError(
                "cutoffs", self.cutoffs, "come with performance and potential, or none of them"
            )
        if self.cutoffs is not None and self.performance is not None and self.potential is not None:
            placed = self.cutoffs.place(self.performance, self.potential)
            if placed != self.cell:
                raise ValidationError(
                    "cell",
                    self.cell.number,
                    f"is not the box the cut-offs give performance {_g(self.performance)} and "
                    f"potential {_g(self.potential)} ({placed.number})",
                )

    def sentence(self) -> str:
        """``9-box 5: Core player (performance 3: moderate, above 2.5, at most 3.5; potential
        4: high, above 3.5)``."""
        cell = self.cell
        head = f"9-box {cell.number}: {cell.name}"
        if self.cutoffs is None or self.performance is None or self.potential is None:
            return (
                f"{head} ({cell.performance.value} performance, {cell.potential.value} potential)"
            )
        perf = _level_band(cell.performance, self.cutoffs.performance)
        pot = _level_band(cell.potential, self.cutoffs.potential)
        return (
            f"{head} (performance {_g(self.performance)}: {cell.performance.value}, {perf}; "
            f"potential {_g(self.potential)}: {cell.potential.value}, {pot})"
        )


@attrs.frozen(kw_only=True)
class EligibilityPart:
    """Whether the person takes part in the merit and bonus rounds, and every reason why not."""

    kind: ClassVar[str] = "eligibility"

    eligible: bool = attrs.field(validator=v.instance_of(bool))
    reasons: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.non_empty_text)
    )

    def __attrs_post_init__(self) -> None:
        if self.eligible and self.reasons:
            raise ValidationError("reasons", self.reasons, "are given for an eligible person")
        if not self.eligible and not self.reasons:
            raise ValidationError("reasons", self.reasons, "are empty; say why not eligible")

    def sentence(self) -> str:
        """``eligible for rewards`` or ``not eligible for rewards: rating 1 is below 2``."""
        if self.eligible:
            return "eligible for rewards"
        return "not eligible for rewards: " + "; ".join(self.reasons)


@attrs.frozen(kw_only=True)
class MeritPart:
    """The merit increase, step by step, in the person's own currency.

    ``pct`` is the merit matrix's cell for the final ``rating`` in compa band ``band`` (chosen
    by ``compa_ratio``); ``full`` = ``base_pay`` × ``pct`` / 100; ``prorated`` = ``base_pay`` ×
    (``pct`` / 100 × ``proration``) (28 significant digits, as rewards computes it);
    ``scaled`` = ``prorated`` × ``factor``, the budget pool's scaling (1 when the pool covers
    its demand, or there is no pool; shown to Money's 12 decimals); ``amount`` is what is paid:
    the exact ``prorated × factor`` rounded to the minor unit by ``rounding``.
    """

    kind: ClassVar[str] = "merit"

    base_pay: Money = attrs.field(validator=_money)
    rating: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    compa_ratio: Decimal = attrs.field(converter=_dec, validator=_non_negative_decimal)
    band: str = attrs.field(validator=v.non_empty_text)
    pct: Decimal = attrs.field(converter=_dec, validator=_non_negative_decimal)
    full: Money = attrs.field(validator=_money)
    proration: Decimal = attrs.field(default=_ONE, converter=_dec, validator=_fraction)
    prorated: Money = attrs.field(validator=_money)
    factor: Decimal = attrs.field(default=_ONE, converter=_dec, validator=_fraction)
    pool_id: str | None = attrs.field(default=None, validator=v.optional(v.identifier))
    scaled: Money = attrs.field(validator=_money)
    rounding: RoundingRule = attrs.field(validator=v.enum_member(RoundingRule))
    amount: Money = attrs.field(validator=_money)

    def __attrs_post_init__(self) -> None:
        _same_currency(self, "full", "prorated", "scaled", "amount")
        pay = self.base_pay
        _equal("full", self.full, pay.times(_share(self.pct)), "base_pay × pct / 100")
        _equal(
            "prorated",
            self.prorated,
            pay.times(_share(self.pct, self.proration)),
            "base_pay × pct / 100 × proration",
        )
        _equal("scaled", self.scaled, self.prorated.times(self.factor), "prorated × factor")
        if self.rounding is not RoundingRule.OTHER:
            exact = _EXACT.multiply(self.prorated.amount, self.factor)
            if _apply_rounding(exact, self.amount.currency, self.rounding) != self.amount.amount:
                raise ValidationError(
                    "amount",
                    str(self.amount),
                    f"is not prorated × factor {self.rounding.value.replace('_', ' ')}",
                )

    @property
    def currency(self) -> str:
        return self.base_pay.currency

    def sentence(self) -> str:
        """``merit 4% (rating 3, compa-ratio 1.02 in band 0.95-1.05) of 110,400.00 EUR =
        4,416.00 EUR, prorated 0.9534 → 4,210.32 EUR, scaled 0.8178 by pool u02 → 3,443.28
        EUR`` (proration, scaling and rounding shown only when they change the amount)."""
        text = (
            f"merit {self.pct}% (rating {_g(self.rating)}, compa-ratio "
            f"{_short(self.compa_ratio)} in band {self.band}) of {_shown(self.base_pay)} = "
            f"{_shown(self.full)}"
        )
        last = self.full
        if self.proration != _ONE:
            last = self.prorated
            text += f", prorated {_short(self.proration)} → {_shown(last)}"
        if self.factor != _ONE:
            last = self.scaled
            text += f", scaled {_short(self.factor)} by pool {self.pool_id} → {_shown(last)}"
        return text + _rounding_said(self.rounding, last, self.amount)


@attrs.frozen(kw_only=True)
class BonusPart:
    """The bonus, step by step, in the person's own currency.

    ``full_target`` = ``base_pay`` × ``target_pct`` / 100; ``target`` = ``base_pay`` ×
    (``target_pct`` / 100 × ``proration``); ``uncapped`` = ``target`` × (``individual`` ×
    ``company``), the individual multiplier being the final ``rating``'s; ``cap`` = ``target``
    × ``cap_multiple``; ``amount`` is the smaller of the two (``capped`` when the cap binds)
    rounded to the minor unit by ``rounding``.
    """

    kind: ClassVar[str] = "bonus"

    base_pay: Money = attrs.field(validator=_money)
    rating: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    target_pct: Decimal = attrs.field(converter=_dec, validator=_non_negative_decimal)
    full_target: Money = attrs.field(validator=_money)
    proration: Decimal = attrs.field(default=_ONE, converter=_dec, validator=_fraction)
    target: Money = attrs.field(validator=_money)
    individual: Decimal = attrs.field(converter=_dec, validator=_non_negative_decimal)
    company: Decimal = attrs.field(converter=_dec, validator=_non_negative_decimal)
    uncapped: Money = attrs.field(validator=_money)
    cap_multiple: Decimal = attrs.field(converter=_dec, validator=_non_negative_decimal)
    cap: Money = attrs.field(validator=_money)
    capped: bool = attrs.field(validator=v.instance_of(bool))
    rounding: RoundingRule = attrs.field(validator=v.enum_member(RoundingRule))
    amount: Money = attrs.field(validator=_money)

    def __attrs_post_init__(self) -> None:
        _same_currency(self, "full_target", "target", "uncapped", "cap", "amount")
        pay = self.base_pay
        _equal(
            "full_target",
            self.full_target,
            pay.times(_share(self.target_pct)),
            "base_pay × target_pct / 100",
        )
        _equal(
            "target",
            self.target,
            pay.times(_share(self.target_pct, self.proration)),
            "base_pay × target_pct / 100 × proration",
        )
        _equal(
            "uncapped",
            self.uncapped,
            self.target.times(_CTX.multiply(self.individual, self.company)),
            "target × individual × company",
        )
        _equal("cap", self.cap, self.target.times(self.cap_multiple), "target × cap_multiple")
        if self.capped != (self.uncapped.amount > self.cap.amount):
            raise ValidationError(
                "capped", self.capped, "does not say whether uncapped is above the cap"
            )
        if self.rounding is not RoundingRule.OTHER:
            paid = _apply_rounding(self.before_rounding.amount, self.currency, self.rounding)
            if paid != self.amount.amount:
                raise ValidationError(
                    "amount",
                    str(self.amount),
                    f"is not {self.before_rounding} {self.rounding.value.replace('_', ' ')}",
                )

    @property
    def currency(self) -> str:
        return self.base_pay.currency

    @property
    def before_rounding(self) -> Money:
        """The cap when it binds, else the uncapped bonus."""
        return self.cap if self.capped else self.uncapped

    def sentence(self) -> str:
        """``bonus target 10% of 60,000.00 EUR = 6,000.00 EUR × individual 1.5 (rating 5) ×
        company 1.1 = 9,900.00 EUR, capped at 1.25× target 7,500.00 EUR`` (proration, the cap
        and rounding shown only when they change the amount)."""
        text = (
            f"bonus target {self.target_pct}% of {_shown(self.base_pay)} = "
            f"{_shown(self.full_target)}"
        )
        if self.proration != _ONE:
            text += f", prorated {_short(self.proration)} → {_shown(self.target)}"
        text += (
            f" × individual {self.individual} (rating {_g(self.rating)}) × company "
            f"{self.company} = {_shown(self.uncapped)}"
        )
        if self.capped:
            text += f", capped at {self.cap_multiple}× target {_shown(self.cap)}"
        return text + _rounding_said(self.rounding, self.before_rounding, self.amount)


@attrs.frozen(kw_only=True)
class AwardPart:
    """A recognition (spot) award: the rule that gave it, the amount, and the praise counted
    in the window ``window_start`` (excluded) to ``window_end`` (included)."""

    kind: ClassVar[str] = "award"

    rule_id: str = attrs.field(validator=v.identifier)
    amount: Money = attrs.field(validator=_money)
    praise_ids: tuple[str, ...] = attrs.field(converter=v.tuple_of, validator=v.each(v.identifier))
    window_start: datetime = attrs.field(validator=v.aware_datetime)
    window_end: datetime = attrs.field(validator=v.aware_datetime)
    reason: str = attrs.field(validator=v.non_empty_text)

    def sentence(self) -> str:
        """``spot award 250.00 EUR: 3 praises from 2 people between ... (rule: ...)``."""
        return f"{self.rule_id} award {self.amount}: {self.reason}"


@attrs.frozen(kw_only=True)
class PlanPart:
    """A development plan opened for the person: its kind, who runs it, when it is reviewed,
    and why it was opened (``triggers`` as data, ``reason`` in words)."""

    kind: ClassVar[str] = "plan"

    plan_id: str = attrs.field(validator=v.identifier)
    plan_kind: PlanKind = attrs.field(validator=v.enum_member(PlanKind))
    owner: str = attrs.field(validator=v.identifier)
    review_date: date = attrs.field(validator=v.a_date)
    triggers: tuple[PlanTrigger, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.enum_member(PlanTrigger))
    )
    reason: str = attrs.field(validator=v.non_empty_text)

    def sentence(self) -> str:
        """``growth plan growth-2026-12-31-e0001 run by e0000, reviewed on 2027-06-29: rating 5
        is at least 4 and ...``."""
        return (
            f"{self.plan_kind.value} plan {self.plan_id} run by {self.owner}, reviewed on "
            f"{self.review_date.isoformat()}: {self.reason}"
        )


ExplanationPart = (
    ScorePart
    | RatingPart
    | CalibrationPart
    | NineBoxPart
    | EligibilityPart
    | MeritPart
    | BonusPart
    | AwardPart
    | PlanPart
)
"""Any one part of an explanation (tagged ``"type": kind`` in JSON)."""

register_union(
    ScorePart,
    RatingPart,
    CalibrationPart,
    NineBoxPart,
    EligibilityPart,
    MeritPart,
    BonusPart,
    AwardPart,
    PlanPart,
)


# --- the whole explanation ------------------------------------------------------------------


def _sentence_case(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


@attrs.frozen(kw_only=True)
class EmployeeExplanation:
    """Why one employee got their outcome of a cycle: every step as a typed part.

    The rating went from ``rating.value`` through each of ``calibrations`` in order to
    ``final_rating``; the rewards (``merit``, ``bonus``, ``awards``) and ``plans`` followed from
    it. Parts that did not apply are ``None`` (or empty).
    """

    employee_id: str = attrs.field(validator=v.identifier)
    unit_id: str = attrs.field(validator=v.identifier)
    cycle_id: str = attrs.field(validator=v.identifier)
    policy: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    score: ScorePart = attrs.field(validator=v.instance_of(ScorePart))
    rating: RatingPart = attrs.field(validator=v.instance_of(RatingPart))
    calibrations: tuple[CalibrationPart, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(CalibrationPart))
    )
    final_rating: float = attrs.field(converter=v.as_float, validator=v.finite_float)
    nine_box: NineBoxPart | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(NineBoxPart))
    )
    eligibility: EligibilityPart | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(EligibilityPart))
    )
    merit: MeritPart | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(MeritPart))
    )
    bonus: BonusPart | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(BonusPart))
    )
    awards: tuple[AwardPart, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(AwardPart))
    )
    plans: tuple[PlanPart, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(PlanPart))
    )

    def __attrs_post_init__(self) -> None:
        if self.rating.score != self.score.value:
            raise ValidationError(
                "rating.score", self.rating.score, f"is not the score {self.score.value!r}"
            )
        current = self.rating.value
        for i, change in enumerate(self.calibrations):
            if change.from_value != current:
                raise ValidationError(
                    f"calibrations[{i}].from_value",
                    change.from_value,
                    f"is not the rating it changes ({_g(current)})",
                )
            current = change.to_value
        if self.final_rating != current:
            raise ValidationError(
                "final_rating",
                self.final_rating,
                f"is not the rating after calibration ({_g(current)})",
            )
        for name, part in (("merit", self.merit), ("bonus", self.bonus)):
            if part is not None and part.rating != self.final_rating:
                raise ValidationError(
                    f"{name}.rating", part.rating, f"is not the final rating {_g(current)}"
                )

    def parts(self) -> tuple[ExplanationPart, ...]:
        """Every part, in the order of the cycle: score, rating, calibrations, 9-box,
        eligibility, merit, bonus, awards, plans."""
        out: list[ExplanationPart] = [self.score, self.rating, *self.calibrations]
        for part in (self.nine_box, self.eligibility, self.merit, self.bonus):
            if part is not None:
                out.append(part)
        out.extend(self.awards)
        out.extend(self.plans)
        return tuple(out)

    def sentences(self) -> tuple[str, ...]:
        """One sentence per part, in :meth:`parts` order."""
        return tuple(p.sentence() for p in self.parts())

    def text(self) -> str:
        """The explanation as one paragraph of English sentences."""
        head = f"Outcome of {self.employee_id} in cycle {self.cycle_id} under policy {self.policy}."
        return " ".join([head, *(_sentence_case(s) for s in self.sentences())])


# --- building explanations from a cycle result ------------------------------------------------


def _check_result(result: object) -> CycleResult:
    if not isinstance(result, CycleResult):
        raise ValidationError("result", result, "is not a CycleResult")
    return result


def _check_cutoffs(cutoffs: object) -> RatingCutoffs | None:
    if cutoffs is None:
        return None
    if not isinstance(cutoffs, RatingCutoffs):
        raise ValidationError("cutoffs", cutoffs, "is not a RatingCutoffs")
    return cutoffs


def _merit_part(e: EmployeeResult) -> MeritPart | None:
    p = e.merit
    if p is None:
        return None
    currency = p.base_pay.currency
    exact = _EXACT.multiply(p.raw_increase.amount, p.factor)
    paid = p.final_increase.amount
    if p.pool_id is None:
        rule = _rule_of(exact, paid, currency, _PLAIN)
    elif p.factor == _ONE and _apply_rounding(exact, currency, RoundingRule.HALF_EVEN) == paid:
        rule = RoundingRule.HALF_EVEN  # the pool covers the demand: rounded on its own
    else:
        rule = _rule_of(exact, paid, currency, (RoundingRule.DOWN, RoundingRule.LARGEST_REMAINDER))
    return MeritPart(
        base_pay=p.base_pay,
        rating=p.rating.value,
        compa_ratio=p.compa_ratio,
        band=p.band,
        pct=p.pct,
        full=p.base_pay.times(_share(p.pct)),
        proration=p.proration,
        prorated=p.raw_increase,
        factor=p.factor,
        pool_id=p.pool_id,
        scaled=p.raw_increase.times(p.factor),
        rounding=rule,
        amount=p.final_increase,
    )


def _bonus_part(e: EmployeeResult) -> BonusPart | None:
    b = e.bonus
    if b is None:
        return None
    before = b.cap if b.capped else b.uncapped
    rule = _rule_of(before.amount, b.amount.amount, b.amount.currency, _PLAIN)
    return BonusPart(
        base_pay=b.base_pay,
        rating=b.rating.value,
        target_pct=b.target_pct,
        full_target=b.base_pay.times(_share(b.target_pct)),
        proration=b.proration,
        target=b.target,
        individual=b.individual,
        company=b.company,
        uncapped=b.uncapped,
        cap_multiple=b.cap_multiple,
        cap=b.cap,
        capped=b.capped,
        rounding=rule,
        amount=b.amount,
    )


class _Index:
    """The result's 9-box placements and development plans by id, built once (linear time)."""

    def __init__(self, result: CycleResult) -> None:
        self.result = result
        grid = result.nine_box
        self.placements = {} if grid is None else {p.employee_id: p for p in grid.placements}
        self.plans = {p.id: p for p in result.plans}

    def nine_box(self, e: EmployeeResult) -> NineBoxPart | None:
        if e.nine_box is None:
            return None
        grid = self.result.nine_box
        placed = self.placements.get(e.employee_id)
        if grid is None or placed is None:
            return NineBoxPart(cell=e.nine_box)
        return NineBoxPart(
            cell=e.nine_box,
            performance=placed.performance,
            potential=placed.potential,
            cutoffs=grid.cutoffs,
        )

    def plan(self, plan_id: str) -> PlanPart:
        plan = self.plans.get(plan_id)
        if plan is None:
            plan = self.result.plan(plan_id)  # raises NotFoundError
        return PlanPart(
            plan_id=plan.id,
            plan_kind=plan.kind,
            owner=plan.owner,
            review_date=plan.review_date,
            triggers=plan.triggers,
            reason=plan.reason,
        )

    def explain(self, e: EmployeeResult, cutoffs: RatingCutoffs | None) -> EmployeeExplanation:
        result = self.result
        score = e.score
        try:
            rating = RatingPart(
                score=score.value,
                value=e.rating_before.value,
                scale=e.rating_before.scale,
                cutoffs=cutoffs,
            )
        except ValidationError as err:
            if cutoffs is None:
                raise
            raise ValidationError(
                "cutoffs",
                cutoffs.describe(),
                f"are not the cut-offs of this run ({err}); pass the policy's cut-offs",
            ) from None
        eligibility = None
        if e.eligibility is not None:
            eligibility = EligibilityPart(
                eligible=e.eligibility.eligible, reasons=e.eligibility.reasons
            )
        return EmployeeExplanation(
            employee_id=e.employee_id,
            unit_id=e.unit_id,
            cycle_id=result.cycle_id,
            policy=score.policy,
            at=result.at,
            score=ScorePart(
                value=score.value,
                scale=score.scale,
                policy=score.policy,
                components=score.components,
            ),
            rating=rating,
            calibrations=tuple(
                CalibrationPart(
                    from_value=a.from_value, to_value=a.to_value, by=a.by, at=a.at, reason=a.reason
                )
                for a in e.adjustments
            ),
            final_rating=e.rating_after.value,
            nine_box=self.nine_box(e),
            eligibility=eligibility,
            merit=_merit_part(e),
            bonus=_bonus_part(e),
            awards=tuple(
                AwardPart(
                    rule_id=a.rule_id,
                    amount=a.amount,
                    praise_ids=a.praise_ids,
                    window_start=a.window_start,
                    window_end=a.window_end,
                    reason=a.reason,
                )
                for a in e.awards
            ),
            plans=tuple(self.plan(p) for p in e.plan_ids),
        )


def explain_employee(
    result: CycleResult, employee_id: str, *, cutoffs: RatingCutoffs | None = None
) -> EmployeeExplanation:
    """Why ``employee_id`` got their outcome in ``result``: every step as data and sentence.

    ``cutoffs`` are the rating cut-offs the cycle ran with (the policy's ``cutoffs``, or
    :func:`perfkit.scoring.cutoffs_for` of the rating scale when the policy has none); with
    them the rating part names the band the score fell in. Cut-offs that do not give the
    person's rating are refused. Raises :class:`~perfkit.NotFoundError` for someone the result
    does not rate.
    """
    checked = _check_result(result)
    if not isinstance(employee_id, str):
        raise ValidationError("employee_id", employee_id, "is not a string id")
    person = checked.employee(employee_id)
    return _Index(checked).explain(person, _check_cutoffs(cutoffs))


def explain_all(
    result: CycleResult, *, cutoffs: RatingCutoffs | None = None
) -> tuple[EmployeeExplanation, ...]:
    """The explanation of everyone the result rates, by employee id (see
    :func:`explain_employee`)."""
    checked = _check_result(result)
    cut = _check_cutoffs(cutoffs)
    index = _Index(checked)
    return tuple(
        index.explain(e, cut) for e in sorted(checked.employees, key=lambda e: e.employee_id)
    )


def explain_text(
    result: CycleResult, employee_id: str, *, cutoffs: RatingCutoffs | None = None
) -> str:
    """:func:`explain_employee` as one paragraph of English sentences."""
    return explain_employee(result, employee_id, cutoffs=cutoffs).text()

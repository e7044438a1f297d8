"""The built-in scoring policies: weighted components, OKR scoring and KPI payout curves.

Each policy is a frozen attrs class holding its configuration, built in Python or from a
configuration table with ``from_config`` (errors name the key path: ``policy.weights.goals``),
and registered by name in :mod:`perfkit.scoring`:

* ``weighted_components`` (:class:`WeightedComponentsPolicy`) — the classic annual-review
  formula: goal results and review ratings of competencies (and sections) combined with
  component weights (goals 60 %, competencies 40 %), reviewers weighted by role (manager 60,
  peer 30, self 10), the goal attainment read on an attainment curve; on a rating scale.
* ``okr`` (:class:`OkrPolicy`) — OKR scoring: each key result's attainment capped to 0.0–1.0,
  averaged; 0.7 is on target (:data:`ON_TARGET`).
* ``kpi_curve`` (:class:`KpiCurvePolicy`) — incentive-plan payout curves: below the threshold
  nothing, from the threshold to the target and the stretch point linear, capped at the stretch
  payout, lower-is-better metrics with their points running downward; the goal-weighted mean
  payout on the :data:`KPI_PAYOUT` scale.

Every ``score`` returns the whole component tree, so each number explains itself.
"""

from __future__ import annotations

import bisect
import enum
import functools
import math
import operator
from collections.abc import Mapping
from math import copysign
from typing import Any, ClassVar, Final, Self

import attrs

from . import _validation as v
from ._errors import MISSING, ValidationError
from ._validation import as_float
from .metrics import Direction
from .reviews import CriterionKind, ReviewerRole
from .scales import BUILTIN_SCALES, FIVE_POINT, OKR, NumericScale, OrdinalScale, Scale, ScaleRef
from .scoring import (
    Component,
    ConfigReader,
    CriterionInput,
    EmployeeInputs,
    GoalInput,
    ReviewInput,
    Score,
    _check_number,
    _float_pairs,
    _shares,
    _within,
)

__all__ = [
    "ComponentName",
    "DEFAULT_KPI_CURVE",
    "GoalEvidence",
    "KPI_PAYOUT",
    "KpiCurve",
    "KpiCurvePolicy",
    "MAX_PAYOUT",
    "MissingRule",
    "ON_TARGET",
    "OkrAverage",
    "OkrPolicy",
    "WeightedComponentsPolicy",
    "default_curve",
]


# --- shared helpers ----------------------------------------------------------------------


def _checked_inputs(inputs: object) -> EmployeeInputs:
    if not isinstance(inputs, EmployeeInputs):
        raise ValidationError("inputs", inputs, "is not an EmployeeInputs")
    return inputs


def _by_goal_id(goal: GoalInput) -> str:
    return goal.goal_id


def _by_review_id(review: ReviewInput) -> str:
    return review.review_id


_by_criterion_id = operator.attrgetter("criterion_id")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _pair_items(value: Any) -> Any:
    """attrs converter: a mapping becomes a tuple of ``(key, value)`` pairs in key order, a
    sequence of 2-item lists a tuple of tuples; anything else is left for the validator."""
    if isinstance(value, Mapping):
        items = list(value.items())
        if all(isinstance(k, str) for k, _ in items):
            items.sort(key=lambda kv: str(kv[0]))
        return tuple(items)
    items_ = v.tuple_of(value)
    if not isinstance(items_, tuple):
        return items_
    return tuple(tuple(i) if isinstance(i, list) else i for i in items_)


def _pairs_of(
    key_check: v.Validator,
    value_check: v.Validator,
    what: str,
    *,
    allow_empty: bool = True,
    unique: bool = True,
) -> v.Validator:
    """Validator of a tuple of ``(key, value)`` pairs (with distinct keys when ``unique``)."""

    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        name = attribute.name
        if not isinstance(value, tuple):
            raise ValidationError(name, value, "is not a tuple of pairs")
        if not value and not allow_empty:
            raise ValidationError(name, value, f"is empty; give at least one {what}")
        seen: dict[object, int] = {}
        for i, pair in enumerate(value):
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise ValidationError(f"{name}[{i}]", pair, f"is not a ({what}, value) pair")
            for j, check_item in enumerate((key_check, value_check)):
                try:
                    check_item(inst, attribute, pair[j])
                except ValidationError as err:
                    raise ValidationError(f"{name}[{i}][{j}]", err.value, err.reason) from None
            if unique and pair[0] in seen:
                raise ValidationError(
                    f"{name}[{i}][0]", pair[0], f"repeats {name}[{seen[pair[0]]}][0]"
                )
            seen[pair[0]] = i

    return check


def _float_value(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, float) or not math.isfinite(value):
        _check_number(attribute.name, value)
        raise ValidationError(attribute.name, value, "is not a float")


def _positive_float(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A weight: finite, positive, at most ``v.MAX_WEIGHT`` (sums of weights never overflow)."""
    _float_value(inst, attribute, value)
    v.weight(inst, attribute, value)


def _non_negative_float(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _float_value(inst, attribute, value)
    if value < 0:  # type: ignore[operator]
        raise ValidationError(attribute.name, value, "is negative")


MIN_ROLE_WEIGHT: Final = 1e-9
"""The smallest positive reviewer-role weight: smaller ones (``5e-324``) vanish in sums."""


def _role_weight(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A reviewer role's weight: 0 (ignore the role) or from 1e-9 to ``v.MAX_WEIGHT``."""
    _non_negative_float(inst, attribute, value)
    if value != 0:
        v.weight(inst, attribute, value)
        if value < MIN_ROLE_WEIGHT:  # type: ignore[operator]
            raise ValidationError(
                attribute.name, value, f"is neither 0 nor at least {MIN_ROLE_WEIGHT:g}"
            )


def _member(kind: type[enum.Enum], value: Any) -> Any:
    """``kind(value)``, or ``value`` unchanged for the validator to reject."""
    try:
        return kind(value)
    except (ValueError, TypeError):
        return value


def _named_floats(kind: type[enum.Enum], value: Any) -> Any:
    """``{"goals": 0.6}`` (or pairs) → ``((ComponentName.GOALS, 0.6),)`` in the enum's order;
    unknown names and bad numbers are left for the validator."""
    items = _pair_items(value)
    if not isinstance(items, tuple):
        return items
    out = [
        (_member(kind, p[0]), as_float(p[1])) if isinstance(p, tuple) and len(p) == 2 else p
        for p in items
    ]
    order = {m: i for i, m in enumerate(kind)}
    if all(isinstance(p, tuple) and len(p) == 2 and p[0] in order for p in out):
        out.sort(key=lambda p: order[p[0]])
    return tuple(out)


# --- weighted components -----------------------------------------------------------------


class ComponentName(enum.StrEnum):
    """The parts of an overall rating the ``weighted_components`` policy weighs."""

    GOALS = "goals"
    """Goal results: the goal-weighted mean attainment read on the attainment curve (or, with
    ``goals_from = "ratings"``, the reviewers' ratings of goal criteria)."""
    COMPETENCIES = "competencies"
    """The reviewers' ratings of competency criteria (how the work is done)."""
    SECTIONS = "sections"
    """The reviewers' ratings of whole sections of the review form."""


_CRITERIA: Final = {
    ComponentName.GOALS: CriterionKind.GOAL,
    ComponentName.COMPETENCIES: CriterionKind.COMPETENCY,
    ComponentName.SECTIONS: CriterionKind.SECTION,
}


class MissingRule(enum.StrEnum):
    """What ``weighted_components`` does when an employee has no evidence for a component."""

    RENORMALISE = "renormalise"
    """The present components' weights are rescaled to sum to 1 (the default)."""
    ZERO = "zero"
    """The missing component counts as the scale minimum: 0 on a scale starting at 0, the
    lowest rating (1) on the five-point scale — never a value below the scale."""
    REFUSE = "refuse"
    """Scoring stops with a :class:`~perfkit.ValidationError` naming the employee and the
    component."""


class GoalEvidence(enum.StrEnum):
    """Where the ``goals`` component of ``weighted_components`` comes from."""

    ATTAINMENT = "attainment"
    """The measured attainment of the employee's goals, on the attainment curve (default)."""
    RATINGS = "ratings"
    """The reviewers' ratings of the review form's goal criteria, like the other components."""


def default_curve(scale: Scale) -> tuple[tuple[float, float], ...]:
    """The default attainment curve onto ``scale``: attainment 0, 0.5, 1.0, 1.15 and 1.3 give
    the scale's minimum, quarter, middle, three quarters and maximum — on the five-point scale
    0 → 1, 0.5 → 2, 1.0 → 3 (on target meets expectations), 1.15 → 4 and 1.3 → 5."""
    if not isinstance(scale, NumericScale | OrdinalScale):
        return ()
    low, high = scale.bounds
    width = high - low
    inner = ((0.0, 0.0), (0.5, 0.25), (1.0, 0.5), (1.15, 0.75))
    return (*((x, low + f * width) for x, f in inner), (1.3, high))


def _to_component_weights(value: Any) -> Any:
    return _named_floats(ComponentName, value)


def _to_role_weights(value: Any) -> Any:
    return _named_floats(ReviewerRole, value)


def _to_missing_rule(value: Any) -> Any:
    return _member(MissingRule, value)


def _to_goal_evidence(value: Any) -> Any:
    return _member(GoalEvidence, value)


def _default_curve(policy: Any) -> tuple[tuple[float, float], ...]:
    return default_curve(policy.output_scale)


_DEFAULT_WEIGHTS: Final = ((ComponentName.GOALS, 0.6), (ComponentName.COMPETENCIES, 0.4))
_DEFAULT_ROLES: Final = (
    (ReviewerRole.MANAGER, 60.0),
    (ReviewerRole.PEER, 30.0),
    (ReviewerRole.SELF, 10.0),
    (ReviewerRole.UPWARD, 0.0),
)
_SCALE_IDS: Final = tuple(sorted({s.id for s in BUILTIN_SCALES.scales}))


def _on_scale(normalised: float, low: float, high: float) -> float:
    """A 0–1 value placed linearly on ``[low, high]`` (exact at both ends, monotone)."""
    if normalised >= 1.0:
        return high
    return min(high, max(low, low + normalised * (high - low)))


@attrs.frozen(kw_only=True)
class WeightedComponentsPolicy:
    """Goals and review ratings combined by component weights, on a rating scale.

    * ``weights``: each component's weight (positive; normalised to shares). Components not
      listed are not used. Default: goals 0.6, competencies 0.4.
    * ``roles``: each reviewer role's weight (0 or more), normalised among the roles that
      reviewed the employee; several reviewers in one role count as their mean. Roles not
      listed weigh 0. Default: manager 60, peer 30, self 10, upward 0.
    * ``curve``: the attainment curve, ``(attainment, value on the scale)`` points with
      attainments strictly increasing and values not decreasing, piecewise linear and flat
      beyond its ends; it reads the goal-weighted mean attainment. Default: :func:`default_curve`.
    * ``missing``: what a component without evidence does (:class:`MissingRule`).
    * ``goals_from``: attainment (default) or reviewers' goal ratings (:class:`GoalEvidence`).
    * ``output_scale``: the scale scores are on (default :data:`~perfkit.FIVE_POINT`); review
      ratings are mapped linearly onto it (each scale's minimum to its minimum, maximum to
      maximum).
    """

    name: ClassVar[str] = "weighted_components"

    output_scale: Scale = attrs.field(
        default=FIVE_POINT, validator=v.instance_of(NumericScale, OrdinalScale)
    )
    weights: tuple[tuple[ComponentName, float], ...] = attrs.field(
        default=_DEFAULT_WEIGHTS,
        converter=_to_component_weights,
        validator=_pairs_of(
            v.enum_member(ComponentName), _positive_float, "component", allow_empty=False
        ),
    )
    roles: tuple[tuple[ReviewerRole, float], ...] = attrs.field(
        default=_DEFAULT_ROLES,
        converter=_to_role_weights,
        validator=_pairs_of(v.enum_member(ReviewerRole), _role_weight, "role"),
    )
    curve: tuple[tuple[float, float], ...] = attrs.field(
        default=attrs.Factory(_default_curve, takes_self=True),
        converter=_float_pairs,
        validator=_pairs_of(
            _float_value, _float_value, "attainment", allow_empty=False, unique=False
        ),
    )
    missing: MissingRule = attrs.field(
        default=MissingRule.RENORMALISE,
        converter=_to_missing_rule,
        validator=v.enum_member(MissingRule),
    )
    goals_from: GoalEvidence = attrs.field(
        default=GoalEvidence.ATTAINMENT,
        converter=_to_goal_evidence,
        validator=v.enum_member(GoalEvidence),
    )

    def __attrs_post_init__(self) -> None:
        low, high = self.output_scale.bounds
        if len(self.curve) < 2:
            raise ValidationError("curve", len(self.curve), "points given; a curve needs 2")
        for i, (x, y) in enumerate(self.curve):
            if x < 0:
                raise ValidationError(f"curve[{i}][0]", x, "is a negative attainment")
            if not low <= y <= high:
                raise ValidationError(
                    f"curve[{i}][1]", y, f"is not between {low:g} and {high:g} ({self.scale})"
                )
            if i and not x > self.curve[i - 1][0]:
                raise ValidationError(
                    f"curve[{i}][0]", x, f"is not above the previous {self.curve[i - 1][0]:g}"
                )
            if i and y < self.curve[i - 1][1]:
                raise ValidationError(
                    f"curve[{i}][1]",
                    y,
                    f"is below the previous {self.curve[i - 1][1]:g}; more attainment must "
                    "never lower the score",
                )

    @property
    def scale(self) -> ScaleRef:
        return self.output_scale.ref

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """Build from a configuration table: ``scale`` (a built-in scale id), ``weights`` and
        ``roles`` (tables of numbers), ``curve`` (an array of ``[attainment, value]``),
        ``missing`` and ``goals_from``; every key optional."""
        r = ConfigReader(config)
        scale = BUILTIN_SCALES.latest(r.choice("scale", _SCALE_IDS, FIVE_POINT.id))
        changes: dict[str, Any] = {"output_scale": scale}
        weights = r.table("weights")
        if weights is not None:
            found = []
            for part in ComponentName:
                w = weights.number(part.value, None, positive=True)
                if w is not None:
                    found.append((part, w))
            weights.finish()
            if not found:
                raise ValidationError(
                    weights.path, MISSING, "is empty; weigh goals, competencies or sections"
                )
            changes["weights"] = tuple(found)
        roles = r.table("roles")
        if roles is not None:
            given = []
            for role in ReviewerRole:
                w = roles.number(role.value, None, non_negative=True)
                if w is not None:
                    given.append((role, w))
            roles.finish()
            changes["roles"] = tuple(given)
        curve = r.array("curve")
        if curve is not None:
            changes["curve"] = tuple(
                _number_pair(r.at(f"curve[{i}]"), p) for i, p in enumerate(curve)
            )
        changes["missing"] = r.choice(
            "missing", [m.value for m in MissingRule], MissingRule.RENORMALISE.value
        )
        changes["goals_from"] = r.choice(
            "goals_from", [g.value for g in GoalEvidence], GoalEvidence.ATTAINMENT.value
        )
        r.finish()
        try:
            return cls(**changes)
        except ValidationError as err:
            raise err.at(r.path) from None

    # --- scoring ---------------------------------------------------------------------------

    def score(self, inputs: EmployeeInputs) -> Score:
        """The employee's score: Σ component share × component value, on :attr:`scale`."""
        inputs = _checked_inputs(inputs)
        low, high = self.output_scale.bounds
        present: list[tuple[ComponentName, float, list[Component], str]] = []
        absent: list[tuple[ComponentName, float, str]] = []
        for part, weight in self.weights:
            if part is ComponentName.GOALS and self.goals_from is GoalEvidence.ATTAINMENT:
                found = self._goal_parts(inputs.goals)
            else:
                found = self._rating_parts(inputs.reviews, _CRITERIA[part], low, high)
            if isinstance(found, str):
                absent.append((part, weight, found))
            else:
                present.append((part, weight, *found))
        who = inputs.employee_id
        if absent and self.missing is MissingRule.REFUSE:
            part, _, why = absent[0]
            raise ValidationError(
                part.value, MISSING, f"is missing for employee {who!r} ({why}); missing = 'refuse'"
            )
        if not present and self.missing is not MissingRule.ZERO:
            whys = "; ".join(f"{p.value}: {why}" for p, _, why in absent)
            raise ValidationError("inputs", who, f"has nothing to score ({whys})")
        order = {p: i for i, (p, _) in enumerate(self.weights)}
        if self.missing is MissingRule.ZERO:
            counted = sorted(
                [(p, w, None, d) for p, w, d in absent]
                + [(p, w, ps, d) for p, w, ps, d in present],
                key=lambda item: order[item[0]],
            )
        else:
            counted = [(p, w, ps, d) for p, w, ps, d in present]
        shares = _shares([w for _, w, _, _ in counted])

        def build(factor: float) -> tuple[Component, ...]:
            made: dict[ComponentName, Component] = {}
            for (part, _, parts, detail), share in zip(counted, shares, strict=True):
                if parts is None:
                    made[part] = Component.leaf(
                        part.value,
                        share * factor,
                        low,
                        f"{detail}; counted as the scale minimum {low:g} (missing = 'zero')",
                    )
                else:
                    made[part] = Component.group(part.value, share * factor, parts, detail)
            for part, weight, why in absent:
                if part not in made:
                    made[part] = Component.missing(
                        part.value, f"{why}; its weight {weight:g} went to the others"
                    )
            return tuple(made[p] for p, _ in self.weights)

        return Score.of(who, self.name, self.scale, _within(build, low, high))

    def _goal_parts(self, goals: tuple[GoalInput, ...]) -> tuple[list[Component], str] | str:
        """The goals component: a base point of the curve plus each goal's pull along the
        curve's segment (exact, because the curve is linear on each segment)."""
        if not goals:
            return "no goals in the cycle"
        ordered = sorted(goals, key=_by_goal_id)
        shares = _shares_of([g.weight for g in ordered])
        mean = math.fsum(s * g.attainment for s, g in zip(shares, ordered, strict=True))
        xs = [x for x, _ in self.curve]
        ys = [y for _, y in self.curve]
        k = bisect.bisect_right(xs, mean) - 1
        if k < 0:
            at, base, slope = xs[0], ys[0], 0.0
            where = f"below the curve's first point, where it is flat at {ys[0]:g}"
        elif k >= len(xs) - 1:
            at, base, slope = xs[-1], ys[-1], 0.0
            where = f"at or beyond the curve's last point, where it is capped at {ys[-1]:g}"
        else:
            at, base = xs[k], ys[k]
            slope = (ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k])
            where = (
                f"between {xs[k]:g} → {ys[k]:g} and {xs[k + 1]:g} → {ys[k + 1]:g}, "
                f"{slope:.4g} points per unit of attainment"
            )
        parts = [
            Component.leaf(
                "curve",
                1.0,
                base,
                f"attainment {at:g} gives {base:g} on the attainment curve; the goal-weighted "
                f"mean attainment {mean:.4g} lies {where}",
            )
        ]
        for g, share in zip(ordered, shares, strict=True):
            parts.append(
                Component.leaf(
                    g.goal_id,
                    slope * share,
                    g.attainment - at,
                    f"{g.title}: attainment {g.attainment:.4g}, {g.attainment - at:+.4g} from "
                    f"{at:g}; weight = slope {slope:.4g} × goal share {share:.4g}",
                )
            )
        detail = (
            f"goal-weighted mean attainment {mean:.4g} of {_plural(len(ordered), 'goal')}, "
            "read on the attainment curve"
        )
        return parts, detail

    def _rating_parts(
        self, reviews: tuple[ReviewInput, ...], kind: CriterionKind, low: float, high: float
    ) -> tuple[list[Component], str] | str:
        """Ratings of ``kind`` criteria: per review the criteria-weighted mean (each rating
        mapped linearly onto the policy scale), per role the reviews' mean, then the roles by
        role weight."""
        by_role: dict[ReviewerRole, list[tuple[ReviewInput, list[Component]]]] = {}
        for review in sorted(reviews, key=_by_review_id):
            rated = sorted((c for c in review.ratings if c.kind is kind), key=_by_criterion_id)
            if not rated:
                continue
            shares = _shares_of([c.weight for c in rated])
            leaves = [
                _criterion_leaf(c, share, low, high) for c, share in zip(rated, shares, strict=True)
            ]
            by_role.setdefault(review.role, []).append((review, leaves))
        if not by_role:
            return f"no submitted review rates a {kind.value} criterion"
        role_weight = dict(self.roles)
        present = sorted(by_role, key=lambda r: r.value)
        weights = [role_weight.get(r, 0.0) for r in present]
        total = math.fsum(weights)
        if total == 0:
            shown = ", ".join(r.value for r in present)
            return f"only reviews in roles weighted 0 ({shown})"
        role_parts = []
        for role, weight, share in zip(present, weights, _shares(weights), strict=True):
            done = by_role[role]
            means = _equal_shares(len(done))
            role_parts.append(
                Component.group(
                    role.value,
                    share,
                    [
                        Component.group(
                            r.review_id,
                            m,
                            leaves,
                            f"{r.role.value} review by {r.reviewer}, criteria-weighted mean",
                        )
                        for (r, leaves), m in zip(done, means, strict=True)
                    ],
                    f"mean of {_plural(len(done), 'review')}; role weight {weight:g} of "
                    f"{total:g} among the roles present",
                )
            )
        detail = f"{kind.value} ratings, weighted by reviewer role"
        return role_parts, detail


# --- memoised pieces of a score ------------------------------------------------------------
# A large organisation repeats the same few ratings and criteria weights thousands of times:
# the pure pieces below are computed once per distinct input and shared (Components are
# immutable). Floats that are zero are never memoised, so a signed zero keeps its sign.


def _shares_of(weights: list[float]) -> tuple[float, ...]:
    """:func:`perfkit.scoring._shares` of positive weights, memoised."""
    if all(w > 0.0 for w in weights):
        return _cached_shares(tuple(weights))
    return _shares(weights)


@functools.lru_cache(maxsize=256, typed=True)
def _cached_shares(weights: tuple[float, ...]) -> tuple[float, ...]:
    return _shares(weights)


@functools.lru_cache(maxsize=64)
def _equal_shares(n: int) -> tuple[float, ...]:
    """The shares of ``n`` equal weights (the mean of ``n`` reviews)."""
    return _shares([1.0] * n)


def _criterion_leaf(c: CriterionInput, share: float, low: float, high: float) -> Component:
    """The leaf of one rated criterion in a review (memoised by everything it shows)."""
    rating = c.rating
    value, normalised = rating.value, c.normalised
    if share and c.weight and low and high and value and normalised:
        return _cached_criterion_leaf(
            c.criterion_id, share, low, high, value, rating.scale, normalised, c.weight
        )
    if share and c.weight:  # a zero (the scale's minimum, say) is memoised with its sign
        return _signed_criterion_leaf(
            c.criterion_id,
            share,
            low,
            high,
            value,
            rating.scale,
            normalised,
            c.weight,
            (
                copysign(1.0, low),
                copysign(1.0, high),
                copysign(1.0, value),
                copysign(1.0, normalised),
            ),
        )
    return _make_criterion_leaf(
        c.criterion_id, share, low, high, value, rating.scale, normalised, c.weight
    )


def _make_criterion_leaf(
    criterion_id: str,
    share: float,
    low: float,
    high: float,
    value: float,
    scale: ScaleRef,
    normalised: float,
    weight: float,
) -> Component:
    return Component.leaf(
        criterion_id,
        share,
        _on_scale(normalised, low, high),
        f"rated {value:g} on {scale}, {normalised:.4g} of its range; criterion weight {weight:g}",
    )


_cached_criterion_leaf = functools.lru_cache(maxsize=4096, typed=True)(_make_criterion_leaf)


@functools.lru_cache(maxsize=1024, typed=True)
def _signed_criterion_leaf(
    criterion_id: str,
    share: float,
    low: float,
    high: float,
    value: float,
    scale: ScaleRef,
    normalised: float,
    weight: float,
    _signs: tuple[float, float, float, float],
) -> Component:
    return _make_criterion_leaf(criterion_id, share, low, high, value, scale, normalised, weight)


def _number_pair(path: str, value: object) -> tuple[float, float]:
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple) or len(value) != 2:
        raise ValidationError(path, value, "is not a pair of numbers [attainment, value]")
    return (_check_number(f"{path}[0]", value[0]), _check_number(f"{path}[1]", value[1]))


# --- OKR ---------------------------------------------------------------------------------

ON_TARGET: Final = 0.7
"""The OKR score read as "on target": key results are set as stretch goals, so delivering 70 %
of them is a good result; consistent 1.0s suggest the objectives were not ambitious enough."""


class OkrAverage(enum.StrEnum):
    """How the ``okr`` policy averages key results."""

    MEAN = "mean"
    """Every key result counts the same (the usual OKR practice)."""
    WEIGHTED = "weighted"
    """Key results count by their goal weight."""


def _to_okr_average(value: Any) -> Any:
    return _member(OkrAverage, value)


@attrs.frozen(kw_only=True)
class OkrPolicy:
    """OKR scoring on the OKR scale (0.0–1.0): each key result's attainment capped to 0.0–1.0,
    then averaged (``mean``) or goal-weighted (``weighted``). :data:`ON_TARGET` (0.7) is on
    target. Reviews are not used."""

    name: ClassVar[str] = "okr"

    average: OkrAverage = attrs.field(
        default=OkrAverage.MEAN,
        converter=_to_okr_average,
        validator=v.enum_member(OkrAverage),
    )

    @property
    def scale(self) -> ScaleRef:
        return OKR.ref

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """Build from a configuration table: ``average`` = ``"mean"`` (default) or
        ``"weighted"``."""
        r = ConfigReader(config)
        average = r.choice("average", [a.value for a in OkrAverage], OkrAverage.MEAN.value)
        r.finish()
        return cls(average=average)

    def score(self, inputs: EmployeeInputs) -> Score:
        """The mean (or goal-weighted mean) of the capped key-result attainments."""
        inputs = _checked_inputs(inputs)
        goals = sorted(inputs.goals, key=_by_goal_id)
        if not goals:
            raise ValidationError(
                "goals",
                MISSING,
                f"is empty for employee {inputs.employee_id!r}; okr scores key results",
            )
        weights = [1.0 if self.average is OkrAverage.MEAN else g.weight for g in goals]
        leaves = []
        for g, share in zip(goals, _shares(weights), strict=True):
            capped = min(g.attainment, 1.0)
            note = " (capped at 1.0)" if g.attainment > 1.0 else ""
            leaves.append(
                Component.leaf(
                    g.goal_id, share, capped, f"{g.title}: attainment {g.attainment:.4g}{note}"
                )
            )
        how = "mean" if self.average is OkrAverage.MEAN else "goal-weighted mean"
        top = Component.group(
            "key_results",
            1.0,
            leaves,
            f"{how} of {_plural(len(goals), 'key result')}, each capped to 0.0–1.0; "
            f"{ON_TARGET:g} is on target",
        )
        return Score.of(inputs.employee_id, self.name, self.scale, (top,))


# --- KPI payout curves -------------------------------------------------------------------

MAX_PAYOUT: Final = 2.0
"""The highest payout a KPI curve may promise (200 % of target, a common incentive-plan cap)."""

KPI_PAYOUT: Final = NumericScale(
    id="kpi-payout", name="KPI payout (1.0 = on target)", minimum=0.0, maximum=MAX_PAYOUT
)
"""The scale of ``kpi_curve`` scores: a payout factor from 0 to :data:`MAX_PAYOUT`, where 1.0 pays
the target (100 %); each curve caps it at its own stretch payout."""


def _payout(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _float_value(inst, attribute, value)
    if not 0.0 <= value <= MAX_PAYOUT:  # type: ignore[operator]
        raise ValidationError(attribute.name, value, f"is not between 0 and {MAX_PAYOUT:g}")


@attrs.frozen(kw_only=True)
class KpiCurve:
    """An incentive-plan payout curve for one KPI: threshold, target and stretch points, in the
    metric's own units (or in attainment units for the default curve).

    Below the threshold the payout is 0; at the threshold it is ``threshold_payout``, at the
    target ``target_payout``, at the stretch point ``stretch_payout``, linear in between and
    capped beyond the stretch point. For a lower-is-better metric the points run downward
    (threshold > target > stretch: cost 110k → 0, 100k → 1, 90k → 1.2). Payouts never decrease
    along the curve, so a better result never pays less.
    """

    threshold: float = attrs.field(converter=as_float, validator=_float_value)
    target: float = attrs.field(converter=as_float, validator=_float_value)
    stretch: float = attrs.field(converter=as_float, validator=_float_value)
    threshold_payout: float = attrs.field(default=0.0, converter=as_float, validator=_payout)
    target_payout: float = attrs.field(default=1.0, converter=as_float, validator=_payout)
    stretch_payout: float = attrs.field(default=1.2, converter=as_float, validator=_payout)

    def __attrs_post_init__(self) -> None:
        up = self.threshold < self.target < self.stretch
        down = self.threshold > self.target > self.stretch
        if not (up or down):
            raise ValidationError(
                "target",
                self.target,
                f"is not strictly between threshold {self.threshold:g} and stretch "
                f"{self.stretch:g} (the points run upward, or downward when lower is better)",
            )
        if not math.isfinite(self.stretch - self.threshold):
            raise ValidationError("stretch", self.stretch, "is too far from the threshold")
        if self.target_payout < self.threshold_payout:
            raise ValidationError(
                "target_payout",
                self.target_payout,
                f"is below threshold_payout {self.threshold_payout:g}",
            )
        if self.stretch_payout < self.target_payout:
            raise ValidationError(
                "stretch_payout",
                self.stretch_payout,
                f"is below target_payout {self.target_payout:g}",
            )

    @property
    def direction(self) -> Direction:
        """``up`` when the points run upward (more is better), ``down`` otherwise."""
        return Direction.UP if self.target > self.threshold else Direction.DOWN

    def payout(self, reading: float) -> float:
        """The payout for a reading of the metric (monotone: a better reading never pays less)."""
        x = _check_number("reading", reading)
        sign = 1.0 if self.direction is Direction.UP else -1.0
        if sign * x < sign * self.threshold:
            return 0.0
        if sign * x >= sign * self.stretch:
            return self.stretch_payout
        if sign * x >= sign * self.target:
            a, b, pa, pb = self.target, self.stretch, self.target_payout, self.stretch_payout
        else:
            a, b, pa, pb = self.threshold, self.target, self.threshold_payout, self.target_payout
        fraction = (x - a) / (b - a)
        return min(pb, max(pa, pa + fraction * (pb - pa)))

    def describe(self) -> str:
        """``85 → 0.5, 95 → 1, 99 → 1.2``."""
        return (
            f"{self.threshold:g} → {self.threshold_payout:g}, {self.target:g} → "
            f"{self.target_payout:g}, {self.stretch:g} → {self.stretch_payout:g}"
        )


DEFAULT_KPI_CURVE: Final = KpiCurve(threshold=0.85, target=1.0, stretch=1.2)
"""The default curve, in attainment units: 0.85 → 0, 1.0 → 1, 1.2 → 1.2 (below 0.85: 0)."""


def _kpi_curve(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, KpiCurve):
        raise ValidationError(attribute.name, value, "is not a KpiCurve")


def _upward(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _kpi_curve(_inst, attribute, value)
    assert isinstance(value, KpiCurve)
    if value.direction is not Direction.UP:
        raise ValidationError(
            attribute.name,
            value.describe(),
            "runs downward; the default curve is in attainment units, where more is better",
        )


@attrs.frozen(kw_only=True)
class KpiCurvePolicy:
    """KPI payout curves: each goal pays out on its curve; the score is the goal-weighted mean
    payout, on :data:`KPI_PAYOUT`.

    A goal's curve is the one named by its goal id in ``goals``, else the one for its metric's
    unit in ``units`` (both read the metric's latest reading, in its own units; no reading yet
    pays 0), else ``default``, which reads the goal's attainment.
    """

    name: ClassVar[str] = "kpi_curve"

    default: KpiCurve = attrs.field(default=DEFAULT_KPI_CURVE, validator=_upward)
    goals: tuple[tuple[str, KpiCurve], ...] = attrs.field(
        default=(), converter=_pair_items, validator=_pairs_of(v.identifier, _kpi_curve, "goal id")
    )
    units: tuple[tuple[str, KpiCurve], ...] = attrs.field(
        default=(), converter=_pair_items, validator=_pairs_of(v.text, _kpi_curve, "unit")
    )

    @property
    def scale(self) -> ScaleRef:
        return KPI_PAYOUT.ref

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """Build from a configuration table: ``default`` (a curve table), ``goals`` and
        ``units`` (tables of curve tables by goal id and by unit). A curve table has
        ``threshold``, ``target``, ``stretch`` and optionally ``threshold_payout`` (0),
        ``target_payout`` (1) and ``stretch_payout`` (1.2); in ``default`` every key is
        optional."""
        r = ConfigReader(config)
        changes: dict[str, Any] = {}
        default = r.table("default")
        if default is not None:
            changes["default"] = _curve_from(default, DEFAULT_KPI_CURVE)
        for key in ("goals", "units"):
            table = r.table(key)
            if table is not None:
                curves = []
                for name in table.keys():  # noqa: SIM118 - a ConfigReader, not a dict
                    sub = table.table(name)
                    assert sub is not None
                    curves.append((name, _curve_from(sub, None)))
                table.finish()
                changes[key] = tuple(curves)
        r.finish()
        try:
            return cls(**changes)
        except ValidationError as err:
            raise err.at(r.path) from None

    def curve_for(self, goal: GoalInput) -> tuple[KpiCurve, str]:
        """The curve a goal is paid on, and where it comes from (``goals['g-1']``,
        ``units['%']`` or ``default``)."""
        found = self._by_goal.get(goal.goal_id)
        if found is not None:
            return found, f"goals[{goal.goal_id!r}]"
        found = self._by_unit.get(goal.unit)
        if found is not None:
            return found, f"units[{goal.unit!r}]"
        return self.default, "default"

    @functools.cached_property
    def _by_goal(self) -> dict[str, KpiCurve]:
        return dict(self.goals)

    @functools.cached_property
    def _by_unit(self) -> dict[str, KpiCurve]:
        return dict(self.units)

    def score(self, inputs: EmployeeInputs) -> Score:
        """The goal-weighted mean payout of the employee's goals."""
        inputs = _checked_inputs(inputs)
        goals = sorted(inputs.goals, key=_by_goal_id)
        if not goals:
            raise ValidationError(
                "goals",
                MISSING,
                f"is empty for employee {inputs.employee_id!r}; kpi_curve pays on goals",
            )
        leaves = []
        for g, share in zip(goals, _shares([g.weight for g in goals]), strict=True):
            curve, source = self.curve_for(g)
            if source == "default":
                paid = curve.payout(g.attainment)
                read = f"attainment {g.attainment:.4g}"
            else:
                if curve.direction is not g.direction:
                    raise ValidationError(
                        "direction",
                        g.direction.value,
                        f"of goal {g.goal_id!r} does not match its KPI curve {source} "
                        f"({curve.describe()}), which runs {curve.direction.value}ward",
                    )
                paid = 0.0 if g.value is None else curve.payout(g.value)
                unit = f" {g.unit}" if g.unit else ""
                read = "no reading yet" if g.value is None else f"reading {g.value:g}{unit}"
            leaves.append(
                Component.leaf(
                    g.goal_id,
                    share,
                    paid,
                    f"{g.title}: {read} on curve {source} ({curve.describe()}) → payout {paid:.4g}",
                )
            )
        top = Component.group(
            "kpis",
            1.0,
            leaves,
            f"goal-weighted mean payout of {_plural(len(goals), 'goal')}; 1.0 pays the target",
        )
        return Score.of(inputs.employee_id, self.name, self.scale, (top,))


def _curve_from(r: ConfigReader, base: KpiCurve | None) -> KpiCurve:
    def get(key: str, fallback: float) -> Any:
        default: object = MISSING if base is None else getattr(base, key)
        if key.endswith("_payout"):
            default = fallback if base is None else default
        return r.number(key, default)

    values = {
        "threshold": get("threshold", 0.0),
        "target": get("target", 0.0),
        "stretch": get("stretch", 0.0),
        "threshold_payout": get("threshold_payout", 0.0),
        "target_payout": get("target_payout", 1.0),
        "stretch_payout": get("stretch_payout", 1.2),
    }
    r.finish()
    try:
        return KpiCurve(**values)
    except ValidationError as err:
        raise err.at(r.path) from None

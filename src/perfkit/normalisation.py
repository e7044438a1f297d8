"""Rater normalisation and the rater-severity model: separating how strict each rater is from
how well each person did.

Two managers can see the same work and rate it 2 and 4: one is a *harsh* rater, the other a
*lenient* one (rater severity, also called leniency bias). perfkit offers two corrections.

:func:`normalise` puts every rater on a common footing. Each rating becomes a z-score against
the rater's own mean and spread, ``z = (x − mean_r) / sd_r``, and is mapped back onto the scale
with the pooled mean and spread of all ratings: ``pooled_mean + z × pooled_sd`` (clamped to the
scale, optionally snapped to its points). A rater with few ratees says little about their own
habits, so their mean and spread are *shrunk* toward the pooled ones, empirical-Bayes style,
with the weight ``w = n / (n + k)``: ``mean* = w·mean_r + (1−w)·pooled_mean``,
``sd* = w·sd_r + (1−w)·pooled_sd``. ``k`` (default 5) is the number of ratees at which a rater's
own mean counts as much as the pooled one; ``k = 0`` turns shrinkage off. Spreads are population
standard deviations (divided by n), so a rater with one ratee has spread 0 (so has a spread below
1e-9 of the scale's width: rounding noise); when ``sd*`` is 0 (no shrinkage and no spread) the
rater's ratings carry no information about rank and get ``z = 0``.

:func:`severity_model` fits one model to all the ratings: ``rating = person + rater + noise``,
with a fixed effect per person (how well they did) and a random effect per rater (how lenient
they are: positive = lenient, negative = harsh). The rater effects are the BLUP (best linear
unbiased prediction) of the random effect: a ridge penalty ``λ = σ²_e / σ²_rater`` on them, so a
rater with little evidence stays near 0. The variance components are estimated by Henderson's
method 3 (a method of moments): ``σ²_e`` is the residual variance of the additive fit with both
effects fixed, and ``σ²_rater`` is what the within-person variation holds beyond it. A rater's
severity can only be told apart from their ratees' performance through people rated by more
than one rater (peers, skip-level managers, a calibration panel): ratings of people with a single
rater carry no information about the rater.
"""

from __future__ import annotations

import enum
import itertools
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from typing import Any, NamedTuple

import attrs

from . import _validation as v
from ._errors import NotFoundError, ValidationError
from ._validation import as_float, finite_float
from .scales import NumericScale, OrdinalScale, Scale, ScaleRef

__all__ = [
    "Normalisation",
    "NormalisedScore",
    "PersonPerformance",
    "RateeScore",
    "RaterScore",
    "RaterSeverity",
    "RaterStats",
    "SeverityModel",
    "StandardErrorMethod",
    "normalise",
    "severity_model",
    "shrinkage_weight",
]

DEFAULT_K = 5.0
"""The default shrinkage constant: a rater with 5 ratees is weighted half their own, half pooled."""

_SPREAD_FLOOR = 1e-9
"""A spread below this fraction of the scale's width counts as no spread."""

EXACT_SE_LIMIT = 150
"""Standard errors are exact for groups of connected raters up to this size (see
:class:`StandardErrorMethod`)."""


# --- validators and helpers ----------------------------------------------------------------


def _non_negative(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    finite_float(_inst, attribute, value)
    assert isinstance(value, float)
    if value < 0:
        raise ValidationError(attribute.name, value, "is negative")


def _unit(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    finite_float(_inst, attribute, value)
    assert isinstance(value, float)
    if not 0.0 <= value <= 1.0:
        raise ValidationError(attribute.name, value, "is not between 0 and 1")


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValidationError(name, value, "is not a number")
    number = as_float(value)
    if not isinstance(number, float) or not math.isfinite(number):
        raise ValidationError(name, value, "is not a finite number")
    return number


def _g(x: float) -> str:
    return f"{x:.4g}"


def _mean(xs: list[float]) -> float:
    return math.fsum(xs) / len(xs)


def _centred(xs: list[float]) -> tuple[float, list[float]]:
    """The mean and the deviations from it, corrected so that they add up to 0 as closely as
    floats allow (the corrected two-pass method: the mean itself is rounded)."""
    mean = _mean(xs)
    dev = [x - mean for x in xs]
    fix = math.fsum(dev) / len(dev)
    return mean, [d - fix for d in dev]


def _spread(dev: list[float], tiny: float) -> float:
    """Population standard deviation (divided by n) of centred deviations: 0 for a single value
    and for a spread below ``tiny`` (rounding noise, not a difference between ratings)."""
    sd = math.sqrt(math.fsum(d * d for d in dev) / len(dev))
    return sd if sd > tiny else 0.0


def _pair(item: Any) -> tuple[str, str]:
    return (item.rater_id, item.ratee_id)


# --- the input -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RaterScore:
    """One rating as the models see it: ``rater_id`` gave ``ratee_id`` the ``value`` (all
    values of one analysis on one scale)."""

    rater_id: str = attrs.field(validator=v.identifier)
    ratee_id: str = attrs.field(validator=v.identifier)
    value: float = attrs.field(converter=as_float, validator=[finite_float, v.between(-1e12, 1e12)])


def _scores(scores: object) -> tuple[RaterScore, ...]:
    """Check the input: RaterScores, at least one, no rater–ratee pair twice; sorted by pair."""
    if isinstance(scores, str | bytes | Mapping) or not isinstance(scores, Iterable):
        raise ValidationError("scores", scores, "is not a collection of RaterScore")
    items = tuple(scores)
    if not items:
        raise ValidationError("scores", items, "is empty; there is nothing to analyse")
    seen: dict[tuple[str, str], int] = {}
    for i, s in enumerate(items):
        if not isinstance(s, RaterScore):
            raise ValidationError(f"scores[{i}]", s, "is not a RaterScore")
        key = _pair(s)
        if key in seen:
            raise ValidationError(
                f"scores[{i}]",
                f"{s.rater_id} → {s.ratee_id}",
                f"repeats the rater and ratee of scores[{seen[key]}]; give one score per pair",
            )
        seen[key] = i
    return tuple(sorted(items, key=_pair))


# --- normalisation -------------------------------------------------------------------------


def shrinkage_weight(n: int, k: float = DEFAULT_K) -> float:
    """The weight ``n / (n + k)`` a rater's own mean and spread get against the pooled ones:
    0 with no ratees, rising with ``n`` toward 1 (1 when ``k`` is 0)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValidationError("n", n, "is not a whole number of ratees (0 or more)")
    constant = _number("k", k)
    if constant < 0:
        raise ValidationError("k", k, "is negative")
    if n == 0:
        return 0.0
    return n / (n + constant)


@attrs.frozen(kw_only=True)
class RaterStats:
    """One rater in a normalisation: ``n`` ratees, their own ``mean`` and ``sd``, the shrinkage
    ``weight`` and the ``adjusted_mean`` / ``adjusted_sd`` the z-scores use."""

    rater_id: str = attrs.field(validator=v.identifier)
    n: int = attrs.field(validator=v.count)
    mean: float = attrs.field(converter=as_float, validator=finite_float)
    sd: float = attrs.field(converter=as_float, validator=_non_negative)
    weight: float = attrs.field(converter=as_float, validator=_unit)
    adjusted_mean: float = attrs.field(converter=as_float, validator=finite_float)
    adjusted_sd: float = attrs.field(converter=as_float, validator=_non_negative)


@attrs.frozen(kw_only=True)
class NormalisedScore:
    """One rating normalised: the ``value`` given, ``raw_z`` against the rater's own mean and
    sd, ``z`` against the shrunk ones, and ``normalised`` = the value mapped back onto the
    scale (``pooled_mean + z × pooled_sd``, clamped, optionally snapped)."""

    rater_id: str = attrs.field(validator=v.identifier)
    ratee_id: str = attrs.field(validator=v.identifier)
    value: float = attrs.field(converter=as_float, validator=finite_float)
    raw_z: float = attrs.field(converter=as_float, validator=finite_float)
    z: float = attrs.field(converter=as_float, validator=finite_float)
    normalised: float = attrs.field(converter=as_float, validator=finite_float)


@attrs.frozen(kw_only=True)
class RateeScore:
    """One person's ratings averaged: ``n`` ratings, the ``mean`` of the values given and the
    mean of their normalised values."""

    ratee_id: str = attrs.field(validator=v.identifier)
    n: int = attrs.field(validator=v.count)
    mean: float = attrs.field(converter=as_float, validator=finite_float)
    normalised: float = attrs.field(converter=as_float, validator=finite_float)


@attrs.frozen(kw_only=True)
class Normalisation:
    """The result of :func:`normalise`: the pooled mean and spread, each rater's statistics
    (by rater id) and every rating normalised (by rater id, then ratee id)."""

    scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    k: float = attrs.field(converter=as_float, validator=_non_negative)
    snapped: bool = attrs.field(validator=v.instance_of(bool))
    n: int = attrs.field(validator=v.count)
    pooled_mean: float = attrs.field(converter=as_float, validator=finite_float)
    pooled_sd: float = attrs.field(converter=as_float, validator=_non_negative)
    raters: tuple[RaterStats, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(RaterStats))
    )
    scores: tuple[NormalisedScore, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(NormalisedScore))
    )

    def rater(self, rater_id: str) -> RaterStats:
        """One rater's statistics (:class:`~perfkit.NotFoundError` if they rated nobody)."""
        if not isinstance(rater_id, str):
            raise ValidationError("rater_id", rater_id, "is not a string id")
        for r in self.raters:
            if r.rater_id == rater_id:
                return r
        raise NotFoundError("rater", rater_id)

    def score(self, rater_id: str, ratee_id: str) -> NormalisedScore:
        """The normalised rating ``rater_id`` gave ``ratee_id``."""
        for name, value in (("rater_id", rater_id), ("ratee_id", ratee_id)):
            if not isinstance(value, str):
                raise ValidationError(name, value, "is not a string id")
        for s in self.scores:
            if s.rater_id == rater_id and s.ratee_id == ratee_id:
                return s
        raise NotFoundError("rating", f"{rater_id} → {ratee_id}")

    def by_ratee(self) -> tuple[RateeScore, ...]:
        """Each person's ratings averaged, raw and normalised, by ratee id."""
        groups: dict[str, list[NormalisedScore]] = {}
        for s in self.scores:
            groups.setdefault(s.ratee_id, []).append(s)
        return tuple(
            RateeScore(
                ratee_id=key,
                n=len(items),
                mean=_mean([s.value for s in items]),
                normalised=_mean([s.normalised for s in items]),
            )
            for key, items in sorted(groups.items())
        )


def _check_scale(scale: object) -> Scale:
    if not isinstance(scale, NumericScale | OrdinalScale):
        raise ValidationError("scale", scale, "is not a NumericScale or OrdinalScale")
    return scale


def normalise(
    scores: Iterable[RaterScore], scale: Scale, *, k: float = DEFAULT_K, snap: bool = False
) -> Normalisation:
    """Normalise each rater's ratings to the pooled mean and spread (see the module notes).

    Every value must lie within ``scale``'s bounds. ``k`` (0 or more) sets the shrinkage toward
    the pooled mean and spread; ``snap=True`` moves each normalised value to the nearest value
    the scale allows (a tie goes up).
    """
    items = _scores(scores)
    checked = _check_scale(scale)
    constant = _number("k", k)
    if constant < 0:
        raise ValidationError("k", k, "is negative")
    if not isinstance(snap, bool):
        raise ValidationError("snap", snap, "is not true or false")
    low, high = checked.bounds
    for i, s in enumerate(items):
        if not low <= s.value <= high:
            raise ValidationError(
                f"scores[{i}].value",
                s.value,
                f"is outside scale {checked.ref} ({_g(low)} to {_g(high)})",
            )
    tiny = _SPREAD_FLOOR * (high - low)
    values = [s.value for s in items]
    pooled_mean, pooled_dev = _centred(values)
    pooled_sd = _spread(pooled_dev, tiny)
    by_rater: dict[str, list[int]] = {}
    for at, s in enumerate(items):
        by_rater.setdefault(s.rater_id, []).append(at)
    stats: dict[str, RaterStats] = {}
    deviation = [0.0] * len(items)
    for rater_id, where in sorted(by_rater.items()):
        mean, dev = _centred([values[at] for at in where])
        for at, d in zip(where, dev, strict=True):
            deviation[at] = d
        sd = _spread(dev, tiny)
        w = shrinkage_weight(len(where), constant)
        stats[rater_id] = RaterStats(
            rater_id=rater_id,
            n=len(where),
            mean=mean,
            sd=sd,
            weight=w,
            adjusted_mean=w * mean + (1 - w) * pooled_mean,
            adjusted_sd=w * sd + (1 - w) * pooled_sd,
        )
    out = []
    for s, d in zip(items, deviation, strict=True):
        r = stats[s.rater_id]
        raw_z = d / r.sd if r.sd > 0 else 0.0
        # x − mean* = (x − mean_r) + (1 − w)(mean_r − pooled_mean): exactly raw_z when w = 1
        shifted = d + (1 - r.weight) * (r.mean - pooled_mean)
        z = shifted / r.adjusted_sd if r.adjusted_sd > 0 else 0.0
        mapped = min(max(pooled_mean + z * pooled_sd, low), high)
        if snap:
            mapped = checked.snap(mapped)
        out.append(
            NormalisedScore(
                rater_id=s.rater_id,
                ratee_id=s.ratee_id,
                value=s.value,
                raw_z=raw_z,
                z=z,
                normalised=mapped,
            )
        )
    return Normalisation(
        scale=checked.ref,
        k=constant,
        snapped=snap,
        n=len(items),
        pooled_mean=pooled_mean,
        pooled_sd=pooled_sd,
        raters=tuple(stats.values()),
        scores=tuple(out),
    )


# --- the severity model --------------------------------------------------------------------


class StandardErrorMethod(enum.StrEnum):
    """How the severity standard errors were computed.

    ``exact``: from the inverse of the mixed-model equations of each group of connected raters
    (raters linked through shared ratees) — used when every group has at most
    ``exact_se_limit`` raters. ``diagonal``: ``sqrt(σ²_e / (d + λ))`` from the diagonal of the
    equations alone, fast for very large groups; it ignores how the raters' estimates depend on
    each other and is a lower bound of the exact value.
    """

    EXACT = "exact"
    DIAGONAL = "diagonal"


@attrs.frozen(kw_only=True)
class RaterSeverity:
    """One rater's severity: ``severity`` > 0 is lenient (rates higher than the people's
    performance explains), < 0 harsh; ``se`` its standard error (prediction error); ``n`` the
    ratings given, ``mean`` their average, ``mean_deviation`` how far above each ratee's mean
    the rater was on average (the raw evidence before shrinkage)."""

    rater_id: str = attrs.field(validator=v.identifier)
    n: int = attrs.field(validator=v.count)
    mean: float = attrs.field(converter=as_float, validator=finite_float)
    mean_deviation: float = attrs.field(converter=as_float, validator=finite_float)
    severity: float = attrs.field(converter=as_float, validator=finite_float)
    se: float = attrs.field(converter=as_float, validator=_non_negative)

    def explain(self) -> str:
        """The severity as a sentence."""
        if self.severity > 0:
            kind = "lenient"
        elif self.severity < 0:
            kind = "harsh"
        else:
            kind = "neutral"
        return (
            f"{self.rater_id}: {kind}, severity {self.severity:+.3g} ± {self.se:.2g} (SE) from "
            f"{self.n} rating{'' if self.n == 1 else 's'}, on average {self.mean_deviation:+.3g} "
            "from their ratees' means"
        )


@attrs.frozen(kw_only=True)
class PersonPerformance:
    """One person's performance with rater severity removed: ``n`` ratings, their raw ``mean``,
    ``rater_effect`` (the mean severity of the raters who rated them) and ``adjusted`` =
    mean − rater_effect."""

    ratee_id: str = attrs.field(validator=v.identifier)
    n: int = attrs.field(validator=v.count)
    mean: float = attrs.field(converter=as_float, validator=finite_float)
    rater_effect: float = attrs.field(converter=as_float, validator=finite_float)
    adjusted: float = attrs.field(converter=as_float, validator=finite_float)


@attrs.frozen(kw_only=True)
class SeverityModel:
    """The fitted rater-severity model (see the module notes).

    ``residual_variance`` is σ²_e, ``rater_variance`` σ²_rater, ``ridge`` the penalty
    λ = σ²_e / σ²_rater used (``None`` when σ²_rater is 0: every severity is then 0).
    ``identified`` is false when the data cannot separate raters from people at all (nobody was
    rated twice, or no residual degrees of freedom are left); every severity is then 0.
    ``components`` counts the groups of raters and people linked by ratings: severities are
    comparable within a group (within each they add up to 0).
    """

    n: int = attrs.field(validator=v.count)
    people_count: int = attrs.field(validator=v.count)
    rater_count: int = attrs.field(validator=v.count)
    components: int = attrs.field(validator=v.count)
    residual_variance: float = attrs.field(converter=as_float, validator=_non_negative)
    rater_variance: float = attrs.field(converter=as_float, validator=_non_negative)
    ridge: float | None = attrs.field(converter=as_float, validator=v.optional(_non_negative))
    identified: bool = attrs.field(validator=v.instance_of(bool))
    se_method: StandardErrorMethod = attrs.field(validator=v.enum_member(StandardErrorMethod))
    raters: tuple[RaterSeverity, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(RaterSeverity))
    )
    people: tuple[PersonPerformance, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(PersonPerformance))
    )

    def rater(self, rater_id: str) -> RaterSeverity:
        """One rater's severity (:class:`~perfkit.NotFoundError` if they rated nobody)."""
        if not isinstance(rater_id, str):
            raise ValidationError("rater_id", rater_id, "is not a string id")
        for r in self.raters:
            if r.rater_id == rater_id:
                return r
        raise NotFoundError("rater", rater_id)

    def person(self, ratee_id: str) -> PersonPerformance:
        """One person's adjusted performance (:class:`~perfkit.NotFoundError` if unrated)."""
        if not isinstance(ratee_id, str):
            raise ValidationError("ratee_id", ratee_id, "is not a string id")
        for p in self.people:
            if p.ratee_id == ratee_id:
                return p
        raise NotFoundError("ratee", ratee_id)


class _Design:
    """The ratings indexed for the model: people and raters by sorted id, and who rated whom."""

    def __init__(self, items: tuple[RaterScore, ...]) -> None:
        self.people = sorted({s.ratee_id for s in items})
        self.raters = sorted({s.rater_id for s in items})
        person_at = {p: i for i, p in enumerate(self.people)}
        rater_at = {r: j for j, r in enumerate(self.raters)}
        # ratings per person: (rater index, value), items are sorted by (rater, ratee)
        self.by_person: list[list[tuple[int, float]]] = [[] for _ in self.people]
        self.by_rater: list[list[int]] = [[] for _ in self.raters]
        self.rater_values: list[list[float]] = [[] for _ in self.raters]
        for s in items:
            i, j = person_at[s.ratee_id], rater_at[s.rater_id]
            self.by_person[i].append((j, s.value))
            self.by_rater[j].append(i)
            self.rater_values[j].append(s.value)
        self.person_mean = [_mean([y for _, y in obs]) for obs in self.by_person]
        # Z'M y: how far above each ratee's mean a rater was, summed
        self.g = [0.0] * len(self.raters)
        self.d = [0.0] * len(self.raters)
        for i, obs in enumerate(self.by_person):
            m = len(obs)
            for j, y in obs:
                self.g[j] += y - self.person_mean[i]
                self.d[j] += 1 - 1 / m
        self._person_n = [len(obs) for obs in self.by_person]
        self._rater_n = [len(people) for people in self.by_rater]
        self._layout: _Layout | None = None

    def _blocks(self) -> _Layout:
        """The index layout the conjugate-gradient loop works in (built once).

        The loop runs in a permuted rater order — raters sorted by how many people they rated —
        and keeps the people sorted by how many raters they have, so that each block of equal
        counts is summed with one ``zip`` of C-level itemgetters (one per column) feeding
        ``math.fsum``: no Python code per person or rater. Every sum is still ``math.fsum`` of
        exactly the same numbers (exact, so their order does not matter), every other operation
        is element by element or an ``fsum`` over a whole vector, so the iterates are the
        original ones permuted, bit for bit.
        """
        if self._layout is None:
            person_n, rater_n = self._person_n, self._rater_n
            raters = sorted(range(len(rater_n)), key=lambda j: (rater_n[j], j))
            people = sorted(range(len(person_n)), key=lambda i: (person_n[i], i))
            rater_pos = [0] * len(raters)
            for k, j in enumerate(raters):
                rater_pos[j] = k
            person_pos = [0] * len(people)
            for k, i in enumerate(people):
                person_pos[i] = k
            person_blocks: list[tuple[int, list[_Gather]]] = []
            for m, group in itertools.groupby(people, key=person_n.__getitem__):
                members = list(group)
                columns = [
                    _gather(rater_pos[self.by_person[i][t][0]] for i in members) for t in range(m)
                ]
                person_blocks.append((m, columns))
            rater_blocks: list[tuple[int, int, int, list[_Gather]]] = []
            start = 0
            for n, group in itertools.groupby(raters, key=rater_n.__getitem__):
                members = list(group)
                columns = [
                    _gather(person_pos[self.by_rater[j][t]] for j in members) for t in range(n)
                ]
                rater_blocks.append((n, start, start + len(members), columns))
                start += len(members)
            self._layout = _Layout(raters, person_blocks, rater_blocks)
        return self._layout

    def linear_map(self, ridge: float) -> Callable[[list[float]], list[float]]:
        """``b ↦ (Z'MZ + λI) b`` in the permuted rater order of :meth:`_blocks`: each rater's
        effect against the mean effect of their ratees' raters, computed as
        ``(ridge + n) * b[j] - fsum(r[i] for their ratees)`` with ``r[i] = fsum(b[j] for the
        person's raters) / m``."""
        layout = self._blocks()
        mul, sub, truediv = operator.mul, operator.sub, operator.truediv
        person_blocks = layout.person_blocks
        rater_blocks = [
            (start, end, [ridge + n] * (end - start), columns)
            for n, start, end, columns in layout.rater_blocks
        ]

        def apply(b: list[float]) -> list[float]:
            r: list[float] = []
            for m, columns in person_blocks:
                r.extend(map(truediv, _sums(columns, b), repeat(m)))
            out: list[float] = []
            for start, end, coef, columns in rater_blocks:
                out.extend(map(sub, map(mul, coef, b[start:end]), _sums(columns, r)))
            return out

        return apply

    def solve(self, ridge: float) -> list[float]:
        """Solve ``(Z'MZ + λI) b = Z'My`` by preconditioned conjugate gradients (in the permuted
        rater order of :meth:`_blocks`, the solution put back in rater order)."""
        order = self._blocks().raters
        rhs = [self.g[j] for j in order]
        diag = [self.d[j] + ridge for j in order]
        found = _conjugate_gradient(self.linear_map(ridge), rhs, diag)
        out = [0.0] * len(order)
        for k, j in enumerate(order):
            out[j] = found[k]
        return out

    def rater_effects(self, b: list[float]) -> list[float]:
        """The mean rater effect each person's ratings carry."""
        return [math.fsum(b[j] for j, _ in obs) / len(obs) for obs in self.by_person]

    def components(self) -> list[list[int]]:
        """Groups of raters linked through shared ratees (each group sorted)."""
        parent = list(range(len(self.raters)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for obs in self.by_person:
            first = find(obs[0][0])
            for j, _ in obs[1:]:
                root = find(j)
                if root != first:
                    parent[max(root, first)] = min(root, first)
                    first = min(root, first)
        groups: dict[int, list[int]] = {}
        for j in range(len(self.raters)):
            groups.setdefault(find(j), []).append(j)
        return [groups[k] for k in sorted(groups)]

    def inverse_diagonal(self, group: list[int], ridge: float) -> list[float]:
        """The diagonal of ``(Z'MZ + λI)⁻¹`` restricted to one group of connected raters."""
        at = {j: a for a, j in enumerate(group)}
        size = len(group)
        c = [[0.0] * size for _ in range(size)]
        for a in range(size):
            c[a][a] = ridge
        members = set(group)
        for obs in self.by_person:
            if obs[0][0] not in members:
                continue
            m = len(obs)
            idx = [at[j] for j, _ in obs]
            for a in idx:
                row = c[a]
                for b in idx:
                    row[b] += (1.0 if a == b else 0.0) - 1 / m
        return _spd_inverse_diagonal(c)


_Gather = Callable[[list[float]], Sequence[float]]


class _Layout(NamedTuple):
    """See :meth:`_Design._blocks`: the raters in loop order, the people's blocks (count of
    raters, one picker per column) and the raters' blocks (count of ratees, where the block
    lies in the loop order, one picker per column)."""

    raters: list[int]
    person_blocks: list[tuple[int, list[_Gather]]]
    rater_blocks: list[tuple[int, int, int, list[_Gather]]]


def _gather(indices: Iterable[int]) -> _Gather:
    """A function picking ``xs[i]`` for each index, as a sequence (a C itemgetter; a single
    index: a one-item slice)."""
    at = tuple(indices)
    if len(at) == 1:
        return operator.itemgetter(slice(at[0], at[0] + 1))
    return operator.itemgetter(*at)


def _sums(columns: list[_Gather], xs: list[float]) -> Iterator[float]:
    """``math.fsum`` of each row of the columns picked from ``xs`` (rows of one length).

    Rows of one or two numbers need no fsum: ``fsum([a]) == a + 0.0`` and
    ``fsum([a, b]) == (a + b) + 0.0`` for finite numbers whose sum does not overflow (the
    model's numbers are bounded far below that): one addition is correctly rounded, like fsum,
    and adding 0.0 turns the ``-0.0`` fsum never returns into ``0.0``.
    """
    if len(columns) == 1:
        return map(operator.add, columns[0](xs), repeat(0.0))
    if len(columns) == 2:
        pairs = map(operator.add, columns[0](xs), columns[1](xs))
        return map(operator.add, pairs, repeat(0.0))
    return map(math.fsum, zip(*[pick(xs) for pick in columns], strict=True))


def _dot(a: list[float], b: list[float]) -> float:
    if len(a) != len(b):  # pragma: no cover - internal invariant
        raise ValueError("vectors of different lengths")
    return math.fsum(map(operator.mul, a, b))


def _conjugate_gradient(
    apply: Callable[[list[float]], list[float]], rhs: list[float], diag: list[float]
) -> list[float]:
    """Solve a symmetric positive (semi-)definite system with Jacobi-preconditioned CG, from 0.

    A consistent singular system (no ridge: one free constant per group of connected raters)
    converges to the solution without that free part.
    """
    size = len(rhs)
    x = [0.0] * size
    norm = math.sqrt(_dot(rhs, rhs))
    if norm == 0:
        return x
    inv = [1 / dj if dj > 0 else 1.0 for dj in diag]
    # The vector updates run as C-level maps; each element is computed by the same operations
    # in the same order as ``x + alpha * p``, ``r - alpha * ap``, ``r * inv``, ``z + beta * p``.
    add, sub, mul = operator.add, operator.sub, operator.mul
    r = list(rhs)
    z = list(map(mul, r, inv))
    p = list(z)
    rz = _dot(r, z)
    for _ in range(max(100, 4 * size)):
        ap = apply(p)
        pap = _dot(p, ap)
        if pap <= 0:
            break
        alpha = rz / pap
        x = list(map(add, x, map(mul, repeat(alpha), p)))
        r = list(map(sub, r, map(mul, repeat(alpha), ap)))
        if math.sqrt(_dot(r, r)) <= 1e-13 * norm:
            break
        z = list(map(mul, r, inv))
        rz_next = _dot(r, z)
        beta = rz_next / rz
        rz = rz_next
        p = list(map(add, z, map(mul, repeat(beta), p)))
    return x


def _spd_inverse_diagonal(c: list[list[float]]) -> list[float]:
    """The diagonal of the inverse of a symmetric positive definite matrix (Cholesky)."""
    n = len(c)
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        row_i = low[i]
        for j in range(i + 1):
            row_j = low[j]
            s = c[i][j] - math.fsum(row_i[k] * row_j[k] for k in range(j))
            if i == j:
                row_i[i] = math.sqrt(max(s, 1e-300))
            else:
                row_i[j] = s / row_j[j]
    # columns of L⁻¹ by forward substitution; diag(C⁻¹)_j = Σ_k (L⁻¹)_kj²
    out = [0.0] * n
    for j in range(n):
        col = [0.0] * n
        col[j] = 1 / low[j][j]
        for i in range(j + 1, n):
            row = low[i]
            col[i] = -math.fsum(row[k] * col[k] for k in range(j, i)) / row[i]
        out[j] = math.fsum(x * x for x in col[j:])
    return out


def severity_model(
    scores: Iterable[RaterScore],
    *,
    ridge: float | None = None,
    exact_se_limit: int = EXACT_SE_LIMIT,
) -> SeverityModel:
    """Fit ``rating = person + rater + noise`` to all ratings and report each rater's severity
    (with its standard error and ``n``) and each person's performance with severity removed.

    Give one score per rater and ratee (average a review's criteria first). The variance
    components are estimated by Henderson's method 3 and the rater effects are their BLUP with
    ``λ = σ²_e / σ²_rater``; pass ``ridge`` to fix λ instead. Standard errors are exact for
    groups of at most ``exact_se_limit`` connected raters (:class:`StandardErrorMethod`).
    """
    items = _scores(scores)
    fixed_ridge = None if ridge is None else _number("ridge", ridge)
    if fixed_ridge is not None and fixed_ridge <= 0:
        raise ValidationError("ridge", ridge, "is not positive")
    if isinstance(exact_se_limit, bool) or not isinstance(exact_se_limit, int):
        raise ValidationError("exact_se_limit", exact_se_limit, "is not an integer")
    if exact_se_limit < 0:
        raise ValidationError("exact_se_limit", exact_se_limit, "is negative")
    design = _Design(items)
    n, people, raters = len(items), len(design.people), len(design.raters)
    groups = design.components()
    within = math.fsum(
        (y - design.person_mean[i]) ** 2 for i, obs in enumerate(design.by_person) for _, y in obs
    )
    df_within = n - people  # = tr(Z'MZ) when no rater rates anyone twice
    df_residual = n - people - raters + len(groups)
    identified = df_within > 0 and df_residual > 0
    residual_var = rater_var = 0.0
    used_ridge: float | None = None
    effects = [0.0] * raters
    if identified:
        fixed = design.solve(0.0)
        shift = design.rater_effects(fixed)
        sse = math.fsum(
            (y - design.person_mean[i] - fixed[j] + shift[i]) ** 2
            for i, obs in enumerate(design.by_person)
            for j, y in obs
        )
        residual_var = sse / df_residual
        if fixed_ridge is None:
            rater_var = max(0.0, within / df_within - residual_var)
            used_ridge = residual_var / rater_var if rater_var > 0 else None
        else:
            used_ridge = fixed_ridge
            rater_var = residual_var / fixed_ridge
        if used_ridge is not None:
            effects = design.solve(used_ridge)
            # With a positive ridge the exact solution sums to zero within each group of
            # connected raters (1'Z'M = 0); when the ridge is tiny (a near-perfect fit) the
            # system is ill-conditioned, so restore that sum explicitly.
            for group in groups:
                drift = math.fsum(effects[j] for j in group) / len(group)
                for j in group:
                    effects[j] -= drift
    exact = all(len(g) <= exact_se_limit for g in groups)
    se = [0.0] * raters
    if used_ridge is not None and residual_var > 0:
        if exact:
            for group in groups:
                for j, q in zip(group, design.inverse_diagonal(group, used_ridge), strict=True):
                    se[j] = math.sqrt(residual_var * q)
        else:
            se = [math.sqrt(residual_var / (dj + used_ridge)) for dj in design.d]
    rater_out = tuple(
        RaterSeverity(
            rater_id=rater_id,
            n=len(design.by_rater[j]),
            mean=_mean(design.rater_values[j]),
            mean_deviation=design.g[j] / len(design.by_rater[j]),
            severity=effects[j],
            se=se[j],
        )
        for j, rater_id in enumerate(design.raters)
    )
    shift = design.rater_effects(effects)
    people_out = tuple(
        PersonPerformance(
            ratee_id=person,
            n=len(design.by_person[i]),
            mean=design.person_mean[i],
            rater_effect=shift[i],
            adjusted=design.person_mean[i] - shift[i],
        )
        for i, person in enumerate(design.people)
    )
    return SeverityModel(
        n=n,
        people_count=people,
        rater_count=raters,
        components=len(groups),
        residual_variance=residual_var,
        rater_variance=rater_var,
        ridge=used_ridge,
        identified=identified,
        se_method=StandardErrorMethod.EXACT if exact else StandardErrorMethod.DIAGONAL,
        raters=rater_out,
        people=people_out,
    )

"""Rater effects: the habits of individual raters that distort ratings.

Three classic rating errors, each measured against what the *other* raters said about the *same*
people, so that a rater who happens to manage a strong team is not called lenient:

* **leniency / severity** — the rater's ratings sit above (lenient) or below (severe) the
  others' ratings of the same people: a paired t-test of the differences;
* **central tendency** (range restriction) — the rater's ratings spread less than the others'
  ratings of the same people (everyone is "meets expectations"): a variance-ratio (F) test; a
  significantly *wider* spread is reported too;
* **halo** — the rater rates every criterion of a person alike, so the criteria correlate
  highly across the rater's ratees: the mean pairwise Pearson correlation between criteria.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Iterable
from typing import Any

import attrs

from .. import _validation as v
from .._errors import NotFoundError, ValidationError
from ..reviews import Review, ReviewerRole, ReviewStatus
from ..scales import ScaleRef
from . import _common as c
from ._special import f_cdf, f_sf, t_quantile, t_two_sided_p

__all__ = [
    "Halo",
    "Leniency",
    "RaterEffect",
    "RaterEffects",
    "RaterFinding",
    "Spread",
    "rater_effects",
    "rater_effects_from_reviews",
    "review_records",
]

DEFAULT_ROLES = (ReviewerRole.MANAGER, ReviewerRole.PEER, ReviewerRole.UPWARD)
"""The reviews rater effects look at by default: everyone's but self-assessments."""


class RaterFinding(enum.StrEnum):
    """A rating error found in a rater (significant at the chosen level, or above the halo
    threshold)."""

    LENIENT = "lenient"
    """Rates the same people higher than the other raters do."""
    SEVERE = "severe"
    """Rates the same people lower than the other raters do."""
    CENTRAL_TENDENCY = "central_tendency"
    """Spreads ratings less than the other raters do (range restriction)."""
    WIDE_RANGE = "wide_range"
    """Spreads ratings more than the other raters do."""
    HALO = "halo"
    """Rates every criterion of a person alike."""


def _to_finding(value: Any) -> Any:
    return v.as_enum(RaterFinding, value)


def _findings(value: Any) -> Any:
    """attrs converter: a list or tuple of findings (or their values) becomes a tuple of
    members; anything else is left for the validator to reject."""
    if isinstance(value, list | tuple):
        return tuple(_to_finding(x) for x in value)
    return value


@attrs.frozen(kw_only=True)
class Leniency:
    """Leniency or severity: over the ``n`` people the rater shares with other raters, the
    rater's mean rating, the mean of the others' ratings (each person's other ratings averaged
    first), and the mean ``difference`` (positive = lenient) with its sample ``sd``, the paired
    t statistic on ``df = n − 1`` degrees of freedom, its two-sided ``p_value`` and a confidence
    interval ``low``–``high`` of the difference. ``t``, ``p_value`` and the interval are ``None``
    when the differences do not vary (no test is possible)."""

    n: int = attrs.field(validator=v.count)
    rater_mean: float = c.float_field()
    others_mean: float = c.float_field()
    difference: float = c.float_field()
    sd: float = c.float_field(c.non_negative)
    df: int = attrs.field(validator=v.count)
    t: float | None = c.optional_float_field()
    p_value: float | None = c.optional_float_field(c.optional_probability)
    confidence: float = c.float_field(c.open_unit)
    low: float | None = c.optional_float_field()
    high: float | None = c.optional_float_field()

    def sentence(self) -> str:
        """``0.8 above the other raters of the same 5 people (95% CI 0.2 to 1.4; t = 3.2, df 4,
        p = 0.03)``."""
        if self.difference == 0:
            where = "level with"
        else:
            side = "above" if self.difference > 0 else "below"
            where = f"{c.g(abs(self.difference))} {side}"
        head = (
            f"{where} the other raters of the same {self.n} people "
            f"(mean {c.g(self.rater_mean)} against {c.g(self.others_mean)}"
        )
        if self.t is None or self.p_value is None or self.low is None or self.high is None:
            return head + "; the differences do not vary, so there is no test)"
        return (
            f"{head}; {c.percent(self.confidence)} CI {c.g(self.low)} to {c.g(self.high)}; "
            f"t = {c.g(self.t)}, df {self.df}, {c.p_text(self.p_value)})"
        )


@attrs.frozen(kw_only=True)
class Spread:
    """Range restriction: the sample sd of the rater's ratings of the ``n`` shared people
    against the sd of the ``others_n`` ratings the other raters gave the same people, their
    ``variance_ratio`` (below 1 = narrower) and the two-sided F test's ``p_value`` on
    ``(df1, df2)`` degrees of freedom. Ratio and p-value are ``None`` when the others' ratings
    do not vary."""

    n: int = attrs.field(validator=v.count)
    others_n: int = attrs.field(validator=v.count)
    rater_sd: float = c.float_field(c.non_negative)
    others_sd: float = c.float_field(c.non_negative)
    df1: int = attrs.field(validator=v.count)
    df2: int = attrs.field(validator=v.count)
    variance_ratio: float | None = c.optional_float_field(c.optional_non_negative)
    p_value: float | None = c.optional_float_field(c.optional_probability)

    def sentence(self) -> str:
        """``spread sd 0.41 against 0.92 from the others (variance ratio 0.2, F test p = 0.04)``."""
        head = f"spread sd {c.g(self.rater_sd)} against {c.g(self.others_sd)} from the others"
        if self.variance_ratio is None or self.p_value is None:
            return head + " (the others' ratings do not vary, so there is no test)"
        return (
            f"{head} (variance ratio {c.g(self.variance_ratio)}, F({self.df1}, {self.df2}) "
            f"test {c.p_text(self.p_value)})"
        )


@attrs.frozen(kw_only=True)
class Halo:
    """Halo: over the ``ratees`` the rater rated on two or more criteria, the mean Pearson
    correlation between each ``pairs`` of the rater's ``criteria`` (pairs rated together for
    too few people, or that do not vary, are left out; ``None`` when none is left)."""

    ratees: int = attrs.field(validator=v.count)
    criteria: int = attrs.field(validator=v.count)
    pairs: int = attrs.field(validator=v.count)
    mean_correlation: float | None = c.optional_float_field()

    def sentence(self) -> str:
        """``criteria correlate 0.93 on average (3 pairs of criteria over 6 people)``."""
        if self.mean_correlation is None:
            return (
                f"no pair of criteria varies over enough of the {self.ratees} people to correlate"
            )
        pairs = "1 pair" if self.pairs == 1 else f"{self.pairs} pairs"
        return (
            f"criteria correlate {c.g(self.mean_correlation)} on average ({pairs} of criteria "
            f"over {self.ratees} people)"
        )


_FINDING_TEXT = {
    RaterFinding.LENIENT: "lenient",
    RaterFinding.SEVERE: "severe",
    RaterFinding.CENTRAL_TENDENCY: "central tendency",
    RaterFinding.WIDE_RANGE: "wide range",
    RaterFinding.HALO: "halo",
}


@attrs.frozen(kw_only=True)
class RaterEffect:
    """One rater's habits: how many people (``ratees``) and ``ratings`` they gave, the ``mean``
    of their ratings (a person's criteria averaged first), and the three analyses — each
    ``None`` when the rater shares too few people with other raters (or, for halo, rated too
    few people on two or more criteria). ``findings`` lists the rating errors found."""

    rater: str = attrs.field(validator=v.identifier)
    ratees: int = attrs.field(validator=v.count)
    ratings: int = attrs.field(validator=v.count)
    mean: float = c.float_field()
    leniency: Leniency | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Leniency))
    )
    spread: Spread | None = attrs.field(default=None, validator=v.optional(v.instance_of(Spread)))
    halo: Halo | None = attrs.field(default=None, validator=v.optional(v.instance_of(Halo)))
    findings: tuple[RaterFinding, ...] = attrs.field(
        default=(),
        converter=_findings,
        validator=v.each(v.enum_member(RaterFinding)),
    )

    def sentence(self) -> str:
        """The rater in one line: who, how many, and what was found."""
        people = "1 person" if self.ratees == 1 else f"{self.ratees} people"
        found = ", ".join(_FINDING_TEXT[f] for f in self.findings) or "no rating error found"
        return f"{self.rater} rated {people} (mean {c.g(self.mean)}): {found}"

    def explain(self) -> str:
        """:meth:`sentence`, then one line per analysis with its figures."""
        lines = [self.sentence()]
        lines.append(
            "- leniency: "
            + (self.leniency.sentence() if self.leniency else "too few people shared with others")
        )
        lines.append(
            "- range: "
            + (self.spread.sentence() if self.spread else "too few people shared with others")
        )
        lines.append(
            "- halo: "
            + (self.halo.sentence() if self.halo else "too few people rated on two criteria")
        )
        return "\n".join(lines)


@attrs.frozen(kw_only=True)
class RaterEffects:
    """Rater effects for every rater (sorted by rater id), found at the ``significance`` level
    (two-sided), for raters sharing at least ``min_ratees`` people with other raters; halo is
    reported from a mean correlation of ``halo_threshold`` over ``min_halo_ratees`` people or
    more."""

    significance: float = c.float_field(c.open_unit)
    min_ratees: int = attrs.field(validator=c.at_least_one)
    halo_threshold: float = c.float_field()
    min_halo_ratees: int = attrs.field(default=5, validator=c.at_least_one)
    raters: tuple[RaterEffect, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(RaterEffect))
    )

    def rater(self, rater_id: str) -> RaterEffect:
        """One rater's effects (:class:`~perfkit.NotFoundError` if they rated nobody)."""
        for r in self.raters:
            if r.rater == rater_id:
                return r
        raise NotFoundError("rater", str(rater_id))

    def flagged(self, finding: RaterFinding | str) -> tuple[str, ...]:
        """The ids of the raters with this finding (``flagged("lenient")``)."""
        kind = _to_finding(finding)
        if not isinstance(kind, RaterFinding):
            options = ", ".join(repr(m.value) for m in RaterFinding)
            raise ValidationError("finding", finding, f"is not one of {options}")
        return tuple(r.rater for r in self.raters if kind in r.findings)

    def sentences(self) -> tuple[str, ...]:
        """One sentence per rater."""
        return tuple(r.sentence() for r in self.raters)

    def explain(self) -> str:
        """Every rater's :meth:`RaterEffect.explain`, after a line saying how it was tested."""
        head = (
            f"rater effects at the {c.g(self.significance)} significance level (two-sided), "
            f"for raters sharing at least {self.min_ratees} people with other raters; halo from "
            f"a mean correlation of {c.g(self.halo_threshold)} over {self.min_halo_ratees} "
            "people or more"
        )
        return "\n".join([head, *(r.explain() for r in self.raters)])


# --- analysis ------------------------------------------------------------------------------


def _tiny(values: Iterable[float]) -> float:
    """Variation below this is rounding noise, not a difference between ratings."""
    return 1e-12 * max((abs(x) for x in values), default=1.0) + 1e-300


def _leniency(mine: list[float], others: list[list[float]], confidence: float) -> Leniency:
    n = len(mine)
    other_means = [c.mean(o) for o in others]
    diffs = [x - m for x, m in zip(mine, other_means, strict=True)]
    difference = c.mean(diffs)
    spread = c.sd(diffs)
    t = p = low = high = None
    noise = _tiny([*mine, *other_means])
    if abs(difference) <= noise:
        difference = 0.0
    if spread > noise:
        se = spread / math.sqrt(n)
        t = difference / se
        p = t_two_sided_p(t, n - 1)
        q = t_quantile(0.5 + confidence / 2.0, n - 1)
        low, high = difference - q * se, difference + q * se
    else:
        spread = 0.0
    return Leniency(
        n=n,
        rater_mean=c.mean(mine),
        others_mean=c.mean(other_means),
        difference=difference,
        sd=spread,
        df=n - 1,
        t=t,
        p_value=p,
        confidence=confidence,
        low=low,
        high=high,
    )


def _spread(mine: list[float], others: list[float]) -> Spread:
    tiny = _tiny([*mine, *others])
    var_mine, var_others = c.variance(mine), c.variance(others)
    if var_mine <= tiny * tiny:
        var_mine = 0.0
    ratio = p = None
    df1, df2 = len(mine) - 1, len(others) - 1
    if var_others > tiny * tiny:
        ratio = var_mine / var_others
        p = min(1.0, 2.0 * min(f_cdf(ratio, df1, df2), f_sf(ratio, df1, df2)))
    else:
        var_others = 0.0
    return Spread(
        n=len(mine),
        others_n=len(others),
        rater_sd=math.sqrt(var_mine),
        others_sd=math.sqrt(var_others),
        df1=df1,
        df2=df2,
        variance_ratio=ratio,
        p_value=p,
    )


def _halo(by_ratee: dict[str, dict[str, float]], min_ratees: int) -> Halo | None:
    """Halo over the ratees rated on two or more criteria; ``None`` with fewer than
    ``min_ratees`` of them. Each pair of criteria needs ``min_ratees`` people rated on both."""
    rated = {j: crit for j, crit in by_ratee.items() if len(crit) >= 2}
    if len(rated) < min_ratees:
        return None
    criteria = sorted({k for crit in rated.values() for k in crit})
    correlations = []
    for a, b in itertools.combinations(criteria, 2):
        both = [j for j in sorted(rated) if a in rated[j] and b in rated[j]]
        if len(both) < min_ratees:
            continue
        r = c.pearson([rated[j][a] for j in both], [rated[j][b] for j in both])
        if r is not None:
            correlations.append(r)
    return Halo(
        ratees=len(rated),
        criteria=len(criteria),
        pairs=len(correlations),
        mean_correlation=c.mean(correlations) if correlations else None,
    )


def rater_effects(
    records: Iterable[tuple[str, str, str, float]],
    *,
    significance: float = 0.05,
    min_ratees: int = 3,
    halo_threshold: float = 0.8,
    min_halo_ratees: int = 5,
) -> RaterEffects:
    """Leniency/severity, central tendency and halo for every rater, from plain records
    ``(rater, ratee, criterion, value)`` — all values on one scale.

    A rater's rating of a person is the mean of the criteria they rated. Leniency and range are
    judged on the people the rater shares with at least one other rater, and only when there
    are at least ``min_ratees`` of them (default 3); a finding needs a two-sided p-value below
    ``significance`` (default 0.05). With many raters some will pass that bar by chance (1 in
    20 at 0.05): read a finding as a reason to look, not as proof. Halo is reported when the
    criteria the rater used correlate ``halo_threshold`` (default 0.8) or more on average over
    the people they rated on two or more criteria: at least ``min_halo_ratees`` people (default
    5), and as many for each pair of criteria (a correlation over three people says little).

    The result does not depend on the order of the records.
    """
    items = c.records(records)
    alpha = c.level("significance", significance)
    minimum = c.whole("min_ratees", min_ratees, 2)
    threshold = c.number("halo_threshold", halo_threshold)
    halo_minimum = c.whole("min_halo_ratees", min_halo_ratees, 3)

    by_rater: dict[str, dict[str, dict[str, float]]] = {}
    for rater, ratee, criterion, value in items:
        by_rater.setdefault(rater, {}).setdefault(ratee, {})[criterion] = value
    overall: dict[str, dict[str, float]] = {
        r: {j: c.mean(list(crit.values())) for j, crit in people.items()}
        for r, people in by_rater.items()
    }
    raters_of: dict[str, list[str]] = {}
    for r in sorted(overall):
        for j in overall[r]:
            raters_of.setdefault(j, []).append(r)

    effects = []
    for r in sorted(by_rater):
        people = overall[r]
        shared = [j for j in sorted(people) if len(raters_of[j]) >= 2]
        leniency = spread = None
        findings: list[RaterFinding] = []
        if len(shared) >= minimum:
            mine = [people[j] for j in shared]
            others = [[overall[o][j] for o in raters_of[j] if o != r] for j in shared]
            leniency = _leniency(mine, others, 1.0 - alpha)
            spread = _spread(mine, [x for row in others for x in row])
            if leniency.p_value is not None and leniency.p_value < alpha:
                findings.append(
                    RaterFinding.LENIENT if leniency.difference > 0 else RaterFinding.SEVERE
                )
            ratio, p = spread.variance_ratio, spread.p_value
            if ratio is not None and p is not None and p < alpha:
                findings.append(
                    RaterFinding.CENTRAL_TENDENCY if ratio < 1 else RaterFinding.WIDE_RANGE
                )
        halo = _halo(by_rater[r], halo_minimum)
        correlation = None if halo is None else halo.mean_correlation
        if correlation is not None and correlation >= threshold:
            findings.append(RaterFinding.HALO)
        effects.append(
            RaterEffect(
                rater=r,
                ratees=len(people),
                ratings=sum(len(crit) for crit in by_rater[r].values()),
                mean=c.mean([people[j] for j in sorted(people)]),
                leniency=leniency,
                spread=spread,
                halo=halo,
                findings=tuple(findings),
            )
        )
    return RaterEffects(
        significance=alpha,
        min_ratees=minimum,
        halo_threshold=threshold,
        min_halo_ratees=halo_minimum,
        raters=tuple(effects),
    )


# --- from reviews --------------------------------------------------------------------------


def _roles(roles: object) -> frozenset[ReviewerRole]:
    if isinstance(roles, str | bytes) or not isinstance(roles, Iterable):
        raise ValidationError("roles", roles, "is not a collection of reviewer roles")
    out = set()
    for i, role in enumerate(roles):
        member = v.as_enum(ReviewerRole, role)
        if not isinstance(member, ReviewerRole):
            options = ", ".join(repr(m.value) for m in ReviewerRole)
            raise ValidationError(f"roles[{i}]", role, f"is not a reviewer role ({options})")
        out.add(member)
    return frozenset(out)


def review_records(
    reviews: Iterable[Review],
    *,
    roles: Iterable[ReviewerRole | str] = DEFAULT_ROLES,
    include_drafts: bool = False,
) -> tuple[tuple[str, str, str, float], ...]:
    """The ratings of reviews as plain records ``(reviewer, subject, criterion, value)``,
    sorted, for :func:`rater_effects` and :func:`~perfkit.analytics.alpha_from_records`.

    Only reviews by the given ``roles`` count (default: managers, peers and upward reviewers —
    a self-assessment says nothing about how its author rates others), and drafts only with
    ``include_drafts``. All their ratings must be on one scale version
    (``reviews[3].ratings[0].rating.scale``); map them onto one scale first otherwise
    (:func:`perfkit.scales.map_rating`).
    """
    if isinstance(reviews, str | bytes) or not isinstance(reviews, Iterable):
        raise ValidationError("reviews", reviews, "is not a collection of Review")
    wanted = _roles(roles)
    if not isinstance(include_drafts, bool):
        raise ValidationError("include_drafts", include_drafts, "is not True or False")
    out: list[tuple[str, str, str, float]] = []
    scale: tuple[ScaleRef, str] | None = None
    seen: dict[tuple[str, str, str], str] = {}
    for i, review in enumerate(reviews):
        if not isinstance(review, Review):
            raise ValidationError(f"reviews[{i}]", review, "is not a Review")
        if review.role not in wanted:
            continue
        if review.status is ReviewStatus.DRAFT and not include_drafts:
            continue
        for k, rated in enumerate(review.ratings):
            at = f"reviews[{i}].ratings[{k}]"
            if scale is None:
                scale = (rated.rating.scale, at)
            elif rated.rating.scale != scale[0]:
                raise ValidationError(
                    f"{at}.rating.scale",
                    str(rated.rating.scale),
                    f"is not {scale[0]}, the scale of {scale[1]}; rater effects compare ratings "
                    "on one scale (map them with perfkit.scales.map_rating)",
                )
            key = (review.reviewer, review.subject, rated.criterion_id)
            if key in seen:
                raise ValidationError(
                    at,
                    rated.criterion_id,
                    f"is rated again: {seen[key]} already holds {review.reviewer!r}'s rating of "
                    f"{review.subject!r} on it",
                )
            seen[key] = at
            out.append((review.reviewer, review.subject, rated.criterion_id, rated.rating.value))
    out.sort(key=lambda r: (r[0], r[1], r[2]))
    return tuple(out)


def rater_effects_from_reviews(
    reviews: Iterable[Review],
    *,
    roles: Iterable[ReviewerRole | str] = DEFAULT_ROLES,
    include_drafts: bool = False,
    significance: float = 0.05,
    min_ratees: int = 3,
    halo_threshold: float = 0.8,
    min_halo_ratees: int = 5,
) -> RaterEffects:
    """:func:`rater_effects` of a cycle's reviews (read through :func:`review_records`): each
    reviewer is a rater, each subject a ratee, each criterion rating a record."""
    return rater_effects(
        review_records(reviews, roles=roles, include_drafts=include_drafts),
        significance=significance,
        min_ratees=min_ratees,
        halo_threshold=halo_threshold,
        min_halo_ratees=min_halo_ratees,
    )

"""Adverse impact: whether a rating outcome falls unevenly on groups of people.

The *selection rate* of a group is the share of its members rated at or above a threshold
(say, "exceeds expectations", the rating that unlocks a merit increase or a promotion). The
*impact ratio* of a group is its selection rate over the rate of the most favoured group. The
US Uniform Guidelines' *four-fifths rule* (29 CFR 1607.4 D) takes a ratio below 0.8 as
evidence of adverse impact. Rating gaps — the difference in mean rating from the most favoured
group — come with a Welch t confidence interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import attrs

from .. import _validation as v
from .._errors import NotFoundError, ValidationError
from . import _common as c
from ._special import t_quantile, t_two_sided_p

__all__ = ["AdverseImpactReport", "FOUR_FIFTHS", "GroupImpact", "adverse_impact"]

FOUR_FIFTHS = Fraction(4, 5)
"""The four-fifths rule's bar: an impact ratio below 4/5 is evidence of adverse impact."""

_FIGURES = (
    "selected",
    "rate",
    "impact_ratio",
    "four_fifths",
    "mean",
    "gap",
    "gap_low",
    "gap_high",
    "gap_p",
)


def _optional_bool(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise ValidationError(attribute.name, value, "is not True, False or None")


def _ratio_text(ratio: float) -> str:
    """An impact ratio to 3 digits — more where 3 would round a failing ratio up to 0.8."""
    text = c.g(ratio)
    if ratio < 0.8 <= float(text):
        text = repr(ratio)
    return text


@attrs.frozen(kw_only=True)
class GroupImpact:
    """One group in an adverse-impact analysis.

    ``n`` people; ``selected`` of them rated at or above the threshold, a selection ``rate``
    of ``selected / n``; the ``impact_ratio`` (rate over the reference group's rate) and
    ``four_fifths`` (``True`` = passes: the ratio is 0.8 or more); the ``mean`` rating and its
    ``gap`` to the reference group's mean (negative = lower) with a Welch confidence interval
    ``gap_low``–``gap_high`` and the two-sided ``gap_p`` of the difference.

    A ``suppressed`` group is too small to report: only ``n`` is shown, every figure is
    ``None``. The reference group's gap is 0 with no interval. Impact ratios are ``None`` when
    the reference group's rate is 0 (nobody anywhere reached the threshold); an interval is
    ``None`` when a side has a single person.
    """

    group: str = attrs.field(validator=v.non_empty_text)
    n: int = attrs.field(validator=v.count)
    suppressed: bool = attrs.field(default=False, validator=v.instance_of(bool))
    selected: int | None = attrs.field(default=None, validator=c.optional_count)
    rate: float | None = c.optional_float_field(c.optional_probability)
    impact_ratio: float | None = c.optional_float_field(c.optional_non_negative)
    four_fifths: bool | None = attrs.field(default=None, validator=_optional_bool)
    mean: float | None = c.optional_float_field()
    gap: float | None = c.optional_float_field()
    gap_low: float | None = c.optional_float_field()
    gap_high: float | None = c.optional_float_field()
    gap_p: float | None = c.optional_float_field(c.optional_probability)

    def __attrs_post_init__(self) -> None:
        if self.suppressed:
            for name in _FIGURES:
                if getattr(self, name) is not None:
                    raise ValidationError(name, getattr(self, name), "is set on a suppressed group")
        elif self.selected is not None and self.selected > self.n:
            raise ValidationError("selected", self.selected, f"is more than n ({self.n})")

    def sentence(self, reference: str | None = None, threshold: float | None = None) -> str:
        """The group's figures in one line; name the ``reference`` group and the rating
        ``threshold`` to have them in the sentence."""
        people = "1 person" if self.n == 1 else f"{self.n} people"
        if self.suppressed:
            return f"{self.group}: {people}, too few to report: suppressed"
        if self.selected is None or self.rate is None or self.mean is None:
            return f"{self.group}: {people}, no figures"
        bar = "" if threshold is None else f" rated {c.g(threshold)} or higher"
        parts = [f"{self.group}: {self.selected} of {self.n} ({c.percent(self.rate)}){bar}"]
        if self.group == reference:
            parts.append("the most favoured group (reference)")
            parts.append(f"mean rating {c.g(self.mean)}")
            return "; ".join(parts)
        against = "" if reference is None else f" against {reference}"
        if self.impact_ratio is None:
            parts.append(f"no impact ratio{against} (its rate is 0)")
        else:
            verdict = (
                "passes the four-fifths rule"
                if self.four_fifths
                else "fails the four-fifths rule: adverse impact"
            )
            parts.append(f"impact ratio {_ratio_text(self.impact_ratio)}{against}: {verdict}")
        gap = self.gap if self.gap is not None else 0.0
        side = "below" if gap < 0 else "above"
        text = f"mean rating {c.g(self.mean)}, {c.g(abs(gap))} {side}"
        if reference is not None:
            text += f" {reference}"
        if self.gap_low is not None and self.gap_high is not None:
            text += f" (gap CI {c.g(self.gap_low)} to {c.g(self.gap_high)}"
            text += f", {c.p_text(self.gap_p)})" if self.gap_p is not None else ")"
        parts.append(text)
        return "; ".join(parts)


@attrs.frozen(kw_only=True)
class AdverseImpactReport:
    """An adverse-impact analysis: every group (sorted by name), the ``reference`` group (the
    most favoured one among those reported; ``None`` if every group is suppressed), the groups
    ``flagged`` by the four-fifths rule, and the settings it ran with. ``ungrouped`` counts the
    rated people who had no group: they were left out."""

    threshold: float = c.float_field()
    min_group_size: int = attrs.field(validator=c.at_least_one)
    confidence: float = c.float_field(c.open_unit)
    groups: tuple[GroupImpact, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(GroupImpact))
    )
    reference: str | None = attrs.field(default=None, validator=v.optional(v.non_empty_text))
    flagged: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.non_empty_text)
    )
    ungrouped: int = attrs.field(default=0, validator=v.count)

    def __attrs_post_init__(self) -> None:
        shown = {g.group for g in self.groups if not g.suppressed}
        if self.reference is not None and self.reference not in shown:
            raise ValidationError(
                "reference", self.reference, "is not one of the reported (unsuppressed) groups"
            )
        for i, name in enumerate(self.flagged):
            if name not in shown:
                raise ValidationError(
                    f"flagged[{i}]", name, "is not one of the reported (unsuppressed) groups"
                )

    def group(self, name: str) -> GroupImpact:
        """One group's figures (:class:`~perfkit.NotFoundError` if there is no such group)."""
        for item in self.groups:
            if item.group == name:
                return item
        raise NotFoundError("group", str(name))

    def sentences(self) -> tuple[str, ...]:
        """The analysis in sentences: what was measured, one line per group, the verdict."""
        head = (
            f"selection: rated {c.g(self.threshold)} or higher; groups under "
            f"{self.min_group_size} people suppressed; gaps with {c.percent(self.confidence)} "
            "Welch confidence intervals"
        )
        out = [head]
        out.extend(item.sentence(self.reference, self.threshold) for item in self.groups)
        if self.reference is None:
            out.append("no group is large enough to report: nothing to compare")
        elif self.flagged:
            out.append(f"adverse impact (four-fifths rule) against: {', '.join(self.flagged)}")
        elif self.group(self.reference).rate == 0:
            out.append("nobody reached the threshold: no impact ratio can be computed")
        else:
            out.append("no group fails the four-fifths rule")
        if self.ungrouped:
            out.append(f"{self.ungrouped} rated people have no group: left out")
        return tuple(out)

    def explain(self) -> str:
        """:meth:`sentences`, a line each."""
        return "\n".join(self.sentences())


def _groups(groups: object) -> dict[str, str]:
    if not isinstance(groups, Mapping):
        raise ValidationError("groups", groups, "is not a mapping of employee id to group")
    out: dict[str, str] = {}
    for key, name in groups.items():
        if not isinstance(key, str):
            raise ValidationError(f"groups[{key!r}]", key, "is not a string id")
        if name is None:
            continue
        if not isinstance(name, str):
            raise ValidationError(f"groups[{key!r}]", name, "is not a group name (a string)")
        if name.strip():
            out[key] = name
    return out


def _welch(
    mean_a: float, var_a: float, n_a: int, mean_b: float, var_b: float, n_b: int, conf: float
) -> tuple[float | None, float | None, float | None]:
    """Welch's interval and two-sided p for ``mean_a − mean_b`` (sample variances): the
    standard error ``√(s²_a/n_a + s²_b/n_b)`` and Welch–Satterthwaite's degrees of freedom."""
    if n_a < 2 or n_b < 2:
        return None, None, None
    gap = mean_a - mean_b
    wa, wb = var_a / n_a, var_b / n_b
    se2 = wa + wb
    if se2 == 0.0:  # neither group varies: there is no test
        return None, None, None
    df = se2 * se2 / (wa * wa / (n_a - 1) + wb * wb / (n_b - 1))
    se = math.sqrt(se2)
    q = t_quantile(0.5 + conf / 2.0, df)
    return gap - q * se, gap + q * se, t_two_sided_p(gap / se, df)


def adverse_impact(
    ratings: Mapping[str, float],
    groups: Mapping[str, str],
    *,
    threshold: float,
    min_group_size: int = 5,
    confidence: float = 0.95,
) -> AdverseImpactReport:
    """Adverse impact of ratings (employee id → rating) on groups (employee id → group name,
    any attribute: gender, age band, location — see
    :func:`~perfkit.analytics.groups_by_attribute`).

    Per group: the selection rate (share rated ``threshold`` or higher), the impact ratio
    against the most favoured group (the highest rate among the reported groups; a tie goes to
    the group first by name) and the four-fifths flag, decided exactly on the counts
    (``selected_g · n_ref < 0.8 · n_g · selected_ref`` in whole numbers, so 4 of 5 against
    5 of 5 passes). The mean rating's gap to the reference group comes with a Welch
    ``confidence`` interval.

    Groups of fewer than ``min_group_size`` people (default 5) are suppressed: reported with
    their size only, no figures, and never the reference — so no one's rating can be read off
    a small group. Employees in ``ratings`` with no group (absent from ``groups``, or mapped to
    ``None`` or a blank name) are ignored and counted in ``ungrouped``; ``groups`` entries for
    people without a rating are ignored.
    """
    given = c.ratings_by_employee(ratings)
    members = _groups(groups)
    bar = c.number("threshold", threshold)
    minimum = c.whole("min_group_size", min_group_size, 1)
    conf = c.level("confidence", confidence)

    by_group: dict[str, list[float]] = {}
    ungrouped = 0
    for key, x in given.items():
        name = members.get(key)
        if name is None:
            ungrouped += 1
        else:
            by_group.setdefault(name, []).append(x)

    stats: dict[str, tuple[int, int, float, float]] = {}
    for name, xs in by_group.items():
        if len(xs) >= minimum:
            stats[name] = (
                len(xs),
                sum(1 for x in xs if x >= bar),
                c.mean(xs),
                c.variance(xs) if len(xs) > 1 else 0.0,
            )
    reference = None
    if stats:
        reference = min(stats, key=lambda g: (-Fraction(stats[g][1], stats[g][0]), g))

    items = []
    flagged = []
    for name in sorted(by_group):
        n = len(by_group[name])
        if name not in stats:
            items.append(GroupImpact(group=name, n=n, suppressed=True))
            continue
        assert reference is not None
        _, selected, mean, var = stats[name]
        ref_n, ref_selected, ref_mean, ref_var = stats[reference]
        ratio = passes = None
        if ref_selected > 0:
            ratio = (selected * ref_n) / (n * ref_selected)
            passes = Fraction(selected * ref_n, n * ref_selected) >= FOUR_FIFTHS
            if not passes:
                flagged.append(name)
        if name == reference:
            low = high = p = None
            gap = 0.0
        else:
            gap = mean - ref_mean
            low, high, p = _welch(mean, var, n, ref_mean, ref_var, ref_n, conf)
        items.append(
            GroupImpact(
                group=name,
                n=n,
                selected=selected,
                rate=selected / n,
                impact_ratio=ratio,
                four_fifths=passes,
                mean=mean,
                gap=gap,
                gap_low=low,
                gap_high=high,
                gap_p=p,
            )
        )
    return AdverseImpactReport(
        threshold=bar,
        min_group_size=minimum,
        confidence=conf,
        groups=tuple(items),
        reference=reference,
        flagged=tuple(flagged),
        ungrouped=ungrouped,
    )

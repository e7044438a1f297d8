"""People analytics on ratings: distributions by group, rater effects, inter-rater reliability
and adverse impact.

* :func:`distribution_by` — ratings per unit, manager, job level or employee attribute;
* :func:`rater_effects` / :func:`rater_effects_from_reviews` — leniency and severity, central
  tendency and halo, each tested against what other raters said about the same people
  (:mod:`perfkit.normalisation` corrects for rater severity; this module finds and tests it);
* :func:`intraclass_correlation` and :func:`krippendorff_alpha` (and from rating records,
  :func:`icc_from_records` and :func:`alpha_from_records`) — how far raters agree;
* :func:`adverse_impact` — selection rates, impact ratios and the four-fifths rule, with
  rating gaps and their confidence intervals, small groups suppressed.

Everything is pure Python (no numpy or scipy) and deterministic: the same inputs give equal
results whatever their order. The tests of significance use the t and F distributions computed
here from the regularized incomplete beta function.
"""

from __future__ import annotations

from ._common import MIN_GROUP_SIZE
from ._distribution import (
    DistributionSummary,
    GroupDistribution,
    Grouping,
    PointCount,
    distribution_by,
    groups_by_attribute,
)
from ._fairness import FOUR_FIFTHS, AdverseImpactReport, GroupImpact, adverse_impact
from ._raters import (
    Halo,
    Leniency,
    RaterEffect,
    RaterEffects,
    RaterFinding,
    Spread,
    rater_effects,
    rater_effects_from_reviews,
    review_records,
)
from ._reliability import (
    ICC,
    ICCForm,
    ICCReport,
    KrippendorffAlpha,
    MeasurementLevel,
    alpha_from_records,
    icc_from_records,
    intraclass_correlation,
    krippendorff_alpha,
)

__all__ = [
    "AdverseImpactReport",
    "DistributionSummary",
    "FOUR_FIFTHS",
    "GroupDistribution",
    "GroupImpact",
    "Grouping",
    "Halo",
    "ICC",
    "ICCForm",
    "ICCReport",
    "KrippendorffAlpha",
    "Leniency",
    "MIN_GROUP_SIZE",
    "MeasurementLevel",
    "PointCount",
    "RaterEffect",
    "RaterEffects",
    "RaterFinding",
    "Spread",
    "adverse_impact",
    "alpha_from_records",
    "distribution_by",
    "groups_by_attribute",
    "icc_from_records",
    "intraclass_correlation",
    "krippendorff_alpha",
    "rater_effects",
    "rater_effects_from_reviews",
    "review_records",
]

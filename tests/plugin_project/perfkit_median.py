"""A third-party scoring policy for perfkit: the median key-result attainment.

Installing this distribution makes ``median`` selectable by name (``make_policy("median")``,
or ``name = "median"`` in a policy file) through its entry point in the group
``perfkit.scoring_policies``; perfkit itself is not touched.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from perfkit.scales import OKR, ScaleRef
from perfkit.scoring import Component, ConfigReader, EmployeeInputs, Score


@attrs.frozen(kw_only=True)
class MedianPolicy:
    """The median of the key results' attainments, each capped at ``cap``, on the OKR scale:
    one outlier key result neither makes nor breaks the score."""

    name: ClassVar[str] = "median"
    cap: float = 1.0

    @property
    def scale(self) -> ScaleRef:
        return OKR.ref

    def score(self, inputs: EmployeeInputs) -> Score:
        capped = {g.goal_id: min(g.attainment, self.cap) for g in inputs.goals}
        median = statistics.median(sorted(capped.values())) if capped else 0.0
        shown = ", ".join(f"{goal_id} {value:.2f}" for goal_id, value in sorted(capped.items()))
        part = Component.leaf("median", 1.0, median, f"median of {shown or 'no key results'}")
        return Score.of(inputs.employee_id, self.name, self.scale, [part])


def factory(config: Mapping[str, Any]) -> MedianPolicy:
    """The entry point: build the policy from its configuration table."""
    reader = ConfigReader(config)
    cap = reader.number("cap", 1.0, low=0.0, high=1.0)
    reader.finish()
    return MedianPolicy(cap=cap)

"""Strategies for explanations: cycle runs of random sample companies under varied policies."""

from datetime import datetime
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

from perfkit.calibration import Adjustment
from perfkit.dataset import CycleData
from perfkit.rewards import Rounding
from perfkit.run import CyclePolicy, CycleResult, run_cycle
from perfkit.sample import sample_cycle, sample_policy
from perfkit.scales import BUILTIN_SCALES
from perfkit.scoring import RatingCutoffs, cutoffs_for

RUN_AT = datetime(2026, 12, 20, 18, tzinfo=ZoneInfo("Europe/Paris"))
"""After the sample cycle's reviews, before its end: everyone still employed is rated."""

FIVE_CUTOFFS = cutoffs_for(BUILTIN_SCALES.get(sample_policy().rating_scale))


@attrs.frozen
class Run:
    """A sample cycle run: its data, the policy, the result and the policy's cut-offs."""

    data: CycleData
    policy: CyclePolicy
    result: CycleResult
    cutoffs: RatingCutoffs


@st.composite
def sample_runs(draw: st.DrawFn) -> Run:
    """A sample company of 20-60 people run under the sample policy, with or without budget
    pools, advised or forced calibration, any bonus rounding, and sometimes a calibrator's own
    change on top (so some people carry two calibration steps)."""
    size = draw(st.integers(20, 60))
    seed = draw(st.integers(0, 10_000))
    data = sample_cycle(size, seed=seed)
    policy = sample_policy(data, calibration=draw(st.sampled_from(["advise", "force"])))
    if draw(st.booleans()):
        policy = attrs.evolve(policy, pools=(), rates=None)
    assert policy.bonus is not None
    rounding = draw(st.sampled_from(list(Rounding)))
    policy = attrs.evolve(policy, bonus=attrs.evolve(policy.bonus, rounding=rounding))
    result = run_cycle(data, policy, at=RUN_AT)
    if draw(st.booleans()):
        first = result.employees[draw(st.integers(0, len(result.employees) - 1))]
        now = first.rating_after.value
        to = draw(st.sampled_from([x for x in (1.0, 2.0, 3.0, 4.0, 5.0) if x != now]))
        change = Adjustment(
            employee_id=first.employee_id,
            from_value=now,
            to_value=to,
            by="dana",
            at=RUN_AT,
            reason="calibration committee",
        )
        result = run_cycle(data, policy, at=RUN_AT, adjustments=[change])
    return Run(data=data, policy=policy, result=result, cutoffs=FIVE_CUTOFFS)

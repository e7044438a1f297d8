"""Run a whole review cycle: score → rate → calibrate → reward → develop → one result.

:func:`run_cycle` is the one entry point. It takes a cycle's inputs (:class:`~perfkit.CycleData`)
and a :class:`CyclePolicy` and returns a :class:`CycleResult` that holds, per employee, the score
and its explanation, the rating before and after calibration, the 9-box cell, the merit increase,
the bonus, recognition awards and any development plan, plus the cycle-wide reports: the
distribution before and after calibration against the guideline, rater effects, the 9-box grid
and budget spend per pool.

Everything is a pure function of its inputs: the same data, policy and ``at`` give an equal
result and byte-identical JSON. Nothing is stored; a host saves the result where it likes.
(The module is ``run`` rather than ``cycle`` so that it is not mistaken for ``cycles``, which
holds the review-cycle calendar.)
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from . import _validation as v
from ._errors import MISSING, NotFoundError, ValidationError
from .calibration import (
    Adjustment,
    CalibrationEntry,
    CalibrationSession,
    DeviationReport,
    DistributionGuideline,
    DistributionReport,
    force_distribution,
)
from .dataset import CycleData
from .development import (
    DevelopmentPlan,
    DevelopmentRules,
    PerformanceOutcome,
    missed_kpis,
    plans_for,
)
from .ninebox import NineBoxCell, NineBoxCutoffs, NineBoxGrid, nine_box
from .normalisation import RaterScore, SeverityModel, severity_model
from .org import Employee
from .reviews import CriterionRating, Review, ReviewerRole
from .rewards import (
    BonusPlan,
    BonusProposal,
    BudgetPool,
    Eligibility,
    EligibilityRules,
    MeritAllocation,
    MeritMatrix,
    MeritProposal,
    RateTable,
    RecognitionAward,
    RecognitionRule,
    allocate,
    pool_for,
    propose_merit,
    proration,
)
from .scales import Rating, Scale, ScaleRef
from .scoring import RatingCutoffs, Score, ScoringPolicy, _Index, all_inputs, cutoffs_for

__all__ = [
    "CalibrationMode",
    "CyclePolicy",
    "CycleResult",
    "EmployeeResult",
    "run_cycle",
]


class CalibrationMode(enum.StrEnum):
    """What the run does with the distribution guideline.

    ``advise``: the guideline is reported (deviations per unit), ratings change only through the
    calibrators' own adjustments. ``force``: a forced distribution by score is applied on top —
    the explicit enforcement option.
    """

    ADVISE = "advise"
    FORCE = "force"


def _calibration_mode(value: Any) -> Any:
    return v.as_enum(CalibrationMode, value)


def _scoring_policy(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, ScoringPolicy):
        raise ValidationError(
            attribute.name, value, "is not a scoring policy (name, scale and score(inputs))"
        )


def _potentials(value: Any) -> Any:
    return tuple(sorted(value.items())) if isinstance(value, Mapping) else value


@attrs.frozen(kw_only=True)
class CyclePolicy:
    """How a cycle is run: the scoring policy and everything that follows a score.

    ``rating_scale`` is the scale of final ratings (it must be in the data's scale catalogue);
    ``cutoffs`` turn scores into ratings on it (default: round to the nearest point).
    ``guideline`` with ``calibration`` ``advise`` (default) or ``force``. ``nine_box`` places
    calibrated performance against potential, read from the employee attribute
    ``potential_attribute`` (a number) unless the run is given potentials. Rewards: a merit
    ``matrix`` with eligibility ``rules``, budget ``pools`` (none: no budget limit) and the
    ``rates`` that convert currencies into the pools' base currency; a ``bonus`` plan;
    ``recognition`` rules. ``development`` opens improvement and growth plans.
    """

    scoring: ScoringPolicy = attrs.field(validator=_scoring_policy)
    rating_scale: ScaleRef = attrs.field(validator=v.instance_of(ScaleRef))
    cutoffs: RatingCutoffs | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(RatingCutoffs))
    )
    guideline: DistributionGuideline | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(DistributionGuideline))
    )
    calibration: CalibrationMode = attrs.field(
        default=CalibrationMode.ADVISE,
        converter=_calibration_mode,
        validator=v.enum_member(CalibrationMode),
    )
    nine_box: NineBoxCutoffs | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(NineBoxCutoffs))
    )
    potential_attribute: str = attrs.field(default="potential", validator=v.identifier)
    merit: MeritMatrix | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(MeritMatrix))
    )
    eligibility: EligibilityRules | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(EligibilityRules))
    )
    pools: tuple[BudgetPool, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(BudgetPool))
    )
    rates: RateTable | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(RateTable))
    )
    bonus: BonusPlan | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(BonusPlan))
    )
    recognition: tuple[RecognitionRule, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(RecognitionRule))
    )
    development: DevelopmentRules | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(DevelopmentRules))
    )

    def __attrs_post_init__(self) -> None:
        if self.cutoffs is not None and self.cutoffs.scale != self.rating_scale:
            raise ValidationError(
                "cutoffs.scale",
                str(self.cutoffs.scale),
                f"is not the rating scale {self.rating_scale}",
            )
        if self.guideline is not None and self.guideline.scale != self.rating_scale:
            raise ValidationError(
                "guideline.scale",
                str(self.guideline.scale),
                f"is not the rating scale {self.rating_scale}",
            )
        if self.calibration is CalibrationMode.FORCE and self.guideline is None:
            raise ValidationError("calibration", "force", "needs a guideline to force")
        if self.pools and self.rates is None:
            raise ValidationError("rates", None, "are required with budget pools")
        if self.pools and self.merit is None:
            raise ValidationError("pools", len(self.pools), "need a merit matrix to spend")


@attrs.frozen(kw_only=True)
class EmployeeResult:
    """One person's outcome of the cycle, every number with its explanation."""

    employee_id: str = attrs.field(validator=v.identifier)
    unit_id: str = attrs.field(validator=v.identifier)
    score: Score = attrs.field(validator=v.instance_of(Score))
    rating_before: Rating = attrs.field(validator=v.instance_of(Rating))
    rating_after: Rating = attrs.field(validator=v.instance_of(Rating))
    adjustments: tuple[Adjustment, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(Adjustment))
    )
    nine_box: NineBoxCell | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(NineBoxCell))
    )
    eligibility: Eligibility | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(Eligibility))
    )
    merit: MeritProposal | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(MeritProposal))
    )
    bonus: BonusProposal | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(BonusProposal))
    )
    awards: tuple[RecognitionAward, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(RecognitionAward))
    )
    plan_ids: tuple[str, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.identifier)
    )

    def sentences(self) -> tuple[str, ...]:
        """The explanation of every number, one sentence each."""
        out = [self.score.sentence(), f"rating {_g(self.rating_before.value)} by the cut-offs"]
        for a in self.adjustments:
            out.append(
                f"calibrated {_g(a.from_value)} → {_g(a.to_value)} by {a.by} on "
                f"{a.at.date().isoformat()}: {a.reason}"
            )
        if self.nine_box is not None:
            out.append(f"9-box {self.nine_box.number}: {self.nine_box.name}")
        if self.eligibility is not None and not self.eligibility.eligible:
            out.append("not eligible for rewards: " + "; ".join(self.eligibility.reasons))
        if self.merit is not None:
            out.append(self.merit.sentence())
        if self.bonus is not None:
            out.append(self.bonus.sentence())
        out.extend(a.sentence() for a in self.awards)
        out.extend(f"development plan {p}" for p in self.plan_ids)
        return tuple(out)

    def explain(self) -> str:
        """All of :meth:`sentences`, joined: the answer to "why this outcome?"."""
        return "; ".join(self.sentences())


@attrs.frozen(kw_only=True)
class CycleResult:
    """Everything a cycle run decided, per employee and for the whole population."""

    cycle_id: str = attrs.field(validator=v.identifier)
    policy: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    employees: tuple[EmployeeResult, ...] = attrs.field(
        converter=v.tuple_of, validator=v.each(v.instance_of(EmployeeResult))
    )
    calibration: CalibrationSession = attrs.field(validator=v.instance_of(CalibrationSession))
    distribution: DistributionReport = attrs.field(validator=v.instance_of(DistributionReport))
    guideline: DistributionGuideline | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(DistributionGuideline))
    )
    deviations_before: DeviationReport | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(DeviationReport))
    )
    deviations_after: DeviationReport | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(DeviationReport))
    )
    rater_effects: SeverityModel | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(SeverityModel))
    )
    nine_box: NineBoxGrid | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(NineBoxGrid))
    )
    merit: MeritAllocation | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(MeritAllocation))
    )
    awards: tuple[RecognitionAward, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(RecognitionAward))
    )
    plans: tuple[DevelopmentPlan, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(DevelopmentPlan))
    )

    def plan(self, plan_id: str) -> DevelopmentPlan:
        """One development plan by id."""
        for p in self.plans:
            if p.id == plan_id:
                return p
        raise NotFoundError("development plan", plan_id)

    def employee(self, employee_id: str) -> EmployeeResult:
        """One person's result."""
        for e in self.employees:
            if e.employee_id == employee_id:
                return e
        raise NotFoundError("employee result", employee_id)


def _g(x: float) -> str:
    return f"{x:g}"


def _potential(employee: Employee, attribute: str, given: Mapping[str, float]) -> float | None:
    """The employee's potential: from ``given`` when it names them, else from the attribute."""
    if employee.id in given:
        value: object = given[employee.id]
        where = f"potentials[{employee.id!r}]"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(where, value, "is not a number")
        number = float(value)
    else:
        raw = employee.attributes.get(attribute)
        if raw is None:
            return None
        where = f"employees[{employee.id!r}].attributes[{attribute!r}]"
        try:
            number = float(raw)
        except ValueError:
            raise ValidationError(where, raw, "is not a number") from None
    if not math.isfinite(number):
        raise ValidationError(where, number, "is not a finite number")
    return number


def _scores(
    data: CycleData, scoring: ScoringPolicy, at: datetime, rating_day: date
) -> dict[str, Score]:
    """The score of everyone active on ``rating_day``:
    ``{i.employee_id: scoring.score(i) for i in all_inputs(data, at) if <active>}``.

    Computed person by person, so that only one person's inputs are alive at a time (a large
    organisation's inputs take more memory than its scores). Should anything fail, the work is
    replayed in that order — every input first, then who is active, then the scores — so the
    error raised is the very one the all-inputs-first order meets first."""
    org = data.organisation
    index = _Index(data, at)
    out: dict[str, Score] = {}
    try:
        for person in index.people():
            inputs = index.inputs(person)
            if org.employee(person).is_active(rating_day):
                out[person] = scoring.score(inputs)
    except Exception:
        try:
            every = all_inputs(data, at)
            active = [i for i in every if org.employee(i.employee_id).is_active(rating_day)]
            for i in active:
                scoring.score(i)
        except Exception as err:
            raise err from None
        raise
    return out


def _rater_scores(data: CycleData) -> list[RaterScore]:
    """One score per rater and ratee: the weighted mean of each submitted review that is not a
    self review, on a 0–1 basis (each criterion mapped linearly on its scale)."""
    forms = {f.id: f for f in data.forms}
    # The mean depends only on the form and the ratings (criterion, scale, value): reviews that
    # rate alike share it, so it is computed (and the review checked) once per pattern. A signed
    # zero rating gives the same mean as an unsigned one (and passes or fails the same checks).
    means: dict[tuple[object, ...], float] = {}
    scores = []
    for review in sorted(data.reviews, key=_review_id):
        if review.role is ReviewerRole.SELF or review.status.value == "draft" or not review.ratings:
            continue
        key = (review.form_id, *(_rating_key(r) for r in review.ratings))
        mean = means.get(key)
        if mean is None:
            mean = review.weighted_mean(forms[review.form_id], data.scales).value
            means[key] = mean
        scores.append(RaterScore(rater_id=review.reviewer, ratee_id=review.subject, value=mean))
    return scores


def _review_id(review: Review) -> str:
    return review.id


def _rating_key(given: CriterionRating) -> tuple[str, ScaleRef, float]:
    rating = given.rating
    return (given.criterion_id, rating.scale, rating.value)


def _check_run_args(data: object, policy: object, at: object) -> None:
    if not isinstance(data, CycleData):
        raise ValidationError("data", data, "is not a CycleData")
    if not isinstance(policy, CyclePolicy):
        raise ValidationError("policy", policy, "is not a CyclePolicy")
    v.aware_datetime(None, attrs.fields(CycleResult).at, at)


def run_cycle(
    data: CycleData,
    policy: CyclePolicy,
    *,
    at: datetime,
    calibrator: str = "perfkit",
    adjustments: Sequence[Adjustment] = (),
    potentials: Mapping[str, float] | None = None,
) -> CycleResult:
    """Run the cycle: score everyone, rate, calibrate, reward, open development plans.

    ``at`` is the moment of the run: goal attainment is read as of it, and calibration
    adjustments made by the run (a forced distribution) carry it and ``calibrator``.
    ``adjustments`` are the calibrators' own changes (from a calibration session), applied in
    order — after the forced distribution when the policy forces one, so each names the value it
    changes and no decision of theirs is undone. ``potentials`` (employee id → potential on the
    9-box potential scale) override, person by person, the ``potential`` attribute.

    People who left before the day of the ratings (the run's day, or the cycle's last day when
    the run comes later) are not rated, calibrated, rewarded or given plans.
    """
    _check_run_args(data, policy, at)
    v.identifier(None, attrs.fields(Adjustment).by, calibrator)
    given = _check_potentials(potentials)
    scale = data.scales.get(policy.rating_scale)
    _check_policy_against(policy, scale, data)
    cutoffs = policy.cutoffs or _default_cutoffs(scale, policy)
    org = data.organisation
    # People who left before the day of the ratings are not rated (nor calibrated, rewarded or
    # given plans): the day is the run's, or the cycle's last day when the run comes later.
    rating_day = min(at.astimezone(ZoneInfo(data.cycle.timezone)).date(), data.cycle.end)
    scores = _scores(data, policy.scoring, at, rating_day)
    before = {pid: cutoffs.rate(s) for pid, s in scores.items()}

    entries = []
    for pid in sorted(scores):
        person = org.employee(pid)
        entries.append(
            CalibrationEntry(
                employee_id=pid,
                unit_id=person.unit_id,
                manager_id=person.manager_id,
                job_level=person.job_level,
                score=scores[pid].value,
                rating=before[pid],
            )
        )
    session = CalibrationSession(
        id=f"{data.cycle.id}-calibration",
        name=f"{data.cycle.name}: calibration",
        scale=policy.rating_scale,
        population=entries,
    )
    if policy.calibration is CalibrationMode.FORCE:
        # The forced distribution is the proposal; the calibrators' adjustments come after it
        # (each names the forced value it changes), so a decision of theirs is never undone.
        assert policy.guideline is not None
        forced = force_distribution(session, policy.guideline, by=calibrator, at=at)
        session = session.apply(forced, scale)
    if adjustments:
        session = session.apply(list(adjustments), scale)
    dev_before = dev_after = None
    if policy.guideline is not None:
        dev_before = policy.guideline.deviations(session, by="unit", use="original")
        dev_after = policy.guideline.deviations(session, by="unit", use="calibrated")
    after = _calibrated(session, scores, before)

    rater_scores = _rater_scores(data)
    rater_effects = severity_model(rater_scores) if rater_scores else None

    grid = None
    cells: dict[str, NineBoxCell] = {}
    potential_of: dict[str, float] = {}
    if policy.nine_box is not None:
        for pid in sorted(scores):
            pot = _potential(org.employee(pid), policy.potential_attribute, given)
            if pot is not None:
                potential_of[pid] = pot
        grid = nine_box(
            [(pid, after[pid].value, potential_of[pid]) for pid in sorted(potential_of)],
            policy.nine_box,
        )
        cells = {p.employee_id: p.cell for p in grid.placements}

    merit_of, allocation, eligibility_of, bonus_of = _rewards(data, policy, after)
    awards: list[RecognitionAward] = []
    awards_of: dict[str, list[RecognitionAward]] = {}
    active = [e for e in org.employees if e.is_active(rating_day)]
    for rule in policy.recognition:
        for award in rule.awards(data.feedback, active, at):
            awards.append(award)
            awards_of.setdefault(award.employee_id, []).append(award)

    plans: tuple[DevelopmentPlan, ...] = ()
    plans_of: dict[str, list[str]] = {}
    if policy.development is not None:
        missed = missed_kpis(data.goals, at, cycle_id=data.cycle.id)
        outcomes = [
            PerformanceOutcome(
                employee_id=pid,
                manager_id=org.employee(pid).manager_id,
                rating=after[pid],
                potential=potential_of.get(pid),
                nine_box=cells[pid].name if pid in cells else None,
                missed_targets=missed.get(pid, ()),
            )
            for pid in sorted(scores)
        ]
        plans = plans_for(outcomes, policy.development, data.cycle.end)
        for plan in plans:
            plans_of.setdefault(plan.employee_id, []).append(plan.id)

    results = tuple(
        EmployeeResult(
            employee_id=pid,
            unit_id=org.employee(pid).unit_id,
            score=scores[pid],
            rating_before=before[pid],
            rating_after=after[pid],
            adjustments=session.history(pid),
            nine_box=cells.get(pid),
            eligibility=eligibility_of.get(pid),
            merit=merit_of.get(pid),
            bonus=bonus_of.get(pid),
            awards=awards_of.get(pid, ()),
            plan_ids=plans_of.get(pid, ()),
        )
        for pid in sorted(scores)
    )
    return CycleResult(
        cycle_id=data.cycle.id,
        policy=policy.scoring.name,
        at=at,
        employees=results,
        calibration=session,
        distribution=session.report(),
        guideline=policy.guideline,
        deviations_before=dev_before,
        deviations_after=dev_after,
        rater_effects=rater_effects,
        nine_box=grid,
        merit=allocation,
        awards=awards,
        plans=plans,
    )


def _calibrated(
    session: CalibrationSession, people: Iterable[str], before: Mapping[str, Rating]
) -> dict[str, Rating]:
    """``{pid: session.calibrated(pid) for pid in people}``, sharing one Rating per value (the
    rating before calibration when it is unchanged); a zero is never shared, so that a signed
    zero keeps its sign."""
    shared: dict[float, Rating] = {}
    out: dict[str, Rating] = {}
    for pid in people:
        found = session.calibrated(pid)
        value = found.value
        if value:
            kept = before.get(pid)
            if kept is not None and kept == found:
                found = kept
            found = shared.setdefault(value, found)
        out[pid] = found
    return out


def _check_potentials(potentials: object) -> Mapping[str, float]:
    if potentials is None:
        return {}
    if not isinstance(potentials, Mapping):
        raise ValidationError(
            "potentials", potentials, "is not a mapping of employee id to potential"
        )
    return potentials


def _check_policy_against(policy: CyclePolicy, scale: Scale, data: CycleData) -> None:
    """Refuse, before any work, a policy whose parts do not fit the rating scale or the data."""
    parts: list[tuple[str, Callable[[Scale], None]]] = []
    if policy.guideline is not None:
        parts.append(("policy.guideline", policy.guideline.check))
    if policy.merit is not None:
        parts.append(("policy.merit", policy.merit.check_scale))
    for name, check in parts:
        try:
            check(scale)
        except ValidationError as err:
            raise err.at(name) from None
    if policy.bonus is not None and policy.bonus.scale != policy.rating_scale:
        raise ValidationError(
            "policy.bonus.scale", str(policy.bonus.scale), f"is not the rating scale {scale.ref}"
        )
    if policy.rates is not None and policy.pools:
        known = {policy.rates.base, *(r.currency for r in policy.rates.rates)}
        for person in data.organisation.employees:
            currency = person.base_pay.currency
            if currency not in known:
                listed = ", ".join(sorted(known))
                raise ValidationError(
                    f"employees[{person.id!r}].base_pay.currency",
                    currency,
                    f"has no rate in the policy's rate table (rates for: {listed})",
                )


def _default_cutoffs(scale: Scale, policy: CyclePolicy) -> RatingCutoffs:
    base = cutoffs_for(scale)
    if policy.scoring.scale == policy.rating_scale:
        return base
    raise ValidationError(
        "cutoffs",
        MISSING,
        f"are required: the scoring policy scores on {policy.scoring.scale}, the ratings are on "
        f"{policy.rating_scale}",
    )


def _rewards(
    data: CycleData, policy: CyclePolicy, after: Mapping[str, Rating]
) -> tuple[
    dict[str, MeritProposal],
    MeritAllocation | None,
    dict[str, Eligibility],
    dict[str, BonusProposal],
]:
    """Merit (fitted to the pools), eligibility and bonus for everyone rated."""
    org, cycle = data.organisation, data.cycle
    eligibility: dict[str, Eligibility] = {}
    shares: dict[str, Decimal] = {}
    for pid in sorted(after):
        person = org.employee(pid)
        if policy.eligibility is not None:
            eligibility[pid] = policy.eligibility.check(person, after[pid], cycle.end)
        shares[pid] = proration(person, cycle.start, cycle.end)

    def eligible(pid: str) -> bool:
        verdict = eligibility.get(pid)
        return verdict is None or verdict.eligible

    proposals: list[MeritProposal] = []
    if policy.merit is not None:
        for pid in sorted(after):
            person = org.employee(pid)
            if eligible(pid) and person.band is not None:
                proposals.append(
                    propose_merit(person, after[pid], policy.merit, proration=shares[pid])
                )
    allocation = None
    merit = {p.employee_id: p for p in proposals}
    if policy.pools and proposals:
        assert policy.rates is not None
        allocation = allocate(proposals, policy.pools, policy.rates, pool_for(org, policy.pools))
        merit = {p.employee_id: p for p in allocation.proposals}
    bonus: dict[str, BonusProposal] = {}
    if policy.bonus is not None:
        plan: Callable[[Employee, Rating, Decimal], BonusProposal] = policy.bonus.bonus
        for pid in sorted(after):
            if eligible(pid):
                bonus[pid] = plan(org.employee(pid), after[pid], shares[pid])
    return merit, allocation, eligibility, bonus

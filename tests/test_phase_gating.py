"""Goal and review workflows refuse what the cycle's current stage does not allow."""

from __future__ import annotations

from datetime import UTC, date, datetime

import attrs
import pytest

from perfkit import (
    FIVE_POINT,
    BinaryMetric,
    CycleStage,
    Goal,
    GoalStatus,
    Owner,
    OwnerKind,
    Phase,
    PhaseError,
    PhaseWindow,
    Review,
    ReviewCycle,
    ReviewerRole,
    ValidationError,
)

AT = datetime(2026, 6, 1, 9, tzinfo=UTC)


def cycle_at(stage: CycleStage) -> ReviewCycle:
    windows = [
        PhaseWindow(phase=p, start=date(2026, m, 1), end=date(2026, m, 28))
        for m, p in enumerate(Phase, start=1)
    ]
    return ReviewCycle(
        id="fy26",
        name="FY26",
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        phases=windows,
        stage=stage,
    )


def goal(status: GoalStatus = GoalStatus.DRAFT) -> Goal:
    return Goal(
        id="g1",
        title="Ship it",
        owner=Owner(kind=OwnerKind.EMPLOYEE, id="ana"),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        metric=BinaryMetric(),
        status=status,
        cycle_id="fy26",
    )


def review(role: ReviewerRole = ReviewerRole.MANAGER) -> Review:
    reviewer = "ana" if role is ReviewerRole.SELF else "bo"
    return Review(
        id="r1", cycle_id="fy26", form_id="f", subject="ana", reviewer=reviewer, role=role
    )


def test_goals_are_set_while_goal_setting_and_check_ins_run() -> None:
    for stage in (CycleStage.PLANNED, CycleStage.GOAL_SETTING, CycleStage.CHECK_INS):
        proposed, _ = goal().propose("ana", AT, cycle=cycle_at(stage))
        assert proposed.status is GoalStatus.PROPOSED


def test_setting_a_goal_in_review_is_refused_with_the_reason() -> None:
    with pytest.raises(PhaseError) as info:
        goal().propose("ana", AT, cycle=cycle_at(CycleStage.SELF_REVIEW))
    assert str(info.value) == (
        "cannot set goals in cycle 'fy26': check_ins closed (stage is 'self_review'); "
        "goals are set in planned, goal_setting or check_ins"
    )


def test_no_goal_changes_once_the_cycle_is_completed() -> None:
    done = cycle_at(CycleStage.COMPLETED)
    running = goal(GoalStatus.IN_PROGRESS)
    with pytest.raises(PhaseError, match="cannot change a goal in cycle 'fy26': the cycle is "):
        running.revise("ana", AT, "scope", cycle=done, title="Ship it all")
    with pytest.raises(PhaseError, match="the cycle is completed"):
        running.complete("ana", AT, cycle=done)
    # without a cycle the workflow alone decides, as before
    assert running.complete("ana", AT)[0].status is GoalStatus.COMPLETED


def test_rating_after_calibration_closed_is_refused() -> None:
    with pytest.raises(PhaseError) as info:
        review().rate("goals", FIVE_POINT.rate(4), cycle=cycle_at(CycleStage.REWARDS))
    assert str(info.value).startswith(
        "cannot rate in cycle 'fy26': calibration closed (stage is 'rewards'); ratings are given"
    )


def test_each_role_reviews_in_its_own_phase() -> None:
    manager_stage = cycle_at(CycleStage.MANAGER_REVIEW)
    rated = review().rate("goals", FIVE_POINT.rate(4), cycle=manager_stage)
    assert rated.submit("bo", AT, cycle=manager_stage)[0].status.value == "submitted"
    with pytest.raises(PhaseError, match="cannot write a self review"):
        review(ReviewerRole.SELF).rate("goals", FIVE_POINT.rate(3), cycle=manager_stage)
    peer_stage = cycle_at(CycleStage.PEER_REVIEW)
    with pytest.raises(PhaseError, match="cannot write a manager review"):
        rated.submit("bo", AT, cycle=peer_stage)


def test_a_review_checks_its_own_cycle() -> None:
    other = attrs.evolve(cycle_at(CycleStage.MANAGER_REVIEW), id="fy27")
    with pytest.raises(ValidationError, match="cycle: 'fy27' is not this review's cycle 'fy26'"):
        review().rate("goals", FIVE_POINT.rate(4), cycle=other)

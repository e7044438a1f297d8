"""A support team's quarter, end to end: goals set together, check-ins, progress, reminders.

Run it: ``python examples/support_team.py``. It prints the team goal's progress with its
explanation and who is due for a check-in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from perfkit import (
    Alignment,
    Cadence,
    CheckIn,
    CycleData,
    CycleStage,
    Employee,
    FeedbackLog,
    Goal,
    GoalSet,
    Money,
    NumericMetric,
    Organisation,
    OrgUnit,
    Owner,
    OwnerKind,
    Phase,
    PhaseWindow,
    Praise,
    ReviewCycle,
)

Q1 = {"start_date": date(2026, 1, 1), "end_date": date(2026, 3, 31)}


def person(pid: str, name: str, manager: str | None, pay: str) -> Employee:
    return Employee(
        id=pid,
        name=name,
        manager_id=manager,
        unit_id="support",
        hire_date=date(2022, 5, 1),
        job_level="L3",
        base_pay=Money(amount=Decimal(pay), currency="EUR"),
    )


def main() -> None:
    org = Organisation(
        units=[
            OrgUnit(id="acme", name="Acme"),
            OrgUnit(id="support", name="Support", parent_id="acme"),
        ],
        employees=[
            person("lena", "Lena Weber", None, "72000"),
            person("omar", "Omar Haddad", "lena", "48000"),
            person("ines", "Ines Petit", "lena", "51000"),
        ],
    )
    cycle = ReviewCycle(
        id="q1",
        name="Q1 2026",
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        phases=[PhaseWindow(phase=Phase.CHECK_INS, start=date(2026, 1, 5), end=date(2026, 3, 31))],
        cadence=Cadence.biweekly(),
        stage=CycleStage.CHECK_INS,
    )
    # "Resolve 95% of support tickets within 24 h": the team's goal, each person's share of it.
    resolved = NumericMetric(baseline=80, target=95, unit="% of tickets resolved within 24 h")
    team_goal = Goal(
        id="team-24h",
        title="Resolve 95% of tickets within 24 h",
        cycle_id="q1",
        owner=Owner(kind=OwnerKind.UNIT, id="support"),
        metric=resolved,
        **Q1,
    )
    goals = [team_goal]
    for pid in ("omar", "ines"):
        draft = Goal(
            id=f"{pid}-24h",
            title="Resolve 95% of my tickets within 24 h",
            cycle_id="q1",
            owner=Owner(kind=OwnerKind.EMPLOYEE, id=pid),
            metric=resolved,
            aligns_to=[Alignment(parent_id="team-24h")],
            **Q1,
        )
        at = datetime(2026, 1, 2, 10, tzinfo=UTC)
        proposed, _ = draft.propose(actor=pid, at=at)  # the employee proposes ...
        agreed, _ = proposed.agree(
            actor="lena", at=at + timedelta(hours=2)
        )  # ... the manager agrees
        started, _ = agreed.start(actor=pid, at=at + timedelta(days=3))
        goals.append(started)
    check_ins = [
        CheckIn(
            id="c1",
            goal_id="omar-24h",
            author="omar",
            value=86.0,
            at=datetime(2026, 1, 19, 16, tzinfo=UTC),
        ),
        CheckIn(
            id="c2",
            goal_id="omar-24h",
            author="omar",
            value=91.0,
            at=datetime(2026, 2, 16, 16, tzinfo=UTC),
        ),
        CheckIn(
            id="c3",
            goal_id="ines-24h",
            author="ines",
            value=96.5,
            at=datetime(2026, 3, 2, 11, tzinfo=UTC),
        ),
    ]
    feedback = FeedbackLog(
        events=[
            Praise(
                id="p1",
                author="ines",
                subject="omar",
                at=datetime(2026, 2, 20, 9, tzinfo=UTC),
                text="Thanks for taking my queue during the outage.",
            ),
        ]
    )
    data = CycleData(
        organisation=org,
        cycle=cycle,
        goals=GoalSet(goals=goals, check_ins=check_ins),
        feedback=feedback,
    )

    progress = data.goals.progress("team-24h", as_of=datetime(2026, 3, 16, tzinfo=UTC))
    print(progress.sentence())
    for due in data.due_checkins(date(2026, 3, 16)):
        print(f"{due.status.value}: {due.employee_id} since {due.since} ({due.missed} missed)")


if __name__ == "__main__":
    main()

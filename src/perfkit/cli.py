"""The ``perfkit`` command line.

``perfkit demo`` runs the main job on the built-in sample organisation: it prints the goal cascade
with progress rolled up from the individual goals, and the check-in reminder list for a day.
Exit codes: 0 success, 1 a perfkit error (bad input; the message says what and where),
2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import TextIO
from zoneinfo import ZoneInfo

from ._errors import PerfkitError
from ._version import __version__
from .dataset import CycleData
from .goals import Goal, OwnerKind
from .sample import DEMO_DATE, sample_cycle

__all__ = ["main", "render_demo"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _bar(value: float, width: int = 20) -> str:
    filled = max(0, min(width, round(value * width)))
    return "█" * filled + "·" * (width - filled)


def _owner_label(data: CycleData, goal: Goal) -> str:
    owner = goal.owner
    if owner.kind is OwnerKind.EMPLOYEE:
        return data.organisation.employee(owner.id).name
    if owner.kind is OwnerKind.UNIT:
        return data.organisation.unit(owner.id).name
    return "company"


def render_demo(data: CycleData, on: date, *, full: bool = False, out: TextIO) -> None:
    """Print the goal tree with rolled-up progress and the due check-ins of ``data`` on ``on``."""
    org, goals, cycle = data.organisation, data.goals, data.cycle
    as_of = datetime.combine(on, time.max, tzinfo=ZoneInfo(cycle.timezone))
    company = next(u for u in org.units if u.parent_id is None)
    print(
        f"perfkit {__version__} demo: {company.name}, {len(org.employees)} people in "
        f"{len(org.units)} units; cycle {cycle.id!r} ({cycle.name}), stage {cycle.stage.value}; "
        f"on {on.isoformat()}",
        file=out,
    )
    print("", file=out)
    print(
        "Goal tree: progress rolled up by weighted mean from the goals that align to each", file=out
    )
    print("", file=out)
    seen: set[str] = set()
    progress = {g.id: goals.progress(g.id, as_of=as_of) for g in goals.goals}

    def show(goal: Goal, depth: int) -> None:
        p = progress[goal.id]
        kids = goals.contributors(goal.id)
        individual = [k for k in kids if k.owner.kind is OwnerKind.EMPLOYEE]
        again = " (shown above)" if goal.id in seen else ""
        label = f"{'  ' * depth}{goal.id}  {goal.title}"
        print(
            f"{label[:64]:<64} {_bar(p.value)} {p.value:6.1%}  {_owner_label(data, goal)}{again}",
            file=out,
        )
        if again:
            return
        seen.add(goal.id)
        for kid in kids:
            if kid.owner.kind is not OwnerKind.EMPLOYEE or full:
                show(kid, depth + 1)
        if individual and not full:
            values = sorted(progress[k.id].value for k in individual)
            noun = "goal" if len(individual) == 1 else "goals"
            print(
                f"{'  ' * (depth + 1)}+ {len(individual)} individual {noun}: "
                f"lowest {values[0]:.0%}, median {values[len(values) // 2]:.0%}, "
                f"highest {values[-1]:.0%}",
                file=out,
            )

    for root in goals.roots():
        if root.owner.kind is OwnerKind.COMPANY:
            show(root, 0)
    print("", file=out)
    due = data.due_checkins(on)
    cadence = cycle.cadence.rrule if cycle.cadence else "none"
    overdue = sum(1 for d in due if d.status.value == "overdue")
    print(
        f"Check-ins due on {on.isoformat()} (cadence {cadence}, grace {cycle.grace_days} days): "
        f"{len(due)} people, {overdue} overdue",
        file=out,
    )
    for d in due:
        person = org.employee(d.employee_id)
        unit = org.unit(person.unit_id).name
        print(
            f"  {d.status.value:<8} {person.id}  {person.name:<22} {unit:<16} since "
            f"{d.since.isoformat()}, {d.missed} missed, latest due {d.due_on.isoformat()}",
            file=out,
        )


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    data = sample_cycle(args.size, seed=args.seed)
    render_demo(data, args.on, full=args.full, out=out)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="perfkit",
        description="perfkit: an open, embeddable core for performance management.",
        epilog="Exit codes: 0 success, 1 invalid input (the message names the place), 2 usage.",
    )
    parser.add_argument("--version", action="version", version=f"perfkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    demo = commands.add_parser(
        "demo",
        help="run the main job on the built-in sample organisation",
        description=(
            "Build the seeded sample organisation and print its goal tree with rolled-up "
            "progress and the list of check-ins due."
        ),
    )
    demo.add_argument("--size", type=int, default=60, help="number of people (default 60)")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument(
        "--on",
        type=_parse_date,
        default=DEMO_DATE,
        help=f"the day to look at, YYYY-MM-DD (default {DEMO_DATE.isoformat()})",
    )
    demo.add_argument("--full", action="store_true", help="show every individual goal too")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    stream = sys.stdout if out is None else out
    args = _parser().parse_args(argv)
    try:
        code: int = args.handler(args, stream)
        stream.flush()
    except PerfkitError as err:
        print(f"perfkit: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`perfkit demo | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return code

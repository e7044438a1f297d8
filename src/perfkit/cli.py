"""The ``perfkit`` command line.

``perfkit demo`` runs the main job on the built-in sample organisation: it prints the goal cascade
with progress rolled up from the individual goals and the check-in reminder list for a day, then
runs the year-end cycle (score, calibrate, reward, develop) and prints the rating distribution
before and after calibration against the guideline, the 9-box, merit spend against budget, the
development plans, rater effects and one person's explanation.
Exit codes: 0 success, 1 a perfkit error (bad input; the message says what and where),
2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import TextIO
from zoneinfo import ZoneInfo

from ._errors import PerfkitError
from ._version import __version__
from .dataset import CycleData
from .goals import Goal, OwnerKind
from .run import CycleResult, run_cycle
from .sample import DEMO_DATE, sample_cycle, sample_policy
from .scales import OrdinalScale

__all__ = ["main", "render_demo", "render_run"]

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


def render_run(data: CycleData, result: CycleResult, *, out: TextIO) -> None:
    """Print a cycle run: the rating distribution before and after calibration against the
    guideline, the units off the guideline, the 9-box, merit spend against budget, plans, rater
    effects and one person's explanation."""
    org = data.organisation
    scale = data.scales.get(result.calibration.scale)
    print(
        f"Year-end run of cycle {result.cycle_id!r} with policy {result.policy!r} at "
        f"{result.at.isoformat()}: {len(result.employees)} people rated",
        file=out,
    )
    print("", file=out)
    print(f"Rating distribution on {scale.name}: before and after calibration", file=out)
    guide = result.guideline
    targets = {} if guide is None else {t.value: t for t in guide.targets}
    before, after = result.distribution.before, result.distribution.after
    for value in scale.allowed_values() or ():
        label = scale.label(value) if isinstance(scale, OrdinalScale) else f"{value:g}"
        target = targets.get(value)
        aim = "" if target is None else f"guideline {_share_range(target.minimum, target.maximum)}"
        b, a = before.count(value), after.count(value)
        print(
            f"  {value:g} {label:<22} before {b:4d} {_pct(b, before.size):>6}   "
            f"after {a:4d} {_pct(a, after.size):>6}   {aim}",
            file=out,
        )
    moved = result.distribution
    print(f"  calibration moved {moved.up} up and {moved.down} down", file=out)
    if result.deviations_after is not None:
        off = [g for g in result.deviations_after.groups if g.moves]
        print(f"  units off the guideline after calibration: {len(off)}", file=out)
        for group in off:
            name = org.unit(group.group).name if group.group else "all"
            detail = ", ".join(
                f"{r.value:g}: {'+' if r.over else '-'}{r.over or r.under}"
                for r in group.rows
                if r.over or r.under
            )
            print(
                f"    {name:<18} {group.size:3d} people, {group.moves} moves ({detail})", file=out
            )
    if result.nine_box is not None:
        print("", file=out)
        print("9-box (performance →, potential ↑)", file=out)
        boxes = {b.cell.number: b for b in result.nine_box.boxes}
        for row in ((7, 8, 9), (4, 5, 6), (1, 2, 3)):
            cells = "  ".join(f"{boxes[n].cell.name:>20} {boxes[n].count:3d}" for n in row)
            print(f"  {cells}", file=out)
    if result.merit is not None:
        print("", file=out)
        print("Merit spend against budget", file=out)
        for pool in result.merit.pools:
            name = org.unit(pool.unit_id).name
            used = _pct_dec(pool.spend.amount, pool.amount.amount)
            print(
                f"  {name:<18} spent {pool.spend.quantize()!s:>16} of {pool.amount!s:>16} "
                f"({used}); demand {pool.demand.quantize()}, scaled by {float(pool.factor):.4f}",
                file=out,
            )
    kinds: dict[str, int] = {}
    for plan in result.plans:
        kinds[plan.kind.value] = kinds.get(plan.kind.value, 0) + 1
    print("", file=out)
    print(
        "Development plans: " + (", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"),
        file=out,
    )
    if result.rater_effects is not None and result.rater_effects.identified:
        raters = sorted(result.rater_effects.raters, key=lambda r: (r.severity, r.rater_id))
        print("Rater effects (severity on the 0-1 review scale; + lenient, - harsh):", file=out)
        for r in (raters[0], raters[-1]):
            print(
                f"  {r.rater_id} {org.employee(r.rater_id).name:<22} {r.severity:+.3f} "
                f"± {r.se:.3f} over {r.n} reviews",
                file=out,
            )
    example = max(result.employees, key=lambda e: (len(e.sentences()), e.employee_id))
    print("", file=out)
    print(
        f"Why {example.employee_id} ({org.employee(example.employee_id).name}) got what they got:",
        file=out,
    )
    for sentence in example.sentences():
        print(f"  - {sentence}", file=out)


def _pct(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{part / whole:.0%}"


def _pct_dec(part: Decimal, whole: Decimal) -> str:
    return "-" if whole == 0 else f"{float(part / whole):.0%}"


def _share_range(low: float, high: float) -> str:
    return f"{low:.0%}" if low == high else f"{low:.0%}-{high:.0%}"


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    data = sample_cycle(args.size, seed=args.seed)
    render_demo(data, args.on, full=args.full, out=out)
    print("", file=out)
    at = datetime.combine(data.cycle.end, time(18), tzinfo=ZoneInfo(data.cycle.timezone))
    at = at.replace(day=20)
    result = run_cycle(data, sample_policy(data, calibration=args.calibration), at=at)
    render_run(data, result, out=out)
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
    demo.add_argument(
        "--calibration",
        choices=("advise", "force"),
        default="advise",
        help="advise: report the guideline (default); force: apply a forced distribution",
    )
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

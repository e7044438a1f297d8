"""The ``perfkit`` command line.

Commands (``perfkit COMMAND --help`` says more about each):

* ``perfkit demo``: the main job on the built-in sample organisation, kept in an SQLite file
  (``perfkit-demo.db`` by default): the goal cascade with progress rolled up from every
  person's check-ins, the check-in reminder list, then the year-end cycle (score, calibrate,
  reward, develop) with its distribution against the guideline, 9-box, merit spend, plans,
  rater effects and one person's explanation;
* ``perfkit validate DATA``: read an HRIS export (a directory of CSV files, or one JSON
  document) and report every problem with its file, line and column;
* ``perfkit run DATA --policy P [--db URL] [--out DIR]``: run the cycle under a policy file,
  store the inputs and the result (SQLite path or PostgreSQL URL), write JSON, CSV and HTML;
* ``perfkit compare DATA --policy A --policy B``: the same data under two or more policies;
* ``perfkit due DATA --on DATE``: the check-in reminder list;
* ``perfkit explain DATA EMPLOYEE --policy P``: why one person got their outcome.

``--json`` on every command but ``demo`` prints one JSON document on standard output for
scripts. A progress bar is drawn on standard error while long work runs, only when standard
error is a terminal.

Exit codes: 0 success; 1 a perfkit error (bad input: the message says what and where; for
``validate``, the data has problems); 2 a usage error (bad arguments).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from ._errors import PerfkitError, StoreError, ValidationError
from ._serialization import unstructure
from ._version import __version__
from .dataset import CycleData
from .goals import Goal, OwnerKind
from .run import CyclePolicy, CycleResult, run_cycle
from .sample import DEMO_DATE, sample_cycle, sample_policy
from .scales import OrdinalScale
from .storage import SqliteStore, Store

__all__ = ["main", "render_demo", "render_run"]

DEMO_SIZE = 60
DEMO_SEED = 2026
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
    model = result.rater_effects
    if model is not None and model.identified and model.rater_variance > 0:
        raters = sorted(model.raters, key=lambda r: (r.severity, r.rater_id))
        print("Rater effects (severity on the 0-1 review scale; + lenient, - harsh):", file=out)
        for r in (raters[0], raters[-1]):
            print(
                f"  {r.rater_id} {org.employee(r.rater_id).name:<22} {r.severity:+.3f} "
                f"± {r.se:.3f} over {_plural(r.n, 'review')}",
                file=out,
            )
    elif model is not None and model.identified:
        print(
            "Rater effects: none detected (the raters' differences are within the noise of "
            "single ratings; see perfkit.analytics.rater_effects for per-rater tests)",
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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _pct(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{part / whole:.0%}"


def _pct_dec(part: Decimal, whole: Decimal) -> str:
    return "-" if whole == 0 else f"{float(part / whole):.0%}"


def _share_range(low: float, high: float) -> str:
    return f"{low:.0%}" if low == high else f"{low:.0%}-{high:.0%}"


class _Progress:
    """A progress bar on standard error, drawn only when it is a terminal."""

    def __init__(self, steps: int, *, stream: TextIO | None = None) -> None:
        self._stream = sys.stderr if stream is None else stream
        self._steps = steps
        self._done = 0
        self._on = bool(getattr(self._stream, "isatty", lambda: False)())

    def step(self, label: str) -> None:
        if not self._on:
            return
        self._done += 1
        width = 20
        filled = round(width * (self._done - 1) / self._steps)
        bar = "#" * filled + "." * (width - filled)
        self._stream.write(f"\r[{bar}] {self._done}/{self._steps} {label:<40}")
        self._stream.flush()

    def close(self) -> None:
        if self._on and self._done:
            self._stream.write("\r" + " " * 70 + "\r")
            self._stream.flush()


def _emit_json(value: object, out: TextIO) -> None:
    out.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _default_at(data: CycleData) -> datetime:
    """The default moment of a run: 18:00 on the cycle's last day, in the cycle's time zone (a
    fixed moment, never the clock, so a run can be repeated)."""
    return datetime.combine(data.cycle.end, time(18), tzinfo=ZoneInfo(data.cycle.timezone))


def _parse_at(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date-time (YYYY-MM-DDTHH:MM+HH:MM)"
        ) from None
    return moment  # without an offset: read in the cycle's time zone (_moment)


def _moment(args: argparse.Namespace, data: CycleData) -> datetime:
    """``--at`` (a date-time without an offset is in the cycle's time zone), or the default."""
    at: datetime | None = args.at
    if at is None:
        return _default_at(data)
    if at.tzinfo is None:
        return at.replace(tzinfo=ZoneInfo(data.cycle.timezone))
    return at


def _load(args: argparse.Namespace) -> tuple[CycleData, Any]:
    from .io import load_dataset

    imported = load_dataset(
        args.data,
        on_error="skip" if getattr(args, "skip_bad_rows", False) else "raise",
        assume_timezone=getattr(args, "assume_timezone", None),
        dayfirst=getattr(args, "dayfirst", None),
    )
    return imported.data, imported


def _policy(path: str, data: CycleData) -> CyclePolicy:
    from .io import load_policy

    return load_policy(Path(path), scales=data.scales)


def _open_store(url: str) -> Store:
    """An SQLite file (a path or ``sqlite:///path``) or a PostgreSQL URL."""
    if url.startswith(("postgresql:", "postgresql+psycopg:", "postgres:")):
        try:
            from .storage.postgres import PostgresStore
        except ImportError:
            raise StoreError(
                "a PostgreSQL URL needs the postgres extra: pip install 'perfkit[postgres]'"
            ) from None
        return PostgresStore(url.replace("postgres://", "postgresql+psycopg://", 1))
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    return SqliteStore(path)


def _store_cycle(store: Store, data: CycleData, at: datetime, actor: str) -> None:
    """Import ``data`` unless the store already holds that cycle; then it must hold the same."""
    with store.transaction(actor=actor, at=at, reason="perfkit import") as uow:
        known = {c.id for c in uow.cycles.list()}
        if data.cycle.id not in known:
            uow.import_data(data)
            uow.commit()
            return
        differ = _differences(uow.cycle_data(data.cycle.id), data)
        if differ:
            raise StoreError(
                f"the store already holds cycle {data.cycle.id!r} with other data (its "
                f"{', '.join(differ)} differ); use another database (--db) or remove the old one"
            )


def _differences(a: CycleData, b: CycleData) -> list[str]:
    """Which kinds of records two cycles hold differently (a store lists them in its own
    order, so collections are compared as sets)."""
    parts: list[tuple[str, object, object]] = [
        ("organisation", a.organisation, b.organisation),
        ("cycle", a.cycle, b.cycle),
        ("scales", a.scales, b.scales),
        ("review forms", set(a.forms), set(b.forms)),
        ("goals", set(a.goals.goals), set(b.goals.goals)),
        ("check-ins", set(a.goals.check_ins), set(b.goals.check_ins)),
        ("feedback events", set(a.feedback.events), set(b.feedback.events)),
        ("reviews", set(a.reviews), set(b.reviews)),
    ]
    return [name for name, x, y in parts if x != y]


def _save_result(store: Store, result: CycleResult, at: datetime, actor: str) -> None:
    with store.transaction(actor=actor, at=at, reason="perfkit run") as uow:
        uow.results.save(result)
        uow.commit()


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    progress = _Progress(3)
    try:
        progress.step("building the sample organisation")
        data = sample_cycle(args.size, seed=args.seed)
        at = datetime.combine(data.cycle.end, time(18), tzinfo=ZoneInfo(data.cycle.timezone))
        at = at.replace(day=20)
        db = args.db or _demo_db(args.size, args.seed)
        store = _open_store(db)
        try:
            _store_cycle(store, data, at, "perfkit-demo")
            with store.transaction(actor="perfkit-demo", at=at) as uow:
                stored = uow.cycle_data(data.cycle.id)
            progress.step("running the cycle")
            result = run_cycle(stored, sample_policy(stored, calibration=args.calibration), at=at)
            progress.step("saving the result")
            _save_result(store, result, at, "perfkit-demo")
        finally:
            store.close()
    finally:
        progress.close()
    render_demo(stored, args.on, full=args.full, out=out)
    print("", file=out)
    render_run(stored, result, out=out)
    print("", file=out)
    print(f"Stored the sample cycle and its result in {db}", file=out)
    return EXIT_OK


def _demo_db(size: int, seed: int) -> str:
    """The demo's SQLite file: one per sample (size and seed), in the current directory."""
    if (size, seed) == (DEMO_SIZE, DEMO_SEED):
        return "perfkit-demo.db"
    return f"perfkit-demo-{size}-{seed}.db"


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    from .io import DataImportError

    try:
        data, imported = _load(args)
    except DataImportError as err:
        if args.json:
            _emit_json(
                {
                    "valid": False,
                    "problems": [unstructure(p) for p in err.problems],
                },
                out,
            )
        else:
            noun = "problem" if len(err.problems) == 1 else "problems"
            print(f"{args.data}: import refused, {len(err.problems)} {noun}", file=out)
            for problem in err.problems:
                print(f"  {_cli_words(str(problem))}", file=out)
        return EXIT_ERROR
    if args.json:
        _emit_json(
            {
                "valid": True,
                "counts": _counts(data),
                "skipped": [unstructure(s) for s in imported.skipped],
                "notes": list(imported.notes),
            },
            out,
        )
    else:
        print(imported.report(), file=out)
        print(
            "valid" if not imported.skipped else "valid after skipping the records above", file=out
        )
    _warn_skipped(imported)
    return EXIT_OK


def _warn_skipped(imported: Any) -> None:
    """With --skip-bad-rows, say on standard error how much was left out."""
    if not imported.skipped:
        return
    people = len(imported.data.organisation.employees)
    dropped = sum(1 for s in imported.skipped if s.kind.value == "employee")
    share = dropped / (people + dropped) if people + dropped else 0.0
    print(
        f"perfkit: warning: {len(imported.skipped)} records skipped, {dropped} of them employees "
        f"({share:.0%} of the people in the export)",
        file=sys.stderr,
    )


def _counts(data: CycleData) -> dict[str, int]:
    return {
        "units": len(data.organisation.units),
        "employees": len(data.organisation.employees),
        "goals": len(data.goals.goals),
        "check_ins": len(data.goals.check_ins),
        "feedback": len(data.feedback.events),
        "reviews": len(data.reviews),
    }


def _run(args: argparse.Namespace, out: TextIO) -> int:
    if args.formats is not None and not args.out:
        raise ValidationError("--formats", args.formats, "needs --out DIR to write the reports to")
    from .io import FORMATS

    formats = tuple(f for f in (args.formats or ",".join(FORMATS)).split(",") if f)
    progress = _Progress(4 + bool(args.db) + bool(args.out))
    try:
        progress.step("reading the data")
        data, imported = _load(args)
        _warn_skipped(imported)
        progress.step("reading the policy")
        policy = _policy(args.policy, data)
        at = _moment(args, data)
        store = _open_store(args.db) if args.db else None
        try:
            if store is not None:
                progress.step("storing the inputs")
                _store_cycle(store, data, at, args.actor)
            progress.step("running the cycle")
            result = run_cycle(data, policy, at=at)
            if store is not None:
                _save_result(store, result, at, args.actor)
        finally:
            if store is not None:
                store.close()
        written: list[str] = []
        if args.out:
            from .io import write_results

            progress.step("writing the reports")
            written = [str(p) for p in write_results(result, args.out, formats=formats, data=data)]
        progress.step("done")
    finally:
        progress.close()
    if args.json:
        _emit_json(
            {
                "cycle_id": result.cycle_id,
                "policy": result.policy,
                "at": result.at.isoformat(),
                "people": len(result.employees),
                "distribution": {
                    "before": unstructure(result.distribution.before),
                    "after": unstructure(result.distribution.after),
                },
                "files": written,
                "db": args.db,
            },
            out,
        )
        return EXIT_OK
    render_run(data, result, out=out)
    if args.db:
        print(f"\nStored the inputs and the result in {args.db}", file=out)
    for path in written:
        print(f"wrote {path}", file=out)
    return EXIT_OK


def _compare(args: argparse.Namespace, out: TextIO) -> int:
    from .whatif import compare_policies

    if len(args.policy) < 2:
        raise ValidationError("--policy", len(args.policy), "give at least two policies to compare")
    progress = _Progress(2)
    try:
        progress.step("reading the data")
        data, _ = _load(args)
        policies: dict[str, CyclePolicy] = {}
        for given in args.policy:
            name, _, path = given.rpartition("=") if "=" in given else ("", "", given)
            name = name or Path(path).stem
            if name in policies:
                raise ValidationError("--policy", path, f"repeats the policy name {name!r}")
            policies[name] = _policy(path, data)
        progress.step("running the cycle under each policy")
        comparison = compare_policies(
            data,
            policies,
            at=_moment(args, data),
            group_by=args.group_by,
            threshold=args.threshold,
        )
    finally:
        progress.close()
    if args.json:
        document = unstructure(comparison)
        document.pop("results", None)  # whole runs: use `perfkit run --out` for those
        _emit_json(document, out)
        return EXIT_OK
    for line in comparison.sentences():
        print(line, file=out)
    return EXIT_OK


def _due(args: argparse.Namespace, out: TextIO) -> int:
    data, _ = _load(args)
    due = data.due_checkins(args.on)
    if args.json:
        _emit_json({"on": args.on.isoformat(), "due": [unstructure(d) for d in due]}, out)
        return EXIT_OK
    org = data.organisation
    overdue = sum(1 for d in due if d.status.value == "overdue")
    print(f"Check-ins due on {args.on.isoformat()}: {len(due)} people, {overdue} overdue", file=out)
    for d in due:
        person = org.employee(d.employee_id)
        print(
            f"  {d.status.value:<8} {person.id}  {person.name:<22} since {d.since.isoformat()}, "
            f"{d.missed} missed, latest due {d.due_on.isoformat()}",
            file=out,
        )
    return EXIT_OK


def _explain(args: argparse.Namespace, out: TextIO) -> int:
    from .explain import explain_employee
    from .scoring import cutoffs_for

    data, _ = _load(args)
    policy = _policy(args.policy, data)
    data.organisation.employee(args.employee)  # NotFoundError names an unknown id
    result = run_cycle(data, policy, at=_moment(args, data))
    cutoffs = policy.cutoffs or cutoffs_for(data.scales.get(policy.rating_scale))
    rated = {e.employee_id for e in result.employees}
    if args.employee not in rated:
        raise ValidationError(
            "EMPLOYEE",
            args.employee,
            "is not rated in this cycle: a person is rated when they were employed at the run "
            "and own goals or have submitted reviews (see docs/run.md, 'Who is rated')",
        )
    explanation = explain_employee(result, args.employee, cutoffs=cutoffs)
    if args.json:
        _emit_json(unstructure(explanation), out)
        return EXIT_OK
    person = data.organisation.employee(args.employee)
    print(f"Why {person.id} ({person.name}) got what they got:", file=out)
    for sentence in explanation.sentences():
        print(f"  - {sentence}", file=out)
    return EXIT_OK


def _data_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "data",
        metavar="DATA",
        help="an HRIS export: a directory of CSV files (see docs/import.md) or one JSON document",
    )
    command.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="leave out bad records (and those that refer to them) and list them, instead of "
        "refusing the whole import",
    )
    command.add_argument(
        "--assume-timezone",
        metavar="ZONE",
        help="read date-times without a UTC offset in this IANA zone (e.g. Europe/Paris)",
    )
    order = command.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        action="store_true",
        default=None,
        help="read dates such as 03/04/2026 as day/month/year (3 April)",
    )
    order.add_argument(
        "--monthfirst",
        action="store_false",
        dest="dayfirst",
        help="read dates such as 03/04/2026 as month/day/year (4 March)",
    )


def _json_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--json", action="store_true", help="print one JSON document (for scripts) instead of text"
    )


def _at_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--at",
        type=_parse_at,
        help="the moment of the run, YYYY-MM-DDTHH:MM with or without a UTC offset (without: in "
        "the cycle's time zone; default: 18:00 on the cycle's last day)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="perfkit",
        description="perfkit: an open, embeddable core for performance management.",
        epilog=(
            "Exit codes: 0 success, 1 invalid input (the message names the place; for validate: "
            "the data has problems), 2 usage."
        ),
    )
    parser.add_argument("--version", action="version", version=f"perfkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    demo = commands.add_parser(
        "demo",
        help="run the main job on the built-in sample organisation",
        description=(
            "Build the seeded sample organisation, keep it in an SQLite file, print its goal "
            "tree with rolled-up progress and the check-ins due, run the year-end cycle and "
            "store its result."
        ),
    )
    demo.add_argument(
        "--size", type=int, default=DEMO_SIZE, help=f"number of people (default {DEMO_SIZE})"
    )
    demo.add_argument(
        "--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})"
    )
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
    demo.add_argument(
        "--db",
        help="the SQLite file to keep the sample in (default perfkit-demo.db, or "
        "perfkit-demo-SIZE-SEED.db for another sample); a file from an earlier demo of the same "
        "sample is reused",
    )
    demo.set_defaults(handler=_demo)

    validate = commands.add_parser(
        "validate",
        help="check an HRIS export and report every problem",
        description=(
            "Read DATA and report every problem with its file, line, column, value and reason. "
            "Exit code 0: the data is valid; 1: it has problems (all listed)."
        ),
    )
    _data_arguments(validate)
    _json_argument(validate)
    validate.set_defaults(handler=_validate)

    run = commands.add_parser(
        "run",
        help="run the cycle on DATA under a policy file",
        description=(
            "Score, calibrate, reward and develop everyone in DATA under the policy file, print "
            "the outcome, optionally store inputs and result (--db) and write reports (--out)."
        ),
    )
    _data_arguments(run)
    run.add_argument("--policy", required=True, metavar="FILE", help="the policy file (TOML)")
    run.add_argument(
        "--db",
        metavar="URL",
        help="store the inputs and the result: an SQLite file path (or sqlite:///path) or a "
        "PostgreSQL URL (postgresql+psycopg://user@host/db, needs perfkit[postgres])",
    )
    run.add_argument("--out", metavar="DIR", help="write the result reports into this directory")
    run.add_argument(
        "--formats",
        help="report formats for --out, comma-separated (default csv,html,json)",
    )
    run.add_argument(
        "--actor", default="perfkit-cli", help="who the audit log names for --db writes"
    )
    _at_argument(run)
    _json_argument(run)
    run.set_defaults(handler=_run)

    compare = commands.add_parser(
        "compare",
        help="compare two or more policies on the same data",
        description=(
            "Run the cycle on DATA under each policy (named after its file) and report who "
            "moves, the distribution shift, the reward cost per unit and in total and, with "
            "--group-by and --threshold, adverse impact under each."
        ),
    )
    _data_arguments(compare)
    compare.add_argument(
        "--policy",
        action="append",
        required=True,
        metavar="FILE",
        help="a policy file, or NAME=FILE to name it (default: the file's name without "
        ".toml); give two or more (the first is the baseline)",
    )
    compare.add_argument(
        "--group-by", metavar="ATTRIBUTE", help="employee attribute for adverse impact (gender)"
    )
    compare.add_argument(
        "--threshold",
        type=float,
        help="the final rating at or above which a person counts as selected (adverse impact)",
    )
    _at_argument(compare)
    _json_argument(compare)
    compare.set_defaults(handler=_compare)

    due = commands.add_parser(
        "due",
        help="the check-in reminder list on a day",
        description="List who owes a check-in on the day, with how many they missed.",
    )
    _data_arguments(due)
    due.add_argument("--on", type=_parse_date, required=True, help="the day, YYYY-MM-DD")
    _json_argument(due)
    due.set_defaults(handler=_due)

    explain = commands.add_parser(
        "explain",
        help="why one person got their outcome",
        description=(
            "Run the cycle on DATA under the policy and explain one person's score, rating, "
            "calibration, rewards and plans, step by step."
        ),
    )
    _data_arguments(explain)
    explain.add_argument("employee", metavar="EMPLOYEE", help="the employee id")
    explain.add_argument("--policy", required=True, metavar="FILE", help="the policy file (TOML)")
    _at_argument(explain)
    _json_argument(explain)
    explain.set_defaults(handler=_explain)
    return parser


_CLI_WORDS = (
    (
        "load with dayfirst=True (day/month/year) or dayfirst=False (month/day/year)",
        "run with --dayfirst (day/month/year) or --monthfirst (month/day/year)",
    ),
    ("load with dayfirst=True or dayfirst=False", "run with --dayfirst or --monthfirst"),
)


def _cli_words(message: str) -> str:
    """A library message in the command line's words: the options, not the Python arguments."""
    for library, cli in _CLI_WORDS:
        message = message.replace(library, cli)
    return message


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    stream = sys.stdout if out is None else out
    args = _parser().parse_args(argv)
    try:
        code: int = args.handler(args, stream)
        stream.flush()
    except PerfkitError as err:
        message = _cli_words(str(err))
        print(f"perfkit: error: {message}", file=sys.stderr)
        if getattr(args, "json", False):
            _emit_json({"error": message, "type": type(err).__name__}, stream)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`perfkit demo | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return code

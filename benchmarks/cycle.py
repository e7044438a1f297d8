"""The scale benchmark suite: build, run, explain, serialise and store a whole cycle.

    python benchmarks/cycle.py [--sizes 1000,10000,100000] [--steps ...] [--postgres URL]
                               [--json FILE]

For each size it builds a seeded sample organisation of the benchmark shape
(:data:`perfkit.sample.BENCHMARK_SHAPE`: span of control 4-10, 5-8 levels, about 10 goals with
check-ins, 20 feedback events and 4 reviews per person) in a fresh process and measures, each
step alone and in this order:

* ``build``: generating the domain objects (``sample_cycle``);
* ``run``: the full cycle — score, calibrate (forced distribution), reward, develop
  (``run_cycle``);
* ``explain``: every person's outcome as sentences;
* ``analytics``: adverse impact by gender, the distribution by unit, rater effects
  (leniency, range, halo with their tests) and Krippendorff's alpha over all reviews;
* ``json``: ``perfkit.dumps`` of the cycle result;
* ``sqlite_save`` / ``sqlite_load``: ``import_data`` into a new SQLite file and ``cycle_data``
  back into domain objects, with the raw ``executemany`` floor for the same rows;
* ``postgres_save`` / ``postgres_load`` (with ``--postgres`` or PERFKIT_TEST_POSTGRES_URL): the
  same against PostgreSQL, with the psycopg ``COPY`` floor;
* the peak memory of the process after each step (its high-water mark).

It prints a table and, with ``--json``, writes every figure. It asserts nothing about time: the
targets (issue "Scale and speed") are read off the table — a full cycle of 100,000 people in at
most 10 s and 1.5 GB, and the 100k time at most 12x the 10k time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AT = datetime(2026, 12, 20, tzinfo=UTC)
STEPS = (
    "build",
    "run",
    "explain",
    "analytics",
    "json",
    "sqlite_save",
    "sqlite_load",
    "postgres_save",
    "postgres_load",
)
TARGET_SECONDS = 10.0
TARGET_MB = 1536.0
TARGET_GROWTH = 12.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _analytics(result: Any, data: Any) -> bool:
    try:
        from perfkit import analytics
    except ImportError:
        return False
    if not hasattr(analytics, "adverse_impact"):
        return False
    ratings = {e.employee_id: e.rating_after.value for e in result.employees}
    gender = {
        e.id: e.attributes["gender"]
        for e in data.organisation.employees
        if "gender" in e.attributes
    }
    analytics.adverse_impact(ratings, gender, threshold=4.0)
    analytics.distribution_by(ratings, data.organisation, "unit")
    analytics.rater_effects_from_reviews(data.reviews)
    analytics.alpha_from_records(analytics.review_records(data.reviews), level="ordinal")
    return True


def _cycle_steps(data: Any, policy: Any, steps: tuple[str, ...], figures: dict[str, Any]) -> None:
    """The in-memory steps; the result is dropped when they are done."""
    import perfkit
    from perfkit.run import run_cycle

    figures["run"], result = _timed(lambda: run_cycle(data, policy, at=AT))
    figures["run_peak_mb"] = _peak_mb()
    if "explain" in steps:
        figures["explain"] = _timed(lambda: [e.explain() for e in result.employees])[0]
        figures["explain_peak_mb"] = _peak_mb()
    if "analytics" in steps:
        seconds, done = _timed(lambda: _analytics(result, data))
        if done:
            figures["analytics"] = seconds
            figures["analytics_peak_mb"] = _peak_mb()
    if "json" in steps:
        figures["json"], text = _timed(lambda: perfkit.dumps(result))
        figures["json_mb"] = len(text.encode()) / 1e6
        figures["json_peak_mb"] = _peak_mb()


def measure(size: int, steps: tuple[str, ...], postgres_url: str | None) -> dict[str, Any]:
    """Every figure for one size, measured in this process."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import storage  # the storage benchmark's helpers (same folder)

    from perfkit.sample import BENCHMARK_SHAPE, sample_cycle, sample_policy

    figures: dict[str, Any] = {"people": size}
    seconds, data = _timed(lambda: sample_cycle(size, seed=1, shape=BENCHMARK_SHAPE))
    figures["counts"] = {
        "employees": len(data.organisation.employees),
        "goals": len(data.goals.goals),
        "check_ins": len(data.goals.check_ins),
        "feedback": len(data.feedback.events),
        "reviews": len(data.reviews),
    }
    figures["build"] = seconds
    figures["build_peak_mb"] = _peak_mb()
    policy = sample_policy(data, calibration="force")
    if {"run", "explain", "analytics", "json"} & set(steps):
        _cycle_steps(data, policy, steps, figures)
    wants_sql = any(s.startswith(("sqlite", "postgres")) for s in steps)
    if wants_sql:
        rows = list(storage.records(data))
        figures["records"] = len(rows)
        if any(s.startswith("sqlite") for s in steps):
            with tempfile.TemporaryDirectory() as tmp:
                save, load = storage.sqlite_perfkit(data, Path(tmp, "p.db"))
                figures["sqlite_save"], figures["sqlite_load"] = save, load
                floor = storage.sqlite_floor(rows, Path(tmp, "floor.db"))
                figures["sqlite_floor_save"], figures["sqlite_floor_load"] = floor
            figures["sqlite_peak_mb"] = _peak_mb()
        if postgres_url and any(s.startswith("postgres") for s in steps):
            figures.update(storage.postgres(data, rows, postgres_url))
            figures["postgres_peak_mb"] = _peak_mb()
    figures["peak_mb"] = _peak_mb()
    return figures


def _row(name: str, figures: list[dict[str, Any]], fmt: str = "{:>10.2f}") -> str:
    cells = []
    for f in figures:
        value = f.get(name)
        cells.append(f"{'-':>10}" if value is None else fmt.format(value))
    return f"{name:<20}" + "".join(cells)


def report(all_figures: list[dict[str, Any]]) -> str:
    lines = ["step, seconds".ljust(20) + "".join(f"{f['people']:>10,}" for f in all_figures)]
    for step in ("build", "run", "explain", "analytics", "json"):
        lines.append(_row(step, all_figures))
    for store in ("sqlite", "postgres"):
        for step in ("save", "load"):
            name = f"{store}_{step}"
            lines.append(_row(name, all_figures))
            lines.append(_row(f"{store}_floor_{step}", all_figures))
            ratios = [
                {"r": f[name] / f[f"{store}_floor_{step}"]}
                if f.get(name) and f.get(f"{store}_floor_{step}")
                else {}
                for f in all_figures
            ]
            lines.append(
                f"{'  ratio to floor':<20}"
                + "".join(f"{r['r']:>9.1f}x" if r else f"{'-':>10}" for r in ratios)
            )
    lines.append(_row("peak_mb", all_figures, "{:>10.0f}"))
    by_size = {f["people"]: f for f in all_figures}
    notes = []
    big = by_size.get(100_000)
    if big is not None and "run" in big:
        ok = big["run"] <= TARGET_SECONDS
        notes.append(
            f"100k run {big['run']:.1f} s (target <= {TARGET_SECONDS:.0f} s): "
            + ("met" if ok else "not met")
        )
        ok = big["peak_mb"] <= TARGET_MB
        notes.append(
            f"100k peak {big['peak_mb']:.0f} MB (target <= {TARGET_MB:.0f} MB): "
            + ("met" if ok else "not met")
        )
    small = by_size.get(10_000)
    if big is not None and small is not None and "run" in big and "run" in small:
        growth = big["run"] / small["run"]
        notes.append(
            f"100k/10k run time {growth:.1f}x (target <= {TARGET_GROWTH:.0f}x): "
            + ("met" if growth <= TARGET_GROWTH else "not met")
        )
    return "\n".join(lines + notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--postgres", default=os.environ.get("PERFKIT_TEST_POSTGRES_URL"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size
    args = parser.parse_args(argv)
    steps = tuple(s for s in args.steps.split(",") if s)
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}; choose from {', '.join(STEPS)}")
    if args.one is not None:
        print(json.dumps(measure(args.one, steps, args.postgres)))
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    all_figures = []
    for size in sizes:
        command = [sys.executable, __file__, "--one", str(size), "--steps", ",".join(steps)]
        if args.postgres:
            command += ["--postgres", args.postgres]
        print(f"measuring {size:,} people ...", file=sys.stderr, flush=True)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        all_figures.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(report(all_figures))
    if args.json:
        args.json.write_text(json.dumps(all_figures, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

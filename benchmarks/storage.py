"""Storage benchmark: save and reload a whole cycle, against the raw driver floor.

    python benchmarks/storage.py [--people N] [--postgres URL] [--json FILE]

For a seeded sample cycle of N people it measures, each alone:

* SQLite: ``import_data`` + commit, and ``cycle_data`` (load back into domain objects);
* the SQLite floor: the same records as perfkit JSON text written with raw ``executemany`` into
  one table and read back with one ``SELECT`` (no objects built);
* PostgreSQL, when a URL is given (or PERFKIT_TEST_POSTGRES_URL is set): the same two steps, and
  the floor with psycopg ``COPY``;
* peak memory of the process (the high-water mark, so run one size per process).

It prints a table and, with ``--json``, writes the figures. It is not a test: nothing here
asserts a time. The issue's target is within 2x of the floor and peak memory under 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import perfkit
from perfkit.dataset import CycleData
from perfkit.sample import sample_cycle
from perfkit.storage.sqlite import SqliteStore

AT = datetime(2026, 12, 20, tzinfo=UTC)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def records(data: CycleData) -> Iterator[tuple[str, str, str]]:
    """(kind, id, perfkit JSON) for every record a store keeps: the floor writes these."""
    dump = perfkit.unstructure
    for e in data.organisation.employees:
        yield "employee", e.id, json.dumps(dump(e), sort_keys=True, separators=(",", ":"))
    for g in data.goals.goals:
        yield "goal", g.id, json.dumps(dump(g), sort_keys=True, separators=(",", ":"))
    for c in data.goals.check_ins:
        yield "check_in", c.id, json.dumps(dump(c), sort_keys=True, separators=(",", ":"))
    for f in data.feedback.events:
        yield "feedback", f.id, json.dumps(dump(f), sort_keys=True, separators=(",", ":"))
    for r in data.reviews:
        yield "review", r.id, json.dumps(dump(r), sort_keys=True, separators=(",", ":"))


def sqlite_floor(rows: list[tuple[str, str, str]], path: Path) -> tuple[float, float]:
    def write() -> None:
        con = sqlite3.connect(path)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE r (kind TEXT, id TEXT, doc TEXT, PRIMARY KEY (kind, id))")
        with con:
            con.executemany("INSERT INTO r VALUES (?, ?, ?)", rows)
        con.close()

    def read() -> int:
        con = sqlite3.connect(path)
        n = len(con.execute("SELECT kind, id, doc FROM r").fetchall())
        con.close()
        return n

    return timed(write)[0], timed(read)[0]


def sqlite_perfkit(data: CycleData, path: Path) -> tuple[float, float]:
    store = SqliteStore(path)

    def save() -> None:
        with store.transaction(actor="bench", at=AT) as uow:
            uow.import_data(data)
            uow.commit()

    def load() -> CycleData:
        with store.transaction(actor="bench", at=AT) as uow:
            return uow.cycle_data(data.cycle.id)

    saved = timed(save)[0]
    loaded, back = timed(load)
    store.close()
    assert back.organisation == data.organisation
    return saved, loaded


def postgres(data: CycleData, rows: list[tuple[str, str, str]], url: str) -> dict[str, float]:
    import uuid

    import psycopg

    from perfkit.storage.postgres import PostgresStore

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    store = PostgresStore(url, schema=schema)

    def save() -> None:
        with store.transaction(actor="bench", at=AT) as uow:
            uow.import_data(data)
            uow.commit()

    def load() -> CycleData:
        with store.transaction(actor="bench", at=AT) as uow:
            return uow.cycle_data(data.cycle.id)

    out = {"postgres_save": timed(save)[0], "postgres_load": timed(load)[0]}
    store.close()
    raw = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw, autocommit=True) as con:
        con.execute(f"CREATE TABLE {schema}.floor (kind TEXT, id TEXT, doc TEXT)")

        def write() -> None:
            with con.cursor() as cur, cur.copy(f"COPY {schema}.floor FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

        def read() -> int:
            return len(con.execute(f"SELECT kind, id, doc FROM {schema}.floor").fetchall())

        out["postgres_floor_save"] = timed(write)[0]
        out["postgres_floor_load"] = timed(read)[0]
        con.execute(f"DROP SCHEMA {schema} CASCADE")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--postgres", default=os.environ.get("PERFKIT_TEST_POSTGRES_URL"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    build, data = timed(lambda: sample_cycle(args.people, seed=1))
    rows = list(records(data))
    figures: dict[str, float] = {"build": build}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite_save"], figures["sqlite_load"] = sqlite_perfkit(data, Path(tmp, "p.db"))
        figures["sqlite_floor_save"], figures["sqlite_floor_load"] = sqlite_floor(
            rows, Path(tmp, "floor.db")
        )
    if args.postgres:
        figures.update(postgres(data, rows, args.postgres))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.people} people: {len(data.goals.goals)} goals, {len(data.goals.check_ins)} "
        f"check-ins, {len(data.feedback.events)} feedback events, {len(data.reviews)} reviews "
        f"({len(rows)} records); built in {build:.2f} s"
    )
    print(f"{'store':<10} {'step':<6} {'perfkit s':>10} {'floor s':>9} {'ratio':>7}")
    for store in ("sqlite", "postgres"):
        for step in ("save", "load"):
            mine, floor = figures.get(f"{store}_{step}"), figures.get(f"{store}_floor_{step}")
            if mine is None or floor is None:
                continue
            print(f"{store:<10} {step:<6} {mine:>10.2f} {floor:>9.2f} {mine / floor:>6.1f}x")
    print(f"peak memory {figures['peak_rss_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps({"people": args.people, **figures}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

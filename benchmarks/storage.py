"""Storage benchmark: save and reload a whole cycle, against the raw driver floor.

    python benchmarks/storage.py [--people N] [--shape benchmark] [--postgres URL]
                                 [--json FILE]
    python benchmarks/storage.py --stream [--people N] [--postgres URL] [--json FILE]

For a seeded sample cycle of N people (``--shape benchmark``: the shape of
``benchmarks/cycle.py``, about 10 goals, 20 feedback events and 4 reviews per person) it
measures, each alone:

* SQLite: ``import_data`` + commit, and ``cycle_data`` (load back into domain objects);
* the SQLite floor: the same records as perfkit JSON text written with raw ``executemany`` into
  one table and read back with one ``SELECT`` (no objects built);
* the SQLite schema floor: the rows perfkit writes (every column, the audit entries too), built
  beforehand, written with raw ``executemany`` into perfkit's own tables and indexes: what the
  file layout costs, apart from building and serialising objects;
* PostgreSQL, when a URL is given (or PERFKIT_TEST_POSTGRES_URL is set): the same steps, the
  floor and the schema floor with psycopg ``COPY``;
* peak memory of the process (the high-water mark, so run one size per process), also after
  each perfkit step.

It prints a table and, with ``--json``, writes the figures. It is not a test: nothing here
asserts a time. The issue's target is within 2x of the floor and peak memory under 1.5 GB.

``--stream`` measures the stores' streaming API instead (always the benchmark shape): the data
is built by a subprocess and read from JSON-lines files a chunk at a time (that reading is
subtracted), saved with ``add_many`` / ``add_check_ins`` and reloaded with the ``iter_*``
iterators, against the same rows written and read raw a chunk at a time, and the time to build
the records from parsed JSON; the method is in ``benchmarks/_stream.py``'s docstring.
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
from perfkit.feedback import FeedbackResponse
from perfkit.sample import BENCHMARK_SHAPE, sample_cycle
from perfkit.storage._audit import links
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


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _utc(at: datetime) -> str:
    offset = at.utcoffset()
    assert offset is not None
    return (at.replace(tzinfo=None) - offset).isoformat(timespec="microseconds")


def schema_rows(data: CycleData) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """The rows perfkit's SQLite tables get for ``data`` (insert statement, rows), built
    beforehand: the schema floor writes exactly these."""
    doc = perfkit.dumps
    cycle = data.cycle
    goals = [(g, doc(g)) for g in data.goals.goals]
    reviews = [(r, doc(r)) for r in data.reviews]
    changes = [("goal", g.id, None, d) for g, d in goals]
    changes += [("review", r.id, None, d) for r, d in reviews]
    at_utc, at_text = _utc(AT), AT.isoformat()
    audit = [
        (seq, "bench", at_utc, at_text, kind, key, before, after, "", prev, digest)
        for seq, kind, key, before, after, prev, digest in links(
            0, "0" * 64, changes, actor="bench", at=AT, reason=""
        )
    ]

    def insert(table: str, columns: str) -> str:
        marks = ", ".join("?" * len(columns.split(", ")))
        return f"INSERT INTO {table} ({columns}) VALUES ({marks})"

    return {
        "org_units": (
            insert("org_units", "id, parent_id, record"),
            [(u.id, u.parent_id, doc(u)) for u in data.organisation.units],
        ),
        "employees": (
            insert("employees", "id, unit_id, manager_id, record"),
            [(e.id, e.unit_id, e.manager_id, doc(e)) for e in data.organisation.employees],
        ),
        "cycles": (
            insert("cycles", "id, stage, start_date, end_date, version, record"),
            [(cycle.id, cycle.stage.value, str(cycle.start), str(cycle.end), 1, doc(cycle))],
        ),
        "goals": (
            insert("goals", "id, cycle_id, owner_kind, owner_id, status, version, record"),
            [
                (g.id, g.cycle_id, g.owner.kind.value, g.owner.id, g.status.value, 1, d)
                for g, d in goals
            ],
        ),
        "check_ins": (
            insert("check_ins", "id, goal_id, author, at_utc, at_text, record"),
            [
                (c.id, c.goal_id, c.author, _utc(c.at), c.at.isoformat(), doc(c))
                for c in data.goals.check_ins
            ],
        ),
        "feedback": (
            insert(
                "feedback",
                "id, kind, author, subject, goal_id, request_id, at_utc, at_text, record",
            ),
            [
                (
                    e.id,
                    e.kind,
                    e.author,
                    e.subject,
                    e.goal_id,
                    e.request_id if isinstance(e, FeedbackResponse) else None,
                    _utc(e.at),
                    e.at.isoformat(),
                    doc(e),
                )
                for e in data.feedback.events
            ],
        ),
        "reviews": (
            insert(
                "reviews",
                "id, cycle_id, form_id, subject, reviewer, role, status, version, record",
            ),
            [
                (
                    r.id,
                    r.cycle_id,
                    r.form_id,
                    r.subject,
                    r.reviewer,
                    r.role.value,
                    r.status.value,
                    1,
                    d,
                )
                for r, d in reviews
            ],
        ),
        "audit": (
            insert(
                "audit",
                "seq, actor, at_utc, at_text, kind, record_id, before, after, reason, "
                "prev_hash, hash",
            ),
            audit,
        ),
    }


def sqlite_schema_floor(data: CycleData, path: Path) -> float:
    """Seconds to write the rows of :func:`schema_rows` into a new perfkit file (its tables and
    indexes) with raw ``executemany``, in one transaction."""
    SqliteStore(path).close()  # the schema
    tables = schema_rows(data)

    def write() -> None:
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        for sql, rows in tables.values():
            con.executemany(sql, rows)
        con.execute("COMMIT")
        con.close()

    return timed(write)[0]


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
        out["postgres_schema_floor_save"] = postgres_schema_floor(data, con, url)

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


def postgres_schema_floor(data: CycleData, con: Any, url: str) -> float:
    """Seconds to COPY the rows perfkit writes (built beforehand) into a new perfkit schema (its
    tables, indexes and foreign keys), in one transaction."""
    import uuid

    from perfkit.storage.postgres import PostgresStore

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    PostgresStore(url, schema=schema).close()
    rows = schema_rows(data)
    columns = {  # the PostgreSQL tables' columns for each SQLite table's rows
        "org_units": ("units", "id, parent_id, doc", (0, 1, 2)),
        "employees": ("employees", "id, unit_id, manager_id, doc", (0, 1, 2, 3)),
        "cycles": ("cycles", "id, version, doc", (0, 4, 5)),
        "goals": ("goals", "id, cycle_id, owner_kind, owner_id, version, doc", (0, 1, 2, 3, 5, 6)),
        "check_ins": ("check_ins", "id, goal_id, at, doc", (0, 1, 4, 5)),
        "feedback": ("feedback", "id, kind, subject, at, request_id, doc", (0, 1, 3, 7, 5, 8)),
        "reviews": ("reviews", "id, cycle_id, subject, version, doc", (0, 1, 3, 7, 8)),
        "audit": (
            "audit",
            "seq, actor, at, kind, record_id, before, after, reason, prev_hash, hash",
            (0, 1, 3, 4, 5, 6, 7, 8, 9, 10),
        ),
    }
    tables = [
        (f"COPY {schema}.{name} ({cols}) FROM STDIN", [[r[i] for i in pick] for r in rows[t][1]])
        for t, (name, cols, pick) in columns.items()
    ]

    def write() -> None:
        with con.transaction(), con.cursor() as cur:
            for statement, table in tables:
                with cur.copy(statement) as copy:
                    for row in table:
                        copy.write_row(row)

    try:
        return timed(write)[0]
    finally:
        con.execute(f"DROP SCHEMA {schema} CASCADE")


def stream(people: int, postgres_url: str | None, out: Path | None) -> int:
    """The streamed benchmark (``--stream``): see ``benchmarks/_stream.py``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _stream

    figures = _stream.measure(people, postgres_url)
    print(_stream.report(figures))
    if out:
        out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--shape", choices=("default", "benchmark"), default="default")
    parser.add_argument("--postgres", default=os.environ.get("PERFKIT_TEST_POSTGRES_URL"))
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--stream", action="store_true", help="the streamed save and reload (_stream.py)"
    )
    args = parser.parse_args(argv)
    if args.stream:
        return stream(args.people, args.postgres, args.json)
    shape = BENCHMARK_SHAPE if args.shape == "benchmark" else None
    build, data = timed(lambda: sample_cycle(args.people, seed=1, shape=shape))
    figures: dict[str, float] = {"build": build, "build_peak_mb": peak_mb()}
    rows = list(records(data))
    figures["rows_peak_mb"] = peak_mb()
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite_save"], figures["sqlite_load"] = sqlite_perfkit(data, Path(tmp, "p.db"))
        figures["sqlite_peak_mb"] = peak_mb()
        figures["sqlite_floor_save"], figures["sqlite_floor_load"] = sqlite_floor(
            rows, Path(tmp, "floor.db")
        )
        figures["sqlite_schema_floor_save"] = sqlite_schema_floor(data, Path(tmp, "schema.db"))
    if args.postgres:
        figures.update(postgres(data, rows, args.postgres))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.people} people: {len(data.goals.goals)} goals, {len(data.goals.check_ins)} "
        f"check-ins, {len(data.feedback.events)} feedback events, {len(data.reviews)} reviews "
        f"({len(rows)} records); built in {build:.2f} s"
    )
    import _stream

    print("\n".join(_stream.ratio_lines(figures, "schema_floor", "schema floor s")))
    print(
        f"peak memory {figures['peak_rss_mb']:.0f} MB (after building the data "
        f"{figures['build_peak_mb']:.0f} MB, the floor's rows {figures['rows_peak_mb']:.0f} MB, "
        f"SQLite save and load {figures['sqlite_peak_mb']:.0f} MB)"
    )
    if args.json:
        args.json.write_text(json.dumps({"people": args.people, **figures}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

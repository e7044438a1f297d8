"""The streamed storage benchmark (``python benchmarks/storage.py --stream``).

A cycle is saved and reloaded through the stores' streaming API, a batch at a time, so that
the memory of the measured process depends on the batch size, not on the size of the cycle.

* **The data.** ``sample_cycle(N, seed=1, shape=BENCHMARK_SHAPE)`` is built in a subprocess
  (its objects, about 3.5 GB at 100,000 people, never count in the measured process) and
  written to a temporary folder as JSON lines, one ``perfkit.dumps`` document per record:
  ``goals``, ``check_ins`` (in the goal set's order), ``feedback`` and ``reviews``, and the head
  (a :class:`~perfkit.dataset.CycleData` with the organisation, the cycle, its scales and forms,
  and no goals, feedback or reviews).
* **Reading the files.** The measured process reads them ``CHUNK`` lines at a time
  (``perfkit.loads`` of each line). That time is measured apart and subtracted: the perfkit
  figures are the time spent inside the store.
* **perfkit save** (one unit of work): ``import_data(head)``, then ``goals.add_many``,
  ``goals.add_check_ins``, ``feedback.add_many`` and ``reviews.add_many`` from generators over the
  files, then ``commit``. **perfkit load** (another unit of work): ``organisation.load()`` and
  every record of ``iter_in_cycle``, ``iter_check_ins``, ``iter_log`` and ``iter_by_cycle``
  (counted against the files, and each one touched).
* **The save floor** (``floor``): the rows perfkit writes (every column of its tables, the audit
  entries with their hash chain), built outside the timer a chunk at a time, written into a new
  perfkit file (its tables, indexes and foreign keys, with perfkit's connection settings) with
  raw ``sqlite3`` ``executemany``, or into a new perfkit schema with psycopg ``COPY``, in one
  transaction (the commit is timed): what the driver needs for exactly these rows and tables.
* **The load floor** (``floor``): the ``SELECT`` statements the adapter runs for
  ``organisation.load()`` and the four iterators, iterated raw with ``fetchmany`` (SQLite) or a
  psycopg server-side (named) cursor (PostgreSQL), the rows discarded, on the database perfkit
  wrote.
* **The one-table floor**, a second reference line: every record as ``(kind, id, JSON text)``
  in one table (SQLite: primary key ``(kind, id)``; PostgreSQL: no key, as in the default
  mode), written the same way and read back with one ``SELECT``.
* **The construction floor**: the time to build the records from JSON documents already parsed
  (``_document_reader(cls)(doc)``, the collector paused as the stores pause it), no database at
  all: what any loader that returns perfkit objects spends on top of the load floor. Hence the
  best ratio such a loader could reach: ``(load floor + construction floor) / load floor``.
* **Memory**: the peak resident set (``ru_maxrss``) of the measured process, after each step;
  it does SQLite and then PostgreSQL, all streamed.

Nothing here asserts a time. The issue's target: within 2x of the floor, peak under 1.5 GB.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, get_args

import attrs

import perfkit
from perfkit._gc import collector_paused
from perfkit._serialization import _document_reader
from perfkit.dataset import CycleData
from perfkit.feedback import FeedbackEvent, FeedbackLog, FeedbackResponse
from perfkit.goals import CheckIn, Goal, GoalSet
from perfkit.reviews import Review
from perfkit.storage._audit import GENESIS, links
from perfkit.storage.sqlite import SqliteStore, _utc_text

AT = datetime(2026, 12, 20, tzinfo=UTC)
CHUNK = 20_000  # lines read (and rows built for a floor) at a time
FETCH = 2_000  # rows per fetch of the load floors
BUILD = 2_000  # records built at a time by the construction floor
FILES = ("goals", "check_ins", "feedback", "reviews")
_FEEDBACK = {t.__name__: t for t in get_args(FeedbackEvent)}
_CLASSES: dict[str, type[Any]] = {"goals": Goal, "check_ins": CheckIn, "reviews": Review}

# --- the data: written by a subprocess ----------------------------------------------------


def write_data(people: int, folder: Path) -> dict[str, int]:
    """Build the sample cycle and write it as JSON lines into ``folder`` (run in a subprocess:
    the whole cycle is in memory here)."""
    from perfkit.sample import BENCHMARK_SHAPE, sample_cycle

    data = sample_cycle(people, seed=1, shape=BENCHMARK_SHAPE)
    head = attrs.evolve(data, goals=GoalSet(), feedback=FeedbackLog(), reviews=())
    (folder / "head.json").write_text(perfkit.dumps(head), encoding="utf-8")
    parts = {
        "goals": data.goals.goals,
        "check_ins": data.goals.check_ins,
        "feedback": data.feedback.events,
        "reviews": data.reviews,
    }
    dumps = perfkit.dumps
    for name, items in parts.items():
        with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for start in range(0, len(items), CHUNK):
                out.write("".join(dumps(x) + "\n" for x in items[start : start + CHUNK]))
    counts = {name: len(items) for name, items in parts.items()}
    counts["employees"] = len(data.organisation.employees)
    counts["units"] = len(data.organisation.units)
    (folder / "counts.json").write_text(json.dumps(counts), encoding="utf-8")
    (folder / "cycle_id").write_text(data.cycle.id, encoding="utf-8")
    return counts


def make_data(people: int, folder: Path) -> tuple[float, dict[str, int]]:
    """Seconds to build and write the data in a subprocess, and the record counts."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "write", str(people), str(folder)],
        check=True,
    )
    seconds = time.perf_counter() - start
    return seconds, json.loads((folder / "counts.json").read_text(encoding="utf-8"))


# --- reading the data, a chunk at a time ---------------------------------------------------


def _feedback_class(line: str) -> type[Any]:
    # a document ends with ..."type":"<ClassName>"} (its keys are sorted)
    return _FEEDBACK[line[line.rindex('"type":"') + 8 : -2]]


class Files:
    """The data files; ``seconds`` adds up the time spent reading and parsing them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seconds = 0.0

    def head(self) -> CycleData:
        start = time.perf_counter()
        text = (self.folder / "head.json").read_text(encoding="utf-8")
        head = perfkit.loads(text, CycleData)
        self.seconds += time.perf_counter() - start
        return head

    def cycle_id(self) -> str:
        return (self.folder / "cycle_id").read_text(encoding="utf-8")

    def lines(self, name: str) -> Iterator[list[str]]:
        """The lines of a file (without their newline), ``CHUNK`` at a time."""
        with (self.folder / f"{name}.jsonl").open(encoding="utf-8") as f:
            while True:
                start = time.perf_counter()
                lines = [line[:-1] for line in islice(f, CHUNK)]
                self.seconds += time.perf_counter() - start
                if not lines:
                    return
                yield lines

    def chunks(self, name: str) -> Iterator[tuple[list[str], list[Any]]]:
        """The lines of a file and their records (``perfkit.loads``), ``CHUNK`` at a time."""
        loads = perfkit.loads
        cls = _CLASSES.get(name)
        for lines in self.lines(name):
            start = time.perf_counter()
            if cls is None:
                records = [loads(line, _feedback_class(line)) for line in lines]
            else:
                records = [loads(line, cls) for line in lines]
            self.seconds += time.perf_counter() - start
            yield lines, records

    def records(self, name: str) -> Iterator[Any]:
        """The records of a file, read ``CHUNK`` at a time."""
        for _, records in self.chunks(name):
            yield from records


def ratio_lines(figures: dict[str, Any], other: str, label: str) -> list[str]:
    """The table of perfkit's seconds against the floor's, per store and step, with a second
    reference (``figures[f"{store}_{other}_{step}"]``, headed ``label``) where there is one."""
    width = len(label) + 1
    lines = [
        (
            f"{'store':<10} {'step':<6} {'perfkit s':>10} {'floor s':>9} {'ratio':>7}"
            f" {label:>{width}} {'ratio':>7}"
        )
    ]
    for store in ("sqlite", "postgres"):
        for step in ("save", "load"):
            mine, floor = figures.get(f"{store}_{step}"), figures.get(f"{store}_floor_{step}")
            if mine is None or floor is None:
                continue
            line = f"{store:<10} {step:<6} {mine:>10.2f} {floor:>9.2f} {mine / floor:>6.1f}x"
            reference = figures.get(f"{store}_{other}_{step}")
            if reference:
                line += f" {reference:>{width}.2f} {mine / reference:>6.1f}x"
            lines.append(line)
    return lines


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- perfkit: streamed save and reload -----------------------------------------------------


def perfkit_save(store: Any, files: Files, counts: dict[str, int]) -> dict[str, float]:
    """Seconds of each step of the streamed save (reading the files subtracted), and ``save``
    (the whole unit of work)."""
    steps: dict[str, float] = {}
    heads = [files.head()]  # popped by import_data: not held during the rest of the save
    files.seconds = 0.0
    begin = time.perf_counter()

    def step(name: str, fn: Callable[[], Any], expected: int | None = None) -> None:
        read, start = files.seconds, time.perf_counter()
        out = fn()
        steps[name] = time.perf_counter() - start - (files.seconds - read)
        if expected is not None and out != expected:
            raise AssertionError(f"{name}: stored {out}, expected {expected}")

    with store.transaction(actor="bench", at=AT) as uow:
        step("head", lambda: uow.import_data(heads.pop()))
        step("goals", lambda: uow.goals.add_many(files.records("goals")), counts["goals"])
        step(
            "check_ins",
            lambda: uow.goals.add_check_ins(files.records("check_ins")),
            counts["check_ins"],
        )
        step(
            "feedback", lambda: uow.feedback.add_many(files.records("feedback")), counts["feedback"]
        )
        step("reviews", lambda: uow.reviews.add_many(files.records("reviews")), counts["reviews"])
        step("commit", uow.commit)
    steps["save"] = time.perf_counter() - begin - files.seconds
    steps["save_read_subtracted"] = files.seconds
    return steps


def _count(records: Iterator[Any]) -> int:
    n = 0
    for record in records:
        if record.id:  # touch it: the record is really built
            n += 1
    return n


def perfkit_load(store: Any, cycle_id: str, counts: dict[str, int]) -> dict[str, float]:
    """Seconds of each step of the streamed reload, and ``load`` (the whole unit of work)."""
    steps: dict[str, float] = {}
    begin = time.perf_counter()
    with store.transaction(actor="bench", at=AT) as uow:
        start = time.perf_counter()
        employees = len(uow.organisation.load().employees)
        steps["organisation"] = time.perf_counter() - start
        if employees != counts["employees"]:
            raise AssertionError(f"organisation: loaded {employees} employees")
        for name, make in (
            ("goals", lambda: uow.goals.iter_in_cycle(cycle_id)),
            ("check_ins", lambda: uow.goals.iter_check_ins(cycle_id)),
            ("feedback", lambda: uow.feedback.iter_log()),
            ("reviews", lambda: uow.reviews.iter_by_cycle(cycle_id)),
        ):
            start = time.perf_counter()
            n = _count(make())
            steps[name] = time.perf_counter() - start
            if n != counts[name]:
                raise AssertionError(f"{name}: loaded {n}, expected {counts[name]}")
    steps["load"] = time.perf_counter() - begin
    return steps


# --- the construction floor ----------------------------------------------------------------


def construction_floor(files: Files) -> float:
    """Seconds to build every record the reload returns from its parsed JSON document (the
    parsing is not timed), ``BUILD`` records at a time, the collector paused as the stores
    pause it."""
    readers: dict[type[Any], Callable[[Any], Any]] = {}

    def reader(cls: type[Any]) -> Callable[[Any], Any]:
        found = readers.get(cls)
        if found is None:
            found = readers[cls] = _document_reader(cls)
        return found

    def build(pairs: list[tuple[Callable[[Any], Any], Any]]) -> list[Any]:
        nonlocal seconds
        with collector_paused():
            start = time.perf_counter()
            built = [read(doc) for read, doc in pairs]
            seconds += time.perf_counter() - start
        return built

    def organisation() -> None:
        head = files.head().organisation
        for items in (head.units, head.employees):
            for first in range(0, len(items), BUILD):
                batch = items[first : first + BUILD]
                pairs = [(reader(type(x)), json.loads(perfkit.dumps(x))) for x in batch]
                if build(pairs) != list(batch):
                    raise AssertionError("construction floor: the records built differ")

    seconds = 0.0
    organisation()
    for name in FILES:
        for lines in files.lines(name):
            for first in range(0, len(lines), BUILD):
                batch_lines = lines[first : first + BUILD]
                if name == "feedback":
                    pairs = [(reader(_feedback_class(x)), json.loads(x)) for x in batch_lines]
                else:
                    read = reader(_CLASSES[name])
                    pairs = [(read, json.loads(x)) for x in batch_lines]
                build(pairs)
    return seconds


# --- the rows perfkit writes ---------------------------------------------------------------


class _Chain:
    """The audit chain, continued from chunk to chunk."""

    def __init__(self) -> None:
        self.seq, self.hash = 0, GENESIS

    def entries(self, kind: str, records: list[Any], lines: list[str]) -> list[tuple[Any, ...]]:
        """``(seq, kind, record_id, before, after, prev_hash, hash)`` per new record."""
        changes = [(kind, r.id, None, line) for r, line in zip(records, lines, strict=True)]
        out = list(links(self.seq, self.hash, changes, actor="bench", at=AT, reason=""))
        self.seq, self.hash = out[-1][0], out[-1][-1]
        return out


def _insert(table: str, columns: str) -> str:
    marks = ", ".join("?" * len(columns.split(", ")))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"


_SQLITE_INSERT = {
    "org_units": _insert("org_units", "id, parent_id, record"),
    "employees": _insert("employees", "id, unit_id, manager_id, record"),
    "cycles": _insert("cycles", "id, stage, start_date, end_date, version, record"),
    "cycle_scales": _insert("cycle_scales", "cycle_id, id, version, kind, record"),
    "cycle_forms": _insert("cycle_forms", "cycle_id, id, record"),
    "goals": _insert("goals", "id, cycle_id, owner_kind, owner_id, status, version, record"),
    "check_ins": _insert("check_ins", "id, goal_id, author, at_utc, at_text, record"),
    "feedback": _insert(
        "feedback", "id, kind, author, subject, goal_id, request_id, at_utc, at_text, record"
    ),
    "reviews": _insert(
        "reviews", "id, cycle_id, form_id, subject, reviewer, role, status, version, record"
    ),
    "audit": _insert(
        "audit",
        "seq, actor, at_utc, at_text, kind, record_id, before, after, reason, prev_hash, hash",
    ),
}


def _request(e: Any) -> str | None:
    return e.request_id if isinstance(e, FeedbackResponse) else None


def sqlite_head_rows(head: CycleData) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """What ``import_data(head)`` writes: (table, rows)."""
    doc, org, cycle = perfkit.dumps, head.organisation, head.cycle
    return [
        ("org_units", [(u.id, u.parent_id, doc(u)) for u in org.units]),
        ("employees", [(e.id, e.unit_id, e.manager_id, doc(e)) for e in org.employees]),
        (
            "cycles",
            [(cycle.id, cycle.stage.value, str(cycle.start), str(cycle.end), 1, doc(cycle))],
        ),
        (
            "cycle_scales",
            [(cycle.id, x.id, x.version, x.kind, doc(x)) for x in head.scales.scales],
        ),
        ("cycle_forms", [(cycle.id, f.id, doc(f)) for f in head.forms]),
    ]


def sqlite_rows(
    name: str, lines: list[str], records: list[Any], chain: _Chain
) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The rows perfkit's SQLite tables get for a chunk of a file: (table, rows)."""
    if name == "goals":
        rows = [
            (g.id, g.cycle_id, g.owner.kind.value, g.owner.id, g.status.value, 1, d)
            for g, d in zip(records, lines, strict=True)
        ]
    elif name == "check_ins":
        rows = [
            (c.id, c.goal_id, c.author, _utc_text(c.at), c.at.isoformat(), d)
            for c, d in zip(records, lines, strict=True)
        ]
    elif name == "feedback":
        rows = [
            (
                e.id,
                e.kind,
                e.author,
                e.subject,
                e.goal_id,
                _request(e),
                _utc_text(e.at),
                e.at.isoformat(),
                d,
            )
            for e, d in zip(records, lines, strict=True)
        ]
    else:
        rows = [
            (r.id, r.cycle_id, r.form_id, r.subject, r.reviewer, r.role.value, r.status.value, 1, d)
            for r, d in zip(records, lines, strict=True)
        ]
    out = [(name, rows)]
    if name in ("goals", "reviews"):
        at_utc, at_text = _utc_text(AT), AT.isoformat()
        kind = name[:-1]
        out.append(
            (
                "audit",
                [
                    (seq, "bench", at_utc, at_text, k, key, before, after, "", prev, digest)
                    for seq, k, key, before, after, prev, digest in chain.entries(
                        kind, records, lines
                    )
                ],
            )
        )
    return out


# --- SQLite --------------------------------------------------------------------------------

SQLITE_LOAD = (  # the statements of organisation.load() and the four iterators (sqlite.py)
    ("SELECT id, record FROM org_units ORDER BY position", False),
    ("SELECT id, record FROM employees ORDER BY position", False),
    ("SELECT id, record FROM goals WHERE cycle_id = ? OR cycle_id IS NULL ORDER BY id", True),
    (
        (
            "SELECT c.id, c.record FROM check_ins AS c JOIN goals AS g ON g.id = c.goal_id "
            "WHERE g.cycle_id = ? OR g.cycle_id IS NULL ORDER BY c.at_utc, c.id"
        ),
        True,
    ),
    ("SELECT id, kind, record FROM feedback ORDER BY at_utc, id", False),
    ("SELECT id, record FROM reviews WHERE cycle_id = ? ORDER BY id", True),
)


def sqlite_save_floor(files: Files, path: Path) -> float:
    """Seconds to write the rows perfkit writes into a new perfkit file with ``executemany``,
    in one transaction (building the rows not timed)."""
    SqliteStore(path).close()  # the schema
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")  # as perfkit's connections
    con.execute("PRAGMA journal_size_limit = 67108864")
    seconds = 0.0

    def write(tables: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        nonlocal seconds
        start = time.perf_counter()
        for table, rows in tables:
            con.executemany(_SQLITE_INSERT[table], rows)
        seconds += time.perf_counter() - start

    start = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    seconds += time.perf_counter() - start
    write(sqlite_head_rows(files.head()))
    chain = _Chain()
    for name in FILES:
        for lines, records in files.chunks(name):
            write(sqlite_rows(name, lines, records, chain))
    start = time.perf_counter()
    con.execute(
        "INSERT OR REPLACE INTO audit_head (singleton, seq, hash) VALUES (1, ?, ?)",
        (chain.seq, chain.hash),
    )
    con.execute("COMMIT")
    seconds += time.perf_counter() - start
    con.close()
    return seconds


def sqlite_load_floor(path: Path, cycle_id: str) -> float:
    """Seconds to run the adapter's SELECT statements, rows fetched and discarded."""
    con = sqlite3.connect(path, isolation_level=None)
    start = time.perf_counter()
    con.execute("BEGIN")
    for sql, by_cycle in SQLITE_LOAD:
        cursor = con.execute(sql, (cycle_id,) if by_cycle else ())
        while cursor.fetchmany(FETCH):
            pass
    con.execute("COMMIT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def _one_table_rows(files: Files) -> Iterator[list[tuple[str, str, str]]]:
    """Every record as (kind, id, JSON text), a chunk at a time."""
    organisation = files.head().organisation
    yield [("unit", u.id, perfkit.dumps(u)) for u in organisation.units]
    yield [("employee", e.id, perfkit.dumps(e)) for e in organisation.employees]
    del organisation
    for name in FILES:
        for lines, records in files.chunks(name):
            yield [(name, r.id, d) for r, d in zip(records, lines, strict=True)]


def sqlite_one_table_floor(files: Files, path: Path) -> tuple[float, float]:
    """Seconds to write every record into one table (``executemany``, one transaction) and to
    read it back with one SELECT."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("CREATE TABLE r (kind TEXT, id TEXT, doc TEXT, PRIMARY KEY (kind, id))")
    save = 0.0
    start = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    save += time.perf_counter() - start
    for rows in _one_table_rows(files):
        start = time.perf_counter()
        con.executemany("INSERT INTO r VALUES (?, ?, ?)", rows)
        save += time.perf_counter() - start
    start = time.perf_counter()
    con.execute("COMMIT")
    save += time.perf_counter() - start
    start = time.perf_counter()
    con.execute("BEGIN")
    cursor = con.execute("SELECT kind, id, doc FROM r")
    while cursor.fetchmany(FETCH):
        pass
    con.execute("COMMIT")
    load = time.perf_counter() - start
    con.close()
    return save, load


def run_sqlite(folder: Path, work: Path, counts: dict[str, int], figures: dict[str, Any]) -> None:
    """Every SQLite figure, into ``figures``."""
    files = Files(folder)
    cycle_id = files.cycle_id()
    path = work / "perfkit.db"
    store = SqliteStore(path)
    steps = perfkit_save(store, files, counts)
    figures["sqlite_save"] = steps.pop("save")
    figures["sqlite_save_steps"] = steps
    figures["sqlite_save_peak_mb"] = peak_mb()
    steps = perfkit_load(store, cycle_id, counts)
    store.close()
    figures["sqlite_load"] = steps.pop("load")
    figures["sqlite_load_steps"] = steps
    figures["sqlite_load_peak_mb"] = peak_mb()
    figures["sqlite_floor_load"] = sqlite_load_floor(path, cycle_id)
    _remove_sqlite(path)
    floor = work / "floor.db"
    figures["sqlite_floor_save"] = sqlite_save_floor(files, floor)
    _remove_sqlite(floor)
    one = work / "one.db"
    save, load = sqlite_one_table_floor(files, one)
    figures["sqlite_one_table_floor_save"] = save
    figures["sqlite_one_table_floor_load"] = load
    _remove_sqlite(one)
    figures["sqlite_floors_peak_mb"] = peak_mb()


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- PostgreSQL ----------------------------------------------------------------------------

_PG_COLUMNS = {
    "units": "id, parent_id, head_id, doc",
    "employees": "id, unit_id, manager_id, doc",
    "cycles": "id, version, doc",
    "scales": "cycle_id, scale_id, scale_version, kind, doc",
    "forms": "cycle_id, form_id, doc",
    "goals": "id, cycle_id, owner_kind, owner_id, version, doc",
    "check_ins": "id, goal_id, at, doc",
    "feedback": "id, kind, subject, at, request_id, doc",
    "reviews": "id, cycle_id, subject, version, doc",
    "audit": "seq, actor, at, kind, record_id, before, after, reason, prev_hash, hash",
}

PG_LOAD = (  # the statements of organisation.load() and the four iterators (postgres.py)
    ("SELECT id, doc FROM {s}.units ORDER BY pos", False),
    ("SELECT id, doc FROM {s}.employees ORDER BY pos", False),
    ("SELECT id, doc FROM {s}.goals WHERE cycle_id = %s OR cycle_id IS NULL ORDER BY id", True),
    (
        (
            "SELECT c.id, c.doc FROM {s}.check_ins AS c JOIN {s}.goals AS g "
            "ON c.goal_id = g.id WHERE g.cycle_id = %s OR g.cycle_id IS NULL ORDER BY c.at, c.id"
        ),
        True,
    ),
    ("SELECT id, kind, doc FROM {s}.feedback ORDER BY at, id", False),
    ("SELECT id, doc FROM {s}.reviews WHERE cycle_id = %s ORDER BY id", True),
)


def pg_head_rows(head: CycleData) -> list[tuple[str, list[tuple[Any, ...]]]]:
    doc, org, cycle = perfkit.dumps, head.organisation, head.cycle
    return [
        ("units", [(u.id, u.parent_id, u.head_id, doc(u)) for u in org.units]),
        ("employees", [(e.id, e.unit_id, e.manager_id, doc(e)) for e in org.employees]),
        ("cycles", [(cycle.id, 1, doc(cycle))]),
        ("scales", [(cycle.id, x.id, x.version, x.kind, doc(x)) for x in head.scales.scales]),
        ("forms", [(cycle.id, f.id, doc(f)) for f in head.forms]),
    ]


def pg_rows(
    name: str, lines: list[str], records: list[Any], chain: _Chain
) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The rows perfkit's PostgreSQL tables get for a chunk of a file: (table, rows)."""
    pairs = zip(records, lines, strict=True)
    if name == "goals":
        rows = [(g.id, g.cycle_id, g.owner.kind.value, g.owner.id, 1, d) for g, d in pairs]
    elif name == "check_ins":
        rows = [(c.id, c.goal_id, c.at, d) for c, d in pairs]
    elif name == "feedback":
        rows = [(e.id, e.kind, e.subject, e.at, _request(e), d) for e, d in pairs]
    else:
        rows = [(r.id, r.cycle_id, r.subject, 1, d) for r, d in pairs]
    out = [(name, rows)]
    if name in ("goals", "reviews"):
        at_text = AT.isoformat()
        out.append(
            (
                "audit",
                [
                    (seq, "bench", at_text, k, key, before, after, "", prev, digest)
                    for seq, k, key, before, after, prev, digest in chain.entries(
                        name[:-1], records, lines
                    )
                ],
            )
        )
    return out


def _raw_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def pg_save_floor(files: Files, con: Any, schema: str) -> float:
    """Seconds to COPY the rows perfkit writes into a new perfkit schema, in one transaction
    (building the rows not timed)."""
    seconds = 0.0

    def write(cur: Any, tables: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        nonlocal seconds
        start = time.perf_counter()
        for table, rows in tables:
            with cur.copy(f"COPY {schema}.{table} ({_PG_COLUMNS[table]}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        seconds += time.perf_counter() - start

    with con.transaction(), con.cursor() as cur:
        write(cur, pg_head_rows(files.head()))
        chain = _Chain()
        for name in FILES:
            for lines, records in files.chunks(name):
                write(cur, pg_rows(name, lines, records, chain))
        start = time.perf_counter()
        cur.execute(
            f"UPDATE {schema}.audit_head SET seq = %s, hash = %s WHERE one",
            (chain.seq, chain.hash),
        )
    return seconds + time.perf_counter() - start  # with the commit


def pg_load_floor(con: Any, schema: str, cycle_id: str) -> float:
    """Seconds to run the adapter's SELECT statements through server-side cursors, rows
    fetched a batch at a time and discarded."""
    start = time.perf_counter()
    with con.transaction():
        for i, (sql, by_cycle) in enumerate(PG_LOAD):
            with con.cursor(name=f"floor_{i}") as cur:
                cur.itersize = FETCH
                cur.execute(sql.format(s=schema), (cycle_id,) if by_cycle else None)
                while cur.fetchmany(FETCH):
                    pass
    return time.perf_counter() - start


def pg_one_table_floor(files: Files, con: Any, schema: str) -> tuple[float, float]:
    """Seconds to COPY every record into one table (one transaction), and to read it back
    with one SELECT through a server-side cursor."""
    con.execute(f"CREATE TABLE {schema}.floor (kind TEXT, id TEXT, doc TEXT)")
    save = 0.0
    with con.transaction(), con.cursor() as cur:
        for rows in _one_table_rows(files):
            start = time.perf_counter()
            with cur.copy(f"COPY {schema}.floor FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            save += time.perf_counter() - start
        start = time.perf_counter()
    save += time.perf_counter() - start  # the commit
    start = time.perf_counter()
    with con.transaction(), con.cursor(name="floor_one") as cur:
        cur.execute(f"SELECT kind, id, doc FROM {schema}.floor")
        while cur.fetchmany(FETCH):
            pass
    return save, time.perf_counter() - start


def run_postgres(folder: Path, url: str, counts: dict[str, int], figures: dict[str, Any]) -> None:
    """Every PostgreSQL figure, into ``figures``; the schemas it makes are dropped."""
    import psycopg

    from perfkit.storage.postgres import PostgresStore

    files = Files(folder)
    cycle_id = files.cycle_id()
    tag = uuid.uuid4().hex[:8]
    mine, floor, one = f"bench_{tag}", f"bench_{tag}_floor", f"bench_{tag}_one"
    with psycopg.connect(_raw_url(url), autocommit=True) as con:
        try:
            store = PostgresStore(url, schema=mine)
            try:
                steps = perfkit_save(store, files, counts)
                figures["postgres_save"] = steps.pop("save")
                figures["postgres_save_steps"] = steps
                figures["postgres_save_peak_mb"] = peak_mb()
                steps = perfkit_load(store, cycle_id, counts)
                figures["postgres_load"] = steps.pop("load")
                figures["postgres_load_steps"] = steps
                figures["postgres_load_peak_mb"] = peak_mb()
            finally:
                store.close()
            figures["postgres_floor_load"] = pg_load_floor(con, mine, cycle_id)
            con.execute(f"DROP SCHEMA {mine} CASCADE")
            PostgresStore(url, schema=floor).close()  # the schema
            figures["postgres_floor_save"] = pg_save_floor(files, con, floor)
            con.execute(f"DROP SCHEMA {floor} CASCADE")
            con.execute(f"CREATE SCHEMA {one}")
            save, load = pg_one_table_floor(files, con, one)
            figures["postgres_one_table_floor_save"] = save
            figures["postgres_one_table_floor_load"] = load
            figures["postgres_floors_peak_mb"] = peak_mb()
        finally:
            for schema in (mine, floor, one):
                con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# --- the whole run -------------------------------------------------------------------------


def measure(people: int, postgres_url: str | None) -> dict[str, Any]:
    """Every figure of the streamed benchmark for ``people`` people."""
    figures: dict[str, Any] = {"people": people, "mode": "stream", "chunk": CHUNK}
    with tempfile.TemporaryDirectory() as tmp:
        folder, work = Path(tmp, "data"), Path(tmp, "work")
        folder.mkdir()
        work.mkdir()
        figures["build"], counts = make_data(people, folder)
        figures["counts"] = counts
        figures["records"] = sum(counts.values())
        figures["start_peak_mb"] = peak_mb()
        run_sqlite(folder, work, counts, figures)
        if postgres_url:
            run_postgres(folder, postgres_url, counts, figures)
        figures["construction_floor"] = construction_floor(Files(folder))
        figures["construction_peak_mb"] = peak_mb()
    figures["peak_rss_mb"] = peak_mb()
    for store in ("sqlite", "postgres"):
        floor = figures.get(f"{store}_floor_load")
        if floor:
            figures[f"{store}_best_load_ratio"] = (floor + figures["construction_floor"]) / floor
    return figures


def report(f: dict[str, Any]) -> str:
    """The table of the figures."""
    c = f["counts"]
    lines = [
        (
            f"{f['people']} people, streamed ({f['chunk']:,} lines a chunk): {c['goals']} "
            f"goals, {c['check_ins']} check-ins, {c['feedback']} feedback events, "
            f"{c['reviews']} reviews, {c['employees']} employees ({f['records']} records); "
            f"data built and written by a subprocess in {f['build']:.2f} s"
        ),
        *ratio_lines(f, "one_table_floor", "one-table floor s"),
    ]
    lines.append(
        f"construction floor (records built from parsed JSON, no database): "
        f"{f['construction_floor']:.2f} s"
    )
    for store in ("sqlite", "postgres"):
        best = f.get(f"{store}_best_load_ratio")
        if best is not None:
            lines.append(
                f"{store}: best load ratio any loader returning perfkit objects could reach, "
                f"(load floor + construction floor) / load floor = {best:.1f}x"
            )
    for store in ("sqlite", "postgres"):
        read = f.get(f"{store}_save_steps", {}).get("save_read_subtracted")
        if read is not None:
            lines.append(f"{store}: reading the files during the save, subtracted: {read:.2f} s")
    after = ", ".join(
        f"{name} {f[key]:.0f} MB"
        for name, key in (
            ("start", "start_peak_mb"),
            ("SQLite save", "sqlite_save_peak_mb"),
            ("SQLite load", "sqlite_load_peak_mb"),
            ("SQLite floors", "sqlite_floors_peak_mb"),
            ("PostgreSQL save", "postgres_save_peak_mb"),
            ("PostgreSQL load", "postgres_load_peak_mb"),
            ("PostgreSQL floors", "postgres_floors_peak_mb"),
            ("construction floor", "construction_peak_mb"),
        )
        if key in f
    )
    lines.append(f"peak memory {f['peak_rss_mb']:.0f} MB (after each step: {after})")
    return "\n".join(lines)


if __name__ == "__main__" and sys.argv[1:2] == ["write"]:
    write_data(int(sys.argv[2]), Path(sys.argv[3]))

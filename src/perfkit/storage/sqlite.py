"""SQLite storage, perfkit's embedded default: everything in one file, no server to run.

``SqliteStore(path)`` opens (or creates) a perfkit file and hands out units of work::

    store = SqliteStore("perfkit.db")
    with store.transaction(actor="dana", at=now, reason="year-end ratings") as uow:
        version = uow.reviews.version("r-17")
        uow.reviews.save(review, expected_version=version)
        uow.commit()

How it behaves:

* **One file, many processes.** The file is in WAL mode, so readers never wait for the writer
  and the writer never waits for readers; SQLite admits one writer at a time. Each unit of work
  has its own connection. Its reads share one snapshot until it first writes; its first write
  starts ``BEGIN IMMEDIATE`` (it waits up to ``timeout`` seconds for another writer to finish), so
  the version check of an optimistic save and the write itself are atomic across processes.
* **All or nothing.** A unit of work is one SQLite transaction: a process killed half-way through
  leaves the file as it was before. Each operation inside it is atomic too (a savepoint), so a
  refused save leaves the rest of the unit of work intact.
* **Streams.** ``add_many`` / ``add_check_ins`` write any iterable a batch of 2,000 records at
  a time (the batched inserts of ``import_data``, one savepoint per call: all or nothing), and
  the ``iter_*`` iterators read a batch of rows at a time, so memory depends on the batch, not
  on the cycle. While an iterator is open, its unit of work refuses writes, ``commit`` and
  ``rollback`` (:class:`~perfkit.StoreError`): they would change what it reads or end its read.
* **What the file holds.** A table per kind of record: the record as its perfkit JSON document,
  next to the columns the queries use (ids, cycle, owner, subject, reviewer, unit, time as UTC
  text and as the original text, version), with an index per query. The audit log is the
  ``audit`` table plus ``audit_head`` (the hash of the last entry).
* **Schema versions.** ``PRAGMA application_id`` marks the file as perfkit's; ``perfkit_schema``
  holds its schema version. An older file is migrated forward when opened (every missing step in
  one transaction); a newer one, or a file that is not perfkit's, is refused with a
  :class:`~perfkit.StoreError` that says what to do.
"""

from __future__ import annotations

import enum
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, TypeVar, get_args

import attrs

from .. import _validation as v
from .._errors import (
    ConcurrencyError,
    DocumentError,
    NotFoundError,
    StoreError,
    UnknownReferenceError,
    ValidationError,
)
from .._serialization import SCHEMA_VERSION as _DOCUMENT_VERSION
from .._serialization import _document_reader, dumps, loads
from .._version import __version__
from ..calibration import CalibrationSession
from ..cycles import ReviewCycle
from ..dataset import CycleData
from ..feedback import FeedbackEvent, FeedbackLog, FeedbackResponse
from ..goals import CheckIn, Goal, GoalSet, OwnerKind
from ..metrics import Metric
from ..org import Employee, Organisation, OrgUnit
from ..reviews import Review, ReviewForm
from ..run import CycleResult, EmployeeResult
from ..scales import Scale, ScaleCatalog
from ._audit import GENESIS, AuditEntry, AuditProblem, AuditReport, links, verify_chain
from ._checks import expected_version as _check_expected
from ._checks import instance as _check_instance
from ._checks import key as _check_key
from ._protocols import (
    AuditLog,
    CalibrationRepository,
    CycleRepository,
    FeedbackRepository,
    GoalRepository,
    OrganisationRepository,
    ResultRepository,
    ReviewRepository,
)
from ._rows import InputGuard, collector_paused, iter_all, read_all
from ._sqlite_schema import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    Migration,
    check_migrations,
)

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "SqliteStore",
    "SqliteUnitOfWork",
]

T = TypeVar("T")

_FEEDBACK_TYPES: dict[str, type[Any]] = {t.kind: t for t in get_args(FeedbackEvent)}
_FEEDBACK_CLASSES = tuple(_FEEDBACK_TYPES.values())
_A_FEEDBACK_EVENT = v.instance_of(*_FEEDBACK_CLASSES)
_METRIC_TYPES: dict[str, type[Any]] = {t.kind: t for t in get_args(Metric)}
_METRIC_READERS: dict[str, Callable[[Any], Any]] = {}  # by kind, made when first needed
_SCALE_TYPES: dict[str, type[Any]] = {t.kind: t for t in get_args(Scale)}
_CHUNK = 500  # ids per "IN (...)" query, well under SQLite's parameter limit
_BATCH = 2000  # records serialised (and audited) per executemany of a bulk import
_FETCH = 1000  # rows per fetch when reading a table


# --- arguments -----------------------------------------------------------------------------


class _Arg(NamedTuple):
    """Stands in for an attrs attribute so that the validators can name an argument."""

    name: str


def _check(validator: Callable[[Any, Any, Any], None], name: str, value: object) -> None:
    validator(None, _Arg(name), value)


def _check_path(path: object) -> Path:
    if isinstance(path, bytes) or not isinstance(path, str | os.PathLike):
        raise ValidationError("path", path, "is not a file path (str or os.PathLike)")
    text = os.fspath(path)
    if not isinstance(text, str) or not text:
        raise ValidationError("path", path, "is not a file path")
    if text == ":memory:" or text.startswith("file:"):
        raise ValidationError(
            "path",
            text,
            "is not a file path (for a store in memory use perfkit.storage.memory.MemoryStore)",
        )
    if "\x00" in text:
        raise ValidationError("path", text, "contains a NUL character")
    return Path(text)


def _check_timeout(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 86400:
        raise ValidationError("timeout", value, "is not a number of seconds from 0 to 86400")
    return float(value)


# --- time keys -----------------------------------------------------------------------------


def _utc_text(at: datetime) -> str:
    """``at`` as ISO text in UTC with microseconds: text order is chronological order.

    The few instants within a day of the ends of the calendar that have no UTC datetime of
    their own get a day ``0000-12-31`` or ``9999-12-32``, which sort where they belong.
    """
    offset = at.utcoffset() or timedelta(0)
    naive = at.replace(tzinfo=None)
    try:
        return (naive - offset).isoformat(timespec="microseconds")
    except OverflowError:
        day = timedelta(days=1)
        if offset > timedelta(0):  # before 0001-01-01 UTC: a day later, then called day 0
            shifted = naive + (day - offset)
            return "0000-12-31T" + shifted.time().isoformat(timespec="microseconds")
        shifted = naive - (offset + day)  # after 9999-12-31 UTC
        return "9999-12-32T" + shifted.time().isoformat(timespec="microseconds")


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _stream_of(name: str, items: object, what: str) -> Iterator[Any]:
    """``items`` (the argument ``name`` of a bulk write) as an iterator, taken lazily; a str,
    bytes or a mapping is refused: it is not a sequence of records."""
    if not isinstance(items, str | bytes | bytearray | Mapping):
        try:
            return iter(items)  # type: ignore[call-overload,no-any-return]
        except TypeError:
            pass
    raise ValidationError(name, items, f"is not an iterable of {what}")


def _first_not(items: Sequence[object], cls: type[Any] | tuple[type[Any], ...]) -> int:
    """The index of the first of ``items`` that is not a ``cls`` (``len(items)`` if none)."""
    for i, item in enumerate(items):
        if not isinstance(item, cls):
            return i
    return len(items)


def _not_utf8(items: Sequence[Any]) -> int | None:
    """The index of the first record whose JSON holds text SQLite cannot store (every text of
    a record, its ids too, is in its JSON as it is)."""
    for i, item in enumerate(items):
        try:
            dumps(item).encode("utf-8")
        except UnicodeEncodeError:
            return i
    return None


_AT_FIRST = '{"data":{"at":"'


class _Times:
    """The two time columns of rows (UTC text, original text), for many rows at once: the UTC
    text of each distinct original text is worked out once (records of a cycle share few)."""

    def __init__(self) -> None:
        self._utc: dict[str, str] = {}

    def keys(self, at: datetime, record: str) -> tuple[str, str]:
        """The time columns of a record whose time is ``at`` and whose JSON is ``record``."""
        # "at" is the first key of a check-in's or an event's JSON (keys are sorted), and its
        # text is at.isoformat(): taken from there rather than worked out a second time.
        first = record.startswith(_AT_FIRST)
        text = record[15 : record.index('"', 15)] if first else at.isoformat()
        utc = self._utc.get(text)
        if utc is None:
            if len(self._utc) >= 4096:
                self._utc.clear()
            utc = self._utc[text] = _utc_text(at)
        return utc, text


# --- the store -----------------------------------------------------------------------------


class SqliteStore:
    """A perfkit store in one SQLite file (created if it does not exist).

    ``timeout`` is how long a unit of work waits for another writer (in this or another
    process) before it gives up with :class:`~perfkit.StoreError`. ``migrations`` is the list of
    schema steps (the default, :data:`MIGRATIONS`, is this perfkit's schema; tests pass a longer
    list to exercise a migration). The store is also a context manager that closes it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 5.0,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        self._path = _check_path(path)
        self._timeout = _check_timeout(timeout)
        self._migrations = check_migrations(migrations)
        self._lock = threading.Lock()
        self._writers: dict[int, SqliteUnitOfWork] = {}
        self._closed = False
        conn = self._connect(create=True)
        try:
            self._prepare(conn)
        finally:
            conn.close()

    @property
    def path(self) -> Path:
        """The file this store lives in."""
        return self._path

    @property
    def schema_version(self) -> int:
        """The schema version of the file (after any migration)."""
        return len(self._migrations)

    def __repr__(self) -> str:
        return f"SqliteStore({str(self._path)!r})"

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Refuse new units of work (the file stays; units of work still open may finish)."""
        self._closed = True

    def transaction(
        self, *, actor: str, at: datetime, reason: str = ""
    ) -> AbstractContextManager[SqliteUnitOfWork]:
        """A unit of work: its changes are kept only if ``commit()`` is called inside the block.

        ``actor`` (who), ``at`` (when, timezone-aware) and ``reason`` (why) stamp the audit
        entries its saves write.
        """
        fields = attrs.fields(AuditEntry)
        v.identifier(None, fields.actor, actor)
        v.aware_datetime(None, fields.at, at)
        v.text(None, fields.reason, reason)
        if self._closed:
            raise StoreError(f"{self} is closed; open the file again with SqliteStore(path)")
        return self._unit_of_work(actor, at, reason)

    @contextmanager
    def _unit_of_work(self, actor: str, at: datetime, reason: str) -> Iterator[SqliteUnitOfWork]:
        conn = self._connect(create=False)
        try:
            self._check_still_current(conn)
        except BaseException:
            conn.close()
            raise
        uow = SqliteUnitOfWork(self, conn, actor, at, reason)
        try:
            yield uow
        finally:
            uow._finish()

    # --- connections, errors -------------------------------------------------------------

    def _connect(self, *, create: bool) -> sqlite3.Connection:
        uri = self._path.absolute().as_uri() + ("?mode=rwc" if create else "?mode=rw")
        try:
            conn = sqlite3.connect(
                uri, uri=True, timeout=self._timeout, isolation_level=None, cached_statements=256
            )
        except sqlite3.Error as exc:
            if not create and not self._path.exists():
                raise StoreError(
                    f"{self._path} is gone (moved or deleted while the store was open); "
                    "open a perfkit file with SqliteStore(path)"
                ) from exc
            raise StoreError(
                f"cannot open {self._path} ({exc}); give the path of a file in an existing, "
                "writable directory"
            ) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {round(self._timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_size_limit = 67108864")
        except sqlite3.Error as exc:  # pragma: no cover - these pragmas do not touch the file
            conn.close()
            raise self._error(exc) from exc
        return conn

    def _error(self, exc: sqlite3.Error) -> StoreError:
        """A driver error, as a StoreError that says what to do."""
        text = str(exc)
        low = text.lower()
        if isinstance(exc, sqlite3.ProgrammingError) and "thread" in low:
            return StoreError(
                "a unit of work belongs to the thread that opened it; open one in each thread "
                "with store.transaction(...)"
            )
        if "locked" in low or "busy" in low:
            return StoreError(
                f"{self._path} is locked: another unit of work (in this or another process) "
                f"kept writing for more than {self._timeout:g} s; try again, keep units of work "
                "short, or open the store with a longer timeout"
            )
        if "not a database" in low or "malformed" in low or "corrupt" in low:
            return StoreError(
                f"{self._path} is damaged or not a perfkit database ({text}); give a new path "
                "or a perfkit file, or restore the file from a backup"
            )
        if "readonly" in low or "read-only" in low:
            return StoreError(
                f"cannot write to {self._path} ({text}); check the permissions of the file "
                "and of its directory"
            )
        if "disk" in low or "full" in low or "i/o" in low:
            return StoreError(f"cannot write to {self._path} ({text}); free some disk space")
        return StoreError(f"SQLite failed on {self._path}: {text}")

    def _check_still_current(self, conn: sqlite3.Connection) -> None:
        """Refuse a file that a newer perfkit migrated (or that was replaced) since it was
        opened: this perfkit would not keep what the newer schema adds."""
        try:
            row = conn.execute("SELECT version FROM perfkit_schema WHERE singleton = 1").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise self._error(exc) from exc
            row = None
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        if row is None:
            raise self._not_perfkit()
        if row[0] != len(self._migrations):
            raise StoreError(
                f"{self._path} was migrated to schema {row[0]} by another perfkit while this "
                f"store (schema {len(self._migrations)}) was open; upgrade perfkit and open the "
                "file again"
            )

    # --- opening: recognise, create or migrate -------------------------------------------

    def _prepare(self, conn: sqlite3.Connection) -> None:
        try:
            found = self._identify(conn)
            if found is None or found < len(self._migrations):
                self._migrate(conn)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def _not_perfkit(self) -> StoreError:
        return StoreError(
            f"{self._path} is not a perfkit database; give a new path or a perfkit file"
        )

    def _identify(self, conn: sqlite3.Connection) -> int | None:
        """The schema version of a perfkit file; ``None`` for an empty file."""
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            objects = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.OperationalError:
            raise  # locked, unreadable: said by _error
        except sqlite3.DatabaseError as exc:  # "file is not a database"
            raise self._not_perfkit() from exc
        if app_id == 0 and objects == 0:
            return None
        if app_id != APPLICATION_ID:
            raise self._not_perfkit()
        try:
            row = conn.execute("SELECT version FROM perfkit_schema WHERE singleton = 1").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            raise StoreError(
                f"{self._path} is a damaged perfkit database (it has no schema version); "
                "restore it from a backup"
            ) from exc
        if row is None or not isinstance(row[0], int):
            raise StoreError(
                f"{self._path} is a damaged perfkit database (it has no schema version); "
                "restore it from a backup"
            )
        version: int = row[0]
        if version > len(self._migrations):
            raise StoreError(
                f"{self._path} was written by a newer perfkit (schema {version}; this perfkit "
                f"{__version__} knows schema {len(self._migrations)}); upgrade perfkit"
            )
        return version

    def _migrate(self, conn: sqlite3.Connection) -> None:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # pragma: no cover - only on file systems without WAL
            raise StoreError(
                f"{self._path} cannot use SQLite's WAL mode (it stays {mode!r}); put the file "
                "on a local disk"
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = self._identify(conn)  # again: another process may have done it
            start = found or 0
            step = start
            try:
                for migration in self._migrations[start:]:
                    step = migration.version
                    migration.run(conn)
            except Exception as exc:  # reported with the step that failed
                raise StoreError(
                    f"migrating {self._path} from schema {start} to {len(self._migrations)} "
                    f"failed at step {step} ({exc}); the file is unchanged: report this to the "
                    "perfkit developers"
                ) from exc
            if start < len(self._migrations):
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(
                    "INSERT OR REPLACE INTO perfkit_schema (singleton, version, written_by) "
                    "VALUES (1, ?, ?)",
                    (len(self._migrations), __version__),
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # --- one writer per thread ---------------------------------------------------------------

    def _claim_writer(self, uow: SqliteUnitOfWork) -> None:
        me = threading.get_ident()
        with self._lock:
            other = self._writers.get(me)
            if other is not None and other is not uow:
                raise StoreError(
                    f"another unit of work of {self} is writing in this thread, and SQLite has "
                    "one writer at a time: commit or leave that unit of work before writing in "
                    "this one"
                )
            self._writers[me] = uow

    def _release_writer(self, uow: SqliteUnitOfWork) -> None:
        with self._lock:
            for key, holder in list(self._writers.items()):
                if holder is uow:
                    del self._writers[key]


# --- the unit of work ----------------------------------------------------------------------


class _NotUtf8(Exception):
    """Internal: a string that sqlite3 cannot encode as UTF-8 (it holds a lone surrogate)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _Tx(enum.Enum):
    NONE = "none"
    READ = "read"
    WRITE = "write"


Row = tuple[Any, ...]


_BULK_CALL = {
    "goals": "goals.add_many",
    "check_ins": "goals.add_check_ins",
    "events": "feedback.add_many",
    "reviews": "reviews.add_many",
}
"""The bulk write that takes each argument, for the error of a write from inside its input."""


class SqliteUnitOfWork:
    """One unit of work on a :class:`SqliteStore`: the repositories, ``commit`` and ``rollback``.

    Reads see this unit of work's own uncommitted writes. ``commit`` makes them durable and the
    unit of work goes on (later writes need another ``commit``); ``rollback`` drops them.
    Leaving the ``with`` block drops whatever was not committed, and ends the unit of work.
    """

    organisation: OrganisationRepository
    cycles: CycleRepository
    goals: GoalRepository
    feedback: FeedbackRepository
    reviews: ReviewRepository
    calibrations: CalibrationRepository
    results: ResultRepository
    audit: AuditLog

    def __init__(
        self, store: SqliteStore, conn: sqlite3.Connection, actor: str, at: datetime, reason: str
    ) -> None:
        self._store = store
        self._conn = conn
        self._actor = actor
        self._at = at
        self._at_utc = _utc_text(at)
        self._at_text = at.isoformat()
        self._reason = reason
        self._tx = _Tx.NONE
        self._closed = False
        self._head: tuple[int, str] | None = None
        self._depth = 0  # operations in progress (nested savepoints)
        self._iterating: dict[str, int] = {}  # open iterators, by what they iterate over
        self._input = InputGuard()  # a bulk write reading its caller's iterable
        self._times = _Times()  # the time columns of the rows it writes
        self._metrics: dict[str, Metric] = {}  # goals' metrics read back, by their JSON text
        self._organisation = _Organisation(self)
        self._goals = _Goals(self)
        self._feedback = _Feedback(self)
        self._reviews = _Reviews(self)
        self.organisation = self._organisation
        self.cycles = _Cycles(self)
        self.goals = self._goals
        self.feedback = self._feedback
        self.reviews = self._reviews
        self.calibrations = _Calibrations(self)
        self.results = _Results(self)
        self.audit = _Audit(self)

    def __repr__(self) -> str:
        return f"<unit of work on {self._store} by {self._actor!r}: {self._tx.value}>"

    # --- transaction plumbing ----------------------------------------------------------------

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except UnicodeEncodeError as exc:
            raise _NotUtf8(str(exc.object)) from None
        except sqlite3.Error as exc:
            raise self._store._error(exc) from exc

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self._conn.executemany(sql, rows)
        except UnicodeEncodeError as exc:
            raise _NotUtf8(str(exc.object)) from None
        except sqlite3.Error as exc:
            raise self._store._error(exc) from exc

    def _open(self) -> None:
        if self._closed:
            raise StoreError(
                "this unit of work is over (its with-block has ended); open a new one with "
                "store.transaction(...)"
            )

    def _refuse_while_iterating(self) -> None:
        """Writes, commit and rollback wait for the open iterators of this unit of work: a
        write would change what they read, and a commit or rollback would end their read. Nor
        may they run from inside the iterable a bulk write is reading."""
        self._input.check()
        if self._iterating:
            over = min(self._iterating)
            raise StoreError(
                f"an iteration over {over} is still open in this unit of work: finish it or "
                "close it (it.close()) before writing, committing or rolling back"
            )

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Read: in the unit of work's snapshot (or its write transaction)."""
        return list(self._iter(sql, params))

    def _iter(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Row]:
        """Read row by row (a large table is never all in memory as rows and records)."""
        for batch in self._batches(sql, params):
            yield from batch

    def _batches(self, sql: str, params: Sequence[Any] = ()) -> Iterator[list[Row]]:
        """Read a batch of rows at a time."""
        self._open()
        if self._tx is _Tx.NONE:
            self._exec("BEGIN")
            self._tx = _Tx.READ
        try:
            cursor = self._conn.execute(sql, params)
            while batch := cursor.fetchmany(_FETCH):
                yield batch
                self._open()  # an iterator kept past the end of the unit of work
        except UnicodeEncodeError:
            return  # a key that is not valid Unicode cannot have been stored
        except sqlite3.Error as exc:
            raise self._store._error(exc) from exc

    def _row(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _begin_write(self) -> None:
        self._open()
        self._refuse_while_iterating()
        if self._tx is _Tx.WRITE:
            return
        if self._tx is _Tx.READ:
            self._exec("COMMIT")  # ends the read snapshot; versions are checked under the lock
            self._tx = _Tx.NONE
        self._store._claim_writer(self)
        try:
            self._exec("BEGIN IMMEDIATE")
        except BaseException:
            self._store._release_writer(self)
            raise
        self._tx = _Tx.WRITE
        self._head = None

    @contextmanager
    def _writing(self, argument: str) -> Iterator[None]:
        """One operation, atomic inside the unit of work (a savepoint); ``argument`` names what
        is written, for the error about text that SQLite cannot store."""
        self._begin_write()
        self._exec("SAVEPOINT op")
        self._depth += 1
        try:
            try:
                yield
            except _NotUtf8 as err:
                if self._depth > 1:
                    raise  # named by the outermost operation (the argument the caller gave)
                raise ValidationError(
                    argument,
                    err.text,
                    "holds text that is not valid Unicode (a lone surrogate): SQLite stores "
                    "UTF-8 only",
                ) from None
        except BaseException:
            self._depth -= 1
            self._head = None
            if self._conn.in_transaction:
                self._exec("ROLLBACK TO op")
                self._exec("RELEASE op")
            else:  # SQLite gave up the whole transaction (a full disk, an I/O error)
                self._tx = _Tx.NONE
                self._store._release_writer(self)
            raise
        self._depth -= 1
        self._exec("RELEASE op")

    def commit(self) -> None:
        """Keep everything written so far; the unit of work can go on with a new transaction."""
        self._open()
        self._refuse_while_iterating()
        if self._tx is not _Tx.NONE:
            self._exec("COMMIT")
        self._end()

    def rollback(self) -> None:
        """Forget everything written since the last commit."""
        self._open()
        self._refuse_while_iterating()
        if self._tx is not _Tx.NONE and self._conn.in_transaction:
            self._exec("ROLLBACK")
        self._end()

    def _end(self) -> None:
        self._tx = _Tx.NONE
        self._head = None
        self._store._release_writer(self)

    def _finish(self) -> None:
        if self._closed:
            return
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:  # pragma: no cover - closing discards the transaction anyway
            pass
        finally:
            self._end()
            self._closed = True
            with suppress(sqlite3.Error):  # closed from another thread: nothing more to do
                self._conn.close()

    # --- records -------------------------------------------------------------------------------

    def _load(self, text: object, cls: type[T], what: str, key: object) -> T:
        try:
            if not isinstance(text, str):
                raise DocumentError([ValidationError("", text, "is not a JSON document")])
            return loads(text, cls)
        except DocumentError as err:
            raise StoreError(
                f"the stored {what} {key!r} in {self._store.path} cannot be read "
                f"({err.errors[0]}); the file was changed outside perfkit: restore it from a "
                "backup"
            ) from None

    def _load_all(
        self,
        sql: str,
        params: Sequence[Any],
        what: str,
        cls: type[Any] | dict[str, type[Any]],
    ) -> list[Any]:
        """The records ``sql`` selects as ``(id, record)`` rows of class ``cls``, or as ``(id,
        kind, record)`` rows whose class ``cls`` names by kind, in order, read in batches."""
        text, kind, load = self._reader(what, cls)
        return read_all(self._batches(sql, params), text=text, cls=kind, load=load)

    def _stream(
        self,
        over: str,
        sql: str,
        params: Sequence[Any],
        what: str,
        cls: type[Any] | dict[str, type[Any]],
    ) -> Iterator[Any]:
        """The records of :meth:`_load_all`, built a batch at a time, as an iterator that
        counts as open (see :meth:`_refuse_while_iterating`) from its first record until it is
        exhausted or closed. ``over`` names what it iterates over."""
        text, kind, load = self._reader(what, cls)
        self._iterating[over] = self._iterating.get(over, 0) + 1
        try:
            for record in iter_all(self._batches(sql, params), text=text, cls=kind, load=load):
                self._open()  # the rest of a batch read before the unit of work ended
                yield record
        finally:
            left = self._iterating[over] - 1
            if left:
                self._iterating[over] = left
            else:
                del self._iterating[over]

    def _reader(
        self, what: str, cls: type[Any] | dict[str, type[Any]]
    ) -> tuple[int, Any, Callable[[Sequence[Any], type[Any]], Any]]:
        """How rows become records (see :func:`perfkit.storage._rows.read_rows`): the index
        of the JSON text, the class (or the function naming it by the row's kind) and the slow,
        exact reader of one row."""
        if isinstance(cls, dict):
            kinds = cls
            path = self._store.path

            def kind_of(row: Sequence[Any]) -> type[Any]:
                found = kinds.get(row[1])
                if found is None:
                    raise StoreError(
                        f"the stored {what} {row[0]!r} in {path} has an unknown kind "
                        f"{row[1]!r}; the file was changed outside perfkit: restore it from a "
                        "backup"
                    )
                return found

            text, kind = 2, kind_of
        else:
            text, kind = 1, cls

        def load(row: Sequence[Any], of: type[Any]) -> Any:
            return self._load(row[text], of, what, row[0])

        return text, kind, load

    def _any_stored(self, table: str, ids: Sequence[str]) -> bool:
        """Whether ``table`` may hold one of ``ids`` (False for an empty table: a bulk import
        into a new store asks nothing more)."""
        if len(ids) <= _CHUNK:
            return bool(ids)
        return self._row(f"SELECT 1 FROM {table} LIMIT 1") is not None

    def _versions(self, table: str, ids: Sequence[str]) -> dict[str, int]:
        """The stored versions of those of ``ids`` that exist in ``table``."""
        found: dict[str, int] = {}
        if not self._any_stored(table, ids):
            return found
        for chunk in _chunks(ids):
            sql = f"SELECT id, version FROM {table} WHERE id IN ({_marks(len(chunk))})"
            found.update((r[0], r[1]) for r in self._rows(sql, chunk))
        return found

    def _versions_of_once(self, table: str, ids: Sequence[str]) -> set[str]:
        """Those of ``ids`` that exist in ``table`` (of records written once)."""
        found: set[str] = set()
        if not self._any_stored(table, ids):
            return found
        for chunk in _chunks(ids):
            sql = f"SELECT id FROM {table} WHERE id IN ({_marks(len(chunk))})"
            found.update(r[0] for r in self._rows(sql, chunk))
        return found

    def _records(self, table: str, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        if not self._any_stored(table, ids):
            return found
        for chunk in _chunks(ids):
            sql = f"SELECT id, record FROM {table} WHERE id IN ({_marks(len(chunk))})"
            found.update((r[0], r[1]) for r in self._rows(sql, chunk))
        return found

    def _save_versioned(
        self,
        *,
        table: str,
        kind: str,
        record_id: str,
        record: str,
        expected: int | None,
        columns: dict[str, object],
        argument: str,
        audit: bool = True,
    ) -> int:
        """Insert (``expected`` None) or update a versioned record, with its audit entry."""
        with self._writing(argument):
            row = self._row(f"SELECT version, record FROM {table} WHERE id = ?", (record_id,))
            if expected is None:
                if row is not None:
                    raise ConcurrencyError(kind, record_id, None, row[0])
                version = 1
                names = ["id", *columns, "version", "record"]
                self._exec(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({_marks(len(names))})",
                    (record_id, *columns.values(), version, record),
                )
            else:
                if row is None:
                    raise ConcurrencyError(kind, record_id, expected, None)
                if row[0] != expected:
                    raise ConcurrencyError(kind, record_id, expected, row[0])
                version = expected + 1
                sets = ", ".join(f"{name} = ?" for name in [*columns, "version", "record"])
                self._exec(
                    f"UPDATE {table} SET {sets} WHERE id = ?",
                    (*columns.values(), version, record, record_id),
                )
            if audit:
                self._append_audit([(kind, record_id, None if row is None else row[1], record)])
            return version

    def _version_of(self, table: str, what: str, record_id: object, name: str) -> int:
        key = _check_key(name, record_id)
        row = self._row(f"SELECT version FROM {table} WHERE id = ?", (key,))
        if row is None:
            raise NotFoundError(what, key)
        return int(row[0])

    def _get(self, table: str, cls: type[T], what: str, record_id: object, name: str) -> T:
        key = _check_key(name, record_id)
        row = self._row(f"SELECT record FROM {table} WHERE id = ?", (key,))
        if row is None:
            raise NotFoundError(what, key)
        return self._load(row[0], cls, what, key)

    # --- audit ---------------------------------------------------------------------------------

    def _audit_head(self) -> tuple[int, str]:
        if self._head is None:
            row = self._row("SELECT seq, hash FROM audit_head WHERE singleton = 1")
            self._head = (0, GENESIS) if row is None else (int(row[0]), str(row[1]))
        return self._head

    def _append_audit(self, changes: Sequence[tuple[str, str, str | None, str]]) -> None:
        """Append one entry per ``(kind, record id, before, after)``; inside a write."""
        if not changes:
            return
        seq, prev = self._audit_head()
        actor, at_utc, at_text, reason = self._actor, self._at_utc, self._at_text, self._reason
        rows = [
            (seq, actor, at_utc, at_text, kind, record_id, before, after, reason, prev, digest)
            for seq, kind, record_id, before, after, prev, digest in links(
                seq, prev, changes, actor=actor, at=self._at, reason=reason
            )
        ]
        seq, prev = rows[-1][0], rows[-1][-1]
        self._many(
            "INSERT INTO audit (seq, actor, at_utc, at_text, kind, record_id, before, after, "
            "reason, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self._exec(
            "INSERT OR REPLACE INTO audit_head (singleton, seq, hash) VALUES (1, ?, ?)",
            (seq, prev),
        )
        self._head = (seq, prev)

    # --- whole cycles --------------------------------------------------------------------------

    def import_data(self, data: CycleData) -> None:
        """Store a whole cycle's inputs at once (bulk inserts), all or nothing.

        The organisation replaces the stored one; the cycle, goals, check-ins, feedback events
        and reviews are inserted (an id already stored raises
        :class:`~perfkit.ConcurrencyError`), each goal and review with its audit entry; the
        scale catalog and the review forms are kept with the cycle.
        """
        data = _check_instance("data", data, CycleData)
        cycle_id = data.cycle.id
        with self._writing("data"), collector_paused():
            self._organisation._replace(data.organisation)
            self.cycles.add(data.cycle)
            goals = data.goals.goals
            self._goals._refuse_stored(goals)
            self._insert_audited("goal", goals, self._goals._insert_rows)
            self._goals._add_check_ins(
                data.goals.check_ins, path="data.goals.check_ins", known={g.id: g for g in goals}
            )
            self._feedback._add_many(data.feedback.events)
            scales = data.scales.scales
            self._many(
                "INSERT INTO cycle_scales (cycle_id, id, version, kind, record) "
                "VALUES (?, ?, ?, ?, ?)",
                [(cycle_id, x.id, x.version, x.kind, dumps(x)) for x in scales],
            )
            self._many(
                "INSERT INTO cycle_forms (cycle_id, id, record) VALUES (?, ?, ?)",
                [(cycle_id, f.id, dumps(f)) for f in data.forms],
            )
            reviews = data.reviews
            self._reviews._refuse_stored(reviews)
            self._insert_audited("review", reviews, self._reviews._insert_rows)

    def _insert_audited(
        self,
        kind: str,
        records: Sequence[Any],
        insert: Callable[[Sequence[Any], Sequence[str]], None],
    ) -> None:
        """Insert new records, each with its audit entry, a batch at a time: each record is
        serialised once, for its row and its entry, and only a batch of JSON texts is held."""
        for start in range(0, len(records), _BATCH):
            batch = records[start : start + _BATCH]
            docs = [dumps(r) for r in batch]
            insert(batch, docs)
            self._append_audit([(kind, r.id, None, d) for r, d in zip(batch, docs, strict=True)])

    # --- streams of records ---------------------------------------------------------------------

    def _add_stream(
        self, argument: str, items: object, what: str, write: Callable[[list[Any], int], None]
    ) -> int:
        """A bulk write of the iterable ``items`` (the argument ``argument``, records of
        ``what``): ``write(batch, offset)`` stores a batch whose first record is the
        ``offset``-th of the call. One savepoint for the call (all or nothing); only a batch of
        records is held at a time. Returns how many records were stored."""
        stream = _stream_of(argument, items, what)
        stored = 0
        with self._writing(argument):
            for batch in self._input.chunks(stream, _BATCH, _BULK_CALL[argument]):
                with collector_paused():  # never while the caller's iterable makes records
                    write(batch, stored)
                stored += len(batch)
        return stored

    def _insert_new(
        self,
        *,
        table: str,
        kind: str,
        argument: str,
        items: Sequence[Any],
        offset: int,
        insert: Callable[[], None],
        versioned: bool,
    ) -> None:
        """Run ``insert``, which inserts the rows of the new records ``items`` (the records of
        the call from its ``offset``-th). The table's UNIQUE id refuses an id stored before, or
        earlier in the call: the first such record is named (ConcurrencyError), with one query
        after the failure; no query before, and no set of the call's ids. Text SQLite cannot
        store is named by the record's position. Either way the caller's savepoint undoes the
        rows inserted (one savepoint per batch would cost a tenth of the time of the write:
        SQLite would copy every page the batch touches into its journal again)."""
        found = self._row(f"SELECT max(position) FROM {table}")
        before = 0 if found is None or found[0] is None else int(found[0])
        try:
            insert()
        except _NotUtf8 as err:
            i = _not_utf8(items)
            raise ValidationError(
                argument if i is None else f"{argument}[{offset + i}]",
                err.text,
                "holds text that is not valid Unicode (a lone surrogate): SQLite stores UTF-8 only",
            ) from None
        except StoreError as err:
            if not isinstance(err.__cause__, sqlite3.IntegrityError):
                raise
            stored = self._stored_before(table, [x.id for x in items], before, versioned)
            seen: set[str] = set()
            for i, x in enumerate(items):
                where = f"{argument}[{offset + i}]"
                if x.id in stored:
                    raise ConcurrencyError(kind, x.id, None, stored[x.id], path=where) from None
                if x.id in seen:
                    raise ConcurrencyError(kind, x.id, None, 1, path=where) from None
                seen.add(x.id)
            raise  # pragma: no cover - every constraint but the id's is checked before

    def _stored_before(
        self, table: str, ids: Sequence[str], position: int, versioned: bool
    ) -> dict[str, int]:
        """The versions of those of ``ids`` stored in ``table`` at ``position`` or before."""
        column = "version" if versioned else "1"
        found: dict[str, int] = {}
        for chunk in _chunks(ids):
            sql = (
                f"SELECT id, {column} FROM {table} "
                f"WHERE id IN ({_marks(len(chunk))}) AND position <= ?"
            )
            found.update((r[0], r[1]) for r in self._rows(sql, (*chunk, position)))
        return found

    def _write_once(
        self,
        table: str,
        kind: str,
        argument: str,
        batch: Sequence[Any],
        bad: int,
        offset: int,
        insert: Callable[[Sequence[Any]], None],
        refusal: Callable[[str], Exception] | None,
    ) -> None:
        """A batch of write-once records (check-ins, events) whose item ``bad`` (if below the
        batch's length and ``refusal`` is given) was refused by its checks: the items before it
        are inserted, then that item is refused for an id stored already (as adding it alone
        would be) or else with ``refusal(its path)``."""
        good = batch[:bad]
        if good:
            self._insert_new(
                table=table,
                kind=kind,
                argument=argument,
                items=good,
                offset=offset,
                insert=lambda: insert(good),
                versioned=False,
            )
        if refusal is not None and bad < len(batch):
            here = f"{argument}[{offset + bad}]"
            self._refuse_if_stored(table, kind, batch[bad], here)
            raise refusal(here)

    def _refuse_if_stored(self, table: str, kind: str, item: object, path: str) -> None:
        """Before refusing ``item`` (a check-in or an event, at ``path`` of the call) for what
        it holds: an id stored already, or earlier in the call (whose records before it are
        written), is refused first, as adding it alone would."""
        key = getattr(item, "id", None)
        if isinstance(key, str) and self._row(f"SELECT 1 FROM {table} WHERE id = ?", (key,)):
            raise ConcurrencyError(kind, key, None, 1, path=path)

    def cycle_data(self, cycle_id: str) -> CycleData:
        """A cycle's inputs: the organisation, the cycle, its goal set (as ``goals.goal_set``),
        every feedback event (as ``feedback.log()``), the scale catalog and forms stored with
        the cycle (in the order imported) and its reviews, by id."""
        cycle = self.cycles.get(cycle_id)
        with collector_paused():
            return CycleData(
                organisation=self.organisation.load(),
                cycle=cycle,
                goals=self.goals.goal_set(cycle.id),
                feedback=self.feedback.log(),
                scales=ScaleCatalog(scales=self._scales(cycle.id)),
                forms=self._forms(cycle.id),
                reviews=self.reviews.by_cycle(cycle.id),
            )

    def _scales(self, cycle_id: str) -> tuple[Scale, ...]:
        out = []
        for kind, record, key in self._rows(
            "SELECT kind, record, id || ' v' || version FROM cycle_scales WHERE cycle_id = ? "
            "ORDER BY position",
            (cycle_id,),
        ):
            cls = _SCALE_TYPES.get(kind)
            if cls is None:
                raise StoreError(
                    f"the stored scale {key!r} in {self._store.path} has an unknown kind "
                    f"{kind!r}; the file was changed outside perfkit: restore it from a backup"
                )
            out.append(self._load(record, cls, "scale", key))
        return tuple(out)

    def _forms(self, cycle_id: str) -> tuple[ReviewForm, ...]:
        return tuple(
            self._load(record, ReviewForm, "review form", key)
            for key, record in self._rows(
                "SELECT id, record FROM cycle_forms WHERE cycle_id = ? ORDER BY position",
                (cycle_id,),
            )
        )


# --- repositories --------------------------------------------------------------------------


class _Repository:
    def __init__(self, uow: SqliteUnitOfWork) -> None:
        self._uow = uow


class _Organisation(_Repository):
    """The organisation: units and employees, saved and loaded as a whole."""

    def save(self, organisation: Organisation) -> None:
        """Replace the stored organisation with this one."""
        organisation = _check_instance("organisation", organisation, Organisation)
        with self._uow._writing("organisation"):
            self._replace(organisation)

    def _replace(self, organisation: Organisation) -> None:
        uow = self._uow
        uow._exec("DELETE FROM employees")
        uow._exec("DELETE FROM org_units")
        uow._many(
            "INSERT INTO org_units (id, parent_id, record) VALUES (?, ?, ?)",
            ((u.id, u.parent_id, dumps(u)) for u in organisation.units),
        )
        uow._many(
            "INSERT INTO employees (id, unit_id, manager_id, record) VALUES (?, ?, ?, ?)",
            ((e.id, e.unit_id, e.manager_id, dumps(e)) for e in organisation.employees),
        )

    def load(self) -> Organisation:
        """The stored organisation (an empty one when nothing was saved)."""
        uow = self._uow
        units = uow._load_all(
            "SELECT id, record FROM org_units ORDER BY position", (), "org unit", OrgUnit
        )
        employees = uow._load_all(
            "SELECT id, record FROM employees ORDER BY position", (), "employee", Employee
        )
        return Organisation(units=units, employees=employees)

    def employee(self, employee_id: str) -> Employee:
        """One employee; ``NotFoundError`` when there is none."""
        return self._uow._get("employees", Employee, "employee", employee_id, "employee_id")


class _Cycles(_Repository):
    """Review cycles, versioned: a stage move is a save with the version read."""

    @staticmethod
    def _columns(cycle: ReviewCycle) -> dict[str, object]:
        return {
            "stage": cycle.stage.value,
            "start_date": cycle.start.isoformat(),
            "end_date": cycle.end.isoformat(),
        }

    def add(self, cycle: ReviewCycle) -> None:
        """Store a new cycle; an existing id raises ``ConcurrencyError``."""
        cycle = _check_instance("cycle", cycle, ReviewCycle)
        self._uow._save_versioned(
            table="cycles",
            kind="cycle",
            record_id=cycle.id,
            record=dumps(cycle),
            expected=None,
            columns=self._columns(cycle),
            argument="cycle",
            audit=False,
        )

    def save(self, cycle: ReviewCycle, expected_version: int) -> int:
        """Replace a cycle (its stage moved) if its version is still ``expected_version``."""
        cycle = _check_instance("cycle", cycle, ReviewCycle)
        expected = _check_expected(expected_version, optional=False)
        return self._uow._save_versioned(
            table="cycles",
            kind="cycle",
            record_id=cycle.id,
            record=dumps(cycle),
            expected=expected,
            columns=self._columns(cycle),
            argument="cycle",
            audit=False,
        )

    def get(self, cycle_id: str) -> ReviewCycle:
        return self._uow._get("cycles", ReviewCycle, "cycle", cycle_id, "cycle_id")

    def version(self, cycle_id: str) -> int:
        return self._uow._version_of("cycles", "cycle", cycle_id, "cycle_id")

    def list(self) -> tuple[ReviewCycle, ...]:
        """Every cycle, by id."""
        return tuple(
            self._uow._load_all(
                "SELECT id, record FROM cycles ORDER BY id", (), "cycle", ReviewCycle
            )
        )


class _Versioned(_Repository):
    """What the repositories of versioned, audited records (goals, reviews) share: refusing
    ids that are stored already, and inserting new records at version 1 with the indexed
    columns of ``_columns``."""

    _table: str
    _kind: str
    _cls: type[Any]
    _argument: str  # the argument of add_many

    @staticmethod
    def _columns(item: Any) -> dict[str, object]:  # pragma: no cover - every subclass has one
        raise NotImplementedError

    def _add_many(self, items: object) -> int:
        """Insert new records at version 1, each with its audit entry, a batch at a time."""
        return self._uow._add_stream(self._argument, items, self._argument, self._add_batch)

    def _add_batch(self, batch: list[Any], offset: int) -> None:
        uow = self._uow
        bad = _first_not(batch, self._cls)
        good = batch[:bad]
        if good:
            docs = [dumps(x) for x in good]
            uow._insert_new(
                table=self._table,
                kind=self._kind,
                argument=self._argument,
                items=good,
                offset=offset,
                insert=lambda: self._insert_rows(good, docs),
                versioned=True,
            )
            uow._append_audit(
                [(self._kind, x.id, None, d) for x, d in zip(good, docs, strict=True)]
            )
        if bad < len(batch):
            _check_instance(f"{self._argument}[{offset + bad}]", batch[bad], self._cls)

    def _refuse_stored(self, items: Sequence[Any]) -> None:
        stored = self._uow._versions(self._table, [x.id for x in items])
        for item in items:
            if item.id in stored:
                raise ConcurrencyError(self._kind, item.id, None, stored[item.id])

    def _insert_rows(self, items: Sequence[Any], docs: Sequence[str]) -> None:
        """Insert new records (checked with ``_refuse_stored``) at version 1."""
        if not items:
            return
        names = list(self._columns(items[0]))
        self._uow._many(
            f"INSERT INTO {self._table} (id, {', '.join(names)}, version, record) "
            f"VALUES (?, {', '.join('?' for _ in names)}, 1, ?)",
            ((x.id, *self._columns(x).values(), doc) for x, doc in zip(items, docs, strict=True)),
        )


class _Goals(_Versioned):
    """Goals (versioned, audited) and their check-ins (never edited)."""

    _table = "goals"
    _kind = "goal"
    _cls = Goal
    _argument = "goals"

    @staticmethod
    def _columns(goal: Goal) -> dict[str, object]:
        return {
            "cycle_id": goal.cycle_id,
            "owner_kind": goal.owner.kind.value,
            "owner_id": goal.owner.id,
            "status": goal.status.value,
        }

    def save(self, goal: Goal, expected_version: int | None = None) -> int:
        """Insert (``expected_version=None``) or update a goal; returns the new version."""
        goal = _check_instance("goal", goal, Goal)
        expected = _check_expected(expected_version, optional=True)
        return self._uow._save_versioned(
            table="goals",
            kind="goal",
            record_id=goal.id,
            record=dumps(goal),
            expected=expected,
            columns=self._columns(goal),
            argument="goal",
        )

    def get(self, goal_id: str) -> Goal:
        return self._uow._get("goals", Goal, "goal", goal_id, "goal_id")

    def version(self, goal_id: str) -> int:
        return self._uow._version_of("goals", "goal", goal_id, "goal_id")

    def _goals(self, sql: str, params: Sequence[Any]) -> tuple[Goal, ...]:
        return tuple(self._uow._load_all(sql, params, "goal", Goal))

    def in_cycle(self, cycle_id: str) -> tuple[Goal, ...]:
        """The goals of a cycle and the goals outside any cycle (which count in every cycle, as
        in CycleData), by id."""
        key = _check_key("cycle_id", cycle_id)
        return self._goals(
            "SELECT id, record FROM goals WHERE cycle_id = ? OR cycle_id IS NULL ORDER BY id",
            (key,),
        )

    def of_employee(self, employee_id: str, cycle_id: str) -> tuple[Goal, ...]:
        """The goals an employee owns in a cycle (or outside any cycle), by id."""
        person = _check_key("employee_id", employee_id)
        cycle = _check_key("cycle_id", cycle_id)
        return self._goals(
            "SELECT id, record FROM goals WHERE owner_id = ? AND owner_kind = ? "
            "AND (cycle_id = ? OR cycle_id IS NULL) ORDER BY id",
            (person, OwnerKind.EMPLOYEE.value, cycle),
        )

    def iter_in_cycle(self, cycle_id: str) -> Iterator[Goal]:
        """The goals of :meth:`in_cycle`, in the same order, read a batch at a time."""
        key = _check_key("cycle_id", cycle_id)
        return self._uow._stream(
            "goals",
            "SELECT id, record FROM goals WHERE cycle_id = ? OR cycle_id IS NULL ORDER BY id",
            (key,),
            "goal",
            Goal,
        )

    def add_many(self, goals: Iterable[Goal]) -> int:
        """Insert new goals (version 1, each with its audit entry, as ``save(goal)`` does for
        one), a batch at a time, all or nothing; returns how many were stored."""
        return self._add_many(goals)

    def add_check_ins(self, check_ins: Iterable[CheckIn]) -> int:
        """Record check-ins (as :meth:`add_check_in` does for one: each goal stored, each
        reading fits the goal's metric), a batch at a time, all or nothing; returns how many
        were stored."""
        return self._uow._add_stream("check_ins", check_ins, "check-ins", self._check_in_batch)

    def _check_in_batch(self, batch: list[Any], offset: int) -> None:
        """Check a batch of check-ins against their goals' metrics (read in one query per chunk
        of ids), then insert those before the first refused one; the refusal comes after,
        unless an id stored already comes first."""
        metrics = self._stored_metrics({c.goal_id for c in batch if isinstance(c, CheckIn)})
        metric_of = metrics.get
        bad = len(batch)
        for i, check_in in enumerate(batch):
            if isinstance(check_in, CheckIn):
                metric = metric_of(check_in.goal_id)
                if metric is not None:
                    try:
                        metric.check(check_in)
                        continue
                    except ValidationError:
                        pass
            bad = i
            break
        self._uow._write_once(
            "check_ins",
            "check_in",
            "check_ins",
            batch,
            bad,
            offset,
            self._insert_check_ins,
            lambda here: self._refusal(batch[bad], here, metrics),
        )

    @staticmethod
    def _refusal(check_in: object, here: str, metrics: dict[str, Metric]) -> ValidationError:
        """Why ``check_in`` (the item ``here``) is refused: not a check-in, no stored goal, or
        a reading that does not fit its goal's metric."""
        try:
            check_in = _check_instance(here, check_in, CheckIn)
            metric = metrics.get(check_in.goal_id)
            if metric is None:
                return UnknownReferenceError(
                    f"{here}.goal_id", check_in.goal_id, "is not a stored goal"
                )
            metric.check(check_in)
        except ValidationError as err:
            return err if err.path.startswith(here) else err.at(here)
        raise AssertionError(f"{here} was refused but passes its checks")  # pragma: no cover

    def _stored_metrics(self, ids: Iterable[str]) -> dict[str, Metric]:
        """The metrics of the stored goals of ``ids`` (those that are stored), by goal id: all a
        check-in is checked against. SQLite takes each metric out of its goal's JSON, and each
        distinct metric is built once (goals share few), so no whole goal is read."""
        uow = self._uow
        known = uow._metrics
        found: dict[str, Metric] = {}
        for chunk in _chunks(list(ids)):
            marks = _marks(len(chunk))
            try:
                rows = uow._rows(
                    f"SELECT id, json_extract(record, '$.data.metric') FROM goals "
                    f"WHERE id IN ({marks})",
                    chunk,
                )
            except StoreError as err:  # a record that is not JSON: read each the exact way
                if not isinstance(err.__cause__, sqlite3.OperationalError):
                    raise
                rows = [
                    (key, None)
                    for (key,) in uow._rows(f"SELECT id FROM goals WHERE id IN ({marks})", chunk)
                ]
            for key, text in rows:
                metric = known.get(text) if isinstance(text, str) else None
                if metric is None:
                    metric = self._metric(key, text)
                    if isinstance(text, str):
                        if len(known) >= 4096:
                            known.clear()
                        known[text] = metric
                found[key] = metric
        return found

    def _metric(self, key: str, text: object) -> Metric:
        """A goal's metric from its JSON text; from the whole goal (read the exact way, with its
        errors) when the quick way cannot read it."""
        try:
            data = json.loads(text)  # type: ignore[arg-type]
            kind = data["type"]
            read = _METRIC_READERS.get(kind)
            if read is None:
                read = _METRIC_READERS[kind] = _document_reader(_METRIC_TYPES[kind])
            name = _METRIC_TYPES[kind].__name__
            metric: Metric = read({"data": data, "schema_version": _DOCUMENT_VERSION, "type": name})
            return metric
        except Exception:  # noqa: BLE001 - the whole goal is read, or said to be unreadable
            row = self._uow._row("SELECT record FROM goals WHERE id = ?", (key,))
            assert row is not None
            return self._uow._load(row[0], Goal, "goal", key).metric

    def iter_check_ins(self, cycle_id: str) -> Iterator[CheckIn]:
        """The check-ins of :meth:`goal_set` (of the goals :meth:`in_cycle` gives), in the
        same order (chronological, then by id), read a batch at a time."""
        key = _check_key("cycle_id", cycle_id)
        return self._uow._stream(
            "check-ins",
            "SELECT c.id, c.record FROM check_ins AS c JOIN goals AS g ON g.id = c.goal_id "
            "WHERE g.cycle_id = ? OR g.cycle_id IS NULL ORDER BY c.at_utc, c.id",
            (key,),
            "check-in",
            CheckIn,
        )

    def add_check_in(self, check_in: CheckIn) -> None:
        """Record a check-in (check-ins are never edited); its goal must be stored and the
        reading must fit the goal's metric."""
        check_in = _check_instance("check_in", check_in, CheckIn)
        with self._uow._writing("check_in"):
            self._add_check_ins([check_in], path="check_in", single=True)

    def _add_check_ins(
        self,
        check_ins: Sequence[CheckIn],
        *,
        path: str,
        single: bool = False,
        known: dict[str, Goal] | None = None,
    ) -> None:
        """Insert check-ins. ``known`` goals (those of the GoalSet being imported) need not be
        read back, and their check-ins were checked against them when the GoalSet was built."""
        uow = self._uow
        known = known or {}
        stored = uow._versions_of_once("check_ins", [c.id for c in check_ins])
        goals: dict[str, Goal] = {}
        missing = sorted({c.goal_id for c in check_ins} - known.keys())
        for key, record in uow._records("goals", missing).items():
            goals[key] = uow._load(record, Goal, "goal", key)
        for i, check_in in enumerate(check_ins):  # every check first, then the rows
            if check_in.goal_id in known and check_in.id not in stored:
                continue  # checked against its goal when the GoalSet was built
            here = path if single else f"{path}[{i}]"
            if check_in.id in stored:
                raise ConcurrencyError("check_in", check_in.id, None, 1)
            goal = goals.get(check_in.goal_id)
            if goal is None:
                raise UnknownReferenceError(
                    f"{here}.goal_id", check_in.goal_id, "is not a stored goal"
                )
            try:
                goal.metric.check(check_in)
            except ValidationError as err:
                raise err.at(here) from None
        self._insert_check_ins(check_ins)

    def _insert_check_ins(self, check_ins: Sequence[CheckIn]) -> None:
        times = self._uow._times

        def rows() -> Iterator[Row]:
            for c in check_ins:
                doc = dumps(c)
                yield (c.id, c.goal_id, c.author, *times.keys(c.at, doc), doc)

        self._uow._many(
            "INSERT INTO check_ins (id, goal_id, author, at_utc, at_text, record) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows(),
        )

    def check_ins(self, goal_id: str) -> tuple[CheckIn, ...]:
        """A goal's check-ins, chronological, then by id."""
        key = _check_key("goal_id", goal_id)
        uow = self._uow
        if uow._row("SELECT 1 FROM goals WHERE id = ?", (key,)) is None:
            raise NotFoundError("goal", key)
        return tuple(
            uow._load_all(
                "SELECT id, record FROM check_ins WHERE goal_id = ? ORDER BY at_utc, id",
                (key,),
                "check-in",
                CheckIn,
            )
        )

    def goal_set(self, cycle_id: str) -> GoalSet:
        """The goals of ``in_cycle`` (by id) with their check-ins (chronological, then by id),
        as one checked GoalSet."""
        key = _check_key("cycle_id", cycle_id)
        uow = self._uow
        goals = self.in_cycle(key)
        check_ins = uow._load_all(
            "SELECT c.id, c.record FROM check_ins AS c JOIN goals AS g ON g.id = c.goal_id "
            "WHERE g.cycle_id = ? OR g.cycle_id IS NULL ORDER BY c.at_utc, c.id",
            (key,),
            "check-in",
            CheckIn,
        )
        return GoalSet(goals=goals, check_ins=check_ins)


class _Feedback(_Repository):
    """Feedback events: praise, constructive feedback, notes, requests and responses."""

    def add(self, event: FeedbackEvent) -> None:
        """Record a feedback event (events are never edited). A response must answer a stored
        request, as :class:`~perfkit.FeedbackLog` requires."""
        _check(v.instance_of(*_FEEDBACK_TYPES.values()), "event", event)
        with self._uow._writing("event"):
            self._refuse_stored([event])
            if isinstance(event, FeedbackResponse):
                self._check_response(event)
            self._insert([event])

    def _refuse_stored(self, events: Sequence[FeedbackEvent]) -> None:
        stored = self._uow._versions_of_once("feedback", [e.id for e in events])
        for event in events:
            if event.id in stored:
                raise ConcurrencyError("feedback", event.id, None, 1)

    def _add_many(self, events: Sequence[FeedbackEvent]) -> None:
        """Add the events of a checked log whose ids are not stored yet."""
        self._refuse_stored(events)
        self._insert(events)

    def add_many(self, events: Iterable[FeedbackEvent]) -> int:
        """Record events (as :meth:`add` does for each: a response answers a request that is
        stored or earlier in ``events``), a batch at a time, all or nothing; returns how many
        were stored."""
        return self._uow._add_stream("events", events, "feedback events", self._add_batch)

    def _add_batch(self, batch: list[Any], offset: int) -> None:
        """Check a batch (each response against the events related to its request: those
        stored, read in one query per chunk of request ids, and those earlier in the batch),
        then insert the events before the first refused one; the refusal comes after, unless an
        id stored already comes first."""
        requests = sorted({e.request_id for e in batch if isinstance(e, FeedbackResponse)})
        asked, answers = self._related(requests)
        wanted = set(requests)
        refusal: ValidationError | None = None
        bad = len(batch)
        for i, event in enumerate(batch):
            if not isinstance(event, _FEEDBACK_CLASSES):
                try:
                    _check(_A_FEEDBACK_EVENT, f"events[{offset + i}]", event)
                except ValidationError as err:
                    refusal = err
            elif isinstance(event, FeedbackResponse):
                key = event.request_id
                request = asked.get(key)
                related = ([] if request is None else [request]) + answers.get(key, [])
                try:
                    FeedbackLog(events=(*related, event))
                except ValidationError as err:
                    prefix = f"events[{len(related)}]"
                    if not err.path.startswith(prefix):  # pragma: no cover - FeedbackLog names it
                        raise
                    refusal = type(err)(
                        f"events[{offset + i}]" + err.path[len(prefix) :], err.value, err.reason
                    )
                else:
                    answers.setdefault(key, []).append(event)
            if refusal is not None:
                bad = i
                break
            if event.id in wanted and event.id not in asked:
                asked[event.id] = event
        found = refusal  # named by its own path already
        self._uow._write_once(
            "feedback",
            "feedback",
            "events",
            batch,
            bad,
            offset,
            self._insert,
            None if found is None else lambda _here: found,
        )

    def _related(
        self, requests: Sequence[str]
    ) -> tuple[dict[str, FeedbackEvent], dict[str, list[FeedbackEvent]]]:
        """The stored events that ``requests`` (ids) are, and the stored responses to each, in
        the order they were stored: what :meth:`_check_response` reads, for many requests."""
        asked: dict[str, FeedbackEvent] = {}
        answers: dict[str, list[FeedbackEvent]] = {}
        if not requests:
            return asked, answers
        uow = self._uow
        rows: dict[int, Row] = {}  # by position: a row two chunks find is read once
        for chunk in _chunks(requests):
            marks = _marks(len(chunk))
            for row in uow._rows(
                "SELECT id, kind, record, position FROM feedback "
                f"WHERE id IN ({marks}) OR request_id IN ({marks})",
                (*chunk, *chunk),
            ):
                rows[row[3]] = row
        text, kind, load = uow._reader("feedback event", _FEEDBACK_TYPES)
        ordered = [rows[p] for p in sorted(rows)]
        wanted = set(requests)
        for event in read_all([ordered], text=text, cls=kind, load=load):
            if event.id in wanted:
                asked[event.id] = event
            if isinstance(event, FeedbackResponse) and event.request_id in wanted:
                answers.setdefault(event.request_id, []).append(event)
        return asked, answers

    def _insert(self, events: Sequence[FeedbackEvent]) -> None:
        times = self._uow._times

        def rows() -> Iterator[Row]:
            for e in events:
                doc = dumps(e)
                request_id = e.request_id if e.__class__ is FeedbackResponse else None
                utc, text = times.keys(e.at, doc)
                yield (e.id, e.kind, e.author, e.subject, e.goal_id, request_id, utc, text, doc)

        self._uow._many(
            "INSERT INTO feedback (id, kind, author, subject, goal_id, request_id, at_utc, "
            "at_text, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows(),
        )

    def _check_response(self, event: FeedbackResponse) -> None:
        """The checks :class:`FeedbackLog` makes of a response (a stored request, about the same
        person, from someone asked, not before it, only once), against what is stored."""
        related = self._events(
            "SELECT id, kind, record FROM feedback WHERE id = ? OR request_id = ? "
            "ORDER BY id = ? DESC, position",
            (event.request_id, event.request_id, event.request_id),
        )
        try:
            FeedbackLog(events=(*related, event))
        except ValidationError as err:
            prefix = f"events[{len(related)}]"
            if not err.path.startswith(prefix):  # pragma: no cover - FeedbackLog names it
                raise
            raise type(err)("event" + err.path[len(prefix) :], err.value, err.reason) from None

    def _events(self, sql: str, params: Sequence[Any] = ()) -> tuple[FeedbackEvent, ...]:
        return tuple(self._uow._load_all(sql, params, "feedback event", _FEEDBACK_TYPES))

    def about(
        self, subject: str, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[FeedbackEvent, ...]:
        """Events about ``subject`` with ``start <= at < end``, chronological, then by id."""
        key = _check_key("subject", subject)
        sql = "SELECT id, kind, record FROM feedback WHERE subject = ?"
        params: list[object] = [key]
        if start is not None:
            _check(v.aware_datetime, "start", start)
            sql += " AND at_utc >= ?"
            params.append(_utc_text(start))
        if end is not None:
            _check(v.aware_datetime, "end", end)
            if start is not None and end < start:
                raise ValidationError("end", end, f"is before start {start}")
            sql += " AND at_utc < ?"
            params.append(_utc_text(end))
        return self._events(sql + " ORDER BY at_utc, id", params)

    def log(self) -> FeedbackLog:
        """Every event, chronologically, then by id, as one checked FeedbackLog."""
        return FeedbackLog(
            events=self._events("SELECT id, kind, record FROM feedback ORDER BY at_utc, id")
        )

    def iter_log(self) -> Iterator[FeedbackEvent]:
        """The events of :meth:`log`, in the same order, read a batch at a time."""
        return self._uow._stream(
            "feedback events",
            "SELECT id, kind, record FROM feedback ORDER BY at_utc, id",
            (),
            "feedback event",
            _FEEDBACK_TYPES,
        )


class _Reviews(_Versioned):
    """Reviews, versioned and audited."""

    _table = "reviews"
    _kind = "review"
    _cls = Review
    _argument = "reviews"

    @staticmethod
    def _columns(review: Review) -> dict[str, object]:
        return {
            "cycle_id": review.cycle_id,
            "form_id": review.form_id,
            "subject": review.subject,
            "reviewer": review.reviewer,
            "role": review.role.value,
            "status": review.status.value,
        }

    def save(self, review: Review, expected_version: int | None = None) -> int:
        """Insert (``expected_version=None``) or update a review; returns the new version."""
        review = _check_instance("review", review, Review)
        expected = _check_expected(expected_version, optional=True)
        return self._uow._save_versioned(
            table="reviews",
            kind="review",
            record_id=review.id,
            record=dumps(review),
            expected=expected,
            columns=self._columns(review),
            argument="review",
        )

    def get(self, review_id: str) -> Review:
        return self._uow._get("reviews", Review, "review", review_id, "review_id")

    def version(self, review_id: str) -> int:
        return self._uow._version_of("reviews", "review", review_id, "review_id")

    def _reviews(self, sql: str, params: Sequence[Any]) -> tuple[Review, ...]:
        return tuple(self._uow._load_all(sql, params, "review", Review))

    def add_many(self, reviews: Iterable[Review]) -> int:
        """Insert new reviews (version 1, each with its audit entry, as ``save(review)`` does
        for one), a batch at a time, all or nothing; returns how many were stored."""
        return self._add_many(reviews)

    def iter_by_cycle(self, cycle_id: str, subject: str | None = None) -> Iterator[Review]:
        """The reviews of :meth:`by_cycle`, in the same order, read a batch at a time."""
        cycle = _check_key("cycle_id", cycle_id)
        if subject is None:
            return self._uow._stream(
                "reviews",
                "SELECT id, record FROM reviews WHERE cycle_id = ? ORDER BY id",
                (cycle,),
                "review",
                Review,
            )
        person = _check_key("subject", subject)
        return self._uow._stream(
            "reviews",
            "SELECT id, record FROM reviews WHERE cycle_id = ? AND subject = ? ORDER BY id",
            (cycle, person),
            "review",
            Review,
        )

    def by_cycle(self, cycle_id: str, subject: str | None = None) -> tuple[Review, ...]:
        """A cycle's reviews (of one subject if given), by id."""
        cycle = _check_key("cycle_id", cycle_id)
        if subject is None:
            return self._reviews(
                "SELECT id, record FROM reviews WHERE cycle_id = ? ORDER BY id", (cycle,)
            )
        person = _check_key("subject", subject)
        return self._reviews(
            "SELECT id, record FROM reviews WHERE cycle_id = ? AND subject = ? ORDER BY id",
            (cycle, person),
        )


class _Calibrations(_Repository):
    """Calibration sessions (population and adjustments), versioned and audited."""

    def save(self, session: CalibrationSession, expected_version: int | None = None) -> int:
        """Save a whole calibration session (population and adjustments) atomically."""
        session = _check_instance("session", session, CalibrationSession)
        expected = _check_expected(expected_version, optional=True)
        return self._uow._save_versioned(
            table="calibrations",
            kind="calibration",
            record_id=session.id,
            record=dumps(session),
            expected=expected,
            columns={"status": session.status.value},
            argument="session",
        )

    def get(self, session_id: str) -> CalibrationSession:
        return self._uow._get(
            "calibrations", CalibrationSession, "calibration session", session_id, "session_id"
        )

    def version(self, session_id: str) -> int:
        return self._uow._version_of(
            "calibrations", "calibration session", session_id, "session_id"
        )


class _Results(_Repository):
    """Cycle results: the whole result, and each person's for the queries by unit."""

    def save(self, result: CycleResult) -> None:
        """Store a cycle's results, replacing earlier results of that cycle, atomically."""
        result = _check_instance("result", result, CycleResult)
        uow = self._uow
        doc = dumps(result)
        with uow._writing("result"):
            row = uow._row("SELECT record FROM results WHERE cycle_id = ?", (result.cycle_id,))
            uow._exec("DELETE FROM results WHERE cycle_id = ?", (result.cycle_id,))
            uow._exec(
                "INSERT INTO results (cycle_id, policy, at_utc, at_text, record) "
                "VALUES (?, ?, ?, ?, ?)",
                (result.cycle_id, result.policy, _utc_text(result.at), result.at.isoformat(), doc),
            )
            uow._many(
                "INSERT INTO employee_results (cycle_id, employee_id, unit_id, position, record) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    (result.cycle_id, e.employee_id, e.unit_id, i, dumps(e))
                    for i, e in enumerate(result.employees)
                ),
            )
            uow._append_audit([("result", result.cycle_id, None if row is None else row[0], doc)])

    def get(self, cycle_id: str) -> CycleResult:
        key = _check_key("cycle_id", cycle_id)
        uow = self._uow
        row = uow._row("SELECT record FROM results WHERE cycle_id = ?", (key,))
        if row is None:
            raise NotFoundError("cycle result", key)
        return uow._load(row[0], CycleResult, "cycle result", key)

    def by_unit(self, cycle_id: str, unit_id: str) -> tuple[EmployeeResult, ...]:
        """The results of the people whose unit is ``unit_id`` (that unit only), by employee
        id; empty when the cycle has no stored result."""
        cycle = _check_key("cycle_id", cycle_id)
        unit = _check_key("unit_id", unit_id)
        return tuple(
            self._uow._load_all(
                "SELECT employee_id, record FROM employee_results "
                "WHERE cycle_id = ? AND unit_id = ? ORDER BY employee_id, position",
                (cycle, unit),
                "employee result",
                EmployeeResult,
            )
        )


class _Audit(_Repository):
    """The audit log: who changed which record, when, how and why; hash-chained."""

    _COLUMNS = "seq, actor, at_text, kind, record_id, before, after, reason, prev_hash, hash"

    @staticmethod
    def _entry(row: Row) -> AuditEntry:
        seq, actor, at_text, kind, record_id, before, after, reason, prev_hash, digest = row
        try:
            at = datetime.fromisoformat(at_text) if isinstance(at_text, str) else at_text
        except ValueError:
            raise ValidationError("at", at_text, "is not an ISO 8601 datetime") from None
        return AuditEntry(
            seq=seq,
            actor=actor,
            at=at,
            kind=kind,
            record_id=record_id,
            before=before,
            after=after,
            reason=reason,
            prev_hash=prev_hash,
            hash=digest,
        )

    def entries(self, record_id: str | None = None) -> tuple[AuditEntry, ...]:
        """The log in order (of one record if given)."""
        uow = self._uow
        if record_id is None:
            rows = uow._rows(f"SELECT {self._COLUMNS} FROM audit ORDER BY seq")
        else:
            key = _check_key("record_id", record_id)
            rows = uow._rows(
                f"SELECT {self._COLUMNS} FROM audit WHERE record_id = ? ORDER BY seq", (key,)
            )
        out = []
        for row in rows:
            try:
                out.append(self._entry(row))
            except ValidationError as err:
                raise StoreError(
                    f"audit entry {row[0]} in {uow._store.path} cannot be read ({err}): it was "
                    "changed outside perfkit; audit.verify() lists what else was"
                ) from None
        return tuple(out)

    def verify(self) -> AuditReport:
        """Re-compute the hash chain; the report lists every entry that does not match."""
        uow = self._uow
        rows = uow._rows(f"SELECT {self._COLUMNS} FROM audit ORDER BY seq")
        head = uow._row("SELECT hash FROM audit_head WHERE singleton = 1")
        entries = []
        unreadable = []
        for row in rows:
            try:
                entries.append(self._entry(row))
            except ValidationError as err:
                unreadable.append(AuditProblem(seq=int(row[0]), reason=f"cannot be read ({err})"))
        report = verify_chain(entries, None if head is None else str(head[0]))
        problems = sorted([*report.problems, *unreadable], key=lambda p: p.seq)
        return AuditReport(checked=len(rows), problems=problems)

"""PostgreSQL storage: the ``perfkit[postgres]`` extra (SQLAlchemy 2 Core on psycopg 3).

:class:`PostgresStore` keeps every record of an HR product — the organisation, review cycles,
goals and check-ins, feedback, rating scales and review forms, reviews, calibration sessions and
cycle results — in tables of one PostgreSQL schema (``perfkit`` unless told otherwise), each
record as its perfkit JSON document next to the columns that queries need. Goals, reviews,
calibration sessions and cycles carry a version for optimistic concurrency (``UPDATE ... WHERE
version = :expected``): two people who edit the same record at once cannot overwrite each other;
the second gets :class:`~perfkit.ConcurrencyError`. Every change to goals, reviews, calibration
sessions and results is written to a hash-chained audit log in the same transaction.

A host gives it a URL (perfkit creates and owns the engine), its own SQLAlchemy ``Engine``
(perfkit borrows a connection per unit of work) or a ``Connection`` already inside the host's
transaction (each unit of work is then a savepoint in it, and the host's commit makes it
durable). Driver errors never escape raw: they become :class:`~perfkit.StoreError` saying what
to do.

Only this module imports SQLAlchemy and psycopg; without them importing it raises
``StoreError("... install perfkit[postgres]")``.
"""

from __future__ import annotations

import contextlib
import json
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from .. import _validation as v
from .._errors import (
    ConcurrencyError,
    DocumentError,
    NotFoundError,
    StoreError,
    UnknownReferenceError,
    ValidationError,
)
from .._serialization import dumps, loads, structure
from ..calibration import CalibrationSession
from ..cycles import ReviewCycle
from ..dataset import CycleData
from ..feedback import FeedbackEvent, FeedbackLog, FeedbackRequest, FeedbackResponse
from ..goals import CheckIn, Goal, GoalSet, OwnerKind
from ..metrics import Metric
from ..org import Employee, Organisation, OrgUnit
from ..reviews import Review, ReviewForm
from ..run import CycleResult, EmployeeResult
from ..scales import Scale, ScaleCatalog
from ._audit import GENESIS, AuditEntry, AuditProblem, AuditReport, links, verify_chain
from ._rows import InputGuard, collector_paused, iter_all, read_all

try:
    import psycopg
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.dialects.postgresql import ARRAY
    from sqlalchemy.dialects.postgresql import insert as pg_insert
except ImportError as _missing:  # pragma: no cover - tested in a subprocess
    raise StoreError(
        f"perfkit.storage.postgres needs SQLAlchemy 2 and psycopg 3 ({_missing}): "
        "install perfkit[postgres] (pip install 'perfkit[postgres]')"
    ) from _missing

if not sa.__version__.startswith("2."):  # pragma: no cover - the extra pins SQLAlchemy 2
    raise StoreError(
        f"perfkit.storage.postgres needs SQLAlchemy 2, found {sa.__version__}: "
        "install perfkit[postgres] (pip install 'perfkit[postgres]')"
    )

from ._pg_schema import MIGRATIONS, SCHEMA_TABLE, Migration, Tables, tables

if TYPE_CHECKING:
    from ._protocols import (
        AuditLog,
        CalibrationRepository,
        CycleRepository,
        FeedbackRepository,
        GoalRepository,
        OrganisationRepository,
        ResultRepository,
        ReviewRepository,
        Store,
    )

from ._checks import expected_version as _check_expected
from ._checks import instance as _check_instance
from ._checks import moment as _check_moment

__all__ = ["PostgresStore", "PostgresUnitOfWork"]

T = TypeVar("T")

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_FEEDBACK_TYPES: dict[str, type[Any]] = {cls.kind: cls for cls in typing.get_args(FeedbackEvent)}
_SCALE_TYPES: dict[str, type[Any]] = {cls.kind: cls for cls in typing.get_args(Scale)}
_BATCH = 5000  # records serialised (and audited) per COPY of a bulk import or add_many
_FETCH = 2000  # rows per fetch when streaming a large table
_METRICS = 4096  # distinct metric documents add_check_ins keeps read (then it starts again)
_ENDED = (
    "this unit of work is over (its with-block has ended): open a new one with "
    "store.transaction(...)"
)


# --- argument checks -----------------------------------------------------------------------


def _check_id(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(name, value, "is not a string id")
    if not v._ID_RE.match(value):
        raise ValidationError(
            name,
            value,
            "is not a valid id (1-200 characters, no control characters, no space at either end)",
        )
    return value


class _NoRecordKey(str):
    """The empty string (no record's id) standing in a query for a key PostgreSQL cannot take
    as text; ``original`` is that key, for the NotFoundError that names it."""

    original: str


def _read_key(name: str, value: object) -> str:
    """A key a read looks records up by: any string, as in every store (one no record can have
    finds nothing: an empty listing, or NotFoundError naming it). A key with NUL characters or
    lone surrogates, which PostgreSQL cannot take as text, is looked up as the empty string,
    which no record has either."""
    if not isinstance(value, str):
        raise ValidationError(name, value, "is not a string id")
    try:
        value.encode("utf-8")
        storable = "\x00" not in value
    except UnicodeEncodeError:
        storable = False
    if storable:
        return value
    key = _NoRecordKey("")
    key.original = value
    return key


def _named(key: str) -> str:
    """The key a caller gave (see :func:`_read_key`)."""
    return key.original if isinstance(key, _NoRecordKey) else key


def _check_schema(value: object) -> str:
    if not isinstance(value, str) or not _SCHEMA_NAME.match(value):
        raise ValidationError(
            "schema",
            value,
            "is not a schema name perfkit uses (lower-case letters, digits and _, at most 63, "
            "not starting with a digit)",
        )
    return value


def _storable(name: str, value: str) -> str:
    """PostgreSQL text holds neither NUL characters nor lone surrogates."""
    if "\x00" in value:
        raise ValidationError(name, value, "holds a NUL character, which PostgreSQL cannot store")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(name, value, "is not valid Unicode text") from None
    return value


def _many(name: str, value: object, what: str) -> Iterable[Any]:
    """The argument of an ``add_many``: any iterable of records (a list, a generator, ...),
    but not a string or a mapping, which iterate over characters or keys."""
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(
            name, value, f"is not an iterable of {what} (a list, a tuple or a generator)"
        )
    return value


Check = Callable[[list[Any], int], tuple[int, Exception | None]]
"""How ``add_many`` checks a batch (and the position of its first item in the call): how many
of its first items pass, and the error of the first that does not (None when all pass)."""


Write = Callable[[list[Any], int], None]
"""How ``add_many`` writes a batch (and the position of its first item in the call); it may
check rows as it writes them and raise :class:`_Refused` for the first it refuses."""


class _Refused(Exception):
    """A row refused while its batch was being written: its index in the batch, and why."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index = index
        self.error = error


def _typed(name: str, kinds: type[Any] | tuple[type[Any], ...], what: str) -> Check:
    """A batch check that refuses what is not a record of ``kinds`` (``goals[12]: ... is not
    a Goal``)."""

    def check(batch: list[Any], offset: int) -> tuple[int, Exception | None]:
        for i, item in enumerate(batch):
            if not isinstance(item, kinds):
                return i, ValidationError(f"{name}[{offset + i}]", item, f"is not {what}")
        return len(batch), None

    return check


# --- documents -----------------------------------------------------------------------------


def _damaged(what: str, key: str, problem: object) -> StoreError:
    return StoreError(
        f"the stored {what} {key!r} is not a perfkit document this version reads ({problem}): "
        "it was changed outside perfkit or by a newer perfkit; restore it from a backup, or "
        "upgrade perfkit"
    )


def _load(text: str, cls: type[T], what: str, key: str) -> T:
    """One stored record back as its object."""
    try:
        return loads(text, cls)
    except DocumentError as err:
        raise _damaged(what, key, err.errors[0] if err.errors else err) from err


def _union_member(kinds: Mapping[str, type[Any]], kind: str, what: str, key: str) -> type[Any]:
    cls = kinds.get(kind)
    if cls is None:
        raise _damaged(what, key, f"unknown kind {kind!r}")
    return cls


def _reading(
    what: str, cls: type[Any] | Mapping[str, type[Any]]
) -> tuple[int, Any, Callable[[Sequence[Any], type[Any]], Any]]:
    """How :func:`~perfkit.storage._rows.read_rows` reads ``(key, doc)`` rows of class
    ``cls``, or ``(key, kind, doc)`` rows whose class ``cls`` names by kind: the index of the
    document, the class (or what names it), and the exact, slow reader of one row."""
    if isinstance(cls, Mapping):
        kinds = cls

        def kind_of(row: Sequence[Any]) -> type[Any]:
            return _union_member(kinds, row[1], what, row[0])

        text, kind = 2, kind_of
    else:
        text, kind = 1, cls

    def load(row: Sequence[Any], of: type[Any]) -> Any:
        return _load(row[text], of, what, row[0])

    return text, kind, load


# The columns a bulk COPY writes, and each record's row (the JSON text last), shared by
# import_data and the streaming writers.
_GOAL_COLUMNS = ("id", "cycle_id", "owner_kind", "owner_id", "version", "doc")
_REVIEW_COLUMNS = ("id", "cycle_id", "subject", "version", "doc")
_FEEDBACK_COLUMNS = ("id", "kind", "subject", "at", "request_id", "doc")


def _goal_row(g: Goal, doc: str) -> tuple[object, ...]:
    return (g.id, g.cycle_id, g.owner.kind.value, g.owner.id, 1, doc)


def _review_row(r: Review, doc: str) -> tuple[object, ...]:
    return (r.id, r.cycle_id, r.subject, 1, doc)


def _feedback_rows(events: Iterable[FeedbackEvent]) -> Iterator[tuple[object, ...]]:
    for e in events:
        request_id = e.request_id if e.__class__ is FeedbackResponse else None
        yield (e.id, e.kind, e.subject, e.at, request_id, dumps(e))


_BULK_CALL = {
    "goals": "goals.add_many",
    "check_ins": "goals.add_check_ins",
    "events": "feedback.add_many",
    "reviews": "reviews.add_many",
}
"""The bulk write that takes each argument, for the error of a write from inside its input."""

_METRIC_KEY = '"metric":{'
_scan = json.JSONDecoder().raw_decode


def _metric_text(doc: object) -> str | None:
    """The JSON text of the metric in a stored goal's document, cut out without reading the
    rest of it: the one ``"metric":{`` key of the (canonical) document. None when the
    document is not that plain (the whole goal is then read)."""
    if not isinstance(doc, str):
        return None
    at = doc.find(_METRIC_KEY)
    if at < 1 or doc[at - 1] not in ",{" or doc.find(_METRIC_KEY, at + 1) != -1:
        return None
    start = at + len(_METRIC_KEY) - 1
    try:
        _, end = _scan(doc, start)
    except (ValueError, RecursionError):
        return None
    return doc[start:end]


def _metric(text: str) -> Metric | None:
    """A goal's metric from its JSON text, or None when it is not one (the whole goal is
    then read, to read it the exact way or to say why it cannot be)."""
    try:
        return structure(json.loads(text), Metric)  # type: ignore[arg-type]
    except (DocumentError, ValueError, TypeError, RecursionError):
        return None


# --- errors --------------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _connection_trouble(exc: sa_exc.DBAPIError, state: str | None) -> bool:
    if exc.connection_invalidated:
        return True
    if state is None:
        return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    return state.startswith(("08", "28", "57P", "3D"))


def _store_error(exc: sa_exc.SQLAlchemyError, url: str, schema: str, doing: str) -> StoreError:
    """A driver error as the StoreError that says what to do."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return StoreError(f"PostgreSQL storage failed while {doing}: {_first_line(exc)}")
    orig = exc.orig
    detail = _first_line(orig) if orig is not None else _first_line(exc)
    state = getattr(orig, "sqlstate", None)
    if _connection_trouble(exc, state):
        return StoreError(
            f"cannot use the PostgreSQL server at {url} ({detail}): check that it runs and that "
            "the URL's host, port, database, user and password are right"
        )
    if state is not None and state.startswith("40"):
        return StoreError(
            f"PostgreSQL rolled the transaction back while {doing} ({detail}): another "
            "transaction was in the way; run the unit of work again"
        )
    if state == "25P02":
        return StoreError(
            f"PostgreSQL refuses to go on while {doing}: an earlier statement of this unit of "
            "work failed; leave the `with store.transaction(...)` block and start again"
        )
    if state == "42501":
        return StoreError(
            f"the database user may not do this while {doing} ({detail}): grant it the rights "
            f"on schema {schema!r}, or use a user that has them"
        )
    return StoreError(f"PostgreSQL refused this while {doing} ({detail})")


# --- the schema ----------------------------------------------------------------------------


def _quoted(schema: str) -> str:
    return f'"{schema}"'


def _prepare_schema(
    conn: sa.Connection,
    schema: str,
    *,
    migrate: bool,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> int:
    """Check that ``schema`` is perfkit's and bring it up to the last of ``migrations``
    (creating it when it is empty or missing); returns its version. Runs in the caller's
    transaction, serialised with other stores opening the same schema."""
    s = _quoted(schema)
    latest = migrations[-1].version if migrations else 0
    conn.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"perfkit:{schema}"}
    )
    marked = conn.execute(
        sa.text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f"{s}.perfkit_schema"}
    ).scalar_one()
    if not marked:
        others = (
            conn.execute(
                sa.text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = :s "
                    "ORDER BY table_name"
                ),
                {"s": schema},
            )
            .scalars()
            .all()
        )
        if others:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            raise StoreError(
                f"schema {schema!r} holds tables that are not perfkit's ({shown}): give "
                "PostgresStore another schema=, or move those tables away"
            )
        if not migrate:
            raise StoreError(
                f"schema {schema!r} has no perfkit tables: open it once with migrate=True to "
                "create them (or run the migration with a user that may create tables)"
            )
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {s}"))
        conn.execute(sa.text(SCHEMA_TABLE.format(s=s)))
    try:
        with conn.begin_nested():
            found = (
                conn.execute(sa.text(f"SELECT version FROM {s}.perfkit_schema ORDER BY version"))
                .scalars()
                .all()
            )
    except sa_exc.ProgrammingError:
        raise StoreError(
            f"schema {schema!r} has a perfkit_schema table that perfkit did not write: give "
            "PostgresStore another schema="
        ) from None
    if list(found) != list(range(1, len(found) + 1)):
        raise StoreError(
            f"schema {schema!r} lists migrations {list(found)}, which perfkit did not write "
            "(they must run 1, 2, 3, ...): restore the schema from a backup"
        )
    current = len(found)
    if current > latest:
        raise StoreError(
            f"schema {schema!r} is at layout version {current}, newer than this perfkit "
            f"understands (up to {latest}): upgrade perfkit"
        )
    if current < latest and not migrate:
        raise StoreError(
            f"schema {schema!r} is at layout version {current}; this perfkit needs {latest}: "
            "open it once with migrate=True to upgrade it"
        )
    for migration in migrations[current:]:
        for statement in migration.statements:
            conn.execute(sa.text(statement.format(s=s)))
        conn.execute(
            sa.text(f"INSERT INTO {s}.perfkit_schema (version, description) VALUES (:v, :d)"),
            {"v": migration.version, "d": migration.description},
        )
    return latest


def _url(value: str | sa.URL) -> sa.URL:
    try:
        url = sa.make_url(value)
    except sa_exc.ArgumentError:
        raise ValidationError(
            "url_or_engine",
            "<url>",
            "is not a database URL (postgresql://user@host:port/database)",
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() != "postgresql":
        raise ValidationError(
            "url_or_engine", shown, "is not a PostgreSQL URL (postgresql://user@host:port/db)"
        )
    if url.get_driver_name() != "psycopg":
        raise ValidationError(
            "url_or_engine",
            shown,
            "names another driver: perfkit uses psycopg 3 (postgresql+psycopg:// or postgresql://)",
        )
    return url


def _check_engine(engine: sa.Engine) -> None:
    url = engine.url
    if url.get_backend_name() != "postgresql" or engine.dialect.driver != "psycopg":
        raise ValidationError(
            "url_or_engine",
            url.render_as_string(hide_password=True),
            "is not a PostgreSQL engine on psycopg 3 (postgresql+psycopg://...)",
        )


# --- the store -----------------------------------------------------------------------------


class PostgresStore:
    """A perfkit store in a PostgreSQL schema.

    ``url_or_engine`` is a URL (``postgresql://user:password@host:5432/db``; perfkit creates
    the engine, uses psycopg 3 and disposes of it on :meth:`close`), the host's ``Engine``
    (each unit of work borrows a connection and runs in its own transaction), or the host's
    ``Connection`` (each unit of work is a savepoint in the host's transaction when one is open;
    the host's commit makes it durable). Opening the store creates the tables in ``schema`` or
    brings an older layout up to date (``migrate=False`` refuses instead, for hosts whose
    application user may not change tables).
    """

    def __init__(
        self,
        url_or_engine: str | sa.URL | sa.Engine | sa.Connection,
        *,
        schema: str = "perfkit",
        migrate: bool = True,
    ) -> None:
        self._schema = _check_schema(schema)
        if not isinstance(migrate, bool):
            raise ValidationError("migrate", migrate, "is not true or false")
        self._connection: sa.Connection | None = None
        if isinstance(url_or_engine, sa.Connection):
            _check_engine(url_or_engine.engine)
            self._engine = url_or_engine.engine
            self._connection = url_or_engine
            self._owns_engine = False
        elif isinstance(url_or_engine, sa.Engine):
            _check_engine(url_or_engine)
            self._engine = url_or_engine
            self._owns_engine = False
        elif isinstance(url_or_engine, str | sa.URL):
            url = _url(url_or_engine)
            try:
                self._engine = sa.create_engine(url, pool_pre_ping=True)
            except (sa_exc.SQLAlchemyError, ImportError) as err:  # pragma: no cover - defensive
                raise StoreError(
                    f"cannot set up PostgreSQL at {url.render_as_string(hide_password=True)} "
                    f"({_first_line(err)}): install perfkit[postgres]"
                ) from err
            self._owns_engine = True
        else:
            raise ValidationError(
                "url_or_engine",
                url_or_engine,
                "is not a PostgreSQL URL, a SQLAlchemy Engine or a Connection",
            )
        self._url = self._engine.url.render_as_string(hide_password=True)
        self._tables = tables(self._schema)
        self._closed = False
        try:
            with self._connected() as conn, self._begun(conn):
                self._version = _prepare_schema(conn, self._schema, migrate=migrate)
        except sa_exc.SQLAlchemyError as err:
            self._give_up()
            raise self._error(err, f"preparing schema {self._schema!r}") from err
        except BaseException:
            self._give_up()
            raise

    def _give_up(self) -> None:
        self._closed = True
        if self._owns_engine:
            self._engine.dispose()

    @property
    def schema(self) -> str:
        """The PostgreSQL schema that holds this store's tables."""
        return self._schema

    @property
    def layout_version(self) -> int:
        """The version of the tables' layout (the last migration applied)."""
        return self._version

    def __repr__(self) -> str:
        return f"PostgresStore({self._url!r}, schema={self._schema!r})"

    # --- connections -------------------------------------------------------------------

    def _error(self, err: sa_exc.SQLAlchemyError, doing: str) -> StoreError:
        return _store_error(err, self._url, self._schema, doing)

    @contextlib.contextmanager
    def _connected(self) -> Iterator[sa.Connection]:
        """A connection: the host's, or one from the engine's pool for the block."""
        if self._closed:
            raise StoreError("this PostgresStore is closed: create a new one")
        if self._connection is not None:
            if self._connection.closed:
                raise StoreError(
                    "the Connection this PostgresStore was given is closed: give it an open one"
                )
            yield self._connection
            return
        try:
            conn = self._engine.connect()
        except sa_exc.SQLAlchemyError as err:
            raise self._error(err, "connecting") from err
        try:
            yield conn
        finally:
            with contextlib.suppress(sa_exc.SQLAlchemyError):
                conn.close()

    @contextlib.contextmanager
    def _begun(self, conn: sa.Connection) -> Iterator[None]:
        """One transaction (a savepoint inside a transaction the host has open) that commits
        when the block ends normally."""
        try:
            tx = conn.begin_nested() if conn.in_transaction() else conn.begin()
        except sa_exc.SQLAlchemyError as err:
            raise self._error(err, "opening the store") from err
        try:
            yield
        except BaseException:
            with contextlib.suppress(sa_exc.SQLAlchemyError):
                tx.rollback()
            raise
        try:
            tx.commit()
        except sa_exc.SQLAlchemyError as err:
            raise self._error(err, "opening the store") from err

    # --- the Store protocol -------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(
        self, *, actor: str, at: datetime, reason: str = ""
    ) -> Iterator[PostgresUnitOfWork]:
        """A unit of work: everything written in the block commits on ``uow.commit()``, and
        whatever is not committed when the block ends (or raises) is rolled back. ``actor``,
        ``at`` and ``reason`` stamp the audit entries it writes."""
        actor = _storable("actor", _check_id("actor", actor))
        moment = _check_moment("at", at)
        if moment is None:
            raise ValidationError("at", at, "is not a datetime")
        if not isinstance(reason, str):
            raise ValidationError("reason", reason, "is not a string")
        _storable("reason", reason)
        with self._connected() as conn:
            session = _Session(self, conn, actor, moment, reason)
            uow = PostgresUnitOfWork(session)
            try:
                yield uow
            except BaseException:
                session.end(quietly=True)
                raise
            session.end(quietly=False)

    def close(self) -> None:
        """Release the store's connections (an engine perfkit created is disposed of; the
        host's engine or connection is left to the host). Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _Head(NamedTuple):
    seq: int
    hash: str | None


_AUDIT_COLUMNS = (
    "seq",
    "actor",
    "at",
    "kind",
    "record_id",
    "before",
    "after",
    "reason",
    "prev_hash",
    "hash",
)


class _Session:
    """One unit of work's connection and transaction, and the stamp of its audit entries."""

    def __init__(
        self, store: PostgresStore, conn: sa.Connection, actor: str, at: datetime, reason: str
    ) -> None:
        self.store = store
        self.conn = conn
        self.t: Tables = store._tables
        self.actor = actor
        self.at = at
        self.reason = reason
        self.tx: sa.Transaction | None = None
        self.ended = False
        # The iterations open in this unit of work (started, neither exhausted nor closed):
        # what each runs over, and its server-side cursor once opened.
        self.iterations: dict[object, tuple[str, sa.CursorResult[Any] | None]] = {}
        self.input = InputGuard()  # a bulk write reading its caller's iterable

    # --- transactions ------------------------------------------------------------------

    def _begin(self) -> None:
        if self.ended:
            raise StoreError(_ENDED)
        if self.tx is None or not self.tx.is_active:
            try:
                self.tx = (
                    self.conn.begin_nested() if self.conn.in_transaction() else self.conn.begin()
                )
            except sa_exc.SQLAlchemyError as err:
                raise self.store._error(err, "starting a transaction") from err

    def writable(self) -> None:
        """Refuse a write, commit or rollback while an iteration is open: a server-side cursor
        lives in the transaction, so the unit of work must not move under it."""
        if self.ended:
            raise StoreError(_ENDED)
        self.input.check()
        for over, _ in self.iterations.values():
            raise StoreError(
                f"an iteration over {over} is still open in this unit of work: finish it or "
                "close it (it.close()) before writing, committing or rolling back"
            )

    def commit(self) -> None:
        if self.ended:
            raise StoreError("this unit of work has ended: nothing to commit")
        self.writable()
        tx, self.tx = self.tx, None
        if tx is not None and tx.is_active:
            try:
                tx.commit()
            except sa_exc.SQLAlchemyError as err:
                with contextlib.suppress(sa_exc.SQLAlchemyError):
                    tx.rollback()
                raise self.store._error(err, "committing") from err

    def rollback(self) -> None:
        tx, self.tx = self.tx, None
        if tx is not None and tx.is_active:
            try:
                tx.rollback()
            except sa_exc.SQLAlchemyError as err:
                raise self.store._error(err, "rolling back") from err

    def end(self, *, quietly: bool) -> None:
        """Roll back whatever was not committed; the unit of work is over."""
        if self.ended:
            return
        open_now, self.iterations = list(self.iterations.values()), {}
        for _, result in open_now:  # close their cursors while the connection is still ours
            if result is not None:
                with contextlib.suppress(sa_exc.SQLAlchemyError, psycopg.Error):
                    result.close()
        try:
            self.rollback()
        except StoreError:
            if not quietly:
                raise
        finally:
            self.ended = True

    # --- statements --------------------------------------------------------------------

    def run(
        self,
        statement: sa.Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        doing: str,
    ) -> sa.CursorResult[Any]:
        self._begin()
        try:
            return self.conn.execute(statement, params)
        except sa_exc.SQLAlchemyError as err:
            raise self.store._error(err, doing) from err
        except UnicodeEncodeError as err:  # psycopg cannot send a lone surrogate
            raise ValidationError(
                "",
                err.object,
                f"holds text that is not valid Unicode (a lone surrogate), refused while {doing}: "
                "PostgreSQL stores UTF-8 only",
            ) from None

    def rows(self, statement: sa.Executable, *, doing: str) -> Sequence[Any]:
        return self.run(statement, doing=doing).all()

    def scalar(self, statement: sa.Executable, *, doing: str) -> Any:
        return self.run(statement, doing=doing).scalar_one_or_none()

    def docs(self, statement: sa.Executable, *, doing: str) -> Sequence[str]:
        return self.run(statement, doing=doing).scalars().all()

    def insert_many(
        self, table: sa.Table, rows: Sequence[Mapping[str, Any]], *, doing: str
    ) -> None:
        """One executemany (psycopg 3 pipelines it) for the rows; none: no statement."""
        if rows:
            self.run(sa.insert(table), rows, doing=doing)

    def copy(
        self, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, doing: str
    ) -> None:
        """Write ``rows`` (values of ``columns``, in order) into ``table`` with one ``COPY``,
        in this unit of work's transaction (a savepoint inside the host's): the bulk path of
        :meth:`PostgresUnitOfWork.import_data`. ``rows`` is consumed as it is written."""
        self._begin()
        statement = (
            f"COPY {_quoted(self.store.schema)}.{table.name} ({', '.join(columns)}) FROM STDIN"
        )
        try:
            raw = self.conn.connection.driver_connection
            assert isinstance(raw, psycopg.Connection)
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
        except psycopg.Error as err:
            wrapped = sa_exc.DBAPIError.instance(statement, None, err, psycopg.Error)
            raise self.store._error(wrapped, doing) from err
        except sa_exc.SQLAlchemyError as err:  # pragma: no cover - the connection went away
            raise self.store._error(err, doing) from err
        except (UnicodeError, ValueError, TypeError) as err:  # a value psycopg cannot send
            wrapped = sa_exc.StatementError(str(err), statement, None, err)
            raise self.store._error(wrapped, doing) from err

    def copy_audited(
        self,
        head: _Head | None,
        kind: str,
        records: Sequence[Any],
        table: sa.Table,
        columns: Sequence[str],
        row: Callable[[Any, str], Sequence[Any]],
        *,
        doing: str,
    ) -> _Head | None:
        """COPY new records (``row(record, doc)`` their values) and their audit entries after
        ``head`` (none: no entries), a batch at a time: each record is serialised once, for its
        row and its entry, and only a batch of JSON texts is held. Returns the new head."""
        for start in range(0, len(records), _BATCH):
            batch = records[start : start + _BATCH]
            docs = [dumps(r) for r in batch]
            pairs = zip(batch, docs, strict=True)
            self.copy(table, columns, (row(r, d) for r, d in pairs), doing=doing)
            if head is not None:
                changes = [(kind, r.id, None, d) for r, d in zip(batch, docs, strict=True)]
                head = self.append(head, changes, bulk=True)
        return head

    def stream(self, statement: sa.Select[Any], *, doing: str) -> Iterator[Sequence[Any]]:
        """The rows of ``statement`` a batch at a time, from a server-side cursor: a large
        table is never all in memory at once, as rows or as text."""
        self._begin()
        try:
            result = self.conn.execute(
                statement, execution_options={"stream_results": True, "yield_per": _FETCH}
            )
            with result:
                yield from result.partitions()
        except sa_exc.SQLAlchemyError as err:
            raise self.store._error(err, doing) from err

    def records(
        self,
        statement: sa.Select[Any],
        what: str,
        cls: type[Any] | Mapping[str, type[Any]],
        *,
        doing: str,
    ) -> list[Any]:
        """The records ``statement`` selects as ``(key, doc)`` rows of class ``cls``, or as
        ``(key, kind, doc)`` rows whose class ``cls`` names by kind, in order."""
        text, kind, load = _reading(what, cls)
        return read_all(self.stream(statement, doing=doing), text=text, cls=kind, load=load)

    def iterate(
        self,
        statement: sa.Select[Any],
        what: str,
        cls: type[Any] | Mapping[str, type[Any]],
        *,
        over: str,
        doing: str,
    ) -> Iterator[Any]:
        """The records of :meth:`records`, lazily: a server-side cursor fetches a batch of rows
        at a time and only that batch is built. The iteration counts as open (writes, commit
        and rollback wait) from its first record until it is exhausted or closed; once the
        unit of work is over, asking for more raises."""
        text, kind, load = _reading(what, cls)
        self._begin()
        token = object()
        self.iterations[token] = (over, None)
        result: sa.CursorResult[Any] | None = None
        try:
            try:
                result = self.conn.execute(
                    statement, execution_options={"stream_results": True, "yield_per": _FETCH}
                )
            except sa_exc.SQLAlchemyError as err:
                raise self.store._error(err, doing) from err
            self.iterations[token] = (over, result)
            batches = self._partitions(result, doing)
            for record in iter_all(batches, text=text, cls=kind, load=load):
                yield record
                if self.ended:
                    raise StoreError(_ENDED)
        finally:
            if self.iterations.pop(token, None) is not None and result is not None:
                with contextlib.suppress(sa_exc.SQLAlchemyError, psycopg.Error):
                    result.close()

    def _partitions(
        self, result: sa.CursorResult[Any], doing: str
    ) -> Iterator[Sequence[Sequence[Any]]]:
        try:
            yield from result.partitions()
        except sa_exc.SQLAlchemyError as err:
            raise self.store._error(err, doing) from err

    @contextlib.contextmanager
    def savepoint(self, doing: str) -> Iterator[None]:
        """One step that is kept whole or not at all, inside the unit of work (a SAVEPOINT):
        when it raises, what it wrote is undone and the unit of work goes on."""
        self._begin()
        try:
            point = self.conn.begin_nested()
        except sa_exc.SQLAlchemyError as err:
            raise self.store._error(err, doing) from err
        try:
            yield
        except BaseException:
            with contextlib.suppress(sa_exc.SQLAlchemyError):
                point.rollback()
            raise
        try:
            point.commit()
        except sa_exc.SQLAlchemyError as err:
            with contextlib.suppress(sa_exc.SQLAlchemyError):
                point.rollback()
            raise self.store._error(err, doing) from err

    # --- streaming writes --------------------------------------------------------------

    def add_audited(
        self,
        name: str,
        records: Iterable[Any],
        cls: type[Any],
        table: sa.Table,
        kind: str,
        columns: Sequence[str],
        row: Callable[[Any, str], Sequence[Any]],
    ) -> int:
        """The bulk write of a versioned, audited kind (goals, reviews): :meth:`add_many` whose
        batches are COPYed with their audit entries, the chain's head kept between batches."""
        items = _many(name, records, name)
        heads: list[_Head] = []
        doing = f"adding {name}"

        def write(batch: list[Any], _: int) -> None:
            head = heads.pop() if heads else self.lock_head()
            done = self.copy_audited(head, kind, batch, table, columns, row, doing=doing)
            heads.append(done or head)

        check = _typed(name, cls, f"a {cls.__name__}")  # a Goal, a Review
        return self.add_many(
            name, items, check, write, table=table, kind=kind, cls=cls, doing=doing
        )

    def add_many(
        self,
        name: str,
        items: Iterable[Any],
        check: Check,
        write: Write,
        *,
        table: sa.Table,
        kind: str,
        cls: type[Any] | tuple[type[Any], ...],
        doing: str,
    ) -> int:
        """Write ``items`` a batch at a time (``check`` each, then ``write`` the batch, COPY),
        all or nothing: the call is one savepoint, and whatever refuses an item undoes the
        whole call and raises, naming the item by its position (``name[i]``). Only a batch
        of records (and of their JSON texts) is held at a time. Returns how many it wrote."""
        self.writable()
        count = 0
        with self.savepoint(doing):
            for batch in self.input.chunks(items, _BATCH, _BULK_CALL[name]):
                with collector_paused():
                    good, problem = check(batch, count)
                    if good:
                        try:
                            self.write_batch(batch[:good], count, write, name, table, kind, doing)
                        except _Refused as refused:  # write checked the rows as it went
                            good, problem = refused.index, refused.error
                            if good:
                                self.write_batch(
                                    batch[:good], count, write, name, table, kind, doing
                                )
                    if problem is not None:
                        if isinstance(batch[good], cls):  # add(x) would refuse its id first
                            self.refuse_taken([batch[good]], count + good, name, table, kind)
                        raise problem
                count += len(batch)
        return count

    def write_batch(
        self,
        batch: list[Any],
        offset: int,
        write: Write,
        name: str,
        table: sa.Table,
        kind: str,
        doing: str,
    ) -> None:
        """``write(batch)`` in a savepoint of its own, so that when the table's primary key
        refuses an id (stored already, or repeated in the call) the rows before stay readable
        to name it."""
        try:
            with self.savepoint(doing):
                write(batch, offset)
        except StoreError as err:
            cause = err.__cause__
            if isinstance(cause, psycopg.errors.UniqueViolation):
                self.refuse_taken(batch, offset, name, table, kind)
            elif isinstance(cause, UnicodeError):
                self.refuse_unicode(batch, offset, write, name, table, kind, doing)
            raise

    def refuse_taken(
        self, batch: Sequence[Any], offset: int, name: str, table: sa.Table, kind: str
    ) -> None:
        """Raise :class:`~perfkit.ConcurrencyError` for the first record of ``batch`` whose
        id is stored already (with the stored version) or repeats an earlier one of the batch
        (version 1, as a second ``save`` would find); nothing to refuse: return."""
        ids = [record.id for record in batch]
        key = table.c.id
        version = table.c.version if "version" in table.c else sa.literal(1)
        wanted = sa.bindparam("ids", ids, type_=ARRAY(sa.Text()))
        found = {
            row[0]: row[1]
            for row in self.rows(
                sa.select(key, version).where(key == sa.any_(wanted)),
                doing=f"adding {name}",
            )
        }
        seen: set[str] = set()
        for i, record_id in enumerate(ids):
            where = f"{name}[{offset + i}]"
            if record_id in found:
                raise ConcurrencyError(kind, record_id, None, int(found[record_id]), path=where)
            if record_id in seen:
                raise ConcurrencyError(kind, record_id, None, 1, path=where)
            seen.add(record_id)

    def refuse_unicode(
        self,
        batch: list[Any],
        offset: int,
        write: Write,
        name: str,
        table: sa.Table,
        kind: str,
        doing: str,
    ) -> None:
        """Raise ValidationError for the first record of ``batch`` holding text PostgreSQL
        cannot store (a lone surrogate), after the records before it are tried (an id they
        repeat is refused first, as one-by-one writes would)."""
        for i, record in enumerate(batch):
            try:
                dumps(record).encode("utf-8")
            except UnicodeEncodeError:
                if i:
                    self.write_batch(batch[:i], offset, write, name, table, kind, doing)
                raise ValidationError(
                    f"{name}[{offset + i}]",
                    record,
                    "holds text that is not valid Unicode (a lone surrogate): PostgreSQL "
                    "stores UTF-8 only",
                ) from None

    # --- the audit log -----------------------------------------------------------------

    def lock_head(self) -> _Head:
        """The audit log's head, locked until the transaction ends: audited writes take it
        first, so they queue up in one order and the chain never forks."""
        h = self.t.audit_head
        row = self.run(
            sa.select(h.c.seq, h.c.hash).where(h.c.one.is_(True)).with_for_update(),
            doing="locking the audit log",
        ).first()
        if row is None:
            raise StoreError(
                f"the audit log's head row in schema {self.store.schema!r} is missing: the log "
                "was changed outside perfkit; restore it from a backup"
            )
        return _Head(int(row.seq), row.hash)

    def append(
        self,
        head: _Head,
        changes: Sequence[tuple[str, str, str | None, str]],
        *,
        bulk: bool = False,
    ) -> _Head:
        """Append one entry per ``(kind, record_id, before, after)`` after ``head``; returns
        the new head. ``bulk`` writes the entries with COPY (a bulk import)."""
        if not changes:
            return head
        at_text = self.at.isoformat()
        actor, reason = self.actor, self.reason
        entries = [
            (seq, actor, at_text, kind, record_id, before, after, reason, prev, digest)
            for seq, kind, record_id, before, after, prev, digest in links(
                head.seq, head.hash or GENESIS, changes, actor=actor, at=self.at, reason=reason
            )
        ]
        new = _Head(entries[-1][0], entries[-1][-1])
        doing = "writing the audit log"
        if bulk:
            self.copy(self.t.audit, _AUDIT_COLUMNS, entries, doing=doing)
        else:
            self.insert_many(
                self.t.audit,
                [dict(zip(_AUDIT_COLUMNS, e, strict=True)) for e in entries],
                doing=doing,
            )
        h = self.t.audit_head
        self.run(
            sa.update(h).where(h.c.one.is_(True)).values(seq=new.seq, hash=new.hash), doing=doing
        )
        return new

    # --- versioned records -------------------------------------------------------------

    def save_versioned(
        self,
        table: sa.Table,
        kind: str,
        record_id: str,
        doc: str,
        expected: int | None,
        columns: Mapping[str, Any],
        *,
        audited: bool = True,
    ) -> int:
        """Insert (``expected`` None) or update a versioned record; returns its new version."""
        self.writable()
        head = self.lock_head() if audited else None
        doing = f"saving {kind} {record_id!r}"
        before: str | None
        if expected is None:
            inserted = self.run(
                pg_insert(table)
                .values(id=record_id, version=1, doc=doc, **columns)
                .on_conflict_do_nothing(index_elements=["id"])
                .returning(table.c.id),
                doing=doing,
            ).first()
            if inserted is None:
                found = self.scalar(
                    sa.select(table.c.version).where(table.c.id == record_id), doing=doing
                )
                raise ConcurrencyError(kind, record_id, None, found)
            before, new = None, 1
        else:
            row = self.run(
                sa.select(table.c.version, table.c.doc)
                .where(table.c.id == record_id)
                .with_for_update(key_share=True),
                doing=doing,
            ).first()
            if row is None:
                raise ConcurrencyError(kind, record_id, expected, None)
            if row.version != expected:
                raise ConcurrencyError(kind, record_id, expected, row.version)
            updated = self.run(
                sa.update(table)
                .where(table.c.id == record_id, table.c.version == expected)
                .values(version=expected + 1, doc=doc, **columns),
                doing=doing,
            )
            if updated.rowcount != 1:  # pragma: no cover - the row is locked above
                found = self.scalar(
                    sa.select(table.c.version).where(table.c.id == record_id), doing=doing
                )
                raise ConcurrencyError(kind, record_id, expected, found)
            before, new = row.doc, expected + 1
        if head is not None:
            self.append(head, [(kind, record_id, before, doc)])
        return new

    def version_of(self, table: sa.Table, what: str, record_id: str) -> int:
        found = self.scalar(
            sa.select(table.c.version).where(table.c.id == record_id),
            doing=f"reading the version of {what} {record_id!r}",
        )
        if found is None:
            raise NotFoundError(what, _named(record_id))
        return int(found)

    def get_doc(
        self, table: sa.Table, key: sa.ColumnElement[Any], what: str, record_id: str
    ) -> str:
        found = self.scalar(
            sa.select(table.c.doc).where(key == record_id), doing=f"reading {what} {record_id!r}"
        )
        if found is None:
            raise NotFoundError(what, _named(record_id))
        return str(found)

    def exists(self, statement: sa.Select[Any], *, doing: str) -> bool:
        return self.run(statement.limit(1), doing=doing).first() is not None

    def first_taken(self, table: sa.Table, ids: Sequence[str], *, doing: str) -> Any:
        """The first row (in id order) of ``table`` whose id is one of ``ids``, or None. The
        ids travel as one array parameter, however many there are."""
        if not ids:
            return None
        key = table.c.id
        wanted = sa.bindparam("ids", list(ids), type_=ARRAY(sa.Text()))
        return self.run(
            sa.select(*table.c).where(key == sa.any_(wanted)).order_by(key).limit(1), doing=doing
        ).first()


# --- repositories --------------------------------------------------------------------------


class _Repository:
    def __init__(self, session: _Session) -> None:
        self._s = session
        self._t = session.t


class _OrganisationRepository(_Repository):
    def save(self, organisation: Organisation) -> None:
        """Replace the stored organisation (its units and employees) with this one."""
        _check_instance("organisation", organisation, Organisation)
        s, t = self._s, self._t
        s.writable()
        doing = "saving the organisation"
        s.run(sa.delete(t.employees), doing=doing)
        s.run(sa.delete(t.units), doing=doing)
        s.copy(
            t.units,
            ("id", "parent_id", "head_id", "doc"),
            ((u.id, u.parent_id, u.head_id, dumps(u)) for u in organisation.units),
            doing=doing,
        )
        s.copy(
            t.employees,
            ("id", "unit_id", "manager_id", "doc"),
            ((e.id, e.unit_id, e.manager_id, dumps(e)) for e in organisation.employees),
            doing=doing,
        )

    def load(self) -> Organisation:
        """The stored organisation, units and employees in the order saved (an empty one
        when none was saved)."""
        s, t = self._s, self._t
        doing = "loading the organisation"
        u, e = t.units.c, t.employees.c
        return Organisation(
            units=s.records(
                sa.select(u.id, u.doc).order_by(u.pos), "org unit", OrgUnit, doing=doing
            ),
            employees=s.records(
                sa.select(e.id, e.doc).order_by(e.pos), "employee", Employee, doing=doing
            ),
        )

    def employee(self, employee_id: str) -> Employee:
        """One employee (:class:`~perfkit.NotFoundError` when there is none)."""
        employee_id = _read_key("employee_id", employee_id)
        t = self._t.employees
        return _load(
            self._s.get_doc(t, t.c.id, "employee", employee_id), Employee, "employee", employee_id
        )


class _CycleRepository(_Repository):
    def add(self, cycle: ReviewCycle) -> None:
        """Store a new review cycle at version 1 (an existing id: ``ConcurrencyError``)."""
        _check_instance("cycle", cycle, ReviewCycle)
        self._s.save_versioned(
            self._t.cycles, "cycle", cycle.id, dumps(cycle), None, {}, audited=False
        )

    def save(self, cycle: ReviewCycle, expected_version: int) -> int:
        """Replace a cycle (its stage moved) if its version is still ``expected_version``."""
        _check_instance("cycle", cycle, ReviewCycle)
        expected = _check_expected(expected_version, optional=False)
        return self._s.save_versioned(
            self._t.cycles, "cycle", cycle.id, dumps(cycle), expected, {}, audited=False
        )

    def get(self, cycle_id: str) -> ReviewCycle:
        cycle_id = _read_key("cycle_id", cycle_id)
        t = self._t.cycles
        return _load(self._s.get_doc(t, t.c.id, "cycle", cycle_id), ReviewCycle, "cycle", cycle_id)

    def version(self, cycle_id: str) -> int:
        cycle_id = _read_key("cycle_id", cycle_id)
        return self._s.version_of(self._t.cycles, "cycle", cycle_id)

    def list(self) -> tuple[ReviewCycle, ...]:
        """Every cycle, by id."""
        t = self._t.cycles
        query = sa.select(t.c.id, t.c.doc).order_by(t.c.id)
        return tuple(self._s.records(query, "cycle", ReviewCycle, doing="listing cycles"))


def _goal_columns(goal: Goal) -> dict[str, Any]:
    return {
        "cycle_id": goal.cycle_id,
        "owner_kind": goal.owner.kind.value,
        "owner_id": goal.owner.id,
    }


def _in_cycle(column: sa.ColumnElement[Any], cycle_id: str) -> sa.ColumnElement[bool]:
    """A goal belongs to its cycle, and a goal without a cycle to every cycle (as in
    :class:`~perfkit.CycleData`)."""
    return sa.or_(column == cycle_id, column.is_(None))


class _GoalRepository(_Repository):
    def save(self, goal: Goal, expected_version: int | None = None) -> int:
        """Insert (``expected_version=None``) or update a goal; returns its new version."""
        _check_instance("goal", goal, Goal)
        expected = _check_expected(expected_version, optional=True)
        return self._s.save_versioned(
            self._t.goals, "goal", goal.id, dumps(goal), expected, _goal_columns(goal)
        )

    def get(self, goal_id: str) -> Goal:
        goal_id = _read_key("goal_id", goal_id)
        t = self._t.goals
        return _load(self._s.get_doc(t, t.c.id, "goal", goal_id), Goal, "goal", goal_id)

    def add_many(self, goals: Iterable[Goal]) -> int:
        """Insert new goals (version 1, each with its audit entry, as ``save(goal)`` does), a
        batch at a time with ``COPY``, all or nothing; returns how many."""
        return self._s.add_audited(
            "goals", goals, Goal, self._t.goals, "goal", _GOAL_COLUMNS, _goal_row
        )

    def version(self, goal_id: str) -> int:
        goal_id = _read_key("goal_id", goal_id)
        return self._s.version_of(self._t.goals, "goal", goal_id)

    def _goals(self, where: sa.ColumnElement[bool], doing: str) -> tuple[Goal, ...]:
        t = self._t.goals
        query = sa.select(t.c.id, t.c.doc).where(where).order_by(t.c.id)
        return tuple(self._s.records(query, "goal", Goal, doing=doing))

    def in_cycle(self, cycle_id: str) -> tuple[Goal, ...]:
        """The goals of a cycle (and the goals that belong to no one cycle), by id."""
        cycle_id = _read_key("cycle_id", cycle_id)
        return self._goals(
            _in_cycle(self._t.goals.c.cycle_id, cycle_id), f"reading the goals of {cycle_id!r}"
        )

    def of_employee(self, employee_id: str, cycle_id: str) -> tuple[Goal, ...]:
        """The goals an employee owns in a cycle (and those of no one cycle), by id."""
        employee_id = _read_key("employee_id", employee_id)
        cycle_id = _read_key("cycle_id", cycle_id)
        c = self._t.goals.c
        return self._goals(
            sa.and_(
                c.owner_kind == OwnerKind.EMPLOYEE.value,
                c.owner_id == employee_id,
                _in_cycle(c.cycle_id, cycle_id),
            ),
            f"reading the goals of {employee_id!r}",
        )

    def add_check_in(self, check_in: CheckIn) -> None:
        """Record a check-in; its goal must be stored and the reading must fit its metric."""
        _check_instance("check_in", check_in, CheckIn)
        s, t = self._s, self._t
        s.writable()
        doing = f"recording check-in {check_in.id!r}"
        c = t.check_ins.c
        if s.exists(sa.select(c.id).where(c.id == check_in.id), doing=doing):
            raise ConcurrencyError("check_in", check_in.id, None, 1)
        goal_doc = s.scalar(
            sa.select(t.goals.c.doc).where(t.goals.c.id == check_in.goal_id), doing=doing
        )
        if goal_doc is None:
            raise UnknownReferenceError(
                "check_in.goal_id", check_in.goal_id, "is not a stored goal"
            )
        goal = _load(goal_doc, Goal, "goal", check_in.goal_id)
        try:
            goal.metric.check(check_in)
        except ValidationError as err:
            raise err.at("check_in") from None
        inserted = s.run(
            pg_insert(t.check_ins)
            .values(id=check_in.id, goal_id=check_in.goal_id, at=check_in.at, doc=dumps(check_in))
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(t.check_ins.c.id),
            doing=doing,
        ).first()
        if inserted is None:  # pragma: no cover - another transaction, just now
            raise ConcurrencyError("check_in", check_in.id, None, 1)

    def add_check_ins(self, check_ins: Iterable[CheckIn]) -> int:
        """Record check-ins (as ``add_check_in`` does for each: a stored goal, a reading that
        fits its metric, a new id), a batch at a time with ``COPY``, all or nothing; returns
        how many. The goals of a batch are read in one query."""
        items = _many("check_ins", check_ins, "check-ins")
        s, t = self._s, self._t
        doing = "adding check-ins"
        parsed: dict[str, Metric | None] = {}  # metric documents read, by their text

        metrics: dict[str, Metric] = {}  # the metrics of the goals of the batch

        def check(batch: list[Any], offset: int) -> tuple[int, Exception | None]:
            good, problem = _typed("check_ins", CheckIn, "a CheckIn")(batch, offset)
            if len(parsed) > _METRICS:
                parsed.clear()
            metrics.clear()
            metrics.update(self._metrics({c.goal_id for c in batch[:good]}, parsed, doing))
            return good, problem

        def rows(batch: list[CheckIn], offset: int) -> Iterator[tuple[Any, ...]]:
            """The batch's rows, each checked against its goal's metric as it is written (the
            server stores the rows before while the next are checked)."""
            for i, one in enumerate(batch):
                metric = metrics.get(one.goal_id)
                if metric is None:
                    raise _Refused(
                        i,
                        UnknownReferenceError(
                            f"check_ins[{offset + i}].goal_id", one.goal_id, "is not a stored goal"
                        ),
                    )
                try:
                    metric.check(one)
                except ValidationError as err:
                    raise _Refused(i, err.at(f"check_ins[{offset + i}]")) from None
                yield one.id, one.goal_id, one.at, dumps(one)

        def write(batch: list[CheckIn], offset: int) -> None:
            s.copy(t.check_ins, ("id", "goal_id", "at", "doc"), rows(batch, offset), doing=doing)

        return s.add_many(
            "check_ins",
            items,
            check,
            write,
            table=t.check_ins,
            kind="check_in",
            cls=CheckIn,
            doing=doing,
        )

    def _metrics(
        self, goal_ids: set[str], parsed: dict[str, Metric | None], doing: str
    ) -> dict[str, Metric]:
        """The metric of each stored goal of ``goal_ids`` (one query). Only the metric is read
        from each goal's document, and equal metric documents (most are) are read once."""
        if not goal_ids:
            return {}
        g = self._t.goals.c
        wanted = sa.bindparam("ids", list(goal_ids), type_=ARRAY(sa.Text()))
        rows = self._s.rows(sa.select(g.id, g.doc).where(g.id == sa.any_(wanted)), doing=doing)
        out: dict[str, Metric] = {}
        for goal_id, doc in rows:
            text = _metric_text(doc)
            metric = None
            if text is not None:
                metric = parsed.get(text)
                if metric is None:
                    metric = parsed[text] = _metric(text)
            if metric is None:  # not the usual document: read the whole goal, or say why not
                metric = _load(doc, Goal, "goal", goal_id).metric
            out[goal_id] = metric
        return out

    def iter_in_cycle(self, cycle_id: str) -> Iterator[Goal]:
        """The goals of :meth:`in_cycle`, in the same order, a batch at a time (a server-side
        cursor)."""
        key = _read_key("cycle_id", cycle_id)
        t = self._t.goals
        query = sa.select(t.c.id, t.c.doc).where(_in_cycle(t.c.cycle_id, key))
        return self._s.iterate(
            query.order_by(t.c.id),
            "goal",
            Goal,
            over="goals",
            doing=f"reading the goals of {cycle_id!r}",
        )

    def iter_check_ins(self, cycle_id: str) -> Iterator[CheckIn]:
        """The check-ins of :meth:`goal_set` (those of the goals :meth:`in_cycle` gives),
        chronological, then by id, a batch at a time (a server-side cursor)."""
        key = _read_key("cycle_id", cycle_id)
        t = self._t
        g, c = t.goals.c, t.check_ins.c
        query = (
            sa.select(c.id, c.doc)
            .join_from(t.check_ins, t.goals, c.goal_id == g.id)
            .where(_in_cycle(g.cycle_id, key))
            .order_by(c.at, c.id)
        )
        return self._s.iterate(
            query,
            "check-in",
            CheckIn,
            over="check-ins",
            doing=f"reading the check-ins of {cycle_id!r}",
        )

    def check_ins(self, goal_id: str) -> tuple[CheckIn, ...]:
        """A goal's check-ins, chronological, then by id."""
        goal_id = _read_key("goal_id", goal_id)
        s, t = self._s, self._t
        doing = f"reading the check-ins of {goal_id!r}"
        if not s.exists(sa.select(t.goals.c.id).where(t.goals.c.id == goal_id), doing=doing):
            raise NotFoundError("goal", _named(goal_id))
        c = t.check_ins.c
        query = sa.select(c.id, c.doc).where(c.goal_id == goal_id).order_by(c.at, c.id)
        return tuple(s.records(query, "check-in", CheckIn, doing=doing))

    def goal_set(self, cycle_id: str) -> GoalSet:
        """The cycle's goals (and those of no one cycle) by id, with their check-ins
        (chronological, then by id), as one checked GoalSet."""
        cycle_id = _read_key("cycle_id", cycle_id)
        s, t = self._s, self._t
        doing = f"loading the goals of {cycle_id!r}"
        g, c = t.goals.c, t.check_ins.c
        goals = s.records(
            sa.select(g.id, g.doc).where(_in_cycle(g.cycle_id, cycle_id)).order_by(g.id),
            "goal",
            Goal,
            doing=doing,
        )
        check_ins = s.records(
            sa.select(c.id, c.doc)
            .join_from(t.check_ins, t.goals, c.goal_id == g.id)
            .where(_in_cycle(g.cycle_id, cycle_id))
            .order_by(c.at, c.id),
            "check-in",
            CheckIn,
            doing=doing,
        )
        return GoalSet(goals=goals, check_ins=check_ins)


def _feedback_row(event: FeedbackEvent, doc: str) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "subject": event.subject,
        "at": event.at,
        "request_id": event.request_id if isinstance(event, FeedbackResponse) else None,
        "doc": doc,
    }


class _FeedbackRepository(_Repository):
    def add(self, event: FeedbackEvent) -> None:
        """Record a feedback event. A response must answer a stored request, about its
        subject, from someone it asked, no earlier than it, once."""
        kinds = tuple(_FEEDBACK_TYPES.values())
        if not isinstance(event, kinds):
            raise ValidationError("event", event, "is not a feedback event")
        s, t = self._s, self._t
        s.writable()
        doing = f"recording feedback {event.id!r}"
        f = t.feedback.c
        if s.exists(sa.select(f.id).where(f.id == event.id), doing=doing):
            raise ConcurrencyError("feedback", event.id, None, 1)
        if isinstance(event, FeedbackResponse):
            self._check_response(event, doing)
        inserted = s.run(
            pg_insert(t.feedback)
            .values(**_feedback_row(event, dumps(event)))
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(t.feedback.c.id),
            doing=doing,
        ).first()
        if inserted is None:  # pragma: no cover - another transaction, just now
            raise ConcurrencyError("feedback", event.id, None, 1)

    def _check_response(self, event: FeedbackResponse, doing: str) -> None:
        s, f = self._s, self._t.feedback.c
        request = s.rows(
            sa.select(f.id, f.kind, f.doc).where(f.id == event.request_id), doing=doing
        )
        if not request or request[0].kind != FeedbackRequest.kind:
            raise UnknownReferenceError(
                "event.request_id", event.request_id, "is not a stored feedback request"
            )
        answers = s.rows(
            sa.select(f.id, f.doc).where(f.request_id == event.request_id).order_by(f.at, f.id),
            doing=doing,
        )
        events = [
            _load(request[0].doc, FeedbackRequest, "feedback event", event.request_id),
            *(_load(doc, FeedbackResponse, "feedback event", key) for key, doc in answers),
        ]
        mine = f"events[{len(events)}]"
        try:
            FeedbackLog(events=(*events, event))
        except ValidationError as err:
            if err.path.startswith(mine):
                raise ValidationError(
                    "event" + err.path[len(mine) :], err.value, err.reason
                ) from None
            raise  # pragma: no cover - only a damaged log breaks elsewhere

    def add_many(self, events: Iterable[FeedbackEvent]) -> int:
        """Record feedback events (as ``add`` does for each: a response answers a request that
        is stored or earlier in ``events``, about its subject, from someone it asked, no earlier
        than it, once), a batch at a time with ``COPY``, all or nothing; returns how many. The
        stored requests a batch answers, and their stored responses, are read in one query."""
        items = _many("events", events, "feedback events")
        s, t = self._s, self._t
        doing = "adding feedback events"
        kinds = tuple(_FEEDBACK_TYPES.values())
        typed = _typed("events", kinds, "a feedback event")

        def check(batch: list[Any], offset: int) -> tuple[int, Exception | None]:
            good, problem = typed(batch, offset)
            asked = {e.request_id for e in batch[:good] if e.__class__ is FeedbackResponse}
            related = self._related(asked, doing) if asked else []
            stored = {e.id: e for e in related}
            earlier: dict[str, FeedbackEvent] = {}
            log: list[tuple[int, FeedbackEvent]] = []  # the batch's events a response needs
            for i in range(good):
                event = batch[i]
                if event.id in earlier or event.id in stored:
                    problem = ConcurrencyError(
                        "feedback", event.id, None, 1, path=f"events[{offset + i}]"
                    )
                    good = i
                    break
                if event.__class__ is FeedbackResponse:
                    request = earlier.get(event.request_id) or stored.get(event.request_id)
                    if not isinstance(request, FeedbackRequest):
                        good, problem = (
                            i,
                            UnknownReferenceError(
                                f"events[{offset + i}].request_id",
                                event.request_id,
                                "is not a stored feedback request",
                            ),
                        )
                        break
                    log.append((i, event))
                elif event.id in asked:
                    log.append((i, event))
                earlier[event.id] = event
            if any(e.__class__ is FeedbackResponse for _, e in log):
                # The responses before the first problem, checked as add(response) checks one
                # (a response that breaks a rule comes before that problem, so it is first).
                try:
                    FeedbackLog(events=(*related, *(e for _, e in log)))
                except ValidationError as err:
                    k, rest = _log_position(err.path)
                    if k is None or k < len(related):
                        raise  # pragma: no cover - only a damaged log breaks elsewhere
                    i = log[k - len(related)][0]
                    return i, _repath(err, f"events[{offset + i}]{rest}")
            return good, problem

        def write(batch: list[FeedbackEvent], _: int) -> None:
            s.copy(
                t.feedback,
                _FEEDBACK_COLUMNS,
                _feedback_rows(batch),
                doing=doing,
            )

        return s.add_many(
            "events",
            items,
            check,
            write,
            table=t.feedback,
            kind="feedback",
            cls=kinds,
            doing=doing,
        )

    def _related(self, request_ids: set[str], doing: str) -> list[FeedbackEvent]:
        """The stored events with these ids, and the stored responses to them,
        chronologically, then by id (one query)."""
        f = self._t.feedback.c
        wanted = sa.bindparam("ids", sorted(request_ids), type_=ARRAY(sa.Text()))
        query = (
            sa.select(f.id, f.kind, f.doc)
            .where(sa.or_(f.id == sa.any_(wanted), f.request_id == sa.any_(wanted)))
            .order_by(f.at, f.id)
        )
        return self._s.records(query, "feedback event", _FEEDBACK_TYPES, doing=doing)

    def iter_log(self) -> Iterator[FeedbackEvent]:
        """The events of :meth:`log`, chronologically, then by id, a batch at a time (a
        server-side cursor)."""
        f = self._t.feedback.c
        query = sa.select(f.id, f.kind, f.doc).order_by(f.at, f.id)
        return self._s.iterate(
            query,
            "feedback event",
            _FEEDBACK_TYPES,
            over="feedback events",
            doing="reading the feedback log",
        )

    def about(
        self, subject: str, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[FeedbackEvent, ...]:
        """Events about ``subject`` with ``start <= at < end``, chronological, then by id."""
        subject = _read_key("subject", subject)
        lo, hi = _check_moment("start", start), _check_moment("end", end)
        if lo is not None and hi is not None and hi < lo:
            raise ValidationError("end", hi, f"is before start {lo}")
        f = self._t.feedback.c
        where = [f.subject == subject]
        if lo is not None:
            where.append(f.at >= lo)
        if hi is not None:
            where.append(f.at < hi)
        query = sa.select(f.id, f.kind, f.doc).where(*where).order_by(f.at, f.id)
        return tuple(
            self._s.records(
                query,
                "feedback event",
                _FEEDBACK_TYPES,
                doing=f"reading feedback about {subject!r}",
            )
        )

    def log(self) -> FeedbackLog:
        """Every event, as one checked FeedbackLog, chronologically, then by id."""
        f = self._t.feedback.c
        query = sa.select(f.id, f.kind, f.doc).order_by(f.at, f.id)
        return FeedbackLog(
            events=self._s.records(
                query, "feedback event", _FEEDBACK_TYPES, doing="loading the feedback log"
            )
        )


_LOG_PATH = re.compile(r"^events\[(\d+)\](.*)$", re.DOTALL)


def _log_position(path: str) -> tuple[int | None, str]:
    """The index of ``events[k].rest`` in a FeedbackLog error's path, and the rest."""
    found = _LOG_PATH.match(path)
    if found is None:  # pragma: no cover - FeedbackLog names an event
        return None, path
    return int(found.group(1)), found.group(2)


def _repath(err: ValidationError, path: str) -> ValidationError:
    """A copy of ``err`` (of its class) at ``path``."""
    clone = err.__class__.__new__(err.__class__)
    clone.__dict__.update(err.__dict__)
    clone.path = path
    Exception.__init__(clone, clone._message())
    return clone


def _review_columns(review: Review) -> dict[str, Any]:
    return {"cycle_id": review.cycle_id, "subject": review.subject}


class _ReviewRepository(_Repository):
    def save(self, review: Review, expected_version: int | None = None) -> int:
        """Insert (``expected_version=None``) or update a review; returns its new version."""
        _check_instance("review", review, Review)
        expected = _check_expected(expected_version, optional=True)
        return self._s.save_versioned(
            self._t.reviews, "review", review.id, dumps(review), expected, _review_columns(review)
        )

    def get(self, review_id: str) -> Review:
        review_id = _read_key("review_id", review_id)
        t = self._t.reviews
        return _load(self._s.get_doc(t, t.c.id, "review", review_id), Review, "review", review_id)

    def add_many(self, reviews: Iterable[Review]) -> int:
        """Insert new reviews (version 1, each with its audit entry, as ``save(review)``
        does), a batch at a time with ``COPY``, all or nothing; returns how many."""
        return self._s.add_audited(
            "reviews", reviews, Review, self._t.reviews, "review", _REVIEW_COLUMNS, _review_row
        )

    def version(self, review_id: str) -> int:
        review_id = _read_key("review_id", review_id)
        return self._s.version_of(self._t.reviews, "review", review_id)

    def by_cycle(self, cycle_id: str, subject: str | None = None) -> tuple[Review, ...]:
        """A cycle's reviews (of one subject if given), by id."""
        cycle_id = _read_key("cycle_id", cycle_id)
        r = self._t.reviews.c
        where = [r.cycle_id == cycle_id]
        if subject is not None:
            where.append(r.subject == _read_key("subject", subject))
        query = sa.select(r.id, r.doc).where(*where).order_by(r.id)
        return tuple(
            self._s.records(query, "review", Review, doing=f"reading the reviews of {cycle_id!r}")
        )

    def iter_by_cycle(self, cycle_id: str, subject: str | None = None) -> Iterator[Review]:
        """The reviews of :meth:`by_cycle`, by id, a batch at a time (a server-side cursor)."""
        key = _read_key("cycle_id", cycle_id)
        r = self._t.reviews.c
        where = [r.cycle_id == key]
        if subject is not None:
            where.append(r.subject == _read_key("subject", subject))
        query = sa.select(r.id, r.doc).where(*where).order_by(r.id)
        return self._s.iterate(
            query, "review", Review, over="reviews", doing=f"reading the reviews of {cycle_id!r}"
        )


class _CalibrationRepository(_Repository):
    def save(self, session: CalibrationSession, expected_version: int | None = None) -> int:
        """Save a whole calibration session (population and adjustments) at once."""
        _check_instance("session", session, CalibrationSession)
        expected = _check_expected(expected_version, optional=True)
        return self._s.save_versioned(
            self._t.calibrations, "calibration", session.id, dumps(session), expected, {}
        )

    def get(self, session_id: str) -> CalibrationSession:
        session_id = _read_key("session_id", session_id)
        t = self._t.calibrations
        doc = self._s.get_doc(t, t.c.id, "calibration session", session_id)
        return _load(doc, CalibrationSession, "calibration session", session_id)

    def version(self, session_id: str) -> int:
        session_id = _read_key("session_id", session_id)
        return self._s.version_of(self._t.calibrations, "calibration session", session_id)


class _ResultRepository(_Repository):
    def save(self, result: CycleResult) -> None:
        """Store a cycle's results, replacing earlier results of that cycle, all at once."""
        _check_instance("result", result, CycleResult)
        s, t = self._s, self._t
        s.writable()
        cycle_id = result.cycle_id
        doing = f"saving the results of {cycle_id!r}"
        doc = dumps(result)
        head = s.lock_head()
        r = t.results.c
        before = s.scalar(
            sa.select(r.doc).where(r.cycle_id == cycle_id).with_for_update(), doing=doing
        )
        if before is None:
            s.run(sa.insert(t.results).values(cycle_id=cycle_id, doc=doc), doing=doing)
        else:
            s.run(sa.update(t.results).where(r.cycle_id == cycle_id).values(doc=doc), doing=doing)
            e = t.result_employees.c
            s.run(sa.delete(t.result_employees).where(e.cycle_id == cycle_id), doing=doing)
        s.insert_many(
            t.result_employees,
            [
                {
                    "cycle_id": cycle_id,
                    "pos": i,
                    "employee_id": one.employee_id,
                    "unit_id": one.unit_id,
                    "doc": dumps(one),
                }
                for i, one in enumerate(result.employees)
            ],
            doing=doing,
        )
        s.append(head, [("result", cycle_id, before, doc)])

    def get(self, cycle_id: str) -> CycleResult:
        cycle_id = _read_key("cycle_id", cycle_id)
        t = self._t.results
        doc = self._s.get_doc(t, t.c.cycle_id, "cycle result", cycle_id)
        return _load(doc, CycleResult, "cycle result", cycle_id)

    def by_unit(self, cycle_id: str, unit_id: str) -> tuple[EmployeeResult, ...]:
        """The results of the people whose unit is ``unit_id`` (that unit only), by employee
        id; empty when the cycle has no results."""
        cycle_id = _read_key("cycle_id", cycle_id)
        unit_id = _read_key("unit_id", unit_id)
        s, t = self._s, self._t
        doing = f"reading the results of {cycle_id!r}"
        e = t.result_employees.c
        query = (
            sa.select(e.employee_id, e.doc)
            .where(e.cycle_id == cycle_id, e.unit_id == unit_id)
            .order_by(e.employee_id, e.pos)
        )
        return tuple(s.records(query, "employee result", EmployeeResult, doing=doing))


class _AuditLog(_Repository):
    def _rows(self, record_id: str | None) -> Sequence[Any]:
        a = self._t.audit
        query = sa.select(*a.c).order_by(a.c.seq)
        if record_id is not None:
            query = query.where(a.c.record_id == record_id)
        return self._s.rows(query, doing="reading the audit log")

    def entries(self, record_id: str | None = None) -> tuple[AuditEntry, ...]:
        """The log in order (of one record if given)."""
        if record_id is not None:
            record_id = _read_key("record_id", record_id)
        out = []
        for row in self._rows(record_id):
            found = _entry(row)
            if isinstance(found, AuditProblem):
                raise StoreError(
                    f"audit entry {found.seq} {found.reason}: the log was changed outside "
                    "perfkit; audit.verify() lists every damaged entry"
                )
            out.append(found)
        return tuple(out)

    def verify(self) -> AuditReport:
        """Re-compute the hash chain; the report lists every entry that does not match (and
        entries that cannot even be read)."""
        h = self._t.audit_head
        head = self._s.run(
            sa.select(h.c.hash).where(h.c.one.is_(True)), doing="reading the audit log"
        ).first()
        good: list[AuditEntry] = []
        unreadable: list[AuditProblem] = []
        for row in self._rows(None):
            found = _entry(row)
            if isinstance(found, AuditProblem):
                unreadable.append(found)
            else:
                good.append(found)
        report = verify_chain(good, None if head is None else head.hash)
        if not unreadable and head is not None:
            return report
        problems = [*unreadable, *report.problems]
        if head is None:
            problems.append(AuditProblem(seq=0, reason="the log's head row is missing"))
        return AuditReport(
            checked=report.checked + len(unreadable),
            problems=sorted(problems, key=lambda p: p.seq),
        )


def _entry(row: Any) -> AuditEntry | AuditProblem:
    """A stored audit row as an entry, or the problem that keeps it from being one."""
    try:
        return AuditEntry(
            seq=int(row.seq),
            actor=row.actor,
            at=datetime.fromisoformat(row.at),
            kind=row.kind,
            record_id=row.record_id,
            before=row.before,
            after=row.after,
            reason=row.reason,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )
    except (ValidationError, ValueError, TypeError) as err:
        return AuditProblem(seq=int(row.seq), reason=f"cannot be read ({err})")


# --- the unit of work ----------------------------------------------------------------------


class PostgresUnitOfWork:
    """One PostgreSQL transaction: the repositories read and write inside it (and see its own
    uncommitted writes); :meth:`commit` makes the writes durable (inside a host's transaction:
    releases the savepoint), :meth:`rollback` or leaving the block undoes them."""

    organisation: OrganisationRepository
    cycles: CycleRepository
    goals: GoalRepository
    feedback: FeedbackRepository
    reviews: ReviewRepository
    calibrations: CalibrationRepository
    results: ResultRepository
    audit: AuditLog

    def __init__(self, session: _Session) -> None:
        self._s = session
        self.organisation = _OrganisationRepository(session)
        self.cycles = _CycleRepository(session)
        self.goals = _GoalRepository(session)
        self.feedback = _FeedbackRepository(session)
        self.reviews = _ReviewRepository(session)
        self.calibrations = _CalibrationRepository(session)
        self.results = _ResultRepository(session)
        self.audit = _AuditLog(session)

    @property
    def connection(self) -> sa.Connection:
        """The SQLAlchemy connection this unit of work runs on, for the host's own statements
        in the same transaction."""
        self._s._begin()
        return self._s.conn

    def commit(self) -> None:
        self._s.commit()

    def rollback(self) -> None:
        if self._s.ended:
            raise StoreError("this unit of work has ended: nothing to roll back")
        self._s.writable()
        self._s.rollback()

    def import_data(self, data: CycleData) -> None:
        """Store a whole cycle's inputs: the organisation (replacing the stored one), the
        cycle, its goals and check-ins, the feedback log, the cycle's scales and forms, and its
        reviews, all or nothing, in bulk (``COPY``, a batch of records at a time for the goals
        and reviews and their audit entries). None of its cycle, goal,
        check-in, feedback or review ids may be stored already (``ConcurrencyError``, the
        first in that order). Goals and reviews are written to the audit log as inserts."""
        _check_instance("data", data, CycleData)
        self._s.writable()
        with collector_paused():
            self._import(data)

    def _import(self, data: CycleData) -> None:
        s, t = self._s, self._s.t
        doing = f"importing cycle {data.cycle.id!r}"
        goals, check_ins = data.goals.goals, data.goals.check_ins
        events, reviews = data.feedback.events, data.reviews
        head = s.lock_head() if goals or reviews else None

        for table, kind, ids in (
            (t.cycles, "cycle", [data.cycle.id]),
            (t.goals, "goal", [g.id for g in goals]),
            (t.check_ins, "check_in", [c.id for c in check_ins]),
            (t.feedback, "feedback", [e.id for e in events]),
            (t.reviews, "review", [r.id for r in reviews]),
        ):
            taken = s.first_taken(table, ids, doing=doing)
            if taken is not None:
                raise ConcurrencyError(kind, taken.id, None, getattr(taken, "version", 1))

        self.organisation.save(data.organisation)
        cycle_id = data.cycle.id
        s.run(
            sa.insert(t.cycles).values(id=cycle_id, version=1, doc=dumps(data.cycle)), doing=doing
        )
        head = s.copy_audited(
            head,
            "goal",
            goals,
            t.goals,
            _GOAL_COLUMNS,
            _goal_row,
            doing=doing,
        )
        s.copy(
            t.check_ins,
            ("id", "goal_id", "at", "doc"),
            ((c.id, c.goal_id, c.at, dumps(c)) for c in check_ins),
            doing=doing,
        )
        s.copy(t.feedback, _FEEDBACK_COLUMNS, _feedback_rows(events), doing=doing)
        s.insert_many(
            t.scales,
            [
                {
                    "cycle_id": cycle_id,
                    "scale_id": sc.id,
                    "scale_version": sc.version,
                    "kind": sc.kind,
                    "doc": dumps(sc),
                }
                for sc in data.scales.scales
            ],
            doing=doing,
        )
        s.insert_many(
            t.forms,
            [{"cycle_id": cycle_id, "form_id": f.id, "doc": dumps(f)} for f in data.forms],
            doing=doing,
        )
        s.copy_audited(
            head,
            "review",
            reviews,
            t.reviews,
            _REVIEW_COLUMNS,
            _review_row,
            doing=doing,
        )

    def cycle_data(self, cycle_id: str) -> CycleData:
        """A whole cycle's inputs back, equal to what :meth:`import_data` stored up to order
        (records saved since are included): the organisation (in the order saved), the cycle,
        its goal set (as :meth:`goal_set`), the whole feedback log (as ``feedback.log()``), the
        cycle's scales and forms (in the order imported), and its reviews by id. One query per
        table."""
        with collector_paused():
            return self._cycle_data(cycle_id)

    def _cycle_data(self, cycle_id: str) -> CycleData:
        cycle_id = _read_key("cycle_id", cycle_id)
        s, t = self._s, self._s.t
        doing = f"loading cycle {cycle_id!r}"
        cycle_doc = s.get_doc(t.cycles, t.cycles.c.id, "cycle", cycle_id)
        sc, fm, rv = t.scales.c, t.forms.c, t.reviews.c
        scales = s.rows(
            sa.select(sc.scale_id, sc.kind, sc.doc).where(sc.cycle_id == cycle_id).order_by(sc.pos),
            doing=doing,
        )
        forms = s.rows(
            sa.select(fm.form_id, fm.doc).where(fm.cycle_id == cycle_id).order_by(fm.pos),
            doing=doing,
        )
        reviews = sa.select(rv.id, rv.doc).where(rv.cycle_id == cycle_id).order_by(rv.id)
        catalog = ScaleCatalog(
            scales=[
                _load(doc, _union_member(_SCALE_TYPES, kind, "scale", key), "scale", key)
                for key, kind, doc in scales
            ]
        )
        return CycleData(
            organisation=self.organisation.load(),
            cycle=_load(cycle_doc, ReviewCycle, "cycle", cycle_id),
            goals=self.goals.goal_set(cycle_id),
            feedback=self.feedback.log(),
            scales=catalog,
            forms=[_load(doc, ReviewForm, "review form", key) for key, doc in forms],
            reviews=s.records(reviews, "review", Review, doing=doing),
        )


if TYPE_CHECKING:  # the adapter satisfies the protocols

    def _is_store(store: PostgresStore) -> Store:
        return store

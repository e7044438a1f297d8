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
from .._serialization import dumps, loads
from ..calibration import CalibrationSession
from ..cycles import ReviewCycle
from ..dataset import CycleData
from ..feedback import FeedbackEvent, FeedbackLog, FeedbackRequest, FeedbackResponse
from ..goals import CheckIn, Goal, GoalSet, OwnerKind
from ..org import Employee, Organisation, OrgUnit
from ..reviews import Review, ReviewForm
from ..run import CycleResult, EmployeeResult
from ..scales import Scale, ScaleCatalog
from ._audit import GENESIS, AuditEntry, AuditProblem, AuditReport, links, verify_chain
from ._rows import collector_paused, read_all

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
_BATCH = 5000  # records serialised (and audited) per COPY of a bulk import
_FETCH = 2000  # rows per fetch when streaming a large table


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

    # --- transactions ------------------------------------------------------------------

    def _begin(self) -> None:
        if self.ended:
            raise StoreError(
                "this unit of work has ended: open a new one with store.transaction(...)"
            )
        if self.tx is None or not self.tx.is_active:
            try:
                self.tx = (
                    self.conn.begin_nested() if self.conn.in_transaction() else self.conn.begin()
                )
            except sa_exc.SQLAlchemyError as err:
                raise self.store._error(err, "starting a transaction") from err

    def commit(self) -> None:
        if self.ended:
            raise StoreError("this unit of work has ended: nothing to commit")
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
        if isinstance(cls, Mapping):
            kinds = cls

            def kind_of(row: Sequence[Any]) -> type[Any]:
                return _union_member(kinds, row[1], what, row[0])

            text, kind = 2, kind_of
        else:
            text, kind = 1, cls

        def load(row: Sequence[Any], of: type[Any]) -> Any:
            return _load(row[text], of, what, row[0])

        return read_all(self.stream(statement, doing=doing), text=text, cls=kind, load=load)

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
            raise NotFoundError(what, record_id)
        return int(found)

    def get_doc(
        self, table: sa.Table, key: sa.ColumnElement[Any], what: str, record_id: str
    ) -> str:
        found = self.scalar(
            sa.select(table.c.doc).where(key == record_id), doing=f"reading {what} {record_id!r}"
        )
        if found is None:
            raise NotFoundError(what, record_id)
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
        _check_id("employee_id", employee_id)
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
        _check_id("cycle_id", cycle_id)
        t = self._t.cycles
        return _load(self._s.get_doc(t, t.c.id, "cycle", cycle_id), ReviewCycle, "cycle", cycle_id)

    def version(self, cycle_id: str) -> int:
        _check_id("cycle_id", cycle_id)
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
        _check_id("goal_id", goal_id)
        t = self._t.goals
        return _load(self._s.get_doc(t, t.c.id, "goal", goal_id), Goal, "goal", goal_id)

    def version(self, goal_id: str) -> int:
        _check_id("goal_id", goal_id)
        return self._s.version_of(self._t.goals, "goal", goal_id)

    def _goals(self, where: sa.ColumnElement[bool], doing: str) -> tuple[Goal, ...]:
        t = self._t.goals
        query = sa.select(t.c.id, t.c.doc).where(where).order_by(t.c.id)
        return tuple(self._s.records(query, "goal", Goal, doing=doing))

    def in_cycle(self, cycle_id: str) -> tuple[Goal, ...]:
        """The goals of a cycle (and the goals that belong to no one cycle), by id."""
        _check_id("cycle_id", cycle_id)
        return self._goals(
            _in_cycle(self._t.goals.c.cycle_id, cycle_id), f"reading the goals of {cycle_id!r}"
        )

    def of_employee(self, employee_id: str, cycle_id: str) -> tuple[Goal, ...]:
        """The goals an employee owns in a cycle (and those of no one cycle), by id."""
        _check_id("employee_id", employee_id)
        _check_id("cycle_id", cycle_id)
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

    def check_ins(self, goal_id: str) -> tuple[CheckIn, ...]:
        """A goal's check-ins, chronological, then by id."""
        _check_id("goal_id", goal_id)
        s, t = self._s, self._t
        doing = f"reading the check-ins of {goal_id!r}"
        if not s.exists(sa.select(t.goals.c.id).where(t.goals.c.id == goal_id), doing=doing):
            raise NotFoundError("goal", goal_id)
        c = t.check_ins.c
        query = sa.select(c.id, c.doc).where(c.goal_id == goal_id).order_by(c.at, c.id)
        return tuple(s.records(query, "check-in", CheckIn, doing=doing))

    def goal_set(self, cycle_id: str) -> GoalSet:
        """The cycle's goals (and those of no one cycle) by id, with their check-ins
        (chronological, then by id), as one checked GoalSet."""
        _check_id("cycle_id", cycle_id)
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

    def about(
        self, subject: str, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[FeedbackEvent, ...]:
        """Events about ``subject`` with ``start <= at < end``, chronological, then by id."""
        _check_id("subject", subject)
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
        _check_id("review_id", review_id)
        t = self._t.reviews
        return _load(self._s.get_doc(t, t.c.id, "review", review_id), Review, "review", review_id)

    def version(self, review_id: str) -> int:
        _check_id("review_id", review_id)
        return self._s.version_of(self._t.reviews, "review", review_id)

    def by_cycle(self, cycle_id: str, subject: str | None = None) -> tuple[Review, ...]:
        """A cycle's reviews (of one subject if given), by id."""
        _check_id("cycle_id", cycle_id)
        r = self._t.reviews.c
        where = [r.cycle_id == cycle_id]
        if subject is not None:
            where.append(r.subject == _check_id("subject", subject))
        query = sa.select(r.id, r.doc).where(*where).order_by(r.id)
        return tuple(
            self._s.records(query, "review", Review, doing=f"reading the reviews of {cycle_id!r}")
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
        _check_id("session_id", session_id)
        t = self._t.calibrations
        doc = self._s.get_doc(t, t.c.id, "calibration session", session_id)
        return _load(doc, CalibrationSession, "calibration session", session_id)

    def version(self, session_id: str) -> int:
        _check_id("session_id", session_id)
        return self._s.version_of(self._t.calibrations, "calibration session", session_id)


class _ResultRepository(_Repository):
    def save(self, result: CycleResult) -> None:
        """Store a cycle's results, replacing earlier results of that cycle, all at once."""
        _check_instance("result", result, CycleResult)
        s, t = self._s, self._t
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
        _check_id("cycle_id", cycle_id)
        t = self._t.results
        doc = self._s.get_doc(t, t.c.cycle_id, "cycle result", cycle_id)
        return _load(doc, CycleResult, "cycle result", cycle_id)

    def by_unit(self, cycle_id: str, unit_id: str) -> tuple[EmployeeResult, ...]:
        """The results of the people whose unit is ``unit_id`` (that unit only), by employee
        id; empty when the cycle has no results."""
        _check_id("cycle_id", cycle_id)
        _check_id("unit_id", unit_id)
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
            _check_id("record_id", record_id)
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
        self._s.rollback()

    def import_data(self, data: CycleData) -> None:
        """Store a whole cycle's inputs: the organisation (replacing the stored one), the
        cycle, its goals and check-ins, the feedback log, the cycle's scales and forms, and its
        reviews, all or nothing, in bulk (``COPY``, a batch of records at a time for the goals
        and reviews and their audit entries). None of its cycle, goal,
        check-in, feedback or review ids may be stored already (``ConcurrencyError``, the
        first in that order). Goals and reviews are written to the audit log as inserts."""
        _check_instance("data", data, CycleData)
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
            ("id", "cycle_id", "owner_kind", "owner_id", "version", "doc"),
            lambda g, doc: (g.id, g.cycle_id, g.owner.kind.value, g.owner.id, 1, doc),
            doing=doing,
        )
        s.copy(
            t.check_ins,
            ("id", "goal_id", "at", "doc"),
            ((c.id, c.goal_id, c.at, dumps(c)) for c in check_ins),
            doing=doing,
        )
        s.copy(
            t.feedback,
            ("id", "kind", "subject", "at", "request_id", "doc"),
            (
                (
                    e.id,
                    e.kind,
                    e.subject,
                    e.at,
                    e.request_id if e.__class__ is FeedbackResponse else None,
                    dumps(e),
                )
                for e in events
            ),
            doing=doing,
        )
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
            ("id", "cycle_id", "subject", "version", "doc"),
            lambda r, doc: (r.id, r.cycle_id, r.subject, 1, doc),
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
        _check_id("cycle_id", cycle_id)
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

"""Turn a database URL into a configured SQLAlchemy engine, and run work in transactions."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import DisconnectionError, OperationalError

from aidis.db.schema import declare_postgresql_options
from aidis.errors import InvalidInput

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option marking a connection that only reads: SQLite then takes no write lock up front.
READ_ONLY_OPTION = "aidis_read_only"
PING_AFTER_IDLE_SECONDS = 1.0


def normalise_url(raw: str) -> URL:
    """Parse a user-facing URL; `postgresql://` is served by psycopg 3."""
    try:
        url = make_url(raw)
    except Exception as exc:  # sqlalchemy raises ArgumentError for malformed URLs
        raise InvalidInput(f"database URL {raw!r} is not a valid URL: {exc}", field="database_url") from exc
    backend = url.get_backend_name()
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url
    raise InvalidInput(
        f"database URL scheme {url.drivername!r} is not supported; use sqlite:/// or postgresql://",
        field="database_url",
    )


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, busy timeout; writes take the lock up front (BEGIN IMMEDIATE)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let us emit BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")  # first: the next pragma may wait
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    writer = _WriterLock(engine, busy_timeout_ms / 1000)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":  # each statement commits by itself
            return  # (a BEGIN here would be rolled back when the connection closes, and its work with it)
        if options.get(READ_ONLY_OPTION, False):
            conn.exec_driver_sql("BEGIN")
            return
        writer.acquire(conn)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writer.release(conn.connection)
            raise


class _WriterLock:
    """One writer at a time inside this process, queued on a lock rather than on SQLite's busy handler.

    SQLite lets one transaction write; the others wait in its busy handler, which sleeps 1, 2, 5, 10 …
    up to 100 ms between tries. With a server's worker threads all writing, most of their time went
    to those sleeps (8 connections made fewer calls per second than one). Here a write transaction
    takes a process-wide lock before BEGIN IMMEDIATE and gives it back once its commit or rollback
    has run, so the next writer starts the moment the lock is free. Other processes (several
    workers, the CLI) still meet in the busy handler. Waiting longer than the busy timeout is the
    same "database is locked" error SQLite gives.
    """

    def __init__(self, engine: Engine, timeout_s: float) -> None:
        self._lock = threading.Lock()  # any thread may release it: the owner is tracked below
        self._owner: int | None = None
        self._depth = 0
        self._holders: dict[int, int] = {}  # id(DBAPI connection) → transactions it holds the lock for
        self._timeout_s = timeout_s
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    def acquire(self, conn: Connection) -> None:
        """Take the lock for this connection's transaction (OperationalError after the busy timeout)."""
        me = threading.get_ident()
        if self._owner != me:  # the owning thread nests (SQLite itself then decides)
            if not self._lock.acquire(timeout=self._timeout_s):
                locked = sqlite3.OperationalError("database is locked")
                raise OperationalError("BEGIN IMMEDIATE", None, locked)
            self._owner = me
        self._depth += 1
        key = _raw_id(conn.connection)
        self._holders[key] = self._holders.get(key, 0) + 1

    def release(self, dbapi_connection: Any) -> None:
        """Give the lock back if this DBAPI connection holds it (every rollback passes here, even a
        pool's reset of a connection that only read)."""
        key = _raw_id(dbapi_connection)
        held = self._holders.get(key, 0)
        if not held:
            return
        if held == 1:
            del self._holders[key]
        else:
            self._holders[key] = held - 1
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()


def _raw_id(connection: Any) -> int:
    """The id of the driver's own connection behind a pool's proxy (or of the connection itself)."""
    return id(getattr(connection, "dbapi_connection", None) or connection)


def build_engine(
    raw_url: str, *, echo: bool = False, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> Engine:
    """An engine for `raw_url` with the pragmas and pool settings AIDIS relies on."""
    url = normalise_url(raw_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            raise InvalidInput(
                "an in-memory SQLite database cannot be shared between connections; give a file path",
                field="database_url",
            )
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidInput(
                f"cannot create the folder {folder} for the SQLite database: {exc.strerror or exc}. "
                "Set AIDIS_DATA_DIR to a writable folder (or AIDIS_DATABASE_URL to another database).",
                field="data_dir",
            ) from exc
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": sqlite_busy_timeout_ms / 1000},
        )
        _configure_sqlite(engine, sqlite_busy_timeout_ms)
        return engine
    declare_postgresql_options()
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
    _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection with a round trip only when it sat idle for a while.

    `pool_pre_ping` pings on every checkout: one extra round trip per call on a busy server. A
    connection used less than PING_AFTER_IDLE_SECONDS ago is alive (and if the server went away
    meanwhile, the failed statement invalidates the whole pool, so the next call reconnects).
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["aidis_checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get("aidis_checked_in")
        if last is None or time.monotonic() - last < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the pool retries with a new connection
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc
        if not alive:
            raise DisconnectionError("stale pooled connection")


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One database transaction: committed when the block ends, rolled back on any error."""
    with engine.begin() as conn:
        yield conn


def engine_name(engine: Engine) -> str:
    """'sqlite' or 'postgresql'."""
    return engine.dialect.name

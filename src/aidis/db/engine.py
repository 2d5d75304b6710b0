"""Turn a database URL into a configured SQLAlchemy engine, and run work in transactions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import DisconnectionError

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

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":  # each statement commits by itself
            return  # (a BEGIN here would be rolled back when the connection closes, and its work with it)
        conn.exec_driver_sql("BEGIN" if options.get(READ_ONLY_OPTION, False) else "BEGIN IMMEDIATE")


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

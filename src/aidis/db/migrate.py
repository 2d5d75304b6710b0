"""Run Alembic migrations programmatically (one history for SQLite and PostgreSQL).

Invariants: migrations run one process at a time (a PostgreSQL advisory lock, SQLite's write lock,
both held by the transaction that checks the version and migrates, so a process that waited finds
the schema at head and does nothing); a database at a revision this code does not know is never
touched — that is a newer AIDIS's database, and the caller gets one line saying so.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from aidis.db.engine import READ_ONLY_OPTION
from aidis.errors import SchemaMismatch

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key: "AIDISMIG" as a 64-bit integer, shared by every AIDIS process.
MIGRATION_LOCK_KEY = 0x414944495F4D4947


def alembic_config(engine: Engine, connection: Connection | None = None):  # type: ignore[no-untyped-def]
    """An Alembic config bound to `engine` (and to an open `connection` when given)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    if connection is not None:
        config.attributes["connection"] = connection
    return config


_REVISION = re.compile(r'^revision\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
_DOWN = re.compile(r'^down_revision\s*=\s*(?:["\']([^"\']+)["\']|None)', re.MULTILINE)


@cache
def known_revisions() -> tuple[str, ...]:
    """Every revision id this code's migration history holds, newest first.

    Read from the migration files' `revision` / `down_revision` lines rather than through Alembic,
    whose import (and plugin set-up) costs every `aidis mcp` start a noticeable part of a second.
    """
    down_of: dict[str, str | None] = {}
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text()
        revision, down = _REVISION.search(text), _DOWN.search(text)
        if revision is not None and down is not None:
            down_of[revision.group(1)] = down.group(1)
    heads = set(down_of) - {d for d in down_of.values() if d}
    if len(heads) != 1:
        raise RuntimeError(f"the migration history must have one head, found {sorted(heads)}")
    chain: list[str] = []
    current: str | None = heads.pop()
    while current is not None:
        chain.append(current)
        current = down_of.get(current)
    return tuple(chain)


def head_revision() -> str:
    """The newest revision the code knows."""
    return known_revisions()[0]


def stored_revision(conn: Connection) -> str | None:
    """The revision recorded in the database (one query), or None when it was never migrated."""
    try:
        with conn.begin_nested():
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except (OperationalError, ProgrammingError):
        if not inspect(conn).has_table("alembic_version"):
            return None
        # Another process's migration committed the table between the two looks: read it now
        # (any other failure raises again here).
        with conn.begin_nested():
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as conn:
        return stored_revision(conn)


def refuse_unknown(revision: str | None) -> None:
    """SchemaMismatch when the database is at a revision this code does not know (a newer AIDIS's)."""
    if revision is not None and revision not in known_revisions():
        raise SchemaMismatch(
            f"the database is at schema revision {revision}, which this AIDIS does not know (it knows up to "
            f"{head_revision()}): a newer AIDIS has migrated it. Upgrade this AIDIS (pip install -U aidis) "
            "or point AIDIS_DATABASE_URL at another database. Nothing was changed.",
            field="database_url",
        )


def _lock(conn: Connection) -> None:
    """Serialize migrations: the lock lives as long as the current transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    # SQLite: the engine opens write transactions with BEGIN IMMEDIATE, which already is the lock.


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the database to `revision`; one query and no Alembic work when it is already there.

    Returns the revision this call found under the migration lock: the one it upgraded from, or the
    target itself when another process (or nobody) had work to do — so of several processes started
    at once, exactly one reports that it migrated."""
    at = current_revision(engine)
    refuse_unknown(at)
    if at == head_revision() and revision == "head":
        return at
    with engine.connect() as conn, conn.begin():
        _lock(conn)
        at = stored_revision(conn)  # again, under the lock: another process may have migrated
        refuse_unknown(at)
        if at == head_revision() and revision == "head":
            return at
        from alembic import command

        command.upgrade(alembic_config(engine, conn), revision)
        return at


def downgrade(engine: Engine, revision: str) -> None:
    """Step the database back to `revision` (used by migration tests)."""
    from alembic import command

    with engine.connect() as conn, conn.begin():
        _lock(conn)
        command.downgrade(alembic_config(engine, conn), revision)


def is_at_head(engine: Engine) -> bool:
    """True when the database schema matches the code's newest migration."""
    return current_revision(engine) == head_revision()

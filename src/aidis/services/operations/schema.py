"""The database's schema version as the surfaces see it: upgrade, current revision, readiness.

Invariant: a surface never talks to Alembic or the engine itself; it learns whether the database is
reachable and at head from here, in one query, and every failure is an AidisError with one line a
person can act on (the URL's password masked).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from aidis.db import migrate
from aidis.errors import AidisError, Unavailable

log = logging.getLogger("aidis.schema")


def describe_unreachable(engine: Engine, exc: Exception) -> Unavailable:
    """One line: which database (password masked), what the driver said, and what to try."""
    url = engine.url.render_as_string(hide_password=True).replace("+psycopg", "")
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = reason[0] if reason else type(exc).__name__
    if engine.dialect.name == "sqlite":
        hint = "Check that AIDIS_DATA_DIR (or the path in AIDIS_DATABASE_URL) is a writable folder"
    else:
        hint = (
            "is PostgreSQL running there, and are AIDIS_DATABASE_URL's host, port, user and database right?"
        )
    return Unavailable(f"cannot open the database {url}: {first}. {hint}", field="database_url")


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where the database's schema is, and where this code's is."""

    database: str | None
    code: str


class SchemaService:
    """Upgrade and inspect the schema version."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def upgrade(self) -> tuple[str | None, str | None]:
        """Migrate to head (serialized across processes); returns the revision this process found under
        the migration lock and the one after (equal when another process did the work)."""
        try:
            before = migrate.upgrade(self.engine)
            return before, migrate.current_revision(self.engine)
        except (OperationalError, InterfaceError) as exc:
            raise describe_unreachable(self.engine, exc) from exc

    def state(self) -> SchemaState:
        """The database's revision and the code's head (one query)."""
        try:
            return SchemaState(migrate.current_revision(self.engine), migrate.head_revision())
        except (OperationalError, InterfaceError) as exc:
            raise describe_unreachable(self.engine, exc) from exc

    def readiness(self) -> tuple[bool, str | None]:
        """(True, None) when the database answers and is at head; else False and a short reason."""
        try:
            state = self.state()
        except AidisError as exc:
            log.warning("not ready: %s", exc.message)
            return False, "database unreachable"
        except DBAPIError as exc:
            log.warning("not ready: %s", exc)
            return False, "database unreachable"
        if state.database != state.code:
            log.warning("not ready: database at %s, code expects %s", state.database, state.code)
            return False, "database schema not current; run `aidis db upgrade`"
        return True, None

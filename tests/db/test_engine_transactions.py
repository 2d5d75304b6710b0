"""What a connection writes is kept by the transaction mode it asked for (both engines)."""

from __future__ import annotations

from sqlalchemy import func, select, text

from aidis.db.schema import projects
from tests.support import Database


def test_work_on_an_autocommit_connection_is_kept_when_it_closes(db: Database) -> None:
    """SQLite's BEGIN hook once opened a transaction on AUTOCOMMIT connections too, so their work was
    rolled back at close (the bulk loader's statistics never stuck)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(
            text(
                "INSERT INTO projects (id, name, status, created_at, updated_at, metadata) "
                "VALUES ('11111111-1111-4111-8111-111111111111', 'autocommitted', 'active', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}')"
            )
        )
    with db.engine.connect() as conn:
        kept = conn.execute(select(func.count()).where(projects.c.name == "autocommitted")).scalar_one()
    assert kept == 1

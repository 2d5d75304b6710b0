"""What a connection writes is kept by the transaction mode it asked for, and writers in one process
take turns without losing a write or the turn (both engines)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Connection, func, select, text

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


def _insert(conn: Connection, name: str) -> None:
    conn.execute(
        text(
            "INSERT INTO projects (id, name, status, created_at, updated_at, metadata) "
            "VALUES (:id, :name, 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}')"
        ),
        {"id": str(uuid.uuid4()), "name": name},
    )


def test_writers_in_one_process_take_turns_and_every_write_is_kept(db: Database) -> None:
    """On SQLite a process's writers queue on one lock instead of sleeping in the busy handler; on both
    engines, 8 threads × 25 write transactions all commit."""

    def writer(index: int) -> None:
        for n in range(25):
            with db.engine.begin() as conn:
                _insert(conn, f"writer-{index}-{n}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(writer, range(8)))
    with db.engine.connect() as conn:
        written = conn.execute(select(func.count()).where(projects.c.name.like("writer-%"))).scalar_one()
    assert written == 200


def test_a_failed_or_abandoned_write_frees_the_next_writer(db: Database) -> None:
    """A rollback (an error inside the transaction, or a connection closed mid-transaction) gives the
    write turn back: another thread writes at once rather than waiting out the busy timeout."""
    with pytest.raises(RuntimeError), db.engine.begin() as conn:
        _insert(conn, "rolled-back")
        raise RuntimeError("the work failed")
    abandoned = db.engine.connect()
    abandoned.begin()
    _insert(abandoned, "abandoned")
    abandoned.close()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: _insert_committed(db, "after")).result(timeout=5)
    with db.engine.connect() as conn:
        names = set(
            conn.execute(
                select(projects.c.name).where(projects.c.name.in_(["rolled-back", "abandoned", "after"]))
            ).scalars()
        )
    assert names == {"after"}


def _insert_committed(db: Database, name: str) -> None:
    with db.engine.begin() as conn:
        _insert(conn, name)

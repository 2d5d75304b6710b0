"""Database-level guarantees, checked with raw SQL on both engines (lessons 1, 4, 6)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from aidis.enums import SENTINEL_PROJECT_ID, SENTINEL_PROJECT_NAME
from tests.support import SENTINEL, Database

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _insert_session(
    conn,
    *,
    project_id=None,
    status="active",
    ended_at=None,
    end_reason=None,
    connection_id=None,
    started=T0,
    omit_project=False,
):
    sid = str(uuid.uuid4())
    cols = [
        "id",
        "display_id",
        "connection_id",
        "status",
        "started_at",
        "last_activity_at",
        "ended_at",
        "end_reason",
    ]
    params = {
        "id": sid,
        "display_id": f"SES-T-{sid[:8]}",
        "connection_id": connection_id,
        "status": status,
        "started_at": started.replace(tzinfo=None),
        "last_activity_at": started.replace(tzinfo=None),
        "ended_at": ended_at.replace(tzinfo=None) if ended_at else None,
        "end_reason": end_reason,
    }
    if not omit_project:
        cols.append("project_id")
        params["project_id"] = project_id
    conn.execute(
        text(f"INSERT INTO sessions ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"), params
    )
    return sid


def test_sentinel_project_exists_after_first_migration(db: Database) -> None:
    with db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, name FROM projects WHERE name = :n"), {"n": SENTINEL_PROJECT_NAME}
        ).one()
    assert str(row.id) == SENTINEL


def test_sentinel_project_cannot_be_renamed_even_from_raw_sql(db: Database) -> None:
    with pytest.raises(DBAPIError, match="cannot be renamed"), db.engine.begin() as conn:
        conn.execute(text("UPDATE projects SET name = 'hijacked' WHERE id = :s"), {"s": SENTINEL})


def test_sentinel_project_cannot_be_deleted_even_from_raw_sql(db: Database) -> None:
    with pytest.raises(DBAPIError, match="cannot be deleted"), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM projects WHERE id = :s"), {"s": SENTINEL})
    with db.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM projects WHERE id = :s"), {"s": SENTINEL}).scalar_one()
            == 1
        )


def test_insert_with_null_project_is_refused_with_clear_message(db: Database) -> None:
    with (
        pytest.raises(IntegrityError, match=r"sessions\.project_id must not be NULL"),
        db.engine.begin() as conn,
    ):
        _insert_session(conn, project_id=None)


def test_update_to_null_project_is_refused(db: Database) -> None:
    with db.engine.begin() as conn:
        sid = _insert_session(conn, project_id=SENTINEL)
    with pytest.raises(IntegrityError, match=r"project_id must not be NULL"), db.engine.begin() as conn:
        conn.execute(text("UPDATE sessions SET project_id = NULL WHERE id = :i"), {"i": sid})


def test_session_without_project_defaults_to_sentinel(db: Database) -> None:
    with db.engine.begin() as conn:
        sid = _insert_session(conn, omit_project=True)
        project = conn.execute(text("SELECT project_id FROM sessions WHERE id = :i"), {"i": sid}).scalar_one()
    assert uuid.UUID(str(project)) == SENTINEL_PROJECT_ID


def test_session_project_must_exist(db: Database) -> None:
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        _insert_session(conn, project_id=str(uuid.uuid4()))


def test_started_at_is_required(db: Database) -> None:
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sessions (id, display_id, last_activity_at) VALUES (:i, 'SES-X', :t)"),
            {"i": str(uuid.uuid4()), "t": T0.replace(tzinfo=None)},
        )


def test_ended_before_started_is_refused(db: Database) -> None:
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        _insert_session(
            conn,
            project_id=SENTINEL,
            status="ended",
            end_reason="explicit",
            ended_at=datetime(2025, 12, 31, tzinfo=UTC),
        )


def test_ended_status_without_ended_at_is_refused(db: Database) -> None:
    """Lesson 4: a session cannot be 'ended' without an end time, nor 'active' with one."""
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        _insert_session(conn, project_id=SENTINEL, status="ended", end_reason="explicit")
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        _insert_session(conn, project_id=SENTINEL, status="active", ended_at=T0, end_reason="explicit")


def test_status_outside_enum_is_refused(db: Database) -> None:
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        _insert_session(conn, project_id=SENTINEL, status="zombie")


def test_at_most_one_open_session_per_connection(db: Database) -> None:
    with db.engine.begin() as conn:
        _insert_session(conn, project_id=SENTINEL, connection_id="conn-1")
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        _insert_session(conn, project_id=SENTINEL, connection_id="conn-1")
    # a closed session on the same connection is fine
    with db.engine.begin() as conn:
        _insert_session(
            conn,
            project_id=SENTINEL,
            connection_id="conn-1",
            status="ended",
            end_reason="explicit",
            ended_at=T0,
        )


def test_event_session_id_is_a_real_foreign_key(db: Database) -> None:
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO analytics_events (occurred_at, actor, event_type, project_id, session_id) "
                "VALUES (:t, 'agent', 'tool_call', :p, :s)"
            ),
            {"t": T0.replace(tzinfo=None), "p": SENTINEL, "s": str(uuid.uuid4())},
        )


def test_deleting_a_project_with_sessions_is_refused_by_the_database(db: Database) -> None:
    pid = str(uuid.uuid4())
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO projects (id, name, status, created_at, updated_at) VALUES (:i, 'p', 'active', :t, :t)"
            ),
            {"i": pid, "t": T0.replace(tzinfo=None)},
        )
        _insert_session(conn, project_id=pid)
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM projects WHERE id = :i"), {"i": pid})
    with db.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM sessions WHERE project_id = :i"), {"i": pid}).scalar_one()
            == 1
        )

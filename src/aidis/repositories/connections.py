"""SQL for MCP connections: their agent and current project live in the database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, update

from aidis.db.schema import connections
from aidis.db.sqlfuncs import insert_ignoring_duplicates
from aidis.records import ConnectionState


def _to_state(row: Row[Any]) -> ConnectionState:
    return ConnectionState(
        id=row.id,
        transport=row.transport,
        agent_type=row.agent_type,
        current_project_id=row.current_project_id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
    )


def get_connection(conn: Connection, connection_id: str) -> ConnectionState | None:
    """What is known about a connection, or None for a new one."""
    row = conn.execute(select(connections).where(connections.c.id == connection_id)).first()
    return _to_state(row) if row else None


_TOUCH = (
    update(connections)
    .where(connections.c.id == bindparam("connection_id"))
    .values(last_seen_at=bindparam("now", type_=connections.c.last_seen_at.type))
)


def upsert_connection(
    conn: Connection, *, connection_id: str, transport: str, agent_type: str, now: datetime
) -> None:
    """Create the connection row if missing, else refresh its last-seen time."""
    changed = conn.execute(_TOUCH, {"connection_id": connection_id, "now": now}).rowcount
    if not changed:
        insert_ignoring_duplicates(
            conn,
            connections,
            {
                "id": connection_id,
                "transport": transport,
                "agent_type": agent_type,
                "current_project_id": None,
                "created_at": now,
                "last_seen_at": now,
            },
        )


def set_current_project(conn: Connection, connection_id: str, project_id: uuid.UUID | None) -> None:
    """Remember the project a connection works in."""
    conn.execute(
        update(connections).where(connections.c.id == connection_id).values(current_project_id=project_id)
    )

"""SQL for analytics events. A session event's project is read from the session row in the same
statement, so an event can never carry a wrong or NULL project (lesson 5)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update

from aidis.db.schema import analytics_events, sessions
from aidis.errors import NotFound
from aidis.records import Event


def _to_event(row: Row[Any]) -> Event:
    return Event(
        id=int(row.id),
        occurred_at=row.occurred_at,
        actor=row.actor,
        event_type=row.event_type,
        project_id=row.project_id,
        session_id=row.session_id,
        context_id=row.context_id,
        tool_name=row.tool_name,
        status=row.status,
        duration_ms=row.duration_ms,
        payload=dict(row.payload or {}),
    )


# Built once: the statement is compiled once and cached by SQLAlchemy (this runs on every tool call).
_SESSION_EVENT = (
    insert(analytics_events)
    .from_select(
        [
            "occurred_at",
            "actor",
            "event_type",
            "project_id",
            "session_id",
            "context_id",
            "tool_name",
            "status",
            "duration_ms",
            "payload",
        ],
        select(
            bindparam("occurred_at", type_=analytics_events.c.occurred_at.type),
            bindparam("actor", type_=analytics_events.c.actor.type),
            bindparam("event_type", type_=analytics_events.c.event_type.type),
            sessions.c.project_id,
            sessions.c.id,
            bindparam("context_id", type_=analytics_events.c.context_id.type),
            bindparam("tool_name", type_=analytics_events.c.tool_name.type),
            bindparam("status", type_=analytics_events.c.status.type),
            bindparam("duration_ms", type_=analytics_events.c.duration_ms.type),
            bindparam("payload", type_=analytics_events.c.payload.type),
        ).where(sessions.c.id == bindparam("session_id", type_=sessions.c.id.type)),
    )
    .returning(analytics_events.c.id)
)


def insert_session_event(
    conn: Connection,
    *,
    session_id: uuid.UUID,
    event_type: str,
    actor: str,
    occurred_at: datetime,
    payload: dict[str, Any] | None = None,
    context_id: uuid.UUID | None = None,
    tool_name: str | None = None,
    status: str = "ok",
    duration_ms: int | None = None,
    count: bool = True,
) -> None:
    """Record an event of a session under the session's current project and bump its counter.

    The project is read from the session row in the same statement. Raises NotFound when the
    session does not exist, so a wrong id can never be written silently. With `count=False` the
    caller bumps `event_count` itself (in the same transaction).
    """
    inserted = conn.execute(
        _SESSION_EVENT,
        {
            "occurred_at": occurred_at,
            "actor": str(actor),
            "event_type": str(event_type),
            "context_id": context_id,
            "tool_name": tool_name,
            "status": str(status),
            "duration_ms": duration_ms,
            "payload": payload or {},
            "session_id": session_id,
        },
    ).all()
    if len(inserted) != 1:
        raise NotFound(
            f"session {session_id} does not exist; event {event_type!r} not recorded", field="session_id"
        )
    if count:
        conn.execute(
            update(sessions).where(sessions.c.id == session_id).values(event_count=sessions.c.event_count + 1)
        )


def insert_session_events(
    conn: Connection, rows: Sequence[dict[str, Any]], *, event_type: str, actor: str
) -> int:
    """Record one event per session in `rows` (keys: session_id, occurred_at, payload), set-based.

    Each event takes its session's current project; counters move in the same transaction.
    """
    if not rows:
        return 0
    ids = [row["session_id"] for row in rows]
    project_of = dict(
        [
            (row.id, row.project_id)
            for row in conn.execute(
                select(sessions.c.id, sessions.c.project_id).where(sessions.c.id.in_(ids))
            )
        ]
    )
    missing = [str(sid) for sid in ids if sid not in project_of]
    if missing:
        raise NotFound(
            f"sessions {', '.join(missing[:5])} do not exist; no events recorded", field="session_id"
        )
    conn.execute(
        insert(analytics_events),
        [
            {
                "occurred_at": row["occurred_at"],
                "actor": actor,
                "event_type": event_type,
                "project_id": project_of[row["session_id"]],
                "session_id": row["session_id"],
                "context_id": None,
                "tool_name": None,
                "status": "ok",
                "duration_ms": None,
                "payload": row.get("payload", {}),
            }
            for row in rows
        ],
    )
    conn.execute(
        update(sessions).where(sessions.c.id.in_(ids)).values(event_count=sessions.c.event_count + 1)
    )
    return len(rows)


def insert_project_event(
    conn: Connection,
    *,
    project_id: uuid.UUID,
    event_type: str,
    actor: str,
    occurred_at: datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    """Record an event that belongs to a project but to no session."""
    conn.execute(
        insert(analytics_events).values(
            occurred_at=occurred_at,
            actor=actor,
            event_type=event_type,
            project_id=project_id,
            session_id=None,
            payload=payload or {},
        )
    )


def events_for_session(conn: Connection, session_id: uuid.UUID) -> list[Event]:
    """Every event of a session, oldest first."""
    rows = conn.execute(
        select(analytics_events)
        .where(analytics_events.c.session_id == session_id)
        .order_by(analytics_events.c.occurred_at, analytics_events.c.id)
    )
    return [_to_event(row) for row in rows]


def count_events(
    conn: Connection, *, session_id: uuid.UUID | None = None, event_type: str | None = None
) -> int:
    """How many events match."""
    query = select(func.count()).select_from(analytics_events)
    if session_id is not None:
        query = query.where(analytics_events.c.session_id == session_id)
    if event_type is not None:
        query = query.where(analytics_events.c.event_type == event_type)
    return int(conn.execute(query).scalar_one())

"""SQL for analytics events. A session event's project is read from the session row in the same
statement, so an event can never carry a wrong or NULL project (lesson 5)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Executable, Row, bindparam, exists, func, insert, literal, select, update

from aidis.db.schema import analytics_events, sessions
from aidis.db.sqlfuncs import epoch_seconds_between, json_object
from aidis.enums import EventType
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
SESSION_EVENT = (
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
            bindparam("event_status", type_=analytics_events.c.status.type),
            bindparam("duration_ms", type_=analytics_events.c.duration_ms.type),
            bindparam("payload", type_=analytics_events.c.payload.type),
        ).where(sessions.c.id == bindparam("session_id", type_=sessions.c.id.type)),
    )
    .returning(analytics_events.c.id)
)


_NEW_EVENT = SESSION_EVENT.cte("new_session_event")
# PostgreSQL: WITH new_session_event AS (INSERT … RETURNING id) UPDATE sessions … — one round trip
COUNTED_SESSION_EVENT = (
    update(sessions)
    .where(
        sessions.c.id == bindparam("session_id", type_=sessions.c.id.type),
        exists(select(_NEW_EVENT.c.id)),
    )
    .values(event_count=sessions.c.event_count + 1)
    .returning(sessions.c.id)
    .add_cte(_NEW_EVENT)
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
    values = {
        "occurred_at": occurred_at,
        "actor": str(actor),
        "event_type": str(event_type),
        "context_id": context_id,
        "tool_name": tool_name,
        "event_status": str(status),
        "duration_ms": duration_ms,
        "payload": payload or {},
        "session_id": session_id,
    }
    statement: Executable
    if count and conn.dialect.name == "postgresql":
        statement = COUNTED_SESSION_EVENT  # the event and its count in one statement
        count = False
    else:
        statement = SESSION_EVENT
    inserted = conn.execute(statement, values).all()
    if len(inserted) != 1:
        raise NotFound(
            f"session {session_id} does not exist; event {event_type!r} not recorded", field="session_id"
        )
    if count:
        conn.execute(
            update(sessions).where(sessions.c.id == session_id).values(event_count=sessions.c.event_count + 1)
        )


def write_end_events(
    conn: Connection,
    session_ids: Sequence[uuid.UUID] | None,
    *,
    actor: str,
    synthesized_by: str | None = None,
) -> list[uuid.UUID]:
    """A session_end event, at `ended_at`, for each closed session that has none: those of `session_ids`,
    or every one when None. Set-based; each event counts on its session. Returns the sessions written for.

    The payload matches an explicit end's (`reason`, `status`, `duration_seconds`); `synthesized_by`
    marks events written after the fact (an import, `aidis check --fix`).
    """
    if session_ids is not None and not session_ids:
        return []
    has_end = exists().where(
        analytics_events.c.session_id == sessions.c.id,
        analytics_events.c.event_type == EventType.SESSION_END.value,
    )
    fields: dict[str, Any] = {
        "reason": sessions.c.end_reason,
        "status": sessions.c.status,
        "duration_seconds": epoch_seconds_between(
            conn.dialect.name, sessions.c.started_at, sessions.c.ended_at
        ),
    }
    if synthesized_by is not None:
        fields["synthesized_by"] = literal(synthesized_by)
    source = select(
        sessions.c.ended_at,
        literal(str(actor)),
        literal(EventType.SESSION_END.value),
        sessions.c.project_id,
        sessions.c.id,
        literal("ok"),
        json_object(conn.dialect.name, **fields),
    ).where(sessions.c.status != "active", ~has_end)
    if session_ids is not None:
        source = source.where(sessions.c.id.in_(list(session_ids)))
    made = list(
        conn.execute(
            insert(analytics_events)
            .from_select(
                ["occurred_at", "actor", "event_type", "project_id", "session_id", "status", "payload"],
                source,
            )
            .returning(analytics_events.c.session_id)
        ).scalars()
    )
    if made:
        conn.execute(
            update(sessions).where(sessions.c.id.in_(made)).values(event_count=sessions.c.event_count + 1)
        )
    return made


def insert_project_event(
    conn: Connection,
    *,
    project_id: uuid.UUID,
    event_type: str,
    actor: str,
    occurred_at: datetime,
    payload: dict[str, Any] | None = None,
    context_id: uuid.UUID | None = None,
) -> None:
    """Record an event that belongs to a project but to no session."""
    conn.execute(
        insert(analytics_events).values(
            occurred_at=occurred_at,
            actor=actor,
            event_type=event_type,
            project_id=project_id,
            session_id=None,
            context_id=context_id,
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

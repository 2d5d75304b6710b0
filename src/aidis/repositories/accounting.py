"""SQL for counting one tool call: its event and its session's activity, tokens and counters.

Invariant: the event and the counters it moves are written by the same transaction — on PostgreSQL
by the same statement (the event's INSERT is a CTE of the session's UPDATE: one round trip instead
of two), on SQLite by two statements on the one local connection. A call counted on "the connection's
open session" finds, locks and counts it in one PostgreSQL statement, so that session cannot end
between being found and being counted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, exists, func, insert, literal_column, select, update

from aidis.db.schema import analytics_events, projects, sessions
from aidis.records import Session
from aidis.repositories.events import SESSION_EVENT
from aidis.repositories.sessions import ADD_ACTIVITY, to_session

# PostgreSQL: WITH event AS (INSERT … RETURNING id) UPDATE sessions … RETURNING sessions.*
_COUNTED_CALL = ADD_ACTIVITY.add_cte(SESSION_EVENT.cte("counted_event"))


def count_call(
    conn: Connection,
    session_id: uuid.UUID,
    *,
    event: dict[str, Any],
    now: datetime,
    input_tokens: int,
    output_tokens: int,
    contexts: int,
    tool_calls: int,
    project_name: str,
) -> Session | None:
    """Write the call's event and bump the session; the session after it (None if it does not exist)."""
    activity = {
        "sid": session_id,
        "now": now,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "contexts": contexts,
        "events": 1,
        "tool_calls": tool_calls,
    }
    event_values = {"session_id": session_id, **event}
    if conn.dialect.name == "postgresql":
        row = conn.execute(_COUNTED_CALL, {**event_values, **activity}).first()
        return to_session(row, project_name) if row is not None else None
    if conn.execute(SESSION_EVENT, event_values).first() is None:
        return None
    row = conn.execute(ADD_ACTIVITY, activity).first()
    return to_session(row, project_name) if row is not None else None


def _count_on_open_session() -> Any:
    """PostgreSQL: WITH open_session AS (SELECT … FOR UPDATE), call_event AS (INSERT … RETURNING id)
    UPDATE sessions … RETURNING sessions.*, the project's name — tokens estimated only while the
    session's totals are not the transcript's exact ones."""
    exact = func.coalesce(literal_column("sessions.metadata ->> 'tokens'") == "exact", False)
    found = (
        select(sessions.c.id, sessions.c.project_id, exact.label("exact"))
        .where(sessions.c.connection_id == bindparam("open_on"), sessions.c.status == "active")
        .with_for_update(of=sessions)
        .cte("open_session")
    )
    event = (
        insert(analytics_events)
        .from_select(
            [
                "occurred_at",
                "actor",
                "event_type",
                "project_id",
                "session_id",
                "tool_name",
                "status",
                "payload",
            ],
            select(
                bindparam("now", type_=analytics_events.c.occurred_at.type),
                bindparam("actor", type_=analytics_events.c.actor.type),
                bindparam("event_type", type_=analytics_events.c.event_type.type),
                found.c.project_id,
                found.c.id,
                bindparam("tool_name", type_=analytics_events.c.tool_name.type),
                bindparam("event_status", type_=analytics_events.c.status.type),
                bindparam("payload", type_=analytics_events.c.payload.type),
            ),
        )
        .returning(analytics_events.c.id)
        .cte("call_event")
    )
    now = bindparam("now", type_=sessions.c.last_activity_at.type)
    estimate_in = bindparam("input_tokens", type_=sessions.c.input_tokens.type)
    estimate_out = bindparam("output_tokens", type_=sessions.c.output_tokens.type)
    return (
        update(sessions)
        .where(
            sessions.c.id == found.c.id, projects.c.id == sessions.c.project_id, exists(select(event.c.id))
        )
        .values(
            last_activity_at=case(
                (sessions.c.last_activity_at > now, sessions.c.last_activity_at), else_=now
            ),
            input_tokens=sessions.c.input_tokens + case((found.c.exact, 0), else_=estimate_in),
            output_tokens=sessions.c.output_tokens + case((found.c.exact, 0), else_=estimate_out),
            event_count=sessions.c.event_count + 1,
            tool_call_count=sessions.c.tool_call_count + 1,
        )
        .returning(*sessions.c, projects.c.name.label("project_name"))
        .add_cte(event)
    )


_COUNT_ON_OPEN = _count_on_open_session()


def count_call_on_open(
    conn: Connection,
    connection_id: str,
    *,
    tool: str,
    event_type: str,
    actor: str,
    now: datetime,
    input_tokens: int,
    output_tokens: int,
) -> Session | None:
    """PostgreSQL: count a call that does nothing else on the connection's open session, in one
    statement; the session after it, or None when the connection has no open session."""
    row = conn.execute(
        _COUNT_ON_OPEN,
        {
            "open_on": connection_id,
            "now": now,
            "actor": actor,
            "event_type": event_type,
            "tool_name": tool,
            "event_status": "ok",
            "payload": {},
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
        },
    ).first()
    return to_session(row) if row is not None else None

"""SQL for counting one tool call: its event and its session's activity, tokens and counters.

Invariant: the event and the counters it moves are written by the same transaction — on PostgreSQL
by the same statement (the event's INSERT is a CTE of the session's UPDATE: one round trip instead
of two), on SQLite by two statements on the one local connection.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

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

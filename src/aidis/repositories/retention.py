"""SQL for letting old material go: count and delete old contexts and events, set-based.

Invariant: sessions, their lifecycle events (start, end, moves) and their summaries are never
deleted, and the counters of every session that loses rows are lowered in the same transaction
by exactly the rows removed, so `aidis check` stays clean.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, not_, select, update

from aidis.db.schema import analytics_events, contexts, sessions
from aidis.db.sqlfuncs import json_array_contains
from aidis.enums import EventType

SUMMARY_TAG = "session-summary"
KEPT_EVENTS = (
    EventType.SESSION_START.value,
    EventType.SESSION_END.value,
    EventType.SESSION_ASSIGNED.value,
    EventType.PROJECT_SWITCHED.value,
)


def _old_contexts(conn: Connection, cutoff: datetime, project_ids: Sequence[uuid.UUID] | None) -> Any:
    condition = and_(
        contexts.c.created_at < cutoff,
        not_(json_array_contains(conn.dialect.name, contexts.c.tags, SUMMARY_TAG)),
    )
    if project_ids is not None:
        condition = and_(condition, contexts.c.project_id.in_(list(project_ids)))
    return condition


def _old_events(cutoff: datetime, project_ids: Sequence[uuid.UUID] | None) -> Any:
    condition = and_(
        analytics_events.c.occurred_at < cutoff, analytics_events.c.event_type.not_in(KEPT_EVENTS)
    )
    if project_ids is not None:
        condition = and_(condition, analytics_events.c.project_id.in_(list(project_ids)))
    return condition


def count_old(conn: Connection, cutoff: datetime, project_ids: Sequence[uuid.UUID] | None) -> dict[str, int]:
    """How many contexts and events a prune would delete."""
    return {
        "contexts": int(
            conn.execute(select(func.count()).where(_old_contexts(conn, cutoff, project_ids))).scalar_one()
        ),
        "events": int(
            conn.execute(select(func.count()).where(_old_events(cutoff, project_ids))).scalar_one()
        ),
    }


def delete_contexts(conn: Connection, cutoff: datetime, project_ids: Sequence[uuid.UUID] | None) -> int:
    """Delete old contexts (not summaries) and lower their sessions' live-context counters."""
    old = _old_contexts(conn, cutoff, project_ids)
    gone = (
        select(func.count())
        .where(old, contexts.c.session_id == sessions.c.id, contexts.c.deleted_at.is_(None))
        .scalar_subquery()
    )
    conn.execute(
        update(sessions)
        .where(
            sessions.c.id.in_(select(contexts.c.session_id).where(old, contexts.c.session_id.is_not(None)))
        )
        .values(context_count=sessions.c.context_count - gone)
    )
    return int(conn.execute(delete(contexts).where(old)).rowcount)


def delete_events(conn: Connection, cutoff: datetime, project_ids: Sequence[uuid.UUID] | None) -> int:
    """Delete old work events (never lifecycle events) and lower their sessions' event counters."""
    old = _old_events(cutoff, project_ids)
    mine = and_(old, analytics_events.c.session_id == sessions.c.id)
    events_gone = select(func.count()).where(mine).scalar_subquery()
    calls_gone = select(func.count()).where(mine, analytics_events.c.tool_name.is_not(None)).scalar_subquery()
    conn.execute(
        update(sessions)
        .where(
            sessions.c.id.in_(
                select(analytics_events.c.session_id).where(old, analytics_events.c.session_id.is_not(None))
            )
        )
        .values(
            event_count=sessions.c.event_count - events_gone,
            tool_call_count=sessions.c.tool_call_count - calls_gone,
        )
    )
    return int(conn.execute(delete(analytics_events).where(old)).rowcount)

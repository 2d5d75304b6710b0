"""SQL for writing imported legacy rows and the ledger that makes imports idempotent."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, literal, select, update

from aidis.db.schema import analytics_events, contexts, legacy_imports, projects, sessions
from aidis.db.sqlfuncs import json_object
from aidis.enums import Actor, EventType


def already_imported(conn: Connection, kind: str, legacy_ids: Sequence[str]) -> dict[str, str]:
    """legacy id → local id for the ids of `kind` a previous run imported."""
    if not legacy_ids:
        return {}
    rows = conn.execute(
        select(legacy_imports.c.legacy_id, legacy_imports.c.local_id).where(
            legacy_imports.c.kind == kind, legacy_imports.c.legacy_id.in_(list(legacy_ids))
        )
    )
    return {row.legacy_id: row.local_id for row in rows}


def record_imported(
    conn: Connection, kind: str, pairs: Iterable[tuple[str, str]], *, run_id: str, now: datetime
) -> None:
    """Remember which legacy rows became which local rows."""
    rows = [
        {"kind": kind, "legacy_id": legacy, "local_id": local, "run_id": run_id, "imported_at": now}
        for legacy, local in pairs
    ]
    if rows:
        conn.execute(insert(legacy_imports), rows)


def ledger_count(conn: Connection, kind: str) -> int:
    """How many rows of `kind` have been imported in all runs."""
    return int(
        conn.execute(
            select(func.count()).select_from(legacy_imports).where(legacy_imports.c.kind == kind)
        ).scalar_one()
    )


def run_local_ids(conn: Connection, kind: str, run_id: str, *, after: str, limit: int) -> list[str]:
    """Local ids of one run's rows of `kind`, in pages (keyset on local id)."""
    return list(
        conn.execute(
            select(legacy_imports.c.local_id)
            .where(
                legacy_imports.c.kind == kind,
                legacy_imports.c.run_id == run_id,
                legacy_imports.c.local_id > after,
            )
            .order_by(legacy_imports.c.local_id)
            .limit(limit)
        ).scalars()
    )


def existing_project_ids(conn: Connection, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `ids` are projects here."""
    wanted = list(set(ids))
    if not wanted:
        return set()
    return set(conn.execute(select(projects.c.id).where(projects.c.id.in_(wanted))).scalars())


def existing_session_projects(conn: Connection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """session id → project id for those of `ids` that exist here."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = conn.execute(select(sessions.c.id, sessions.c.project_id).where(sessions.c.id.in_(wanted)))
    return {row.id: row.project_id for row in rows}


def insert_rows(conn: Connection, table_name: str, rows: list[dict[str, Any]]) -> None:
    """Insert a batch of mapped rows into projects, sessions, contexts or analytics_events."""
    table = {
        "projects": projects,
        "sessions": sessions,
        "contexts": contexts,
        "analytics_events": analytics_events,
    }[table_name]
    if rows:
        conn.execute(insert(table), rows)


def synthesize_end_events(
    conn: Connection,
    session_ids: Sequence[uuid.UUID] | None,
    *,
    actor: Actor = Actor.IMPORT,
    reason: str = "imported",
) -> int:
    """A session_end event (at ended_at) for each closed session without one: those of `session_ids`, or all.

    Each new event also counts on its session's event counter.
    """
    if session_ids is not None and not session_ids:
        return 0
    has_end = exists().where(
        analytics_events.c.session_id == sessions.c.id,
        analytics_events.c.event_type == EventType.SESSION_END.value,
    )
    source = select(
        sessions.c.ended_at,
        literal(actor.value),
        literal(EventType.SESSION_END.value),
        sessions.c.project_id,
        sessions.c.id,
        literal("ok"),
        json_object(conn.dialect.name, reason=sessions.c.end_reason, synthesized_by=literal(reason)),
    ).where(sessions.c.status != "active", ~has_end)
    if session_ids is not None:
        source = source.where(sessions.c.id.in_(list(session_ids)))
    made = (
        conn.execute(
            insert(analytics_events)
            .from_select(
                ["occurred_at", "actor", "event_type", "project_id", "session_id", "status", "payload"],
                source,
            )
            .returning(analytics_events.c.session_id)
        )
        .scalars()
        .all()
    )
    if made:
        conn.execute(
            update(sessions)
            .where(sessions.c.id.in_(list(made)))
            .values(event_count=sessions.c.event_count + 1)
        )
    return len(made)


def recount_sessions(conn: Connection, session_ids: Sequence[uuid.UUID]) -> None:
    """Set context, event and tool-call counters of `session_ids` from their rows."""
    if not session_ids:
        return
    conn.execute(update(sessions).where(sessions.c.id.in_(list(session_ids))).values(**counter_expressions()))


def counter_expressions() -> dict[str, Any]:
    """Correlated counts that define each session counter (shared with the integrity check)."""
    return {
        "context_count": select(func.count()).where(contexts.c.session_id == sessions.c.id).scalar_subquery(),
        "event_count": select(func.count())
        .where(analytics_events.c.session_id == sessions.c.id)
        .scalar_subquery(),
        "tool_call_count": select(func.count())
        .where(
            and_(analytics_events.c.session_id == sessions.c.id, analytics_events.c.tool_name.is_not(None))
        )
        .scalar_subquery(),
    }

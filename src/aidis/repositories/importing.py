"""SQL for writing imported legacy rows and the ledger that makes imports idempotent."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from aidis.db.schema import analytics_events, contexts, legacy_imports, projects, sessions


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


def recount_sessions(conn: Connection, session_ids: Sequence[uuid.UUID]) -> None:
    """Set context, event and tool-call counters of `session_ids` from their rows."""
    if not session_ids:
        return
    conn.execute(update(sessions).where(sessions.c.id.in_(list(session_ids))).values(**counter_expressions()))


def counter_expressions() -> dict[str, Any]:
    """Correlated counts that define each session counter (shared with the integrity check)."""
    return {
        "context_count": select(func.count())
        .where(contexts.c.session_id == sessions.c.id, contexts.c.deleted_at.is_(None))
        .scalar_subquery(),
        "event_count": select(func.count())
        .where(analytics_events.c.session_id == sessions.c.id)
        .scalar_subquery(),
        "tool_call_count": select(func.count())
        .where(
            and_(analytics_events.c.session_id == sessions.c.id, analytics_events.c.tool_name.is_not(None))
        )
        .scalar_subquery(),
    }

"""SQL for what agents did in their sessions (`session_activity`): rows in, per-session digests out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from aidis.db.schema import projects, session_activity, sessions
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.records import ActivityRow, TouchedBy


def count_for_session(conn: Connection, session_id: uuid.UUID) -> int:
    """How many activity rows a session holds."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(session_activity)
            .where(session_activity.c.session_id == session_id)
        ).scalar_one()
    )


def insert_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Add activity rows (already bounded and redacted by the caller)."""
    if rows:
        conn.execute(insert(session_activity), list(rows))


def fill_exit_codes(conn: Connection, session_id: uuid.UUID, codes: dict[str, int]) -> None:
    """Set the exit status of commands whose agent told it only later (Codex, from its rollout)."""
    for tool_use_id, code in codes.items():
        conn.execute(
            update(session_activity)
            .where(
                session_activity.c.session_id == session_id,
                session_activity.c.tool_use_id == tool_use_id,
                session_activity.c.exit_code.is_(None),
                session_activity.c.kind.in_(("command", "test")),
            )
            .values(exit_code=code)
        )


def sessions_with_activity(conn: Connection, session_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Which of these sessions recorded any activity."""
    if not session_ids:
        return []
    rows = conn.execute(
        select(session_activity.c.session_id)
        .where(session_activity.c.session_id.in_(list(session_ids)))
        .group_by(session_activity.c.session_id)
    ).all()
    return [row.session_id for row in rows]


def for_session(conn: Connection, session_id: uuid.UUID, *, limit: int = 1000) -> list[ActivityRow]:
    """A session's activity, oldest first."""
    rows = conn.execute(
        select(session_activity)
        .where(session_activity.c.session_id == session_id)
        .order_by(session_activity.c.id)
        .limit(limit)
    ).all()
    return [ActivityRow.from_row(row._mapping) for row in rows]


def touched(
    conn: Connection,
    path: str,
    *,
    project_ids: Sequence[uuid.UUID] | None,
    since: datetime | None = None,
    limit: int = 5,
    unassigned_owner: uuid.UUID | None = None,
) -> list[TouchedBy]:
    """Sessions whose activity names `path` (exactly, or as the path's end), newest first; with
    `unassigned_owner`, of the Unassigned sessions only that person's own."""
    suffix = "%/" + path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    matches = (session_activity.c.path == path) | session_activity.c.path.like(suffix, escape="\\")
    query = (
        select(
            sessions.c.id,
            sessions.c.display_id,
            sessions.c.project_id,
            projects.c.name.label("project_name"),
            session_activity.c.path,
            func.max(session_activity.c.occurred_at).label("last_at"),
            func.count().label("times"),
        )
        .join(sessions, sessions.c.id == session_activity.c.session_id)
        .join(projects, projects.c.id == sessions.c.project_id)
        .where(matches)
        .group_by(
            sessions.c.id,
            sessions.c.display_id,
            sessions.c.project_id,
            projects.c.name,
            session_activity.c.path,
        )
        .order_by(func.max(session_activity.c.occurred_at).desc())
        .limit(limit)
    )
    if project_ids is not None:
        query = query.where(sessions.c.project_id.in_(list(project_ids)))
    if since is not None:
        query = query.where(session_activity.c.occurred_at >= since)
    if unassigned_owner is not None:
        query = query.where(
            (sessions.c.project_id != SENTINEL_PROJECT_ID) | (sessions.c.user_id == unassigned_owner)
        )
    return [TouchedBy.from_row(row._mapping) for row in conn.execute(query).all()]

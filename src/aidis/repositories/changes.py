"""SQL for the history of session → project moves."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from aidis.db.schema import session_project_changes
from aidis.records import ProjectChange


def _to_change(row: Row[Any]) -> ProjectChange:
    return ProjectChange(
        id=int(row.id),
        session_id=row.session_id,
        from_project_id=row.from_project_id,
        to_project_id=row.to_project_id,
        changed_at=row.changed_at,
        reason=row.reason,
        actor=row.actor,
        run_id=row.run_id,
        details=dict(row.details or {}),
    )


def record_changes(
    conn: Connection,
    moves: Sequence[tuple[uuid.UUID, uuid.UUID]],
    *,
    to_project_id: uuid.UUID,
    changed_at: datetime,
    reason: str,
    actor: str,
    run_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record that each (session_id, from_project_id) in `moves` went to `to_project_id`."""
    if not moves:
        return
    conn.execute(
        insert(session_project_changes),
        [
            {
                "session_id": session_id,
                "from_project_id": from_id,
                "to_project_id": to_project_id,
                "changed_at": changed_at,
                "reason": reason,
                "actor": actor,
                "run_id": run_id,
                "details": details or {},
            }
            for session_id, from_id in moves
        ],
    )


def changes_for_session(conn: Connection, session_id: uuid.UUID) -> list[ProjectChange]:
    """A session's project history, oldest first."""
    rows = conn.execute(
        select(session_project_changes)
        .where(session_project_changes.c.session_id == session_id)
        .order_by(session_project_changes.c.changed_at, session_project_changes.c.id)
    )
    return [_to_change(row) for row in rows]

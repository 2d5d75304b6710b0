"""SQL for merging one project into another: re-pointing history, identities and connections."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, update

from aidis.db.schema import connections, project_workspaces, session_project_changes


def repoint_history(conn: Connection, from_id: uuid.UUID, to_id: uuid.UUID) -> int:
    """Earlier changes that name the merged project now name the one it became (same project)."""
    spc = session_project_changes
    moved = conn.execute(update(spc).where(spc.c.from_project_id == from_id).values(from_project_id=to_id))
    moved_to = conn.execute(update(spc).where(spc.c.to_project_id == from_id).values(to_project_id=to_id))
    return int(moved.rowcount) + int(moved_to.rowcount)


def move_workspaces(conn: Connection, from_id: uuid.UUID, to_id: uuid.UUID) -> int:
    """Give every root and repo of one project to another."""
    pw = project_workspaces
    return int(conn.execute(update(pw).where(pw.c.project_id == from_id).values(project_id=to_id)).rowcount)


def repoint_connections(conn: Connection, from_id: uuid.UUID, to_id: uuid.UUID) -> int:
    """Connections whose current project was the merged one continue in the target."""
    return int(
        conn.execute(
            update(connections)
            .where(connections.c.current_project_id == from_id)
            .values(current_project_id=to_id)
        ).rowcount
    )

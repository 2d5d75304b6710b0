"""SQL for project workspace identities (root directories and repository identities)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select

from aidis.db.schema import project_workspaces
from aidis.enums import WorkspaceKind
from aidis.records import Workspace


def add(conn: Connection, project_id: uuid.UUID, kind: WorkspaceKind, identity: str, now: datetime) -> None:
    """Give `identity` to a project (the unique constraint refuses one another project holds)."""
    conn.execute(
        insert(project_workspaces).values(
            project_id=project_id, kind=kind.value, identity=identity, created_at=now
        )
    )


def remove(conn: Connection, project_id: uuid.UUID, kind: WorkspaceKind, identity: str) -> bool:
    """Take `identity` from a project; False when it did not hold it."""
    result = conn.execute(
        delete(project_workspaces).where(
            project_workspaces.c.project_id == project_id,
            project_workspaces.c.kind == kind.value,
            project_workspaces.c.identity == identity,
        )
    )
    return bool(result.rowcount)


# Built once (asked two or three times by every workspace resolution, so by every call that may
# start a session): only the values are bound per call.
_OWNERS = select(project_workspaces.c.identity, project_workspaces.c.project_id).where(
    project_workspaces.c.kind == bindparam("kind"),
    project_workspaces.c.identity.in_(bindparam("identities", expanding=True)),
)


def owners(conn: Connection, kind: WorkspaceKind, identities: Sequence[str]) -> dict[str, uuid.UUID]:
    """Which project holds each of `identities` (those held by none are absent)."""
    if not identities:
        return {}
    rows = conn.execute(_OWNERS, {"kind": kind.value, "identities": list(identities)})
    return {str(row.identity): row.project_id for row in rows}


def roots_under(conn: Connection, prefix: str, *, limit: int = 20) -> list[uuid.UUID]:
    """Projects holding a root directory below `prefix` (candidates for an ambiguous folder)."""
    base = prefix.rstrip("/") + "/"
    rows = conn.execute(
        select(project_workspaces.c.project_id)
        .where(
            project_workspaces.c.kind == WorkspaceKind.ROOT.value,
            project_workspaces.c.identity.startswith(base, autoescape=True),
        )
        .distinct()
        .limit(limit)
    )
    return [row.project_id for row in rows]


def for_project(conn: Connection, project_id: uuid.UUID) -> list[Workspace]:
    """Every identity a project holds, roots first."""
    rows = conn.execute(
        select(project_workspaces)
        .where(project_workspaces.c.project_id == project_id)
        .order_by(project_workspaces.c.kind.desc(), project_workspaces.c.identity)
    )
    return [Workspace(WorkspaceKind(row.kind), str(row.identity), row.created_at) for row in rows]

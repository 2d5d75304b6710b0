"""SQL for projects."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, exists, func, insert, select, update

from aidis.db.schema import analytics_events, context_vectors, contexts, projects, sessions
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.records import Project
from aidis.repositories import rollups


def _to_project(row: Row[Any]) -> Project:
    return Project(
        id=row.id,
        name=row.name,
        description=row.description,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
        metadata=dict(row.metadata or {}),
    )


def insert_project(
    conn: Connection,
    *,
    project_id: uuid.UUID,
    name: str,
    description: str | None,
    now: datetime,
    metadata: dict[str, Any],
) -> Project:
    """Insert a project row and return it."""
    conn.execute(
        insert(projects).values(
            id=project_id,
            name=name,
            description=description,
            status="active",
            created_at=now,
            updated_at=now,
            metadata=metadata,
        )
    )
    found = get_by_id(conn, project_id)
    assert found is not None
    return found


_BY_ID = select(projects).where(projects.c.id == bindparam("project_id", type_=projects.c.id.type))
_BY_NAME = select(projects).where(projects.c.name == bindparam("name"))


def get_by_id(conn: Connection, project_id: uuid.UUID) -> Project | None:
    """The project with this id, or None."""
    row = conn.execute(_BY_ID, {"project_id": project_id}).first()
    return _to_project(row) if row else None


def get_by_name(conn: Connection, name: str) -> Project | None:
    """The project with exactly this name, or None."""
    row = conn.execute(_BY_NAME, {"name": name}).first()
    return _to_project(row) if row else None


def get_by_name_folded(conn: Connection, name: str) -> Project | None:
    """The project whose name matches case-insensitively, or None."""
    row = conn.execute(select(projects).where(func.lower(projects.c.name) == name.lower())).first()
    return _to_project(row) if row else None


def list_projects(conn: Connection, *, include_archived: bool = True) -> list[Project]:
    """All projects ordered by name."""
    query = select(projects).order_by(projects.c.name)
    if not include_archived:
        query = query.where(projects.c.status == "active")
    return [_to_project(row) for row in conn.execute(query)]


def all_names(conn: Connection) -> list[str]:
    """Every project name (used to suggest close matches)."""
    return list(conn.execute(select(projects.c.name)).scalars())


def session_counts(
    conn: Connection,
    project_ids: Sequence[uuid.UUID] | None = None,
    *,
    unassigned_owner: uuid.UUID | None = None,
) -> dict[uuid.UUID, int]:
    """Number of sessions per project (in Unassigned, only `unassigned_owner`'s when given): closed ones
    from the rollups, open ones (and an owner's own Unassigned ones) counted from their rows."""
    live = select(sessions.c.project_id, func.count()).group_by(sessions.c.project_id)
    if project_ids is not None:
        live = live.where(sessions.c.project_id.in_(project_ids))
    open_only = sessions.c.status == "active"
    scope_ids = list(project_ids) if project_ids is not None else None
    if unassigned_owner is not None:
        live = live.where(
            open_only
            | ((sessions.c.project_id == SENTINEL_PROJECT_ID) & (sessions.c.user_id == unassigned_owner))
        )
        scope_ids = [
            p for p in (scope_ids if scope_ids is not None else all_ids(conn)) if p != SENTINEL_PROJECT_ID
        ]
    else:
        live = live.where(open_only)
    counts = {row[0]: int(row[1]) for row in conn.execute(live)}
    if scope_ids != []:
        for project_id, closed in rollups.per_project(conn, rollups.RollupScope(scope_ids)).items():
            counts[project_id] = counts.get(project_id, 0) + closed
    return counts


def all_ids(conn: Connection) -> list[uuid.UUID]:
    """Every project's id."""
    return list(conn.execute(select(projects.c.id)).scalars())


def dependent_counts(conn: Connection, project_id: uuid.UUID) -> dict[str, int]:
    """How many sessions, contexts and events point at a project."""
    counts: dict[str, int] = {}
    for label, table in (("sessions", sessions), ("contexts", contexts), ("events", analytics_events)):
        counts[label] = int(
            conn.execute(
                select(func.count()).select_from(table).where(table.c.project_id == project_id)
            ).scalar_one()
        )
    return counts


def update_project(conn: Connection, project_id: uuid.UUID, now: datetime, **values: Any) -> None:
    """Update columns of one project."""
    conn.execute(update(projects).where(projects.c.id == project_id).values(updated_at=now, **values))


def move_contexts_and_events(conn: Connection, from_id: uuid.UUID, to_id: uuid.UUID) -> tuple[int, int]:
    """Point every context and event of one project at another; returns the row counts.

    A topic key held (live) in both projects stays with the target's context: the moved one keeps
    its text but loses the key, so the target never holds one key twice.
    """
    target = contexts.alias("target_contexts")
    clash = exists().where(
        target.c.project_id == to_id,
        target.c.topic_key == contexts.c.topic_key,
        target.c.deleted_at.is_(None),
    )
    conn.execute(
        update(contexts)
        .where(contexts.c.project_id == from_id, contexts.c.topic_key.is_not(None), clash)
        .values(topic_key=None)
    )
    moved_contexts = conn.execute(
        update(contexts).where(contexts.c.project_id == from_id).values(project_id=to_id)
    ).rowcount
    # their embeddings are made again under the new project (a vector index reads only new rows)
    conn.execute(delete(context_vectors).where(context_vectors.c.project_id == from_id))
    moved_events = conn.execute(
        update(analytics_events).where(analytics_events.c.project_id == from_id).values(project_id=to_id)
    ).rowcount
    return int(moved_contexts), int(moved_events)


def delete_project(conn: Connection, project_id: uuid.UUID) -> None:
    """Delete one project row (foreign keys refuse if anything still points at it)."""
    conn.execute(delete(projects).where(projects.c.id == project_id))

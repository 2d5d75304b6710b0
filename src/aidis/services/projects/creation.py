"""Creating a project row: the one place a name is checked and a project comes into being with its
`project_created` event, whether a person, an agent or the workspace resolver asks.

Invariant: names are unique ignoring case, never empty, free of control characters and never the
sentinel's; a name taken at the same moment by another transaction is a Conflict, not a duplicate.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_NAME, Actor, EventType
from aidis.errors import Conflict, InvalidInput
from aidis.records import Project
from aidis.repositories import events as events_repo
from aidis.repositories import projects as repo

MAX_NAME_LENGTH = 200


def clean_name(name: str, field: str = "name") -> str:
    """Validate a project name: trimmed, 1–200 characters, no control characters, not reserved."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInput("project name must not be empty", field=field)
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidInput(f"project name must be at most {MAX_NAME_LENGTH} characters", field=field)
    if any(ord(ch) < 32 for ch in cleaned):
        raise InvalidInput("project name must not contain control characters", field=field)
    if cleaned.lower() in (SENTINEL_PROJECT_NAME, SENTINEL_DISPLAY_NAME.lower()):
        raise InvalidInput(f"project name {cleaned!r} is reserved for the unassigned sentinel", field=field)
    return cleaned


def create_project_in(
    conn: Connection,
    name: str,
    *,
    now: datetime,
    actor: Actor,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
    event_details: dict[str, Any] | None = None,
) -> Project:
    """Insert a project and its `project_created` event in the caller's transaction."""
    cleaned = clean_name(name)
    existing = repo.get_by_name_folded(conn, cleaned)
    if existing is not None:
        raise Conflict(f"a project named {existing.name!r} already exists", field="name")
    try:
        with conn.begin_nested():
            project = repo.insert_project(
                conn,
                project_id=uuid.uuid4(),
                name=cleaned,
                description=description,
                now=now,
                metadata=metadata or {},
            )
    except IntegrityError as exc:
        raise Conflict(f"a project named {cleaned!r} already exists", field="name") from exc
    events_repo.insert_project_event(
        conn,
        project_id=project.id,
        event_type=EventType.PROJECT_CREATED,
        actor=actor,
        occurred_at=now,
        payload={"name": cleaned, **(event_details or {})},
    )
    return project

"""Creating a project row: the one place a name is checked and a project comes into being with its
`project_created` event, whether a person, an agent or the workspace resolver asks.

Invariant: names are kept in NFKC form, unique ignoring case and look-alikes (a TR 39 confusable
skeleton equal to another name's is taken too: aidis.services.text.lookalikes), never empty, free of
control and invisible characters and never the sentinel's; a name taken at the same moment by another
transaction is a Conflict, not a duplicate. A name taken by a project the person may not read is
answered "not available", never with that project's name: refusing the name is unavoidable (names are
one namespace per server), confirming or naming what holds it is not.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_NAME, Actor, EventType, Role
from aidis.errors import Conflict, InvalidInput
from aidis.records import Project
from aidis.repositories import events as events_repo
from aidis.repositories import projects as repo
from aidis.services.principal import Principal
from aidis.services.text.lookalikes import clean_visible, lookalike_of

MAX_NAME_LENGTH = 200


def clean_name(name: str, field: str = "name") -> str:
    """Validate a project name: NFKC, trimmed, 1–200 characters, no control or invisible characters, not
    reserved (nor looking like a reserved name)."""
    if len(name) > MAX_NAME_LENGTH * 4:
        raise InvalidInput(f"project name must be at most {MAX_NAME_LENGTH} characters", field=field)
    cleaned = clean_visible(name, field=field, what="project name")
    if not cleaned:
        raise InvalidInput("project name must not be empty", field=field)
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidInput(f"project name must be at most {MAX_NAME_LENGTH} characters", field=field)
    if lookalike_of(cleaned, (SENTINEL_PROJECT_NAME, SENTINEL_DISPLAY_NAME)) is not None:
        raise InvalidInput(f"project name {cleaned!r} is reserved for the unassigned sentinel", field=field)
    return cleaned


def refuse_taken(
    conn: Connection,
    name: str,
    *,
    field: str,
    viewer: Principal | None,
    exclude: uuid.UUID | None = None,
) -> None:
    """Conflict when `name` is taken (ignoring case) or looks like a taken name — naming the holder only
    to a `viewer` who may read it (everyone else learns "not available", the same for every reason).
    `conn` must see every project (it acts for nobody in particular)."""
    holders = {p.name: p for p in repo.list_projects(conn) if p.id != exclude and not p.is_sentinel}
    clash = lookalike_of(name, holders)
    if clash is None:
        return
    holder = holders[clash]
    if viewer is not None and not viewer.may(holder.id, Role.READ):
        raise Conflict(f"the project name {name!r} is not available; choose another", field=field)
    same = clash.casefold() == name.casefold()
    raise Conflict(
        f"a project named {clash!r} already exists"
        if same
        else f"project name {name!r} looks like the existing project {clash!r}; choose another",
        field=field,
    )


def create_project_in(
    conn: Connection,
    name: str,
    *,
    now: datetime,
    actor: Actor,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
    event_details: dict[str, Any] | None = None,
    viewer: Principal | None = None,
) -> Project:
    """Insert a project and its `project_created` event in the caller's transaction (`conn` sees every
    project; `viewer` is the person asking, who learns a holder's name only if they may read it)."""
    cleaned = clean_name(name)
    refuse_taken(conn, cleaned, field="name", viewer=viewer)
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
        raise Conflict(
            f"the project name {cleaned!r} is not available; choose another", field="name"
        ) from exc
    events_repo.insert_project_event(
        conn,
        project_id=project.id,
        event_type=EventType.PROJECT_CREATED,
        actor=actor,
        occurred_at=now,
        payload={"name": cleaned, **(event_details or {})},
    )
    return project

"""SQL for moving a database's content out and back in: select what an export scope holds, and insert
exported rows into another database without ever duplicating one.

Invariant: a session travels with all of its changes, contexts and events (so its counters still
equal its rows after an import), and every row refers only to rows the export also holds (the
projects a session, context or event points at are exported with it). Rows with their own UUID keep
it; rows numbered by the database (changes, revisions, events) are renumbered on import and
deduplicated by a ledger key, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, Table, and_, func, insert, or_, select, union, update

from aidis.db.schema import (
    analytics_events,
    context_revisions,
    contexts,
    project_workspaces,
    projects,
    session_counters,
    session_project_changes,
    sessions,
)
from aidis.db.sqlfuncs import insert_ignoring_duplicates
from aidis.db.types import UTCDateTime, UUIDType
from aidis.enums import SENTINEL_PROJECT_ID

TABLES: dict[str, Table] = {
    "project": projects,
    "workspace": project_workspaces,
    "session": sessions,
    "change": session_project_changes,
    "context": contexts,
    "revision": context_revisions,
    "event": analytics_events,
}
NUMBERED = {"workspace", "change", "revision", "event"}  # their `id` is the database's own counter
BATCH = 500


@dataclass(frozen=True, slots=True)
class ExportScope:
    """What an export holds: some projects (None: all) and sessions started since a time."""

    project_ids: Sequence[uuid.UUID] | None = None
    since: datetime | None = None


def _session_ids(scope: ExportScope) -> Select[Any]:
    query = select(sessions.c.id)
    if scope.project_ids is not None:
        query = query.where(sessions.c.project_id.in_(list(scope.project_ids)))
    if scope.since is not None:
        query = query.where(sessions.c.started_at >= scope.since)
    return query


def _loose(table: Table, time_column: Any, scope: ExportScope) -> list[Any]:
    """Conditions for rows of no session that the scope still holds (project and time)."""
    conditions = [table.c.session_id.is_(None)]
    if scope.project_ids is not None:
        conditions.append(table.c.project_id.in_(list(scope.project_ids)))
    if scope.since is not None:
        conditions.append(time_column >= scope.since)
    return conditions


def _context_ids(scope: ExportScope) -> Select[Any]:
    loose = _loose(contexts, contexts.c.created_at, scope)
    return select(contexts.c.id).where(or_(contexts.c.session_id.in_(_session_ids(scope)), and_(*loose)))


def selections(scope: ExportScope) -> dict[str, Select[Any]]:
    """One query per exported kind, in the order an import needs them."""
    session_ids = _session_ids(scope)
    context_ids = _context_ids(scope)
    event_filter = or_(
        analytics_events.c.session_id.in_(session_ids),
        and_(*_loose(analytics_events, analytics_events.c.occurred_at, scope)),
    )
    referenced = union(
        select(sessions.c.project_id).where(sessions.c.id.in_(session_ids)),
        select(contexts.c.project_id).where(contexts.c.id.in_(context_ids)),
        select(analytics_events.c.project_id).where(event_filter),
        *(
            [select(projects.c.id).where(projects.c.id.in_(list(scope.project_ids)))]
            if scope.project_ids is not None
            else [select(projects.c.id)]
        ),
    ).subquery()
    return {
        "project": select(projects)
        .where(projects.c.id.in_(select(referenced.c[0])), projects.c.id != SENTINEL_PROJECT_ID)
        .order_by(projects.c.created_at, projects.c.id),
        "workspace": select(project_workspaces)
        .where(project_workspaces.c.project_id.in_(select(referenced.c[0])))
        .order_by(project_workspaces.c.id),
        "session": select(sessions)
        .where(sessions.c.id.in_(session_ids))
        .order_by(sessions.c.started_at, sessions.c.id),
        "change": select(session_project_changes)
        .where(session_project_changes.c.session_id.in_(session_ids))
        .order_by(session_project_changes.c.id),
        "context": select(
            *(c for c in contexts.c if c.name != "search_text")
        )  # derived, made again on import
        .where(contexts.c.id.in_(context_ids))
        .order_by(contexts.c.created_at, contexts.c.id),
        "revision": select(context_revisions)
        .where(context_revisions.c.context_id.in_(context_ids))
        .order_by(context_revisions.c.id),
        "event": select(analytics_events).where(event_filter).order_by(analytics_events.c.id),
    }


def count_rows(conn: Connection, scope: ExportScope) -> dict[str, int]:
    """How many rows of each kind the scope holds (for progress bars and the export's summary)."""
    return {
        kind: int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())
        for kind, query in selections(scope).items()
    }


def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def stream(conn: Connection, query: Select[Any]) -> Iterator[dict[str, Any]]:
    """The rows of one export query as JSON-ready dicts, fetched in batches."""
    result = conn.execution_options(yield_per=BATCH).execute(query)
    for row in result:
        yield {key: _encode(value) for key, value in row._mapping.items() if key != "search_vector"}


def decode(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """An exported record as column values of its table (unknown keys are refused by the caller)."""
    table = TABLES[kind]
    values: dict[str, Any] = {}
    for key, value in record.items():
        column = table.c[key]
        if value is not None and isinstance(column.type, UUIDType):
            value = uuid.UUID(str(value))
        elif value is not None and isinstance(column.type, UTCDateTime):
            value = datetime.fromisoformat(str(value))
        values[key] = value
    return values


def columns_of(kind: str) -> set[str]:
    """The column names a record of `kind` may carry."""
    return {c.name for c in TABLES[kind].columns}


def existing_ids(conn: Connection, kind: str, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `ids` already exist in the table of `kind`."""
    if not ids:
        return set()
    table = TABLES[kind]
    return set(conn.execute(select(table.c.id).where(table.c.id.in_(list(ids)))).scalars())


def event_signatures(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
    """(time, type, actor, project) of the events with these ids here, to recognise an event that
    was exported from this very database."""
    if not ids:
        return {}
    e = analytics_events
    rows = conn.execute(
        select(e.c.id, e.c.occurred_at, e.c.event_type, e.c.actor, e.c.project_id).where(
            e.c.id.in_(list(ids))
        )
    )
    return {row.id: (row.occurred_at, row.event_type, row.actor, row.project_id) for row in rows}


def project_ids_by_name(conn: Connection, names: Sequence[str]) -> dict[str, uuid.UUID]:
    """Existing projects' ids by name, for the given names."""
    rows = conn.execute(select(projects.c.name, projects.c.id).where(projects.c.name.in_(list(names))))
    return {row.name: row.id for row in rows}


def taken_display_ids(conn: Connection, display_ids: Sequence[str]) -> set[str]:
    """Which of `display_ids` are already used here."""
    rows = conn.execute(select(sessions.c.display_id).where(sessions.c.display_id.in_(list(display_ids))))
    return set(rows.scalars())


def live_keys(conn: Connection, pairs: Sequence[tuple[uuid.UUID, str]]) -> set[tuple[uuid.UUID, str]]:
    """Which (project, topic key) pairs a live context already holds here."""
    if not pairs:
        return set()
    keys = {key for _, key in pairs}
    rows = conn.execute(
        select(contexts.c.project_id, contexts.c.topic_key).where(
            contexts.c.topic_key.in_(list(keys)), contexts.c.deleted_at.is_(None)
        )
    )
    return {(row.project_id, row.topic_key) for row in rows}


def insert_many(conn: Connection, kind: str, rows: list[dict[str, Any]]) -> None:
    """Insert prepared rows of one kind."""
    if rows:
        conn.execute(insert(TABLES[kind]), rows)


def insert_workspace(conn: Connection, row: dict[str, Any]) -> int:
    """Insert a project workspace unless its identity is already owned; 1 when inserted."""
    return insert_ignoring_duplicates(conn, project_workspaces, row)


def insert_revision(conn: Connection, row: dict[str, Any]) -> int:
    """Insert a context revision unless that revision is already kept; 1 when inserted."""
    return insert_ignoring_duplicates(conn, context_revisions, row)


def raise_display_counter(conn: Connection, year: int, number: int) -> None:
    """Make sure the next session number of `year` comes after `number`."""
    current = conn.execute(
        select(session_counters.c.last_value).where(session_counters.c.year == year)
    ).scalar()
    if current is None:
        conn.execute(insert(session_counters).values(year=year, last_value=number))
    elif int(current) < number:
        conn.execute(
            update(session_counters).where(session_counters.c.year == year).values(last_value=number)
        )

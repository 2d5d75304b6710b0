"""How each TypeScript-AIDIS row becomes ours: one mapping function per source table.

Invariants: nothing is silently re-projected — a session whose project was NULL or the old system's
own sentinel lands in Unassigned marked `metadata.legacy_orphan = true`, and each of its events keeps
its legacy project as evidence (`payload.legacy_project_id`) for `aidis backfill`; the legacy sentinel
maps onto ours and is never copied; columns we do not model are kept under `metadata.legacy`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from aidis.enums import SENTINEL_PROJECT_ID, SENTINEL_PROJECT_NAME, Actor, ContextType, EndReason, EventType
from aidis.repositories import importing as repo
from aidis.repositories import projects as projects_repo
from aidis.repositories import sessions as sessions_repo
from aidis.services.sessions.display_ids import format_display_id

# A mapped row marked with this key is recorded in the ledger but not inserted (it maps onto a row we have).
ONTO_EXISTING = "_onto_existing"
ACTORS = {
    "human": Actor.USER,
    "user": Actor.USER,
    "ai": Actor.AGENT,
    "agent": Actor.AGENT,
    "system": Actor.SYSTEM,
}
CONTEXT_TYPES = {t.value: t for t in ContextType} | {
    "reflections": ContextType.REFLECTION,
    "lessons": ContextType.REFLECTION,
}
KNOWN = {
    "projects": {"id", "name", "description", "status", "created_at", "updated_at", "metadata"},
    "sessions": {
        "id",
        "project_id",
        "agent_type",
        "title",
        "description",
        "status",
        "started_at",
        "last_activity_at",
        "ended_at",
        "input_tokens",
        "output_tokens",
        "tokens_used",
        "metadata",
        "display_id",
        "contexts_created",
    },
    "contexts": {
        "id",
        "project_id",
        "session_id",
        "context_type",
        "content",
        "tags",
        "created_at",
        "metadata",
    },
    "analytics_events": {
        "event_id",
        "timestamp",
        "actor",
        "project_id",
        "session_id",
        "context_id",
        "event_type",
        "payload",
        "status",
        "duration_ms",
        "metadata",
    },
}


@dataclass
class TableSummary:
    """What happened to one source table."""

    source: int = 0
    already: int = 0
    imported: int = 0
    notes: dict[str, int] = field(default_factory=dict)

    def note(self, key: str, n: int = 1) -> None:
        """Count something worth reporting (orphans, dangling links, …)."""
        self.notes[key] = self.notes.get(key, 0) + n

    @property
    def reconciled(self) -> bool:
        """Every source row is accounted for: imported now or before."""
        return self.source == self.already + self.imported


def _json(value: Any) -> Any:
    """Make a source value JSON-safe (datetimes, UUIDs, decimals become strings)."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _extras(row: dict[str, Any], table: str) -> dict[str, Any]:
    return {
        k: _json(v) for k, v in row.items() if k not in KNOWN[table] and k != "embedding" and v is not None
    }


def is_legacy_sentinel(legacy_id: uuid.UUID | None, name: str) -> bool:
    """The TypeScript AIDIS's own "no project" row: our sentinel's id, or a project named __unassigned__."""
    return legacy_id == SENTINEL_PROJECT_ID or name.strip().lower() == SENTINEL_PROJECT_NAME


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def _translate(
    conn: Connection, kind: str, rows: list[dict[str, Any]], column: str
) -> dict[uuid.UUID | None, uuid.UUID]:
    """Legacy id → local id, through the import ledger, for the ids in `column` of `rows`."""
    legacy = {str(v) for r in rows if (v := _uuid(r.get(column)))}
    return {uuid.UUID(k): uuid.UUID(v) for k, v in repo.already_imported(conn, kind, sorted(legacy)).items()}


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment: datetime = value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def map_projects(
    conn: Connection,
    rows: list[dict[str, Any]],
    summary: TableSummary,
    now: datetime,
    idle_timeout: timedelta,
) -> list[Any]:
    """Projects: the legacy sentinel maps onto ours; a taken name gets a `(legacy …)` suffix."""
    out: list[Any] = []
    for row in rows:
        legacy_id = _uuid(row["id"])
        name = str(row["name"]).strip()[:180] or "unnamed"
        if is_legacy_sentinel(legacy_id, name):  # the old plan's sentinel is ours: map, never copy
            out.append((row["id"], {"id": SENTINEL_PROJECT_ID, ONTO_EXISTING: True}))
            summary.note("legacy sentinel mapped onto Unassigned")
            continue
        clash = projects_repo.get_by_name_folded(conn, name)
        if name.lower() in (SENTINEL_PROJECT_NAME, "unassigned") or (
            clash is not None and clash.id != legacy_id
        ):
            name = f"{name} (legacy {str(legacy_id)[:8]})"
            summary.note("renamed (name taken)")
        status = str(row.get("status") or "active")
        local_id = (
            legacy_id if legacy_id and not repo.existing_project_ids(conn, [legacy_id]) else uuid.uuid4()
        )
        metadata = {
            "legacy": {**_json(row.get("metadata") or {}), **_extras(row, "projects"), "status": status}
        }
        out.append(
            (
                row["id"],
                {
                    "id": local_id,
                    "name": name,
                    "description": row.get("description"),
                    "status": "active" if status == "active" else "archived",
                    "created_at": _aware(row.get("created_at")) or now,
                    "updated_at": _aware(row.get("updated_at")) or now,
                    "metadata": metadata,
                },
            )
        )
    return out


def map_sessions(
    conn: Connection,
    rows: list[dict[str, Any]],
    summary: TableSummary,
    now: datetime,
    idle_timeout: timedelta,
) -> list[Any]:
    """Sessions: orphans land in Unassigned marked `legacy_orphan`; stranded open ones are closed."""
    projects_of = _translate(conn, "project", rows, "project_id")
    out = []
    years: dict[int, list[int]] = {}
    prepared: list[dict[str, Any]] = []
    for row in rows:
        started = (
            _aware(row.get("started_at"))
            or _aware(row.get("last_activity_at"))
            or _aware(row.get("ended_at"))
            or now
        )
        last = max(_aware(row.get("last_activity_at")) or started, started)
        ended = _aware(row.get("ended_at"))
        if ended is not None:
            ended = max(ended, started)
            last = max(last, ended)
        legacy_status = str(row.get("status") or ("inactive" if ended else "active"))
        if legacy_status == "active" and ended is None:
            if last < now - idle_timeout:  # left open forever by the old system
                status, reason, ended = (
                    EndReason.RESTART_CLEANUP.status.value,
                    EndReason.RESTART_CLEANUP.value,
                    last,
                )
                summary.note("stranded active sessions closed")
            else:
                status, reason = "active", None
        else:
            ended = ended or last
            status, reason = EndReason.EXPLICIT.status.value, EndReason.EXPLICIT.value
        project_id = projects_of.get(_uuid(row.get("project_id")))
        orphan = project_id is None or project_id == SENTINEL_PROJECT_ID
        if project_id is None:
            summary.note("orphans (NULL project) → Unassigned")
        elif orphan:
            summary.note("orphans (legacy sentinel) → Unassigned")
        years.setdefault(started.year, []).append(len(prepared))
        metadata = {
            "legacy": {
                **_json(row.get("metadata") or {}),
                **_extras(row, "sessions"),
                "status": legacy_status,
                "display_id": row.get("display_id"),
                "description": row.get("description"),
            },
            "legacy_orphan": orphan,
        }
        tokens_in = int(row.get("input_tokens") or row.get("tokens_used") or 0)
        prepared.append(
            {
                "id": _uuid(row["id"]) or uuid.uuid4(),
                "project_id": SENTINEL_PROJECT_ID if orphan else project_id,
                "connection_id": None,
                "agent_type": str(row.get("agent_type") or "unknown")[:64],
                "title": (row.get("title") or None) and str(row["title"])[:500],
                "goal": None,
                "status": status,
                "started_at": started,
                "last_activity_at": last,
                "ended_at": ended,
                "end_reason": reason,
                "input_tokens": max(tokens_in, 0),
                "output_tokens": max(int(row.get("output_tokens") or 0), 0),
                "context_count": 0,
                "event_count": 0,
                "tool_call_count": 0,
                "metadata": metadata,
            }
        )
        out.append((row["id"], prepared[-1]))
    for year, indexes in years.items():
        first = sessions_repo.reserve_display_numbers(conn, year, len(indexes))
        for offset, index in enumerate(indexes):
            prepared[index]["display_id"] = format_display_id(year, first + offset)
    return out


def map_contexts(
    conn: Connection,
    rows: list[dict[str, Any]],
    summary: TableSummary,
    now: datetime,
    idle_timeout: timedelta,
) -> list[Any]:
    """Contexts: the project from the row, else from its session; a missing session is kept as a link."""
    projects_of = _translate(conn, "project", rows, "project_id")
    sessions_of = _translate(conn, "session", rows, "session_id")
    session_projects = repo.existing_session_projects(conn, sessions_of.values())
    out = []
    for row in rows:
        legacy_session = _uuid(row.get("session_id"))
        session_id = sessions_of.get(legacy_session)
        metadata = {**_json(row.get("metadata") or {}), **_extras(row, "contexts")}
        if legacy_session is not None and session_id is None:
            metadata["legacy_session_id"] = str(legacy_session)
            summary.note("linked to a missing session (link kept in metadata)")
        project_id = projects_of.get(_uuid(row.get("project_id")))
        if project_id is None:
            project_id = (
                session_projects.get(session_id, SENTINEL_PROJECT_ID) if session_id else SENTINEL_PROJECT_ID
            )
        legacy_type = str(row.get("context_type") or "note")
        context_type = CONTEXT_TYPES.get(legacy_type, ContextType.NOTE)
        if context_type.value != legacy_type:
            metadata["legacy_context_type"] = legacy_type
        tags = row.get("tags") or []
        out.append(
            (
                row["id"],
                {
                    "id": _uuid(row["id"]) or uuid.uuid4(),
                    "project_id": project_id,
                    "session_id": session_id,
                    "context_type": context_type.value,
                    "content": str(row["content"]),
                    "tags": [str(t)[:64] for t in tags if str(t).strip()][:50],
                    "created_at": _aware(row.get("created_at")) or now,
                    "metadata": metadata,
                },
            )
        )
    return out


def map_analytics_events(
    conn: Connection,
    rows: list[dict[str, Any]],
    summary: TableSummary,
    now: datetime,
    idle_timeout: timedelta,
) -> list[Any]:
    """Events: the session\'s project at import time; the legacy project is kept as backfill evidence."""
    projects_of = _translate(conn, "project", rows, "project_id")
    sessions_of = _translate(conn, "session", rows, "session_id")
    contexts_of = _translate(conn, "context", rows, "context_id")
    session_projects = repo.existing_session_projects(conn, sessions_of.values())
    out = []
    for row in rows:
        legacy_session = _uuid(row.get("session_id"))
        session_id = sessions_of.get(legacy_session)
        legacy_project = projects_of.get(_uuid(row.get("project_id")))
        payload = {
            "legacy": {**_extras(row, "analytics_events"), "metadata": _json(row.get("metadata"))},
            "data": _json(row.get("payload")),
            "legacy_event_id": str(row["event_id"]),
        }
        if legacy_project == SENTINEL_PROJECT_ID:
            legacy_project = None  # "no project" in the old system is not evidence for backfill
        if legacy_project is not None:
            payload["legacy_project_id"] = str(legacy_project)
        if legacy_session is not None and session_id is None:
            payload["legacy_session_id"] = str(legacy_session)
            summary.note("for a missing session (kept, unlinked)")
        if session_id is not None:
            project_id = session_projects[session_id]  # the session's project at import time
        else:
            project_id = legacy_project or SENTINEL_PROJECT_ID
        legacy_type = str(row.get("event_type") or "unknown")
        if legacy_type in (EventType.SESSION_START.value, EventType.SESSION_END.value):
            event_type = legacy_type
        else:
            event_type = (
                EventType.CONTEXT_STORED.value if "context" in legacy_type else EventType.TOOL_CALL.value
            )
            payload["legacy_event_type"] = legacy_type
        context_id = contexts_of.get(_uuid(row.get("context_id")))
        out.append(
            (
                row["event_id"],
                {
                    "occurred_at": _aware(row.get("timestamp")) or now,
                    "actor": ACTORS.get(str(row.get("actor") or "").lower(), Actor.IMPORT).value,
                    "event_type": event_type,
                    "project_id": project_id,
                    "session_id": session_id,
                    "context_id": context_id,
                    "tool_name": None,
                    "status": "error" if str(row.get("status") or "") == "error" else "ok",
                    "duration_ms": row.get("duration_ms"),
                    "payload": payload,
                },
            )
        )
    return out


MAPPERS = {
    "projects": map_projects,
    "sessions": map_sessions,
    "contexts": map_contexts,
    "analytics_events": map_analytics_events,
}

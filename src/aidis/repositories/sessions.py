"""SQL for sessions, their display-id counter, and the project each one belongs to."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from aidis.db.schema import projects, session_counters, sessions
from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_ID, SessionStatus
from aidis.records import Session

_COLUMNS = (*sessions.c, projects.c.name.label("project_name"))


def session_query() -> Select[Any]:
    """Sessions with their project's name."""
    return select(*_COLUMNS).join(projects, projects.c.id == sessions.c.project_id)


def to_session(row: Row[Any], project_name: str | None = None) -> Session:
    """A session record from a row (with `project_name` when the row has none)."""
    return Session(
        id=row.id,
        display_id=row.display_id,
        project_id=row.project_id,
        project_name=project_name if project_name is not None else row.project_name,
        connection_id=row.connection_id,
        agent_type=row.agent_type,
        title=row.title,
        goal=row.goal,
        status=row.status,
        started_at=row.started_at,
        last_activity_at=row.last_activity_at,
        ended_at=row.ended_at,
        end_reason=row.end_reason,
        input_tokens=int(row.input_tokens),
        output_tokens=int(row.output_tokens),
        context_count=int(row.context_count),
        event_count=int(row.event_count),
        tool_call_count=int(row.tool_call_count),
        metadata=dict(row.metadata or {}),
        user_id=getattr(row, "user_id", None),
    )


def next_display_number(conn: Connection, year: int) -> int:
    """Reserve the next per-year session number; the row lock serialises concurrent starts."""
    bumped = conn.execute(
        update(session_counters)
        .where(session_counters.c.year == year)
        .values(last_value=session_counters.c.last_value + 1)
        .returning(session_counters.c.last_value)
    ).scalar_one_or_none()
    if bumped is not None:
        return int(bumped)
    # First session of the year: create the counter. A concurrent creator makes this insert
    # fail on the primary key; the savepoint lets us fall back to the update.
    try:
        with conn.begin_nested():
            conn.execute(insert(session_counters).values(year=year, last_value=1))
    except IntegrityError:
        return next_display_number(conn, year)
    return 1


def insert_session(
    conn: Connection,
    *,
    session_id: uuid.UUID,
    display_id: str,
    project_id: uuid.UUID,
    connection_id: str | None,
    agent_type: str,
    title: str | None,
    goal: str | None,
    now: datetime,
    metadata: dict[str, Any],
    user_id: uuid.UUID | None = None,
) -> None:
    """Insert an active session row (owned by `user_id` on a team server)."""
    conn.execute(
        insert(sessions).values(
            id=session_id,
            user_id=user_id,
            display_id=display_id,
            project_id=project_id,
            connection_id=connection_id,
            agent_type=agent_type,
            title=title,
            goal=goal,
            status=SessionStatus.ACTIVE.value,
            started_at=now,
            last_activity_at=now,
            metadata=metadata,
        )
    )


# Hot-path statements are built once: SQLAlchemy then only binds values (no construction, no cache-key walk).
_BY_ID = session_query().where(sessions.c.id == bindparam("session_id", type_=sessions.c.id.type))
_OPEN = session_query().where(
    sessions.c.connection_id == bindparam("connection_id"), sessions.c.status == "active"
)
_OPEN_LOCKED = _OPEN.with_for_update(
    of=sessions
)  # SQLite leaves FOR UPDATE out (it locks on BEGIN IMMEDIATE)


def get_session(conn: Connection, session_id: uuid.UUID) -> Session | None:
    """The session with this id, or None."""
    row = conn.execute(_BY_ID, {"session_id": session_id}).first()
    return to_session(row) if row else None


def get_by_display_id(conn: Connection, display_id: str) -> Session | None:
    """The session with this display id (e.g. SES-2026-00001), or None."""
    row = conn.execute(session_query().where(sessions.c.display_id == display_id)).first()
    return to_session(row) if row else None


def get_open_for_connection(conn: Connection, connection_id: str, *, lock: bool = False) -> Session | None:
    """The active session of a connection, if any (locked until the transaction ends with `lock`)."""
    row = conn.execute(_OPEN_LOCKED if lock else _OPEN, {"connection_id": connection_id}).first()
    return to_session(row) if row else None


def set_metadata(conn: Connection, session_id: uuid.UUID, metadata: dict[str, Any]) -> None:
    """Replace a session's metadata (the caller read it in the same transaction)."""
    conn.execute(update(sessions).where(sessions.c.id == session_id).values(metadata=metadata))


def set_exact_tokens(
    conn: Connection, session_id: uuid.UUID, *, input_tokens: int, output_tokens: int
) -> None:
    """Set a session's token totals from the agent's own transcript (exact figures replace estimates)."""
    conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id)
        .values(input_tokens=input_tokens, output_tokens=output_tokens)
    )


def reopen(conn: Connection, session_id: uuid.UUID, *, now: datetime) -> bool:
    """Make an ended session active again (a resumed agent session); False if it is open already."""
    result = conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.status != "active")
        .values(
            status="active",
            ended_at=None,
            end_reason=None,
            last_activity_at=case(
                (sessions.c.last_activity_at > now, sessions.c.last_activity_at), else_=now
            ),
        )
    )
    return bool(result.rowcount)


def latest_for_connection(conn: Connection, connection_id: str) -> Session | None:
    """The most recently started session of a connection, open or not."""
    row = conn.execute(
        session_query()
        .where(sessions.c.connection_id == connection_id)
        .order_by(sessions.c.started_at.desc())
        .limit(1)
    ).first()
    return to_session(row) if row is not None else None


def recent_in_project(conn: Connection, project_id: uuid.UUID, *, limit: int) -> list[Session]:
    """A project's most recently started sessions."""
    rows = conn.execute(
        session_query()
        .where(sessions.c.project_id == project_id)
        .order_by(sessions.c.started_at.desc())
        .limit(limit)
    )
    return [to_session(row) for row in rows]


@functools.cache
def _open_by_prefixes_in_project(prefixes: tuple[str, ...]) -> Select[Any]:
    """Built once per set of prefixes: only the project is bound per call."""
    return (
        session_query()
        .where(
            sessions.c.status == "active",
            sessions.c.project_id == bindparam("in_project", type_=sessions.c.project_id.type),
            or_(*(sessions.c.connection_id.startswith(prefix, autoescape=True) for prefix in prefixes)),
        )
        .order_by(sessions.c.started_at.desc())
        .limit(10 * len(prefixes))
    )


def open_by_prefixes_in_project(
    conn: Connection, prefixes: tuple[str, ...], project_id: uuid.UUID, *, exclude_connection: str | None
) -> list[Session]:
    """Open sessions of connections named `prefix…` (any of `prefixes`) in a project, newest first
    (a few), in one statement."""
    if not prefixes:
        return []
    rows = conn.execute(_open_by_prefixes_in_project(prefixes), {"in_project": project_id})
    return [to_session(row) for row in rows if row.connection_id != exclude_connection]


def recently_ended_by_prefix(conn: Connection, prefix: str, *, since: datetime) -> list[Session]:
    """Sessions of connections named `prefix…` that ended since `since`, newest first."""
    rows = conn.execute(
        session_query()
        .where(sessions.c.connection_id.startswith(prefix, autoescape=True), sessions.c.ended_at >= since)
        .order_by(sessions.c.ended_at.desc())
        .limit(20)
    )
    return [to_session(row) for row in rows]


def moved_activity(now: datetime) -> Any:
    """`last_activity_at` after a move at `now`: an open session's move is activity, so it can never
    be closed (at its last activity) before the change that put it in its project."""
    return case(
        (and_(sessions.c.status == "active", sessions.c.last_activity_at < now), now),
        else_=sessions.c.last_activity_at,
    )


def set_project(conn: Connection, session_id: uuid.UUID, project_id: uuid.UUID, *, now: datetime) -> None:
    """Point a session at a project."""
    conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id)
        .values(project_id=project_id, last_activity_at=moved_activity(now))
    )


def set_project_many(
    conn: Connection, session_ids: Sequence[uuid.UUID], project_id: uuid.UUID, *, now: datetime
) -> int:
    """Point many sessions at one project; returns how many rows changed."""
    if not session_ids:
        return 0
    result = conn.execute(
        update(sessions)
        .where(sessions.c.id.in_(session_ids))
        .values(project_id=project_id, last_activity_at=moved_activity(now))
    )
    return int(result.rowcount)


def end_session(
    conn: Connection, session_id: uuid.UUID, *, ended_at: datetime, status: str, reason: str
) -> bool:
    """Close an active session; False when it was not active (nothing changed)."""
    result = conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.status == "active")
        .values(ended_at=ended_at, status=status, end_reason=reason)
    )
    return result.rowcount == 1


def end_many_at_last_activity(
    conn: Connection, session_ids: Sequence[uuid.UUID], *, status: str, reason: str, idle_before: datetime
) -> list[uuid.UUID]:
    """Close the sessions among `session_ids` still active and still idle since `idle_before`, at their
    last activity; return those closed.

    Only the returned ids were closed by this statement, so a concurrent closer never double-counts,
    and a session that saw activity after it was picked is left open.
    """
    if not session_ids:
        return []
    result = conn.execute(
        update(sessions)
        .where(
            sessions.c.id.in_(session_ids),
            sessions.c.status == "active",
            sessions.c.last_activity_at < idle_before,
        )
        .values(ended_at=sessions.c.last_activity_at, status=status, end_reason=reason)
        .returning(sessions.c.id)
    )
    return list(result.scalars())


ADD_ACTIVITY = (
    update(sessions)
    .where(sessions.c.id == bindparam("sid", type_=sessions.c.id.type))
    .values(
        last_activity_at=case(
            (
                sessions.c.last_activity_at > bindparam("now", type_=sessions.c.last_activity_at.type),
                sessions.c.last_activity_at,
            ),
            else_=bindparam("now", type_=sessions.c.last_activity_at.type),
        ),
        input_tokens=sessions.c.input_tokens + bindparam("input_tokens", type_=sessions.c.input_tokens.type),
        output_tokens=sessions.c.output_tokens
        + bindparam("output_tokens", type_=sessions.c.output_tokens.type),
        context_count=sessions.c.context_count + bindparam("contexts", type_=sessions.c.context_count.type),
        event_count=sessions.c.event_count + bindparam("events", type_=sessions.c.event_count.type),
        tool_call_count=sessions.c.tool_call_count
        + bindparam("tool_calls", type_=sessions.c.tool_call_count.type),
    )
    .returning(*sessions.c)
)


def add_activity(
    conn: Connection,
    session_id: uuid.UUID,
    *,
    now: datetime,
    input_tokens: int = 0,
    output_tokens: int = 0,
    contexts: int = 0,
    events: int = 0,
    tool_calls: int = 0,
    project_name: str | None = None,
) -> Session | None:
    """Bump a session's activity time and counters, in the caller's transaction; the session after it.

    With the project's name known (the caller read the session in this transaction), the updated
    row comes back from the UPDATE itself; otherwise it is read again.
    """
    row = conn.execute(
        ADD_ACTIVITY,
        {
            "sid": session_id,
            "now": now,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "contexts": contexts,
            "events": events,
            "tool_calls": tool_calls,
        },
    ).first()
    if row is None:
        return None
    if project_name is None:
        return get_session(conn, session_id)
    return to_session(row, project_name)


def open_session_ids_idle_since(conn: Connection, cutoff: datetime, *, limit: int) -> list[uuid.UUID]:
    """Ids of active sessions whose last activity is before `cutoff`, oldest first."""
    return list(
        conn.execute(
            select(sessions.c.id)
            .where(sessions.c.status == "active", sessions.c.last_activity_at < cutoff)
            .order_by(sessions.c.last_activity_at)
            .limit(limit)
        ).scalars()
    )


def ids_in_project(conn: Connection, project_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of every session of a project."""
    return list(conn.execute(select(sessions.c.id).where(sessions.c.project_id == project_id)).scalars())


def reserve_display_numbers(conn: Connection, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers for `year` in one statement; return the first."""
    last = next_display_number(conn, year)  # takes one (and creates the counter if needed)
    if count > 1:
        last = int(
            conn.execute(
                update(session_counters)
                .where(session_counters.c.year == year)
                .values(last_value=session_counters.c.last_value + (count - 1))
                .returning(session_counters.c.last_value)
            ).scalar_one()
        )
    return last - count + 1


def count_by_project(conn: Connection, session_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    """How many of `session_ids` each project holds, by display name ('Unassigned' for the sentinel)."""
    if not session_ids:
        return {}
    rows = conn.execute(
        select(sessions.c.project_id, projects.c.name, func.count())
        .join(projects, projects.c.id == sessions.c.project_id)
        .where(sessions.c.id.in_(session_ids))
        .group_by(sessions.c.project_id, projects.c.name)
    )
    return {(SENTINEL_DISPLAY_NAME if row[0] == SENTINEL_PROJECT_ID else row[1]): int(row[2]) for row in rows}


def owner_of(conn: Connection, session_id: uuid.UUID) -> uuid.UUID | None:
    """The person a session belongs to (None: nobody in particular)."""
    return conn.execute(select(sessions.c.user_id).where(sessions.c.id == session_id)).scalar()

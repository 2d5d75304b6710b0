"""SQL for listing sessions: one filter shape for every listing, the allowed sorts, keyset paging.

Invariant: the API, the dashboard, the CLI and the MCP tool filter with the same `SessionFilter`
and page with the same keyset cursor, so a session can never appear on one surface and be missing
from another's list for the same filter.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select

from aidis.db.schema import sessions
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.records import Cursor, Session, SessionFilter
from aidis.repositories.sessions import session_query, to_session


def _apply_filter(query: Select[Any], flt: SessionFilter) -> Select[Any]:
    conditions = []
    if flt.project_id is not None:
        conditions.append(sessions.c.project_id == flt.project_id)
    if flt.readable is not None:
        conditions.append(sessions.c.project_id.in_(list(flt.readable)))
    if flt.unassigned_owner is not None:
        conditions.append(
            or_(sessions.c.project_id != SENTINEL_PROJECT_ID, sessions.c.user_id == flt.unassigned_owner)
        )
    if flt.unassigned:
        conditions.append(sessions.c.project_id == SENTINEL_PROJECT_ID)
    if flt.status is not None:
        conditions.append(sessions.c.status == flt.status)
    if flt.agent_type is not None:
        conditions.append(sessions.c.agent_type == flt.agent_type)
    if flt.since is not None:
        conditions.append(sessions.c.started_at >= flt.since)
    if flt.until is not None:
        conditions.append(sessions.c.started_at < flt.until)
    if flt.text:
        pattern = f"%{flt.text.lower()}%"
        conditions.append(
            or_(
                func.lower(sessions.c.title).like(pattern),
                func.lower(sessions.c.goal).like(pattern),
                func.lower(sessions.c.display_id).like(pattern),
            )
        )
    return query.where(and_(*conditions)) if conditions else query


SORTS = {
    "-started_at": (sessions.c.started_at, True),
    "started_at": (sessions.c.started_at, False),
    "-last_activity_at": (sessions.c.last_activity_at, True),
    "last_activity_at": (sessions.c.last_activity_at, False),
}


def list_sessions(
    conn: Connection,
    flt: SessionFilter,
    *,
    limit: int,
    offset: int = 0,
    sort: str = "-started_at",
    after: Cursor | None = None,
) -> list[Session]:
    """Sessions matching `flt` in `sort` order; page by `after` (keyset, fast) or `offset`."""
    column, descending = SORTS[sort]
    query = _apply_filter(session_query(), flt)
    if after is not None:
        if descending:
            query = query.where(or_(column < after.key, and_(column == after.key, sessions.c.id > after.id)))
        else:
            query = query.where(or_(column > after.key, and_(column == after.key, sessions.c.id > after.id)))
    order = column.desc() if descending else column.asc()
    rows = conn.execute(query.order_by(order, sessions.c.id).limit(limit).offset(offset))
    return [to_session(row) for row in rows]


def count_sessions(conn: Connection, flt: SessionFilter) -> int:
    """How many sessions match `flt`."""
    query = _apply_filter(select(func.count()).select_from(sessions), flt)
    return int(conn.execute(query).scalar_one())

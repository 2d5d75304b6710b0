"""SQL for agent sessions (connections named `<agent>:<agent session id>`): the open ones, for joining an
MCP server's connection to its agent's session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, or_

from aidis.db.schema import sessions
from aidis.records import Session
from aidis.repositories.sessions import session_query, to_session

MAX_OPEN = 200


def open_agent_sessions(conn: Connection, prefixes: Sequence[str]) -> list[Session]:
    """Open sessions of connections named `prefix…` for any of `prefixes`, newest first (bounded)."""
    if not prefixes:
        return []
    query = session_query().where(
        sessions.c.status == "active",
        or_(*(sessions.c.connection_id.startswith(p, autoescape=True) for p in prefixes)),
    )
    return [
        to_session(row) for row in conn.execute(query.order_by(sessions.c.started_at.desc()).limit(MAX_OPEN))
    ]

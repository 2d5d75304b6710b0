"""One AIDIS session per agent session: started (or continued, or reopened) by the agent's start event,
in the project of its working directory, and linked across `/clear`.

Invariants: the agent's own session id is the key (connection `<agent>:<session_id>`, inside the
person's namespace on a team server: `u:<user>/<agent>:<session_id>`); `resume`,
`compact` and a repeated `startup` continue the session, reopening it (recorded as a `session_start`
event with `reopened: true`) when the reaper had closed it; `clear` starts a new session and links the
cleared one's connection to it, so an MCP server still using the old id continues in the new one; the
agent's process ancestry is kept so its MCP server, which gets no session id, can be joined to this
session (aidis.services.sessions.joining).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from aidis.enums import Actor, EventType, WorkspaceSource
from aidis.records import Session
from aidis.repositories import events as events_repo
from aidis.repositories import hooks as repo
from aidis.repositories import sessions as sessions_repo
from aidis.services.base import ServiceBase
from aidis.services.caller import WorkspaceHint
from aidis.services.principal import Principal, connection_prefix, current_principal
from aidis.services.sessions.lifecycle import SessionService

CLEAR_LINK_WINDOW = timedelta(minutes=5)
PROCESS_NAME = re.compile(r"^\d{1,10}:[\w.:-]{1,40}$")
MAX_ANCESTORS = 12


def connection_for(agent: str, agent_session_id: str, principal: Principal | None = None) -> str:
    """The AIDIS connection id of an agent session (its hooks share it; Claude Code's MCP server too),
    within the person it acts for on a team server: another person's hooks naming the same agent session
    id reach another connection, so one person's agent sessions are out of everyone else's reach."""
    return f"{connection_prefix(principal)}{agent}:{agent_session_id}"


def clean_ancestors(raw: Any) -> list[str] | None:
    """The process names a hook recorded (see aidis.hooks.ancestry), or None when there are none usable."""
    if not isinstance(raw, list):
        return None
    names = [str(item) for item in raw[:MAX_ANCESTORS] if isinstance(item, str) and PROCESS_NAME.match(item)]
    return names or None


class AgentSessions(ServiceBase):
    """Start, continue, reopen and link agent sessions (used by the hook service)."""

    sessions: SessionService

    def _start(
        self,
        conn: Connection,
        agent: str,
        connection_id: str,
        payload: dict[str, Any],
        now: datetime,
        ancestors: list[str] | None,
    ) -> tuple[str, Session]:
        source = str(payload.get("source") or "startup")
        open_session = sessions_repo.get_open_for_connection(conn, connection_id, lock=True)
        if open_session is not None:
            touched = self.sessions.touch_in(conn, open_session.id, now=now)
            return f"continued ({source})", self._remember(conn, touched, agent_processes=ancestors)
        previous = sessions_repo.latest_for_connection(conn, connection_id)
        if previous is not None and source in ("resume", "compact", "startup"):
            sessions_repo.reopen(conn, previous.id, now=now)
            events_repo.insert_session_event(
                conn,
                session_id=previous.id,
                event_type=EventType.SESSION_START,
                actor=Actor.AGENT,
                occurred_at=max(now, previous.last_activity_at),
                payload={"reopened": True, "source": source, "previous_end_reason": previous.end_reason},
            )
            reopened = sessions_repo.get_session(conn, previous.id)
            assert reopened is not None
            reopened = self._remember(conn, reopened, agent_processes=ancestors)
            return f"reopened ({source}; was {previous.end_reason})", reopened
        started = self._open(conn, agent, connection_id, payload, now, ancestors)
        if source == "clear":
            started = self._link_cleared(conn, agent, connection_id, payload, started, now)
        return f"started ({source})", started

    def _open(
        self,
        conn: Connection,
        agent: str,
        connection_id: str,
        payload: dict[str, Any],
        now: datetime,
        ancestors: list[str] | None = None,
    ) -> Session:
        cwd = payload.get("cwd")
        hints = (WorkspaceHint(cwd, WorkspaceSource.HOOK),) if isinstance(cwd, str) and cwd else ()
        started = self.sessions.start_in(
            conn,
            connection_id=connection_id,
            agent_type=agent,
            now=now,
            workspaces=hints,
            actor=Actor.AGENT,
            link_agent_session=False,  # this is the agent session itself
        )
        return self._remember(
            conn,
            started,
            agent_session_id=str(payload["session_id"]),
            agent_cwd=cwd,
            agent_processes=ancestors,
        )

    def _link_cleared(
        self,
        conn: Connection,
        agent: str,
        connection_id: str,
        payload: dict[str, Any],
        started: Session,
        now: datetime,
    ) -> Session:
        """After /clear the agent's MCP server still uses the old session id: route it to the new session."""
        cwd = payload.get("cwd")
        for candidate in sessions_repo.recently_ended_by_prefix(
            conn, connection_for(agent, "", current_principal()), since=now - CLEAR_LINK_WINDOW
        ):
            if (
                candidate.metadata.get("agent_end_reason") == "clear"
                and candidate.metadata.get("agent_cwd") == cwd
            ):
                assert candidate.connection_id is not None
                repo.link(conn, candidate.connection_id, connection_id, now=now, reason="clear")
                return self._remember(conn, started, cleared_from=candidate.display_id)
        return started

    def _remember(self, conn: Connection, session: Session, **facts: Any) -> Session:
        """Merge facts into the session's metadata (None values leave a fact as it was)."""
        fresh = {k: v for k, v in facts.items() if v is not None}
        if all(session.metadata.get(k) == v for k, v in fresh.items()):
            return session
        sessions_repo.set_metadata(conn, session.id, {**session.metadata, **fresh})
        updated = sessions_repo.get_session(conn, session.id)
        assert updated is not None
        return updated

"""Switching a connection's project and counting calls that do nothing else: the connection's
current project, its open session's project and the call's accounting change in one transaction.

Invariant: a switch re-pins the open session with a recorded change (never a silent overwrite) and
makes the project the connection's current one, so its next session starts there too; a read-only
call is counted on an open session but never opens one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection

from aidis.enums import SENTINEL_PROJECT_ID, Actor, ChangeReason, ProjectStatus, Role
from aidis.errors import Conflict
from aidis.records import Project, Session
from aidis.repositories import connections as connections_repo
from aidis.repositories import sessions as repo
from aidis.services.caller import Caller, ToolCall, WorkspaceHint, estimate_tokens
from aidis.services.principal import current_principal, require
from aidis.services.projects.catalog import find_project
from aidis.services.sessions.accounting import SessionAccounting
from aidis.services.sessions.moves import SessionMoves


def refuse_archived(project: Project) -> None:
    """An archived project takes no new sessions (a Conflict naming the project)."""
    if project.status == ProjectStatus.ARCHIVED:
        raise Conflict(f"project {project.name!r} is archived; it takes no new sessions", field="project")


class SessionSwitching(SessionMoves, SessionAccounting):
    """Assign or switch a connection's project; count calls that only read."""

    def ensure_in(
        self,
        conn: Connection,
        *,
        connection_id: str,
        agent_type: str,
        transport: str,
        now: datetime,
        workspaces: Sequence[WorkspaceHint] = (),
        agent_process: str | None = None,
    ) -> Session:
        """The connection's open session, started lazily (provided by SessionService)."""
        raise NotImplementedError

    def ensure_caller_in(
        self, conn: Connection, caller: Caller, *, now: datetime, use_workspaces: bool = True
    ) -> Session:
        """The caller's open session, started lazily from its workspace evidence (unless the call names
        its project, which is stronger evidence than any workspace)."""
        return self.ensure_in(
            conn,
            connection_id=caller.connection_id,
            agent_type=caller.agent_type,
            transport=caller.transport,
            workspaces=caller.workspaces if use_workspaces else (),
            now=now,
            agent_process=caller.agent_process,
        )

    def assign_open(
        self, caller: Caller, project: str, *, call: ToolCall | None = None, actor: Actor = Actor.AGENT
    ) -> Session:
        """Move the caller's open session (started lazily) to a project, recording the change.

        The project becomes the connection's current one, so its next session starts there too.
        """
        now = self.clock()
        with self.unit_of_work() as conn:
            target = find_project(conn, project)
            session = self.ensure_caller_in(conn, caller, now=now, use_workspaces=False)
            moved = self.assign_in(
                conn, session, target, reason=ChangeReason.EXPLICIT_ASSIGN, actor=actor, now=now
            )
            connections_repo.set_current_project(conn, caller.connection_id, target.id)
            return self.count_call_in(conn, moved, call, now)

    def switch_project(
        self,
        connection_id: str,
        project: str,
        *,
        agent_type: str = "unknown",
        transport: str = "api",
        actor: Actor = Actor.AGENT,
        call: ToolCall | None = None,
    ) -> tuple[Project, Session | None]:
        """Set the connection's current project and re-pin its open session (recorded as a change)."""
        now = self.clock()
        with self.unit_of_work() as conn:
            connections_repo.upsert_connection(
                conn, connection_id=connection_id, transport=transport, agent_type=agent_type, now=now
            )
            target = find_project(conn, project)
            refuse_archived(target)
            require(target.id, Role.WRITE, target.name)
            connections_repo.set_current_project(conn, connection_id, target.id)
            open_session = repo.get_open_for_connection(conn, connection_id, lock=True)
            moved = None
            if open_session is not None:
                moved = self.assign_in(
                    conn, open_session, target, reason=ChangeReason.PROJECT_SWITCH, actor=actor, now=now
                )
                moved = self.count_call_in(conn, moved, call, now)
            return target, moved

    def record_call(
        self, caller: Caller, tool: str, *, input_chars: int, output_chars: int = 0, start: bool = False
    ) -> Session | None:
        """Count a tool call that does no other writing on the caller's open session.

        With `start`, a session is started lazily first; otherwise a caller without an open session
        is left alone (a read must not open a session) and None is returned.
        """
        principal = current_principal()
        if principal is not None and not principal.records and not start:
            return None  # a read-only token's reads are audited, never counted on a session
        now = self.clock()
        with self.unit_of_work() as conn:
            if start:
                session: Session | None = self.ensure_caller_in(conn, caller, now=now)
            else:
                session = repo.get_open_for_connection(conn, caller.connection_id, lock=True)
            if session is None:
                return None
            return self.count_chars_in(conn, session, tool, input_chars, output_chars, now)

    def count_chars_in(
        self,
        conn: Connection,
        session: Session,
        tool: str,
        input_chars: int,
        output_chars: int,
        now: datetime,
    ) -> Session:
        """Count a call that does nothing else on `session`, its tokens estimated from its size."""
        return self.record_call_in(
            conn,
            session,
            tool=tool,
            now=now,
            input_tokens=estimate_tokens(input_chars),
            output_tokens=estimate_tokens(output_chars),
        )


def project_for_new_session(
    conn: Connection, connection_id: str | None, project: str | None
) -> tuple[uuid.UUID, str]:
    """Where a new session goes before any workspace evidence: the named project (which the person must
    be able to write), else the connection's current one (if they still may write it), else Unassigned."""
    if project is not None:
        chosen = find_project(conn, project)
        refuse_archived(chosen)
        require(chosen.id, Role.WRITE, chosen.name)
        return chosen.id, "explicit"
    if connection_id is not None:
        state = connections_repo.get_connection(conn, connection_id)
        if state is not None and state.current_project_id is not None:
            principal = current_principal()
            if principal is None or principal.may(state.current_project_id, Role.WRITE):
                return state.current_project_id, "connection"
    require(SENTINEL_PROJECT_ID, Role.WRITE, "Unassigned")  # a token limited to projects acts nowhere else
    return SENTINEL_PROJECT_ID, "sentinel"

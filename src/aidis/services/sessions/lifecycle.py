"""The session lifecycle: lazy start, project resolution, assign, end (idle reaping, accounting and
workspace attribution are in session_reaping, session_accounting and session_attribution; switching
and read-only call counting in session_switching).

No session state lives in process memory: the open session of a connection is the row with
`status = 'active'` for that connection id, and every counter moves inside the transaction
that did the work.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from aidis.enums import (
    SENTINEL_PROJECT_ID,
    Actor,
    AuditKind,
    ChangeReason,
    EndReason,
    EventType,
    Role,
)
from aidis.errors import Conflict, InvalidInput
from aidis.records import Session
from aidis.repositories import connections as connections_repo
from aidis.repositories import events as events_repo
from aidis.repositories import hooks as hooks_repo
from aidis.repositories import sessions as repo
from aidis.services.base import Clock
from aidis.services.caller import ToolCall, WorkspaceHint
from aidis.services.principal import current_principal, require, require_recording
from aidis.services.projects.resolver import Attribution, usable
from aidis.services.sessions.attribution import writable_for
from aidis.services.sessions.display_ids import next_display_id
from aidis.services.sessions.joining import join_agent_session
from aidis.services.sessions.lookup import SessionLookup, describe_span, find_session
from aidis.services.sessions.reaping import EndingListener, SessionReaping
from aidis.services.sessions.status import SessionStatus
from aidis.services.sessions.switching import project_for_new_session
from aidis.telemetry import Telemetry, after_commit

log = logging.getLogger("aidis.sessions")

MAX_TITLE = 500
MAX_GOAL = 4000


def _check_text(value: str | None, limit: int, field: str) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} must be at most {limit} characters", field=field)
    return cleaned or None


class SessionService(SessionStatus, SessionLookup, SessionReaping):
    """Start, find, move and end sessions (attribution, accounting and reaping live in their own modules)."""

    def __init__(self, engine: Engine, clock: Clock, telemetry: Telemetry | None = None) -> None:
        super().__init__(engine, clock, telemetry)
        self.ending: list[EndingListener] = []  # run in the transaction, just before a session ends

    # ---- in-transaction building blocks (used by other services, e.g. contexts) -------------

    def start_in(
        self,
        conn: Connection,
        *,
        connection_id: str | None,
        agent_type: str,
        project: str | None = None,
        title: str | None = None,
        goal: str | None = None,
        actor: Actor = Actor.AGENT,
        now: datetime,
        tags: Sequence[str] = (),
        workspaces: Sequence[WorkspaceHint] = (),
        link_agent_session: bool = True,
        known_closed: bool = False,
    ) -> Session:
        """Start a session inside `conn`'s transaction, resolving and persisting its project
        (`known_closed`: the caller has just ended or looked up the connection's open session).

        Project: explicit → the workspace the caller reported (strongest evidence first; an
        ambiguous one stops here, Unassigned with candidates) → the connection's current project →
        the Unassigned sentinel. A workspace attribution is recorded as a change (reason `workspace`).
        """
        with self.telemetry.tracer.start_as_current_span("aidis.session.start") as span:
            started = self._start(
                conn,
                connection_id=connection_id,
                agent_type=agent_type,
                project=project,
                title=title,
                goal=goal,
                actor=actor,
                now=now,
                tags=tags,
                workspaces=workspaces,
                link_agent_session=link_agent_session,
                known_closed=known_closed,
            )
            describe_span(span, started, "ok")
        metrics = self.telemetry.metrics
        after_commit(
            conn,
            lambda: metrics.sessions_started.labels(
                metrics.project_label(started.project_display_name)
            ).inc(),
        )
        return started

    def _start(
        self,
        conn: Connection,
        *,
        connection_id: str | None,
        agent_type: str,
        project: str | None,
        title: str | None,
        goal: str | None,
        actor: Actor,
        now: datetime,
        tags: Sequence[str],
        workspaces: Sequence[WorkspaceHint] = (),
        link_agent_session: bool = True,
        known_closed: bool = False,
    ) -> Session:
        require_recording()  # a read-only token opens no session, not even in Unassigned
        title = self.redactor.clean_optional(_check_text(title, MAX_TITLE, "title"), "title")
        goal = self.redactor.clean_optional(_check_text(goal, MAX_GOAL, "goal"), "goal")
        if connection_id is not None and not known_closed:
            open_session = repo.get_open_for_connection(conn, connection_id)
            if open_session is not None:
                raise Conflict(
                    f"connection already has open session {open_session.display_id}; end it or use session_new",
                    field="connection_id",
                )
        attribution: Attribution | None = None
        if project is None and workspaces:
            attribution = self._attribute(conn, workspaces, now)
        principal = current_principal()
        attribution = writable_for(attribution, principal)
        evidence = attribution.project if attribution is not None and usable(attribution.project) else None
        if evidence is not None:  # starts in the workspace's project; the move is recorded below
            require(evidence.id, Role.WRITE, evidence.name)
            project_id, source = evidence.id, "workspace"
        else:
            project_id, source = project_for_new_session(conn, connection_id, project)
        metadata: dict[str, object] = {"project_source": source, "tags": list(tags)}
        if attribution is not None:
            metadata["workspace"] = attribution.details()
        session_id = uuid.uuid4()
        display_id = next_display_id(conn, now.year, opaque=principal is not None)
        try:  # no savepoint: a clash ends this unit of work anyway (the Conflict rolls it all back)
            repo.insert_session(
                conn,
                session_id=session_id,
                display_id=display_id,
                project_id=project_id,
                connection_id=connection_id,
                agent_type=agent_type,
                title=title,
                goal=goal,
                now=now,
                metadata=metadata,
                user_id=principal.user_id if principal is not None else None,
            )
        except IntegrityError as exc:
            raise Conflict(
                "another request opened a session for this connection at the same moment; retry",
                field="connection_id",
            ) from exc
        events_repo.insert_session_event(
            conn,
            session_id=session_id,
            event_type=EventType.SESSION_START,
            actor=actor,
            occurred_at=now,
            payload={"project_source": source, "display_id": display_id},
        )
        if project is not None and connection_id is not None:
            connections_repo.set_current_project(conn, connection_id, project_id)
        self.audited(conn, AuditKind.CHANGE, project_id, [session_id])  # started, in its project
        if evidence is not None and attribution is not None:  # the evidence, as a move out of Unassigned
            self.changed(conn, evidence.id)
            self.record_move_in(
                conn,
                session_id,
                SENTINEL_PROJECT_ID,
                evidence.id,
                reason=ChangeReason.WORKSPACE,
                actor=Actor.SYSTEM,
                now=now,
                details=attribution.details(),
            )
        started = repo.get_session(conn, session_id)
        assert started is not None
        if evidence is not None and attribution is not None:
            attributed_id, folders = evidence.id, [attribution.path]
            top = self.resolver.top_level(attribution.path)
            if top is not None and top != attribution.path:
                folders.append(top)
            self.on_committed(conn, lambda: self.changes.folders_attributed(folders, attributed_id))
            if link_agent_session:
                started = self._link_agent_session(conn, started, attribution, connection_id)
        log.info("session started", extra={"session_id": str(session_id), "project_id": str(project_id)})
        return started

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
        """The connection's open session, started lazily (and the connection recorded) if none: the
        session it was linked to (after /clear, or its agent's, see `joining`), else a new one."""
        connections_repo.upsert_connection(
            conn, connection_id=connection_id, transport=transport, agent_type=agent_type, now=now
        )
        open_session = repo.get_open_for_connection(conn, connection_id, lock=True)
        if open_session is not None:
            return open_session
        successor = hooks_repo.successor(conn, connection_id)
        if successor is not None:  # the agent replaced this session (e.g. /clear): continue in the new one
            followed = repo.get_open_for_connection(conn, successor, lock=True)
            if followed is not None:
                return followed
        joined = join_agent_session(conn, connection_id, agent_process, now)
        if joined is not None:
            return repo.get_open_for_connection(conn, str(joined.connection_id), lock=True) or joined
        return self.start_in(
            conn, connection_id=connection_id, agent_type=agent_type, now=now, workspaces=workspaces
        )

    def end_in(
        self, conn: Connection, session: Session, *, reason: EndReason, actor: Actor, now: datetime
    ) -> Session:
        """End an open session: `ended_at`, terminal `status` and a `session_end` event, together."""
        with self.telemetry.tracer.start_as_current_span(
            "aidis.session.end", attributes={"aidis.end_reason": reason.value}
        ) as span:
            ended = self._end(conn, session, reason=reason, actor=actor, now=now)
            describe_span(span, ended, "ok")
        metrics = self.telemetry.metrics
        after_commit(
            conn,
            lambda: metrics.sessions_ended.labels(
                metrics.project_label(ended.project_display_name), reason.value
            ).inc(),
        )
        return ended

    def _end(
        self, conn: Connection, session: Session, *, reason: EndReason, actor: Actor, now: datetime
    ) -> Session:
        session = self.before_ending(conn, session, now)
        self.changed(conn, session.project_id)
        ended_at = max(now, session.started_at)
        if not repo.end_session(conn, session.id, ended_at=ended_at, status=reason.status, reason=reason):
            raise Conflict(f"session {session.display_id} is already {session.status}", field="session")
        events_repo.insert_session_event(
            conn,
            session_id=session.id,
            event_type=EventType.SESSION_END,
            actor=actor,
            occurred_at=ended_at,
            payload={
                "reason": reason.value,
                "status": reason.status.value,
                "duration_seconds": (ended_at - session.started_at).total_seconds(),
            },
        )
        ended = repo.get_session(conn, session.id)
        assert ended is not None
        self.audited(conn, AuditKind.CHANGE, ended.project_id, [ended.id])
        log.info("session ended", extra={"session_id": str(session.id), "reason": reason.value})
        return ended

    # ---- public operations, one transaction each --------------------------------------------

    def start(
        self,
        connection_id: str | None,
        *,
        project: str | None = None,
        title: str | None = None,
        goal: str | None = None,
        agent_type: str = "unknown",
        transport: str = "api",
        actor: Actor = Actor.AGENT,
        workspaces: Sequence[WorkspaceHint] = (),
    ) -> Session:
        """Start a session for a connection (Conflict if it already has an open one)."""
        now = self.clock()
        with self.unit_of_work() as conn:
            if connection_id is not None:
                connections_repo.upsert_connection(
                    conn, connection_id=connection_id, transport=transport, agent_type=agent_type, now=now
                )
            return self.start_in(
                conn,
                connection_id=connection_id,
                agent_type=agent_type,
                project=project,
                title=title,
                goal=goal,
                actor=actor,
                now=now,
                workspaces=workspaces,
            )

    def ensure(self, connection_id: str, *, agent_type: str = "unknown", transport: str = "api") -> Session:
        """The open session of a connection, starting one lazily."""
        now = self.clock()
        with self.unit_of_work() as conn:
            return self.ensure_in(
                conn, connection_id=connection_id, agent_type=agent_type, transport=transport, now=now
            )

    def new(
        self,
        connection_id: str,
        *,
        project: str | None = None,
        title: str | None = None,
        goal: str | None = None,
        agent_type: str = "unknown",
        transport: str = "api",
        actor: Actor = Actor.AGENT,
        tags: Sequence[str] = (),
        call: ToolCall | None = None,
        workspaces: Sequence[WorkspaceHint] = (),
    ) -> tuple[Session | None, Session]:
        """End the connection's open session (if any) and start another; returns (ended, started)."""
        now = self.clock()
        with self.unit_of_work() as conn:
            connections_repo.upsert_connection(
                conn, connection_id=connection_id, transport=transport, agent_type=agent_type, now=now
            )
            previous = repo.get_open_for_connection(conn, connection_id, lock=True)
            ended = (
                self.end_in(conn, previous, reason=EndReason.NEW_SESSION, actor=actor, now=now)
                if previous
                else None
            )
            started = self.start_in(
                conn,
                connection_id=connection_id,
                agent_type=agent_type,
                project=project,
                title=title,
                goal=goal,
                actor=actor,
                now=now,
                tags=tags,
                workspaces=workspaces,
                known_closed=True,  # just looked up (locked) and ended above
            )
            return ended, self.count_call_in(conn, started, call, now)

    def end(
        self, ref: str | uuid.UUID, *, reason: EndReason = EndReason.EXPLICIT, actor: Actor = Actor.AGENT
    ) -> Session:
        """End a session by id or display id."""
        now = self.clock()
        with self.unit_of_work() as conn:
            return self.end_in(conn, find_session(conn, ref), reason=reason, actor=actor, now=now)

    def end_for_connection(
        self,
        connection_id: str,
        *,
        reason: EndReason = EndReason.EXPLICIT,
        actor: Actor = Actor.AGENT,
        call: ToolCall | None = None,
    ) -> Session | None:
        """End the connection's open session; None when it has none."""
        now = self.clock()
        with self.unit_of_work() as conn:
            open_session = repo.get_open_for_connection(conn, connection_id, lock=True)
            if open_session is None:
                return None
            counted = self.count_call_in(conn, open_session, call, now)
            return self.end_in(conn, counted, reason=reason, actor=actor, now=now)

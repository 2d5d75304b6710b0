"""The session lifecycle: lazy start, project resolution, assign, end, idle reaping, restart cleanup.

No session state lives in process memory: the open session of a connection is the row with
`status = 'active'` for that connection id, and every counter moves inside the transaction
that did the work.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from opentelemetry.trace import Span
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from aidis.enums import (
    SENTINEL_PROJECT_ID,
    Actor,
    ChangeReason,
    EndReason,
    EventType,
    ProjectStatus,
    WorkspaceSource,
)
from aidis.errors import Conflict, InvalidInput, NotFound
from aidis.records import Event, Project, ProjectChange, Session
from aidis.repositories import changes as changes_repo
from aidis.repositories import connections as connections_repo
from aidis.repositories import events as events_repo
from aidis.repositories import hooks as hooks_repo
from aidis.repositories import projects as projects_repo
from aidis.repositories import sessions as repo
from aidis.repositories.sessions import Cursor, SessionFilter
from aidis.services.base import ServiceBase
from aidis.services.caller import Caller, ToolCall, WorkspaceHint, estimate_tokens
from aidis.services.projects import find_project
from aidis.services.redaction import Redactor
from aidis.services.workspaces import Attribution, WorkspaceResolver, describe, usable
from aidis.telemetry import Metrics, after_commit

log = logging.getLogger("aidis.sessions")

REAP_BATCH = 1000
# Connections keyed by an agent's own session id (hooks and the agent's stdio MCP server share them).
AGENT_CONNECTION_PREFIX = "claude-code:"
MAX_TITLE = 500
MAX_GOAL = 4000


def format_display_id(year: int, number: int) -> str:
    """`SES-2026-00001`: zero-padded to five digits, never truncated past them."""
    return f"SES-{year}-{number:05d}"


@dataclass(frozen=True, slots=True)
class SessionDetail:
    """A session with its events and project history."""

    session: Session
    events: list[Event]
    changes: list[ProjectChange]


def find_session(conn: Connection, ref: str | uuid.UUID, field: str = "session") -> Session:
    """A session by UUID or display id; NotFound otherwise."""
    if isinstance(ref, uuid.UUID):
        found = repo.get_session(conn, ref)
    else:
        text = ref.strip()
        try:
            found = repo.get_session(conn, uuid.UUID(text))
        except ValueError:
            found = repo.get_by_display_id(conn, text.upper())
    if found is None:
        raise NotFound(f"no session {str(ref)!r}", field=field)
    return found


def _check_text(value: str | None, limit: int, field: str) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if len(cleaned) > limit:
        raise InvalidInput(f"{field} must be at most {limit} characters", field=field)
    return cleaned or None


class SessionService(ServiceBase):
    """Start, find, move and end sessions."""

    resolver: WorkspaceResolver = WorkspaceResolver()  # build_app sets the configured one
    redactor: Redactor = Redactor()  # likewise (AIDIS_REDACTION)

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
    ) -> Session:
        """Start a session inside `conn`'s transaction, resolving and persisting its project.

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
            )
            _describe(span, started, "ok")
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
    ) -> Session:
        title = self.redactor.clean_optional(_check_text(title, MAX_TITLE, "title"), "title")
        goal = self.redactor.clean_optional(_check_text(goal, MAX_GOAL, "goal"), "goal")
        if connection_id is not None:
            open_session = repo.get_open_for_connection(conn, connection_id)
            if open_session is not None:
                raise Conflict(
                    f"connection already has open session {open_session.display_id}; end it or use session_new",
                    field="connection_id",
                )
        attribution: Attribution | None = None
        if project is None and workspaces:
            attribution = self._attribute(conn, workspaces, now)
        if attribution is not None and usable(attribution.project):
            project_id, source = SENTINEL_PROJECT_ID, "workspace"  # moved below, with its evidence
        else:
            project_id, source = self._resolve_project(conn, connection_id, project)
        metadata: dict[str, object] = {"project_source": source, "tags": list(tags)}
        if attribution is not None:
            metadata["workspace"] = attribution.details()
        session_id = uuid.uuid4()
        display_id = format_display_id(now.year, repo.next_display_number(conn, now.year))
        try:
            with conn.begin_nested():
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
        started = repo.get_session(conn, session_id)
        assert started is not None
        if source == "workspace" and attribution is not None and attribution.project is not None:
            if link_agent_session:
                started = self._link_agent_session(conn, started, attribution, connection_id)
            started = self.assign_in(
                conn,
                started,
                attribution.project,
                reason=ChangeReason.WORKSPACE,
                actor=Actor.SYSTEM,
                now=now,
                details=attribution.details(),
            )
        log.info("session started", extra={"session_id": str(session_id), "project_id": str(project_id)})
        return started

    def _link_agent_session(
        self, conn: Connection, session: Session, attribution: Attribution, connection_id: str | None
    ) -> Session:
        """An MCP connection that could not be tied to its agent's hook session (HTTP, or a /clear the
        hooks could not link) starts its own session; note the agent session open in the same folder."""
        assert attribution.project is not None
        for other in repo.open_by_prefix_in_project(
            conn, AGENT_CONNECTION_PREFIX, attribution.project.id, exclude_connection=connection_id
        ):
            recorded = other.metadata.get("workspace")
            if isinstance(recorded, dict) and recorded.get("path") == attribution.path:
                repo.set_metadata(
                    conn, session.id, {**session.metadata, "linked_agent_session": other.display_id}
                )
                linked = repo.get_session(conn, session.id)
                assert linked is not None
                return linked
        return session

    def _attribute(
        self, conn: Connection, workspaces: Sequence[WorkspaceHint], now: datetime
    ) -> Attribution | None:
        """The first workspace that names a project or is ambiguous (ambiguity is never guessed past)."""
        last: Attribution | None = None
        for hint in workspaces:
            found = self.resolver.resolve_in(conn, hint, now)
            if found is None:
                continue
            if usable(found.project) or found.matched == "ambiguous":
                return found
            last = last or found
        return last

    def _resolve_project(
        self, conn: Connection, connection_id: str | None, project: str | None
    ) -> tuple[uuid.UUID, str]:
        if project is not None:
            chosen = find_project(conn, project)
            _refuse_archived(chosen)
            return chosen.id, "explicit"
        if connection_id is not None:
            state = connections_repo.get_connection(conn, connection_id)
            if state is not None and state.current_project_id is not None:
                return state.current_project_id, "connection"
        return SENTINEL_PROJECT_ID, "sentinel"

    def ensure_in(
        self,
        conn: Connection,
        *,
        connection_id: str,
        agent_type: str,
        transport: str,
        now: datetime,
        workspaces: Sequence[WorkspaceHint] = (),
    ) -> Session:
        """The connection's open session, started lazily (and the connection recorded) if none."""
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
            _describe(span, ended, "ok")
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
        log.info("session ended", extra={"session_id": str(session.id), "reason": reason.value})
        return ended

    def assign_in(
        self,
        conn: Connection,
        session: Session,
        project: Project,
        *,
        reason: ChangeReason,
        actor: Actor,
        now: datetime,
        details: dict[str, object] | None = None,
    ) -> Session:
        """Move a session to `project`, recording the change and a `session_assigned` event.

        Moving a session to the project it is already in changes and records nothing.
        """
        if session.project_id == project.id:
            return session
        with self.telemetry.tracer.start_as_current_span(
            "aidis.session.assign",
            attributes={
                "aidis.change.reason": reason.value,
                "aidis.change.from_project_id": str(session.project_id),
            },
        ) as span:
            moved = self._assign(conn, session, project, reason=reason, actor=actor, now=now, details=details)
            _describe(span, moved, "ok")
            return moved

    def _assign(
        self,
        conn: Connection,
        session: Session,
        project: Project,
        *,
        reason: ChangeReason,
        actor: Actor,
        now: datetime,
        details: dict[str, object] | None,
    ) -> Session:
        changes_repo.record_changes(
            conn,
            [(session.id, session.project_id)],
            to_project_id=project.id,
            changed_at=now,
            reason=reason,
            actor=actor,
            details=details,
        )
        repo.set_project(conn, session.id, project.id, now=now)
        events_repo.insert_session_event(
            conn,
            session_id=session.id,
            event_type=EventType.SESSION_ASSIGNED,
            actor=actor,
            occurred_at=now,
            payload={
                "from_project_id": str(session.project_id),
                "to_project_id": str(project.id),
                "reason": reason.value,
            },
        )
        moved = repo.get_session(conn, session.id)
        assert moved is not None
        return moved

    def attribute_work_in(
        self, conn: Connection, session: Session, project: Project, *, now: datetime
    ) -> Session:
        """Work in an Unassigned session named a real project: assign the session to it (once)."""
        if not session.is_unassigned or project.is_sentinel:
            return session
        return self.assign_in(
            conn,
            session,
            project,
            reason=ChangeReason.AUTO_ASSIGN,
            actor=Actor.SYSTEM,
            now=now,
            details={"trigger": "work named a project"},
        )

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
            )
            return ended, self._count(conn, started, call, now)

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
            counted = self._count(conn, open_session, call, now)
            return self.end_in(conn, counted, reason=reason, actor=actor, now=now)

    def assign(
        self,
        ref: str | uuid.UUID,
        project: str,
        *,
        reason: ChangeReason = ChangeReason.EXPLICIT_ASSIGN,
        actor: Actor = Actor.AGENT,
    ) -> Session:
        """Move one session to a project (by name or id), recording the change."""
        now = self.clock()
        with self.unit_of_work() as conn:
            session = find_session(conn, ref)
            target = find_project(conn, project)
            return self.assign_in(conn, session, target, reason=reason, actor=actor, now=now)

    def assign_open(
        self, caller: Caller, project: str, *, call: ToolCall | None = None, actor: Actor = Actor.AGENT
    ) -> Session:
        """Move the caller's open session (started lazily) to a project, recording the change.

        The project becomes the connection's current one, so its next session starts there too.
        """
        now = self.clock()
        with self.unit_of_work() as conn:
            target = find_project(conn, project)
            session = self.ensure_in(  # no workspace evidence: the project is named
                conn,
                connection_id=caller.connection_id,
                agent_type=caller.agent_type,
                transport=caller.transport,
                now=now,
            )
            moved = self.assign_in(
                conn, session, target, reason=ChangeReason.EXPLICIT_ASSIGN, actor=actor, now=now
            )
            connections_repo.set_current_project(conn, caller.connection_id, target.id)
            return self._count(conn, moved, call, now)

    def _count(self, conn: Connection, session: Session, call: ToolCall | None, now: datetime) -> Session:
        if call is None:
            return session
        return self.record_call_in(
            conn,
            session,
            tool=call.tool,
            now=now,
            input_tokens=estimate_tokens(call.input_chars),
            output_tokens=estimate_tokens(call.output_chars),
        )

    def assign_many(
        self,
        refs: Sequence[str | uuid.UUID],
        project: str,
        *,
        actor: Actor = Actor.USER,
        reason: ChangeReason = ChangeReason.BULK_ASSIGN,
    ) -> list[Session]:
        """Move many sessions to one project in one transaction: all or nothing."""
        if not refs:
            raise InvalidInput("give at least one session", field="session_ids")
        now = self.clock()
        with self.unit_of_work() as conn:
            target = find_project(conn, project)
            found = [find_session(conn, ref, field=f"session_ids[{i}]") for i, ref in enumerate(refs)]
            return [self.assign_in(conn, s, target, reason=reason, actor=actor, now=now) for s in found]

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
            _refuse_archived(target)
            connections_repo.set_current_project(conn, connection_id, target.id)
            open_session = repo.get_open_for_connection(conn, connection_id, lock=True)
            moved = None
            if open_session is not None:
                moved = self.assign_in(
                    conn, open_session, target, reason=ChangeReason.PROJECT_SWITCH, actor=actor, now=now
                )
                moved = self._count(conn, moved, call, now)
            return target, moved

    def current_project(self, connection_id: str) -> Project | None:
        """The connection's current project, or None when it has not chosen one."""
        with self.reading() as conn:
            state = connections_repo.get_connection(conn, connection_id)
            if state is None or state.current_project_id is None:
                return None
            return projects_repo.get_by_id(conn, state.current_project_id)

    def attribution_hint(self, caller: Caller, session: Session | None) -> str | None:
        """Where the caller's project comes from, or what to call to choose one (read only).

        None when the session's project was named explicitly or came from the connection.
        """
        if session is not None and not session.is_unassigned:
            return None
        with self.reading() as conn:
            recorded = session.metadata.get("workspace") if session is not None else None
            if isinstance(recorded, dict) and recorded.get("matched") == "ambiguous":
                hint = WorkspaceHint(str(recorded.get("path")), WorkspaceSource(str(recorded.get("source"))))
                ids = [uuid.UUID(c) for c in recorded.get("candidates", [])]
                return describe(conn, Attribution(hint, hint.path, "ambiguous", candidates=ids))
            for hint in caller.workspaces:
                found = self.resolver.resolve_in(conn, hint, self.clock(), create=False)
                if found is not None:
                    return describe(conn, found)
        if session is not None:
            return "Unassigned: call session_assign with a project (or session_new with workspace)"
        return None

    def status(self, connection_id: str) -> Session | None:
        """The connection's open session, or None."""
        with self.reading() as conn:
            return repo.get_open_for_connection(conn, connection_id)

    def get(self, ref: str | uuid.UUID) -> Session:
        """A session by id or display id."""
        with self.reading() as conn:
            return find_session(conn, ref)

    def detail(self, ref: str | uuid.UUID) -> SessionDetail:
        """A session with its events and project-change history."""
        with self.reading() as conn:
            session = find_session(conn, ref)
            return SessionDetail(
                session,
                events_repo.events_for_session(conn, session.id),
                changes_repo.changes_for_session(conn, session.id),
            )

    def list(
        self,
        flt: SessionFilter,
        *,
        limit: int = 50,
        offset: int = 0,
        sort: str = "-started_at",
        after: Cursor | None = None,
        with_total: bool = True,
    ) -> tuple[list[Session], int | None]:
        """A page of sessions matching `flt` and (unless `with_total` is off) how many match in all."""
        if not 1 <= limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        if offset < 0:
            raise InvalidInput("offset must not be negative", field="offset")
        if sort not in repo.SORTS:
            raise InvalidInput(f"sort must be one of {', '.join(repo.SORTS)}", field="sort")
        with self.reading() as conn:
            items = repo.list_sessions(conn, flt, limit=limit, offset=offset, sort=sort, after=after)
            total = repo.count_sessions(conn, flt) if with_total else None
            return items, total

    def touch(
        self,
        session_id: uuid.UUID,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        tool_name: str | None = None,
    ) -> Session:
        """Record activity (and tokens) on a session in its own transaction."""
        now = self.clock()
        with self.unit_of_work() as conn:
            return self.touch_in(
                conn,
                session_id,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                tool_name=tool_name,
                now=now,
            )

    def touch_in(
        self,
        conn: Connection,
        session_id: uuid.UUID,
        *,
        now: datetime,
        input_tokens: int = 0,
        output_tokens: int = 0,
        tool_name: str | None = None,
        contexts: int = 0,
        events: int = 0,
    ) -> Session:
        """Record activity, tokens and counted work inside the caller's transaction."""
        if input_tokens < 0 or output_tokens < 0:
            raise InvalidInput(
                "token counts must not be negative",
                field="input_tokens" if input_tokens < 0 else "output_tokens",
            )
        repo.add_activity(
            conn,
            session_id,
            now=now,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            contexts=contexts,
            events=events,
            tool_calls=1 if tool_name else 0,
        )
        session = repo.get_session(conn, session_id)
        if session is None:
            raise NotFound(f"no session {session_id}", field="session_id")
        return session

    def record_call_in(
        self,
        conn: Connection,
        session: Session,
        *,
        tool: str,
        now: datetime,
        input_tokens: int,
        output_tokens: int,
        event_type: EventType = EventType.TOOL_CALL,
        context_id: uuid.UUID | None = None,
        contexts: int = 0,
        payload: dict[str, object] | None = None,
    ) -> Session:
        """Count one tool call on a session: activity, tokens, counters and its event, in `conn`'s transaction."""
        events_repo.insert_session_event(
            conn,
            session_id=session.id,
            event_type=event_type,
            actor=Actor.AGENT,
            occurred_at=now,
            context_id=context_id,
            tool_name=tool,
            payload=payload or {},
            count=False,
        )
        return self.touch_in(
            conn,
            session.id,
            now=now,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            tool_name=tool,
            contexts=contexts,
            events=1,
        )

    def record_call(
        self, caller: Caller, tool: str, *, input_chars: int, output_chars: int = 0, start: bool = False
    ) -> Session | None:
        """Count a tool call that does no other writing on the caller's open session.

        With `start`, a session is started lazily first; otherwise a caller without an open session
        is left alone (a read must not open a session) and None is returned.
        """
        now = self.clock()
        with self.unit_of_work() as conn:
            if start:
                session: Session | None = self.ensure_in(
                    conn,
                    connection_id=caller.connection_id,
                    agent_type=caller.agent_type,
                    transport=caller.transport,
                    workspaces=caller.workspaces,
                    now=now,
                )
            else:
                session = repo.get_open_for_connection(conn, caller.connection_id, lock=True)
            if session is None:
                return None
            return self.record_call_in(
                conn,
                session,
                tool=tool,
                now=now,
                input_tokens=estimate_tokens(input_chars),
                output_tokens=estimate_tokens(output_chars),
            )

    def reap_idle(self, timeout: timedelta) -> int:
        """Time out sessions idle longer than `timeout`, each ended at its last activity with an end event."""
        return self.close_idle(timeout, EndReason.IDLE_TIMEOUT)

    def close_stranded_on_startup(self, timeout: timedelta) -> int:
        """On start-up, close sessions a crash left open past the idle window (ended at last activity).

        Sessions still inside the window stay open so their connection can resume them.
        """
        return self.close_idle(timeout, EndReason.RESTART_CLEANUP)

    def close_idle(self, timeout: timedelta, reason: EndReason) -> int:
        """Close every session idle longer than `timeout` for `reason`, at its last activity, with end events."""
        if timeout <= timedelta(0):
            raise InvalidInput("timeout must be positive", field="timeout")
        with self.telemetry.tracer.start_as_current_span(
            "aidis.session.reap", attributes={"aidis.end_reason": reason.value}
        ) as span:
            closed = self._close_idle_batches(timeout, reason)
            span.set_attribute("aidis.sessions.closed", closed)
            return closed

    def _close_idle_batches(self, timeout: timedelta, reason: EndReason) -> int:
        cutoff = self.clock() - timeout
        closed = 0
        metrics = self.telemetry.metrics
        while True:
            with self.unit_of_work() as conn:
                batch = repo.open_session_ids_idle_since(conn, cutoff, limit=REAP_BATCH)
                if not batch:
                    return closed
                closed_ids = repo.end_many_at_last_activity(
                    conn, batch, status=reason.status, reason=reason, idle_before=cutoff
                )
                events_repo.write_end_events(conn, closed_ids, actor=Actor.SYSTEM)
                closed += len(closed_ids)
                after_commit(conn, _count_ended(metrics, repo.count_by_project(conn, closed_ids), reason))
                log.info("closed idle sessions", extra={"count": len(closed_ids), "reason": reason.value})


def _describe(span: Span, session: Session, outcome: str) -> None:
    span.set_attributes(
        {
            "aidis.session.id": str(session.id),
            "aidis.session.display_id": session.display_id,
            "aidis.project.id": str(session.project_id),
            "aidis.project.name": session.project_display_name,
            "aidis.outcome": outcome,
        }
    )


def _count_ended(metrics: Metrics, per_project: dict[str, int], reason: EndReason) -> Callable[[], None]:
    def count() -> None:
        for name, n in per_project.items():
            metrics.sessions_ended.labels(metrics.project_label(name), reason.value).inc(n)

    return count


def _refuse_archived(project: Project) -> None:
    if project.status == ProjectStatus.ARCHIVED:
        raise Conflict(f"project {project.name!r} is archived; it takes no new sessions", field="project")

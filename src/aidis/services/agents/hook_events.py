"""Agent lifecycle hooks applied to sessions: one AIDIS session per agent session.

Invariants: the agent's own session id is the key (connection `claude-code:<session_id>`, the same
id its stdio MCP server sees in CLAUDE_CODE_SESSION_ID, so hook events and tool calls share one
session); every event is applied exactly once (its id is claimed in the `hook_events` ledger in the
same transaction as its work); the project comes from the payload's `cwd` through the workspace
resolver; `resume` continues the session (reopening it, recorded, if it was closed); `/clear` ends
it and links the old connection to the new one; token totals come from the transcript, exactly,
once one has been read. A bad payload is refused naming the field, and nothing is written.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from aidis.enums import Actor, EndReason, EventType, WorkspaceSource
from aidis.errors import InvalidInput
from aidis.hooks.payload import check
from aidis.records import Session
from aidis.repositories import connections as connections_repo
from aidis.repositories import events as events_repo
from aidis.repositories import hooks as repo
from aidis.repositories import sessions as sessions_repo
from aidis.services.agents.transcripts import UsageState, read_usage
from aidis.services.base import ServiceBase
from aidis.services.caller import WorkspaceHint, estimate_tokens
from aidis.services.sessions.accounting import tokens_are_exact
from aidis.services.sessions.lifecycle import SessionService

log = logging.getLogger("aidis.hooks")

AGENT = "claude-code"
# Claude Code's SessionEnd reasons → ours (the agent's own word is kept in the session's metadata)
END_REASONS = {
    "clear": EndReason.NEW_SESSION,
    "logout": EndReason.EXPLICIT,
    "prompt_input_exit": EndReason.EXPLICIT,
    "other": EndReason.CONNECTION_CLOSED,
}
CLEAR_LINK_WINDOW = timedelta(minutes=5)
USAGE_EVENTS = {"Stop", "SubagentStop", "PreCompact", "SessionEnd"}


def connection_for(agent: str, agent_session_id: str) -> str:
    """The AIDIS connection id of an agent session (shared by its hooks and its MCP server)."""
    return f"{agent}:{agent_session_id}"


@dataclass(frozen=True, slots=True)
class TranscriptRead:
    """A transcript read outside the transaction: the stored reading it started from, and the new one."""

    stored: Any
    state: UsageState


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying one hook event did."""

    outcome: str
    session: Session | None


class HookService(ServiceBase):
    """Applies agent hook events to sessions."""

    def __init__(self, sessions: SessionService) -> None:
        super().__init__(sessions.engine, sessions.clock, sessions.telemetry)
        self.sessions = sessions

    def apply(self, record: dict[str, Any]) -> Applied:
        """Apply one spooled (or HTTP-posted) event exactly once; a second time is a no-op ("duplicate")."""
        agent = str(record.get("agent", AGENT))
        payload = record.get("payload")
        problem = check(payload)
        if problem is not None:
            raise InvalidInput(f"invalid {agent} hook payload: {problem}", field=problem.split(":", 1)[0])
        assert isinstance(payload, dict)
        event_id = str(record.get("id") or uuid.uuid4().hex)[:64]
        received = record.get("received_at")
        now = self.clock()
        received_at = datetime.fromtimestamp(received, UTC) if isinstance(received, int | float) else now
        event = str(payload["hook_event_name"])
        agent_session = str(payload["session_id"])
        ahead = self._read_ahead(agent, event, payload)  # files and folders first: no transaction is open
        with self.unit_of_work() as conn:
            try:
                with conn.begin_nested():
                    repo.record_event(
                        conn,
                        event_id=event_id,
                        agent=agent,
                        event_name=event,
                        agent_session_id=agent_session,
                        received_at=min(received_at, now),
                        now=now,
                    )
            except IntegrityError:
                return Applied("duplicate", None)
            applied = self._handle(conn, agent, event, payload, now, ahead)
            repo.finish_event(
                conn,
                event_id,
                session_id=applied.session.id if applied.session else None,
                outcome=applied.outcome,
            )
            return applied

    def _read_ahead(self, agent: str, event: str, payload: dict[str, Any]) -> TranscriptRead | None:
        """What the event needs from the file system, read before any transaction opens: the workspace
        probed (git) and, for a usage event, the transcript read on from the session's stored offset."""
        cwd = payload.get("cwd")
        if isinstance(cwd, str) and cwd:
            self.sessions.resolver.prepare(cwd)
        path = payload.get("transcript_path")
        if event not in USAGE_EVENTS or not isinstance(path, str) or not path:
            return None
        with self.reading() as conn:
            session = sessions_repo.get_open_for_connection(
                conn, connection_for(agent, str(payload["session_id"]))
            )
        stored = session.metadata.get("transcript") if session is not None else None
        return TranscriptRead(stored, read_usage(path, UsageState.load(stored)))

    def _handle(
        self,
        conn: Connection,
        agent: str,
        event: str,
        payload: dict[str, Any],
        now: datetime,
        ahead: TranscriptRead | None = None,
    ) -> Applied:
        connection_id = connection_for(agent, str(payload["session_id"]))
        connections_repo.upsert_connection(
            conn, connection_id=connection_id, transport="hook", agent_type=agent, now=now
        )
        if event == "SessionStart":
            return self._start(conn, agent, connection_id, payload, now)
        session = sessions_repo.get_open_for_connection(conn, connection_id, lock=True)
        if event == "SessionEnd":
            if session is None:
                return Applied("no open session to end", None)
            session = self._usage(conn, session, ahead)
            reason_word = str(payload.get("reason") or "other")
            reason = END_REASONS.get(reason_word, EndReason.CONNECTION_CLOSED)
            self._remember(conn, session, agent_end_reason=reason_word)
            ended = self.sessions.end_in(conn, session, reason=reason, actor=Actor.AGENT, now=now)
            return Applied(f"ended ({reason_word} → {reason.value})", ended)
        if session is None:  # hooks installed mid-session, or the start event was lost: start now
            session = self._open(conn, agent, connection_id, payload, now)
        if event == "UserPromptSubmit":
            prompt = str(payload.get("prompt") or "")
            estimate = 0 if tokens_are_exact(session) else estimate_tokens(len(prompt))
            touched = self.sessions.touch_in(conn, session.id, now=now, input_tokens=estimate)
            return Applied("prompt", touched)
        touched = self.sessions.touch_in(conn, session.id, now=now)
        if event in USAGE_EVENTS:
            return Applied("usage read", self._usage(conn, touched, ahead))
        return Applied(f"noted {event}", touched)

    def _start(
        self, conn: Connection, agent: str, connection_id: str, payload: dict[str, Any], now: datetime
    ) -> Applied:
        source = str(payload.get("source") or "startup")
        open_session = sessions_repo.get_open_for_connection(conn, connection_id, lock=True)
        if open_session is not None:
            return Applied(f"continued ({source})", self.sessions.touch_in(conn, open_session.id, now=now))
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
            return Applied(f"reopened ({source}; was {previous.end_reason})", reopened)
        started = self._open(conn, agent, connection_id, payload, now)
        if source == "clear":
            started = self._link_cleared(conn, agent, connection_id, payload, started, now)
        return Applied(f"started ({source})", started)

    def _open(
        self, conn: Connection, agent: str, connection_id: str, payload: dict[str, Any], now: datetime
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
        return self._remember(conn, started, agent_session_id=str(payload["session_id"]), agent_cwd=cwd)

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
            conn, f"{agent}:", since=now - CLEAR_LINK_WINDOW
        ):
            if (
                candidate.metadata.get("agent_end_reason") == "clear"
                and candidate.metadata.get("agent_cwd") == cwd
            ):
                assert candidate.connection_id is not None
                repo.link(conn, candidate.connection_id, connection_id, now=now, reason="clear")
                return self._remember(conn, started, cleared_from=candidate.display_id)
        return started

    def _usage(self, conn: Connection, session: Session, ahead: TranscriptRead | None) -> Session:
        """Store what the transcript read ahead gave, if the session's stored reading is still the one it
        started from (another event may have read on meanwhile: then its reading stands, nothing is
        counted twice, and the next event reads on from there)."""
        if ahead is None:
            return session
        if session.metadata.get("transcript") != ahead.stored:
            log.info(
                "transcript of %s was read on by another event meanwhile; keeping that reading", session.id
            )
            return session
        state = ahead.state
        if not state.models:
            return self._remember(conn, session, transcript=state.dump())
        sent, received = state.totals()
        sessions_repo.set_exact_tokens(conn, session.id, input_tokens=sent, output_tokens=received)
        return self._remember(conn, session, transcript=state.dump(), tokens="exact")

    def _remember(self, conn: Connection, session: Session, **facts: Any) -> Session:
        merged = {**session.metadata, **{k: v for k, v in facts.items() if v is not None}}
        sessions_repo.set_metadata(conn, session.id, merged)
        updated = sessions_repo.get_session(conn, session.id)
        assert updated is not None
        return updated

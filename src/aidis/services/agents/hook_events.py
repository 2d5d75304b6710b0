"""Agent lifecycle hooks applied to sessions, for every agent AIDIS knows (Claude Code, Codex, Gemini CLI).

Invariants: every event is applied exactly once (its id is claimed in the `hook_events` ledger in the
same transaction as its work); the agent's own words are translated once (`dialects`); files are read
before the transaction opens (the transcript from the session's stored offset, the workspace's git
facts), never inside it; token totals come from the transcript, exactly, once one has been read;
tool events become bounded, redacted activity (`activity`), or nothing with AIDIS_CAPTURE=off. A bad
payload is refused naming the field, and nothing is written. On a team server an event acts for the
token's person exactly as an MCP call does: their own namespace of agent sessions (another person's
agent session id reaches a connection of their own, as if it never existed), the same grants (a
read-only token writes nothing; a session in a project they may no longer write takes no event) and
the same audit (a session started or ended by a hook is a change on the trail).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from aidis.enums import Actor, AuditKind, Role
from aidis.errors import InvalidInput
from aidis.hooks.payload import AGENTS, check
from aidis.hooks.slim import TITLE_CHARS
from aidis.records import Session
from aidis.repositories import activity as activity_repo
from aidis.repositories import connections as connections_repo
from aidis.repositories import hooks as repo
from aidis.repositories import session_titles as titles_repo
from aidis.repositories import sessions as sessions_repo
from aidis.services.agents.activity import capture
from aidis.services.agents.agent_sessions import AgentSessions, clean_ancestors, connection_for
from aidis.services.agents.dialects import USAGE_MOMENTS, Dialect, Moment, dialect
from aidis.services.agents.transcripts import UsageState, read_usage
from aidis.services.caller import estimate_tokens
from aidis.services.principal import current_principal, require, require_recording
from aidis.services.sessions.accounting import tokens_are_exact
from aidis.services.sessions.lifecycle import SessionService
from aidis.services.text.redaction import redact
from aidis.services.usage.recording import record_hourly

TITLE_WORDS = 40  # of a prompt's head (the hook keeps at most 80 characters of whole words)
log = logging.getLogger("aidis.hooks")

MAX_ACTIVITY_ROWS = 500  # per session; beyond it only counts per kind are kept (metadata.activity_overflow)

__all__ = ["Applied", "HookService", "connection_for"]


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


class HookService(AgentSessions):
    """Applies agent hook events to sessions."""

    def __init__(self, sessions: SessionService, *, capture_activity: bool = True) -> None:
        super().__init__(sessions.engine, sessions.clock, sessions.telemetry)
        self.sessions = sessions
        self.capture_activity = capture_activity

    def apply(self, record: dict[str, Any]) -> Applied:
        """Apply one spooled (or HTTP-posted) event exactly once; a second time is a no-op ("duplicate")."""
        agent = str(record.get("agent", "claude-code"))
        if agent not in AGENTS:
            raise InvalidInput(f"unknown agent {agent!r}; known: {', '.join(AGENTS)}", field="agent")
        payload = record.get("payload")
        problem = check(payload)
        if problem is not None:
            raise InvalidInput(f"invalid {agent} hook payload: {problem}", field=problem.split(":", 1)[0])
        assert isinstance(payload, dict)
        require_recording()  # a read-only token's hooks write nothing, not even the ledger entry
        person = current_principal()
        words = dialect(agent)
        event_id = str(record.get("id") or uuid.uuid4().hex)[:64]
        received = record.get("received_at")
        now = self.clock()
        received_at = datetime.fromtimestamp(received, UTC) if isinstance(received, int | float) else now
        event = str(payload["hook_event_name"])
        moment = words.moment(event)
        ahead = self._read_ahead(words, moment, payload)  # files and folders first: no transaction is open
        with self.unit_of_work() as conn:
            try:
                with conn.begin_nested():
                    repo.record_event(
                        conn,
                        event_id=event_id,
                        agent=agent,
                        event_name=event,
                        agent_session_id=str(payload["session_id"]),
                        received_at=min(received_at, now),
                        now=now,
                        user_id=person.user_id if person is not None else None,
                    )
            except IntegrityError:
                return Applied("duplicate", None)
            outcome, session = self._handle(conn, words, moment, payload, now, ahead, record.get("ancestors"))
            repo.finish_event(conn, event_id, session_id=session.id if session else None, outcome=outcome)
            return Applied(outcome, session)

    def _read_ahead(self, words: Dialect, moment: Moment, payload: dict[str, Any]) -> TranscriptRead | None:
        """What the event needs from the file system, read before any transaction opens: the workspace
        probed (git) and, for a usage event, the transcript read on from the session's stored offset."""
        cwd = payload.get("cwd")
        if isinstance(cwd, str) and cwd:
            self.sessions.resolver.prepare(cwd)
        path = payload.get("transcript_path")
        if moment not in USAGE_MOMENTS or not isinstance(path, str) or not path:
            return None
        with self.reading() as conn:
            session = sessions_repo.get_open_for_connection(
                conn, connection_for(words.agent, str(payload["session_id"]), current_principal())
            )
        stored = session.metadata.get("transcript") if session is not None else None
        return TranscriptRead(stored, read_usage(path, UsageState.load(stored), words.transcript))

    def _handle(
        self,
        conn: Connection,
        words: Dialect,
        moment: Moment,
        payload: dict[str, Any],
        now: datetime,
        ahead: TranscriptRead | None,
        ancestors: Any,
    ) -> tuple[str, Session | None]:
        agent = words.agent
        connection_id = connection_for(agent, str(payload["session_id"]), current_principal())
        connections_repo.upsert_connection(
            conn, connection_id=connection_id, transport="hook", agent_type=agent, now=now
        )
        if moment == Moment.START:
            outcome, started = self._start(
                conn, agent, connection_id, payload, now, clean_ancestors(ancestors)
            )
            self._writable(started)
            if not outcome.startswith("started"):  # continued or reopened (a start audits itself)
                self.audited(conn, AuditKind.CHANGE, started.project_id, [started.id])
            return outcome, started
        session = sessions_repo.get_open_for_connection(conn, connection_id, lock=True)
        if session is not None:
            self._writable(session)
        if moment == Moment.END:
            if session is None:
                return "no open session to end", None
            session = self._usage(conn, session, ahead)
            word = str(payload.get("reason") or "other")
            reason = words.end_reason(word)
            self._remember(conn, session, agent_end_reason=word)
            ended = self.sessions.end_in(conn, session, reason=reason, actor=Actor.AGENT, now=now)
            return f"ended ({word} → {reason.value})", ended
        if session is None:  # hooks installed mid-session, or the start event was lost: start now
            session = self._open(conn, agent, connection_id, payload, now)
        self.audited(conn, AuditKind.CHANGE, session.project_id, [session.id])  # this event's change
        if moment == Moment.PROMPT:
            chars = payload.get("prompt_chars")
            length = chars if isinstance(chars, int) else len(str(payload.get("prompt") or ""))
            estimate = 0 if tokens_are_exact(session) else estimate_tokens(length)
            head = payload.get("prompt_head")
            if session.title is None and isinstance(head, str) and head.strip():  # the first prompt
                # always redacted, never refused (the prompt itself is not stored); a word is never
                # cut, so a secret is recognised whole or dropped whole
                title = redact(" ".join(head.split()[:TITLE_WORDS])).text[: TITLE_CHARS + 40]
                titles_repo.set_title_if_none(conn, session.id, title)
            return "prompt", self.sessions.touch_in(conn, session.id, now=now, input_tokens=estimate)
        touched = self.sessions.touch_in(conn, session.id, now=now)
        if moment == Moment.TOOL:
            return self._activity(conn, touched, agent, payload, now)
        if moment in USAGE_MOMENTS:
            return "usage read", self._usage(conn, touched, ahead)
        return f"noted {payload['hook_event_name']}", touched

    @staticmethod
    def _writable(session: Session) -> None:
        """Refuse an event for a session whose project the person may no longer write in (a grant
        lowered to read, or taken away, since the session started): nothing is written."""
        require(session.project_id, Role.WRITE, session.project_display_name)

    def _activity(
        self, conn: Connection, session: Session, agent: str, payload: dict[str, Any], now: datetime
    ) -> tuple[str, Session]:
        """Record what the tool call did, within the session's bound (counts only beyond it)."""
        if not self.capture_activity:
            return "tool (capture off)", session
        cwd = payload.get("cwd")
        found = capture(
            agent, payload, self.sessions.resolver.top_level(cwd) if isinstance(cwd, str) else None
        )
        if not found:
            return "tool (no activity)", session
        room = max(MAX_ACTIVITY_ROWS - activity_repo.count_for_session(conn, session.id), 0)
        kept, over = found[:room], found[room:]
        activity_repo.insert_rows(
            conn,
            [{**a.row(), "session_id": session.id, "occurred_at": now, "agent": agent} for a in kept],
        )
        if over:
            overflow = Counter(
                {str(k): int(v) for k, v in (session.metadata.get("activity_overflow") or {}).items()}
            )
            overflow.update(a.kind.value for a in over)
            session = self._remember(conn, session, activity_overflow=dict(overflow))
        return f"tool ({len(kept)} recorded, {len(over)} counted)", session

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
        if state.exit_codes:
            activity_repo.fill_exit_codes(conn, session.id, state.exit_codes)
        if state.hourly:
            metrics, project, agent = self.telemetry.metrics, session.project_display_name, session.agent_type
            record_hourly(
                conn,
                session.id,
                state.hourly,
                self.clock(),
                lambda model, counts: metrics.count_tokens(project, agent, model, counts),
            )
        if not state.models:
            return self._remember(conn, session, transcript=state.dump())
        sent, received = state.totals()
        sessions_repo.set_exact_tokens(conn, session.id, input_tokens=sent, output_tokens=received)
        return self._remember(conn, session, transcript=state.dump(), tokens="exact")

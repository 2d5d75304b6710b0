"""`aidis import-history`: the sessions an agent recorded before AIDIS (or while its hooks were off),
from the agent's own transcripts, as the same sessions its hooks would have made.

Invariants: one ended session per agent session, keyed like the hooks' (`<agent>:<session id>` in the
person's namespace), so a session the hooks recorded live is *completed* from where its transcript
was read last — never duplicated, never counted twice — and a later live session of a resumed agent
session continues the imported one; a second run adds nothing. A new session starts and ends at its
transcript's first and last line, in the project its working folder names (the same attribution and
evidence as live sessions; ambiguous → Unassigned with candidates), titled by its first prompt
(redacted); its tokens are exact, by model and hour, its subagents' included. Files are read before any
transaction opens; a file that is not a transcript is reported and skipped.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aidis.enums import Actor, EndReason, WorkspaceSource
from aidis.errors import InvalidInput
from aidis.records import Session
from aidis.repositories import activity as activity_repo
from aidis.repositories import sessions as sessions_repo
from aidis.services.agents.activity import capture
from aidis.services.agents.agent_sessions import connection_for
from aidis.services.agents.history_files import (
    HistoryFile,
    TranscriptFacts,
    scan_claude_code,
    scan_codex,
    scan_gemini,
)
from aidis.services.agents.transcripts import UsageState, read_usage
from aidis.services.base import ServiceBase
from aidis.services.caller import WorkspaceHint
from aidis.services.principal import current_principal, require_recording
from aidis.services.sessions.lifecycle import SessionService
from aidis.services.usage.recording import record_hourly

log = logging.getLogger("aidis.history")

SCANNERS: dict[str, Callable[[Any], TranscriptFacts]] = {
    "claude-code": scan_claude_code,
    "codex": scan_codex,
    "gemini-cli": scan_gemini,
}
TITLE_CHARS = 80
MAX_ACTIVITY_ROWS = 500  # per session, as for live capture (aidis.services.agents.hook_events)

__all__ = ["HistoryImport", "HistoryReport"]


@dataclass
class HistoryReport:
    """What an import found and did."""

    files: int = 0
    created: int = 0
    completed: int = 0
    unchanged: int = 0
    older: int = 0
    tokens: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class _Read:
    """A transcript read before the transaction: its facts, and each file's usage from its stored state."""

    facts: TranscriptFacts
    states: dict[str, UsageState]  # file → the state after reading it
    stored: dict[str, Any]  # file → the state it started from (as stored; {} for new)


class HistoryImport(ServiceBase):
    """Import agent sessions from the agents' own transcripts."""

    def __init__(self, sessions: SessionService) -> None:
        super().__init__(sessions.engine, sessions.clock, sessions.telemetry)
        self.sessions = sessions

    def run(
        self,
        files: Iterable[HistoryFile],
        *,
        since: datetime | None = None,
        dry_run: bool = False,
        progress: Callable[[HistoryFile], None] | None = None,
    ) -> HistoryReport:
        """Import each file's session (or, with `dry_run`, only say what would be imported)."""
        require_recording()
        report = HistoryReport(dry_run=dry_run)
        for item in files:
            report.files += 1
            try:
                self._one(item, since, dry_run, report)
            except InvalidInput as exc:
                report.skipped.append((str(item.main), exc.message))
            if progress is not None:
                progress(item)
        return report

    def _one(self, item: HistoryFile, since: datetime | None, dry_run: bool, report: HistoryReport) -> None:
        scan = SCANNERS.get(item.agent)
        if scan is None:
            raise InvalidInput(f"no history reader for {item.agent!r}", field="agent")
        connection = connection_for(item.agent, item.session_id, current_principal())
        with self.reading() as conn:
            existing = sessions_repo.latest_for_connection(conn, connection)
        stored = _stored_states(existing, item)
        if existing is not None and _read_to_the_end(item, stored):
            report.unchanged += 1  # every file was read to its end before: nothing to open
            return
        facts = scan(item.main)
        if facts.problems or facts.first_at is None or facts.last_at is None:
            why = "; ".join(facts.problems) or "no dated line: not a transcript of this agent"
            report.skipped.append((str(item.main), why))
            return
        if since is not None and facts.last_at < since:
            report.older += 1
            return
        read = _Read(facts, {p: _read_all(p, stored.get(p), item.agent) for p in _paths(item)}, stored)
        added = sum(sum(sum(c.values()) for c in s.hourly.values()) for s in read.states.values())
        report.tokens += added
        if dry_run:
            report.created += existing is None
            report.completed += existing is not None and added > 0
            report.unchanged += existing is not None and added == 0
            return
        if facts.cwd:
            self.sessions.resolver.prepare(facts.cwd)  # git, before the transaction
        with self.unit_of_work() as conn:
            current = sessions_repo.latest_for_connection(conn, connection)
            if current is not None and _stored_states(current, item) != stored:
                report.unchanged += 1  # the hooks read on meanwhile: their reading stands
                return
            if current is None:
                session = self._create(conn, item, connection, facts)
                report.created += 1
            else:
                session = current
                if added:
                    report.completed += 1
                else:
                    report.unchanged += 1
                    return
            self._count(conn, session, item, read)
            if current is None:  # a live session's activity came from its hooks already
                self._activity(conn, session, item.agent, facts)
                counted = sessions_repo.get_session(conn, session.id)  # as stored now: ending keeps it
                assert counted is not None
                self.sessions.end_in(
                    conn, counted, reason=EndReason.CONNECTION_CLOSED, actor=Actor.SYSTEM, now=facts.last_at
                )

    def _activity(self, conn: Any, session: Session, agent: str, facts: TranscriptFacts) -> None:
        """The files, commands and test runs of the transcript's tool calls, as live capture records them
        (bounded per session like the hooks', the rest counted by kind)."""
        top = self.sessions.resolver.top_level(facts.cwd) if facts.cwd else None
        found = [(at, a) for at, payload in facts.tools for a in capture(agent, payload, top)]
        kept, over = found[:MAX_ACTIVITY_ROWS], found[MAX_ACTIVITY_ROWS:]
        activity_repo.insert_rows(
            conn, [{**a.row(), "session_id": session.id, "occurred_at": at, "agent": agent} for at, a in kept]
        )
        if over or facts.tools_over:
            counted = Counter(a.kind.value for _, a in over)
            if facts.tools_over:
                counted["tool_calls_not_read"] = facts.tools_over
            fresh = sessions_repo.get_session(conn, session.id)
            assert fresh is not None
            sessions_repo.set_metadata(
                conn, session.id, {**fresh.metadata, "activity_overflow": dict(counted)}
            )

    def _create(self, conn: Any, item: HistoryFile, connection: str, facts: TranscriptFacts) -> Session:
        assert facts.first_at is not None
        hints = (WorkspaceHint(facts.cwd, WorkspaceSource.HISTORY),) if facts.cwd else ()
        title = facts.prompt[:TITLE_CHARS] if facts.prompt else None
        return self.sessions.start_in(
            conn,
            connection_id=connection,
            agent_type=item.agent,
            title=title,
            now=facts.first_at,
            workspaces=hints,
            actor=Actor.SYSTEM,
            link_agent_session=False,
        )

    def _count(self, conn: Any, session: Session, item: HistoryFile, read: _Read) -> None:
        main = str(item.main)
        states = read.states
        models: dict[str, dict[str, int]] = {}
        for state in states.values():
            for model, counts in state.models.items():
                into = models.setdefault(model, {})
                for kind, value in counts.items():
                    into[kind] = into.get(kind, 0) + value
            if state.hourly:
                record_hourly(conn, session.id, state.hourly, read.facts.last_at or self.clock())
        sent = sum(
            c.get("input", 0) + c.get("cache_creation", 0) + c.get("cache_read", 0) for c in models.values()
        )
        received = sum(c.get("output", 0) for c in models.values())
        sessions_repo.set_exact_tokens(conn, session.id, input_tokens=sent, output_tokens=received)
        fresh = sessions_repo.get_session(conn, session.id)
        assert fresh is not None
        metadata = {
            **fresh.metadata,
            "agent_session_id": item.session_id,
            "agent_cwd": read.facts.cwd,
            "transcript": states[main].dump(),
            "tokens": "exact",
            "history": {"path": main, "subagents": {p: states[p].dump() for p in states if p != main}},
        }
        sessions_repo.set_metadata(conn, session.id, metadata)


def _paths(item: HistoryFile) -> list[str]:
    return [str(item.main), *(str(p) for p in item.parts)]


def _stored_states(session: Session | None, item: HistoryFile) -> dict[str, Any]:
    """Each file's stored reading (the main file's is the hooks' own `transcript`)."""
    if session is None:
        return {}
    found: dict[str, Any] = {}
    transcript = session.metadata.get("transcript")
    if isinstance(transcript, dict) and transcript.get("path") == str(item.main):
        found[str(item.main)] = transcript
    history = session.metadata.get("history")
    parts = history.get("subagents") if isinstance(history, dict) else None
    if isinstance(parts, dict):
        found.update({str(k): v for k, v in parts.items() if isinstance(v, dict)})
    return found


def _read_to_the_end(item: HistoryFile, stored: dict[str, Any]) -> bool:
    """Whether each of the session's files was read up to its present size (a stat each, no reading)."""
    for path in _paths(item):
        state = stored.get(path)
        try:
            size = os.stat(path).st_size
        except OSError:
            return False
        if not isinstance(state, dict) or state.get("offset") != size:
            return False
    return True


def _read_all(path: str, stored: Any, agent: str) -> UsageState:
    """A file's usage from its stored reading to its end (in bounded reads)."""
    state = UsageState.load(stored)
    state.hourly = {}
    while True:
        before = state.offset
        state = read_usage(path, state, agent)
        if state.offset == before:
            return state

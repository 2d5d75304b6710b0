"""Structured session summaries (goal, accomplished, discoveries, files, next steps).

Invariants: every field is bounded and refused naming the field when too long; a summary lives in the
session's metadata and, so full-text search finds it, as one `handoff` context of that session that
is updated in place (counted once, like any context, with its event); the next session's start
context reads it. A session that ends with activity but no summary gets one written from its
activity just before it ends (marked `generated: activity`), so "which session touched X" is a search.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from aidis.enums import Actor, ContextType, EndReason, EventType
from aidis.errors import InvalidInput, NotFound
from aidis.records import Session
from aidis.repositories import activity as activity_repo
from aidis.repositories import contexts as contexts_repo
from aidis.repositories import sessions as sessions_repo
from aidis.services.base import ServiceBase
from aidis.services.caller import Caller, ToolCall, estimate_tokens
from aidis.services.handover.context import SUMMARY_FIELDS, render_summary
from aidis.services.handover.digest import digest
from aidis.services.sessions.lifecycle import SessionService
from aidis.services.text.rules import content_hash

LIMITS = {"goal": 500, "accomplished": 4000, "discoveries": 4000, "next_steps": 4000}
MAX_FILES = 100
MAX_FILE = 500
MAX_ACTIVITY_READ = 1000


@dataclass(frozen=True, slots=True)
class Summary:
    """A checked summary."""

    fields: dict[str, Any]

    @classmethod
    def check(cls, raw: dict[str, Any]) -> Summary:
        """Trim and bound every field; InvalidInput naming `summary.<field>` otherwise."""
        out: dict[str, Any] = {}
        for name, limit in LIMITS.items():
            value = raw.get(name)
            if value is None:
                continue
            text = str(value).strip()
            if len(text) > limit:
                raise InvalidInput(
                    f"summary.{name} must be at most {limit} characters", field=f"summary.{name}"
                )
            if text:
                out[name] = text
        files = raw.get("files") or []
        if len(files) > MAX_FILES:
            raise InvalidInput(f"summary.files holds at most {MAX_FILES} paths", field="summary.files")
        for i, path in enumerate(files):
            if len(str(path)) > MAX_FILE:
                raise InvalidInput(
                    f"summary.files[{i}] must be at most {MAX_FILE} characters", field=f"summary.files[{i}]"
                )
        if files:
            out["files"] = [str(f) for f in files]
        if not out:
            raise InvalidInput("give at least one of " + ", ".join(SUMMARY_FIELDS), field="summary")
        return cls(out)


class SessionSummaryService(ServiceBase):
    """Write a session's summary (mid-session or when ending it)."""

    def __init__(self, sessions: SessionService) -> None:
        super().__init__(sessions.engine, sessions.clock, sessions.telemetry)
        self.sessions = sessions

    def redacted(self, summary: Summary) -> tuple[Summary, dict[str, int]]:
        """The summary with secrets and private spans removed, and how many of which kind."""
        found: Counter[str] = Counter()
        clean = self.sessions.redactor
        fields = {
            k: [clean.clean(f, f"summary.files[{i}]", found) for i, f in enumerate(v)]
            if isinstance(v, list)
            else clean.clean(str(v), f"summary.{k}", found)
            for k, v in summary.fields.items()
        }
        return Summary(fields), dict(found)

    def write(self, caller: Caller, summary: Summary, *, call: ToolCall | None = None) -> Session:
        """Set (or replace) the summary of the caller's open session, started lazily (secrets removed)."""
        summary, _ = self.redacted(summary)
        now = self.clock()
        with self.unit_of_work() as conn:
            session = self.sessions.ensure_caller_in(conn, caller, now=now)
            return self._write_in(conn, session, summary, now, call)

    def end_with(self, caller: Caller, summary: Summary | None, *, call: ToolCall | None = None) -> Session:
        """End the caller's open session, storing its summary first (one transaction)."""
        if summary is not None:
            summary, _ = self.redacted(summary)
        now = self.clock()
        with self.unit_of_work() as conn:
            session = sessions_repo.get_open_for_connection(conn, caller.connection_id, lock=True)
            if session is None:
                raise NotFound("no open session to end", field="session")
            if summary is not None:
                session = self._write_in(conn, session, summary, now, None)
            session = self.sessions.count_call_in(conn, session, call, now)
            return self.sessions.end_in(conn, session, reason=EndReason.EXPLICIT, actor=Actor.AGENT, now=now)

    def summarize_activity_in(self, conn: Connection, session: Session, now: datetime) -> Session:
        """Before a session ends: when its agent wrote no summary but did things, write one from its
        activity (deterministic: the files changed, how the test runs went, what was left failing)."""
        if isinstance(session.metadata.get("summary"), dict):
            return session
        rows = activity_repo.for_session(conn, session.id, limit=MAX_ACTIVITY_READ)
        overflow = session.metadata.get("activity_overflow")
        found = digest(rows, overflow if isinstance(overflow, dict) else None)
        if found.empty:
            return session
        fields: dict[str, Any] = {"accomplished": found.sentence()[: LIMITS["accomplished"]] or "read files"}
        files = found.changed() or list(found.files)
        if files:
            fields["files"] = [f[:MAX_FILE] for f in files[:MAX_FILES]]
        failing = found.failing()
        if failing:
            fields["next_steps"] = ("Left failing: " + "; ".join(failing))[: LIMITS["next_steps"]]
        summary, _ = self.redacted(Summary({**fields}))
        written = self._write_in(conn, session, summary, now, None)
        return self._mark_generated(conn, written)

    def _mark_generated(self, conn: Connection, session: Session) -> Session:
        summary = {**session.metadata["summary"], "generated": "activity"}
        sessions_repo.set_metadata(conn, session.id, {**session.metadata, "summary": summary})
        refreshed = sessions_repo.get_session(conn, session.id)
        assert refreshed is not None
        return refreshed

    def _write_in(
        self, conn: Connection, session: Session, summary: Summary, now: datetime, call: ToolCall | None
    ) -> Session:
        self.changed(conn, session.project_id)
        stored = {**summary.fields, "updated_at": now.isoformat()}
        text = f"Session summary {session.display_id}: {render_summary(summary.fields)}"
        context_id = session.metadata.get("summary_context_id")
        existing = (
            contexts_repo.get_context(conn, uuid.UUID(context_id)) if isinstance(context_id, str) else None
        )
        if existing is not None and existing.deleted_at is None:  # a deleted summary is not brought back
            contexts_repo.replace_summary_text(conn, existing.id, text, content_hash(text))
            self.texts_written(conn, [existing.id])
            new_context = None
        else:
            new_context = uuid.uuid4()
            contexts_repo.insert_context(
                conn,
                context_id=new_context,
                project_id=session.project_id,
                session_id=session.id,
                context_type=ContextType.HANDOFF.value,
                content=text,
                tags=["session-summary"],
                now=now,
                metadata={"summary_of": session.display_id},
                content_hash=content_hash(text),
            )
            self.texts_written(conn, [new_context])
        metadata = {**session.metadata, "summary": stored}
        if new_context is not None:
            metadata["summary_context_id"] = str(new_context)
        sessions_repo.set_metadata(conn, session.id, metadata)
        refreshed = sessions_repo.get_session(conn, session.id)
        assert refreshed is not None
        if new_context is not None:  # a new context is counted like any other, with its event
            return self.sessions.record_call_in(
                conn,
                refreshed,
                tool=call.tool if call else "session_summary",
                now=now,
                input_tokens=estimate_tokens(call.input_chars) if call else 0,
                output_tokens=estimate_tokens(call.output_chars) if call else 0,
                event_type=EventType.CONTEXT_STORED,
                context_id=new_context,
                contexts=1,
            )
        return self.sessions.count_call_in(conn, refreshed, call, now)

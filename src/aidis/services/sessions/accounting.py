"""Accounting on a session: activity, tokens and counted work, always in the transaction of the work.

Invariant: counters only move inside the transaction that wrote what they count (an event, a
context), so counters equal rows through every path; once a session's tokens come from the agent's
own transcript (`tokens: exact`), estimates are no longer added to it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection

from aidis.enums import Actor, EventType
from aidis.errors import InvalidInput, NotFound
from aidis.records import Session
from aidis.repositories import accounting as accounting_repo
from aidis.repositories import sessions as repo
from aidis.services.base import ServiceBase
from aidis.services.caller import ToolCall, estimate_tokens


def tokens_are_exact(session: Session) -> bool:
    """True once a session's token totals come from its agent's own transcript."""
    return session.metadata.get("tokens") == "exact"


class SessionAccounting(ServiceBase):
    """Record activity, tokens and counted work on sessions."""

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
        project_name: str | None = None,
    ) -> Session:
        """Record activity, tokens and counted work inside the caller's transaction.

        `project_name`: the session's project name, when the caller read the session in this
        transaction (saves reading it back)."""
        if input_tokens < 0 or output_tokens < 0:
            raise InvalidInput(
                "token counts must not be negative",
                field="input_tokens" if input_tokens < 0 else "output_tokens",
            )
        session = repo.add_activity(
            conn,
            session_id,
            now=now,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            contexts=contexts,
            events=events,
            tool_calls=1 if tool_name else 0,
            project_name=project_name,
        )
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
        if input_tokens < 0 or output_tokens < 0:
            raise InvalidInput(
                "token counts must not be negative",
                field="input_tokens" if input_tokens < 0 else "output_tokens",
            )
        exact = tokens_are_exact(session)  # the agent's transcript is the truth: no estimates on top
        counted = accounting_repo.count_call(
            conn,
            session.id,
            event={
                "occurred_at": now,
                "actor": Actor.AGENT.value,
                "event_type": str(event_type),
                "context_id": context_id,
                "tool_name": tool,
                "event_status": "ok",
                "duration_ms": None,
                "payload": payload or {},
            },
            now=now,
            input_tokens=0 if exact else input_tokens,
            output_tokens=0 if exact else output_tokens,
            contexts=contexts,
            tool_calls=1,
            project_name=session.project_name,
        )
        if counted is None:
            raise NotFound(f"session {session.id} does not exist; {tool} not recorded", field="session_id")
        return counted

    def count_call_in(
        self, conn: Connection, session: Session, call: ToolCall | None, now: datetime
    ) -> Session:
        """Count one tool call (its estimated tokens) on `session`; nothing when there is no call."""
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

"""What `session_status` answers: the caller's open session (its call counted) and, when it has no
project yet, where one would come from.

Invariant: a status call never opens a session; it is counted on the open session if there is one,
found and counted under one lock, so the session cannot end in between. On PostgreSQL that is one
statement (one round trip, then the hint's reads only when there is no project to report); on SQLite
one local transaction holds the count and the hint.
"""

from __future__ import annotations

from aidis.enums import Actor, EventType
from aidis.records import Session
from aidis.repositories import accounting as accounting_repo
from aidis.repositories import sessions as repo
from aidis.services.caller import Caller, estimate_tokens
from aidis.services.sessions.attribution import SessionAttribution
from aidis.services.sessions.switching import SessionSwitching


class SessionStatus(SessionSwitching, SessionAttribution):
    """The status of a caller's session, as the status tool reports it."""

    def status_call(
        self, caller: Caller, tool: str, *, input_chars: int, output_chars: int
    ) -> tuple[Session | None, str | None]:
        """The caller's open session with this call counted (None when there is none), and the
        attribution hint for a session without a project or for the session a first call would open."""
        if self.whole_writes_in_one_statement:
            with self.one_statement() as conn:
                counted = accounting_repo.count_call_on_open(
                    conn,
                    caller.connection_id,
                    tool=tool,
                    event_type=str(EventType.TOOL_CALL),
                    actor=Actor.AGENT.value,
                    now=self.clock(),
                    input_tokens=estimate_tokens(input_chars),
                    output_tokens=estimate_tokens(output_chars),
                )
            if counted is not None and not counted.is_unassigned:
                return counted, None
            return counted, self.attribution_hint(caller, counted)
        now = self.clock()
        with self.unit_of_work() as conn:  # SQLite: one local transaction, whatever there is to say
            session = repo.get_open_for_connection(conn, caller.connection_id, lock=True)
            if session is None:
                return None, self.hint_in(conn, caller, None)
            counted = self.count_chars_in(conn, session, tool, input_chars, output_chars, now)
            return counted, self.hint_in(conn, caller, counted) if counted.is_unassigned else None

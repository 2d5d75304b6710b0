"""Sessions: the lifecycle (lazy start, project attribution, switching, assignment, end), accounting
in the transaction of the work, moves between projects, reaping of idle and stranded sessions, lookup,
structured summaries and the hand-over a new session starts with.

May call: `projects`, `text` and the kernel. Never memory, agents or operations: they call this.
"""

from aidis.services.sessions.handover import SessionContextService
from aidis.services.sessions.lifecycle import SessionService, format_display_id
from aidis.services.sessions.lookup import find_session
from aidis.services.sessions.summaries import SessionSummaryService, Summary

__all__ = [
    "SessionContextService",
    "SessionService",
    "SessionSummaryService",
    "Summary",
    "find_session",
    "format_display_id",
]

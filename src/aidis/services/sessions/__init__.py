"""Sessions: the lifecycle (lazy start, project attribution, switching, assignment, end), accounting
in the transaction of the work, moves between projects, reaping of idle and stranded sessions, lookup,
structured summaries (written from the activity when the agent wrote none), joining an MCP server to
its agent's session, and reading what agents did.

May call: `handover`, `projects`, `text` and the kernel. Never memory, agents or operations: they call this.
"""

from aidis.services.sessions.display_ids import format_display_id
from aidis.services.sessions.lifecycle import SessionService
from aidis.services.sessions.lookup import find_session
from aidis.services.sessions.summaries import SessionSummaryService, Summary

__all__ = [
    "SessionService",
    "SessionSummaryService",
    "Summary",
    "find_session",
    "format_display_id",
]

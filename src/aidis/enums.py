"""The single source of every enum AIDIS stores or accepts.

Schema CHECK constraints, pydantic models and service code all read these classes, so a value
can never exist in one place and not another.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

SENTINEL_PROJECT_ID = uuid.UUID(int=0)
SENTINEL_PROJECT_NAME = "__unassigned__"
SENTINEL_DISPLAY_NAME = "Unassigned"


class SessionStatus(StrEnum):
    """Where a session is in its life: active, then exactly one terminal state."""

    ACTIVE = "active"
    ENDED = "ended"
    TIMED_OUT = "timed_out"
    INTERRUPTED = "interrupted"


class EndReason(StrEnum):
    """Why a session ended; each reason maps to one terminal status."""

    EXPLICIT = "explicit"
    NEW_SESSION = "new_session"
    CONNECTION_CLOSED = "connection_closed"
    IDLE_TIMEOUT = "idle_timeout"
    SHUTDOWN = "shutdown"
    RESTART_CLEANUP = "restart_cleanup"
    INTEGRITY_FIX = "integrity_fix"

    @property
    def status(self) -> SessionStatus:
        """The terminal status a session ending for this reason takes."""
        return _END_STATUS[self]


_END_STATUS: dict[EndReason, SessionStatus] = {
    EndReason.EXPLICIT: SessionStatus.ENDED,
    EndReason.NEW_SESSION: SessionStatus.ENDED,
    EndReason.CONNECTION_CLOSED: SessionStatus.ENDED,
    EndReason.IDLE_TIMEOUT: SessionStatus.TIMED_OUT,
    EndReason.SHUTDOWN: SessionStatus.INTERRUPTED,
    EndReason.RESTART_CLEANUP: SessionStatus.INTERRUPTED,
    EndReason.INTEGRITY_FIX: SessionStatus.INTERRUPTED,
}


class EventType(StrEnum):
    """Kinds of analytics events."""

    SESSION_START = "session_start"
    SESSION_END = "session_end"
    SESSION_ASSIGNED = "session_assigned"
    CONTEXT_STORED = "context_stored"
    TOOL_CALL = "tool_call"
    PROJECT_CREATED = "project_created"
    PROJECT_RENAMED = "project_renamed"
    PROJECT_ARCHIVED = "project_archived"
    PROJECT_DELETED = "project_deleted"
    PROJECT_SWITCHED = "project_switched"
    CONTEXT_SEEN = "context_seen"  # the same content stored again: the existing context was returned
    CONTEXT_UPDATED = "context_updated"
    CONTEXT_DELETED = "context_deleted"
    CONTEXT_RESTORED = "context_restored"
    CONTEXT_PURGED = "context_purged"  # the tombstone of text removed for good
    CONTEXTS_PRUNED = "contexts_pruned"
    EVENTS_PRUNED = "events_pruned"


class EventStatus(StrEnum):
    """Outcome recorded on an analytics event."""

    OK = "ok"
    ERROR = "error"


class Actor(StrEnum):
    """Who caused a change: the agent, a person, AIDIS itself, or a repair job."""

    AGENT = "agent"
    USER = "user"
    SYSTEM = "system"
    BACKFILL = "backfill"
    IMPORT = "import"


class ChangeReason(StrEnum):
    """Why a session moved from one project to another."""

    EXPLICIT_ASSIGN = "explicit_assign"
    PROJECT_SWITCH = "project_switch"
    AUTO_ASSIGN = "auto_assign"
    BULK_ASSIGN = "bulk_assign"
    PROJECT_DELETED = "project_deleted"
    BACKFILL = "backfill"
    BACKFILL_REVERT = "backfill_revert"
    WORKSPACE = "workspace"
    MERGE = "merge"


class WorkspaceKind(StrEnum):
    """What kind of workspace identity a project holds."""

    ROOT = "root"  # an absolute directory; everything under it belongs to the project
    REPO = "repo"  # a normalized git remote identity, e.g. github.com/acme/widgets


class WorkspaceSource(StrEnum):
    """Where the evidence of a session's workspace came from, strongest first."""

    ARGUMENT = "argument"  # a `workspace` argument of the call
    ROOTS = "roots"  # the client's MCP roots
    HEADER = "header"  # X-AIDIS-Workspace on HTTP
    HOOK = "hook"  # an agent hook's cwd
    HISTORY = "history"  # the working directory an agent's transcript recorded (aidis import-history)
    CWD = "cwd"  # the stdio server's own working directory


class ProjectStatus(StrEnum):
    """Whether a project takes new work."""

    ACTIVE = "active"
    ARCHIVED = "archived"


class ContextType(StrEnum):
    """What kind of memory a stored context is."""

    CODE = "code"
    DECISION = "decision"
    ERROR = "error"
    DISCUSSION = "discussion"
    PLANNING = "planning"
    COMPLETION = "completion"
    MILESTONE = "milestone"
    REFLECTION = "reflection"
    HANDOFF = "handoff"
    NOTE = "note"


def values(enum_cls: type[StrEnum]) -> list[str]:
    """The stored string values of an enum, in declaration order."""
    return [member.value for member in enum_cls]


class ActivityKind(StrEnum):
    """What an agent did, as its tool-use hooks report it (no model call involved)."""

    READ = "read"  # a file read
    CREATE = "create"  # a file created
    EDIT = "edit"  # a file changed
    DELETE = "delete"  # a file deleted
    COMMAND = "command"  # a shell command (with its exit status when the agent reports it)
    TEST = "test"  # a test run (a command recognised as one), with pass/fail counts when its output says
    ERROR = "error"  # a tool that failed

    @property
    def touches_file(self) -> bool:
        """Whether this kind names a file."""
        return self in (ActivityKind.READ, ActivityKind.CREATE, ActivityKind.EDIT, ActivityKind.DELETE)


class SearchMode(StrEnum):
    """How context search ranks: by words, by meaning, or both fused (the default)."""

    KEYWORD = "keyword"  # full-text match (stemmed words, phrases, identifiers)
    SEMANTIC = "semantic"  # nearest vectors of the embedding model
    HYBRID = "hybrid"  # reciprocal rank fusion of the two; exact identifier matches first


class UsageShape(StrEnum):
    """How a usage report groups tokens and cost (the shapes `ccusage` users know, and per project)."""

    DAILY = "daily"
    WEEKLY = "weekly"  # weeks start on Monday
    MONTHLY = "monthly"
    SESSION = "session"
    PROJECT = "project"


class AuditKind(StrEnum):
    """What an audit entry records."""

    READ = "read"  # data was shown (ids and counts, never content)
    CHANGE = "change"  # data was changed, in the same transaction
    DENIED = "denied"  # a request was refused for want of a grant (or the project is hidden from it)


class Role(StrEnum):
    """What a person may do in a project (a grant), or at most with a token (its cap)."""

    READ = "read"  # search, get, list sessions, statistics
    WRITE = "write"  # store, edit, end and assign sessions into it
    ADMIN = "admin"  # rename, merge, roots, grants, purge, export, prune

    @property
    def rank(self) -> int:
        """Order: read < write < admin."""
        return (Role.READ, Role.WRITE, Role.ADMIN).index(self) + 1


class Surface(StrEnum):
    """Where a request came in, as the audit trail records it."""

    MCP = "mcp"
    API = "api"
    WEB = "web"
    HOOKS = "hooks"
    CLI = "cli"

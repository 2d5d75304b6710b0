"""Typed values the repositories return and the services hand to every surface."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_ID, WorkspaceKind


@dataclass(frozen=True, slots=True)
class Project:
    """A project row."""

    id: uuid.UUID
    name: str
    description: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sentinel(self) -> bool:
        """True for the `__unassigned__` project."""
        return self.id == SENTINEL_PROJECT_ID

    @property
    def display_name(self) -> str:
        """The name shown to people ('Unassigned' for the sentinel)."""
        return SENTINEL_DISPLAY_NAME if self.is_sentinel else self.name


@dataclass(frozen=True, slots=True)
class Session:
    """A session row, with its project's name joined in."""

    id: uuid.UUID
    display_id: str
    project_id: uuid.UUID
    project_name: str
    connection_id: str | None
    agent_type: str
    title: str | None
    goal: str | None
    status: str
    started_at: datetime
    last_activity_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    input_tokens: int
    output_tokens: int
    context_count: int
    event_count: int
    tool_call_count: int
    metadata: dict[str, Any] = field(default_factory=dict)
    user_id: uuid.UUID | None = None  # the person it belongs to, on a team server

    @property
    def is_unassigned(self) -> bool:
        """True while the session sits in the sentinel project."""
        return self.project_id == SENTINEL_PROJECT_ID

    @property
    def project_display_name(self) -> str:
        """The project name shown to people ('Unassigned' for the sentinel)."""
        return SENTINEL_DISPLAY_NAME if self.is_unassigned else self.project_name

    def duration_seconds(self, now: datetime) -> float:
        """Seconds from start to end (or to `now` while open)."""
        end = self.ended_at or now
        return max(0.0, (end - self.started_at).total_seconds())


@dataclass(frozen=True, slots=True)
class ProjectChange:
    """One recorded move of a session between projects."""

    id: int
    session_id: uuid.UUID
    from_project_id: uuid.UUID
    to_project_id: uuid.UUID
    changed_at: datetime
    reason: str
    actor: str
    run_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """One analytics event."""

    id: int
    occurred_at: datetime
    actor: str
    event_type: str
    project_id: uuid.UUID
    session_id: uuid.UUID | None
    context_id: uuid.UUID | None
    tool_name: str | None
    status: str
    duration_ms: int | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Context:
    """A stored piece of agent memory."""

    id: uuid.UUID
    project_id: uuid.UUID
    project_name: str
    session_id: uuid.UUID | None
    context_type: str
    content: str
    tags: list[str]
    created_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)
    rank: float | None = None
    topic_key: str | None = None
    revision: int = 1
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    purged_at: datetime | None = None
    seen_count: int = 1
    last_seen_at: datetime | None = None
    content_hash: str | None = None

    @property
    def redactions(self) -> dict[str, int]:
        """Secrets removed from this context before it was stored, by kind."""
        return redaction_counts(self.metadata)

    @property
    def project_display_name(self) -> str:
        """The project name shown to people ('Unassigned' for the sentinel)."""
        return SENTINEL_DISPLAY_NAME if self.project_id == SENTINEL_PROJECT_ID else self.project_name


def redaction_counts(metadata: dict[str, Any] | None) -> dict[str, int]:
    """The redaction counts a context's metadata keeps (`{"redactions": {kind: n}}`), by kind."""
    found = (metadata or {}).get("redactions")
    return {str(k): int(v) for k, v in found.items()} if isinstance(found, dict) else {}


@dataclass(frozen=True, slots=True)
class ContextHit:
    """A compact view of a context, sized for an agent's context window: never the whole text."""

    id: uuid.UUID
    project_id: uuid.UUID
    project_name: str
    session_id: uuid.UUID | None
    session_display_id: str | None
    context_type: str
    title: str  # the first non-empty line, bounded
    snippet: str  # around the match; matched words between \x02 and \x03
    tags: list[str]
    created_at: datetime
    chars: int  # the length of the full text
    revision: int = 1
    seen_count: int = 1
    topic_key: str | None = None
    score: float | None = None
    deleted: bool = False
    redactions: dict[str, int] = field(default_factory=dict)
    matched: str | None = None  # a search hit's reason: exact, keyword, semantic, or keyword+semantic

    @property
    def project_display_name(self) -> str:
        """The project name shown to people ('Unassigned' for the sentinel)."""
        return SENTINEL_DISPLAY_NAME if self.project_id == SENTINEL_PROJECT_ID else self.project_name


@dataclass(frozen=True, slots=True)
class ContextRevision:
    """An earlier version of a context, kept when it was updated."""

    context_id: uuid.UUID
    revision: int
    context_type: str
    content: str
    tags: list[str]
    written_at: datetime
    replaced_at: datetime


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """What AIDIS remembers about one MCP connection (in the database, not in memory)."""

    id: str
    transport: str
    agent_type: str
    current_project_id: uuid.UUID | None
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class SessionStats:
    """Aggregate figures over a set of sessions."""

    total: int
    active: int
    ended: int
    timed_out: int
    interrupted: int
    total_duration_seconds: float
    average_duration_seconds: float | None
    contexts: int
    events: int
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class DayCount:
    """Sessions started on one UTC day in one project."""

    day: str
    project_id: uuid.UUID
    project_name: str
    sessions: int
    tokens: int = 0


@dataclass(frozen=True, slots=True)
class Workspace:
    """One workspace identity a project holds: a root directory or a repository identity."""

    kind: WorkspaceKind
    identity: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionFilter:
    """Filters shared by every session listing."""

    project_id: uuid.UUID | None = None
    status: str | None = None
    unassigned: bool = False
    agent_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    readable: tuple[uuid.UUID, ...] | None = None  # a team member's projects (None: every project)
    unassigned_owner: uuid.UUID | None = None  # in Unassigned, only this person's sessions


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the previous page ended: the sort key and id of its last row."""

    key: datetime
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ActivityRow:
    """One thing an agent did in a session (a file, a command, a test run, a failure)."""

    id: int
    session_id: uuid.UUID
    occurred_at: datetime
    agent: str
    kind: str
    tool_name: str | None
    path: str | None
    command: str | None
    exit_code: int | None
    tests_passed: int | None
    tests_failed: int | None
    detail: str | None

    @classmethod
    def from_row(cls, row: Any) -> ActivityRow:
        """From a `session_activity` row mapping."""
        return cls(
            id=int(row["id"]),
            session_id=row["session_id"],
            occurred_at=row["occurred_at"],
            agent=str(row["agent"]),
            kind=str(row["kind"]),
            tool_name=row["tool_name"],
            path=row["path"],
            command=row["command"],
            exit_code=row["exit_code"],
            tests_passed=row["tests_passed"],
            tests_failed=row["tests_failed"],
            detail=row["detail"],
        )


@dataclass(frozen=True, slots=True)
class TouchedBy:
    """A session whose agent touched a path."""

    session_id: uuid.UUID
    display_id: str
    project_id: uuid.UUID
    project_name: str
    path: str
    last_at: datetime
    times: int

    @classmethod
    def from_row(cls, row: Any) -> TouchedBy:
        """From the `touched` query's row mapping."""
        name = SENTINEL_DISPLAY_NAME if row["project_id"] == SENTINEL_PROJECT_ID else str(row["project_name"])
        return cls(
            session_id=row["id"],
            display_id=str(row["display_id"]),
            project_id=row["project_id"],
            project_name=name,
            path=str(row["path"]),
            last_at=row["last_at"],
            times=int(row["times"]),
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited read or change: who, through what, from where, which project and ids (never content)."""

    occurred_at: datetime
    user_id: uuid.UUID | None
    user_name: str | None
    token_id: uuid.UUID | None
    surface: str
    address: str | None
    action: str
    kind: str
    project_id: uuid.UUID | None
    target_ids: list[str]
    item_count: int
    outcome: str


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the identity provider says a token belongs to: its subject, email and groups."""

    subject: str
    email: str | None
    groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UsageRow:
    """Tokens one model used in one session on one UTC day (`hour`: the first hour of it used)."""

    hour: datetime
    model: str
    agent: str
    project_name: str
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cache_write_1h_tokens: int = 0  # a part of cache_write_tokens
    display_id: str | None = None
    person: str | None = None

    @property
    def total_tokens(self) -> int:
        """Every kind together (what ccusage calls the total; the 1-hour cache writes are already in)."""
        return self.input_tokens + self.output_tokens + self.cache_write_tokens + self.cache_read_tokens

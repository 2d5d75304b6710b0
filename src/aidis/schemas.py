"""JSON shapes shared by the MCP tools and the HTTP API (pydantic models built from records)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from aidis.records import (
    Context,
    ContextHit,
    ContextRevision,
    Project,
    ProjectChange,
    Session,
    SessionStats,
    TouchedBy,
)
from aidis.services.caller import estimate_tokens

if TYPE_CHECKING:  # the sessions domain loads the database layer; `aidis mcp` lists tools without it
    from aidis.services.handover.digest import ActivityDigest


class Out(BaseModel):
    """Base of every output model."""

    model_config = ConfigDict(from_attributes=True)


class ProjectOut(Out):
    """A project as agents and people see it."""

    id: str
    name: str = Field(description="Display name; 'Unassigned' for the sentinel project")
    stored_name: str = Field(description="Name as stored (the sentinel is '__unassigned__')")
    description: str | None
    status: str
    is_unassigned: bool
    created_at: datetime
    session_count: int | None = None

    @classmethod
    def of(cls, project: Project, session_count: int | None = None) -> ProjectOut:
        """Build from a record."""
        return cls(
            id=str(project.id),
            name=project.display_name,
            stored_name=project.name,
            description=project.description,
            status=project.status,
            is_unassigned=project.is_sentinel,
            created_at=project.created_at,
            session_count=session_count,
        )


class SessionOut(Out):
    """A session with its project's name (never 'Unknown Project')."""

    id: str
    display_id: str
    project_id: str
    project_name: str = Field(description="'Unassigned' for the sentinel project")
    is_unassigned: bool
    status: str
    title: str | None
    goal: str | None
    agent_type: str
    started_at: datetime
    last_activity_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    duration_seconds: float
    contexts: int
    events: int
    tool_calls: int
    input_tokens: int
    output_tokens: int
    tags: list[str] = []
    tokens: str = Field(default="estimated", description="exact (from the agent's transcript) or estimated")
    project_source: str | None = Field(
        default=None,
        description="How the session got its first project: explicit, workspace, connection or sentinel",
    )

    @classmethod
    def of(cls, session: Session, now: datetime) -> SessionOut:
        """Build from a record; open sessions count their duration up to `now`."""
        tags = session.metadata.get("tags", [])
        return cls(
            id=str(session.id),
            display_id=session.display_id,
            project_id=str(session.project_id),
            project_name=session.project_display_name,
            is_unassigned=session.is_unassigned,
            status=session.status,
            title=session.title,
            goal=session.goal,
            agent_type=session.agent_type,
            started_at=session.started_at,
            last_activity_at=session.last_activity_at,
            ended_at=session.ended_at,
            end_reason=session.end_reason,
            duration_seconds=round(session.duration_seconds(now), 3),
            contexts=session.context_count,
            events=session.event_count,
            tool_calls=session.tool_call_count,
            input_tokens=session.input_tokens,
            output_tokens=session.output_tokens,
            tags=list(tags) if isinstance(tags, list) else [],
            project_source=_text_or_none(session.metadata.get("project_source")),
            tokens="exact" if session.metadata.get("tokens") == "exact" else "estimated",
        )


def _text_or_none(value: object) -> str | None:
    return str(value) if value is not None else None


def render_snippet(snippet: str, start: str = "**", stop: str = "**") -> str:
    """A snippet with its match markers (\\x02 … \\x03) replaced by `start` … `stop`."""
    return snippet.replace("\x02", start).replace("\x03", stop)


class ContextOut(Out):
    """A stored context with its whole text."""

    id: str
    project_id: str
    project_name: str
    session_id: str | None
    context_type: str
    content: str
    tags: list[str]
    created_at: datetime
    key: str | None = None
    revision: int = 1
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    purged_at: datetime | None = None
    seen_count: int = 1
    tokens: int = 0
    redactions: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def of(cls, context: Context) -> ContextOut:
        """Build from a record."""
        return cls(
            id=str(context.id),
            project_id=str(context.project_id),
            project_name=context.project_display_name,
            session_id=str(context.session_id) if context.session_id else None,
            context_type=context.context_type,
            content=context.content,
            tags=context.tags,
            created_at=context.created_at,
            key=context.topic_key,
            revision=context.revision,
            updated_at=context.updated_at,
            deleted_at=context.deleted_at,
            purged_at=context.purged_at,
            seen_count=context.seen_count,
            tokens=estimate_tokens(len(context.content)),
            redactions=context.redactions,
        )


class ContextHitOut(Out):
    """A context in a listing: enough to decide whether to fetch it (`context_get`), never its whole text."""

    id: str
    type: str
    title: str
    snippet: str
    tags: list[str]
    created_at: datetime
    project: str
    session: str | None = Field(description="Display id of the session that stored it")
    score: float | None = None
    tokens: int = Field(description="Size of the whole text in tokens")
    key: str | None = None
    revision: int = 1
    seen: int = 1
    matched: str | None = None  # search only: exact, keyword, semantic, or keyword+semantic

    @classmethod
    def of(cls, hit: ContextHit, *, marks: tuple[str, str] = ("**", "**")) -> ContextHitOut:
        """Build from a record; matched words are wrapped in `marks`."""
        return cls(
            id=str(hit.id),
            type=hit.context_type,
            title=hit.title,
            snippet=render_snippet(hit.snippet, *marks),
            tags=hit.tags,
            created_at=hit.created_at,
            project=hit.project_display_name,
            session=hit.session_display_id,
            score=round(hit.score, 4) if hit.score is not None else None,
            tokens=estimate_tokens(hit.chars),
            key=hit.topic_key,
            revision=hit.revision,
            seen=hit.seen_count,
            matched=hit.matched,
        )


class ContextRevisionOut(Out):
    """An earlier version of a context."""

    revision: int
    context_type: str
    content: str
    tags: list[str]
    written_at: datetime
    replaced_at: datetime

    @classmethod
    def of(cls, revision: ContextRevision) -> ContextRevisionOut:
        """Build from a record."""
        return cls(
            revision=revision.revision,
            context_type=revision.context_type,
            content=revision.content,
            tags=revision.tags,
            written_at=revision.written_at,
            replaced_at=revision.replaced_at,
        )


class TouchedOut(Out):
    """A session whose agent touched a path."""

    session: str = Field(description="The session's display id")
    project: str
    path: str
    times: int = Field(description="How many times the session's agent touched it")
    last_at: datetime

    @classmethod
    def of(cls, touched: TouchedBy) -> TouchedOut:
        """Build from a record."""
        return cls(
            session=touched.display_id,
            project=touched.project_name,
            path=touched.path,
            times=touched.times,
            last_at=touched.last_at,
        )


class ChangeOut(Out):
    """One recorded move of a session between projects."""

    from_project_id: str
    to_project_id: str
    changed_at: datetime
    reason: str
    actor: str
    details: dict[str, Any]

    @classmethod
    def of(cls, change: ProjectChange) -> ChangeOut:
        """Build from a record."""
        return cls(
            from_project_id=str(change.from_project_id),
            to_project_id=str(change.to_project_id),
            changed_at=change.changed_at,
            reason=change.reason,
            actor=change.actor,
            details=change.details,
        )


class StatsOut(Out):
    """Aggregate session figures."""

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

    @classmethod
    def of(cls, stats: SessionStats) -> StatsOut:
        """Build from a record."""
        return cls.model_validate(stats)


class ActivityRowOut(Out):
    """One thing an agent did (a file, a command, a test run, a failure)."""

    occurred_at: datetime
    kind: str
    tool_name: str | None
    path: str | None
    command: str | None
    exit_code: int | None
    tests_passed: int | None
    tests_failed: int | None
    detail: str | None


class ActivityOut(Out):
    """What a session's agent did, digested (the same digest on every surface)."""

    summary: str = Field(description="One sentence: files changed, test runs and how the last went")
    counts: dict[str, int]
    files: dict[str, list[str]] = Field(description="Path → what was done to it (read, create, edit, delete)")
    tree: dict[str, Any] = Field(description="The touched files as nested folders")
    commands: list[dict[str, Any]]
    tests: list[dict[str, Any]]
    failures: list[str]
    left_failing: list[str]

    @classmethod
    def of(cls, found: ActivityDigest) -> ActivityOut:
        """Build from a digest."""
        return cls(
            summary=found.sentence(),
            counts=found.counts(),
            files=found.files,
            tree=found.tree(),
            commands=[{"command": c, "exit_code": code} for c, code in found.commands],
            tests=[
                {
                    "command": t.command,
                    "passed": t.passed,
                    "failed": t.failed,
                    "exit_code": t.exit_code,
                    "ok": t.ok,
                }
                for t in found.tests
            ],
            failures=found.errors,
            left_failing=found.failing(),
        )


class UsageLineOut(Out):
    """Tokens and cost of one line of a usage report (a day, week, month, session, project or model)."""

    key: str = Field(description="The day, week (its Monday), month, session display id, project or model")
    input_tokens: int = Field(description="Input tokens not read from or written to a cache")
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    total_tokens: int
    cost_usd: float | None = Field(description="Cost of the priced tokens; null when none could be priced")
    unpriced_tokens: int = Field(description="Tokens of models no price data knows (not in cost_usd)")
    models: list[str]
    unpriced_models: list[str]
    project: str | None = None
    agent: str | None = None
    breakdown: list[UsageLineOut] = Field(default_factory=list, description="Per model, with --breakdown")

    @classmethod
    def of(cls, line: Any) -> UsageLineOut:
        """From a report line (aidis.services.usage.reports.UsageLine)."""
        cost = line.cost_usd
        return cls(
            key=line.key,
            **line.tokens,
            total_tokens=line.total_tokens,
            cost_usd=round(float(cost), 6) if cost is not None else None,
            unpriced_tokens=line.unpriced_tokens,
            models=sorted(line.models),
            unpriced_models=sorted(line.unpriced_models),
            project=line.project,
            agent=line.agent,
            breakdown=[cls.of(b) for b in sorted(line.breakdown.values(), key=lambda b: b.key)],
        )


class UsageReportOut(Out):
    """A usage report: its lines, their total, the time zone days were cut in, and the price data."""

    shape: str
    timezone: str
    price_data: str = Field(description="Which price data priced the costs (and the user's price file)")
    items: list[UsageLineOut]
    total: UsageLineOut

    @classmethod
    def of(cls, report: Any) -> UsageReportOut:
        """From a report (aidis.services.usage.reports.UsageReport)."""
        return cls(
            shape=report.shape.value,
            timezone=report.timezone,
            price_data=report.price_data,
            items=[UsageLineOut.of(line) for line in report.lines],
            total=UsageLineOut.of(report.total),
        )

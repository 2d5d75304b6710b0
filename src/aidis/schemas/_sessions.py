"""Output shapes of projects, sessions, their changes, statistics and captured activity."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from aidis.records import (
    Project,
    ProjectChange,
    Session,
    SessionStats,
)

if TYPE_CHECKING:  # the sessions domain loads the database layer; `aidis mcp` lists tools without it
    from aidis.services.handover.digest import ActivityDigest

from aidis.schemas._base import Out


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

"""Output shapes of stored memory: a context whole, as a hit, its revisions, the sessions that touched a
path, and what a store did."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from aidis.records import (
    Context,
    ContextHit,
    ContextRevision,
    TouchedBy,
)
from aidis.schemas._base import Out
from aidis.services.caller import estimate_tokens


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


class StoredOut(Out):
    """What storing a note did (`aidis contexts add`, `POST /api/v1/contexts`; the context_store tool's
    shape without the session detail)."""

    context: ContextHitOut
    outcome: str = Field(description="stored | duplicate (already known: seen again) | updated (by key)")
    session: str = Field(description="Display id of the session the note was counted on")
    redactions: dict[str, int] = Field(default_factory=dict, description="Secrets removed, by kind")

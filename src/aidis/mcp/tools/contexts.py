"""Context tools: store (deduplicated, upsert by key), compact search and recent, get in full, timeline."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from aidis.enums import ContextType, SearchMode
from aidis.mcp.toolkit import ToolEnv, ToolInput, ToolSpec
from aidis.mcp.tools.common import Limit, Offset, ProjectRef, count_read, hit_out, session_out
from aidis.schemas import ContextHitOut, ContextOut, ContextRevisionOut, SessionOut, TouchedOut

if TYPE_CHECKING:
    from aidis.services.memory.reads import ContextPage

# Services are imported where a handler runs, not at module level: `aidis mcp` answers `initialize`
# before it loads the database layer (see aidis.mcp.deferred_app), and by the time a tool runs it is loaded.

Tag = Annotated[str, Field(min_length=1, max_length=64)]
Key = Annotated[str, Field(min_length=1, max_length=200)]


class ContextStoreIn(ToolInput):
    content: str = Field(min_length=1, max_length=100_000, description="What to remember")
    type: ContextType = ContextType.NOTE
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    key: Key | None = Field(
        default=None, description="Topic key (e.g. decision/auth): storing it again revises it"
    )
    project: ProjectRef | None = Field(default=None, description="Default: your session's project")


class ContextStoreOut(BaseModel):
    context: ContextHitOut
    outcome: str = Field(description="stored | duplicate (already known: seen again) | updated (by key)")
    session: SessionOut
    redactions: dict[str, int] = Field(default_factory=dict, description="Secrets removed, by kind")


async def context_store(env: ToolEnv, args: ContextStoreIn) -> ContextStoreOut:
    """Remember a decision, a fix, a plan… as project memory for later sessions. The same text again
    returns the existing context; a key makes it an upsert. Secrets and <private>…</private> are
    removed."""
    stored = await env.run(
        env.app.contexts.store,
        env.caller,
        args.content,
        context_type=args.type,
        tags=args.tags,
        project=args.project,
        key=args.key,
        input_chars=env.input_chars,
    )
    out = session_out(env, stored.session)
    assert out is not None
    return ContextStoreOut(
        context=hit_out(stored.context, stored.session),
        outcome=stored.outcome,
        session=out,
        redactions=stored.redactions,
    )


class ContextSearchIn(ToolInput):
    query: str = Field(
        min_length=1,
        max_length=500,
        description='Words, a question, "a phrase", prefix*',
    )
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid"  # hybrid: words and meaning fused
    project: ProjectRef | None = Field(default=None, description="Default: your session's project")
    all_projects: bool = False
    types: list[ContextType] = Field(default_factory=list, max_length=10)
    tags: list[Tag] = Field(default_factory=list, max_length=20, description="All must be present")
    since: AwareDatetime | None = None  # a time without a UTC offset is refused, naming the field
    until: AwareDatetime | None = None
    limit: Limit = 10
    offset: Offset = 0


class ContextPageOut(BaseModel):
    scope: str = Field(description="The project searched, or 'all projects'")
    items: list[ContextHitOut]
    next_offset: int | None
    hint: str
    touched_by: list[TouchedOut] = Field(
        default_factory=list, description="For a file path query: the sessions whose agent touched it"
    )


class ContextSearchOut(ContextPageOut):
    mode_used: str  # the ranking that produced the list (the hint says why, when not the one asked for)


def _page(page: ContextPage, offset: int) -> ContextPageOut:
    more = offset + len(page.items) if page.has_more else None
    hint = "context_get ids for whole texts" + (f"; offset={more} for more" if more is not None else "")
    return ContextPageOut(
        scope=page.scope,
        items=[ContextHitOut.of(h) for h in page.items],
        next_offset=more,
        hint=hint,
        touched_by=[TouchedOut.of(t) for t in page.touched],
    )


async def context_search(env: ToolEnv, args: ContextSearchIn) -> ContextSearchOut:
    """Recall memory: notes and decisions from earlier sessions in your project (or a named one, or
    all_projects), by words and meaning. Compact hits; whole texts via context_get. A path also lists
    sessions that touched it."""
    from aidis.services.memory.reads import ContextQuery

    query = ContextQuery(
        project=args.project,
        all_projects=args.all_projects,
        types=args.types,
        tags=args.tags,
        since=args.since,
        until=args.until,
    )
    page = await env.run(
        env.app.context_reads.search,
        env.caller,
        args.query,
        query,
        limit=args.limit,
        offset=args.offset,
        mode=SearchMode(args.mode),
    )
    used = page.mode_used.value if page.mode_used is not None else args.mode
    listed = _page(page, args.offset)
    if page.notice:
        listed.hint = f"{page.notice}. {listed.hint}"
    out = ContextSearchOut(**listed.__dict__, mode_used=used)
    await count_read(env, len(out.model_dump_json()))
    return out


class ContextRecentIn(ToolInput):
    project: ProjectRef | None = None
    all_projects: bool = False
    types: list[ContextType] = Field(default_factory=list, max_length=10)
    limit: Limit = 10
    offset: Offset = 0


async def context_recent(env: ToolEnv, args: ContextRecentIn) -> ContextPageOut:
    """The newest contexts in your session's project (or a named one, or all), compact."""
    from aidis.services.memory.reads import ContextQuery

    query = ContextQuery(project=args.project, all_projects=args.all_projects, types=args.types)
    page = await env.run(
        env.app.context_reads.recent, env.caller, query, limit=args.limit, offset=args.offset
    )
    out = _page(page, args.offset)
    await count_read(env, len(out.model_dump_json()))
    return out


class ContextGetIn(ToolInput):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    revisions: bool = Field(default=False, description="Include earlier versions")


class FullContextOut(BaseModel):
    context: ContextOut
    revisions: list[ContextRevisionOut]


class ContextGetOut(BaseModel):
    items: list[FullContextOut]


async def context_get(env: ToolEnv, args: ContextGetIn) -> ContextGetOut:
    """Whole texts of contexts by id, optionally with earlier revisions."""
    found = await env.run(env.app.context_reads.get, args.ids, with_revisions=args.revisions)
    out = ContextGetOut(
        items=[
            FullContextOut(
                context=ContextOut.of(f.context), revisions=[ContextRevisionOut.of(r) for r in f.revisions]
            )
            for f in found
        ]
    )
    await count_read(env, len(out.model_dump_json()))
    return out


class ContextTimelineIn(ToolInput):
    id: uuid.UUID
    before: int = Field(default=3, ge=0, le=20)
    after: int = Field(default=3, ge=0, le=20)


class ContextTimelineOut(BaseModel):
    context: ContextHitOut
    before: list[ContextHitOut] = Field(description="Nearest first")
    after: list[ContextHitOut] = Field(description="Oldest first")


async def context_timeline(env: ToolEnv, args: ContextTimelineIn) -> ContextTimelineOut:
    """Contexts stored just before and after one, in its session."""
    line = await env.run(env.app.context_reads.timeline, args.id, before=args.before, after=args.after)
    out = ContextTimelineOut(
        context=ContextHitOut.of(line.anchor),
        before=[ContextHitOut.of(h) for h in line.before],
        after=[ContextHitOut.of(h) for h in line.after],
    )
    await count_read(env, len(out.model_dump_json()))
    return out


SPECS = [
    ToolSpec(
        "context_store",
        "Store context",
        "contexts",
        ContextStoreIn,
        ContextStoreOut,
        context_store,
        search_hint="remember memory save for later",
    ),
    ToolSpec(
        "context_search",
        "Search contexts",
        "contexts",
        ContextSearchIn,
        ContextSearchOut,
        context_search,
        read_only=True,
        search_hint="recall memory what we decided earlier previous sessions notes decisions",
    ),
    ToolSpec(
        "context_recent",
        "Recent contexts",
        "contexts",
        ContextRecentIn,
        ContextPageOut,
        context_recent,
        read_only=True,
    ),
    ToolSpec(
        "context_get",
        "Get contexts",
        "contexts",
        ContextGetIn,
        ContextGetOut,
        context_get,
        read_only=True,
    ),
    ToolSpec(
        "context_timeline",
        "Context timeline",
        "contexts",
        ContextTimelineIn,
        ContextTimelineOut,
        context_timeline,
        read_only=True,
    ),
]

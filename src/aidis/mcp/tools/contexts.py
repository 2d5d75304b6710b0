"""Context tools: store, search, recent."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from aidis.enums import ContextType
from aidis.mcp.toolkit import ToolEnv, ToolInput, ToolSpec
from aidis.mcp.tools.common import Limit, Offset, ProjectRef, count_read, session_out
from aidis.schemas import ContextOut, SessionOut

Tag = Annotated[str, Field(min_length=1, max_length=64)]


class ContextStoreIn(ToolInput):
    content: str = Field(min_length=1, max_length=100_000, description="What to remember")
    type: ContextType = Field(default=ContextType.NOTE, description="Kind of memory")
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    project: ProjectRef | None = Field(
        default=None, description="Store in this project (default: your session's project)"
    )


class ContextStoreOut(BaseModel):
    context: ContextOut
    session: SessionOut
    redactions: dict[str, int] = Field(
        default_factory=dict, description="Secrets removed before storing, by kind"
    )


async def context_store(env: ToolEnv, args: ContextStoreIn) -> ContextStoreOut:
    """Remember something (a decision, an error and its fix, a plan…) in your session's project.
    Starts a session if none is open. Naming a project from an Unassigned session assigns it.
    Secrets and <private>…</private> text are removed before storing (counted in `redactions`)."""
    stored = await env.run(
        env.app.contexts.store,
        env.caller,
        args.content,
        context_type=args.type,
        tags=args.tags,
        project=args.project,
        input_chars=env.input_chars,
    )
    out = session_out(env, stored.session)
    assert out is not None
    return ContextStoreOut(context=ContextOut.of(stored.context), session=out, redactions=stored.redactions)


class ContextSearchIn(ToolInput):
    query: str = Field(min_length=1, max_length=500, description="Words to look for (all must match)")
    project: ProjectRef | None = Field(
        default=None, description="Search this project (default: your session's)"
    )
    all_projects: bool = Field(default=False, description="Search every project")
    types: list[ContextType] = Field(default_factory=list, max_length=10)
    tags: list[Tag] = Field(
        default_factory=list, max_length=20, description="Only contexts with all these tags"
    )
    limit: Limit = 10
    offset: Offset = 0


class ContextPageOut(BaseModel):
    scope: str = Field(description="The project searched, or 'all projects'")
    items: list[ContextOut]
    next_offset: int | None


async def context_search(env: ToolEnv, args: ContextSearchIn) -> ContextPageOut:
    """Full-text search of stored contexts, best match first, in your session's project unless you
    name another or set all_projects. Filter by types and tags; paginate with limit/offset."""
    page = await env.run(
        env.app.contexts.search,
        env.caller,
        args.query,
        project=args.project,
        all_projects=args.all_projects,
        types=args.types,
        tags=args.tags,
        limit=args.limit + 1,
        offset=args.offset,
    )
    out = _page(page.items, page.scope, args.limit, args.offset)
    await count_read(env, len(out.model_dump_json()))
    return out


class ContextRecentIn(ToolInput):
    project: ProjectRef | None = None
    all_projects: bool = False
    types: list[ContextType] = Field(default_factory=list, max_length=10)
    limit: Limit = 10
    offset: Offset = 0


async def context_recent(env: ToolEnv, args: ContextRecentIn) -> ContextPageOut:
    """The newest contexts in your session's project (or a named project, or all projects)."""
    page = await env.run(
        env.app.contexts.recent,
        env.caller,
        project=args.project,
        all_projects=args.all_projects,
        types=args.types,
        limit=args.limit + 1,
        offset=args.offset,
    )
    out = _page(page.items, page.scope, args.limit, args.offset)
    await count_read(env, len(out.model_dump_json()))
    return out


def _page(items: list, scope: str, limit: int, offset: int) -> ContextPageOut:  # type: ignore[type-arg]
    has_more = len(items) > limit
    return ContextPageOut(
        scope=scope,
        items=[ContextOut.of(c) for c in items[:limit]],
        next_offset=offset + limit if has_more else None,
    )


SPECS = [
    ToolSpec("context_store", "Store context", "contexts", ContextStoreIn, ContextStoreOut, context_store),
    ToolSpec(
        "context_search",
        "Search contexts",
        "contexts",
        ContextSearchIn,
        ContextPageOut,
        context_search,
        read_only=True,
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
]

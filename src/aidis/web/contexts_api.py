"""JSON API for memory under /api/v1/contexts: store a note, compact search and listing, one context in
full (with revisions), update, delete (or purge) and restore. Thin: each handler calls one service; people act
here, so edits are recorded with actor `user` and may touch any project."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from aidis.enums import ContextType, SearchMode
from aidis.schemas import ContextHitOut, ContextOut, ContextRevisionOut, StoredOut, TouchedOut
from aidis.services.memory.edits import EditedContext
from aidis.services.memory.reads import ContextQuery, as_hit
from aidis.web.api import ERRORS, App, no_nul_input, only_query

router = APIRouter(
    prefix="/api/v1", responses=ERRORS, dependencies=[Depends(no_nul_input)], tags=["contexts"]
)

LIST_QUERY = (
    "q",
    "mode",
    "project",
    "all_projects",
    "type",
    "tag",
    "session",
    "since",
    "until",
    "deleted",
    "limit",
    "offset",
)


class ContextPage(BaseModel):
    scope: str
    items: list[ContextHitOut]
    next_offset: int | None
    touched_by: list[TouchedOut] = Field(
        default_factory=list, description="For a file path query: the sessions that touched it"
    )
    mode_used: SearchMode | None = Field(default=None, description="With `q`: the ranking that was used")
    notice: str | None = Field(default=None, description="With `q`: why it is not the `mode` asked for")


@router.get("/contexts", dependencies=[only_query(*LIST_QUERY)])
def list_contexts(
    app: App,
    q: Annotated[
        str | None, Query(max_length=500, description='Words, a question, "a phrase", prefix*')
    ] = None,
    mode: Annotated[
        SearchMode, Query(description="With `q`: hybrid (words and meaning), keyword, semantic")
    ] = (SearchMode.HYBRID),
    project: Annotated[str | None, Query(max_length=200)] = None,
    all_projects: bool = False,
    type: Annotated[list[ContextType] | None, Query(max_length=10)] = None,
    tag: Annotated[list[str] | None, Query(max_length=20)] = None,
    session: Annotated[str | None, Query(max_length=64)] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    deleted: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ContextPage:
    """Search (with `q`, best match first) or list (newest first) contexts, compact: title, snippet, size.

    Without `project` or `all_projects`, the Unassigned project is shown."""
    query = ContextQuery(
        project=project,
        all_projects=all_projects,
        types=type or [],
        tags=tag or [],
        session=session,
        since=since,
        until=until,
        deleted=deleted,
    )
    reads = app.context_reads
    page = (
        reads.search(None, q, query, limit=limit, offset=offset, mode=mode)
        if q is not None
        else reads.recent(None, query, limit=limit, offset=offset)
    )
    return ContextPage(
        scope=page.scope,
        items=[ContextHitOut.of(hit) for hit in page.items],
        next_offset=offset + len(page.items) if page.has_more else None,
        touched_by=[TouchedOut.of(t) for t in page.touched],
        mode_used=page.mode_used,
        notice=page.notice,
    )


class FullContext(BaseModel):
    context: ContextOut
    revisions: list[ContextRevisionOut]


@router.get("/contexts/{context_id}", dependencies=[only_query("revisions")])
def get_context(app: App, context_id: uuid.UUID, revisions: bool = False) -> FullContext:
    """One context with its whole text and, with `revisions=true`, its earlier versions."""
    (found,) = app.context_reads.get([context_id], with_revisions=revisions)
    return FullContext(
        context=ContextOut.of(found.context), revisions=[ContextRevisionOut.of(r) for r in found.revisions]
    )


class ContextStoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=100_000)
    type: ContextType = ContextType.NOTE
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=20
    )
    key: str | None = Field(
        default=None,
        max_length=200,
        description="Topic key (e.g. decision/auth): storing it again revises it",
    )
    project: str | None = Field(default=None, max_length=200, description="Project name or id")
    workspace: str | None = Field(
        default=None, max_length=4096, description="A folder: the project it belongs to, when none is named"
    )


@router.post("/contexts", status_code=201, dependencies=[only_query()])
def store_context(app: App, body: ContextStoreIn) -> StoredOut:
    """Store a note without an MCP client, by the context_store tool's rules: secrets redacted, the same
    text again is a `duplicate` (seen again), a `key` already held revises it (`updated`); the project
    named, else the one `workspace` belongs to, else Unassigned."""
    stored = app.contexts.store_by_hand(
        "api",
        body.content,
        workspace=body.workspace,
        context_type=body.type,
        tags=body.tags,
        project=body.project,
        key=body.key,
    )
    return StoredOut(
        context=ContextHitOut.of(as_hit(stored.context, stored.session)),
        outcome=stored.outcome,
        session=stored.session.display_id,
        redactions=stored.redactions,
    )


class ContextUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str | None = Field(default=None, min_length=1, max_length=100_000)
    type: ContextType | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(default=None, max_length=20)


class ContextDeleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purge: bool = Field(default=False, description="Erase the text and revisions for good")
    reason: str | None = Field(default=None, max_length=500)


class EditOut(BaseModel):
    context: ContextHitOut
    action: str
    redactions: dict[str, int]


def _edit_out(edited: EditedContext) -> EditOut:
    return EditOut(
        context=ContextHitOut.of(as_hit(edited.context)), action=edited.action, redactions=edited.redactions
    )


@router.patch("/contexts/{context_id}", dependencies=[only_query()])
def update_context(app: App, context_id: uuid.UUID, body: ContextUpdateIn) -> EditOut:
    """Change a context's content, type or tags; the previous version is kept as a revision."""
    edited = app.context_edits.update(
        None, context_id, content=body.content, context_type=body.type, tags=body.tags
    )
    return _edit_out(edited)


@router.post("/contexts/{context_id}/delete", dependencies=[only_query()])
def delete_context(app: App, context_id: uuid.UUID, body: ContextDeleteIn) -> EditOut:
    """Hide a context (restorable), or with `purge` erase its text for good (a tombstone event stays)."""
    return _edit_out(app.context_edits.delete(None, context_id, purge=body.purge, reason=body.reason))


@router.post("/contexts/{context_id}/restore", dependencies=[only_query()])
def restore_context(app: App, context_id: uuid.UUID) -> EditOut:
    """Bring back a deleted (not purged) context."""
    return _edit_out(app.context_edits.restore(None, context_id))

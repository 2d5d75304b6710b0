"""Context edit tools: update (keeps revisions), delete (restorable, or purge for good), restore."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field

from aidis.enums import ContextType
from aidis.mcp.toolkit import ToolEnv, ToolInput, ToolSpec
from aidis.mcp.tools.common import ProjectRef, hit_out
from aidis.schemas import ContextHitOut

if TYPE_CHECKING:
    from aidis.services.memory.edits import EditedContext

Tag = Annotated[str, Field(min_length=1, max_length=64)]
InProject = Annotated[ProjectRef | None, Field(description="Its project, if not yours")]


class ContextEditOut(BaseModel):
    context: ContextHitOut
    action: str
    redactions: dict[str, int] = Field(default_factory=dict)


def _out(edited: EditedContext) -> ContextEditOut:
    return ContextEditOut(
        context=hit_out(edited.context, edited.session),
        action=edited.action,
        redactions=edited.redactions,
    )


class ContextUpdateIn(ToolInput):
    id: uuid.UUID
    content: str | None = Field(default=None, min_length=1, max_length=100_000)
    type: ContextType | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20, description="Replaces the tags")
    project: InProject = None


async def context_update(env: ToolEnv, args: ContextUpdateIn) -> ContextEditOut:
    """Correct a context's content, type or tags; the old version is kept as a revision."""
    edited = await env.run(
        env.app.context_edits.update,
        env.caller,
        args.id,
        content=args.content,
        context_type=args.type,
        tags=args.tags,
        project=args.project,
    )
    return _out(edited)


class ContextDeleteIn(ToolInput):
    id: uuid.UUID
    purge: bool = Field(default=False, description="Not restorable")
    reason: str | None = Field(default=None, max_length=500)
    project: InProject = None


async def context_delete(env: ToolEnv, args: ContextDeleteIn) -> ContextEditOut:
    """Forget a context (hidden, restorable with context_restore); purge=true erases it for good."""
    edited = await env.run(
        env.app.context_edits.delete,
        env.caller,
        args.id,
        purge=args.purge,
        reason=args.reason,
        project=args.project,
    )
    return _out(edited)


class ContextRestoreIn(ToolInput):
    id: uuid.UUID
    project: InProject = None


async def context_restore(env: ToolEnv, args: ContextRestoreIn) -> ContextEditOut:
    """Bring back a deleted (not purged) context."""
    edited = await env.run(env.app.context_edits.restore, env.caller, args.id, project=args.project)
    return _out(edited)


SPECS = [
    ToolSpec("context_update", "Update context", "contexts", ContextUpdateIn, ContextEditOut, context_update),
    ToolSpec(
        "context_delete",
        "Delete context",
        "contexts",
        ContextDeleteIn,
        ContextEditOut,
        context_delete,
        destructive=True,
    ),
    ToolSpec(
        "context_restore", "Restore context", "contexts", ContextRestoreIn, ContextEditOut, context_restore
    ),
]

"""Argument types and small helpers shared by the tool modules."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from aidis.mcp.toolkit import ToolEnv
from aidis.records import Context, Session
from aidis.schemas import ContextHitOut, SessionOut

ProjectRef = Annotated[str, Field(min_length=1, max_length=200, description="Project name or id")]
Limit = Annotated[int, Field(ge=1, le=100)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]


def hit_out(context: Context, session: Session | None) -> ContextHitOut:
    """A whole context as a compact hit (its session's display id when `session` stored it)."""
    # Imported here, not at module level: `aidis mcp` answers `initialize` before it loads the
    # database layer (aidis.mcp.deferred_app); by the time a tool runs, this module is loaded.
    from aidis.services.memory.reads import as_hit

    return ContextHitOut.of(as_hit(context, session))


def session_out(env: ToolEnv, session: Session | None) -> SessionOut | None:
    """A session record as tool output (or None)."""
    return SessionOut.of(session, env.now()) if session is not None else None


async def count_read(env: ToolEnv, output_chars: int) -> None:
    """Count a read-only call on the caller's open session, if it has one (reads never open one)."""
    await env.run(
        env.app.sessions.record_call,
        env.caller,
        env.tool,
        input_chars=env.input_chars,
        output_chars=output_chars,
    )

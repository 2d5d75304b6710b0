"""System tools: ping, status, help."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from aidis import __version__
from aidis.mcp.toolkit import ToolEnv, ToolInput, ToolSpec
from aidis.mcp.tools.common import count_read


class PingIn(ToolInput):
    message: str | None = Field(default=None, max_length=200, description="Echoed back")


class PingOut(BaseModel):
    pong: bool
    message: str | None
    server_time: datetime


async def aidis_ping(env: ToolEnv, args: PingIn) -> PingOut:
    """Check that AIDIS answers: pong, your message and the server time. Keeps an open session alive."""
    out = PingOut(pong=True, message=args.message, server_time=env.now())
    await count_read(env, len(out.model_dump_json()))
    return out


class NoArgs(ToolInput):
    pass


class StatusOut(BaseModel):
    version: str
    database_engine: str
    connection_id: str
    projects: int
    sessions: int
    active_sessions: int
    unassigned_sessions: int
    contexts: int


async def aidis_status(env: ToolEnv, args: NoArgs) -> StatusOut:
    """AIDIS version, database engine, your connection id, and counts of projects, sessions and
    contexts."""
    counts = await env.run(env.app.stats.totals)
    out = StatusOut(
        version=__version__,
        database_engine=env.app.engine_name,
        connection_id=env.caller.connection_id,
        **counts,
    )
    await count_read(env, len(out.model_dump_json()))
    return out


class ToolSummary(BaseModel):
    name: str
    summary: str


class HelpOut(BaseModel):
    categories: dict[str, list[ToolSummary]]
    notes: list[str]


async def aidis_help(env: ToolEnv, args: NoArgs) -> HelpOut:
    """List every AIDIS tool by category with a one-line summary, plus how sessions work."""
    categories: dict[str, list[ToolSummary]] = {}
    for spec in env.catalog:
        doc = " ".join((spec.handler.__doc__ or spec.title).split())
        summary = doc.split(". ")[0].rstrip(".") + "."
        categories.setdefault(spec.category, []).append(ToolSummary(name=spec.name, summary=summary))
    out = HelpOut(
        categories=categories,
        notes=[
            "A session starts by itself on your first tool call that records work (e.g. context_store).",
            "Every session belongs to a project; until you name one it is 'Unassigned'.",
            "project_switch sets your current project and moves the open session to it.",
            "session_new ends the open session and starts a fresh one.",
        ],
    )
    await count_read(env, len(out.model_dump_json()))
    return out


SPECS = [
    ToolSpec("aidis_ping", "Ping", "system", PingIn, PingOut, aidis_ping, read_only=True),
    ToolSpec("aidis_status", "Server status", "system", NoArgs, StatusOut, aidis_status, read_only=True),
    ToolSpec("aidis_help", "Tool help", "system", NoArgs, HelpOut, aidis_help, read_only=True),
]

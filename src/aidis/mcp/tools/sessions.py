"""Session tools: new, assign, status, summary, context, end, list."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from aidis.enums import SessionStatus, WorkspaceSource
from aidis.mcp.toolkit import ToolEnv, ToolInput, ToolSpec
from aidis.mcp.tools.common import Limit, Offset, ProjectRef, count_read, session_out
from aidis.records import SessionFilter
from aidis.schemas import SessionOut
from aidis.services.caller import ToolCall, WorkspaceHint

if TYPE_CHECKING:
    from aidis.services.sessions.summaries import Summary

Tag = Annotated[str, Field(min_length=1, max_length=64)]


class SessionNewIn(ToolInput):
    project: ProjectRef | None = Field(default=None)
    title: str | None = Field(default=None, max_length=500)
    goal: str | None = Field(default=None, max_length=4000)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    workspace: str | None = Field(
        default=None,
        max_length=4096,
        description="Absolute path you work in",
    )


class SessionNewOut(BaseModel):
    ended: SessionOut | None = Field(description="The session that was open and is now ended")
    session: SessionOut
    session_handle: str | None = None


def _checked_summary(raw: dict[str, Any]) -> Summary:
    """A summary trimmed and bounded (InvalidInput naming `summary.<field>` otherwise)."""
    from aidis.services.sessions.summaries import Summary  # loaded with the app, after `initialize`

    return Summary.check(raw)


async def session_new(env: ToolEnv, args: SessionNewIn) -> SessionNewOut:
    """End your open session (if any) and start a new one. Its project: the one named, else the
    `workspace`'s (or your client's), else your current one, else Unassigned."""
    if env.caller.stateless and args.session_handle is None:  # no protocol session: a window of its own
        connection = env.app.session_handles.new_connection(env.caller.principal)
        env = replace(env, caller=replace(env.caller, connection_id=connection, stateless=False))
    hints = env.caller.workspaces
    if args.workspace is not None:
        hints = (WorkspaceHint(args.workspace, WorkspaceSource.ARGUMENT), *hints)
    ended, started = await env.run(
        env.app.sessions.new,
        env.caller.connection_id,
        project=args.project,
        title=args.title,
        goal=args.goal,
        agent_type=env.caller.agent_type,
        transport=env.caller.transport,
        tags=args.tags,
        call=ToolCall(env.tool, env.input_chars),
        workspaces=hints,
    )
    started_out = session_out(env, started)
    assert started_out is not None
    return SessionNewOut(ended=session_out(env, ended), session=started_out, session_handle=_handle(env))


def _handle(env: ToolEnv) -> str | None:
    """A fresh handle for the caller's connection, when a handle names it."""
    return env.app.session_handles.renewed(env.caller.connection_id, env.caller.principal)


class SessionAssignIn(ToolInput):
    project: ProjectRef


class SessionAssignOut(BaseModel):
    session: SessionOut
    previous_project_id: str | None


async def session_assign(env: ToolEnv, args: SessionAssignIn) -> SessionAssignOut:
    """Move your open session to a project (name or id); the move is recorded. An unknown name lists
    close matches."""
    before = await env.run(env.app.sessions.status, env.caller.connection_id)
    moved = await env.run(
        env.app.sessions.assign_open, env.caller, args.project, call=ToolCall(env.tool, env.input_chars)
    )
    out = session_out(env, moved)
    assert out is not None
    return SessionAssignOut(session=out, previous_project_id=str(before.project_id) if before else None)


class NoArgs(ToolInput):
    pass


STATUS_CHARS = 700  # about the size of a status answer, for the token estimate


class SessionStatusOut(BaseModel):
    connection_id: str
    session: SessionOut | None
    message: str
    session_handle: str | None = None


async def session_status(env: ToolEnv, args: NoArgs) -> SessionStatusOut:
    """Your open session: ids, project, status, duration, counts and tokens. Does not start a
    session."""
    session, hint = await env.run(
        env.app.sessions.status_call,
        env.caller,
        env.tool,
        input_chars=env.input_chars,
        output_chars=STATUS_CHARS,
    )
    if session is not None:
        message = f"session {session.display_id} in project {session.project_display_name}"
        message = f"{message}. {hint}" if hint else message
    else:
        message = "no open session; one starts with your first tool call that records work"
        message = f"{message}, in {hint}" if hint else message
    if env.caller.stateless:
        message = (
            f"{message}. Your client has no MCP session: call session_new for a session_handle of your own"
        )
    return SessionStatusOut(
        connection_id=env.caller.connection_id,
        session=session_out(env, session),
        message=message,
        session_handle=_handle(env),
    )


class SessionEndOut(BaseModel):
    session: SessionOut


class SummaryIn(BaseModel):
    """A session summary (every field optional, at least one given)."""

    model_config = ConfigDict(extra="forbid")

    goal: str | None = Field(default=None, max_length=500)
    accomplished: str | None = Field(default=None, max_length=4000)
    discoveries: str | None = Field(default=None, max_length=4000)
    files: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=100)
    next_steps: str | None = Field(default=None, max_length=4000)


class SessionEndIn(ToolInput):
    summary: SummaryIn | None = Field(default=None)


async def session_end(env: ToolEnv, args: SessionEndIn) -> SessionEndOut:
    """End your open session now, optionally with a summary the next session starts from."""
    summary = _checked_summary(args.summary.model_dump()) if args.summary else None
    ended = await env.run(
        env.app.summaries.end_with, env.caller, summary, call=ToolCall(env.tool, env.input_chars)
    )
    out = session_out(env, ended)
    assert out is not None
    return SessionEndOut(session=out)


class SessionListIn(ToolInput):
    project: ProjectRef | None = None
    status: SessionStatus | None = None
    unassigned: bool = Field(default=False)
    since: AwareDatetime | None = Field(default=None, description="Started at or after (with offset)")
    limit: Limit = 20
    offset: Offset = 0


class SessionListOut(BaseModel):
    items: list[SessionOut]
    total: int
    next_offset: int | None


async def session_list(env: ToolEnv, args: SessionListIn) -> SessionListOut:
    """Sessions newest first, by project, status, unassigned and start time; page with
    limit/offset."""
    project_id = (await env.run(env.app.projects.get, args.project)).id if args.project else None
    flt = SessionFilter(
        project_id=project_id,
        status=args.status.value if args.status else None,
        unassigned=args.unassigned,
        since=args.since,
    )
    items, counted = await env.run(env.app.sessions.list, flt, limit=args.limit, offset=args.offset)
    total = counted or 0
    end = args.offset + len(items)
    out = SessionListOut(
        items=[SessionOut.of(s, env.now()) for s in items],
        total=total,
        next_offset=end if end < total else None,
    )
    await count_read(env, len(out.model_dump_json()))
    return out


class SessionSummaryIn(ToolInput, SummaryIn):
    pass


class SessionSummaryOut(BaseModel):
    session: SessionOut


async def session_summary(env: ToolEnv, args: SessionSummaryIn) -> SessionSummaryOut:
    """Write or update your open session's summary; the next session in this project starts
    from it."""
    summary = _checked_summary(args.model_dump())
    session = await env.run(
        env.app.summaries.write, env.caller, summary, call=ToolCall(env.tool, env.input_chars)
    )
    out = session_out(env, session)
    assert out is not None
    return SessionSummaryOut(session=out)


class SessionContextOut(BaseModel):
    context: str


async def session_context(env: ToolEnv, args: NoArgs) -> SessionContextOut:
    """What a returning agent needs in this project: recent session summaries, memory and next
    steps (~1,500 tokens). Does not start a session."""
    text = await env.run(env.app.session_context.for_connection, env.caller.connection_id)
    await count_read(env, len(text))
    return SessionContextOut(context=text)


SPECS = [
    ToolSpec("session_new", "New session", "sessions", SessionNewIn, SessionNewOut, session_new),
    ToolSpec(
        "session_summary", "Session summary", "sessions", SessionSummaryIn, SessionSummaryOut, session_summary
    ),
    ToolSpec(
        "session_context",
        "Session context",
        "sessions",
        NoArgs,
        SessionContextOut,
        session_context,
        read_only=True,
    ),
    ToolSpec(
        "session_assign", "Assign session", "sessions", SessionAssignIn, SessionAssignOut, session_assign
    ),
    ToolSpec(
        "session_status",
        "Session status",
        "sessions",
        NoArgs,
        SessionStatusOut,
        session_status,
        read_only=True,
    ),
    ToolSpec("session_end", "End session", "sessions", SessionEndIn, SessionEndOut, session_end),
    ToolSpec(
        "session_list",
        "List sessions",
        "sessions",
        SessionListIn,
        SessionListOut,
        session_list,
        read_only=True,
    ),
]

"""`aidis_tool`: every AIDIS tool the agent is not shown by default, reachable through one.

Why: an agent sends the definitions of every tool it is offered with every model request, paid on
every turn. The default set (AIDIS_TOOLS=core) is what agents use in a session; the rest — projects,
edits, listings — are one call away here, with the same arguments, checks and results as when called
by name (and callable by name too). AIDIS_TOOLS=all lists every tool.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from aidis.errors import InvalidInput
from aidis.mcp.toolkit import ToolEnv, ToolInput, ToolSpec, describe_validation_error, with_handle

DISPATCH = "aidis_tool"


class DispatchIn(ToolInput):
    tool: str = Field(min_length=1, max_length=64, description="The tool's name")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Its arguments")


class DispatchOut(BaseModel):
    tool: str
    result: dict[str, Any]


async def aidis_tool(env: ToolEnv, args: DispatchIn) -> DispatchOut:
    """Run another AIDIS tool: project_create, project_list, project_update, project_info, session_new,
    session_list, session_assign, session_summary, session_context, context_recent, context_timeline,
    context_update, context_delete, context_restore, aidis_status, aidis_ping. aidis_help describes them."""
    spec = next((s for s in env.catalog if s.name == args.tool and s.name != DISPATCH), None)
    if spec is None:
        names = ", ".join(s.name for s in env.catalog if s.name != DISPATCH)
        raise InvalidInput(f"no AIDIS tool {args.tool!r}; tools: {names}", field="tool")
    try:
        inner = spec.input_model.model_validate(args.arguments)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(spec.name, exc), field="arguments") from exc
    caller = (
        with_handle(env.app, env.caller, inner.session_handle) if args.session_handle is None else env.caller
    )
    result = await spec.handler(replace(env, tool=spec.name, caller=caller), inner)
    return DispatchOut(tool=spec.name, result=result.model_dump(mode="json"))


SPECS = [
    ToolSpec(
        DISPATCH,
        "Other AIDIS tools",
        "system",
        DispatchIn,
        DispatchOut,
        aidis_tool,
    )
]

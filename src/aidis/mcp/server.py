"""Build the AIDIS MCP server: every tool bound to one AppContext and a connection resolver."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from aidis import __version__
from aidis.app import AppContext
from aidis.mcp.identity import CallerResolver
from aidis.mcp.toolkit import CallObserver, build_tool
from aidis.mcp.tools import all_specs

INSTRUCTIONS = (
    "AIDIS keeps project-scoped memory and a record of your working sessions. Call project_switch "
    "(or project_create with switch=true) when you know which project you are in; use context_store "
    "to remember decisions and findings and context_search to recall them. Call aidis_help for the tool list."
)


def build_mcp_server(
    app: AppContext, resolve: CallerResolver, observe: CallObserver | None = None
) -> MCPServer:
    """An MCPServer with every AIDIS tool; `resolve` says which connection each call belongs to."""
    tools = [build_tool(spec, app, resolve, observe) for spec in all_specs()]
    return MCPServer(
        name="aidis",
        title="AIDIS",
        version=__version__,
        instructions=INSTRUCTIONS,
        tools=tools,
        log_level=app.settings.log_level.upper(),  # type: ignore[arg-type]
    )

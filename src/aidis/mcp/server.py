"""Build the AIDIS MCP server: every tool bound to one app (or its deferred build) and a connection resolver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from mcp.server.context import ServerMiddleware
from mcp.server.mcpserver import MCPServer
from mcp_types import NotificationParams

from aidis import __version__
from aidis.mcp.identity import CallerResolver
from aidis.mcp.roots import RootsCache
from aidis.mcp.toolkit import AppSource, CallObserver, build_tool
from aidis.mcp.tools import all_specs

INSTRUCTIONS = (
    "AIDIS keeps project-scoped memory and a record of your working sessions. Call project_switch "
    "(or project_create with switch=true) when you know which project you are in; use context_store "
    "to remember decisions and findings and context_search to recall them. Call aidis_help for the tool list."
)


def build_mcp_server(
    app: AppSource,
    resolve: CallerResolver,
    observe: CallObserver | None = None,
    *,
    middleware: Sequence[ServerMiddleware[Any]] = (),
) -> MCPServer:
    """An MCPServer with every AIDIS tool; `resolve` says which connection each call belongs to.
    `app` is an AppContext, or a DeferredApp (stdio) that tools wait for on their first call."""
    roots = RootsCache()
    catalog = tuple(all_specs())
    tools = [build_tool(spec, app, resolve, observe, roots, catalog) for spec in catalog]
    server = MCPServer(
        name="aidis",
        title="AIDIS",
        version=__version__,
        instructions=INSTRUCTIONS,
        tools=tools,
        log_level=app.settings.log_level.upper(),  # type: ignore[arg-type]
        middleware=middleware,
    )
    server._lowlevel_server.add_notification_handler(  # the SDK has no public hook for this notification
        "notifications/roots/list_changed", NotificationParams, _forget(roots)
    )
    return server


def _forget(roots: RootsCache) -> Callable[[Any, Any], Awaitable[None]]:
    async def on_roots_changed(_ctx: Any, _params: Any) -> None:
        roots.forget()

    return on_roots_changed

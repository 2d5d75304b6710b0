"""Build the AIDIS MCP server: every tool bound to one app (or its deferred build) and a connection resolver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from mcp.server.context import ServerMiddleware
from mcp.server.mcpserver import MCPServer
from mcp_types import ListToolsResult, NotificationParams
from mcp_types import Tool as MCPTool

from aidis import __version__
from aidis.mcp.identity import CallerResolver, is_stateless
from aidis.mcp.published_schemas import HANDLE, with_handle
from aidis.mcp.roots import RootsCache
from aidis.mcp.toolkit import AppSource, CallObserver, build_tool
from aidis.mcp.tools import all_specs, listed

INSTRUCTIONS = (
    "AIDIS keeps project-scoped memory and a record of your working sessions (the project usually comes "
    "from your workspace; project_switch names one). Use context_store to remember decisions and findings, "
    "context_search to recall memory (what was decided in earlier sessions), session_end with a summary "
    "when done. aidis_help lists every tool."
)


class AidisServer(MCPServer):
    """The SDK's server, listing only the tools of the configured set (every tool stays callable by name)."""

    def __init__(
        self, *args: Any, listed: frozenset[str] | None, handle_results: frozenset[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.listed = listed
        self.handle_results = handle_results  # tools whose result carries a session_handle

    async def list_tools(self) -> list[MCPTool]:
        """The tools agents are shown (AIDIS_TOOLS=core: the session set and `aidis_tool`)."""
        tools = await super().list_tools()
        return tools if self.listed is None else [t for t in tools if t.name in self.listed]

    async def _handle_list_tools(self, ctx: Any, params: Any) -> ListToolsResult:
        """The listing, with `session_handle` on every tool for a client that has no protocol session
        (it needs one to keep its own session); the SDK registers this method as the handler."""
        tools = await self.list_tools()
        if is_stateless(getattr(getattr(ctx, "request", None), "headers", None)):
            tools = [self._with_handle(tool) for tool in tools]
        return ListToolsResult(tools=tools)

    def _with_handle(self, tool: MCPTool) -> MCPTool:
        update: dict[str, Any] = {"input_schema": with_handle(tool.input_schema)}
        if tool.name in self.handle_results and tool.output_schema is not None:
            update["output_schema"] = with_handle(tool.output_schema, output=True)
        return tool.model_copy(update=update)


def build_mcp_server(
    app: AppSource,
    resolve: CallerResolver,
    observe: CallObserver | None = None,
    *,
    middleware: Sequence[ServerMiddleware[Any]] = (),
    tools: str | None = None,
) -> AidisServer:
    """An MCPServer with every AIDIS tool; `resolve` says which connection each call belongs to.
    `app` is an AppContext, or a DeferredApp (stdio) that tools wait for on their first call; `tools`
    (core or all) overrides which tools are listed (AIDIS_TOOLS)."""
    roots = RootsCache()
    catalog = tuple(all_specs())
    built = [build_tool(spec, app, resolve, observe, roots, catalog) for spec in catalog]
    server = AidisServer(
        name="aidis",
        title="AIDIS",
        version=__version__,
        instructions=INSTRUCTIONS,
        tools=built,
        log_level=app.settings.log_level.upper(),
        middleware=middleware,
        listed=listed(tools or app.settings.tools),
        handle_results=frozenset(s.name for s in catalog if HANDLE in s.output_model.model_fields),
    )
    server._lowlevel_server.add_notification_handler(  # the SDK has no public hook for this notification
        "notifications/roots/list_changed", NotificationParams, _forget(roots)
    )
    return server


def _forget(roots: RootsCache) -> Callable[[Any, Any], Awaitable[None]]:
    async def on_roots_changed(_ctx: Any, _params: Any) -> None:
        roots.forget()

    return on_roots_changed

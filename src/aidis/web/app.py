"""Build the ASGI app `aidis serve` runs: web routes plus MCP streamable HTTP at /mcp."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from aidis.app import AppContext
from aidis.mcp.identity import HttpConnection
from aidis.mcp.server import build_mcp_server
from aidis.services.maintenance import close_stranded, reap_forever
from aidis.web.health import healthz, readyz


def create_web_app(app: AppContext, *, run_maintenance: bool = True) -> Starlette:
    """The whole HTTP surface, bound to one AppContext."""
    mcp_server: MCPServer = build_mcp_server(app, HttpConnection(app.settings.agent_type))
    mcp_http = mcp_server.streamable_http_app(streamable_http_path="/mcp", host=app.settings.host)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with mcp_server.session_manager.run(), anyio.create_task_group() as tasks:
            if run_maintenance:
                await close_stranded(app.sessions, app.idle_timeout)
                tasks.start_soon(
                    reap_forever, app.sessions, app.idle_timeout, app.settings.reap_interval_seconds
                )
            yield
            tasks.cancel_scope.cancel()

    web = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Mount("/", app=mcp_http),
        ],
        lifespan=lifespan,
    )
    web.state.aidis = app
    web.state.mcp = mcp_server
    return web

"""Build the ASGI app `aidis serve` runs: dashboard, JSON API, health, and MCP streamable HTTP at /mcp."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from mcp.server.mcpserver import MCPServer

from aidis import __version__
from aidis.app import AppContext
from aidis.mcp.identity import HttpConnection
from aidis.mcp.server import build_mcp_server
from aidis.services.maintenance import close_stranded, reap_forever
from aidis.web import api, views
from aidis.web.errors import install_error_handlers
from aidis.web.health import healthz, metrics, readyz

STATIC = Path(__file__).parent / "static"


def create_web_app(app: AppContext, *, run_maintenance: bool = True) -> FastAPI:
    """The whole HTTP surface, bound to one AppContext."""
    mcp_server: MCPServer = build_mcp_server(app, HttpConnection(app.settings.agent_type))
    mcp_http = mcp_server.streamable_http_app(streamable_http_path="/mcp", host=app.settings.host)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with mcp_server.session_manager.run(), anyio.create_task_group() as tasks:
            if run_maintenance:
                await close_stranded(app.sessions, app.idle_timeout)
                tasks.start_soon(
                    reap_forever, app.sessions, app.idle_timeout, app.settings.reap_interval_seconds
                )
            yield
            tasks.cancel_scope.cancel()

    web = FastAPI(
        title="AIDIS",
        version=__version__,
        description="Sessions, projects and statistics recorded by AIDIS. Every 4xx has the same shape: "
        '{"error": {"code", "message", "field"}}.',
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    web.state.aidis = app
    web.state.mcp = mcp_server
    install_error_handlers(web)
    web.include_router(api.router)
    web.include_router(views.router)
    web.add_route("/healthz", healthz, include_in_schema=False)
    web.add_route("/readyz", readyz, include_in_schema=False)
    web.add_route("/metrics", metrics, include_in_schema=False)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    web.mount("/", mcp_http)  # last: it answers /mcp
    return web

"""Build the ASGI app `aidis serve` runs: dashboard, JSON API, health, and MCP streamable HTTP at /mcp."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

from aidis import __version__
from aidis.app import AppContext
from aidis.errors import AidisError
from aidis.hooks.spool import SPOOL_NAME
from aidis.mcp.identity import HttpConnection
from aidis.mcp.server import build_mcp_server
from aidis.replayer.background import replay_spool_forever
from aidis.services.operations.maintenance import close_stranded, reap_forever
from aidis.web import (
    api,
    api_reference,
    audit_views,
    context_pages,
    contexts_api,
    grants_api,
    hooks_api,
    login,
    project_forms,
    sso,
    usage_api,
    usage_pages,
    views,
)
from aidis.web.browser_guard import BrowserGuard
from aidis.web.errors import install_error_handlers
from aidis.web.form_tokens import form_secret
from aidis.web.health import healthz, metrics, readyz
from aidis.web.rate_limit import FailureLimiter
from aidis.web.security import AccessMiddleware, served_hosts
from aidis.web.security_headers import SecurityHeaders

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("aidis.web")


def _seed_project_labels(app: AppContext) -> None:
    """Give the busiest projects their own /metrics label first (the rest share "other" past the cap)."""
    metrics = app.telemetry.metrics
    try:
        metrics.seed_projects(app.stats.busiest_projects(metrics.max_projects))
    except AidisError as exc:  # labels then go first come, first served; the server still starts
        log.warning("metrics: could not rank projects for labels: %s", exc.message)


async def reweigh_in_background(app: AppContext) -> None:
    """Recount the costliest-sessions ranking when the rates changed (batches: writes never wait long);
    a failure is logged, and the ranking keeps choosing candidates with the rates it has."""
    try:
        changed = await anyio.to_thread.run_sync(app.usage.reweigh)
    except AidisError as exc:
        log.error("usage ranking: could not apply new rates: %s", exc.message)
        return
    if changed:
        log.info("usage ranking: new rates for %d models applied", len(changed))


def create_web_app(app: AppContext, *, run_maintenance: bool = True) -> FastAPI:
    """The whole HTTP surface, bound to one AppContext."""
    mcp_server: MCPServer = build_mcp_server(app, HttpConnection(app.settings.agent_type))
    settings = app.settings
    # Host and Origin are checked for every route by BrowserGuard (one control, the error envelope),
    # so the SDK's own /mcp-only check is off rather than a second, differently-worded copy.
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    mcp_http = mcp_server.streamable_http_app(
        streamable_http_path="/mcp",
        host=settings.host,
        transport_security=security,
        stateless_http=settings.mcp_stateless,  # no per-process MCP session: replicas need no sticky routing
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with mcp_server.session_manager.run(), anyio.create_task_group() as tasks:
            await anyio.to_thread.run_sync(_seed_project_labels, app)
            if run_maintenance:
                await close_stranded(app.sessions, app.idle_timeout)
                tasks.start_soon(
                    reap_forever, app.sessions, app.idle_timeout, app.settings.reap_interval_seconds
                )
                spool = app.settings.resolved_spool_dir() / SPOOL_NAME
                tasks.start_soon(replay_spool_forever, app, spool, app.settings.reap_interval_seconds)
                app.embedder.start()  # sweeps for texts other processes left without a vector
                await anyio.to_thread.run_sync(app.usage.prepare_days)  # days of AIDIS_USAGE_ZONES
                tasks.start_soon(reweigh_in_background, app)  # the ranking's rates: in batches, later
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                # uvicorn re-raises SIGTERM/SIGINT once it has shut down, so nothing after `run`
                # returns is sure to run: the reads still batched are written here, at shutdown
                # (in this thread: the task group is being cancelled, an await would be too).
                app.audit.flush()

    web = FastAPI(
        title="AIDIS",
        version=__version__,
        description="Sessions, projects and statistics recorded by AIDIS. Every 4xx has the same shape: "
        '{"error": {"code", "message", "field"}}.',
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # /api/v1/docs is rendered by the server (web/api_reference.py): no CDN, no script
        redoc_url=None,
        lifespan=lifespan,
    )
    web.state.aidis = app
    web.state.mcp = mcp_server
    web.state.sign_in_limiter = limiter = FailureLimiter()  # bearer tokens and the login form count together
    install_error_handlers(web)
    web.add_middleware(
        AccessMiddleware,
        token=settings.auth_token,
        metrics_public=settings.metrics_public,
        team=app.team,
        session_secret=form_secret(settings),
        limiter=limiter,
        resource_metadata=sso.resource_metadata_url(app),
        identity=app.identity_provider,
    )
    web.add_middleware(  # runs before the token check: nothing answers a foreign Host or Origin
        BrowserGuard,
        allowed_hosts=served_hosts(settings.host, settings.allowed_hosts),
        allowed_origins=settings.allowed_origins,
        form_secret=form_secret(settings),
    )
    web.add_middleware(SecurityHeaders)  # added last = runs first: even a refusal is never framed
    web.include_router(api.router)
    web.include_router(audit_views.api_router)
    web.include_router(audit_views.page_router)
    web.include_router(contexts_api.router)
    web.include_router(grants_api.router)
    web.include_router(usage_api.router)
    web.include_router(api_reference.router)
    web.include_router(login.router)
    web.include_router(sso.router)
    web.include_router(hooks_api.router)
    web.include_router(project_forms.router)
    web.include_router(context_pages.router)
    web.include_router(usage_pages.router)
    web.include_router(views.router)
    web.add_route("/healthz", healthz, include_in_schema=False)
    web.add_route("/readyz", readyz, include_in_schema=False)
    web.add_route("/metrics", metrics, include_in_schema=False)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    web.mount("/", mcp_http)  # last: it answers /mcp
    return web

"""/healthz (the process answers), /readyz (the database answers and is at head) and /metrics.

The probes stay open for orchestrators, so they say a status word and nothing else."""

from __future__ import annotations

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aidis.app import AppContext


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process is up."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when the database is reachable and at head, else 503 (details only in the log)."""
    app: AppContext = request.app.state.aidis
    ready, reason = await anyio.to_thread.run_sync(app.schema.readiness)
    if ready:
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)


async def metrics(request: Request) -> Response:
    """Prometheus text format: sessions, tool calls and latency, database gauges, integrity."""
    app: AppContext = request.app.state.aidis
    body = await anyio.to_thread.run_sync(generate_latest, app.telemetry.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)

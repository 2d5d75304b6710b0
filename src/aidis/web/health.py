"""/healthz (the process answers) and /readyz (the database answers and is migrated to head)."""

from __future__ import annotations

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aidis.app import AppContext
from aidis.db.migrate import current_revision, head_revision


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process is up."""
    return JSONResponse({"status": "ok"})


def _readiness(app: AppContext) -> tuple[bool, dict[str, object]]:
    try:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(app.engine)
    except SQLAlchemyError as exc:
        return False, {"status": "unavailable", "reason": f"database unreachable: {type(exc).__name__}"}
    head = head_revision()
    if revision != head:
        return False, {
            "status": "unavailable",
            "reason": f"database at revision {revision}, code expects {head}; run `aidis db upgrade`",
        }
    return True, {"status": "ready", "database": app.engine_name, "revision": revision}


async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when the database is reachable and at head, else 503 with the reason."""
    app: AppContext = request.app.state.aidis
    ready, body = await anyio.to_thread.run_sync(_readiness, app)
    return JSONResponse(body, status_code=200 if ready else 503)


async def metrics(request: Request) -> Response:
    """Prometheus text format: sessions, tool calls and latency, database gauges, integrity."""
    app: AppContext = request.app.state.aidis
    body = await anyio.to_thread.run_sync(generate_latest, app.telemetry.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)

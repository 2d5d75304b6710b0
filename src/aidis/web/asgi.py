"""The ASGI factory each `aidis serve --workers N` worker (or any ASGI server) builds its app with.

Invariant: a worker holds nothing another worker needs — connections, open sessions and counters
are rows in the database — so every worker builds the same app from the same environment and any
of them may answer any request. Migrations are not run here: the parent process (or `aidis db
upgrade`) runs them once before workers start.
"""

from __future__ import annotations

import atexit

from fastapi import FastAPI

from aidis.app import build_app
from aidis.config import load_settings
from aidis.telemetry import configure_logging, install_tracing_from_env
from aidis.web.app import create_web_app


def create_from_env() -> FastAPI:
    """The whole HTTP surface on the database the environment names (for `uvicorn --factory`)."""
    settings = load_settings()
    configure_logging(settings.log_level, json_logs=settings.json_logs)
    provider = install_tracing_from_env()
    app = build_app(settings, migrate=False)
    atexit.register(app.close)
    if provider is not None:
        atexit.register(provider.shutdown)
    return create_web_app(app)

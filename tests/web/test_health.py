"""/healthz and /readyz over HTTP (ASGI transport)."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from aidis.app import AppContext, build_app
from aidis.config import Settings
from aidis.web.app import create_web_app
from tests.support import fresh_database_url


async def test_readyz_is_503_with_the_reason_when_the_database_is_not_migrated(
    engine_name: str, tmp_path: Path
) -> None:
    with fresh_database_url(engine_name, tmp_path) as url:
        app = build_app(Settings(data_dir=tmp_path, database_url=url), migrate=False)
        web = create_web_app(app, run_maintenance=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web), base_url="http://127.0.0.1:8765"
        ) as http:
            health = await http.get("/healthz")
            ready = await http.get("/readyz")
        app.close()
    assert health.status_code == 200
    assert ready.status_code == 503
    assert "aidis db upgrade" in ready.json()["reason"]


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql://postgres@127.0.0.1:1/none")
    app = build_app(settings, migrate=False)
    web = create_web_app(app, run_maintenance=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://127.0.0.1:8765"
    ) as http:
        ready = await http.get("/readyz")
    app.close()
    assert ready.status_code == 503
    assert "database unreachable" in ready.json()["reason"]


async def test_probes_reveal_only_a_status_and_readyz_runs_no_alembic(
    app: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    web = create_web_app(app, run_maintenance=False)
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://evil.example"
    ) as http:
        health = await http.get("/healthz")
        ready = [await http.get("/readyz") for _ in range(3)]
    assert health.json() == {"status": "ok"}
    assert all(r.status_code == 200 and r.json() == {"status": "ready"} for r in ready)
    assert not [r for r in caplog.records if r.name.startswith("alembic")]

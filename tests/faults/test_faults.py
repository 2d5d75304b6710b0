"""Faults: kill -9 under write load, the database going away and coming back, two servers on one database."""

from __future__ import annotations

import signal
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select

from aidis.app import build_app
from aidis.config import Settings
from aidis.db.schema import contexts
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
from mcp import Client
from tests.faults.helpers import TcpProxy, aidis_server
from tests.mcp.conftest import call
from tests.mcp.transports import wait_until
from tests.support import ADMIN_URL, Database


def _client(url: str, connection: str) -> Client:
    transport = streamable_http_client(
        f"{url}/mcp", http_client=httpx2.AsyncClient(headers={"X-AIDIS-Connection": connection}, timeout=10)
    )
    return Client(transport)  # type: ignore[arg-type]


def _stored_ids(app_settings: Settings) -> set[str]:
    app = build_app(app_settings, migrate=False)
    try:
        with app.engine.connect() as conn:
            return {str(i) for i in conn.execute(select(contexts.c.id)).scalars()}
    finally:
        app.close()


async def test_kill_9_under_write_load_loses_no_acknowledged_write(db: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=db.url)
    acknowledged: dict[str, list[str]] = {}
    last_session: dict[str, str] = {}
    failures: list[str] = []

    async def writer(url: str, name: str) -> None:
        try:
            async with _client(url, name) as client:
                for n in range(10_000):
                    result = await client.call_tool("context_store", {"content": f"{name} write {n}"})
                    if result.is_error:
                        failures.append(result.content[0].text)  # type: ignore[union-attr]
                        return
                    content = result.structured_content or {}
                    acknowledged.setdefault(name, []).append(content["context"]["id"])
                    last_session[name] = content["session"]["id"]
        except Exception as exc:
            failures.append(type(exc).__name__)

    with aidis_server(db.url, tmp_path / "server.log") as (url, process):
        async with anyio.create_task_group() as tasks:
            for i in range(6):
                tasks.start_soon(writer, url, f"load-{i}")
            with anyio.fail_after(60):
                while sum(len(v) for v in acknowledged.values()) < 120:
                    await anyio.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait()
            with anyio.fail_after(60):
                while len(failures) < 6:
                    await anyio.sleep(0.05)
    sent = {i for ids in acknowledged.values() for i in ids}
    assert len(sent) >= 120
    assert sent <= _stored_ids(settings)  # every acknowledged write survived

    with aidis_server(db.url, tmp_path / "server.log") as (url, _):
        for name, session_id in last_session.items():
            async with _client(url, name) as client:
                status = await call(client, "session_status")
            assert status["session"]["id"] == session_id  # resumed within the idle window
    app = build_app(settings, migrate=False)
    try:
        report = app.integrity.check()
        assert report.clean, report.counts()
    finally:
        app.close()


async def test_after_a_crash_sessions_past_the_idle_window_are_closed_with_end_events(
    db: Database, tmp_path: Path
) -> None:
    with aidis_server(db.url, tmp_path / "server.log") as (url, process):
        async with _client(url, "crashed-agent") as client:
            stored = await call(client, "context_store", {"content": "before the crash"})
        process.send_signal(signal.SIGKILL)
        process.wait()
    with aidis_server(db.url, tmp_path / "server.log", AIDIS_IDLE_TIMEOUT_MINUTES="0.0001") as (url, _):
        app = build_app(Settings(data_dir=tmp_path, database_url=db.url), migrate=False)
        try:
            detail = app.sessions.detail(stored["session"]["id"])
            assert detail.session.status == "interrupted" and detail.session.end_reason == "restart_cleanup"
            assert detail.events[-1].event_type == "session_end"
            assert app.integrity.check().clean
        finally:
            app.close()


async def test_two_servers_on_one_database_behave_as_one(db: Database, tmp_path: Path) -> None:
    with (
        aidis_server(db.url, tmp_path / "a.log") as (url_a, _),
        aidis_server(db.url, tmp_path / "b.log") as (url_b, _),
    ):
        async with _client(url_a, "roaming") as on_a, _client(url_b, "roaming") as on_b:
            first = await call(on_a, "context_store", {"content": "written through A"})
            seen_on_b = await call(on_b, "session_status")
            second = await call(on_b, "context_store", {"content": "written through B"})
        assert seen_on_b["session"]["id"] == first["session"]["id"] == second["session"]["id"]
        assert second["session"]["contexts"] == 2

        results: list[dict[str, Any]] = []

        async def race(url: str) -> None:
            async with _client(url, "racer") as client:
                results.append(await call(client, "context_store", {"content": f"race via {url}"}))

        async with anyio.create_task_group() as tasks:
            for i in range(12):
                tasks.start_soon(race, url_a if i % 2 else url_b)
        assert len({r["session"]["id"] for r in results}) == 1  # one open session, whichever server answered
    app = build_app(Settings(data_dir=tmp_path, database_url=db.url), migrate=False)
    try:
        assert app.integrity.check().clean
    finally:
        app.close()


@contextmanager
def outage_switch(db: Database, tmp_path: Path) -> Iterator[tuple[Settings, Any, Any]]:
    """Settings for an app that can lose its database, with (cut, restore) callables.

    PostgreSQL: the app talks through a TCP proxy that refuses and drops connections while cut.
    SQLite: another connection holds an exclusive lock longer than the (shortened) busy timeout.
    """
    if db.engine_name == "postgresql":
        proxy = TcpProxy("127.0.0.1", 5432)
        proxy.up()
        name = db.url.rpartition("/")[2]
        base = ADMIN_URL.rpartition("@")[0]
        try:
            yield (
                Settings(data_dir=tmp_path, database_url=f"{base}@127.0.0.1:{proxy.port}/{name}"),
                proxy.down,
                proxy.up,
            )
        finally:
            proxy.close()
        return
    blocker = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        settings = Settings(data_dir=tmp_path, database_url=db.url, sqlite_busy_timeout_ms=200)
        yield settings, lambda: blocker.execute("BEGIN EXCLUSIVE"), lambda: blocker.execute("ROLLBACK")
    finally:
        blocker.close()


async def test_database_outage_gives_clear_errors_then_recovers_without_restart(
    db: Database, tmp_path: Path
) -> None:
    with outage_switch(db, tmp_path) as (settings, cut, restore):
        app = build_app(settings, migrate=False)
        try:
            async with Client(build_mcp_server(app, FixedConnection(f"memory:{uuid.uuid4()}"))) as client:
                await call(client, "context_store", {"content": "before"})
                cut()
                result = await client.call_tool("context_store", {"content": "during"})
                status = await client.call_tool("session_status", {})
                restore()
                assert result.is_error and status.is_error
                for text in (result.content[0].text, status.content[0].text):  # type: ignore[union-attr]
                    assert "database cannot be reached right now" in text, text
                    assert "Traceback" not in text
                after = await call(client, "context_store", {"content": "after"})
            assert after["session"]["contexts"] == 2  # "during" was not half-written
        finally:
            app.close()


def test_wait_helper_is_bounded() -> None:
    with pytest.raises(AssertionError, match="timed out"):
        wait_until(lambda: False, timeout=0.05, what="nothing")

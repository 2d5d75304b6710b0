"""`aidis mcp` answers `initialize` before it loads the database layer, and every tool waits for it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, func, select

from aidis.db.engine import normalise_url
from aidis.db.schema import contexts
from aidis.mcp.tools import CORE
from mcp import Client
from tests.mcp.conftest import call, call_error
from tests.mcp.transports import stdio_params
from tests.support import ADMIN_URL, drop_pg_database


@contextmanager
def _database_not_there_yet(engine_name: str, tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A URL the server cannot open yet, and what makes it openable (as an operator would)."""
    if engine_name == "sqlite":
        blocker = tmp_path / "data"
        blocker.write_text("a file where the data folder should be")
        yield f"sqlite:///{blocker / 'aidis.db'}", blocker.unlink
        return
    name = f"aidis_late_{uuid.uuid4().hex[:10]}"
    url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"

    def create() -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    try:
        yield url, create
    finally:
        drop_pg_database(url)


async def test_a_server_started_before_its_database_answers_and_works_once_it_is_there(
    engine_name: str, tmp_path: Path
) -> None:
    with _database_not_there_yet(engine_name, tmp_path) as (url, make_it_openable):
        async with Client(stdio_params(url)) as client:  # initialize answered without the database
            assert {t.name for t in (await client.list_tools()).tools} == CORE
            refused = await call_error(client, "context_store", {"content": "too early"})
            assert (
                "unavailable: cannot open the database" in refused
                or "invalid_input: cannot create" in refused
            )
            assert "(field: " in refused
            make_it_openable()
            stored = await call(client, "context_store", {"content": "stored once the database was there"})
            assert stored["outcome"] == "stored"
            assert (await call(client, "session_status"))["session"]["id"] == stored["session"]["id"]
        engine = create_engine(normalise_url(url))
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(contexts)).scalar_one() == 1
        engine.dispose()


def test_the_stdio_server_is_built_without_loading_the_database_layer(tmp_path: Path) -> None:
    """The SDK server (what serves every request after the handshake) is built without SQLAlchemy; the
    first tool's wait loads it."""
    script = """
import asyncio, sys
from aidis.config import Settings
from aidis.mcp.deferred_app import DeferredApp
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
import aidis.mcp.stdio

settings = Settings(database_url=sys.argv[1], log_level="WARNING")
deferred = DeferredApp(settings, lambda: aidis.mcp.stdio._build(settings))
server = build_mcp_server(deferred, FixedConnection("t"))
assert len(asyncio.run(server.list_tools())) == 8
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "psycopg", "alembic"))
assert not loaded, loaded
app = asyncio.run(deferred.get())
assert "sqlalchemy" in sys.modules and app.stats.totals()["sessions"] == 0
app.close()
print("ok")
"""
    url = f"sqlite:///{tmp_path / 'aidis.db'}"
    done = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr

"""End to end over a real stdio subprocess (`aidis mcp`), on both engines."""

from __future__ import annotations

from sqlalchemy import select

from aidis.db.schema import sessions
from aidis.mcp.tools import CORE, all_specs
from mcp import Client
from tests.mcp.conftest import call, call_error
from tests.mcp.transports import stdio_params, wait_until
from tests.support import Database


async def test_agent_run_over_stdio(db: Database) -> None:
    async with Client(stdio_params(db.url)) as client:
        assert (await call(client, "aidis_ping", {"message": "hello"}))["pong"] is True
        assert (await call(client, "session_status"))["session"] is None
        await call(client, "project_create", {"name": "stdio-project"})
        assert "did you mean" in await call_error(client, "session_assign", {"project": "stdio-projet"})
        assigned = await call(client, "session_assign", {"project": "stdio-project"})
        assert assigned["session"]["project_name"] == "stdio-project"
        await call(client, "context_store", {"content": "stdio works end to end", "type": "milestone"})
        found = await call(client, "context_search", {"query": "stdio end"})
        assert [i["title"] for i in found["items"]] == ["stdio works end to end"]
        renewed = await call(client, "session_new", {"title": "second"})
        status = await call(client, "session_status")
    assert renewed["ended"]["id"] == assigned["session"]["id"]
    assert status["session"]["project_name"] == "stdio-project"
    second_id = status["session"]["id"]

    def second_session_closed() -> bool:
        with db.engine.connect() as conn:
            row = conn.execute(
                select(sessions.c.status, sessions.c.end_reason).where(
                    sessions.c.display_id == status["session"]["display_id"]
                )
            ).one()
        return row.status == "ended" and row.end_reason == "connection_closed"

    wait_until(second_session_closed, what=f"session {second_id} to be closed when the stdio client left")


async def test_stdio_processes_are_separate_connections(db: Database) -> None:
    async with Client(stdio_params(db.url)) as first, Client(stdio_params(db.url)) as second:
        one = await call(first, "context_store", {"content": "from the first process"})
        assert (await call(second, "session_status"))["session"] is None
        two = await call(second, "context_store", {"content": "from the second process"})
    assert one["session"]["id"] != two["session"]["id"]


async def test_fixed_connection_id_resumes_the_session_after_a_restart(db: Database) -> None:
    params = stdio_params(db.url, AIDIS_CONNECTION_ID="stdio:resumable")
    async with Client(params) as client:
        first = await call(client, "context_store", {"content": "before the restart"})
    async with Client(params) as client:
        status = await call(client, "session_status")
    assert status["session"]["id"] == first["session"]["id"]
    assert status["session"]["status"] == "active"


async def test_aidis_tools_all_lists_every_tool_over_stdio(db: Database) -> None:
    async with Client(stdio_params(db.url, AIDIS_TOOLS="all")) as every, Client(stdio_params(db.url)) as core:
        listed_all = {t.name for t in (await every.list_tools()).tools}
        listed_core = {t.name for t in (await core.list_tools()).tools}
    assert listed_all == {s.name for s in all_specs()}
    assert listed_core == set(CORE)

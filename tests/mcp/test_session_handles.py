"""Two agent windows on one HTTP server never share a session: handshake-era clients are told apart by
their protocol session, clients on protocol 2026-07-28 (no protocol session) by the session handle
`session_new` gives each — tested with the official SDK client in both modes, on a local server and on a
team server, with handles that are another person's, tampered with or expired."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import func, select

from aidis.app import AppContext
from aidis.db.schema import contexts
from mcp import Client
from tests.mcp.conftest import call, call_error
from tests.mcp.transports import running_http_server
from tests.support import FakeClock

Connect = Callable[..., Any]


@asynccontextmanager
async def _client(url: str, mode: str, token: str | None = None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=30)
    async with Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client:  # type: ignore[arg-type]
        yield client


def _with(handle: str | None, **args: Any) -> dict[str, Any]:
    return {**args, "session_handle": handle} if handle else args


def _stored(app: AppContext) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(contexts)).scalar_one())


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # auto: protocol 2026-07-28
async def test_two_windows_of_one_person_keep_their_own_sessions(app: AppContext, mode: str) -> None:
    app.projects.create("alpha")
    with running_http_server(app) as url:
        async with _client(url, mode) as left, _client(url, mode) as right:
            one = await call(left, "session_new", {"project": "alpha", "title": "left window"})
            two = await call(right, "session_new", {"project": "alpha", "title": "right window"})
            assert one["session"]["id"] != two["session"]["id"]
            if mode == "auto":
                assert (
                    one["session_handle"]
                    and two["session_handle"]
                    and one["session_handle"] != two["session_handle"]
                )
            else:  # a protocol session tells them apart; no handle is needed
                assert one["session_handle"] is None and two["session_handle"] is None
            await call(
                left, "context_store", _with(one["session_handle"], content="left: the cache is per tenant")
            )
            await call(
                right, "context_store", _with(two["session_handle"], content="right: builds run nightly")
            )
            left_status = await call(left, "session_status", _with(one["session_handle"]))
            right_status = await call(right, "session_status", _with(two["session_handle"]))
    assert left_status["session"]["id"] == one["session"]["id"]
    assert right_status["session"]["id"] == two["session"]["id"]
    assert left_status["session"]["contexts"] == right_status["session"]["contexts"] == 1


async def test_a_stateless_client_without_a_handle_is_told_how_to_get_one(app: AppContext) -> None:
    with running_http_server(app) as url:
        async with _client(url, "auto") as client:
            status = await call(client, "session_status")
    assert status["session_handle"] is None and "call session_new for a session_handle" in status["message"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_only_a_client_without_a_protocol_session_is_shown_session_handle(
    app: AppContext, mode: str
) -> None:
    with running_http_server(app) as url:
        async with _client(url, mode) as client:
            tools = (await client.list_tools()).tools
    shown = {t.name for t in tools if "session_handle" in t.input_schema.get("properties", {})}
    results = {t.name for t in tools if "session_handle" in (t.output_schema or {}).get("properties", {})}
    if mode == "auto":
        assert shown == {t.name for t in tools} and results == {"session_new", "session_status"} & shown
    else:  # agents on stdio or a protocol session never pay for an argument they do not need
        assert shown == set() and results == set()


async def test_a_handle_is_refused_for_another_person_and_when_expired(
    app: AppContext, clock: FakeClock
) -> None:
    app.projects.create("alpha")
    for person in ("ada", "bob"):
        app.team.add_user(person)
        app.team.grant("alpha", "write", user=person)
    ada_token, bob_token = app.team.create_token("ada")[1], app.team.create_token("bob")[1]
    with running_http_server(app) as url:
        async with _client(url, "auto", ada_token) as ada, _client(url, "auto", bob_token) as bob:
            mine = await call(ada, "session_new", {"project": "alpha"})
            before = _stored(app)
            stolen = await call_error(
                bob, "context_store", _with(mine["session_handle"], content="bob writes here")
            )
            assert "session_handle" in stolen and "not a session handle this server issued to you" in stolen
            assert "invalid_input" in stolen and _stored(app) == before
            clock.advance(hours=1)
            renewed = (await call(ada, "session_status", _with(mine["session_handle"])))["session_handle"]
            clock.advance(hours=23)
            expired = await call_error(
                ada, "context_store", _with(mine["session_handle"], content="too late")
            )
            assert "expired: session_handle expired at" in expired and "(field: session_handle)" in expired
            assert _stored(app) == before
            still = await call(ada, "session_status", _with(renewed))  # renewed an hour in: still valid
            assert still["session"]["id"] == mine["session"]["id"]


async def test_the_handle_reaches_tools_called_through_aidis_tool(app: AppContext) -> None:
    app.projects.create("alpha")
    with running_http_server(app) as url:
        async with _client(url, "auto") as client:
            mine = await call(client, "session_new", {"project": "alpha"})
            listed = await call(
                client,
                "aidis_tool",
                {"tool": "session_list", "arguments": _with(mine["session_handle"], limit=5)},
            )
            status = await call(
                client, "aidis_tool", {"tool": "session_new", "arguments": _with(mine["session_handle"])}
            )
    assert mine["session"]["id"] in {item["id"] for item in listed["result"]["items"]}
    assert status["result"]["ended"]["id"] == mine["session"]["id"]  # the same window's session ended

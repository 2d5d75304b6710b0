"""End to end over streamable HTTP against a real uvicorn server, on both engines."""

from __future__ import annotations

import httpx
import httpx2
from mcp.client.streamable_http import streamable_http_client

from aidis.app import AppContext
from mcp import Client
from tests.mcp.conftest import call
from tests.mcp.transports import running_http_server


def _client(url: str, connection: str | None = None, mode: str = "auto") -> Client:
    headers = {"X-AIDIS-Connection": connection} if connection else None
    transport = streamable_http_client(
        f"{url}/mcp", http_client=httpx2.AsyncClient(headers=headers, timeout=30)
    )
    return Client(transport, mode=mode)  # type: ignore[arg-type]


async def test_stateless_clients_are_told_apart_by_their_connection_header(app: AppContext) -> None:
    app.projects.create("http-project")
    with running_http_server(app) as url:
        async with _client(url, "agent-a") as a, _client(url, "agent-b") as b:
            await call(a, "project_switch", {"project": "http-project"})
            stored = await call(a, "context_store", {"content": "over http", "tags": ["net"]})
            assert (await call(b, "session_status"))["session"] is None
            status = await call(a, "session_status")
            found = await call(a, "context_search", {"query": "http", "tags": ["net"]})
    assert status["session"]["id"] == stored["session"]["id"]
    assert status["session"]["project_name"] == "http-project"
    assert [i["title"] for i in found["items"]] == ["over http"]


async def test_handshake_clients_get_one_connection_per_mcp_session(app: AppContext) -> None:
    with running_http_server(app) as url:
        async with _client(url, mode="legacy") as first, _client(url, mode="legacy") as second:
            one = await call(first, "context_store", {"content": "first mcp session"})
            again = await call(first, "session_status")
            assert (await call(second, "session_status"))["session"] is None
            two = await call(second, "context_store", {"content": "second mcp session"})
    assert again["session"]["id"] == one["session"]["id"] != two["session"]["id"]


async def test_health_endpoints(app: AppContext) -> None:
    with running_http_server(app) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            ready = await http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}

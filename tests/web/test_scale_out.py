"""Scale-out: one MCP connection whose requests alternate between two `aidis serve` processes (no
sticky routing) behaves as one server when MCP is stateless; `aidis serve --workers 2` serves it too.
Both engines (SQLite in WAL mode is shared by processes on one machine)."""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import uvicorn
from mcp.client.streamable_http import streamable_http_client

from aidis.app import build_app
from aidis.config import Settings
from mcp import Client
from tests.faults.helpers import aidis_server
from tests.mcp.conftest import call
from tests.mcp.transports import free_port, wait_until
from tests.support import Database

HOP_BY_HOP = {b"host", b"content-length", b"connection", b"transfer-encoding"}


class RoundRobinBalancer:
    """A minimal load balancer: each HTTP request goes to the next backend in turn (no stickiness)."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.hits: collections.Counter[str] = collections.Counter()
        self._next = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        backend = self.backends[self._next % len(self.backends)]
        self._next += 1
        self.hits[backend] += 1
        query = scope["query_string"].decode()
        url = backend + scope["path"] + (f"?{query}" if query else "")
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        async with httpx.AsyncClient(timeout=15) as client:
            request = client.build_request(scope["method"], url, headers=headers, content=body)
            response = await client.send(request, stream=True)
            passed = [
                (k.encode(), v.encode()) for k, v in response.headers.items() if k.encode() not in HOP_BY_HOP
            ]
            await send({"type": "http.response.start", "status": response.status_code, "headers": passed})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await response.aclose()
        await send({"type": "http.response.body", "body": b"", "more_body": False})


@contextmanager
def balancer(backends: list[str]) -> Iterator[tuple[str, RoundRobinBalancer]]:
    """The balancer on a free loopback port."""
    app = RoundRobinBalancer(backends)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, what="the balancer to start")
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _client(url: str, connection: str) -> Client:
    transport = streamable_http_client(
        f"{url}/mcp", http_client=httpx2.AsyncClient(headers={"X-AIDIS-Connection": connection}, timeout=15)
    )
    return Client(transport)  # type: ignore[arg-type]


def _clean(database_url: str, tmp_path: Path) -> bool:
    app = build_app(Settings(data_dir=tmp_path, database_url=database_url), migrate=False)
    try:
        return app.integrity.check().clean
    finally:
        app.close()


async def test_one_connection_alternating_between_two_processes_is_one_session(
    db: Database, tmp_path: Path
) -> None:
    with (
        aidis_server(db.url, tmp_path / "a.log", AIDIS_MCP_STATELESS="true") as (url_a, _),
        aidis_server(db.url, tmp_path / "b.log", AIDIS_MCP_STATELESS="true") as (url_b, _),
        balancer([url_a, url_b]) as (url, lb),
    ):
        async with _client(url, "roaming-agent") as client:
            await call(client, "project_create", {"name": "scaled", "switch": True})
            stored = [
                await call(client, "context_store", {"content": f"note {i} on scaling"}) for i in range(4)
            ]
            status = await call(client, "session_status")
            found = await call(client, "context_search", {"query": "scaling"})
            ended = await call(client, "session_end")
        assert lb.hits[url_a] >= 4 and lb.hits[url_b] >= 4  # both processes answered this one connection
        assert len({s["session"]["id"] for s in stored} | {status["session"]["id"]}) == 1
        assert status["session"]["project_name"] == "scaled" and status["session"]["contexts"] == 4
        assert len(found["items"]) == 4
        assert ended["session"]["status"] == "ended" and ended["session"]["tool_calls"] >= 7
    assert _clean(db.url, tmp_path)


async def test_serve_with_two_workers_answers_one_connection_as_one_session(
    db: Database, tmp_path: Path
) -> None:
    with aidis_server(db.url, tmp_path / "workers.log", "--workers", "2") as (url, process):
        workers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == process.pid]
        assert len(workers) >= 2, "uvicorn did not start two worker processes"
        results = []
        for i in range(6):  # a new HTTP connection per client: the kernel spreads them over the workers
            async with _client(url, "two-workers") as client:
                results.append(await call(client, "context_store", {"content": f"worker note {i}"}))
        assert len({r["session"]["id"] for r in results}) == 1
        assert results[-1]["session"]["contexts"] == 6
    assert _clean(db.url, tmp_path)


def _parent(proc: Path) -> int:
    try:
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return -1
    return int(fields[1])

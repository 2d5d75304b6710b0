"""`aidis mcp`'s standard-library front: it answers the handshake exactly as the SDK would, hands every
other line to the SDK in order, answers malformed lines with JSON-RPC errors, and ends its session on
SIGTERM/SIGINT. Raw bytes are written to a real process; the SDK client is used in both protocol eras."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select as sql_select

from aidis.db.schema import sessions
from aidis.mcp.front import ANSWERS_FILE, StdioFront, load_answers
from aidis.mcp.schema_export import front_answers, initialize_request, render_answers, sdk_answers
from aidis.mcp.tools import CORE
from mcp import Client
from tests.mcp.conftest import call
from tests.mcp.transports import aidis_executable, stdio_params, wait_until
from tests.support import Database

REGENERATE = "python -m aidis.mcp.schema_export"
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


class RawServer:
    """`aidis mcp` with pipes: bytes in, JSON messages out (bounded waits, no sleeps)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.buffer = b""

    def send(self, *messages: dict[str, Any] | bytes) -> None:
        assert self.process.stdin is not None
        for message in messages:
            line = message if isinstance(message, bytes) else json.dumps(message).encode()
            self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()

    def read(self, timeout: float = 30.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"no message within {timeout}s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError("the server closed stdout")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        parsed: dict[str, Any] = json.loads(line)
        return parsed

    def read_many(self, count: int) -> list[dict[str, Any]]:
        return [self.read() for _ in range(count)]


@contextmanager
def raw_server(database_url: str, **env: str) -> Iterator[RawServer]:
    params = stdio_params(database_url, **env)
    process = subprocess.Popen(
        [aidis_executable(), "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=params.env,
        cwd=params.cwd,
    )
    try:
        yield RawServer(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def tool_call(ident: int, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": ident,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments or {}},
    }


def test_the_shipped_answers_are_what_the_sdk_answers_now() -> None:
    assert load_answers() == front_answers(), f"the SDK or the tools changed: run `{REGENERATE}`"
    with open(ANSWERS_FILE, encoding="utf-8") as handle:
        assert handle.read() == render_answers(front_answers())


@pytest.mark.parametrize("version", ["2024-11-05", "2025-06-18", "2025-11-25", "2099-01-01"])
def test_the_answer_does_not_depend_on_what_the_client_says_besides_its_version(version: str) -> None:
    answers = load_answers()
    assert answers is not None
    for capabilities in ({}, {"roots": {"listChanged": True}}, {"sampling": {}, "elicitation": {}}):
        request = initialize_request(version, 7, **capabilities)
        request["params"]["clientInfo"] = {
            "name": "claude-code",
            "version": "2.1.197",
            "title": "Claude Code",
        }
        (answer,) = sdk_answers([request])
        assert answer["result"] == answers["initialize"].get(version, answers["initialize"]["default"])


def test_pipelined_requests_are_all_answered_in_order(db: Database) -> None:
    with raw_server(db.url) as server:
        server.send(
            initialize_request("2025-06-18"),
            INITIALIZED,
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
            tool_call(3, "context_store", {"content": "pipelined before anything was read"}),
            {"jsonrpc": "2.0", "id": 4, "method": "tools/list"},
            {"jsonrpc": "2.0", "id": 5, "method": "ping"},
            {"jsonrpc": "2.0", "id": 6, "method": "no/such/method"},
        )
        answers = server.read_many(6)
    ids = [a["id"] for a in answers]
    assert sorted(ids) == [1, 2, 3, 4, 5, 6] and len(set(ids)) == 6  # each answered once (initialize too)
    by_id = {a["id"]: a for a in answers}
    assert json.loads(by_id[3]["result"]["content"][0]["text"])["outcome"] == "stored"
    assert by_id[4]["result"] == by_id[2]["result"]
    assert by_id[6]["error"]["code"] == -32601


def test_the_sdk_gets_every_line_in_order_but_what_the_front_answered() -> None:
    out: list[bytes] = []
    front = StdioFront(
        lambda _f: None, answers=load_answers(), read=lambda: b"", write=out.append, sdk_delay=60
    )
    lines = [
        initialize_request("2025-06-18"),
        INITIALIZED,
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "ping"},
        {"jsonrpc": "2.0", "id": 4, "method": "prompts/list"},
        {"jsonrpc": "2.0", "id": 5, "method": "resources/list"},
        tool_call(6, "session_status"),
        {"jsonrpc": "2.0", "id": 7, "method": "tools/list"},  # after a request went on: the SDK answers
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 6}},
    ]
    for line in lines:
        front.handle(json.dumps(line).encode())
    front.end_input()
    handed = []
    while (line := front.next_line()) is not None:
        handed.append(json.loads(line))
    assert handed == [lines[0], lines[1], lines[6], lines[7], lines[8]]
    answered = [json.loads(o) for o in out]
    assert [a["id"] for a in answered] == [1, 2, 3, 4, 5]
    assert answered[3]["result"] == {"prompts": []} and answered[4]["result"] == {"resources": []}
    front.write_line(json.dumps({"jsonrpc": "2.0", "id": 1, "result": {}}).encode())  # the SDK's own answer
    front.write_line(json.dumps({"jsonrpc": "2.0", "id": 6, "result": {}}).encode())
    assert [json.loads(o)["id"] for o in out] == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]  # the second answer to `initialize` dropped


def test_a_tool_call_before_the_tool_list_works(db: Database) -> None:
    with raw_server(db.url) as server:
        server.send(initialize_request("2025-11-25"), INITIALIZED, tool_call(2, "session_status"))
        init, status = server.read_many(2)
        server.send({"jsonrpc": "2.0", "id": 3, "method": "tools/list"})
        listed = server.read()
    assert init["id"] == 1 and init["result"]["protocolVersion"] == "2025-11-25"
    assert status["id"] == 2 and "result" in status
    assert listed["id"] == 3 and {t["name"] for t in listed["result"]["tools"]} == CORE


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"not json", -32700),
        (b'{"jsonrpc": "2.0", "id": 9, "method": "ping", "params": {"x": "\\ud800"}}', -32700),
        (b"[" * 3000 + b"]" * 3000, -32700),
        (b'{"jsonrpc": "2.0", "id": 9, "method": "ping"' + b"\xff\xfe}", -32700),
        (
            b'{"jsonrpc": "2.0", "id": 9, "method": "ping", "params": ' + b'{"a":' * 150 + b"1" + b"}" * 151,
            -32700,
        ),
        (b'{"id": 9, "method": "ping"}', -32600),
        (b"[1, 2, 3]", -32600),
        (b'{"jsonrpc": "2.0", "id": 9, "method": 5}', -32600),
    ],
)
def test_a_malformed_line_gets_a_json_rpc_error_and_the_server_goes_on(
    db: Database, line: bytes, code: int
) -> None:
    with raw_server(db.url) as server:
        server.send(initialize_request("2025-06-18"), INITIALIZED)
        server.read()
        server.send(line, {"jsonrpc": "2.0", "id": 10, "method": "ping"})
        error, pong = server.read_many(2)
        server.process.stdin.close()  # type: ignore[union-attr]
        stderr = server.process.stderr.read().decode()  # type: ignore[union-attr]
    assert error["error"]["code"] == code and error["id"] in (None, 9)
    assert pong == {"jsonrpc": "2.0", "id": 10, "result": {}}
    assert "refused a malformed line" in stderr


def test_the_front_answers_without_loading_the_sdk_or_the_database_layer() -> None:
    script = """
import json, sys
import aidis.mcp.stdio
from aidis.mcp.front import StdioFront, load_answers
out = []
front = StdioFront(lambda f: None, answers=load_answers(), read=lambda: b"", write=out.append, sdk_delay=60)
front.handle(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}}).encode())
front.handle(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')
front.handle(b'{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}')
assert [json.loads(o)["id"] for o in out] == [1, 2], out
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("mcp", "mcp_types", "pydantic", "sqlalchemy", "anyio"))
assert not heavy, heavy
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


async def test_every_tool_works_in_both_protocol_eras(db: Database) -> None:
    for mode in ("legacy", "auto"):
        async with Client(stdio_params(db.url), mode=mode) as client:
            assert {t.name for t in (await client.list_tools()).tools} == CORE
            stored = await call(client, "context_store", {"content": f"stored in {mode} mode"})
            found = await call(client, "context_search", {"query": f"stored {mode}"})
            assert stored["outcome"] == "stored" and found["items"], mode


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_ends_the_servers_own_session(db: Database, sig: signal.Signals) -> None:
    with raw_server(db.url) as server:
        server.send(
            initialize_request("2025-06-18"), INITIALIZED, tool_call(2, "context_store", {"content": "x"})
        )
        _, stored = server.read_many(2)
        display_id = json.loads(stored["result"]["content"][0]["text"])["session"]["display_id"]
        server.process.send_signal(sig)
        assert server.process.wait(timeout=30) == 0

    with db.engine.connect() as conn:
        row = conn.execute(
            sql_select(sessions.c.status, sessions.c.end_reason).where(sessions.c.display_id == display_id)
        ).one()
    assert (row.status, row.end_reason) == ("ended", "connection_closed")


def test_a_signal_leaves_an_agent_owned_session_to_its_hooks(db: Database) -> None:
    with raw_server(db.url, CLAUDE_CODE_SESSION_ID="cc-owned") as server:
        server.send(
            initialize_request("2025-06-18"), INITIALIZED, tool_call(2, "context_store", {"content": "y"})
        )
        server.read_many(2)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0

    def status() -> str:
        with db.engine.connect() as conn:
            return str(
                conn.execute(
                    sql_select(sessions.c.status).where(sessions.c.connection_id == "claude-code:cc-owned")
                ).scalar_one()
            )

    assert wait_until(status, what="the session row") == "active"

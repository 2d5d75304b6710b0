"""A small local stand-in for the Anthropic Messages API, so a real Claude Code runs offline.

It scripts the model: Claude Code (2.1.3xx) defers MCP tools behind its `ToolSearch` tool, so the model
first searches for a memory tool by a word a model would use ("remember"), then calls
`mcp__aidis__context_store` once it is loaded; once that result comes back, a final text answer.
Anything else (titles, summaries, side requests) gets a short text. Every request body is kept so
the test can see what Claude Code sent (system prompt, hook context, tools).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOOL = "mcp__aidis__context_store"
NOTE = "Claude Code stored this through AIDIS"
TOOL_SEARCH = "ToolSearch"


class StandIn:
    """The scripted model and what it was asked."""

    def __init__(self, script: list[tuple[str, dict[str, Any]]] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.responses = 0
        # the tool calls the model makes, one per turn, in order (each when the tool is offered)
        self.script = (
            script
            if script is not None
            else [(TOOL_SEARCH, {"query": "remember"}), (TOOL, {"content": NOTE})]
        )

    def next_id(self) -> str:
        """A fresh message id per response, as the real API gives."""
        with self.lock:
            self.responses += 1
            return f"msg_standin_{self.responses}"

    def reply(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        """(content blocks, stop reason) for one request."""
        tools = {t.get("name") for t in body.get("tools", []) if isinstance(t, dict)}
        made = sum(
            1
            for message in body.get("messages", [])
            if isinstance(message, dict) and message.get("role") == "assistant"
            for block in (message.get("content") if isinstance(message.get("content"), list) else [])
            if isinstance(block, dict) and block.get("type") == "tool_use"
        )
        if made < len(self.script) and self.script[made][0] in tools:
            name, arguments = self.script[made]
            block = {"type": "tool_use", "id": f"toolu_standin_{made + 1}", "name": name, "input": arguments}
            return [block], "tool_use"
        return [{"type": "text", "text": "Done."}], "end_turn"


def _events(
    blocks: list[dict[str, Any]], stop: str, model: str, message_id: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    usage = {
        "input_tokens": 120,
        "output_tokens": 0,
        "cache_creation_input_tokens": 30,
        "cache_read_input_tokens": 400,
    }
    message = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    yield "message_start", {"type": "message_start", "message": message}
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            yield (
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                },
            )
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": block["text"]},
                },
            )
        else:
            start = {**block, "input": {}}
            yield (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
            yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": 25},
        },
    )
    yield "message_stop", {"type": "message_stop"}


def _handler(model: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_HEAD(self) -> None:
            self.send_response(200)
            self.end_headers()

        def do_GET(self) -> None:
            self._json({"data": [], "has_more": False})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path.startswith("/v1/messages/count_tokens"):
                self._json({"input_tokens": 100})
                return
            if not self.path.startswith("/v1/messages"):
                self._json({})
                return
            with model.lock:
                model.requests.append(body)
            blocks, stop = model.reply(body)
            name = str(body.get("model") or "claude-standin")
            if not body.get("stream"):
                usage = {"input_tokens": 120, "output_tokens": 25}
                self._json(
                    {
                        "id": model.next_id(),
                        "type": "message",
                        "role": "assistant",
                        "model": name,
                        "content": blocks,
                        "stop_reason": stop,
                        "stop_sequence": None,
                        "usage": usage,
                    }
                )
                return
            message_id = model.next_id()
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("request-id", f"req_{message_id}")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            for event, data in _events(blocks, stop, name, message_id):
                self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        def _json(self, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


@contextmanager
def running_standin(model: StandIn | None = None) -> Iterator[tuple[str, StandIn]]:
    """The stand-in (a fresh `StandIn` unless given) on a free loopback port: (base URL, the model)."""
    model = model or StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", model
    finally:
        server.shutdown()
        thread.join(timeout=10)

"""A small local stand-in for the OpenAI Responses API (`POST /v1/responses`, streamed), so a real Codex
runs offline through a custom model provider (`base_url`, `wire_api = "responses"`).

It scripts the model like the Claude Code stand-in: a request that offers AIDIS's context_store tool
and has no tool output yet gets a call of that tool (then, when `shell` is set, a shell command);
anything else gets a short text. Each response reports 1000 input / 250 output tokens. Every request
body is kept so a test can see what Codex sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NOTE = "Codex stored this through AIDIS"
USAGE = {
    "input_tokens": 1000,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 250,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 1250,
}


class ResponsesModel:
    """The scripted model and what it was asked."""

    def __init__(self, script: list[tuple[str, dict[str, Any]]] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.count = 0
        # the tool calls the model makes, one per turn, in order; "mcp__aidis/context_store" names a tool
        # of an MCP server's namespace
        self.script = script if script is not None else [("mcp__aidis/context_store", {"content": NOTE})]

    def next_id(self, prefix: str) -> str:
        """A fresh id per item, as the real API gives."""
        with self.lock:
            self.count += 1
            return f"{prefix}_standin_{self.count}"

    def items(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The output items for one request."""
        offered: set[str] = set()
        for tool in body.get("tools", []):
            if not isinstance(tool, dict):
                continue
            if tool.get("type") == "namespace":  # Codex offers an MCP server's tools as one namespace
                offered |= {f"{tool.get('name')}/{sub.get('name')}" for sub in tool.get("tools", [])}
            else:
                offered.add(str(tool.get("name", "")))
        made = sum(
            1 for i in body.get("input", []) if isinstance(i, dict) and i.get("type") == "function_call"
        )
        if made < len(self.script) and self.script[made][0] in offered:
            name, arguments = self.script[made]
            namespace, _, short = name.rpartition("/")
            return [self._call(short, arguments, namespace=namespace or None)]
        return [self._message("Done.")]

    def _call(self, name: str, arguments: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        call = {
            "type": "function_call",
            "id": self.next_id("fc"),
            "call_id": self.next_id("call"),
            "name": name,
            "arguments": json.dumps(arguments),
            "status": "completed",
        }
        return {**call, "namespace": namespace} if namespace else call

    def _message(self, text: str) -> dict[str, Any]:
        return {
            "type": "message",
            "id": self.next_id("msg"),
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }


def _events(model: ResponsesModel, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    response_id = model.next_id("resp")
    base = {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "model": body.get("model"),
    }
    yield {"type": "response.created", "response": {**base, "status": "in_progress", "output": []}}
    items = model.items(body)
    for index, item in enumerate(items):
        yield {
            "type": "response.output_item.added",
            "output_index": index,
            "item": {**item, "status": "in_progress"},
        }
        if item["type"] == "message":
            text = item["content"][0]["text"]
            yield {
                "type": "response.output_text.delta",
                "item_id": item["id"],
                "output_index": index,
                "content_index": 0,
                "delta": text,
            }
        yield {"type": "response.output_item.done", "output_index": index, "item": item}
    yield {
        "type": "response.completed",
        "response": {**base, "status": "completed", "output": items, "usage": USAGE},
    }


def _handler(model: ResponsesModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._json({"object": "list", "data": [{"id": "gpt-standin", "object": "model"}]})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length) if length else b"{}"
            body = json.loads(raw or b"{}")
            if not self.path.rstrip("/").endswith("/responses"):
                self._json({})
                return
            with model.lock:
                model.requests.append(body)
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            for event in _events(model, body):
                self.wfile.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
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
def running_responses_standin(model: ResponsesModel | None = None) -> Iterator[tuple[str, ResponsesModel]]:
    """The stand-in on a free loopback port: (base URL ending in /v1, the model)."""
    model = model or ResponsesModel()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", model
    finally:
        server.shutdown()
        thread.join(timeout=10)

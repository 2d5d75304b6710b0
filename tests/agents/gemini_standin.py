"""A small local stand-in for the Gemini API (`generateContent`, `streamGenerateContent?alt=sse`,
`countTokens`), so a real Gemini CLI runs offline (`GOOGLE_GEMINI_BASE_URL`).

It scripts the model like the other stand-ins: a request that offers AIDIS's context_store function
and has no function response yet gets a call of it (then, when `shell` is set, a shell command);
anything else gets a short text. Each response reports 1000 prompt / 250 candidate tokens. Requests
without tools (Gemini CLI's side requests, e.g. its model router, which asks for JSON) get a JSON
text. Every request is kept so a test can see what Gemini CLI sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NOTE = "Gemini CLI stored this through AIDIS"
USAGE = {"promptTokenCount": 1000, "candidatesTokenCount": 250, "totalTokenCount": 1250}


class GeminiModel:
    """The scripted model and what it was asked."""

    def __init__(self, script: list[tuple[str, dict[str, Any]]] | None = None) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        # the function calls the model makes, one per turn, in order (each when it is declared)
        self.script = script if script is not None else [("mcp_aidis_context_store", {"content": NOTE})]

    def parts(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The parts of the answer to one request."""
        declared = [
            str(f.get("name", ""))
            for tool in body.get("tools", []) or []
            if isinstance(tool, dict)
            for f in tool.get("functionDeclarations", []) or []
            if isinstance(f, dict)
        ]
        if not declared:  # a side request (router, summary): answer JSON, which it expects
            return [{"text": json.dumps({"reasoning": "stand-in", "model_choice": "flash"})}]
        made = sum(
            1
            for content in body.get("contents", []) or []
            for part in content.get("parts", []) or []
            if isinstance(part, dict) and isinstance(part.get("functionCall"), dict)
        )
        if made < len(self.script) and self.script[made][0] in declared:
            name, arguments = self.script[made]
            return [{"functionCall": {"name": name, "args": arguments}}]
        return [{"text": "Done."}]


def _response(model: GeminiModel, body: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": model.parts(body)}, "finishReason": "STOP", "index": 0}
        ],
        "usageMetadata": USAGE,
        "modelVersion": name,
    }


def _handler(model: GeminiModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._json({"models": []})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            path = self.path.split("?", 1)[0]
            with model.lock:
                model.requests.append((self.path, body))
            name = path.rsplit("/", 1)[-1].split(":", 1)[0]
            if path.endswith(":countTokens"):
                self._json({"totalTokens": 100})
                return
            if path.endswith(":streamGenerateContent"):
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                self.wfile.write(f"data: {json.dumps(_response(model, body, name))}\n\n".encode())
                self.wfile.flush()
                return
            if path.endswith(":generateContent"):
                self._json(_response(model, body, name))
                return
            self._json({})

        def _json(self, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


@contextmanager
def running_gemini_standin(model: GeminiModel | None = None) -> Iterator[tuple[str, GeminiModel]]:
    """The stand-in on a free loopback port: (base URL, the model)."""
    model = model or GeminiModel()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", model
    finally:
        server.shutdown()
        thread.join(timeout=10)

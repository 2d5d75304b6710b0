"""`python -m aidis.mcp.schema_export`: rewrite the protocol files shipped with the package from the live
code — `tool_schemas.json` (each tool's published schemas, from its models) and `front_answers.json`
(what the SDK server answers to the handshake and `tools/list`, per protocol version, for the stdio
front).

Invariant: the only module that knows the tools, the SDK server and the shipped files together, so
none of them imports another; tests regenerate both files and fail when the shipped ones differ.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp_types.version import KNOWN_PROTOCOL_VERSIONS

from aidis.config import Settings
from aidis.mcp.front import ANSWERS_FILE
from aidis.mcp.published_schemas import SCHEMA_FILE, PublishedSchemas, generate, render
from aidis.mcp.tools import all_specs

UNKNOWN_VERSION = "1900-01-01"  # what the SDK answers a version it does not know is the default


def current() -> dict[str, PublishedSchemas]:
    """Every tool's schemas as its models generate them now."""
    return {spec.name: generate(spec.input_model, spec.output_model) for spec in all_specs()}


class _Script:
    """A LineSource that sends fixed lines and keeps what the server writes."""

    def __init__(self, lines: list[dict[str, Any]]) -> None:
        self.lines = [json.dumps(line).encode() for line in lines]
        self.written: list[dict[str, Any]] = []

    def next_line(self) -> bytes | None:
        return self.lines.pop(0) if self.lines else None

    def write_line(self, data: bytes) -> None:
        self.written.append(json.loads(data))


class _NoApp:
    """The tools are listed, never called, while recording."""

    def __init__(self, tools: str) -> None:
        self.settings = Settings(log_level="WARNING", tools=tools)

    async def get(self) -> Any:
        raise RuntimeError("no tool runs while recording the handshake")


def initialize_request(version: str, ident: int = 1, **capabilities: Any) -> dict[str, Any]:
    """A handshake-era `initialize` as a client sends it."""
    return {
        "jsonrpc": "2.0",
        "id": ident,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": capabilities,
            "clientInfo": {"name": "aidis-schema-export", "version": "1"},
        },
    }


def sdk_answers(lines: list[dict[str, Any]], tools: str = "core") -> list[dict[str, Any]]:
    """What the real SDK server (AIDIS's tools in a tool mode, no app) writes for these lines."""
    from aidis.mcp.identity import FixedConnection
    from aidis.mcp.sdk_bridge import serve_lines
    from aidis.mcp.server import build_mcp_server

    script = _Script(lines)
    server = build_mcp_server(_NoApp(tools), FixedConnection("schema-export"))
    anyio.run(serve_lines, server, script)
    return script.written


def front_answers() -> dict[str, Any]:
    """The SDK's answers to `initialize` for every protocol version it knows (and an unknown one), and
    to each list a connecting client asks for, for every version it negotiates and every tool mode
    (AIDIS_TOOLS); an answer that is an error is not recorded: the SDK gives it."""
    from aidis.mcp.front import LISTS

    initialize: dict[str, Any] = {}
    modes: dict[str, Any] = {}
    for mode in ("core", "all"):
        results: list[Any] = []
        by_version: dict[str, dict[str, int]] = {}
        for version in (*KNOWN_PROTOCOL_VERSIONS, UNKNOWN_VERSION):
            lists: list[dict[str, Any]] = [
                {"jsonrpc": "2.0", "id": 2 + i, "method": method} for i, method in enumerate(LISTS)
            ]
            written = sdk_answers(
                [
                    initialize_request(version),
                    {"jsonrpc": "2.0", "method": "notifications/initialized"},
                    *lists,
                ],
                mode,
            )
            by_id = {message.get("id"): message for message in written}
            result = by_id[1]["result"]
            initialize["default" if version == UNKNOWN_VERSION else version] = result
            negotiated = by_version.setdefault(result["protocolVersion"], {})
            for request in lists:
                answer = by_id[request["id"]]
                if "result" not in answer:
                    continue
                if answer["result"] not in results:  # the same lists for most versions: kept once
                    results.append(answer["result"])
                negotiated[str(request["method"])] = results.index(answer["result"])
        modes[mode] = {"by_version": by_version, "results": results}
    return {"initialize": initialize, "lists": modes}


def render_answers(answers: dict[str, Any]) -> str:
    """The answers file's text (sorted keys, compact, one trailing newline)."""
    return json.dumps(answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def main() -> None:
    """Rewrite `tool_schemas.json` and `front_answers.json` from the current code."""
    tools = current()
    SCHEMA_FILE.write_text(render(tools), encoding="utf-8")
    print(f"wrote {len(tools)} tools' schemas to {SCHEMA_FILE}")
    with open(ANSWERS_FILE, "w", encoding="utf-8") as handle:
        handle.write(render_answers(front_answers()))
    print(f"wrote the stdio front's answers to {ANSWERS_FILE}")


if __name__ == "__main__":
    main()

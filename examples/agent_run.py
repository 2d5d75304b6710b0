"""An agent-like run over stdio with the official MCP SDK client, printing each call and its result.

python examples/agent_run.py            # on a throwaway SQLite database
AIDIS_DATABASE_URL=postgresql://… python examples/agent_run.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp.client.stdio import StdioServerParameters

from mcp import Client

STEPS: list[tuple[str, dict[str, Any]]] = [
    ("aidis_ping", {"message": "hello"}),
    ("session_status", {}),
    ("project_create", {"name": "checkout-service", "description": "Payments checkout"}),
    ("session_assign", {"project": "checkout-servce"}),
    ("session_assign", {"project": "checkout-service"}),
    (
        "context_store",
        {
            "content": "Decided: retry card captures with idempotency keys",
            "type": "decision",
            "tags": ["payments"],
        },
    ),
    ("context_search", {"query": "idempotency captures"}),
    ("session_new", {"title": "Refund flow"}),
    ("session_status", {}),
]

KEEP = {
    "display_id",
    "project_name",
    "status",
    "end_reason",
    "contexts",
    "tool_calls",
    "input_tokens",
    "output_tokens",
    "content",
    "scope",
    "pong",
    "name",
    "rank",
}


def _brief(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _brief(v) for k, v in value.items() if k in KEEP or isinstance(v, dict | list)}
    if isinstance(value, list):
        return [_brief(v) for v in value]
    return value


async def main() -> None:
    url = os.environ.get("AIDIS_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/demo.db"
    env = {
        **os.environ,
        "AIDIS_DATABASE_URL": url,
        "AIDIS_LOG_LEVEL": "WARNING",
        "AIDIS_AGENT_TYPE": "demo-agent",
    }
    params = StdioServerParameters(command=str(Path(sys.executable).parent / "aidis"), args=["mcp"], env=env)
    async with Client(params) as client:
        for tool, args in STEPS:
            result = await client.call_tool(tool, args)
            print(f"> {tool} {json.dumps(args)}")
            if result.is_error:
                print(f"  ERROR {result.content[0].text}")  # type: ignore[union-attr]
            else:
                print(f"  {json.dumps(_brief(result.structured_content))}")


if __name__ == "__main__":
    anyio.run(main)

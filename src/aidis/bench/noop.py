"""A no-op MCP server on the same SDK (`python -m aidis.bench.noop`): the floor AIDIS is compared with."""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("noop")


@server.tool()
async def noop() -> dict[str, bool]:
    """Do nothing."""
    return {"ok": True}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "http":
        import uvicorn

        uvicorn.run(
            server.streamable_http_app(), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning"
        )
    else:
        server.run("stdio")

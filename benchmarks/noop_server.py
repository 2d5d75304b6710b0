"""A no-op MCP server on the same SDK: the latency floor AIDIS is compared with."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("noop")


@server.tool()
async def noop() -> dict[str, bool]:
    """Do nothing."""
    return {"ok": True}


if __name__ == "__main__":
    server.run("stdio")

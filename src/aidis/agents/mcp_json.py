"""Agents whose MCP servers live under `mcpServers` in a JSON file (Claude Code, Cursor, Gemini CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aidis.agents.files import FileChange, dump_json, load_json, read_text

SERVER_NAME = "aidis"


def server_entry(aidis: str, *, agent: str, stdio_type: bool = False) -> dict[str, Any]:
    """The `aidis mcp` server entry an agent starts (in the workspace it runs in)."""
    entry: dict[str, Any] = {"command": aidis, "args": ["mcp"], "env": {"AIDIS_AGENT_TYPE": agent}}
    return {"type": "stdio", **entry} if stdio_type else entry


def merge_server(path: Path, entry: dict[str, Any], *, uninstall: bool) -> FileChange:
    """Add (or, uninstalling, remove) the `aidis` server, keeping every other key and server."""
    before = read_text(path)
    data = load_json(path, before)
    servers = data.get("mcpServers")
    if not isinstance(servers, dict):
        servers = {}
    if uninstall:
        if SERVER_NAME not in servers:
            return FileChange(path, before, before)
        rest = {k: v for k, v in servers.items() if k != SERVER_NAME}
        data = {**data, "mcpServers": rest} if rest else {k: v for k, v in data.items() if k != "mcpServers"}
    else:
        if servers.get(SERVER_NAME) == entry:
            return FileChange(path, before, before)
        data = {**data, "mcpServers": {**servers, SERVER_NAME: entry}}
    if uninstall and not data:
        return FileChange(path, before, "", remove=True)
    after = dump_json(data) if data or before else ""
    return FileChange(path, before, after)

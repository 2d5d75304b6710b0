"""Cursor: the `aidis` MCP server in `mcp.json` (`~/.cursor/mcp.json`, or `.cursor/mcp.json` in a project).

Cursor's sessions are attributed by the workspace the stdio server starts in; AIDIS installs no hooks
for it.
"""

from __future__ import annotations

from pathlib import Path

from aidis.agents.files import FileChange
from aidis.agents.mcp_json import merge_server, server_entry


def plan(aidis: str, *, scope: str, home: Path, project: Path, uninstall: bool) -> list[FileChange]:
    """`~/.cursor/mcp.json` (user) or `.cursor/mcp.json` (project)."""
    base = home if scope == "user" else project
    return [
        merge_server(base / ".cursor" / "mcp.json", server_entry(aidis, agent="cursor"), uninstall=uninstall)
    ]

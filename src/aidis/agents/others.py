"""Cursor, Gemini CLI (JSON `mcpServers`) and Codex (TOML `[mcp_servers.aidis]`): the MCP server entry.

These agents' hooks are not configured here: Cursor and Gemini CLI document no session lifecycle
hooks AIDIS could use the way it uses Claude Code's, and Codex's notify hook reports only turn ends.
Their sessions are still attributed by the workspace the stdio server starts in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from aidis.agents.files import FileChange, read_text
from aidis.agents.mcp_json import SERVER_NAME, merge_server, server_entry
from aidis.errors import InvalidInput


def plan_cursor(aidis: str, *, scope: str, home: Path, project: Path, uninstall: bool) -> list[FileChange]:
    """`~/.cursor/mcp.json` (user) or `.cursor/mcp.json` (project)."""
    base = home if scope == "user" else project
    return [
        merge_server(base / ".cursor" / "mcp.json", server_entry(aidis, agent="cursor"), uninstall=uninstall)
    ]


def plan_gemini(aidis: str, *, scope: str, home: Path, project: Path, uninstall: bool) -> list[FileChange]:
    """`~/.gemini/settings.json` (user) or `.gemini/settings.json` (project)."""
    base = home if scope == "user" else project
    entry = server_entry(aidis, agent="gemini-cli")
    return [merge_server(base / ".gemini" / "settings.json", entry, uninstall=uninstall)]


def plan_codex(aidis: str, *, scope: str, home: Path, project: Path, uninstall: bool) -> list[FileChange]:
    """`~/.codex/config.toml` (Codex reads MCP servers from the user's config only)."""
    if scope != "user":
        raise InvalidInput(
            "Codex reads MCP servers from ~/.codex/config.toml only: use --scope user", field="scope"
        )
    path = home / ".codex" / "config.toml"
    before = read_text(path)
    try:
        doc = tomlkit.parse(before)
    except TOMLKitError as exc:
        raise InvalidInput(
            f"{path} is not valid TOML ({exc}); fix it first, nothing was changed", field="config"
        ) from exc
    servers: Any = doc.get("mcp_servers")
    if uninstall:
        if servers is None or SERVER_NAME not in servers:
            return [FileChange(path, before, before)]
        del servers[SERVER_NAME]
        if not servers:
            del doc["mcp_servers"]
        return [FileChange(path, before, tomlkit.dumps(doc).rstrip() + "\n")]
    wanted: dict[str, Any] = {"command": aidis, "args": ["mcp"], "env": {"AIDIS_AGENT_TYPE": "codex"}}
    if servers is not None and SERVER_NAME in servers and servers[SERVER_NAME].unwrap() == wanted:
        return [FileChange(path, before, before)]
    if servers is None:
        servers = tomlkit.table(is_super_table=True)
        doc["mcp_servers"] = servers
    table = tomlkit.table()
    for key, value in wanted.items():
        table[key] = value
    servers[SERVER_NAME] = table
    return [FileChange(path, before, tomlkit.dumps(doc))]

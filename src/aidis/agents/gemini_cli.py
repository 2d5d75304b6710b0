"""Gemini CLI: the `aidis` MCP server and the lifecycle hooks, both in `settings.json`
(`~/.gemini/settings.json`, or `.gemini/settings.json` in a project).

Gemini CLI starts stdio MCP servers (and runs a project's settings) only in a folder the person
trusted; setup does not change that (docs/agents.md says how to trust a folder).
"""

from __future__ import annotations

from pathlib import Path

from aidis.agents.files import FileChange, dump_json, load_json, read_text
from aidis.agents.hook_json import HookEvent, hook_command, merged_hooks
from aidis.agents.mcp_json import SERVER_NAME, server_entry

EVENTS = [
    HookEvent("SessionStart", "*", timeout=10_000),  # Gemini CLI counts hook timeouts in milliseconds
    HookEvent("BeforeAgent", "*"),
    HookEvent("AfterTool", "*"),
    HookEvent("AfterAgent", "*"),
    HookEvent("PreCompress", "*"),
    HookEvent("SessionEnd", "*", timeout=5_000),
]
TRUST_NOTE = (
    "Gemini CLI starts MCP servers only in folders you trust: answer its trust prompt in your projects."
)


def plan(aidis: str, *, scope: str, home: Path, project: Path, uninstall: bool) -> list[FileChange]:
    """The one settings file, with the server entry and the hooks merged in (or taken out)."""
    path = (home if scope == "user" else project) / ".gemini" / "settings.json"
    before = read_text(path)
    data = load_json(path, before)
    servers = data.get("mcpServers") if isinstance(data.get("mcpServers"), dict) else {}
    entry = server_entry(aidis, agent="gemini-cli")
    if uninstall:
        servers = {k: v for k, v in (servers or {}).items() if k != SERVER_NAME}
    else:
        servers = {**(servers or {}), SERVER_NAME: entry}
    hooks = merged_hooks(data.get("hooks"), EVENTS, hook_command(aidis, "gemini-cli"), uninstall=uninstall)
    after_data = {k: v for k, v in data.items() if k not in ("mcpServers", "hooks")}
    if servers:
        after_data["mcpServers"] = servers
    if hooks:
        after_data["hooks"] = hooks
    ordered = {k: after_data[k] for k in [*data, *after_data] if k in after_data}
    if ordered == data:
        return [FileChange(path, before, before)]
    if uninstall and not ordered:
        return [FileChange(path, before, "", remove=True)]
    return [FileChange(path, before, dump_json(ordered) if ordered or before else "")]

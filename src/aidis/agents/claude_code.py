"""Claude Code: the `aidis` stdio MCP server and the lifecycle hooks.

User scope: `~/.claude.json` (mcpServers) and `~/.claude/settings.json` (hooks). Project scope:
`.mcp.json` and `.claude/settings.json` in the project. Hooks are command hooks (`aidis hook
claude-code`): Claude Code takes no HTTP hook for SessionStart, and SessionStart is where the start
context is injected. Our hook entries are recognised by their command, so uninstall removes exactly
them and nothing the user added.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aidis.agents.files import FileChange, dump_json, load_json, read_text
from aidis.agents.mcp_json import merge_server, server_entry

EVENTS = {
    "SessionStart": "startup|resume|clear|compact",
    "UserPromptSubmit": None,
    "Stop": None,
    "PreCompact": None,
    "SessionEnd": None,
}
HOOK_TIMEOUT_SECONDS = {"SessionStart": 10, "SessionEnd": 5}


def hook_command(aidis: str) -> str:
    """The command Claude Code runs for every AIDIS hook."""
    return f"{aidis} hook claude-code"


def _ours(group: Any, command: str) -> bool:
    return isinstance(group, dict) and any(
        isinstance(h, dict) and h.get("command") == command for h in group.get("hooks", [])
    )


def merge_hooks(path: Path, aidis: str, *, uninstall: bool) -> FileChange:
    """Add (or remove) AIDIS's command hook for each lifecycle event, keeping every other hook."""
    before = read_text(path)
    data = load_json(path, before)
    hooks = data.get("hooks") if isinstance(data.get("hooks"), dict) else {}
    command = hook_command(aidis)
    merged: dict[str, Any] = dict(hooks or {})
    for event, matcher in EVENTS.items():
        groups = (
            [g for g in merged.get(event, []) if not _ours(g, command)]
            if isinstance(merged.get(event), list)
            else []
        )
        if not uninstall:
            hook: dict[str, Any] = {"type": "command", "command": command}
            if event in HOOK_TIMEOUT_SECONDS:
                hook["timeout"] = HOOK_TIMEOUT_SECONDS[event]
            group: dict[str, Any] = {"hooks": [hook]}
            if matcher:
                group = {"matcher": matcher, **group}
            groups.append(group)
        if groups:
            merged[event] = groups
        else:
            merged.pop(event, None)
    if merged == (hooks or {}):
        return FileChange(path, before, before)
    data = {**data, "hooks": merged} if merged else {k: v for k, v in data.items() if k != "hooks"}
    return FileChange(path, before, dump_json(data))


def plan(aidis: str, *, scope: str, home: Path, project: Path, uninstall: bool) -> list[FileChange]:
    """The file changes `aidis setup claude-code` makes."""
    entry = server_entry(aidis, agent="claude-code", stdio_type=True)
    if scope == "user":
        return [
            merge_server(home / ".claude.json", entry, uninstall=uninstall),
            merge_hooks(home / ".claude" / "settings.json", aidis, uninstall=uninstall),
        ]
    return [
        merge_server(project / ".mcp.json", entry, uninstall=uninstall),
        merge_hooks(project / ".claude" / "settings.json", aidis, uninstall=uninstall),
    ]

"""Claude Code: the `aidis` stdio MCP server and the lifecycle hooks.

User scope: `~/.claude.json` (mcpServers) and `~/.claude/settings.json` (hooks). Project scope:
`.mcp.json` and `.claude/settings.json` in the project. Hooks are command hooks (`aidis hook
claude-code`): Claude Code takes no HTTP hook for SessionStart, and SessionStart is where the start
context is injected; the tool hooks feed the session's activity record (aidis.services.agents.activity).
"""

from __future__ import annotations

from pathlib import Path

from aidis.agents.files import FileChange
from aidis.agents.hook_json import HookEvent, hook_command, merge_hook_file
from aidis.agents.mcp_json import merge_server, server_entry

EVENTS = [
    HookEvent("SessionStart", "startup|resume|clear|compact", timeout=10),
    HookEvent("UserPromptSubmit"),
    HookEvent("PostToolUse", "*"),
    HookEvent("PostToolUseFailure", "*"),
    HookEvent("Stop"),
    HookEvent("PreCompact"),
    HookEvent("SessionEnd", timeout=5),
]


def plan(aidis: str, *, scope: str, home: Path, project: Path, uninstall: bool) -> list[FileChange]:
    """The file changes `aidis setup claude-code` makes."""
    entry = server_entry(aidis, agent="claude-code", stdio_type=True)
    command = hook_command(aidis, "claude-code")
    if scope == "user":
        return [
            merge_server(home / ".claude.json", entry, uninstall=uninstall),
            merge_hook_file(home / ".claude" / "settings.json", EVENTS, command, uninstall=uninstall),
        ]
    return [
        merge_server(project / ".mcp.json", entry, uninstall=uninstall),
        merge_hook_file(project / ".claude" / "settings.json", EVENTS, command, uninstall=uninstall),
    ]

"""Codex: the `aidis` MCP server in `~/.codex/config.toml` and the lifecycle hooks in `~/.codex/hooks.json`.

Codex passes its MCP servers only a handful of environment variables, so the entry forwards the ones
that say where AIDIS's data is (`env_vars`) and names the agent (`env`); hooks get the whole
environment. Codex runs a new or changed hook only after the person has reviewed and trusted it
(`/hooks` in Codex): setup never trusts a hook behind the user's back, it says how (docs/agents.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from aidis.agents.files import FileChange, read_text
from aidis.agents.hook_json import HookEvent, hook_command, merge_hook_file
from aidis.agents.mcp_json import SERVER_NAME
from aidis.errors import InvalidInput

FORWARDED = ["AIDIS_DATA_DIR", "AIDIS_DATABASE_URL", "AIDIS_SPOOL_DIR", "AIDIS_CAPTURE"]
EVENTS = [
    HookEvent("SessionStart", "startup|resume|clear", timeout=10),
    HookEvent("UserPromptSubmit"),
    HookEvent("PostToolUse"),
    HookEvent("Stop"),
    HookEvent("PreCompact"),
    HookEvent("SessionEnd", timeout=5),
]
TRUST_NOTE = (
    "Codex runs a new hook only once you trust it: start `codex`, type /hooks, review the AIDIS hooks "
    "and trust them (docs/agents.md)."
)


def plan(aidis: str, *, scope: str, home: Path, project: Path, uninstall: bool) -> list[FileChange]:
    """`~/.codex/config.toml` (Codex reads MCP servers from the user's config only) and `~/.codex/hooks.json`."""
    if scope != "user":
        raise InvalidInput(
            "Codex reads MCP servers from ~/.codex/config.toml only: use --scope user", field="scope"
        )
    command = hook_command(aidis, "codex")
    return [
        _merge_config(home / ".codex" / "config.toml", aidis, uninstall=uninstall),
        merge_hook_file(home / ".codex" / "hooks.json", EVENTS, command, uninstall=uninstall),
    ]


def _merge_config(path: Path, aidis: str, *, uninstall: bool) -> FileChange:
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
            return FileChange(path, before, before)
        del servers[SERVER_NAME]
        if not servers:
            del doc["mcp_servers"]
        after = tomlkit.dumps(doc).rstrip() + "\n"
        return FileChange(path, before, after, remove=not after.strip())
    wanted: dict[str, Any] = {
        "command": aidis,
        "args": ["mcp"],
        "env": {"AIDIS_AGENT_TYPE": "codex"},
        "env_vars": FORWARDED,
    }
    if servers is not None and SERVER_NAME in servers and servers[SERVER_NAME].unwrap() == wanted:
        return FileChange(path, before, before)
    if servers is None:
        servers = tomlkit.table(is_super_table=True)
        doc["mcp_servers"] = servers
    table = tomlkit.table()
    for key, value in wanted.items():
        table[key] = value
    servers[SERVER_NAME] = table
    return FileChange(path, before, tomlkit.dumps(doc))

"""Hook entries in the JSON shape Claude Code, Codex and Gemini CLI share: event → matcher groups →
command hooks. `aidis setup` adds one group per event running `aidis hook <agent>`.

Invariant: AIDIS's groups are recognised by their command, so setup run twice changes nothing and
uninstall removes exactly them — never a hook the user added, even on the same event.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aidis.agents.files import FileChange, dump_json, load_json, read_text


@dataclass(frozen=True, slots=True)
class HookEvent:
    """One event AIDIS listens to: its matcher (None: none) and the agent's timeout for the hook."""

    name: str
    matcher: str | None = None
    timeout: int | None = None


def hook_command(aidis: str, agent: str) -> str:
    """The command an agent runs for every AIDIS hook."""
    return f"{aidis} hook {agent}"


def _ours(group: Any, command: str) -> bool:
    return isinstance(group, dict) and any(
        isinstance(h, dict) and h.get("command") == command for h in group.get("hooks", [])
    )


def merged_hooks(hooks: Any, events: list[HookEvent], command: str, *, uninstall: bool) -> dict[str, Any]:
    """`hooks` with AIDIS's group for each event (or without any of AIDIS's), every other group kept."""
    merged: dict[str, Any] = dict(hooks) if isinstance(hooks, dict) else {}
    for event in events:
        current = merged.get(event.name)
        groups = [g for g in current if not _ours(g, command)] if isinstance(current, list) else []
        if not uninstall:
            hook: dict[str, Any] = {"type": "command", "command": command}
            if event.timeout is not None:
                hook["timeout"] = event.timeout
            group: dict[str, Any] = {"hooks": [hook]}
            if event.matcher is not None:
                group = {"matcher": event.matcher, **group}
            groups.append(group)
        if groups:
            merged[event.name] = groups
        else:
            merged.pop(event.name, None)
    return merged


def merge_hook_file(path: Path, events: list[HookEvent], command: str, *, uninstall: bool) -> FileChange:
    """Add (or remove) AIDIS's hooks in a JSON file holding a top-level `hooks` object."""
    before = read_text(path)
    data = load_json(path, before)
    hooks = data.get("hooks") if isinstance(data.get("hooks"), dict) else {}
    merged = merged_hooks(hooks, events, command, uninstall=uninstall)
    if merged == (hooks or {}):
        return FileChange(path, before, before)
    data = {**data, "hooks": merged} if merged else {k: v for k, v in data.items() if k != "hooks"}
    if uninstall and not data:
        return FileChange(path, before, "", remove=True)
    after = dump_json(data) if data or before else ""
    return FileChange(path, before, after)

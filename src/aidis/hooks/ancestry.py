"""Which processes a process descends from, each named so a reused pid cannot pass for it (standard
library only: the hook fast path and `aidis mcp` both ask).

Why: Codex and Gemini CLI give their MCP servers no session id, but the agent process is the parent
of its MCP server and an ancestor of every hook process it runs. A hook records its ancestors; the MCP
server names its parent; a session of the hooks whose ancestors include that parent is the server's
own agent session (aidis.services.sessions.joining). A process is named `pid:start`, its start time
as the system counts it (Linux: clock ticks since boot; macOS: `ps`'s start time), so a pid that
was freed and reused names another process.
"""

from __future__ import annotations

import os
import sys

MAX_DEPTH = 12


def process_name(pid: int) -> str | None:
    """`pid:start` for a running process, or None when it cannot be told."""
    if sys.platform.startswith("linux"):
        stat = _linux_stat(pid)
        return f"{pid}:{stat[1]}" if stat is not None else None
    if sys.platform == "darwin":
        table = _ps_table()
        return f"{pid}:{table[pid][1]}" if pid in table else None
    return None


def parent_name() -> str | None:
    """The name of this process's parent (for `aidis mcp`: the agent that started it)."""
    return process_name(os.getppid())


def ancestors(start: int | None = None, depth: int = MAX_DEPTH) -> list[str]:
    """Names of this process's ancestors, nearest first (its parent first), up to `depth` (pid 1 left out)."""
    pid = os.getppid() if start is None else start
    if sys.platform.startswith("linux"):
        lookup = _linux_stat
    elif sys.platform == "darwin":
        table = _ps_table()

        def lookup(p: int) -> tuple[int, str] | None:
            return table.get(p)
    else:
        return []
    chain: list[str] = []
    while pid > 1 and len(chain) < depth:
        facts = lookup(pid)
        if facts is None:
            break
        chain.append(f"{pid}:{facts[1]}")
        pid = facts[0]
    return chain


def _linux_stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) from /proc/<pid>/stat; the command name may hold spaces and ')'."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    try:
        return int(fields[1]), fields[19].decode()
    except (IndexError, ValueError):
        return None


def _ps_table() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, start time) for every process, from one `ps` (macOS has no /proc)."""
    import subprocess

    try:
        out = subprocess.run(
            ["/bin/ps", "-A", "-o", "pid=,ppid=,lstart="],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    table: dict[int, tuple[int, str]] = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
            table[int(parts[0])] = (int(parts[1]), "-".join(parts[2].split()))
    return table

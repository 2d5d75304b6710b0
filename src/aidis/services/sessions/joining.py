"""Joining an MCP server's connection to its agent's hook session when no session id reaches the server
(Codex and Gemini CLI start their MCP servers without one).

Invariant: never misfile. The agent process is the server's parent and an ancestor of every hook it
runs (each hook records its ancestors at the start of its session, named `pid:start` so a reused pid
cannot pass for another process, see aidis.hooks.ancestry). The server's calls continue in a hook
session only when exactly one open agent session recorded the server's parent among its ancestors;
otherwise (no hooks, several candidates, a server on another machine) they get their own session —
two sessions, never a wrong one — and the workspace link in metadata says which agent session was
open beside it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from aidis.records import Session
from aidis.repositories import agent_sessions as repo
from aidis.repositories import hooks as hooks_repo
from aidis.services.principal import connection_prefix, current_principal

AGENT_PREFIXES = ("claude-code:", "codex:", "gemini-cli:")


def agent_prefixes() -> tuple[str, ...]:
    """The connection prefixes of the current person's agent sessions (everyone's for nobody in
    particular): a server is joined only to an agent session of its own person."""
    mine = connection_prefix(current_principal())
    return tuple(f"{mine}{prefix}" for prefix in AGENT_PREFIXES)


def join_agent_session(
    conn: Connection, connection_id: str, agent_process: str | None, now: datetime
) -> Session | None:
    """The one open agent session whose hooks ran under `agent_process`, linked to `connection_id` from
    now on; None when there is not exactly one."""
    if not agent_process:
        return None
    matches = [
        s
        for s in repo.open_agent_sessions(conn, agent_prefixes())
        if s.connection_id != connection_id and agent_process in (s.metadata.get("agent_processes") or [])
    ]
    if len(matches) != 1 or matches[0].connection_id is None:
        return None
    hooks_repo.link(conn, connection_id, matches[0].connection_id, now=now, reason="agent_process")
    return matches[0]

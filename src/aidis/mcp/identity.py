"""Which connection a tool call belongs to. Nothing here is remembered in process memory.

- stdio (and in-process test servers): one process is one connection, with a fixed id.
- streamable HTTP: the `mcp-session-id` of a handshake-era client, else the `X-AIDIS-Connection`
  header a client may set (hooks, scripts), else a per-person fallback (client name + address),
  marked `stateless`: such clients (protocol 2026-07-28) cannot be told apart by the request, so
  `session_new` gives each its own connection in a session handle it passes back
  (`aidis.services.access.session_handles`, applied by the toolkit).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from aidis.enums import WorkspaceSource
from aidis.services.caller import Caller, WorkspaceHint
from aidis.services.principal import Principal, connection_prefix

CONNECTION_HEADER = "x-aidis-connection"
WORKSPACE_HEADER = "x-aidis-workspace"
AGENT_HEADER = "x-aidis-agent"
MAX_ID = 160


def client_name(ctx: Any) -> str | None:
    """The client's self-reported name (e.g. 'claude-code'), when it gave one."""
    try:
        params = ctx.session.client_params
    except (AttributeError, LookupError, ValueError):
        return None
    if params is None or params.client_info is None:
        return None
    name = str(params.client_info.name or "").strip()
    return name[:64] or None


def is_stateless(headers: Mapping[str, str] | None) -> bool:
    """An HTTP request that names no connection (no `mcp-session-id`, no `X-AIDIS-Connection`): a
    protocol 2026-07-28 client, which keeps its own session through a session handle."""
    return headers is not None and not headers.get("mcp-session-id") and not headers.get(CONNECTION_HEADER)


class CallerResolver(Protocol):
    """Turns a tool call's context into the Caller it came from."""

    def __call__(self, ctx: Any) -> Caller: ...


@dataclass(frozen=True)
class FixedConnection:
    """One connection for the whole process (stdio, or an in-process server in tests)."""

    connection_id: str
    transport: str = "stdio"
    agent_type: str = "unknown"
    workspaces: tuple[WorkspaceHint, ...] = ()
    agent_process: str | None = None
    principal: Principal | None = None  # stdio on a team server: the person AIDIS_TOKEN names

    @classmethod
    def new(
        cls,
        transport: str = "stdio",
        agent_type: str = "unknown",
        connection_id: str | None = None,
        workspaces: tuple[WorkspaceHint, ...] = (),
        agent_process: str | None = None,
    ) -> FixedConnection:
        """A fresh process-wide connection id, unless one is configured (to resume across restarts)."""
        return cls(
            connection_id or f"{transport}:{uuid.uuid4()}", transport, agent_type, workspaces, agent_process
        )

    def __call__(self, ctx: Any) -> Caller:
        """Every call in this process is the same connection (and the same working directory)."""
        agent = self.agent_type if self.agent_type != "unknown" else (client_name(ctx) or "unknown")
        return Caller(
            self.connection_id, agent, self.transport, self.workspaces, self.agent_process, self.principal
        )


@dataclass(frozen=True)
class HttpConnection:
    """Connection identity from HTTP request headers."""

    default_agent_type: str = "unknown"

    def __call__(self, ctx: Any) -> Caller:
        """`mcp-session-id`, else `X-AIDIS-Connection`, else client name + peer address (stateless) —
        each within the person the request acts for on a team server (two people never share one)."""
        headers: Mapping[str, str] = ctx.headers or {}
        principal = _principal(ctx)
        mine = connection_prefix(principal)
        agent = (headers.get(AGENT_HEADER) or client_name(ctx) or self.default_agent_type)[:64]
        workspace = headers.get(WORKSPACE_HEADER, "").strip()
        hints = (WorkspaceHint(unquote(workspace), WorkspaceSource.HEADER),) if workspace else ()
        session_id = headers.get("mcp-session-id")
        if session_id:
            return Caller(f"{mine}http:{session_id[:MAX_ID]}", agent, "http", hints, principal=principal)
        explicit = headers.get(CONNECTION_HEADER)
        if explicit:
            return Caller(
                f"{mine}client:{explicit.strip()[:MAX_ID]}", agent, "http", hints, principal=principal
            )
        peer = _peer(ctx)
        return Caller(f"{mine}anon:{agent}@{peer}", agent, "http", hints, principal=principal, stateless=True)


def _principal(ctx: Any) -> Principal | None:
    """The person the HTTP request acts for (set by the access middleware), if any."""
    request = getattr(ctx.request_context, "request", None)
    state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
    found = state.get("aidis_principal") if isinstance(state, dict) else None
    return found if isinstance(found, Principal) else None


def _peer(ctx: Any) -> str:
    request = getattr(ctx.request_context, "request", None)
    client = getattr(request, "client", None)
    return f"{client.host}" if client is not None else "unknown"

"""`aidis mcp`: one stdio MCP server per agent, started in the agent's workspace.

Invariant: nothing an agent waits for is loaded unless needed — `aidis mcp` is dispatched here
before the command line (Typer, Rich) is imported, and the OpenTelemetry SDK only when an exporter
is configured. A start-up failure is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import os
import sys


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 2


def serve_stdio() -> int:
    """Run the stdio server until the client closes it; returns the exit code."""
    from aidis.app import build_app
    from aidis.config import load_settings
    from aidis.enums import Actor, EndReason
    from aidis.errors import AidisError
    from aidis.mcp.identity import FixedConnection
    from aidis.mcp.server import build_mcp_server
    from aidis.services.maintenance import close_stranded_now
    from aidis.services.workspaces import stdio_workspace
    from aidis.telemetry import configure_logging, install_tracing_from_env

    try:
        settings = load_settings()
        configure_logging(settings.log_level, json_logs=settings.json_logs)
        app = build_app(settings)
    except AidisError as exc:
        return _fail(exc.message)
    provider = install_tracing_from_env()
    # The agent starts `aidis mcp` in its workspace: that directory is evidence of the project (the
    # resolver never takes the home directory or `/`). Claude Code names its session in the
    # environment: the same id keys its hooks, so hook events and tool calls share one session.
    agent_session = os.environ.get("CLAUDE_CODE_SESSION_ID", "").strip()[:200]
    connection_id = settings.connection_id or (f"claude-code:{agent_session}" if agent_session else None)
    agent_type = "claude-code" if agent_session and settings.agent_type == "unknown" else settings.agent_type
    identity = FixedConnection.new("stdio", agent_type, connection_id, workspaces=(stdio_workspace(),))
    server = build_mcp_server(app, identity)
    close_stranded_now(app.sessions, app.idle_timeout)
    try:
        server.run("stdio")
    finally:
        if connection_id is None:  # a fixed or agent-given id outlives this process: leave it open
            app.sessions.end_for_connection(
                identity.connection_id, reason=EndReason.CONNECTION_CLOSED, actor=Actor.SYSTEM
            )
        app.close()
        if provider is not None:
            provider.shutdown()
    return 0

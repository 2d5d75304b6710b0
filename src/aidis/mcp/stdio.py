"""`aidis mcp`: one stdio MCP server per agent, started in the agent's workspace.

Invariant: nothing an agent waits for is loaded unless needed — `aidis mcp` is dispatched here
before the command line (Typer, Rich) is imported, the OpenTelemetry SDK only when an exporter is
configured, and the database layer after the server has answered `initialize` (see
aidis.mcp.deferred_app; every tool waits for it). Bad settings are one line on stderr and exit 2
before serving; a database that cannot be opened is one line on stderr at once, the error of every
tool call, and exit 2 when the server ends.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aidis.app import AppContext
    from aidis.config import Settings


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 2


def _build(settings: Settings) -> AppContext:
    """The app, its schema checked, sessions stranded by an earlier crash closed (on the build thread)."""
    from aidis.app import build_app
    from aidis.services.operations.maintenance import close_stranded_now

    app = build_app(settings)
    try:
        close_stranded_now(app.sessions, app.idle_timeout)
    except BaseException:
        app.close()  # a build that fails releases what it opened; the next tool call builds anew
        raise
    return app


def serve_stdio() -> int:
    """Run the stdio server until the client closes it; returns the exit code."""
    from aidis.config import load_settings
    from aidis.enums import Actor, EndReason, WorkspaceSource
    from aidis.errors import AidisError
    from aidis.mcp.deferred_app import BuildAfterHandshake, DeferredApp
    from aidis.mcp.identity import FixedConnection
    from aidis.mcp.server import build_mcp_server
    from aidis.services.caller import WorkspaceHint
    from aidis.telemetry import configure_logging, install_tracing_from_env

    try:
        settings = load_settings()
    except AidisError as exc:
        return _fail(exc.message)
    configure_logging(settings.log_level, json_logs=settings.json_logs)
    provider = install_tracing_from_env()
    # The agent starts `aidis mcp` in its workspace: that directory is evidence of the project (the
    # resolver never takes the home directory or `/`). Claude Code names its session in the
    # environment: the same id keys its hooks, so hook events and tool calls share one session.
    agent_session = os.environ.get("CLAUDE_CODE_SESSION_ID", "").strip()[:200]
    connection_id = settings.connection_id or (f"claude-code:{agent_session}" if agent_session else None)
    agent_type = "claude-code" if agent_session and settings.agent_type == "unknown" else settings.agent_type
    workspace = WorkspaceHint(os.getcwd(), WorkspaceSource.CWD)
    identity = FixedConnection.new("stdio", agent_type, connection_id, workspaces=(workspace,))
    deferred = DeferredApp(settings, lambda: _build(settings))
    server = build_mcp_server(deferred, identity, middleware=[BuildAfterHandshake(deferred)])
    try:
        server.run("stdio")
        try:
            app = deferred.wait()
        except AidisError:
            return 2  # the build has written its one line to stderr already (DeferredApp)
        try:
            if connection_id is None:  # a fixed or agent-given id outlives this process: leave it open
                app.sessions.end_for_connection(
                    identity.connection_id, reason=EndReason.CONNECTION_CLOSED, actor=Actor.SYSTEM
                )
        finally:
            app.close()
    finally:
        if provider is not None:
            provider.shutdown()
    return 0

"""`aidis mcp`: one stdio MCP server per agent, started in the agent's workspace.

Invariant: the agent waits for nothing that is not needed to answer it. `aidis mcp` is dispatched here
before the command line (Typer, Rich) is imported; the standard-library front (aidis.mcp.front)
answers the handshake and the tool list at once; the MCP SDK loads on a thread of its own once the
handshake is over (or a request needs it) and the database layer after that (every tool waits for it,
aidis.mcp.deferred_app). A database that cannot be opened is one line on stderr, the error of every
tool call, and exit status 2 when the server ends; bad settings likewise — once anything needed them.

Ending: when the client closes stdin, or on SIGTERM/SIGINT (Gemini CLI sends SIGTERM; Codex SIGKILLs
its servers and then SIGTERMs the group), the session this process started is ended (`connection
closed`) — unless its id belongs to an agent's lifecycle hooks, whose `SessionEnd` ends it. A server
killed with SIGKILL leaves its session to the agent's `SessionEnd` hook or to the idle reaper. A
server whose client never needed the SDK (nothing but the handshake and the lists) exits at once:
it started no session and opened no database, and agents wait for their servers to exit.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from aidis.mcp.front import StdioFront, fd_reader, fd_writer, load_answers

if TYPE_CHECKING:
    from aidis.app import AppContext
    from aidis.config import Settings
    from aidis.mcp.deferred_app import DeferredApp
    from aidis.mcp.identity import FixedConnection
    from aidis.services.caller import Caller
    from aidis.services.principal import Principal

SDK_GRACE_SECONDS = 10.0
JOIN_WAIT_SECONDS = 2.0


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 2


def _principal(app: AppContext) -> Principal | None:
    """On a team server, the person this process acts for: the one AIDIS_TOKEN names (required)."""
    from aidis.enums import Surface
    from aidis.errors import InvalidInput

    if not app.team.team_mode():
        return None
    token = os.environ.get("AIDIS_TOKEN", "").strip()
    if not token:
        raise InvalidInput(
            "this AIDIS database has users: set AIDIS_TOKEN to your personal token (aidis tokens create)",
            field="AIDIS_TOKEN",
        )
    return app.team.authenticate(token, surface=Surface.MCP)


def _build(
    settings: Settings, *, join_agent: bool = False, on_behalf: list[Principal | None] | None = None
) -> AppContext:
    """The app, its schema checked, sessions stranded by an earlier crash closed (on the build thread).
    With `join_agent` (an agent that names no session: Codex, Gemini CLI) the hook events already
    spooled are applied first, so this server's first call finds its agent's session to join. On a
    team server the person AIDIS_TOKEN names is put in `on_behalf[0]`."""
    from aidis.app import build_app

    on_behalf = on_behalf if on_behalf is not None else [None]
    from aidis.services.operations.maintenance import close_stranded_now

    app = build_app(settings)
    try:
        close_stranded_now(app.sessions, app.idle_timeout)
        if join_agent:
            _apply_spool(app)
        on_behalf[0] = _principal(app)
    except BaseException:
        app.close()  # a build that fails releases what it opened; the next tool call builds anew
        raise
    return app


def _apply_spool(app: AppContext) -> None:
    import logging
    import time
    from pathlib import Path

    from aidis.hooks.spool import SPOOL_NAME
    from aidis.replayer import replay, replay_lock

    spool = Path(app.settings.resolved_spool_dir()) / SPOOL_NAME
    if not spool.exists() or spool.stat().st_size == 0:
        return
    with replay_lock(spool, wait_until=time.monotonic() + JOIN_WAIT_SECONDS) as mine:
        if mine:
            report = replay(app, spool)
            if report.error:
                logging.getLogger("aidis.mcp").warning("hook events still waiting: %s", report.error)


class _Runtime:
    """What the SDK thread builds and the exit path ends: settings, identity, the deferred app."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settings: Settings | None = None
        self.identity: FixedConnection | None = None
        self.agent_owned = False
        self.deferred: DeferredApp | None = None
        self.provider: Any = None
        self.on_behalf: list[Principal | None] = [None]  # who tool calls act for (a team server)

    def prepare(self) -> None:
        """Settings, logging, tracing and this process's connection (once; raises AidisError)."""
        with self.lock:
            if self.deferred is not None:
                return
            from aidis.config import load_settings
            from aidis.enums import WorkspaceSource
            from aidis.hooks.ancestry import parent_name
            from aidis.mcp.deferred_app import DeferredApp
            from aidis.mcp.identity import FixedConnection
            from aidis.services.caller import WorkspaceHint
            from aidis.telemetry import configure_logging, install_tracing_from_env

            settings = load_settings()
            configure_logging(settings.log_level, json_logs=settings.json_logs)
            self.provider = install_tracing_from_env()
            # The agent starts `aidis mcp` in its workspace: that directory is evidence of the project (the
            # resolver never takes the home directory or `/`). Claude Code names its session in the
            # environment: the same id keys its hooks, so hook events and tool calls share one session.
            agent_session = os.environ.get("CLAUDE_CODE_SESSION_ID", "").strip()[:200]
            connection_id = settings.connection_id or (
                f"claude-code:{agent_session}" if agent_session else None
            )
            agent_type = (
                "claude-code" if agent_session and settings.agent_type == "unknown" else settings.agent_type
            )
            workspace = WorkspaceHint(os.getcwd(), WorkspaceSource.CWD)
            # Codex and Gemini CLI name no session: their agent process (our parent) joins us to it.
            agent_process = None if connection_id else parent_name()
            self.identity = FixedConnection.new(
                "stdio", agent_type, connection_id, workspaces=(workspace,), agent_process=agent_process
            )
            self.agent_owned = connection_id is not None  # a fixed or agent-given id outlives this process
            self.settings = settings
            self.deferred = DeferredApp(
                settings,
                lambda: _build(settings, join_agent=agent_process is not None, on_behalf=self.on_behalf),
            )

    def caller(self, found: Caller) -> Caller:
        """The caller as the person AIDIS_TOKEN names (a team server): their connection, in their namespace."""
        from aidis.services.principal import connection_prefix

        person = self.on_behalf[0]
        return dataclasses.replace(
            found, principal=person, connection_id=connection_prefix(person) + found.connection_id
        )

    def run_sdk(self, front: StdioFront) -> None:
        """The SDK thread: build the server, start the database layer, serve the front's lines."""
        import anyio

        from aidis.mcp.sdk_bridge import serve_lines
        from aidis.mcp.server import build_mcp_server

        self.prepare()
        assert self.deferred is not None and self.identity is not None
        identity = self.identity
        server = build_mcp_server(self.deferred, lambda ctx: self.caller(identity(ctx)))
        self.deferred.start()  # the handshake is answered: load the database layer meanwhile
        anyio.run(serve_lines, server, front)

    def finish(self) -> int:
        """End this process's session (unless an agent's hooks own it) and release everything."""
        from aidis.enums import Actor, EndReason
        from aidis.errors import AidisError

        try:
            self.prepare()
        except AidisError as exc:
            return _fail(exc.message)
        assert self.deferred is not None and self.identity is not None
        try:
            try:
                app = self.deferred.wait()
            except AidisError:
                return 2  # the build has written its one line to stderr already (DeferredApp)
            try:
                if not self.agent_owned:
                    app.sessions.end_for_connection(
                        self.caller(self.identity(None)).connection_id,
                        reason=EndReason.CONNECTION_CLOSED,
                        actor=Actor.SYSTEM,
                    )
            finally:
                app.close()
        finally:
            if self.provider is not None:
                self.provider.shutdown()
        return 0


def _claim_stdio() -> tuple[Any, Any]:
    """Read and write callables for the protocol. Descriptors 0 and 1 are moved aside (0 → /dev/null,
    1 → stderr) so a child process or a stray print can neither steal input nor corrupt output."""
    try:
        in_fd, out_fd = sys.stdin.fileno(), sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not real descriptors (an in-process test runner)
        stdin: Any = sys.stdin.buffer
        stdout = sys.stdout.buffer

        def write(data: bytes) -> None:
            stdout.write(data)
            stdout.flush()

        return (lambda: stdin.read1(65536)), write
    reader, writer = os.dup(in_fd), os.dup(out_fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, in_fd)
    os.close(null)
    os.dup2(sys.stderr.fileno(), out_fd)
    return fd_reader(reader), fd_writer(writer)


def serve_stdio() -> int:
    """Run the stdio server until the client closes it (or a signal); returns the exit code."""
    read, write = _claim_stdio()
    runtime = _Runtime()
    warm_up = os.environ.get("AIDIS_MCP_WARMUP_SECONDS", "3")
    front = StdioFront(
        runtime.run_sdk,
        answers=load_answers(),
        read=read,
        write=write,
        sdk_delay=float(warm_up) if warm_up.replace(".", "", 1).isdigit() else 3.0,
        tool_set=os.environ.get("AIDIS_TOOLS", "core"),
    )

    def on_signal(_signum: int, _frame: Any) -> None:
        front.stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    reader = threading.Thread(target=front.serve, name="aidis-mcp-stdin", daemon=True)
    reader.start()
    try:
        while not front.closed.wait(1.0):  # a timed wait keeps signal handlers responsive
            pass
        front.end_input()
        if not front.sdk_started:
            return 0  # the client never needed the database: there is no session to end (agents wait)
        finished = front.join_sdk(SDK_GRACE_SECONDS)
        if front.sdk_error is not None:
            return _report(front.sdk_error)
        if not finished:
            sys.stderr.write("aidis mcp: requests still running at exit were abandoned\n")
        return runtime.finish()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _report(error: BaseException) -> int:
    from aidis.errors import AidisError

    if isinstance(error, AidisError):
        return _fail(error.message)
    import traceback

    traceback.print_exception(error, file=sys.stderr)  # a bug: shown on stderr, never on the protocol
    return 2

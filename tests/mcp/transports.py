"""Real transports for end-to-end tests: an `aidis mcp` subprocess and an `aidis serve`-style HTTP server."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from mcp.client.stdio import StdioServerParameters

from aidis.app import AppContext
from aidis.web.app import create_web_app


def aidis_executable() -> str:
    """The `aidis` console script of the running interpreter's environment."""
    return str(Path(sys.executable).parent / "aidis")


def stdio_params(database_url: str, *, cwd: str | None = None, **env: str) -> StdioServerParameters:
    """Parameters that launch `aidis mcp` on `database_url`, in `cwd` (default: an empty scratch folder,
    so the server's own working directory names no project)."""
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AIDIS_DATABASE_URL": database_url,
        "AIDIS_LOG_LEVEL": "WARNING",
        **env,
    }
    if cwd is None:
        cwd = tempfile.mkdtemp(prefix="aidis-stdio-")
    return StdioServerParameters(command=aidis_executable(), args=["mcp"], env=full_env, cwd=cwd)


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns a truthy value (bounded; no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def running_http_server(app: AppContext) -> Iterator[str]:
    """Serve the AIDIS web app (with MCP at /mcp) on a free loopback port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_web_app(app), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, what="uvicorn to start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

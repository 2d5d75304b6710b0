"""A stdio server's app, built once the SDK serves (the front answered the handshake and the tool list).

Invariant: no tool runs before the app is whole — the schema checked (migrated when behind),
stranded sessions closed — every tool call waits for it. Why deferred: an agent waits for its MCP
servers to answer `initialize` before its first request, and loading the database layer
(SQLAlchemy, the services) and connecting costs a few hundred milliseconds it need not wait for;
it lists the tools and talks to its model meanwhile.

A failed build (database unreachable, a schema newer than this code) writes its one line to
stderr at once; each tool call answers with that error and tries the build again, so a server
started before its PostgreSQL works once PostgreSQL is up. `aidis mcp` exits with status 2 when it
ends without a built app.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from aidis.errors import AidisError

if TYPE_CHECKING:
    from aidis.app import AppContext
    from aidis.config import Settings


class DeferredApp:
    """An AppContext built on a worker thread; tools `await get()` it (see aidis.mcp.toolkit.AppSource)."""

    def __init__(self, settings: Settings, build: Callable[[], AppContext]) -> None:
        self.settings = settings
        self._build = build
        self._lock = threading.Lock()
        self._done: threading.Event | None = None
        self._app: AppContext | None = None
        self._error: BaseException | None = None

    def start(self, *, retry: bool = False) -> None:
        """Begin the build on a worker thread. Without `retry`, only the first call does anything;
        with it, a failed build is tried again (a running or finished one is left alone)."""
        with self._lock:
            if self._app is not None or (self._done is not None and not (retry and self._done.is_set())):
                return
            done = self._done = threading.Event()
            self._error = None
        threading.Thread(target=self._run, args=(done,), name="aidis-app-build", daemon=True).start()

    def _run(self, done: threading.Event) -> None:
        try:
            self._app = self._build()
        except AidisError as exc:
            self._error = exc
            sys.stderr.write(f"error: {exc.message}\n")
            sys.stderr.flush()
        except Exception as exc:  # noqa: BLE001 - a bug: kept and re-raised to whoever waits, never dropped
            self._error = exc
        finally:
            done.set()

    async def get(self) -> AppContext:
        """The app; waits for a running build, starts (or retries) one otherwise."""
        if self._app is not None:
            return self._app
        self.start(retry=True)
        assert self._done is not None
        await anyio.to_thread.run_sync(self._done.wait)
        return self._result()

    def wait(self) -> AppContext:
        """The app, blocking (for the server's exit path); builds it when no message ever came."""
        if self._app is not None:
            return self._app
        self.start()
        assert self._done is not None
        self._done.wait()
        return self._result()

    def _result(self) -> AppContext:
        if self._app is not None:
            return self._app
        if self._error is None:
            raise RuntimeError("the app build ended without an app or an error")
        raise self._error

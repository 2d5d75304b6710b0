"""A replayer that stays: it listens on the spool's socket (aidis.hooks.notify) and replays when a hook
says events wait, so a busy agent's hooks start no process each.

Invariants: one listener per spool (an exclusive lock held for its whole life; whoever holds it binds
the socket, after removing a crashed listener's leftover file); a listener replays everything each time
it is told (several notices while it works are one replay); it leaves after `linger` seconds without a
notice, removing its socket first, so a hook never sends to a listener that is gone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from aidis.hooks.notify import MAX_SOCKET_PATH, SOCKET_NAME

log = logging.getLogger("aidis.hooks")


class Listener:
    """The spool's listener, once `acquire()` said this process is it."""

    def __init__(self, spool: Path, replay: Callable[[], None]) -> None:
        self.spool = spool
        self.replay = replay
        self.path = spool.with_name(SOCKET_NAME)
        self._lock_fd: int | None = None
        self._socket: socket.socket | None = None
        self._last = time.monotonic()

    def acquire(self) -> bool:
        """Become the listener (False when another process is, or the path is too long for a socket)."""
        if len(os.fsencode(str(self.path))) > MAX_SOCKET_PATH:
            return False
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.spool.with_name("listener.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_fd = fd
        try:
            self.path.unlink(missing_ok=True)  # a crashed listener's file: nobody is bound to it
            listening = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            listening.bind(str(self.path))
            os.chmod(self.path, 0o600)
        except OSError:
            self.close()
            raise
        self._socket = listening
        return True

    def serve(self, linger: float, *, stop: Callable[[], bool] = lambda: False) -> None:
        """Replay on every notice until `linger` seconds pass without one (or `stop()` says so)."""
        assert self._socket is not None, "acquire() first"
        self.touch()
        while not stop():
            left = linger - (time.monotonic() - self._last)
            if left <= 0:
                return
            self._socket.settimeout(min(left, 1.0))
            try:
                self._socket.recv(64)
            except TimeoutError:
                continue
            self._drain_notices()
            self.touch()
            self.replay()

    def touch(self) -> None:
        """Count as a notice for the linger (a recall question says an agent is at work)."""
        self._last = time.monotonic()

    def _drain_notices(self) -> None:
        assert self._socket is not None
        self._socket.setblocking(False)
        try:
            while True:
                self._socket.recv(64)
        except BlockingIOError:
            pass

    def close(self) -> None:
        """Stop listening: the socket file goes first, then the lock."""
        if self._socket is not None:
            self.path.unlink(missing_ok=True)
            self._socket.close()
            self._socket = None
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

"""Reading a file whose path an agent supplied (a transcript): only a regular file, bounded in size and
time, and never while a database transaction is open.

Invariant: nothing an agent (or any local process posing as one) names can block AIDIS. A FIFO, a
device, a socket or a directory is refused without being read (opened non-blocking, checked with
`fstat` on the opened descriptor, so a path swapped between the check and the open is caught too);
a symbolic link as the last component is refused (`O_NOFOLLOW`); at most `limit` bytes are read,
and reading stops at the deadline. Callers read before they open their transaction — see
`hook_events` — so a slow disk delays one event, never every writer behind a held lock. A file that
cannot be read is logged once per path and skipped, never fatal.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import dataclass

log = logging.getLogger("aidis.transcripts")

CHUNK = 1024 * 1024
READ_SECONDS = 2.0
_warned: set[tuple[str, str]] = set()
_WARNED_MAX = 1024


@dataclass(frozen=True, slots=True)
class FileRead:
    """What one bounded read gave: the bytes from `offset`, and the file's size when it was read."""

    data: bytes
    size: int


def read_regular_file(
    path: str, offset: int, limit: int, *, seconds: float = READ_SECONDS
) -> FileRead | None:
    """Up to `limit` bytes of `path` from `offset`, or None (logged once) when it is not a readable
    regular file."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        _warn_once(path, exc.strerror or str(exc))
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            _warn_once(path, "not a regular file (a FIFO, device, socket or directory is never read)")
            return None
        if offset > info.st_size:
            return FileRead(b"", info.st_size)
        os.lseek(fd, offset, os.SEEK_SET)
        deadline = time.monotonic() + seconds
        chunks: list[bytes] = []
        remaining = limit
        while remaining > 0:
            if time.monotonic() > deadline:
                _warn_once(path, f"reading took over {seconds:g} s; the rest is read next time")
                break
            chunk = os.read(fd, min(CHUNK, remaining))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return FileRead(b"".join(chunks), info.st_size)
    except OSError as exc:
        _warn_once(path, exc.strerror or str(exc))
        return None
    finally:
        os.close(fd)


def _warn_once(path: str, reason: str) -> None:
    key = (path, reason)
    if key in _warned:
        return
    if len(_warned) >= _WARNED_MAX:
        _warned.clear()
    _warned.add(key)
    log.warning("agent file %s cannot be read: %s; skipped", path, reason)

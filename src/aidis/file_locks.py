"""Taking turns between processes through a lock file: work that one process at a time should do (replaying
a spool, sweeping for contexts without a vector).

Invariant: a turn ends when its block ends or its process dies (the kernel drops an flock with the
process), so a crashed holder never blocks the next; asking never blocks past `wait_until`.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def turn(path: Path, *, wait_until: float | None = None, unopenable: bool | None = None) -> Iterator[bool]:
    """True while this process holds `path`'s lock (waiting until the monotonic `wait_until`, else trying
    once). A lock file that cannot be made or opened raises, unless `unopenable` says what to yield then."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        if unopenable is None:
            raise
        yield unopenable
        return
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if wait_until is None or time.monotonic() > wait_until:
                    yield False
                    return
                time.sleep(0.01)
                continue
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            return
    finally:
        os.close(fd)

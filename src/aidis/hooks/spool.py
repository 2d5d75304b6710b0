"""The local spool: an append-only, fsync'd JSON-lines file of hook events not yet applied.

Invariants: a hook never loses an event it accepted (it is on disk before the hook exits); events
are applied in the order they were spooled, each exactly once (the database ledger refuses a second
application of an event id); writers and the replayer coordinate with `flock`, and the replayer
rewrites the file in place (never renames it) so an appender holding it open cannot write into a
file nobody reads. Standard library only: the hook fast path imports it.
"""

from __future__ import annotations

import fcntl
import os

from aidis.hooks import fastjson as json

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: nothing more to import on the fast path
    import io

# Plain paths (str or os.PathLike), not pathlib: the hook fast path imports this module and every
# millisecond of import is paid on each agent event.
PathLike = str | os.PathLike[str]

SPOOL_NAME = "hooks.jsonl"


def spool_dir(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """Where hook events wait: AIDIS_SPOOL_DIR, else AIDIS_DATA_DIR/spool, else ~/.local/share/aidis/spool
    (the same rule as the server's settings)."""
    if environ.get("AIDIS_SPOOL_DIR"):
        return environ["AIDIS_SPOOL_DIR"]
    if environ.get("AIDIS_DATA_DIR"):
        return os.path.join(environ["AIDIS_DATA_DIR"], "spool")
    return os.path.join(os.path.expanduser("~"), ".local", "share", "aidis", "spool")


class locked:  # noqa: N801 - used like the function it replaced: `with locked(path) as handle:`
    """The spool file opened for append and read, under an exclusive lock (a plain class: `contextlib`
    costs the fast path an import)."""

    def __init__(self, path: PathLike) -> None:
        self.path = path
        self.handle: io.BufferedRandom | None = None

    def __enter__(self) -> io.BufferedRandom:
        os.makedirs(os.path.dirname(os.fspath(self.path)) or ".", exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+b")
        fcntl.flock(handle, fcntl.LOCK_EX)
        self.handle = handle
        return handle

    def __exit__(self, *_exc: object) -> None:
        assert self.handle is not None
        try:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
        finally:
            self.handle.close()


def append(path: PathLike, record: dict[str, object]) -> None:
    """Add one event at the end of the spool and make it durable."""
    line = (json.dumps(record) + "\n").encode()
    with locked(path) as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def read(path: PathLike) -> list[bytes]:
    """Every complete line now in the spool, blank ones included, so indexes match `drop_first`
    (a torn last line from a crash is left for later)."""
    if not os.path.exists(path):
        return []
    with locked(path) as handle:
        handle.seek(0)
        data: bytes = handle.read()
    return data.split(b"\n")[:-1]  # the part after the last newline is incomplete (or empty)


def drop_first(path: PathLike, count: int) -> None:
    """Remove the first `count` lines (applied or unreadable), keeping what was appended meanwhile."""
    if count <= 0:
        return
    with locked(path) as handle:
        handle.seek(0)
        data = handle.read()
        kept = b"\n".join(data.split(b"\n")[count:])  # keeps a torn last line exactly as it was
        handle.seek(0)
        handle.truncate()
        handle.write(kept)
        handle.flush()
        os.fsync(handle.fileno())

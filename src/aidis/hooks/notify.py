"""Telling a running replayer that events wait in the spool (standard library only: the fast path runs it).

Why: starting a replayer per hook event costs each event a process that imports the whole application
(hundreds of milliseconds of CPU, competing with the agent's next hook). A replayer that has drained
the spool stays a while (or `aidis serve` runs one), listening on a Unix datagram socket next to the
spool; a hook sends it one byte instead of starting another. Invariant: a send that succeeds reached
a live listener (a dead one's socket refuses it), so the hook starts a replayer exactly when none runs.
"""

from __future__ import annotations

import os

SOCKET_NAME = "replayer.sock"
MAX_SOCKET_PATH = 100  # sun_path holds 104 to 108 bytes depending on the system


def socket_path(spool_dir: str) -> str:
    """The listener's socket for a spool folder."""
    return os.path.join(spool_dir, SOCKET_NAME)


def notify(spool_dir: str) -> bool:
    """True when a live replayer was told; False when none listens (start one)."""
    path = socket_path(spool_dir)
    if len(os.fsencode(path)) > MAX_SOCKET_PATH or not os.path.exists(path):
        return False
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        try:
            sender.sendto(b"1", path)
        except BlockingIOError:
            return True  # its queue is full: it is busy replaying, and replays everything each time
        except OSError:
            return False  # nobody bound (a crashed listener's leftover file)
    return True

"""Replay the hook spool into the database: in order, each event once, stopping (and keeping the
rest) when the database is away.

Invariant: one replayer at a time per spool (an exclusive lock file); an event is dropped from the
spool only after the database has it (or it can never be applied: unreadable or refused, logged).
"""

from __future__ import annotations

import json
import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aidis import file_locks
from aidis.hooks import spool as spool_file

log = logging.getLogger("aidis.hooks")


@dataclass
class ReplayReport:
    """What one replay did."""

    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    left: int = 0
    error: str | None = None


def replay_lock(spool: Path, *, wait_until: float | None = None) -> AbstractContextManager[bool]:
    """True when this process may replay `spool` (waits until `wait_until`, else tries once)."""
    return file_locks.turn(spool.with_name(spool.name + ".replay.lock"), wait_until=wait_until)


def replay(app: Any, spool: Path) -> ReplayReport:
    """Apply every complete line of `spool` in order; stop at the first database outage."""
    from aidis.errors import AidisError, Forbidden, InvalidInput, Unavailable

    report = ReplayReport()
    lines = spool_file.read(spool)
    done = 0
    for line in lines:
        if not line.strip():
            done += 1
            continue
        try:
            record = json.loads(line)
        except ValueError:
            log.error("hook spool %s: dropping an unreadable line: %r", spool, line[:200])
            report.rejected += 1
            done += 1
            continue
        try:
            applied = app.hooks.apply(record)
        except Unavailable as exc:
            report.error = exc.message
            break
        except (InvalidInput, Forbidden) as exc:  # refused now, refused on every retry: never a stall
            log.error("hook spool %s: dropping a refused event %s: %s", spool, record.get("id"), exc.message)
            report.rejected += 1
            done += 1
            continue
        except AidisError as exc:
            log.error(
                "hook spool %s: event %s failed: %s (kept for the next replay)",
                spool,
                record.get("id"),
                exc.message,
            )
            report.error = exc.message
            break
        if applied.outcome == "duplicate":
            report.duplicates += 1
        else:
            report.applied += 1
        done += 1
    spool_file.drop_first(spool, done)
    report.left = len(lines) - done
    return report

"""Replay the hook spool into the database: in order, each event once, stopping (and keeping the
rest) when the database is away. Run detached by the hook fast path (`python -m aidis.hooks.replay
SPOOL`), synchronously for `SessionStart`, and by `aidis serve` on start and periodically.

Invariant: one replayer at a time per spool (an exclusive lock file); an event is dropped from the
spool only after the database has it (or it can never be applied: unreadable or refused, logged).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@contextmanager
def replay_lock(spool: Path, *, wait_until: float | None = None) -> Iterator[bool]:
    """True when this process may replay `spool` (waits until `wait_until`, else tries once)."""
    spool.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(spool.with_name(spool.name + ".replay.lock"), os.O_RDWR | os.O_CREAT, 0o600)
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


def replay(app: Any, spool: Path) -> ReplayReport:
    """Apply every complete line of `spool` in order; stop at the first database outage."""
    from aidis.errors import AidisError, InvalidInput, Unavailable

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
        except InvalidInput as exc:
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


def replay_and_context(spool: Path | str, payload: dict[str, Any], *, deadline: float) -> str | None:
    """For SessionStart: replay the spool now, then the start context of this agent session."""
    from aidis.app import build_app
    from aidis.config import load_settings
    from aidis.services.hooks import AGENT, connection_for

    app = build_app(load_settings())
    try:
        with replay_lock(Path(spool), wait_until=deadline) as mine:
            if mine:
                replay(app, Path(spool))
        return app.session_context.for_connection(connection_for(AGENT, str(payload["session_id"])))
    finally:
        app.close()


def main(argv: list[str]) -> int:
    """Detached replayer: take the lock first (cheap; another replayer already draining means nothing to
    do), then build the app and replay until the spool is empty or the database is away."""
    spool = Path(argv[0]) if argv else Path(spool_file.spool_dir()) / spool_file.SPOOL_NAME
    app = None
    try:
        for _ in range(100):  # bounded: new events may keep arriving while we replay
            with replay_lock(spool) as mine:
                if not mine:
                    return 0
                if app is None:
                    app = _build_app(spool)
                    if app is None:
                        return 0
                report = replay(app, spool)
            if report.error or not any(line.strip() for line in spool_file.read(spool)):
                return 0  # (checked after unlocking: an event appended meanwhile gets another round)
    finally:
        if app is not None:
            app.close()
    return 0


def _build_app(spool: Path) -> Any:
    from aidis.app import build_app
    from aidis.config import load_settings
    from aidis.errors import AidisError
    from aidis.telemetry import configure_logging

    try:
        settings = load_settings()
        configure_logging(settings.log_level, json_logs=True)
        return build_app(settings)
    except AidisError as exc:
        log.error("hook replay: %s (events stay in %s)", exc.message, spool)
        return None


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

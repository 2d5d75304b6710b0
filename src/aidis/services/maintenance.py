"""Background upkeep a running server does: close stranded sessions at start, reap idle ones, check
integrity, and apply hook events waiting in the local spool."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio

from aidis.errors import AidisError
from aidis.services.integrity import IntegrityService
from aidis.services.sessions import SessionService

log = logging.getLogger("aidis.maintenance")


def close_stranded_now(sessions: SessionService, idle_timeout: timedelta) -> int:
    """Close sessions left open past the idle window by a crash (run once at start-up, before serving)."""
    closed = sessions.close_stranded_on_startup(idle_timeout)
    if closed:
        log.info("closed %d sessions stranded by an earlier stop", closed)
    return closed


async def close_stranded(sessions: SessionService, idle_timeout: timedelta) -> int:
    """`close_stranded_now` on a worker thread, for a server whose event loop already runs."""
    return await anyio.to_thread.run_sync(close_stranded_now, sessions, idle_timeout)


async def reap_forever(sessions: SessionService, idle_timeout: timedelta, interval_seconds: float) -> None:
    """Time out idle sessions every `interval_seconds` until cancelled; a failed round is logged and retried."""
    while True:
        await anyio.sleep(interval_seconds)
        try:
            reaped = await anyio.to_thread.run_sync(sessions.reap_idle, idle_timeout)
        except AidisError as exc:
            log.error("idle reaper round failed: %s", exc.message)
            continue
        if reaped:
            log.info("timed out %d idle sessions", reaped)


async def check_forever(integrity: IntegrityService, interval_seconds: float) -> None:
    """Run the integrity check now and every `interval_seconds`, publishing it on the metrics gauge."""
    while True:
        try:
            report = await anyio.to_thread.run_sync(integrity.check)
        except AidisError as exc:
            log.error("integrity check failed: %s", exc.message)
        else:
            if not report.clean:
                log.warning("integrity violations: %s", {k: v for k, v in report.counts().items() if v})
        await anyio.sleep(interval_seconds)


async def replay_spool_forever(app: Any, spool: Path, interval_seconds: float) -> None:
    """Apply hook events waiting in the local spool now and every `interval_seconds` (one replayer at a time)."""
    from aidis.hooks.replay import replay, replay_lock

    def once() -> None:
        if not spool.exists() or spool.stat().st_size == 0:
            return
        with replay_lock(spool) as mine:
            if mine:
                report = replay(app, spool)
                if report.applied or report.rejected or report.error:
                    log.info("hook spool replayed: %s", report)

    while True:
        try:
            await anyio.to_thread.run_sync(once)
        except (AidisError, OSError) as exc:
            log.error("hook spool replay failed: %s", getattr(exc, "message", exc))
        await anyio.sleep(interval_seconds)

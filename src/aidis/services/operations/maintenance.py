"""Background upkeep a running server does: close stranded sessions at start, reap idle ones, check
integrity (the hook spool's replay is the replayer surface's, `aidis.replayer.background`).

Invariant: a failed round is logged with its cause and retried; it never stops the loop or the server."""

from __future__ import annotations

import logging
from datetime import timedelta

import anyio

from aidis.errors import AidisError
from aidis.services.operations.integrity import IntegrityService
from aidis.services.sessions.lifecycle import SessionService

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

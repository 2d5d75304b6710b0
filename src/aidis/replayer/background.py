"""The spool replay a running server does: hook events waiting in the local spool are applied at start
and every few seconds, one replayer at a time (the same lock as the detached replayer)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from aidis.errors import AidisError
from aidis.replayer.spool_replay import replay, replay_lock

if TYPE_CHECKING:
    from aidis.app import AppContext

log = logging.getLogger("aidis.maintenance")


async def replay_spool_forever(app: AppContext, spool: Path, interval_seconds: float) -> None:
    """Apply hook events waiting in the local spool now and every `interval_seconds` (one replayer at a time)."""

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

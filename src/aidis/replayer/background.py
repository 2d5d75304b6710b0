"""The spool replay a running server does: hook events waiting in the local spool are applied at start,
whenever a hook says so (the server is the spool's listener when no replayer is), and every few
seconds, one replayer at a time (the same lock as the detached replayer). As the listener it also
answers the prompt hooks' recall questions (aidis.replayer.recall_endpoint), with its loaded model."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from aidis.errors import AidisError
from aidis.replayer.listener import Listener
from aidis.replayer.person import hook_person
from aidis.replayer.recall_endpoint import RecallEndpoint, recall_answerer, warm
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

    listener = Listener(spool, lambda: _logged(once))
    endpoint = RecallEndpoint(spool, recall_answerer(app, spool, hook_person(app)))
    stopping = threading.Event()
    try:
        listening = await anyio.to_thread.run_sync(listener.acquire)
        # prompt hooks ask this server for recall (its model is loaded)
        if listening and app.recall.settings.enabled and await anyio.to_thread.run_sync(endpoint.open):
            warm(app)
    except OSError as exc:
        log.error("hook spool: cannot listen on %s: %s", listener.path, exc.strerror or exc)
        listening = False
    try:
        async with anyio.create_task_group() as tasks:
            if listening:  # hooks tell this server instead of starting a replayer each
                tasks.start_soon(
                    partial(anyio.to_thread.run_sync, abandon_on_cancel=True),
                    partial(listener.serve, float("inf"), stop=stopping.is_set),
                )
            while True:
                await anyio.to_thread.run_sync(_logged, once)
                await anyio.sleep(interval_seconds)
    finally:
        stopping.set()
        endpoint.close()
        listener.close()


def _logged(work: Callable[[], None]) -> None:
    try:
        work()
    except (AidisError, OSError) as exc:
        log.error("hook spool replay failed: %s", getattr(exc, "message", exc))

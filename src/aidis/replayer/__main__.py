"""`python -m aidis.replayer SPOOL` (the detached replayer) and `python -m aidis.replayer --start-context AGENT
SPOOL` (`SessionStart`'s full path, the payload on stdin).

Invariant: one replayer drains a spool at a time (the lock is taken before the app is built, so a second
replayer costs no database connection); with `--start-context` the spool is applied within the
deadline and the session's start context is printed on stdout (the hook fast path relays it).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from aidis.hooks import spool as spool_file
from aidis.replayer.listener import Listener
from aidis.replayer.person import hook_person
from aidis.replayer.recall_endpoint import RecallEndpoint, recall_answerer, warm
from aidis.replayer.spool_replay import replay, replay_lock
from aidis.services.principal import acting_as, current_principal

log = logging.getLogger("aidis.hooks")

LINGER_SECONDS = "60"
LINGER_WITH_RECALL = "1800"


def drain(spool: Path) -> int:
    """Replay until the spool is empty or the database is away, then stay a while as the spool's
    listener (AIDIS_REPLAYER_LINGER_SECONDS, default 60, or 1800 with recall on: it answers the prompt
    hooks' recall questions with its loaded model) so the next hooks start no process; returns the exit
    status (0)."""
    app = None
    person = None
    try:
        for _ in range(100):  # bounded: new events may keep arriving while we replay
            with replay_lock(spool) as mine:
                if not mine:
                    return 0
                if app is None:
                    app = _build_app(spool)
                    if app is None:
                        return 0
                    person = hook_person(app)
                with acting_as(person, "hook"):
                    report = replay(app, spool)
            if report.error:
                return 0
            if not any(line.strip() for line in spool_file.read(spool)):
                break  # (checked after unlocking: an event appended meanwhile gets another round)
        if app is not None:
            with acting_as(person, "hook"):
                _linger(app, spool)
    finally:
        if app is not None:
            app.close()
    return 0


def _linger(app: Any, spool: Path) -> None:
    # with recall on it stays longer: it holds the loaded model the next prompt's recall needs
    default = LINGER_WITH_RECALL if app.recall.settings.enabled else LINGER_SECONDS
    linger = float(os.environ.get("AIDIS_REPLAYER_LINGER_SECONDS", default))
    if linger <= 0:
        return

    def once() -> None:
        with replay_lock(spool, wait_until=time.monotonic() + 5) as mine:
            if mine:
                report = replay(app, spool)
                if report.error:
                    log.error("hook replay: %s (events stay in %s)", report.error, spool)

    listener = Listener(spool, once)
    endpoint = RecallEndpoint(
        spool, recall_answerer(app, spool, current_principal()), on_question=listener.touch
    )
    try:
        if not listener.acquire():
            return
        if app.recall.settings.enabled and endpoint.open():
            warm(app)
        once()  # what arrived between the last round and becoming the listener
        listener.serve(linger)
    except OSError as exc:
        log.error("hook replay: cannot listen on %s: %s", listener.path, exc.strerror or exc)
    finally:
        endpoint.close()
        listener.close()


def start_context(agent: str, spool: Path, payload: dict[str, Any], *, deadline: float) -> str | None:
    """For SessionStart: replay the spool now (waiting for the lock until `deadline`), then the start
    context of this agent session."""
    from aidis.app import build_app
    from aidis.config import load_settings
    from aidis.services.agents.hook_events import connection_for

    app = build_app(load_settings(), background_embedding=False)
    try:
        person = hook_person(app)
        with acting_as(person, "hook"):
            with replay_lock(spool, wait_until=deadline) as mine:
                if mine:
                    replay(app, spool)
            connection = connection_for(agent, str(payload["session_id"]), person)
            session = app.sessions.status(connection)
            if session is not None and not session.is_unassigned:
                app.handovers.write_now(session.project_id)  # prepared for the next start in this project
            return app.session_context.for_connection(connection)
    finally:
        app.close()


def _build_app(spool: Path) -> Any:
    from aidis.app import build_app
    from aidis.config import load_settings
    from aidis.errors import AidisError
    from aidis.telemetry import configure_logging

    try:
        settings = load_settings()
        configure_logging(settings.log_level, json_logs=True)
        return build_app(settings, background_embedding=False)
    except AidisError as exc:
        log.error("hook replay: %s (events stay in %s)", exc.message, spool)
        return None


def main(argv: list[str]) -> int:
    """Entry point; see the module docstring."""
    agent = None
    if argv[:1] == ["--start-context"] and len(argv) >= 2:
        agent, argv = argv[1], argv[2:]
    spool = Path(argv[0]) if argv else Path(spool_file.spool_dir()) / spool_file.SPOOL_NAME
    if agent is None:
        return drain(spool)
    budget = float(os.environ.get("AIDIS_HOOK_CONTEXT_SECONDS", "5"))
    payload = json.loads(sys.stdin.buffer.read())
    from aidis.errors import AidisError

    try:
        text = start_context(agent, spool, payload, deadline=time.monotonic() + budget)
    except AidisError as exc:
        sys.stderr.write(f"{exc.message}\n")
        return 3
    if text:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

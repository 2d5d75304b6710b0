"""Thousands of lifecycle operations from 24 concurrent connections (plus a reaper), on each engine.

Afterwards: no session in Unassigned by accident, at most one open session per connection, counters
equal their rows, every ended session has its end event, every acknowledged context is stored,
and `aidis check` is clean.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from aidis.app import AppContext, build_app
from aidis.db.schema import contexts, sessions
from aidis.db.types import utcnow
from aidis.enums import SENTINEL_PROJECT_ID, ContextType, EndReason
from aidis.errors import Conflict, NotFound
from aidis.services.caller import Caller, ToolCall

WORKERS = 24
OPS_PER_WORKER = 100
PROJECTS = ["alpha", "beta", "gamma", "delta"]


def _worker(app: AppContext, index: int, stop_reaper: threading.Event) -> tuple[int, Counter[str]]:
    rng = random.Random(1000 + index)
    caller = Caller(f"conc-{index}", rng.choice(["claude-code", "cursor"]), "http")
    outcomes: Counter[str] = Counter()
    stored = 0
    app.sessions.switch_project(caller.connection_id, rng.choice(PROJECTS), agent_type=caller.agent_type)
    for _ in range(OPS_PER_WORKER):
        op = rng.choices(
            ["store", "switch", "new", "end", "assign", "status", "call"], [5, 2, 1, 1, 1, 2, 2]
        )[0]
        try:
            if op == "store":
                app.contexts.store(
                    caller, f"note {index} {rng.random()}", context_type=rng.choice(list(ContextType))
                )
                stored += 1
            elif op == "switch":
                app.sessions.switch_project(
                    caller.connection_id,
                    rng.choice(PROJECTS),
                    agent_type=caller.agent_type,
                    call=ToolCall("project_switch", 30),
                )
            elif op == "new":
                app.sessions.new(
                    caller.connection_id, agent_type=caller.agent_type, call=ToolCall("session_new", 10)
                )
            elif op == "end":
                app.sessions.end_for_connection(caller.connection_id, call=ToolCall("session_end", 2))
            elif op == "assign":
                app.sessions.assign_open(caller, rng.choice(PROJECTS), call=ToolCall("session_assign", 20))
            elif op == "status":
                if rng.random() < 0.5:
                    app.sessions.status(caller.connection_id)
                else:  # the status tool's call: counted on the open session, found and locked at once
                    app.sessions.status_call(caller, "session_status", input_chars=2, output_chars=700)
            else:
                app.sessions.record_call(caller, "aidis_ping", input_chars=8, start=rng.random() < 0.5)
            outcomes[f"{op}:ok"] += 1
        except (Conflict, NotFound) as exc:  # e.g. the reaper closed the session a moment earlier
            outcomes[f"{op}:{exc.code}"] += 1
    return stored, outcomes


def test_concurrent_lifecycle_keeps_every_invariant(app: AppContext) -> None:
    for name in PROJECTS:
        app.projects.create(name)
    live = build_app(app.settings, migrate=False, clock=utcnow)  # real time: the reaper races the workers
    stop = threading.Event()
    reaped: list[int] = []

    def reaper() -> None:
        while not stop.is_set():
            reaped.append(live.sessions.reap_idle(timedelta(milliseconds=300)))
            stop.wait(0.05)

    try:
        reaper_thread = threading.Thread(target=reaper)
        reaper_thread.start()
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            results = list(pool.map(lambda i: _worker(live, i, stop), range(WORKERS)))
        stop.set()
        reaper_thread.join()

        acknowledged = sum(stored for stored, _ in results)
        outcomes = sum((c for _, c in results), Counter())
        assert sum(outcomes.values()) == WORKERS * OPS_PER_WORKER
        assert outcomes["store:ok"] == acknowledged > 500
        with live.engine.connect() as conn:
            in_db = conn.execute(select(func.count()).select_from(contexts)).scalar_one()
            sentinel = conn.execute(
                select(func.count()).select_from(sessions).where(sessions.c.project_id == SENTINEL_PROJECT_ID)
            ).scalar_one()
            open_per_connection = conn.execute(
                select(sessions.c.connection_id, func.count())
                .where(sessions.c.status == "active")
                .group_by(sessions.c.connection_id)
            ).all()
        assert in_db == acknowledged
        assert sentinel == 0
        assert all(n == 1 for _, n in open_per_connection)
        report = live.integrity.check()
        problems = {k: v for k, v in report.counts().items() if v and k != "idle_open_session"}
        assert problems == {}, (problems, _explain(live, report))
        # sessions the workers left open are simply idle now; closing them leaves everything clean
        live.sessions.close_idle(timedelta(microseconds=1), EndReason.IDLE_TIMEOUT)
        assert live.integrity.check().clean
    finally:
        stop.set()
        live.close()


def _explain(app: AppContext, report: object) -> list[object]:
    """The offending events with their session's change history (for a readable failure)."""
    from aidis.db.schema import analytics_events, session_project_changes

    out: list[object] = []
    for check in report.checks:  # type: ignore[attr-defined]
        if check.name != "event_project_mismatch":
            continue
        with app.engine.connect() as conn:
            for event_id in check.samples:
                event = conn.execute(
                    select(analytics_events).where(analytics_events.c.id == int(event_id))
                ).one()
                changes = conn.execute(
                    select(session_project_changes).where(
                        session_project_changes.c.session_id == event.session_id
                    )
                ).all()
                session = conn.execute(select(sessions).where(sessions.c.id == event.session_id)).one()
                out.append((event, changes, session))
    return out

"""Closing sessions nobody will close: the idle reaper and start-up cleanup.

Invariant: a session is closed at its last activity (never later than it was used), with a
`session_end` event written by the same set-based statement, in batches; the UPDATE re-checks
idleness, so a session that moved or worked meanwhile is left open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection

from aidis.enums import Actor, EndReason
from aidis.errors import InvalidInput
from aidis.records import Session
from aidis.repositories import activity as activity_repo
from aidis.repositories import events as events_repo
from aidis.repositories import sessions as repo
from aidis.services.base import ServiceBase
from aidis.telemetry import Metrics, after_commit

log = logging.getLogger("aidis.sessions")

REAP_BATCH = 1000


EndingListener = Callable[[Connection, Session, datetime], Session]


class SessionReaping(ServiceBase):
    """Time out idle sessions and clean up after a crash."""

    ending: list[EndingListener]

    def before_ending(self, conn: Connection, session: Session, now: datetime) -> Session:
        """Run what must see a session just before it ends, in the ending transaction (its activity
        summary); every end path calls this, the set-based reaper included."""
        for listener in self.ending:
            session = listener(conn, session, now)
        return session

    def reap_idle(self, timeout: timedelta) -> int:
        """Time out sessions idle longer than `timeout`, each ended at its last activity with an end event."""
        return self.close_idle(timeout, EndReason.IDLE_TIMEOUT)

    def close_stranded_on_startup(self, timeout: timedelta) -> int:
        """On start-up, close sessions a crash left open past the idle window (ended at last activity).

        Sessions still inside the window stay open so their connection can resume them.
        """
        return self.close_idle(timeout, EndReason.RESTART_CLEANUP)

    def close_idle(self, timeout: timedelta, reason: EndReason) -> int:
        """Close every session idle longer than `timeout` for `reason`, at its last activity, with end events."""
        if timeout <= timedelta(0):
            raise InvalidInput("timeout must be positive", field="timeout")
        with self.telemetry.tracer.start_as_current_span(
            "aidis.session.reap", attributes={"aidis.end_reason": reason.value}
        ) as span:
            closed = self._close_idle_batches(timeout, reason)
            span.set_attribute("aidis.sessions.closed", closed)
            return closed

    def _close_idle_batches(self, timeout: timedelta, reason: EndReason) -> int:
        cutoff = self.clock() - timeout
        closed = 0
        metrics = self.telemetry.metrics
        while True:
            with self.unit_of_work() as conn:
                batch = repo.open_session_ids_idle_since(conn, cutoff, limit=REAP_BATCH)
                if not batch:
                    return closed
                if self.ending:  # at their last activity, so they stay idle for the UPDATE below
                    for session_id in activity_repo.sessions_with_activity(conn, batch):
                        session = repo.get_session(conn, session_id)
                        if session is not None:
                            self.before_ending(conn, session, session.last_activity_at)
                closed_ids = repo.end_many_at_last_activity(
                    conn, batch, status=reason.status, reason=reason, idle_before=cutoff
                )
                events_repo.write_end_events(conn, closed_ids, actor=Actor.SYSTEM)
                closed += len(closed_ids)
                after_commit(conn, _count_ended(metrics, repo.count_by_project(conn, closed_ids), reason))
                log.info("closed idle sessions", extra={"count": len(closed_ids), "reason": reason.value})


def _count_ended(metrics: Metrics, per_project: dict[str, int], reason: EndReason) -> Callable[[], None]:
    def count() -> None:
        for name, n in per_project.items():
            metrics.sessions_ended.labels(metrics.project_label(name), reason.value).inc(n)

    return count

"""Demo data obeys the invariants of real data."""

from __future__ import annotations

from sqlalchemy import func, select

from aidis.app import AppContext
from aidis.db.schema import analytics_events, sessions
from aidis.services.operations.demo import generate_bulk, seed_realistic
from tests.support import FakeClock


def test_demo_data_never_happens_after_now(app: AppContext, clock: FakeClock) -> None:
    now = clock.now
    seed_realistic(app.engine, now=now, sessions=40, days=1)
    generate_bulk(app.engine, now=now, sessions=500, projects=2, days=1)
    with app.engine.connect() as conn:
        latest = conn.execute(
            select(
                func.max(sessions.c.started_at),
                func.max(sessions.c.last_activity_at),
                func.max(sessions.c.ended_at),
            )
        ).one()
        latest_event = conn.execute(select(func.max(analytics_events.c.occurred_at))).scalar_one()
    assert all(moment is not None and moment <= now for moment in (*latest, latest_event)), (latest, now)
    report = app.integrity.check()
    assert report.clean, {c.name: c.samples for c in report.checks if c.violations}

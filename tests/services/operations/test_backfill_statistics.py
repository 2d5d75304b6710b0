"""After a backfill moves sessions out of Unassigned, PostgreSQL's planner knows; SQLite is left
without statistics (its plans are made for the planner's built-in estimates)."""

from __future__ import annotations

from sqlalchemy import inspect, text

from aidis.app import AppContext
from aidis.services.operations.demo import generate_bulk
from tests.support import FakeClock


def _rows_per_project(app: AppContext) -> float:
    """How many sessions PostgreSQL's planner believes one project holds."""
    with app.engine.connect() as conn:
        distinct = conn.execute(
            text("SELECT n_distinct FROM pg_stats WHERE tablename = 'sessions' AND attname = 'project_id'")
        ).scalar_one()
        total = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'sessions'")).scalar_one()
    return float(total) / (float(distinct) if distinct > 0 else -float(distinct) * float(total))


def test_a_backfill_leaves_the_planner_knowing_sessions_are_spread_over_projects(
    app: AppContext, clock: FakeClock
) -> None:
    generate_bulk(app.engine, now=clock.now, sessions=600, events_per_session=4, orphans_with_evidence=True)
    if app.engine_name == "postgresql":
        assert _rows_per_project(app) >= 590  # as generated (and analyzed): all in Unassigned
    report = app.backfill.run()
    assert report.assigned == 540
    if app.engine_name == "postgresql":
        assert _rows_per_project(app) < 100  # 20 projects and Unassigned now
    else:
        with app.engine.connect() as conn:
            assert not inspect(conn).has_table("sqlite_stat1")

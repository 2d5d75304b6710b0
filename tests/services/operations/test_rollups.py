"""The per-day rollups of closed sessions stay equal to a recount through everything that changes a
closed session (closing, moving, late token and context counts, project deletion), statistics read
from them equal statistics counted from the rows, and `aidis check` catches a tampered rollup that
`check --fix` repairs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text, update

from aidis.app import AppContext
from aidis.db.schema import session_rollups, sessions
from aidis.enums import EndReason
from aidis.repositories import rollups
from aidis.repositories import stats as stats_repo
from aidis.services.caller import Caller
from tests.support import FakeClock


def _recounted(app: AppContext, since: datetime | None = None, until: datetime | None = None) -> object:
    with app.engine.connect() as conn:  # the same figures counted from every row, for comparison
        conditions = stats_repo._where(None, since, until)
        return stats_repo._counted(conn, conditions)


def _mismatches(app: AppContext) -> int:
    with app.engine.connect() as conn:
        return rollups.mismatches(conn)[0]


def _life(app: AppContext, clock: FakeClock) -> None:
    """Sessions over three days in two projects: ended, timed out, moved, re-counted, deleted."""
    app.projects.create("alpha")
    app.projects.create("beta")
    for day in range(3):
        for n in range(3):
            caller = Caller(connection_id=f"d{day}-{n}")
            app.contexts.store(caller, f"day {day} note {n}", project="alpha" if n else "beta")
            clock.advance(minutes=7 + n)
            if n < 2:
                app.sessions.end_for_connection(caller.connection_id)
        clock.advance(hours=20)
    app.sessions.close_idle(timedelta(minutes=30), EndReason.IDLE_TIMEOUT)  # the rest time out
    with app.engine.begin() as conn:  # a closed session's tokens arrive late (a transcript read after Stop)
        conn.execute(update(sessions).where(sessions.c.connection_id == "d0-1").values(input_tokens=1200))
    moved = app.sessions.latest_for_connection("d1-1")
    assert moved is not None
    app.sessions.assign(moved.id, "beta")
    app.projects.create("gamma")
    gone = app.sessions.latest_for_connection("d2-0")
    assert gone is not None
    app.sessions.assign(gone.id, "gamma")
    app.projects.delete("gamma", move_to_unassigned=True)


def test_rollups_equal_a_recount_through_a_sessions_life(app: AppContext, clock: FakeClock) -> None:
    _life(app, clock)
    assert _mismatches(app) == 0
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for since, until in ((None, None), (start, None), (start + timedelta(days=1), start + timedelta(days=2))):
        with app.engine.connect() as conn:
            via_rollups = stats_repo.session_stats(conn, project_id=None, since=since, until=until)
        expected = _recounted(app, since, until)
        assert via_rollups.total == expected.total and via_rollups.ended == expected.ended  # type: ignore[attr-defined]
        assert via_rollups.input_tokens == expected.input_tokens  # type: ignore[attr-defined]
        assert abs(via_rollups.total_duration_seconds - expected.total_duration_seconds) < 0.01  # type: ignore[attr-defined]
    with app.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM session_rollups")).scalar_one() > 0
    listed = {s.project.name: s.session_count for s in app.projects.list()}
    assert sum(listed.values()) == _recounted(app).total  # type: ignore[attr-defined]


def test_a_bound_inside_a_day_counts_the_rows(app: AppContext, clock: FakeClock) -> None:
    _life(app, clock)
    noon = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with app.engine.connect() as conn:
        partial = stats_repo.session_stats(conn, project_id=None, since=noon)
    assert partial.total == _recounted(app, noon).total  # type: ignore[attr-defined]


def test_check_catches_a_tampered_rollup_and_fix_repairs_it(app: AppContext, clock: FakeClock) -> None:
    _life(app, clock)
    truth = app.stats.session_stats()
    with app.engine.begin() as conn:
        conn.execute(update(session_rollups).values(sessions=session_rollups.c.sessions + 5))
    assert app.stats.session_stats().total != truth.total
    report = app.integrity.check()
    assert report.counts()["rollup_mismatch"] > 0
    fixed = app.integrity.fix()
    assert fixed.fixes["rollup_mismatch"] > 0 and fixed.counts()["rollup_mismatch"] == 0
    repaired = app.stats.session_stats()
    assert repaired.total == truth.total and repaired.ended == truth.ended and repaired.events == truth.events
    assert abs(repaired.total_duration_seconds - truth.total_duration_seconds) < 0.01

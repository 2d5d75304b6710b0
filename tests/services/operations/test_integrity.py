"""`aidis check`: every assertion finds what it should, and --fix repairs only what is safe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, text, update

from aidis.app import AppContext
from aidis.db.schema import analytics_events, sessions
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.services.caller import Caller
from tests.support import FakeClock


def _violations(app: AppContext) -> dict[str, int]:
    return {name: n for name, n in app.integrity.check().counts().items() if n}


def _busy_day(app: AppContext, clock: FakeClock) -> None:
    app.projects.create("alpha")
    app.projects.create("beta")
    caller = Caller("c1", "claude-code")
    app.contexts.store(caller, "first")
    app.sessions.switch_project("c1", "alpha")
    app.contexts.store(caller, "second", project="beta")
    clock.advance(minutes=5)
    app.sessions.new("c1", project="beta")
    app.sessions.record_call(caller, "session_status", input_chars=10)
    app.sessions.end_for_connection("c1")


def test_normal_work_is_clean(app: AppContext, clock: FakeClock) -> None:
    _busy_day(app, clock)
    assert _violations(app) == {}


def test_idle_open_sessions_are_found_and_fixed_with_end_events(app: AppContext, clock: FakeClock) -> None:
    stale = app.sessions.start("stale")
    clock.advance(hours=2)
    assert _violations(app) == {"idle_open_session": 1}
    report = app.integrity.fix()
    assert report.clean and report.fixes["idle_open_session"] == 1
    fixed = app.sessions.detail(stale.id)
    assert fixed.session.end_reason == "integrity_fix" and fixed.events[-1].event_type == "session_end"


def test_missing_end_event_and_counters_are_found_and_fixed(app: AppContext, clock: FakeClock) -> None:
    _busy_day(app, clock)
    with app.engine.begin() as conn:
        conn.execute(delete(analytics_events).where(analytics_events.c.event_type == "session_end"))
        conn.execute(update(sessions).values(context_count=sessions.c.context_count + 7))
    found = _violations(app)
    assert found == {"missing_end_event": 2, "counter_mismatch": 2}
    report = app.integrity.fix()
    assert report.clean, report.counts()
    assert report.fixes["missing_end_event"] == 2


@pytest.mark.parametrize("counter", ["event_count", "tool_call_count", "context_count"])
def test_each_counter_is_checked_against_its_rows(app: AppContext, clock: FakeClock, counter: str) -> None:
    """The folded pass (one grouped count of events and of live contexts) catches each counter alone,
    names the session, and an open session is never reported as missing its end event."""
    _busy_day(app, clock)
    app.contexts.store(Caller("c2", "claude-code"), "still working")  # an open session
    with app.engine.begin() as conn:
        target = conn.execute(text("SELECT id FROM sessions ORDER BY started_at LIMIT 1")).scalar_one()
        conn.execute(
            update(sessions)
            .where(sessions.c.id == target)
            .values({counter: getattr(sessions.c, counter) + 1})
        )
    report = app.integrity.check()
    assert {c.name: c.violations for c in report.checks if c.violations} == {"counter_mismatch": 1}
    wrong = next(c for c in report.checks if c.name == "counter_mismatch")
    assert wrong.samples == [str(target)]
    assert app.integrity.fix().clean


def test_event_in_the_wrong_project_is_reported_not_fixed(app: AppContext, clock: FakeClock) -> None:
    alpha = app.projects.create("alpha")
    session = app.sessions.start("c1")
    with app.engine.begin() as conn:
        conn.execute(
            update(analytics_events)
            .where(analytics_events.c.session_id == session.id)
            .values(project_id=alpha.id)
        )
    assert _violations(app) == {"event_project_mismatch": 1}
    report = app.integrity.fix()
    assert report.counts()["event_project_mismatch"] == 1 and not report.clean


def test_events_follow_the_change_history(app: AppContext, clock: FakeClock) -> None:
    """Events written before a move keep the old project and that is correct, not a violation."""
    app.projects.create("alpha")
    app.projects.create("beta")
    session = app.sessions.start("c1", project="alpha")
    for target in ("beta", "alpha", "beta"):
        clock.advance(minutes=1)
        app.sessions.record_call(Caller("c1"), "aidis_ping", input_chars=4)
        clock.advance(minutes=1)
        app.sessions.assign(session.id, target)
    assert _violations(app) == {}


def test_a_session_moved_once_has_its_events_checked_on_both_sides_of_the_move(
    app: AppContext, clock: FakeClock
) -> None:
    """One move (the common case, checked through one row): an event is right in the project the
    session had at its time, and reported when it claims the other one — before or after the move."""
    alpha = app.projects.create("alpha")
    beta = app.projects.create("beta")
    session = app.sessions.start("c1", project="alpha")
    clock.advance(minutes=1)
    app.sessions.record_call(Caller("c1"), "aidis_ping", input_chars=4)
    clock.advance(minutes=1)
    app.sessions.assign(session.id, "beta")
    clock.advance(minutes=1)
    app.sessions.record_call(Caller("c1"), "session_status", input_chars=4)
    assert _violations(app) == {}

    def tamper(tool: str, project_id: object) -> None:
        with app.engine.begin() as conn:
            conn.execute(
                update(analytics_events)
                .where(analytics_events.c.session_id == session.id, analytics_events.c.tool_name == tool)
                .values(project_id=project_id)
            )

    tamper("aidis_ping", beta.id)  # before the move, but claims the later project
    assert _violations(app) == {"event_project_mismatch": 1}
    tamper("aidis_ping", alpha.id)
    tamper("session_status", alpha.id)  # after the move, but claims the earlier project
    assert _violations(app) == {"event_project_mismatch": 1}


def test_no_null_or_dangling_projects_even_when_triggers_are_bypassed_elsewhere(app: AppContext) -> None:
    app.sessions.start("c1")
    counts = app.integrity.check().counts()
    assert counts["null_project"] == 0 and counts["dangling_project"] == 0


def test_a_dangling_project_is_found_when_a_project_row_goes_behind_the_schemas_back(app: AppContext) -> None:
    app.projects.create("doomed")
    app.contexts.store(Caller("c-doomed"), "a note in a project about to vanish", project="doomed")
    doomed = str(app.projects.get("doomed").id)
    if app.engine.dialect.name == "sqlite":  # foreign keys off on one connection, as a bad tool would
        raw = app.engine.raw_connection()
        try:
            raw.commit()
            raw.execute("PRAGMA foreign_keys = OFF")
            raw.execute("DELETE FROM project_workspaces WHERE project_id = ?", (doomed,))
            raw.execute("DELETE FROM projects WHERE id = ?", (doomed,))
            raw.commit()
            raw.execute("PRAGMA foreign_keys = ON")
        finally:
            raw.close()
    else:
        with app.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.execute(text("DELETE FROM project_workspaces WHERE project_id = :p"), {"p": doomed})
            conn.execute(text("DELETE FROM projects WHERE id = :p"), {"p": doomed})
    counts = app.integrity.check().counts()
    assert counts["dangling_project"] >= 2  # the context and its session (and their events)


def test_a_null_project_is_found_when_the_guards_are_removed(both_apps: dict[str, AppContext]) -> None:
    """PostgreSQL only: SQLite cannot drop a NOT NULL without rebuilding the table (its guard is proven
    by the trigger tests); on PostgreSQL the guards are dropped for a moment, as a bad tool would."""
    app = both_apps["postgresql"]
    session = app.sessions.start("c-null")
    with app.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE sessions ALTER COLUMN project_id DROP NOT NULL")
        conn.exec_driver_sql("ALTER TABLE sessions DISABLE TRIGGER USER")
        conn.execute(text("UPDATE sessions SET project_id = NULL WHERE id = :s"), {"s": session.id})
    try:
        assert app.integrity.check().counts()["null_project"] == 1
    finally:
        with app.engine.begin() as conn:
            conn.execute(
                text(f"UPDATE sessions SET project_id = '{SENTINEL_PROJECT_ID}' WHERE project_id IS NULL")
            )
            conn.exec_driver_sql("ALTER TABLE sessions ENABLE TRIGGER USER")
            conn.exec_driver_sql("ALTER TABLE sessions ALTER COLUMN project_id SET NOT NULL")


def test_check_reads_only(app: AppContext, clock: FakeClock) -> None:
    app.sessions.start("stale")
    clock.advance(hours=3)
    app.integrity.check()
    with app.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM sessions")).scalar_one() == "active"
    assert timedelta(hours=3) > app.idle_timeout


def test_activity_in_the_future_is_reported(app: AppContext, clock: FakeClock) -> None:
    session = app.sessions.start("c1")
    assert "activity_in_future" not in _violations(app)
    with app.engine.begin() as conn:
        conn.execute(
            update(sessions)
            .where(sessions.c.id == session.id)
            .values(last_activity_at=clock.now + timedelta(hours=1))
        )
    assert _violations(app)["activity_in_future"] == 1


@pytest.mark.parametrize(("batch", "most_batches"), [(500, 40), (2, 40), (2, 1)])
def test_misplaced_events_are_counted_exactly_however_the_suspects_are_looked_at(
    app: AppContext, monkeypatch: pytest.MonkeyPatch, batch: int, most_batches: int
) -> None:
    """The grouped pass names the sessions it cannot clear; their events are then judged one by one —
    in one batch, in several, or (too many suspects) over every event — with the same answer."""
    from aidis.repositories import integrity_events

    monkeypatch.setattr(integrity_events, "BATCH", batch)
    monkeypatch.setattr(integrity_events, "MOST_BATCHES", most_batches)
    alpha = app.projects.create("alpha")
    app.projects.create("beta")
    tampered = []
    for n in range(5):
        session = app.sessions.start(f"c{n}", project="beta")
        app.sessions.record_call(Caller(f"c{n}"), "aidis_ping", input_chars=4)
        tampered.append(session.id)
    app.sessions.start("clean", project="beta")
    with app.engine.begin() as conn:
        conn.execute(
            update(analytics_events)
            .where(analytics_events.c.session_id.in_(tampered), analytics_events.c.tool_name == "aidis_ping")
            .values(project_id=alpha.id)
        )
    report = app.integrity.check()
    mismatch = next(c for c in report.checks if c.name == "event_project_mismatch")
    assert mismatch.violations == 5 and len(mismatch.samples) == 5
    assert {c.name for c in report.checks if c.violations} == {"event_project_mismatch"}

"""The session lifecycle service, including the regressions of the TypeScript AIDIS."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from aidis.app import AppContext, build_app
from aidis.enums import SENTINEL_PROJECT_ID, ChangeReason, EndReason, EventType, SessionStatus
from aidis.errors import Conflict, InvalidInput, NotFound
from aidis.repositories import events as events_repo
from aidis.services.sessions.display_ids import format_display_id
from tests.support import Database, FakeClock


def _event_types(app: AppContext, session_id: uuid.UUID) -> list[str]:
    return [e.event_type for e in app.sessions.detail(session_id).events]


# --- start and project resolution -------------------------------------------------------------


def test_new_session_started_for_a_project_has_that_project_id_in_the_row(
    app: AppContext, db: Database
) -> None:
    """The regression test the old plan asked for: the project is persisted, not just remembered."""
    project = app.projects.create("alpha")
    session = app.sessions.start("conn-1", project="alpha", title="t", goal="g", agent_type="claude")
    with db.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT project_id FROM sessions WHERE id = :i"), {"i": str(session.id)}
        ).scalar_one()
    assert uuid.UUID(str(stored)) == project.id
    assert session.project_name == "alpha"
    assert session.metadata["project_source"] == "explicit"


def test_start_without_anything_lands_in_the_sentinel(app: AppContext) -> None:
    session = app.sessions.start("conn-1")
    assert session.project_id == SENTINEL_PROJECT_ID
    assert session.project_display_name == "Unassigned"
    assert session.metadata["project_source"] == "sentinel"


def test_start_inherits_the_connections_current_project(app: AppContext) -> None:
    app.projects.create("alpha")
    app.sessions.switch_project("conn-1", "alpha")
    session = app.sessions.start("conn-1")
    assert session.project_name == "alpha"
    assert session.metadata["project_source"] == "connection"


def test_a_new_session_is_not_filed_under_the_agents_last_project(app: AppContext, clock: FakeClock) -> None:
    # Claude Code on repository A, then a new Claude Code session elsewhere that names nothing:
    # guessing "the agent's last project" would misfile it under A.
    app.projects.create("alpha")
    app.sessions.start("old-conn", project="alpha", agent_type="claude-code")
    clock.advance(minutes=1)
    session = app.sessions.start("new-conn", agent_type="claude-code")
    assert session.project_id == SENTINEL_PROJECT_ID
    assert session.metadata["project_source"] == "sentinel"


def test_start_with_unknown_project_changes_nothing(app: AppContext) -> None:
    with pytest.raises(NotFound) as info:
        app.sessions.start("conn-1", project="nope")
    assert info.value.field == "project"
    assert app.sessions.status("conn-1") is None


def test_second_start_on_one_connection_is_a_conflict(app: AppContext) -> None:
    app.sessions.start("conn-1")
    with pytest.raises(Conflict):
        app.sessions.start("conn-1")


def test_too_long_title_is_refused_by_field(app: AppContext) -> None:
    with pytest.raises(InvalidInput) as info:
        app.sessions.start("conn-1", title="x" * 501)
    assert info.value.field == "title"
    assert app.sessions.status("conn-1") is None


def test_start_writes_a_session_start_event_under_the_sessions_project(app: AppContext) -> None:
    project = app.projects.create("alpha")
    session = app.sessions.start("conn-1", project="alpha")
    events = app.sessions.detail(session.id).events
    assert [(e.event_type, e.project_id) for e in events] == [(EventType.SESSION_START, project.id)]


# --- lesson 2: no module-global session --------------------------------------------------------


def test_two_connections_never_share_an_open_session(app: AppContext) -> None:
    a = app.sessions.ensure("conn-a")
    b = app.sessions.ensure("conn-b")
    assert a.id != b.id
    assert app.sessions.ensure("conn-a").id == a.id
    app.sessions.end_for_connection("conn-a")
    assert app.sessions.status("conn-b").id == b.id  # type: ignore[union-attr]


def test_open_session_survives_a_restart(app: AppContext, db: Database, clock: FakeClock, tmp_path) -> None:
    session = app.sessions.ensure("conn-a")
    restarted = build_app(app.settings, migrate=False, clock=clock)
    try:
        assert restarted.sessions.status("conn-a").id == session.id  # type: ignore[union-attr]
        assert restarted.sessions.ensure("conn-a").id == session.id
    finally:
        restarted.close()


# --- lesson 4: ending, counters ---------------------------------------------------------------


@pytest.mark.parametrize("reason", list(EndReason))
def test_every_end_path_sets_ended_at_status_and_an_end_event(
    app: AppContext, clock: FakeClock, reason: EndReason
) -> None:
    session = app.sessions.start("conn-1")
    clock.advance(minutes=5)
    ended = app.sessions.end(session.id, reason=reason)
    assert ended.ended_at == clock.now
    assert ended.status == reason.status != SessionStatus.ACTIVE
    assert ended.end_reason == reason
    assert _event_types(app, session.id).count(EventType.SESSION_END) == 1


def test_ending_twice_is_a_conflict_and_writes_one_end_event(app: AppContext) -> None:
    session = app.sessions.start("conn-1")
    app.sessions.end(session.id)
    with pytest.raises(Conflict):
        app.sessions.end(session.id)
    assert _event_types(app, session.id).count(EventType.SESSION_END) == 1


def test_tokens_are_stored_as_they_happen_and_survive_the_end(app: AppContext, db: Database) -> None:
    session = app.sessions.start("conn-1")
    app.sessions.touch(session.id, input_tokens=100, output_tokens=40, tool_name="context_store")
    app.sessions.touch(session.id, input_tokens=5, output_tokens=1)
    ended = app.sessions.end(session.id)
    assert (ended.input_tokens, ended.output_tokens, ended.tool_call_count) == (105, 41, 1)
    with db.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT input_tokens FROM sessions WHERE id = :i"), {"i": str(session.id)}
        ).scalar_one()
    assert stored == 105


def test_negative_tokens_are_refused(app: AppContext) -> None:
    session = app.sessions.start("conn-1")
    with pytest.raises(InvalidInput) as info:
        app.sessions.touch(session.id, input_tokens=-1)
    assert info.value.field == "input_tokens"
    assert app.sessions.get(session.id).input_tokens == 0


def test_session_new_ends_the_open_one_and_starts_another(app: AppContext) -> None:
    app.projects.create("alpha")
    first = app.sessions.start("conn-1")
    ended, started = app.sessions.new("conn-1", project="alpha", title="second")
    assert ended is not None and ended.id == first.id
    assert ended.status == SessionStatus.ENDED and ended.end_reason == EndReason.NEW_SESSION
    assert started.project_name == "alpha" and started.title == "second"
    assert app.sessions.status("conn-1").id == started.id  # type: ignore[union-attr]


def test_session_new_with_unknown_project_leaves_the_open_session_open(app: AppContext) -> None:
    first = app.sessions.start("conn-1")
    with pytest.raises(NotFound):
        app.sessions.new("conn-1", project="missing")
    assert app.sessions.status("conn-1").id == first.id  # type: ignore[union-attr]


# --- assign ----------------------------------------------------------------------------------


def test_assign_records_a_change_and_an_event(app: AppContext) -> None:
    alpha = app.projects.create("alpha")
    session = app.sessions.start("conn-1")
    moved = app.sessions.assign(session.display_id, "alpha")
    assert moved.project_id == alpha.id
    detail = app.sessions.detail(session.id)
    assert [(c.from_project_id, c.to_project_id, c.reason) for c in detail.changes] == [
        (SENTINEL_PROJECT_ID, alpha.id, ChangeReason.EXPLICIT_ASSIGN)
    ]
    assert _event_types(app, session.id) == [EventType.SESSION_START, EventType.SESSION_ASSIGNED]


def test_assign_to_unknown_project_changes_nothing(app: AppContext) -> None:
    app.projects.create("alpha")
    session = app.sessions.start("conn-1")
    with pytest.raises(NotFound) as info:
        app.sessions.assign(session.id, "alpah")
    assert "alpha" in info.value.hints
    detail = app.sessions.detail(session.id)
    assert detail.session.project_id == SENTINEL_PROJECT_ID
    assert detail.changes == []


def test_assign_unknown_session_is_not_found(app: AppContext) -> None:
    app.projects.create("alpha")
    with pytest.raises(NotFound) as info:
        app.sessions.assign("SES-2026-99999", "alpha")
    assert info.value.field == "session"


def test_assign_to_the_same_project_records_nothing(app: AppContext) -> None:
    app.projects.create("alpha")
    session = app.sessions.start("conn-1", project="alpha")
    app.sessions.assign(session.id, "alpha")
    assert app.sessions.detail(session.id).changes == []


def test_bulk_assign_is_all_or_nothing(app: AppContext) -> None:
    app.projects.create("alpha")
    sessions = [app.sessions.start(f"c{i}") for i in range(3)]
    with pytest.raises(NotFound) as info:
        app.sessions.assign_many([s.id for s in sessions] + ["SES-1999-00001"], "alpha")
    assert info.value.field == "session_ids[3]"
    assert all(app.sessions.get(s.id).is_unassigned for s in sessions)
    moved = app.sessions.assign_many([s.id for s in sessions], "alpha")
    assert {m.project_name for m in moved} == {"alpha"}


def test_switch_project_re_pins_the_open_session(app: AppContext) -> None:
    """Lesson 3: a switch moves the stored session, not just a variable in memory."""
    app.projects.create("alpha")
    beta = app.projects.create("beta")
    session = app.sessions.start("conn-1", project="alpha")
    project, moved = app.sessions.switch_project("conn-1", "beta")
    assert project.id == beta.id and moved is not None
    assert app.sessions.get(session.id).project_id == beta.id
    assert app.sessions.current_project("conn-1").id == beta.id  # type: ignore[union-attr]
    assert [c.reason for c in app.sessions.detail(session.id).changes] == [ChangeReason.PROJECT_SWITCH]


def test_automatic_assignment_of_a_sentinel_session_happens_once(app: AppContext) -> None:
    alpha = app.projects.create("alpha")
    beta = app.projects.create("beta")
    session = app.sessions.start("conn-1")
    with app.sessions.unit_of_work() as conn:
        moved = app.sessions.attribute_work_in(conn, session, alpha, now=app.clock())
        again = app.sessions.attribute_work_in(conn, moved, beta, now=app.clock())
    assert moved.project_id == alpha.id and again.project_id == alpha.id
    changes = app.sessions.detail(session.id).changes
    assert [(c.reason, c.actor) for c in changes] == [(ChangeReason.AUTO_ASSIGN, "system")]


# --- status ----------------------------------------------------------------------------------


def test_status_with_a_project(app: AppContext) -> None:
    app.projects.create("alpha")
    app.sessions.start("conn-1", project="alpha")
    status = app.sessions.status("conn-1")
    assert status is not None and status.project_display_name == "alpha"


def test_status_without_a_project_says_unassigned(app: AppContext) -> None:
    app.sessions.start("conn-1")
    status = app.sessions.status("conn-1")
    assert status is not None and status.project_display_name == "Unassigned"


def test_status_without_a_session_is_none(app: AppContext) -> None:
    assert app.sessions.status("never-seen") is None


# --- lesson 5: events ------------------------------------------------------------------------


def test_event_for_a_missing_session_raises_instead_of_being_swallowed(app: AppContext) -> None:
    with pytest.raises(NotFound), app.sessions.unit_of_work() as conn:
        events_repo.insert_session_event(
            conn,
            session_id=uuid.uuid4(),
            event_type=EventType.TOOL_CALL,
            actor="agent",
            occurred_at=app.clock(),
        )


def test_events_carry_the_project_of_their_session_at_event_time(app: AppContext, clock: FakeClock) -> None:
    alpha = app.projects.create("alpha")
    session = app.sessions.start("conn-1")
    clock.advance(seconds=1)
    app.sessions.assign(session.id, "alpha")
    clock.advance(seconds=1)
    app.sessions.end(session.id)
    events = app.sessions.detail(session.id).events
    assert [(e.event_type, e.project_id) for e in events] == [
        (EventType.SESSION_START, SENTINEL_PROJECT_ID),
        (EventType.SESSION_ASSIGNED, alpha.id),
        (EventType.SESSION_END, alpha.id),
    ]


# --- lesson 6: idle reaping and display ids --------------------------------------------------


def test_reaper_times_out_idle_sessions_with_an_end_event(app: AppContext, clock: FakeClock) -> None:
    idle = app.sessions.start("idle")
    clock.advance(minutes=20)
    busy = app.sessions.start("busy")
    clock.advance(minutes=15)
    assert app.sessions.reap_idle(timedelta(minutes=30)) == 1
    reaped = app.sessions.get(idle.id)
    assert reaped.status == SessionStatus.TIMED_OUT
    assert reaped.ended_at == idle.last_activity_at
    assert _event_types(app, idle.id)[-1] == EventType.SESSION_END
    assert app.sessions.get(busy.id).status == SessionStatus.ACTIVE
    assert app.sessions.reap_idle(timedelta(minutes=30)) == 0


def test_reaper_handles_more_than_one_batch(app: AppContext, clock: FakeClock, db: Database) -> None:
    for i in range(1005):
        app.sessions.start(f"c{i}")
    clock.advance(hours=2)
    assert app.sessions.reap_idle(timedelta(minutes=30)) == 1005
    with db.engine.connect() as conn:
        ends = conn.execute(
            text("SELECT count(*) FROM analytics_events WHERE event_type = 'session_end'")
        ).scalar_one()
        active = conn.execute(text("SELECT count(*) FROM sessions WHERE status = 'active'")).scalar_one()
    assert (ends, active) == (1005, 0)


def test_startup_cleanup_closes_only_sessions_past_the_idle_window(app: AppContext, clock: FakeClock) -> None:
    stranded = app.sessions.start("crashed")
    clock.advance(hours=1)
    recent = app.sessions.start("recent")
    assert app.sessions.close_stranded_on_startup(timedelta(minutes=30)) == 1
    closed = app.sessions.get(stranded.id)
    assert closed.status == SessionStatus.INTERRUPTED and closed.end_reason == EndReason.RESTART_CLEANUP
    assert closed.ended_at == stranded.last_activity_at
    assert EventType.SESSION_END in _event_types(app, stranded.id)
    assert app.sessions.get(recent.id).status == SessionStatus.ACTIVE


def test_display_ids_are_sequential_per_year(app: AppContext, clock: FakeClock) -> None:
    first = app.sessions.start("a")
    second = app.sessions.start("b")
    clock.now = clock.now.replace(year=2027, month=1, day=1)
    third = app.sessions.start("c")
    assert [first.display_id, second.display_id, third.display_id] == [
        "SES-2026-00001",
        "SES-2026-00002",
        "SES-2027-00001",
    ]


def test_display_ids_past_99999_grow_instead_of_colliding(app: AppContext, db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO session_counters (year, last_value) VALUES (2026, 99998)"))
    ids = [app.sessions.start(f"c{i}").display_id for i in range(3)]
    assert ids == ["SES-2026-99999", "SES-2026-100000", "SES-2026-100001"]
    assert format_display_id(2026, 1_234_567) == "SES-2026-1234567"


def test_every_end_path_writes_the_same_end_event_payload(
    app: AppContext, clock: FakeClock, db: Database
) -> None:
    """Explicit end, the reaper and `check --fix` all describe the end the same way."""
    explicit = app.sessions.start("explicit")
    reaped = app.sessions.start("reaped")
    clock.advance(minutes=5)
    app.sessions.end(explicit.id)
    clock.advance(hours=2)
    app.sessions.reap_idle(timedelta(minutes=30))
    fixed = app.sessions.start("fixed")
    clock.advance(minutes=3)
    app.sessions.end(fixed.id)
    with db.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM analytics_events WHERE event_type = 'session_end' AND session_id = :s"),
            {"s": str(fixed.id)},
        )
        conn.execute(
            text("UPDATE sessions SET event_count = event_count - 1 WHERE id = :s"), {"s": str(fixed.id)}
        )
    assert app.integrity.fix().clean
    expected = {
        explicit.id: ("explicit", "ended", 300.0),
        reaped.id: ("idle_timeout", "timed_out", 0.0),
        fixed.id: ("explicit", "ended", 180.0),
    }
    for session_id, (reason, status, seconds) in expected.items():
        end = [e for e in app.sessions.detail(session_id).events if e.event_type == EventType.SESSION_END]
        assert len(end) == 1
        payload = end[0].payload
        assert (payload["reason"], payload["status"]) == (reason, status)
        assert abs(payload["duration_seconds"] - seconds) < 0.01
    assert end[0].payload["synthesized_by"] == "integrity_fix"

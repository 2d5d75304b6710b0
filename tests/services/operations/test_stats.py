"""Stats agree exactly with the session rows, on generated data, on both engines."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from aidis.app import AppContext
from aidis.db.schema import projects, sessions
from aidis.enums import EndReason
from tests.support import Database, FakeClock

# One generated session: (project index or None, minutes after the previous start, minutes it lasts or None
# for still open, tokens in, tokens out, end reason index)
session_plan = st.tuples(
    st.one_of(st.none(), st.integers(0, 2)),
    st.integers(0, 60 * 30),
    st.one_of(st.none(), st.integers(0, 600)),
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.integers(0, len(EndReason) - 1),
)


def _rows(db: Database) -> list:
    with db.engine.connect() as conn:  # read through the typed table so timestamps come back as datetimes
        return conn.execute(
            select(sessions, projects.c.name).join(projects, projects.c.id == sessions.c.project_id)
        ).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(session_plan, min_size=0, max_size=25))
def test_session_stats_agree_with_the_rows(app: AppContext, db: Database, clock: FakeClock, plans) -> None:
    db.reset()
    names = ["alpha", "beta", "gamma"]
    for name in names:
        app.projects.create(name)
    for i, (project_index, gap, duration, tin, tout, reason_index) in enumerate(plans):
        clock.advance(minutes=gap)
        project = None if project_index is None else names[project_index]
        session = app.sessions.start(f"conn-{i}", project=project)
        app.sessions.touch(session.id, input_tokens=tin, output_tokens=tout)
        if duration is not None:
            clock.advance(minutes=duration)
            app.sessions.end(session.id, reason=list(EndReason)[reason_index])
            clock.advance(minutes=-duration)

    rows = _rows(db)
    for project in [None, *names]:
        selected = [r for r in rows if project is None or r.name == project]
        stats = app.stats.session_stats(project=project)
        statuses = Counter(r.status for r in selected)
        durations = [(r.ended_at - r.started_at).total_seconds() for r in selected if r.ended_at is not None]
        assert stats.total == len(selected)
        assert (stats.active, stats.ended, stats.timed_out, stats.interrupted) == (
            statuses["active"],
            statuses["ended"],
            statuses["timed_out"],
            statuses["interrupted"],
        )
        assert abs(stats.total_duration_seconds - sum(durations)) < 0.01
        if durations:
            assert stats.average_duration_seconds is not None
            assert abs(stats.average_duration_seconds - sum(durations) / len(durations)) < 0.01
        else:
            assert stats.average_duration_seconds is None
        assert stats.input_tokens == sum(r.input_tokens for r in selected)
        assert stats.output_tokens == sum(r.output_tokens for r in selected)
        assert stats.events == sum(r.event_count for r in selected)

    per_day = app.stats.sessions_per_day()
    expected = Counter((r.started_at.date().isoformat(), r.name) for r in rows)
    assert {(d.day, d.project_name): d.sessions for d in per_day} == dict(expected)
    assert all(d.project_name for d in per_day)  # never "Unknown Project"


def test_stats_filtered_by_project_and_since(app: AppContext, clock: FakeClock) -> None:
    app.projects.create("alpha")
    app.sessions.start("a1", project="alpha")
    clock.advance(days=2)
    cut = clock.now
    app.sessions.start("a2", project="alpha")
    app.sessions.start("u1")
    assert app.stats.session_stats(project="alpha").total == 2
    assert app.stats.session_stats(project="alpha", since=cut).total == 1
    assert app.stats.session_stats(since=cut).total == 2
    assert app.stats.session_stats(project="Unassigned").total == 1


def test_per_day_groups_by_utc_day(app: AppContext, clock: FakeClock) -> None:
    app.projects.create("alpha")
    clock.now = clock.now.replace(hour=23, minute=59)
    app.sessions.start("a1", project="alpha")
    clock.advance(minutes=2)
    app.sessions.start("a2", project="alpha")
    days = [(d.day, d.sessions) for d in app.stats.sessions_per_day(project="alpha")]
    first = (clock.now - timedelta(days=1)).date().isoformat()
    assert days == [(first, 1), (clock.now.date().isoformat(), 1)]

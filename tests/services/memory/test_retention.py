"""`aidis prune`: old contexts and work events go, set-based; sessions, lifecycle events and summaries
stay; counters follow; a dry run writes nothing; the prune itself is recorded (both engines)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from aidis.app import AppContext
from aidis.errors import InvalidInput
from aidis.services.caller import Caller
from aidis.services.sessions.summaries import Summary
from tests.support import FakeClock, row_counts


def _violations(app: AppContext) -> dict[str, int]:
    return {name: n for name, n in app.integrity.check().counts().items() if n}


def _old_and_new(app: AppContext, clock: FakeClock) -> None:
    app.projects.create("alpha")
    app.projects.create("beta")
    old = Caller("old-agent")
    app.sessions.switch_project(old.connection_id, "alpha")
    for i in range(3):
        app.contexts.store(old, f"old note {i}")
    app.summaries.write(old, Summary.check({"accomplished": "old work"}))
    app.contexts.store(Caller("beta-agent"), "old beta note", project="beta")
    app.sessions.end_for_connection(old.connection_id)
    app.sessions.end_for_connection("beta-agent")
    clock.advance(days=200)
    new = Caller("new-agent")
    app.sessions.switch_project(new.connection_id, "alpha")
    app.contexts.store(new, "fresh note")


def test_prune_keeps_sessions_summaries_and_lifecycle_events(app: AppContext, clock: FakeClock) -> None:
    _old_and_new(app, clock)
    sessions_before = row_counts(app.engine)["sessions"]
    report = app.retention.prune("180d", project="alpha", what=("contexts", "events"))
    assert report.counts["contexts"] == 3  # the three old alpha notes; the summary and beta stay
    assert report.counts["events"] > 0
    assert row_counts(app.engine)["sessions"] == sessions_before
    with app.engine.connect() as conn:
        kept = set(conn.execute(text("SELECT content FROM contexts")).scalars())
        lifecycle = conn.execute(
            text("SELECT count(*) FROM analytics_events WHERE event_type IN ('session_start', 'session_end')")
        ).scalar_one()
        recorded = (
            conn.execute(text("SELECT payload FROM analytics_events WHERE event_type = 'contexts_pruned'"))
            .scalars()
            .all()
        )
    assert "fresh note" in kept and "old beta note" in kept
    assert any(t.startswith("Session summary") for t in kept)
    assert lifecycle >= 4 and len(recorded) == 1
    assert _violations(app) == {}


def test_a_dry_run_counts_and_writes_nothing(app: AppContext, clock: FakeClock) -> None:
    _old_and_new(app, clock)
    before = row_counts(app.engine)
    report = app.retention.prune("180d", dry_run=True)
    assert report.dry_run and report.counts["contexts"] == 4
    assert row_counts(app.engine) == before


@pytest.mark.parametrize(
    ("older_than", "what", "field"),
    [
        ("soon", ("contexts",), "older_than"),
        ("0d", ("contexts",), "older_than"),
        ("30d", ("sessions",), "what"),
    ],
)
def test_bad_prune_arguments_name_the_field_and_change_nothing(
    app: AppContext, clock: FakeClock, older_than: str, what: tuple[str, ...], field: str
) -> None:
    _old_and_new(app, clock)
    before = row_counts(app.engine)
    with pytest.raises(InvalidInput) as refused:
        app.retention.prune(older_than, what=what)
    assert refused.value.field == field
    assert row_counts(app.engine) == before

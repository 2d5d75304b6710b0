"""Merging duplicate projects moves everything, records it, and keeps `aidis check` clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from aidis.app import AppContext
from aidis.db.schema import analytics_events, contexts, projects
from aidis.errors import Conflict, Forbidden, NotFound
from aidis.services.caller import Caller
from tests.support import Database, FakeClock, row_counts


def test_merge_moves_sessions_contexts_events_and_workspaces(
    app: AppContext, clock: FakeClock, tmp_path: Path
) -> None:
    legacy = app.projects.create("legacy-1", roots=[str(tmp_path)])
    app.projects.create("acme/legacy-1", repos=["github.com/acme/legacy-1"])
    app.projects.create("elsewhere")
    caller = Caller("c1", "claude-code")
    app.sessions.switch_project("c1", "legacy-1")
    app.contexts.store(caller, "old decision")
    clock.advance(minutes=3)
    moved_in = app.sessions.start("c2", project="elsewhere")
    app.contexts.store(Caller("c2"), "note in elsewhere")
    clock.advance(minutes=1)
    app.sessions.assign(moved_in.id, "legacy-1")
    app.contexts.store(Caller("c2"), "after the move")
    clock.advance(minutes=5)

    report = app.merges.merge("legacy-1", "acme/legacy-1")

    assert (report.sessions, report.workspaces) == (2, 1)
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).where(projects.c.id == legacy.id)).scalar_one() == 0
        leftovers = (
            conn.execute(
                select(func.count()).select_from(contexts).where(contexts.c.project_id == legacy.id)
            ).scalar_one()
            + conn.execute(
                select(func.count())
                .select_from(analytics_events)
                .where(analytics_events.c.project_id == legacy.id)
            ).scalar_one()
        )
    assert leftovers == 0
    session = app.sessions.status("c1")
    assert session is not None and session.project_name == "acme/legacy-1"
    change = app.sessions.detail(session.id).changes[-1]
    assert change.reason == "merge" and change.details["merged_project_name"] == "legacy-1"
    assert {w.identity for w in app.workspaces.list("acme/legacy-1")} == {
        str(tmp_path),
        "github.com/acme/legacy-1",
    }
    assert app.sessions.current_project("c1").name == "acme/legacy-1"  # type: ignore[union-attr]
    report_check = app.integrity.check()
    assert report_check.clean, {c.name: c.samples for c in report_check.checks if c.violations}
    # the next session of the connection starts in the merged project
    app.sessions.end_for_connection("c1")
    assert app.sessions.start("c1").project_name == "acme/legacy-1"


@pytest.mark.parametrize(
    ("source", "target", "error", "field"),
    [
        ("Unassigned", "a", Forbidden, "source"),
        ("a", "Unassigned", Forbidden, "target"),
        ("a", "a", Conflict, "target"),
        ("nope", "a", NotFound, "source"),
        ("a", "nope", NotFound, "target"),
    ],
)
def test_bad_merges_change_nothing(
    app: AppContext, db: Database, source: str, target: str, error: type[Exception], field: str
) -> None:
    app.projects.create("a")
    app.sessions.start("c1", project="a")
    before = row_counts(db.engine)
    with pytest.raises(error) as info:
        app.merges.merge(source, target)
    assert info.value.field == field  # type: ignore[attr-defined]
    assert row_counts(db.engine) == before


def test_a_topic_key_held_in_both_projects_stays_with_the_target(app: AppContext) -> None:
    app.projects.create("old")
    app.projects.create("new")
    moved = app.contexts.store(Caller("c1"), "old plan", project="old", key="plan")
    kept = app.contexts.store(Caller("c2"), "new plan", project="new", key="plan")
    app.merges.merge("old", "new")
    (moved_full, kept_full) = app.context_reads.get([moved.context.id, kept.context.id])
    assert moved_full.context.project_name == "new" and moved_full.context.topic_key is None
    assert moved_full.context.content == "old plan"
    assert kept_full.context.topic_key == "plan"
    assert (
        app.contexts.store(Caller("c2"), "newer plan", project="new", key="plan").context.id
        == kept.context.id
    )
    assert {name: n for name, n in app.integrity.check().counts().items() if n} == {}

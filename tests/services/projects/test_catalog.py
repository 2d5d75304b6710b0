"""Project service: create, find, rename, archive, delete, with the sentinel protected."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from aidis.app import AppContext
from aidis.enums import SENTINEL_PROJECT_ID, ChangeReason
from aidis.errors import Conflict, Forbidden, InvalidInput, NotFound


def test_create_then_get_by_name_and_id(app: AppContext) -> None:
    created = app.projects.create("alpha", description="first")
    assert app.projects.get("alpha") == created
    assert app.projects.get(str(created.id)) == created
    assert app.projects.get("ALPHA").id == created.id


def test_duplicate_name_is_a_conflict_naming_the_field(app: AppContext) -> None:
    app.projects.create("alpha")
    with pytest.raises(Conflict) as info:
        app.projects.create("Alpha")
    assert info.value.field == "name"
    assert len([p for p in app.projects.list() if p.project.name.lower() == "alpha"]) == 1


@pytest.mark.parametrize("bad", ["", "   ", "x" * 201, "__unassigned__", "Unassigned", "tab\there"])
def test_invalid_names_are_refused_and_nothing_is_written(app: AppContext, bad: str) -> None:
    before = len(app.projects.list())
    with pytest.raises(InvalidInput) as info:
        app.projects.create(bad)
    assert info.value.field == "name"
    assert len(app.projects.list()) == before


def test_unknown_project_lists_close_matches(app: AppContext) -> None:
    app.projects.create("frontend-app")
    with pytest.raises(NotFound) as info:
        app.projects.get("frontend-ap")
    assert "frontend-app" in info.value.hints
    assert "did you mean" in info.value.message


def test_unassigned_names_the_sentinel(app: AppContext) -> None:
    sentinel = app.projects.get("Unassigned")
    assert sentinel.id == SENTINEL_PROJECT_ID
    assert sentinel.display_name == "Unassigned"


def test_list_includes_session_counts(app: AppContext) -> None:
    app.projects.create("alpha")
    app.sessions.start("c1", project="alpha")
    app.sessions.start("c2", project="alpha")
    counts = {s.project.name: s.session_count for s in app.projects.list()}
    assert counts["alpha"] == 2
    assert counts["__unassigned__"] == 0


def test_rename_and_rename_clash(app: AppContext) -> None:
    app.projects.create("alpha")
    app.projects.create("beta")
    assert app.projects.rename("alpha", "gamma").name == "gamma"
    with pytest.raises(Conflict):
        app.projects.rename("gamma", "BETA")


def test_sentinel_cannot_be_renamed_archived_or_deleted(app: AppContext) -> None:
    for action in (
        lambda: app.projects.rename("Unassigned", "mine"),
        lambda: app.projects.archive("Unassigned"),
        lambda: app.projects.delete("Unassigned", move_to_unassigned=True),
    ):
        with pytest.raises(Forbidden):
            action()
    assert app.projects.get("__unassigned__").name == "__unassigned__"


def test_archived_project_takes_no_new_sessions(app: AppContext) -> None:
    app.projects.create("old")
    app.projects.archive("old")
    with pytest.raises(Conflict, match="archived"):
        app.sessions.start("c1", project="old")


def test_delete_with_sessions_is_refused_and_keeps_everything(app: AppContext) -> None:
    app.projects.create("alpha")
    session = app.sessions.start("c1", project="alpha")
    with pytest.raises(Conflict, match="still has 1 sessions"):
        app.projects.delete("alpha")
    assert app.sessions.get(session.id).project_name == "alpha"


def test_delete_moving_sessions_records_every_change(app: AppContext) -> None:
    app.projects.create("alpha")
    sessions = [app.sessions.start(f"c{i}", project="alpha") for i in range(3)]
    moved = app.projects.delete("alpha", move_to_unassigned=True)
    assert moved["sessions"] == 3
    for session in sessions:
        detail = app.sessions.detail(session.id)
        assert detail.session.project_id == SENTINEL_PROJECT_ID
        assert [c.reason for c in detail.changes] == [ChangeReason.PROJECT_DELETED]
        assert all(e.project_id == SENTINEL_PROJECT_ID for e in detail.events)
    with pytest.raises(NotFound):
        app.projects.get("alpha")


def test_delete_of_an_empty_project(app: AppContext) -> None:
    app.projects.create("empty")
    with (
        app.engine.begin() as conn
    ):  # the creation event is history; clear it to make the project truly empty
        conn.execute(text("DELETE FROM analytics_events"))
    assert app.projects.delete("empty") == {"sessions": 0, "contexts": 0, "events": 0}

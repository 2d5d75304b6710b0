"""The status tool's call: counted on the open session (never opening one), with the attribution
hint when the session — or the one a first call would open — has no project yet."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from aidis.app import AppContext
from aidis.db.schema import analytics_events, sessions
from aidis.db.types import utcnow
from aidis.enums import WorkspaceSource
from aidis.repositories import sessions as sessions_repo
from aidis.services.caller import Caller, WorkspaceHint


def _rows(app: AppContext) -> tuple[int, int]:
    with app.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(sessions)).scalar_one(),
            conn.execute(select(func.count()).select_from(analytics_events)).scalar_one(),
        )


def test_without_an_open_session_nothing_is_written_and_the_workspace_is_named(
    app: AppContext, tmp_path: Path
) -> None:
    app.projects.create("alpha", roots=[str(tmp_path)])
    caller = Caller("c1", workspaces=(WorkspaceHint(str(tmp_path), WorkspaceSource.CWD),))
    before = _rows(app)

    session, hint = app.sessions.status_call(caller, "session_status", input_chars=2, output_chars=700)

    assert session is None
    assert hint is not None and "alpha" in hint
    assert _rows(app) == before


def test_an_open_session_counts_the_call_with_estimated_tokens(app: AppContext) -> None:
    app.projects.create("alpha")
    caller = Caller("c1")
    app.sessions.switch_project("c1", "alpha")
    opened = app.sessions.start("c1")

    session, hint = app.sessions.status_call(caller, "session_status", input_chars=40, output_chars=700)

    assert session is not None and session.id == opened.id and hint is None
    assert session.project_name == "alpha"
    assert (session.tool_call_count, session.event_count) == (
        opened.tool_call_count + 1,
        opened.event_count + 1,
    )
    assert (session.input_tokens, session.output_tokens) == (10, 175)  # 4 characters a token
    with app.engine.connect() as conn:
        tools = conn.execute(
            select(analytics_events.c.tool_name, analytics_events.c.project_id).where(
                analytics_events.c.session_id == opened.id, analytics_events.c.tool_name.is_not(None)
            )
        ).all()
    assert [(t.tool_name, t.project_id) for t in tools] == [("session_status", opened.project_id)]


def test_a_session_with_the_transcripts_exact_tokens_gets_no_estimate(app: AppContext) -> None:
    caller = Caller("c1")
    opened = app.sessions.start("c1")
    with app.engine.begin() as conn:
        sessions_repo.set_exact_tokens(conn, opened.id, input_tokens=1000, output_tokens=50)
        sessions_repo.set_metadata(conn, opened.id, {**opened.metadata, "tokens": "exact"})

    session, hint = app.sessions.status_call(caller, "session_status", input_chars=400, output_chars=700)

    assert session is not None
    assert (session.input_tokens, session.output_tokens) == (1000, 50)
    assert session.tool_call_count == opened.tool_call_count + 1
    assert hint is not None and "session_assign" in hint  # started without a project: Unassigned
    assert session.last_activity_at >= opened.last_activity_at
    assert session.last_activity_at <= utcnow()

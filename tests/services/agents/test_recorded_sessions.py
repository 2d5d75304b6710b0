"""The payloads the three real agents sent (recorded by scripts/record_hook_payloads.py) replayed through the
hook fast path's slimming and the hook service, on both engines: one session each, in the right project,
ended, with exact tokens from the agent's own transcript, and the activity a person would name — a file
read, one created, one edited, one deleted, a failing test run — and nothing else."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from aidis.app import AppContext
from aidis.mcp.identity import FixedConnection
from aidis.mcp.server import build_mcp_server
from aidis.services.agents.hook_events import connection_for
from aidis.services.memory.reads import ContextQuery
from mcp import Client
from tests.agents.recorded import AGENTS, TOKENS, recorded, replay
from tests.gitrepos import make_repo
from tests.mcp.conftest import call


@pytest.fixture
def workspace(home: Path) -> Path:
    return make_repo(home / "code" / "widgets", "git@github.com:acme/widgets.git")


@pytest.mark.parametrize("agent", AGENTS)
def test_a_recorded_session_is_one_exact_session_with_its_activity(
    app: AppContext, home: Path, workspace: Path, agent: str
) -> None:
    session = replay(app, agent, recorded(agent, workspace, home), "recorded-1")
    assert session.project_name == "acme/widgets" and session.status == "ended"
    assert session.metadata["tokens"] == "exact"
    assert (session.input_tokens, session.output_tokens) == TOKENS[agent]
    rows = app.activity.for_session(session.id)
    files = {(r.kind, r.path) for r in rows if r.path}
    assert {
        ("read", "app.py"),
        ("create", "notes.txt"),
        ("edit", "app.py"),
        ("delete", "old_notes.txt"),
    } <= files
    assert all(not (r.path or "").startswith("/") for r in rows)  # relative to the workspace
    tests = [r for r in rows if r.kind == "test"]
    assert len(tests) == 1 and (tests[0].tests_failed, tests[0].tests_passed) == (1, 1)
    assert tests[0].exit_code == 1  # Codex tells it only in its rollout: filled in when that was read
    assert "pytest -q test_app.py" in (tests[0].command or "")
    assert not [
        r for r in rows if (r.tool_name or "").startswith("mcp")
    ]  # AIDIS's own calls are not activity


@pytest.mark.parametrize("agent", AGENTS)
def test_a_session_that_wrote_no_summary_gets_one_from_its_activity(
    app: AppContext, home: Path, workspace: Path, agent: str
) -> None:
    session = replay(app, agent, recorded(agent, workspace, home), "recorded-2")
    summary = session.metadata["summary"]
    assert summary["generated"] == "activity"
    assert (
        "created 1 file" in summary["accomplished"]
        and "last run failed (1 failed, 1 passed)" in summary["accomplished"]
    )
    assert {"app.py", "notes.txt", "old_notes.txt"} <= set(summary["files"])
    assert "Left failing: tests:" in summary["next_steps"]
    touched = app.activity.touched("old_notes.txt", project_ids=[session.project_id])
    assert [t.display_id for t in touched] == [session.display_id]
    found = app.context_reads.search(None, "left failing", ContextQuery(project="acme/widgets"))
    assert any(hit.session_display_id == session.display_id for hit in found.items)


@pytest.mark.parametrize("agent", AGENTS)
def test_the_next_session_is_told_what_the_last_one_touched_and_left_failing(
    app: AppContext, home: Path, workspace: Path, agent: str
) -> None:
    first = replay(app, agent, recorded(agent, workspace, home), "recorded-3")
    start = {
        "hook_event_name": "SessionStart",
        "session_id": "recorded-4",
        "cwd": str(workspace),
        "source": "startup",
    }
    app.hooks.apply({"id": uuid.uuid4().hex, "agent": agent, "received_at": None, "payload": start})
    text = app.session_context.for_connection(connection_for(agent, "recorded-4"))
    assert f"What {first.display_id} did" in text
    assert "files changed: " in text and "notes.txt" in text
    assert "left failing: tests:" in text and "1 failed, 1 passed" in text


def test_with_capture_off_tool_events_record_nothing(app: AppContext, home: Path, workspace: Path) -> None:
    app.hooks.capture_activity = False
    session = replay(app, "claude-code", recorded("claude-code", workspace, home), "recorded-5")
    assert app.activity.for_session(session.id) == []
    assert "summary" not in session.metadata


async def test_context_search_for_a_path_names_the_sessions_that_touched_it(
    app: AppContext, home: Path, workspace: Path
) -> None:
    session = replay(app, "gemini-cli", recorded("gemini-cli", workspace, home), "recorded-6")
    server = build_mcp_server(app, FixedConnection("memory:searcher", "memory", "test-agent"))
    async with Client(server) as client:
        await call(client, "project_switch", {"project": "acme/widgets"})
        found = await call(client, "context_search", {"query": "app.py"})
        other = await call(client, "context_search", {"query": "rates integers"})
        elsewhere = await call(client, "context_search", {"query": "app.py", "project": "Unassigned"})
    assert [(t["session"], t["path"]) for t in found["touched_by"]] == [(session.display_id, "app.py")]
    assert found["touched_by"][0]["times"] == 2  # read, then edited
    assert other["touched_by"] == []  # not a path
    assert elsewhere["touched_by"] == []  # another project's sessions are not named

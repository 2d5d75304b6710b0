"""What an agent did, on the session page (headless Chromium) and in the API: a recorded Claude Code
session's files as a tree, its failing test run, its counts — on both engines."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page

from aidis.app import AppContext
from tests.agents.recorded import recorded, replay
from tests.gitrepos import make_repo
from tests.mcp.transports import running_http_server
from tests.support import Database


def _session(app: AppContext, home: Path) -> str:
    workspace = make_repo(home / "code" / "widgets", "git@github.com:acme/widgets.git")
    return replay(app, "claude-code", recorded("claude-code", workspace, home), "web-1").display_id


async def test_the_api_returns_the_activity_digest_and_rows(
    app: AppContext, home: Path, http: httpx.AsyncClient
) -> None:
    display_id = _session(app, home)
    detail = (await http.get(f"/api/v1/sessions/{display_id}")).json()
    activity = detail["activity"]
    assert activity["files"]["app.py"] == ["read", "edit"] and activity["files"]["notes.txt"] == ["create"]
    assert activity["tests"][0]["failed"] == 1 and activity["tests"][0]["ok"] is False
    assert activity["left_failing"] and "created 1 file" in activity["summary"]
    rows = (await http.get(f"/api/v1/sessions/{display_id}/activity")).json()
    assert [r["kind"] for r in rows] == ["read", "create", "edit", "test", "command", "delete"]
    missing = await http.get("/api/v1/sessions/SES-1999-00001/activity")
    assert missing.status_code == 404


def test_the_session_page_shows_what_happened(app: AppContext, home: Path, page: Page) -> None:
    display_id = _session(app, home)
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions/{display_id}")
        assert "created 1 file" in page.locator("#activity-summary").inner_text()
        files = page.locator("#activity-files li.file").all_inner_texts()
        assert any("notes.txt" in f and "create" in f for f in files)
        assert any("old_notes.txt" in f and "delete" in f for f in files)
        failing = page.locator("#activity-tests tr.bad td").first.inner_text()
        assert "pytest" in failing
        assert "Left failing" in page.locator("#activity-failing").inner_text()


def test_the_work_line_counts_the_agents_actions_and_the_cli_lists_them(
    app: AppContext, home: Path, page: Page, db: Database
) -> None:
    from typer.testing import CliRunner

    from aidis.cli.main import cli

    display_id = _session(app, home)
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions/{display_id}")
        work = page.locator("dt:text('Work') + dd").inner_text()
    assert "AIDIS tool calls" in work and "6 agent actions" in work, work
    shown = CliRunner().invoke(
        cli, ["sessions", "show", display_id], env={"AIDIS_DATABASE_URL": db.url, "COLUMNS": "200"}
    )
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "6 agent actions" in out and "created 1 file" in out
    assert "notes.txt" in out and "create" in out and "pytest" in out and "left failing" in out

"""Triage suggestions, claiming a folder, project workspaces and merging — in headless Chromium."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from aidis.app import AppContext
from aidis.enums import WorkspaceSource
from aidis.services.caller import WorkspaceHint
from tests.gitrepos import make_repo
from tests.mcp.transports import running_http_server


def _start(app: AppContext, name: str, path: Path) -> str:
    return app.sessions.start(name, workspaces=(WorkspaceHint(str(path), WorkspaceSource.CWD),)).display_id


def test_triage_accepts_suggestions_and_claims_a_folder(app: AppContext, home: Path, page: Page) -> None:
    make_repo(home / "code" / "one")
    make_repo(home / "code" / "two")
    _start(app, "seed", home / "code" / "one")  # project "one" exists, owning its folder
    ambiguous = [_start(app, f"amb-{i}", home / "code") for i in range(2)]
    scratch = home / "scratch"
    scratch.mkdir()
    plain = _start(app, "plain", scratch)
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions?unassigned=1")
        row = page.locator(f'tr[data-session="{ambiguous[0]}"]')
        assert row.locator("button.accept").inner_text() == "suggested: one ✓"
        row.locator("button.accept").click()
        page.wait_for_selector(".flash.ok")
        assert app.sessions.get(ambiguous[0]).project_name == "one"

        page.locator(f'tr[data-session="{ambiguous[1]}"] input[type=checkbox]').check()
        page.locator("#accept-button").click()
        page.wait_for_selector(".flash.ok")
        assert app.sessions.get(ambiguous[1]).project_name == "one"

        claim = page.locator(f'tr[data-session="{plain}"] button.claim')
        assert claim.inner_text() == "create project scratch with this root"
        claim.click()
        page.wait_for_selector(".flash.ok")
    assert app.sessions.get(plain).project_name == "scratch"
    later = app.sessions.start("later", workspaces=(WorkspaceHint(str(scratch), WorkspaceSource.CWD),))
    assert later.project_name == "scratch"
    assert [(c.reason, c.actor) for c in app.sessions.detail(ambiguous[0]).changes] == [
        ("bulk_assign", "user")
    ]
    assert [(c.reason, c.actor) for c in app.sessions.detail(ambiguous[1]).changes] == [
        ("explicit_assign", "user")
    ]


def test_project_page_edits_workspaces_and_merges(app: AppContext, home: Path, page: Page) -> None:
    folder = home / "svc"
    folder.mkdir()
    dup = app.projects.create("legacy-1")
    app.projects.create("acme/legacy-1")
    session = app.sessions.start("c1", project="legacy-1").display_id
    with running_http_server(app) as url:
        page.goto(f"{url}/projects/{dup.id}")
        page.locator("#add-workspace input[name=identity]").fill(str(folder))
        page.locator("#add-workspace button").click()
        page.wait_for_selector(".flash.ok")
        assert str(folder) in page.locator("#workspaces").inner_text()

        page.locator("#add-workspace select[name=kind]").select_option("repo")
        page.locator("#add-workspace input[name=identity]").fill("not a remote")
        page.locator("#add-workspace button").click()
        page.wait_for_selector(".flash.error")
        assert "not a git remote" in page.locator(".flash.error").inner_text()

        page.locator("#merge-form select[name=target]").select_option(label="acme/legacy-1")
        page.locator("#merge-form button").click()  # without the confirmation: refused
        page.wait_for_selector(".flash.error")
        assert app.sessions.get(session).project_name == "legacy-1"
        page.locator("#merge-form select[name=target]").select_option(label="acme/legacy-1")
        page.locator("#merge-form input[name=confirm]").check()
        page.locator("#merge-form button").click()
        page.wait_for_selector(".flash.ok")
        assert "merged legacy-1 into acme/legacy-1" in page.locator(".flash.ok").inner_text()
        assert str(folder) in page.locator("#workspaces").inner_text()
    assert app.sessions.get(session).project_name == "acme/legacy-1"
    assert app.integrity.check().clean


def test_the_session_page_shows_the_attribution_evidence(app: AppContext, home: Path, page: Page) -> None:
    repo = make_repo(home / "widgets", "git@github.com:acme/widgets.git")
    attributed = _start(app, "c1", repo)
    scratch = home / "tmp-notes"
    scratch.mkdir()
    unknown = _start(app, "c2", scratch)
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions/{attributed}")
        evidence = page.locator("#changes td.evidence").inner_text()
        assert f"cwd: {repo}" in evidence and "github.com/acme/widgets" in evidence
        page.goto(f"{url}/sessions/{unknown}")
        assert str(scratch) in page.locator("#workspace-note").inner_text()


def test_the_session_page_shows_the_summary_and_exact_tokens(
    app: AppContext, home: Path, page: Page, tmp_path: Path
) -> None:
    import json

    from aidis.services.caller import Caller
    from aidis.services.sessions.summaries import Summary

    repo = make_repo(home / "widgets")
    transcript = tmp_path / "t.jsonl"
    usage = {"input_tokens": 12, "output_tokens": 30, "cache_read_input_tokens": 500}
    line = {
        "type": "assistant",
        "requestId": "r1",
        "message": {"id": "m1", "model": "claude-x", "usage": usage},
    }
    transcript.write_text(json.dumps(line) + "\n")
    base = {"session_id": "cc-page", "cwd": str(repo), "transcript_path": str(transcript)}
    app.hooks.apply(
        {"id": "e1", "agent": "claude-code", "payload": {**base, "hook_event_name": "SessionStart"}}
    )
    app.hooks.apply({"id": "e2", "agent": "claude-code", "payload": {**base, "hook_event_name": "Stop"}})
    session = app.summaries.write(
        Caller("claude-code:cc-page"), Summary.check({"accomplished": "shipped", "files": ["a.py"]})
    )
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions/{session.display_id}")
        assert page.locator("#session-tokens").inner_text() == "512 in / 30 out tokens (exact)"
        assert "claude-x" in page.locator("#session-models").inner_text()
        assert "shipped" in page.locator("#session-summary").inner_text()

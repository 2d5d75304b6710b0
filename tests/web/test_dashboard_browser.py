"""The dashboard in headless Chromium, on data the test makes, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from aidis.app import AppContext
from aidis.services.caller import Caller
from tests.mcp.transports import running_http_server


@pytest.fixture
def data(app: AppContext) -> dict[str, list[str]]:
    """Two projects, four Unassigned sessions and three assigned ones."""
    app.projects.create("alpha")
    app.projects.create("beta")
    unassigned = [app.sessions.start(f"u{i}", title=f"orphan {i}").display_id for i in range(4)]
    assigned = [
        app.sessions.start(f"a{i}", project="alpha" if i % 2 else "beta").display_id for i in range(3)
    ]
    return {"unassigned": unassigned, "assigned": assigned}


def _rows(page: Page) -> list[str]:
    return page.locator("table.sessions tbody tr").evaluate_all("rows => rows.map(r => r.dataset.session)")


def test_unassigned_chip_filters_to_exactly_the_sentinel_sessions(
    app: AppContext, data: dict[str, list[str]], page: Page, tmp_path: Path
) -> None:
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions")
        chip = page.locator("#chip-unassigned")
        assert chip.locator(".count").inner_text() == "4"
        chip.click()
        page.wait_for_url("**/sessions?unassigned=1")
        assert sorted(_rows(page)) == sorted(data["unassigned"])
        assert set(page.locator("td.project").all_inner_texts()) == {"Unassigned"}
        page.screenshot(path=str(tmp_path / "sessions-unassigned.png"))


def test_bulk_assigning_unassigned_sessions_empties_the_chip(
    app: AppContext, data: dict[str, list[str]], page: Page
) -> None:
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions?unassigned=1")
        assert page.locator("#assign-button").is_disabled()
        page.locator("#select-all").check()
        page.locator("#assign-project").select_option(label="alpha")
        assert page.locator("#assign-button").inner_text() == "Assign 4"
        page.locator("#assign-button").click()
        page.wait_for_selector(".flash.ok")
        assert "Assigned 4 sessions to alpha" in page.locator(".flash.ok").inner_text()
        assert page.locator("#chip-unassigned .count").inner_text() == "0"
        assert _rows(page) == []
        page.goto(f"{url}/sessions")
        for display_id in data["unassigned"]:
            row = page.locator(f'tr[data-session="{display_id}"] td.project')
            assert row.inner_text() == "alpha"
    for display_id in data["unassigned"]:
        assert [c.reason for c in app.sessions.detail(display_id).changes] == ["bulk_assign"]


def test_assign_without_a_project_changes_nothing_and_says_why(
    app: AppContext, data: dict[str, list[str]], page: Page
) -> None:
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions?unassigned=1")
        page.locator("#select-all").check()
        page.evaluate(
            "document.getElementById('assign-button').disabled = false"
        )  # as if JavaScript were off
        page.locator("#assign-button").click()
        page.wait_for_selector(".flash.error")
        assert "choose a project" in page.locator(".flash.error").inner_text()
        assert sorted(_rows(page)) == sorted(data["unassigned"])


def test_overview_chart_renders_with_a_band_per_project(
    app: AppContext, data: dict[str, list[str]], page: Page, tmp_path: Path
) -> None:
    with running_http_server(app) as url:
        page.goto(url + "/")
        bars = page.locator("#overview-chart svg rect.bar")
        assert bars.count() >= 3
        heights = bars.evaluate_all("rs => rs.map(r => r.getBoundingClientRect().height)")
        assert all(h > 0 for h in heights)
        projects = set(bars.evaluate_all("rs => rs.map(r => r.dataset.project)"))
        assert projects == {"alpha", "beta", "Unassigned"}
        assert page.locator("#unassigned-count").inner_text() == "4"
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)


def test_agent_content_is_shown_as_text_not_run(app: AppContext, page: Page) -> None:
    stored = app.contexts.store(Caller("xss"), "<script>window.__pwned = 1</script><b>bold?</b>")
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions/{stored.session.display_id}")
        assert page.evaluate("window.__pwned") is None
        assert "<script>window.__pwned = 1</script>" in page.locator("article.context pre").inner_text()
        assert page.locator("article.context b").count() == 0


def test_session_page_shows_timeline_and_project_changes(app: AppContext, page: Page) -> None:
    app.projects.create("gamma")
    session = app.sessions.start("t1")
    app.sessions.assign(session.id, "gamma")
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions/{session.display_id}")
        assert page.locator("#session-project").inner_text() == "gamma"
        timeline = page.locator("ol.timeline").inner_text()
        assert "session started" in timeline and "moved to a project" in timeline
        assert (
            "Unassigned" in page.locator("#changes").inner_text()
            and "explicit assign" in page.locator("#changes").inner_text()
        )


def test_the_dashboard_breaks_no_rule_of_its_own_content_security_policy(
    app: AppContext, data: dict[str, list[str]], page: Page
) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    with running_http_server(app) as url:
        stored = app.contexts.store(Caller("a1", "test", "stdio"), "a decision", project="alpha")
        for path in (
            "/",
            "/sessions",
            "/sessions?unassigned=1",
            "/projects",
            "/contexts",
            f"/contexts/{stored.context.id}",
            f"/sessions/{data['assigned'][0]}",
        ):
            page.goto(url + path)
            page.wait_for_load_state("load")
    assert refused == []

"""The dashboard's details a newcomer meets, in headless Chromium on both engines: the Audit page says
why it is empty on a single-user install, an Unassigned session's own page can assign it, the Overview's
Unassigned card counts the same window as the cards beside it, the timeline reads as words, and empty
lists say what would fill them."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page

from aidis.app import AppContext
from tests.mcp.transports import running_http_server
from tests.support import FakeClock


def test_the_audit_page_says_why_it_is_empty_on_a_single_user_install(app: AppContext, page: Page) -> None:
    with running_http_server(app) as url:
        page.goto(f"{url}/audit")
        text = page.locator("#audit-none").inner_text()
    assert "team server" in text and "aidis users add" in text


def test_an_unassigned_sessions_page_assigns_it(app: AppContext, page: Page) -> None:
    app.projects.create("alpha")
    orphan = app.sessions.start("orphan", title="lost work").display_id
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions/{orphan}")
        assert "none" not in page.locator("#session-project").inner_text().lower()
        page.locator("#session-assign select").select_option("alpha")
        page.locator("#session-assign button").click()
        page.wait_for_url(f"**/sessions/{orphan}?*")
        assert page.locator("#session-assigned").inner_text() == "Assigned to alpha."
        assert page.locator("#session-project").inner_text() == "alpha"
        assert page.locator("#session-assign").count() == 0  # assigned: the form is gone
        page.locator("#changes").wait_for()
        assert "by a person" in page.locator("#changes").inner_text()
    assert app.sessions.get(orphan).project_name == "alpha"


def test_the_unassigned_card_counts_the_window_the_other_cards_count(
    app: AppContext, clock: FakeClock, page: Page
) -> None:
    old = clock.now
    clock.now = old - timedelta(days=45)
    app.sessions.start("long-ago")
    clock.now = old
    app.sessions.start("recent")
    with running_http_server(app) as url:
        page.goto(f"{url}/")
        card = page.locator("#unassigned-count").locator("..")
        assert "last 30 days" in card.inner_text()
        assert page.locator("#unassigned-count").inner_text() == "1"
        assert "2 in all" in card.inner_text()


def test_the_timeline_reads_as_words_and_empty_lists_say_what_fills_them(app: AppContext, page: Page) -> None:
    session = app.sessions.start("quiet", title="a quiet session")
    with running_http_server(app) as url:
        page.goto(f"{url}/sessions/{session.display_id}")
        timeline = page.locator("ol.timeline").inner_text()
        assert "session started" in timeline and "session_start" not in timeline
        assert "context_store" in page.locator("#contexts-none").inner_text()
        assert "aidis setup" in page.locator("#activity-none").inner_text()

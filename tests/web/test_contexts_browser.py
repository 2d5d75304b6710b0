"""The Contexts page in headless Chromium: search across projects with highlighted snippets, the full
text on click, edit as a new revision, delete only after confirming, restore; on both engines."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from aidis.app import AppContext
from aidis.services.caller import Caller
from tests.mcp.transports import running_http_server

SECRET = "AKIA" + "Z7QW3RT5YU8IOP2A"


def test_search_open_edit_delete_and_restore_a_context(app: AppContext, page: Page, tmp_path: Path) -> None:
    app.projects.create("alpha")
    app.projects.create("beta")
    app.contexts.store(
        Caller("a"), "Deploy notes\nThe cache is invalidated on every deploy.", project="alpha"
    )
    app.contexts.store(
        Caller("b"), f"Beta keys: {SECRET} <script>window.__pwned=1</script> invalidated", project="beta"
    )
    app.contexts.store(Caller("b"), "Unrelated note about fonts", project="beta")
    with running_http_server(app) as url:
        page.goto(f"{url}/contexts")
        assert page.locator("#context-hits .hit").count() == 3
        page.fill("input[name=q]", "invalidate")
        page.locator("#context-search button[type=submit]").click()
        page.wait_for_url("**/contexts?q=invalidate*")
        assert page.locator("#context-hits .hit").count() == 2  # across both projects, stemmed
        assert page.locator("#context-hits mark").first.inner_text().lower().startswith("invalidat")
        assert page.evaluate("window.__pwned") is None
        assert SECRET not in page.content() and "1 redacted" in page.content()
        page.screenshot(path=str(tmp_path / "contexts-search.png"))

        page.locator("a.hit-title", has_text="Deploy notes").click()
        page.wait_for_selector("#context-content")
        assert "invalidated on every deploy" in page.locator("#context-content").inner_text()
        page.fill("textarea[name=content]", "Deploy notes\nThe cache is warmed after every deploy.")
        page.locator("#save-button").click()
        page.wait_for_selector(".flash.ok")
        assert "revision 2" in page.locator(".flash.ok").inner_text()
        assert "warmed" in page.locator("#context-content").inner_text()
        assert "invalidated on every deploy" in page.locator("article.revision").inner_text()

        page.locator("#delete-button").click()  # not confirmed: nothing happens but a clear message
        page.wait_for_selector(".flash.error")
        assert "confirm" in page.locator(".flash.error").inner_text()
        page.locator("#delete-confirm").check()
        page.locator("#delete-button").click()
        page.wait_for_selector("#restore-button")
        page.goto(f"{url}/contexts?q=warmed")
        assert page.locator("#context-hits .hit").count() == 0
        page.go_back()
        page.locator("#restore-button").click()
        page.wait_for_selector(".flash.ok")
        page.goto(f"{url}/contexts?q=warmed")
        assert page.locator("#context-hits .hit").count() == 1
    assert {n: v for n, v in app.integrity.check().counts().items() if v} == {}


def test_the_search_ranking_can_be_chosen_and_is_named(app: AppContext, page: Page) -> None:
    app.projects.create("alpha")
    app.contexts.store(Caller("a"), "Session tokens expire after 15 minutes.", project="alpha")
    app.contexts.store(Caller("a"), "The container image shrank with a multi-stage build.", project="alpha")
    assert app.embedder.wait_idle(60)
    with running_http_server(app) as url:
        page.goto(f"{url}/contexts")
        page.fill("input[name=q]", "how long until a login becomes invalid")
        page.select_option("select[name=mode]", "keyword")
        page.locator("#context-search button[type=submit]").click()
        page.wait_for_url("**mode=keyword*")
        assert page.locator("#context-hits .hit").count() == 0
        assert "Ranked by words" in page.locator("#search-mode").inner_text()
        page.select_option("select[name=mode]", "hybrid")
        page.locator("#context-search button[type=submit]").click()
        page.wait_for_url("**mode=hybrid*")
        assert "Ranked by words and meaning" in page.locator("#search-mode").inner_text()
        first = page.locator("#context-hits .hit").first
        assert "Session tokens expire" in first.inner_text() and "semantic" in first.inner_text()
        assert page.locator("select[name=mode]").input_value() == "hybrid"

"""Attacks from a web page, run in headless Chromium against a real `aidis serve` on loopback.

A page on another loopback port (same site, other origin: cookies are sent) tries a form POST and a
fetch; a page reached through a rebound DNS name tries to read the API. Nothing may be read or moved.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from aidis.app import AppContext
from tests.mcp.transports import free_port, running_http_server
from tests.support import Database, row_counts
from tests.web.browser import CHROMIUM, LAUNCH_ARGS, require_chromium

ATTACK = """<!doctype html><html><body>
<form id="forge" method="post" action="{aidis}/sessions/assign">
  <input name="project" value="alpha"><input name="session_ids" value="{session}">
  <input name="back" value="/sessions"><input name="csrf_token" value="guessed">
</form>
<script>
window.stolen = fetch("{aidis}/api/v1/sessions", {{credentials: "include"}})
  .then(r => r.text()).then(t => "read: " + t).catch(e => "blocked: " + e);
</script></body></html>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*LAUNCH_ARGS, "--host-resolver-rules=MAP rebound.test 127.0.0.1"],
        )
        yield launched
        launched.close()


@pytest.fixture
def attacker_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static site on another loopback port; the test writes its page."""
    port = free_port()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_a_page_on_another_origin_can_neither_read_nor_move_sessions(
    app: AppContext, db: Database, browser: Browser, attacker_site: tuple[str, Path]
) -> None:
    app.projects.create("alpha")
    victim = app.sessions.start("victim", title="secret plans").display_id
    site, folder = attacker_site
    context = browser.new_context()
    page = context.new_page()
    with running_http_server(app) as aidis:
        page.goto(f"{aidis}/sessions")  # the user has the dashboard open: its cookie is in the browser
        (folder / "attack.html").write_text(ATTACK.format(aidis=aidis, session=victim))
        before = row_counts(db.engine)
        page.goto(f"{site}/attack.html")
        stolen = page.evaluate("window.stolen")
        assert stolen.startswith("blocked"), stolen
        with page.expect_navigation():
            page.evaluate("document.getElementById('forge').submit()")
        assert "cross-site request refused" in page.content()
    context.close()
    assert row_counts(db.engine) == before
    assert app.sessions.get(victim).is_unassigned


def test_a_rebound_dns_name_cannot_read_the_dashboard_or_the_api(app: AppContext, browser: Browser) -> None:
    app.sessions.start("victim", title="secret plans")
    context = browser.new_context()
    page = context.new_page()
    with running_http_server(app) as aidis:
        port = aidis.rsplit(":", 1)[1]
        for path in ("/api/v1/sessions", "/sessions", "/metrics"):
            response = page.goto(f"http://rebound.test:{port}{path}")
            assert response is not None and response.status == 421, path
            assert "secret plans" not in page.content()
        own = page.goto(f"{aidis}/sessions")
        assert own is not None and own.status == 200 and "secret plans" in page.content()
    context.close()

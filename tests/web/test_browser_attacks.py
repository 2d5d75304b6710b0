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

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from aidis.app import AppContext
from aidis.services.caller import Caller
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


FRAMING = """<!doctype html><html><body>
<iframe id="victim" src="{aidis}/contexts/{context}" width="800" height="600"></iframe>
<script>
window.framed = new Promise(resolve => {{
  const frame = document.getElementById("victim");
  frame.addEventListener("load", () => {{
    let reachable = "unknown";
    try {{ reachable = frame.contentWindow.location.href; }} catch (e) {{ reachable = "cross-origin"; }}
    resolve(reachable);
  }});
}});
</script></body></html>"""


def test_a_page_on_another_origin_cannot_frame_the_dashboard(
    app: AppContext, db: Database, browser: Browser, attacker_site: tuple[str, Path]
) -> None:
    app.projects.create("alpha")
    stored = app.contexts.store(
        Caller("victim", "test", "api"), "Decided: card captures are idempotent", project="alpha"
    )
    site, folder = attacker_site
    context = browser.new_context()
    page = context.new_page()
    with running_http_server(app) as aidis:
        direct = page.goto(f"{aidis}/contexts/{stored.context.id}")
        assert direct is not None and direct.status == 200
        assert "frame-ancestors 'none'" in direct.headers["content-security-policy"]
        assert direct.headers["x-frame-options"] == "DENY"
        (folder / "frame.html").write_text(FRAMING.format(aidis=aidis, context=stored.context.id))
        page.goto(f"{site}/frame.html")
        page.evaluate("window.framed")
        frame = next(f for f in page.frames if f != page.main_frame)
        # Chromium replaces a refused frame with an empty error document: none of the page, no Delete button.
        assert "card captures" not in frame.content()
        assert frame.query_selector("#delete-form") is None
    context.close()
    assert app.context_reads.get([stored.context.id])[0].context.deleted_at is None


def test_a_planted_cookie_and_token_pair_is_refused(
    app: AppContext, db: Database, browser: Browser, attacker_site: tuple[str, Path]
) -> None:
    """Cookies ignore ports: a page on another loopback port can set `aidis_csrf` for our host and post the
    same value as the form token. The token is an HMAC under the server's secret, so that pair fails."""
    app.projects.create("alpha")
    victim = app.sessions.start("victim").display_id
    site, folder = attacker_site
    context = browser.new_context()
    planted = "A" * 43
    context.add_cookies([{"name": "aidis_csrf", "value": planted, "url": site}])  # same host, any port
    page = context.new_page()
    with running_http_server(app) as aidis:
        (folder / "plant.html").write_text(
            ATTACK.format(aidis=aidis, session=victim).replace('value="guessed"', f'value="{planted}"')
        )
        before = row_counts(db.engine)
        page.goto(f"{site}/plant.html")
        with page.expect_navigation():
            page.evaluate("document.getElementById('forge').submit()")
        assert "403" in page.content() or "refused" in page.content() or "form token" in page.content()
        # The same pair sent by a script with our own Origin (as if the Origin check were bypassed) still fails.
        direct = httpx.post(
            f"{aidis}/sessions/assign",
            data={"project": "alpha", "session_ids": victim, "back": "/sessions", "csrf_token": planted},
            cookies={"aidis_csrf": planted},
            headers={"Origin": aidis},
        )
        assert direct.status_code == 403 and direct.json()["error"]["field"] == "csrf_token"
    context.close()
    assert row_counts(db.engine) == before
    assert app.sessions.get(victim).is_unassigned

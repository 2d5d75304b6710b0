"""Refresh docs/screenshots/ from a throwaway database filled with `aidis demo-data`'s week.

.venv/bin/python scripts/screenshots.py

One picture per dashboard page the README shows (tests/docs/test_readme_screenshots.py fails when a
page listed there has none): the overview, the Unassigned triage list with its suggestions, a session
with what its agent did, the projects, one project, the notes, usage and cost, and the audit page.
"""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from aidis.app import build_app
from aidis.config import Settings
from aidis.records import SessionFilter
from aidis.services.demo.week import seed_week
from aidis.services.operations.demo import MutableClock
from aidis.web.app import create_web_app

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PORT = 8799
DETAIL_TITLE = "Add a refund endpoint"  # a session with edits, a failing test run, a note and a summary


def main() -> None:
    """Seed the week, serve the dashboard, and photograph each page."""
    OUT.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp())
    clock = MutableClock(datetime.now(UTC))
    app = build_app(Settings(data_dir=data, log_level="WARNING"), clock=clock)
    seed_week(app, clock, data / "demo", now=clock.now)
    assert app.embedder.wait_idle(120)
    sessions, _ = app.sessions.list(SessionFilter(), limit=100)
    detail = next(s for s in sessions if (s.title or "").startswith(DETAIL_TITLE))
    server = uvicorn.Server(uvicorn.Config(create_web_app(app), port=PORT, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    pages = {
        "overview": "/",
        "sessions-unassigned": "/sessions?unassigned=1",
        "session-detail": f"/sessions/{detail.display_id}",
        "projects": "/projects",
        "project": "/projects/checkout-service",
        "contexts": "/contexts?q=customers+charged+twice",
        "usage": "/usage",
        "audit": "/audit",
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        for name, path in pages.items():
            page.goto(f"http://127.0.0.1:{PORT}{path}")
            page.screenshot(path=str(OUT / f"{name}.png"))
            print(f"wrote {OUT / f'{name}.png'}")
        browser.close()
    server.should_exit = True
    app.close()


if __name__ == "__main__":
    main()

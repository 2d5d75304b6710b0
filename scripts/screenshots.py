"""Refresh docs/screenshots/ from a throwaway database filled with `aidis demo-data`.

.venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from aidis.app import build_app
from aidis.config import Settings
from aidis.services.caller import Caller
from aidis.services.operations.demo import seed_realistic
from aidis.web.app import create_web_app

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PORT = 8799


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    app = build_app(Settings(data_dir=Path(tempfile.mkdtemp()), log_level="WARNING"))
    seed_realistic(app.engine, now=app.clock(), sessions=150, days=30)
    app.contexts.store(
        Caller("demo-detail"),  # an agent with no history: starts Unassigned, then auto-assigned
        "Decided: keep one open session per connection.\n<script>alert('shown as text')</script>",
        project="checkout-service",
    )
    detail_id = app.sessions.status("demo-detail").display_id  # type: ignore[union-attr]
    server = uvicorn.Server(uvicorn.Config(create_web_app(app), port=PORT, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    pages = {
        "overview": "/",
        "sessions-unassigned": "/sessions?unassigned=1",
        "session-detail": f"/sessions/{detail_id}",
        "projects": "/projects",
        "project": "/projects/checkout-service",
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


if __name__ == "__main__":
    main()

"""The dashboard's Usage page and the cost on the overview, project and session pages, from the three
agents' recorded sessions, over HTTP and in headless Chromium, on both engines: cost per project per day
is drawn (a bar per day and project, its value in its title), the costliest sessions, models and agents
are listed, unpriced tokens are called out by model, and an empty range says what would fill it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.sync_api import Page

from aidis.app import AppContext
from tests.agents.recorded import AGENTS, recorded, replay
from tests.mcp.transports import running_http_server
from tests.support import FakeClock

PRICES = '[models."claude-opus-4-8"]\ninput = 5\noutput = 25\ncache_write = 6.25\ncache_read = 0.5\n'


def _seed(app: AppContext, clock: FakeClock, tmp_path: Path) -> dict[str, str]:
    from aidis.services.usage.prices import PriceBook

    prices = tmp_path / "prices.toml"
    prices.write_text(PRICES)
    app.usage.prices = PriceBook.from_file(prices)
    workspace = tmp_path / "work"
    workspace.mkdir()
    app.projects.create("widgets")
    made = {}
    for agent in AGENTS:
        session = replay(app, agent, recorded(agent, workspace, tmp_path), f"page-{agent}")
        made[agent] = session.display_id
    app.sessions.assign(made["claude-code"], "widgets")
    clock.now = datetime(2026, 12, 5, 9, tzinfo=UTC)  # the recordings are of 2026-12-02
    return made


async def test_the_usage_page_and_the_cost_on_every_page(
    app: AppContext, clock: FakeClock, tmp_path: Path, http: httpx.AsyncClient
) -> None:
    made = _seed(app, clock, tmp_path)
    page = await http.get("/usage")
    assert page.status_code == 200, page.text
    text = page.text
    assert 'aria-label="Cost per project per day"' in text
    assert re.search(r'data-project="widgets"', text)
    assert all(display_id in text for display_id in made.values())
    assert 'id="unpriced"' in text and "gpt-standin" in text
    assert "$0.0113" in text  # the Claude session: 840 in, 175 out, 210 cache write, 2,800 cache read
    session = await http.get(f"/sessions/{made['claude-code']}")
    assert 'id="session-cost"' in session.text and "$0.0113" in session.text
    codex = await http.get(f"/sessions/{made['codex']}")
    assert "unpriced tokens (gpt-standin)" in codex.text
    project = await http.get("/projects/widgets")
    assert 'id="project-cost"' in project.text and "$0.0113" in project.text
    overview = await http.get("/")
    assert 'id="overview-cost"' in overview.text and "unpriced tokens" in overview.text
    assert (await http.get("/usage", params={"days": 0})).status_code == 422
    bad_zone = await http.get("/usage", params={"timezone": "Nowhere/Town"})
    assert bad_zone.status_code in (400, 422) and "time zone" in bad_zone.text


async def test_an_empty_range_says_what_would_fill_it(app: AppContext, http: httpx.AsyncClient) -> None:
    page = await http.get("/usage")
    assert page.status_code == 200 and 'id="no-usage"' in page.text and "import-history" in page.text


def test_the_usage_page_in_a_browser(app: AppContext, clock: FakeClock, tmp_path: Path, page: Page) -> None:
    _seed(app, clock, tmp_path)
    with running_http_server(app) as url:
        page.goto(f"{url}/usage")
        bars = page.locator("#usage-chart svg rect.bar")
        assert bars.count() >= 2  # widgets and Unassigned on 2026-12-02
        titles = bars.locator("title").all_text_contents()
        assert any(t.startswith("2026-12-02 · widgets: $0.0113") for t in titles), titles
        assert "gpt-standin" in page.locator("#unpriced").inner_text()
        assert page.locator("#usage-models tbody tr").count() == 3
        assert page.locator("nav a[aria-current=page]").inner_text() == "Usage"

"""Web fixtures: one headless Chromium per module (Debian's /usr/bin/chromium through Playwright)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from aidis.app import AppContext
from tests.web.browser import CHROMIUM, LAUNCH_ARGS, require_chromium
from tests.web.forms import asgi_client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for the dashboard tests (never `playwright install`)."""
    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (own cookies) and page."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
async def http(app: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    """The web app in-process on the test's database."""
    async with asgi_client(app) as client:
        yield client

"""The API reference at /api/v1/docs works offline under the dashboard's own CSP: rendered by the server
from the OpenAPI document (no CDN, no script), every operation and schema listed — over HTTP and in
headless Chromium with nothing blocked."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page

from aidis.app import AppContext
from tests.mcp.transports import running_http_server


async def test_every_operation_and_schema_of_the_document_is_listed(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/api/v1/openapi.json")).json()
    page = await http.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "cdn" not in page.text.lower() and "<script>" not in page.text  # only the dashboard's own file
    for path, item in spec["paths"].items():
        for method in item:
            assert (
                f'<code class="method method-{method}">{method.upper()}</code> <code>{path}</code>'
                in page.text
            )
    for name in spec["components"]["schemas"]:
        assert f'id="schema-{name}"' in page.text
    shapes = page.text.split('id="schema-UsageShape"')[1].split("</section>")[0]
    assert all(f"<code>{v}</code>" in shapes for v in ("daily", "weekly", "monthly", "session", "project"))


def test_the_reference_renders_in_a_browser_with_nothing_blocked(app: AppContext, page: Page) -> None:
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if message.type == "error" else None)
    page.on("requestfailed", lambda request: blocked.append(request.url))
    with running_http_server(app) as url:
        page.goto(f"{url}/")
        page.get_by_role("link", name="API").click()
        page.wait_for_url("**/api/v1/docs")
        assert page.locator("section.api-op").count() >= 15
        assert page.get_by_text("GET /api/v1/usage").first.is_visible()
        assert page.locator("#schema-UsageReportOut table tbody tr").count() >= 3
    assert blocked == []

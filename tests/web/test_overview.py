"""The Overview page tells a newcomer what to do, and its counts agree with the Projects page."""

from __future__ import annotations

import httpx

from aidis.app import AppContext


async def test_an_empty_overview_says_how_to_connect_an_agent(
    app: AppContext, http: httpx.AsyncClient
) -> None:
    empty = await http.get("/")
    assert empty.status_code == 200
    assert 'id="getting-started"' in empty.text and "aidis setup claude-code" in empty.text
    assert "aidis demo-data" in empty.text
    app.sessions.start("c1")
    busy = await http.get("/")
    assert 'id="getting-started"' not in busy.text


async def test_the_project_count_says_unassigned_is_listed_besides(
    app: AppContext, http: httpx.AsyncClient
) -> None:
    app.projects.create("alpha")
    overview = await http.get("/")
    projects = await http.get("/projects")
    assert 'id="project-count">1<' in overview.text and "plus Unassigned" in overview.text
    assert "Unassigned" in projects.text and "alpha" in projects.text


async def test_every_response_forbids_framing_and_sniffing(http: httpx.AsyncClient) -> None:
    for path in ("/", "/sessions", "/api/v1/sessions", "/static/aidis.css", "/no-such-page", "/healthz"):
        answer = await http.get(path)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert "script-src 'self'" in answer.headers["content-security-policy"], path
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] == "same-origin", path
    foreign = await http.get("/", headers={"host": "evil.example"})
    assert foreign.status_code == 421 and foreign.headers["x-frame-options"] == "DENY"

"""Token auth on /mcp, /api and the dashboard; Origin on /mcp; refusing open binds; hostile strings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import httpx2
import pytest
from mcp.client.streamable_http import streamable_http_client
from typer.testing import CliRunner

from aidis.app import AppContext, build_app
from aidis.cli.main import cli
from aidis.errors import InvalidInput
from aidis.services.caller import Caller
from aidis.services.memory.reads import ContextQuery
from aidis.web.app import create_web_app
from aidis.web.security import is_loopback, require_token_for_bind, safe_next
from mcp import Client
from tests.mcp.conftest import call
from tests.mcp.transports import running_http_server
from tests.support import FakeClock
from tests.web.forms import asgi_client, form_token

TOKEN = "s3cret-token-for-tests-0123456789"


@pytest.fixture
def secured(app: AppContext, clock: FakeClock) -> AppContext:
    settings = app.settings.model_copy(
        update={"auth_token": TOKEN, "allowed_origins": ["https://ops.example"]}
    )
    return build_app(settings, migrate=False, clock=clock)


@pytest.fixture
async def http(secured: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(secured) as client:
        yield client


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
        ("aidis.example", False),
        ("::", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_binding_beyond_loopback_needs_a_token() -> None:
    with pytest.raises(InvalidInput) as info:
        require_token_for_bind("0.0.0.0", None)
    assert info.value.field == "host" and "AIDIS_AUTH_TOKEN" in info.value.message
    require_token_for_bind("0.0.0.0", TOKEN)
    require_token_for_bind("127.0.0.1", None)
    require_token_for_bind("10.0.0.5", TOKEN, [])  # a named address is its own Host


def test_binding_every_address_needs_the_host_names_clients_use() -> None:
    with pytest.raises(InvalidInput) as info:
        require_token_for_bind("0.0.0.0", TOKEN, [])
    assert info.value.field == "allowed_hosts" and "AIDIS_ALLOWED_HOSTS" in info.value.message
    require_token_for_bind("0.0.0.0", TOKEN, ["aidis.internal"])


def test_serve_refuses_to_start_on_a_public_address_without_a_token() -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"], env={"AIDIS_AUTH_TOKEN": ""})
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0 without AIDIS_AUTH_TOKEN" in result.output


async def test_api_needs_the_bearer_token(http: httpx.AsyncClient) -> None:
    missing = await http.get("/api/v1/projects")
    assert missing.status_code == 401
    assert missing.json()["error"] == {
        "code": "unauthorized",
        "message": "missing or wrong bearer token",
        "field": "Authorization",
    }
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = await http.get("/api/v1/projects", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = await http.get("/api/v1/projects", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    post = await http.post("/api/v1/sessions/assign", json={"session_ids": ["x"], "project": "y"})
    assert post.status_code == 401


async def test_mcp_needs_the_bearer_token(http: httpx.AsyncClient) -> None:
    response = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status_code == 401


async def test_health_stays_open_and_metrics_need_the_token(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).status_code == 200
    assert (await http.get("/readyz")).status_code == 200
    closed = await http.get("/metrics")
    assert closed.status_code == 401 and closed.json()["error"]["field"] == "Authorization"
    scraped = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200 and "aidis_database_up" in scraped.text


async def test_metrics_public_opens_only_metrics(secured: AppContext) -> None:
    public = replace(secured, settings=secured.settings.model_copy(update={"metrics_public": True}))
    web = create_web_app(public, run_maintenance=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://127.0.0.1:8765"
    ) as client:
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/api/v1/projects")).status_code == 401


async def test_dashboard_login_with_the_same_token(http: httpx.AsyncClient) -> None:
    first = await http.get("/sessions?unassigned=1")
    assert (
        first.status_code == 303 and first.headers["location"] == "/login?next=%2Fsessions%3Funassigned%3D1"
    )
    csrf = await form_token(http, "/login")
    bad = await http.post("/login", data={"token": "guess", "next": "/sessions", "csrf_token": csrf})
    assert bad.status_code == 401 and "not right" in bad.text
    good = await http.post(
        "/login", data={"token": TOKEN, "next": "/sessions?unassigned=1", "csrf_token": csrf}
    )
    assert good.status_code == 303 and good.headers["location"] == "/sessions?unassigned=1"
    assert TOKEN not in good.headers["set-cookie"]
    page = await http.get("/sessions?unassigned=1")
    assert page.status_code == 200 and "Unassigned" in page.text
    await http.post("/logout", data={"csrf_token": csrf})
    assert (await http.get("/")).status_code == 303


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/sessions", "/sessions"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("sessions", "/"),
        (None, "/"),
    ],
)
def test_login_only_redirects_to_local_paths(raw: str | None, expected: str) -> None:
    assert safe_next(raw) == expected


async def test_mcp_origin_is_checked(secured: AppContext) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json, text/event-stream"}
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    with running_http_server(secured) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            evil = await http.post("/mcp", json=ping, headers={**auth, "Origin": "https://evil.example"})
            assert evil.status_code == 403 and evil.json()["error"]["field"] == "Origin"
            for origin in ("https://ops.example", url):
                allowed = await http.post("/mcp", json=ping, headers={**auth, "Origin": origin})
                assert allowed.status_code not in (401, 403), (origin, allowed.status_code, allowed.text)


async def test_mcp_over_http_with_the_token(secured: AppContext) -> None:
    with running_http_server(secured) as url:
        headers = {"Authorization": f"Bearer {TOKEN}", "X-AIDIS-Connection": "secure-agent"}
        transport = streamable_http_client(f"{url}/mcp", http_client=httpx2.AsyncClient(headers=headers))
        async with Client(transport) as client:  # type: ignore[arg-type]
            assert (await call(client, "aidis_ping"))["pong"] is True
        async with httpx.AsyncClient(base_url=url) as plain:
            assert (await plain.post("/mcp", json={})).status_code == 401


HOSTILE = [
    "'; DROP TABLE sessions; --",
    "Robert'); DELETE FROM projects WHERE ('1'='1",
    '" OR 1=1 --',
    "\\x00\\' UNION SELECT * FROM connections --",
    'NEAR("a" "b") OR content:*',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_sql_injection_strings_are_stored_verbatim(app: AppContext, text: str) -> None:
    project = app.projects.create(f"p {text}"[:200])
    stored = app.contexts.store(Caller("inj"), text, project=project.name, tags=[text[:60]])
    assert app.projects.get(project.name).name == f"p {text}"[:200]
    assert stored.context.content == text and stored.context.tags == [text[:60]]
    found = app.context_reads.search(Caller("inj"), text, ContextQuery(project=project.name))
    assert stored.context.id in [hit.id for hit in found.items]
    assert app.stats.totals()["projects"] == 1


def test_a_bad_setting_is_a_clear_error_naming_the_variable() -> None:
    result = CliRunner().invoke(cli, ["check"], env={"AIDIS_AUTH_TOKEN": "short"})
    assert result.exit_code == 2
    assert "AIDIS_AUTH_TOKEN" in result.output and "16 characters" in result.output
    assert "Traceback" not in result.output and "pydantic" not in result.output

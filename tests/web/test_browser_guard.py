"""A web page in the user's browser can neither read nor drive a local AIDIS (Host, Origin, form token)."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from aidis.app import AppContext
from aidis.web.app import create_web_app
from aidis.web.browser_guard import host_allowed, origin_of, split_host
from tests.support import Database, row_counts
from tests.web.forms import LOCAL, form_token

ROUTES = [
    "/",
    "/sessions",
    "/projects",
    "/audit",
    "/api/v1/sessions",
    "/api/v1/projects",
    "/api/v1/audit",
    "/api/v1/projects/alpha/grants",
    "/metrics",
    "/mcp",
    "/login/sso",
    "/login/sso/callback",
    "/.well-known/oauth-protected-resource",
]


@pytest.fixture
def orphans(app: AppContext) -> list[str]:
    app.projects.create("alpha")
    return [app.sessions.start(f"orphan-{i}").display_id for i in range(2)]


@pytest.mark.parametrize(
    ("header", "name"),
    [("127.0.0.1:8765", "127.0.0.1"), ("[::1]:8765", "::1"), ("Localhost", "localhost"), ("a.b", "a.b")],
)
def test_split_host_drops_the_port(header: str, name: str) -> None:
    assert split_host(header) == name


def test_host_allow_list() -> None:
    assert host_allowed("127.0.0.1:8765", [])
    assert host_allowed("localhost:1", [])
    assert not host_allowed("evil.example:8765", [])
    assert not host_allowed("", [])
    assert host_allowed("aidis.internal:8765", ["aidis.internal"])
    assert host_allowed("anything", ["*"])
    assert origin_of("null") is None and origin_of("http://a:1/x?y") == "http://a:1"


@pytest.mark.parametrize("path", ROUTES)
async def test_a_foreign_host_is_refused_on_every_route(
    http: httpx.AsyncClient, orphans: list[str], path: str
) -> None:
    response = await http.get(path, headers={"Host": "evil.example:8765"})
    assert response.status_code == 421
    assert response.json()["error"]["code"] == "host_not_allowed"
    assert response.json()["error"]["field"] == "Host"
    assert orphans[0] not in response.text


async def test_allowed_hosts_setting_admits_a_named_host(app: AppContext) -> None:
    from dataclasses import replace

    named = replace(app, settings=app.settings.model_copy(update={"allowed_hosts": ["aidis.internal"]}))
    web = create_web_app(named, run_maintenance=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://aidis.internal:8765"
    ) as client:
        assert (await client.get("/api/v1/sessions")).status_code == 200
        assert (await client.get("/api/v1/sessions", headers={"Host": "evil.example"})).status_code == 421


async def test_a_cross_site_form_post_is_refused_and_moves_nothing(
    http: httpx.AsyncClient, db: Database, app: AppContext, orphans: list[str]
) -> None:
    before = row_counts(db.engine)
    token = await form_token(http, "/sessions")
    form = {"project": "alpha", "session_ids": orphans, "back": "/sessions", "csrf_token": token}
    evil = await http.post("/sessions/assign", data=form, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403 and evil.json()["error"]["field"] == "Origin"
    other_port = await http.post("/sessions/assign", data=form, headers={"Origin": "http://127.0.0.1:9999"})
    assert other_port.status_code == 403
    by_referer = await http.post(
        "/sessions/assign", data=form, headers={"Referer": "http://evil.example/page.html"}
    )
    assert by_referer.status_code == 403
    no_token = await http.post(
        "/sessions/assign", data={**form, "csrf_token": "guessed"}, headers={"Origin": LOCAL}
    )
    assert no_token.status_code == 403 and no_token.json()["error"]["field"] == "csrf_token"
    assert row_counts(db.engine) == before
    assert all(app.sessions.get(ref).is_unassigned for ref in orphans)


async def test_the_dashboard_form_with_its_token_still_works(
    http: httpx.AsyncClient, app: AppContext, orphans: list[str]
) -> None:
    token = await form_token(http, "/sessions?unassigned=1")
    form = {"project": "alpha", "session_ids": orphans, "back": "/sessions", "csrf_token": token}
    done = await http.post("/sessions/assign", data=form, headers={"Origin": LOCAL})
    assert done.status_code == 303 and "assigned=2" in done.headers["location"]
    assert {app.sessions.get(ref).project_display_name for ref in orphans} == {"alpha"}


async def test_json_endpoints_take_only_json(
    http: httpx.AsyncClient, db: Database, orphans: list[str]
) -> None:
    before = row_counts(db.engine)
    body = json.dumps({"session_ids": [orphans[0]], "project": "alpha"})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""):
        response = await http.post(
            "/api/v1/sessions/assign", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 415, content_type
        assert response.json()["error"]["field"] == "Content-Type"
    assert row_counts(db.engine) == before
    ok = await http.post(
        "/api/v1/sessions/assign", content=body, headers={"Content-Type": "application/json"}
    )
    assert ok.status_code == 200


HOSTS = st.sampled_from(["127.0.0.1:8765", "localhost:8765", "evil.example", "127.0.0.1.evil.example", ""])
ORIGINS = st.sampled_from(
    [None, "http://127.0.0.1:8765", "http://evil.example", "null", "http://127.0.0.1:9999", "file://"]
)
TYPES = st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)


def test_fuzzed_headers_never_change_anything_unless_every_check_passes(
    app: AppContext, db: Database, orphans: list[str]
) -> None:
    client = TestClient(create_web_app(app, run_maintenance=False), base_url=LOCAL)
    statuses: set[int] = set()

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(host=HOSTS, origin=ORIGINS, referer=ORIGINS, content_type=TYPES, form=st.booleans())
    # one of each refusal always, whatever the random draw (80 draws need not hit every one)
    @example(host="evil.example", origin=None, referer=None, content_type="application/json", form=False)
    @example(
        host="127.0.0.1:8765",
        origin="http://evil.example",
        referer=None,
        content_type="application/json",
        form=False,
    )
    @example(host="127.0.0.1:8765", origin=None, referer=None, content_type="text/plain", form=False)
    def attempt(
        host: str, origin: str | None, referer: str | None, content_type: str | None, form: bool
    ) -> None:
        headers = {"Host": host}
        for name, value in (("Origin", origin), ("Referer", referer), ("Content-Type", content_type)):
            if value is not None:
                headers[name] = value
        before = row_counts(db.engine)
        project_before = app.sessions.get(orphans[0]).project_id
        if form:  # a forged token: the cookie is never sent by this client
            body = f"project=alpha&session_ids={orphans[0]}&csrf_token=forged"
            response = client.post("/sessions/assign", content=body, headers=headers)
        else:
            body = json.dumps({"session_ids": [orphans[0]], "project": "alpha"})
            response = client.post("/api/v1/sessions/assign", content=body, headers=headers)
        statuses.add(response.status_code)
        assert response.status_code < 500
        legit_host = host.startswith(("127.0.0.1:", "localhost:"))
        legit_origin = origin in (None, LOCAL) and (origin is not None or referer in (None, LOCAL))
        if form or not legit_host or not legit_origin or content_type != "application/json":
            assert 400 <= response.status_code < 500, (headers, response.status_code)
            assert row_counts(db.engine) == before
            assert app.sessions.get(orphans[0]).project_id == project_before

    attempt()
    assert {403, 415, 421} <= statuses

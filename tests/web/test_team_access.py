"""A team server over HTTP: once users exist every route needs a credential, a person's token (or
their signed sign-in) decides what they see, a token never travels in a URL, repeated bad tokens are
slowed down, /metrics is for admins, and two people behind the same connection id never share a session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select

from aidis.app import AppContext
from aidis.db.schema import sessions, users
from aidis.services.caller import Caller
from mcp import Client
from tests.mcp.conftest import call, call_error
from tests.mcp.transports import running_http_server
from tests.web.forms import asgi_client, form_token

AGENT = Caller(connection_id="setup-agent")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _mangled(token: str) -> str:
    """The same token with its last character changed (a well-formed but unknown token)."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.fixture
def team(app: AppContext) -> dict[str, str]:
    """alpha (ada writes, bob reads), beta (bob writes), gamma (nobody); root is a server admin."""
    for name in ("alpha", "beta", "gamma"):
        app.projects.create(name)
        app.contexts.store(AGENT, f"the {name} deploy runs on fridays", project=name)
    app.team.add_user("ada")
    app.team.add_user("bob")
    app.team.add_user("root", admin=True)
    app.team.grant("alpha", "write", user="ada")
    app.team.grant("alpha", "read", user="bob")
    app.team.grant("beta", "write", user="bob")
    return {name: app.team.create_token(name)[1] for name in ("ada", "bob", "root")}


@pytest.fixture
async def http(app: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


async def test_without_users_loopback_needs_no_token(http: httpx.AsyncClient, app: AppContext) -> None:
    app.projects.create("solo")
    assert (await http.get("/api/v1/projects")).status_code == 200
    assert (await http.get("/")).status_code == 200


async def test_once_users_exist_every_route_needs_a_credential(
    http: httpx.AsyncClient, team: dict[str, str]
) -> None:
    refused = await http.get("/api/v1/projects")
    assert refused.status_code == 401 and refused.json()["error"]["field"] == "Authorization"
    assert refused.headers["www-authenticate"].startswith("Bearer")
    page = await http.get("/sessions")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert (await http.get("/healthz")).status_code == 200
    wrong = await http.get("/api/v1/projects", headers=_bearer(_mangled(team["ada"])))
    assert wrong.status_code == 401 and "token" in wrong.json()["error"]["message"]


async def test_a_person_sees_only_granted_projects(http: httpx.AsyncClient, team: dict[str, str]) -> None:
    names = {
        p["name"] for p in (await http.get("/api/v1/projects", headers=_bearer(team["ada"]))).json()["items"]
    }
    assert names == {"alpha", "Unassigned"}  # Unassigned: their own unattributed sessions only
    bob = {
        p["name"] for p in (await http.get("/api/v1/projects", headers=_bearer(team["bob"]))).json()["items"]
    }
    assert bob == {"alpha", "beta", "Unassigned"}
    root = {
        p["name"] for p in (await http.get("/api/v1/projects", headers=_bearer(team["root"]))).json()["items"]
    }
    assert {"alpha", "beta", "gamma"} <= root
    hidden = await http.get("/api/v1/projects/gamma", headers=_bearer(team["ada"]))
    assert hidden.status_code == 404
    everywhere = {"q": "deploy", "all_projects": "true", "mode": "keyword"}
    found = await http.get("/api/v1/contexts", params=everywhere, headers=_bearer(team["ada"]))
    assert found.status_code == 200
    assert {item["project"] for item in found.json()["items"]} == {"alpha"}
    asked = await http.get(
        "/api/v1/contexts", params={"q": "deploy", "project": "gamma"}, headers=_bearer(team["ada"])
    )
    assert asked.status_code == 404 and "gamma" in asked.json()["error"]["message"]


async def test_a_token_in_the_query_string_is_refused(http: httpx.AsyncClient, team: dict[str, str]) -> None:
    for query in ({"access_token": team["ada"]}, {"token": team["ada"]}):
        refused = await http.get("/api/v1/projects", params=query)
        assert refused.status_code == 401
        assert "query string" in refused.json()["error"]["message"]


async def test_repeated_bad_tokens_are_answered_429(http: httpx.AsyncClient, team: dict[str, str]) -> None:
    bad = _bearer("aidis_pat_" + "Q" * 12 + "_" + "z" * 40)
    statuses = [(await http.get("/api/v1/projects", headers=bad)).status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    slowed = await http.get("/api/v1/projects", headers=bad)
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) > 0


async def test_metrics_are_for_server_admins(http: httpx.AsyncClient, team: dict[str, str]) -> None:
    assert (await http.get("/metrics", headers=_bearer(team["ada"]))).status_code == 403
    assert (await http.get("/metrics", headers=_bearer(team["root"]))).status_code == 200


async def test_sign_in_with_a_personal_token_ends_when_the_user_is_disabled(
    http: httpx.AsyncClient, app: AppContext, team: dict[str, str]
) -> None:
    csrf = await form_token(http, "/login")
    signed = await http.post("/login", data={"token": team["ada"], "next": "/projects", "csrf_token": csrf})
    assert signed.status_code == 303 and signed.headers["location"] == "/projects"
    assert "aidis_session" in http.cookies and team["ada"] not in str(http.cookies)
    listing = await http.get("/projects")
    assert listing.status_code == 200 and "alpha" in listing.text and "gamma" not in listing.text
    app.team.set_disabled("ada", True)
    after = await http.get("/projects")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


async def test_a_bad_sign_in_says_so_and_sets_no_cookie(
    http: httpx.AsyncClient, team: dict[str, str]
) -> None:
    csrf = await form_token(http, "/login")
    refused = await http.post("/login", data={"token": _mangled(team["ada"]), "csrf_token": csrf})
    assert refused.status_code == 401 and "unknown token" in refused.text
    assert "aidis_session" not in http.cookies


async def test_two_people_behind_one_connection_id_get_separate_sessions(
    app: AppContext, team: dict[str, str]
) -> None:
    with running_http_server(app) as url:
        for person, project in (("ada", "alpha"), ("bob", "beta")):
            headers = {**_bearer(team[person]), "X-AIDIS-Connection": "shared-laptop"}
            transport = streamable_http_client(f"{url}/mcp", http_client=httpx2.AsyncClient(headers=headers))
            async with Client(transport) as client:  # type: ignore[arg-type]
                if person == "bob":  # bob only reads alpha: no session of his goes there
                    refused = await call_error(client, "session_new", {"project": "alpha"})
                    assert "alpha" in refused and "write" in refused
                await call(client, "session_new", {"project": project})
        async with httpx.AsyncClient(base_url=url) as plain:
            assert (await plain.post("/mcp", json={})).status_code == 401
    with app.engine.connect() as conn:
        people = dict(conn.execute(select(users.c.name, users.c.id)).all())
        laptop = conn.execute(
            select(sessions.c.user_id, sessions.c.connection_id).where(
                sessions.c.connection_id.contains("shared-laptop")
            )
        ).all()
    assert sorted(str(row.user_id) for row in laptop) == sorted(str(people[p]) for p in ("ada", "bob"))
    assert len({row.connection_id for row in laptop}) == 2


async def test_the_audit_trail_shows_admins_who_read_what_and_nobody_else(
    http: httpx.AsyncClient, team: dict[str, str]
) -> None:
    searched = await http.get(
        "/api/v1/contexts", params={"q": "deploy", "project": "alpha"}, headers=_bearer(team["ada"])
    )
    assert searched.status_code == 200 and len(searched.json()["items"]) == 1
    hit = searched.json()["items"][0]["id"]
    refused = await http.get("/api/v1/audit", headers=_bearer(team["ada"]))
    assert refused.status_code == 403 and "server admins" in refused.json()["error"]["message"]
    trail = await http.get("/api/v1/audit", params={"user": "ada"}, headers=_bearer(team["root"]))
    assert trail.status_code == 200
    reads = [e for e in trail.json()["items"] if e["kind"] == "read"]
    assert reads and reads[0]["user"] == "ada" and reads[0]["surface"] == "api"
    assert hit in reads[0]["target_ids"] and "deploy" not in str(trail.json())
    page = await http.get("/audit", params={"user": "ada"}, headers=_bearer(team["root"]))
    assert page.status_code == 200 and "ada" in page.text and "GET /api/v1/contexts" in page.text
    assert "deploy runs" not in page.text
    denied_page = await http.get("/audit", headers=_bearer(team["ada"]))
    assert denied_page.status_code == 403


async def test_a_persons_hooks_land_in_their_own_sessions(
    http: httpx.AsyncClient, app: AppContext, team: dict[str, str], tmp_path: Path
) -> None:
    body = {
        "session_id": "cc-team",
        "cwd": str(tmp_path),
        "hook_event_name": "SessionStart",
        "source": "startup",
    }
    assert (await http.post("/hooks/claude-code", json=body)).status_code == 401
    started = await http.post("/hooks/claude-code", json=body, headers=_bearer(team["bob"]))
    assert started.status_code == 200, started.text
    with app.engine.connect() as conn:
        bob = conn.execute(select(users.c.id).where(users.c.name == "bob")).scalar_one()
        owned = conn.execute(
            select(sessions.c.id, sessions.c.user_id).where(sessions.c.connection_id.contains("cc-team"))
        ).all()
    assert [str(row.user_id) for row in owned] == [str(bob)]
    session_id = str(owned[0].id)
    listed = {}
    for person in ("ada", "bob"):
        page = await http.get(
            "/api/v1/sessions", params={"unassigned": "true"}, headers=_bearer(team[person])
        )
        listed[person] = {item["id"] for item in page.json()["items"]}
    assert session_id in listed["bob"] and session_id not in listed["ada"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # auto: protocol 2026-07-28 (no protocol session)
async def test_two_people_without_a_connection_header_never_share_a_session(
    app: AppContext, team: dict[str, str], mode: str
) -> None:
    def client(url: str, person: str) -> Client:
        http = httpx2.AsyncClient(headers=_bearer(team[person]), timeout=30)
        return Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode)  # type: ignore[arg-type]

    with running_http_server(app) as url:
        async with client(url, "ada") as ada, client(url, "bob") as bob:
            mine = await call(ada, "session_new", {"project": "alpha"})
            assert (await call(bob, "session_status"))["session"] is None
            his = await call(bob, "session_new", {"project": "beta"})
            handle = mine["session_handle"]  # a 2026-07-28 client keeps its session through it
            again = await call(ada, "session_status", {"session_handle": handle} if handle else {})
            # without a handle either, two people's calls land on two connections
            await call(ada, "context_store", {"content": "ada: alpha deploys on mondays", "project": "alpha"})
            await call(bob, "context_store", {"content": "bob: beta deploys on tuesdays", "project": "beta"})
            ada_now = await call(ada, "session_status")
            bob_now = await call(bob, "session_status")
    assert again["session"]["id"] == mine["session"]["id"] != his["session"]["id"]
    assert (handle is not None) == (mode == "auto")
    assert ada_now["session"]["id"] != bob_now["session"]["id"]


async def test_notes_over_the_api_follow_each_persons_grants(
    http: httpx.AsyncClient, app: AppContext, team: dict[str, str]
) -> None:
    from tests.support import row_counts

    reader = app.team.create_token("bob", role="read")[1]
    before = row_counts(app.engine)
    for token, project in ((reader, "beta"), (team["bob"], "alpha"), (team["ada"], "gamma")):
        refused = await http.post(
            "/api/v1/contexts", json={"content": "planted", "project": project}, headers=_bearer(token)
        )
        assert refused.status_code in (403, 404), refused.text  # read-only, read grant, or not visible
    assert row_counts(app.engine) == before
    ada = await http.post(
        "/api/v1/contexts",
        json={"content": "alpha ships on monday", "project": "alpha"},
        headers=_bearer(team["ada"]),
    )
    bob = await http.post(
        "/api/v1/contexts",
        json={"content": "beta ships on monday", "project": "beta"},
        headers=_bearer(team["bob"]),
    )
    assert ada.status_code == bob.status_code == 201
    owners = {app.sessions.get(r.json()["session"]).user_id for r in (ada, bob)}
    assert len(owners) == 2 and None not in owners  # each note on its own person's session

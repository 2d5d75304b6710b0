"""What a team server must not tell one person about another, tried over HTTP as an attacker would:
another person's Unassigned activity never shows in a search's `touched_by`; a session one may not see
answers a filter exactly as a missing one (no oracle of ids); refusals on dashboard forms and probes for
hidden ids are on the audit trail; reads batched for the trail survive the server's SIGTERM; a protocol
session at /mcp answers only its person; a stranger's bad tries never lock out a valid token; a
query-string token is refused even beside a bearer; display ids say nothing of others' volume."""

from __future__ import annotations

import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from aidis.app import AppContext
from aidis.db.schema import audit_log
from aidis.records import SessionFilter
from aidis.services.caller import Caller
from tests.agents.recorded import recorded
from tests.faults.helpers import aidis_server
from tests.support import Database
from tests.web.forms import asgi_client

AGENT = Caller(connection_id="setup-agent")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def team(app: AppContext) -> dict[str, str]:
    """alice writes alpha, bob writes beta, root is a server admin."""
    for name in ("alpha", "beta"):
        app.projects.create(name)
        app.contexts.store(AGENT, f"the {name} release train leaves on thursdays", project=name)
    for person in ("alice", "bob"):
        app.team.add_user(person)
    app.team.add_user("root", admin=True)
    app.team.grant("alpha", "write", user="alice")
    app.team.grant("beta", "write", user="bob")
    return {name: app.team.create_token(name)[1] for name in ("alice", "bob", "root")}


@pytest.fixture
async def http(app: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


def _audit(app: AppContext, user: str) -> list[tuple[str, str, str]]:
    app.audit.flush()
    with app.engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.user_name == user).order_by(audit_log.c.id))
        return [(r.kind, r.action, r.outcome) for r in rows]


async def test_another_persons_unassigned_activity_never_shows_in_touched_by(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str], tmp_path: Path
) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "alice_private_plan.md").write_text("plan")
    for payload in recorded("claude-code", loose, tmp_path):  # alice's agent, in a folder of no project
        if payload["hook_event_name"] in ("SessionStart", "PostToolUse"):
            payload = {**payload, "session_id": "cc-alice"}
            if payload["hook_event_name"] == "PostToolUse":
                payload["tool_input"] = {"file_path": str(loose / "alice_private_plan.md")}
            sent = await http.post("/hooks/claude-code", json=payload, headers=_bearer(team["alice"]))
            assert sent.status_code == 200, sent.text
    for person, shown in (("alice", True), ("bob", False)):
        found = await http.get(
            "/api/v1/contexts", params={"q": "alice_private_plan.md"}, headers=_bearer(team[person])
        )
        assert found.status_code == 200, found.text
        touched = found.json()["touched_by"]
        assert bool(touched) is shown, (person, touched)
        assert all("alice_private_plan.md" in t["path"] for t in touched)


async def test_a_session_you_may_not_see_answers_a_filter_as_a_missing_one(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str]
) -> None:
    alices = await http.post(
        "/hooks/claude-code",
        json={"session_id": "cc-a", "cwd": "/", "hook_event_name": "SessionStart", "source": "startup"},
        headers=_bearer(team["alice"]),
    )
    assert alices.status_code == 200
    hidden = app.sessions.list(SessionFilter())[0][0].id
    answers = {}
    for ref in (str(hidden), "0b7d3c52-9c1e-4a55-8f00-000000000000"):
        api = await http.get("/api/v1/contexts", params={"session": ref}, headers=_bearer(team["bob"]))
        page = await http.get("/contexts", params={"session": ref}, headers=_bearer(team["bob"]))
        answers[ref] = (api.status_code, api.json()["error"]["code"], page.status_code)
    assert list(answers.values()) == [(404, "not_found", 404)] * 2, answers
    denied = [entry for entry in _audit(app, "bob") if entry[0] == "denied"]
    assert len(denied) == 4 and {d[2] for d in denied} == {"not_found"}  # each probe is on the trail


async def test_a_refused_dashboard_form_is_on_the_audit_trail(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str]
) -> None:
    from tests.web.forms import form_token

    http.headers.update(_bearer(team["bob"]))
    csrf = await form_token(http, "/projects/beta")
    sent = await http.post(
        "/projects/beta/workspaces",
        data={"action": "add", "kind": "repo", "identity": "github.com/acme/beta-app", "csrf_token": csrf},
    )
    assert sent.status_code == 303 and "error=" in sent.headers["location"]  # bob writes, not administers
    assert ("denied", "POST /projects/beta/workspaces", "forbidden") in _audit(app, "bob")


async def test_the_session_page_is_a_read_on_the_trail(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str]
) -> None:
    session = app.contexts.store(
        Caller(connection_id="beta-agent"), "beta canary is 10 %", project="beta"
    ).session
    assert (await http.get(f"/sessions/{session.id}", headers=_bearer(team["bob"]))).status_code == 200
    assert (await http.get(f"/api/v1/sessions/{session.id}", headers=_bearer(team["bob"]))).status_code == 200
    activity = await http.get(f"/api/v1/sessions/{session.id}/activity", headers=_bearer(team["bob"]))
    assert activity.status_code == 200
    reads = [entry for entry in _audit(app, "bob") if entry[0] == "read"]
    assert (f"GET /api/v1/sessions/{session.id}/activity")[:64] in {r[1] for r in reads}
    assert (f"GET /sessions/{session.id}")[:64] in {r[1] for r in reads}
    assert (f"GET /api/v1/sessions/{session.id}")[:64] in {r[1] for r in reads}


async def test_a_protocol_session_answers_only_the_person_who_opened_it(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str]
) -> None:
    from tests.mcp.transports import running_http_server

    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    with running_http_server(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            opened = await client.post("/mcp", json=init, headers={**accept, **_bearer(team["alice"])})
            assert opened.status_code == 200, opened.text
            sid = opened.headers["mcp-session-id"]
            as_bob = {**accept, **_bearer(team["bob"]), "mcp-session-id": sid}
            unknown = {**accept, **_bearer(team["bob"]), "mcp-session-id": "f" * 32}
            ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
            his = await client.post("/mcp", json=ping, headers=as_bob)
            nobodys = await client.post("/mcp", json=ping, headers=unknown)
            assert (
                (his.status_code, his.text)
                == (nobodys.status_code, nobodys.text)
                == (
                    404,
                    nobodys.text,
                )
            )
            ended = await client.delete("/mcp", headers=as_bob)
            assert ended.status_code == 404
            still = await client.post(
                "/mcp", json=ping, headers={**accept, **_bearer(team["alice"]), "mcp-session-id": sid}
            )
            assert still.status_code == 200, still.text  # her session lives on


async def test_a_strangers_bad_tries_never_lock_out_a_valid_token(
    app: AppContext, team: dict[str, str]
) -> None:
    from aidis.web.app import create_web_app

    web = create_web_app(app, run_maintenance=False)
    public_part = team["alice"].rsplit("_", 1)[0]
    forged = _bearer(f"{public_part}_{'x' * 40}")  # alice's public token id, a wrong secret
    stranger = httpx.ASGITransport(app=web, client=("10.9.9.9", 5555))
    owner = httpx.ASGITransport(app=web, client=("10.1.1.1", 4444))
    async with (
        httpx.AsyncClient(transport=stranger, base_url="http://127.0.0.1:8765") as bad,
        httpx.AsyncClient(transport=owner, base_url="http://127.0.0.1:8765") as good,
    ):
        statuses = [(await bad.get("/api/v1/projects", headers=forged)).status_code for _ in range(12)]
        assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
        mine = await good.get("/api/v1/projects", headers=_bearer(team["alice"]))
        assert mine.status_code == 200  # from her own address: never locked out by his tries
        same_address = await bad.get("/api/v1/projects", headers=_bearer(team["alice"]))
        assert same_address.status_code == 200  # even from his: a valid token passes


async def test_a_query_string_token_is_refused_even_beside_a_bearer(
    http: httpx.AsyncClient, team: dict[str, str]
) -> None:
    refused = await http.get(
        "/api/v1/projects", params={"access_token": team["bob"]}, headers=_bearer(team["alice"])
    )
    assert refused.status_code == 401 and "query string" in refused.json()["error"]["message"]


async def test_display_ids_on_a_team_server_reveal_no_count(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str]
) -> None:
    shown = []
    for n in range(3):
        sent = await http.post(
            "/hooks/claude-code",
            json={
                "session_id": f"cc-{n}",
                "cwd": "/",
                "hook_event_name": "SessionStart",
                "source": "startup",
            },
            headers=_bearer(team["bob"]),
        )
        assert sent.status_code == 200
    shown = [s.display_id for s in app.sessions.list(SessionFilter(agent_type="claude-code"))[0]]
    assert len(shown) == 3 and len(set(shown)) == 3
    assert all(re.fullmatch(r"SES-\d{4}-[A-HJ-NP-Z2-9]{10}", d) for d in shown), shown
    single = app.sessions.start("no-team-request")  # the command line acts for nobody: numbered
    assert re.fullmatch(r"SES-\d{4}-\d{5}", single.display_id)


def test_reads_batched_for_the_trail_survive_sigterm(db: Database, tmp_path: Path, app: AppContext) -> None:
    app.projects.create("alpha")
    app.contexts.store(AGENT, "alpha backups run nightly to cold storage", project="alpha")
    app.team.add_user("alice")
    app.team.grant("alpha", "read", user="alice")
    token = app.team.create_token("alice", expires_in=None)[1]  # the server runs on the real clock
    for attempt in range(3):  # each time the server is stopped the moment after the read
        with aidis_server(db.url, tmp_path / "serve.log", AIDIS_DATA_DIR=str(tmp_path / "data")) as (
            url,
            proc,
        ):
            found = httpx.get(
                f"{url}/api/v1/contexts",
                params={"q": "backups", "project": "alpha"},
                headers=_bearer(token),
                timeout=30,
            )
            assert found.status_code == 200, found.text
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        with app.engine.connect() as conn:
            reads = conn.execute(
                select(audit_log.c.id).where(audit_log.c.user_name == "alice", audit_log.c.kind == "read")
            ).all()
        assert len(reads) == attempt + 1, f"run {attempt}: {len(reads)} reads on the trail"

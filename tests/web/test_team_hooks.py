"""Hooks on a team server, tried as an attacker would through `POST /hooks/<agent>`: a person's hook
events act for that person exactly as their MCP calls do — their own namespace of agent sessions, the
same grants, the same audit. Another person's agent session id reaches nothing of theirs (the answer is
the one a never-used id gets), a read-only token writes nothing, and every event is on the trail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from aidis.app import AppContext
from aidis.db.schema import audit_log, session_activity, session_usage, sessions, users
from aidis.services.caller import Caller
from tests.agents.recorded import recorded
from tests.support import row_counts
from tests.web.forms import asgi_client

AGENT = Caller(connection_id="setup-agent")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    made = {name: tmp_path / name for name in ("alpha", "beta", "loose")}
    for folder in made.values():
        folder.mkdir()
    return made


@pytest.fixture
def team(app: AppContext, folders: dict[str, Path]) -> dict[str, str]:
    """alice writes alpha, bob writes beta, rita only reads beta; gamma is nobody's. Tokens by name
    (`bob-read`: bob's read-only token)."""
    for name in ("alpha", "beta", "gamma"):
        app.projects.create(name, roots=[str(folders[name])] if name in folders else [])
    for person in ("alice", "bob", "rita"):
        app.team.add_user(person)
    app.team.grant("alpha", "write", user="alice")
    app.team.grant("beta", "write", user="bob")
    app.team.grant("beta", "read", user="rita")
    tokens = {name: app.team.create_token(name)[1] for name in ("alice", "bob", "rita")}
    tokens["bob-read"] = app.team.create_token("bob", role="read")[1]
    return tokens


@pytest.fixture
async def http(app: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


def _events(workspace: Path, home: Path) -> dict[str, dict[str, Any]]:
    """The recorded Claude Code events by name (the first of each), pointing at `workspace`."""
    found: dict[str, dict[str, Any]] = {}
    for payload in recorded("claude-code", workspace, home):
        found.setdefault(str(payload["hook_event_name"]), payload)
    return found


async def _post(
    http: httpx.AsyncClient, token: str, payload: dict[str, Any], session_id: str
) -> httpx.Response:
    return await http.post(
        "/hooks/claude-code", json={**payload, "session_id": session_id}, headers=_bearer(token)
    )


def _sessions_of(app: AppContext, agent_session_id: str) -> list[Any]:
    with app.engine.connect() as conn:
        return list(
            conn.execute(
                select(sessions, users.c.name.label("owner"))
                .join(users, users.c.id == sessions.c.user_id)
                .where(sessions.c.connection_id.endswith(f"claude-code:{agent_session_id}"))
                .order_by(sessions.c.started_at)
            ).all()
        )


def _activity_of(app: AppContext, session_id: Any) -> int:
    with app.engine.connect() as conn:
        return len(
            conn.execute(
                select(session_activity.c.id).where(session_activity.c.session_id == session_id)
            ).all()
        )


async def test_another_persons_agent_session_id_reaches_only_your_own_connection(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str], folders: dict[str, Path], tmp_path: Path
) -> None:
    events = _events(folders["alpha"], tmp_path)
    started = await _post(http, team["alice"], events["SessionStart"], "cc-alice")
    assert started.status_code == 200, started.text
    [hers] = _sessions_of(app, "cc-alice")
    assert hers.owner == "alice" and hers.status == "active"
    answers = {}
    for victim in ("cc-alice", "cc-never-used"):  # bob, with alice's id and with an id nobody used
        answers[victim] = [
            (r.status_code, r.json())
            for r in [
                await _post(http, team["bob"], events[name], victim)
                for name in ("PostToolUse", "Stop", "SessionEnd")
            ]
        ]
    assert answers["cc-alice"] == answers["cc-never-used"]  # nothing tells the two apart
    mine = _sessions_of(app, "cc-alice")
    still = next(s for s in mine if s.owner == "alice")
    assert still.status == "active" and still.ended_at is None
    assert still.input_tokens == hers.input_tokens and still.output_tokens == hers.output_tokens
    assert _activity_of(app, still.id) == 0  # bob's tool event landed in a session of his own
    bobs = [s for s in mine if s.owner == "bob"]
    assert len(bobs) == 1 and bobs[0].status == "ended"
    assert str(bobs[0].project_id) != str(still.project_id)  # alpha is not his to file into


async def test_claiming_an_agent_session_id_first_takes_nothing_from_its_owner(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str], folders: dict[str, Path], tmp_path: Path
) -> None:
    events = _events(folders["alpha"], tmp_path)
    assert (await _post(http, team["bob"], events["SessionStart"], "cc-claimed")).status_code == 200
    started = await _post(http, team["alice"], events["SessionStart"], "cc-claimed")
    assert started.status_code == 200, started.text  # not 409: bob's claim is not in her way
    assert (await _post(http, team["alice"], events["PostToolUse"], "cc-claimed")).status_code == 200
    by_owner = {s.owner: s for s in _sessions_of(app, "cc-claimed")}
    assert set(by_owner) == {"alice", "bob"}
    assert _activity_of(app, by_owner["alice"].id) == 1 and _activity_of(app, by_owner["bob"].id) == 0
    listed = await http.get(f"/api/v1/sessions/{by_owner['alice'].id}/activity", headers=_bearer(team["bob"]))
    assert listed.status_code == 404  # bob reads none of her commands or file paths


async def test_a_read_only_token_records_nothing_through_hooks(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str], folders: dict[str, Path], tmp_path: Path
) -> None:
    events = _events(folders["beta"], tmp_path)
    assert (await _post(http, team["bob"], events["SessionStart"], "cc-bob")).status_code == 200
    for token in ("bob-read", "rita"):  # a read-only token; a person who may only read beta
        before = row_counts(app.engine)
        for name in ("SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "SessionEnd"):
            for session_id in ("cc-bob", f"cc-{token}"):
                refused = await _post(http, team[token], events[name], session_id)
                if token == "bob-read":
                    assert refused.status_code == 403, (name, refused.text)
                    error = refused.json()["error"]
                    assert error["field"] == "token" and "read" in error["message"], error
        after = row_counts(app.engine)
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t] and t != "audit_log"}
        if token == "bob-read":
            assert changed == {}, changed
    [bobs] = [s for s in _sessions_of(app, "cc-bob") if s.owner == "bob"]
    assert bobs.status == "active" and _activity_of(app, bobs.id) == 0
    ritas = _sessions_of(app, "cc-rita")  # rita may write her own Unassigned sessions, never beta
    assert ritas and all(str(s.project_id) != str(app.projects.get("beta").id) for s in ritas)


async def test_every_hook_event_is_on_the_audit_trail_naming_its_person(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str], folders: dict[str, Path], tmp_path: Path
) -> None:
    app.contexts.store(AGENT, "beta deploys need a green canary first", project="beta")
    events = _events(folders["beta"], tmp_path)
    names = ("SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "SessionEnd")
    for name in names:
        assert (await _post(http, team["bob"], events[name], "cc-audited")).status_code == 200
    await _post(http, team["bob-read"], events["PostToolUse"], "cc-audited")
    app.audit.flush()
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.surface == "hooks").order_by(audit_log.c.id)
        ).all()
    [session] = _sessions_of(app, "cc-audited")
    changes = [r for r in rows if r.kind == "change"]
    assert len(changes) >= len(names) and all(r.user_name == "bob" for r in changes)
    assert all(r.target_ids == [str(session.id)] for r in changes)
    denied = [r for r in rows if r.kind == "denied"]
    assert len(denied) == 1 and denied[0].outcome == "forbidden" and denied[0].user_name == "bob"
    reads = [r for r in rows if r.kind == "read"]  # the hand-over SessionStart delivered
    assert reads and all(r.project_id == session.project_id for r in reads)


async def test_a_posted_transcript_path_is_not_read_on_a_team_server(
    app: AppContext, http: httpx.AsyncClient, team: dict[str, str], folders: dict[str, Path], tmp_path: Path
) -> None:
    events = _events(folders["beta"], tmp_path)  # their transcript_path: a real transcript on this machine
    for name in ("SessionStart", "Stop", "SessionEnd"):
        assert (await _post(http, team["bob"], events[name], "cc-peek")).status_code == 200
    [session] = _sessions_of(app, "cc-peek")
    assert session.metadata.get("tokens") != "exact" and "transcript" not in session.metadata
    with app.engine.connect() as conn:
        assert conn.execute(select(session_usage.c.session_id)).all() == []

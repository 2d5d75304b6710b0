"""`aidis mcp` and `aidis hook` on a team database, as real processes: AIDIS_TOKEN names the person.
Without it the stdio server refuses every tool naming AIDIS_TOKEN; with it the process's connection
is the person's own (Claude Code's session id inside their namespace), and the hook command's events
land in that same session, owned by that person — never in another person's session of the same id."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from aidis.app import AppContext
from aidis.db.schema import sessions, users
from mcp import Client
from tests.hooks.test_hook_command import applied, run_hook
from tests.mcp.conftest import call, call_error
from tests.mcp.transports import stdio_params, wait_until
from tests.support import Database, shared_cache_dir


def _people(app: AppContext) -> dict[str, str]:
    app.projects.create("beta")
    for person in ("alice", "bob"):
        app.team.add_user(person)
    app.team.grant("beta", "write", user="bob")
    return {p: app.team.create_token(p, expires_in=None)[1] for p in ("alice", "bob")}


def _owned(db: Database, agent_session_id: str) -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(sessions.c.connection_id, users.c.name)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.connection_id.endswith(f"claude-code:{agent_session_id}"))
        ).all()
    return [(r.connection_id, r.name) for r in rows]


async def test_the_stdio_server_refuses_a_team_database_without_aidis_token(
    db: Database, app: AppContext
) -> None:
    _people(app)
    async with Client(stdio_params(db.url)) as client:
        refused = await call_error(client, "context_store", {"content": "who am I?"})
    assert "AIDIS_TOKEN" in refused
    with db.engine.connect() as conn:
        assert conn.execute(select(sessions.c.id)).all() == []  # nothing recorded for nobody


async def test_a_persons_stdio_server_and_hooks_share_their_own_session(
    db: Database, app: AppContext, tmp_path: Path
) -> None:
    tokens = _people(app)
    workspace = tmp_path / "work"
    workspace.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "AIDIS_DATABASE_URL": db.url,
        "AIDIS_DATA_DIR": str(tmp_path),
        "AIDIS_LOG_LEVEL": "WARNING",
        "AIDIS_REPLAYER_LINGER_SECONDS": "2",
    }
    base = {"session_id": "cc-shared", "cwd": str(workspace), "transcript_path": str(tmp_path / "none.jsonl")}
    # alice's agent used the id first: bob's hooks and server must not reach her session
    started = run_hook(
        {**base, "hook_event_name": "SessionStart", "source": "startup"},
        {**env, "AIDIS_TOKEN": tokens["alice"]},
    )
    assert started.returncode == 0
    wait_until(lambda: applied(db) == 1, what="alice's start to be applied")
    started = run_hook(
        {**base, "hook_event_name": "SessionStart", "source": "startup"},
        {**env, "AIDIS_TOKEN": tokens["bob"]},
    )
    assert started.returncode == 0
    wait_until(lambda: applied(db) == 2, what="bob's start to be applied")
    params = stdio_params(
        db.url,
        cwd=str(workspace),
        AIDIS_TOKEN=tokens["bob"],
        CLAUDE_CODE_SESSION_ID="cc-shared",
        AIDIS_DATA_DIR=str(tmp_path),
    )
    async with Client(params) as client:
        stored = await call(client, "context_store", {"content": "bob's note from his agent"})
    owned = dict(_owned(db, "cc-shared"))
    by_person = {name: connection for connection, name in owned.items()}
    assert set(by_person) == {"alice", "bob"}
    bob_id = app.team.users()[[u.name for u in app.team.users()].index("bob")].id
    assert by_person["bob"] == f"u:{bob_id}/claude-code:cc-shared"
    with db.engine.connect() as conn:
        bobs = conn.execute(
            select(sessions.c.id).where(sessions.c.connection_id == by_person["bob"])
        ).scalar_one()
    assert stored["session"]["id"] == str(bobs)  # his server joined his hook session, not hers

"""`aidis hook claude-code` as Claude Code runs it: a process per event, JSON on stdin, always exit 0,
nothing on stdout but what Claude Code reads; the spool holds events while the database is away."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from aidis.app import AppContext
from aidis.db.schema import hook_events
from aidis.hooks import spool as spool_file
from aidis.services.projects.resolver import WorkspaceResolver
from mcp import Client
from tests.faults.helpers import TcpProxy
from tests.gitrepos import make_repo, require_git
from tests.mcp.conftest import call
from tests.mcp.transports import aidis_executable, stdio_params, wait_until
from tests.support import Database, shared_cache_dir


def run_hook(
    payload: Any, env: dict[str, str], *, raw: bytes | None = None, agent: str = "claude-code"
) -> subprocess.CompletedProcess[bytes]:
    data = raw if raw is not None else json.dumps(payload).encode()
    return subprocess.run(
        [aidis_executable(), "hook", agent],
        input=data,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def setup(db: Database, tmp_path: Path, app: AppContext) -> tuple[dict[str, str], Path, Path]:
    require_git()
    home = (tmp_path / "home").resolve()
    home.mkdir()
    app.sessions.resolver = WorkspaceResolver(home=home)
    repo = make_repo(home / "widgets", "git@github.com:acme/widgets.git")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AIDIS_DATABASE_URL": db.url,
        "AIDIS_DATA_DIR": str(tmp_path),  # the app's too: one install, as an agent and its server share it
        "AIDIS_CACHE_DIR": shared_cache_dir(),  # outside tmp_path: AIDIS's own, shared by the test run
        "AIDIS_LOG_LEVEL": "WARNING",
        "AIDIS_REPLAYER_LINGER_SECONDS": "5",  # the replayer stays a little: tests do not leave it behind
    }
    return env, repo, tmp_path / "spool" / spool_file.SPOOL_NAME


def applied(db: Database) -> int:
    with db.engine.connect().execution_options(aidis_read_only=True) as conn:  # reads past a held write lock
        return int(conn.execute(select(func.count()).select_from(hook_events)).scalar_one())


def test_a_session_through_real_hook_processes(
    app: AppContext, db: Database, setup: tuple[dict[str, str], Path, Path]
) -> None:
    env, repo, spool = setup
    base = {"session_id": "cc-proc", "cwd": str(repo), "transcript_path": str(repo / "none.jsonl")}
    start = run_hook({**base, "hook_event_name": "SessionStart", "source": "startup"}, env)
    assert start.returncode == 0 and start.stderr == b""
    prompt = run_hook(
        {**base, "hook_event_name": "UserPromptSubmit", "prompt": "hi", "extra_field": [1]}, env
    )
    assert prompt.returncode == 0 and prompt.stdout == b""
    wait_until(lambda: applied(db) == 2, what="the detached replayer to apply the prompt")
    end = run_hook({**base, "hook_event_name": "SessionEnd", "reason": "logout"}, env)
    assert end.returncode == 0 and end.stdout == b""
    wait_until(lambda: applied(db) == 3, what="the replayer to apply SessionEnd")
    [session] = [s for s in app.sessions.list(app_filter())[0]]
    assert session.project_name == "acme/widgets" and session.status == "ended"
    wait_until(lambda: not any(line.strip() for line in spool_file.read(spool)), what="an empty spool")


def app_filter() -> Any:
    from aidis.records import SessionFilter

    return SessionFilter()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "body: not JSON"),
        (
            b'{"hook_event_name": "Stop", "session_id": "a\\ud800b"}',
            "session_id: must not contain lone surrogates",
        ),
        (
            b'{"hook_event_name": "Stop", "session_id": "a", "x": {"\\udfff": 1}}',
            "key must not contain lone surrogates",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 64 levels"),
        (b'{"a": [' + b"0," * 100_001 + b"0]}", "more than 100000 keys and items"),
        (b" " * 5_000_000, "over 1000000 bytes"),
        (b'{"hook_event_name": "Stop", "session_id": "a\\u0000"}', "session_id: must not contain NUL"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"hook_event_name": "Stop"}', "session_id: required"),
        (b'{"hook_event_name": 3, "session_id": "x"}', "hook_event_name: must be a string"),
        (b"", "must be a JSON object"),
    ],
)
def test_bad_input_is_one_line_on_stderr_exit_0_and_nothing_written(
    db: Database, setup: tuple[dict[str, str], Path, Path], raw: bytes, message: str
) -> None:
    env, _, spool = setup
    result = run_hook(None, env, raw=raw)
    assert result.returncode == 0 and result.stdout == b""
    assert message in result.stderr.decode() and len(result.stderr.decode().splitlines()) == 1
    assert not spool.exists() or spool_file.read(spool) == []
    assert applied(db) == 0


def test_session_start_prints_only_the_context_json(
    app: AppContext, db: Database, setup: tuple[dict[str, str], Path, Path]
) -> None:
    env, repo, _ = setup
    first = {"session_id": "cc-a", "cwd": str(repo)}
    run_hook({**first, "hook_event_name": "SessionStart", "source": "startup"}, env)
    from aidis.services.caller import Caller

    app.contexts.store(
        Caller("claude-code:cc-a", "claude-code", "stdio"), "Decided: retries use idempotency keys"
    )
    result = run_hook(
        {"session_id": "cc-b", "cwd": str(repo), "hook_event_name": "SessionStart", "source": "startup"}, env
    )
    assert result.returncode == 0
    out = json.loads(result.stdout)
    assert out["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    assert "idempotency keys" in out["hookSpecificOutput"]["additionalContext"]


@contextmanager
def outage(
    db: Database, env: dict[str, str]
) -> Iterator[tuple[dict[str, str], Callable[[], None], Callable[[], None]]]:
    """Hook environment whose database can be taken away: (env, cut, restore).

    PostgreSQL: through a TCP proxy that refuses and drops connections while cut. SQLite: another
    connection holds an exclusive lock longer than the (shortened) busy timeout.
    """
    if db.engine_name == "postgresql":
        proxy = TcpProxy("127.0.0.1", 5432)
        proxy.up()
        name = db.url.rpartition("/")[2]
        try:
            yield (
                {**env, "AIDIS_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{proxy.port}/{name}"},
                proxy.down,
                proxy.up,
            )
        finally:
            proxy.close()
        return
    holder = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        yield (
            {**env, "AIDIS_SQLITE_BUSY_TIMEOUT_MS": "200"},
            lambda: holder.execute("BEGIN EXCLUSIVE"),
            lambda: holder.execute("ROLLBACK"),
        )
    finally:
        holder.close()


def test_events_wait_in_the_spool_while_the_database_is_away_and_apply_once_in_order(
    app: AppContext, db: Database, setup: tuple[dict[str, str], Path, Path]
) -> None:
    env, repo, spool = setup
    with outage(db, env) as (away_env, cut, restore):
        start = {
            "session_id": "cc-x",
            "cwd": str(repo),
            "hook_event_name": "SessionStart",
            "source": "startup",
        }
        run_hook(start, away_env)
        wait_until(lambda: applied(db) == 1, what="SessionStart to be applied")
        cut()
        for n in range(3):
            prompt = {"session_id": "cc-x", "hook_event_name": "UserPromptSubmit", "prompt": f"p{n}"}
            result = run_hook(prompt, away_env)
            assert result.returncode == 0 and result.stdout == b""
        wait_until(
            lambda: len([x for x in spool_file.read(spool) if x.strip()]) == 3, timeout=30, what="spool"
        )
        assert applied(db) == 1
        restore()
        run_hook({"session_id": "cc-x", "hook_event_name": "Stop"}, away_env)
        wait_until(lambda: applied(db) == 5, timeout=30, what="the spool to be replayed")
    assert spool_file.read(spool) == []
    with db.engine.connect() as conn:
        order = list(
            conn.execute(select(hook_events.c.event_name).order_by(hook_events.c.received_at)).scalars()
        )
    assert order == ["SessionStart", "UserPromptSubmit", "UserPromptSubmit", "UserPromptSubmit", "Stop"]
    session = app.sessions.status("claude-code:cc-x")
    assert session is not None and session.input_tokens == 3  # each spooled prompt counted once


async def test_the_stdio_mcp_server_of_a_claude_code_session_shares_its_session(
    app: AppContext, db: Database, setup: tuple[dict[str, str], Path, Path]
) -> None:
    env, repo, _ = setup
    run_hook(
        {"session_id": "cc-mcp", "cwd": str(repo), "hook_event_name": "SessionStart", "source": "startup"},
        env,
    )
    params = stdio_params(
        db.url, cwd=str(repo), HOME=env["HOME"], CLAUDE_CODE_SESSION_ID="cc-mcp", CLAUDECODE="1"
    )
    async with Client(params) as client:
        status = await call(client, "session_status")
        stored = await call(client, "context_store", {"content": "from the MCP server"})
    assert status["session"] is not None
    assert stored["session"]["id"] == status["session"]["id"]
    hook_session = app.sessions.status("claude-code:cc-mcp")
    assert hook_session is not None and str(hook_session.id) == stored["session"]["id"]
    assert hook_session.status == "active"  # the MCP server exiting does not end the agent's session


def test_aidis_serve_applies_what_waits_in_the_spool(
    app: AppContext, db: Database, setup: tuple[dict[str, str], Path, Path]
) -> None:
    from tests.mcp.transports import running_http_server

    _, repo, _ = setup
    spool = app.settings.resolved_spool_dir() / spool_file.SPOOL_NAME
    payload = {
        "hook_event_name": "SessionStart",
        "session_id": "cc-srv",
        "cwd": str(repo),
        "source": "startup",
    }
    spool_file.append(
        spool, {"id": "spooled-1", "agent": "claude-code", "received_at": 1.0, "payload": payload}
    )
    with running_http_server(app):
        wait_until(lambda: applied(db) == 1, what="the server to replay the spool")
    assert spool_file.read(spool) == []
    session = app.sessions.status("claude-code:cc-srv")
    assert session is not None and session.project_name == "acme/widgets"


async def test_post_hooks_claude_code_applies_and_answers_session_start(
    app: AppContext, setup: tuple[dict[str, str], Path, Path]
) -> None:
    import httpx

    from aidis.web.app import create_web_app

    _, repo, _ = setup
    web = create_web_app(app, run_maintenance=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web), base_url="http://127.0.0.1:8765"
    ) as http:
        base = {"session_id": "cc-http", "cwd": str(repo)}
        started = await http.post(
            "/hooks/claude-code", json={**base, "hook_event_name": "SessionStart", "source": "startup"}
        )
        prompt = await http.post(
            "/hooks/claude-code", json={**base, "hook_event_name": "UserPromptSubmit", "prompt": "hi"}
        )
        bad = await http.post("/hooks/claude-code", json={"hook_event_name": "Stop"})
        form = await http.post("/hooks/claude-code", data={"hook_event_name": "Stop"})
        unknown = await http.post("/hooks/vim", json={**base, "hook_event_name": "Stop"})
    assert (
        started.status_code == 200 and started.json()["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    )
    assert prompt.status_code == 200 and prompt.json() == {}
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "session_id"
    assert form.status_code == 415
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "agent"
    session = app.sessions.status("claude-code:cc-http")
    assert session is not None and session.project_name == "acme/widgets"


@pytest.mark.parametrize("agent", ["claude-code", "codex", "gemini-cli"])
def test_odd_but_valid_payloads_of_every_agent_change_nothing_outside_the_database(
    db: Database, setup: tuple[dict[str, str], Path, Path], tmp_path: Path, agent: str, app: AppContext
) -> None:
    """A `../` session id is a name, never a path; a missing cwd leaves the session Unassigned; a transcript
    that is a device or is missing is skipped — each hook exits 0 with nothing on stdout."""
    env, _, _ = setup

    def files() -> list[Path]:  # everything but AIDIS's own folders and git's bookkeeping
        return sorted(
            p.relative_to(tmp_path)
            for p in tmp_path.rglob("*")
            if not {"spool", "handover", ".git"} & set(p.relative_to(tmp_path).parts)
        )

    before = files()
    tool_event = {"claude-code": "PostToolUse", "codex": "PostToolUse", "gemini-cli": "AfterTool"}[agent]
    stop_event = {"claude-code": "Stop", "codex": "Stop", "gemini-cli": "AfterAgent"}[agent]
    events = [
        {"hook_event_name": "SessionStart", "session_id": "../../etc/passwd", "source": "startup"},
        {"hook_event_name": stop_event, "session_id": "../../etc/passwd", "transcript_path": "/dev/zero"},
        {
            "hook_event_name": stop_event,
            "session_id": "../../etc/passwd",
            "transcript_path": str(tmp_path / "nope"),
        },
        {
            "hook_event_name": tool_event,
            "session_id": "../../etc/passwd",
            "tool_name": "Bash",
            "tool_input": {"command": "x" * 10_000},
        },
    ]
    for payload in events:
        result = run_hook(payload, env, agent=agent)
        assert result.returncode == 0
        assert result.stdout in (b"",) or json.loads(result.stdout)["hookSpecificOutput"]
    wait_until(lambda: applied(db) == len(events), what="the events to be applied")
    assert files() == before  # nothing written outside the spool and the database
    session = app.sessions.status(f"{agent}:../../etc/passwd")
    assert session is not None and session.is_unassigned
    assert session.metadata.get("tokens") != "exact"

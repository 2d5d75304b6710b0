"""`SessionStart` answers from the prepared hand-over — current after a session ends and after memory is
stored, edited and deleted, never another project's, never a stale one — on both engines. Each probe
runs the real hook process with its database unreachable: only the prepared file can answer it."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from aidis.app import AppContext
from aidis.services.agents.hook_events import connection_for
from aidis.services.caller import Caller
from aidis.services.projects.resolver import WorkspaceResolver
from tests.gitrepos import make_repo, require_git
from tests.mcp.transports import aidis_executable, wait_until
from tests.support import Database, shared_cache_dir


@pytest.fixture
def env(app: AppContext, db: Database, tmp_path: Path) -> dict[str, str]:
    require_git()
    home = (tmp_path / "home").resolve()
    home.mkdir()
    app.sessions.resolver = WorkspaceResolver(home=home)
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "AIDIS_DATABASE_URL": db.url,
        "AIDIS_DATA_DIR": str(tmp_path),  # the app's own: the agent, its hooks and AIDIS share one install
        "AIDIS_LOG_LEVEL": "WARNING",
        "AIDIS_REPLAYER_LINGER_SECONDS": "5",
    }


def hook(env: dict[str, str], payload: dict[str, Any]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [aidis_executable(), "hook", "claude-code"],
        input=json.dumps(payload).encode(),
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


def probe(env: dict[str, str], tmp_path: Path, cwd: Path) -> str:
    """What a new session in `cwd` is told with its database away (the prepared hand-over or nothing)."""
    away = {
        **env,
        "AIDIS_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere",
        "AIDIS_SPOOL_DIR": str(tmp_path / f"probe-{uuid.uuid4().hex[:8]}"),  # its event waits there
        "AIDIS_HOOK_CONTEXT_SECONDS": "1",
    }
    done = hook(away, {"hook_event_name": "SessionStart", "session_id": uuid.uuid4().hex, "cwd": str(cwd)})
    assert done.returncode == 0
    if not done.stdout:
        return ""
    return str(json.loads(done.stdout)["hookSpecificOutput"]["additionalContext"])


def session(app: AppContext, env: dict[str, str], sid: str, cwd: Path) -> Caller:
    """A Claude Code session started by its real hook; the MCP caller that shares it."""
    assert (
        hook(
            env, {"hook_event_name": "SessionStart", "session_id": sid, "cwd": str(cwd), "source": "startup"}
        ).returncode
        == 0
    )
    return Caller(connection_for("claude-code", sid), "claude-code", "stdio")


def end(app: AppContext, env: dict[str, str], sid: str) -> None:
    assert hook(env, {"hook_event_name": "SessionEnd", "session_id": sid, "reason": "logout"}).returncode == 0
    wait_until(lambda: app.sessions.status(connection_for("claude-code", sid)) is None, what=f"{sid} to end")


def settled(app: AppContext) -> None:
    """The in-test app's own hand-over writes done (a separate process's are flushed at its exit)."""
    assert app.handovers.flush()


def test_the_prepared_hand_over_follows_memory_and_sessions(
    app: AppContext, env: dict[str, str], tmp_path: Path
) -> None:
    repo = make_repo(Path(env["HOME"]) / "ledger", "git@github.com:acme/ledger.git")
    first = session(app, env, "cc-1", repo)
    stored = app.contexts.store(first, "Decided: the ledger rounds half to even")
    settled(app)
    (repo / "src").mkdir()
    assert "rounds half to even" in probe(env, tmp_path, repo / "src")  # a folder below the repository's

    end(app, env, "cc-1")
    display_id = app.sessions.latest_for_connection(connection_for("claude-code", "cc-1"))
    assert display_id is not None
    wait_until(
        lambda: "ended" in probe(env, tmp_path, repo), timeout=20, what="the ended session in the hand-over"
    )

    app.context_edits.update(None, stored.context.id, content="Decided: the ledger rounds half up")
    settled(app)
    edited = probe(env, tmp_path, repo)
    assert "rounds half up" in edited and "half to even" not in edited

    app.context_edits.delete(None, stored.context.id)
    settled(app)
    assert "rounds half" not in probe(
        env, tmp_path, repo
    )  # a deleted context never appears at the next start


def test_the_prepared_hand_over_never_crosses_projects(
    app: AppContext, env: dict[str, str], tmp_path: Path
) -> None:
    ledger = make_repo(Path(env["HOME"]) / "ledger", "git@github.com:acme/ledger.git")
    billing = make_repo(Path(env["HOME"]) / "billing", "git@github.com:acme/billing.git")
    app.contexts.store(session(app, env, "cc-l", ledger), "Ledger: amounts are integers of cents")
    app.contexts.store(session(app, env, "cc-b", billing), "Billing: invoices go out on the first")
    settled(app)
    in_ledger, in_billing = probe(env, tmp_path, ledger), probe(env, tmp_path, billing)
    assert "integers of cents" in in_ledger and "invoices" not in in_ledger
    assert "invoices" in in_billing and "integers of cents" not in in_billing
    assert probe(env, tmp_path, Path(env["HOME"])) == ""  # a folder of no project is never guessed


def test_a_stale_hand_over_is_not_printed(app: AppContext, env: dict[str, str], tmp_path: Path) -> None:
    repo = make_repo(Path(env["HOME"]) / "ledger", "git@github.com:acme/ledger.git")
    caller = session(app, env, "cc-s", repo)
    stored = app.contexts.store(caller, "Decided: retries use idempotency keys")
    settled(app)
    assert "idempotency keys" in probe(env, tmp_path, repo)
    marker = tmp_path / "handover" / f"{stored.session.project_id}.stale"
    marker.touch()  # a change committed that the file does not show yet (its writer is slow)
    os.utime(marker, (time.time() + 5, time.time() + 5))
    assert probe(env, tmp_path, repo) == ""  # without its database the hook says nothing rather than old news

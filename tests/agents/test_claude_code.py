"""A real Claude Code (pinned npm package, run offline against a local stand-in for the model API),
connected with `aidis setup claude-code`, drives whole sessions; the database says what happened."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from sqlalchemy import select

from aidis.app import AppContext
from aidis.db.schema import hook_events
from aidis.records import SessionFilter
from tests.agents.agent_installs import agent_binary
from tests.agents.model_standin import NOTE, running_standin
from tests.gitrepos import make_repo, require_git
from tests.mcp.transports import aidis_executable, wait_until
from tests.support import Database, shared_cache_dir

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_AGENTS = os.environ.get("AIDIS_REQUIRE_AGENTS", "") not in ("", "0", "false")


def claude_binary() -> str:
    """The native Claude Code binary `make agents` installed (fail in CI when it is missing)."""
    return agent_binary("claude-code")


def _hooks(db: Database) -> list[tuple[str, str, str]]:
    with db.engine.connect().execution_options(aidis_read_only=True) as conn:
        rows = conn.execute(
            select(hook_events.c.event_name, hook_events.c.agent_session_id, hook_events.c.outcome).order_by(
                hook_events.c.received_at
            )
        )
        return [(r.event_name, r.agent_session_id, r.outcome) for r in rows]


def test_claude_code_sessions_land_in_one_aidis_session_each_with_exact_tokens_and_context(
    app: AppContext, db: Database, tmp_path: Path
) -> None:
    require_git()
    claude = claude_binary()
    home = (tmp_path / "home").resolve()
    home.mkdir()
    repo = make_repo(home / "code" / "ledger", "git@github.com:acme/ledger.git")
    env = {
        "PATH": f"{Path(aidis_executable()).parent}:{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "AIDIS_DATABASE_URL": db.url,
        "AIDIS_DATA_DIR": str(home / "aidis"),
        "AIDIS_LOG_LEVEL": "WARNING",
        "AIDIS_REPLAYER_LINGER_SECONDS": "5",  # the replayer stays a little: tests do not leave it behind
    }
    setup = subprocess.run(
        [aidis_executable(), "setup", "claude-code"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr
    with running_standin() as (url, model):
        agent_env = {
            **env,
            "ANTHROPIC_BASE_URL": url,
            "ANTHROPIC_API_KEY": "sk-ant-test-standin",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
        }

        def run(prompt: str) -> dict[str, object]:
            done = subprocess.run(
                [
                    claude,
                    "-p",
                    prompt,
                    "--allowedTools",
                    "mcp__aidis__context_store",
                    "--output-format",
                    "json",
                ],
                cwd=repo,
                env=agent_env,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            assert done.returncode == 0, done.stderr[-2000:]
            result: dict[str, object] = json.loads(done.stdout)
            return result

        first = run("remember that the ledger rounds half to even")
        first_id = str(first["session_id"])
        wait_until(
            lambda: [h[0] for h in _hooks(db)][-1:] == ["SessionEnd"], timeout=60, what="SessionEnd applied"
        )
        requests_before = len(model.requests)
        second = run("what did we decide?")
        wait_until(
            lambda: [h[0] for h in _hooks(db)].count("SessionEnd") == 2, timeout=60, what="second SessionEnd"
        )
        second_requests = model.requests[requests_before:]

    events = [(name, sid) for name, sid, _ in _hooks(db)]
    assert [name for name, sid in events if sid == first_id] == [
        "SessionStart",
        "UserPromptSubmit",
        "PostToolUse",  # ToolSearch loading the deferred AIDIS tool (Claude Code 2.1.3xx)
        "PostToolUse",  # the AIDIS tool call: a tool event, but not activity (AIDIS counts its own calls)
        "Stop",
        "SessionEnd",
    ]
    sessions, _ = app.sessions.list(SessionFilter(), limit=10)
    by_agent = {s.metadata.get("agent_session_id"): s for s in sessions}
    assert set(by_agent) == {first_id, str(second["session_id"])}  # one AIDIS session per Claude Code session
    session = by_agent[first_id]
    assert session.project_name == "acme/ledger" and session.status == "ended"
    assert (
        session.context_count == 1 and session.tool_call_count == 1
    )  # the MCP call landed in the hook's session
    assert session.metadata["tokens"] == "exact"
    usage = first["usage"]
    assert isinstance(usage, dict)
    expected_in = (
        int(usage["input_tokens"])
        + int(usage["cache_creation_input_tokens"])
        + int(usage["cache_read_input_tokens"])
    )
    assert (session.input_tokens, session.output_tokens) == (expected_in, int(usage["output_tokens"]))
    assert [c.content for c in app.context_reads.for_session(session.id)] == [NOTE]
    assert app.activity.for_session(session.id) == []
    # the second session started with the first one's memory in the model's context
    sent = json.dumps(second_requests)
    assert NOTE in sent and session.display_id in sent

"""The real Codex (pinned, run offline through a custom Responses-API provider) with `aidis setup codex`:
one AIDIS session per Codex session in the right project, ended when Codex ends it, exact tokens from
the rollout, the project's memory handed to the next session, its MCP calls joined to the hook session,
and what it did recorded — on both engines."""

from __future__ import annotations

import json
from pathlib import Path

from aidis.app import AppContext
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.records import SessionFilter
from tests.agents.agent_installs import agent_binary
from tests.agents.agent_runs import CODEX_PROVIDER, AgentHome, applied_events, wait_for_ends
from tests.agents.responses_standin import NOTE, ResponsesModel, running_responses_standin
from tests.gitrepos import make_repo, require_git
from tests.support import Database

TRUSTED_BY_THE_TEST = "--dangerously-bypass-hook-trust"  # a person trusts the hooks once with /hooks


def test_codex_sessions_are_exact_joined_handed_over_and_recorded(
    app: AppContext, db: Database, tmp_path: Path
) -> None:
    require_git()
    codex = agent_binary("codex")
    home = (tmp_path / "home").resolve()
    home.mkdir()
    repo = make_repo(home / "code" / "widgets", "git@github.com:acme/widgets.git")
    (repo / "src").mkdir()
    plain = home / "scratch"
    plain.mkdir()
    agent = AgentHome.create("codex", home, db)
    config = home / ".codex" / "config.toml"
    setup_config = config.read_text()
    runs = []
    for index, cwd in enumerate((repo / "src", repo, plain)):
        script = [
            ("mcp__aidis/context_store", {"content": f"{NOTE} (run {index})"}),
            ("exec_command", {"cmd": "echo checked > checked.txt"}),
        ]
        model = ResponsesModel(script)
        with running_responses_standin(model) as (url, _):
            config.write_text(CODEX_PROVIDER.format(url=url) + setup_config)
            done = agent.run(
                [codex, "exec", "--skip-git-repo-check", TRUSTED_BY_THE_TEST, f"remember decision {index}"],
                cwd,
                {"OPENAI_API_KEY": "sk-standin"},
            )
        runs.append((done, model))
        wait_for_ends(db, index + 1)

    sessions, _ = app.sessions.list(SessionFilter(agent_type="codex"), limit=10)
    assert len(sessions) == 3, [(s.display_id, s.agent_type, s.connection_id) for s in sessions]
    by_order = sorted(sessions, key=lambda s: s.started_at)
    assert [s.project_name for s in by_order[:2]] == ["acme/widgets", "acme/widgets"]
    assert by_order[2].project_id == SENTINEL_PROJECT_ID  # a plain folder names no project
    for session in by_order:
        assert session.status == "ended" and session.metadata["tokens"] == "exact"
        assert (session.input_tokens, session.output_tokens) == (3000, 750)  # three responses of 1000/250
        assert session.context_count >= 1  # the MCP call landed in the hook's session, not a second one
    all_sessions, _ = app.sessions.list(SessionFilter(), limit=20)
    assert len(all_sessions) == 3  # no session of the MCP server's own
    first = by_order[0]
    rows = app.activity.for_session(first.id)
    assert [(r.kind, r.path) for r in rows if r.path] == [("create", "src/checked.txt")]
    assert [(r.kind, r.exit_code) for r in rows if r.kind == "command"] == [("command", 0)]
    # run 2 started with run 1's memory in the model's context
    second_requests = json.dumps(runs[1][1].requests)
    assert f"{NOTE} (run 0)" in second_requests and first.display_id in second_requests
    events = {name for name, _, _ in applied_events(db)}
    assert {"SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "SessionEnd"} <= events

"""The real Gemini CLI (pinned, run offline through GOOGLE_GEMINI_BASE_URL) with `aidis setup gemini-cli`:
one AIDIS session per Gemini CLI session in the right project, ended when it ends, exact tokens from its
chat file, the project's memory handed to the next session, its MCP calls joined to the hook session,
and what it did recorded — on both engines."""

from __future__ import annotations

import json
from pathlib import Path

from aidis.app import AppContext
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.records import SessionFilter
from tests.agents.agent_installs import agent_binary
from tests.agents.agent_runs import AgentHome, applied_events, wait_for_ends
from tests.agents.gemini_standin import NOTE, GeminiModel, running_gemini_standin
from tests.gitrepos import make_repo, require_git
from tests.support import Database


def test_gemini_cli_sessions_are_exact_joined_handed_over_and_recorded(
    app: AppContext, db: Database, tmp_path: Path
) -> None:
    require_git()
    gemini = agent_binary("gemini-cli")
    home = (tmp_path / "home").resolve()
    home.mkdir()
    repo = make_repo(home / "code" / "widgets", "git@github.com:acme/widgets.git")
    (repo / "src").mkdir()
    plain = home / "scratch"
    plain.mkdir()
    agent = AgentHome.create("gemini-cli", home, db)
    settings = home / ".gemini" / "settings.json"
    settings.write_text(
        json.dumps(
            {**json.loads(settings.read_text()), "security": {"auth": {"selectedType": "gemini-api-key"}}}
        )
    )
    runs = []
    for index, cwd in enumerate((repo / "src", repo, plain)):
        agent.trust(cwd)  # what a person answers at Gemini CLI's trust prompt
        script = [
            ("mcp_aidis_context_store", {"content": f"{NOTE} (run {index})"}),
            ("write_file", {"file_path": str(cwd / "checked.txt"), "content": "checked\n"}),
        ]
        model = GeminiModel(script)
        with running_gemini_standin(model) as (url, _):
            done = agent.run(
                [gemini, "-p", f"remember decision {index}", "--yolo"],
                cwd,
                {"GEMINI_API_KEY": "standin", "GOOGLE_GEMINI_BASE_URL": url},
            )
        runs.append((done, model))
        wait_for_ends(db, index + 1)

    sessions, _ = app.sessions.list(SessionFilter(agent_type="gemini-cli"), limit=10)
    assert len(sessions) == 3, [(s.display_id, s.agent_type, s.connection_id) for s in sessions]
    by_order = sorted(sessions, key=lambda s: s.started_at)
    assert [s.project_name for s in by_order[:2]] == ["acme/widgets", "acme/widgets"]
    assert by_order[2].project_id == SENTINEL_PROJECT_ID
    for session in by_order:
        assert session.status == "ended" and session.metadata["tokens"] == "exact"
        assert (session.input_tokens, session.output_tokens) == (3000, 750)  # three responses of 1000/250
        assert session.context_count >= 1  # the MCP call landed in the hook's session
    all_sessions, _ = app.sessions.list(SessionFilter(), limit=20)
    assert len(all_sessions) == 3  # no session of the MCP server's own
    first = by_order[0]
    rows = app.activity.for_session(first.id)
    assert [(r.kind, r.path) for r in rows if r.path] == [("create", "src/checked.txt")]
    second_requests = json.dumps([body for _, body in runs[1][1].requests])
    assert f"{NOTE} (run 0)" in second_requests and first.display_id in second_requests
    events = {name for name, _, _ in applied_events(db)}
    assert {"SessionStart", "BeforeAgent", "AfterTool", "AfterAgent", "SessionEnd"} <= events

"""Prompt-time recall with the real Claude Code (pinned, offline): UserPromptSubmit's additionalContext
carries the recalled decision to the model's first request (tests/agents/recall_proof.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.agents.agent_installs import agent_binary
from tests.agents.agent_runs import AgentHome
from tests.agents.model_standin import TOOL, TOOL_SEARCH, StandIn, running_standin
from tests.agents.recall_proof import DECISION, prove_recall
from tests.support import Database


def test_a_stored_decision_is_recalled_with_a_paraphrasing_prompt_and_only_there(
    db: Database, tmp_path: Path
) -> None:
    claude = agent_binary("claude-code")
    home = AgentHome.create("claude-code", (tmp_path / "home").resolve(), db)

    def ask(folder: Path, prompt: str, *, store: bool) -> str:
        script = (
            [(TOOL_SEARCH, {"query": "remember"}), (TOOL, {"content": DECISION, "type": "decision"})]
            if store
            else []
        )
        model = StandIn(script)
        with running_standin(model) as (url, _):
            home.run(
                [claude, "-p", prompt, "--allowedTools", TOOL, "--output-format", "json"],
                folder,
                {
                    "ANTHROPIC_BASE_URL": url,
                    "ANTHROPIC_API_KEY": "sk-ant-test-standin",
                    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                    "DISABLE_AUTOUPDATER": "1",
                },
            )
        main = [r for r in model.requests if any(t.get("name") == TOOL_SEARCH for t in r.get("tools", []))]
        assert main, "Claude Code sent no main-loop request"
        return json.dumps(main[0])

    prove_recall(db, tmp_path, home, ask)

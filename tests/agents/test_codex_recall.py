"""Prompt-time recall with the real Codex (pinned, offline through a Responses-API provider):
UserPromptSubmit's additionalContext carries the recalled decision to the model's first request
(tests/agents/recall_proof.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.agents.agent_installs import agent_binary
from tests.agents.agent_runs import CODEX_PROVIDER, AgentHome
from tests.agents.recall_proof import DECISION, prove_recall
from tests.agents.responses_standin import ResponsesModel, running_responses_standin
from tests.support import Database

TRUSTED_BY_THE_TEST = "--dangerously-bypass-hook-trust"  # a person trusts the hooks once with /hooks


def test_a_stored_decision_is_recalled_with_a_paraphrasing_prompt_and_only_there(
    db: Database, tmp_path: Path
) -> None:
    codex = agent_binary("codex")
    home = AgentHome.create("codex", (tmp_path / "home").resolve(), db)
    config = home.home / ".codex" / "config.toml"
    setup_config = config.read_text()

    def ask(folder: Path, prompt: str, *, store: bool) -> str:
        script = [("mcp__aidis/context_store", {"content": DECISION, "type": "decision"})] if store else []
        model = ResponsesModel(script)
        with running_responses_standin(model) as (url, _):
            config.write_text(CODEX_PROVIDER.format(url=url) + setup_config)
            home.run(
                [codex, "exec", "--skip-git-repo-check", TRUSTED_BY_THE_TEST, prompt],
                folder,
                {"OPENAI_API_KEY": "sk-standin"},
            )
        main = [r for r in model.requests if r.get("tools")]
        assert main, "Codex sent no model request"
        return json.dumps(main[0])

    prove_recall(db, tmp_path, home, ask)

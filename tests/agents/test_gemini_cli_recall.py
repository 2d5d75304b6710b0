"""Prompt-time recall with the real Gemini CLI (pinned, offline through GOOGLE_GEMINI_BASE_URL):
BeforeAgent's additionalContext carries the recalled decision to the model's first request
(tests/agents/recall_proof.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.agents.agent_installs import agent_binary
from tests.agents.agent_runs import AgentHome
from tests.agents.gemini_standin import GeminiModel, running_gemini_standin
from tests.agents.recall_proof import DECISION, prove_recall
from tests.support import Database


def test_a_stored_decision_is_recalled_with_a_paraphrasing_prompt_and_only_there(
    db: Database, tmp_path: Path
) -> None:
    gemini = agent_binary("gemini-cli")
    home = AgentHome.create("gemini-cli", (tmp_path / "home").resolve(), db)
    settings = home.home / ".gemini" / "settings.json"
    settings.write_text(
        json.dumps(
            {**json.loads(settings.read_text()), "security": {"auth": {"selectedType": "gemini-api-key"}}}
        )
    )

    def ask(folder: Path, prompt: str, *, store: bool) -> str:
        home.trust(folder)  # what a person answers at Gemini CLI's trust prompt
        script = [("mcp_aidis_context_store", {"content": DECISION, "type": "decision"})] if store else []
        model = GeminiModel(script)
        with running_gemini_standin(model) as (url, _):
            home.run(
                [gemini, "-p", prompt, "--yolo"],
                folder,
                {"GEMINI_API_KEY": "standin", "GOOGLE_GEMINI_BASE_URL": url},
            )
        main = [body for _, body in model.requests if body.get("tools")]
        assert main, "Gemini CLI sent no main-loop request"
        return json.dumps(main[0])

    prove_recall(db, tmp_path, home, ask)

"""Prompt-time recall with the real Claude Code (pinned, offline): a decision stored in one run reaches the
model with a later prompt that paraphrases it — inside the marked block, in the first model request —
while an unrelated prompt and a prompt in another project get no block, and nothing AIDIS stored
afterwards holds the block."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from aidis.app import build_app
from aidis.config import Settings
from aidis.db.schema import contexts
from aidis.services.caller import Caller
from tests.agents.agent_installs import agent_binary
from tests.agents.agent_runs import AgentHome, applied_events
from tests.agents.model_standin import TOOL, TOOL_SEARCH, StandIn, running_standin
from tests.gitrepos import make_repo, require_git
from tests.mcp.transports import wait_until
from tests.support import Database

DECISION = "We chose PostgreSQL advisory locks to serialize migrations, so two upgrades never run at once."
PARAPHRASE = "make sure two aidis upgrades can't run at the same time on postgres"


def _first_request(model: StandIn, before: int) -> str:
    mine = [
        r for r in model.requests[before:] if any(t.get("name") == TOOL_SEARCH for t in r.get("tools", []))
    ]
    assert mine, "Claude Code sent no main-loop request"
    return json.dumps(mine[0])


def _block(request: str) -> str:
    start = request.find("<aidis-recall>")
    return request[start : request.find("</aidis-recall>", start)] if start >= 0 else ""


def test_a_stored_decision_is_recalled_with_a_paraphrasing_prompt_and_only_there(
    db: Database, tmp_path: Path
) -> None:
    require_git()
    claude = agent_binary("claude-code")
    home = AgentHome.create("claude-code", (tmp_path / "home").resolve(), db)
    home.env["AIDIS_RECALL_TIMEOUT_MS"] = "15000"  # the first prompt may wait for the listener to start
    ledger = make_repo(home.home / "code" / "ledger", "git@github.com:acme/ledger.git")
    shop = make_repo(home.home / "code" / "shop", "git@github.com:acme/shop.git")

    def run(model: StandIn, url: str, folder: Path, prompt: str) -> None:
        argv = [claude, "-p", prompt, "--allowedTools", TOOL, "--output-format", "json"]
        home.run(
            argv,
            folder,
            {
                "ANTHROPIC_BASE_URL": url,
                "ANTHROPIC_API_KEY": "sk-ant-test-standin",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                "DISABLE_AUTOUPDATER": "1",
            },
        )

    def ended(count: int) -> None:
        wait_until(
            lambda: [e for e, _, o in applied_events(db) if e == "SessionEnd"].__len__() >= count,
            timeout=90,
            what=f"{count} sessions ended",
        )

    storing = StandIn(
        [(TOOL_SEARCH, {"query": "remember"}), (TOOL, {"content": DECISION, "type": "decision"})]
    )
    with running_standin(storing) as (url, _):
        run(storing, url, ledger, "remember how we keep upgrades from overlapping")
    ended(1)
    later = build_app(Settings(database_url=db.url, data_dir=tmp_path / "other"), migrate=False)
    try:  # other work since: the next session's hand-over shows these, not the decision
        for i in range(8):
            later.contexts.store(
                Caller("other"), f"release note {i}: bumped the changelog", project="acme/ledger"
            )
        assert later.embedder.wait_idle(60)
    finally:
        later.close()

    asking = StandIn([])
    with running_standin(asking) as (url, model):
        run(asking, url, ledger, PARAPHRASE)
        paraphrased = _first_request(model, 0)
        count = len(model.requests)
        run(asking, url, ledger, "fix the typo in the README")
        unrelated = _first_request(model, count)
        count = len(model.requests)
        run(asking, url, shop, PARAPHRASE)
        elsewhere = _first_request(model, count)
    ended(4)

    assert DECISION in _block(paraphrased)
    assert "<aidis-recall>" not in unrelated
    assert "<aidis-recall>" not in elsewhere and DECISION not in elsewhere
    with db.engine.connect().execution_options(aidis_read_only=True) as conn:
        stored: list[Any] = [r[0] for r in conn.execute(select(contexts.c.content))]
    assert DECISION in stored and not any("aidis-recall" in text for text in stored)

"""Prompt-time recall proved the same way for each real agent (pinned, offline): a decision stored in
one run reaches the model with a later prompt that paraphrases it — inside the marked block, in the
first model request — while an unrelated prompt and a prompt in another project get no block, and
nothing AIDIS stored afterwards holds the block. Each agent's test supplies only how to run it once."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from aidis.app import build_app
from aidis.config import Settings
from aidis.db.schema import contexts
from aidis.services.caller import Caller
from tests.agents.agent_runs import AgentHome, wait_for_ends
from tests.gitrepos import make_repo, require_git
from tests.support import Database

DECISION = "We chose PostgreSQL advisory locks to serialize migrations, so two upgrades never run at once."
PARAPHRASE = "make sure two aidis upgrades can't run at the same time on postgres"
UNRELATED = "fix the typo in the README"
STORE_PROMPT = "remember how we keep upgrades from overlapping"


class Ask(Protocol):
    """Runs the agent once in `folder` with `prompt` (its scripted model storing DECISION when `store`);
    returns the agent's first main-loop model request as text."""

    def __call__(self, folder: Path, prompt: str, *, store: bool) -> str: ...


def block(request: str) -> str:
    """The marked recall block in a model request ("" when there is none); Gemini CLI escapes the
    angle brackets of hook context, so both forms are read."""
    text = request.replace("&lt;", "<").replace("&gt;", ">")
    start = text.find("<aidis-recall>")
    return text[start : text.find("</aidis-recall>", start)] if start >= 0 else ""


def prove_recall(db: Database, tmp_path: Path, home: AgentHome, ask: Ask) -> None:
    """The whole proof for one agent whose AIDIS setup lives in `home`."""
    require_git()
    home.env["AIDIS_RECALL_TIMEOUT_MS"] = "15000"  # the first prompt may wait for the listener to start
    ledger = make_repo(home.home / "code" / "ledger", "git@github.com:acme/ledger.git")
    shop = make_repo(home.home / "code" / "shop", "git@github.com:acme/shop.git")

    ask(ledger, STORE_PROMPT, store=True)
    wait_for_ends(db, 1)
    later = build_app(Settings(database_url=db.url, data_dir=tmp_path / "other"), migrate=False)
    try:  # other work since: the next session's hand-over shows these, not the decision
        for i in range(8):
            later.contexts.store(
                Caller("other"), f"release note {i}: bumped the changelog", project="acme/ledger"
            )
        assert later.embedder.wait_idle(60)
    finally:
        later.close()

    paraphrased = ask(ledger, PARAPHRASE, store=False)
    unrelated = ask(ledger, UNRELATED, store=False)
    elsewhere = ask(shop, PARAPHRASE, store=False)
    wait_for_ends(db, 4)

    assert DECISION in block(paraphrased), paraphrased[-3000:]
    assert not block(unrelated)
    assert not block(elsewhere) and DECISION not in elsewhere
    with db.engine.connect().execution_options(aidis_read_only=True) as conn:
        stored: list[Any] = [r[0] for r in conn.execute(select(contexts.c.content))]
    assert DECISION in stored and not any("aidis-recall" in text for text in stored)

"""Prompt-time recall through the real hook process: `aidis hook <agent>` with a prompt event asks the spool
listener's recall socket and prints the marked block as the agent's additionalContext — or nothing, with
the reason logged once, when no listener answers within the time box (both engines)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aidis.app import AppContext
from aidis.hooks.recall import LOG_NAME
from aidis.hooks.spool import SPOOL_NAME
from aidis.replayer.listener import Listener
from aidis.replayer.recall_endpoint import RecallEndpoint, recall_answerer
from aidis.services.agents.hook_events import connection_for
from aidis.services.caller import Caller
from tests.hooks.test_hook_command import run_hook
from tests.support import Database, FakeClock, shared_cache_dir

DECISION = "We chose PostgreSQL advisory locks to serialize migrations, so two upgrades never run at once."
PROMPT = "make sure two aidis upgrades can't run at the same time on postgres"


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    folder = tmp_path / "spool"
    folder.mkdir()
    return folder / SPOOL_NAME


@pytest.fixture
def env(db: Database, tmp_path: Path, spool: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "AIDIS_DATABASE_URL": db.url,
        "AIDIS_SPOOL_DIR": str(spool.parent),
        "AIDIS_REPLAYER_LINGER_SECONDS": "0",
        "AIDIS_RECALL_TIMEOUT_MS": "5000",  # generous: these tests are about what is said, not how fast
    }


@pytest.fixture
def listening(spool: Path) -> Iterator[Listener]:
    """This test process is the spool's listener (so no detached replayer takes the recall socket)."""
    listener = Listener(spool, lambda: None)
    assert listener.acquire()
    yield listener
    listener.close()


def _ledger(app: AppContext, clock: FakeClock, *agent_sessions: tuple[str, str]) -> None:
    app.projects.create("ledger")
    app.contexts.store(Caller("earlier"), DECISION, project="ledger")
    for i in range(8):  # newer notes, which the next session's hand-over shows
        clock.advance(minutes=1)
        app.contexts.store(Caller("earlier"), f"release note {i}: bumped the changelog", project="ledger")
    assert app.embedder.wait_idle(30)
    clock.advance(days=2)
    for agent, session_id in agent_sessions:
        app.sessions.new(connection_for(agent, session_id), project="ledger")


def _prompt(agent: str, session_id: str, prompt: str, event: str = "UserPromptSubmit") -> dict[str, Any]:
    return {"hook_event_name": event, "session_id": session_id, "cwd": "/tmp", "prompt": prompt}


def test_a_prompt_hook_prints_the_recalled_block_once_and_nothing_for_an_unrelated_prompt(
    app: AppContext, clock: FakeClock, spool: Path, env: dict[str, str], listening: Listener
) -> None:
    _ledger(app, clock, ("claude-code", "s-1"), ("gemini-cli", "g-1"))
    endpoint = RecallEndpoint(spool, recall_answerer(app, spool, None))
    assert endpoint.open()
    try:
        first = run_hook(_prompt("claude-code", "s-1", PROMPT), env)
        again = run_hook(_prompt("claude-code", "s-1", PROMPT), env)
        unrelated = run_hook(_prompt("claude-code", "s-1", "fix the typo in the README"), env)
        gemini = run_hook(_prompt("gemini-cli", "g-1", PROMPT, "BeforeAgent"), env, agent="gemini-cli")
    finally:
        endpoint.close()

    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "UserPromptSubmit"
    assert out["additionalContext"].startswith("<aidis-recall>") and DECISION in out["additionalContext"]
    assert again.stdout == b"" and again.returncode == 0  # once per session
    assert unrelated.stdout == b"" and unrelated.returncode == 0  # not even a header
    recalled = json.loads(gemini.stdout)["hookSpecificOutput"]
    assert recalled["hookEventName"] == "BeforeAgent" and DECISION in recalled["additionalContext"]


def test_no_listener_means_nothing_injected_and_the_reason_logged_once(
    app: AppContext, clock: FakeClock, spool: Path, env: dict[str, str], listening: Listener
) -> None:
    _ledger(app, clock, ("claude-code", "s-1"))

    quick = {**env, "AIDIS_RECALL_TIMEOUT_MS": "200"}  # no listener opens the socket within it
    answers = [run_hook(_prompt("claude-code", "s-1", PROMPT), quick) for _ in range(3)]

    assert [(a.returncode, a.stdout) for a in answers] == [(0, b"")] * 3
    lines = (spool.parent / LOG_NAME).read_text().splitlines()
    assert len(lines) == 1 and "ready to recall" in lines[0]


def test_a_slow_answer_is_not_waited_for(
    app: AppContext, clock: FakeClock, spool: Path, env: dict[str, str], listening: Listener
) -> None:
    _ledger(app, clock, ("claude-code", "s-1"))
    release = threading.Event()

    def stuck(question: dict[str, Any]) -> tuple[str, str]:
        release.wait(30)  # a database that does not answer
        return "<aidis-recall>late</aidis-recall>", ""

    endpoint = RecallEndpoint(spool, stuck)
    assert endpoint.open()
    try:
        answer = run_hook(_prompt("claude-code", "s-1", PROMPT), {**env, "AIDIS_RECALL_TIMEOUT_MS": "200"})
    finally:
        release.set()
        endpoint.close()

    assert answer.returncode == 0 and answer.stdout == b""
    assert "no answer within 200 ms" in (spool.parent / LOG_NAME).read_text()


def test_recall_off_asks_nothing_and_a_bad_question_is_answered_naming_the_field(
    app: AppContext, clock: FakeClock, spool: Path, env: dict[str, str], listening: Listener
) -> None:
    _ledger(app, clock, ("claude-code", "s-1"))
    asked: list[dict[str, Any]] = []

    def record(question: dict[str, Any]) -> tuple[str, str]:
        asked.append(question)
        return "", "nothing"

    endpoint = RecallEndpoint(spool, record)
    assert endpoint.open()
    try:
        off = run_hook(_prompt("claude-code", "s-1", PROMPT), {**env, "AIDIS_RECALL": "off"})
        assert endpoint._answer(b'{"agent": "claude-code", "session_id": "s", "prompt": 5}\n') == (
            "",
            "prompt: required (a non-empty string)",
        )
        assert endpoint._answer(b"not json")[1].startswith("body: not JSON")
    finally:
        endpoint.close()
    assert off.stdout == b"" and asked == []

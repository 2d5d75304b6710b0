"""Prompt-time recall: the session's own project's notes about the prompt, in one marked block, each once,
nothing when nothing is relevant — and the block never stored back (both engines, the bundled model)."""

from __future__ import annotations

import dataclasses
import uuid

from aidis.app import AppContext
from aidis.enums import ContextType
from aidis.services.caller import Caller
from aidis.services.memory.recall import Recalled as RecalledNote
from aidis.services.memory.recall import render
from aidis.services.text.redaction import RECALL_CLOSE, RECALL_OPEN
from tests.support import FakeClock

DECISION = "We chose PostgreSQL advisory locks to serialize migrations, so two upgrades never run at once."
ROUNDING = "The ledger rounds half to even (banker's rounding) for every currency."
PROMPT = "make sure two aidis upgrades can't run at the same time on postgres"


def _project_with_notes(app: AppContext, clock: FakeClock) -> None:
    app.projects.create("ledger")
    app.projects.create("other")
    app.contexts.store(Caller("earlier"), DECISION, project="ledger", context_type=ContextType.DECISION)
    app.contexts.store(Caller("earlier"), ROUNDING, project="ledger")
    for i in range(8):  # newer notes: what the next session's hand-over shows
        clock.advance(minutes=1)
        app.contexts.store(Caller("earlier"), f"release note {i}: bumped the changelog", project="ledger")
    app.contexts.store(
        Caller("elsewhere"), "Two upgrades of the shop never run at once: PostgreSQL locks.", project="other"
    )
    assert app.embedder.wait_idle(30)
    clock.advance(days=3)


def _session(app: AppContext, connection: str, project: str) -> None:
    app.sessions.new(connection, project=project)


def test_a_relevant_note_is_recalled_once_in_a_marked_block_with_its_id_and_age(
    app: AppContext, clock: FakeClock
) -> None:
    _project_with_notes(app, clock)
    _session(app, "agent-1", "ledger")

    first = app.recall.for_prompt("agent-1", PROMPT)

    assert first.text.startswith(RECALL_OPEN) and first.text.endswith(RECALL_CLOSE)
    assert DECISION in first.text and "3 days ago" in first.text
    assert [i.content for i in first.items] == [DECISION]
    assert f"id {str(first.items[0].id)[:8]}" in first.text
    assert "shop" not in first.text  # never another project's note
    again = app.recall.for_prompt("agent-1", PROMPT)
    assert again.text == "" and again.items == []  # already handed to this session
    fresh = app.recall.for_prompt("agent-2-no-session", PROMPT)
    assert fresh.text == "" and "not recorded" in fresh.reason
    _session(app, "agent-2", "ledger")
    assert [i.content for i in app.recall.for_prompt("agent-2", PROMPT).items] == [
        DECISION
    ]  # its own session


def test_an_unrelated_prompt_gets_nothing_not_even_a_header(app: AppContext, clock: FakeClock) -> None:
    _project_with_notes(app, clock)
    _session(app, "agent-1", "ledger")

    for prompt in ("fix the typo in the README", "write a poem about cats", "/help"):
        answer = app.recall.for_prompt("agent-1", prompt)
        assert answer.text == "" and answer.items == [], prompt
    assert app.recall.for_prompt("agent-1", "...").reason == "the prompt has no words to search for"


def test_notes_the_hand_over_showed_are_not_recalled(app: AppContext, clock: FakeClock) -> None:
    _project_with_notes(app, clock)
    _session(app, "agent-1", "ledger")

    answer = app.recall.for_prompt("agent-1", "release note bumped the changelog")

    assert not any("release note" in i.content for i in answer.items)  # the 8 newest: handed over


def test_recall_is_off_by_setting_by_project_and_in_unassigned(app: AppContext, clock: FakeClock) -> None:
    _project_with_notes(app, clock)
    _session(app, "agent-1", "ledger")
    app.sessions.new("loose")  # no project: Unassigned

    assert app.recall.for_prompt("loose", PROMPT).text == ""
    settings = app.recall.settings
    app.recall.settings = dataclasses.replace(settings, enabled=False)
    try:
        off = app.recall.for_prompt("agent-1", PROMPT)
    finally:
        app.recall.settings = settings
    assert off.text == "" and "AIDIS_RECALL=off" in off.reason
    app.projects.set_recall("ledger", enabled=False)
    by_project = app.recall.for_prompt("agent-1", PROMPT)
    assert by_project.text == "" and "off for project ledger" in by_project.reason
    app.projects.set_recall("ledger", enabled=True)
    assert DECISION in app.recall.for_prompt("agent-1", PROMPT).text


def test_a_recalled_block_is_never_stored_back(app: AppContext, clock: FakeClock) -> None:
    _project_with_notes(app, clock)
    _session(app, "agent-1", "ledger")
    block = app.recall.for_prompt("agent-1", PROMPT).text
    assert block

    stored = app.contexts.store(
        Caller("agent-1"), f"Plan for today.\n{block}\nThen ship it.", project="ledger"
    )
    assert DECISION not in stored.context.content and "aidis-recall" not in stored.context.content
    escaped = block.replace("<", "&lt;").replace(">", "&gt;")  # how Gemini CLI passes hook context on
    again = app.contexts.store(Caller("agent-1"), f"Notes: {escaped} done", project="ledger")
    assert DECISION not in again.context.content


def test_the_block_stays_within_its_budget_cutting_the_last_note() -> None:
    clock = FakeClock()
    notes = [
        RecalledNote(id=uuid.uuid4(), context_type="note", content="x " * 2000, created_at=clock(), score=0.9)
        for _ in range(3)
    ]
    text, shown = render(notes, clock(), 600)
    assert len(text) <= 600 and len(shown) == 1 and "…" in text
    assert render([], clock(), 600) == ("", [])

"""Claude Code hook events applied to sessions, on both engines (through HookService, as the spool
replay and POST /hooks/claude-code do)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from aidis.app import AppContext
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.errors import InvalidInput
from aidis.services.agents.hook_events import connection_for
from aidis.services.caller import Caller
from tests.gitrepos import make_repo
from tests.support import Database, FakeClock, row_counts


@pytest.fixture
def repo(home: Path) -> Path:
    return make_repo(home / "widgets", "git@github.com:acme/widgets.git")


def event(name: str, sid: str = "cc-1", **fields: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "agent": "claude-code",
        "received_at": None,
        "payload": {"hook_event_name": name, "session_id": sid, **fields},
    }


def assistant(message_id: str, model: str, usage: dict[str, int], request: str = "r") -> str:
    return json.dumps(
        {
            "type": "assistant",
            "requestId": request,
            "message": {"id": message_id, "model": model, "usage": usage},
        }
    )


def test_a_claude_code_session_is_one_aidis_session_in_the_right_project(
    app: AppContext, repo: Path, clock: FakeClock, tmp_path: Path
) -> None:
    transcript = tmp_path / "t.jsonl"
    transcript.write_text("")
    start = app.hooks.apply(
        event("SessionStart", cwd=str(repo), source="startup", transcript_path=str(transcript))
    )
    assert start.session is not None and start.session.project_name == "acme/widgets"
    clock.advance(minutes=1)
    app.hooks.apply(event("UserPromptSubmit", cwd=str(repo), prompt="fix the flaky test"))
    # the agent's stdio MCP server uses the same id (CLAUDE_CODE_SESSION_ID): its calls land here too
    stored = app.contexts.store(
        Caller(connection_for("claude-code", "cc-1"), "claude-code", "stdio"), "found it"
    )
    assert stored.session.id == start.session.id
    usage = {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_creation_input_tokens": 100,
        "cache_read_input_tokens": 1000,
    }
    transcript.write_text(
        "\n".join(
            [
                json.dumps({"type": "user", "message": {"role": "user", "content": "hi"}}),
                assistant("m1", "claude-sonnet", usage, "q1"),
                assistant("m1", "claude-sonnet", usage, "q1"),  # same response, second content block
                assistant("m2", "claude-haiku", {"input_tokens": 7, "output_tokens": 3}, "q2"),
                assistant("s1", "<synthetic>", {"input_tokens": 999, "output_tokens": 999}, "q3"),
                "{not json",
            ]
        )
        + "\n"
        + assistant("m3", "claude-sonnet", {"input_tokens": 1, "output_tokens": 1}, "q4")[
            :30
        ]  # truncated line
    )
    clock.advance(minutes=1)
    stop = app.hooks.apply(event("Stop", cwd=str(repo), transcript_path=str(transcript)))
    assert stop.session is not None
    assert (stop.session.input_tokens, stop.session.output_tokens) == (10 + 100 + 1000 + 7, 5 + 3)
    assert stop.session.metadata["tokens"] == "exact"
    assert set(stop.session.metadata["transcript"]["models"]) == {"claude-sonnet", "claude-haiku"}
    # the truncated line is completed later and counted once; nothing before it is counted again
    text = transcript.read_text()
    transcript.write_text(
        text[: text.rfind("\n") + 1]
        + assistant("m3", "claude-sonnet", {"input_tokens": 1, "output_tokens": 1}, "q4")
        + "\n"
    )
    clock.advance(minutes=1)
    ended = app.hooks.apply(
        event("SessionEnd", cwd=str(repo), reason="prompt_input_exit", transcript_path=str(transcript))
    )
    assert ended.session is not None
    assert ended.session.status == "ended" and ended.session.end_reason == "explicit"
    assert (ended.session.input_tokens, ended.session.output_tokens) == (1118, 9)
    assert ended.session.metadata["agent_end_reason"] == "prompt_input_exit"
    assert app.integrity.check().clean


def test_every_event_applies_once(app: AppContext, repo: Path, db: Database) -> None:
    start = event("SessionStart", cwd=str(repo), source="startup")
    first = app.hooks.apply(start)
    counts = row_counts(db.engine)
    again = app.hooks.apply(start)
    assert first.outcome.startswith("started") and again.outcome == "duplicate"
    assert row_counts(db.engine) == counts


def test_resume_reopens_a_session_the_reaper_closed(app: AppContext, repo: Path, clock: FakeClock) -> None:
    started = app.hooks.apply(event("SessionStart", cwd=str(repo), source="startup")).session
    assert started is not None
    clock.advance(hours=2)
    assert app.sessions.reap_idle(app.idle_timeout) == 1
    resumed = app.hooks.apply(event("SessionStart", cwd=str(repo), source="resume")).session
    assert resumed is not None and resumed.id == started.id and resumed.status == "active"
    kinds = [(e.event_type, e.payload.get("reopened")) for e in app.sessions.detail(started.id).events]
    assert kinds[-1] == ("session_start", True)
    app.hooks.apply(event("SessionEnd", cwd=str(repo), reason="other"))
    report = app.integrity.check()
    assert report.clean, {c.name: c.samples for c in report.checks if c.violations}


def test_clear_ends_the_session_and_routes_the_old_mcp_connection_to_the_new_one(
    app: AppContext, repo: Path, clock: FakeClock
) -> None:
    old = app.hooks.apply(event("SessionStart", "cc-old", cwd=str(repo), source="startup")).session
    clock.advance(minutes=3)
    app.hooks.apply(event("SessionEnd", "cc-old", cwd=str(repo), reason="clear"))
    new = app.hooks.apply(event("SessionStart", "cc-new", cwd=str(repo), source="clear")).session
    assert old is not None and new is not None and new.id != old.id
    assert app.sessions.get(old.id).end_reason == "new_session"
    assert new.metadata["cleared_from"] == old.display_id
    # the MCP server started with the old session id keeps sending calls: they land in the new session
    stored = app.contexts.store(
        Caller(connection_for("claude-code", "cc-old"), "claude-code", "stdio"), "after /clear"
    )
    assert stored.session.id == new.id


def test_two_agent_sessions_in_one_repository_are_two_sessions_in_one_project(
    app: AppContext, repo: Path
) -> None:
    a = app.hooks.apply(event("SessionStart", "cc-a", cwd=str(repo), source="startup")).session
    b = app.hooks.apply(event("SessionStart", "cc-b", cwd=str(repo / "."), source="startup")).session
    assert a is not None and b is not None and a.id != b.id
    assert a.project_id == b.project_id != SENTINEL_PROJECT_ID


def test_events_before_a_start_still_open_a_session(app: AppContext, repo: Path) -> None:
    applied = app.hooks.apply(event("UserPromptSubmit", "cc-late", cwd=str(repo), prompt="x" * 400))
    assert applied.session is not None and applied.session.project_name == "acme/widgets"
    assert applied.session.input_tokens == 100  # estimated until a transcript is read


def test_a_missing_or_malformed_transcript_is_skipped(app: AppContext, repo: Path, tmp_path: Path) -> None:
    app.hooks.apply(event("SessionStart", cwd=str(repo), source="startup"))
    missing = app.hooks.apply(event("Stop", cwd=str(repo), transcript_path=str(tmp_path / "nope.jsonl")))
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_bytes(b"\x00\xff not json\n[1,2]\n")
    bad = app.hooks.apply(event("Stop", cwd=str(repo), transcript_path=str(garbage)))
    assert missing.session is not None and bad.session is not None
    assert bad.session.metadata.get("tokens") != "exact"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"session_id": "x"}, "hook_event_name"),
        ({"hook_event_name": "Stop"}, "session_id"),
        ({"hook_event_name": "Stop", "session_id": 5}, "session_id"),
        ({"hook_event_name": "Stop", "session_id": "x", "cwd": ["a"]}, "cwd"),
        ({"hook_event_name": "Stop", "session_id": "x" * 300}, "session_id"),
    ],
)
def test_a_bad_payload_is_refused_by_field_and_writes_nothing(
    app: AppContext, db: Database, payload: dict[str, Any], field: str
) -> None:
    before = row_counts(db.engine)
    with pytest.raises(InvalidInput) as info:
        app.hooks.apply({"id": "e1", "agent": "claude-code", "payload": payload})
    assert info.value.field == field
    assert row_counts(db.engine) == before


def test_the_start_context_is_this_projects_only_and_bounded(
    app: AppContext, repo: Path, clock: FakeClock
) -> None:
    app.projects.create("other-project")
    app.contexts.store(Caller("elsewhere"), "SECRET of another project", project="other-project")
    first = app.hooks.apply(event("SessionStart", "cc-1", cwd=str(repo), source="startup")).session
    assert first is not None
    caller = Caller(connection_for("claude-code", "cc-1"), "claude-code", "stdio")
    for i in range(200):
        clock.advance(seconds=1)
        app.contexts.store(caller, f"decision {i}: keep retries idempotent " + "x" * 300)
    app.hooks.apply(event("SessionEnd", "cc-1", cwd=str(repo), reason="other"))
    clock.advance(minutes=5)
    app.hooks.apply(event("SessionStart", "cc-2", cwd=str(repo), source="startup"))
    text = app.session_context.for_connection(connection_for("claude-code", "cc-2"))
    assert "acme/widgets" in text and first.display_id in text and "decision 199" in text
    assert "SECRET" not in text
    assert len(text) <= 1500 * 4


def test_an_mcp_connection_that_cannot_be_tied_is_a_second_session_linked_in_metadata(
    app: AppContext, repo: Path
) -> None:
    from aidis.enums import WorkspaceSource
    from aidis.services.caller import WorkspaceHint

    agent = app.hooks.apply(event("SessionStart", "cc-h", cwd=str(repo), source="startup")).session
    other = app.hooks.apply(event("SessionStart", "cc-other", cwd=str(repo), source="startup")).session
    assert agent is not None and other is not None and "linked_agent_session" not in other.metadata
    # Claude Code over HTTP: no session id reaches the server, only the workspace header
    http = Caller(
        "client:claude-http", "claude-code", "http", (WorkspaceHint(str(repo), WorkspaceSource.HEADER),)
    )
    stored = app.contexts.store(http, "over http")
    assert stored.session.id not in (agent.id, other.id)
    assert stored.session.project_id == agent.project_id  # the same, right project
    assert stored.session.metadata["linked_agent_session"] in (agent.display_id, other.display_id)


def test_once_tokens_are_exact_tool_calls_add_no_estimates(
    app: AppContext, repo: Path, tmp_path: Path
) -> None:
    transcript = tmp_path / "t.jsonl"
    transcript.write_text(assistant("m1", "claude-x", {"input_tokens": 40, "output_tokens": 8}) + "\n")
    app.hooks.apply(event("SessionStart", cwd=str(repo), source="startup", transcript_path=str(transcript)))
    stopped = app.hooks.apply(event("Stop", cwd=str(repo), transcript_path=str(transcript))).session
    assert stopped is not None and (stopped.input_tokens, stopped.output_tokens) == (40, 8)
    caller = Caller(connection_for("claude-code", "cc-1"), "claude-code", "stdio")
    stored = app.contexts.store(caller, "a long note " * 200)
    assert (stored.session.input_tokens, stored.session.output_tokens) == (40, 8)
    assert stored.session.tool_call_count == 1


def _prompt(text: str, sid: str = "cc-t") -> dict[str, Any]:
    """A UserPromptSubmit as the hook spools it (slimmed: the prompt itself is never kept)."""
    from aidis.hooks.slim import slim

    raw = {"hook_event_name": "UserPromptSubmit", "session_id": sid, "prompt": text}
    return {**event("UserPromptSubmit", sid), "payload": slim("claude-code", raw)}


def test_the_first_prompt_titles_a_hook_session_redacted_and_shortened(app: AppContext, db: Database) -> None:
    app.hooks.apply(event("SessionStart", "cc-t", source="startup"))
    app.hooks.apply(_prompt("/model opus"))  # a slash command says nothing about the task
    assert app.sessions.status(connection_for("claude-code", "cc-t")).title is None  # type: ignore[union-attr]
    secret = "ghp_" + "A1b2C3d4E5" * 4
    long = f"Rotate the deploy token {secret} and then " + "make the release pipeline pass again " * 5
    app.hooks.apply(_prompt(long + "\nsecond line of details"))
    app.hooks.apply(_prompt("a later prompt never renames it"))
    session = app.sessions.status(connection_for("claude-code", "cc-t"))
    assert session is not None and session.title is not None
    assert session.title.startswith("Rotate the deploy token [REDACTED:") and secret not in session.title
    assert session.title.endswith("…") and len(session.title) <= 100 and "second line" not in session.title
    with db.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.exec_driver_sql("SELECT * FROM hook_events") for v in row)
    assert secret not in stored and "release pipeline pass again make" not in stored  # the prompt is not kept


def test_a_prompt_head_never_cuts_a_word_and_drops_one_too_long_to_keep() -> None:
    from aidis.hooks.slim import prompt_head

    assert prompt_head("  fix the\tflaky   test \n and more") == "fix the flaky test"
    assert prompt_head("x" * 200) is None  # one word longer than a title: dropped whole, never cut
    words = prompt_head("word " * 40)
    assert words is not None and words.endswith(" …") and len(words) <= 82 and "wor …" not in words
    assert prompt_head("<command-name>/clear</command-name>") is None and prompt_head("\n\n") is None

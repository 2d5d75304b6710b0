"""`aidis import-history`: Claude Code sessions from before AIDIS become ended sessions with their real
times, the project of their folder, a redacted title from the first prompt and exact tokens (subagents
included); a session the hooks recorded live is completed from where it was read, never duplicated, and
a later live resume continues it; bad files are reported and skipped; `--since` and `--dry-run` hold.
On both engines, through the service and the command line."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from aidis.app import AppContext
from aidis.cli.main import cli
from aidis.db.schema import session_usage, sessions
from aidis.enums import UsageShape
from aidis.services.agents.history_files import (
    claude_code_files,
    claude_code_roots,
    gemini_files,
    gemini_roots,
    scan_claude_code,
)
from tests.agents.recorded import TOKENS, recorded, replay
from tests.gitrepos import make_repo
from tests.services.usage.histories import write_history
from tests.support import Database


def _count_sessions(app: AppContext) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(sessions)).scalar_one())


def test_an_imported_session_has_its_real_times_project_title_and_tokens(
    app: AppContext, home: Path, tmp_path: Path
) -> None:
    repo = make_repo(home / "code" / "widgets", "git@github.com:acme/widgets.git")
    config = tmp_path / "claude"
    made = write_history(config, sessions=2)
    text = made[0].path.read_text().replace("/work/project-0", str(repo))
    text = text.replace("task 0:", "task 0 (key sk-ant-api03-" + "A" * 40 + "):")
    made[0].path.write_text(text)
    report = app.history.run(list(claude_code_files([config])))
    assert report.created == 2 and report.skipped[0][1].startswith("no dated line")
    first = app.sessions.latest_for_connection(f"claude-code:{made[0].session_id}")
    assert first is not None and first.status == "ended"
    lines = [json.loads(line) for line in made[0].path.read_text().splitlines() if line.startswith('{"')]
    stamps = sorted(
        datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")) for e in lines if "timestamp" in e
    )
    assert first.started_at == stamps[0].astimezone(UTC) and first.ended_at == stamps[-1].astimezone(UTC)
    assert first.project_display_name == "acme/widgets"  # attributed by its folder's remote
    assert first.title is not None and first.title.startswith("task 0") and "sk-ant-api03" not in first.title
    assert "REDACTED" in first.title
    line = app.usage.report(UsageShape.SESSION, timezone="UTC")
    ours = {item.key: item for item in line.lines}[first.display_id]
    sent = ours.tokens["input_tokens"] + ours.tokens["cache_write_tokens"] + ours.tokens["cache_read_tokens"]
    assert (first.input_tokens, first.output_tokens) == (sent, ours.tokens["output_tokens"]) != (0, 0)
    second = app.sessions.latest_for_connection(f"claude-code:{made[1].session_id}")
    assert second is not None and second.metadata["history"]["subagents"]  # its subagent file counted


def test_a_live_session_is_completed_not_duplicated_and_a_later_resume_continues_it(
    app: AppContext, tmp_path: Path
) -> None:
    workspace = tmp_path / "work"
    workspace.mkdir()
    config = tmp_path / "claude"
    folder = config / "projects" / "-work"
    folder.mkdir(parents=True)
    transcript = folder / "cc-live.jsonl"
    fixture = recorded("claude-code", workspace, tmp_path)[0]["transcript_path"]
    whole = [line for line in Path(fixture).read_text().splitlines(keepends=True) if line.strip()]
    half = len(whole) // 2
    transcript.write_text("".join(whole[:half]))
    payloads = [
        {**p, "transcript_path": str(transcript)}
        for p in recorded("claude-code", workspace, tmp_path)
        if p["hook_event_name"] in ("SessionStart", "Stop")
    ]
    live = replay(app, "claude-code", payloads, "cc-live")  # the hooks read the first half
    assert live.input_tokens < TOKENS["claude-code"][0]
    transcript.write_text("".join(whole))  # the rest arrived while the hooks were off
    report = app.history.run(list(claude_code_files([config])))
    assert (report.created, report.completed) == (0, 1)
    again = app.sessions.get(live.id)
    assert (again.input_tokens, again.output_tokens) == TOKENS["claude-code"]
    assert _count_sessions(app) == 1
    with app.engine.connect() as conn:
        summed = conn.execute(select(func.sum(session_usage.c.output_tokens))).scalar_one()
    assert summed == TOKENS["claude-code"][1]  # every response counted once across hooks and import
    assert app.history.run(list(claude_code_files([config]))).unchanged == 1
    resumed = replay(
        app,
        "claude-code",
        [{**payloads[0], "source": "resume", "transcript_path": str(transcript)}],
        "cc-live",
    )
    assert resumed.id == live.id and _count_sessions(app) == 1


def test_bad_files_are_reported_and_skipped_never_fatal(app: AppContext, tmp_path: Path) -> None:
    config = tmp_path / "claude"
    write_history(config, sessions=1)
    folder = config / "projects" / "-work-project-0"
    (folder / "empty.jsonl").write_text("")
    (folder / "garbage.jsonl").write_bytes(b"\x00\xff{{{\n" * 10)
    os.mkfifo(folder / "pipe.jsonl")
    report = app.history.run(list(claude_code_files([config])))
    assert report.created == 1
    skipped = {Path(file).name: why for file, why in report.skipped}
    assert set(skipped) == {"empty.jsonl", "garbage.jsonl", "pipe.jsonl", "notes.jsonl"}
    assert "regular file" in skipped["pipe.jsonl"]


def test_since_and_dry_run_hold(app: AppContext, tmp_path: Path) -> None:
    config = tmp_path / "claude"
    write_history(config, sessions=6)  # 2026-11-20 .. 2026-11-22
    dry = app.history.run(list(claude_code_files([config])), dry_run=True)
    assert dry.created == 6 and dry.tokens > 0 and _count_sessions(app) == 0
    since = datetime(2026, 11, 22, tzinfo=UTC)
    active_since = sum(
        1 for f in claude_code_files([config]) if (last := scan_claude_code(f.main).last_at) and last >= since
    )
    assert 0 < active_since < 6
    later = app.history.run(list(claude_code_files([config])), since=since)
    assert (later.created, later.older) == (active_since, 6 - active_since)
    assert _count_sessions(app) == active_since


def test_the_command_imports_and_refuses_what_it_cannot(db: Database, tmp_path: Path) -> None:
    config = tmp_path / "claude"
    write_history(config, sessions=2)
    env = {"AIDIS_DATABASE_URL": db.url, "AIDIS_LOG_LEVEL": "WARNING"}
    runner = CliRunner()
    done = runner.invoke(cli, ["import-history", "claude-code", "--path", str(config), "--json"], env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["created"] == 2
    for args, word in (
        (["import-history", "vim"], "agent must be one of"),
        (["import-history", "claude-code", "--path", str(tmp_path / "nowhere")], "--path"),
        (["import-history", "claude-code", "--since", "last week"], "--since"),
    ):
        refused = runner.invoke(cli, args, env=env)
        assert refused.exit_code == 2 and word in refused.output, refused.output
    assert claude_code_roots({"CLAUDE_CONFIG_DIR": f"{config},{tmp_path / 'none'}"}, tmp_path) == [config]


def test_an_imported_session_records_the_same_activity_as_its_live_hooks(
    app: AppContext, home: Path, tmp_path: Path
) -> None:
    workspace = make_repo(home / "code" / "widgets", "git@github.com:acme/widgets.git")
    live = replay(app, "claude-code", recorded("claude-code", workspace, home), "cc-hooks")
    config = tmp_path / "claude"
    folder = config / "projects" / "-code-widgets"
    folder.mkdir(parents=True)
    fixture = Path(recorded("claude-code", workspace, home)[0]["transcript_path"]).read_text()
    (folder / "cc-history.jsonl").write_text(
        fixture.replace("/WORKSPACE", str(workspace)).replace("/HOME", str(home))
    )
    report = app.history.run(list(claude_code_files([config])))
    assert report.created == 1
    imported = app.sessions.latest_for_connection("claude-code:cc-history")
    assert imported is not None

    def kinds(session_id: object) -> list[tuple[str, str | None, int | None]]:
        return [(row.kind, row.path, row.exit_code) for row in app.activity.for_session(str(session_id))]

    assert kinds(imported.id) == kinds(live.id) != []
    again = app.history.run(list(claude_code_files([config])))  # a session with activity and a summary
    assert (again.created, again.completed, again.unchanged, again.tokens) == (0, 0, 1, 0)
    assert app.sessions.get(imported.id).input_tokens == imported.input_tokens
    said = {k: v for k, v in (imported.metadata.get("summary") or {}).items() if k != "updated_at"}
    assert said and said == {k: v for k, v in live.metadata["summary"].items() if k != "updated_at"}


def test_one_hour_cache_writes_are_kept_and_priced_as_the_transcript_says(
    app: AppContext, tmp_path: Path
) -> None:
    folder = tmp_path / "claude" / "projects" / "-work"
    folder.mkdir(parents=True)
    usage = {
        "input_tokens": 100,
        "output_tokens": 10,
        "cache_creation_input_tokens": 3000,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
    }
    line = {
        "type": "assistant",
        "cwd": "/work",
        "sessionId": "cc-hour",
        "timestamp": "2026-11-02T10:00:00Z",
        "requestId": "req_1",
        "message": {
            "id": "msg_1",
            "model": "claude-sonnet-4-5-20250929",
            "role": "assistant",
            "usage": usage,
        },
    }
    (folder / "cc-hour.jsonl").write_text(json.dumps(line) + "\n")
    app.history.run(list(claude_code_files([tmp_path / "claude"])))
    with app.engine.connect() as conn:
        row = conn.execute(
            select(session_usage.c.cache_write_tokens, session_usage.c.cache_write_1h_tokens)
        ).one()
    assert tuple(row) == (3000, 2000)
    [line_out] = app.usage.report(UsageShape.SESSION, timezone="UTC").lines
    expected = (
        Decimal(100) * 3 + Decimal(10) * 15 + Decimal(1000) * Decimal("3.75") + Decimal(2000) * 6
    ) / 1_000_000
    assert line_out.cost_usd == expected


def _gemini_chat(gemini_home: Path, workspace: Path, home: Path, session_id: str, marker: bool) -> Path:
    """The recorded Gemini CLI chat, laid where Gemini CLI keeps it, under another session id."""
    fixture = Path(recorded("gemini-cli", workspace, home)[0]["transcript_path"]).read_text()
    live_id = json.loads(fixture.splitlines()[0])["sessionId"]
    project = gemini_home / ".gemini" / "tmp" / ("widgets" if marker else "0" * 8)
    (project / "chats").mkdir(parents=True)
    chat = project / "chats" / f"session-2026-12-02T18-10-{session_id}.jsonl"
    chat.write_text(
        fixture.replace("/WORKSPACE", str(workspace)).replace("/HOME", str(home)).replace(live_id, session_id)
    )
    if marker:
        (project / ".project_root").write_text(str(workspace))
    return chat


def test_a_gemini_cli_chat_is_imported_with_its_projects_folder_tokens_and_activity(
    app: AppContext, home: Path, tmp_path: Path
) -> None:
    workspace = make_repo(home / "code" / "widgets", "git@github.com:acme/widgets.git")
    live = replay(app, "gemini-cli", recorded("gemini-cli", workspace, home), "gem-hooks")
    gemini_home = tmp_path / "gemini-home"
    _gemini_chat(gemini_home, workspace, home, "gem-history", marker=True)
    roots = gemini_roots({"GEMINI_CLI_HOME": str(gemini_home)}, home)
    report = app.history.run(list(gemini_files(roots)))
    assert (report.created, report.skipped) == (1, [])
    imported = app.sessions.latest_for_connection("gemini-cli:gem-history")
    assert imported is not None and imported.status == "ended"
    assert imported.project_display_name == "acme/widgets"  # the folder Gemini CLI recorded for it
    assert imported.title == "tidy the rates"
    assert (imported.input_tokens, imported.output_tokens) == TOKENS["gemini-cli"]

    def kinds(session_id: object) -> list[tuple[str, str | None, int | None]]:
        return [(row.kind, row.path, row.exit_code) for row in app.activity.for_session(str(session_id))]

    assert kinds(imported.id) == kinds(live.id) != []  # the chat says what the hooks said
    assert app.history.run(list(gemini_files(roots))).unchanged == 1


def test_a_gemini_cli_chat_whose_folder_was_not_recorded_is_imported_unassigned(
    app: AppContext, home: Path, tmp_path: Path
) -> None:
    workspace = make_repo(home / "code" / "widgets", "git@github.com:acme/widgets.git")
    gemini_home = tmp_path / "gemini-home"
    _gemini_chat(gemini_home, workspace, home, "gem-nowhere", marker=False)
    report = app.history.run(list(gemini_files(gemini_roots({"GEMINI_CLI_HOME": str(gemini_home)}, home))))
    assert report.created == 1
    imported = app.sessions.latest_for_connection("gemini-cli:gem-nowhere")
    assert imported is not None and imported.is_unassigned  # never guessed from the folder's name
    assert (imported.input_tokens, imported.output_tokens) == TOKENS["gemini-cli"]

"""Memory from a shell: `aidis search`, `aidis contexts …`, `aidis sessions …`, `aidis export`,
`aidis import-export` and `aidis prune`, in-process against a real database (both engines)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from aidis.app import AppContext
from aidis.cli.main import cli
from aidis.services.caller import Caller
from tests.support import Database, FakeClock, row_counts

runner = CliRunner()


def _env(url: str) -> dict[str, str]:
    return {"AIDIS_DATABASE_URL": url, "AIDIS_LOG_LEVEL": "WARNING", "COLUMNS": "200"}


def _seed(app: AppContext) -> tuple[str, str]:
    app.projects.create("alpha")
    stored = app.contexts.store(
        Caller("c1"), "Retry policy\nWe retry idempotent calls three times.", project="alpha"
    )
    app.contexts.store(Caller("c1"), "Fonts: the dashboard uses the system font.")
    session = app.sessions.status("c1")
    assert session is not None
    return str(stored.context.id), session.display_id


def test_search_prints_compact_hits_as_a_table_or_json(app: AppContext, db: Database) -> None:
    context_id, _ = _seed(app)
    table = runner.invoke(cli, ["search", "retrying"], env=_env(db.url))
    assert table.exit_code == 0, table.output
    assert "Retry policy" in table.output and context_id[:8] in table.output
    as_json = runner.invoke(cli, ["search", "retrying", "--json"], env=_env(db.url))
    body = json.loads(as_json.output)
    assert [item["id"] for item in body["items"]] == [context_id] and "content" not in body["items"][0]
    bad = runner.invoke(cli, ["search", "((*"], env=_env(db.url))
    assert bad.exit_code == 2 and "query" in bad.output and "Traceback" not in bad.output


def test_contexts_show_delete_restore_and_purge(app: AppContext, db: Database) -> None:
    context_id, _ = _seed(app)
    shown = runner.invoke(cli, ["contexts", "show", context_id], env=_env(db.url))
    assert shown.exit_code == 0 and "three times" in shown.output
    assert (
        runner.invoke(cli, ["contexts", "delete", context_id, "--reason", "old"], env=_env(db.url)).exit_code
        == 0
    )
    assert runner.invoke(cli, ["contexts", "restore", context_id], env=_env(db.url)).exit_code == 0
    runner.invoke(cli, ["contexts", "delete", context_id], env=_env(db.url))
    purged = runner.invoke(
        cli, ["contexts", "purge", "--all-deleted", "--yes", "--reason", "cleanup"], env=_env(db.url)
    )
    assert purged.exit_code == 0 and "purged 1" in purged.output
    after = json.loads(
        runner.invoke(cli, ["contexts", "show", context_id, "--json"], env=_env(db.url)).output
    )
    assert after["context"]["content"] == "" and after["context"]["purged_at"] is not None
    missing = runner.invoke(cli, ["contexts", "show", "not-an-id"], env=_env(db.url))
    assert missing.exit_code == 2 and "not a context id" in missing.output


def test_sessions_list_and_show(app: AppContext, db: Database) -> None:
    _, display_id = _seed(app)
    listed = json.loads(runner.invoke(cli, ["sessions", "list", "--json"], env=_env(db.url)).output)
    assert [s["display_id"] for s in listed["items"]] == [display_id]
    unassigned = json.loads(
        runner.invoke(cli, ["sessions", "list", "--unassigned", "--json"], env=_env(db.url)).output
    )
    in_alpha = json.loads(
        runner.invoke(cli, ["sessions", "list", "-p", "alpha", "--json"], env=_env(db.url)).output
    )
    assert unassigned["total"] == 0 and in_alpha["total"] == 1  # storing in alpha assigned the session
    shown = runner.invoke(cli, ["sessions", "show", display_id], env=_env(db.url))
    assert shown.exit_code == 0 and "context_stored" in shown.output and "Retry policy" in shown.output
    body = json.loads(runner.invoke(cli, ["sessions", "show", display_id, "--json"], env=_env(db.url)).output)
    assert len(body["contexts"]) == 2 and body["changes"]
    unknown = runner.invoke(cli, ["sessions", "show", "SES-1999-00001"], env=_env(db.url))
    assert unknown.exit_code == 2 and "Traceback" not in unknown.output


def test_export_then_import_export_into_the_same_database_changes_nothing(
    app: AppContext, db: Database, tmp_path: Path
) -> None:
    _seed(app)
    out = tmp_path / "memory.jsonl"
    exported = runner.invoke(cli, ["export", "-o", str(out)], env=_env(db.url))
    assert exported.exit_code == 0, exported.output
    before = row_counts(db.engine)
    loaded = runner.invoke(cli, ["import-export", str(out), "--json"], env=_env(db.url))
    assert loaded.exit_code == 0, loaded.output
    assert sum(json.loads(loaded.output)["inserted"].values()) == 0
    assert row_counts(db.engine) == before
    folder = tmp_path / "md"
    markdown = runner.invoke(cli, ["export", "--format", "markdown", "-o", str(folder)], env=_env(db.url))
    assert markdown.exit_code == 0 and (folder / "alpha" / "README.md").exists()


def test_prune_dry_run_and_a_bad_age(app: AppContext, db: Database, clock: FakeClock) -> None:
    _seed(app)
    app.sessions.end_for_connection("c1")
    clock.advance(days=40)
    dry = runner.invoke(cli, ["prune", "--older-than", "30d", "--dry-run"], env=_env(db.url))
    assert dry.exit_code == 0 and "would delete 2 contexts" in dry.output
    bad = runner.invoke(cli, ["prune", "--older-than", "soon"], env=_env(db.url))
    assert bad.exit_code == 2 and "180d" in bad.output


def test_search_mode_and_the_ranking_used_in_json(app: AppContext, db: Database) -> None:
    app.projects.create("alpha")
    ttl = app.contexts.store(Caller("c1"), "Session tokens expire after 15 minutes.", project="alpha")
    assert app.embedder.wait_idle(60)
    question = "how long until a login becomes invalid"
    words = json.loads(
        runner.invoke(cli, ["search", question, "--mode", "keyword", "--json"], env=_env(db.url)).output
    )
    meaning = json.loads(runner.invoke(cli, ["search", question, "--json"], env=_env(db.url)).output)
    assert words["mode_used"] == "keyword" and words["items"] == []
    assert meaning["mode_used"] == "hybrid" and meaning["items"][0]["id"] == str(ttl.context.id)
    bad = runner.invoke(cli, ["search", question, "--mode", "fuzzy"], env=_env(db.url))
    assert bad.exit_code == 2 and "--mode" in bad.output


def test_embed_reports_and_backfills_what_has_no_vector(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    from aidis.app import build_app
    from aidis.config import Settings

    quiet = build_app(
        Settings(data_dir=tmp_path, database_url=db.url), clock=clock, background_embedding=False
    )
    try:
        for n in range(5):
            quiet.contexts.store(Caller("c1"), f"a note written while nothing embedded {n}")
    finally:
        quiet.close()
    env = {**_env(db.url), "AIDIS_DATA_DIR": str(tmp_path)}
    before = json.loads(runner.invoke(cli, ["embed", "--json"], env=env).output)
    assert (before["embedded"], before["missing"]) == (0, 5)
    checked = runner.invoke(cli, ["check"], env=env)
    assert "5 context(s) without a vector of all-MiniLM-L6-v2/int8" in checked.output
    filled = runner.invoke(cli, ["embed", "--backfill"], env=env)
    assert filled.exit_code == 0, filled.output
    assert (
        "5 context(s) embedded with all-MiniLM-L6-v2/int8, 0 without a vector; 5 embedded now"
        in filled.output
    )
    off = runner.invoke(cli, ["embed", "--backfill"], env={**env, "AIDIS_EMBEDDING_MODEL": "off"})
    assert off.exit_code == 0 and "semantic search is off" in off.output
    missing = runner.invoke(cli, ["embed"], env={**env, "AIDIS_EMBEDDING_MODEL": "model2vec:/nowhere"})
    assert (
        missing.exit_code == 2
        and "AIDIS_EMBEDDING_MODEL" in missing.output
        and "Traceback" not in missing.output
    )


def test_the_ids_search_prints_at_80_columns_are_taken_by_the_next_command(
    app: AppContext, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    context_id, display_id = _seed(app)
    narrow = {**_env(db.url), "COLUMNS": "80"}
    table = runner.invoke(cli, ["search", "retrying"], env=narrow)
    assert table.exit_code == 0, table.output
    printed = context_id[:8]
    assert printed in table.output and display_id in table.output  # neither cut to "SES-20…"
    listed = runner.invoke(cli, ["sessions", "list"], env=narrow)
    assert display_id in listed.output and "…" not in listed.output.split(display_id)[0][-3:]
    shown = runner.invoke(cli, ["contexts", "show", printed], env=narrow)
    assert shown.exit_code == 0 and "three times" in shown.output
    assert runner.invoke(cli, ["contexts", "delete", printed.upper()], env=narrow).exit_code == 0
    restored = runner.invoke(cli, ["contexts", "restore", context_id[:5]], env=narrow)
    assert restored.exit_code == 0 and context_id in restored.output
    # two ids sharing a start: the command lists both and changes nothing
    twins = iter(
        [uuid.UUID("abcd1234-0000-4000-8000-000000000001"), uuid.UUID("abcd5678-0000-4000-8000-000000000002")]
    )
    # only the store's new context ids are chosen here (everything else draws its ids as usual)
    monkeypatch.setattr(
        "aidis.services.memory.store.uuid", SimpleNamespace(uuid4=lambda: next(twins), UUID=uuid.UUID)
    )
    first = app.contexts.store(Caller("c2"), "Deploys go out on Tuesdays.", project="alpha")
    second = app.contexts.store(Caller("c2"), "Backups run nightly at two.", project="alpha")
    before = row_counts(app.engine)
    ambiguous = runner.invoke(cli, ["contexts", "delete", "abcd"], env=narrow)
    assert ambiguous.exit_code == 2 and "Traceback" not in ambiguous.output
    assert str(first.context.id) in ambiguous.output and str(second.context.id) in ambiguous.output
    assert "Tuesdays" in ambiguous.output and row_counts(app.engine) == before
    unknown = runner.invoke(cli, ["contexts", "show", "ffff0000"], env=narrow)
    assert unknown.exit_code != 0 and "no context id starts with 'ffff0000'" in unknown.output


def test_contexts_add_stores_a_note_by_the_tools_rules(
    app: AppContext, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "widgets"
    folder.mkdir()
    app.projects.create("widgets", roots=[str(folder)])
    monkeypatch.chdir(folder)
    added = runner.invoke(
        cli, ["contexts", "add", "Releases are cut on Thursdays.", "--tag", "ops", "--json"], env=_env(db.url)
    )
    assert added.exit_code == 0, added.output
    out = json.loads(added.output)
    assert (
        out["outcome"] == "stored"
        and out["context"]["project"] == "widgets"
        and out["context"]["tags"] == ["ops"]
    )
    again = runner.invoke(
        cli, ["contexts", "add", "Releases are cut on Thursdays.", "--tag", "ops"], env=_env(db.url)
    )
    assert again.exit_code == 0 and again.output.startswith("duplicate: " + out["context"]["id"])
    piped = runner.invoke(
        cli,
        ["contexts", "add", "-", "--key", "decision/db", "-p", "widgets"],
        input="We chose PostgreSQL.\n",
        env=_env(db.url),
    )
    assert piped.exit_code == 0 and piped.output.startswith("stored: ")
    shown = runner.invoke(cli, ["search", "PostgreSQL", "--json"], env=_env(db.url))
    assert [h["key"] for h in json.loads(shown.output)["items"]] == ["decision/db"]
    before = row_counts(app.engine)
    refused = runner.invoke(cli, ["contexts", "add", "x", "--project", "nowhere"], env=_env(db.url))
    assert refused.exit_code == 2 and "project" in refused.output and "Traceback" not in refused.output
    assert row_counts(app.engine) == before

"""The `aidis` command line, run in-process with Typer's runner against a real database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from aidis.app import AppContext
from aidis.cli.main import cli
from aidis.db.migrate import head_revision
from tests.support import Database, fresh_database_url

runner = CliRunner()


def _env(url: str) -> dict[str, str]:
    return {"AIDIS_DATABASE_URL": url, "AIDIS_LOG_LEVEL": "WARNING"}


def test_db_upgrade_twice_reports_a_no_op(engine_name: str, tmp_path: Path) -> None:
    with fresh_database_url(engine_name, tmp_path) as url:
        first = runner.invoke(cli, ["db", "upgrade"], env=_env(url))
        second = runner.invoke(cli, ["db", "upgrade"], env=_env(url))
        current = runner.invoke(cli, ["db", "current"], env=_env(url))
    assert first.exit_code == 0 and "upgraded from empty" in first.output
    assert second.exit_code == 0 and "nothing to do" in second.output
    assert head_revision() in current.output


def test_check_exit_code_is_zero_when_clean_and_one_otherwise(app: AppContext, db: Database) -> None:
    clean = runner.invoke(cli, ["check", "--json"], env=_env(db.url))
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.output)["clean"] is True
    from sqlalchemy import text

    app.sessions.start("c1")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE sessions SET event_count = 99"))
    dirty = runner.invoke(cli, ["check"], env=_env(db.url))
    assert dirty.exit_code == 1 and "VIOLATIONS FOUND" in dirty.output
    fixed = runner.invoke(cli, ["check", "--fix"], env=_env(db.url))
    assert fixed.exit_code == 0 and "clean" in fixed.output


def test_backfill_dry_run_and_bad_share(db: Database) -> None:
    ok = runner.invoke(cli, ["backfill", "--dry-run"], env=_env(db.url))
    assert ok.exit_code == 0 and "dry run" in ok.output
    bad = runner.invoke(cli, ["backfill", "--min-share", "0.2"], env=_env(db.url))
    assert bad.exit_code == 2 and "min-share" in bad.output


def test_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["check"], env=_env("mysql://nope/x"))
    assert result.exit_code == 2
    assert "not supported" in result.output
    assert "Traceback" not in result.output


def test_demo_data_fills_a_database_that_checks_clean(engine_name: str, tmp_path: Path) -> None:
    with fresh_database_url(engine_name, tmp_path) as url:
        result = runner.invoke(cli, ["demo-data", "--sessions", "12", "--days", "3"], env=_env(url))
        bulk = runner.invoke(
            cli, ["demo-data", "--bulk", "--sessions", "300", "--projects", "3"], env=_env(url)
        )
        check = runner.invoke(cli, ["check", "--json"], env=_env(url))
    assert result.exit_code == 0, result.output
    assert bulk.exit_code == 0 and "generated 300 sessions and 1500 events" in bulk.output
    assert check.exit_code == 0, check.output

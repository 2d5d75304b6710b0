"""`aidis projects …` against a real database, on both engines."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from aidis.app import AppContext
from aidis.cli.main import cli
from tests.support import Database

runner = CliRunner()


def _run(db: Database, *args: str) -> str:
    result = runner.invoke(
        cli, ["projects", *args], env={"AIDIS_DATABASE_URL": db.url, "AIDIS_LOG_LEVEL": "WARNING"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_projects_commands_end_to_end(app: AppContext, db: Database, tmp_path: Path) -> None:
    assert "created project widgets" in _run(db, "create", "widgets", "--root", str(tmp_path))
    assert "github.com/acme/widgets" in _run(db, "add-repo", "widgets", "git@github.com:acme/widgets.git")
    _run(db, "create", "widgets-old")
    app.sessions.start("c1", project="widgets-old")
    assert "1 sessions" in _run(db, "merge", "widgets-old", "widgets")
    assert "renamed to gadgets" in _run(db, "rename", "widgets", "gadgets")
    listed = json.loads(_run(db, "list", "--json"))
    gadgets = next(p for p in listed if p["name"] == "gadgets")
    assert gadgets["session_count"] == 1
    assert {w["identity"] for w in gadgets["workspaces"]} == {str(tmp_path), "github.com/acme/widgets"}
    assert "root" not in _run(db, "remove-root", "gadgets", str(tmp_path)).split(":", 1)[1]
    assert "archived gadgets" in _run(db, "archive", "gadgets")


def test_a_bad_root_is_one_line_naming_the_field(db: Database) -> None:
    result = runner.invoke(
        cli, ["projects", "create", "p", "--root", "relative/dir"], env={"AIDIS_DATABASE_URL": db.url}
    )
    assert result.exit_code == 2
    assert "roots[0] must be an absolute path" in result.output and "Traceback" not in result.output

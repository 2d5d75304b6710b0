"""Command-line conventions a user expects: `aidis --version`, and bare `aidis` prints its help and exits
0 with no error line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from aidis import __version__
from tests.mcp.transports import aidis_executable
from tests.support import shared_cache_dir


def test_version_and_bare_help() -> None:
    shown = subprocess.run([aidis_executable(), "--version"], capture_output=True, text=True, check=False)
    assert shown.returncode == 0 and shown.stdout.strip() == f"aidis {__version__}"
    bare = subprocess.run([aidis_executable()], capture_output=True, text=True, check=False)
    assert bare.returncode == 0, bare.stderr
    assert "Usage: aidis" in bare.stdout and "error" not in (bare.stdout + bare.stderr).lower()


def test_help_groups_the_commands_by_what_they_are_for() -> None:
    shown = subprocess.run(
        [aidis_executable(), "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"},
    )
    assert shown.returncode == 0
    panels = [
        p
        for p in (
            "Run and connect",
            "Memory",
            "Sessions and projects",
            "Usage and cost",
            "Data in and out",
            "Team",
            "Operations",
        )
        if p in shown.stdout
    ]
    assert len(panels) == 7, shown.stdout
    run = shown.stdout.split("Run and connect")[1].split("╰")[0]
    assert all(f"│ {c} " in run for c in ("setup", "serve", "mcp", "hook"))


def test_json_output_uses_the_apis_field_names(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "AIDIS_DATA_DIR": str(tmp_path / "data"),
    }
    run = subprocess.run(
        [aidis_executable(), "projects", "list", "--json"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    (unassigned,) = json.loads(run.stdout)
    assert {"id", "name", "status", "session_count", "is_unassigned", "workspaces"} <= set(unassigned)


@pytest.mark.parametrize(
    ("command", "fields"),
    [
        (["version", "--json"], {"version"}),
        (["db", "current", "--json"], {"database", "code", "current"}),
        (["db", "upgrade", "--json"], {"before", "after", "changed"}),
        (["backfill", "--dry-run", "--json"], {"run_id", "dry_run", "candidates", "assigned", "by_project"}),
        (["prune", "--older-than", "365d", "--dry-run", "--json"], {"dry_run", "cutoff", "counts"}),
        (["check", "--json"], set()),
    ],
    ids=lambda c: " ".join(c) if isinstance(c, list) else "",
)
def test_every_reporting_command_speaks_json(command: list[str], fields: set[str], tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "AIDIS_DATA_DIR": str(tmp_path / "data"),
    }
    run = subprocess.run([aidis_executable(), *command], capture_output=True, text=True, check=False, env=env)
    assert run.returncode == 0, run.stderr
    assert fields <= set(json.loads(run.stdout))


def test_export_reports_as_json_on_stderr_beside_the_export(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "AIDIS_DATA_DIR": str(tmp_path / "data"),
    }
    run = subprocess.run(
        [aidis_executable(), "export", "--json"], capture_output=True, text=True, check=False, env=env
    )
    assert run.returncode == 0, run.stderr
    assert {"counts", "digest"} <= set(json.loads(run.stderr))
    assert all(json.loads(line) for line in run.stdout.splitlines())  # the export itself, untouched

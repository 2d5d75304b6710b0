"""Every command meets an unreachable database or an unwritable data folder with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aidis.cli.main import cli
from tests.support import shared_cache_dir

runner = CliRunner()
COMMANDS = [  # `aidis mcp` opens its database when a tool first needs it: tests/mcp/test_deferred_start.py
    ["serve"],
    ["db", "upgrade"],
    ["db", "current"],
    ["demo-data", "--sessions", "1"],
    ["backfill", "--dry-run"],
    ["check"],
    ["import-legacy", "postgresql://postgres@127.0.0.1:5432/postgres", "--dry-run"],
]


def _assert_one_clear_line(output: str, *needles: str) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, output
    assert "Traceback" not in output and "sqlalchemy" not in output.lower(), output
    for needle in needles:
        assert needle in output, (needle, output)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_unreachable_database_is_one_line_with_the_password_masked(command: list[str]) -> None:
    env = {"AIDIS_DATABASE_URL": "postgresql://postgres:hunter2@127.0.0.1:1/x", "AIDIS_LOG_LEVEL": "WARNING"}
    result = runner.invoke(cli, command, env=env)
    assert result.exit_code != 0
    _assert_one_clear_line(result.output, "postgresql://postgres:***@127.0.0.1:1/x", "AIDIS_DATABASE_URL")
    assert "hunter2" not in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_unwritable_data_dir_is_one_line(command: list[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {"AIDIS_DATA_DIR": str(blocker / "aidis"), "AIDIS_DATABASE_URL": "", "AIDIS_LOG_LEVEL": "WARNING"}
    result = runner.invoke(cli, command, env=env)
    assert result.exit_code != 0
    _assert_one_clear_line(result.output, "AIDIS_DATA_DIR", str(blocker / "aidis"))


def test_a_busy_port_is_one_line_and_exit_2_before_any_banner(tmp_path: Path) -> None:
    import socket
    import subprocess

    from tests.mcp.transports import aidis_executable

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "AIDIS_CACHE_DIR": shared_cache_dir(),
            "AIDIS_DATA_DIR": str(tmp_path / "data"),
        }
        result = subprocess.run(
            [aidis_executable(), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert result.returncode == 2, result.stderr
    output = result.stdout + result.stderr
    _assert_one_clear_line(output, f"port {port} on 127.0.0.1 is in use", "--port")
    assert " on http://" not in output and '"levelname"' not in output  # no banner, no log line
    assert not (tmp_path / "data").exists()  # nothing started: not even the database

"""An unexpected error in a command (a bug, not bad input) is one line on stderr naming where its
traceback went (`cli-errors.log` in the data directory), exit code 2 — never a traceback to the user."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import aidis.cli.main as cli_main


def test_a_bug_is_one_line_and_its_traceback_goes_to_cli_errors_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("a bug deep inside a command")

    monkeypatch.setenv("AIDIS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["aidis", "check"])  # a command, whatever argv pytest was given
    monkeypatch.setattr(cli_main, "cli", broken)
    with pytest.raises(SystemExit) as ended:
        cli_main.main()
    assert ended.value.code == 2
    said = capsys.readouterr().err
    log = tmp_path / "cli-errors.log"
    assert "internal error (RuntimeError)" in said and str(log) in " ".join(said.split())
    assert "Traceback" not in said
    kept = log.read_text()
    assert "Traceback" in kept and "a bug deep inside a command" in kept

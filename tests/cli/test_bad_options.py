"""Every `aidis` command, given malformed and out-of-range options, fails with one line on stderr and exit
status 2 — never a traceback — and the failures the services raise (a locked database) say so the same
way. Runs the real entry point (`aidis.cli.main.main`) in-process."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.main import get_command

from aidis.cli.main import cli, main

NUMBERS = ("abc", "-99999999999999999999", "99999999999999999999", "1e999")


def leaf_commands() -> Iterator[tuple[list[str], object]]:
    def walk(command: object, path: list[str]) -> Iterator[tuple[list[str], object]]:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, command

    yield from walk(get_command(cli), [])


def bad_invocations() -> Iterator[tuple[str, ...]]:
    for path, command in leaf_commands():
        if path == ["hook"]:
            continue  # `aidis hook` always exits 0 (it is dispatched before the command line; tested there)
        yield (*path, "--no-such-option")
        for param in getattr(command, "params", []):
            number = getattr(param, "min", None) is not None or getattr(param, "max", None) is not None
            if param.param_type_name == "option" and number:
                for value in NUMBERS:
                    yield (*path, param.opts[0], value)


def run(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["aidis", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), captured.out + captured.err


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIDIS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("AIDIS_DATABASE_URL", raising=False)


def test_every_numeric_option_is_bounded() -> None:
    unbounded = [
        f"{' '.join(path)} {param.opts[0]}"
        for path, command in leaf_commands()
        for param in getattr(command, "params", [])
        if param.param_type_name == "option"
        and (getattr(param, "min", None) is None) != (getattr(param, "max", None) is None)
    ]
    assert unbounded == []


@pytest.mark.parametrize("args", list(bad_invocations()), ids=" ".join)
def test_a_bad_option_is_one_line_and_exit_2(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run(args, monkeypatch, capsys)
    assert code == 2, output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output
    assert output.startswith("error: ")


def test_demo_data_twice_adds_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(("demo-data", "--sessions", "4"), monkeypatch, capsys)
    second = run(("demo-data", "--sessions", "4"), monkeypatch, capsys)
    assert first == (0, "created 4 demo sessions over 30 days\n")
    assert second == first


def test_a_locked_database_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(("db", "upgrade"), monkeypatch, capsys)[0] == 0
    monkeypatch.setenv("AIDIS_SQLITE_BUSY_TIMEOUT_MS", "50")
    holder = sqlite3.connect(tmp_path / "aidis.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        for args in (("demo-data", "--sessions", "2"), ("projects", "create", "x")):
            code, output = run(args, monkeypatch, capsys)
            assert code == 2 and "Traceback" not in output, output
            assert len(output.strip().splitlines()) == 1 and "cannot be reached" in output, output
    finally:
        holder.execute("ROLLBACK")
        holder.close()

"""`aidis setup` on fixture configuration files: unrelated entries kept, idempotent, dry run, uninstall."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomlkit
from typer.testing import CliRunner

from aidis.cli.main import cli

runner = CliRunner()

CLAUDE_JSON = {
    "numStartups": 7,
    "mcpServers": {"memory": {"type": "stdio", "command": "npx", "args": ["mem"]}},
}
CLAUDE_SETTINGS = {
    "permissions": {"allow": ["Bash(ls:*)"]},
    "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]},
}


CODEX_HOOKS = {
    "hooks": {"PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint"}]}]}
}
GEMINI_SETTINGS = {
    "theme": "Dracula",
    "mcpServers": {"git": {"command": "git-mcp"}},
    "hooks": {"AfterTool": [{"matcher": "write_file", "hooks": [{"type": "command", "command": "fmt"}]}]},
}


def _setup(home: Path, *args: str) -> str:
    result = runner.invoke(cli, ["setup", *args], env={"HOME": str(home)})
    assert result.exit_code == 0, result.output
    return result.output


def _json(path: Path) -> dict[str, object]:
    return json.loads(path.read_text())


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude.json").write_text(json.dumps(CLAUDE_JSON))
    (tmp_path / ".claude" / "settings.json").write_text(json.dumps(CLAUDE_SETTINGS))
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex" / "config.toml").write_text(
        'model = "o3"  # my model\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n'
    )
    return tmp_path


def test_claude_code_setup_keeps_everything_else_is_idempotent_and_uninstalls_exactly(home: Path) -> None:
    _setup(home, "claude-code")
    servers = _json(home / ".claude.json")["mcpServers"]
    assert isinstance(servers, dict) and set(servers) == {"memory", "aidis"}
    assert servers["aidis"]["args"] == ["mcp"]
    settings = _json(home / ".claude" / "settings.json")
    hooks = settings["hooks"]
    assert isinstance(hooks, dict)
    assert set(hooks) == {
        "SessionStart",
        "UserPromptSubmit",
        "PostToolUse",
        "PostToolUseFailure",
        "Stop",
        "PreCompact",
        "SessionEnd",
    }
    assert {"hooks": [{"type": "command", "command": "say done"}]} in hooks["Stop"]
    assert hooks["SessionStart"][0]["matcher"] == "startup|resume|clear|compact"
    assert settings["permissions"] == CLAUDE_SETTINGS["permissions"]
    assert _json(home / ".claude.json.aidis-backup") == CLAUDE_JSON  # one backup, before AIDIS wrote
    assert _json(home / ".claude" / "settings.json.aidis-backup") == CLAUDE_SETTINGS

    snapshot = {p: p.read_text() for p in (home / ".claude.json", home / ".claude" / "settings.json")}
    assert "already set up" in _setup(home, "claude-code")
    assert {p: p.read_text() for p in snapshot} == snapshot

    _setup(home, "claude-code", "--uninstall")
    assert _json(home / ".claude.json") == CLAUDE_JSON
    assert _json(home / ".claude" / "settings.json") == CLAUDE_SETTINGS


def test_dry_run_writes_nothing(home: Path) -> None:
    before = (home / ".claude.json").read_text()
    out = _setup(home, "claude-code", "--dry-run")
    assert "dry run: nothing was written" in out and '"aidis"' in out
    assert (home / ".claude.json").read_text() == before


def test_project_scope_writes_files_a_teammate_can_run_and_uninstall_leaves_none(
    home: Path, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    _setup(home, "claude-code", "--scope", "project", "--project", str(project))
    server = _json(project / ".mcp.json")["mcpServers"]["aidis"]  # type: ignore[index]
    assert server["command"] == "aidis"  # type: ignore[index]  # not this machine's venv path
    hooks = _json(project / ".claude" / "settings.json")["hooks"]
    assert hooks["SessionEnd"][0]["hooks"][0]["command"] == "aidis hook claude-code"  # type: ignore[index]
    assert str(tmp_path) not in (project / ".mcp.json").read_text()
    _setup(home, "claude-code", "--scope", "project", "--project", str(project), "--uninstall")
    assert sorted(p.name for p in project.rglob("*") if p.is_file()) == []  # no {} files, no backups


def test_setup_and_uninstall_of_three_agents_leave_one_backup_per_file_and_no_empty_files(
    home: Path,
) -> None:
    def configs() -> dict[Path, object]:
        return {
            p: json.loads(p.read_text()) if p.suffix == ".json" else p.read_text()
            for p in home.rglob("*")
            if p.is_file()
            and p.relative_to(home).parts[0] in (".claude", ".claude.json", ".codex", ".gemini")
            and "aidis-backup" not in p.name
        }

    before = configs()
    for agent in ("claude-code", "codex", "gemini-cli"):
        _setup(home, agent)
    for agent in ("claude-code", "codex", "gemini-cli"):
        _setup(home, agent, "--uninstall")
    backups = sorted(str(p.relative_to(home)) for p in home.rglob("*aidis-backup*"))
    assert backups == [
        ".claude.json.aidis-backup",
        ".claude/settings.json.aidis-backup",
        ".codex/config.toml.aidis-backup",
    ]
    assert configs() == before
    assert not (home / ".codex" / "hooks.json").exists() and not (home / ".gemini" / "settings.json").exists()


def test_the_diff_prints_long_lines_whole_in_a_narrow_terminal(home: Path) -> None:
    long_path = home / ("a-very-long-folder-name-" * 6)
    long_path.mkdir()
    result = runner.invoke(
        cli,
        ["setup", "claude-code", "--dry-run", "--scope", "project", "--project", str(long_path)],
        env={"HOME": str(home), "COLUMNS": "60"},
    )
    assert result.exit_code == 0, result.output
    assert str(long_path / ".mcp.json") in result.output.replace("\n", "")  # wrapped, never cut
    assert "…" not in result.output


def test_codex_keeps_comments_and_other_servers_and_gets_hooks(home: Path) -> None:
    (home / ".codex" / "hooks.json").write_text(json.dumps(CODEX_HOOKS))
    out = _setup(home, "codex")
    assert "/hooks" in out  # how to trust the hooks: setup never trusts them itself
    text = (home / ".codex" / "config.toml").read_text()
    doc = tomlkit.parse(text)
    assert "# my model" in text and doc["mcp_servers"]["docs"]["command"] == "docs-mcp"  # type: ignore[index]
    aidis = doc["mcp_servers"]["aidis"]  # type: ignore[index]
    assert aidis["args"] == ["mcp"] and aidis["env"]["AIDIS_AGENT_TYPE"] == "codex"  # type: ignore[index]
    assert {"AIDIS_DATA_DIR", "AIDIS_DATABASE_URL"} <= set(aidis["env_vars"])  # type: ignore[index]
    hooks = _json(home / ".codex" / "hooks.json")["hooks"]
    assert isinstance(hooks, dict)
    assert {"SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "SessionEnd"} <= set(hooks)
    assert CODEX_HOOKS["hooks"]["PostToolUse"][0] in hooks["PostToolUse"]
    assert "already set up" in _setup(home, "codex")
    _setup(home, "codex", "--uninstall")
    assert (
        home / ".codex" / "config.toml"
    ).read_text() == 'model = "o3"  # my model\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n'
    assert _json(home / ".codex" / "hooks.json") == CODEX_HOOKS


def test_gemini_cli_gets_the_server_and_hooks_in_one_settings_file(home: Path) -> None:
    (home / ".gemini").mkdir()
    (home / ".gemini" / "settings.json").write_text(json.dumps(GEMINI_SETTINGS))
    _setup(home, "gemini-cli")
    settings = _json(home / ".gemini" / "settings.json")
    assert settings["theme"] == "Dracula" and set(settings["mcpServers"]) == {"git", "aidis"}  # type: ignore[arg-type]
    hooks = settings["hooks"]
    assert isinstance(hooks, dict)
    assert {"SessionStart", "BeforeAgent", "AfterTool", "AfterAgent", "SessionEnd"} <= set(hooks)
    assert hooks["SessionStart"][0]["hooks"][0]["timeout"] == 10_000  # milliseconds, as Gemini CLI counts
    assert "already set up" in _setup(home, "gemini-cli")
    _setup(home, "gemini-cli", "--uninstall")
    assert _json(home / ".gemini" / "settings.json") == GEMINI_SETTINGS


@pytest.mark.parametrize(
    ("agent", "path"), [("cursor", ".cursor/mcp.json"), ("gemini-cli", ".gemini/settings.json")]
)
def test_json_agents_get_the_server_entry(home: Path, agent: str, path: str) -> None:
    _setup(home, agent)
    assert _json(home / path)["mcpServers"]["aidis"]["env"]["AIDIS_AGENT_TYPE"] == agent  # type: ignore[index]
    _setup(home, agent, "--uninstall")
    assert not (home / path).exists()  # setup created it; nothing else was in it


def test_a_broken_config_file_is_never_overwritten(home: Path) -> None:
    (home / ".claude.json").write_text("{ not json")
    result = runner.invoke(cli, ["setup", "claude-code"], env={"HOME": str(home)})
    assert result.exit_code == 2 and "is not valid JSON" in result.output
    assert (home / ".claude.json").read_text() == "{ not json"


def test_unknown_agent_is_a_clear_error(home: Path) -> None:
    result = runner.invoke(cli, ["setup", "vim"], env={"HOME": str(home)})
    assert result.exit_code == 2 and "claude-code, codex, gemini-cli, cursor" in result.output


def test_setup_offers_the_history_import_once(home: Path) -> None:
    from tests.services.usage.histories import write_history

    write_history(home / ".claude", sessions=2)
    first = _setup(home, "claude-code")
    assert "3 claude-code transcript(s) from before AIDIS found" in first  # two sessions and a foreign file
    assert "aidis import-history claude-code" in first
    _setup(home, "claude-code", "--uninstall")
    again = _setup(home, "claude-code")
    assert "before AIDIS" not in again  # offered once per agent and data folder
    assert "before AIDIS" not in _setup(home, "codex")  # no Codex history here: nothing to offer

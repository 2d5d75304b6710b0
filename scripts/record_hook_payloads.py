"""Record the hook payloads the real agents send (the pinned versions `make agents` installs), as test
fixtures: `python scripts/record_hook_payloads.py` writes tests/agents/fixtures/<agent>/NN-<event>.json.

Each agent runs offline against its scripted model, in a scratch git repository, with a hook on every
lifecycle and tool event that only copies its stdin to a file. The script makes the agent read a file,
create one, edit one, run a failing test run, delete a file and store a decision through AIDIS, so the
fixtures hold every kind of payload AIDIS reads, and the agent's own transcript of the session
(`transcript.jsonl`). Paths under the scratch folder are replaced with `/WORKSPACE` (the repository)
and `/HOME` (the agent's HOME) so the fixtures do not depend on the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.agents.agent_installs import agent_binary
from tests.agents.gemini_standin import GeminiModel, running_gemini_standin
from tests.agents.model_standin import StandIn, running_standin
from tests.agents.responses_standin import ResponsesModel, running_responses_standin

FIXTURES = ROOT / "tests" / "agents" / "fixtures"
TEST_FILE = "def test_ok():\n    assert 1 + 1 == 2\n\n\ndef test_broken():\n    assert 1 + 1 == 3\n"
DUMP = """#!/bin/sh
mkdir -p "{folder}"
cat > "{folder}/$(date +%s%N).json"
"""
CLAUDE_EVENTS = [
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "Stop",
    "PreCompact",
    "SessionEnd",
]
CODEX_EVENTS = [
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "Stop",
    "PreCompact",
    "SessionEnd",
]
GEMINI_EVENTS = [
    "SessionStart",
    "BeforeAgent",
    "BeforeTool",
    "AfterTool",
    "AfterAgent",
    "PreCompress",
    "SessionEnd",
]


def scratch_repo(home: Path) -> Path:
    """A git repository with a module and a test file (one test passes, one fails)."""
    repo = home / "code" / "widgets"
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "remote", "add", "origin", "git@github.com:acme/widgets.git"], check=True
    )
    (repo / "app.py").write_text("RATE = 1\n")
    (repo / "test_app.py").write_text(TEST_FILE)
    (repo / "old_notes.txt").write_text("obsolete\n")
    return repo


def _dump_hook(folder: Path) -> str:
    script = folder.parent / "dump.sh"
    script.write_text(DUMP.format(folder=folder))
    script.chmod(0o755)
    return str(script)


def record_claude(home: Path, repo: Path, out: Path) -> None:
    """Claude Code: Read, Write, Edit, Bash (tests, rm) and an AIDIS store."""
    hook = _dump_hook(out)
    settings = {
        "hooks": {
            e: [{"matcher": "*", "hooks": [{"type": "command", "command": hook}]}] for e in CLAUDE_EVENTS
        }
    }
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    (home / ".claude" / "settings.json").write_text(json.dumps(settings))
    (home / ".claude.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "aidis": {
                        "type": "stdio",
                        "command": str(Path(sys.executable).parent / "aidis"),
                        "args": ["mcp"],
                    }
                }
            }
        )
    )
    script = [
        ("Read", {"file_path": str(repo / "app.py")}),
        ("Write", {"file_path": str(repo / "notes.txt"), "content": "decided: rates are integers\n"}),
        ("Edit", {"file_path": str(repo / "app.py"), "old_string": "RATE = 1", "new_string": "RATE = 2"}),
        ("Bash", {"command": f"{sys.executable} -m pytest -q test_app.py", "description": "run the tests"}),
        ("Bash", {"command": "rm old_notes.txt", "description": "remove the old notes"}),
        ("mcp__aidis__context_store", {"content": "Decided: rates are integers"}),
    ]
    model = StandIn(script)
    with running_standin(model) as (url, _):
        _run(
            [
                agent_binary("claude-code"),
                "-p",
                "tidy the rates",
                "--allowedTools",
                "Read,Write,Edit,Bash,mcp__aidis__context_store",
            ],
            repo,
            {"HOME": str(home), "ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "sk-ant-standin"},
        )


def record_codex(home: Path, repo: Path, out: Path) -> None:
    """Codex: shell commands (read, create, edit, tests, rm) and an AIDIS store."""
    hook = _dump_hook(out)
    (home / ".codex").mkdir(parents=True, exist_ok=True)
    (home / ".codex" / "hooks.json").write_text(
        json.dumps({"hooks": {e: [{"hooks": [{"type": "command", "command": hook}]}] for e in CODEX_EVENTS}})
    )
    script = [
        ("exec_command", {"cmd": "cat app.py"}),
        ("exec_command", {"cmd": "printf 'decided: rates are integers\\n' > notes.txt"}),
        ("exec_command", {"cmd": "sed -i 's/RATE = 1/RATE = 2/' app.py"}),
        ("exec_command", {"cmd": f"{sys.executable} -m pytest -q test_app.py"}),
        ("exec_command", {"cmd": "rm old_notes.txt"}),
        ("mcp__aidis/context_store", {"content": "Decided: rates are integers"}),
    ]
    with running_responses_standin(ResponsesModel(script)) as (url, _):
        (home / ".codex" / "config.toml").write_text(codex_config(url))
        _run(
            [agent_binary("codex"), "exec", "--dangerously-bypass-hook-trust", "tidy the rates"],
            repo,
            {"HOME": str(home), "OPENAI_API_KEY": "sk-standin"},
        )


def codex_config(url: str) -> str:
    """Codex's config for the scripted model (and AIDIS's MCP server)."""
    return f"""model = "gpt-standin"
model_provider = "standin"
approval_policy = "never"
sandbox_mode = "danger-full-access"

[model_providers.standin]
name = "standin"
base_url = "{url}"
wire_api = "responses"

[mcp_servers.aidis]
command = "{Path(sys.executable).parent / "aidis"}"
args = ["mcp"]
"""


def record_gemini(home: Path, repo: Path, out: Path) -> None:
    """Gemini CLI: read_file, write_file, replace, run_shell_command (tests, rm) and an AIDIS store."""
    hook = _dump_hook(out)
    (home / ".gemini").mkdir(parents=True, exist_ok=True)
    settings = {
        "mcpServers": {"aidis": {"command": str(Path(sys.executable).parent / "aidis"), "args": ["mcp"]}},
        "hooks": {
            e: [{"matcher": "*", "hooks": [{"type": "command", "command": hook}]}] for e in GEMINI_EVENTS
        },
        "security": {"auth": {"selectedType": "gemini-api-key"}},
    }
    (home / ".gemini" / "settings.json").write_text(json.dumps(settings))
    (home / ".gemini" / "trustedFolders.json").write_text(json.dumps({str(repo): "TRUST_FOLDER"}))
    script = [
        ("read_file", {"file_path": str(repo / "app.py")}),
        ("write_file", {"file_path": str(repo / "notes.txt"), "content": "decided: rates are integers\n"}),
        (
            "replace",
            {
                "file_path": str(repo / "app.py"),
                "instruction": "raise the rate",
                "old_string": "RATE = 1",
                "new_string": "RATE = 2",
            },
        ),
        ("run_shell_command", {"command": f"{sys.executable} -m pytest -q test_app.py"}),
        ("run_shell_command", {"command": "rm old_notes.txt"}),
        ("mcp_aidis_context_store", {"content": "Decided: rates are integers"}),
    ]
    with running_gemini_standin(GeminiModel(script)) as (url, _):
        _run(
            [agent_binary("gemini-cli"), "-p", "tidy the rates", "--yolo"],
            repo,
            {"HOME": str(home), "GEMINI_API_KEY": "standin", "GOOGLE_GEMINI_BASE_URL": url},
        )


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    full = {"PATH": os.environ["PATH"], "AIDIS_LOG_LEVEL": "WARNING", **env}
    full["AIDIS_DATA_DIR"] = str(Path(env["HOME"]) / "aidis")
    done = subprocess.run(argv, cwd=cwd, env=full, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]}")


def normalise(value: Any, replacements: list[tuple[str, str]]) -> Any:
    """Run-specific paths replaced by placeholders, everywhere in a JSON value."""
    if isinstance(value, str):
        for old, new in replacements:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [normalise(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v, replacements) for k, v in value.items()}
    return value


def main() -> None:
    """Record every agent's payloads into the fixtures folder (replacing what was there)."""
    recorders: dict[str, Callable[[Path, Path, Path], None]] = {
        "claude-code": record_claude,
        "codex": record_codex,
        "gemini-cli": record_gemini,
    }
    for agent, record in recorders.items():
        with tempfile.TemporaryDirectory(prefix=f"aidis-record-{agent}-") as tmp:
            home = Path(tmp).resolve() / "home"
            home.mkdir()
            repo = scratch_repo(home)
            raw = Path(tmp) / "raw"
            record(home, repo, raw)
            target = FIXTURES / agent
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            replacements = [
                (str(repo), "/WORKSPACE"),
                (str(home), "/HOME"),
                (sys.executable, "/PYTHON"),
                (str(ROOT), "/AIDIS"),
            ]
            transcript = None
            for index, path in enumerate(sorted(raw.glob("*.json"))):
                original = json.loads(path.read_text())
                transcript = original.get("transcript_path") or transcript
                payload = normalise(original, replacements)
                name = f"{index:02d}-{payload['hook_event_name']}.json"
                (target / name).write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")
            if transcript and Path(transcript).is_file():  # the agent's own transcript, for token tests
                lines = [
                    normalise(json.loads(line), replacements)
                    for line in Path(transcript).read_text().splitlines()
                    if line.strip()
                ]
                (target / "transcript.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
            print(f"{agent}: {index + 1} payloads in {target}")


if __name__ == "__main__":
    main()

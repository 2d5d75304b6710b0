"""Running the real Claude Code (the pinned npm package `make agents` installs) offline, for the agent
benchmarks: a scripted model API per process, a HOME per configuration and process, and what the
model received.

Configurations: `none` (no MCP server, no hooks), `memory` (the official MCP memory server, Node,
pinned in `.agents`), `noop` (a no-op server on the same Python MCP SDK as AIDIS), `aidis`
(`aidis setup claude-code`: the stdio server and the lifecycle hooks, on a database holding earlier
sessions so SessionStart hands over context).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.agents.model_standin import StandIn, running_standin

CONFIGS = ("none", "memory", "noop", "aidis")
SERVER_PREFIX = {"memory": "mcp__memory__", "noop": "mcp__noop__", "aidis": "mcp__aidis__"}
BIN = Path(sys.executable).parent


def claude_binary() -> str:
    """The native Claude Code binary (`make agents`)."""
    found = sorted(glob.glob(str(ROOT / ".agents/node_modules/@anthropic-ai/claude-code-*/claude")))
    if not found:
        raise SystemExit("Claude Code is not installed: run `make agents`")
    return found[0]


def memory_server() -> str:
    """The official MCP memory server's entry point (`make agents`)."""
    path = ROOT / ".agents/node_modules/@modelcontextprotocol/server-memory/dist/index.js"
    if not path.exists():
        raise SystemExit("the MCP memory server is not installed: run `make agents`")
    return str(path)


class TextOnly(StandIn):
    """The scripted model answering every request with a short text (a `claude -p hello`)."""

    def reply(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        return [{"type": "text", "text": "Hello."}], "end_turn"


@dataclass
class Prepared:
    """A configuration's template HOME and the environment its runs get."""

    name: str
    home: Path
    env: dict[str, str]
    workspace: Path


@dataclass
class Run:
    """One `claude -p` process: its wall time and what its model requests carried."""

    config: str
    seconds: float
    returncode: int
    requests: list[dict[str, Any]] = field(default_factory=list)

    def first_agent_request(self) -> dict[str, Any] | None:
        """The first request offering tools (the agent's own turn, not a side request)."""
        return next((r for r in self.requests if r.get("tools")), None)

    def server_tools_in_first_turn(self) -> bool:
        """Whether the first agent turn already offered the configuration's MCP tools."""
        first = self.first_agent_request()
        prefix = SERVER_PREFIX.get(self.config)
        return bool(
            first and prefix and any(str(t.get("name", "")).startswith(prefix) for t in first["tools"])
        )

    def server_tool_bytes(self) -> int:
        """Bytes of the configuration's tool definitions as Claude Code sent them to the model."""
        first = self.first_agent_request()
        prefix = SERVER_PREFIX.get(self.config)
        if not first or not prefix:
            return 0
        mine = [t for t in first["tools"] if str(t.get("name", "")).startswith(prefix)]
        return len(json.dumps(mine, separators=(",", ":")).encode())


def _base_env(home: Path) -> dict[str, str]:
    return {
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "ANTHROPIC_API_KEY": "sk-ant-bench-standin",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "AIDIS_LOG_LEVEL": "WARNING",
    }


def prepare(name: str, root: Path, *, database_url: str | None = None, aidis: str | None = None) -> Prepared:
    """A template HOME for configuration `name` under `root`; `aidis` runs another AIDIS (a baseline)."""
    home = root / name / "home"
    workspace = home / "code" / "widgets"
    workspace.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    subprocess.run(
        ["git", "-C", str(workspace), "remote", "add", "origin", "git@github.com:acme/widgets.git"],
        check=True,
    )
    env = _base_env(home)
    servers: dict[str, Any] = {}
    if name == "memory":
        servers["memory"] = {
            "type": "stdio",
            "command": shutil.which("node") or "node",
            "args": [memory_server()],
            "env": {"MEMORY_FILE_PATH": str(root / name / "memory.jsonl")},
        }
    elif name == "noop":
        servers["noop"] = {"type": "stdio", "command": sys.executable, "args": ["-m", "aidis.bench.noop"]}
    if servers:
        (home / ".claude.json").write_text(json.dumps({"mcpServers": servers}))
    if name == "aidis":
        env["AIDIS_DATA_DIR"] = str(root / name / "data")
        if database_url:
            env["AIDIS_DATABASE_URL"] = database_url
        done = subprocess.run(
            [str(BIN / "aidis"), "setup", "claude-code"], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"aidis setup claude-code failed: {done.stderr}")
        if aidis is not None:  # the same set-up, pointing at the other AIDIS
            for path in (home / ".claude.json", home / ".claude" / "settings.json"):
                path.write_text(path.read_text().replace(str(BIN / "aidis"), aidis))
    return Prepared(name, home, env, workspace)


def seed_history(prepared: Prepared, sessions: int = 3) -> None:
    """Earlier sessions in the configuration's store (each stores a decision through its MCP server when
    it has one), so a new session has something handed over."""
    for i in range(sessions):
        run_claude(prepared, f"remember decision {i}: retries use idempotency keys", model=StandIn())


@contextmanager
def home_copy(prepared: Prepared, index: int) -> Iterator[Path]:
    """A private copy of the template HOME (Claude Code writes its own files there at every start)."""
    target = prepared.home.parent / f"run-{index}-{time.monotonic_ns()}"
    shutil.copytree(prepared.home, target, symlinks=True)
    try:
        yield target
    finally:
        shutil.rmtree(target, ignore_errors=True)


def run_claude(
    prepared: Prepared, prompt: str = "hello", *, model: StandIn | None = None, timeout: float = 120
) -> Run:
    """One `claude -p PROMPT` in the configuration's workspace (its template HOME, so what the hooks and
    servers keep there carries over); returns its wall time and what the model received."""
    model = model or TextOnly()
    with running_standin(model) as (url, _):
        env = {**prepared.env, "ANTHROPIC_BASE_URL": url}
        allowed = [SERVER_PREFIX[prepared.name].rstrip("_")] if prepared.name in SERVER_PREFIX else []
        started = time.perf_counter()
        done = subprocess.run(
            [
                claude_binary(),
                "-p",
                prompt,
                "--output-format",
                "json",
                *(["--allowedTools", *allowed] if allowed else []),
            ],
            cwd=prepared.workspace,
            env=env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        seconds = time.perf_counter() - started
    return Run(prepared.name, seconds, done.returncode, list(model.requests))


def run_together(prepared: Prepared, count: int, prompt: str = "hello", timeout: float = 180) -> list[Run]:
    """`count` Claude Code processes started at once, each with its own scripted model and HOME."""
    with ExitStack() as stack:
        models: list[TextOnly] = []
        procs = []
        started = time.perf_counter()
        for index in range(count):
            model = TextOnly()
            url, _ = stack.enter_context(running_standin(model))
            home = stack.enter_context(home_copy(prepared, index))
            env = {**prepared.env, "HOME": str(home), "ANTHROPIC_BASE_URL": url}
            workspace = home / prepared.workspace.relative_to(prepared.home)
            procs.append(
                subprocess.Popen(
                    [claude_binary(), "-p", prompt, "--output-format", "json"],
                    cwd=workspace,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            models.append(model)
        runs = []
        for proc, model in zip(procs, models, strict=True):
            code = proc.wait(timeout=timeout)
            runs.append(Run(prepared.name, time.perf_counter() - started, code, list(model.requests)))
        return runs

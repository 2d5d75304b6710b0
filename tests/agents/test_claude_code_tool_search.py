"""The newest Claude Code defers MCP tools behind its ToolSearch tool: the model sees only their names
until it searches. A scripted model searches with the words models use for memory; the real Claude Code
(pinned, offline) must load the right AIDIS tool for each (names, descriptions and search hints)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.agents.agent_installs import agent_binary
from tests.agents.model_standin import TOOL_SEARCH, StandIn, running_standin
from tests.mcp.transports import aidis_executable
from tests.support import shared_cache_dir

SEARCH = "mcp__aidis__context_search"
STORE = "mcp__aidis__context_store"
# query a model sends → the AIDIS tool that must be among what ToolSearch loads for it
QUERIES = [
    ("memory", SEARCH),
    ("memory", STORE),
    ("recall what we decided before", SEARCH),
    ("remember", STORE),
    ("save this for later", STORE),
    ("notes from earlier sessions", SEARCH),
    ("previous session decisions", SEARCH),
    ("what did we decide", SEARCH),
]


def _loaded(requests: list[dict[str, Any]]) -> list[list[str]]:
    """The tools each ToolSearch call loaded, in order (from the tool results Claude Code sent back)."""
    last = max(requests, key=lambda r: len(r.get("messages", [])))
    found: list[list[str]] = []
    for message in last["messages"]:
        content = message.get("content")
        if message.get("role") != "user" or not isinstance(content, list):
            continue
        for block in content:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                inner = block.get("content")
                names = (
                    [c.get("tool_name") for c in inner if isinstance(c, dict)]
                    if isinstance(inner, list)
                    else []
                )
                found.append([str(n) for n in names])
    return found


def test_memory_words_load_the_right_aidis_tools_through_claude_codes_tool_search(tmp_path: Path) -> None:
    claude = agent_binary("claude-code")
    home = (tmp_path / "home").resolve()
    work = home / "code" / "ledger"
    work.mkdir(parents=True)
    env = {
        "PATH": f"{Path(aidis_executable()).parent}:{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "AIDIS_CACHE_DIR": shared_cache_dir(),
        "AIDIS_DATABASE_URL": f"sqlite:///{home / 'aidis.db'}",
        "AIDIS_DATA_DIR": str(home / "aidis"),
        "AIDIS_LOG_LEVEL": "WARNING",
        "AIDIS_REPLAYER_LINGER_SECONDS": "2",
    }
    setup = subprocess.run(
        [aidis_executable(), "setup", "claude-code"], env=env, capture_output=True, text=True, timeout=60
    )
    assert setup.returncode == 0, setup.stderr
    model = StandIn([(TOOL_SEARCH, {"query": query}) for query, _ in QUERIES])
    with running_standin(model) as (url, _):
        done = subprocess.run(
            [claude, "-p", "where were we?", "--output-format", "json"],
            cwd=work,
            env={
                **env,
                "ANTHROPIC_BASE_URL": url,
                "ANTHROPIC_API_KEY": "sk-ant-test-standin",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                "DISABLE_AUTOUPDATER": "1",
            },
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    first = model.requests[0]
    offered = {t.get("name") for t in first.get("tools", [])}
    assert TOOL_SEARCH in offered and SEARCH not in offered  # deferred: the premise of this test
    assert SEARCH in json.dumps(first)  # its name is listed for the model to search for
    loaded = _loaded(model.requests)
    assert len(loaded) == len(QUERIES), loaded
    missing = [(q, want, got) for (q, want), got in zip(QUERIES, loaded, strict=True) if want not in got]
    assert missing == []

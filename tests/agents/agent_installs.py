"""Where `make agents` put the pinned agents, and what a test does when one is missing (skip locally,
fail in CI where AIDIS_REQUIRE_AGENTS is set)."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_AGENTS = os.environ.get("AIDIS_REQUIRE_AGENTS", "") not in ("", "0", "false")
VERSIONS = {"claude-code": "2.1.337", "codex": "0.171.0", "gemini-cli": "0.61.0", "ccusage": "20.0.24"}


def agent_binary(agent: str) -> str:
    """The executable of a pinned agent; skips (or, in CI, fails) the test when it is not installed."""
    if agent == "claude-code":
        found = sorted(glob.glob(str(ROOT / ".agents/node_modules/@anthropic-ai/claude-code-*/claude")))
    else:
        name = {"codex": "codex", "gemini-cli": "gemini", "ccusage": "ccusage"}[agent]
        path = ROOT / ".agents" / "node_modules" / ".bin" / name
        found = [str(path)] if path.exists() else []
    if found:
        return found[0]
    reason = f"{agent} {VERSIONS[agent]} is not installed (make agents)"
    if REQUIRE_AGENTS:
        pytest.fail(f"AIDIS_REQUIRE_AGENTS is set but {reason}", pytrace=False)
    pytest.skip(reason)

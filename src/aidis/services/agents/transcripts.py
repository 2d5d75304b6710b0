"""Exact token usage from an agent's own transcript (Claude Code's JSON-lines file).

Invariants: the file is read incrementally — from the offset remembered last time, complete lines
only, so a line being written is read next time; one API response is counted once although the
transcript may write it as several lines repeating its message id, request id and usage; synthetic
entries (no API call behind them) are skipped; a missing, truncated, replaced or malformed
transcript is logged and skipped, never fatal; only a regular file is read (`agent_files`). No
database here: the state is handed in and out, and the caller reads before its transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aidis.services.agents.agent_files import read_regular_file

log = logging.getLogger("aidis.transcripts")

MAX_READ_BYTES = 64 * 1024 * 1024
RECENT_KEYS = 64
USAGE_FIELDS = {
    "input_tokens": "input",
    "output_tokens": "output",
    "cache_creation_input_tokens": "cache_creation",
    "cache_read_input_tokens": "cache_read",
}
SYNTHETIC_MODELS = {"<synthetic>"}


@dataclass
class UsageState:
    """Where reading stopped, the responses seen lately, and the totals per model."""

    path: str = ""
    offset: int = 0
    recent: list[str] = field(default_factory=list)
    models: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def load(cls, stored: Any) -> UsageState:
        """From a session's metadata (anything malformed starts afresh)."""
        if not isinstance(stored, dict):
            return cls()
        models = stored.get("models") if isinstance(stored.get("models"), dict) else {}
        return cls(
            path=str(stored.get("path", "")),
            offset=int(stored.get("offset", 0)) if isinstance(stored.get("offset", 0), int) else 0,
            recent=[str(k) for k in stored.get("recent", [])][-RECENT_KEYS:],
            models={
                str(m): {k: int(v) for k, v in u.items()}
                for m, u in (models or {}).items()
                if isinstance(u, dict)
            },
        )

    def dump(self) -> dict[str, Any]:
        """For a session's metadata."""
        return {"path": self.path, "offset": self.offset, "recent": self.recent, "models": self.models}

    def totals(self) -> tuple[int, int]:
        """(input incl. cache creation and cache reads, output) over every model."""
        sent = sum(
            u.get("input", 0) + u.get("cache_creation", 0) + u.get("cache_read", 0)
            for u in self.models.values()
        )
        return sent, sum(u.get("output", 0) for u in self.models.values())


def read_usage(path: str, state: UsageState) -> UsageState:
    """Add the usage written to `path` since `state` to it; returns the new state. Reads the file (a
    regular file only, bounded): call it outside any database transaction."""
    if state.path != path:
        state = UsageState(path=path, models=state.models)  # another transcript (resumed elsewhere)
        state.recent = []
        state.offset = 0
    got = read_regular_file(path, state.offset, MAX_READ_BYTES)
    if got is None:
        return state
    if got.size < state.offset:
        log.warning(
            "transcript %s shrank (%d < %d bytes); reading it from the start", path, got.size, state.offset
        )
        state = UsageState(path=path)
        got = read_regular_file(path, 0, MAX_READ_BYTES)
        if got is None:
            return state
    data = got.data
    end = data.rfind(b"\n")
    if end < 0:
        return state  # no complete line yet
    for number, line in enumerate(data[: end + 1].split(b"\n")):
        if line.strip():
            _count(line, state, path, number)
    state.offset += end + 1
    return state


def _count(line: bytes, state: UsageState, path: str, number: int) -> None:
    try:
        entry = json.loads(line)
    except ValueError:
        log.warning(
            "transcript %s: skipping a malformed line near offset %d (+%d)", path, state.offset, number
        )
        return
    if not isinstance(entry, dict) or entry.get("type") != "assistant" or entry.get("isApiErrorMessage"):
        return
    message = entry.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("usage"), dict):
        return
    model = str(message.get("model") or "unknown")
    if model in SYNTHETIC_MODELS:
        return
    key = f"{message.get('id')}|{entry.get('requestId')}"
    if key in state.recent:
        return  # another line of a response already counted
    state.recent = [*state.recent, key][-RECENT_KEYS:]
    totals = state.models.setdefault(model, {name: 0 for name in USAGE_FIELDS.values()})
    for source, name in USAGE_FIELDS.items():
        value = message["usage"].get(source)
        if isinstance(value, int) and value > 0:
            totals[name] = totals.get(name, 0) + value

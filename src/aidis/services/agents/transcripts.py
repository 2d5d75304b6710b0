"""Exact token usage from an agent's own transcript: Claude Code's session file, Codex's rollout, Gemini
CLI's chat file (all JSON lines).

Invariants: the file is read incrementally — from the offset remembered last time, complete lines
only, so a line being written is read next time; each API response is counted once (Claude Code may
write one response as several lines with one message and request id; Gemini CLI writes a message
twice with one id; Codex writes cumulative totals, of which only the growth is counted); synthetic
entries (no API call behind them) are skipped; a missing, truncated, replaced or malformed transcript
is logged and skipped, never fatal; only a regular file is read (`agent_files`). Each count is also
kept by the UTC hour its line was written in (`hourly`, for usage and cost by day in any time zone:
aidis.services.usage). No database here: the state is handed in and out, and the caller reads before
its transaction.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
EXIT_CODE = re.compile(r"Process exited with code (-?\d+)")


@dataclass
class UsageState:
    """Where reading stopped, the responses seen lately, the totals per model, and what a reader keeps
    between reads (Codex: the last cumulative totals and the current model)."""

    path: str = ""
    offset: int = 0
    recent: list[str] = field(default_factory=list)
    models: dict[str, dict[str, int]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    exit_codes: dict[str, int] = field(default_factory=dict)  # read this time only (not stored)
    # read this time only (not stored): "<UTC hour>|<model>" → counts, the hour "" when a line had no time
    hourly: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def load(cls, stored: Any) -> UsageState:
        """From a session's metadata (anything malformed starts afresh)."""
        if not isinstance(stored, dict):
            return cls()
        models = stored.get("models") if isinstance(stored.get("models"), dict) else {}
        extra = stored.get("extra")
        return cls(
            path=str(stored.get("path", "")),
            offset=int(stored.get("offset", 0)) if isinstance(stored.get("offset", 0), int) else 0,
            recent=[str(k) for k in stored.get("recent", [])][-RECENT_KEYS:],
            models={
                str(m): {k: int(v) for k, v in u.items() if isinstance(v, int)}
                for m, u in (models or {}).items()
                if isinstance(u, dict)
            },
            extra=extra if isinstance(extra, dict) else {},
        )

    def dump(self) -> dict[str, Any]:
        """For a session's metadata."""
        out: dict[str, Any] = {
            "path": self.path,
            "offset": self.offset,
            "recent": self.recent,
            "models": self.models,
        }
        if self.extra:
            out["extra"] = self.extra
        return out

    def totals(self) -> tuple[int, int]:
        """(input incl. cache creation and cache reads, output) over every model."""
        sent = sum(
            u.get("input", 0) + u.get("cache_creation", 0) + u.get("cache_read", 0)
            for u in self.models.values()
        )
        return sent, sum(u.get("output", 0) for u in self.models.values())

    def add(self, model: str, at: Any = None, **counts: int) -> None:
        """Add token counts to a model's totals and to the hour they were used in (`at`: the line's
        timestamp; negative or missing counts are ignored)."""
        totals = self.models.setdefault(model, {name: 0 for name in USAGE_FIELDS.values()})
        hour = self.hourly.setdefault(f"{utc_hour(at)}|{model}", {name: 0 for name in USAGE_FIELDS.values()})
        for name, value in counts.items():
            if value > 0:
                totals[name] = totals.get(name, 0) + value
                hour[name] = hour.get(name, 0) + value

    def seen(self, key: str) -> bool:
        """True when a response with this key was counted lately; remembers it otherwise."""
        if key in self.recent:
            return True
        self.recent = [*self.recent, key][-RECENT_KEYS:]
        return False


LineCounter = Callable[[dict[str, Any], UsageState], None]


def read_usage(path: str, state: UsageState, agent: str = "claude-code") -> UsageState:
    """Add the usage written to `path` since `state` to it; returns the new state. Reads the file (a
    regular file only, bounded): call it outside any database transaction."""
    counter = COUNTERS[agent]
    if state.path != path:
        state = UsageState(path=path, models=state.models)  # another transcript (resumed elsewhere)
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
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            log.warning(
                "transcript %s: skipping a malformed line near offset %d (+%d)", path, state.offset, number
            )
            continue
        if isinstance(entry, dict):
            counter(entry, state)
    state.offset += end + 1
    return state


def _claude_code(entry: dict[str, Any], state: UsageState) -> None:
    """An assistant line: usage per model, one count per (message id, request id)."""
    if entry.get("type") != "assistant" or entry.get("isApiErrorMessage"):
        return
    message = entry.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("usage"), dict):
        return
    model = str(message.get("model") or "unknown")
    if model in SYNTHETIC_MODELS or state.seen(f"{message.get('id')}|{entry.get('requestId')}"):
        return
    usage = message["usage"]
    durations = usage.get("cache_creation") if isinstance(usage.get("cache_creation"), dict) else {}
    state.add(
        model,
        entry.get("timestamp"),
        **{name: _int(usage.get(source)) for source, name in USAGE_FIELDS.items()},
        cache_creation_1h=_int(durations.get("ephemeral_1h_input_tokens")),  # part of cache_creation
    )


def _codex(entry: dict[str, Any], state: UsageState) -> None:
    """A rollout line: the model in use (turn context), cumulative token totals (only their growth is
    counted), and the exit status of a shell command (from its output record)."""
    payload = entry.get("payload")
    if not isinstance(payload, dict):
        return
    kind = entry.get("type")
    if kind == "turn_context" and isinstance(payload.get("model"), str):
        state.extra["model"] = payload["model"][:200]
    elif kind == "response_item" and payload.get("type") == "function_call_output":
        found = EXIT_CODE.search(str(payload.get("output", ""))[:500])
        if found and isinstance(payload.get("call_id"), str):
            state.exit_codes[payload["call_id"][:200]] = int(found.group(1))
    elif kind == "event_msg" and payload.get("type") == "token_count":
        info = payload.get("info")
        total = info.get("total_token_usage") if isinstance(info, dict) else None
        if not isinstance(total, dict):
            return
        now = {
            "input": _int(total.get("input_tokens")),
            "cached": _int(total.get("cached_input_tokens")),
            "output": _int(total.get("output_tokens")),
        }
        stored = state.extra.get("cumulative")
        before: dict[str, Any] = stored if isinstance(stored, dict) else {}
        grown = {k: now[k] - _int(before.get(k)) for k in now}
        if any(v < 0 for v in grown.values()):  # a new thread in the same file: its totals start afresh
            grown = now
        state.extra["cumulative"] = now
        model = str(state.extra.get("model") or "unknown")
        state.add(
            model,
            entry.get("timestamp"),
            input=grown["input"] - grown["cached"],
            cache_read=grown["cached"],
            output=grown["output"],
        )


def _gemini_cli(entry: dict[str, Any], state: UsageState) -> None:
    """A `gemini` message: its tokens once per message id (the chat file writes a message twice)."""
    if entry.get("type") != "gemini" or not isinstance(entry.get("tokens"), dict):
        return
    if state.seen(f"gemini|{entry.get('id')}"):
        return
    tokens = entry["tokens"]
    cached = _int(tokens.get("cached"))
    state.add(
        str(entry.get("model") or "unknown")[:200],
        entry.get("timestamp"),
        input=_int(tokens.get("input")) - cached,
        cache_read=cached,
        output=_int(tokens.get("output")) + _int(tokens.get("thoughts")),
    )


def utc_hour(value: Any) -> str:
    """The UTC hour of an ISO-8601 timestamp as "YYYY-MM-DDTHH" ("" when it is missing or malformed)."""
    if not isinstance(value, str) or len(value) < 13:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


COUNTERS: dict[str, LineCounter] = {"claude-code": _claude_code, "codex": _codex, "gemini-cli": _gemini_cli}

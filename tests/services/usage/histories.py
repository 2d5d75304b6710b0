"""Generated Claude Code histories in the shape Claude Code writes them (compact JSON lines, one file per
session under `projects/<folder>/`, subagents beside it), with the cases that trip usage counters: a
response split over several lines, a duplicated line, a synthetic entry, sidechain lines, a subagent
file, several projects, a session across midnight, an API error, and malformed and foreign files."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

MODELS = ("claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-5-20251101")


@dataclass(frozen=True)
class GeneratedSession:
    session_id: str
    cwd: str
    path: Path
    prompt: str


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, separators=(",", ":")) + "\n"


def _usage(rng: random.Random) -> dict[str, Any]:
    write = rng.choice([0, 0, rng.randint(100, 4000)])
    return {
        "input_tokens": rng.randint(1, 3000),
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": rng.choice([0, rng.randint(1000, 90000)]),
        "output_tokens": rng.randint(1, 2000),
        "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
        "service_tier": "standard",
    }


def _assistant(
    session_id: str, cwd: str, at: datetime, model: str, usage: dict[str, Any], message_id: str, **more: Any
) -> dict[str, Any]:
    return {
        "parentUuid": str(uuid.uuid4()),
        "isSidechain": more.pop("sidechain", False),
        "userType": "external",
        "cwd": cwd,
        "sessionId": session_id,
        "version": "2.1.197",
        "type": "assistant",
        "message": {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": more.pop("text", "done")}],
            "stop_reason": "end_turn",
            "usage": usage,
        },
        "requestId": f"req_{message_id}",
        "uuid": str(uuid.uuid4()),
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        **more,
    }


def write_history(root: Path, *, sessions: int = 6, seed: int = 7) -> list[GeneratedSession]:
    """A Claude Code config folder at `root` holding `sessions` sessions over three projects and a few
    days (the first one across midnight UTC), plus a malformed and a foreign file."""
    rng = random.Random(seed)
    made = []
    start = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    for n in range(sessions):
        cwd = f"/work/project-{n % 3}"
        folder = root / "projects" / cwd.replace("/", "-")
        folder.mkdir(parents=True, exist_ok=True)
        session_id = str(uuid.UUID(int=rng.getrandbits(128)))
        at = start + timedelta(days=n // 2, hours=0 if n == 0 else rng.randint(1, 10))
        prompt = f"task {n}: tidy the rate limiter in module {n}"
        lines = [
            _line({"type": "summary", "summary": "an older summary line", "leafUuid": str(uuid.uuid4())}),
            _line(
                {
                    "type": "user",
                    "cwd": cwd,
                    "sessionId": session_id,
                    "message": {"role": "user", "content": prompt},
                    "uuid": str(uuid.uuid4()),
                    "timestamp": at.isoformat().replace("+00:00", "Z"),
                }
            ),
        ]
        for turn in range(rng.randint(4, 9)):
            at += timedelta(minutes=rng.randint(3, 25))  # the first session runs past midnight
            model = MODELS[(n + turn) % len(MODELS)]
            usage = _usage(rng)
            message_id = f"msg_{n}_{turn}_{rng.getrandbits(32):08x}"
            first = _assistant(session_id, cwd, at, model, usage, message_id)
            lines.append(_line(first))
            if turn == 1:  # one response written as two lines (thinking, then text): counted once
                lines.append(_line(_assistant(session_id, cwd, at, model, usage, message_id, text="more")))
            if turn == 2:  # a line written twice
                lines.append(_line(first))
            if turn == 3:  # a subagent's turn inside the main file
                side = _assistant(
                    session_id, cwd, at, model, _usage(rng), f"{message_id}_side", sidechain=True
                )
                lines.append(_line(side))
        lines.append(  # a synthetic entry: no API call behind it
            _line(
                _assistant(
                    session_id,
                    cwd,
                    at,
                    "<synthetic>",
                    {
                        "input_tokens": 0,
                        "output_tokens": 0,
                        "cache_creation_input_tokens": 0,
                        "cache_read_input_tokens": 0,
                    },
                    f"msg_synthetic_{n}",
                )
            )
        )
        lines.append("{not json at all\n")  # a torn line
        path = folder / f"{session_id}.jsonl"
        path.write_text("".join(lines))
        if n == 1:  # a subagent's own transcript beside the session
            sub = folder / session_id / "subagents"
            sub.mkdir(parents=True)
            side_at = start + timedelta(days=0, hours=3)
            (sub / "agent-1.jsonl").write_text(
                "".join(
                    _line(
                        _assistant(
                            session_id,
                            cwd,
                            side_at + timedelta(minutes=i),
                            MODELS[0],
                            _usage(rng),
                            f"msg_sub_{i}",
                            sidechain=True,
                        )
                    )
                    for i in range(3)
                )
            )
        made.append(GeneratedSession(session_id, cwd, path, prompt))
    foreign = root / "projects" / "-work-project-0" / "notes.jsonl"
    foreign.write_text('{"hello": "world"}\n')
    return made


CODEX_MODELS = ("gpt-5-codex", "gpt-5")


def write_codex_history(root: Path, *, sessions: int = 4, seed: int = 11) -> list[GeneratedSession]:
    """A Codex home at `root` with `sessions` rollouts over a few days (`sessions/YYYY/MM/DD/`), as Codex
    writes them: `session_meta` first, a turn context naming the model, cumulative token counts (a
    repeated count adds nothing), and a model switch mid-session."""
    rng = random.Random(seed)
    made = []
    start = datetime(2026, 11, 24, 22, 40, tzinfo=UTC)
    for n in range(sessions):
        session_id = str(uuid.UUID(int=rng.getrandbits(128)))
        at = start + timedelta(days=n // 2, hours=0 if n == 0 else rng.randint(1, 9))
        cwd = f"/work/codex-{n % 2}"
        stamp = lambda moment: moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")  # noqa: E731
        lines = [
            _line(
                {
                    "timestamp": stamp(at),
                    "type": "session_meta",
                    "payload": {
                        "id": session_id,
                        "timestamp": stamp(at),
                        "cwd": cwd,
                        "cli_version": "0.169.0",
                    },
                }
            ),
            _line(
                {
                    "timestamp": stamp(at),
                    "type": "turn_context",
                    "payload": {"cwd": cwd, "model": CODEX_MODELS[n % 2]},
                }
            ),
            _line(
                {
                    "timestamp": stamp(at),
                    "type": "response_item",
                    "payload": {
                        "type": "message",
                        "role": "user",
                        "content": [
                            {"type": "input_text", "text": "<environment_context>\n</environment_context>"}
                        ],
                    },
                }
            ),
            _line(
                {
                    "timestamp": stamp(at),
                    "type": "response_item",
                    "payload": {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_text", "text": f"codex task {n}: fix the flaky test"}],
                    },
                }
            ),
        ]
        total = {
            "input_tokens": 0,
            "cached_input_tokens": 0,
            "output_tokens": 0,
            "reasoning_output_tokens": 0,
        }
        for turn in range(rng.randint(3, 7)):
            at += timedelta(minutes=rng.randint(4, 30))  # the first session runs past midnight
            if turn == 3:
                lines.append(
                    _line(
                        {
                            "timestamp": stamp(at),
                            "type": "turn_context",
                            "payload": {"cwd": cwd, "model": CODEX_MODELS[(n + 1) % 2]},
                        }
                    )
                )
            fresh = rng.randint(500, 20000)
            cached = rng.randint(0, fresh)
            last = {
                "input_tokens": fresh,
                "cached_input_tokens": cached,
                "output_tokens": rng.randint(50, 3000),
                "reasoning_output_tokens": 0,
            }
            total = {k: total[k] + last[k] for k in total}
            info = {
                "total_token_usage": {
                    **total,
                    "total_tokens": total["input_tokens"] + total["output_tokens"],
                },
                "last_token_usage": {**last, "total_tokens": last["input_tokens"] + last["output_tokens"]},
            }
            count = _line(
                {
                    "timestamp": stamp(at),
                    "type": "event_msg",
                    "payload": {"type": "token_count", "info": info},
                }
            )
            lines.append(count)
            if turn == 1:
                lines.append(count)  # the same count written again: nothing grew
        folder = root / "sessions" / f"{at:%Y}" / f"{at:%m}" / f"{at:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"rollout-{start:%Y-%m-%dT%H-%M-%S}-{session_id}.jsonl"
        path.write_text("".join(lines))
        made.append(GeneratedSession(session_id, cwd, path, f"codex task {n}"))
    return made

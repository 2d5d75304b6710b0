"""Where an agent keeps its history, and what one transcript says about its session before its tokens
are counted: its start and end, the folder it worked in, its first prompt.

Invariants: only regular files are read, line by line (a file of any size in bounded memory); a line
that is not JSON, or a file that is not the agent's transcript at all, is reported and skipped, never
fatal. Claude Code keeps one file per session under `<config>/projects/<folder>/<session id>.jsonl`
(config: each of `CLAUDE_CONFIG_DIR`'s comma-separated folders, else `~/.config/claude` and
`~/.claude`), and its subagents' files under `<folder>/<session id>/…/*.jsonl`, which belong to the
same session. Codex keeps one rollout per session under `<CODEX_HOME or ~/.codex>/sessions/YYYY/MM/DD/`
(and `archived_sessions/`), its id and folder in the first line (`session_meta`). Gemini CLI keeps one
chat per session under `<GEMINI_CLI_HOME or ~>/.gemini/tmp/<project id>/chats/session-*.jsonl`; the
project's folder is only what Gemini CLI recorded for that id — the `.project_root` file beside the
chats, else `projects.json`'s entry (an older id is the sha256 of the folder) — never guessed from the
id's name: a chat whose folder is not recorded is imported without one (Unassigned).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aidis.hooks.slim import slim

MAX_LINE = 16 * 1024 * 1024  # a longer line is skipped unread (it is not a transcript line we need)
PROMPT_CHARS = 300
MAX_PENDING_CALLS = 1000  # tool calls awaiting their result (a transcript cut short leaves some)
MAX_TOOL_CALLS = 2000  # per transcript; beyond it they are only counted (a session keeps 500 anyway)
MAX_RESULT_PARTS = 20  # function responses read per Gemini CLI tool call

__all__ = [
    "LOCATIONS",
    "HistoryFile",
    "TranscriptFacts",
    "claude_code_files",
    "claude_code_roots",
    "codex_files",
    "codex_roots",
    "gemini_files",
    "gemini_roots",
    "history_of",
    "scan_claude_code",
    "scan_codex",
    "scan_gemini",
]

ROLLOUT_ID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$")
FIRST_LINE = 4 * 1024 * 1024  # session_meta carries the agent's instructions: a few hundred kB


@dataclass(frozen=True, slots=True)
class HistoryFile:
    """One agent session's transcript, and the files of its subagents."""

    agent: str
    session_id: str
    main: Path
    parts: tuple[Path, ...] = ()


@dataclass
class TranscriptFacts:
    """What a transcript says about its session, read without counting tokens."""

    first_at: datetime | None = None
    last_at: datetime | None = None
    cwd: str | None = None
    prompt: str | None = None
    lines: int = 0
    malformed: int = 0
    dated: int = 0
    problems: list[str] = field(default_factory=list)
    # finished tool calls, as the agent's PostToolUse hook would have reported them (slimmed), with times
    tools: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    tools_over: int = 0


def claude_code_roots(environ: Mapping[str, str], home: Path) -> list[Path]:
    """Claude Code's config folders that hold a `projects` folder."""
    named = [p.strip() for p in environ.get("CLAUDE_CONFIG_DIR", "").split(",") if p.strip()]
    candidates = [Path(p).expanduser() for p in named] or [home / ".config" / "claude", home / ".claude"]
    seen: list[Path] = []
    for folder in candidates:
        if (folder / "projects").is_dir() and folder.resolve() not in [s.resolve() for s in seen]:
            seen.append(folder)
    return seen


def claude_code_files(roots: list[Path]) -> Iterator[HistoryFile]:
    """Every session transcript under the roots' `projects` folders, with its subagents' files."""
    for root in roots:
        for folder in sorted(p for p in (root / "projects").iterdir() if p.is_dir()):
            for main in sorted(folder.glob("*.jsonl")):
                parts_dir = folder / main.stem
                parts = tuple(sorted(parts_dir.rglob("*.jsonl"))) if parts_dir.is_dir() else ()
                yield HistoryFile("claude-code", main.stem, main, parts)


def codex_roots(environ: Mapping[str, str], home: Path) -> list[Path]:
    """Codex's home folder (CODEX_HOME, else ~/.codex) when it holds sessions."""
    folder = Path(environ["CODEX_HOME"]).expanduser() if environ.get("CODEX_HOME") else home / ".codex"
    return [folder] if (folder / "sessions").is_dir() or (folder / "archived_sessions").is_dir() else []


def codex_files(roots: list[Path]) -> Iterator[HistoryFile]:
    """Every rollout under the roots' `sessions` (by day) and `archived_sessions` folders."""
    for root in roots:
        found = sorted((root / "sessions").rglob("*.jsonl")) + sorted(
            (root / "archived_sessions").glob("*.jsonl")
        )
        for path in found:
            yield HistoryFile("codex", _codex_id(path), path)


def _first_line(path: Path) -> dict[str, Any]:
    """A transcript's first line as an object ({} when it cannot be read or is not one)."""
    try:
        with path.open("rb") as handle:
            first = json.loads(handle.readline(FIRST_LINE) or b"{}")
    except (OSError, ValueError):
        return {}
    return first if isinstance(first, dict) else {}


def _codex_id(path: Path) -> str:
    """The session id of a rollout: its first line's `session_meta`, else the id in its name."""
    payload = _first_line(path).get("payload")
    if isinstance(payload, dict) and isinstance(payload.get("id"), str) and payload["id"]:
        return str(payload["id"])[:200]
    named = ROLLOUT_ID.search(path.name)
    return named.group(1) if named else path.stem


def scan_codex(path: Path) -> TranscriptFacts:
    """Start, end, working folder and first prompt of a Codex rollout (streamed)."""
    facts = TranscriptFacts()
    for entry in _lines(path, facts):
        _dated(facts, entry.get("timestamp"))
        payload = entry.get("payload")
        if not isinstance(payload, dict):
            continue
        kind = entry.get("type")
        if (
            facts.cwd is None
            and kind in ("session_meta", "turn_context")
            and isinstance(payload.get("cwd"), str)
        ):
            facts.cwd = payload["cwd"][:4096]
        if facts.prompt is None and kind == "response_item" and payload.get("role") == "user":
            facts.prompt = _prompt({"content": payload.get("content")})
    return facts


def gemini_roots(environ: Mapping[str, str], home: Path) -> list[Path]:
    """Gemini CLI's folder (`$GEMINI_CLI_HOME/.gemini`, else ~/.gemini) when it holds chats."""
    base = Path(environ["GEMINI_CLI_HOME"]).expanduser() if environ.get("GEMINI_CLI_HOME") else home
    folder = base / ".gemini"
    return [folder] if (folder / "tmp").is_dir() else []


def gemini_files(roots: list[Path]) -> Iterator[HistoryFile]:
    """Every chat under the roots' `tmp/<project id>/chats/` folders."""
    for root in roots:
        for path in sorted((root / "tmp").glob("*/chats/session-*.jsonl")):
            yield HistoryFile("gemini-cli", _gemini_id(path), path)


def _gemini_id(path: Path) -> str:
    """A chat's session id: its first line's `sessionId`, else the file's name."""
    found = _first_line(path).get("sessionId")
    return str(found)[:200] if isinstance(found, str) and found else path.stem


def _gemini_folder(project: Path) -> str | None:
    """The folder Gemini CLI recorded for a project id's folder (`<root>/tmp/<id>`), or None."""
    try:
        marker = (project / ".project_root").read_text(encoding="utf-8").strip()
        if marker:
            return marker[:4096]
    except (OSError, UnicodeDecodeError):
        pass
    try:
        registry = json.loads((project.parent.parent / "projects.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    known = registry.get("projects") if isinstance(registry, dict) else None
    for folder, short_id in (known or {}).items():
        if not isinstance(folder, str):
            continue
        if project.name in (short_id, hashlib.sha256(folder.encode()).hexdigest()):
            return folder[:4096]
    return None


def scan_gemini(path: Path) -> TranscriptFacts:
    """Start, end, working folder, first prompt and tool calls of a Gemini CLI chat (streamed)."""
    facts = TranscriptFacts()
    facts.cwd = _gemini_folder(path.parent.parent)
    session_id = _gemini_id(path)
    seen: set[str] = set()  # a model message is written twice, the second time with its tool calls
    for entry in _lines(path, facts):
        _dated(facts, entry.get("timestamp") or entry.get("startTime"))
        kind = entry.get("type")
        if facts.prompt is None and kind == "user":
            facts.prompt = _prompt(
                {
                    "content": [
                        {"type": "text", **c} for c in entry.get("content") or [] if isinstance(c, dict)
                    ]
                }
            )
        calls = entry.get("toolCalls") if kind == "gemini" else None
        for call in calls if isinstance(calls, list) else []:
            if not isinstance(call, dict) or not isinstance(call.get("id"), str) or call["id"] in seen:
                continue
            seen.add(call["id"])
            at = _moment(call.get("timestamp") or entry.get("timestamp"))
            if at is None or call.get("status") not in ("success", "error"):
                continue
            if len(facts.tools) >= MAX_TOOL_CALLS:
                facts.tools_over += 1
                continue
            payload: dict[str, Any] = {
                "hook_event_name": "AfterTool",
                "session_id": session_id,
                "cwd": facts.cwd or "",
                "tool_name": str(call.get("name") or ""),
                "tool_input": call.get("args") if isinstance(call.get("args"), dict) else {},
                "tool_response": {"llmContent": _gemini_output(call.get("result"))},
            }
            facts.tools.append((at, slim("gemini-cli", payload)))
    return facts


def _gemini_output(result: Any) -> str:
    """What a tool answered, as its AfterTool hook shows it: the outputs of the function responses a chat
    keeps for the call (`[{"functionResponse": {… "response": {"output": …}}}]`)."""
    parts = result if isinstance(result, list) else []
    outputs = [
        part["functionResponse"]["response"].get("output")
        for part in parts[:MAX_RESULT_PARTS]
        if isinstance(part, dict)
        and isinstance(part.get("functionResponse"), dict)
        and isinstance(part["functionResponse"].get("response"), dict)
    ]
    return "\n".join(o for o in outputs if isinstance(o, str))[:20_000]


def _dated(facts: TranscriptFacts, value: Any) -> None:
    at = _moment(value)
    if at is not None:
        facts.dated += 1
        facts.first_at = at if facts.first_at is None or at < facts.first_at else facts.first_at
        facts.last_at = at if facts.last_at is None or at > facts.last_at else facts.last_at


def scan_claude_code(path: Path) -> TranscriptFacts:
    """Start, end, working folder and first prompt of a Claude Code transcript (streamed)."""
    facts = TranscriptFacts()
    calls: dict[str, tuple[str, Any]] = {}  # tool_use_id → (tool, input), until its result arrives
    for entry in _lines(path, facts):
        _dated(facts, entry.get("timestamp"))
        if facts.cwd is None and isinstance(entry.get("cwd"), str) and entry["cwd"]:
            facts.cwd = entry["cwd"][:4096]
        if facts.prompt is None and entry.get("type") == "user" and not entry.get("isMeta"):
            facts.prompt = _prompt(entry.get("message"))
        _tool_calls(entry, calls, facts)
    return facts


def _tool_calls(entry: dict[str, Any], calls: dict[str, tuple[str, Any]], facts: TranscriptFacts) -> None:
    """Pair each tool_use with its tool_result into the payload a PostToolUse hook would have sent."""
    message = entry.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return
    for block in content:
        if not isinstance(block, dict) or not isinstance(block.get("id") or block.get("tool_use_id"), str):
            continue
        if block.get("type") == "tool_use" and len(calls) < MAX_PENDING_CALLS:
            calls[block["id"]] = (str(block.get("name") or ""), block.get("input"))
        elif block.get("type") == "tool_result" and block["tool_use_id"] in calls:
            tool, arguments = calls.pop(block["tool_use_id"])
            at = _moment(entry.get("timestamp"))
            if at is None:
                continue
            if len(facts.tools) >= MAX_TOOL_CALLS:
                facts.tools_over += 1
                continue
            failed = block.get("is_error") is True
            payload: dict[str, Any] = {
                "hook_event_name": "PostToolUseFailure" if failed else "PostToolUse",
                "session_id": str(entry.get("sessionId") or ""),
                "cwd": entry.get("cwd") or facts.cwd or "",
                "tool_name": tool,
                "tool_use_id": block["tool_use_id"],
                "tool_input": arguments if isinstance(arguments, dict) else {},
            }
            answer = entry.get("toolUseResult")
            if failed:
                payload["error"] = _result_text(block.get("content"))
            else:
                payload["tool_response"] = (
                    answer if isinstance(answer, dict) else _result_text(block.get("content"))
                )
            facts.tools.append((at, slim("claude-code", payload)))


def _result_text(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(c["text"] for c in content if isinstance(c, dict) and isinstance(c.get("text"), str))
    return content if isinstance(content, str) else ""


def _lines(path: Path, facts: TranscriptFacts) -> Iterator[dict[str, Any]]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        facts.problems.append(f"cannot open: {exc.strerror or exc}")
        return
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            facts.problems.append("not a regular file")
            return
        for raw in handle:
            facts.lines += 1
            if len(raw) > MAX_LINE or not raw.strip():
                continue
            try:
                entry = json.loads(raw)
            except ValueError:
                facts.malformed += 1
                continue
            if isinstance(entry, dict):
                yield entry


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 19:
        return None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (found if found.tzinfo else found.replace(tzinfo=UTC)).astimezone(UTC)


def _prompt(message: Any) -> str | None:
    """The text a person typed (a slash command's wrapper tags and tool results are not a prompt)."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        kinds = ("text", "input_text")
        texts = [c.get("text") for c in content if isinstance(c, dict) and c.get("type") in kinds]
        content = " ".join(t for t in texts if isinstance(t, str))
    if not isinstance(content, str):
        return None
    text = " ".join(content.split())
    if not text or text.startswith("<"):
        return None
    return text[:PROMPT_CHARS]


# where each agent's history lives: its folders (from the environment), and the transcripts in them
LOCATIONS: dict[
    str, tuple[Callable[[Mapping[str, str], Path], list[Path]], Callable[[list[Path]], Iterator[HistoryFile]]]
] = {
    "claude-code": (claude_code_roots, claude_code_files),
    "codex": (codex_roots, codex_files),
    "gemini-cli": (gemini_roots, gemini_files),
}


def history_of(
    agent: str, environ: Mapping[str, str], home: Path, folders: list[Path] | None = None
) -> tuple[list[Path], list[HistoryFile]]:
    """An agent's history folders (`folders`, else where it keeps them) and the transcripts in them."""
    roots_of, files_of = LOCATIONS[agent]
    roots = folders if folders else roots_of(environ, home)
    return roots, list(files_of(roots))

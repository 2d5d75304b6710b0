"""What a hook keeps of a payload before spooling it (standard library only: the fast path runs it).

Invariant: the spool — and so the database — never holds an agent's file contents, whole tool output
or prompt text. A lifecycle event keeps its known fields (a prompt is kept as its length, for the token
estimate, and the head of its first line — 80 characters — which titles a session that has no title); a tool event keeps the tool's name and id, the path- and command-like arguments (cut at
4,000 characters), and of its response only a short excerpt: for a command or a failure the head and
tail of its text (test runners print their summary last), for a file tool its first line (what
happened, never the file), plus an exit status and the agent's own result type. With
AIDIS_CAPTURE=off tool events are not kept at all. Redaction of what is kept happens in the services,
before any write (aidis.services.text.redaction).
"""

from __future__ import annotations

import os

KEEP = (
    "hook_event_name",
    "session_id",
    "cwd",
    "transcript_path",
    "source",
    "reason",
    "trigger",
    "turn_id",
    "model",
    "tool_name",
    "tool_use_id",
    "is_interrupt",
)
TOOL_EVENTS = {
    "claude-code": ("PostToolUse", "PostToolUseFailure"),
    "codex": ("PostToolUse",),
    "gemini-cli": ("AfterTool",),
}
INPUT_KEYS = (
    "file_path",
    "path",
    "absolute_path",
    "notebook_path",
    "command",
    "cmd",
    "dir_path",
    "directory",
)
MAX_ARGUMENT = 4000
TITLE_CHARS = 80  # of a prompt's first line: a session's title
HEAD, TAIL = 400, 2000


def capture_on(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Whether tool activity is captured (AIDIS_CAPTURE=off turns it off)."""
    return environ.get("AIDIS_CAPTURE", "on").strip().lower() not in ("off", "0", "false", "no")


def is_tool_event(agent: str, payload: dict[str, object]) -> bool:
    """Whether this payload reports a finished tool call."""
    return payload.get("hook_event_name") in TOOL_EVENTS.get(agent, ())


def slim(agent: str, payload: dict[str, object]) -> dict[str, object]:
    """The part of a (checked) payload AIDIS keeps."""
    kept: dict[str, object] = {key: payload[key] for key in KEEP if key in payload}
    prompt = payload.get("prompt")
    if isinstance(prompt, str):
        kept["prompt_chars"] = len(prompt)
        head = prompt_head(prompt)
        if head:
            kept["prompt_head"] = head
    if not is_tool_event(agent, payload):
        return kept
    arguments = payload.get("tool_input")
    if isinstance(arguments, dict):
        kept["tool_input"] = {
            key: value[:MAX_ARGUMENT] for key in INPUT_KEYS if isinstance(value := arguments.get(key), str)
        }
    command = isinstance(arguments, dict) and any(key in arguments for key in ("command", "cmd"))
    kept["tool_response"] = _response(payload.get("tool_response"), payload.get("error"), command=command)
    return kept


def prompt_head(prompt: str) -> str | None:
    """The first words of a prompt's first non-empty line (at most 80 characters, never a word cut in
    two, so the services still recognise a secret in it), as a title; None for a slash command or a
    wrapper tag, which say nothing about the task."""
    line = next((part for part in prompt.splitlines() if part.strip()), "")
    words = line.split()
    if not words or words[0].startswith(("/", "<")):
        return None
    kept: list[str] = []
    for word in words:
        if len(" ".join([*kept, word])) > TITLE_CHARS:
            break
        kept.append(word)
    if not kept:
        return None
    return " ".join(kept) + (" …" if len(kept) < len(words) else "")


def _response(response: object, error: object, *, command: bool) -> dict[str, object]:
    """An excerpt of what the tool answered: text (head and tail; for a file tool only its first line,
    which says what happened, never the file), exit status, result type."""
    out: dict[str, object] = {}
    parts: list[str] = []
    if isinstance(error, str):
        parts.append(error)
        out["failed"] = True
    if isinstance(response, str):
        parts.append(response)
    elif isinstance(response, dict):
        for key in ("stdout", "stderr", "output", "error", "llmContent"):
            value = response.get(key)
            if isinstance(value, str):
                parts.append(value)
            elif isinstance(value, list):
                parts += [
                    item["text"]
                    for item in value
                    if isinstance(item, dict) and isinstance(item.get("text"), str)
                ]
        for key in ("type", "interrupted", "exit_code", "exitCode", "returnCode"):
            value = response.get(key)
            if isinstance(value, (str, int, bool)) and not isinstance(value, float):
                out[key] = value if not isinstance(value, str) else value[:64]
        if isinstance(response.get("error"), (str, dict)):
            out["failed"] = True
    text = "\n".join(parts)
    if not command and not out.get("failed"):
        text = text.split("\n", 1)[0][:120]
    out["text"] = text if len(text) <= HEAD + TAIL else text[:HEAD] + "\n…\n" + text[-TAIL:]
    return out

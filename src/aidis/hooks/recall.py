"""Prompt-time recall, the hook's half (standard library only: the fast path runs it).

A prompt hook (Claude Code and Codex `UserPromptSubmit`, Gemini CLI `BeforeAgent`) asks the process that
already has the application and the embedding model loaded — the spool's listener: the lingering
replayer, or `aidis serve` — over a Unix stream socket next to the spool, and prints what it answers as
the agent's `additionalContext`. Invariants: the agent waits at most the time box
(AIDIS_RECALL_TIMEOUT_MS, default 300) whatever happens — including for a listener the hook just
started to open its socket; no listener, a slow answer, a refusal or an
error all mean "inject nothing", which is always a valid answer; the reason is logged once per change
(`recall.log` in the spool folder), never on every prompt; AIDIS_RECALL=off asks nothing.
"""

from __future__ import annotations

import os
import socket
import time

from aidis.hooks import fastjson as json
from aidis.hooks.notify import MAX_SOCKET_PATH

SOCKET_NAME = "recall.sock"
LOG_NAME = "recall.log"
PROMPT_EVENTS = {"claude-code": "UserPromptSubmit", "codex": "UserPromptSubmit", "gemini-cli": "BeforeAgent"}
DEFAULT_TIMEOUT_MS = 300
MAX_ANSWER_BYTES = 64_000


def socket_path(spool_dir: str) -> str:
    """The recall socket of a spool folder."""
    return os.path.join(spool_dir, SOCKET_NAME)


def recall_on(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """False when AIDIS_RECALL turns recall off (off, false, 0, no)."""
    return environ.get("AIDIS_RECALL", "on").strip().lower() not in ("off", "false", "0", "no")


def time_box(environ: dict[str, str] | os._Environ[str] = os.environ) -> float:
    """The most a prompt waits for recall, in seconds (AIDIS_RECALL_TIMEOUT_MS; 50 ms to 10 s)."""
    try:
        millis = float(environ.get("AIDIS_RECALL_TIMEOUT_MS", DEFAULT_TIMEOUT_MS))
    except ValueError:
        millis = DEFAULT_TIMEOUT_MS
    return min(max(millis, 50.0), 10_000.0) / 1000


def is_prompt_event(agent: str, payload: dict[str, object]) -> bool:
    """Whether this hook event carries the person's prompt (the moment to recall)."""
    return PROMPT_EVENTS.get(agent) == payload.get("hook_event_name") and isinstance(
        payload.get("prompt"), str
    )


def ask(spool_dir: str, agent: str, payload: dict[str, object], *, timeout: float) -> tuple[str, str]:
    """(text to inject or "", why nothing when nothing) within `timeout` seconds."""
    path = socket_path(spool_dir)
    deadline = time.monotonic() + timeout
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        return "", f"the spool folder's path is too long for a socket ({path})"
    while not os.path.exists(path):  # a listener the hook just started may open it within the time box
        if time.monotonic() >= deadline:
            return "", "no AIDIS process is ready to recall (one starts now; later prompts get recall)"
        time.sleep(0.02)
    request = {
        "agent": agent,
        "session_id": payload.get("session_id"),
        "prompt": payload.get("prompt"),
    }
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(max(deadline - time.monotonic(), 0.001))
            client.connect(path)
            client.sendall(json.dumps(request).encode() + b"\n")
            client.shutdown(socket.SHUT_WR)
            received = b""
            while not received.endswith(b"\n") and len(received) <= MAX_ANSWER_BYTES:
                client.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = client.recv(65536)
                if not chunk:
                    break
                received += chunk
    except TimeoutError:
        return "", f"no answer within {int(timeout * 1000)} ms (AIDIS_RECALL_TIMEOUT_MS)"
    except OSError as exc:
        return "", f"the recall socket refused ({exc.strerror or exc})"
    try:
        answer = json.loads(received or b"null")
    except ValueError:
        return "", "the answer was not JSON"
    if not isinstance(answer, dict):
        return "", "the answer was not an object"
    text = answer.get("text")
    reason = answer.get("reason")
    return (text if isinstance(text, str) else ""), (reason if isinstance(reason, str) else "")


def output(agent: str, text: str) -> bytes:
    """The JSON the agent reads from a prompt hook's stdout to add `text` to the model's context."""
    event = PROMPT_EVENTS[agent]
    return (
        json.dumps({"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}}) + "\n"
    ).encode()


def log_once(spool_dir: str, reason: str) -> None:
    """Append `reason` to the recall log unless it is the reason logged last (a busy agent's prompts
    must not fill the disk with the same line)."""
    if not reason:
        return
    path = os.path.join(spool_dir, LOG_NAME)
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {reason}\n"
    try:
        with open(path, "a+b") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 2048))
            tail = handle.read().decode(errors="replace").splitlines()
            if tail and tail[-1].split(" ", 1)[-1] == reason:
                return
            if size > 1_000_000:
                handle.truncate(0)
            handle.write(line.encode())
    except OSError:
        return  # the log is a courtesy; the agent must not wait on a full disk

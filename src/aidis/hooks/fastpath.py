"""`aidis hook <agent>`: one process per hook event, standard library only, always exit 0.

Invariant: the agent is never slowed down or broken. The event is checked and spooled (durable),
the running replayer is told (aidis.hooks.notify; one is started only when none listens) and the
process exits. A prompt event prints what prompt-time recall found for the prompt, if anything, within its
time box (aidis.hooks.recall). `SessionStart` prints the context the agent starts with: the project's prepared
hand-over (aidis.hooks.handover) when it is current and no earlier event still waits, else the full
path, bounded by a deadline (without the database it prints nothing and the event is applied later).
Errors go to stderr as one line; stdout carries nothing but the JSON the agent expects.
"""

from __future__ import annotations

import os
import sys
import time

from aidis.hooks import fastjson as json
from aidis.hooks.ancestry import ancestors
from aidis.hooks.handover import prepared_text
from aidis.hooks.notify import notify
from aidis.hooks.payload import AGENTS, MAX_PAYLOAD_BYTES, parse
from aidis.hooks.recall import ask, is_prompt_event, log_once, output, recall_on, time_box
from aidis.hooks.slim import capture_on, is_tool_event, slim
from aidis.hooks.spool import SPOOL_NAME, append, read, spool_dir

CONTEXT_EVENT = "SessionStart"
EARLIER_WAIT_SECONDS = 0.5


def _say(agent: str, message: str) -> None:
    sys.stderr.write(f"aidis hook {agent}: {message}\n")


def spawn_replayer(spool: str) -> None:
    """Start `python -m aidis.replayer` detached: its own session, stdio on /dev/null, so it outlives
    this process and the agent's (posix_spawn: `subprocess` alone costs ~13 ms to import)."""
    devnull = os.devnull
    os.posix_spawn(
        sys.executable,
        [sys.executable, "-m", "aidis.replayer", spool],
        dict(os.environ),
        setsid=True,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, devnull, os.O_WRONLY, 0),
        ],
    )


def main(argv: list[str]) -> int:
    """Read one payload on stdin, spool it, and hand it on; returns the exit code (always 0).

    Whatever goes wrong is one line on stderr, never a traceback and never another exit code: an
    agent may treat a failing hook as a failed step (Claude Code shows it; Codex can block on it)."""
    try:
        return _main(argv)
    except Exception as exc:  # noqa: BLE001 - the agent must not break; the cause is said, not swallowed
        _say(argv[0] if argv else "?", f"internal error ({type(exc).__name__}: {exc}); event not recorded")
        return 0


def _main(argv: list[str]) -> int:
    agent = argv[0] if argv else ""
    if agent in ("-h", "--help"):
        sys.stdout.write(
            f"usage: aidis hook {{{'|'.join(AGENTS)}}}  (one hook event as JSON on stdin; always exits 0)\n"
        )
        return 0
    if agent not in AGENTS:
        _say(agent or "?", f"unknown agent {agent!r}; known: {', '.join(AGENTS)}")
        return 0
    raw = sys.stdin.buffer.read(MAX_PAYLOAD_BYTES + 1)
    payload, problem = parse(raw)
    if payload is None:
        _say(agent, f"invalid payload: {problem}; ignored")
        return 0
    if is_tool_event(agent, payload) and not capture_on():
        return 0  # AIDIS_CAPTURE=off: tool activity is not recorded at all
    spool = os.path.join(spool_dir(), SPOOL_NAME)
    record: dict[str, object] = {
        "id": os.urandom(16).hex(),
        "agent": agent,
        "received_at": time.time(),
        "payload": slim(agent, payload),
    }
    if payload["hook_event_name"] == CONTEXT_EVENT:  # the agent process, for joining its MCP server
        record["ancestors"] = ancestors()
    try:
        append(spool, record)
    except OSError as exc:
        _say(agent, f"cannot write the spool {spool}: {exc.strerror or exc}; event lost")
        return 0
    if payload["hook_event_name"] == CONTEXT_EVENT:
        _print_start_context(agent, spool, payload, str(record["id"]))
        return 0
    _hand_on(agent, spool)
    if is_prompt_event(agent, payload) and recall_on():
        _recall(agent, os.path.dirname(spool), payload)
    return 0


def _recall(agent: str, folder: str, payload: dict[str, object]) -> None:
    """Print the recalled notes for this prompt, or nothing (and say why once, in the recall log)."""
    text, reason = ask(folder, agent, payload, timeout=time_box())
    if text:
        sys.stdout.buffer.write(output(agent, text))
        sys.stdout.buffer.flush()
    else:
        log_once(folder, reason)


def _hand_on(agent: str, spool: str) -> None:
    """Tell the running replayer, or start one when none listens."""
    if notify(os.path.dirname(spool)):
        return
    try:
        spawn_replayer(spool)
    except OSError as exc:
        _say(agent, f"cannot start the replayer ({exc}); the event waits in {spool}")


def _print_start_context(agent: str, spool: str, payload: dict[str, object], event_id: str) -> None:
    """Print the start context: the project's prepared hand-over when it is current and nothing older
    than this event is still waiting to be applied; else the full path (apply the spool now, bounded,
    and ask the database)."""
    _hand_on(agent, spool)
    cwd = payload.get("cwd")
    text = None
    if isinstance(cwd, str) and _earlier_events_applied(spool, event_id):
        text = prepared_text(cwd)
    if text is None:
        _full_start_context(agent, spool, payload)
        return
    _print(text)


def _earlier_events_applied(spool: str, event_id: str, wait: float = EARLIER_WAIT_SECONDS) -> bool:
    """True once no event spooled before this one waits (the replayer was told: it takes a moment)."""
    marker = f'"id":"{event_id}"'.encode()
    deadline = time.monotonic() + wait
    while True:
        lines = [line for line in read(spool) if line.strip()]
        if not lines or marker in lines[0] or not any(marker in line for line in lines):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def _print(text: str) -> None:
    if text:
        out = {"hookSpecificOutput": {"hookEventName": CONTEXT_EVENT, "additionalContext": text}}
        sys.stdout.buffer.write((json.dumps(out) + "\n").encode())  # UTF-8 whatever the locale
        sys.stdout.buffer.flush()


def _full_start_context(agent: str, spool: str, payload: dict[str, object]) -> None:
    """Apply the spool now (bounded) and print the context for this session, if the database answers.

    The work is the replayer's (`python -m aidis.replayer --start-context`, a child process): this module
    stays below the services and never imports the application."""
    import subprocess

    budget = float(os.environ.get("AIDIS_HOOK_CONTEXT_SECONDS", "5"))
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "aidis.replayer", "--start-context", agent, spool],
            input=json.dumps(payload).encode(),
            capture_output=True,
            timeout=budget + 1,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _say(agent, f"no start context ({type(exc).__name__}); the event is applied later")
        _spawn_quietly(agent, spool)
        return
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        _say(
            agent,
            f"no start context ({lines[-1] if lines else f'exit {done.returncode}'}); the event is applied later",
        )
        _spawn_quietly(agent, spool)
        return
    _print(done.stdout.decode(errors="replace"))


def _spawn_quietly(agent: str, spool: str) -> None:
    try:
        spawn_replayer(spool)
    except OSError as exc:
        _say(agent, f"cannot start the replayer ({exc})")

"""What an agent did, from one finished tool call: files read, created, edited and deleted (paths relative
to the workspace), shell commands with their exit status, test runs with pass/fail counts, failures.

Invariants: deterministic — no model is asked anything; only what the agent's own payload says (see
the fixtures recorded from the real agents) and what `commands` reads plainly from a command line;
never file contents, and of output only a short excerpt of a failure; every text redacted (always
redacted, never refused: an agent's command is not memory someone chose to write, and dropping the
event would lose the record); commands cut at 200 characters, details at 300. AIDIS's own MCP tools and
other MCP servers' tools are not activity (the former are counted on the session already).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any

from aidis.enums import ActivityKind
from aidis.services.agents.commands import files_named, is_test_run, test_counts
from aidis.services.text.redaction import redact

COMMAND_CHARS = 200
DETAIL_CHARS = 300
EXIT_CODE = re.compile(r"(?:Exit [Cc]ode:?|exited with code)\s*(-?\d+)")
FILE_TOOLS: dict[str, dict[str, ActivityKind]] = {
    "claude-code": {
        "Read": ActivityKind.READ,
        "Write": ActivityKind.EDIT,  # a create when the agent says so (`type: create`)
        "Edit": ActivityKind.EDIT,
        "MultiEdit": ActivityKind.EDIT,
        "NotebookEdit": ActivityKind.EDIT,
    },
    "codex": {},
    "gemini-cli": {
        "read_file": ActivityKind.READ,
        "read_many_files": ActivityKind.READ,
        "write_file": ActivityKind.EDIT,  # a create when its answer says "created"
        "replace": ActivityKind.EDIT,
    },
}
SHELL_TOOLS = {
    "claude-code": {"Bash"},
    "codex": {"Bash", "exec_command", "shell"},
    "gemini-cli": {"run_shell_command"},
}
FAILURE_EVENTS = {"PostToolUseFailure"}


@dataclass(frozen=True, slots=True)
class Activity:
    """One thing done, ready to be stored on a session."""

    kind: ActivityKind
    tool_name: str | None = None
    tool_use_id: str | None = None
    path: str | None = None
    command: str | None = None
    exit_code: int | None = None
    tests_passed: int | None = None
    tests_failed: int | None = None
    detail: str | None = None

    def row(self) -> dict[str, Any]:
        """The columns of a `session_activity` row (without session, time and agent)."""
        return {
            "kind": self.kind.value,
            "tool_name": self.tool_name,
            "tool_use_id": self.tool_use_id,
            "path": self.path,
            "command": self.command,
            "exit_code": self.exit_code,
            "tests_passed": self.tests_passed,
            "tests_failed": self.tests_failed,
            "detail": self.detail,
        }


def capture(agent: str, payload: dict[str, Any], root: str | None = None) -> list[Activity]:
    """The activity of one (slimmed) tool event; empty for tools that are not file, shell or failure.
    Paths are made relative to `root` (the repository's top level) or else to the agent's folder."""
    tool = str(payload.get("tool_name") or "")
    if not tool or tool.startswith("mcp__") or tool.startswith("mcp_"):
        return []
    raw_arguments, raw_response = payload.get("tool_input"), payload.get("tool_response")
    arguments: dict[str, Any] = raw_arguments if isinstance(raw_arguments, dict) else {}
    response: dict[str, Any] = raw_response if isinstance(raw_response, dict) else {}
    text = str(response.get("text") or "")
    failed = payload.get("hook_event_name") in FAILURE_EVENTS or bool(response.get("failed"))
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    workspace = (cwd, root or cwd)
    ident = str(payload["tool_use_id"])[:200] if isinstance(payload.get("tool_use_id"), str) else None
    if tool in SHELL_TOOLS.get(agent, set()):
        command = arguments.get("command") or arguments.get("cmd")
        if isinstance(command, str) and command.strip():
            return _shell(agent, tool, ident, command, text, failed, response, workspace)
    kind = FILE_TOOLS.get(agent, {}).get(tool)
    path = next(
        (arguments[k] for k in ("file_path", "absolute_path", "path", "notebook_path") if k in arguments),
        None,
    )
    found: list[Activity] = []
    if kind is not None and isinstance(path, str):
        if kind == ActivityKind.EDIT and _created(response, text):
            kind = ActivityKind.CREATE
        found.append(Activity(kind, tool, ident, path=_relative(path, workspace)))
    if failed:
        found.append(Activity(ActivityKind.ERROR, tool, ident, detail=_detail(text)))
    return found


def _shell(
    agent: str,
    tool: str,
    ident: str | None,
    command: str,
    text: str,
    failed: bool,
    response: dict[str, Any],
    workspace: tuple[str | None, str | None],
) -> list[Activity]:
    code = _exit_code(agent, text, failed, response)
    shown = redact(" ".join(command.split())).text[:COMMAND_CHARS]
    found: list[Activity] = []
    if is_test_run(command):
        counts = test_counts(text)
        if code is None and counts.failed is not None:
            code = 1 if counts.failed else 0
        detail = _detail(text) if (code not in (None, 0) or counts.failed) else None
        found.append(
            Activity(ActivityKind.TEST, tool, ident, None, shown, code, counts.passed, counts.failed, detail)
        )
    else:
        detail = _detail(text) if code not in (None, 0) else None
        found.append(
            Activity(ActivityKind.COMMAND, tool, ident, command=shown, exit_code=code, detail=detail)
        )
    if code in (None, 0):  # a failed command may not have done what it names
        found += [
            Activity(t.kind, tool, ident, path=_relative(t.path, workspace)) for t in files_named(command)
        ]
    return found


def _exit_code(agent: str, text: str, failed: bool, response: dict[str, Any]) -> int | None:
    for key in ("exit_code", "exitCode", "returnCode"):
        value = response.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    found = EXIT_CODE.search(text)
    if found:
        return int(found.group(1))
    if agent == "codex":
        return None  # Codex tells it in its rollout only (filled in when the transcript is read)
    if response.get("interrupted") is True:
        return None
    return 1 if failed else 0


def _created(response: dict[str, Any], text: str) -> bool:
    return response.get("type") == "create" or text.lower().startswith("successfully created")


def _relative(path: str, workspace: tuple[str | None, str | None]) -> str:
    """A path relative to the workspace root when it lies inside it (normalized; a relative path is
    taken from the agent's folder), else as given."""
    cwd, root = workspace
    clean = posixpath.normpath(posixpath.join(cwd, path) if cwd and not posixpath.isabs(path) else path)
    if root and posixpath.isabs(clean):
        top = posixpath.normpath(root)
        if clean == top or clean.startswith(top + "/"):
            return posixpath.relpath(clean, top)
    return clean


def _detail(text: str) -> str | None:
    """The last few non-empty lines of a failure's output (redacted, at most DETAIL_CHARS)."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("<")]
    if not lines:
        return None
    tail = " | ".join(lines[-3:])
    return redact(tail).text[-DETAIL_CHARS:]

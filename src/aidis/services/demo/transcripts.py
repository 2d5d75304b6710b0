"""The demo's agent files: each agent's transcript in its own format, and its tool events' payloads.

Invariant: what the demo writes has exactly the shape the real agents write (the fields of
tests/agents/fixtures, recorded from the real Claude Code, Codex and Gemini CLI), so the demo's
tokens, costs and activity come out of the same readers as real ones — never written into the
database directly.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aidis.services.demo.stories import Story

TEST_OUTPUT = "{passed} passed in 1.84s"
TEST_OUTPUT_FAILED = (
    "FAILED {file}::test_edge_case - AssertionError\n{failed} failed, {passed} passed in 2.07s"
)
JEST_OUTPUT = "Tests:       {failed} failed, {passed} passed, {total} total"


@dataclass(frozen=True, slots=True)
class ToolEvent:
    """One thing an agent did: its hook event, the payload fields it sends, and whether it failed (what
    Codex tells only in its rollout)."""

    hook: str
    fields: dict[str, Any]
    failed: bool = False


class Transcript:
    """One session's transcript file, written as the agent writes it."""

    def __init__(self, agent: str, path: Path, session_id: str, cwd: str) -> None:
        self.agent = agent
        self.path = path
        self.session_id = session_id
        self.cwd = cwd
        self._codex_totals = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0}
        path.parent.mkdir(parents=True, exist_ok=True)

    def _write(self, entry: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, separators=(",", ":")) + "\n")

    def start(self, at: datetime, model: str) -> None:
        """The file's opening lines (Codex: the session's metadata and the model in use)."""
        stamp = at.isoformat()
        if self.agent == "codex":
            self._write(
                {
                    "timestamp": stamp,
                    "type": "session_meta",
                    "payload": {"id": self.session_id, "timestamp": stamp, "cwd": self.cwd},
                }
            )
            self._write(
                {"timestamp": stamp, "type": "turn_context", "payload": {"cwd": self.cwd, "model": model}}
            )
        elif self.agent == "gemini-cli":
            self._write(
                {"sessionId": self.session_id, "startTime": stamp, "lastUpdated": stamp, "kind": "main"}
            )
        else:
            self.path.touch()

    def prompt(self, text: str, at: datetime) -> None:
        """The user's prompt."""
        stamp = at.isoformat()
        if self.agent == "claude-code":
            self._write(
                {
                    "type": "user",
                    "cwd": self.cwd,
                    "sessionId": self.session_id,
                    "uuid": str(uuid.uuid4()),
                    "timestamp": stamp,
                    "message": {"role": "user", "content": text},
                }
            )
        elif self.agent == "codex":
            self._write(
                {
                    "timestamp": stamp,
                    "type": "response_item",
                    "payload": {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_text", "text": text}],
                    },
                }
            )
        else:
            self._write(
                {"id": uuid.uuid4().hex, "timestamp": stamp, "type": "user", "content": [{"text": text}]}
            )

    def turn(
        self, model: str, at: datetime, rng: random.Random, call_id: str | None, done: ToolEvent | None
    ) -> None:
        """One model response with its token usage (and the tool call it made, with its result)."""
        stamp = at.isoformat()
        fresh, cached, output = rng.randint(800, 6000), rng.randint(5000, 60000), rng.randint(150, 2500)
        if self.agent == "claude-code":
            content: list[dict[str, Any]] = [{"type": "text", "text": "Done."}]
            if call_id is not None and done is not None:
                content = [
                    {
                        "type": "tool_use",
                        "id": call_id,
                        "name": done.fields["tool_name"],
                        "input": done.fields["tool_input"],
                    }
                ]
            usage = {
                "input_tokens": fresh,
                "output_tokens": output,
                "cache_creation_input_tokens": rng.randint(0, 4000),
                "cache_read_input_tokens": cached,
            }
            self._write(
                {
                    "type": "assistant",
                    "cwd": self.cwd,
                    "sessionId": self.session_id,
                    "uuid": str(uuid.uuid4()),
                    "timestamp": stamp,
                    "requestId": f"req_{uuid.uuid4().hex[:16]}",
                    "message": {
                        "id": f"msg_{uuid.uuid4().hex[:16]}",
                        "model": model,
                        "role": "assistant",
                        "content": content,
                        "usage": usage,
                    },
                }
            )
        elif self.agent == "codex":
            if call_id is not None and done is not None:
                code = 1 if done.failed else 0
                self._write(
                    {
                        "timestamp": stamp,
                        "type": "response_item",
                        "payload": {
                            "type": "function_call_output",
                            "call_id": call_id,
                            "output": f"Process exited with code {code}\nOutput:\n{done.fields.get('tool_response', '')}",
                        },
                    }
                )
            totals = self._codex_totals
            totals["input_tokens"] += fresh + cached
            totals["cached_input_tokens"] += cached
            totals["output_tokens"] += output
            self._write(
                {
                    "timestamp": stamp,
                    "type": "event_msg",
                    "payload": {"type": "token_count", "info": {"total_token_usage": dict(totals)}},
                }
            )
        else:
            self._write(
                {
                    "id": uuid.uuid4().hex,
                    "timestamp": stamp,
                    "type": "gemini",
                    "model": model,
                    "content": "",
                    "tokens": {
                        "input": fresh + cached,
                        "output": output,
                        "cached": cached,
                        "thoughts": 0,
                        "tool": 0,
                    },
                }
            )


def tool_events(story: Story, agent: str, cwd: Path) -> Iterator[ToolEvent]:
    """Each thing the story's agent did, in the agent's own words."""
    for path in story.creates:
        yield _file(agent, cwd / path, created=True)
    for path in story.edits:
        yield _file(agent, cwd / path, created=False)
    for command in story.commands:
        yield _command(agent, command, f"{command.split()[0]}: done", failed=False)
    if story.tests is not None:
        command, passed, failed = story.tests
        file = command.split()[-1]
        if "jest" in command:
            output = JEST_OUTPUT.format(failed=failed, passed=passed, total=passed + failed)
        elif failed:
            output = TEST_OUTPUT_FAILED.format(file=file, failed=failed, passed=passed)
        else:
            output = TEST_OUTPUT.format(passed=passed)
        yield _command(agent, command, output, failed=failed > 0)


def _file(agent: str, path: Path, *, created: bool) -> ToolEvent:
    where = str(path)
    if agent == "claude-code":
        if created:
            return ToolEvent(
                "PostToolUse",
                {
                    "tool_name": "Write",
                    "tool_input": {"file_path": where, "content": "…\n"},
                    "tool_response": {"type": "create", "filePath": where},
                },
            )
        return ToolEvent(
            "PostToolUse",
            {
                "tool_name": "Edit",
                "tool_input": {"file_path": where, "old_string": "old", "new_string": "new"},
                "tool_response": {"filePath": where, "structuredPatch": []},
            },
        )
    if agent == "codex":
        verb = "Add" if created else "Update"
        patch = f"apply_patch <<'EOF'\n*** Begin Patch\n*** {verb} File: {where}\n*** End Patch\nEOF"
        return ToolEvent(
            "PostToolUse",
            {"tool_name": "Bash", "tool_input": {"command": patch}, "tool_response": "Success."},
        )
    if created:
        return ToolEvent(
            "AfterTool",
            {
                "tool_name": "write_file",
                "tool_input": {"file_path": where, "content": "…\n"},
                "tool_response": {
                    "llmContent": f"Successfully created and wrote to new file: {where}.",
                    "returnDisplay": "",
                },
            },
        )
    return ToolEvent(
        "AfterTool",
        {
            "tool_name": "replace",
            "tool_input": {"file_path": where, "old_string": "old", "new_string": "new"},
            "tool_response": {
                "llmContent": f"Successfully modified file: {where} (1 replacements).",
                "returnDisplay": "",
            },
        },
    )


def _command(agent: str, command: str, output: str, *, failed: bool) -> ToolEvent:
    if agent == "claude-code":
        if failed:
            return ToolEvent(
                "PostToolUseFailure",
                {"tool_name": "Bash", "tool_input": {"command": command}, "error": f"Exit code 1\n{output}"},
                failed,
            )
        return ToolEvent(
            "PostToolUse",
            {
                "tool_name": "Bash",
                "tool_input": {"command": command},
                "tool_response": {"stdout": output, "stderr": "", "interrupted": False, "isImage": False},
            },
        )
    if agent == "codex":
        return ToolEvent(
            "PostToolUse",
            {"tool_name": "Bash", "tool_input": {"command": command}, "tool_response": output},
            failed,
        )
    status = "Exit Code: 1\n" if failed else ""
    shown = f"<untrusted_context>\nOutput: {output}\n{status}Process Group PGID: 4242\n</untrusted_context>"
    return ToolEvent(
        "AfterTool",
        {
            "tool_name": "run_shell_command",
            "tool_input": {"command": command},
            "tool_response": {"llmContent": shown, "returnDisplay": ""},
        },
        failed,
    )

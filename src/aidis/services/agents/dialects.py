"""How each agent names its lifecycle: its hook events, its end reasons, where its transcript's tokens are.

Invariant: every agent-specific word is here, read from the real agents' payloads (recorded as fixtures
in tests/agents/fixtures); the rest of AIDIS sees one lifecycle — start, prompt, tool, stop, compact,
end — so a session means the same thing whichever agent ran it. An event an agent sends that is not
listed is noted and changes nothing but the session's activity time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aidis.enums import EndReason


class Moment(StrEnum):
    """A point in an agent session's life, whatever the agent calls it."""

    START = "start"
    PROMPT = "prompt"
    TOOL = "tool"
    STOP = "stop"
    COMPACT = "compact"
    END = "end"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Dialect:
    """One agent's words."""

    agent: str
    moments: dict[str, Moment]
    end_reasons: dict[str, EndReason]
    transcript: str  # which reader counts its transcript's tokens (aidis.services.agents.transcripts)

    def moment(self, event: str) -> Moment:
        """The lifecycle moment of a hook event name."""
        return self.moments.get(event, Moment.OTHER)

    def end_reason(self, word: str) -> EndReason:
        """Our end reason for the agent's SessionEnd reason (its own word is kept besides)."""
        return self.end_reasons.get(word, EndReason.CONNECTION_CLOSED)


CLEAR_AND_EXIT = {
    "clear": EndReason.NEW_SESSION,
    "logout": EndReason.EXPLICIT,
    "prompt_input_exit": EndReason.EXPLICIT,
    "exit": EndReason.EXPLICIT,
}

DIALECTS = {
    "claude-code": Dialect(
        agent="claude-code",
        moments={
            "SessionStart": Moment.START,
            "UserPromptSubmit": Moment.PROMPT,
            "PostToolUse": Moment.TOOL,
            "PostToolUseFailure": Moment.TOOL,
            "Stop": Moment.STOP,
            "SubagentStop": Moment.STOP,
            "PreCompact": Moment.COMPACT,
            "SessionEnd": Moment.END,
        },
        end_reasons=CLEAR_AND_EXIT,
        transcript="claude-code",
    ),
    "codex": Dialect(
        agent="codex",
        moments={
            "SessionStart": Moment.START,
            "UserPromptSubmit": Moment.PROMPT,
            "PostToolUse": Moment.TOOL,
            "Stop": Moment.STOP,
            "PreCompact": Moment.COMPACT,
            "SessionEnd": Moment.END,
        },
        end_reasons=CLEAR_AND_EXIT,
        transcript="codex",
    ),
    "gemini-cli": Dialect(
        agent="gemini-cli",
        moments={
            "SessionStart": Moment.START,
            "BeforeAgent": Moment.PROMPT,
            "AfterTool": Moment.TOOL,
            "AfterAgent": Moment.STOP,
            "PreCompress": Moment.COMPACT,
            "SessionEnd": Moment.END,
        },
        end_reasons=CLEAR_AND_EXIT,
        transcript="gemini-cli",
    ),
}
USAGE_MOMENTS = frozenset({Moment.STOP, Moment.COMPACT, Moment.END})


def dialect(agent: str) -> Dialect:
    """The dialect of a known agent (the hook payload check refuses unknown ones first)."""
    return DIALECTS[agent]

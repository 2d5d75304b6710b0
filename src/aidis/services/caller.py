"""Who is calling: the connection a tool call arrived on, and the agent behind it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from aidis.enums import WorkspaceSource
from aidis.services.principal import Principal


@dataclass(frozen=True, slots=True)
class WorkspaceHint:
    """A directory the agent is working in, and where AIDIS learned it."""

    path: str
    source: WorkspaceSource


@dataclass(frozen=True, slots=True)
class Caller:
    """One MCP connection (stdio process, HTTP MCP session, or API client).

    `workspaces` are the directories the caller reported, strongest evidence first; they decide
    the project of a session it starts without naming one.
    """

    connection_id: str
    agent_type: str = "unknown"
    transport: str = "api"
    workspaces: tuple[WorkspaceHint, ...] = ()
    agent_process: str | None = None  # `pid:start` of the agent that started this stdio server
    principal: Principal | None = None  # the person it acts for, on a team server
    stateless: bool = False  # an HTTP client with no protocol session: it may share this id with others


def estimate_tokens(chars: int) -> int:
    """A rough token count for `chars` characters of text (about four characters a token)."""
    return math.ceil(chars / 4) if chars > 0 else 0


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call to count on the session it touches, inside the same transaction as its work."""

    tool: str
    input_chars: int
    output_chars: int = 400  # lifecycle results are a session record or two

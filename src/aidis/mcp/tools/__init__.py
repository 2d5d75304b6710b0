"""Every AIDIS MCP tool, grouped by category."""

from __future__ import annotations

from aidis.mcp.toolkit import ToolSpec
from aidis.mcp.tools import context_edits, contexts, dispatch, projects, sessions, system

# What agents use in a session, listed by default (AIDIS_TOOLS=core); the rest through `aidis_tool`.
CORE = frozenset(
    {
        "session_status",
        "project_switch",
        "context_store",
        "context_search",
        "context_get",
        "session_end",
        "aidis_help",
        dispatch.DISPATCH,
    }
)


def all_specs() -> list[ToolSpec]:
    """Every tool spec, in help order."""
    return [
        *system.SPECS,
        *projects.SPECS,
        *sessions.SPECS,
        *contexts.SPECS,
        *context_edits.SPECS,
        *dispatch.SPECS,
    ]


def listed(mode: str) -> frozenset[str] | None:
    """The names `tools/list` shows in a tool mode (None: every tool)."""
    return None if mode == "all" else CORE

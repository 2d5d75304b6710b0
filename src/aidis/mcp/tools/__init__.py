"""Every AIDIS MCP tool, grouped by category."""

from __future__ import annotations

from aidis.mcp.toolkit import ToolSpec
from aidis.mcp.tools import context_edits, contexts, projects, sessions, system


def all_specs() -> list[ToolSpec]:
    """Every tool spec, in help order."""
    return [*system.SPECS, *projects.SPECS, *sessions.SPECS, *contexts.SPECS, *context_edits.SPECS]

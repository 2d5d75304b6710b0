"""JSON shapes shared by the MCP tools, the HTTP API and the command line (pydantic models built from
records), grouped by domain; this package's face is `__all__`."""

from __future__ import annotations

from aidis.schemas._base import Out
from aidis.schemas._memory import (
    ContextHitOut,
    ContextOut,
    ContextRevisionOut,
    StoredOut,
    TouchedOut,
    render_snippet,
)
from aidis.schemas._sessions import ActivityOut, ActivityRowOut, ChangeOut, ProjectOut, SessionOut, StatsOut
from aidis.schemas._usage import UsageLineOut, UsageReportOut

__all__ = [
    "ActivityOut",
    "ActivityRowOut",
    "ChangeOut",
    "ContextHitOut",
    "ContextOut",
    "ContextRevisionOut",
    "Out",
    "ProjectOut",
    "SessionOut",
    "StatsOut",
    "StoredOut",
    "TouchedOut",
    "UsageLineOut",
    "UsageReportOut",
    "render_snippet",
]

"""Every table AIDIS stores, as SQLAlchemy Core `Table`s on one `metadata`; the migrations create exactly
this. `_core` holds one install's data, `_team` a team server's people, grants and audit trail, `_usage`
the tokens each session's models used, by hour."""

from aidis.db.schema._core import (
    ROLLUP_COUNTERS,
    Json,
    analytics_events,
    connection_links,
    connections,
    context_revisions,
    context_vectors,
    contexts,
    declare_postgresql_options,
    enum_check,
    hook_events,
    legacy_imports,
    metadata,
    project_workspaces,
    projects,
    session_activity,
    session_counters,
    session_evidence,
    session_project_changes,
    session_rollups,
    sessions,
)
from aidis.db.schema._team import api_tokens, audit_log, project_grants, users
from aidis.db.schema._usage import session_usage, usage_rollups

__all__ = [
    "ROLLUP_COUNTERS",
    "Json",
    "analytics_events",
    "api_tokens",
    "audit_log",
    "connection_links",
    "connections",
    "context_revisions",
    "context_vectors",
    "contexts",
    "declare_postgresql_options",
    "enum_check",
    "hook_events",
    "legacy_imports",
    "metadata",
    "project_grants",
    "project_workspaces",
    "projects",
    "session_activity",
    "session_counters",
    "session_evidence",
    "session_project_changes",
    "session_rollups",
    "session_usage",
    "sessions",
    "usage_rollups",
    "users",
]

"""SQL for the audit trail: append rows, read them back, and let old ones go on purpose.

Invariant: rows are only ever inserted — never updated — and deleted only by `prune_before`, which on
PostgreSQL calls `aidis_prune_audit` (migration 0014: a function running as the table's owner, the only
place the trigger guarding the table lets a row go; the member role may not call it), so no other
statement can rewrite the trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text

from aidis.db.schema import audit_log
from aidis.records import AuditEntry

__all__ = ["AuditEntry", "append", "prune_before", "read"]


def append(conn: Connection, entries: Sequence[AuditEntry]) -> None:
    """Append entries in one statement."""
    if not entries:
        return
    conn.execute(
        insert(audit_log),
        [
            {
                "occurred_at": e.occurred_at,
                "user_id": e.user_id,
                "user_name": e.user_name,
                "token_id": e.token_id,
                "surface": e.surface,
                "address": e.address,
                "action": e.action,
                "kind": e.kind,
                "project_id": e.project_id,
                "target_ids": e.target_ids or None,
                "item_count": e.item_count,
                "outcome": e.outcome,
            }
            for e in entries
        ],
    )


def read(
    conn: Connection,
    *,
    user_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest entries matching the filters."""
    query: Any = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(audit_log.c.user_id == user_id)
    if project_id is not None:
        query = query.where(audit_log.c.project_id == project_id)
    if since is not None:
        query = query.where(audit_log.c.occurred_at >= since)
    return [
        AuditEntry(
            r.occurred_at,
            r.user_id,
            r.user_name,
            r.token_id,
            r.surface,
            r.address,
            r.action,
            r.kind,
            r.project_id,
            list(r.target_ids or []),
            r.item_count,
            r.outcome,
        )
        for r in conn.execute(query)
    ]


def prune_before(conn: Connection, cutoff: datetime) -> int:
    """Delete entries older than `cutoff` (retention); returns how many went."""
    if conn.dialect.name == "postgresql":  # only the owner's function may let rows go (migration 0014)
        return int(conn.execute(text("SELECT aidis_prune_audit(:cutoff)"), {"cutoff": cutoff}).scalar_one())
    return int(conn.execute(delete(audit_log).where(audit_log.c.occurred_at < cutoff)).rowcount)

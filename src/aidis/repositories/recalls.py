"""SQL for what prompt-time recall handed to each agent session (`recalled_contexts`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select

from aidis.db.schema import recalled_contexts
from aidis.db.sqlfuncs import insert_ignoring


def given(conn: Connection, connection_id: str) -> set[uuid.UUID]:
    """The contexts already recalled into this agent session."""
    rows = conn.execute(
        select(recalled_contexts.c.context_id).where(recalled_contexts.c.connection_id == connection_id)
    )
    return {r[0] for r in rows}


def record(
    conn: Connection,
    connection_id: str,
    project_id: uuid.UUID,
    scored: Sequence[tuple[uuid.UUID, float]],
    at: datetime,
) -> None:
    """Keep that these contexts were recalled into the session (one already kept stays as it was)."""
    if not scored:
        return
    rows = [
        {
            "connection_id": connection_id,
            "context_id": context_id,
            "project_id": project_id,
            "recalled_at": at,
            "score": float(score),
        }
        for context_id, score in scored
    ]
    conn.execute(insert_ignoring(conn, recalled_contexts), rows)

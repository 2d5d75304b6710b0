"""SQL for a session's title given after it started (an agent session's first prompt).

Invariant: a title is set only where there is none — in the statement itself — so the first prompt
titles a session once and a title a person or agent gave is never replaced.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, update

from aidis.db.schema import sessions


def set_title_if_none(conn: Connection, session_id: uuid.UUID, title: str) -> bool:
    """Title a session that has none; True when it was titled now."""
    done = conn.execute(
        update(sessions).where(sessions.c.id == session_id, sessions.c.title.is_(None)).values(title=title)
    )
    return bool(done.rowcount)

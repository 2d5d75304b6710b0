"""SQL for agent hooks: the ledger of applied events and links between replaced connections."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from aidis.db.schema import connection_links, hook_events


def record_event(
    conn: Connection,
    *,
    event_id: str,
    agent: str,
    event_name: str,
    agent_session_id: str,
    received_at: datetime,
    now: datetime,
    user_id: uuid.UUID | None = None,
) -> None:
    """Claim an event id in the ledger (the primary key refuses a second application), as `user_id`'s."""
    conn.execute(
        insert(hook_events).values(
            user_id=user_id,
            event_id=event_id,
            agent=agent,
            event_name=event_name,
            agent_session_id=agent_session_id,
            received_at=received_at,
            applied_at=now,
            outcome="pending",
        )
    )


def finish_event(conn: Connection, event_id: str, *, session_id: uuid.UUID | None, outcome: str) -> None:
    """Note what applying the event did."""
    conn.execute(
        update(hook_events)
        .where(hook_events.c.event_id == event_id)
        .values(session_id=session_id, outcome=outcome[:200])
    )


def was_applied(conn: Connection, event_id: str) -> bool:
    """True when the ledger already holds this event id."""
    found = conn.execute(select(hook_events.c.event_id).where(hook_events.c.event_id == event_id)).first()
    return found is not None


def link(conn: Connection, connection_id: str, successor_id: str, *, now: datetime, reason: str) -> None:
    """Calls arriving on `connection_id` continue in `successor_id`'s session from now on."""
    existing = conn.execute(
        select(connection_links.c.connection_id).where(connection_links.c.connection_id == connection_id)
    ).first()
    values = {"successor_id": successor_id, "linked_at": now, "reason": reason}
    if existing is None:
        conn.execute(insert(connection_links).values(connection_id=connection_id, **values))
    else:
        conn.execute(
            update(connection_links).where(connection_links.c.connection_id == connection_id).values(**values)
        )


def successor(conn: Connection, connection_id: str) -> str | None:
    """The connection that replaced this one, following a chain of replacements (bounded)."""
    current, seen = connection_id, {connection_id}
    for _ in range(20):
        row = conn.execute(
            select(connection_links.c.successor_id).where(connection_links.c.connection_id == current)
        ).first()
        if row is None:
            break
        current = str(row.successor_id)
        if current in seen:
            break
        seen.add(current)
    return None if current == connection_id else current

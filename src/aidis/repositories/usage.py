"""SQL for tokens by session, hour and model (`session_usage`): add a transcript read's counts, and read
them back grouped for usage reports.

Invariant: counts only ever grow by what one transcript read added (an upsert that adds, in the
transaction that stores the read's new offset), so a response is counted once whichever event read it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from aidis.db.schema import projects, session_usage, sessions, users
from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_ID
from aidis.records import UsageRow

KINDS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens")
STORED = (*KINDS, "cache_write_1h_tokens")  # the 1-hour cache writes are a part of cache_write_tokens


@dataclass(frozen=True, slots=True)
class UsageFilter:
    """Which usage a report covers (None: no limit on that axis)."""

    since: datetime | None = None
    until: datetime | None = None
    project_ids: Sequence[uuid.UUID] | None = None  # already narrowed to what the request may read
    unassigned_owner: uuid.UUID | None = None  # in Unassigned, only this person's sessions
    agent: str | None = None
    model: str | None = None
    user_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    session_ids: Sequence[uuid.UUID] | None = None


def add(
    conn: Connection, session_id: uuid.UUID, counts: Iterable[tuple[datetime, str, dict[str, int]]]
) -> None:
    """Add (hour, model, counts by kind) to a session's usage rows, creating them as needed."""
    rows = [
        {
            "session_id": session_id,
            "hour": hour,
            "model": model[:200],
            **{k: int(c.get(k, 0)) for k in STORED},
        }
        for hour, model, c in counts
        if any(c.get(k, 0) for k in KINDS)
    ]
    if not rows:
        return
    maker: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = maker(session_usage)
    statement = statement.on_conflict_do_update(
        index_elements=["session_id", "hour", "model"],
        set_={k: getattr(session_usage.c, k) + getattr(statement.excluded, k) for k in STORED},
    )
    conn.execute(statement, rows)


def session_rows(conn: Connection, flt: UsageFilter) -> list[UsageRow]:
    """Usage per session, UTC day and model within `flt` (`hour`: the day's first hour used, which is
    what prices it), with its session's project, agent and person (reports without sessions read
    aidis.repositories.usage_rollups instead, faster)."""
    if conn.dialect.name == "postgresql":
        day: Any = func.date(func.timezone("UTC", session_usage.c.hour))
    else:
        day = func.substr(session_usage.c.hour, 1, 10)
    project_name = case(
        (sessions.c.project_id == SENTINEL_PROJECT_ID, literal(SENTINEL_DISPLAY_NAME)), else_=projects.c.name
    )
    keys = [
        session_usage.c.model,
        sessions.c.agent_type,
        project_name.label("project_name"),
        sessions.c.display_id,
        users.c.name.label("person"),
    ]
    query = (
        select(
            func.min(session_usage.c.hour).label("hour"),
            *keys,
            *(func.sum(getattr(session_usage.c, k)).label(k) for k in STORED),
        )
        .select_from(session_usage)
        .join(sessions, sessions.c.id == session_usage.c.session_id)
        .join(projects, projects.c.id == sessions.c.project_id)
        .group_by(day, sessions.c.id, *(k.element if hasattr(k, "element") else k for k in keys))
        .outerjoin(users, users.c.id == sessions.c.user_id)
    )
    if flt.since is not None:
        query = query.where(session_usage.c.hour >= flt.since)
    if flt.until is not None:
        query = query.where(session_usage.c.hour < flt.until)
    if flt.project_ids is not None:
        query = query.where(sessions.c.project_id.in_(list(flt.project_ids)))
    if flt.unassigned_owner is not None:
        query = query.where(
            (sessions.c.project_id != SENTINEL_PROJECT_ID) | (sessions.c.user_id == flt.unassigned_owner)
        )
    if flt.agent is not None:
        query = query.where(sessions.c.agent_type == flt.agent)
    if flt.model is not None:
        query = query.where(session_usage.c.model == flt.model)
    if flt.user_id is not None:
        query = query.where(sessions.c.user_id == flt.user_id)
    if flt.session_id is not None:
        query = query.where(sessions.c.id == flt.session_id)
    if flt.session_ids is not None:
        query = query.where(sessions.c.id.in_(list(flt.session_ids)))
    out = []
    for row in conn.execute(query):
        m = row._mapping
        out.append(
            UsageRow(
                hour=m["hour"],
                model=str(m["model"]),
                agent=str(m["agent_type"]),
                project_name=str(m["project_name"]),
                **{k: int(m[k] or 0) for k in STORED},
                display_id=str(m["display_id"]),
                person=str(m["person"]) if m["person"] else None,
            )
        )
    return out


def mismatches(conn: Connection) -> tuple[int, list[str]]:
    """Sessions whose tokens came from a transcript (metadata `tokens: exact`) and whose usage rows do
    not add up to their totals (input = input + cache writes + cache reads; output = output)."""
    exact = text(
        "sessions.metadata->>'tokens' = 'exact'"
        if conn.dialect.name == "postgresql"
        else "json_extract(sessions.metadata, '$.tokens') = 'exact'"
    )
    summed = (
        select(
            session_usage.c.session_id,
            func.sum(
                session_usage.c.input_tokens
                + session_usage.c.cache_write_tokens
                + session_usage.c.cache_read_tokens
            ).label("sent"),
            func.sum(session_usage.c.output_tokens).label("got"),
        )
        .group_by(session_usage.c.session_id)
        .subquery()
    )
    query = (
        select(sessions.c.id)
        .select_from(sessions.outerjoin(summed, summed.c.session_id == sessions.c.id))
        .where(
            exact,
            (func.coalesce(summed.c.sent, 0) != sessions.c.input_tokens)
            | (func.coalesce(summed.c.got, 0) != sessions.c.output_tokens),
        )
    )
    found = [str(v) for v in conn.execute(query.limit(1000)).scalars()]
    total = (
        len(found)
        if len(found) < 1000
        else int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    )
    return total, found[:5]

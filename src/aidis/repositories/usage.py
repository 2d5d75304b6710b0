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

from sqlalchemy import Connection, and_, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from aidis.db.schema import projects, session_usage, sessions, usage_rollups, users
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


ZERO = uuid.UUID(int=0)  # the rollups' owner of a session without one


def _from_rollups(conn: Connection, flt: UsageFilter) -> list[UsageRow]:
    """Usage summed per hour, model, agent and project from the rollups (no session row is read)."""
    r = usage_rollups
    keys = [r.c.hour, r.c.model, r.c.agent, r.c.project_id, projects.c.name.label("project_name")]
    query = (
        select(*keys, *(func.sum(getattr(r.c, k)).label(k) for k in STORED))
        .select_from(r.join(projects, projects.c.id == r.c.project_id))
        .group_by(r.c.hour, r.c.model, r.c.agent, r.c.project_id, projects.c.name)
        .order_by(r.c.hour)
    )
    if flt.since is not None:
        query = query.where(r.c.hour >= flt.since)
    if flt.until is not None:
        query = query.where(r.c.hour < flt.until)
    if flt.project_ids is not None:
        query = query.where(r.c.project_id.in_(list(flt.project_ids)))
    if flt.unassigned_owner is not None:
        query = query.where((r.c.project_id != SENTINEL_PROJECT_ID) | (r.c.owner == flt.unassigned_owner))
    if flt.agent is not None:
        query = query.where(r.c.agent == flt.agent)
    if flt.model is not None:
        query = query.where(r.c.model == flt.model)
    if flt.user_id is not None:
        query = query.where(r.c.owner == flt.user_id)
    out = []
    for row in conn.execute(query):
        m = row._mapping
        counts = {k: int(m[k] or 0) for k in STORED}
        if not any(counts.values()):
            continue  # a key whose sessions all moved away
        name = SENTINEL_DISPLAY_NAME if m["project_id"] == SENTINEL_PROJECT_ID else str(m["project_name"])
        out.append(
            UsageRow(
                hour=m["hour"],
                model=str(m["model"]),
                agent=str(m["agent"]),
                project_id=m["project_id"],
                project_name=name,
                input_tokens=counts["input_tokens"],
                output_tokens=counts["output_tokens"],
                cache_write_tokens=counts["cache_write_tokens"],
                cache_read_tokens=counts["cache_read_tokens"],
                cache_write_1h_tokens=counts["cache_write_1h_tokens"],
            )
        )
    return out


def rows(conn: Connection, flt: UsageFilter, *, by_session: bool) -> list[UsageRow]:
    """Usage summed per hour, model, agent and project (and session, person) within `flt` — from the
    rollups unless sessions are asked for."""
    if not by_session and flt.session_id is None:
        return _from_rollups(conn, flt)
    keys = [
        session_usage.c.hour,
        session_usage.c.model,
        sessions.c.agent_type,
        sessions.c.project_id,
        projects.c.name.label("project_name"),
    ]
    if by_session:
        keys += [sessions.c.id, sessions.c.display_id, users.c.name.label("person")]
    query = (
        select(*keys, *(func.sum(getattr(session_usage.c, k)).label(k) for k in STORED))
        .select_from(session_usage)
        .join(sessions, sessions.c.id == session_usage.c.session_id)
        .join(projects, projects.c.id == sessions.c.project_id)
        .group_by(*(k.element if hasattr(k, "element") else k for k in keys))
        .order_by(session_usage.c.hour)
    )
    if by_session:
        query = query.outerjoin(users, users.c.id == sessions.c.user_id)
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
    out = []
    for row in conn.execute(query):
        m = row._mapping
        name = SENTINEL_DISPLAY_NAME if m["project_id"] == SENTINEL_PROJECT_ID else str(m["project_name"])
        out.append(
            UsageRow(
                hour=m["hour"],
                model=str(m["model"]),
                agent=str(m["agent_type"]),
                project_id=m["project_id"],
                project_name=name,
                **{k: int(m[k] or 0) for k in STORED},
                session_id=m["id"] if by_session else None,
                display_id=str(m["display_id"]) if by_session else None,
                person=(str(m["person"]) if m["person"] else None) if by_session else None,
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


def _recount() -> Any:
    """The rollups as a recount of the usage rows and their sessions would have them."""
    owner = func.coalesce(sessions.c.user_id, literal(ZERO, type_=sessions.c.user_id.type))
    keys = (session_usage.c.hour, sessions.c.project_id, sessions.c.agent_type, session_usage.c.model, owner)
    return (
        select(
            session_usage.c.hour,
            sessions.c.project_id,
            sessions.c.agent_type.label("agent"),
            session_usage.c.model,
            owner.label("owner"),
            *(func.sum(getattr(session_usage.c, k)).label(k) for k in STORED),
        )
        .select_from(session_usage.join(sessions, sessions.c.id == session_usage.c.session_id))
        .group_by(*keys)
    )


def rollup_mismatches(conn: Connection) -> tuple[int, list[str]]:
    """Rollup keys (hour, project, agent, model, owner) whose sums disagree with a recount of the usage
    rows and their sessions (a key missing on either side counts, a key all of whose sums are 0 does not)."""
    recount = _recount().subquery()
    r = usage_rollups
    key = ("hour", "project_id", "agent", "model", "owner")
    match = and_(*(getattr(r.c, k) == getattr(recount.c, k) for k in key))
    differs = or_(*(getattr(r.c, k) != func.coalesce(getattr(recount.c, k), 0) for k in STORED))
    wrong = (
        select(r.c.hour, r.c.project_id, r.c.model).select_from(r.outerjoin(recount, match)).where(differs)
    )
    missing = select(func.count()).select_from(recount.outerjoin(r, match)).where(r.c.hour.is_(None))
    found = [f"{h:%Y-%m-%dT%H} {p} {m}" for h, p, m in conn.execute(wrong.limit(5))]
    total = int(conn.execute(select(func.count()).select_from(wrong.subquery())).scalar_one())
    return total + int(conn.execute(missing).scalar_one()), found


def rebuild_rollups(conn: Connection) -> int:
    """Recount the rollups from the usage rows (check --fix); returns how many keys there are now."""
    conn.execute(usage_rollups.delete())
    columns = ["hour", "project_id", "agent", "model", "owner", *STORED]
    conn.execute(usage_rollups.insert().from_select(columns, _recount()))
    return int(conn.execute(select(func.count()).select_from(usage_rollups)).scalar_one())

"""SQL for the usage rollups (tokens per UTC hour, project, agent, model and owner, kept by triggers:
migration 0016): sums per bucket of time grouped by the database, and the recount `aidis check` compares them with.

Invariant: the rollups are only read here and rebuilt from `session_usage` (never written otherwise:
the triggers keep them), so a report from them equals a recount of the usage rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, and_, func, literal, or_, select, union_all

from aidis.db.schema import projects, session_usage, sessions, usage_rollups
from aidis.db.types import UTCDateTime
from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_ID
from aidis.repositories.usage import STORED, UsageFilter

ZERO = uuid.UUID(int=0)  # the rollups' owner of a session without one


@dataclass(frozen=True, slots=True)
class Bucket:
    """A span of time a report groups by (a local day, or a whole range), as UTC bounds."""

    label: str
    start: datetime
    stop: datetime


@dataclass(frozen=True, slots=True)
class BucketSum:
    """Tokens of one model and agent (and project) in one bucket."""

    label: str
    model: str
    agent: str
    project_id: uuid.UUID | None
    project_name: str | None
    tokens: dict[str, int]


def _table(name: str, columns: list[tuple[str, Any]], data: list[tuple[Any, ...]]) -> Any:
    """A small table of literal rows, as a CTE both engines read (SQLite takes no VALUES column list)."""
    rows = [
        select(*(literal(v, type_=t).label(c) for v, (c, t) in zip(row, columns, strict=True)))
        for row in data
    ]
    return (rows[0] if len(rows) == 1 else union_all(*rows)).cte(name)


def hour_range(conn: Connection, flt: UsageFilter) -> tuple[datetime, datetime] | None:
    """The first and last hour the rollups hold within `flt`'s time bounds (None: nothing)."""
    r = usage_rollups
    query = select(func.min(r.c.hour), func.max(r.c.hour))
    if flt.since is not None:
        query = query.where(r.c.hour >= flt.since)
    if flt.until is not None:
        query = query.where(r.c.hour < flt.until)
    first, last = conn.execute(query).one()
    return (first, last) if first is not None and last is not None else None


def bucket_sums(
    conn: Connection, flt: UsageFilter, buckets: Sequence[Bucket], *, by_project: bool
) -> list[BucketSum]:
    """The rollups summed per bucket, model and agent (and project) — grouped by the database, so a
    year of days is a few thousand rows whatever the number of sessions (DST-correct: each bucket is
    a pair of UTC bounds)."""
    if not buckets:
        return []
    r = usage_rollups
    spans = _table(
        "spans",
        [("label", String()), ("start", UTCDateTime()), ("stop", UTCDateTime())],
        [(b.label, b.start, b.stop) for b in buckets],
    )
    keys: list[Any] = [spans.c.label, r.c.model, r.c.agent]
    if by_project:
        keys += [r.c.project_id, projects.c.name]
    joined = r.join(spans, and_(r.c.hour >= spans.c.start, r.c.hour < spans.c.stop))
    if by_project:
        joined = joined.join(projects, projects.c.id == r.c.project_id)
    query = (
        select(*keys, *(func.sum(getattr(r.c, k)).label(k) for k in STORED))
        .select_from(joined)
        .group_by(*keys)
    )
    query = rollup_filters(query, r, flt)
    out = []
    for row in conn.execute(query):
        m = row._mapping
        counts = {k: int(m[k] or 0) for k in STORED}
        if not any(counts.values()):
            continue
        project_id = m["project_id"] if by_project else None
        name = None
        if by_project:
            name = SENTINEL_DISPLAY_NAME if project_id == SENTINEL_PROJECT_ID else str(m["name"])
        out.append(BucketSum(str(m["label"]), str(m["model"]), str(m["agent"]), project_id, name, counts))
    return out


def rollup_filters(query: Any, table: Any, flt: UsageFilter) -> Any:
    """`flt`'s projects, Unassigned owner, agent, model and person on a table of sums keyed like the
    rollups (`usage_rollups`, `usage_days`: project_id, owner, agent, model)."""
    if flt.project_ids is not None:
        query = query.where(table.c.project_id.in_(list(flt.project_ids)))
    if flt.unassigned_owner is not None:
        query = query.where(
            (table.c.project_id != SENTINEL_PROJECT_ID) | (table.c.owner == flt.unassigned_owner)
        )
    if flt.agent is not None:
        query = query.where(table.c.agent == flt.agent)
    if flt.model is not None:
        query = query.where(table.c.model == flt.model)
    if flt.user_id is not None:
        query = query.where(table.c.owner == flt.user_id)
    return query


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

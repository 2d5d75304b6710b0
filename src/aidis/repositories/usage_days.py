"""SQL for the usage per local day (`usage_days`, migration 0017): the zones days are cut in, per-day
sums for reports, and the regrouping of the hourly rollups that `aidis check` compares them with.

Invariant: `usage_days` is written only by its trigger on `usage_rollups` and by a regrouping of
`usage_rollups` here (a zone added, `check --fix`), so a day's sums always equal its hours' sums — the
hour belonging to the local day its start falls on, by the zone's offset rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text

from aidis.db.schema import projects, usage_day_zones, usage_days
from aidis.enums import SENTINEL_DISPLAY_NAME, SENTINEL_PROJECT_ID
from aidis.repositories.usage import STORED, UsageFilter
from aidis.repositories.usage_rollups import BucketSum, rollup_filters

KEY = ("zone", "day", "agent", "model", "project_id", "owner")


# pg_advisory_xact_lock key ("AIDISDAY" as a 64-bit integer): one process at a time changes the zones
ZONES_LOCK_KEY = int.from_bytes(b"AIDISDAY", "big") - (1 << 63)


def lock_zones(conn: Connection) -> None:
    """Hold the right to change the kept zones until this transaction ends (replicas starting together
    would otherwise both add a zone); SQLite's write transaction already is that lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ZONES_LOCK_KEY})


def zones(conn: Connection) -> set[str]:
    """The zones whose days are kept."""
    return set(conn.execute(select(usage_day_zones.c.zone).distinct()).scalars())


def replace_zone(conn: Connection, zone: str, offsets: Sequence[tuple[datetime, int]]) -> int:
    """Keep days for `zone` with these offset rows (when each offset starts, in minutes east of UTC),
    its days regrouped from the hours; returns how many day rows it has."""
    drop_zone(conn, zone)
    conn.execute(
        insert(usage_day_zones),
        [{"zone": zone, "starts_at": at, "offset_minutes": minutes} for at, minutes in offsets],
    )
    conn.execute(text(_regroup(conn, insert_into=True, zone=True)), {"zone": zone})
    return int(
        conn.execute(
            select(func.count()).select_from(usage_days).where(usage_days.c.zone == zone)
        ).scalar_one()
    )


def drop_zone(conn: Connection, zone: str) -> None:
    """Stop keeping days for `zone`."""
    conn.execute(usage_days.delete().where(usage_days.c.zone == zone))
    conn.execute(usage_day_zones.delete().where(usage_day_zones.c.zone == zone))


def day_range(conn: Connection, flt: UsageFilter, zone: str) -> tuple[date, date] | None:
    """The first and last local day with usage in `zone` that `flt` may see (None: nothing)."""
    d = usage_days
    query = rollup_filters(select(func.min(d.c.day), func.max(d.c.day)).where(d.c.zone == zone), d, flt)
    first, last = conn.execute(query).one()
    return (first, last) if first is not None and last is not None else None


def day_sums(
    conn: Connection, flt: UsageFilter, zone: str, first: date, last: date, *, by_project: bool
) -> list[BucketSum]:
    """The days `first`..`last` of `zone` summed per day, model and agent (and project)."""
    d = usage_days
    keys: list[Any] = [d.c.day, d.c.agent, d.c.model]  # the key's order: summed without a sort
    source: Any = d
    if by_project:
        keys += [d.c.project_id, projects.c.name]
        source = d.join(projects, projects.c.id == d.c.project_id)
    query = (
        select(*keys, *(func.sum(getattr(d.c, k)).label(k) for k in STORED))
        .select_from(source)
        .where(d.c.zone == zone, d.c.day >= first, d.c.day <= last)
        .group_by(*keys)
    )
    out = []
    for row in conn.execute(rollup_filters(query, d, flt)):
        m = row._mapping
        counts = {k: int(m[k] or 0) for k in STORED}
        if not any(counts.values()):
            continue
        project_id = m["project_id"] if by_project else None
        name = None
        if by_project:
            name = SENTINEL_DISPLAY_NAME if project_id == SENTINEL_PROJECT_ID else str(m["name"])
        label = m["day"].isoformat()
        out.append(BucketSum(label, str(m["model"]), str(m["agent"]), project_id, name, counts))
    return out


def _regroup(conn: Connection, *, insert_into: bool = False, zone: bool = False) -> str:
    """The days as a regrouping of the hourly rollups would have them (of one `:zone`, or all kept)."""
    if conn.dialect.name == "postgresql":
        day = "((r.hour AT TIME ZONE 'UTC') + make_interval(mins => z.offset_minutes))::date"
    else:
        day = "date(r.hour, z.offset_minutes || ' minutes')"
    only = " WHERE zone = :zone" if zone else ""
    select_sql = (
        f"SELECT z.zone, {day} AS day, r.agent, r.model, r.project_id, r.owner, "
        + ", ".join(f"sum(r.{k}) AS {k}" for k in STORED)
        + f" FROM usage_rollups r JOIN (SELECT DISTINCT zone FROM usage_day_zones{only}) zs ON true "
        "JOIN usage_day_zones z ON z.zone = zs.zone AND z.starts_at = (SELECT max(z2.starts_at) "
        "FROM usage_day_zones z2 WHERE z2.zone = zs.zone AND z2.starts_at <= r.hour) "
        "GROUP BY z.zone, 2, r.agent, r.model, r.project_id, r.owner"
    )
    if not insert_into:
        return select_sql
    return f"INSERT INTO usage_days ({', '.join((*KEY, *STORED))}) {select_sql}"


def day_mismatches(conn: Connection) -> tuple[int, list[str]]:
    """Day keys whose sums disagree with a regrouping of the hours (missing on either side counts, a key
    all of whose sums are 0 does not)."""
    cols = ", ".join(KEY)
    nonzero = " OR ".join(f"{k} <> 0" for k in STORED)
    sums = ", ".join(STORED)
    sql = (
        f"SELECT {cols} FROM (SELECT {cols}, {sums} FROM usage_days WHERE {nonzero} "
        f"EXCEPT SELECT * FROM ({_regroup(conn)}) g) a "
        f"UNION ALL SELECT {cols} FROM (SELECT * FROM ({_regroup(conn)}) g2 WHERE {nonzero} "
        f"EXCEPT SELECT {cols}, {sums} FROM usage_days) b"
    )
    rows = list(conn.execute(text(sql)))
    found = [f"{r.zone} {r.day} {r.project_id} {r.model}" for r in rows[:5]]
    return len(rows), found


def rebuild_days(conn: Connection) -> int:
    """Regroup every kept zone's days from the hours (check --fix); returns how many day rows there are."""
    conn.execute(usage_days.delete())
    conn.execute(text(_regroup(conn, insert_into=True)))
    return int(conn.execute(select(func.count()).select_from(usage_days)).scalar_one())

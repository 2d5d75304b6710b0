"""SQL for integrity assertions: each returns how many rows break a rule and a few example ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)

from aidis.db.schema import (
    analytics_events,
    context_revisions,
    contexts,
    projects,
    sessions,
)
from aidis.enums import EventType
from aidis.repositories.importing import counter_expressions
from aidis.repositories.integrity_events import event_project_mismatch, events_possibly_misplaced

SAMPLE = 5


def prepare_scan(conn: Connection) -> None:
    """Give the check's read transaction room for its whole-table joins and groupings (PostgreSQL: at
    the default 4 MB of work memory a hash over millions of events spills to disk in batches)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL work_mem = '256MB'"))


def _run(conn: Connection, ids: Select[Any]) -> tuple[int, list[str]]:
    sub = ids.subquery()
    total = int(conn.execute(select(func.count()).select_from(sub)).scalar_one())
    sample = [str(v) for v in conn.execute(select(sub).limit(SAMPLE)).scalars()] if total else []
    return total, sample


def null_project(conn: Connection) -> tuple[int, list[str]]:
    """Sessions with a NULL project (the schema forbids it; this proves it)."""
    return _run(conn, select(sessions.c.id).where(sessions.c.project_id.is_(None)))


def dangling_project(conn: Connection) -> tuple[int, list[str]]:
    """Sessions, contexts or events pointing at a project that does not exist."""
    parts = []
    for table in (sessions, contexts, analytics_events):
        missing = ~exists().where(projects.c.id == table.c.project_id)
        parts.append(select(table.c.id).where(missing))
    total, sample = 0, []
    for part in parts:
        n, s = _run(conn, part)
        total += n
        sample += s
    return total, sample[:SAMPLE]


def idle_open(conn: Connection, cutoff: datetime) -> tuple[int, list[str]]:
    """Active sessions whose last activity is older than the idle timeout."""
    return _run(
        conn, select(sessions.c.id).where(sessions.c.status == "active", sessions.c.last_activity_at < cutoff)
    )


def in_the_future(conn: Connection, limit: datetime) -> tuple[int, list[str]]:
    """Sessions that started, were active or ended after `limit` (now plus a small clock skew)."""
    return _run(
        conn,
        select(sessions.c.id).where(
            or_(
                sessions.c.started_at > limit,
                sessions.c.last_activity_at > limit,
                sessions.c.ended_at > limit,
            )
        ),
    )


def badly_ended(conn: Connection) -> tuple[int, list[str]]:
    """Sessions whose status and ended_at/end_reason disagree (the schema forbids it)."""
    return _run(
        conn,
        select(sessions.c.id).where(
            or_(
                and_(
                    sessions.c.status != "active",
                    or_(sessions.c.ended_at.is_(None), sessions.c.end_reason.is_(None)),
                ),
                and_(sessions.c.status == "active", sessions.c.ended_at.is_not(None)),
            )
        ),
    )


@dataclass(frozen=True)
class SessionTallies:
    """What one pass over the events and contexts found: sessions whose counters disagree with their
    rows, closed sessions without a session_end event, and events outside their session's project
    at their time (each: how many, a few ids)."""

    counter_mismatch: tuple[int, list[str]]
    missing_end_event: tuple[int, list[str]]
    event_project_mismatch: tuple[int, list[str]]


def session_tallies(conn: Connection) -> SessionTallies:
    """Three assertions in one pass: the events grouped once per session and project (a grouped scan —
    parallel on PostgreSQL) and the live contexts once per session, joined to the sessions, instead of
    three correlated counts per session, an anti-join for the end events and a lookup of every event's
    project (at 1M sessions / 10M events those were most of `aidis check`).

    Events are checked against their session's project by group: a group is surely in place when its
    session never moved and it is in the session's project, or moved once and the group lies wholly on
    its side of that move. Sessions with any other group are checked event by event afterwards
    (`integrity_events`), which on a clean database is none."""
    e, c, s = analytics_events, contexts, sessions
    groups = (
        select(
            e.c.session_id,
            e.c.project_id,
            func.count().label("events"),
            func.count(e.c.tool_name).label("tools"),
            func.sum(case((e.c.event_type == EventType.SESSION_END.value, 1), else_=0)).label("ends"),
            func.min(e.c.occurred_at).label("first"),
            func.max(e.c.occurred_at).label("last"),
        )
        .where(e.c.session_id.is_not(None))
        .group_by(e.c.session_id, e.c.project_id)
        .cte("ev_groups")
    )
    per_session = (
        select(
            groups.c.session_id,
            func.sum(groups.c.events).label("events"),
            func.sum(groups.c.tools).label("tools"),
            func.sum(groups.c.ends).label("ends"),
        )
        .group_by(groups.c.session_id)
        .subquery("ev")
    )
    live = (
        select(c.c.session_id, func.count().label("n"))
        .where(c.c.deleted_at.is_(None), c.c.session_id.is_not(None))
        .group_by(c.c.session_id)
        .subquery("cx")
    )
    counters_wrong = or_(
        s.c.event_count != func.coalesce(per_session.c.events, 0),
        s.c.tool_call_count != func.coalesce(per_session.c.tools, 0),
        s.c.context_count != func.coalesce(live.c.n, 0),
    )
    no_end = and_(s.c.status != "active", func.coalesce(per_session.c.ends, 0) == 0)
    flags = (
        select(
            s.c.id,
            case((counters_wrong, 1), else_=0).label("counters"),
            case((no_end, 1), else_=0).label("no_end"),
            literal(0).label("misplaced"),
        )
        .outerjoin(per_session, per_session.c.session_id == s.c.id)
        .outerjoin(live, live.c.session_id == s.c.id)
        .where(or_(counters_wrong, no_end))
    )
    suspect = events_possibly_misplaced(groups)
    misplaced = select(suspect.c.session_id, literal(0), literal(0), literal(1)).select_from(suspect)
    found = conn.execute(union_all(flags, misplaced)).all()  # one statement: the groups are made once
    counters = [str(row.id) for row in found if row.counters]
    missing = [str(row.id) for row in found if row.no_end]
    suspects = [row.id for row in found if row.misplaced]
    return SessionTallies(
        (len(counters), counters[:SAMPLE]),
        (len(missing), missing[:SAMPLE]),
        event_project_mismatch(conn, suspects),
    )


def duplicate_open(conn: Connection) -> tuple[int, list[str]]:
    """Connections with more than one open session (the schema forbids it)."""
    return _run(
        conn,
        select(sessions.c.connection_id)
        .where(sessions.c.status == "active", sessions.c.connection_id.is_not(None))
        .group_by(sessions.c.connection_id)
        .having(func.count() > 1),
    )


def fix_counters(conn: Connection) -> int:
    """Recompute every session counter that disagrees with its rows; return how many sessions changed."""
    expected = counter_expressions()
    mismatch = or_(*(getattr(sessions.c, name) != expression for name, expression in expected.items()))
    return int(conn.execute(update(sessions).where(mismatch).values(**expected)).rowcount)


def purged_text_left(conn: Connection) -> tuple[int, list[str]]:
    """Purged contexts that still hold any text, tags or revision (a purge must leave only a tombstone)."""
    has_revision = exists().where(context_revisions.c.context_id == contexts.c.id)
    return _run(
        conn,
        select(contexts.c.id).where(
            contexts.c.purged_at.is_not(None),
            or_(contexts.c.content != "", contexts.c.topic_key.is_not(None), has_revision),
        ),
    )


def revision_gaps(conn: Connection) -> tuple[int, list[str]]:
    """Live or deleted (not purged) contexts at revision n that do not keep revisions 1..n-1."""
    kept = (
        select(func.count())
        .where(
            context_revisions.c.context_id == contexts.c.id,
            context_revisions.c.revision < contexts.c.revision,
        )
        .scalar_subquery()
    )
    return _run(
        conn,
        select(contexts.c.id).where(contexts.c.purged_at.is_(None), kept != contexts.c.revision - 1),
    )

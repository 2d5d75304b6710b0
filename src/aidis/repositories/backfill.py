"""Set-based SQL for the backfill: a constant number of statements, whatever the number of sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    String,
    and_,
    cast,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
    update,
)

from aidis.db.schema import contexts, projects, session_evidence, session_project_changes, sessions
from aidis.db.sqlfuncs import json_object
from aidis.db.types import UUIDType
from aidis.enums import SENTINEL_PROJECT_ID, Actor, ChangeReason
from aidis.repositories import sessions as sessions_repo


def winners(conn: Connection, min_share: float) -> Select[Any]:
    """Unassigned sessions whose project evidence points at one project with at least `min_share` of it.

    Evidence: the session's contexts stored in a real project (one each), and its events naming a
    legacy project — counted per session and project as they were written (`session_evidence`,
    migration 0013), so a run reads one row per session and project instead of every event.
    A winner must also hold a strict majority, so a tie never picks a project.
    """
    candidates = select(sessions.c.id).where(sessions.c.project_id == SENTINEL_PROJECT_ID).subquery("cand")
    # evidence keys are text (a malformed one matches nothing): SQLite's ids are text already, and stay
    # comparable through the primary key; PostgreSQL compares the id's text form
    project_text = projects.c.id if conn.dialect.name == "sqlite" else cast(projects.c.id, String)
    context_project = (
        contexts.c.project_id if conn.dialect.name == "sqlite" else cast(contexts.c.project_id, String)
    )
    evidence = union_all(
        select(
            contexts.c.session_id.label("session_id"),
            context_project.label("project_key"),
            literal(1).label("n"),
        )
        .join(candidates, candidates.c.id == contexts.c.session_id)
        .where(contexts.c.project_id != SENTINEL_PROJECT_ID),
        select(
            session_evidence.c.session_id.label("session_id"),
            session_evidence.c.project_key.label("project_key"),
            session_evidence.c.events.label("n"),
        ).join(candidates, candidates.c.id == session_evidence.c.session_id),
    ).subquery("ev")
    per = (
        select(evidence.c.session_id, projects.c.id.label("project_id"), func.sum(evidence.c.n).label("n"))
        .join(projects, project_text == evidence.c.project_key)
        .where(projects.c.id != SENTINEL_PROJECT_ID)
        .group_by(evidence.c.session_id, projects.c.id)
        .subquery("per")
    )
    ranked = select(
        per.c.session_id,
        per.c.project_id,
        per.c.n,
        func.sum(per.c.n).over(partition_by=per.c.session_id).label("total"),
        func.max(per.c.n).over(partition_by=per.c.session_id).label("top"),
    ).subquery("ranked")
    return select(ranked.c.session_id, ranked.c.project_id, ranked.c.n, ranked.c.total).where(
        ranked.c.n == ranked.c.top, ranked.c.n >= min_share * ranked.c.total, 2 * ranked.c.n > ranked.c.total
    )


def refresh_statistics(conn: Connection) -> None:
    """Re-sample the planner statistics of the tables a run rewrote (give this an AUTOCOMMIT connection).

    A backfill moves many sessions out of Unassigned at once: on PostgreSQL, plans made from the old
    statistics (nearly every session in one project) scan where they should seek, and each moved
    session left a dead row version that hides its index entries from index-only scans — every
    dashboard page and project filter pays until autovacuum catches up. So: VACUUM ANALYZE the
    rewritten tables, ANALYZE the events it appended to.

    SQLite gets no statistics, here or anywhere: its queries are written for the planner's built-in
    estimates, and sampled statistics (`ANALYZE`) made it choose worse plans — measured at 1M
    sessions, the unfiltered session list went from 32 ms to 2.5 s.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("VACUUM (ANALYZE) sessions, session_project_changes"))
        conn.execute(text("ANALYZE analytics_events"))


def tune_for_bulk(conn: Connection) -> None:
    """Give this transaction room for its large joins and aggregates (PostgreSQL; SQLite needs nothing)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL work_mem = '256MB'"))


def count_candidates(conn: Connection) -> int:
    """Sessions in Unassigned (the ones a backfill may assign)."""
    return int(
        conn.execute(
            select(func.count()).select_from(sessions).where(sessions.c.project_id == SENTINEL_PROJECT_ID)
        ).scalar_one()
    )


def record_plan(conn: Connection, *, min_share: float, run_id: str, now: datetime) -> int:
    """Write one backfill change per winning session (with its evidence); return how many."""
    plan = winners(conn, min_share).subquery("w")
    details = json_object(
        conn.dialect.name, evidence=plan.c.n, evidence_total=plan.c.total, min_share=literal(min_share)
    )
    source = select(
        plan.c.session_id,
        literal(SENTINEL_PROJECT_ID, UUIDType()),
        plan.c.project_id,
        literal(now, session_project_changes.c.changed_at.type),
        literal(ChangeReason.BACKFILL.value),
        literal(Actor.BACKFILL.value),
        literal(run_id),
        details,
    )
    return _insert_changes(conn, source) or _count_run(conn, run_id)


_CHANGE_COLUMNS = [
    "session_id",
    "from_project_id",
    "to_project_id",
    "changed_at",
    "reason",
    "actor",
    "run_id",
    "details",
]


def _insert_changes(conn: Connection, source: Select[Any]) -> int:
    """INSERT the rows of `source` (in `_CHANGE_COLUMNS` order) as changes; the driver's row count, or 0
    when it cannot tell (psycopg reports -1 for INSERT … SELECT)."""
    result = conn.execute(insert(session_project_changes).from_select(_CHANGE_COLUMNS, source))
    return max(int(result.rowcount or 0), 0)


def _count_run(conn: Connection, run_id: str) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(session_project_changes)
            .where(session_project_changes.c.run_id == run_id)
        ).scalar_one()
    )


def apply_run(conn: Connection, run_id: str, *, now: datetime) -> int:
    """Move every session named by `run_id`'s changes to its `to_project_id`, in one statement.

    A session is moved only while it still sits in the change's from-project (so nothing that was
    reassigned since is overwritten). The change row — reason, actor, run id and evidence — is the
    record of the move; no per-session event is written (at a million sessions that would double
    the work). Returns how many sessions moved.
    """
    c = session_project_changes
    moved = conn.execute(
        update(sessions)
        .where(
            c.c.run_id == run_id,
            c.c.session_id == sessions.c.id,
            sessions.c.project_id == c.c.from_project_id,
        )
        .values(project_id=c.c.to_project_id, last_activity_at=sessions_repo.moved_activity(now))
    ).rowcount
    return int(moved)


def plan_summary(conn: Connection, run_id: str) -> list[tuple[str, int]]:
    """(project name, sessions) for one run, largest first."""
    c = session_project_changes
    rows = conn.execute(
        select(projects.c.name, func.count())
        .select_from(c.join(projects, projects.c.id == c.c.to_project_id))
        .where(c.c.run_id == run_id)
        .group_by(projects.c.name)
        .order_by(func.count().desc(), projects.c.name)
    )
    return [(row[0], int(row[1])) for row in rows]


def record_revert(conn: Connection, *, run_id: str, revert_id: str, now: datetime) -> int:
    """Changes that undo `run_id` for sessions still where it put them; return how many."""
    c = session_project_changes.alias("orig")
    source = (
        select(
            c.c.session_id,
            c.c.to_project_id,
            c.c.from_project_id,
            literal(now, session_project_changes.c.changed_at.type),
            literal(ChangeReason.BACKFILL_REVERT.value),
            literal(Actor.BACKFILL.value),
            literal(revert_id),
            json_object(conn.dialect.name, reverts_run=literal(run_id)),
        )
        .join(sessions, and_(sessions.c.id == c.c.session_id, sessions.c.project_id == c.c.to_project_id))
        .where(c.c.run_id == run_id, c.c.reason == ChangeReason.BACKFILL.value)
    )
    _insert_changes(conn, source)
    return _count_run(conn, revert_id)


def run_exists(conn: Connection, run_id: str) -> bool:
    """True when some change carries `run_id`."""
    return _count_run(conn, run_id) > 0

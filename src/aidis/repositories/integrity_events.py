"""SQL for the assertion that every event lies in its session's project at the time of the event.

Invariant: the answer is exact — each event is judged by its session's change history — while the
work is bounded by what is out of place: a grouped pass (`events_possibly_misplaced`, part of the
session tallies) clears every session whose events are in place as whole groups, and only the
sessions it cannot clear have their events looked at one by one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, not_, or_, select

from aidis.db.schema import analytics_events, session_project_changes, sessions
from aidis.enums import ChangeReason

SAMPLE = 5
BATCH = 500  # sessions per event-by-event statement
MOST_BATCHES = 40  # past this many sessions to look at, one statement over every event is cheaper


def _with_history(query: Select[Any], session_id: Any) -> tuple[Select[Any], Any, Any]:
    """`query` joined to the session of `session_id`, its move count (merges aside) and, for a session
    moved once, that move; returns the query, the history and the move."""
    spc = session_project_changes
    history = (
        select(spc.c.session_id, func.count().label("moves"), func.max(spc.c.id).label("last_id"))
        .where(spc.c.reason != ChangeReason.MERGE.value)
        .group_by(spc.c.session_id)
        .subquery("history")
    )
    only = spc.alias("only_change")
    joined = (
        query.join(sessions, sessions.c.id == session_id)
        .outerjoin(history, history.c.session_id == session_id)
        .outerjoin(only, and_(history.c.moves == 1, only.c.id == history.c.last_id))
    )
    return joined, history, only


def events_possibly_misplaced(groups: Any) -> Any:
    """The sessions with a group of events (`groups`: session_id, project_id, first, last) not surely
    in place: outside the project of a session that never moved, on the wrong side of a session's
    only move, or in a session moved twice or more."""
    query, history, only = _with_history(select(groups.c.session_id), groups.c.session_id)
    in_place_around_the_move = or_(
        and_(groups.c.project_id == only.c.to_project_id, groups.c.first >= only.c.changed_at),
        and_(groups.c.project_id == only.c.from_project_id, groups.c.last <= only.c.changed_at),
    )
    return (
        query.where(
            or_(
                and_(history.c.moves.is_(None), groups.c.project_id != sessions.c.project_id),
                and_(history.c.moves == 1, not_(in_place_around_the_move)),
                history.c.moves > 1,
            )
        )
        .group_by(groups.c.session_id)
        .subquery("misplaced")
    )


def _misplaced_events() -> Select[Any]:
    """Events whose project is not their session's project at the time of the event.

    The session's project at time t comes from its change history: the target of the last change
    at or before t, else the origin of the first change, else its current project. A change and an
    event in the same instant may be in either order, so both readings are accepted.
    """
    spc = session_project_changes
    e = analytics_events

    def last_before(strict: bool) -> Any:
        when = spc.c.changed_at < e.c.occurred_at if strict else spc.c.changed_at <= e.c.occurred_at
        return (
            select(spc.c.to_project_id)
            .where(spc.c.session_id == e.c.session_id, when, spc.c.reason != ChangeReason.MERGE.value)
            .order_by(spc.c.changed_at.desc(), spc.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    first_origin = (
        select(spc.c.from_project_id)
        .where(spc.c.session_id == e.c.session_id, spc.c.reason != ChangeReason.MERGE.value)
        .order_by(spc.c.changed_at, spc.c.id)
        .limit(1)
        .scalar_subquery()
    )
    # Sessions with no change or exactly one: their project at any instant is known from one row, so
    # only sessions moved twice or more pay for the correlated lookups.
    query, history, only = _with_history(select(e.c.id), e.c.session_id)

    def one_move(strict: bool) -> Any:
        after = e.c.occurred_at > only.c.changed_at if strict else e.c.occurred_at >= only.c.changed_at
        return case((after, only.c.to_project_id), else_=only.c.from_project_id)

    inclusive = func.coalesce(last_before(False), first_origin, sessions.c.project_id)
    strict = func.coalesce(last_before(True), first_origin, sessions.c.project_id)
    return query.where(
        or_(
            and_(history.c.moves.is_(None), e.c.project_id != sessions.c.project_id),
            and_(history.c.moves == 1, e.c.project_id != one_move(False), e.c.project_id != one_move(True)),
            and_(history.c.moves > 1, e.c.project_id != inclusive, e.c.project_id != strict),
        )
    )


def event_project_mismatch(
    conn: Connection, suspects: Sequence[uuid.UUID] | None = None
) -> tuple[int, list[str]]:
    """How many events lie outside their session's project at their time, and a few of their ids:
    among the events of `suspects` (the sessions the grouped pass could not clear), or of every
    session (None)."""
    query = _misplaced_events()
    if suspects is not None and len(suspects) <= BATCH * MOST_BATCHES:
        total, sample = 0, list[str]()
        for start in range(0, len(suspects), BATCH):
            batch = list(suspects[start : start + BATCH])
            ids = [
                str(v) for v in conn.execute(query.where(analytics_events.c.session_id.in_(batch))).scalars()
            ]
            total += len(ids)
            sample += ids[: SAMPLE - len(sample)]
        return total, sample
    sub = query.subquery()
    total = int(conn.execute(select(func.count()).select_from(sub)).scalar_one())
    sample = [str(v) for v in conn.execute(select(sub).limit(SAMPLE)).scalars()] if total else []
    return total, sample

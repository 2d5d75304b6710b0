"""SQL for ranking sessions by what their usage weighs (`usage_weights`, `usage_session_ranks`,
migration 0018): the rates the ranking uses, the recount `aidis check` compares with, and the walk that
finds the costliest sessions of a range.

Invariant: a session's rank is written only by the triggers on `session_usage` and by the recount here
(new rates, `check --fix`), so it is always its usage rows at the stored rates; the walk only chooses
candidates, which the caller prices exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import Connection, func, insert, literal, or_, select

from aidis.db.schema import session_usage, sessions, usage_rollups, usage_session_ranks, usage_weights
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.repositories.usage import UsageFilter

RATES = ("input", "output", "cache_write", "cache_read")
TOKENS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens")
FALLBACK = "*"  # the rates of a model first seen after the weights were written
TOLERANCE = 1e-6  # weights are floating sums: a recount may differ in the last digits

Weights = Mapping[str, tuple[float, float, float, float]]


def models_used(conn: Connection) -> list[tuple[str, str]]:
    """Each (agent, model) with usage."""
    r = usage_rollups
    return [
        (str(a), str(m)) for a, m in conn.execute(select(r.c.agent, r.c.model).group_by(r.c.agent, r.c.model))
    ]


def stored_weights(conn: Connection) -> dict[str, tuple[float, float, float, float]]:
    """The rates the ranks are weighed with, by model."""
    w = usage_weights
    return {
        str(row.model): (float(row.input), float(row.output), float(row.cache_write), float(row.cache_read))
        for row in conn.execute(select(w))
    }


def replace_weights(conn: Connection, weights: Weights) -> None:
    """Weigh new usage with these rates from now on (the ranks already kept are recounted apart, in
    batches: `rerank_batch`)."""
    conn.execute(usage_weights.delete())
    if weights:
        conn.execute(
            insert(usage_weights),
            [dict(zip(("model", *RATES), (model, *rates), strict=True)) for model, rates in weights.items()],
        )


def rerank_batch(conn: Connection, after: uuid.UUID | None, limit: int) -> uuid.UUID | None:
    """Recount the ranks of the next `limit` sessions by id after `after`; returns the last id done
    (None: no more)."""
    r = usage_session_ranks
    query = select(r.c.session_id).order_by(r.c.session_id).limit(limit)
    if after is not None:
        query = query.where(r.c.session_id > after)
    ids = list(conn.execute(query).scalars())
    if not ids:
        return None
    conn.execute(r.delete().where(r.c.session_id.in_(ids)))
    conn.execute(
        r.insert().from_select(
            ["session_id", "first_hour", "last_hour", "weight", "tokens"],
            _recount().where(session_usage.c.session_id.in_(ids)),  # type: ignore[attr-defined]
        )
    )
    last: uuid.UUID = ids[-1]
    return last


def _recount() -> object:
    """Each session's weight, first and last hour, as its usage rows at the stored rates give them."""
    u = session_usage
    own = usage_weights.alias("own")
    fallback = usage_weights.alias("fallback")

    def at(w: object) -> object:
        return sum(
            (getattr(u.c, t) * getattr(w.c, r) for t, r in zip(TOKENS, RATES, strict=True)),  # type: ignore[attr-defined]
            literal(0.0),
        )

    weight = func.sum(func.coalesce(at(own), at(fallback), literal(0.0))) / 1_000_000.0
    tokens = func.sum(sum((getattr(u.c, t) for t in TOKENS), literal(0)))
    return (
        select(
            u.c.session_id,
            func.min(u.c.hour).label("first_hour"),
            func.max(u.c.hour).label("last_hour"),
            weight.label("weight"),
            tokens.label("tokens"),
        )
        .select_from(
            u.outerjoin(own, own.c.model == u.c.model).outerjoin(fallback, fallback.c.model == FALLBACK)
        )
        .group_by(u.c.session_id)
    )


def rerank(conn: Connection) -> int:
    """Recount every session's rank from its usage rows; returns how many sessions are ranked."""
    conn.execute(usage_session_ranks.delete())
    conn.execute(
        usage_session_ranks.insert().from_select(
            ["session_id", "first_hour", "last_hour", "weight", "tokens"],
            _recount(),  # type: ignore[arg-type]
        )
    )
    return int(conn.execute(select(func.count()).select_from(usage_session_ranks)).scalar_one())


def rank_mismatches(conn: Connection) -> tuple[int, list[str]]:
    """Sessions whose rank disagrees with a recount of their usage (a missing rank counts)."""
    recount = _recount().subquery()  # type: ignore[attr-defined]
    r = usage_session_ranks
    differs = or_(
        r.c.session_id.is_(None),
        func.abs(r.c.weight - recount.c.weight) > TOLERANCE * (1 + func.abs(recount.c.weight)),
        r.c.first_hour > recount.c.first_hour,
        r.c.last_hour < recount.c.last_hour,
        r.c.tokens != recount.c.tokens,
    )
    query = (
        select(recount.c.session_id)
        .select_from(recount.outerjoin(r, r.c.session_id == recount.c.session_id))
        .where(differs)
    )
    found = [str(v) for v in conn.execute(query.limit(5)).scalars()]
    total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    return total, found


def costliest(conn: Connection, flt: UsageFilter, limit: int) -> list[uuid.UUID]:
    """The sessions with usage in `flt`'s hours that weigh most (narrowed to what the request may see),
    found by walking the weight index from the top."""
    r = usage_session_ranks
    query = select(r.c.session_id)
    if flt.since is not None:
        query = query.where(r.c.last_hour >= flt.since)
    if flt.until is not None:
        query = query.where(r.c.first_hour < flt.until)
    if flt.project_ids is not None or flt.unassigned_owner is not None:
        query = query.join(sessions, sessions.c.id == r.c.session_id)
        if flt.project_ids is not None:
            query = query.where(sessions.c.project_id.in_(list(flt.project_ids)))
        if flt.unassigned_owner is not None:
            query = query.where(
                (sessions.c.project_id != SENTINEL_PROJECT_ID) | (sessions.c.user_id == flt.unassigned_owner)
            )
    query = query.order_by(r.c.weight.desc(), r.c.tokens.desc()).limit(limit)
    return list(conn.execute(query).scalars())

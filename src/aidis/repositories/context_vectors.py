"""SQL for context embeddings: write them, read what is new, find contexts still without one.

Invariant: a context has at most one vector, made by the model its row names, from the text whose
hash it records; writing a vector replaces the old one with a new row (a new, larger id), so a
reader that remembers the largest id it has seen learns of every new or replaced vector by reading
past it. A vector is written only while its context still holds the text it was made from.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select

from aidis.db.schema import context_vectors, contexts
from aidis.db.sqlfuncs import insert_ignoring

EMBED_SOURCE_CHARS = 8_000  # what a vector is made from: the start of the text


@dataclass(frozen=True, slots=True)
class TextToEmbed:
    """A context's text as the embedder reads it."""

    id: uuid.UUID
    project_id: uuid.UUID
    text: str
    content_hash: str | None


@dataclass(frozen=True, slots=True)
class StoredVector:
    """One vector row as the index loads it."""

    seq: int
    context_id: uuid.UUID
    project_id: uuid.UUID
    vector: bytes


def _texts_query() -> Any:
    return select(
        contexts.c.id,
        contexts.c.project_id,
        func.substr(contexts.c.content, 1, EMBED_SOURCE_CHARS).label("text"),
        contexts.c.content_hash,
    ).where(contexts.c.purged_at.is_(None), contexts.c.content != "")


def _texts(rows: Any) -> list[TextToEmbed]:
    return [TextToEmbed(r.id, r.project_id, r.text, r.content_hash) for r in rows]


def texts(conn: Connection, ids: Sequence[uuid.UUID], model: str) -> list[TextToEmbed]:
    """The texts of `ids` that have no vector of `model` yet (purged and empty ones never need one)."""
    if not ids:
        return []
    has_vector = (
        select(context_vectors.c.id)
        .where(context_vectors.c.context_id == contexts.c.id, context_vectors.c.model == model)
        .exists()
    )
    query = _texts_query().where(contexts.c.id.in_(list(ids)), ~has_vector)
    return _texts(conn.execute(query))


def missing(conn: Connection, model: str, *, limit: int, after: uuid.UUID | None = None) -> list[TextToEmbed]:
    """Contexts without a vector of `model`, by id from `after` on (a sweep walks them in batches)."""
    query = (
        _texts_query()
        .outerjoin(
            context_vectors,
            and_(context_vectors.c.context_id == contexts.c.id, context_vectors.c.model == model),
        )
        .where(context_vectors.c.id.is_(None))
        .order_by(contexts.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(contexts.c.id > after)
    return _texts(conn.execute(query))


def count_missing(conn: Connection, model: str) -> int:
    """How many contexts (with text) have no vector of `model`."""
    query = (
        select(func.count())
        .select_from(contexts)
        .outerjoin(
            context_vectors,
            and_(context_vectors.c.context_id == contexts.c.id, context_vectors.c.model == model),
        )
        .where(context_vectors.c.id.is_(None), contexts.c.purged_at.is_(None), contexts.c.content != "")
    )
    return int(conn.execute(query).scalar_one())


def count_embedded(conn: Connection, model: str) -> int:
    """How many vectors of `model` exist."""
    query = select(func.count()).select_from(context_vectors).where(context_vectors.c.model == model)
    return int(conn.execute(query).scalar_one())


def count_newer(conn: Connection, model: str, *, after_seq: int) -> int:
    """How many vectors of `model` have an id above `after_seq` (what an index has yet to read)."""
    query = (
        select(func.count())
        .select_from(context_vectors)
        .where(context_vectors.c.model == model, context_vectors.c.id > after_seq)
    )
    return int(conn.execute(query).scalar_one())


def write(
    conn: Connection,
    made: Sequence[tuple[TextToEmbed, bytes]],
    *,
    model: str,
    dim: int,
    now: datetime,
) -> int:
    """Replace the vectors of these contexts with new ones, skipping any whose text changed since it
    was read (its hash differs: the newer text gets its own vector); returns how many were written."""
    if not made:
        return 0
    ids = [item.id for item, _ in made]
    current = {
        row.id: row.content_hash
        for row in conn.execute(
            select(contexts.c.id, contexts.c.content_hash).where(
                contexts.c.id.in_(ids), contexts.c.purged_at.is_(None)
            )
        )
    }
    kept = [
        (item, blob) for item, blob in made if item.id in current and current[item.id] == item.content_hash
    ]
    if not kept:
        return 0
    conn.execute(delete(context_vectors).where(context_vectors.c.context_id.in_([i.id for i, _ in kept])))
    conn.execute(
        insert_ignoring(conn, context_vectors),
        [
            {
                "context_id": item.id,
                "project_id": item.project_id,
                "model": model,
                "dim": dim,
                "vector": blob,
                "content_hash": item.content_hash,
                "embedded_at": now,
            }
            for item, blob in kept
        ],
    )
    return len(kept)


def read_new(
    conn: Connection, model: str, *, after_seq: int, also: Sequence[int] = (), limit: int | None = None
) -> list[StoredVector]:
    """Vectors of `model` with an id above `after_seq`, or one of the ids in `also` (ids a reader
    skipped: a transaction that drew a smaller id may commit after one that drew a larger), in id
    order; at most `limit` of them (a page: the next starts past the last id)."""
    newer = context_vectors.c.id > after_seq
    where = or_(newer, context_vectors.c.id.in_(list(also))) if also else newer
    query = (
        select(
            context_vectors.c.id,
            context_vectors.c.context_id,
            context_vectors.c.project_id,
            context_vectors.c.vector,
        )
        .where(context_vectors.c.model == model, where)
        .order_by(context_vectors.c.id)
        .limit(limit)
    )
    return [StoredVector(int(r.id), r.context_id, r.project_id, bytes(r.vector)) for r in conn.execute(query)]


def models_in_use(conn: Connection) -> dict[str, int]:
    """How many vectors each model has made."""
    query = select(context_vectors.c.model, func.count()).group_by(context_vectors.c.model)
    return {str(model): int(count) for model, count in conn.execute(query)}


def forget_model(conn: Connection, model: str) -> int:
    """Drop every vector of a model no longer used; returns how many."""
    return int(conn.execute(delete(context_vectors).where(context_vectors.c.model == model)).rowcount)

"""SQL for contexts: insert, read by id, revise, soft-delete, restore and purge.

Invariant: a context's text only ever changes here, and every change of text first copies the
previous version into `context_revisions` in the same transaction; a purge removes the text of the
context and of all its revisions, leaving a tombstone row (ids, times, no text) behind. Every write
of a text writes its folded `search_text` with it (what both engines' keyword indexes see) and drops
the text's embedding, so no vector of an old text outlives it (the embedder makes a new one).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Select,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)

from aidis.db.schema import context_revisions, context_vectors, contexts, projects, sessions
from aidis.db.sqlfuncs import json_array_contains
from aidis.enums import SENTINEL_PROJECT_ID
from aidis.records import Context, ContextRevision
from aidis.search_syntax import search_text


def _to_context(row: Row[Any], rank: float | None = None) -> Context:
    return Context(
        id=row.id,
        project_id=row.project_id,
        project_name=row.project_name,
        session_id=row.session_id,
        context_type=row.context_type,
        content=row.content,
        tags=list(row.tags or []),
        created_at=row.created_at,
        metadata=dict(row.metadata or {}),
        rank=rank,
        topic_key=row.topic_key,
        revision=row.revision,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        purged_at=row.purged_at,
        seen_count=row.seen_count,
        last_seen_at=row.last_seen_at,
        content_hash=row.content_hash,
    )


def insert_context(
    conn: Connection,
    *,
    context_id: uuid.UUID,
    project_id: uuid.UUID,
    session_id: uuid.UUID | None,
    context_type: str,
    content: str,
    tags: Sequence[str],
    now: datetime,
    metadata: dict[str, Any],
    content_hash: str | None = None,
    topic_key: str | None = None,
) -> None:
    """Insert one context (the search index is kept up to date by the database)."""
    conn.execute(
        _INSERT,
        {
            "id": context_id,
            "project_id": project_id,
            "session_id": session_id,
            "context_type": context_type,
            "content": content,
            "tags": list(tags),
            "created_at": now,
            "metadata": metadata,
            "content_hash": content_hash,
            "topic_key": topic_key,
            "last_seen_at": now,
        },
    )


_INSERT = insert(contexts)


@dataclass(frozen=True, slots=True)
class ContextFilter:
    """Which contexts a listing or search may return."""

    project_ids: Sequence[uuid.UUID] | None = None  # None: every project (asked for explicitly)
    types: Sequence[str] = ()
    tags: Sequence[str] = ()
    session_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    deleted: bool | None = False  # True: soft-deleted (not purged) only; False: live only; None: any
    ids: Sequence[uuid.UUID] | None = None
    unassigned_owner: uuid.UUID | None = None  # in Unassigned, only this person's sessions' contexts


_READ_COLUMNS = [c for c in contexts.c if c.name != "search_text"]  # the folded copy is for the index only


def forget_vector(conn: Connection, context_id: uuid.UUID) -> None:
    """Drop a context's embedding (its text changed or is gone)."""
    conn.execute(delete(context_vectors).where(context_vectors.c.context_id == context_id))


def base_query() -> Select[Any]:
    """Contexts with their project's name."""
    return select(*_READ_COLUMNS, projects.c.name.label("project_name")).join(
        projects, projects.c.id == contexts.c.project_id
    )


_BY_ID = base_query().where(contexts.c.id == bindparam("context_id", type_=contexts.c.id.type))


def filtered(query: Select[Any], conn: Connection, flt: ContextFilter) -> Select[Any]:
    if flt.project_ids is not None:
        query = query.where(contexts.c.project_id.in_(list(flt.project_ids)))
    if flt.types:
        query = query.where(contexts.c.context_type.in_(list(flt.types)))
    if flt.session_id is not None:
        query = query.where(contexts.c.session_id == flt.session_id)
    for tag in flt.tags:
        query = query.where(json_array_contains(conn.dialect.name, contexts.c.tags, tag))
    if flt.since is not None:
        query = query.where(contexts.c.created_at >= flt.since)
    if flt.until is not None:
        query = query.where(contexts.c.created_at < flt.until)
    if flt.ids is not None:
        query = query.where(contexts.c.id.in_(list(flt.ids)))
    if flt.unassigned_owner is not None:
        own = select(sessions.c.id).where(sessions.c.user_id == flt.unassigned_owner)
        query = query.where(or_(contexts.c.project_id != SENTINEL_PROJECT_ID, contexts.c.session_id.in_(own)))
    if flt.deleted is None:
        return query
    if flt.deleted:
        return query.where(contexts.c.deleted_at.is_not(None), contexts.c.purged_at.is_(None))
    return query.where(contexts.c.deleted_at.is_(None))


def get_context(conn: Connection, context_id: uuid.UUID) -> Context | None:
    """One context by id."""
    row = conn.execute(_BY_ID, {"context_id": context_id}).first()
    return _to_context(row) if row else None


def recent_full(conn: Connection, flt: ContextFilter, *, limit: int) -> list[Context]:
    """Newest contexts first, with their whole text (for summaries and start-up context). The `limit`-th
    newest time is found first, through the (project, created_at) index, so only the contexts at least
    that new are sorted (ties broken by id): sorting a project's every row took 80 ms at 100,000."""
    edge = conn.execute(
        filtered(select(contexts.c.created_at), conn, flt)
        .order_by(contexts.c.created_at.desc())
        .limit(1)
        .offset(max(limit - 1, 0))
    ).scalar()
    query = filtered(base_query(), conn, flt)
    if edge is not None:
        query = query.where(contexts.c.created_at >= edge)
    query = query.order_by(contexts.c.created_at.desc(), contexts.c.id)
    return [_to_context(row) for row in conn.execute(query.limit(limit))]


def ids_matching(conn: Connection, flt: ContextFilter) -> list[uuid.UUID]:
    """Ids of every context a filter matches, oldest first."""
    query = filtered(select(contexts.c.id), conn, flt).order_by(contexts.c.created_at)
    return list(conn.execute(query).scalars())


def adjust_context_count(conn: Connection, session_id: uuid.UUID, delta: int) -> None:
    """Move a session's live-context counter when one of its contexts is deleted or restored."""
    conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id)
        .values(context_count=sessions.c.context_count + delta)
    )


def get_many(conn: Connection, context_ids: Sequence[uuid.UUID]) -> list[Context]:
    """Contexts by id, in the order asked (unknown ids are left out)."""
    rows = conn.execute(base_query().where(contexts.c.id.in_(list(context_ids))))
    found = {row.id: _to_context(row) for row in rows}
    return [found[i] for i in context_ids if i in found]


def with_id_prefix(conn: Connection, prefix: str, *, limit: int) -> list[Context]:
    """Contexts (deleted ones too) whose id in its usual text form starts with `prefix` (lower-case hex
    and dashes only: no LIKE wildcard can be in it), oldest first, at most `limit`."""
    as_text: Any = (
        type_coerce(contexts.c.id, String) if conn.dialect.name == "sqlite" else cast(contexts.c.id, String)
    )
    query = base_query().where(as_text.like(f"{prefix}%")).order_by(contexts.c.created_at).limit(limit)
    return [_to_context(row) for row in conn.execute(query)]


def lock_context(conn: Connection, context_id: uuid.UUID) -> Context | None:
    """One context by id, locked for change until the transaction ends (PostgreSQL; SQLite locks on write)."""
    query = base_query().where(contexts.c.id == context_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=contexts)
    row = conn.execute(query).first()
    return _to_context(row) if row else None


def find_by_key(conn: Connection, project_id: uuid.UUID, topic_key: str) -> Context | None:
    """The live context holding `topic_key` in a project, locked for change."""
    query = base_query().where(
        contexts.c.project_id == project_id,
        contexts.c.topic_key == topic_key,
        contexts.c.deleted_at.is_(None),
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=contexts)
    row = conn.execute(query).first()
    return _to_context(row) if row else None


_DUPLICATE = (
    base_query()
    .where(
        contexts.c.project_id == bindparam("project_id", type_=contexts.c.project_id.type),
        contexts.c.content_hash == bindparam("content_hash"),
        contexts.c.context_type == bindparam("context_type"),
        contexts.c.deleted_at.is_(None),
        func.coalesce(contexts.c.last_seen_at, contexts.c.created_at)
        >= bindparam("since", type_=contexts.c.created_at.type),
    )
    .limit(20)  # no ORDER BY: the (project, hash) index answers it (an ORDER BY makes SQLite walk created_at)
)


def find_duplicate(
    conn: Connection, *, project_id: uuid.UUID, context_type: str, content_hash: str, since: datetime
) -> Context | None:
    """A live context of the project with the same normalized content and type, seen since `since`
    (the newest, if an older copy predates duplicate suppression)."""
    params = {
        "project_id": project_id,
        "content_hash": content_hash,
        "context_type": context_type,
        "since": since,
    }
    rows = conn.execute(_DUPLICATE, params).all()
    return _to_context(max(rows, key=lambda r: r.created_at)) if rows else None


def mark_seen(conn: Connection, context_id: uuid.UUID, *, now: datetime) -> None:
    """Count one more sighting of a context (a duplicate store)."""
    conn.execute(
        update(contexts)
        .where(contexts.c.id == context_id)
        .values(seen_count=contexts.c.seen_count + 1, last_seen_at=now)
    )


def revise(
    conn: Connection,
    current: Context,
    *,
    context_type: str,
    content: str,
    tags: Sequence[str],
    content_hash: str,
    metadata: dict[str, Any],
    now: datetime,
) -> None:
    """Keep `current` as a revision row, then write the new text as the next revision."""
    conn.execute(
        insert(context_revisions).values(
            context_id=current.id,
            revision=current.revision,
            context_type=current.context_type,
            content=current.content,
            tags=list(current.tags),
            written_at=current.updated_at or current.created_at,
            replaced_at=now,
        )
    )
    conn.execute(
        update(contexts)
        .where(contexts.c.id == current.id)
        .values(
            context_type=context_type,
            content=content,
            search_text=search_text(content),
            tags=list(tags),
            content_hash=content_hash,
            metadata=metadata,
            revision=current.revision + 1,
            updated_at=now,
            last_seen_at=now,
        )
    )
    forget_vector(conn, current.id)


def replace_summary_text(conn: Connection, context_id: uuid.UUID, text: str, text_hash: str) -> None:
    """Rewrite a session summary's context in place (a summary is regenerated, not revised)."""
    conn.execute(
        update(contexts)
        .where(contexts.c.id == context_id)
        .values(content=text, search_text=search_text(text), content_hash=text_hash)
    )
    forget_vector(conn, context_id)


def set_deleted(conn: Connection, context_id: uuid.UUID, deleted_at: datetime | None) -> None:
    """Soft-delete (a time) or restore (None) a context."""
    conn.execute(update(contexts).where(contexts.c.id == context_id).values(deleted_at=deleted_at))


def purge(conn: Connection, context_id: uuid.UUID, *, now: datetime) -> int:
    """Remove a context's text, tags, key and every revision for good; return the revisions removed."""
    removed = conn.execute(delete(context_revisions).where(context_revisions.c.context_id == context_id))
    conn.execute(
        update(contexts)
        .where(contexts.c.id == context_id)
        .values(
            content="",
            search_text="",
            tags=[],
            topic_key=None,
            content_hash=None,
            deleted_at=func.coalesce(contexts.c.deleted_at, now),
            purged_at=now,
        )
    )
    forget_vector(conn, context_id)
    return int(removed.rowcount)


def revisions(conn: Connection, context_id: uuid.UUID) -> list[ContextRevision]:
    """Earlier versions of a context, newest first."""
    rows = conn.execute(
        select(context_revisions)
        .where(context_revisions.c.context_id == context_id)
        .order_by(context_revisions.c.revision.desc())
    )
    return [
        ContextRevision(
            context_id=row.context_id,
            revision=row.revision,
            context_type=row.context_type,
            content=row.content,
            tags=list(row.tags or []),
            written_at=row.written_at,
            replaced_at=row.replaced_at,
        )
        for row in rows
    ]

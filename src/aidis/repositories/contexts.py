"""SQL for contexts and their full-text search (SQLite FTS5 / PostgreSQL tsvector + GIN)."""

from __future__ import annotations

import re
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
    Text,
    column,
    func,
    insert,
    literal_column,
    select,
    table,
)
from sqlalchemy.sql.elements import ColumnClause

from aidis.db.schema import contexts, projects
from aidis.db.sqlfuncs import json_array_contains
from aidis.records import Context

_WORD = re.compile(r"\w+", re.UNICODE)
# The SQLite FTS5 table made by the migration (not part of schema.py: it does not exist on PostgreSQL).
_FTS = table("contexts_fts", column("context_id", String()), column("content", Text()))


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
) -> None:
    """Insert one context (the search index is kept up to date by the database)."""
    conn.execute(
        insert(contexts).values(
            id=context_id,
            project_id=project_id,
            session_id=session_id,
            context_type=context_type,
            content=content,
            tags=list(tags),
            created_at=now,
            metadata=metadata,
        )
    )


@dataclass(frozen=True, slots=True)
class ContextFilter:
    """Which contexts a listing or search may return."""

    project_ids: Sequence[uuid.UUID] | None = None  # None: every project (asked for explicitly)
    types: Sequence[str] = ()
    tags: Sequence[str] = ()
    session_id: uuid.UUID | None = None


def _base() -> Select[Any]:
    return select(*contexts.c, projects.c.name.label("project_name")).join(
        projects, projects.c.id == contexts.c.project_id
    )


def _filtered(query: Select[Any], conn: Connection, flt: ContextFilter) -> Select[Any]:
    if flt.project_ids is not None:
        query = query.where(contexts.c.project_id.in_(list(flt.project_ids)))
    if flt.types:
        query = query.where(contexts.c.context_type.in_(list(flt.types)))
    if flt.session_id is not None:
        query = query.where(contexts.c.session_id == flt.session_id)
    for tag in flt.tags:
        query = query.where(json_array_contains(conn.dialect.name, contexts.c.tags, tag))
    return query


def get_context(conn: Connection, context_id: uuid.UUID) -> Context | None:
    """One context by id."""
    row = conn.execute(_base().where(contexts.c.id == context_id)).first()
    return _to_context(row) if row else None


def recent(conn: Connection, flt: ContextFilter, *, limit: int, offset: int = 0) -> list[Context]:
    """Newest contexts first."""
    query = _filtered(_base(), conn, flt).order_by(contexts.c.created_at.desc(), contexts.c.id)
    return [_to_context(row) for row in conn.execute(query.limit(limit).offset(offset))]


def search_terms(query: str) -> list[str]:
    """The words of a free-text query (punctuation and operators are dropped)."""
    return _WORD.findall(query)


def search(conn: Connection, query: str, flt: ContextFilter, *, limit: int, offset: int = 0) -> list[Context]:
    """Full-text search, best match first. Every word must match (AND)."""
    terms = search_terms(query)
    if not terms:
        return []
    if conn.dialect.name == "postgresql":
        tsquery = func.plainto_tsquery("english", " ".join(terms))
        rank = func.ts_rank_cd(literal_column("contexts.search_vector"), tsquery).label("rank")
        stmt = (
            _filtered(_base().add_columns(rank), conn, flt)
            .where(literal_column("contexts.search_vector").op("@@")(tsquery))
            .order_by(rank.desc(), contexts.c.created_at.desc())
        )
        rows = conn.execute(stmt.limit(limit).offset(offset))
        return [_to_context(row, float(row.rank)) for row in rows]
    match = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
    fts_table: ColumnClause[Any] = literal_column("contexts_fts")
    fts = (
        select(_FTS.c.context_id, func.bm25(fts_table).label("score"))
        .where(fts_table.op("MATCH")(match))
        .subquery("fts")
    )
    stmt = (
        _filtered(_base().add_columns(fts.c.score), conn, flt)
        .join(fts, fts.c.context_id == contexts.c.id)
        .order_by(fts.c.score, contexts.c.created_at.desc())
    )
    rows = conn.execute(stmt.limit(limit).offset(offset))
    # bm25 is lower-is-better and negative; report a positive rank where higher is better.
    return [_to_context(row, -float(row.score)) for row in rows]


def count_for_session(conn: Connection, session_id: uuid.UUID) -> int:
    """How many contexts a session stored."""
    return int(
        conn.execute(
            select(func.count()).select_from(contexts).where(contexts.c.session_id == session_id)
        ).scalar_one()
    )

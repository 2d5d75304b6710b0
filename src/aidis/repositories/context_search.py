"""SQL for reading contexts compactly: ranked full-text search, newest first, and a session timeline.

Invariant: a listing never carries whole texts — only a bounded head (for the title and preview),
the text's length and, for a search, a snippet made by the engine around the match — and both
engines answer the same parsed query (`aidis.search_syntax`) over the content alone, with stemming
(SQLite FTS5 `porter`, PostgreSQL `english`), so the same words find the same contexts anywhere.
Snippets are made for the page only, never for every match, and ranking work is bounded: a query
matching more than RANK_CAP contexts ranks the newest RANK_CAP of them (ordinary queries match far
fewer and are ranked in full).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Select,
    String,
    Text,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.sql.elements import ColumnElement

from aidis.db.schema import contexts, projects, sessions
from aidis.records import Context, ContextHit, redaction_counts
from aidis.repositories.contexts import ContextFilter, filtered
from aidis.search_syntax import SearchQuery

HEAD_CHARS = 400  # enough of the text for a title and a preview
START, STOP = "\x02", "\x03"  # around each matched word of a snippet; surfaces render them
SNIPPET_WORDS = 24
# A query matching more contexts than this ranks only the newest RANK_CAP of them, so its cost is
# bounded by the cap and the page, not by how many contexts contain an everyday word.
RANK_CAP = 1000
# The SQLite FTS5 table made by the migrations (not in schema.py: PostgreSQL has none).
_FTS = table("contexts_fts", column("context_id", String()), column("content", Text()))
_FTS_REF: Any = literal_column("contexts_fts")
_VECTOR: Any = literal_column("contexts.search_vector")


def _compact() -> Select[Any]:
    return (
        select(
            contexts.c.id,
            contexts.c.project_id,
            projects.c.name.label("project_name"),
            contexts.c.session_id,
            sessions.c.display_id.label("session_display_id"),
            contexts.c.context_type,
            func.substr(contexts.c.content, 1, HEAD_CHARS).label("head"),
            func.length(contexts.c.content).label("chars"),
            contexts.c.tags,
            contexts.c.created_at,
            contexts.c.revision,
            contexts.c.seen_count,
            contexts.c.topic_key,
            contexts.c.deleted_at,
            contexts.c.metadata,
        )
        .join(projects, projects.c.id == contexts.c.project_id)
        .outerjoin(sessions, sessions.c.id == contexts.c.session_id)
    )


def title_of(head: str, limit: int = 80) -> str:
    """The first non-empty line of a text, bounded to `limit` characters."""
    for line in head.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return ""


def preview_of(head: str, limit: int = 160) -> str:
    """The start of a text on one line, bounded to `limit` characters."""
    flat = " ".join(head.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _hit(row: Row[Any], *, score: float | None = None, snippet: str | None = None) -> ContextHit:
    return ContextHit(
        id=row.id,
        project_id=row.project_id,
        project_name=row.project_name,
        session_id=row.session_id,
        session_display_id=row.session_display_id,
        context_type=row.context_type,
        title=title_of(row.head),
        snippet=snippet if snippet else preview_of(row.head),
        tags=list(row.tags or []),
        created_at=row.created_at,
        chars=int(row.chars),
        revision=row.revision,
        seen_count=row.seen_count,
        topic_key=row.topic_key,
        score=score,
        deleted=row.deleted_at is not None,
        redactions=redaction_counts(row.metadata),
    )


def recent(conn: Connection, flt: ContextFilter, *, limit: int, offset: int = 0) -> list[ContextHit]:
    """Newest contexts first, compact."""
    query = filtered(_compact(), conn, flt).order_by(contexts.c.created_at.desc(), contexts.c.id)
    return [_hit(row) for row in conn.execute(query.limit(limit).offset(offset))]


def _fts5_match(parsed: SearchQuery) -> str:
    """The FTS5 MATCH expression: quoted words, quoted phrases and `"word"*` prefixes, ANDed."""
    parts = [f'"{w}"' for w in parsed.words]
    parts += ['"' + " ".join(p) + '"' for p in parsed.phrases]
    parts += [f'"{w}"*' for w in parsed.prefixes]
    return " AND ".join(parts)


def _tsquery(parsed: SearchQuery) -> ColumnElement[Any]:
    """The PostgreSQL tsquery: plain words, phrases and prefixes combined with `&&`."""
    parts: list[ColumnElement[Any]] = []
    if parsed.words:
        parts.append(func.plainto_tsquery("english", " ".join(parsed.words)))
    parts += [func.phraseto_tsquery("english", " ".join(p)) for p in parsed.phrases]
    parts += [func.to_tsquery("english", w + ":*") for w in parsed.prefixes]
    query = parts[0]
    for part in parts[1:]:
        query = query.op("&&")(part)
    return query


def search(
    conn: Connection, parsed: SearchQuery, flt: ContextFilter, *, limit: int, offset: int = 0
) -> list[ContextHit]:
    """Full-text search, best match first (BM25 on SQLite, ts_rank_cd on PostgreSQL), compact."""
    if parsed.is_empty:
        return []
    if conn.dialect.name == "postgresql":
        return _search_postgresql(conn, parsed, flt, limit=limit, offset=offset)
    return _search_sqlite(conn, parsed, flt, limit=limit, offset=offset)


def _search_postgresql(
    conn: Connection, parsed: SearchQuery, flt: ContextFilter, *, limit: int, offset: int
) -> list[ContextHit]:
    tsquery = _tsquery(parsed)
    # Bounded ranking: the RANK_CAP newest matches (walking the (project, created_at) index for an
    # everyday word, the GIN index for a rare one) carry their vectors out; only they are ranked.
    candidates = (
        filtered(_compact().add_columns(_VECTOR.label("vector")), conn, flt)
        .where(_VECTOR.op("@@")(tsquery))
        .order_by(contexts.c.created_at.desc())
        .limit(RANK_CAP)
        .subquery("candidates")
    )
    rank = func.ts_rank_cd(candidates.c.vector, tsquery).label("score")
    kept = [c for c in candidates.c if c.name != "vector"]
    page = (
        select(*kept, rank)
        .order_by(rank.desc(), candidates.c.created_at.desc(), candidates.c.id)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    options = f"StartSel={START}, StopSel={STOP}, MaxWords={SNIPPET_WORDS}, MinWords=8, MaxFragments=1"
    text_of = select(contexts.c.content).where(contexts.c.id == page.c.id).scalar_subquery()
    headline = func.ts_headline("english", text_of, tsquery, options)
    rows = conn.execute(select(page, headline.label("snippet")).order_by(page.c.score.desc()))
    return [_hit(row, score=float(row.score), snippet=" ".join(row.snippet.split())) for row in rows]


def _search_sqlite(
    conn: Connection, parsed: SearchQuery, flt: ContextFilter, *, limit: int, offset: int
) -> list[ContextHit]:
    match = _fts5_match(parsed)
    fts_rowid: Any = literal_column("contexts_fts.rowid")
    # Bounded ranking: walk the matches newest first (FTS5 iterates its rowids backwards), keep the
    # first RANK_CAP that pass the filters, and rank only matches from the oldest of those on.
    newest = (
        filtered(select(fts_rowid.label("r")).select_from(_FTS), conn, flt)
        .join(contexts, contexts.c.id == _FTS.c.context_id)
        .where(_FTS_REF.op("MATCH")(match))
        .order_by(fts_rowid.desc())
        .limit(RANK_CAP)
        .subquery("newest")
    )
    oldest_kept = conn.execute(select(func.min(newest.c.r))).scalar()
    if oldest_kept is None:
        return []
    fts = (
        select(_FTS.c.context_id, fts_rowid.label("fts_rowid"), func.bm25(_FTS_REF).label("score"))
        .where(_FTS_REF.op("MATCH")(match), fts_rowid >= oldest_kept)
        .subquery("fts")
    )
    ranked = (  # the page's ids and scores first (FTS drives the join), compact columns for the page only
        filtered(
            select(contexts.c.id, fts.c.fts_rowid, fts.c.score)
            .select_from(fts)
            .join(contexts, contexts.c.id == fts.c.context_id),
            conn,
            flt,
        )
        .order_by(fts.c.score, contexts.c.created_at.desc(), contexts.c.id)
        .limit(limit)
        .offset(offset)
    )
    found = conn.execute(ranked).all()
    if not found:
        return []
    scores = {row.id: float(row.score) for row in found}
    rows = {row.id: row for row in conn.execute(_compact().where(contexts.c.id.in_(list(scores))))}
    snippets = _sqlite_snippets(conn, match, [row.fts_rowid for row in found])
    # bm25 is lower-is-better and negative; report a positive score where higher is better.
    return [
        _hit(rows[i], score=-score, snippet=snippets.get(str(i))) for i, score in scores.items() if i in rows
    ]


def _sqlite_snippets(conn: Connection, match: str, rowids: Sequence[int]) -> dict[str, str]:
    """Snippets for the page's contexts only, found by their index rowids (FTS5 `snippet()` needs its
    own MATCH query; a rowid lookup does not walk the other matches)."""
    if not rowids:
        return {}
    snippet = func.snippet(_FTS_REF, 1, START, STOP, "…", SNIPPET_WORDS)
    rows = conn.execute(
        select(_FTS.c.context_id, snippet.label("snippet")).where(
            _FTS_REF.op("MATCH")(match),
            literal_column("contexts_fts.rowid").in_(bindparam("rowids", list(rowids), expanding=True)),
        )
    )
    return {str(row.context_id): " ".join(str(row.snippet).split()) for row in rows}


def timeline(
    conn: Connection, anchor: Context, *, before: int, after: int
) -> tuple[list[ContextHit], list[ContextHit]]:
    """Live contexts stored just before and just after `anchor` in its session (or its project when it
    has none), nearest first before and oldest first after."""
    same = (
        contexts.c.session_id == anchor.session_id
        if anchor.session_id is not None
        else and_(contexts.c.project_id == anchor.project_id, contexts.c.session_id.is_(None))
    )
    base = _compact().where(same, contexts.c.deleted_at.is_(None), contexts.c.id != anchor.id)
    earlier = or_(
        contexts.c.created_at < anchor.created_at,
        and_(contexts.c.created_at == anchor.created_at, contexts.c.id < anchor.id),
    )
    later = or_(
        contexts.c.created_at > anchor.created_at,
        and_(contexts.c.created_at == anchor.created_at, contexts.c.id > anchor.id),
    )
    prior = conn.execute(
        base.where(earlier).order_by(contexts.c.created_at.desc(), contexts.c.id.desc()).limit(before)
    )
    following = conn.execute(base.where(later).order_by(contexts.c.created_at, contexts.c.id).limit(after))
    return [_hit(row) for row in prior], [_hit(row) for row in following]

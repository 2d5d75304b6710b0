"""SQL for reading contexts compactly: ranked keyword matches, newest first, pages, and a timeline.

Invariant: a listing never carries whole texts — only a bounded head (for the title and preview),
the text's length and, for a page of search hits, the start of each text to cut a snippet from —
and both engines answer the same parsed query (`aidis.search_syntax`) over the same folded text
(`contexts.search_text`), with stemming (SQLite FTS5 `porter`, PostgreSQL `english`), so the same
words find the same contexts anywhere. Ranking work is bounded: a query matching more than RANK_CAP
contexts ranks the newest RANK_CAP of them (ordinary queries match far fewer and are ranked in full).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Row,
    Select,
    String,
    Text,
    and_,
    case,
    column,
    func,
    literal,
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
SNIPPET_SOURCE_CHARS = 20_000  # a snippet is cut from the start of a text (a match further in: the preview)
# A query matching more contexts than this ranks only the newest RANK_CAP of them, so its cost is
# bounded by the cap and the page, not by how many contexts contain an everyday word.
RANK_CAP = 1000
# A search scoped to at most this many projects names their keys to FTS5 (more: filtered after).
MAX_KEYED_PROJECTS = 50
# The SQLite FTS5 table made by the migrations (not in schema.py: PostgreSQL has none).
_FTS = table("contexts_fts", column("context_id", String()), column("search_text", Text()))
_FTS_PROJECTS = table("contexts_fts_projects", column("project_key", String()), column("rows", Integer()))
_FTS_REF: Any = literal_column("contexts_fts")
# Column weights for bm25: context_id (not indexed), search_text, project_key (a filter, not a score).
BM25_WEIGHTS = (0.0, 1.0, 0.0)
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


def _hit(
    row: Row[Any], *, score: float | None = None, snippet: str | None = None, matched: str | None = None
) -> ContextHit:
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
        matched=matched,
    )


def recent(conn: Connection, flt: ContextFilter, *, limit: int, offset: int = 0) -> list[ContextHit]:
    """Newest contexts first, compact."""
    query = filtered(_compact(), conn, flt).order_by(contexts.c.created_at.desc(), contexts.c.id)
    return [_hit(row) for row in conn.execute(query.limit(limit).offset(offset))]


def _fts5_match(parsed: SearchQuery, keyed: Sequence[uuid.UUID] = (), *, any_part: bool = False) -> str:
    """The FTS5 MATCH expression over the text: quoted words, quoted phrases and `"word"*` prefixes,
    ANDed (ORed when `any_part`); with `keyed` projects, also one of their keys (migration 0012), so
    FTS5 walks only their rows."""
    parts = [f'"{w}"' for w in parsed.words]
    parts += ['"' + " ".join(p) + '"' for p in parsed.phrases]
    parts += [f'"{w}"*' for w in parsed.prefixes]
    match = "search_text : (" + (" OR " if any_part else " AND ").join(parts) + ")"
    if not keyed:
        return match
    keys = " OR ".join(f'"p{project.hex}"' for project in sorted(keyed))
    return f"{match} AND project_key : ({keys})"


def _keyed_projects(conn: Connection, flt: ContextFilter) -> Sequence[uuid.UUID]:
    """The projects a search should name to FTS5: those it is scoped to, when they hold at most half
    of the indexed rows (intersecting a key that covers most rows costs more than filtering after);
    none otherwise. The counts choose a plan only: results are the same either way."""
    projects = flt.project_ids
    if projects is None or not 0 < len(projects) <= MAX_KEYED_PROJECTS:
        return ()
    keys = [f"p{project.hex}" for project in projects]
    scoped, total = conn.execute(
        select(
            func.coalesce(func.sum(case((_FTS_PROJECTS.c.project_key.in_(keys), _FTS_PROJECTS.c.rows))), 0),
            func.coalesce(func.sum(_FTS_PROJECTS.c.rows), 0),
        )
    ).one()
    return list(projects) if 2 * int(scoped) <= int(total) else ()


def _tsquery(parsed: SearchQuery, *, any_part: bool = False) -> ColumnElement[Any]:
    """The PostgreSQL tsquery: words, phrases and prefixes combined with `&&` (`||` when `any_part`)."""
    parts: list[ColumnElement[Any]] = [func.plainto_tsquery("english", w) for w in parsed.words]
    parts += [func.phraseto_tsquery("english", " ".join(p)) for p in parsed.phrases]
    parts += [func.to_tsquery("english", w + ":*") for w in parsed.prefixes]
    query = parts[0]
    for part in parts[1:]:
        query = query.op("||" if any_part else "&&")(part)
    return query


@dataclass(frozen=True, slots=True)
class Ranked:
    """A keyword match: its id, the engine's score (higher is better), and whether the text holds one
    of the query's identifiers exactly as typed."""

    id: uuid.UUID
    score: float
    exact: bool


def _exact(conn: Connection, parsed: SearchQuery, content: Any) -> ColumnElement[Any]:
    """1 when the text holds one of the query's identifiers as typed (ASCII case aside), else 0."""
    if not parsed.exact:
        return literal(0)
    position = func.strpos if conn.dialect.name == "postgresql" else func.instr
    found = or_(*(position(func.lower(content), needle) > 0 for needle in parsed.exact))
    return case((found, 1), else_=0)


def keyword_ranked(
    conn: Connection, parsed: SearchQuery, flt: ContextFilter, *, limit: int, any_part: bool = False
) -> list[Ranked]:
    """Keyword matches, best first: texts holding a query identifier exactly, then by the engine's score
    (BM25 on SQLite, ts_rank_cd on PostgreSQL), newest on ties; at most `limit`. Every word must
    match, or — `any_part`, for fusing with meaning — at least one (more matched words rank higher)."""
    if parsed.is_empty or limit <= 0:
        return []
    if conn.dialect.name == "postgresql":
        tsquery = _tsquery(parsed, any_part=any_part)
        # Bounded ranking: the RANK_CAP newest matches (walking the (project, created_at) index for an
        # everyday word, the GIN index for a rare one); only they are ranked.
        candidates = (
            filtered(
                select(
                    contexts.c.id,
                    contexts.c.created_at,
                    func.ts_rank_cd(_VECTOR, tsquery).label("score"),
                    _exact(conn, parsed, contexts.c.content).label("exact"),
                ),
                conn,
                flt,
            )
            .where(_VECTOR.op("@@")(tsquery))
            .order_by(contexts.c.created_at.desc())
            .limit(RANK_CAP)
            .subquery("candidates")
        )
        ranked = select(candidates).order_by(
            candidates.c.exact.desc(),
            candidates.c.score.desc(),
            candidates.c.created_at.desc(),
            candidates.c.id,
        )
        rows = conn.execute(ranked.limit(limit)).all()
        return [Ranked(row.id, float(row.score), bool(row.exact)) for row in rows]
    return _sqlite_ranked(conn, parsed, flt, limit=limit, any_part=any_part)


def _sqlite_ranked(
    conn: Connection, parsed: SearchQuery, flt: ContextFilter, *, limit: int, any_part: bool
) -> list[Ranked]:
    match = _fts5_match(parsed, _keyed_projects(conn, flt), any_part=any_part)
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
        select(_FTS.c.context_id, func.bm25(_FTS_REF, *BM25_WEIGHTS).label("score"))
        .where(_FTS_REF.op("MATCH")(match), fts_rowid >= oldest_kept)
        .subquery("fts")
    )
    exact = _exact(conn, parsed, contexts.c.content).label("exact")
    ranked = filtered(  # FTS drives the join; bm25 is lower-is-better and negative
        select(contexts.c.id, fts.c.score, exact)
        .select_from(fts)
        .join(contexts, contexts.c.id == fts.c.context_id),
        conn,
        flt,
    ).order_by(exact.desc(), fts.c.score, contexts.c.created_at.desc(), contexts.c.id)
    rows = conn.execute(ranked.limit(limit)).all()
    return [Ranked(row.id, -float(row.score), bool(row.exact)) for row in rows]


def keep_matching(conn: Connection, ids: Sequence[uuid.UUID], flt: ContextFilter) -> set[uuid.UUID]:
    """Which of `ids` pass the filter (for candidates found outside SQL, by vector). The ids are looked
    up first (a materialized list), so the filter is checked on those rows only, never by walking the
    project's index."""
    if not ids:
        return set()
    wanted = (
        select(contexts.c.id).where(contexts.c.id.in_(list(ids))).cte("wanted").prefix_with("MATERIALIZED")
    )
    query = filtered(
        select(contexts.c.id).select_from(wanted).join(contexts, contexts.c.id == wanted.c.id), conn, flt
    )
    return set(conn.execute(query).scalars())


def page_rows(conn: Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    """The compact columns of a page's contexts, with the start of each text to cut a snippet from."""
    if not ids:
        return {}
    source = func.substr(contexts.c.content, 1, SNIPPET_SOURCE_CHARS).label("source")
    query = _compact().add_columns(source).where(contexts.c.id.in_(list(ids)))
    return {row.id: row for row in conn.execute(query)}


def full_texts(conn: Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Whole texts of a few contexts (a snippet whose match lies past SNIPPET_SOURCE_CHARS)."""
    if not ids:
        return {}
    query = select(contexts.c.id, contexts.c.content).where(contexts.c.id.in_(list(ids)))
    return {row.id: row.content for row in conn.execute(query)}


def hit_of(row: Row[Any], *, score: float | None, snippet: str | None, matched: str | None) -> ContextHit:
    """A compact hit from a `page_rows` row."""
    return _hit(row, score=score, snippet=snippet, matched=matched)


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

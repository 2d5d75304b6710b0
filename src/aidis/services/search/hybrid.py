"""Ranking a query by words and by meaning, fused, with exact identifiers first.

Invariants: a search always answers from what it could use and says so — `mode_used` names the
ranking that produced the list, and `notice` says why it is not the one asked for (a model that is
off, missing or broken): keyword results are never passed off as hybrid ones. Texts holding one of
the query's identifiers exactly as typed come first whatever the mode; the rest are ordered by
reciprocal rank fusion (each list contributes 1 / (RRF_K + rank)). Vector candidates are proposed by
the process's index and kept only if the caller's own filter (project, type, tags, session, time,
deleted) passes them in SQL; every list is bounded (at most RANK_CAP entries).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection

from aidis.enums import SearchMode
from aidis.repositories import context_search as search_repo
from aidis.repositories.contexts import ContextFilter
from aidis.search_syntax import SearchQuery
from aidis.services.search.embedder import Embedder, SemanticUnavailable

log = logging.getLogger("aidis.search")

RRF_K = 60
FUSION_DEPTH = 100  # each list's depth when fusing (at least the page asked for)
SETTLE_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ranked context id with its score and why it matched."""

    id: uuid.UUID
    score: float
    matched: str  # exact, keyword, semantic or keyword+semantic


@dataclass(frozen=True, slots=True)
class Ranking:
    """Contexts best first, the ranking used and, when it is not the one asked for, why."""

    candidates: list[Candidate]
    mode_used: SearchMode
    notice: str | None = None


class HybridRanker:
    """Ranks with the keyword index, the embedder's vectors, or both."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._reported: set[str] = set()

    def settle(self, mode: SearchMode) -> None:
        """Before a search opens its read (a SQLite read sees the database as of its first statement):
        wait briefly for what this process just stored to be embedded, so it is found by meaning too."""
        if mode is not SearchMode.KEYWORD:
            self.embedder.settle(SETTLE_SECONDS)

    def rank(
        self,
        conn: Connection,
        parsed: SearchQuery,
        text: str,
        flt: ContextFilter,
        *,
        mode: SearchMode,
        want: int,
    ) -> Ranking:
        """Up to `want` contexts for the query, best first."""
        depth = min(search_repo.RANK_CAP, max(want, FUSION_DEPTH))
        keyword = search_repo.keyword_ranked(
            conn, parsed, flt, limit=want if mode is SearchMode.KEYWORD else depth
        )
        if mode is SearchMode.KEYWORD:
            return Ranking([_keyword_candidate(r) for r in keyword], SearchMode.KEYWORD)
        try:
            semantic = self._semantic(conn, text, flt, depth)
        except SemanticUnavailable as exc:
            notice = f"{exc.message}; keyword results only"
            if exc.message not in self._reported:  # logged once per reason, named in every answer
                self._reported.add(exc.message)
                log.warning("semantic search unavailable: %s", exc.message)
            strict = search_repo.keyword_ranked(conn, parsed, flt, limit=want)
            return Ranking([_keyword_candidate(r) for r in strict], SearchMode.KEYWORD, notice)
        exact = [_keyword_candidate(r) for r in keyword if r.exact]
        taken = {c.id for c in exact}
        if mode is SearchMode.SEMANTIC:
            rest = [Candidate(i, s, "semantic") for i, s in semantic if i not in taken]
            return Ranking(
                (exact + rest)[:want], SearchMode.SEMANTIC, self._words_only([r.id for r in keyword])
            )
        fused: dict[uuid.UUID, float] = {}
        sources: dict[uuid.UUID, set[str]] = {}
        for ranked_ids, source in (
            ([r.id for r in keyword], "keyword"),
            ([i for i, _ in semantic], "semantic"),
        ):
            for rank, context_id in enumerate(ranked_ids, start=1):
                if context_id in taken:
                    continue
                fused[context_id] = fused.get(context_id, 0.0) + 1.0 / (RRF_K + rank)
                sources.setdefault(context_id, set()).add(source)
        order = sorted(fused, key=lambda i: -fused[i])
        rest = [Candidate(i, fused[i], "+".join(sorted(sources[i]))) for i in order]
        return Ranking((exact + rest)[:want], SearchMode.HYBRID, self._words_only([r.id for r in keyword]))

    def relevant(
        self,
        conn: Connection,
        parsed: SearchQuery,
        text: str,
        flt: ContextFilter,
        *,
        floor: float | None,
        want: int,
    ) -> Ranking:
        """Contexts that clear an absolute relevance floor, best first (for recall, where "nothing" is a
        good answer): texts holding one of the query's identifiers exactly (score 1), then neighbours by
        meaning whose cosine similarity is at least `floor` (None: the model's own recall floor).
        Without the model only the exact texts qualify (a word in common is not relevance), and
        `notice` says so."""
        keyword = (
            search_repo.keyword_ranked(conn, parsed, flt, limit=max(want, 20), any_part=True)
            if parsed.exact
            else []
        )
        exact = [Candidate(r.id, 1.0, "exact") for r in keyword if r.exact]
        taken = {c.id for c in exact}
        try:
            semantic = self._semantic(conn, text, flt, max(want, 20))
            bar = self.embedder.model().recall_similarity if floor is None else floor
        except SemanticUnavailable as exc:
            return Ranking(exact[:want], SearchMode.KEYWORD, f"{exc.message}; exact identifiers only")
        rest = [Candidate(i, s, "semantic") for i, s in semantic if s >= bar and i not in taken]
        return Ranking((exact + rest)[:want], SearchMode.SEMANTIC)

    def _words_only(self, matched: list[uuid.UUID]) -> str | None:
        """Say how many of the notes the words matched had no meaning vector yet (so were ranked by words
        only); None when every one had."""
        waiting = self.embedder.unembedded(matched)
        if not waiting:
            return None
        return (
            f"{waiting} matching note{'s' if waiting != 1 else ''} stored moments ago "
            f"{'have' if waiting != 1 else 'has'} no meaning vector yet and "
            f"{'were' if waiting != 1 else 'was'} ranked by words only; meaning covers "
            "them within seconds"
        )

    def _semantic(
        self, conn: Connection, text: str, flt: ContextFilter, depth: int
    ) -> list[tuple[uuid.UUID, float]]:
        model = self.embedder.model()
        query = model.embed([text])[0]
        if not query.any():
            return []  # no word the model knows
        index = self.embedder.index(conn)
        near = index.nearest(query, project_ids=flt.project_ids, k=depth, min_similarity=model.min_similarity)
        kept = search_repo.keep_matching(conn, [n.id for n in near], flt)
        return [(n.id, n.similarity) for n in near if n.id in kept]


def _keyword_candidate(ranked: search_repo.Ranked) -> Candidate:
    return Candidate(ranked.id, ranked.score, "exact" if ranked.exact else "keyword")

"""Snippets: the few words of a text around what a query matched, cut the same way for every engine.

Invariant: a snippet is a bounded window of the text's own words (never the folded index copy),
with each word that matched a query word — compared folded and stemmed, as the index compares
them — between START and STOP, which surfaces render as highlights; a text in which no query word
is found (a match by meaning, or a match past the part of the text that is read) gets its preview.
Cutting in Python from the text keeps snippets identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

from aidis.search_syntax import SearchQuery, fold

START, STOP = "\x02", "\x03"  # around each matched word of a snippet; surfaces render them
SNIPPET_WORDS = 24
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019\u02bc][^\W_]+)*")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def _matcher(query: SearchQuery) -> tuple[frozenset[str], tuple[str, ...]]:
    stems = frozenset(_stem(w) for w in (*query.words, *(w for p in query.phrases for w in p)))
    return stems, tuple(query.prefixes)


def cut(text: str, query: SearchQuery, preview: str, *, words: int = SNIPPET_WORDS) -> str:
    """The window of `words` words with the most matched query words, highlighted; `preview` if none."""
    stems, prefixes = _matcher(query)
    tokens = list(_TOKEN.finditer(text))
    hits = []
    for index, token in enumerate(tokens):
        folded = "".join(_TOKEN.findall(fold(token.group(0))))
        if folded and (_stem(folded) in stems or folded.startswith(prefixes or ("\0",))):
            hits.append(index)
    if not hits:
        return preview
    first = _best_window_start(hits, len(tokens), words)
    last = min(len(tokens), first + words)
    marked = set(hits)
    out: list[str] = []
    cursor = tokens[first].start()
    for index in range(first, last):
        token = tokens[index]
        out.append(text[cursor : token.start()])
        out.append(f"{START}{token.group(0)}{STOP}" if index in marked else token.group(0))
        cursor = token.end()
    snippet = " ".join("".join(out).split())
    if first > 0:
        snippet = "…" + snippet
    if last < len(tokens):
        snippet += "…"
    return snippet


def _best_window_start(hits: list[int], total: int, words: int) -> int:
    """Where a window of `words` tokens covering the most hits starts (a little context before it)."""
    best_start, best_count, right = hits[0], 0, 0
    for left, start in enumerate(hits):
        while right < len(hits) and hits[right] < start + words:
            right += 1
        if right - left > best_count:
            best_start, best_count = start, right - left
    lead = min(3, best_start)
    return max(0, min(best_start - lead, total - words))

"""The one query language of context search, and the one text keyword search sees, for every engine.

Invariant: both engines index and query the same words. A text is folded once, in Python, before it
is written (`search_text`): accents removed (NFKD), case folded, apostrophes inside words dropped
("don't" → "dont"), and every other character that is not a letter or digit — `/`, `.`, `@`, `_`,
`-`, `::` — made a space. Paths, URLs, hosts, emails, versions and identifiers therefore become runs
of plain words that SQLite's tokenizer and PostgreSQL's parser split identically (left alone,
PostgreSQL keeps `src/aidis/app.py` or `bob@example.com` as one token and finds none of its parts).

Any string a person or an agent types is a valid query. It is folded the same way; a whitespace-
separated piece with several words (`app.py`, `AIDIS_AUTH_TOKEN`, `1.2.3`) becomes a phrase (its
words adjacent, in order), "quoted phrases" stay phrases, a trailing `*` makes a prefix, and every
other character — FTS operators, parentheses, `NEAR`, unbalanced quotes — is a separator. The
repositories render the parsed query in each engine's own syntax from these words alone, so no FTS
syntax error can ever reach a caller. Pieces that were identifiers are also kept as typed (`exact`),
so a context holding that exact string ranks first.

English stop words are dropped from plain words on both engines, because PostgreSQL's `english`
configuration drops them and SQLite's FTS5 does not: without this, "the reaper" would need the word
"the" on SQLite only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_PIECE = re.compile(r'"|[^\s"]+')
_WORD = re.compile(r"[^\W_]+")
_INNER_APOSTROPHE = re.compile(r"(?<=[^\W_])['\u2019\u02bc](?=[^\W_])")
_EDGE_PUNCTUATION = "()[]{}<>,;:!?'`\u2018\u2019\u201c\u201d"
MAX_TERMS = 32
MAX_EXACT_CHARS = 200

# The Snowball English stop words (PostgreSQL's `english` dictionary drops these).
STOP_WORDS = frozenset(
    [
        "i",
        "me",
        "my",
        "myself",
        "we",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "it",
        "its",
        "itself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "what",
        "which",
        "who",
        "whom",
        "this",
        "that",
        "these",
        "those",
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "a",
        "an",
        "the",
        "and",
        "but",
        "if",
        "or",
        "because",
        "as",
        "until",
        "while",
        "of",
        "at",
        "by",
        "for",
        "with",
        "about",
        "against",
        "between",
        "into",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "to",
        "from",
        "up",
        "down",
        "in",
        "out",
        "on",
        "off",
        "over",
        "under",
        "again",
        "further",
        "then",
        "once",
        "here",
        "there",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "s",
        "t",
        "can",
        "will",
        "just",
        "don",
        "should",
        "now",
    ]
)


def fold(text: str) -> str:
    """Accents removed, case folded, apostrophes inside words dropped; other characters kept."""
    decomposed = unicodedata.normalize("NFKD", _INNER_APOSTROPHE.sub("", text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_text(content: str) -> str:
    """The words keyword search indexes for a text: folded, separated by single spaces."""
    return " ".join(_WORD.findall(fold(content)))


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed query: every part must match (AND)."""

    words: list[str] = field(default_factory=list)  # plain words, stop words removed
    phrases: list[list[str]] = field(default_factory=list)  # words that must appear in this order
    prefixes: list[str] = field(default_factory=list)  # words matched as prefixes (`migrat*`)
    had_words: bool = False  # the text held at least one word, even if all were stop words
    exact: list[str] = field(default_factory=list)  # identifier pieces as typed, lowercased (ASCII)

    @property
    def is_empty(self) -> bool:
        """True when nothing searchable is left (no words, or only stop words)."""
        return not (self.words or self.phrases or self.prefixes)

    @property
    def terms(self) -> list[str]:
        """Every word the query asks for (for highlighting), in order, without repeats."""
        found = [*self.words, *(w for p in self.phrases for w in p), *self.prefixes]
        return list(dict.fromkeys(found))


def _exact_piece(piece: str) -> str | None:
    """An identifier piece as typed (`src/aidis/app.py`, `AIDIS_AUTH_TOKEN`, `--backfill`), or None."""
    trimmed = piece.strip(_EDGE_PUNCTUATION).rstrip(".*")
    if trimmed.isalnum() or not _WORD.search(trimmed):
        return None  # a plain word (the index finds it), or no word at all
    if not (trimmed.isascii() and trimmed.isprintable()) or len(trimmed) > MAX_EXACT_CHARS:
        return None  # SQLite's lower() folds ASCII only: a non-ASCII needle could not match alike
    return trimmed.lower()


def parse_query(text: str) -> SearchQuery:
    """Parse free text into words, "phrases", prefix* words and identifier phrases; never raises."""
    words: list[str] = []
    phrases: list[list[str]] = []
    prefixes: list[str] = []
    exact: list[str] = []
    had_words = False
    phrase: list[str] | None = None  # the words of an open quote

    def close(open_words: list[str], balanced: bool) -> None:
        if balanced and len(open_words) > 1:
            phrases.append(open_words)
        else:  # a one-word phrase, or an unbalanced quote: plain words
            words.extend(w for w in open_words if w not in STOP_WORDS)

    for match in _PIECE.finditer(text):
        piece = match.group(0)
        if piece == '"':
            if phrase is None:
                phrase = []
            else:
                close(phrase, balanced=True)
                phrase = None
            continue
        runs = _WORD.findall(fold(piece))
        if not runs:
            continue
        had_words = True
        if phrase is not None:
            phrase.extend(runs)
            continue
        needle = _exact_piece(piece)
        if needle is not None:
            exact.append(needle)
        if len(runs) > 1:
            phrases.append(runs)
        elif piece.endswith("*") and piece.rstrip("*")[-1:].isalnum():
            prefixes.append(runs[0])
        elif runs[0] not in STOP_WORDS:
            words.append(runs[0])
    if phrase is not None:
        close(phrase, balanced=False)
    return SearchQuery(
        words=list(dict.fromkeys(words))[:MAX_TERMS],
        phrases=phrases[:MAX_TERMS],
        prefixes=list(dict.fromkeys(prefixes))[:MAX_TERMS],
        had_words=had_words,
        exact=list(dict.fromkeys(exact))[:MAX_TERMS],
    )

"""The one query language of context search, parsed the same way for every engine.

Invariant: any string a person or an agent types is a valid query. Only words (letters and digits),
"quoted phrases" and trailing-`*` prefixes survive parsing; every other character — FTS operators,
parentheses, `NEAR`, unbalanced quotes, punctuation — is a separator. The repositories render the
parsed query in each engine's own syntax from these words alone, so no FTS syntax error can ever
reach a caller, and both engines see the same words.

English stop words are dropped from plain words on both engines, because PostgreSQL's `english`
configuration drops them and SQLite's FTS5 does not: without this, "the reaper" would need the word
"the" on SQLite only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'"|([^\W_]+)(\*?)')
MAX_TERMS = 32

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


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed query: every part must match (AND)."""

    words: list[str] = field(default_factory=list)  # plain words, stop words removed
    phrases: list[list[str]] = field(default_factory=list)  # words that must appear in this order
    prefixes: list[str] = field(default_factory=list)  # words matched as prefixes (`migrat*`)
    had_words: bool = False  # the text held at least one word, even if all were stop words

    @property
    def is_empty(self) -> bool:
        """True when nothing searchable is left (no words, or only stop words)."""
        return not (self.words or self.phrases or self.prefixes)


def parse_query(text: str) -> SearchQuery:
    """Parse free text into words, "phrases" and prefix* words; never raises."""
    words: list[str] = []
    phrases: list[list[str]] = []
    prefixes: list[str] = []
    had_words = False
    phrase: list[str] | None = None  # the words of an open quote

    def close(open_words: list[str], balanced: bool) -> None:
        if balanced and len(open_words) > 1:
            phrases.append(open_words)
        else:  # a one-word phrase, or an unbalanced quote: plain words
            words.extend(w for w in open_words if w not in STOP_WORDS)

    for match in _TOKEN.finditer(text):
        if match.group(0) == '"':
            if phrase is None:
                phrase = []
            else:
                close(phrase, balanced=True)
                phrase = None
            continue
        word, star = match.group(1).lower(), match.group(2)
        had_words = True
        if phrase is not None:
            phrase.append(word)
        elif star:
            prefixes.append(word)
        elif word not in STOP_WORDS:
            words.append(word)
    if phrase is not None:
        close(phrase, balanced=False)
    return SearchQuery(
        words=list(dict.fromkeys(words))[:MAX_TERMS],
        phrases=phrases[:MAX_TERMS],
        prefixes=list(dict.fromkeys(prefixes))[:MAX_TERMS],
        had_words=had_words,
    )

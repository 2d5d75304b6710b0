"""Names people tell apart: project and person names are what a person reads before trusting a grant or
a listing, so two of them must never look the same.

Invariants: a name is kept in Unicode NFKC form (full-width and other compatibility spellings become the
plain letters they display as); a name holding an invisible or bidirectional control character (format,
control, private-use, surrogate or unassigned code points, line and paragraph separators) is refused
naming its field; and a name whose confusable skeleton (Unicode TR 39: each character replaced by the
representative of the characters it is confusable with, compared as written and case-folded) equals an
existing name's is refused. The confusable data is Unicode's own, shipped by `confusable_homoglyphs`;
nothing here is a hand-made table.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

from aidis.errors import InvalidInput

# Categories that draw nothing a person can see, or change the order in which the rest is drawn.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})

__all__ = ["INVISIBLE_CATEGORIES", "clean_visible", "lookalike_of", "skeleton"]


def clean_visible(name: str, *, field: str, what: str) -> str:
    """`name` in NFKC form, trimmed; InvalidInput (naming `field`) when it holds a character that is
    invisible or reorders text (zero-width spaces, bidirectional controls, private-use code points)."""
    normal = unicodedata.normalize("NFKC", name).strip()
    for ch in normal:
        if unicodedata.category(ch) in INVISIBLE_CATEGORIES:
            raise InvalidInput(
                f"{what} must not contain invisible or control characters (found U+{ord(ch):04X} "
                f"{unicodedata.name(ch, 'unnamed')})",
                field=field,
            )
    return normal


@cache
def _representatives() -> dict[str, str]:
    """Each confusable character → one representative of every character it is confusable with (the
    connected groups of Unicode's confusable pairs, one lowest code point a group)."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    pairs: dict[str, list[dict[str, str]]] = json.loads(raw)
    parent: dict[str, str] = {}

    def root(ch: str) -> str:
        while parent.get(ch, ch) != ch:
            parent[ch] = parent.get(parent[ch], parent[ch])
            ch = parent[ch]
        return ch

    for ch, homoglyphs in pairs.items():
        if len(ch) != 1:
            continue
        for other in homoglyphs:
            glyph = other.get("c", "").replace("\u200e", "").replace("\u200f", "")
            if len(glyph) != 1:
                continue  # a sequence (e.g. "rn" for "m") is beyond a character-by-character skeleton
            a, b = root(ch), root(glyph)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {ch: root(ch) for ch in parent}


def skeleton(text: str) -> str:
    """The confusable skeleton of `text`: NFKC, decomposed, each character replaced by its group's
    representative (two texts with the same skeleton look alike)."""
    reps = _representatives()
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text))
    return "".join(reps.get(ch, ch) for ch in decomposed)


def lookalike_of(name: str, existing: Iterable[str]) -> str | None:
    """The first of `existing` that looks like `name` (the same skeleton as written, or case-folded),
    or None."""
    mine = {skeleton(name), skeleton(name.casefold())}
    for other in existing:
        if skeleton(other) in mine or skeleton(other.casefold()) in mine:
            return other
    return None

"""The rules every context text, tag list and topic key obeys, on every path that writes one.

Invariant: two texts that differ only in whitespace are the same memory (one hash), and a text,
a tag or a key that breaks a limit is refused with the field named before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from aidis.errors import InvalidInput

MAX_CONTENT = 100_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 64
MAX_KEY_LENGTH = 200


def normalized(text: str) -> str:
    """The text with every run of whitespace made one space, trimmed."""
    return " ".join(text.split())


def content_hash(text: str) -> str:
    """The hash duplicate detection compares: SHA-256 of the whitespace-normalized text."""
    return hashlib.sha256(normalized(text).encode("utf-8")).hexdigest()


def check_content(content: str, field: str = "content") -> None:
    """Refuse empty or oversized content."""
    if not content.strip():
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(content) > MAX_CONTENT:
        raise InvalidInput(f"{field} must be at most {MAX_CONTENT} characters", field=field)


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Trim, de-duplicate (keeping order) and check tags."""
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"at most {MAX_TAGS} tags", field="tags")
    seen: list[str] = []
    for index, tag in enumerate(tags):
        cleaned = tag.strip()
        if not cleaned or len(cleaned) > MAX_TAG_LENGTH:
            raise InvalidInput(f"each tag must be 1–{MAX_TAG_LENGTH} characters", field=f"tags[{index}]")
        if cleaned not in seen:
            seen.append(cleaned)
    return seen


def clean_key(key: str | None) -> str | None:
    """Trim a topic key and check its length (None stays None)."""
    if key is None:
        return None
    cleaned = key.strip()
    if not cleaned or len(cleaned) > MAX_KEY_LENGTH:
        raise InvalidInput(f"key must be 1–{MAX_KEY_LENGTH} characters", field="key")
    return cleaned

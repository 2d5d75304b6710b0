"""Personal tokens: made once, shown once, kept only as a hash, checked without a timing oracle.

Invariants: a token is `aidis_pat_<public id>_<secret>` — 12 + 40 characters of base62 from the
operating system's CSPRNG (238 bits of secret) with a prefix secret scanners and AIDIS's own
redaction recognise — and only the SHA-256 of the whole text is stored. Checking one looks the row up
by its public id and compares hashes in constant time; an unknown id is compared against a dummy so
both take the same time. Whether a token expired or was revoked is said only to someone holding its
secret. A disabled user's tokens stop at once (the user row is read on every check).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass

from aidis.errors import InvalidInput

PREFIX = "aidis_pat_"
PUBLIC_CHARS = 12
SECRET_CHARS = 40
ALPHABET = string.ascii_letters + string.digits
SHAPE = re.compile(rf"{PREFIX}([A-Za-z0-9]{{{PUBLIC_CHARS}}})_([A-Za-z0-9]{{{SECRET_CHARS}}})")
MAX_LENGTH = 512  # anything longer is refused before any work
DUMMY_HASH = hashlib.sha256(b"aidis: no such token").hexdigest()


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token's text (shown once) and what is stored of it."""

    text: str
    public_id: str
    secret_hash: str


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def hash_token(text: str) -> str:
    """What is stored of a token: the SHA-256 of its whole text (hex)."""
    return hashlib.sha256(text.encode()).hexdigest()


def make_token() -> NewToken:
    """A fresh token."""
    public_id = _random(PUBLIC_CHARS)
    text = f"{PREFIX}{public_id}_{_random(SECRET_CHARS)}"
    return NewToken(text, public_id, hash_token(text))


def public_id_of(text: str, *, field: str = "Authorization") -> str:
    """The public id of a well-formed token; InvalidInput naming `field` for anything else."""
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"the token is too long (at most {MAX_LENGTH} characters)", field=field)
    match = SHAPE.fullmatch(text)
    if match is None:
        raise InvalidInput(
            f"not an AIDIS token (expected {PREFIX}… as `aidis tokens create` printed it)", field=field
        )
    return match.group(1)


def secret_matches(text: str, stored_hash: str | None) -> bool:
    """Whether `text` is the token whose hash is stored (constant time; a missing row compares a dummy)."""
    return hmac.compare_digest(hash_token(text), stored_hash or DUMMY_HASH) and stored_hash is not None

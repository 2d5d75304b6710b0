"""The ids people read and type: `SES-<year>-<n>` numbered server-wide where one person runs AIDIS, and
opaque on a team server.

Invariant: a display id is unique and never truncated; on a team server (a session started for a
person) it is random, so the ids a person sees say nothing of how many sessions anyone else started —
a server-wide count would reveal everyone's volume.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Connection

from aidis.repositories import sessions as repo

OPAQUE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed back

__all__ = ["OPAQUE_ALPHABET", "format_display_id", "next_display_id", "opaque_display_id"]


def next_display_id(conn: Connection, year: int, *, opaque: bool) -> str:
    """The display id of a new session: opaque for a person on a team server, else the year's next number."""
    return (
        opaque_display_id(year) if opaque else format_display_id(year, repo.next_display_number(conn, year))
    )


def format_display_id(year: int, number: int) -> str:
    """`SES-2026-00001`: zero-padded to five digits, never truncated past them."""
    return f"SES-{year}-{number:05d}"


def opaque_display_id(year: int) -> str:
    """`SES-2026-K7Q2M9XW4T`: a team server's display id — ten random characters (50 bits)."""
    return f"SES-{year}-{''.join(secrets.choice(OPAQUE_ALPHABET) for _ in range(10))}"

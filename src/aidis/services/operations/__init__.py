"""Operations: the back-office jobs a person or a running server starts — legacy import, backfill,
integrity checks and repairs, Unassigned triage, statistics, demo data, the schema version and the
server's background upkeep.

May call every other domain. Each module is one job and is loaded on first use (the app builds these
lazily), so this face lists modules rather than importing them.
"""

__all__ = [
    "backfill",
    "demo",
    "integrity",
    "legacy_import",
    "legacy_rows",
    "maintenance",
    "schema",
    "stats",
    "triage",
]

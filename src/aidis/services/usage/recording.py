"""Storing what one transcript read counted, by UTC hour and model, in the transaction that stores the
read's new offset.

Invariant: only counts read this time are added (`UsageState.hourly` holds nothing else), so a response
is counted once however many events read the transcript; a line without a usable time is counted in the
hour the event arrived (never dropped: tokens are the fact cost is derived from).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection

from aidis.repositories import usage as repo
from aidis.telemetry import after_commit

# the transcript readers' names for each kind → the stored column
KIND_COLUMNS = {
    "input": "input_tokens",
    "output": "output_tokens",
    "cache_creation": "cache_write_tokens",
    "cache_read": "cache_read_tokens",
    "cache_creation_1h": "cache_write_1h_tokens",  # the part of the cache writes kept for an hour
}

__all__ = ["KIND_COLUMNS", "record_hourly"]


def record_hourly(
    conn: Connection,
    session_id: uuid.UUID,
    hourly: dict[str, dict[str, int]],
    received: datetime,
    count: Callable[[str, dict[str, int]], None] | None = None,
) -> None:
    """Add a read's `hourly` counts ("YYYY-MM-DDTHH|model" → counts by kind) to the session's usage;
    `count(model, counts by kind)` runs once the transaction has committed (the Prometheus counters)."""
    fallback = received.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    rows = []
    for key, counts in hourly.items():
        stamp, _, model = key.partition("|")
        try:
            hour = datetime.strptime(stamp, "%Y-%m-%dT%H").replace(tzinfo=UTC) if stamp else fallback
        except ValueError:
            hour = fallback
        rows.append(
            (hour, model or "unknown", {KIND_COLUMNS[k]: v for k, v in counts.items() if k in KIND_COLUMNS})
        )
    repo.add(conn, session_id, rows)
    if count is not None:
        counted = count
        done = [(model, {k.removesuffix("_tokens"): v for k, v in c.items()}) for _, model, c in rows]

        def publish() -> None:
            for model, counts in done:
                counted(model, counts)

        after_commit(conn, publish)

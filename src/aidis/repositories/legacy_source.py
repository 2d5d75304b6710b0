"""Read-only SQL against a TypeScript-AIDIS PostgreSQL database (the import source)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text

from aidis.db.engine import normalise_url
from aidis.errors import InvalidInput

TABLES = ("projects", "sessions", "contexts", "analytics_events")
KEYS = {"projects": "id", "sessions": "id", "contexts": "id", "analytics_events": "event_id"}
REQUIRED = {
    "projects": {"id", "name"},
    "sessions": {"id"},
    "contexts": {"id", "content"},
    "analytics_events": {"event_id"},
}


def source_engine(url: str) -> Engine:
    """An engine whose every transaction is READ ONLY (the source is never written)."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise InvalidInput("the legacy source must be a postgresql:// URL", field="source_url")
    return create_engine(parsed, connect_args={"options": "-c default_transaction_read_only=on"}, pool_size=1)


def columns(conn: Connection, table: str) -> set[str]:
    """The columns of a source table (empty when the table is missing)."""
    rows = conn.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = :t"
        ),
        {"t": table},
    )
    return {row[0] for row in rows}


def check_shape(conn: Connection) -> dict[str, set[str]]:
    """Columns of every source table; InvalidInput naming the first missing table or column."""
    shape = {}
    for table in TABLES:
        found = columns(conn, table)
        if not found:
            raise InvalidInput(
                f"the source has no table {table!r}; is it a TypeScript AIDIS database?", field=table
            )
        missing = REQUIRED[table] - found
        if missing:
            raise InvalidInput(
                f"source table {table} lacks column {sorted(missing)[0]!r}",
                field=f"{table}.{sorted(missing)[0]}",
            )
        shape[table] = found
    return shape


def count(conn: Connection, table: str) -> int:
    """Rows in a source table."""
    return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def batches(conn: Connection, table: str, cols: set[str], size: int) -> Iterator[list[dict[str, Any]]]:
    """Every row of `table` (minus the embedding column), in key order, `size` at a time (keyset paging)."""
    key = KEYS[table]
    wanted = sorted(c for c in cols if c != "embedding")
    select_list = ", ".join(f'"{c}"' for c in wanted)
    last: Any = None
    while True:
        where = f'WHERE "{key}" > :last' if last is not None else ""
        rows = (
            conn.execute(
                text(f'SELECT {select_list} FROM "{table}" {where} ORDER BY "{key}" LIMIT :n'),
                {"last": last, "n": size},
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        yield [dict(row) for row in rows]
        last = rows[-1][key]

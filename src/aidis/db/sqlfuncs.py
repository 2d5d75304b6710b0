"""The few SQL expressions that differ between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Float,
    Table,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import KeyedColumnElement


def epoch_seconds_between(
    dialect: str, start: Column[Any] | KeyedColumnElement[Any], end: Column[Any] | KeyedColumnElement[Any]
) -> ColumnElement[float]:
    """Seconds from `start` to `end` as a float expression."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float())
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def utc_day(dialect: str, column: Column[Any] | KeyedColumnElement[Any]) -> ColumnElement[str]:
    """The UTC calendar day (YYYY-MM-DD) of a timestamp column."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(literal_column("'UTC'"), column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)


def insert_ignoring_duplicates(conn: Connection, table: Table, values: dict[str, Any]) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns 1 when a row was inserted, 0 when it existed."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return int(conn.execute(dialect_insert(table).values(**values).on_conflict_do_nothing()).rowcount)


def json_array_contains(dialect: str, column: Column[Any], value: str) -> ColumnElement[bool]:
    """True when the JSON array in `column` holds the string `value`."""
    if dialect == "postgresql":
        return column.op("@>")(cast(literal([value], JSONB()), JSONB()))
    each = func.json_each(column).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == value))

"""The few SQL expressions that differ between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Date,
    Float,
    Table,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import KeyedColumnElement


def epoch_seconds_between(
    dialect: str, start: Column[Any] | KeyedColumnElement[Any], end: Column[Any] | KeyedColumnElement[Any]
) -> ColumnElement[float]:
    """Seconds from `start` to `end` as a float expression."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float())
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def utc_day(dialect: str, column: Column[Any] | KeyedColumnElement[Any]) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column: a DATE on PostgreSQL (cheap to group by),
    'YYYY-MM-DD' text on SQLite. Callers format with `day_text`."""
    if dialect == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), column), Date())
    return func.substr(column, 1, 10)


def day_text(value: Any) -> str:
    """A `utc_day` result as 'YYYY-MM-DD'."""
    return value if isinstance(value, str) else value.isoformat()


def insert_ignoring(conn: Connection, table: Table) -> Any:
    """An INSERT … ON CONFLICT DO NOTHING statement for `table` (values given when executed, one row or
    many): a row another writer made meanwhile is left alone."""
    if conn.dialect.name == "postgresql":  # each dialect's module is loaded with its engine
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def insert_ignoring_duplicates(conn: Connection, table: Table, values: dict[str, Any]) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns 1 when a row was inserted, 0 when it existed."""
    return int(conn.execute(insert_ignoring(conn, table).values(**values)).rowcount)


def json_array_contains(dialect: str, column: Column[Any], value: str) -> ColumnElement[bool]:
    """True when the JSON array in `column` holds the string `value`."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        return column.op("@>", return_type=Boolean())(cast(literal([value], JSONB()), JSONB()))
    each = func.json_each(column).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == value))


def json_text_field(dialect: str, column: Column[Any], key: str) -> ColumnElement[str]:
    """The text value of `key` in a JSON object column (NULL when missing)."""
    if dialect == "postgresql":
        return column.op("->>")(literal(key))
    return func.json_extract(column, f"$.{key}")


def json_object(dialect: str, **fields: Any) -> ColumnElement[Any]:
    """A JSON object built in SQL from column expressions or literals."""
    args: list[Any] = []
    for key, value in fields.items():
        args += [literal(key), value]
    return func.jsonb_build_object(*args) if dialect == "postgresql" else func.json_object(*args)

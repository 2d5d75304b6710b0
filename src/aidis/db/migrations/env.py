"""Alembic environment: runs on the connection (and inside the transaction) `aidis.db.migrate` opened,
which holds the migration lock; falls back to the engine for Alembic's own command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from aidis.db.schema import metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
    )


def run_migrations_online() -> None:
    """Run every pending migration in one transaction."""
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:  # the caller's transaction: it commits (and releases the lock)
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine: Engine = config.attributes["engine"]
    with engine.connect() as own:
        _configure(own)
        with context.begin_transaction():
            context.run_migrations()
        own.commit()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run `aidis db upgrade`")
run_migrations_online()

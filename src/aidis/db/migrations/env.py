"""Alembic environment: the engine comes from `config.attributes['engine']`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from aidis.db.schema import metadata

config = context.config


def run_migrations_online() -> None:
    """Run every pending migration in one transaction on the configured engine."""
    engine: Engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            transaction_per_migration=False,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run `aidis db upgrade`")
run_migrations_online()

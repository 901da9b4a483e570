"""Alembic environment for the read model (the event store's tables belong to
the `eventsourcing` recorders and are created by them)."""

from __future__ import annotations

from alembic import context

from o2c.projections.database import sync_url
from o2c.projections.schema import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or ""
# PostgreSQL: one migration at a time (processes started together on a new database: the API,
# the publisher, the projection workers), the others wait and find it done.
MIGRATION_LOCK = 0x6F32_636D  # "o2cm"


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)  # type: ignore[arg-type]
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

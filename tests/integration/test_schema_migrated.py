"""The read model the migrations build is the one projections/schema.py declares
(columns, types, indexes), on each store: a table or an index added to one and
not the other fails here."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from o2c.projections import schema
from o2c.projections.database import migrate, sync_engine

# What the migrations hold on purpose and the schema does not declare: the trigram
# index, created only where pg_trgm is (0008); on SQLite, which ignores a VARCHAR's
# length, the alerts' subject keeps its first length (0004 widens it on PostgreSQL).
_ON_PURPOSE = {("remove_index", "rm_accounts_search_trigrams"), ("modify_type", "rm_alerts.subject")}


def _named(difference: Any) -> tuple[str, str]:
    if isinstance(difference, list):  # a column's changes come as a list of tuples
        kind, _, table, column = difference[0][:4]
        return kind, f"{table}.{column}"
    kind, found = difference[0], difference[1]
    return kind, getattr(found, "name", str(found))


def test_the_migrated_read_model_is_the_declared_one(database_url: str) -> None:
    migrate(database_url)
    engine = sync_engine(database_url)
    try:
        with engine.connect() as conn:
            found = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    finally:
        engine.dispose()
    assert [d for d in found if _named(d) not in _ON_PURPOSE] == []

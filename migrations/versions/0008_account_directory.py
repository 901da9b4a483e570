"""the account directory's search and sort columns

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:00:00

rm_accounts keeps what `GET /v1/accounts` filters and sorts on without reading
invoices (projections/directory_columns.py): the name folded (sort by name), the code and
name folded (search), the due date of the oldest open invoice (overdue from the
next day on) and the open disputes. A read model already projected is filled in
place: the folded texts in Python (the projection's own function), the rest from
its invoices and its open `dispute_opened` alerts (one per open dispute).

What the directory reads of every account stays narrow: the review's points are
a column the database computes from `risk` (rm_collections.risk_points), indexed
with the class and the scenario (rm_collections' rows hold whole collection cases:
77 MB at 10,000 accounts, too much to read per page); the open invoices have a
partial index (the overdue amount today: an index-only scan on PostgreSQL).

On PostgreSQL, a trigram index (pg_trgm, GIN) serves both a prefix and a
"contains" search (`LIKE '%societe%'`); where the extension is not available, the
search reads the table (10,000 accounts: a few milliseconds) and nothing else
changes. SQLite has no such index: its LIKE reads the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TRIGRAMS = "rm_accounts_search_trigrams"
POINTS = "CAST(risk ->> 'points' AS FLOAT)"  # SQLite reads `->>` too (3.38 on)
OPEN = sa.text("open_balance > 0")


def upgrade() -> None:
    with op.batch_alter_table("rm_accounts") as batch:
        batch.add_column(sa.Column("name_key", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("search", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("oldest_due_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("open_disputes", sa.Integer(), nullable=False, server_default="0"))
    _fill()
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _trigrams_available(bind):
        op.execute(f"CREATE INDEX {TRIGRAMS} ON rm_accounts USING gin (search gin_trgm_ops)")
    # Stored on PostgreSQL (computed at each write), virtual on SQLite (which cannot add a stored one).
    stored = True if bind.dialect.name == "postgresql" else None
    op.add_column("rm_collections", sa.Column("risk_points", sa.Float(), sa.Computed(POINTS, persisted=stored)))
    op.create_index("rm_collections_directory", "rm_collections", ["account", "risk_class", "scenario", "risk_points"])
    op.create_index(
        "rm_invoices_open",
        "rm_invoices",
        ["account", "due_date"],
        postgresql_include=["open_balance", "invoice_id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("rm_invoices_open", "rm_invoices")
    op.drop_index("rm_collections_directory", "rm_collections")
    with op.batch_alter_table("rm_collections") as batch:
        batch.drop_column("risk_points")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRIGRAMS}")
    with op.batch_alter_table("rm_accounts") as batch:
        for column in ("open_disputes", "oldest_due_date", "search", "name_key"):
            batch.drop_column(column)


def _trigrams_available(bind: sa.Connection) -> bool:
    """pg_trgm installed, or installed now (a trusted extension: the database's owner may)."""
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        return True
    if not bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first():
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:  # not allowed to: the search goes without the index
        return False
    return True


def _fill() -> None:
    from o2c.projections.directory_columns import SEPARATOR, folded

    bind = op.get_bind()
    accounts = sa.table("rm_accounts", sa.column("account"), sa.column("name"), sa.column("name_key"),
                        sa.column("search"))  # fmt: skip
    rows = bind.execute(sa.select(accounts.c.account, accounts.c.name)).all()
    update = (
        sa.update(accounts)
        .where(accounts.c.account == sa.bindparam("code"))
        .values(name_key=sa.bindparam("key"), search=sa.bindparam("text"))
    )
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        bind.execute(update, [{"code": r.account, "key": folded(r.name),
                               "text": folded(r.account) + SEPARATOR + folded(r.name)} for r in chunk])  # fmt: skip
    op.execute(
        "UPDATE rm_accounts SET oldest_due_date = (SELECT min(i.due_date) FROM rm_invoices i "
        "WHERE i.account = rm_accounts.account AND i.open_balance > 0)"
    )
    op.execute(
        "UPDATE rm_accounts SET open_disputes = (SELECT count(*) FROM rm_alerts a WHERE a.account = "
        "rm_accounts.account AND a.type = 'dispute_opened' AND a.cleared_at IS NULL)"
    )

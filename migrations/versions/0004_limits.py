"""amounts hold any sum of accepted facts; subjects fit the longest id

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 18:30:00

PostgreSQL: every amount column (1/10,000 currency units) becomes NUMERIC(38,0):
a sum of accepted facts (each below 10^12 units of currency, domain/limits.py)
can no longer overflow BIGINT's ±9.2e18 and halt the projection. The tables are
rewritten in place (no replay); `o2c migrate` takes about as long as a VACUUM FULL
of the read model.

SQLite keeps 64-bit integers (it has no other exact type): the portfolio sums,
which SQL adds up itself, get a CHECK that their amount is still an integer, so
an overflow fails the projection of the fact instead of becoming a float.

PostgreSQL: rm_alerts.subject widens to 250 so that `promise:ID` fits the
200-character ids accepted before the ledger's limits (SQLite ignores lengths).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

AMOUNTS = {
    "rm_accounts": (
        "credit_limit",
        "insured_limit",
        "outstanding",
        "uninvoiced",
        "unapplied_cash",
        "disputed",
        "exposure",
    ),
    "rm_invoices": ("amount", "open_balance", "disputed"),
    "rm_lines": ("amount",),
    "rm_portfolio_receivables": ("amount",),
    "rm_portfolio_balances": ("amount",),
    "rm_collections": ("at_risk",),
}
PORTFOLIO_SUMS = ("rm_portfolio_receivables", "rm_portfolio_balances")


def _retype(new: str) -> None:
    for table, columns in AMOUNTS.items():
        changes = ", ".join(f"ALTER COLUMN {c} TYPE {new} USING {c}::{new}" for c in columns)
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _retype("NUMERIC(38,0)")
        # SQLite does not enforce a VARCHAR's length.
        op.alter_column("rm_alerts", "subject", type_=sa.String(250), existing_type=sa.String(200))
    else:
        for table in PORTFOLIO_SUMS:
            with op.batch_alter_table(table) as batch:
                batch.create_check_constraint(f"{table}_whole_units", "typeof(amount) = 'integer'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("rm_alerts", "subject", type_=sa.String(200), existing_type=sa.String(250))
        # Fails (and changes nothing) if a sum no longer fits BIGINT.
        _retype("BIGINT")
    else:
        for table in PORTFOLIO_SUMS:
            with op.batch_alter_table(table) as batch:
                batch.drop_constraint(f"{table}_whole_units", type_="check")

"""an index on the accounts' currency

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 06:00:00

`currency=` keeps the accounts kept in one currency on the directory and the
portfolio views (aging, exposure, DSO, alerts), and the exposure ranking reads
each currency's accounts: rm_accounts.currency is indexed, as a fresh read model
declares it (projections/schema.py).
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("rm_accounts_currency", "rm_accounts", ["currency"])


def downgrade() -> None:
    op.drop_index("rm_accounts_currency", "rm_accounts")

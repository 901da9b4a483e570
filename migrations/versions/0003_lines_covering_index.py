"""rm_lines_by_account covers the columns the views sum

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 05:20:00

An account's aging and a page of the portfolio's sum the account's lines: with
`ref`, `due_date` and `amount` in the index (PostgreSQL's INCLUDE), that is an
index-only scan of a few leaf pages instead of a heap page per line (an account's
lines are written across the whole log, so they sit on as many pages). Measured
at 10,000 accounts / 1,000,000 events: one account's aging p99 5.6 -> 3.9 ms,
a 500-row aging page 84 -> 48 ms. SQLite has no INCLUDE: its index is unchanged.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ["account", "measure", "effective_date"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("rm_lines_by_account", "rm_lines")
    op.create_index("rm_lines_by_account", "rm_lines", COLUMNS, postgresql_include=["ref", "due_date", "amount"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("rm_lines_by_account", "rm_lines")
    op.create_index("rm_lines_by_account", "rm_lines", COLUMNS)

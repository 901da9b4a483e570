"""payment plans in the overdue figures

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 02:00:00

A plan now replaces its invoices' due schedule in every overdue figure: the
projection adds to rm_lines the lines that move what is open from the invoices'
own due dates to the installments' while the plan holds, and keeps in
rm_timed_conditions the days each planned invoice is overdue and each promise or
plan broken (their alerts are spells of those days). Lines already projected
cannot be told apart in SQL: a read model that holds a plan is emptied here, and
the projection replays the log (as `o2c rebuild` does) when it next starts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Derived from the log, replayed in full (rm_projector's error count is history, kept).
_DERIVED = (
    "rm_accounts", "rm_invoices", "rm_lines", "rm_portfolio_receivables", "rm_portfolio_balances", "rm_alerts",
    "rm_collections", "rm_commitments", "rm_scenarios", "rm_budgets", "rm_fx_rates", "rm_parked", "rm_tracking",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "rm_timed_conditions",
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=250), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("next_change", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("account", "type", "subject"),
    )
    op.create_index("rm_timed_conditions_next", "rm_timed_conditions", ["next_change"])
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM rm_commitments WHERE kind = 'plan' LIMIT 1")).first() is not None:
        for table in _DERIVED:
            op.execute(f"DELETE FROM {table}")


def downgrade() -> None:
    op.drop_index("rm_timed_conditions_next", "rm_timed_conditions")
    op.drop_table("rm_timed_conditions")

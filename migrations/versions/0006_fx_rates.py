"""exchange rates recorded as facts (rm_fx_rates)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:00:00

rm_fx_rates keeps the latest version of each day's rate document recorded by an
administrator (`o2c:fx:YYYY-MM-DD` aggregates), one row per quote currency. A
read model migrated from 0005 has no rates yet: rates recorded before are
projected when `o2c rebuild` replays the log (none were: the route is new).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_fx_rates",
        sa.Column("rate_date", sa.Date(), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rate_date", "quote"),
    )
    op.create_index("rm_fx_rates_recorded", "rm_fx_rates", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("rm_fx_rates_recorded", "rm_fx_rates")
    op.drop_table("rm_fx_rates")

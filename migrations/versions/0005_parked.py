"""parked facts (sequenced dead letters) and the projector's status

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:30:00

rm_parked keeps a fact the projection could not apply and every later fact of
the same account, in order, until a retry applies them; one row per position,
so a fact is never parked twice. rm_projector is what the projecting process
tells the API (/health, /metrics), whichever process it runs in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_parked",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position"),
    )
    op.create_index("rm_parked_by_account", "rm_parked", ["account", "position"])
    op.create_table(
        "rm_projector",
        sa.Column("view", sa.String(length=64), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("failing", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("view"),
    )


def downgrade() -> None:
    op.drop_table("rm_projector")
    op.drop_index("rm_parked_by_account", "rm_parked")
    op.drop_table("rm_parked")

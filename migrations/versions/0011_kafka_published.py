"""alert changes as a log, and what `o2c kafka-publish` has published

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:00:00

rm_alert_changes keeps every alert raised or cleared, written with the alert in
the same transaction, so `o2c kafka-publish` can follow them in order without
polling rm_alerts (whose rows change in place). Alerts raised before this
revision are not in it: they were never published, and a rebuild appends them.
kafka_published keeps each topic's published position (projections/schema.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_alert_changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sa.Column("change", sa.String(length=8), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=250), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alert", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("rm_alert_changes_order", "rm_alert_changes", ["txid", "seq"])
    op.create_table(
        "kafka_published",
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("change_txid", sa.BigInteger(), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("topic"),
    )


def downgrade() -> None:
    op.drop_table("kafka_published")
    op.drop_index("rm_alert_changes_order", "rm_alert_changes")
    op.drop_table("rm_alert_changes")

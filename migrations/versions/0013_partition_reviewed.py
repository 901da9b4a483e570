"""the offset up to which a projection worker has reviewed its partition's accounts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 17:30:00

A worker catching up reviews the risk of the accounts it projected once, when caught up;
`reviewed` says how far that is, and X-O2C-After waits for it (projections/partitions.py).
Rows written before: as if nothing was reviewed (the next owner reviews its accounts).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rm_partition_offsets", sa.Column("reviewed", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("rm_partition_offsets") as batch_op:
        batch_op.drop_column("reviewed")

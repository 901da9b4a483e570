"""projection workers over Kafka: a shard in the portfolio sums, partition offsets, checkpoints

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 16:15:00

The portfolio sums get a `shard` in their keys (0: every row written so far, by the
single projector), so that several projection workers add to their own rows and never
wait on each other's; the views sum over shards. rm_partition_offsets keeps each
worker's partitions' offsets with the rows (read model: emptied by a rebuild);
kafka_checkpoints maps the ledger's positions to the topic's offsets (the publisher's).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SUMS = {
    "rm_portfolio_receivables": {"currency": sa.String(length=3), "due_date": sa.Date()},
    "rm_portfolio_balances": {"currency": sa.String(length=3), "measure": sa.String(length=16)},
}


def _keys(table: str) -> list[str]:
    return [*_SUMS[table], "effective_date"]


def _postgresql() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def _remake(table: str, sharded: bool) -> None:
    """SQLite cannot change a primary key: the table is made again and its rows copied
    (summed over shards when the shard goes)."""
    keys = _keys(table)
    columns = [sa.Column(name, kind, nullable=False) for name, kind in _SUMS[table].items()]
    columns.append(sa.Column("effective_date", sa.Date(), nullable=False))
    if sharded:
        columns.append(sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False))
    op.create_table(
        f"{table}_new",
        *columns,
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*keys, *(["shard"] if sharded else [])),
        sa.CheckConstraint("typeof(amount) = 'integer'", name=f"{table}_whole_units"),
    )
    listed = ", ".join(keys)
    rows = f"{listed}, 0, amount FROM {table}" if sharded else f"{listed}, SUM(amount) FROM {table} GROUP BY {listed}"
    op.execute(f"INSERT INTO {table}_new SELECT {rows}")
    op.drop_table(table)
    op.rename_table(f"{table}_new", table)


def upgrade() -> None:
    for table in _SUMS:
        if _postgresql():
            op.add_column(table, sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False))
            op.drop_constraint(f"{table}_pkey", table, type_="primary")
            op.create_primary_key(f"{table}_pkey", table, [*_keys(table), "shard"])
        else:
            _remake(table, sharded=True)
    op.create_table(
        "rm_partition_offsets",
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", "partition"),
    )
    op.create_table(
        "kafka_checkpoints",
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("end_offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", "position", "partition"),
    )


def downgrade() -> None:
    op.drop_table("kafka_checkpoints")
    op.drop_table("rm_partition_offsets")
    for table in _SUMS:
        if not _postgresql():
            _remake(table, sharded=False)
            continue
        listed = ", ".join(_keys(table))
        op.execute(f"CREATE TEMPORARY TABLE sums AS SELECT {listed}, SUM(amount) AS amount FROM {table} "
                   f"GROUP BY {listed}")  # fmt: skip
        op.execute(f"DELETE FROM {table}")
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.drop_column(table, "shard")
        op.create_primary_key(f"{table}_pkey", table, _keys(table))
        op.execute(f"INSERT INTO {table} SELECT {listed}, amount FROM sums")
        op.execute("DROP TABLE sums")

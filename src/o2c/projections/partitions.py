"""Where projection workers are in the Kafka ledger topic, and what that means in the
ledger's positions.

Each worker keeps, per partition it owns, the next offset to read and the position of
the last fact it projected from there (rm_partition_offsets), moved in the transaction
of the rows and only from the value it read (`WHERE offset = :read`): a worker that
lost its partition in a rebalance, still finishing a batch, cannot commit it, and its
new owner starts exactly where the rows stop.

A ledger position P is projected when every fact up to P has been: `o2c kafka-publish`
stores, after each batch the broker acknowledged, the offset after its last message in
each partition it wrote to (kafka_checkpoints, at the batch's last position). P is
reached once every partition is past its checkpoints up to the first checkpoint at or
after P, its accounts' risk reviewed too (`reviewed`, the offset up to which it is: a
worker catching up reviews once caught up, as the single projector does). The reached
position is the highest checkpoint below the first one some partition has not reached
(a republished batch has a later checkpoint of its own: waiting for it only waits for
repeats, never skips a fact).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from o2c.projections import schema
from o2c.projections.tracking import TrackingConflict

M, K = schema.partition_offsets.c, schema.kafka_checkpoints.c


class PartitionMoved(TrackingConflict):
    """Another worker moved this partition's offset: the batch is void."""


@dataclass(frozen=True)
class Mark:
    """A partition's next offset to read, and the position of the last fact projected from it."""

    offset: int = 0
    position: int = 0
    reviewed: int = 0  # the offset up to which the accounts' risk is reviewed


def read_marks(conn: Connection, topic: str, partitions: list[int]) -> dict[int, Mark]:
    query = select(M.partition, M.offset, M.position, M.reviewed).where(M.topic == topic, M.partition.in_(partitions))
    found = {row.partition: Mark(row.offset, row.position, row.reviewed) for row in conn.execute(query)}
    return {partition: found.get(partition, Mark()) for partition in partitions}


def mark_reviewed(conn: Connection, topic: str, offsets: dict[int, int]) -> None:
    """The accounts of these partitions reviewed up to their offsets (as this worker has them:
    a partition moved on by another is left to it)."""
    for partition, offset in sorted(offsets.items()):
        conn.execute(
            update(schema.partition_offsets)
            .where(M.topic == topic, M.partition == partition, M.offset == offset)
            .values(reviewed=offset)
        )


def advance_marks(conn: Connection, topic: str, moves: dict[int, tuple[Mark | None, Mark]]) -> None:
    """Each partition from the mark read (None: it had no row) to the new one, or PartitionMoved."""
    for partition, (read, new) in sorted(moves.items()):
        values = {"offset": new.offset, "position": new.position}
        if read is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(schema.partition_offsets).values(topic=topic, partition=partition, **values))
            except IntegrityError as e:
                raise PartitionMoved(f"{topic}[{partition}] was started by another worker") from e
            continue
        moved = conn.execute(
            update(schema.partition_offsets)
            .where(M.topic == topic, M.partition == partition, M.offset == read.offset)
            .values(values)
        )
        if moved.rowcount != 1:
            raise PartitionMoved(f"{topic}[{partition}] moved from offset {read.offset} while this batch was projected")


def store_checkpoint(conn: Connection, topic: str, position: int, ends: dict[int, int]) -> None:
    """After the broker acknowledged a batch ending at `position`: each partition's offset after it."""
    if not ends:
        return
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    rows = [{"topic": topic, "position": position, "partition": p, "end_offset": end} for p, end in ends.items()]
    upsert = dialect.insert(schema.kafka_checkpoints).values(rows)
    later = func.max if conn.dialect.name == "sqlite" else func.greatest  # a republish only moves it on
    conn.execute(
        upsert.on_conflict_do_update(
            index_elements=["topic", "position", "partition"],
            set_={"end_offset": later(schema.kafka_checkpoints.c.end_offset, upsert.excluded.end_offset)},
        )
    )


def reached_position(topic: str) -> Select[Any]:
    """The statement giving the ledger position the workers have projected up to (0: none)."""
    joined = schema.kafka_checkpoints.outerjoin(
        schema.partition_offsets, and_(M.topic == K.topic, M.partition == K.partition)
    )
    first_unmet = (
        select(func.min(K.position))
        .select_from(joined)
        .where(K.topic == topic, K.end_offset > func.coalesce(M.reviewed, 0))
        .scalar_subquery()
    )
    return select(func.coalesce(func.max(K.position), 0)).where(
        K.topic == topic, or_(first_unmet.is_(None), K.position < first_unmet)
    )

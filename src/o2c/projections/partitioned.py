"""The read-model projection as one of several workers, each projecting the facts of the
ledger topic's partitions it owns (adapters/kafka/project.py brings them).

The facts are the ledger's, read as stored at the positions the messages carry, and
projected by the single projector's code (projector.py: parking, halving a batch whose
write fails, timed alerts): the rows are those the single projector writes. What
differs is where a batch's progress goes, and what is the worker's alone:
- the partitions' marks (partitions.py) move in the batch's transaction, from the
  values read, instead of the tracking position; a fact published twice (the
  publisher is at-least-once) has a position its partition's mark has passed: skipped;
- the portfolio sums go to the worker's shard (its lowest partition), summed at read;
- the risk review of the accounts a batch touched is written in the batch's transaction
  (a position reached is a risk reviewed, as `X-O2C-After` promises), and the daily
  sweep and review cover only the accounts of the worker's partitions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, select

from o2c.domain.risk import DEFAULT_WEIGHTS, RiskWeights
from o2c.ledger.application import Ledger
from o2c.projections import schema
from o2c.projections.batch import Batch
from o2c.projections.parking import RETRIES
from o2c.projections.partitions import Mark, PartitionMoved, advance_marks, mark_reviewed, read_marks
from o2c.projections.projector import ReadModelProjection
from o2c.projections.tracking import TrackingConflict, read_position

__all__ = ["Delivery", "PartitionMoved", "PartitionedProjection"]


@dataclass(frozen=True)
class Delivery:
    """A message of the ledger topic: where it was, and the ledger position it carries."""

    partition: int
    offset: int
    position: int


class PartitionedProjection(ReadModelProjection):
    def __init__(
        self,
        ledger: Ledger,
        engine: Engine,
        topic: str,
        partition_of: Callable[[str], int],  # an account's partition, as the publisher's producer chose it
        clock: Callable[[], datetime] | None = None,
        risk_weights: RiskWeights = DEFAULT_WEIGHTS,
    ) -> None:
        super().__init__(ledger, engine, clock, risk_weights)
        self.topic, self.partition_of = topic, partition_of
        self.marks: dict[int, Mark] = {}  # the partitions owned, as committed
        self._stored: set[int] = set()  # those with a row in rm_partition_offsets
        self._moving: dict[int, tuple[Mark | None, Mark]] = {}
        self._deliveries: Sequence[Delivery] = ()
        self.review.owns = self.owns
        # Accounts projected whose risk is not yet reviewed: while catching up, each is reviewed
        # once, when caught up (a review reads the account's whole history: at every batch it
        # cost a catch-up of 1,000,000 facts half its time); the partitions' `reviewed` moves then.
        self._unreviewed: dict[str, None] = {}
        self._review_now = False

    def assign(self, partitions: Sequence[int]) -> dict[int, int]:
        """Takes these partitions (a rebalance's): returns the offset to read each from."""
        with self.engine.connect() as conn:
            self.marks = read_marks(conn, self.topic, sorted(partitions))
            self._stored = set(self._stored_partitions(conn))
        self._forget()  # another worker may have moved their accounts on meanwhile
        self.sweep.swept_on = None  # the new accounts' timed alerts, when caught up
        self.shard = min(partitions, default=0)
        if any(mark.reviewed < mark.offset for mark in self.marks.values()):
            # Projected, not reviewed by the last owner (stopped, killed): which accounts is not
            # known, so every account of these partitions is reviewed once caught up.
            with self.engine.connect() as conn:
                codes = conn.execute(select(schema.collections.c.account)).scalars()
                self._unreviewed.update(dict.fromkeys(code for code in codes if self.owns(code)))
        return {partition: mark.offset for partition, mark in self.marks.items()}

    def owns(self, code: str) -> bool:
        return self.partition_of(code) in self.marks

    def project(self, deliveries: Sequence[Delivery], caught_up: bool) -> int:
        """Projects these messages (in each partition's order) in one transaction, or as
        many of the first as can be; returns how many facts were projected."""
        done, self._review_now = 0, caught_up
        if deliveries:
            done = self._project_deliveries(deliveries, caught_up)
        elif caught_up and self._unreviewed:
            with self.engine.begin() as conn:
                self._write_reviews(conn, {})
            self._unreviewed.clear()
        if caught_up:
            self.sweep.run_if_due()
            self.review.review_some()
        return done

    def _project_deliveries(self, deliveries: Sequence[Delivery], caught_up: bool) -> int:
        retries = self.read_retries()
        fresh, last = [], {p: mark.position for p, mark in self.marks.items()}
        for delivery in deliveries:
            if delivery.position > last[delivery.partition]:
                fresh.append(delivery.position)
                last[delivery.partition] = delivery.position
        self._deliveries, done = deliveries, 0
        if fresh:
            notifications = self.ledger.recorder.select_notifications_at(fresh)  # type: ignore[attr-defined]
            if len(notifications) != len(fresh):  # a topic of another ledger: nothing to guess
                missing = sorted(set(fresh) - {n.id for n in notifications})[:5]
                raise LookupError(f"{self.topic} names positions this ledger does not hold, e.g. {missing}")
            done = self._commit(0, retries, notifications, caught_up)
        else:  # only repeats: the offsets move past them
            with self.engine.begin() as conn:
                self._advance(conn, 0, 0, retries)
        self._moved()
        return done

    def read_retries(self) -> int | None:
        """The retry count of parked facts, with the parked accounts read again after a retry."""
        with self.engine.connect() as conn:
            _, retries = read_position(conn)
        if self._parked is None or retries != self._retries_known:
            self._read_parked(retries)
        return retries

    # -- the single projector's steps, as a worker takes them -----------------------------

    def write_batch(
        self, conn: Connection, batch: Batch, now: datetime, seen_until: datetime, waiting: Set[str] = frozenset()
    ) -> None:
        super().write_batch(conn, batch, now, seen_until, waiting)
        self._unreviewed.update(dict.fromkeys(batch.touched))  # reviewed in _advance, if caught up

    def queue_reviews(self, batch: Batch, span: tuple[int, int]) -> None:
        """Reviewed in the transaction of the first batch caught up (_advance)."""

    def _write_reviews(self, conn: Connection, moving: dict[int, tuple[Mark | None, Mark]]) -> None:
        """Every account waiting reviewed; the partitions owned marked reviewed to their offsets."""
        self.review.write_reviews(conn, list(self._unreviewed))
        offsets = {p: mark.offset for p, mark in self.marks.items()}
        mark_reviewed(conn, self.topic, {**offsets, **{p: new.offset for p, (_, new) in moving.items()}})

    def _advance(self, conn: Connection, read: int, new: int, retries: int | None = None) -> None:
        """Each partition past its messages up to position `new` (the batch, or the part of
        it committed) and past the repeats, in the batch's transaction."""
        if retries is not None:
            _hold_retries(conn, retries)
        last = {p: mark.position for p, mark in self.marks.items()}
        moving: dict[int, tuple[Mark | None, Mark]] = {}
        blocked: set[int] = set()
        for d in self._deliveries:
            seen = last[d.partition]
            if d.partition in blocked or (d.position > seen and d.position > new):
                blocked.add(d.partition)  # a partition moves over a prefix of its messages only
                continue
            read = self.marks[d.partition] if d.partition in self._stored else None
            last[d.partition] = max(seen, d.position)
            moving[d.partition] = (read, Mark(d.offset + 1, last[d.partition]))
        advance_marks(conn, self.topic, moving)
        if self._review_now:
            self._write_reviews(conn, moving)
        self._moving = moving

    def _moved(self) -> None:
        """After the commit: the marks as now stored."""
        for partition, (_, new) in self._moving.items():
            self.marks[partition] = new
            self._stored.add(partition)
        self._moving = {}
        if self._review_now:
            self._unreviewed.clear()

    def _stored_partitions(self, conn: Connection) -> list[int]:
        o = schema.partition_offsets.c
        return list(conn.execute(select(o.partition).where(o.topic == self.topic)).scalars())


def _hold_retries(conn: Connection, retries: int) -> None:
    """The retry count as read, locked to the commit: a retry meanwhile voids the batch."""
    t = schema.tracking.c
    held = conn.execute(
        schema.tracking.update().where(t.view == RETRIES, t.position == retries).values(position=t.position)
    )
    if held.rowcount != 1:
        raise TrackingConflict("a parked account was retried while this batch was projected")

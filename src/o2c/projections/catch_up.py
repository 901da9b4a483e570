"""A catch-up that writes one batch while it projects the next.

Far behind the log (a rebuild, a restart after a long stop, a month-end's load), the
projector would wait on PostgreSQL for every batch it writes, about half its time.
Here a full batch is projected (in memory, by the domain's code) and its rows worked
out on this thread, then written and committed with its tracking position on a
writer thread while this one projects the next. One batch at most is in flight, and
batches commit in log order: the tracking position still moves from the value read,
batch after batch, as in `ReadModelProjection._commit`.

The plain path takes over whenever anything is out of the ordinary: at the log's tail
(a partial batch: the sweep, the reviews), with a parked account, or on any failure
(a fact that cannot be projected, a write that failed). What was in flight is then
settled, the accounts kept in memory are forgotten (the next batch may have moved
them past what was committed), and `run_once` works out the rest, parking and
halving as it does."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from o2c.projections.alerting import TimedCondition
from o2c.projections.batch import Batch
from o2c.projections.parking import Parking, is_transient

if TYPE_CHECKING:
    from o2c.projections.projector import ReadModelProjection


@dataclass(frozen=True)
class _Writing:
    done: Future[None]
    batch: Batch
    span: tuple[int, int]  # the log's positions (from, to] the batch covers
    events: int


class OverlappedCatchUp:
    def __init__(self, projection: ReadModelProjection, batch_size: int) -> None:
        self.projection, self.batch_size = projection, batch_size
        self.in_flight: _Writing | None = None
        self.projected = 0  # events committed

    def run(self, max_batches: int | None = None) -> int:
        """Full batches, overlapped, until the tail, the unusual or `max_batches`; returns the events committed."""
        p = self.projection
        read, retries = p.start_round()
        before_reading_rows = p.kept.before_reading_rows
        p.kept.before_reading_rows = self.settle  # a kept account read back must include the batch in flight
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="o2c-catch-up-writer") as writer:
                batches = 0
                while not p.parked and (max_batches is None or batches < max_batches):
                    batches += 1
                    notifications = p.ledger.recorder.select_notifications(read + 1, self.batch_size)
                    if len(notifications) < self.batch_size:
                        break
                    batch, last = Batch(), notifications[-1].id
                    try:
                        seen_until = p.project_facts(notifications, Parking({}), batch, [])
                        now = p.clock()
                        conditions = p.prepare_batch(batch, now)
                        self.settle()
                    except BaseException as error:
                        self._abandon(error)
                        break
                    done = writer.submit(self._write, batch, conditions, now, seen_until, (read, last), retries)
                    self.in_flight = _Writing(done, batch, (read, last), len(notifications))
                    read = last
                try:
                    self.settle()
                except BaseException as error:
                    self._abandon(error)
        finally:
            p.kept.before_reading_rows = before_reading_rows
        return self.projected

    def settle(self) -> None:
        """Waits for the batch in flight; raises what its write raised."""
        writing, self.in_flight = self.in_flight, None
        if writing is None:
            return
        writing.done.result()
        self.projection.queue_reviews(writing.batch, writing.span)
        self.projected += writing.events

    def _write(
        self,
        batch: Batch,
        conditions: list[TimedCondition],
        now: datetime,
        seen_until: datetime,
        span: tuple[int, int],
        retries: int | None,
    ) -> None:
        p = self.projection
        with p.engine.begin() as conn:
            p.write_prepared(conn, batch, conditions, now, seen_until)
            p._advance(conn, *span, retries)

    def _abandon(self, error: BaseException) -> None:
        with suppress(BaseException):  # a batch whose write failed was not committed: run_once redoes it
            self.settle()
        self.projection._forget()
        if is_transient(error) or not isinstance(error, Exception):  # a stop, a dying process: not ours to handle
            raise error

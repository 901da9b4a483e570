"""The read-model projection: follows the ledger's notification log and keeps
the read model's tables, exactly once.

Each batch of notifications is applied in one transaction together with the
new tracking position; the position is advanced only from the value read at
the start (`WHERE position = :read`), so a crash, a rerun or a second
projector can neither skip nor double-count an event. Account states are
rebuilt with the domain's own code (`event.mutate`), at exactly the version
the projection has reached, so derived amounts (what an invoice consumed of
its order, when a credit counts) are the ledger's, not recomputed here.

A fact that cannot be projected parks its account (projections/parking.py): the
batch is worked out again with that account's facts set aside, from the failing
one on, and committed with them as parked rows, in the same transaction as the
tracking position; every other account goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from o2c.domain.account import RESERVED_PREFIX, CustomerAccount
from o2c.domain.fx_rates import FX_PREFIX
from o2c.domain.risk import DEFAULT_WEIGHTS, RiskWeights
from o2c.ledger.application import Ledger
from o2c.projections import schema
from o2c.projections.account_facts import project_account_fact
from o2c.projections.alerting import (
    TimedCondition,
    batch_conditions,
    timed_alerts,
)
from o2c.projections.batch import Batch
from o2c.projections.bulk import insert_rows
from o2c.projections.catch_up import OverlappedCatchUp
from o2c.projections.collecting import case_row
from o2c.projections.kept import KeptAccounts
from o2c.projections.parking import (
    Parking,
    Unprojectable,
    first_positions,
    is_transient,
    parked_row,
    raised_alert,
    start_counting,
)
from o2c.projections.risk_review import RiskReview
from o2c.projections.rows import account_row
from o2c.projections.rules import alert_rows, held_rules, settle_rules
from o2c.projections.settings import project_setting
from o2c.projections.status import add_errors
from o2c.projections.sweep import DailySweep, alert_states
from o2c.projections.tracking import VIEW, TrackingConflict, advance, read_position

__all__ = ["BATCH", "VIEW", "ReadModelProjection", "TrackingConflict"]  # VIEW, TrackingConflict: tracking.py

BATCH = 3000  # events per transaction: a catch-up of 60,000 ran at 4,800/s by 1,000, 6,000/s by 3,000 or 5,000
# Far behind, an account's rows are written once a batch however many of its facts it
# holds: 1,000,000 facts over 10,000 accounts caught up at 5,535/s by 10,000 (3,650 by
# 3,000); 300,000 over 3,000 at 8,100/s by 10,000, 7,800 by 20,000, 7,400 by 40,000.
CATCH_UP_BATCH = 10_000


class ReadModelProjection:
    def __init__(
        self,
        ledger: Ledger,
        engine: Engine,
        clock: Callable[[], datetime] | None = None,
        risk_weights: RiskWeights = DEFAULT_WEIGHTS,
    ) -> None:
        self.ledger = ledger
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self.kept = KeptAccounts(ledger, engine, self.clock)
        self._settings: dict[str, Any] = {}  # scenarios and budgets: few, small
        self.sweep = DailySweep(self)
        self.review = RiskReview(engine, self._account_now, self.clock, risk_weights)
        self._parked: dict[str, int] | None = None  # parked account -> its first parked position
        self._retries_known: int | None = None  # the retry count `_parked` was read at
        self._retries_seen: int | None = None  # the retry count read with the position
        self._resumed = False  # the risk review's queue, as the read model left it
        self.shard = 0  # its rows of the portfolio sums (batch.Batch.shard)

    def position(self, conn: Connection | None = None) -> int:
        """Where the read model is; the retry count is read with it (see parking.RETRIES)."""
        if conn is None:
            with self.engine.connect() as c:
                return self.position(c)
        position, self._retries_seen = read_position(conn)
        return position

    @property
    def parked(self) -> dict[str, int]:
        """Parked accounts -> their first parked position, as this projector knows them."""
        if self._parked is None:
            self._read_parked(self._retries_seen)
        assert self._parked is not None
        return self._parked

    def _read_parked(self, retries: int | None) -> None:
        if self._parked is not None:
            self.sweep.pending = True  # a retry may have left alerts to the sweep
        with self.engine.connect() as conn:
            self._parked = first_positions(conn)
        self._retries_known = retries

    # -- processing ----------------------------------------------------------------

    def start_round(self) -> tuple[int, int | None]:
        """Where the read model is, and the retry count read with it; the parked accounts
        and the risk review's queue as the read model left them."""
        read = self.position()
        retries = self._retries_seen
        if self._parked is None or retries != self._retries_known:
            self._read_parked(retries)  # at start, and after a retry
        if not self._resumed:
            self.review.resume(read)
            self._resumed = True
        return read, retries

    def run_once(self, limit: int = BATCH) -> int:
        """Projects the next notifications, if any; returns how many."""
        read, retries = self.start_round()
        notifications = self.ledger.recorder.select_notifications(read + 1, limit)
        caught_up = len(notifications) < limit
        done = 0
        if notifications:
            done = self._commit(read, retries, notifications, caught_up)
            caught_up = caught_up and done == len(notifications)
        if caught_up:
            self.sweep.run_if_due()
            self.review.review_some()
        return done

    def _commit(self, read: int, retries: int | None, notifications: Sequence[Any], caught_up: bool) -> int:
        """Projects `notifications` (or, after a failure nobody can be blamed for, as
        many of the first as succeed) in one transaction; returns how many."""
        parking, count, failures = Parking({}), len(notifications), 0
        last_failure: Unprojectable | None = None
        while True:
            batch, parked_rows, chunk = Batch(shard=self.shard), [], notifications[:count]
            try:
                last_recorded_at = self.project_facts(chunk, parking, batch, parked_rows)
                now = self.clock()
                seen_until = now if caught_up and count == len(notifications) else last_recorded_at
                waiting = self.parked.keys() | parking.failed.keys()
                with self.engine.begin() as conn:
                    self.write_batch(conn, batch, now, seen_until, waiting)
                    insert_rows(conn, schema.parked, parked_rows)
                    if parking.failed:
                        start_counting(conn)
                    if failures:
                        add_errors(conn, failures, str(last_failure), now)
                    self._advance(conn, read, chunk[-1].id, retries)
                break
            except Unprojectable as failed:
                # A fact of this account failed: set the account aside from it on, and again.
                self._forget(batch, failed.code)
                parking.failed[failed.code] = failed
                failures, last_failure = failures + 1, failed
            except BaseException as error:
                self._forget()
                if is_transient(error):
                    raise
                # The write failed: the fact to blame is found by halving the batch.
                failures, last_failure = failures + 1, Unprojectable(chunk[0].originator_id, chunk[0], error)
                if count > 1:
                    count //= 2
                    parking = parking.within(notifications[count - 1].id)
                elif not parking.holds(chunk[0].originator_id, chunk[0].id):
                    parking.failed[chunk[0].originator_id] = last_failure
                else:
                    raise  # parking the fact failed too: retried as before, never skipped
        self.parked.update({code: failed.position for code, failed in parking.failed.items()})
        self.queue_reviews(batch, (read, chunk[-1].id))
        return count

    def queue_reviews(self, batch: Batch, span: tuple[int, int]) -> None:
        self.review.enqueue(batch.touched, span)

    def owns(self, code: str) -> bool:
        """Whether the account is this projector's to sweep and review (a Kafka worker's: its partitions')."""
        return True

    def project_facts(
        self,
        notifications: Sequence[Any],
        parking: Parking,
        batch: Batch,
        parked_rows: list[dict[str, Any]],
        parked: dict[str, int] | None = None,
    ) -> datetime:
        """Projects each fact into `batch`, a parked account's into `parked_rows`;
        returns when the last projected fact was recorded."""
        last_recorded_at, now = self.clock(), None
        parked = self.parked if parked is None else parked
        for notification in notifications:
            code = notification.originator_id
            if (parked and code in parked) or (parking.failed and parking.holds(code, notification.id)):
                failed = parking.failed.get(code)
                first = failed if failed is not None and failed.position == notification.id else None
                row = parked_row(notification, now or (now := self.clock()), first)
                parked_rows.append(row)
                if first is not None:
                    batch.alerts.append(raised_alert(row))
                continue
            event = None
            try:
                event = self.ledger.mapper.to_domain_event(notification)
                self._project(event, notification.id, batch)
            except Exception as error:
                if is_transient(error):
                    raise
                raise Unprojectable(code, notification, error, event) from error
            last_recorded_at = event.timestamp
        return last_recorded_at

    def write_batch(
        self, conn: Connection, batch: Batch, now: datetime, seen_until: datetime, waiting: Set[str] = frozenset()
    ) -> None:
        """Writes a projected batch (its cases, its timed alerts) in the caller's transaction.
        The timed alerts of `waiting` (parked) accounts wait with their facts: a payment
        parked has not been seen, so the alert it would have prevented is not raised.
        A condition that already ended, though, was ended by a fact projected here, before
        the parked one: it is decided, and written now (raised and cleared, or cleared).
        Nothing would come back to it after the retry: the retry's batch holds only what
        the parked facts touch, and the sweep looks only at what is still open."""
        conditions = self.prepare_batch(batch, now, waiting)
        self.write_prepared(conn, batch, conditions, now, seen_until, waiting)

    def prepare_batch(self, batch: Batch, now: datetime, waiting: Set[str] = frozenset()) -> list[TimedCondition]:
        """What the batch's rows and timed conditions are, from the accounts as projected:
        worked out before the next batch moves them on (catch_up.py writes meanwhile)."""
        # Each touched account's rows once, as its last fact left it (not at every fact).
        for code, position in batch.positions.items():
            batch.accounts[code] = account_row(batch.touched[code], position)
        for code, case_position in batch.cases.items():
            batch.collections[code] = case_row(batch.touched[code], case_position)
        conditions = batch_conditions(batch, now.date())
        if waiting:
            conditions = [c for c in conditions if c.ended_at is not None or c.account not in waiting]
        return conditions

    def write_prepared(
        self,
        conn: Connection,
        batch: Batch,
        conditions: list[TimedCondition],
        now: datetime,
        seen_until: datetime,
        waiting: Set[str] = frozenset(),
    ) -> None:
        # One read of the timed alerts the batch may change: its conditions' and its rules'.
        alerts = alert_rows(conn, {(c.account, c.type, c.subject) for c in conditions} | held_rules(batch))
        self.sweep.pending |= timed_alerts(batch, conditions, alert_states(alerts), seen_until, now)
        self.sweep.pending |= settle_rules(batch, alerts, seen_until, waiting, now)
        batch.write(conn)

    def _forget(self, batch: Batch | None = None, code: str | None = None) -> None:
        """After a failed batch: kept accounts may now be ahead of what was committed."""
        self._settings.clear()
        self.kept.forget(None if batch is None else (*batch.touched, code))

    def run_until_caught_up(self) -> int:
        """Projects to the end of the log, then reviews every account its batches
        touched: a position reached is a risk reviewed (reviewed.py), so a view that
        waits for it after a rebuild or a catch-up does not wait for the reviews."""
        total = self.catch_up()
        while processed := self.run_once():
            total += processed
        while self.review.review_some():
            pass
        return total

    def catch_up(self, max_batches: int | None = None) -> int:
        """Full batches, each written while the next is projected (catch_up.py), until the
        log's tail or anything unusual, which `run_once` then takes; returns how many events."""
        return OverlappedCatchUp(self, CATCH_UP_BATCH).run(max_batches)

    def _advance(self, conn: Connection, read: int, new: int, retries: int | None = None) -> None:
        advance(conn, read, new, retries)

    def _project(self, event: Any, position: int, batch: Batch) -> None:
        code = event.originator_id
        if code.startswith(RESERVED_PREFIX):
            self._project_setting(event, batch)
            return
        project_account_fact(self.kept, event, position, batch)

    def _account_now(self, code: str) -> CustomerAccount | None:
        kept = self.kept.get(code)
        if kept is not None:
            return kept.account
        account = self.ledger.repository.get(code)
        return account if isinstance(account, CustomerAccount) else None

    def _project_setting(self, event: Any, batch: Batch) -> None:
        code, version_before = event.originator_id, event.originator_version - 1
        before = self._settings.get(code)
        if version_before and (before is None or before.version != version_before):
            before = self.ledger.repository.get(code, version=version_before)
        aggregate = event.mutate(before if version_before else None)
        if not code.startswith(FX_PREFIX):  # a day of rates rarely changes again; there is one per day
            self._settings[code] = aggregate
        project_setting(aggregate, event.timestamp, batch)

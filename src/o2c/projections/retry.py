"""Retrying a parked account: its parked facts are projected in order, from the
account as the read model holds it (the version before its first parked fact),
in one transaction that deletes the parked rows it applied. The tracking position
has moved past them: each fact is projected at its own position and recording
time, so the rows are those a clean run would have written. If a fact still
fails, those before it are applied and it and the rest stay parked, with the new
error. The retry counts itself first (parking.count_retry): a projector's batch
worked out meanwhile is rolled back and worked out again with fresh parked accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Notification
from sqlalchemy import Connection, delete, select, update

from o2c.projections import schema
from o2c.projections.batch import Batch, write_alerts
from o2c.projections.parking import (
    P,
    Parking,
    Unprojectable,
    alert_details,
    cleared_alert,
    count_retry,
    describe,
    is_transient,
    update_alert_details,
)
from o2c.projections.projector import VIEW, ReadModelProjection


@dataclass(frozen=True)
class Retried:
    account: str
    applied: int  # parked facts now projected
    still_parked: int
    error: str | None  # why the first of those still parked failed

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "applied": self.applied, "still_parked": self.still_parked,
                "error": self.error}  # fmt: skip


class _Shrink(Exception):
    def __init__(self, limit: int, error: BaseException) -> None:
        super().__init__(str(error))
        self.limit, self.error = limit, error


def retry_account(make_projection: Callable[[], ReadModelProjection], account: str) -> Retried | None:
    """None when the account has nothing parked."""
    applied, limit = 0, None
    while True:
        projection = make_projection()  # fresh kept accounts: nothing ahead of the database
        try:
            outcome = _attempt(projection, account, limit)
        except _Shrink as shrink:
            if shrink.limit == 0:
                left = _record_error(projection, account, describe(shrink.error))
                return Retried(account, applied, left, describe(shrink.error))
            limit = shrink.limit
            continue
        if outcome is None:
            return None if applied == 0 else Retried(account, applied, 0, None)
        done, left = outcome
        applied, limit = applied + done, None
        if left == 0:
            return Retried(account, applied, 0, None)


def retry_all(make_projection: Callable[[], ReadModelProjection]) -> list[Retried]:
    with make_projection().engine.connect() as conn:
        accounts = list(conn.execute(select(P.account).group_by(P.account).order_by(P.account)).scalars())
    return [r for a in accounts if (r := retry_account(make_projection, a)) is not None]


def _attempt(projection: ReadModelProjection, account: str, limit: int | None) -> tuple[int, int] | None:
    """Applies the account's first `limit` parked facts (all if None); returns
    (applied, still parked), or None if nothing is parked."""
    batch, now, todo = Batch(), projection.clock(), []
    try:
        with projection.engine.begin() as conn:
            count_retry(conn)  # first: orders this retry with the projectors' batches
            rows = conn.execute(select(schema.parked).where(P.account == account).order_by(P.position)).all()
            if not rows:
                return None
            todo = rows[:limit] if limit else rows
            notifications = _notifications(projection, account, todo)
            try:
                last_recorded = projection.project_facts(notifications, Parking({}), batch, [], parked={})
            except Unprojectable as failed:
                raise _Shrink([r.position for r in todo].index(failed.position), failed.error) from failed
            # Facts still parked after these: the account's open conditions wait with them.
            waiting = {account} if len(todo) < len(rows) else frozenset()
            projection.write_batch(conn, batch, now, _seen_until(projection, conn, now, last_recorded), waiting)
            conn.execute(delete(schema.parked).where(P.account == account, P.position <= todo[-1].position))
            if len(todo) == len(rows):
                write_alerts(conn, [cleared_alert(account, now)])
    except _Shrink:
        raise
    except Exception as error:
        if is_transient(error) or not todo:
            raise
        # Written but not committed: the fact to blame is found by halving.
        raise _Shrink(len(todo) // 2, error) from error
    projection.review.enqueue(batch.touched)
    projection.review.review_some()
    return len(todo), len(rows) - len(todo)


def _notifications(projection: ReadModelProjection, account: str, rows: list[Any]) -> list[Notification]:
    """The parked facts as the log holds them, at their own positions."""
    stored = projection.ledger.recorder.select_events(account, gt=rows[0].version - 1, lte=rows[-1].version)
    by_version = {s.originator_version: s for s in stored}
    return [
        Notification(originator_id=account, originator_version=r.version, topic=by_version[r.version].topic,
                     state=by_version[r.version].state, id=r.position)
        for r in rows
    ]  # fmt: skip


def _seen_until(projection: ReadModelProjection, conn: Connection, now: datetime, last_recorded: datetime) -> datetime:
    """What the read model has seen: every fact up to its position (the retried
    account's included, all being applied now). An alert that time raises later
    than the fact there is left to the sweep, as a live batch would leave it."""
    head = conn.execute(select(schema.tracking.c.position).where(schema.tracking.c.view == VIEW)).scalar() or 0
    if head >= (projection.ledger.recorder.max_notification_id() or 0):
        return now
    try:
        (at_head,) = projection.ledger.recorder.select_notifications(head, 1)
        return max(projection.ledger.mapper.to_domain_event(at_head).timestamp, last_recorded)
    except Exception:
        return last_recorded  # a fact that cannot be read: leave more to the sweep


def _record_error(projection: ReadModelProjection, account: str, error: str) -> int:
    """The account's first parked fact failed again: its new error; returns how many stay parked."""
    with projection.engine.begin() as conn:
        count_retry(conn)
        rows = conn.execute(select(schema.parked).where(P.account == account).order_by(P.position)).all()
        if not rows:
            return 0
        first = rows[0]
        conn.execute(update(schema.parked).where(P.position == first.position).values(error=error))
        update_alert_details(conn, account, alert_details(first.position, first.type, first.event_id, error))
        return len(rows)

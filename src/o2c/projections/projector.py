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

from collections import OrderedDict
from collections.abc import Callable, Sequence, Set
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, insert, select, update
from sqlalchemy.exc import IntegrityError

from o2c.domain.account import RESERVED_PREFIX, CustomerAccount
from o2c.domain.alerts import ACCOUNT_ALERTS, Totals
from o2c.domain.cases import LEAVE_THE_CASE
from o2c.domain.collections import MOVE_COMMITMENTS
from o2c.domain.money import ZERO
from o2c.domain.risk import DEFAULT_WEIGHTS, RiskWeights
from o2c.domain.valuation import position as value
from o2c.ledger.application import Ledger
from o2c.projections import schema
from o2c.projections.alerting import (
    Commitment,
    Projected,
    TimedCondition,
    balance_alerts,
    batch_conditions,
    broken_condition,
    event_alerts,
    overdue_condition,
    timed_alerts,
)
from o2c.projections.batch import Batch, write_alerts
from o2c.projections.bulk import insert_rows
from o2c.projections.collecting import case_row, track_commitments
from o2c.projections.lines import Line, lines_for
from o2c.projections.parking import (
    ALERT,
    RETRIES,
    Parking,
    Unprojectable,
    first_positions,
    is_transient,
    parked_row,
    raised_alert,
    start_counting,
)
from o2c.projections.risk_review import RISK_SUBJECT, RiskReview
from o2c.projections.settings import project_setting
from o2c.projections.status import add_errors
from o2c.projections.units import to_units

VIEW = "read_model"
BATCH = 1000
KEPT_ACCOUNTS = 50_000
_TOTAL = {
    "receivable": "outstanding",
    "uninvoiced": "uninvoiced",
    "unapplied": "unapplied_cash",
    "disputed": "disputed",
}


class TrackingConflict(Exception):
    """Another projector moved the tracking position: this batch is void."""


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
        self._kept: OrderedDict[str, Projected] = OrderedDict()
        self._settings: dict[str, Any] = {}  # scenarios and budgets: few, small
        self._swept_on: date | None = None
        self._sweep_pending = False  # overdue alerts left for the sweep once caught up
        self.review = RiskReview(engine, self._account_now, self.clock, risk_weights)
        self._parked: dict[str, int] | None = None  # parked account -> its first parked position
        self._retries_known: int | None = None  # the retry count `_parked` was read at
        self._retries_seen: int | None = None  # the retry count read with the position

    def position(self, conn: Connection | None = None) -> int:
        """Where the read model is; the retry count is read with it (see parking.RETRIES)."""
        if conn is None:
            with self.engine.connect() as c:
                return self.position(c)
        t = schema.tracking.c
        rows = conn.execute(select(t.view, t.position).where(t.view.in_((VIEW, RETRIES))))
        found = {r.view: r.position for r in rows}
        self._retries_seen = found.get(RETRIES)
        return int(found.get(VIEW) or 0)

    @property
    def parked(self) -> dict[str, int]:
        """Parked accounts -> their first parked position, as this projector knows them."""
        if self._parked is None:
            self._read_parked(self._retries_seen)
        assert self._parked is not None
        return self._parked

    def _read_parked(self, retries: int | None) -> None:
        if self._parked is not None:
            self._sweep_pending = True  # a retry may have left alerts to the sweep
        with self.engine.connect() as conn:
            self._parked = first_positions(conn)
        self._retries_known = retries

    # -- processing ----------------------------------------------------------------

    def run_once(self, limit: int = BATCH) -> int:
        """Projects the next notifications, if any; returns how many."""
        read = self.position()
        retries = self._retries_seen
        if self._parked is None or retries != self._retries_known:
            self._read_parked(retries)  # at start, and after a retry
        notifications = self.ledger.recorder.select_notifications(read + 1, limit)
        caught_up = len(notifications) < limit
        done = 0
        if notifications:
            done = self._commit(read, retries, notifications, caught_up)
            caught_up = caught_up and done == len(notifications)
        if caught_up:
            self.sweep_if_due()
            self.review.review_some()
        return done

    def _commit(self, read: int, retries: int | None, notifications: Sequence[Any], caught_up: bool) -> int:
        """Projects `notifications` (or, after a failure nobody can be blamed for, as
        many of the first as succeed) in one transaction; returns how many."""
        parking, count, failures = Parking({}), len(notifications), 0
        last_failure: Unprojectable | None = None
        while True:
            batch, parked_rows, chunk = Batch(), [], notifications[:count]
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
        self.review.enqueue(batch.touched)
        return count

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
        for code, case_position in batch.cases.items():
            batch.collections[code] = case_row(batch.touched[code], case_position)
        conditions = batch_conditions(batch, now.date())
        if waiting:
            conditions = [c for c in conditions if c.ended_at is not None or c.account not in waiting]
        known = _alert_states(conn, conditions)
        self._sweep_pending |= timed_alerts(batch, conditions, known, seen_until, now)
        batch.write(conn)

    def _forget(self, batch: Batch | None = None, code: str | None = None) -> None:
        """After a failed batch: kept accounts may now be ahead of what was committed."""
        self._settings.clear()
        if batch is None:
            self._kept.clear()
            return
        for touched in (*batch.touched, code):
            self._kept.pop(touched, None)  # type: ignore[arg-type]

    def run_until_caught_up(self) -> int:
        total = 0
        while processed := self.run_once():
            total += processed
        return total

    def _advance(self, conn: Connection, read: int, new: int, retries: int | None = None) -> None:
        t = schema.tracking.c
        if read == 0 and conn.execute(select(t.view).where(t.view == VIEW)).first() is None:
            try:
                conn.execute(insert(schema.tracking).values(view=VIEW, position=new))
            except IntegrityError as e:  # another projector's first batch won: no fact's fault
                raise TrackingConflict(f"{VIEW} was started by another projector") from e
            return
        if retries is None:  # nothing was ever parked: the statement as before
            moved = conn.execute(update(schema.tracking).where(t.view == VIEW, t.position == read).values(position=new))
            if moved.rowcount != 1:
                raise TrackingConflict(f"{VIEW} moved from {read} while this batch was projected")
            return
        # The position moves only if no retry ran meanwhile (both rows as read; one statement).
        moved = conn.execute(
            update(schema.tracking)
            .where(((t.view == VIEW) & (t.position == read)) | ((t.view == RETRIES) & (t.position == retries)))
            .values(position=case((t.view == VIEW, new), else_=t.position))
        )
        if moved.rowcount != 2:
            raise TrackingConflict(f"{VIEW} moved from {read}, or a retry ran, while this batch was projected")

    def _project(self, event: Any, position: int, batch: Batch) -> None:
        code = event.originator_id
        if code.startswith(RESERVED_PREFIX):
            self._project_setting(event, batch)
            return
        projected = self._projected(code, event.originator_version - 1)
        rating_before = projected.account.rating if projected else None
        account = event.mutate(projected.account if projected else None)
        if projected is None:
            projected = Projected(account, Totals(account.credit_limit, account.insured_limit, *(ZERO,) * 4))
            self._keep(code, projected)
        totals = projected.totals
        totals.credit_limit, totals.insured_limit = account.credit_limit, account.insured_limit
        at: datetime = event.timestamp
        kind = type(event).__name__
        if kind == "InvoiceIssued":
            projected.recorded_at[event.invoice_id] = at
        for line in lines_for(event, account):
            self._add_line(batch, code, position, line, account, at)
            if line.measure != "sales":
                setattr(totals, _TOTAL[line.measure], getattr(totals, _TOTAL[line.measure]) + line.amount)
        if kind in MOVE_COMMITMENTS:
            track_commitments(projected, at, batch)
        if kind not in LEAVE_THE_CASE:
            # Written at the position of the last fact that changed it, however batched.
            batch.cases[code] = position
        event_alerts(event, projected, rating_before, batch)
        balance_alerts(projected, batch, at)
        batch.accounts[code] = account_row(projected, position)
        batch.touched[code] = projected

    def _account_now(self, code: str) -> CustomerAccount | None:
        kept = self._kept.get(code)
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
        self._settings[code] = aggregate
        project_setting(aggregate, event.timestamp, batch)

    def _add_line(
        self, batch: Batch, code: str, position: int, line: Line, account: CustomerAccount, at: datetime
    ) -> None:
        units = to_units(line.amount)
        if line.measure == "receivable":
            assert line.due_date is not None
            batch.receivables[(account.currency, line.due_date, line.effective_date)] += units
        else:
            batch.balances[(account.currency, line.measure, line.effective_date)] += units
        if line.measure == "sales":
            return
        batch.lines.append({
            "position": position, "account": code, "measure": line.measure, "ref": line.ref,
            "due_date": line.due_date, "effective_date": line.effective_date, "amount": units,
        })  # fmt: skip
        if line.measure in ("receivable", "disputed"):
            invoice = account.invoices[line.ref]
            row = batch.invoices.setdefault((code, line.ref), {"recorded_at": at, "settled_at": None})
            row.update(
                account=code, invoice_id=invoice.invoice_id, amount=to_units(invoice.amount),
                issue_date=invoice.issue_date, due_date=invoice.due_date,
                open_balance=to_units(invoice.open_balance), disputed=to_units(invoice.disputed_on(None)),
            )  # fmt: skip
            if invoice.open_balance == 0 and row["settled_at"] is None:
                row["settled_at"] = at

    # -- accounts as projected ---------------------------------------------------------

    def _keep(self, code: str, projected: Projected) -> None:
        self._kept[code] = projected
        while len(self._kept) > KEPT_ACCOUNTS:
            self._kept.popitem(last=False)

    def _projected(self, code: str, version_before: int) -> Projected | None:
        kept = self._kept.get(code)
        if kept is not None and kept.account.version == version_before:
            self._kept.move_to_end(code)
            return kept
        if version_before == 0:
            return None
        projected = self._load(code, version_before)
        self._keep(code, projected)
        return projected

    def _load(self, code: str, version: int) -> Projected:
        """The account at `version` from the event store, and its alert state from the read model."""
        account = self.ledger.repository.get(code, version=version)
        assert isinstance(account, CustomerAccount)
        p = value(account, None, self.clock().date())
        totals = Totals(account.credit_limit, account.insured_limit, p.outstanding, p.uninvoiced,
                        p.unapplied_cash, p.disputed)  # fmt: skip
        projected = Projected(account, totals)
        a, i = schema.alerts.c, schema.invoices.c
        with self.engine.connect() as conn:
            # Overdue and broken-promise alerts are read as each batch needs them; the
            # risk review's downgrades are the review's own.
            open_alerts = select(a.type, a.subject).where(
                a.account == code, a.cleared_at.is_(None), a.type.not_in(("overdue", "promise_broken", ALERT)),
                ~((a.type == "rating_downgraded") & (a.subject == RISK_SUBJECT)),
            )  # fmt: skip
            for alert in conn.execute(open_alerts):
                projected.open_alerts.add((alert.type, "" if alert.type in ACCOUNT_ALERTS else alert.subject))
            for invoice in conn.execute(select(i.invoice_id, i.recorded_at).where(i.account == code)):
                projected.recorded_at[invoice.invoice_id] = _utc(invoice.recorded_at)
            for c in conn.execute(select(schema.commitments).where(schema.commitments.c.account == code)):
                ended_at = None if c.ended_at is None else _utc(c.ended_at)
                commitment = Commitment(c.broken_on, _utc(c.recorded_at), ended_at)
                projected.commitments[(c.kind, c.commitment_id)] = commitment
        return projected

    # -- time passing ----------------------------------------------------------------------

    def sweep_if_due(self) -> None:
        """Invoices become overdue, and promises and plans break, with no fact
        recorded: once a day (and at start), and whenever a batch left raises to it,
        raise the alerts that time alone has brought. Only when caught up: what the
        read model shows open is then what the ledger knows open."""
        now = self.clock()
        if self._swept_on == now.date() and not self._sweep_pending:
            return
        if self._swept_on != now.date():
            self.review.enqueue_all()  # a new day: every account's risk, as of today
        i, k, a = schema.invoices.c, schema.commitments.c, schema.alerts.c

        def no_alert(account: Any, type_: str, subject: Any) -> Any:
            return ~select(a.id).where(a.account == account, a.type == type_, a.subject == subject).exists()

        with self.engine.begin() as conn:
            past_due = conn.execute(
                select(i.account, i.invoice_id, i.due_date, i.recorded_at)
                .where(i.open_balance > 0, i.due_date < now.date(), no_alert(i.account, "overdue", i.invoice_id))
            )  # fmt: skip
            conditions = [overdue_condition(r.account, r.invoice_id, r.due_date, _utc(r.recorded_at), None)
                          for r in past_due]  # fmt: skip
            broken = conn.execute(
                select(k.account, k.kind, k.commitment_id, k.broken_on, k.recorded_at)
                .where(k.broken_on <= now.date(), k.ended_at.is_(None),
                       no_alert(k.account, "promise_broken", k.kind + ":" + k.commitment_id))
            )  # fmt: skip
            conditions += [
                broken_condition(r.account, r.kind, r.commitment_id, Commitment(r.broken_on, _utc(r.recorded_at), None))
                for r in broken
            ]
            if parked := self.parked:  # a parked account's invoices and promises wait with its facts
                conditions = [c for c in conditions if c.account not in parked]
            batch = Batch()
            timed_alerts(batch, conditions, {}, now, now)
            write_alerts(conn, batch.alerts)
        self._swept_on = now.date()
        self._sweep_pending = False


def _alert_states(conn: Connection, conditions: list[TimedCondition]) -> dict[tuple[str, str, str], bool]:
    """(account, type, subject) -> whether its alert is open, for the conditions
    given that have one. Read from the read model, not kept: another projector's
    sweep may have raised it. By account (the alerts' index), filtered here."""
    a = schema.alerts.c
    wanted = {(c.account, c.type, c.subject) for c in conditions}
    accounts = sorted({c.account for c in conditions})
    found: dict[tuple[str, str, str], bool] = {}
    for start in range(0, len(accounts), 1000):
        chunk = accounts[start : start + 1000]
        members = set(chunk)
        subjects = sorted({c.subject for c in conditions if c.account in members})
        rows = conn.execute(
            select(a.account, a.type, a.subject, a.cleared_at).where(
                a.account.in_(chunk), a.type.in_(("overdue", "promise_broken")), a.subject.in_(subjects)
            )
        )
        for r in rows:
            if (r.account, r.type, r.subject) in wanted:
                found[(r.account, r.type, r.subject)] = r.cleared_at is None
    return found


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored moment is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def account_row(projected: Projected, position: int) -> dict[str, Any]:
    account, t = projected.account, projected.totals
    rating = {k: None if v is None else str(v) for k, v in account.rating.items()} if account.rating else None
    return {
        "account": account.id, "name": account.name, "currency": account.currency,
        "credit_limit": to_units(account.credit_limit),
        "insured_limit": None if account.insured_limit is None else to_units(account.insured_limit),
        "payment_terms_days": account.payment_terms_days, "risk_class": account.risk_class, "rating": rating,
        "outstanding": to_units(t.outstanding), "uninvoiced": to_units(t.uninvoiced),
        "unapplied_cash": to_units(t.unapplied_cash), "disputed": to_units(t.disputed),
        "exposure": to_units(t.exposure), "version": account.version, "position": position,
    }  # fmt: skip

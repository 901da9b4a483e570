"""The read-model projection: follows the ledger's notification log and keeps
the read model's tables, exactly once.

Each batch of notifications is applied in one transaction together with the
new tracking position; the position is advanced only from the value read at
the start (`WHERE position = :read`), so a crash, a rerun or a second
projector can neither skip nor double-count an event. Account states are
rebuilt with the domain's own code (`event.mutate`), at exactly the version
the projection has reached, so derived amounts (what an invoice consumed of
its order, when a credit counts) are the ledger's, not recomputed here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, tuple_, update

from o2c.domain.account import RESERVED_PREFIX, CustomerAccount
from o2c.domain.alerts import ACCOUNT_ALERTS, Totals, overdue_interval
from o2c.domain.money import ZERO
from o2c.domain.valuation import position as value
from o2c.ledger.application import Ledger
from o2c.projections import schema
from o2c.projections.alerting import Projected, balance_alerts, event_alerts, overdue_alerts, overdue_row
from o2c.projections.batch import Batch, write_alerts
from o2c.projections.lines import Line, lines_for
from o2c.projections.settings import project_setting
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
    def __init__(self, ledger: Ledger, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.ledger = ledger
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self._kept: OrderedDict[str, Projected] = OrderedDict()
        self._settings: dict[str, Any] = {}  # scenarios and budgets: few, small
        self._swept_on: date | None = None
        self._sweep_pending = False  # overdue alerts left for the sweep once caught up

    def position(self, conn: Connection | None = None) -> int:
        if conn is None:
            with self.engine.connect() as c:
                return self.position(c)
        found = conn.execute(select(schema.tracking.c.position).where(schema.tracking.c.view == VIEW)).scalar()
        return int(found or 0)

    # -- processing ----------------------------------------------------------------

    def run_once(self, limit: int = BATCH) -> int:
        """Projects the next notifications, if any; returns how many."""
        read = self.position()
        notifications = self.ledger.recorder.select_notifications(read + 1, limit)
        caught_up = len(notifications) < limit
        if notifications:
            batch = Batch()
            try:
                last_recorded_at = self.clock()
                for notification in notifications:
                    event = self.ledger.mapper.to_domain_event(notification)
                    self._project(event, notification.id, batch)
                    last_recorded_at = event.timestamp
                now = self.clock()
                with self.engine.begin() as conn:
                    known = _overdue_alerts_of(conn, batch.invoices)
                    seen_until = now if caught_up else last_recorded_at
                    self._sweep_pending |= overdue_alerts(batch, self._kept, known, seen_until, now)
                    batch.write(conn)
                    self._advance(conn, read, notifications[-1].id)
            except BaseException:
                # Kept accounts may now be ahead of what was committed.
                self._kept.clear()
                self._settings.clear()
                raise
        if caught_up:
            self.sweep_if_due()
        return len(notifications)

    def run_until_caught_up(self) -> int:
        total = 0
        while processed := self.run_once():
            total += processed
        return total

    def _advance(self, conn: Connection, read: int, new: int) -> None:
        t = schema.tracking.c
        if read == 0 and conn.execute(select(t.view).where(t.view == VIEW)).first() is None:
            conn.execute(insert(schema.tracking).values(view=VIEW, position=new))
            return
        moved = conn.execute(update(schema.tracking).where(t.view == VIEW, t.position == read).values(position=new))
        if moved.rowcount != 1:
            raise TrackingConflict(f"{VIEW} moved from {read} while this batch was projected")

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
        if type(event).__name__ == "InvoiceIssued":
            projected.recorded_at[event.invoice_id] = at
        for line in lines_for(event, account):
            self._add_line(batch, code, position, line, account, at)
            if line.measure != "sales":
                setattr(totals, _TOTAL[line.measure], getattr(totals, _TOTAL[line.measure]) + line.amount)
        event_alerts(event, projected, rating_before, batch)
        balance_alerts(projected, batch, at)
        batch.accounts[code] = account_row(projected, position)

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
            open_alerts = select(a.type, a.subject).where(
                a.account == code, a.cleared_at.is_(None), a.type != "overdue"
            )
            for alert in conn.execute(open_alerts):
                projected.open_alerts.add((alert.type, "" if alert.type in ACCOUNT_ALERTS else alert.subject))
            for invoice in conn.execute(select(i.invoice_id, i.recorded_at).where(i.account == code)):
                projected.recorded_at[invoice.invoice_id] = _utc(invoice.recorded_at)
        return projected

    # -- time passing ----------------------------------------------------------------------

    def sweep_if_due(self) -> None:
        """Invoices become overdue with no fact recorded: once a day (and at start),
        and whenever a batch left raises to it, raise the overdue alerts that time
        alone has brought. Only when caught up: what the read model shows open is then
        what the ledger knows open."""
        now = self.clock()
        if self._swept_on == now.date() and not self._sweep_pending:
            return
        i = schema.invoices.c
        with self.engine.begin() as conn:
            open_past_due = conn.execute(
                select(i.account, i.invoice_id, i.due_date, i.recorded_at)
                .where(i.open_balance > 0, i.due_date < now.date())
                .where(~select(schema.alerts.c.id).where(
                    schema.alerts.c.account == i.account, schema.alerts.c.type == "overdue",
                    schema.alerts.c.subject == i.invoice_id).exists())
            ).all()  # fmt: skip
            raises = []
            for invoice in open_past_due:
                interval = overdue_interval(invoice.due_date, _utc(invoice.recorded_at), None, now)
                if interval is not None:
                    raises.append(
                        ("raise", overdue_row(invoice.account, invoice.invoice_id, invoice.due_date, *interval))
                    )
            write_alerts(conn, raises)
        self._swept_on = now.date()
        self._sweep_pending = False


def _overdue_alerts_of(conn: Connection, invoices: Mapping[tuple[str, str], Any]) -> dict[tuple[str, str], bool]:
    """(account, invoice) -> whether its overdue alert is open, for the invoices given
    that have one. Read from the read model, not kept: another projector's sweep may
    have raised it."""
    a = schema.alerts.c
    keys = list(invoices)
    found: dict[tuple[str, str], bool] = {}
    for start in range(0, len(keys), 500):
        rows = conn.execute(
            select(a.account, a.subject, a.cleared_at)
            .where(a.type == "overdue", tuple_(a.account, a.subject).in_(keys[start : start + 500]))
        )  # fmt: skip
        found.update({(r.account, r.subject): r.cleared_at is None for r in rows})
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

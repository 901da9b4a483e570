"""Alerts that time alone brings (an invoice overdue, a promise or plan broken),
against the read model: the states a batch's timed conditions find there, and
the daily sweep that raises what time has brought with no fact recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from o2c.projections import schema
from o2c.projections.alerting import overdue_condition, timed_alerts, utc
from o2c.projections.batch import Batch, write_alerts
from o2c.projections.rules import sweep_rules
from o2c.projections.spells import Key, Row

if TYPE_CHECKING:
    from o2c.projections.projector import ReadModelProjection


def alert_states(found: Mapping[Key, list[Row]]) -> dict[Key, bool]:
    """(account, type, subject) -> whether its alert is open, from rules.alert_rows:
    read from the read model, not kept, as another projector's sweep may have raised it."""
    return {key: any(cleared is None for _, cleared in rows) for key, rows in found.items()}


class DailySweep:
    """Invoices become overdue, and promises and plans break, with no fact
    recorded: once a day (and at start), and whenever a batch left raises to it,
    the sweep raises the alerts that time alone has brought. Only when caught up:
    what the read model shows open is then what the ledger knows open."""

    def __init__(self, projection: ReadModelProjection) -> None:
        self.projection = projection
        self.swept_on: date | None = None
        self.pending = False  # overdue alerts left for the sweep once caught up

    def run_if_due(self) -> None:
        projection = self.projection
        now = projection.clock()
        if self.swept_on == now.date() and not self.pending:
            return
        if self.swept_on != now.date():
            projection.review.enqueue_all()  # a new day: every account's risk, as of today
        i, a, t = schema.invoices.c, schema.alerts.c, schema.timed_conditions.c

        def no_alert(account: Any, type_: str, subject: Any) -> Any:
            return ~select(a.id).where(a.account == account, a.type == type_, a.subject == subject).exists()

        with projection.engine.begin() as conn:
            # Invoices a plan names, and promises and plans, follow their rules (rules.py).
            planned = select(t.account).where(t.account == i.account, t.type == "overdue", t.subject == i.invoice_id)
            past_due = conn.execute(
                select(i.account, i.invoice_id, i.due_date, i.recorded_at)
                .where(i.open_balance > 0, i.due_date < now.date(), no_alert(i.account, "overdue", i.invoice_id),
                       ~planned.exists())
            )  # fmt: skip
            conditions = [overdue_condition(r.account, r.invoice_id, r.due_date, utc(r.recorded_at), None)
                          for r in past_due]  # fmt: skip
            parked = projection.parked  # a parked account's invoices and promises wait with its facts
            conditions = [c for c in conditions if c.account not in parked and projection.owns(c.account)]
            batch = Batch()
            timed_alerts(batch, conditions, {}, now, now)
            write_alerts(conn, batch.alerts)
            sweep_rules(conn, now, parked, projection.owns)
        self.swept_on = now.date()
        self.pending = False

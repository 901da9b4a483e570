"""How one fact of a customer account moves the read model: the account moved on by
the domain's own code (`event.mutate`) from where the projection had it, its dated
lines and running totals, its plans' schedules and timed rules, its case, its alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from o2c.domain.alerts import Totals
from o2c.domain.cases import LEAVE_THE_CASE
from o2c.domain.collections import MOVE_COMMITMENTS
from o2c.domain.money import ZERO
from o2c.domain.schedules import plan_schedules
from o2c.projections.alerting import Projected, balance_alerts, event_alerts
from o2c.projections.batch import Batch
from o2c.projections.collecting import track_commitments
from o2c.projections.kept import KeptAccounts
from o2c.projections.lines import lines_for, plan_lines, plan_moved
from o2c.projections.rows import add_line
from o2c.projections.rules import track_rules

_TOTAL = {
    "receivable": "outstanding",
    "uninvoiced": "uninvoiced",
    "unapplied": "unapplied_cash",
    "disputed": "disputed",
}


def project_account_fact(kept: KeptAccounts, event: Any, position: int, batch: Batch) -> None:
    code = event.originator_id
    projected = kept.at(code, event.originator_version - 1)
    rating_before = projected.account.rating if projected else None
    account = event.mutate(projected.account if projected else None)
    if projected is None:
        projected = Projected(account, Totals(account.credit_limit, account.insured_limit, *(ZERO,) * 4))
        kept.keep(code, projected)
    totals = projected.totals
    totals.credit_limit, totals.insured_limit = account.credit_limit, account.insured_limit
    at: datetime = event.timestamp
    kind = type(event).__name__
    if kind == "InvoiceIssued":
        projected.recorded_at[event.invoice_id] = at
    for line in lines_for(event, account):
        add_line(batch, code, position, line, projected, at)
        if line.measure != "sales":
            setattr(totals, _TOTAL[line.measure], getattr(totals, _TOTAL[line.measure]) + line.amount)
    schedules = plan_schedules(account) if plan_moved(event, account) else None
    if schedules is not None:
        for line in plan_lines(projected.overlay, schedules.overlay):  # nets to zero on each invoice
            add_line(batch, code, position, line, projected, at)
        projected.overlay = schedules.overlay
    if kind in MOVE_COMMITMENTS:
        track_rules(projected, at, batch, schedules, track_commitments(projected, at, batch))
    if kind not in LEAVE_THE_CASE:
        # Written at the position of the last fact that changed it, however batched.
        batch.cases[code] = position
    event_alerts(event, projected, rating_before, batch)
    balance_alerts(projected, batch, event)
    batch.positions[code] = position
    batch.touched[code] = projected

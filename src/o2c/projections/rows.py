"""An account's rows in the read model, as the projection writes them from a
projected fact (what each of its lines adds: the dated line, the portfolio's
sums, its invoice's row; and the account's row), and as it reads them back to
rebuild an account it has not kept (its alert state)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from o2c.domain.account import CustomerAccount
from o2c.domain.alerts import ACCOUNT_ALERTS, Totals
from o2c.domain.schedules import plan_schedules
from o2c.domain.valuation import position as value
from o2c.ledger.application import Ledger
from o2c.projections import schema
from o2c.projections.alerting import Commitment, Projected, utc
from o2c.projections.batch import Batch
from o2c.projections.directory_columns import directory_columns
from o2c.projections.lines import Line
from o2c.projections.parking import ALERT
from o2c.projections.risk_review import RISK_SUBJECT
from o2c.projections.rules import load_rules
from o2c.projections.units import to_units


def add_line(batch: Batch, code: str, position: int, line: Line, projected: Projected, at: datetime) -> None:
    account = projected.account
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
        if invoice.open_balance == 0:
            row["settled_at"] = projected.settled_at.setdefault(invoice.invoice_id, at)


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
        **directory_columns(account),
    }  # fmt: skip


def load_projected(ledger: Ledger, engine: Engine, clock: Callable[[], datetime], code: str, version: int) -> Projected:
    """The account at `version` from the event store, and its alert state from the read model."""
    account = ledger.repository.get(code, version=version)
    assert isinstance(account, CustomerAccount)
    p = value(account, None, clock().date())
    totals = Totals(account.credit_limit, account.insured_limit, p.outstanding, p.uninvoiced,
                    p.unapplied_cash, p.disputed)  # fmt: skip
    projected = Projected(account, totals)
    a, i = schema.alerts.c, schema.invoices.c
    with engine.connect() as conn:
        # Overdue and broken-promise alerts are read as each batch needs them; the
        # risk review's downgrades are the review's own.
        open_alerts = select(a.type, a.subject).where(
            a.account == code, a.cleared_at.is_(None), a.type.not_in(("overdue", "promise_broken", ALERT)),
            ~((a.type == "rating_downgraded") & (a.subject == RISK_SUBJECT)),
        )  # fmt: skip
        for alert in conn.execute(open_alerts):
            projected.open_alerts.add((alert.type, "" if alert.type in ACCOUNT_ALERTS else alert.subject))
        for invoice in conn.execute(select(i.invoice_id, i.recorded_at, i.settled_at).where(i.account == code)):
            projected.recorded_at[invoice.invoice_id] = utc(invoice.recorded_at)
            if invoice.settled_at is not None:
                projected.settled_at[invoice.invoice_id] = utc(invoice.settled_at)
        for c in conn.execute(select(schema.commitments).where(schema.commitments.c.account == code)):
            ended_at = None if c.ended_at is None else utc(c.ended_at)
            commitment = Commitment(c.broken_on, utc(c.recorded_at), ended_at)
            projected.commitments[(c.kind, c.commitment_id)] = commitment
        projected.rules = load_rules(conn, code)
    if account.plans:
        projected.overlay = plan_schedules(account).overlay
    return projected

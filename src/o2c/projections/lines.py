"""What each recorded fact adds to the read model's dated lines. Pure: it reads
the account as it is just after the fact, and the fact itself; and, for the
plans' schedules, what the plans' lines were before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from o2c.domain.account import CustomerAccount
from o2c.domain.money import ZERO
from o2c.domain.schedules import Overlay, planned


@dataclass(frozen=True)
class Line:
    """An amount of a measure that counts from `effective_date` on."""

    measure: str  # receivable | unapplied | uninvoiced | disputed | sales
    ref: str  # the invoice, payment or order it is about
    due_date: date | None
    effective_date: date
    amount: Decimal


def lines_for(event: Any, account: CustomerAccount) -> list[Line]:
    kind = type(event).__name__
    handler = _HANDLERS.get(kind)
    return handler(event, account) if handler else []


def _invoice_issued(event: Any, account: CustomerAccount) -> list[Line]:
    invoice = account.invoices[event.invoice_id]
    lines = [
        Line("receivable", invoice.invoice_id, invoice.due_date, invoice.issue_date, invoice.amount),
        Line("sales", invoice.invoice_id, None, invoice.issue_date, invoice.amount),
    ]
    if event.order_id is not None:
        order = account.orders[event.order_id]
        if order.invoiced and order.invoiced[-1].source == invoice.invoice_id:
            consumed = order.invoiced[-1]
            lines.append(Line("uninvoiced", order.order_id, None, consumed.effective, -consumed.amount))
            if order.cancelled is not None:
                # Cancelled before this invoice was posted, but after its date: the
                # invoice took its share out of what the cancellation removed.
                lines.append(Line("uninvoiced", order.order_id, None, order.cancelled.effective, consumed.amount))
    return lines


def _order_placed(event: Any, account: CustomerAccount) -> list[Line]:
    return [Line("uninvoiced", event.order_id, None, event.order_date, event.amount)]


def _order_cancelled(event: Any, account: CustomerAccount) -> list[Line]:
    cancelled = account.orders[event.order_id].cancelled
    if cancelled is None or not cancelled.amount:
        return []
    return [Line("uninvoiced", event.order_id, None, cancelled.effective, -cancelled.amount)]


def _cash(event: Any, account: CustomerAccount) -> list[Line]:
    payment = account.payments[event.payment_id]
    lines = []
    if type(event).__name__ == "PaymentReceived":
        lines.append(Line("unapplied", payment.payment_id, None, payment.received_date, payment.amount))
    applied = payment.allocations[len(payment.allocations) - len(event.allocations) :] if event.allocations else []
    for movement in applied:
        invoice = account.invoices[movement.source]
        lines.append(Line("receivable", invoice.invoice_id, invoice.due_date, movement.effective, -movement.amount))
        lines.append(Line("unapplied", payment.payment_id, None, movement.effective, -movement.amount))
    return lines


def _credit_note(event: Any, account: CustomerAccount) -> list[Line]:
    credit = account.credit_notes[event.credit_note_id]
    invoice = account.invoices[event.invoice_id]
    return [Line("receivable", invoice.invoice_id, invoice.due_date, credit.effective, -credit.amount)]


def _dispute_opened(event: Any, account: CustomerAccount) -> list[Line]:
    return [Line("disputed", event.invoice_id, None, event.opened_date, event.amount)]


def _dispute_resolved(event: Any, account: CustomerAccount) -> list[Line]:
    dispute = account.disputes[event.dispute_id]
    invoice = account.invoices[dispute.invoice_id]
    lines = [Line("disputed", invoice.invoice_id, None, event.resolved_date, -dispute.amount)]
    if event.credited_amount > 0:
        credit = invoice.settlements[-1]
        lines.append(Line("receivable", invoice.invoice_id, invoice.due_date, credit.effective, -credit.amount))
    return lines


_HANDLERS = {
    "InvoiceIssued": _invoice_issued,
    "OrderPlaced": _order_placed,
    "OrderCancelled": _order_cancelled,
    "PaymentReceived": _cash,
    "PaymentAllocated": _cash,
    "CreditNoteIssued": _credit_note,
    "DisputeOpened": _dispute_opened,
    "DisputeResolved": _dispute_resolved,
}


def plan_moved(event: Any, account: CustomerAccount) -> bool:
    """Whether the fact can change the plans' schedules: a plan agreed, or cash or
    a credit on an invoice a plan names (nothing else moves what is open on them,
    or a plan's break)."""
    kind = type(event).__name__
    if kind == "PaymentPlanAgreed":
        return True
    if not account.plans:
        return False
    if kind in ("PaymentReceived", "PaymentAllocated"):
        touched = [allocation.invoice_id for allocation in event.allocations]
    elif kind == "CreditNoteIssued":
        touched = [event.invoice_id]
    elif kind == "DisputeResolved" and event.credited_amount > 0:
        touched = [account.disputes[event.dispute_id].invoice_id]
    else:
        return False
    named = planned(account)
    return any(invoice_id in named for invoice_id in touched)


def plan_lines(before: Overlay, after: Overlay) -> list[Line]:
    """The receivable lines that turn the plans' lines from `before` into `after`
    (what a fact changed of the plans' schedules, from each day on)."""
    lines = []
    for key in sorted(before.keys() | after.keys()):
        change = after.get(key, ZERO) - before.get(key, ZERO)
        if change:
            invoice_id, due_date, effective_date = key
            lines.append(Line("receivable", invoice_id, due_date, effective_date, change))
    return lines

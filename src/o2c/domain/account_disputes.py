"""Disputes: a customer contests (part of) an invoice; resolved upheld (the
invoice is credited), rejected or withdrawn."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.domain.account_books import AccountBooks
from o2c.domain.errors import Conflict, Invalid
from o2c.domain.items import Dispute, Movement
from o2c.domain.money import ZERO

DISPUTE_OUTCOMES = ("upheld", "rejected", "withdrawn")


class Disputes(AccountBooks):
    def open_dispute(
        self,
        event_id: str,
        dispute_id: str,
        invoice_id: str,
        amount: Decimal,
        reason: str,
        opened_date: date,
    ) -> None:
        self.check_id_is_new("data.dispute_id", self.disputes, dispute_id)
        invoice = self.invoice_named("data.invoice_id", invoice_id)
        amount = self.check_amount("data.amount", amount)
        undisputed = invoice.open_balance - invoice.disputed_on(None)
        if amount > undisputed:
            raise Invalid("data.amount", f"exceeds the undisputed open balance {undisputed} of invoice {invoice_id}")
        if not reason.strip():
            raise Invalid("data.reason", "must not be blank")
        if opened_date < invoice.issue_date:
            raise Invalid("data.opened_date", "is before the invoice was issued")
        self._open_dispute(event_id, dispute_id, invoice_id, amount, reason, opened_date)

    def _open_dispute(
        self,
        event_id: str,
        dispute_id: str,
        invoice_id: str,
        amount: Decimal,
        reason: str,
        opened_date: date,
    ) -> None:
        dispute = Dispute(dispute_id, invoice_id, amount, reason, opened_date)
        self.disputes[dispute_id] = self.open_disputes[dispute_id] = dispute
        self.invoices[invoice_id].disputes.append(dispute)

    def resolve_dispute(
        self,
        event_id: str,
        dispute_id: str,
        outcome: str,
        resolved_date: date,
        credited_amount: Decimal | None = None,
    ) -> None:
        dispute = self.disputes.get(dispute_id)
        if dispute is None:
            raise Invalid("data.dispute_id", f"no dispute '{dispute_id}' on account {self.account}")
        if dispute.outcome is not None:
            raise Conflict("data.dispute_id", f"dispute '{dispute_id}' is already resolved ({dispute.outcome})")
        if outcome not in DISPUTE_OUTCOMES:
            raise Invalid("data.outcome", f"must be one of {', '.join(DISPUTE_OUTCOMES)}")
        if resolved_date < dispute.opened_date:
            raise Invalid("data.resolved_date", "is before the dispute was opened")
        invoice = self.invoices[dispute.invoice_id]
        if outcome != "upheld":
            if credited_amount is not None:
                raise Invalid("data.credited_amount", f"only an upheld dispute credits the invoice, not {outcome}")
            credited = ZERO
        elif credited_amount is None:
            # By default the disputed amount, but never more than is still open.
            credited = min(dispute.amount, invoice.open_balance)
        else:
            credited = self.check_amount("data.credited_amount", credited_amount)
            if credited > invoice.open_balance:
                raise Invalid(
                    "data.credited_amount",
                    f"exceeds the open balance {invoice.open_balance} of invoice {invoice.invoice_id}",
                )
        self._resolve_dispute(event_id, dispute_id, outcome, resolved_date, credited)

    def _resolve_dispute(
        self, event_id: str, dispute_id: str, outcome: str, resolved_date: date, credited_amount: Decimal
    ) -> None:
        dispute = self.disputes[dispute_id]
        dispute.outcome = outcome
        dispute.resolved_date = resolved_date
        self.open_disputes.pop(dispute_id, None)  # a resolution is final
        if credited_amount > 0:
            invoice = self.invoices[dispute.invoice_id]
            self._settle(invoice, Movement(invoice.effective_date(resolved_date), credited_amount, dispute_id))

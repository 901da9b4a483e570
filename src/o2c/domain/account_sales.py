"""Selling on credit: orders, the invoices that bill them and the credit notes
that reduce what an invoice asks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.domain.account_books import AccountBooks
from o2c.domain.errors import Conflict, Invalid
from o2c.domain.items import Invoice, Movement, Order


class Sales(AccountBooks):
    # -- orders -------------------------------------------------------------------

    def place_order(self, event_id: str, order_id: str, amount: Decimal, order_date: date) -> None:
        self.check_id_is_new("data.order_id", self.orders, order_id)
        amount = self.check_amount("data.amount", amount)
        self._place_order(event_id, order_id, amount, order_date)

    def _place_order(self, event_id: str, order_id: str, amount: Decimal, order_date: date) -> None:
        self.orders[order_id] = self.open_orders[order_id] = Order(order_id, amount, order_date)

    def cancel_order(self, event_id: str, order_id: str, cancelled_date: date) -> None:
        order = self.orders.get(order_id)
        if order is None:
            raise Invalid("data.order_id", f"no order '{order_id}' on account {self.account}")
        if order.cancelled is not None:
            raise Conflict("data.order_id", f"order '{order_id}' is already cancelled")
        if cancelled_date < order.order_date:
            raise Invalid("data.cancelled_date", "is before the order date")
        self._cancel_order(event_id, order_id, cancelled_date)

    def _cancel_order(self, event_id: str, order_id: str, cancelled_date: date) -> None:
        order = self.orders[order_id]
        order.cancel(Movement(cancelled_date, order.uninvoiced, event_id))
        self.open_orders.pop(order_id, None)  # nothing is left to invoice

    # -- invoices -------------------------------------------------------------------

    def issue_invoice(
        self,
        event_id: str,
        invoice_id: str,
        amount: Decimal,
        issue_date: date,
        due_date: date,
        order_id: str | None = None,
    ) -> None:
        self.check_id_is_new("data.invoice_id", self.invoices, invoice_id)
        amount = self.check_amount("data.amount", amount)
        if due_date < issue_date:
            raise Invalid("data.due_date", "is before the issue date")
        if order_id is not None and order_id not in self.orders:
            raise Invalid("data.order_id", f"no order '{order_id}' on account {self.account}")
        self._issue_invoice(event_id, invoice_id, amount, issue_date, due_date, order_id)

    def _issue_invoice(
        self,
        event_id: str,
        invoice_id: str,
        amount: Decimal,
        issue_date: date,
        due_date: date,
        order_id: str | None,
    ) -> None:
        self.invoices[invoice_id] = self.open_invoices[invoice_id] = Invoice(
            invoice_id, amount, issue_date, due_date, order_id
        )
        if order_id is not None:
            order = self.orders[order_id]
            order.consume(invoice_id, amount, issue_date)
            if not order.uninvoiced:  # what is left of an order only ever decreases
                self.open_orders.pop(order_id, None)

    def issue_credit_note(
        self, event_id: str, credit_note_id: str, invoice_id: str, amount: Decimal, issue_date: date
    ) -> None:
        self.check_id_is_new("data.credit_note_id", self.credit_notes, credit_note_id)
        invoice = self.invoice_named("data.invoice_id", invoice_id)
        amount = self.check_amount("data.amount", amount)
        if amount > invoice.open_balance:
            raise Invalid("data.amount", f"exceeds the open balance {invoice.open_balance} of invoice {invoice_id}")
        self._issue_credit_note(event_id, credit_note_id, invoice_id, amount, issue_date)

    def _issue_credit_note(
        self, event_id: str, credit_note_id: str, invoice_id: str, amount: Decimal, issue_date: date
    ) -> None:
        invoice = self.invoices[invoice_id]
        credit = Movement(invoice.effective_date(issue_date), amount, credit_note_id)
        self.credit_notes[credit_note_id] = credit
        self._settle(invoice, credit)

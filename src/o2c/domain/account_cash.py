"""Cash: payments received, and their allocation to invoices (on receipt or
later), never beyond an invoice's open balance nor the cash available."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from o2c.domain.account_books import AccountBooks
from o2c.domain.errors import Invalid
from o2c.domain.items import Allocation, Movement, Payment
from o2c.domain.money import ZERO


class Cash(AccountBooks):
    def receive_payment(
        self,
        event_id: str,
        payment_id: str,
        amount: Decimal,
        received_date: date,
        allocations: Sequence[Allocation] = (),
    ) -> None:
        self.check_id_is_new("data.payment_id", self.payments, payment_id)
        amount = self.check_amount("data.amount", amount)
        allocations = self.check_allocations(allocations, amount)
        self._receive_payment(event_id, payment_id, amount, received_date, allocations)

    def _receive_payment(
        self,
        event_id: str,
        payment_id: str,
        amount: Decimal,
        received_date: date,
        allocations: tuple[Allocation, ...],
    ) -> None:
        self.payments[payment_id] = Payment(payment_id, amount, received_date)
        self._apply_cash(payment_id, received_date, allocations)

    def allocate_payment(
        self, event_id: str, payment_id: str, allocation_date: date, allocations: Sequence[Allocation]
    ) -> None:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise Invalid("data.payment_id", f"no payment '{payment_id}' on account {self.account}")
        if allocation_date < payment.received_date:
            raise Invalid("data.allocation_date", "is before the payment was received")
        if not allocations:
            raise Invalid("data.allocations", "must allocate to at least one invoice")
        allocations = self.check_allocations(allocations, payment.unapplied)
        self._allocate_payment(event_id, payment_id, allocation_date, allocations)

    def _allocate_payment(
        self, event_id: str, payment_id: str, allocation_date: date, allocations: tuple[Allocation, ...]
    ) -> None:
        self._apply_cash(payment_id, allocation_date, allocations)

    def check_allocations(self, allocations: Sequence[Allocation], cash: Decimal) -> tuple[Allocation, ...]:
        """Each allocation names an invoice of this account and cannot exceed
        its open balance; together they cannot exceed the cash available."""
        applied: dict[str, Decimal] = {}
        checked = []
        for i, allocation in enumerate(allocations):
            field = f"data.allocations[{i}]"
            invoice = self.invoice_named(f"{field}.invoice_id", allocation.invoice_id)
            amount = self.check_amount(f"{field}.amount", allocation.amount)
            checked.append(Allocation(invoice.invoice_id, amount))
            applied[invoice.invoice_id] = applied.get(invoice.invoice_id, ZERO) + amount
            if applied[invoice.invoice_id] > invoice.open_balance:
                raise Invalid(
                    f"{field}.amount",
                    f"exceeds the open balance {invoice.open_balance} of invoice {invoice.invoice_id}",
                )
        if sum(applied.values(), ZERO) > cash:
            raise Invalid("data.allocations", f"allocate more than the {cash} of cash available")
        return tuple(checked)

    def _apply_cash(self, payment_id: str, on: date, allocations: tuple[Allocation, ...]) -> None:
        payment = self.payments[payment_id]
        for allocation in allocations:
            invoice = self.invoices[allocation.invoice_id]
            effective = invoice.effective_date(on)
            self._settle(invoice, Movement(effective, allocation.amount, payment_id))
            payment.allocate(Movement(effective, allocation.amount, invoice.invoice_id))
        # Kept open while cash is left: what is unapplied only ever decreases.
        if payment.unapplied:
            self.open_payments[payment_id] = payment
        else:
            self.open_payments.pop(payment_id, None)

"""The open items of an account: orders, invoices, payments and disputes.

Every movement keeps its business date, so that an item can be valued at
any past date (`as_of`) without replaying the account's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from o2c.domain.money import ZERO


@dataclass(frozen=True)
class Allocation:
    """Cash of a payment applied to one invoice."""

    invoice_id: str
    amount: Decimal


@dataclass(frozen=True)
class Movement:
    """An amount that counts from its business date on."""

    effective: date
    amount: Decimal
    source: str  # the payment, credit note or dispute it comes from


def counted(movements: list[Movement], as_of: date | None) -> Decimal:
    if as_of is None:
        return sum((m.amount for m in movements), ZERO)
    return sum((m.amount for m in movements if m.effective <= as_of), ZERO)


@dataclass
class Order:
    order_id: str
    amount: Decimal
    order_date: date
    invoiced: list[Movement] = field(default_factory=list)
    cancelled: Movement | None = None
    uninvoiced: Decimal = ZERO  # what is left now, kept as it changes: read for every batch's alerts

    def __post_init__(self) -> None:
        self.uninvoiced = self.uninvoiced_on(None)

    def cancel(self, movement: Movement) -> None:
        self.cancelled = movement
        self.uninvoiced -= movement.amount

    def consume(self, invoice_id: str, amount: Decimal, issue_date: date) -> None:
        """An invoice of this order consumes what is left of it, up to its amount.
        An invoice dated before a cancellation recorded earlier takes its share
        from what the cancellation removed: until the cancellation's date that
        was still the order's, and it must not count twice."""
        cancelled = self.cancelled
        if cancelled is not None and issue_date < cancelled.effective:
            consumed = min(amount, cancelled.amount)
            self.cancelled = Movement(cancelled.effective, cancelled.amount - consumed, cancelled.source)
        else:
            consumed = min(amount, self.uninvoiced)
            self.uninvoiced -= consumed
        if consumed > 0:
            self.invoiced.append(Movement(max(issue_date, self.order_date), consumed, invoice_id))

    def uninvoiced_on(self, as_of: date | None) -> Decimal:
        if as_of is not None and self.order_date > as_of:
            return ZERO
        cancelled = [self.cancelled] if self.cancelled else []
        return self.amount - counted(self.invoiced, as_of) - counted(cancelled, as_of)


@dataclass
class Dispute:
    dispute_id: str
    invoice_id: str
    amount: Decimal
    reason: str
    opened_date: date
    outcome: str | None = None
    resolved_date: date | None = None

    def is_open_on(self, as_of: date | None) -> bool:
        if as_of is not None and self.opened_date > as_of:
            return False
        return self.resolved_date is None or (as_of is not None and self.resolved_date > as_of)


@dataclass
class Invoice:
    invoice_id: str
    amount: Decimal
    issue_date: date
    due_date: date
    order_id: str | None = None
    # Payments, credit notes and upheld disputes, each from its own date.
    settlements: list[Movement] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)
    open_balance: Decimal = ZERO

    def __post_init__(self) -> None:
        self.open_balance = self.amount - counted(self.settlements, None)

    def settle(self, movement: Movement) -> None:
        self.settlements.append(movement)
        self.open_balance -= movement.amount

    def effective_date(self, business_date: date) -> date:
        # Cash or credit cannot settle an invoice before it exists.
        return max(business_date, self.issue_date)

    def is_issued_on(self, as_of: date | None) -> bool:
        return as_of is None or self.issue_date <= as_of

    def open_balance_on(self, as_of: date | None) -> Decimal:
        if not self.is_issued_on(as_of):
            return ZERO
        return self.amount - counted(self.settlements, as_of)

    def disputed_on(self, as_of: date | None) -> Decimal:
        return sum((d.amount for d in self.disputes if d.is_open_on(as_of)), ZERO)

    def days_past_due(self, on: date) -> int:
        return (on - self.due_date).days


@dataclass
class Payment:
    payment_id: str
    amount: Decimal
    received_date: date
    allocations: list[Movement] = field(default_factory=list)
    unapplied: Decimal = ZERO  # what is left now, kept as it changes

    def __post_init__(self) -> None:
        self.unapplied = self.unapplied_on(None)

    def allocate(self, movement: Movement) -> None:
        self.allocations.append(movement)
        self.unapplied -= movement.amount

    def unapplied_on(self, as_of: date | None) -> Decimal:
        if as_of is not None and self.received_date > as_of:
            return ZERO
        return self.amount - counted(self.allocations, as_of)

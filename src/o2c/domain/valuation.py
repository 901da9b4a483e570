"""What an account is worth on a business date: SPEC's definitions, as pure
functions of the account's items. `as_of=None` counts every known fact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from o2c.domain.account import CustomerAccount
from o2c.domain.money import ZERO
from o2c.domain.schedules import overdue_on


@dataclass(frozen=True)
class OpenItem:
    invoice_id: str
    issue_date: date
    due_date: date
    amount: Decimal
    open_balance: Decimal
    days_past_due: int
    disputed: Decimal


@dataclass(frozen=True)
class AccountPosition:
    as_of: date | None
    credit_limit: Decimal
    outstanding: Decimal
    uninvoiced: Decimal
    unapplied_cash: Decimal
    overdue: Decimal
    disputed: Decimal
    open_items: tuple[OpenItem, ...]

    @property
    def exposure(self) -> Decimal:
        return self.outstanding + self.uninvoiced - self.unapplied_cash

    @property
    def headroom(self) -> Decimal:
        return self.credit_limit - self.exposure

    @property
    def utilization(self) -> Decimal | None:
        """Exposure as a share of the limit; none when there is no limit."""
        return self.exposure / self.credit_limit if self.credit_limit else None


def open_items(account: CustomerAccount, as_of: date | None, today: date) -> tuple[OpenItem, ...]:
    """Invoices with an open balance, oldest due first; days past due are
    counted on `as_of` (or today when every fact counts)."""
    on = as_of or today
    items = []
    for invoice in account.invoices.values():
        balance = invoice.open_balance_on(as_of)
        if balance > 0:
            items.append(
                OpenItem(
                    invoice.invoice_id,
                    invoice.issue_date,
                    invoice.due_date,
                    invoice.amount,
                    balance,
                    invoice.days_past_due(on),
                    invoice.disputed_on(as_of),
                )
            )
    items.sort(key=lambda item: (item.due_date, item.invoice_id))
    return tuple(items)


def position(account: CustomerAccount, as_of: date | None, today: date) -> AccountPosition:
    items = open_items(account, as_of, today)
    return AccountPosition(
        as_of=as_of,
        credit_limit=account.credit_limit,
        outstanding=sum((i.open_balance for i in items), ZERO),
        uninvoiced=sum((o.uninvoiced_on(as_of) for o in account.orders.values()), ZERO),
        unapplied_cash=sum((p.unapplied_on(as_of) for p in account.payments.values()), ZERO),
        overdue=overdue_on(account, as_of, today),  # by the due dates in force: a plan's while it holds
        # Every open dispute counts, even on an invoice settled since it was opened.
        disputed=sum((i.disputed_on(as_of) for i in account.invoices.values()), ZERO),
        open_items=items,
    )


def current_totals(account: CustomerAccount) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(outstanding, uninvoiced, unapplied cash, disputed) with every known fact
    counted: what `position(account, None, …)` sums, without building open items
    (the ledger asks it twice a batch for every account the batch touches). Only
    the items the account keeps open are summed: the others add nothing."""
    return (
        sum((i.open_balance for i in account.open_invoices.values()), ZERO),
        sum((o.uninvoiced for o in account.open_orders.values()), ZERO),
        sum((p.unapplied for p in account.open_payments.values()), ZERO),
        # Every open dispute counts, even on an invoice settled since it was opened.
        sum((d.amount for d in account.open_disputes.values()), ZERO),
    )

"""Shorthands for the unit tests: amounts written as strings, March-2026 style
dates, and an account opened the way an ERP would open it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.domain.account import CustomerAccount
from o2c.domain.items import Allocation
from o2c.domain.valuation import AccountPosition, position

TODAY = date(2026, 6, 1)
MARCH_1 = date(2026, 3, 1)
MARCH_31 = date(2026, 3, 31)


def day(month: int, dom: int) -> date:
    """A business date in 2026."""
    return date(2026, month, dom)


def opened(
    currency: str = "EUR", credit_limit: str = "10000.00", code: str = "C-1001", **options: object
) -> CustomerAccount:
    return CustomerAccount.open(code, f"open-{code}", "Acme SARL", currency, Decimal(credit_limit), **options)  # type: ignore[arg-type]


def invoiced(
    account: CustomerAccount,
    invoice_id: str,
    amount: str,
    issue: date = MARCH_1,
    due: date = MARCH_31,
    order_id: str | None = None,
) -> None:
    account.issue_invoice(f"inv-{invoice_id}", invoice_id, Decimal(amount), issue, due, order_id)


def paid(account: CustomerAccount, payment_id: str, amount: str, received: date, *allocations: tuple[str, str]) -> None:
    account.receive_payment(
        f"pay-{payment_id}", payment_id, Decimal(amount), received, tuple(allocate(*a) for a in allocations)
    )


def allocate(invoice_id: str, amount: str) -> Allocation:
    return Allocation(invoice_id, Decimal(amount))


def valued(account: CustomerAccount, as_of: date | None = None, today: date = TODAY) -> AccountPosition:
    return position(account, as_of, today)


def balances(account: CustomerAccount, as_of: date | None = None) -> dict[str, str]:
    """Open balances by invoice, as strings (only invoices still open)."""
    return {i.invoice_id: str(i.open_balance) for i in valued(account, as_of).open_items}

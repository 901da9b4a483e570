"""The open items an account keeps (orders left to invoice, cash left to apply,
disputes not resolved) are exactly those, whether the account was traded or
rebuilt from its events, so `current_totals`, which sums only them, gives what
summing every item gives, after every fact."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain.account import CustomerAccount
from o2c.domain.items import Allocation
from o2c.domain.money import ZERO
from o2c.domain.valuation import current_totals, position
from tests.unit.commands import TODAY, trade


def _summing_every_item(account: CustomerAccount) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """`current_totals` as it was before the account kept its open orders, payments and disputes."""
    return (
        sum((i.open_balance for i in account.open_invoices.values()), ZERO),
        sum((o.uninvoiced for o in account.orders.values()), ZERO),
        sum((p.unapplied for p in account.payments.values()), ZERO),
        sum((i.disputed_on(None) for i in account.invoices.values() if i.disputes), ZERO),
    )


def _kept_open(kept: dict[str, Any], every: dict[str, Any], is_open: Any) -> bool:
    # The very items of the account, not copies: a later fact moves both.
    return kept.keys() == {k for k, item in every.items() if is_open(item)} and all(
        item is every[k] for k, item in kept.items()
    )


def _check(account: CustomerAccount) -> None:
    assert _kept_open(account.open_orders, account.orders, lambda o: o.uninvoiced_on(None) != 0)
    assert _kept_open(account.open_payments, account.payments, lambda p: p.unapplied_on(None) != 0)
    assert _kept_open(account.open_disputes, account.disputes, lambda d: d.resolved_date is None)
    totals = current_totals(account)
    assert totals == _summing_every_item(account)
    now = position(account, None, TODAY)
    assert totals == (now.outstanding, now.uninvoiced, now.unapplied_cash, now.disputed)


def _apply_the_cash_left(account: CustomerAccount) -> None:
    """Allocates each payment's cash left to the open invoices, as far as they
    go: the random trade seldom applies a payment to the last cent."""
    for payment in account.payments.values():
        cash, allocations = payment.unapplied, []
        for invoice in account.invoices.values():
            amount = min(cash, invoice.open_balance)
            if amount > 0:
                allocations.append(Allocation(invoice.invoice_id, amount))
                cash -= amount
        if allocations:
            account.allocate_payment(
                f"all-{payment.payment_id}", payment.payment_id, payment.received_date, allocations
            )


@given(st.data())
@settings(max_examples=150, deadline=None)
def test_current_totals_sum_the_open_items_kept_after_every_fact_traded_or_replayed(data: st.DataObject) -> None:
    result = trade(data)
    if data.draw(st.booleans()):
        _apply_the_cash_left(result.account)
        result.events.extend(result.account.collect_events())
    _check(result.account)
    rebuilt: CustomerAccount | None = None
    for event in result.events:
        rebuilt = event.mutate(rebuilt)
        assert isinstance(rebuilt, CustomerAccount)
        _check(rebuilt)
    assert rebuilt is not None and current_totals(rebuilt) == current_totals(result.account)

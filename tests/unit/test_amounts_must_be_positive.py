"""Every amount a fact carries must be a positive, finite decimal: zero,
negative, NaN or infinite amounts are refused and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from o2c.domain.account import CustomerAccount
from o2c.domain.errors import Invalid
from o2c.domain.items import Allocation
from tests.unit.trade import day, invoiced, opened, paid, valued

BAD_AMOUNTS = [Decimal("0"), Decimal("0.00"), Decimal("-0.01"), Decimal("-100"), Decimal("NaN"), Decimal("Infinity")]


def _account_with_an_invoice_and_cash() -> CustomerAccount:
    account = opened()
    invoiced(account, "F-1", "1000.00")
    paid(account, "P-1", "300.00", day(3, 5))
    account.open_dispute("dsp", "D-1", "F-1", Decimal("100"), "damaged", day(3, 6))
    account.place_order("ord", "O-1", Decimal("50"), day(3, 1))
    account.collect_events()
    return account


COMMANDS: dict[str, Callable[[CustomerAccount, Decimal], None]] = {
    "order": lambda a, x: a.place_order("e", "O-9", x, day(3, 1)),
    "invoice": lambda a, x: a.issue_invoice("e", "F-9", x, day(3, 1), day(3, 31)),
    "payment": lambda a, x: a.receive_payment("e", "P-9", x, day(3, 2)),
    "credit note": lambda a, x: a.issue_credit_note("e", "CN-9", "F-1", x, day(3, 2)),
    "dispute": lambda a, x: a.open_dispute("e", "D-9", "F-1", x, "price", day(3, 2)),
}

ALLOCATIONS: dict[str, Callable[[CustomerAccount, Decimal], None]] = {
    "allocation at receipt": lambda a, x: a.receive_payment(
        "e", "P-9", Decimal("10"), day(3, 2), [Allocation("F-1", x)]
    ),
    "later allocation": lambda a, x: a.allocate_payment("e", "P-1", day(3, 9), [Allocation("F-1", x)]),
}


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=str)
@pytest.mark.parametrize("command", list(COMMANDS), ids=str)
def test_a_fact_with_a_non_positive_amount_is_refused(command: str, amount: Decimal) -> None:
    account = _account_with_an_invoice_and_cash()
    before = valued(account)
    with pytest.raises(Invalid) as refused:
        COMMANDS[command](account, amount)
    assert refused.value.field == "data.amount"
    assert account.collect_events() == []
    assert valued(account) == before


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=str)
@pytest.mark.parametrize("command", list(ALLOCATIONS), ids=str)
def test_an_allocation_of_a_non_positive_amount_is_refused(command: str, amount: Decimal) -> None:
    account = _account_with_an_invoice_and_cash()
    with pytest.raises(Invalid) as refused:
        ALLOCATIONS[command](account, amount)
    assert refused.value.field == "data.allocations[0].amount"
    assert account.collect_events() == []
    assert str(account.invoices["F-1"].open_balance) == "1000.00"


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=str)
def test_an_upheld_dispute_cannot_credit_a_non_positive_amount(amount: Decimal) -> None:
    account = _account_with_an_invoice_and_cash()
    with pytest.raises(Invalid) as refused:
        account.resolve_dispute("e", "D-1", "upheld", day(3, 20), amount)
    assert refused.value.field == "data.credited_amount"
    assert account.disputes["D-1"].outcome is None


@pytest.mark.parametrize("amount", [Decimal("-1"), Decimal("NaN")], ids=str)
def test_a_credit_limit_cannot_be_negative_or_not_a_number(amount: Decimal) -> None:
    account = opened(credit_limit="1000")
    with pytest.raises(Invalid) as refused:
        account.change_limit("lim", amount)
    assert refused.value.field == "data.credit_limit"
    assert str(account.credit_limit) == "1000.00"

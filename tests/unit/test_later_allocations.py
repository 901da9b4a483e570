"""PaymentAllocated applies a payment's unapplied cash later, from its
allocation_date, never beyond what is still unapplied."""

from __future__ import annotations

import pytest

from o2c.domain.account import CustomerAccount
from o2c.domain.errors import Invalid
from tests.unit.trade import allocate, balances, day, invoiced, opened, paid, valued


def _cash_on_account() -> CustomerAccount:
    account = opened()
    invoiced(account, "F-1", "800.00", issue=day(3, 1), due=day(3, 31))
    invoiced(account, "F-2", "300.00", issue=day(3, 1), due=day(3, 31))
    paid(account, "P-1", "1000.00", day(3, 10), ("F-1", "200.00"))
    return account


def test_cash_allocated_later_is_unapplied_until_the_allocation_date() -> None:
    account = _cash_on_account()
    account.allocate_payment("al", "P-1", day(4, 15), [allocate("F-1", "600.00"), allocate("F-2", "100.00")])
    april_14 = valued(account, day(4, 14))
    assert (str(april_14.outstanding), str(april_14.unapplied_cash), str(april_14.overdue)) == (
        "900.00",
        "800.00",
        "900.00",
    )
    april_15 = valued(account, day(4, 15))
    assert (str(april_15.outstanding), str(april_15.unapplied_cash), str(april_15.overdue)) == (
        "200.00",
        "100.00",
        "200.00",
    )
    assert april_14.exposure == april_15.exposure == 100
    assert balances(account) == {"F-2": "200.00"}


def test_a_later_allocation_cannot_exceed_the_unapplied_cash() -> None:
    account = _cash_on_account()  # 800.00 unapplied
    account.allocate_payment("al1", "P-1", day(3, 12), [allocate("F-1", "600.00")])
    with pytest.raises(Invalid) as refused:
        account.allocate_payment("al2", "P-1", day(3, 13), [allocate("F-2", "200.01")])
    assert refused.value.field == "data.allocations"
    account.allocate_payment("al2", "P-1", day(3, 13), [allocate("F-2", "200.00")])
    assert str(account.payments["P-1"].unapplied) == "0.00"
    assert balances(account) == {"F-2": "100.00"}


def test_a_later_allocation_cannot_exceed_the_invoice_balance() -> None:
    account = _cash_on_account()
    with pytest.raises(Invalid) as refused:
        account.allocate_payment("al", "P-1", day(3, 12), [allocate("F-2", "300.01")])
    assert refused.value.field == "data.allocations[0].amount"
    assert str(account.payments["P-1"].unapplied) == "800.00"


def test_allocating_an_unknown_payment_is_invalid() -> None:
    account = _cash_on_account()
    with pytest.raises(Invalid) as refused:
        account.allocate_payment("al", "P-404", day(3, 12), [allocate("F-2", "1.00")])
    assert refused.value.field == "data.payment_id"


def test_allocating_to_an_unknown_invoice_is_invalid() -> None:
    account = _cash_on_account()
    with pytest.raises(Invalid) as refused:
        account.allocate_payment("al", "P-1", day(3, 12), [allocate("F-2", "1.00"), allocate("F-3", "1.00")])
    assert refused.value.field == "data.allocations[1].invoice_id"
    assert balances(account) == {"F-1": "600.00", "F-2": "300.00"}


def test_an_allocation_dated_before_the_payment_was_received_is_invalid() -> None:
    account = _cash_on_account()
    with pytest.raises(Invalid) as refused:
        account.allocate_payment("al", "P-1", day(3, 9), [allocate("F-2", "1.00")])
    assert refused.value.field == "data.allocation_date"
    account.allocate_payment("al", "P-1", day(3, 10), [allocate("F-2", "1.00")])
    assert str(valued(account, day(3, 10)).unapplied_cash) == "799.00"


def test_an_allocation_must_name_at_least_one_invoice() -> None:
    account = _cash_on_account()
    with pytest.raises(Invalid) as refused:
        account.allocate_payment("al", "P-1", day(3, 12), [])
    assert refused.value.field == "data.allocations"

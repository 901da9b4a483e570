"""A payment settles the invoices it names, each within its open balance and
all within the payment; the unallocated rest is unapplied cash."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.account import CustomerAccount
from o2c.domain.errors import Invalid
from tests.unit.trade import allocate, balances, day, invoiced, opened, paid, valued


def _two_invoices() -> CustomerAccount:
    account = opened()
    invoiced(account, "F-1", "1000.00", issue=day(3, 1), due=day(3, 31))
    invoiced(account, "F-2", "500.00", issue=day(3, 5), due=day(4, 4))
    return account


def test_a_payment_settles_what_it_names_and_keeps_the_rest_unapplied() -> None:
    account = _two_invoices()
    paid(account, "P-1", "1300.00", day(3, 20), ("F-1", "1000.00"), ("F-2", "120.50"))
    assert balances(account) == {"F-2": "379.50"}
    now = valued(account)
    assert (str(now.outstanding), str(now.unapplied_cash), str(now.exposure)) == ("379.50", "179.50", "200.00")
    assert str(account.payments["P-1"].unapplied) == "179.50"


def test_a_payment_with_no_allocation_is_all_unapplied_cash() -> None:
    account = _two_invoices()
    paid(account, "P-1", "250", day(3, 20))
    assert (str(valued(account).unapplied_cash), str(valued(account).exposure)) == ("250.00", "1250.00")
    assert balances(account) == {"F-1": "1000.00", "F-2": "500.00"}


def test_an_allocation_beyond_the_open_balance_is_refused() -> None:
    account = _two_invoices()
    with pytest.raises(Invalid) as refused:
        paid(account, "P-1", "2000.00", day(3, 20), ("F-1", "400.00"), ("F-2", "500.01"))
    assert refused.value.field == "data.allocations[1].amount"
    assert account.payments == {}
    assert balances(account) == {"F-1": "1000.00", "F-2": "500.00"}


def test_two_allocations_to_one_invoice_count_together_against_its_balance() -> None:
    account = _two_invoices()
    with pytest.raises(Invalid) as refused:
        paid(account, "P-1", "2000.00", day(3, 20), ("F-2", "300.00"), ("F-2", "200.01"))
    assert refused.value.field == "data.allocations[1].amount"
    paid(account, "P-1", "2000.00", day(3, 20), ("F-2", "300.00"), ("F-2", "200.00"))
    assert balances(account) == {"F-1": "1000.00"}


def test_allocations_beyond_the_payment_are_refused() -> None:
    account = _two_invoices()
    with pytest.raises(Invalid) as refused:
        paid(account, "P-1", "600.00", day(3, 20), ("F-1", "300.00"), ("F-2", "300.01"))
    assert refused.value.field == "data.allocations"
    paid(account, "P-1", "600.00", day(3, 20), ("F-1", "300.00"), ("F-2", "300.00"))
    assert (str(valued(account).unapplied_cash), balances(account)) == ("0.00", {"F-1": "700.00", "F-2": "200.00"})


def test_an_allocation_to_an_unknown_invoice_is_refused_naming_it() -> None:
    account = _two_invoices()
    with pytest.raises(Invalid) as refused:
        paid(account, "P-1", "600.00", day(3, 20), ("F-1", "100.00"), ("F-9", "100.00"))
    assert refused.value.field == "data.allocations[1].invoice_id"
    assert "F-9" in refused.value.reason


def test_an_invoice_of_another_account_cannot_be_settled() -> None:
    other = opened(code="C-2002")
    invoiced(other, "F-77", "100.00")
    account = _two_invoices()
    with pytest.raises(Invalid) as refused:
        account.receive_payment("p", "P-1", Decimal("100"), day(3, 20), [allocate("F-77", "100")])
    assert refused.value.field == "data.allocations[0].invoice_id"
    assert str(other.invoices["F-77"].open_balance) == "100.00"


def test_a_payment_received_before_the_invoice_was_issued_settles_it_from_the_issue_date() -> None:
    account = _two_invoices()
    paid(account, "P-1", "500.00", day(3, 2), ("F-2", "500.00"))  # F-2 is issued on 5 March
    march_3 = valued(account, day(3, 3))
    assert (str(march_3.outstanding), str(march_3.unapplied_cash)) == ("1000.00", "500.00")
    march_5 = valued(account, day(3, 5))
    assert (str(march_5.outstanding), str(march_5.unapplied_cash)) == ("1000.00", "0.00")
    assert account.payments["P-1"].allocations[0].effective == day(3, 5)

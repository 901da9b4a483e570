"""A credit note reduces one invoice's open balance from its issue date and
cannot exceed what is still open."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.account import CustomerAccount
from o2c.domain.errors import Invalid
from tests.unit.trade import balances, day, invoiced, opened, paid, valued


def _invoice_partly_paid() -> CustomerAccount:
    account = opened()
    invoiced(account, "F-1", "1000.00", issue=day(3, 1), due=day(3, 31))
    paid(account, "P-1", "700.00", day(3, 10), ("F-1", "700.00"))
    return account


def test_a_credit_note_reduces_the_balance_from_its_issue_date() -> None:
    account = _invoice_partly_paid()
    account.issue_credit_note("cn", "CN-1", "F-1", Decimal("120.25"), day(3, 15))
    assert balances(account, day(3, 14)) == {"F-1": "300.00"}
    assert balances(account, day(3, 15)) == {"F-1": "179.75"}
    assert str(account.credit_notes["CN-1"].amount) == "120.25"
    assert account.credit_notes["CN-1"].source == "CN-1"


def test_a_credit_note_for_the_whole_open_balance_closes_the_invoice() -> None:
    account = _invoice_partly_paid()
    account.issue_credit_note("cn", "CN-1", "F-1", Decimal("300"), day(4, 2))
    assert balances(account) == {}
    assert (valued(account).outstanding, valued(account).overdue) == (0, 0)
    assert str(valued(account, day(4, 1)).overdue) == "300.00"


def test_a_credit_note_beyond_the_open_balance_is_refused() -> None:
    account = _invoice_partly_paid()
    with pytest.raises(Invalid) as refused:
        account.issue_credit_note("cn", "CN-1", "F-1", Decimal("300.01"), day(3, 15))
    assert refused.value.field == "data.amount"
    assert "300.00" in refused.value.reason
    assert account.credit_notes == {}
    assert balances(account) == {"F-1": "300.00"}


def test_a_credit_note_for_an_unknown_invoice_is_invalid() -> None:
    account = _invoice_partly_paid()
    with pytest.raises(Invalid) as refused:
        account.issue_credit_note("cn", "CN-1", "F-404", Decimal("1"), day(3, 15))
    assert refused.value.field == "data.invoice_id"


def test_a_credit_note_dated_before_its_invoice_counts_from_the_invoice_date() -> None:
    account = opened()
    invoiced(account, "F-1", "100.00", issue=day(3, 10), due=day(4, 10))
    account.issue_credit_note("cn", "CN-1", "F-1", Decimal("40"), day(3, 1))
    assert account.credit_notes["CN-1"].effective == day(3, 10)
    assert valued(account, day(3, 9)).outstanding == 0
    assert balances(account, day(3, 10)) == {"F-1": "60.00"}


def test_credit_notes_and_payments_together_cannot_exceed_the_invoice() -> None:
    account = _invoice_partly_paid()
    account.issue_credit_note("cn1", "CN-1", "F-1", Decimal("200"), day(3, 15))
    with pytest.raises(Invalid):
        paid(account, "P-2", "100.01", day(3, 16), ("F-1", "100.01"))
    with pytest.raises(Invalid):
        account.issue_credit_note("cn2", "CN-2", "F-1", Decimal("100.01"), day(3, 16))
    account.issue_credit_note("cn2", "CN-2", "F-1", Decimal("100"), day(3, 16))
    assert account.invoices["F-1"].open_balance == 0

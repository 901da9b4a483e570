"""A dispute marks part of an invoice disputed, from its opened_date; it cannot
exceed the open balance less what is already disputed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.account import CustomerAccount
from o2c.domain.errors import Invalid
from tests.unit.trade import day, invoiced, opened, paid, valued


def _invoice_with_600_open() -> CustomerAccount:
    account = opened()
    invoiced(account, "F-1", "1000.00", issue=day(3, 1), due=day(3, 31))
    paid(account, "P-1", "400.00", day(3, 5), ("F-1", "400.00"))
    return account


def test_an_open_dispute_counts_as_disputed_from_its_opened_date() -> None:
    account = _invoice_with_600_open()
    account.open_dispute("d", "D-1", "F-1", Decimal("250"), "damaged goods", day(3, 12))
    assert valued(account, day(3, 11)).disputed == 0
    march_12 = valued(account, day(3, 12))
    assert (str(march_12.disputed), str(march_12.open_items[0].disputed)) == ("250.00", "250.00")
    assert str(march_12.outstanding) == "600.00"  # a dispute does not settle anything
    assert account.disputes["D-1"].reason == "damaged goods"
    assert account.invoices["F-1"].disputes == [account.disputes["D-1"]]


def test_disputes_cannot_exceed_the_undisputed_open_balance() -> None:
    account = _invoice_with_600_open()
    account.open_dispute("d1", "D-1", "F-1", Decimal("400"), "price", day(3, 12))
    with pytest.raises(Invalid) as refused:
        account.open_dispute("d2", "D-2", "F-1", Decimal("200.01"), "quantity", day(3, 13))
    assert refused.value.field == "data.amount"
    assert "200.00" in refused.value.reason
    account.open_dispute("d2", "D-2", "F-1", Decimal("200.00"), "quantity", day(3, 13))
    assert str(valued(account).disputed) == "600.00"


def test_a_resolved_dispute_frees_its_amount_for_a_new_one() -> None:
    account = _invoice_with_600_open()
    account.open_dispute("d1", "D-1", "F-1", Decimal("600"), "price", day(3, 12))
    account.resolve_dispute("r1", "D-1", "rejected", day(3, 20))
    account.open_dispute("d2", "D-2", "F-1", Decimal("600"), "price again", day(3, 21))
    assert str(valued(account, day(3, 21)).disputed) == "600.00"
    assert valued(account, day(3, 20)).disputed == 0


def test_a_dispute_on_an_unknown_invoice_is_invalid() -> None:
    account = _invoice_with_600_open()
    with pytest.raises(Invalid) as refused:
        account.open_dispute("d", "D-1", "F-404", Decimal("1"), "price", day(3, 12))
    assert refused.value.field == "data.invoice_id"


def test_a_dispute_needs_a_reason() -> None:
    account = _invoice_with_600_open()
    with pytest.raises(Invalid) as refused:
        account.open_dispute("d", "D-1", "F-1", Decimal("1"), "   ", day(3, 12))
    assert refused.value.field == "data.reason"
    assert account.disputes == {}


def test_a_dispute_opened_before_its_invoice_is_invalid() -> None:
    account = _invoice_with_600_open()
    with pytest.raises(Invalid) as refused:
        account.open_dispute("d", "D-1", "F-1", Decimal("1"), "price", day(2, 28))
    assert refused.value.field == "data.opened_date"


def test_a_dispute_on_a_settled_invoice_is_refused() -> None:
    account = _invoice_with_600_open()
    paid(account, "P-2", "600.00", day(3, 6), ("F-1", "600.00"))
    with pytest.raises(Invalid) as refused:
        account.open_dispute("d", "D-1", "F-1", Decimal("0.01"), "price", day(3, 12))
    assert refused.value.field == "data.amount"


def test_the_disputed_amount_is_reported_in_full_while_the_invoice_is_partly_paid() -> None:
    account = _invoice_with_600_open()
    account.open_dispute("d", "D-1", "F-1", Decimal("500"), "price", day(3, 12))
    paid(account, "P-2", "300.00", day(3, 14), ("F-1", "300.00"))
    assert (str(valued(account).outstanding), str(valued(account).disputed)) == ("300.00", "500.00")


def test_an_open_dispute_still_counts_once_its_invoice_is_settled() -> None:
    account = _invoice_with_600_open()
    account.open_dispute("d", "D-1", "F-1", Decimal("100"), "price", day(3, 12))
    paid(account, "P-2", "600.00", day(3, 14), ("F-1", "600.00"))
    assert account.disputes["D-1"].is_open_on(None)
    assert str(valued(account).disputed) == "100.00"

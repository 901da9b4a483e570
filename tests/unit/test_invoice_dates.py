"""An invoice is due on or after the day it is issued, and may name an order
of the same account."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.errors import Invalid
from tests.unit.trade import day, invoiced, opened, valued


def test_an_invoice_due_before_it_is_issued_is_refused() -> None:
    account = opened()
    with pytest.raises(Invalid) as refused:
        invoiced(account, "F-1", "100.00", issue=day(3, 10), due=day(3, 9))
    assert refused.value.field == "data.due_date"
    assert account.invoices == {}
    assert account.collect_events()[1:] == []


def test_an_invoice_due_the_day_it_is_issued_is_accepted_and_not_yet_overdue_that_day() -> None:
    account = opened()
    invoiced(account, "F-1", "100.00", issue=day(3, 10), due=day(3, 10))
    same_day = valued(account, day(3, 10))
    assert (str(same_day.outstanding), same_day.overdue) == ("100.00", 0)
    assert same_day.open_items[0].days_past_due == 0
    next_day = valued(account, day(3, 11))
    assert (str(next_day.overdue), next_day.open_items[0].days_past_due) == ("100.00", 1)


def test_an_invoice_naming_an_unknown_order_is_refused() -> None:
    account = opened()
    account.place_order("o", "O-1", Decimal("100"), day(3, 1))
    with pytest.raises(Invalid) as refused:
        invoiced(account, "F-1", "100.00", order_id="O-2")
    assert refused.value.field == "data.order_id"
    assert "O-2" in refused.value.reason
    assert account.invoices == {}
    assert str(account.orders["O-1"].uninvoiced) == "100.00"


def test_an_invoice_keeps_its_dates_and_opens_its_full_amount() -> None:
    account = opened()
    invoiced(account, "F-1", "1200", issue=day(3, 1), due=day(3, 31))
    invoice = account.invoices["F-1"]
    assert (invoice.issue_date, invoice.due_date, invoice.order_id) == (day(3, 1), day(3, 31), None)
    assert (str(invoice.amount), str(invoice.open_balance)) == ("1200.00", "1200.00")
    assert valued(account, day(2, 28)).outstanding == 0
    assert str(valued(account, day(3, 1)).outstanding) == "1200.00"

"""One account's trade, valued by hand at several business dates.

- 01 Mar: order O-1 2000.00
- 05 Mar: F-1 1200.00 (on O-1), due 4 Apr
- 10 Mar: F-2 500.00, due 25 Mar
- 20 Mar: P-1 900.00 received: 400.00 to F-2, 500.00 unapplied
- 28 Mar: dispute D-1 on F-1 for 150.00
- 02 Apr: credit note CN-1 on F-2: 100.00 (F-2 settled)
- 10 Apr: P-1 allocates 500.00 to F-1
- 15 Apr: O-1 cancelled (800.00 left)
- 20 Apr: D-1 upheld: 150.00 credited to F-1
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from o2c.domain.account import CustomerAccount
from tests.unit.trade import allocate, day, invoiced, opened, paid, valued


def _trade() -> CustomerAccount:
    account = opened(credit_limit="3000")
    account.place_order("o", "O-1", Decimal("2000"), day(3, 1))
    invoiced(account, "F-1", "1200.00", issue=day(3, 5), due=day(4, 4), order_id="O-1")
    invoiced(account, "F-2", "500.00", issue=day(3, 10), due=day(3, 25))
    paid(account, "P-1", "900.00", day(3, 20), ("F-2", "400.00"))
    account.open_dispute("d", "D-1", "F-1", Decimal("150"), "missing parts", day(3, 28))
    account.issue_credit_note("cn", "CN-1", "F-2", Decimal("100"), day(4, 2))
    account.allocate_payment("al", "P-1", day(4, 10), [allocate("F-1", "500")])
    account.cancel_order("c", "O-1", day(4, 15))
    account.resolve_dispute("r", "D-1", "upheld", day(4, 20))
    return account


# as_of: outstanding, uninvoiced, unapplied, exposure, headroom, overdue, disputed
EXPECTED = {
    day(2, 28): ("0", "0", "0", "0", "3000.00", "0", "0"),
    day(3, 1): ("0", "2000.00", "0", "2000.00", "1000.00", "0", "0"),
    day(3, 5): ("1200.00", "800.00", "0", "2000.00", "1000.00", "0", "0"),
    day(3, 10): ("1700.00", "800.00", "0", "2500.00", "500.00", "0", "0"),
    day(3, 20): ("1300.00", "800.00", "500.00", "1600.00", "1400.00", "0", "0"),
    day(3, 26): ("1300.00", "800.00", "500.00", "1600.00", "1400.00", "100.00", "0"),
    day(3, 28): ("1300.00", "800.00", "500.00", "1600.00", "1400.00", "100.00", "150.00"),
    day(4, 2): ("1200.00", "800.00", "500.00", "1500.00", "1500.00", "0", "150.00"),
    day(4, 5): ("1200.00", "800.00", "500.00", "1500.00", "1500.00", "1200.00", "150.00"),
    day(4, 10): ("700.00", "800.00", "0.00", "1500.00", "1500.00", "700.00", "150.00"),
    day(4, 15): ("700.00", "0.00", "0.00", "700.00", "2300.00", "700.00", "150.00"),
    day(4, 20): ("550.00", "0.00", "0.00", "550.00", "2450.00", "550.00", "0"),
    None: ("550.00", "0.00", "0.00", "550.00", "2450.00", "550.00", "0"),
}


@pytest.mark.parametrize("as_of", list(EXPECTED), ids=str)
def test_the_account_is_worth_what_was_worked_out_by_hand(as_of: date | None) -> None:
    now = valued(_trade(), as_of)
    figures = (now.outstanding, now.uninvoiced, now.unapplied_cash, now.exposure, now.headroom, now.overdue)
    assert (*figures, now.disputed) == tuple(Decimal(x) for x in EXPECTED[as_of])


def test_open_items_on_the_day_f2_falls_due_and_after() -> None:
    account = _trade()
    march_25 = valued(account, day(3, 25)).open_items
    assert [(i.invoice_id, str(i.open_balance), i.days_past_due) for i in march_25] == [
        ("F-2", "100.00", 0),
        ("F-1", "1200.00", -10),
    ]
    april_12 = valued(account, day(4, 12)).open_items
    assert [(i.invoice_id, str(i.open_balance), i.days_past_due, str(i.disputed)) for i in april_12] == [
        ("F-1", "700.00", 8, "150.00")
    ]


def test_days_past_due_are_counted_on_today_when_every_fact_counts() -> None:
    [item] = valued(_trade(), None, today=day(5, 4)).open_items
    assert (item.invoice_id, item.days_past_due) == ("F-1", 30)
    assert valued(_trade(), None, today=day(4, 4)).overdue == 0
    assert str(valued(_trade(), None, today=day(4, 5)).overdue) == "550.00"


def test_utilization_is_exposure_over_the_limit() -> None:
    assert valued(_trade(), day(3, 10)).utilization == Decimal("2500.00") / Decimal("3000.00")
    assert valued(_trade(), day(4, 20)).utilization == Decimal("550.00") / Decimal("3000.00")

"""Orders add to the uninvoiced amount; an invoice consumes what is left of
its order from max(issue_date, order_date); a cancellation removes the rest
from its cancelled_date."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.errors import Conflict, Invalid
from tests.unit.trade import day, invoiced, opened, valued


def test_an_order_is_uninvoiced_from_its_order_date() -> None:
    account = opened(credit_limit="1000")
    account.place_order("o", "O-1", Decimal("400"), day(3, 5))
    assert valued(account, day(3, 4)).uninvoiced == 0
    on_the_day = valued(account, day(3, 5))
    assert (str(on_the_day.uninvoiced), str(on_the_day.exposure), str(on_the_day.headroom)) == (
        "400.00",
        "400.00",
        "600.00",
    )


def test_invoices_consume_their_order_up_to_what_is_left() -> None:
    account = opened()
    account.place_order("o", "O-1", Decimal("1000"), day(3, 1))
    invoiced(account, "F-1", "600", issue=day(3, 10), due=day(4, 10), order_id="O-1")
    invoiced(account, "F-2", "700", issue=day(3, 20), due=day(4, 20), order_id="O-1")
    assert str(valued(account, day(3, 9)).uninvoiced) == "1000.00"
    assert str(valued(account, day(3, 10)).uninvoiced) == "400.00"
    assert valued(account, day(3, 20)).uninvoiced == 0
    assert [(m.effective, str(m.amount)) for m in account.orders["O-1"].invoiced] == [
        (day(3, 10), "600.00"),
        (day(3, 20), "400.00"),
    ]
    assert str(valued(account, day(3, 20)).exposure) == "1300.00"  # the invoices, nothing double-counted


def test_an_invoice_issued_before_its_order_consumes_it_from_the_order_date() -> None:
    account = opened()
    account.place_order("o", "O-1", Decimal("500"), day(3, 15))
    invoiced(account, "F-1", "200", issue=day(3, 1), due=day(3, 31), order_id="O-1")
    assert account.orders["O-1"].invoiced[0].effective == day(3, 15)
    assert (str(valued(account, day(3, 10)).outstanding), valued(account, day(3, 10)).uninvoiced) == ("200.00", 0)
    assert str(valued(account, day(3, 15)).uninvoiced) == "300.00"


def test_a_cancellation_removes_what_is_left_of_the_order_from_its_date() -> None:
    account = opened()
    account.place_order("o", "O-1", Decimal("1000"), day(3, 1))
    invoiced(account, "F-1", "250", issue=day(3, 5), due=day(4, 5), order_id="O-1")
    account.cancel_order("c", "O-1", day(3, 12))
    assert account.orders["O-1"].cancelled is not None
    assert str(account.orders["O-1"].cancelled.amount) == "750.00"
    assert str(valued(account, day(3, 11)).uninvoiced) == "750.00"
    assert valued(account, day(3, 12)).uninvoiced == 0
    assert valued(account).uninvoiced == 0
    assert str(valued(account).outstanding) == "250.00"


def test_an_invoice_on_a_cancelled_order_consumes_nothing() -> None:
    account = opened()
    account.place_order("o", "O-1", Decimal("300"), day(3, 1))
    account.cancel_order("c", "O-1", day(3, 2))
    invoiced(account, "F-1", "100", issue=day(3, 3), due=day(4, 3), order_id="O-1")
    assert account.orders["O-1"].invoiced == []
    assert (valued(account).uninvoiced, str(valued(account).outstanding)) == (0, "100.00")


def test_cancelling_an_unknown_order_is_invalid() -> None:
    account = opened()
    with pytest.raises(Invalid) as refused:
        account.cancel_order("c", "O-404", day(3, 2))
    assert refused.value.field == "data.order_id"


def test_cancelling_twice_is_a_conflict() -> None:
    account = opened()
    account.place_order("o", "O-1", Decimal("300"), day(3, 1))
    account.cancel_order("c1", "O-1", day(3, 2))
    with pytest.raises(Conflict) as refused:
        account.cancel_order("c2", "O-1", day(3, 3))
    assert refused.value.field == "data.order_id"
    assert account.orders["O-1"].cancelled.effective == day(3, 2)  # type: ignore[union-attr]


def test_a_cancellation_dated_before_the_order_is_invalid() -> None:
    account = opened()
    account.place_order("o", "O-1", Decimal("300"), day(3, 10))
    with pytest.raises(Invalid) as refused:
        account.cancel_order("c", "O-1", day(3, 9))
    assert refused.value.field == "data.cancelled_date"
    assert str(valued(account).uninvoiced) == "300.00"
    account.cancel_order("c", "O-1", day(3, 10))
    assert valued(account, day(3, 10)).uninvoiced == 0


def test_a_late_posted_invoice_dated_before_the_cancellation_still_consumes_the_order() -> None:
    account = opened()
    account.place_order("o", "O-1", Decimal("1000"), day(3, 1))
    account.cancel_order("c", "O-1", day(3, 20))
    invoiced(account, "F-1", "400", issue=day(3, 10), due=day(4, 10), order_id="O-1")
    march_15 = valued(account, day(3, 15))
    assert (str(march_15.outstanding), str(march_15.uninvoiced), str(march_15.exposure)) == (
        "400.00",
        "600.00",
        "1000.00",
    )

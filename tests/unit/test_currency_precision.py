"""Amounts carry no more decimals than the account's currency allows and are
kept at the currency's scale: EUR 2 places, JPY none, KWD 3."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.errors import Invalid
from tests.unit.trade import day, invoiced, opened, paid, valued


@pytest.mark.parametrize(
    ("currency", "written", "kept"),
    [
        ("EUR", "1200", "1200.00"),
        ("EUR", "1200.5", "1200.50"),
        ("EUR", "1200.500", "1200.50"),
        ("JPY", "1200", "1200"),
        ("JPY", "1200.00", "1200"),
        ("KWD", "1200", "1200.000"),
        ("KWD", "0.125", "0.125"),
        ("CLF", "3.1", "3.1000"),
    ],
)
def test_an_invoice_amount_is_kept_at_the_currency_scale(currency: str, written: str, kept: str) -> None:
    account = opened(currency, "0")
    invoiced(account, "F-1", written)
    assert str(account.invoices["F-1"].amount) == kept
    assert str(account.invoices["F-1"].open_balance) == kept
    [event] = account.collect_events()[1:]
    assert str(event.amount) == kept  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("currency", "written"),
    [("EUR", "10.001"), ("EUR", "0.005"), ("JPY", "1200.5"), ("JPY", "0.1"), ("KWD", "1.0005")],
)
def test_an_amount_finer_than_the_currency_allows_is_refused(currency: str, written: str) -> None:
    account = opened(currency, "0")
    with pytest.raises(Invalid) as refused:
        invoiced(account, "F-1", written)
    assert refused.value.field == "data.amount"
    assert "decimal places" in refused.value.reason
    assert account.invoices == {}


def test_an_amount_beyond_twelve_digits_is_refused() -> None:
    account = opened()
    for too_large in ("1E+16", "1000000000000", "1000000000000.00"):
        with pytest.raises(Invalid) as refused:
            invoiced(account, "F-1", too_large)
        assert refused.value.field == "data.amount"
    invoiced(account, "F-2", "999999999999.99")
    assert str(valued(account).outstanding) == "999999999999.99"


def test_yen_balances_are_kept_in_whole_yen() -> None:
    account = opened("JPY", "1000000")
    invoiced(account, "F-1", "120000", issue=day(3, 1), due=day(3, 31))
    paid(account, "P-1", "50000", day(3, 10), ("F-1", "45000"))
    now = valued(account, day(4, 1))
    assert (str(now.outstanding), str(now.unapplied_cash), str(now.overdue)) == ("75000", "5000", "75000")
    assert str(now.headroom) == "930000"


def test_dinar_balances_keep_their_fils() -> None:
    account = opened("KWD", "500.000")
    invoiced(account, "F-1", "100.125")
    account.issue_credit_note("cn", "CN-1", "F-1", Decimal("0.005"), day(3, 2))
    assert str(valued(account).outstanding) == "100.120"
    assert str(valued(account).headroom) == "399.880"

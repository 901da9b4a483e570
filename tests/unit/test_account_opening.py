"""Opening an account: a name, an ISO 4217 currency, a limit of zero or more."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.account import CustomerAccount
from o2c.domain.errors import Invalid
from tests.unit.trade import opened, valued


def test_an_opened_account_keeps_its_terms_and_starts_with_nothing_owed() -> None:
    account = opened("EUR", "5000", payment_terms_days=45, insured_limit=Decimal("3000"), risk_class="B")
    assert (account.account, account.name, account.currency) == ("C-1001", "Acme SARL", "EUR")
    assert account.credit_limit == Decimal("5000.00") and str(account.credit_limit) == "5000.00"
    assert str(account.insured_limit) == "3000.00"
    assert (account.payment_terms_days, account.risk_class, account.rating) == (45, "B", None)
    now = valued(account)
    assert (now.outstanding, now.uninvoiced, now.unapplied_cash, now.exposure) == (0, 0, 0, 0)
    assert now.headroom == Decimal("5000.00")
    assert now.open_items == ()


def test_payment_terms_default_to_thirty_days() -> None:
    assert opened().payment_terms_days == 30


def test_a_zero_credit_limit_is_allowed_and_leaves_no_utilization() -> None:
    account = opened(credit_limit="0")
    assert str(account.credit_limit) == "0.00"
    assert valued(account).utilization is None
    assert valued(account).headroom == Decimal("0.00")


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"name": "  "}, "data.name"),
        ({"currency": "XYZ"}, "data.currency"),
        ({"currency": "eur"}, "data.currency"),
        ({"credit_limit": Decimal("-0.01")}, "data.credit_limit"),
        ({"credit_limit": Decimal("100.001")}, "data.credit_limit"),
        ({"credit_limit": Decimal("NaN")}, "data.credit_limit"),
        ({"insured_limit": Decimal("-5")}, "data.insured_limit"),
        ({"payment_terms_days": -1}, "data.payment_terms_days"),
        ({"payment_terms_days": 3651}, "data.payment_terms_days"),
        ({"risk_class": "F"}, "data.risk_class"),
        ({"account": " "}, "account"),
    ],
)
def test_an_opening_that_breaks_a_rule_is_refused_naming_the_field(args: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {
        "account": "C-1001",
        "event_id": "open",
        "name": "Acme",
        "currency": "EUR",
        "credit_limit": Decimal("1000"),
    }
    with pytest.raises(Invalid) as refused:
        CustomerAccount.open(**{**fields, **args})  # type: ignore[arg-type]
    assert refused.value.field == field


def test_payment_terms_of_zero_and_of_ten_years_are_the_bounds() -> None:
    assert opened(payment_terms_days=0).payment_terms_days == 0
    assert opened(payment_terms_days=3650).payment_terms_days == 3650


def test_a_zero_credit_limit_written_with_a_minus_sign_is_kept_as_plain_zero() -> None:
    account = opened(credit_limit="-0")
    assert str(account.credit_limit) == "0.00"
    account.change_limit("lim", Decimal("-0.00"))
    assert str(account.credit_limit) == "0.00"

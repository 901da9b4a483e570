"""Resolving a dispute closes it on resolved_date; only `upheld` credits the
invoice: credited_amount, by default the disputed amount (capped at what is
still open)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.account import CustomerAccount
from o2c.domain.errors import Conflict, Invalid
from tests.unit.trade import balances, day, invoiced, opened, paid, valued


def _disputed_invoice() -> CustomerAccount:
    account = opened()
    invoiced(account, "F-1", "1000.00", issue=day(3, 1), due=day(3, 31))
    account.open_dispute("d", "D-1", "F-1", Decimal("300"), "damaged", day(3, 10))
    return account


def test_an_upheld_dispute_credits_the_disputed_amount_by_default_on_its_resolved_date() -> None:
    account = _disputed_invoice()
    account.resolve_dispute("r", "D-1", "upheld", day(3, 20))
    assert (account.disputes["D-1"].outcome, account.disputes["D-1"].resolved_date) == ("upheld", day(3, 20))
    march_19 = valued(account, day(3, 19))
    assert (str(march_19.outstanding), str(march_19.disputed)) == ("1000.00", "300.00")
    march_20 = valued(account, day(3, 20))
    assert (str(march_20.outstanding), march_20.disputed) == ("700.00", 0)
    assert [(m.effective, str(m.amount), m.source) for m in account.invoices["F-1"].settlements] == [
        (day(3, 20), "300.00", "D-1")
    ]


def test_an_upheld_dispute_credits_the_amount_stated() -> None:
    account = _disputed_invoice()
    account.resolve_dispute("r", "D-1", "upheld", day(3, 20), Decimal("120.5"))
    assert balances(account) == {"F-1": "879.50"}
    assert valued(account).disputed == 0


def test_the_default_credit_is_capped_at_what_is_still_open() -> None:
    account = _disputed_invoice()
    paid(account, "P-1", "800.00", day(3, 15), ("F-1", "800.00"))  # 200 left, 300 disputed
    account.resolve_dispute("r", "D-1", "upheld", day(3, 20))
    assert balances(account) == {}
    assert str(account.invoices["F-1"].settlements[-1].amount) == "200.00"
    assert str(valued(account, day(3, 19)).outstanding) == "200.00"


def test_a_stated_credit_beyond_the_open_balance_is_refused() -> None:
    account = _disputed_invoice()
    paid(account, "P-1", "800.00", day(3, 15), ("F-1", "800.00"))
    with pytest.raises(Invalid) as refused:
        account.resolve_dispute("r", "D-1", "upheld", day(3, 20), Decimal("200.01"))
    assert refused.value.field == "data.credited_amount"
    assert account.disputes["D-1"].outcome is None


@pytest.mark.parametrize("outcome", ["rejected", "withdrawn"])
def test_a_rejected_or_withdrawn_dispute_closes_without_credit(outcome: str) -> None:
    account = _disputed_invoice()
    account.resolve_dispute("r", "D-1", outcome, day(3, 20))
    assert account.disputes["D-1"].outcome == outcome
    assert balances(account) == {"F-1": "1000.00"}
    assert str(valued(account, day(3, 19)).disputed) == "300.00"
    assert valued(account, day(3, 20)).disputed == 0


@pytest.mark.parametrize("outcome", ["rejected", "withdrawn"])
def test_only_an_upheld_dispute_may_state_a_credited_amount(outcome: str) -> None:
    account = _disputed_invoice()
    with pytest.raises(Invalid) as refused:
        account.resolve_dispute("r", "D-1", outcome, day(3, 20), Decimal("10"))
    assert refused.value.field == "data.credited_amount"


def test_an_unknown_outcome_is_invalid() -> None:
    account = _disputed_invoice()
    with pytest.raises(Invalid) as refused:
        account.resolve_dispute("r", "D-1", "settled", day(3, 20))
    assert refused.value.field == "data.outcome"


def test_resolving_an_unknown_dispute_is_invalid() -> None:
    account = _disputed_invoice()
    with pytest.raises(Invalid) as refused:
        account.resolve_dispute("r", "D-404", "upheld", day(3, 20))
    assert refused.value.field == "data.dispute_id"


def test_resolving_twice_is_a_conflict() -> None:
    account = _disputed_invoice()
    account.resolve_dispute("r1", "D-1", "withdrawn", day(3, 20))
    with pytest.raises(Conflict) as refused:
        account.resolve_dispute("r2", "D-1", "upheld", day(3, 21))
    assert refused.value.field == "data.dispute_id"
    assert balances(account) == {"F-1": "1000.00"}


def test_a_resolution_dated_before_the_dispute_is_invalid() -> None:
    account = _disputed_invoice()
    with pytest.raises(Invalid) as refused:
        account.resolve_dispute("r", "D-1", "upheld", day(3, 9))
    assert refused.value.field == "data.resolved_date"
    account.resolve_dispute("r", "D-1", "upheld", day(3, 10))
    assert balances(account, day(3, 10)) == {"F-1": "700.00"}

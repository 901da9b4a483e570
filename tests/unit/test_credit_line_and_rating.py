"""LimitChanged sets a new credit limit (and insured limit when given);
RatingChanged keeps the latest external rating."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c.domain.errors import Invalid
from tests.unit.trade import invoiced, opened, valued


def test_a_new_limit_changes_headroom_and_utilization() -> None:
    account = opened(credit_limit="1000")
    invoiced(account, "F-1", "900.00")
    assert (str(valued(account).headroom), valued(account).utilization) == ("100.00", Decimal("0.9"))
    account.change_limit("lim", Decimal("600"), "downgrade")
    assert str(account.credit_limit) == "600.00"
    assert (str(valued(account).headroom), valued(account).utilization) == ("-300.00", Decimal("1.5"))


def test_a_limit_of_zero_is_allowed_and_leaves_utilization_undefined() -> None:
    account = opened(credit_limit="1000")
    invoiced(account, "F-1", "50.00")
    account.change_limit("lim", Decimal("0"))
    assert (str(valued(account).headroom), valued(account).utilization) == ("-50.00", None)


def test_the_insured_limit_is_kept_unless_a_new_one_is_given() -> None:
    account = opened(credit_limit="1000", insured_limit=Decimal("800"))
    account.change_limit("lim1", Decimal("2000"))
    assert (str(account.credit_limit), str(account.insured_limit)) == ("2000.00", "800.00")
    account.change_limit("lim2", Decimal("2000"), insured_limit=Decimal("1500.5"))
    assert str(account.insured_limit) == "1500.50"


def test_a_limit_finer_than_the_currency_is_refused() -> None:
    account = opened("JPY", "100000")
    with pytest.raises(Invalid) as refused:
        account.change_limit("lim", Decimal("100.5"))
    assert refused.value.field == "data.credit_limit"
    with pytest.raises(Invalid) as refused:
        account.change_limit("lim", Decimal("100"), insured_limit=Decimal("-1"))
    assert refused.value.field == "data.insured_limit"
    assert str(account.credit_limit) == "100000"


def test_the_latest_rating_is_kept() -> None:
    account = opened()
    account.change_rating("r1", "Coface", Decimal("7"), "A")
    account.change_rating("r2", "Altares", Decimal("3.5"))
    assert account.rating == {"agency": "Altares", "score": Decimal("3.5"), "rating": None}


@pytest.mark.parametrize(("agency", "score", "field"), [(" ", "5", "data.agency"), ("Coface", "NaN", "data.score")])
def test_a_rating_needs_an_agency_and_a_finite_score(agency: str, score: str, field: str) -> None:
    account = opened()
    with pytest.raises(Invalid) as refused:
        account.change_rating("r", agency, Decimal(score))
    assert refused.value.field == field
    assert account.rating is None

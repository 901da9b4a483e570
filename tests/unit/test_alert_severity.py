"""An overdue invoice's severity rises with its age and its amount (in its own
currency), by configured thresholds; an alert is dated by the business date of
the fact that raised it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.domain.alerts import business_date
from o2c.domain.overdue_severity import DEFAULT_OVERDUE_SEVERITY, LEVELS, OverdueSeverity

DEFAULT = DEFAULT_OVERDUE_SEVERITY


@pytest.mark.parametrize(
    ("days", "amount", "currency", "level"),
    [
        (1, "100.00", "EUR", "low"),
        (29, "9999.99", "EUR", "low"),
        (30, "1.00", "EUR", "medium"),  # each threshold is reached on its day
        (60, "1.00", "EUR", "high"),
        (90, "1.00", "EUR", "critical"),
        (1, "10000.00", "EUR", "medium"),  # or at its amount
        (1, "100000.00", "USD", "critical"),
        (1, "100000", "JPY", "low"),  # 100,000 yen is not 100,000 euros
        (1, "15000000", "JPY", "critical"),
        (1, "999999999", "SEK", "low"),  # no amount thresholds: by age alone
        (95, None, None, "critical"),
    ],
)
def test_the_default_thresholds(days: int, amount: str | None, currency: str | None, level: str) -> None:
    assert DEFAULT.of(days, None if amount is None else Decimal(amount), currency) == level


@given(st.integers(1, 5000), st.integers(1, 5000), st.decimals(0, 10**9, places=2), st.decimals(0, 10**9, places=2))
def test_later_or_larger_is_never_less_urgent(days: int, more_days: int, amount: Decimal, more: Decimal) -> None:
    def rank(d: int, a: Decimal) -> int:
        return LEVELS.index(DEFAULT.of(d, a, "EUR"))

    assert rank(days, amount) <= rank(days + more_days, amount + more)


def test_thresholds_are_read_from_configuration() -> None:
    configured = OverdueSeverity.parse("10, 20", "KWD=1.500/3,EUR=500")
    assert configured == OverdueSeverity((10, 20), {"KWD": (Decimal("1.500"), Decimal(3)), "EUR": (Decimal(500),)})
    assert OverdueSeverity.parse("", "") == OverdueSeverity((), {})  # never rises: always low
    assert OverdueSeverity.parse("", "").of(1000, Decimal(10**9), "EUR") == "low"


@pytest.mark.parametrize(
    ("days", "amounts"),
    [("30,20", ""), ("0,10", ""), ("30,60,90,120", ""), ("x", ""), ("30,,60", ""), ("", "EUR"),
     ("", "EUR=1/x"), ("", "ABC=1"), ("", "EUR=1,EUR=2"), ("", "EUR=NaN"), ("", "EUR=-5")],
)  # fmt: skip
def test_a_bad_threshold_stops_the_service_at_start(days: str, amounts: str) -> None:
    with pytest.raises(ValueError, match="O2C_OVERDUE_SEVERITY"):
        OverdueSeverity.parse(days, amounts)


def fact(kind: str, recorded: datetime, **data: object) -> object:
    return type(kind, (SimpleNamespace,), {})(timestamp=recorded, **data)


def test_a_fact_s_business_date_or_the_day_it_was_recorded() -> None:
    late = datetime(2026, 4, 10, 23, 30, tzinfo=UTC)
    assert business_date(fact("InvoiceIssued", late, issue_date=date(2026, 3, 1))) == date(2026, 3, 1)
    assert business_date(fact("PaymentAllocated", late, allocation_date=date(2026, 3, 9))) == date(2026, 3, 9)
    assert business_date(fact("LimitChanged", late)) == date(2026, 4, 10)
    paris = late.astimezone(timezone(timedelta(hours=2)))  # 2026-04-11 01:30 there
    assert business_date(fact("RatingChanged", paris)) == date(2026, 4, 10)  # the UTC day

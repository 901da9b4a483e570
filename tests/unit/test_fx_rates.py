"""A day's exchange rates as an aggregate: what a document may hold, a day
replaced by a new version, stable event topics, and the document a conversion
reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from o2c.domain.errors import Invalid
from o2c.domain.fx import RateBook
from o2c.domain.fx_rates import DailyRates, check_rate, check_rates, written
from o2c.projections.fx import documents

DAY = date(2026, 11, 30)


def test_a_day_is_recorded_then_replaced_by_a_new_version() -> None:
    daily = DailyRates.record(DAY, "fx-1", "EUR", {"USD": "1.0842", "JPY": "162.53"})
    assert daily.id == "o2c:fx:2026-11-30"
    assert daily.current.rates == {"JPY": Decimal("162.53"), "USD": Decimal("1.0842")}
    daily.replace("fx-2", "USD", {"EUR": "0.9223"})
    assert [(v.version, v.base, list(v.rates)) for v in daily.versions] == [(1, "EUR", ["JPY", "USD"]),
                                                                            (2, "USD", ["EUR"])]  # fmt: skip
    assert daily.document.base == "USD" and daily.document.rates == {"EUR": Decimal("0.9223")}
    assert daily.versions[1].recorded_at >= daily.versions[0].recorded_at


def test_event_topics_are_stable() -> None:
    # Recorded facts name their class: renaming it would leave the ledger's rates unreadable.
    daily = DailyRates.record(DAY, "fx-1", "EUR", {"USD": "1.0842"})
    daily.replace("fx-2", "EUR", {"USD": "1.0850"})
    assert [get_topic(type(e)) for e in daily.collect_events()] == [
        "o2c.domain.fx_rates:DailyRates.RatesRecorded",
        "o2c.domain.fx_rates:DailyRates.RatesReplaced",
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (1.08, "not a JSON number"),
        (True, "not a JSON number"),
        ("1,08", "not a decimal rate"),
        ("1E+3", "not a decimal rate"),
        ("Infinity", "not a decimal rate"),
        ("\uff11.08", "not a decimal rate"),  # a full-width digit Decimal() would read
        ("0", "must be a rate from"),
        ("-1", "must be a rate from"),
        ("0.0000000009", "must be a rate from"),
        ("1000000000.000000000001", "must be a rate from"),
        ("1.0000000000001", "more than 12 decimal places"),
    ],
)
def test_a_rate_is_a_bounded_positive_decimal_string(text: Any, reason: str) -> None:
    with pytest.raises(Invalid, match=reason) as refused:
        check_rate("rates.USD", text)
    assert refused.value.field == "rates.USD"


@pytest.mark.parametrize("text", ["0.000000001", "1000000000", "1.084200000001", "162.53"])
def test_rates_at_the_bounds_are_kept_as_written(text: str) -> None:
    assert written(check_rate("rates.USD", text)) == text


@pytest.mark.parametrize(
    ("base", "rates", "field"),
    [
        ("EUR", {}, "rates"),
        ("EUR", {f"Q{i:03}": "1" for i in range(201)}, "rates"),
        ("eur", {"USD": "1"}, "base"),
        ("XXX", {"USD": "1"}, "base"),
        ("EUR", {"USD": "1", "usd": "1"}, "rates.usd"),
        ("EUR", {"EUR": "1"}, "rates.EUR"),
        ("EUR", {"US\nD": "1"}, "rates"),
    ],
)
def test_a_document_names_iso_currencies_once_each(base: str, rates: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_rates(base, rates)
    assert refused.value.field == field


def test_a_date_outside_the_business_window_is_refused() -> None:
    with pytest.raises(Invalid, match="must lie between") as refused:
        DailyRates.record(date(1899, 12, 31), "fx-1", "EUR", {"USD": "1"})
    assert refused.value.field == "date"


def test_the_read_model_rows_make_one_document_a_day() -> None:
    older = date(2026, 11, 27)  # rows as rm_fx_rates gives them: (rate_date, base, quote, rate)
    rows = [(DAY, "EUR", "USD", "1.0842"), (DAY, "EUR", "JPY", "162.53"), (older, "USD", "EUR", "0.92")]
    book = RateBook(documents(rows))
    # JPY into USD across the 30th's base: 1.0842 / 162.53, exact to 34 digits.
    jpy = book.conversion("JPY", "USD", DAY)
    assert (jpy.rate_date, jpy.rate) == (DAY, Decimal("0.006670768473512582292499846182243278"))
    assert book.conversion("USD", "EUR", date(2026, 11, 28)).rate == Decimal("0.92")  # 1 USD = 0.92 EUR, as recorded

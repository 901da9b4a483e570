"""The reporting currency a portfolio view converts into (the query parameter,
else the configured default), how an answer names the rates it used, and the
settings behind them: O2C_REPORTING_CURRENCY and the indemnity per currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from o2c.api.problems import Problem
from o2c.api.reporting import conversion_body, rate_text, reporting_currency
from o2c.config import Settings, parse_indemnities
from o2c.domain.fx import Conversion


def request(configured: str | None) -> Any:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(settings=Settings(reporting_currency=configured))))


@pytest.mark.parametrize(
    ("configured", "value", "chosen"),
    [(None, None, None), ("EUR", None, "EUR"), ("EUR", "USD", "USD"), (None, "JPY", "JPY"), ("EUR", "", None)],
)
def test_the_parameter_else_the_configured_default(configured: str | None, value: str | None, chosen: str | None
                                                   ) -> None:  # fmt: skip
    assert reporting_currency(request(configured), value) == chosen


@pytest.mark.parametrize("value", ["eur", "EURO", "XXX", "€", "E\x00R"])
def test_a_reporting_currency_is_an_iso_code(value: str) -> None:
    with pytest.raises(Problem) as refused:
        reporting_currency(request("EUR"), value)
    assert refused.value.status == 422
    assert [e["field"] for e in refused.value.errors or []] == ["reporting_currency"]


def test_a_configured_reporting_currency_is_checked_at_startup() -> None:
    with pytest.raises(ValueError, match="O2C_REPORTING_CURRENCY"):
        Settings(reporting_currency="EURO")


def test_the_conversion_block_lists_each_rate_exact_as_applied() -> None:
    used = {
        "EUR": Conversion("EUR", "EUR", Decimal(1), None),  # the reporting currency itself: no rate
        "JPY": Conversion("JPY", "EUR", Decimal(1) / Decimal("162.53"), date(2026, 11, 30)),
        "USD": Conversion("USD", "EUR", Decimal("0.9200"), date(2026, 11, 27)),
    }
    assert conversion_body("EUR", used) == {
        "reporting_currency": "EUR",
        "rates": [
            {"currency": "JPY", "rate": "0.006152710268873438749769273365", "rate_date": "2026-11-30"},
            {"currency": "USD", "rate": "0.92", "rate_date": "2026-11-27"},
        ],
    }
    assert conversion_body(None, None) is None
    assert rate_text(Decimal("1E+2")) == "100"
    cross = "0.006670768473512582292499846182243278"  # the 34 digits a cross rate is applied with
    assert rate_text(Decimal(cross)) == cross


@pytest.mark.parametrize(
    ("text", "eur", "others"),
    [
        ("40.00", "40.00", {}),  # as before: the indemnity, now in EUR
        ("EUR=45,USD=45.00,JPY=6000", "45", {"USD": "45.00", "JPY": "6000"}),
        ("USD=45.00", "40.00", {"USD": "45.00"}),  # the law's 40 EUR stays
        ("40.00, KWD=12.500", "40.00", {"KWD": "12.500"}),
    ],
)
def test_the_indemnity_setting_old_and_per_currency(text: str, eur: str, others: dict[str, str]) -> None:
    parsed = parse_indemnities(text)
    assert str(parsed["penalty_indemnity"]) == eur
    assert {c: str(a) for c, a in parsed["penalty_indemnities"].items()} == others
    assert Settings(**parsed).penalty_terms.indemnities == {c: Decimal(a) for c, a in others.items()}


@pytest.mark.parametrize("text", ["usd=45", "USD=45,USD=46", "40,EUR=41", "USD=abc", "JPY=1.5"])
def test_a_bad_indemnity_setting_fails_at_startup(text: str) -> None:
    with pytest.raises(ValueError, match=r"O2C_PENALTY_INDEMNITY|indemnity in JPY"):
        Settings(**parse_indemnities(text))

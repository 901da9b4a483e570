"""The agenda of a portfolio in euros, dollars and yen, over HTTP, worked out by hand.

Every account is class C (weight 2) and follows the shipped `standard` scenario.
On 2026-04-20: E-1 1000.00 EUR 20 days past due (priority 40000.00), E-2 300.00
EUR 10 days (6000.00); U-1 5000.00 USD 15 days (150000.00), U-2 200.00 USD 30
days (12000.00); J-1 1000000 JPY 20 days (40000000), J-2 50000 JPY 5 days
(500000). Rates (base EUR): on 04-01 USD 1.10 and JPY 160; on 04-15 USD 1.0842
and JPY 162.53, in force on 04-20; on 04-25 others, not yet."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given

from tests.integration.by_hand import PLACES, RATE, RATES_PROPERTY, REPORTING, converted, put_rates, rendered
from tests.integration.conftest import BI, Service, invoice, opened

DAY = "2026-04-20"
RATES_OF_DAY = {"USD": "1.0842", "JPY": "162.53"}
ACCOUNTS = {  # account: (currency, invoice amount, due date)
    "E-1": ("EUR", "1000.00", "2026-03-31"),
    "E-2": ("EUR", "300.00", "2026-04-10"),
    "U-1": ("USD", "5000.00", "2026-04-05"),
    "U-2": ("USD", "200.00", "2026-03-21"),
    "J-1": ("JPY", "1000000", "2026-03-31"),
    "J-2": ("JPY", "50000", "2026-04-15"),
}


def get(service: Service, after: int, **params: Any) -> Any:
    response = service.client.get(
        "/v1/collections/agenda", params={"date": DAY, **params}, headers={**BI, "X-O2C-After": str(after)}
    )
    assert response.status_code == 200, response.text
    return response.json() if response.headers["content-type"].startswith("application/json") else response.text


@pytest.fixture
def portfolio(service: Service) -> int:
    facts = []
    for code, (currency, amount, due) in ACCOUNTS.items():
        facts.append(opened(code, currency=currency, credit_limit="0", risk_class="C"))
        facts.append(invoice(f"{code}-F", amount, "2026-03-01", due, account=code))
    response = service.post({"events": facts})
    assert response.status_code == 201, response.text
    put_rates(service, "2026-04-01", {"USD": "1.10", "JPY": "160"})
    put_rates(service, "2026-04-25", {"USD": "1.20", "JPY": "170"})
    return put_rates(service, "2026-04-15", RATES_OF_DAY)


def test_without_a_reporting_currency_accounts_come_by_currency_then_priority(service: Service, portfolio: int) -> None:
    answer = get(service, portfolio)
    rows = [(a["account"], a["currency"], a["priority"], a["amount_at_risk"]) for a in answer["accounts"]]
    assert rows == [
        ("E-1", "EUR", "40000.00", "1000.00"),
        ("E-2", "EUR", "6000.00", "300.00"),
        ("J-1", "JPY", "40000000", "1000000"),
        ("J-2", "JPY", "500000", "50000"),
        ("U-1", "USD", "150000.00", "5000.00"),
        ("U-2", "USD", "12000.00", "200.00"),
    ]
    assert answer["ranked_by"] == ["currency", "priority", "account"]
    assert (answer["currency"], answer["amount_at_risk"], answer["conversion"]) == (None, None, None)
    assert answer["total_accounts"] == 6
    assert answer["by_currency"] == [
        {"currency": "EUR", "accounts": 2, "amount_at_risk": "1300.00"},
        {"currency": "JPY", "accounts": 2, "amount_at_risk": "1050000"},
        {"currency": "USD", "accounts": 2, "amount_at_risk": "5200.00"},
    ]
    j1 = answer["accounts"][2]
    assert j1["items"][0]["amount_at_risk"] == "1000000" and j1["converted_amount_at_risk"] is None


def test_a_currency_filter_keeps_one_currency_and_its_totals(service: Service, portfolio: int) -> None:
    answer = get(service, portfolio, currency="JPY")
    assert [a["account"] for a in answer["accounts"]] == ["J-1", "J-2"]
    assert (answer["currency"], answer["amount_at_risk"], answer["total_accounts"]) == ("JPY", "1050000", 2)
    assert answer["by_currency"] == [{"currency": "JPY", "accounts": 2, "amount_at_risk": "1050000"}]
    nothing = get(service, portfolio, currency="GBP")
    assert (nothing["accounts"], nothing["currency"], nothing["amount_at_risk"]) == ([], "GBP", "0.00")
    for wrong in ("usd", "EURO", "XYZ", ""):
        refused = service.client.get("/v1/collections/agenda", params={"currency": wrong}, headers=BI)
        assert refused.status_code == 422, (wrong, refused.text)
        assert refused.json()["errors"][0]["field"] == "currency"


def test_a_reporting_currency_ranks_every_account_on_its_converted_priority(service: Service, portfolio: int) -> None:
    answer = get(service, portfolio, reporting_currency="EUR")
    priorities = {code: converted(a["priority"], a["currency"], "EUR", RATES_OF_DAY)
                 for a in answer["accounts"] for code in [a["account"]]}  # fmt: skip
    assert [a["account"] for a in answer["accounts"]] == ["J-1", "U-1", "E-1", "U-2", "E-2", "J-2"]
    assert sorted(priorities, key=lambda code: (-priorities[code], code)) == [a["account"] for a in answer["accounts"]]
    for row in answer["accounts"]:
        assert row["converted_priority"] == rendered(priorities[row["account"]], 2)
        assert row["converted_amount_at_risk"] == rendered(
            converted(row["amount_at_risk"], row["currency"], "EUR", RATES_OF_DAY), 2
        )
    assert answer["accounts"][0]["converted_priority"] == "246108.41"  # 40,000,000 JPY / 162.53
    assert answer["ranked_by"] == ["converted_priority", "account"]
    total = sum(converted(g["amount_at_risk"], g["currency"], "EUR", RATES_OF_DAY) for g in answer["by_currency"])
    assert (answer["currency"], answer["amount_at_risk"]) == ("EUR", rendered(total, 2))
    assert answer["conversion"]["reporting_currency"] == "EUR"
    shown = {r["currency"]: r for r in answer["conversion"]["rates"] if r["currency"] != "EUR"}
    assert {code: r["rate_date"] for code, r in shown.items()} == {"JPY": "2026-04-15", "USD": "2026-04-15"}
    for code, r in shown.items():  # 1 USD = 1 / 1.0842 EUR, to far below a cent
        assert abs(Decimal(r["rate"]) * Decimal(RATES_OF_DAY[code]) - 1) < Decimal("1e-20")


def test_pages_of_either_order_add_up_to_the_whole_agenda_and_its_csv(service: Service, portfolio: int) -> None:
    for params in ({}, {"reporting_currency": "USD"}, {"currency": "USD", "reporting_currency": "JPY"}):
        whole = [a["account"] for a in get(service, portfolio, **params)["accounts"]]
        paged: list[str] = []
        cursor = None
        while True:
            page = get(service, portfolio, limit=4, **params, **({"cursor": cursor} if cursor else {}))
            paged += [a["account"] for a in page["accounts"]]
            if (cursor := page["next_cursor"]) is None:
                break
        assert paged == whole, params
        lines = list(csv.DictReader(io.StringIO(get(service, portfolio, format="csv", **params))))
        assert [line["account"] for line in lines] == whole
        assert all(line["reporting_currency"] == params.get("reporting_currency", "") for line in lines)
    lines = list(csv.DictReader(io.StringIO(get(service, portfolio, format="csv", reporting_currency="EUR"))))
    first = lines[0]
    assert (first["account"], first["currency"], first["amount_at_risk"]) == ("J-1", "JPY", "1000000")
    assert (first["converted_priority"], first["converted_amount_at_risk"]) == ("246108.41", "6152.71")


def test_a_missing_rate_is_refused_naming_the_pair(service: Service, portfolio: int) -> None:
    for params, pair in (
        ({"reporting_currency": "GBP"}, "/GBP"),
        ({"reporting_currency": "EUR", "date": "2026-03-25"}, "USD/EUR"),  # U-2 only, before any rate
    ):
        refused = service.client.get("/v1/collections/agenda", params={"date": DAY, **params},
                                     headers={**BI, "X-O2C-After": str(portfolio)})  # fmt: skip
        assert refused.status_code == 422, refused.text
        error = refused.json()["errors"][0]
        assert error["field"] == "reporting_currency" and pair in error["detail"], error
    # A currency kept out by the filter needs no rate.
    assert get(service, portfolio, currency="EUR", reporting_currency="EUR")["amount_at_risk"] == "1300.00"
    bad = service.client.get("/v1/collections/agenda", params={"reporting_currency": "eur"}, headers=BI)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reporting_currency"


@RATES_PROPERTY
@given(usd=RATE, jpy=RATE, reporting=REPORTING)
def test_per_currency_answers_converted_by_hand_are_the_reporting_answer(
    service: Service, portfolio: int, usd: Decimal, jpy: Decimal, reporting: str
) -> None:
    rates = {"USD": str(usd), "JPY": str(jpy)}
    after = put_rates(service, "2026-04-15", rates)  # the day's document, replaced
    answer = get(service, after, reporting_currency=reporting)
    plain = get(service, after)
    exact = {a["account"]: converted(a["priority"], a["currency"], reporting, rates) for a in plain["accounts"]}
    assert [a["account"] for a in answer["accounts"]] == sorted(exact, key=lambda code: (-exact[code], code))
    for row in answer["accounts"]:
        assert row["converted_priority"] == rendered(exact[row["account"]], PLACES[reporting])
    total = sum(converted(g["amount_at_risk"], g["currency"], reporting, rates) for g in plain["by_currency"])
    assert answer["amount_at_risk"] == rendered(total, PLACES[reporting])
    for group in plain["by_currency"]:
        one = get(service, after, currency=group["currency"], reporting_currency=reporting)
        alone = converted(group["amount_at_risk"], group["currency"], reporting, rates)
        assert one["amount_at_risk"] == rendered(alone, PLACES[reporting])

"""The monthly report of October 2026 on a portfolio in euros, dollars and yen,
worked out by hand, currency by currency and converted.

AE (EUR): F-1 1000.00 issued 09-01 due 09-30, 600.00 paid 10-10; F-2 2000.00
issued 10-05 due 11-04. AU (USD): U-1 500.00 issued 09-15 due 10-15, paid 10-16;
U-2 800.00 issued 10-20 due 11-19, 100.00 of it disputed from 10-25. AJ (JPY):
J-1 50000 issued 08-10 due 08-31, 20000 paid 10-05; J-2 100000 issued 10-01 due
10-31 (not yet overdue on 10-31).

Receivables R the day before the month / sales of the month / R at its end / not
yet due at its end: EUR 1000 / 2000 / 2400 / 2000 (CEI 60.0); USD 500 / 800 /
800 / 800 (CEI 100.0); JPY 50000 / 100000 / 130000 / 100000 (CEI 40.0)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given

from tests.integration.by_hand import ADMIN, PLACES, RATE, RATES_PROPERTY, REPORTING, converted, put_rates, rendered
from tests.integration.conftest import BI, Service, envelope, invoice, opened, payment

MONTH = "2026-10"
AS_OF = date(2026, 10, 31)
RATES = {"USD": "1.0842", "JPY": "162.53"}  # 1 EUR in each, recorded for 10-31
# What CEI and DSO are worked out from, by currency (see above).
MONTH_INPUTS = {  # R start, sales of the month, R end, not yet due at the end
    "EUR": (1000, 2000, 2400, 2000),
    "USD": (500, 800, 800, 800),
    "JPY": (50000, 100000, 130000, 100000),
}
SALES = {
    "EUR": {date(2026, 9, 1): 1000, date(2026, 10, 5): 2000},
    "USD": {date(2026, 9, 15): 500, date(2026, 10, 20): 800},
    "JPY": {date(2026, 8, 10): 50000, date(2026, 10, 1): 100000},
}


def report(service: Service, after: int, **params: Any) -> Any:
    response = service.client.get(
        "/v1/reports/monthly", params={"month": MONTH, **params}, headers={**BI, "X-O2C-After": str(after)}
    )
    assert response.status_code == 200, response.text
    return response.json() if response.headers["content-type"].startswith("application/json") else response.text


@pytest.fixture
def october(service: Service) -> int:
    facts = [
        opened("AE", credit_limit="5000.00"),
        opened("AU", currency="USD", credit_limit="5000.00"),
        opened("AJ", currency="JPY", credit_limit="500000"),
        invoice("F-1", "1000.00", "2026-09-01", "2026-09-30", account="AE"),
        invoice("F-2", "2000.00", "2026-10-05", "2026-11-04", account="AE"),
        payment("P-1", "600.00", "2026-10-10", [("F-1", "600.00")], account="AE"),
        invoice("U-1", "500.00", "2026-09-15", "2026-10-15", account="AU"),
        invoice("U-2", "800.00", "2026-10-20", "2026-11-19", account="AU"),
        payment("P-2", "500.00", "2026-10-16", [("U-1", "500.00")], account="AU"),
        envelope("d-1", "DisputeOpened", "AU", dispute_id="D-1", invoice_id="U-2", amount="100.00",
                 reason="price", opened_date="2026-10-25"),
        invoice("J-1", "50000", "2026-08-10", "2026-08-31", account="AJ"),
        invoice("J-2", "100000", "2026-10-01", "2026-10-31", account="AJ"),
        payment("P-3", "20000", "2026-10-05", [("J-1", "20000")], account="AJ"),
    ]  # fmt: skip
    response = service.post({"events": facts})
    assert response.status_code == 201, response.text
    put_rates(service, "2026-10-01", {"USD": "1.10", "JPY": "150"})
    put_rates(service, "2026-11-05", {"USD": "1.20", "JPY": "170"})  # after the month: not used
    return put_rates(service, "2026-10-31", RATES)


def countback(receivables: Fraction, sales_by_day: dict[date, Fraction]) -> Fraction:
    """SPEC's countback DSO, walked day by day with exact fractions."""
    days, remaining, day = Fraction(0), receivables, AS_OF
    while remaining > 0:
        sales = sales_by_day.get(day, Fraction(0))
        days += 1 if sales <= 0 or remaining >= sales else remaining / sales
        remaining -= min(remaining, max(sales, Fraction(0)))
        day -= timedelta(days=1)
    return days


def test_each_currency_has_its_figures_and_mixed_ones_are_not_added(service: Service, october: int) -> None:
    answer = report(service, october)
    groups = {g["currency"]: g for g in answer["by_currency"]}
    assert list(groups) == ["EUR", "JPY", "USD"]
    assert {c: g["cei"] for c, g in groups.items()} == {"EUR": "60.0", "JPY": "40.0", "USD": "100.0"}
    assert {c: (g["outstanding"], g["overdue"], g["cash_collected"]) for c, g in groups.items()} == {
        "EUR": ("2400.00", "400.00", "600.00"),
        "JPY": ("130000", "30000", "20000"),
        "USD": ("800.00", "0.00", "500.00"),
    }
    assert groups["EUR"]["dso"]["dso"] == "60.4"
    assert groups["JPY"]["aging"]["totals"]["61-90"] == "30000" and groups["JPY"]["dso"]["receivables"] == "130000"
    assert groups["USD"]["disputes"] == {"opened": 1, "opened_amount": "100.00", "resolved": 0,
                                         "resolved_amount": "0.00"}  # fmt: skip
    assert [(e["account"], e["exposure"]) for e in groups["JPY"]["top_exposures"]] == [("AJ", "130000")]
    # Top level: no sum across currencies, counts excepted (they are in no currency).
    assert (answer["currency"], answer["conversion"], answer["cei"], answer["outstanding"]) == (None, None, None, None)
    assert answer["dso"]["dso"] is None and set(answer["aging"]["totals"].values()) == {None}
    assert answer["disputes"] == {"opened": 1, "opened_amount": None, "resolved": 0, "resolved_amount": None}
    assert [(e["account"], e["currency"]) for e in answer["top_exposures"]] == [
        ("AE", "EUR"), ("AJ", "JPY"), ("AU", "USD"),
    ]  # ranked within their currency, currency first


def test_a_currency_filter_reports_that_currency_alone(service: Service, october: int) -> None:
    answer = report(service, october, currency="JPY")
    assert [g["currency"] for g in answer["by_currency"]] == ["JPY"]
    assert (answer["currency"], answer["outstanding"], answer["cei"]) == ("JPY", "130000", "40.0")
    assert answer["aging"]["totals"]["current"] == "100000"
    nothing = report(service, october, currency="GBP")
    assert (nothing["currency"], nothing["outstanding"], nothing["cei"]) == ("GBP", "0.00", None)
    refused = service.client.get("/v1/reports/monthly", params={"month": MONTH, "currency": "yen"}, headers=BI)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "currency"


def test_converted_figures_are_worked_out_from_converted_amounts(service: Service, october: int) -> None:
    answer = report(service, october, reporting_currency="EUR")
    assert (answer["currency"], answer["conversion"]["reporting_currency"]) == ("EUR", "EUR")
    assert {r["currency"]: r["rate_date"] for r in answer["conversion"]["rates"]} == {
        "JPY": "2026-10-31", "USD": "2026-10-31",
    }  # fmt: skip
    # CEI of sums, not an average of 60, 100 and 40: (600 + 500/1.0842 + 20000/162.53) / (1000 + ...).
    assert answer["cei"] == "67.0"
    assert answer["outstanding"] == "3937.72"  # 2400 + 800 / 1.0842 + 130000 / 162.53
    assert [e["account"] for e in answer["top_exposures"]] == ["AE", "AJ", "AU"]
    assert answer["top_exposures"][1]["converted_exposure"] == "799.85"  # 130000 / 162.53
    assert answer["top_exposures"][1]["exposure"] == "130000"


def test_a_budget_is_held_against_the_converted_figures(service: Service, october: int) -> None:
    put = service.client.put(f"/v1/reports/budget/{MONTH}", json={"cash_collected": "1000.00", "disputes_opened": 2},
                             headers=ADMIN)  # fmt: skip
    assert put.status_code == 200, put.text
    after = put.json()["position"]
    # 600 + 500 / 1.0842 + 20000 / 162.53 = 1184.22 EUR
    assert report(service, after, reporting_currency="EUR")["budget"] == {
        "cash_collected": {"budget": "1000.00", "actual": "1184.22", "variance": "184.22"},
        "disputes_opened": {"budget": "2.0", "actual": "1.0", "variance": "-1.0"},
    }
    mixed = report(service, after)["budget"]
    assert mixed["cash_collected"] == {"budget": "1000.00", "actual": None, "variance": None}
    assert mixed["disputes_opened"]["actual"] == "1.0"
    assert report(service, after, currency="EUR", reporting_currency="EUR")["budget"] is None
    lines = list(csv.reader(io.StringIO(report(service, after, reporting_currency="EUR", format="csv"))))
    assert lines[0] == ["scope", "currency", "section", "item", "value", "budget", "variance"]
    assert ["portfolio", "EUR", "figures", "cash_collected", "1184.22", "1000.00", "184.22"] in lines
    assert ["currency", "JPY", "figures", "cash_collected", "20000", "", ""] in lines
    assert ["currency", "USD", "figures", "cash_collected", "500.00", "", ""] in lines


def test_a_missing_rate_is_refused_naming_the_pair(service: Service, october: int) -> None:
    for params, pair in (({"reporting_currency": "CHF"}, "/CHF"), ({"month": "2026-09", "reporting_currency": "EUR"},
                                                                       "/EUR")):  # fmt: skip
        refused = service.client.get("/v1/reports/monthly", params={"month": MONTH, **params},
                                     headers={**BI, "X-O2C-After": str(october)})  # fmt: skip
        assert refused.status_code == 422, refused.text
        error = refused.json()["errors"][0]
        assert error["field"] == "reporting_currency" and pair in error["detail"], error


@RATES_PROPERTY
@given(usd=RATE, jpy=RATE, reporting=REPORTING)
def test_per_currency_answers_converted_by_hand_are_the_reporting_answer(
    service: Service, october: int, usd: Decimal, jpy: Decimal, reporting: str
) -> None:
    rates = {"USD": str(usd), "JPY": str(jpy)}
    after = put_rates(service, "2026-10-31", rates)  # the month end's document, replaced
    plain = report(service, after)
    answer = report(service, after, reporting_currency=reporting)
    groups = plain["by_currency"]
    places = PLACES[reporting]

    def total(figure: Any) -> str:
        """One figure of every currency's group, converted by hand and added up."""
        return rendered(sum(converted(figure(g), g["currency"], reporting, rates) for g in groups), places)

    for name in ("outstanding", "overdue", "cash_collected"):
        assert answer[name] == total(lambda g, name=name: g[name]), name
    for name in answer["aging"]["totals"]:
        assert answer["aging"]["totals"][name] == total(lambda g, name=name: g["aging"]["totals"][name]), name
    assert answer["dso"]["receivables"] == total(lambda g: g["dso"]["receivables"])
    assert answer["disputes"]["opened_amount"] == total(lambda g: g["disputes"]["opened_amount"])
    # Ratios from the converted sums: CEI, overdue rate, countback DSO over converted daily sales.
    inputs = [sum(converted(MONTH_INPUTS[c][i], c, reporting, rates) for c in MONTH_INPUTS) for i in range(4)]
    start, sales, end, current = inputs
    assert answer["cei"] == rendered((start + sales - end) * 100 / (start + sales - current), 1)
    outstanding = sum(converted(g["outstanding"], g["currency"], reporting, rates) for g in groups)
    overdue = sum(converted(g["overdue"], g["currency"], reporting, rates) for g in groups)
    assert answer["overdue_rate"] == rendered(overdue * 100 / outstanding, 1)
    daily: dict[date, Fraction] = {}
    for c, by_day in SALES.items():
        for day, amount in by_day.items():
            daily[day] = daily.get(day, Fraction(0)) + converted(amount, c, reporting, rates)
    assert answer["dso"]["dso"] == rendered(countback(end, daily), 1)
    exposures = {e["account"]: converted(e["exposure"], e["currency"], reporting, rates)
                 for g in groups for e in g["top_exposures"]}  # fmt: skip
    assert [e["account"] for e in answer["top_exposures"]] == sorted(exposures, key=lambda a: (-exposures[a], a))
    assert [e["converted_exposure"] for e in answer["top_exposures"]] == [
        rendered(exposures[e["account"]], places) for e in answer["top_exposures"]
    ]

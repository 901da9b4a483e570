"""Aging, DSO and exposure of a portfolio in euros, dollars and yen, over HTTP on
each store: kept per currency, filtered on one, or converted into a reporting
currency at the recorded rates.

The rounding rule: a converted figure is computed exactly (each currency's
figure times its rate, summed; ratios from the converted sums) and rounded
once, half-even, at the reporting currency's minor unit (days and rates to one
decimal). So every reporting-currency answer equals the per-currency answers
converted by hand with exact fractions, to the minor unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.integration.conftest import BI, Service, invoice, opened
from tests.integration.portfolio_strategies import BASE, Books, Portfolio, cents, fresh_service, portfolios
from tests.integration.test_fx_rates import recorded
from tests.integration.test_read_model_properties import AS_OF, PROPERTY, countback, half_even_tenth, percent

CURRENCIES = ("EUR", "JPY", "USD")
PLACES = {"EUR": 2, "USD": 2, "JPY": 0}
AMOUNT_FIELDS = ("amount", "credit_limit", "insured_limit", "credited_amount")
DSO_AMOUNTS = ("receivables", "sales", "outstanding", "not_yet_due", "overdue")


def get(service: Service, url: str, after: int, **params: Any) -> Any:
    response = service.client.get(url, params=params, headers={**BI, "X-O2C-After": str(after)})
    assert response.status_code == 200, response.text
    return response.json() if response.headers["content-type"].startswith("application/json") else response.text


def at_minor_unit(value: Fraction, currency: str) -> str:
    """Rounded once, half-even, at the currency's minor unit (JPY "1235", EUR "12.35")."""
    shift = PLACES[currency] - 1  # half_even_tenth rounds to one decimal: move the point there and back
    return str(half_even_tenth(value * Fraction(10) ** shift).scaleb(-shift))


def tenth(value: Fraction | None) -> str | None:
    return None if value is None else str(half_even_tenth(value))


def written_at_minor_unit(text: str, currency: str) -> bool:
    return Decimal(text).as_tuple().exponent == -PLACES[currency]


# -- a portfolio of three sub-portfolios, one per currency ---------------------------------------


def in_currency(fact: dict[str, Any], currency: str) -> dict[str, Any]:
    """A generated EUR fact made one of a `currency` account: codes and event ids prefixed
    by the currency; yen amounts written in whole yen (the cents become yen)."""

    def amounts(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: amounts(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [amounts(v) for v in value]
        if key in AMOUNT_FIELDS and isinstance(value, str) and PLACES[currency] == 0:
            return str(cents(value))
        return value

    data = amounts(fact["data"])
    if fact["type"] == "AccountOpened":
        data["currency"] = currency
    return {**fact, "event_id": f"{currency}-{fact['event_id']}", "account": f"{currency}-{fact['account']}",
            "data": data}  # fmt: skip


@dataclass
class RateDoc:
    day: date
    base: str
    rates: dict[str, str]

    def rate(self, currency: str, reporting: str) -> Fraction:
        """Units of `reporting` for one `currency`: direct, inverse or across the base."""
        per_base = {self.base: Fraction(1), **{q: Fraction(r) for q, r in self.rates.items()}}
        return per_base[reporting] / per_base[currency]


# Rates whose quotients all end (2^a 5^b): a cross rate is then exact in Decimal too, so
# the service's 34 digits and these fractions round alike even on a tie.
EUR_BASED = st.fixed_dictionaries({"USD": st.sampled_from(["1.25", "1.6", "0.8", "1.28"]),
                                   "JPY": st.sampled_from(["160", "156.25", "128", "200"])})  # fmt: skip
USD_BASED = st.fixed_dictionaries({"EUR": st.sampled_from(["0.8", "0.625", "1.25"]),
                                   "JPY": st.sampled_from(["125", "160", "102.4"])})  # fmt: skip


@dataclass
class World:
    portfolio: Portfolio
    docs: list[RateDoc]

    def rate(self, currency: str, reporting: str, on: date) -> Fraction:
        doc = max((d for d in self.docs if d.day <= on), key=lambda d: d.day)
        return doc.rate(currency, reporting)

    def rate_date(self, on: date) -> date:
        return max(d.day for d in self.docs if d.day <= on)

    def codes(self, currency: str) -> list[str]:
        return [code for code in self.portfolio.codes if code.startswith(currency)]


@st.composite
def worlds(draw: Callable[..., Any]) -> World:
    """Three currencies' portfolios (2 to 4 accounts each) and two rate documents: one
    based in EUR before every date asked, one based in USD on a date drawn among them."""
    facts = [in_currency(f, c) for c in CURRENCIES for f in draw(portfolios(max_facts=14)).facts]
    docs = [RateDoc(BASE - timedelta(days=400), "EUR", draw(EUR_BASED)),
            RateDoc(BASE + timedelta(days=draw(st.integers(-150, 100))), "USD", draw(USD_BASED))]  # fmt: skip
    return World(Portfolio(facts, [facts]), docs)


def post_world(service: Service, world: World) -> int:
    response = service.post({"events": world.portfolio.facts})
    assert response.status_code == 201, response.text
    last = 0
    for doc in world.docs:
        last = recorded(service, doc.day.isoformat(), doc.base, **doc.rates)
    return last


def converted(groups: list[dict[str, Any]], key: str, world: World, reporting: str, on: date) -> Fraction:
    """Σ over the per-currency groups of one figure, each converted exactly at the rate of `on`."""
    return sum((Fraction(g[key]) * world.rate(g["currency"], reporting, on) for g in groups), Fraction(0))


def conversion_of(answer: dict[str, Any]) -> tuple[str, list[tuple[str, Fraction, str]]]:
    found = answer["conversion"]
    return found["reporting_currency"], [(r["currency"], Fraction(r["rate"]), r["rate_date"]) for r in found["rates"]]


def expected_conversion(world: World, reporting: str, on: date) -> tuple[str, list[tuple[str, Fraction, str]]]:
    rates = [(c, world.rate(c, reporting, on), world.rate_date(on).isoformat()) for c in CURRENCIES if c != reporting]
    return reporting, rates


# -- the property ---------------------------------------------------------------------------------


@PROPERTY
@given(world=worlds(), data=st.data())
def test_per_currency_answers_converted_by_hand_are_the_reporting_currency_answer(
    database_url: str, world: World, data: st.DataObject
) -> None:
    with fresh_service(database_url) as (service, app):
        last = post_world(service, world)
        today = app.state.ledger.clock().date()
        books = Books(world.portfolio.facts)
        for _ in range(data.draw(st.integers(1, 2), label="questions")):
            on = data.draw(AS_OF, label="as_of")
            reporting = data.draw(st.sampled_from(CURRENCIES), label="reporting currency")
            check_aging(service, last, world, on, reporting)
            days = data.draw(st.one_of(st.sampled_from([30, 90]), st.integers(1, 365)), label="days")
            method = data.draw(st.sampled_from(["countback", "standard"]), label="method")
            account = data.draw(st.one_of(st.none(), st.sampled_from(world.portfolio.codes)), label="account")
            check_dso(service, last, world, books, on, days, method, account, reporting)
        reporting = data.draw(st.sampled_from(CURRENCIES), label="exposure's reporting currency")
        top = data.draw(st.integers(1, len(world.portfolio.codes)), label="top")
        check_exposure(service, last, world, today, reporting, top)


def check_aging(service: Service, last: int, world: World, on: date, reporting: str) -> None:
    mixed = get(service, "/v1/aging", last, as_of=on.isoformat())
    assert (mixed["currency"], mixed["totals"], mixed["conversion"]) == (None, None, None)
    groups = mixed["by_currency"]
    assert [g["currency"] for g in groups] == list(CURRENCIES)
    for row in mixed["rows"]:
        assert row["account"].startswith(row["currency"])
        assert all(written_at_minor_unit(row[k], row["currency"]) for k in row if k not in ("account", "currency"))
    for g in groups:  # each currency alone: its rows, its totals as the group says
        alone = get(service, "/v1/aging", last, as_of=on.isoformat(), currency=g["currency"])
        assert [r["account"] for r in alone["rows"]] == world.codes(g["currency"])
        assert (alone["currency"], alone["totals"], alone["by_currency"]) == (g["currency"], g["totals"], [g])
        assert all(written_at_minor_unit(v, g["currency"]) for v in g["totals"].values())
    answer = get(service, "/v1/aging", last, as_of=on.isoformat(), reporting_currency=reporting)
    assert answer["currency"] == reporting and answer["by_currency"] == groups and answer["rows"] == mixed["rows"]
    assert conversion_of(answer) == expected_conversion(world, reporting, on)
    totals = [{"currency": g["currency"], **g["totals"]} for g in groups]
    assert answer["totals"] == {k: at_minor_unit(converted(totals, k, world, reporting, on), reporting)
                                for k in groups[0]["totals"]}  # fmt: skip


def check_dso(
    service: Service, last: int, world: World, books: Books, on: date, days: int, method: str,
    account: str | None, reporting: str,
) -> None:  # fmt: skip
    params: dict[str, Any] = {"as_of": on.isoformat(), "days": days, "method": method}
    if account is not None:
        params["account"] = account
    mixed = get(service, "/v1/dso", last, **params)
    groups = mixed["by_currency"]
    assert [g["currency"] for g in groups] == ([account[:3]] if account else list(CURRENCIES))
    if account is None:
        assert (mixed["currency"], mixed["dso"], mixed["receivables"]) == (None, None, None)
    for g in groups:
        alone = get(service, "/v1/dso", last, **params, currency=g["currency"])
        assert {k: alone[k] for k in g} == g and alone["by_currency"] == [g]
        assert all(written_at_minor_unit(g[k], g["currency"]) for k in DSO_AMOUNTS)
    answer = get(service, "/v1/dso", last, **params, reporting_currency=reporting)
    assert answer["by_currency"] == groups and answer["currency"] == reporting

    def total(key: str) -> Fraction:
        return converted(groups, key, world, reporting, on)

    receivables, sales, not_yet_due = total("receivables"), total("sales"), total("not_yet_due")
    standard = None if not sales else receivables * days / sales
    if method == "countback":
        chosen = countback(receivables, lambda day: converted_sales(world, books, day, account, reporting, on), on)
    else:
        chosen = standard
    assert {k: answer[k] for k in (*DSO_AMOUNTS, "dso", "best_possible_dso", "average_days_delinquent",
                                   "overdue_rate")} == {
        **{k: at_minor_unit(total(k), reporting) for k in DSO_AMOUNTS},
        "dso": tenth(chosen),
        "best_possible_dso": None if not sales else tenth(not_yet_due * days / sales),
        "average_days_delinquent": None if not sales else tenth((receivables - not_yet_due) * days / sales),
        "overdue_rate": None if not total("outstanding") else str(percent(total("overdue"), total("outstanding"))),
    }, params  # fmt: skip


def converted_sales(world: World, books: Books, day: date, account: str | None, reporting: str, on: date) -> Fraction:
    """The day's invoiced sales (of `account`, or the portfolio), converted at the rates of `on`."""
    return sum(
        (Fraction(a.sales_on(day), 100) * world.rate(code[:3], reporting, on)
         for code, a in books.accounts.items() if account in (None, code)),
        Fraction(0),
    )  # fmt: skip


def check_exposure(service: Service, last: int, world: World, today: date, reporting: str, top: int) -> None:
    every = len(world.portfolio.codes)
    mixed = get(service, "/v1/exposure", last, top=every)
    assert mixed["currency"] is None and mixed["ranked_by"] == ["currency", "exposure", "account"]
    rows = mixed["accounts"]
    assert [r["account"] for r in rows] == [r["account"] for g in mixed["by_currency"] for r in g["accounts"]]
    assert [(r["currency"], -Decimal(r["exposure"]), r["account"]) for r in rows] == sorted(
        (r["currency"], -Decimal(r["exposure"]), r["account"]) for r in rows
    )
    assert all(written_at_minor_unit(r["exposure"], r["currency"]) and r["converted_exposure"] is None for r in rows)
    for currency in CURRENCIES:
        alone = get(service, "/v1/exposure", last, top=every, currency=currency)
        assert alone["accounts"] == [r for r in rows if r["currency"] == currency] and alone["currency"] == currency
    answer = get(service, "/v1/exposure", last, top=top, reporting_currency=reporting)
    exact = {r["account"]: Fraction(r["exposure"]) * world.rate(r["currency"], reporting, today) for r in rows}
    ranked = sorted(exact, key=lambda code: (-exact[code], code))[:top]
    assert [r["account"] for r in answer["accounts"]] == ranked
    assert [r["converted_exposure"] for r in answer["accounts"]] == [at_minor_unit(exact[c], reporting) for c in ranked]
    assert conversion_of(answer) == expected_conversion(world, reporting, today)


# -- worked out by hand ---------------------------------------------------------------------------


@pytest.fixture
def three(service: Service) -> int:
    """On 2026-11-30: E-1 owes 1200.00 EUR 30 days past due, U-1 1000.00 USD not yet
    due, J-1 150000 JPY 60 days past due. Rates of 11-30, base EUR: USD 1.0842, JPY 162.53."""
    response = service.post({"events": [
        opened("E-1", currency="EUR"), opened("U-1", currency="USD"), opened("J-1", currency="JPY", credit_limit="0"),
        invoice("E-F", "1200.00", "2026-10-01", "2026-10-31", account="E-1"),
        invoice("U-F", "1000.00", "2026-11-15", "2026-12-15", account="U-1"),
        invoice("J-F", "150000", "2026-09-01", "2026-10-01", account="J-1"),
    ]})  # fmt: skip
    assert response.status_code == 201, response.text
    return recorded(service, "2026-11-30", "EUR", USD="1.0842", JPY="162.53")


def test_aging_in_dollars_and_in_yen_converts_each_currency_then_sums(service: Service, three: int) -> None:
    aging = get(service, "/v1/aging", three, as_of="2026-11-30")
    assert aging["totals"] is None and aging["currency"] is None
    assert {g["currency"]: g["totals"]["total"] for g in aging["by_currency"]} == {
        "EUR": "1200.00", "JPY": "150000", "USD": "1000.00"}  # fmt: skip
    # In USD: 1200 x 1.0842 = 1301.04; 150000 x 1.0842 / 162.53 (a cross rate) = 1000.6153.
    usd = get(service, "/v1/aging", three, as_of="2026-11-30", reporting_currency="USD")
    assert usd["currency"] == "USD"
    assert {k: usd["totals"][k] for k in ("current", "1-30", "31-60", "total")} == {
        "current": "1000.00", "1-30": "1301.04", "31-60": "1000.62", "total": "3301.66"}  # fmt: skip
    # In JPY, whole yen: 1200 x 162.53 = 195036; 1000 x 162.53 / 1.0842 = 149907.766.
    jpy = get(service, "/v1/aging", three, as_of="2026-11-30", reporting_currency="JPY")
    assert {k: jpy["totals"][k] for k in ("current", "1-30", "31-60", "total", "disputed")} == {
        "current": "149908", "1-30": "195036", "31-60": "150000", "total": "494944", "disputed": "0"}  # fmt: skip
    reporting, rates = conversion_of(jpy)
    assert (reporting, [(c, d) for c, _, d in rates]) == ("JPY", [("EUR", "2026-11-30"), ("USD", "2026-11-30")])
    cross = Fraction("162.53") / Fraction("1.0842")  # a cross rate: shown to 28 digits
    assert rates[0][1] == Fraction("162.53") and abs(rates[1][1] - cross) < Fraction(1, 10**20)
    rows = {r["account"]: r for r in jpy["rows"]}
    assert (rows["J-1"]["31-60"], rows["J-1"]["currency"], rows["E-1"]["1-30"]) == ("150000", "JPY", "1200.00")


def test_aging_csv_has_a_total_per_currency_and_a_converted_one(service: Service, three: int) -> None:
    lines = get(service, "/v1/aging", three, as_of="2026-11-30", format="csv", reporting_currency="USD").splitlines()
    assert lines[0] == "account,currency,current,1-30,31-60,61-90,91-120,120+,total,unapplied_cash,disputed"
    assert lines[1:] == [
        "E-1,EUR,0.00,1200.00,0.00,0.00,0.00,0.00,1200.00,0.00,0.00",
        "J-1,JPY,0,0,150000,0,0,0,150000,0,0",
        "U-1,USD,1000.00,0.00,0.00,0.00,0.00,0.00,1000.00,0.00,0.00",
        "TOTAL,EUR,0.00,1200.00,0.00,0.00,0.00,0.00,1200.00,0.00,0.00",
        "TOTAL,JPY,0,0,150000,0,0,0,150000,0,0",
        "TOTAL,USD,1000.00,0.00,0.00,0.00,0.00,0.00,1000.00,0.00,0.00",
        "TOTAL CONVERTED,USD,1000.00,1301.04,1000.62,0.00,0.00,0.00,3301.66,0.00,0.00",
    ]
    plain = get(service, "/v1/aging", three, as_of="2026-11-30", format="csv", currency="JPY").splitlines()
    assert plain[1:] == ["J-1,JPY,0,0,150000,0,0,0,150000,0,0", "TOTAL,JPY,0,0,150000,0,0,0,150000,0,0"]


def test_dso_and_exposure_in_a_reporting_currency(service: Service, three: int) -> None:
    dso = get(service, "/v1/dso", three, as_of="2026-11-30", days=90, method="standard", reporting_currency="EUR")
    # R = 1200 + 1000 / 1.0842 + 150000 / 162.53 = 1200 + 922.3391 + 922.9065 = 3045.2456 EUR; sales in
    # (09-01, 11-30]: all but the yen invoice, 2122.3391; not yet due: the dollars, 922.3391 EUR.
    assert {k: dso[k] for k in ("receivables", "sales", "not_yet_due", "overdue", "dso", "best_possible_dso",
                                "average_days_delinquent", "overdue_rate")} == {
        "receivables": "3045.25", "sales": "2122.34", "not_yet_due": "922.34", "overdue": "2122.91",
        "dso": "129.1", "best_possible_dso": "39.1", "average_days_delinquent": "90.0", "overdue_rate": "69.7",
    }  # fmt: skip
    top = get(service, "/v1/exposure", three, top=2, reporting_currency="EUR")
    assert [(r["account"], r["currency"], r["exposure"], r["converted_exposure"]) for r in top["accounts"]] == [
        ("E-1", "EUR", "1200.00", "1200.00"), ("J-1", "JPY", "150000", "922.91")]  # fmt: skip
    assert top["ranked_by"] == ["converted_exposure", "account"]


def test_a_missing_rate_is_refused_naming_the_pair(service: Service, three: int) -> None:
    for url, params in (("/v1/aging", {}), ("/v1/dso", {}), ("/v1/exposure", {}), ("/v1/aging", {"format": "csv"})):
        for reporting, as_of, pair in (("CHF", "2026-11-30", "EUR/CHF"), ("EUR", "2026-11-29", "JPY/EUR")):
            if url == "/v1/exposure" and as_of != "2026-11-30":
                continue  # exposure is as of today, after every rate
            asked = {**params, "reporting_currency": reporting, **({} if url == "/v1/exposure" else {"as_of": as_of})}
            response = service.client.get(url, params=asked, headers={**BI, "X-O2C-After": str(three)})
            assert response.status_code == 422, (url, asked, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            (error,) = response.json()["errors"]
            assert error["field"] == "reporting_currency" and pair in error["detail"], (url, asked, error)


def test_a_currency_filter_is_an_iso_code(service: Service, three: int) -> None:
    for url in ("/v1/aging", "/v1/dso", "/v1/exposure"):
        for bad in ("eur", "XXY", "EURO", ""):
            response = service.client.get(url, params={"currency": bad}, headers=BI)
            assert response.status_code == 422, (url, bad, response.text)
            assert response.json()["errors"][0]["field"] == "currency"
        # A currency no account is kept in: nothing, in that currency.
        nothing = get(service, url, three, currency="CHF")
        assert nothing["currency"] == "CHF"
    assert get(service, "/v1/aging", three, currency="CHF")["totals"]["total"] == "0.00"

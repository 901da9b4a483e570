"""The account directory (`GET /v1/accounts`) over HTTP, on each store: every row's
headline figures, search by code or name in any case and accent, each filter,
each sort both ways (ties by code), paging through every account once, CSV,
conversion into a reporting currency, and every bad parameter a 422 naming it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import BI, Service, envelope, invoice, opened, payment
from tests.integration.test_parking import fault_on

ROOT = {"Authorization": "Bearer root"}
SORTS = ["account", "name", "outstanding", "overdue", "exposure", "utilization", "oldest_days_past_due",
         "risk_points"]  # fmt: skip
TODAY = datetime.now(UTC).date()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@pytest.fixture
def after(service: Service) -> dict[str, str]:
    """Eight accounts in three currencies; PARK's invoice is parked. Headers that
    wait for all of it (X-O2C-After)."""
    facts = [
        opened("SOC-1", name="Société Générale", credit_limit="10000.00", risk_class="B"),
        invoice("S-1", "3000.00", day(-130), day(-100), account="SOC-1"),
        invoice("S-2", "1000.00", day(-40), day(-10), account="SOC-1"),
        envelope("d-1", "DisputeOpened", "SOC-1", dispute_id="D-1", invoice_id="S-1", amount="500.00",
                 reason="short delivery", opened_date=day(-50)),
        opened("acme", name="ACME Industries", credit_limit="5000.00"),
        invoice("A-1", "6000.00", day(-5), day(30), account="acme"),
        envelope("sc-1", "ScenarioAssigned", "acme", scenario="gentle"),
        opened("BOLT", name="Bolt GmbH", credit_limit="0.00"),
        invoice("B-1", "100.00", day(-60), day(-30), account="BOLT"),
        opened("YEN-7", name="Yamada Shōji KK", currency="JPY", credit_limit="1000000"),
        invoice("Y-1", "200000", day(-300), day(-270), account="YEN-7"),
        payment("YP-1", "50000", day(-200), [("Y-1", "50000")], account="YEN-7"),
        opened("US-2", name="Straße Corp", currency="USD", credit_limit="2000.00", risk_class="E"),
        opened("EQ-1", name="equal co", credit_limit="10000.00"),
        invoice("E-1", "4000.00", day(-20), day(10), account="EQ-1"),
        envelope("d-2", "DisputeOpened", "EQ-1", dispute_id="D-2", invoice_id="E-1", amount="100.00",
                 reason="price difference", opened_date=day(-15)),
        envelope("r-2", "DisputeResolved", "EQ-1", dispute_id="D-2", outcome="rejected", resolved_date=day(-14)),
        # Past due by its own date, but a plan holds: due on its installments.
        opened("PLAN", name="Planned Payments SARL", credit_limit="5000.00"),
        invoice("PL-1", "1000.00", day(-80), day(-50), account="PLAN"),
        envelope("pl-1", "PaymentPlanAgreed", "PLAN", plan_id="PP-1", invoice_ids=["PL-1"], agreed_date=day(-5),
                 installments=[{"due_date": day(10), "amount": "500.00"}, {"due_date": day(40), "amount": "500.00"}]),
        opened("PARK", name="Parked Ltd", credit_limit="1000.00"),
        invoice("P-1", "700.00", day(-90), day(-60), account="PARK"),
    ]  # fmt: skip
    with fault_on("PARK", 2):
        response = service.post({"events": facts})
        assert response.status_code == 201, response.text
        headers = {**BI, "X-O2C-After": str(response.json()["results"][-1]["position"])}
        assert service.client.get("/v1/accounts", headers=headers).status_code == 200
    return headers


def listing(service: Service, headers: dict[str, str], **params: Any) -> Any:
    response = service.client.get("/v1/accounts", params={"limit": 1000, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def codes(service: Service, headers: dict[str, str], **params: Any) -> list[str]:
    return [row["account"] for row in listing(service, headers, **params)["accounts"]]


def test_every_row_carries_the_accounts_headline_figures(service: Service, after: dict[str, str]) -> None:
    rows = {row["account"]: row for row in listing(service, after)["accounts"]}
    assert rows["SOC-1"] == {
        "account": "SOC-1", "name": "Société Générale", "currency": "EUR", "credit_limit": "10000.00",
        "outstanding": "4000.00", "overdue": "4000.00", "exposure": "4000.00", "headroom": "6000.00",
        "utilization": "40.0", "oldest_days_past_due": 100, "risk_class": "B",
        "risk_points": rows["SOC-1"]["risk_points"], "scenario": "gentle", "open_disputes": 1, "disputed": "500.00",
        "parked": False,
    }  # fmt: skip
    assert Decimal(rows["SOC-1"]["risk_points"]) > 0  # late: the review scored it
    # Amounts at the currency's minor unit; nothing overdue is 0 days; no limit, no utilization.
    assert (rows["YEN-7"]["outstanding"], rows["YEN-7"]["overdue"], rows["YEN-7"]["oldest_days_past_due"]) == (
        "150000", "150000", 270)  # fmt: skip
    assert (rows["acme"]["overdue"], rows["acme"]["oldest_days_past_due"], rows["acme"]["utilization"]) == (
        "0.00", 0, "120.0")  # fmt: skip
    assert (rows["BOLT"]["utilization"], rows["BOLT"]["headroom"], rows["BOLT"]["oldest_days_past_due"]) == (
        None, "-100.00", 30)  # fmt: skip
    assert (rows["US-2"]["risk_class"], rows["US-2"]["scenario"], rows["acme"]["scenario"]) == ("E", "firm", "gentle")
    assert (rows["EQ-1"]["open_disputes"], rows["EQ-1"]["disputed"]) == (0, "0.00")  # resolved
    # PARK is listed as projected before its parked invoice, and says it is parked.
    assert (rows["PARK"]["parked"], rows["PARK"]["outstanding"]) == (True, "0.00")
    # A plan holds: nothing is past due before its first installment.
    assert (rows["PLAN"]["outstanding"], rows["PLAN"]["overdue"], rows["PLAN"]["oldest_days_past_due"]) == (
        "1000.00", "0.00", 0)  # fmt: skip
    # Overdue as the account summary counts it.
    for code, row in rows.items():
        assert row["overdue"] == service.client.get(f"/v1/accounts/{code}", headers=after).json()["overdue"], code


def test_the_answer_keeps_currencies_apart(service: Service, after: dict[str, str]) -> None:
    body = listing(service, after)
    assert body["count"] == 8 and body["currency"] is None and body["totals"] is None
    assert body["conversion"] is None
    assert [(g["currency"], g["accounts"], g["outstanding"]) for g in body["by_currency"]] == [
        ("EUR", 6, "15100.00"), ("JPY", 1, "150000"), ("USD", 1, "0.00")]  # fmt: skip
    euro = listing(service, after, currency="EUR")
    assert euro["currency"] == "EUR" and euro["count"] == 6
    assert euro["totals"] == {"accounts": 6, "credit_limit": "31000.00", "outstanding": "15100.00",
                              "exposure": "15100.00", "disputed": "500.00"}  # fmt: skip
    assert codes(service, after, currency="JPY") == ["YEN-7"]
    none = listing(service, after, currency="GBP")  # no account kept in it: its group, zeros
    assert (none["count"], none["accounts"], none["currency"], none["totals"]["exposure"]) == (0, [], "GBP", "0.00")
    assert none["by_currency"] == [{"currency": "GBP", "accounts": 0, **dict.fromkeys(
        ("credit_limit", "outstanding", "exposure", "disputed"), "0.00")}]  # fmt: skip


@pytest.mark.parametrize(
    ("q", "match", "found"),
    [
        ("societe", "contains", ["SOC-1"]),  # accents
        ("SOCIÉTÉ GÉN", "contains", ["SOC-1"]),  # case, accents, a space
        ("générale", "contains", ["SOC-1"]),
        ("gen", "prefix", []),  # neither the code nor the name begins with it
        ("soc", "prefix", ["SOC-1"]),  # the code (and the name)
        ("acme", "prefix", ["acme"]),
        ("ACME IND", "prefix", ["acme"]),  # the name
        ("strasse", "contains", ["US-2"]),  # ß folds to ss
        ("shoji", "contains", ["YEN-7"]),  # ō
        ("gmbh", "contains", ["BOLT"]),
        ("-", "contains", ["EQ-1", "SOC-1", "US-2", "YEN-7"]),  # codes
        ("co", "contains", ["EQ-1", "US-2"]),  # "equal co", "Straße Corp"
        ("%", "contains", []),  # LIKE's wildcards are plain characters
        ("_", "contains", []),
        ("  ", "contains", ["BOLT", "EQ-1", "PARK", "PLAN", "SOC-1", "US-2", "YEN-7", "acme"]),  # blank: no search
    ],
)
def test_search_by_code_or_name_in_any_case_and_accent(
    service: Service, after: dict[str, str], q: str, match: str, found: list[str]
) -> None:
    assert codes(service, after, q=q, match=match) == found


def test_each_filter(service: Service, after: dict[str, str]) -> None:
    every = listing(service, after)["accounts"]
    assert codes(service, after, overdue="true") == ["BOLT", "SOC-1", "YEN-7"]
    assert codes(service, after, overdue="false") == ["EQ-1", "PARK", "PLAN", "US-2", "acme"]
    assert codes(service, after, over_limit="true") == ["BOLT", "acme"]  # BOLT: exposure over a zero limit
    assert codes(service, after, disputed="true") == ["SOC-1"]
    assert codes(service, after, parked="true") == ["PARK"]
    assert "PARK" not in codes(service, after, parked="false")
    assert codes(service, after, risk_class="B") == [r["account"] for r in every if r["risk_class"] == "B"]
    assert codes(service, after, risk_class="E,B") == [r["account"] for r in every if r["risk_class"] in "BE"]
    assert {"SOC-1", "US-2"} <= set(codes(service, after, risk_class="B,E"))
    gentle = codes(service, after, scenario="gentle")
    assert gentle == [r["account"] for r in every if r["scenario"] == "gentle"] and "acme" in gentle
    assert codes(service, after, scenario="firm") == [r["account"] for r in every if r["scenario"] == "firm"]
    # Filters add up, with any sort (by overdue, the rows are ranked in memory).
    assert codes(service, after, currency="EUR", overdue="true", q="o") == ["BOLT", "SOC-1"]
    assert codes(service, after, overdue="true", sort="overdue", order="desc") == ["SOC-1", "BOLT", "YEN-7"]
    assert codes(service, after, q="o", currency="EUR", sort="overdue", order="desc") == ["SOC-1", "BOLT", "EQ-1"]
    classed = [r for r in every if r["risk_class"] in ("B", "E")]
    assert codes(service, after, risk_class="B,E", sort="overdue", order="desc") == expected_order(
        classed, "overdue", descending=True)  # fmt: skip


def _figure(row: dict[str, Any], sort: str) -> Any:
    value = row[sort]
    if sort == "name":
        return {"ACME Industries": 0, "Bolt GmbH": 1, "equal co": 2, "Parked Ltd": 3, "Planned Payments SARL": 4,
                "Société Générale": 5, "Straße Corp": 6, "Yamada Shōji KK": 7}[value]  # fmt: skip
    return None if value is None else Decimal(value)


def expected_order(rows: list[dict[str, Any]], sort: str, descending: bool, grouped: bool = True) -> list[str]:
    """The documented order: the figure (rows without it last), ties by code; amounts
    within their currency (currency first) unless one currency is asked for."""
    if sort == "account":
        return sorted((r["account"] for r in rows), reverse=descending)
    by_code = sorted(rows, key=lambda r: r["account"])
    present = sorted((r for r in by_code if _figure(r, sort) is not None), key=lambda r: _figure(r, sort),
                     reverse=descending)  # fmt: skip
    ordered = present + [r for r in by_code if _figure(r, sort) is None]
    if grouped and sort in ("outstanding", "overdue", "exposure"):
        ordered.sort(key=lambda r: r["currency"])
    return [r["account"] for r in ordered]


@pytest.mark.parametrize("sort", SORTS)
def test_each_sort_both_ways_ties_by_code(service: Service, after: dict[str, str], sort: str) -> None:
    for order in ("asc", "desc"):
        body = listing(service, after, sort=sort, order=order)
        assert [r["account"] for r in body["accounts"]] == expected_order(body["accounts"], sort, order == "desc")
        euro = listing(service, after, sort=sort, order=order, currency="EUR")["accounts"]
        assert [r["account"] for r in euro] == expected_order(euro, sort, order == "desc", grouped=False)
    # The fixture makes ties the code must break, and checks orders that are not the code's.
    if sort == "outstanding":
        euro = ["acme", "EQ-1", "SOC-1", "PLAN", "BOLT", "PARK"]  # EQ-1 and SOC-1 owe 4000.00 each
        assert codes(service, after, sort=sort, order="desc", currency="EUR") == euro
        assert codes(service, after, sort=sort, order="desc") == [*euro, "YEN-7", "US-2"]
    if sort == "oldest_days_past_due":
        assert codes(service, after, sort=sort, order="desc") == ["YEN-7", "SOC-1", "BOLT", "EQ-1", "PARK", "PLAN",
                                                                  "US-2", "acme"]  # fmt: skip
    if sort == "utilization":
        assert codes(service, after, sort=sort, order="desc")[:3] == ["acme", "EQ-1", "SOC-1"]  # 120%, 40%, 40%
        assert codes(service, after, sort=sort)[-1] == "BOLT"  # no limit: last, either way


@pytest.mark.parametrize("sort", SORTS)
def test_paging_gives_every_account_once_in_order(service: Service, after: dict[str, str], sort: str) -> None:
    for order in ("asc", "desc"):
        whole = codes(service, after, sort=sort, order=order)
        paged: list[str] = []
        params: dict[str, Any] = {"sort": sort, "order": order, "limit": 2}
        while True:
            body = listing(service, after, **params)
            assert len(body["accounts"]) <= 2 and body["count"] == 8
            paged += [r["account"] for r in body["accounts"]]
            if body["next_cursor"] is None:
                break
            params["cursor"] = body["next_cursor"]
        assert paged == whole and len(set(paged)) == 8


def test_csv_has_every_row_safe_to_open(service: Service, after: dict[str, str]) -> None:
    hostile = service.post({"events": [opened("Z-9", name="=HYPERLINK(\"http://x\")")]})
    headers = {**BI, "X-O2C-After": str(hostile.json()["results"][-1]["position"])}
    response = service.client.get("/v1/accounts", params={"format": "csv", "sort": "exposure", "order": "desc",
                                                          "limit": 1}, headers=headers)  # fmt: skip
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.split("\r\n")
    assert lines[0] == ("account,name,currency,credit_limit,outstanding,overdue,exposure,headroom,utilization,"
                        "oldest_days_past_due,risk_class,risk_points,scenario,open_disputes,disputed,parked")
    assert len(lines) == 1 + 9 + 1  # every row whatever the limit, and the last CRLF
    acme = next(line for line in lines if line.startswith("acme,"))
    assert acme.startswith("acme,ACME Industries,EUR,5000.00,6000.00,0.00,6000.00,-1000.00,120.0,0,")
    assert "Z-9,\"'=HYPERLINK(\"\"http://x\"\")\",EUR," in response.text


def test_sorting_amounts_across_currencies_by_a_reporting_currency(service: Service, after: dict[str, str]) -> None:
    rates = service.client.put("/v1/fx-rates/2026-01-02", json={"base": "EUR", "rates": {"USD": "1.0842",
                               "JPY": "162.53"}}, headers=ROOT)  # fmt: skip
    assert rates.status_code == 201, rates.text
    headers = {**BI, "X-O2C-After": str(rates.json()["position"])}
    body = listing(service, headers, sort="exposure", order="desc", reporting_currency="EUR")
    # YEN-7: 150000 JPY / 162.53 = 922.91 EUR, above BOLT's 100 EUR.
    assert [r["account"] for r in body["accounts"]] == ["acme", "EQ-1", "SOC-1", "PLAN", "YEN-7", "BOLT", "PARK",
                                                        "US-2"]  # fmt: skip
    assert body["sorted_by"] == ["converted_exposure", "account"]
    assert body["currency"] == "EUR" and body["conversion"]["reporting_currency"] == "EUR"
    assert {r["currency"] for r in body["conversion"]["rates"]} == {"JPY", "USD"}
    assert body["totals"]["exposure"] == "16022.91"  # 15100 + 922.9116
    assert body["by_currency"][1] == {**body["by_currency"][1], "currency": "JPY", "exposure": "150000"}
    page = listing(service, headers, sort="exposure", order="desc", reporting_currency="EUR", limit=3)
    rest = listing(service, headers, sort="exposure", order="desc", reporting_currency="EUR",
                   cursor=page["next_cursor"])  # fmt: skip
    assert [r["account"] for r in page["accounts"] + rest["accounts"]] == [r["account"] for r in body["accounts"]]
    missing = service.client.get("/v1/accounts", params={"reporting_currency": "GBP"}, headers=headers)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "reporting_currency"


def test_a_fact_just_posted_is_listed_with_x_o2c_after(service: Service) -> None:
    for n in range(3):
        posted = service.post(opened(f"NEW-{n}", name=f"Nouveau {n}"))
        headers = {**BI, "X-O2C-After": str(posted.json()["results"][0]["position"])}
        assert codes(service, headers, q="nouveau") == [f"NEW-{i}" for i in range(n + 1)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"risk_class": "F"}, "risk_class"),
        ({"risk_class": "A,,B"}, "risk_class"),
        ({"scenario": "nope"}, "scenario"),
        ({"overdue": "maybe"}, "overdue"),
        ({"over_limit": "2"}, "over_limit"),
        ({"disputed": "x"}, "disputed"),
        ({"parked": "x"}, "parked"),
        ({"sort": "code"}, "sort"),
        ({"order": "up"}, "order"),
        ({"match": "fuzzy"}, "match"),
        ({"format": "xml"}, "format"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "\u0661\u0660"}, "limit"),  # Arabic-Indic digits
        ({"q": "x" * 501}, "q"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"reporting_currency": "XYZ1"}, "reporting_currency"),
    ],
)
def test_bad_parameters_are_422_naming_them(
    service: Service, after: dict[str, str], params: dict[str, str], field: str
) -> None:
    response = service.client.get("/v1/accounts", params=params, headers=after)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_cursor_is_good_for_its_own_sort_only(service: Service, after: dict[str, str]) -> None:
    page = listing(service, after, sort="exposure", limit=2)
    for other in ({"sort": "name"}, {"sort": "exposure", "order": "desc"}, {"sort": "exposure", "currency": "EUR"}):
        response = service.client.get("/v1/accounts", params={**other, "cursor": page["next_cursor"]}, headers=after)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "cursor", response.text


def _crafted(*parts: str) -> str:
    return base64.urlsafe_b64encode("\x00".join(parts).encode()).decode()


@pytest.mark.parametrize(
    ("params", "parts"),
    [
        ({"sort": "exposure"}, ("exposure.asc.grouped", "=EUR", "=abc", "=X")),
        ({"sort": "exposure"}, ("exposure.asc.grouped", "=EUR", "=1.5", "=X")),
        ({"sort": "exposure"}, ("exposure.asc.grouped", "EUR", "=1", "=X")),
        ({"sort": "exposure"}, ("exposure.asc.grouped", "=EUR", "=1")),
        ({"sort": "oldest_days_past_due"}, ("oldest_days_past_due.asc.grouped", "=0", "2026-13-01", "=X")),
        ({"sort": "oldest_days_past_due"}, ("oldest_days_past_due.asc.grouped", "=0", "٢٠٢٦-01-01", "=X")),
        ({"sort": "utilization"}, ("utilization.asc.grouped", "=0", "nan", "=X")),
        ({"sort": "utilization"}, ("utilization.asc.grouped", "=0", "inf", "=X")),
        ({"sort": "risk_points"}, ("risk_points.asc.grouped", "=0", "1e999", "=X")),
    ],
)
def test_a_cursor_not_returned_is_422(
    service: Service, after: dict[str, str], params: dict[str, str], parts: tuple[str, ...]
) -> None:
    response = service.client.get("/v1/accounts", params={**params, "cursor": _crafted(*parts)}, headers=after)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "cursor", response.text


def test_a_whole_number_the_store_cannot_bind_is_no_cursor_of_it(
    service: Service, after: dict[str, str], database_url: str
) -> None:
    cursor = _crafted("exposure.asc.grouped", "=EUR", "=" + "9" * 30, "=X")
    response = service.client.get("/v1/accounts", params={"sort": "exposure", "cursor": cursor}, headers=after)
    # Both stores bind whole numbers of 64 bits at most: a key past them is no cursor of this service.
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "cursor"

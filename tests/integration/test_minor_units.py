"""One account's answers at its currency's ISO 4217 minor unit, over HTTP on
each store: the summary, open items, aging, the audit's valuation, the credit
check (which takes an amount only at that scale) and the penalties, whose
indemnity is the law's 40 EUR converted at the recorded rates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import (
    AUDITOR,
    BI,
    Service,
    envelope,
    invoice,
    make_service,
    opened,
    payment,
    stop_service,
)

ROOT = {"Authorization": "Bearer root"}
# 2.15 % + 10 points all year: 12.15 %.
RATES = ((date(2026, 1, 1), Decimal("2.15")),)


@pytest.fixture
def books(database_url: str) -> Iterator[tuple[Service, int]]:
    """A yen, a dinar and a dollar account, each with an invoice paid late."""
    service, app = make_service(database_url, penalty_reference_rates=RATES,
                                penalty_indemnities={"USD": Decimal("45.00")})  # fmt: skip
    facts = [
        opened("Y-1", currency="JPY", credit_limit="5000000"),
        invoice("FY-1", "1000000", account="Y-1"),
        invoice("FY-2", "120000", account="Y-1", issue="2026-04-01", due="2026-04-30"),
        payment("PY-1", "1000000", "2026-04-30", [("FY-1", "1000000")], account="Y-1"),
        opened("K-1", currency="KWD", credit_limit="10000.000"),
        invoice("FK-1", "1000.000", account="K-1"),
        invoice("FK-2", "1.234", account="K-1", issue="2026-04-01", due="2026-04-30"),
        payment("PK-1", "1000.000", "2026-04-30", [("FK-1", "1000.000")], account="K-1"),
        opened("U-1", currency="USD", credit_limit="10000.00"),
        invoice("FU-1", "1000.00", account="U-1"),
        payment("PU-1", "1000.00", "2026-04-30", [("FU-1", "1000.00")], account="U-1"),
    ]
    posted = service.post({"events": facts})
    assert posted.status_code == 201, posted.text
    yield service, max(r["position"] for r in posted.json()["results"])
    stop_service(app)


def get(service: Service, url: str, after: int, headers: dict[str, str] = BI, **params: Any) -> Any:
    response = service.client.get(url, params=params, headers={**headers, "X-O2C-After": str(after)})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_summary_open_items_and_aging_at_the_minor_unit(books: tuple[Service, int]) -> None:
    service, last = books
    yen = get(service, "/v1/accounts/Y-1", last)
    assert (yen["currency"], yen["credit_limit"], yen["outstanding"], yen["exposure"], yen["headroom"]) == (
        "JPY", "5000000", "120000", "120000", "4880000")  # fmt: skip
    dinar = get(service, "/v1/accounts/K-1", last)
    assert (dinar["credit_limit"], dinar["outstanding"], dinar["headroom"]) == ("10000.000", "1.234", "9998.766")

    items = get(service, "/v1/accounts/Y-1/open-items", last)
    assert items["currency"] == "JPY"
    assert [(i["amount"], i["open_balance"], i["disputed"]) for i in items["items"]] == [("120000", "120000", "0")]

    aging = get(service, "/v1/accounts/K-1/aging", last, as_of="2026-05-15")
    assert aging["currency"] == "KWD" and aging["rows"][0]["currency"] == "KWD"
    assert (aging["totals"]["1-30"], aging["totals"]["total"], aging["totals"]["unapplied_cash"]) == (
        "1.234", "1.234", "0.000")  # fmt: skip
    assert [i["open_balance"] for i in aging["items"]] == ["1.234"]

    state = get(service, "/v1/accounts/Y-1/state", last, AUDITOR, as_of="2026-04-15")
    assert (state["credit_limit"], state["outstanding"]) == ("5000000", "1120000")
    assert [i["open_balance"] for i in state["open_invoices"]] == ["1000000", "120000"]


@pytest.mark.parametrize(
    ("account", "amount", "status", "headroom_after"),
    [("Y-1", "100.5", 422, None), ("Y-1", "100.00", 200, "4879900"), ("Y-1", "100", 200, "4879900"),
     ("K-1", "1.2345", 422, None), ("K-1", "1.5", 200, "9997.266"), ("U-1", "0.001", 422, None)],
)  # fmt: skip
def test_a_credit_check_takes_an_amount_at_the_account_scale(
    books: tuple[Service, int], account: str, amount: str, status: int, headroom_after: str | None
) -> None:
    service, last = books
    response = service.client.post("/v1/credit-check", json={"account": account, "amount": amount},
                                   headers={**BI, "X-O2C-After": str(last)})  # fmt: skip
    assert response.status_code == status, response.text
    if status == 422:
        assert [e["field"] for e in response.json()["errors"]] == ["amount"]
        assert "decimal places" in response.json()["detail"]
        return
    body = response.json()
    # Held (its invoices are long past due by now), but not for its headroom.
    assert (body["currency"], body["headroom_after"], "headroom_exceeded" in body["reasons"]) == (
        {"Y-1": "JPY", "K-1": "KWD"}[account], headroom_after, False)  # fmt: skip
    assert body["amount"] == {"Y-1": "100", "K-1": "1.500"}[account]


def test_penalties_in_yen_convert_the_indemnity_at_the_day_after_due(books: tuple[Service, int]) -> None:
    service, _ = books
    before = get(service, "/v1/accounts/Y-1/penalties", 0, as_of="2026-06-01")
    late = before["invoices"][0]
    # No rate yet, none configured for yen: the indemnity is left out, saying why; interest is owed.
    assert (late["invoice_id"], late["indemnity"], late["interest"]) == ("FY-1", None, "9986")
    assert late["indemnity_basis"]["source"] == "none" and "EUR/JPY" in late["indemnity_basis"]["note"]

    for day, jpy in (("2026-03-31", "160.00"), ("2026-04-01", "162.53"), ("2026-04-02", "170.00")):
        put = service.client.put(f"/v1/fx-rates/{day}", json={"base": "EUR", "rates": {"JPY": jpy}}, headers=ROOT)
        assert put.status_code == 201, put.text
    body = get(service, "/v1/accounts/Y-1/penalties", put.json()["position"], as_of="2026-06-01")
    # 40 EUR x 162.53 (1 April, the day after the due date) = 6,501.2 yen; 1,000,000 x 12.15 % x 30 / 365 = 9,986.3.
    first = body["invoices"][0]
    assert (first["indemnity"], first["interest"], first["total"]) == ("6501", "9986", "16487")
    converted = {"source": "converted", "rate": "162.53", "rate_date": "2026-04-01", "note": None}
    assert first["indemnity_basis"] == converted
    second = body["invoices"][1]  # due 30 April: the 1 May rate is the 2 April document's
    assert (second["indemnity"], second["indemnity_basis"]["rate_date"]) == ("6800", "2026-04-02")
    # FY-2: 120,000 x 12.15 % x 32 / 365 = 1,278.25 yen (1 May to 1 June), 1278 half-even.
    assert (second["interest"], second["total"]) == ("1278", "8078")
    assert body["totals"] == {"indemnity": "13301", "interest": "11264", "total": "24565"}
    assert all("." not in p["interest"] for p in first["periods"])


def test_penalties_in_dinars_and_dollars(books: tuple[Service, int]) -> None:
    service, last = books
    dinar = get(service, "/v1/accounts/K-1/penalties", last, as_of="2026-06-01")
    assert dinar["invoices"][0]["interest"] == "9.986"  # 1000 x 12.15 % x 30 / 365 = 9.98630…
    dollar = get(service, "/v1/accounts/U-1/penalties", last, as_of="2026-06-01")
    entry = dollar["invoices"][0]
    assert (entry["indemnity"], entry["indemnity_basis"]["source"], dollar["indemnity_configured"]) == (
        "45.00", "configured", "45.00")  # fmt: skip


def test_late_interest_stops_the_day_the_cash_was_received(database_url: str) -> None:
    service, app = make_service(database_url, penalty_reference_rates=RATES)
    try:
        unallocated = envelope("pay-P-1", "PaymentReceived", "C-1001", payment_id="P-1", amount="1200.00",
                               received_date="2026-04-10", allocations=[])  # fmt: skip
        allocated = envelope("alloc-P-1", "PaymentAllocated", "C-1001", payment_id="P-1", allocation_date="2026-04-30",
                             allocations=[{"invoice_id": "F-1", "amount": "1200.00"}])  # fmt: skip
        posted = service.post({"events": [opened(), invoice("F-1", "1200.00"), unallocated, allocated]})
        assert posted.status_code == 201, posted.text
        body = get(service, "/v1/accounts/C-1001/penalties", 0, as_of="2026-06-01")
        # 1200 x 12.15 % x 10 / 365 = 3.99 (1 to 10 April), not 30 days to the allocation (11.98).
        entry = body["invoices"][0]
        assert (entry["settled_date"], entry["days_late"], entry["interest"]) == ("2026-04-10", 10, "3.99")
    finally:
        stop_service(app)

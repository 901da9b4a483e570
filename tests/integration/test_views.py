"""The credit manager's views on a small portfolio whose figures are worked
out by hand (amounts in EUR; today is whatever the clock says, so the
fixtures use dates relative to a fixed as_of where days past due matter)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import BI, Service, envelope, invoice, opened, payment


def read(service: Service, url: str, after: int, **params: Any) -> Any:
    response = service.client.get(url, params=params, headers={**BI, "X-O2C-After": str(after)})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def portfolio(service: Service) -> int:
    """Two customers. On 2026-06-30: Acme owes F-1 (due 04-30, 61 days late) 600,
    F-2 (due 06-15, 15 late) 1000, F-3 (due 07-31, current) 2000, has 150 of
    cash unapplied and 250 disputed on F-2; Bolt owes B-1 (due 05-20, 41 late) 500."""
    facts = [
        opened("ACME", credit_limit="5000.00", insured_limit="3000.00"),
        opened("BOLT", credit_limit="1000.00"),
        envelope("o-1", "OrderPlaced", "ACME", order_id="O-1", amount="800.00", order_date="2026-06-20"),
        invoice("F-1", "1000.00", "2026-03-31", "2026-04-30", account="ACME"),
        invoice("F-2", "1000.00", "2026-05-16", "2026-06-15", account="ACME"),
        invoice("F-3", "2000.00", "2026-06-30", "2026-07-31", account="ACME", order_id="O-1"),
        invoice("B-1", "500.00", "2026-04-20", "2026-05-20", account="BOLT"),
        payment("P-1", "550.00", "2026-05-10", [("F-1", "400.00")], account="ACME"),
        envelope("d-1", "DisputeOpened", "ACME", dispute_id="D-1", invoice_id="F-2", amount="250.00",
                 reason="short delivery", opened_date="2026-06-01"),
        envelope("cn-1", "CreditNoteIssued", "ACME", credit_note_id="CN-1", invoice_id="F-3", amount="100.00",
                 issue_date="2026-07-05"),
    ]
    response = service.post({"events": facts})
    assert response.status_code == 201, response.text
    return int(response.json()["results"][-1]["position"])


def test_portfolio_aging_on_a_past_date(service: Service, portfolio: int) -> None:
    aging = read(service, "/v1/aging", portfolio, as_of="2026-06-30")
    assert aging["buckets"] == ["current", "1-30", "31-60", "61-90", "91-120", "120+"]
    rows = {row["account"]: row for row in aging["rows"]}
    assert rows["ACME"] == {"account": "ACME", "currency": "EUR", "current": "2000.00", "1-30": "1000.00",
                            "31-60": "0.00", "61-90": "600.00", "91-120": "0.00", "120+": "0.00", "total": "3600.00",
                            "unapplied_cash": "150.00", "disputed": "250.00"}
    assert rows["BOLT"]["31-60"] == "500.00"
    assert aging["totals"] == {"current": "2000.00", "1-30": "1000.00", "31-60": "500.00", "61-90": "600.00",
                               "91-120": "0.00", "120+": "0.00", "total": "4100.00", "unapplied_cash": "150.00",
                               "disputed": "250.00"}


def test_custom_buckets_and_an_earlier_date(service: Service, portfolio: int) -> None:
    aging = read(service, "/v1/aging", portfolio, as_of="2026-05-15", buckets="10,20")
    assert aging["buckets"] == ["current", "1-10", "11-20", "20+"]
    # On 05-15: F-1 600 is 15 days late; F-2 (issued 05-16) and F-3 do not exist yet; B-1 is current.
    assert aging["totals"]["11-20"] == "600.00"
    assert aging["totals"]["current"] == "500.00"
    assert aging["totals"]["total"] == "1100.00"
    bad = service.client.get("/v1/aging", params={"buckets": "20,10"}, headers=BI)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "buckets"


def test_one_accounts_aging_lists_its_items(service: Service, portfolio: int) -> None:
    aging = read(service, "/v1/accounts/ACME/aging", portfolio, as_of="2026-07-10")
    assert [(i["invoice_id"], i["days_past_due"], i["bucket"], i["open_balance"]) for i in aging["items"]] == [
        ("F-1", 71, "61-90", "600.00"), ("F-2", 25, "1-30", "1000.00"), ("F-3", -21, "current", "1900.00")]
    assert aging["totals"]["total"] == "3500.00"


def test_the_account_summary_counts_every_fact(service: Service, portfolio: int) -> None:
    summary = read(service, "/v1/accounts/ACME", portfolio)
    # Outstanding 600 + 1000 + 1900; O-1 fully consumed by F-3; 150 unapplied.
    assert (summary["outstanding"], summary["uninvoiced"], summary["unapplied_cash"]) == ("3500.00", "0.00", "150.00")
    assert (summary["exposure"], summary["headroom"], summary["utilization"]) == ("3350.00", "1650.00", "67.0")
    assert (summary["disputed"], summary["currency"], summary["name"]) == ("250.00", "EUR", "Acme SA")


def test_exposure_ranking(service: Service, portfolio: int) -> None:
    ranking = read(service, "/v1/exposure", portfolio, top=1)["accounts"]
    assert [(a["account"], a["exposure"], a["utilization"]) for a in ranking] == [("ACME", "3350.00", "67.0")]


def test_dso_countback_and_standard(service: Service, portfolio: int) -> None:
    # On 06-30, portfolio receivables R = (3600 + 500) outstanding - 150 unapplied = 3950.
    # Countback: 06-30 sales 2000 (1 day, 1950 left); 06-29 .. 05-17 no sales (44 days);
    # 05-16 sales 1000 (1 day, 950 left); 05-15 .. 04-21 (25 days); 04-20 sales 500 (1 day, 450 left);
    # 04-19 .. 04-01 (19 days); 03-31 sales 1000: 450/1000 = 0.45 -> 91.45, half-even 91.4.
    dso = read(service, "/v1/dso", portfolio, as_of="2026-06-30", days=90)
    assert (dso["method"], dso["dso"], dso["receivables"]) == ("countback", "91.4", "3950.00")
    # Standard over 90 days: sales in (04-01, 06-30] = 1000 + 2000 + 500 = 3500; 3950 / 3500 * 90 = 101.57.
    standard = read(service, "/v1/dso", portfolio, as_of="2026-06-30", days=90, method="standard")
    assert (standard["dso"], standard["sales"]) == ("101.6", "3500.00")
    # Not yet due on 06-30: F-3 2000 -> 2000 / 3500 * 90 = 51.43; delinquent 101.57 - 51.43 = 50.14.
    assert (standard["best_possible_dso"], standard["average_days_delinquent"]) == ("51.4", "50.1")
    assert standard["overdue_rate"] == "51.2"  # 2100 of 4100
    # One account: ACME's R = 3600 - 150 = 3450; sales 3000 in the window.
    acme = read(service, "/v1/dso", portfolio, as_of="2026-06-30", days=90, method="standard", account="ACME")
    assert (acme["receivables"], acme["sales"], acme["dso"]) == ("3450.00", "3000.00", "103.5")


def test_credit_check_holds_beyond_headroom(service: Service, portfolio: int) -> None:
    def check(account: str, amount: str) -> Any:
        response = service.client.post("/v1/credit-check", json={"account": account, "amount": amount},
                                       headers={**BI, "X-O2C-After": str(portfolio)})
        assert response.status_code == 200, response.text
        return response.json()

    held = check("BOLT", "600.00")
    assert held["decision"] == "hold"
    assert "headroom_exceeded" in held["reasons"]
    assert (held["exposure"], held["credit_limit"], held["headroom_after"]) == ("500.00", "1000.00", "-100.00")
    assert service.client.post("/v1/credit-check", json={"account": "NOPE", "amount": "1.00"},
                               headers=BI).status_code == 404
    assert service.client.post("/v1/credit-check", json={"account": "BOLT", "amount": 1.5},
                               headers=BI).status_code == 422


def test_alerts_raise_and_clear(service: Service, portfolio: int) -> None:
    alerts = read(service, "/v1/alerts", portfolio, account="ACME")["alerts"]
    kinds = sorted((a["type"], a["subject"]) for a in alerts)
    assert ("dispute_opened", "D-1") in kinds
    assert ("uninsured_exposure", "ACME") in kinds
    assert ("unapplied_cash", "ACME") in kinds
    assert ("overdue", "F-1") in kinds
    resolved = service.post(envelope("d-1r", "DisputeResolved", "ACME", dispute_id="D-1", outcome="rejected",
                                     resolved_date="2026-07-15"))
    after = resolved.json()["results"][0]["position"]
    still_open = {(a["type"], a["subject"]) for a in read(service, "/v1/alerts", after, account="ACME")["alerts"]}
    assert ("dispute_opened", "D-1") not in still_open
    cleared = read(service, "/v1/alerts", after, account="ACME", status="cleared", type="dispute_opened")["alerts"]
    assert [(a["subject"], a["cleared_at"] is not None) for a in cleared] == [("D-1", True)]


def test_open_items_are_paginated(service: Service, portfolio: int) -> None:
    first = read(service, "/v1/accounts/ACME/open-items", portfolio, limit=2)
    assert [i["invoice_id"] for i in first["items"]] == ["F-1", "F-2"]
    rest = read(service, "/v1/accounts/ACME/open-items", portfolio, limit=2, cursor=first["next_cursor"])
    assert [i["invoice_id"] for i in rest["items"]] == ["F-3"] and rest["next_cursor"] is None


def test_aging_as_csv(service: Service, portfolio: int) -> None:
    response = service.client.get("/v1/aging", params={"as_of": "2026-06-30", "format": "csv"},
                                  headers={**BI, "X-O2C-After": str(portfolio)})
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0] == "account,currency,current,1-30,31-60,61-90,91-120,120+,total,unapplied_cash,disputed"
    assert lines[-1] == "TOTAL,EUR,2000.00,1000.00,500.00,600.00,0.00,0.00,4100.00,150.00,250.00"

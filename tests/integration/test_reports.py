"""The monthly report for October 2026 on a portfolio worked out by hand, and
checked against the aging and DSO views of its last day.

ACME: F-1 1000.00 issued 09-01 due 09-30; F-2 2000.00 issued 10-05 due 11-04;
600.00 paid on F-1 on 10-10; a promise of F-1's 400.00 by 10-15, not kept;
a dispute of 100.00 on F-2 opened 10-20, rejected 10-25. BOLT: B-1 500.00
issued and due 10-31, not yet overdue on 10-31."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import BI, Service, envelope, invoice, opened, payment

ADMIN = {"Authorization": "Bearer root"}


def read(service: Service, url: str, after: int, **params: Any) -> Any:
    response = service.client.get(url, params=params, headers={**BI, "X-O2C-After": str(after)})
    assert response.status_code == 200, response.text
    return response.json() if response.headers["content-type"].startswith("application/json") else response.text


@pytest.fixture
def october(service: Service) -> int:
    facts = [
        opened("ACME", credit_limit="5000.00"),
        opened("BOLT", credit_limit="1000.00"),
        invoice("F-1", "1000.00", "2026-09-01", "2026-09-30", account="ACME"),
        invoice("F-2", "2000.00", "2026-10-05", "2026-11-04", account="ACME"),
        invoice("B-1", "500.00", "2026-10-31", "2026-10-31", account="BOLT"),
        payment("P-1", "600.00", "2026-10-10", [("F-1", "600.00")], account="ACME"),
        envelope("pr-1", "PromiseToPay", "ACME", promise_id="PR-1", amount="400.00", promised_date="2026-10-15",
                 invoice_ids=["F-1"], promise_date="2026-10-12"),
        envelope("d-1", "DisputeOpened", "ACME", dispute_id="D-1", invoice_id="F-2", amount="100.00",
                 reason="price", opened_date="2026-10-20"),
        envelope("d-1r", "DisputeResolved", "ACME", dispute_id="D-1", outcome="rejected", resolved_date="2026-10-25"),
    ]  # fmt: skip
    response = service.post({"events": facts})
    assert response.status_code == 201, response.text
    return int(response.json()["results"][-1]["position"])


def test_the_month_in_figures(service: Service, october: int) -> None:
    report = read(service, "/v1/reports/monthly", october, month="2026-10")
    assert (report["from"], report["to"], report["as_of"], report["complete"]) == (
        "2026-10-01", "2026-10-31", "2026-10-31", True,
    )  # fmt: skip
    # CEI: (R start 1000 + sales 2500 - R end 2900) / (1000 + 2500 - current 2500) = 600 / 1000.
    assert report["cei"] == "60.0"
    assert (report["outstanding"], report["overdue"], report["overdue_rate"]) == ("2900.00", "400.00", "13.8")
    assert report["cash_collected"] == "600.00"
    assert report["disputes"] == {"opened": 1, "opened_amount": "100.00", "resolved": 1, "resolved_amount": "100.00"}
    assert report["promises"] == {"promises_kept": 0, "promises_broken": 1, "plans_kept": 0, "plans_broken": 0}
    assert [(e["account"], e["exposure"]) for e in report["top_exposures"]] == [("ACME", "2400.00"), ("BOLT", "500.00")]
    assert report["budget"] is None


def test_the_report_agrees_with_the_views_of_the_month_end(service: Service, october: int) -> None:
    report = read(service, "/v1/reports/monthly", october, month="2026-10", days=90)
    aging = read(service, "/v1/aging", october, as_of="2026-10-31")
    assert report["aging"]["totals"] == aging["totals"]
    dso = read(service, "/v1/dso", october, as_of="2026-10-31", days=90, method="countback")
    assert {k: report["dso"][k] for k in ("dso", "best_possible_dso", "average_days_delinquent", "receivables")} == {
        k: dso[k] for k in ("dso", "best_possible_dso", "average_days_delinquent", "receivables")
    }
    assert report["overdue_rate"] == dso["overdue_rate"]


def test_the_report_reads_against_a_budget(service: Service, october: int) -> None:
    put = service.client.put("/v1/reports/budget/2026-10", json={"cash_collected": "1000.00", "cei": 75},
                             headers=ADMIN)  # fmt: skip
    assert put.status_code == 200, put.text
    report = read(service, "/v1/reports/monthly", put.json()["position"], month="2026-10")
    assert report["budget"] == {
        "cash_collected": {"budget": "1000.00", "actual": "600.00", "variance": "-400.00"},
        "cei": {"budget": "75.0", "actual": "60.0", "variance": "-15.0"},
    }
    csv = read(service, "/v1/reports/monthly", put.json()["position"], month="2026-10", format="csv")
    assert "portfolio,EUR,figures,cash_collected,600.00,1000.00,-400.00" in csv.splitlines()
    refused = service.client.put("/v1/reports/budget/2026-10", json={"dso": "45"}, headers=BI)
    assert refused.status_code == 403
    bad = service.client.put("/v1/reports/budget/2026-13", json={"dso": "45"}, headers=ADMIN)
    assert bad.status_code == 422
    unknown = service.client.put("/v1/reports/budget/2026-10", json={"profit": "45"}, headers=ADMIN)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "figures.profit"

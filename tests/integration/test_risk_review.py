"""The risk review over HTTP: the summary shows the score and its factors, and a
class moving to a later letter raises `rating_downgraded` (subject risk_class).
Reviews run after the projection has caught up, so the test waits for them."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from o2c.projections.projector import ReadModelProjection
from tests.integration.conftest import BI, Service, invoice, opened, payment
from tests.integration.portfolio_strategies import fresh_store


def risk_when(service: Service, account: str, after: int, ready: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        response = service.client.get(f"/v1/accounts/{account}", headers={**BI, "X-O2C-After": str(after)})
        assert response.status_code == 200, response.text
        risk: dict[str, Any] = response.json()["risk"]
        if ready(risk) or time.monotonic() > deadline:
            return risk
        time.sleep(0.05)


def test_the_score_shows_its_factors_and_a_downgrade_raises_an_alert(service: Service) -> None:
    first = service.post({"events": [
        opened("GOOD"),
        invoice("G-1", "1000.00", "2026-01-01", "2026-01-31", account="GOOD"),
        payment("P-1", "1000.00", "2026-01-30", [("G-1", "1000.00")], account="GOOD"),
    ]})  # fmt: skip
    last = first.json()["results"][-1]["position"]
    risk = risk_when(service, "GOOD", last, lambda r: r["score"] is not None)
    assert (risk["class"], risk["set_by"], risk["score"]["points"]) == ("A", "score", "0.0")
    names = [f["name"] for f in risk["score"]["factors"]]
    assert names == ["days_late", "late_share", "overdue_share", "disputes", "broken_promises"]  # no rating
    assert sum(Decimal(f["weight"]) for f in risk["score"]["factors"]) == 100
    # An invoice long past due and never paid: days late (amount-weighted, far over 60) and
    # overdue share at their worst, half the invoices late: 100/3 + 100/9 + 200/9 = 66.66… points, D
    # (shown rounded down; the factors show 33.4 + 11.1 + 22.2).
    later = service.post(invoice("G-2", "5000.00", "2026-02-01", "2026-02-28", account="GOOD"))
    last = later.json()["results"][-1]["position"]
    risk = risk_when(service, "GOOD", last, lambda r: r["class"] != "A")
    assert (risk["class"], risk["score"]["points"]) == ("D", "66.6")
    alerts = service.client.get("/v1/alerts", params={"account": "GOOD", "type": "rating_downgraded"},
                                headers=BI).json()["alerts"]  # fmt: skip
    assert [(a["subject"], a["details"]["from"], a["details"]["to"]) for a in alerts] == [("risk_class", "A", "D")]


def test_a_catch_up_reviews_each_account_once(database_url: str) -> None:
    """The day's first review (every account) and the review of the accounts the
    catch-up touched are one review each: an account is not scored twice a day."""
    with fresh_store(database_url) as store:
        store.record([opened("ONCE-1"), opened("ONCE-2"), invoice("O-1", "100.00", account="ONCE-1")])
        projection = ReadModelProjection(store.ledger, store.engine, store.ledger.clock)
        scored: list[str] = []
        account_now = projection.review.account_now
        projection.review.account_now = lambda code: scored.append(code) or account_now(code)
        projection.run_until_caught_up()
        assert sorted(scored) == ["ONCE-1", "ONCE-2"]

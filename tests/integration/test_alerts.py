"""Alerts a collector can act on (issue 9 §5): every alert names the account's
currency and the business date its condition started beside when o2c recorded
it; an open overdue alert carries the invoice's open amount and its days past
due as of today, with a severity rising with both; an unknown type is a 422."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from o2c.api.app import create_app
from o2c.api.auth import Keyring
from o2c.config import Settings, eventstore_env
from o2c.domain.overdue_severity import OverdueSeverity
from o2c.ledger.application import Ledger
from o2c.projections.parking import raised_alert
from tests.integration.conftest import BI, ERP, TOKENS, envelope, invoice, opened, payment


class Clock:
    """Today, then as many days later as the test turns. Facts are stamped with the real
    time of their recording, so the calendar starts now and only moves on."""

    def __init__(self) -> None:
        self.turned = timedelta(0)
        self.first_day = datetime.now(UTC).date()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.turned

    def turn(self, days: int) -> None:
        self.turned += timedelta(days=days)

    def day(self, offset: int) -> str:
        """A business date `offset` days from the day the test started."""
        return (self.first_day + timedelta(days=offset)).isoformat()


class Desk:
    """The service, on a calendar the test turns."""

    def __init__(self, client: TestClient, clock: Clock) -> None:
        self.client, self.clock, self.last = client, clock, 0
        self.day = clock.day

    def post(self, *facts: dict[str, Any]) -> None:
        response = self.client.post("/v1/events", json={"events": list(facts)}, headers=ERP)
        assert response.status_code == 201, response.text
        self.last = response.json()["results"][-1]["position"]

    def alerts(self, expected: int = 200, **params: Any) -> Any:
        response = self.client.get("/v1/alerts", params={"status": "all", **params},
                                   headers={**BI, "X-O2C-After": str(self.last)})  # fmt: skip
        assert response.status_code == expected, response.text
        return response.json()["alerts"] if expected == 200 else response.json()


@contextmanager
def desk_on(database_url: str, **settings: Any) -> Iterator[Desk]:
    clock = Clock()
    ledger = Ledger(eventstore_env(database_url), clock=clock)
    app = create_app(Settings(database_url=database_url, **settings), Keyring.parse(TOKENS), ledger)
    try:
        with TestClient(app) as client:
            yield Desk(client, clock)
    finally:
        ledger.close()


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    with desk_on(database_url) as desk:
        yield desk


def by_subject(alerts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["subject"]: a for a in alerts}


def test_an_overdue_alert_shows_what_is_open_how_late_and_how_urgent_as_of_today(desk: Desk) -> None:
    d = desk.day
    desk.post(
        opened("JP-1", currency="JPY", credit_limit="50000000"),
        invoice("J-1", "200000", d(-40), d(-10), account="JP-1"),
        invoice("J-2", "8000000", d(-35), d(-5), account="JP-1"),
        payment("P-1", "50000", d(-2), [("J-1", "50000")], account="JP-1"),
    )
    overdue = by_subject(desk.alerts(type="overdue"))
    j1, j2 = overdue["J-1"], overdue["J-2"]
    assert (j1["currency"], j1["effective_date"], j1["raised_at"][:10]) == ("JPY", d(-9), d(0))
    # Yen at their minor unit (no decimals); 10 days late, a small amount: low.
    assert (j1["details"]["open_amount"], j1["details"]["days_past_due"], j1["severity"]) == ("150000", 10, "low")
    # 5 days late but 8,000,000 yen: high by amount (JPY thresholds 1.5M / 7.5M / 15M).
    assert (j2["details"]["open_amount"], j2["details"]["days_past_due"], j2["severity"]) == ("8000000", 5, "high")
    assert j2["details"]["due_date"] == d(-5)
    # The calendar turns, nothing is posted: the same alerts, older.
    desk.clock.turn(35)
    overdue = by_subject(desk.alerts(type="overdue"))
    assert (overdue["J-1"]["details"]["days_past_due"], overdue["J-1"]["severity"]) == (45, "medium")
    desk.clock.turn(46)
    overdue = by_subject(desk.alerts(type="overdue"))
    assert (overdue["J-1"]["details"]["days_past_due"], overdue["J-1"]["severity"]) == (91, "critical")
    # Settled: cleared, no longer past due; it keeps the severity it was raised with.
    desk.post(payment("P-2", "8000000", d(80), [("J-2", "8000000")], account="JP-1"))
    cleared = by_subject(desk.alerts(type="overdue", status="cleared"))["J-2"]
    assert (cleared["details"]["open_amount"], cleared["details"]["days_past_due"], cleared["severity"]) == (
        "0", None, "low")  # fmt: skip


def test_the_severity_thresholds_are_configured(database_url: str) -> None:
    with desk_on(database_url, overdue_severity=OverdueSeverity.parse("5,8", "EUR=100")) as desk:
        d = desk.day
        desk.post(opened("C-1"), invoice("F-1", "50.00", d(-30), d(-9), account="C-1"),
                  invoice("F-2", "150.00", d(-30), d(-2), account="C-1"))  # fmt: skip
        overdue = by_subject(desk.alerts(type="overdue"))
        # 9 days: past both day thresholds; 2 days, but 150 EUR: past the amount threshold.
        assert (overdue["F-1"]["severity"], overdue["F-2"]["severity"]) == ("high", "medium")


def test_every_alert_carries_the_business_date_its_condition_started(desk: Desk) -> None:
    """A historical load: every fact recorded today, each alert dated by its business day."""
    d = desk.day
    desk.post(
        opened("C-1", credit_limit="1000.00"),
        envelope("o-1", "OrderPlaced", "C-1", order_id="O-1", amount="950.00", order_date=d(-60)),
        invoice("F-1", "200.00", d(-55), d(-40), account="C-1"),
        envelope("d-1", "DisputeOpened", "C-1", dispute_id="D-1", invoice_id="F-1", amount="50.00",
                 reason="damaged", opened_date=d(-54)),
        payment("P-1", "100.00", d(-50), [], account="C-1"),
        invoice("F-2", "300.00", d(-70), d(-30), account="C-1"),
        envelope("pr-1", "PromiseToPay", "C-1", promise_id="PR-1", amount="300.00", promised_date=d(-25),
                 invoice_ids=["F-2"], promise_date=d(-29)),
        envelope("r-1", "RatingChanged", "C-1", agency="acme", score="80"),
        envelope("r-2", "RatingChanged", "C-1", agency="acme", score="50"),
    )  # fmt: skip
    alerts = desk.alerts()
    dated = {(a["type"], a["subject"]): a["effective_date"] for a in alerts if a["subject"] != "risk_class"}
    assert dated == {
        ("limit_near", "C-1"): d(-60),  # the order: 950 of 1000
        ("limit_exceeded", "C-1"): d(-55),  # the invoice: 1150 of 1000
        ("dispute_opened", "D-1"): d(-54),
        ("unapplied_cash", "C-1"): d(-50),
        ("overdue", "F-1"): d(-39),  # the day after its due date
        ("overdue", "F-2"): d(-29),
        ("promise_broken", "promise:PR-1"): d(-24),  # the day after the promised date
        ("rating_downgraded", "C-1"): d(0),  # a rating has no business date: the day recorded
    }
    assert {(a["raised_at"][:10], a["currency"]) for a in alerts} == {(d(0), "EUR")}


def test_a_class_downgrade_is_dated_by_the_review_that_found_it(desk: Desk) -> None:
    d = desk.day
    desk.post(opened("C-1"), invoice("G-1", "1000.00", d(-100), d(-70), account="C-1"),
              payment("P-1", "1000.00", d(-71), [("G-1", "1000.00")], account="C-1"))  # fmt: skip
    assert desk.alerts(type="rating_downgraded") == []  # reviewed: class A
    desk.clock.turn(3)
    desk.post(invoice("G-2", "5000.00", d(-90), d(-60), account="C-1"))
    (downgrade,) = desk.alerts(type="rating_downgraded")
    assert (downgrade["subject"], downgrade["effective_date"]) == ("risk_class", d(3))


def test_a_parked_account_s_alert_is_dated_the_day_it_was_parked() -> None:
    row = {"position": 7, "account": "BAD", "type": "InvoiceIssued", "event_id": "e-7", "error": "boom",
           "parked_at": datetime(2026, 4, 10, 23, 59, tzinfo=UTC)}  # fmt: skip
    assert raised_alert(row)[1]["effective_date"] == date(2026, 4, 10)


def test_alerts_filter_by_type_and_currency_and_refuse_what_they_do_not_know(desk: Desk) -> None:
    d = desk.day
    desk.post(
        opened("JP-1", currency="JPY", credit_limit="100000"),
        invoice("J-1", "120000", d(-40), d(-10), account="JP-1"),
        opened("EU-1", credit_limit="1000.00"),
        invoice("E-1", "1200.00", d(-40), d(-10), account="EU-1"),
    )
    jpy = desk.alerts(currency="JPY", type="limit_exceeded")
    assert [(a["account"], a["currency"], a["details"]) for a in jpy] == [
        ("JP-1", "JPY", {"exposure": "120000", "credit_limit": "100000"})  # yen without decimals
    ]
    assert {a["account"] for a in desk.alerts(currency="EUR")} == {"EU-1"}
    assert desk.alerts(currency="USD") == []
    assert desk.alerts(type="uninsured_exposure") == []  # known, none raised
    for params, field in (({"type": "overdu"}, "type"), ({"currency": "EURO"}, "currency"),
                          ({"currency": "ABC"}, "currency")):  # fmt: skip
        problem = desk.alerts(422, **params)
        assert problem["errors"][0]["field"] == field, problem

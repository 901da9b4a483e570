"""`o2c demo`: the sample portfolio passes every rule of the ledger, is
recorded once, and its views answer as a newcomer expects."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from o2c.cli import main
from o2c.domain.facts import COLLECTION_FACTS, LEDGER_FACTS
from tests.integration.conftest import BI, make_service, stop_service

SEEDED = re.compile(r"(\d+) accounts, (\d+) events recorded \((\d+) already there\), dated up to ([\d-]+)")


def o2c_demo(capsys: pytest.CaptureFixture[str], *options: str) -> str:
    main(["demo", *options])
    return capsys.readouterr().out


def test_the_demo_is_seeded_once_and_its_views_answer(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("O2C_DATABASE_URL", database_url)
    first = SEEDED.search(o2c_demo(capsys, "--if-empty"))
    assert first is not None
    accounts, recorded, already = (int(n) for n in first.groups()[:3])
    today = date.fromisoformat(first.group(4))
    assert 25 <= accounts <= 40 and recorded > 1000 and already == 0

    again = SEEDED.search(o2c_demo(capsys))
    assert again is not None and again.groups() == (str(accounts), "0", str(recorded), str(today))
    assert "not seeded" in o2c_demo(capsys, "--if-empty")

    service, app = make_service(database_url, read_your_writes_timeout_s=60)
    try:
        caught_up = {**BI, "X-O2C-After": str(app.state.ledger.recorder.max_notification_id())}

        def view(url: str, **params: Any) -> Any:
            response = service.client.get(url, params=params, headers=caught_up)
            assert response.status_code == 200, response.text
            return response.json()

        summary = view("/v1/accounts/DEMO-0001")
        assert summary["currency"] == "EUR" and Decimal(summary["outstanding"]) > 0

        aging = view("/v1/aging", limit=1000)
        assert len(aging["rows"]) == accounts
        # Euros, dollars and yen: totals per currency, none across them.
        groups = {group["currency"]: group["totals"] for group in aging["by_currency"]}
        assert list(groups) == ["EUR", "JPY", "USD"] and aging["totals"] is None
        for label in (*aging["buckets"], "total", "unapplied_cash", "disputed"):
            for currency, totals in groups.items():
                rows = [row for row in aging["rows"] if row["currency"] == currency]
                assert totals[label] == str(sum(Decimal(row[label]) for row in rows)), (currency, label)
            # Every bucket has something in it: the portfolio shows each kind of lateness.
            assert Decimal(groups["EUR"][label]) > 0, label

        open_alerts = {alert["type"] for alert in view("/v1/alerts", limit=1000)["alerts"]}
        assert {"limit_exceeded", "limit_near", "overdue", "dispute_opened", "rating_downgraded",
                "uninsured_exposure", "unapplied_cash"} <= open_alerts  # fmt: skip

        # The showcase account has one of every fact, and a past date is a query.
        history = service.history("DEMO-0001", limit=1000).json()["events"]
        assert {event["type"] for event in history} >= set(LEDGER_FACTS)
        assert service.state("DEMO-0001", as_of="2026-06-30").status_code == 200

        # Yen have no minor unit: the JPY customer's amounts are whole.
        yen = service.history("DEMO-0031", limit=1000).json()["events"]
        assert all("." not in event["data"].get("amount", "") for event in yen)

        # Collections: reminders and a promise kept on the showcase; a plan, a broken
        # promise and a formal notice on the account that stopped paying; a class set to E
        # and a scenario assigned; a plan being kept and a promise not yet due.
        collections = [
            event
            for code in ("DEMO-0001", "DEMO-0003", "DEMO-0011", "DEMO-0016", "DEMO-0023", "DEMO-0027")
            for event in service.history(code, limit=1000).json()["events"]
            if event["type"] in COLLECTION_FACTS
        ]
        assert {event["type"] for event in collections} == set(COLLECTION_FACTS)
        showcase = {event["type"] for event in collections if event["event_id"].startswith("demo-0001-")}
        assert showcase == {"DunningStepRecorded", "PromiseToPay"}
        steps = {event["data"]["step"] for event in collections if event["type"] == "DunningStepRecorded"}
        assert {"reminder", "call", "formal_notice"} <= steps

        agenda = view("/v1/collections/agenda", limit=1000)
        assert len(agenda["accounts"]) >= 3
        broken = view("/v1/alerts", limit=1000, type="promise_broken", status="open")["alerts"]
        assert {(alert["account"], alert["subject"].split(":")[0]) for alert in broken} >= {
            ("DEMO-0011", "promise"), ("DEMO-0011", "plan"),
        }  # fmt: skip

        last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        report = view("/v1/reports/monthly", month=last_month)
        # The demo's accounts are kept in three currencies: cash is collected in each, never added up.
        assert report["complete"] is True and report["cash_collected"] is None
        assert any(Decimal(group["cash_collected"]) > 0 for group in report["by_currency"])
    finally:
        stop_service(app)

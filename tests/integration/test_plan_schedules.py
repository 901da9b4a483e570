"""A payment plan replaces its invoices' due schedule in every overdue figure, over
HTTP on each store, with answers worked out by hand: aging (one account and the
portfolio), the summary's overdue, DSO's best possible DSO and overdue rate, and
the overdue alerts; while the plan holds, once it is kept, broken, and settled.

C-1: F-1 (1000.00) is due 2026-03-31, F-2 (400.00) 2026-04-10. On 2026-04-15 a
plan PL-1 gives them two installments of 700.00, due 2026-04-30 and 2026-05-31:
F-1 (the older) fills the first and 300.00 of the second, F-2 the rest."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.integration.conftest import Service, envelope, invoice, opened, payment
from tests.integration.test_collections import post, read

PLAN = envelope("pl-1", "PaymentPlanAgreed", "C-1", plan_id="PL-1", invoice_ids=["F-1", "F-2"],
                agreed_date="2026-04-15", installments=[{"due_date": "2026-04-30", "amount": "700.00"},
                                                         {"due_date": "2026-05-31", "amount": "700.00"}])  # fmt: skip


def aging(service: Service, after: int, as_of: str) -> tuple[dict[str, str], list[tuple[str, str, str, str]]]:
    """C-1's buckets that hold something, and its items (invoice, due date, bucket, open balance)."""
    answer = read(service, "/v1/accounts/C-1/aging", after, as_of=as_of)
    buckets = {k: v for k, v in answer["totals"].items() if k in answer["buckets"] and v != "0.00"}
    items = [(i["invoice_id"], i["due_date"], i["bucket"], i["open_balance"]) for i in answer["items"]]
    portfolio = read(service, "/v1/aging", after, as_of=as_of)
    assert {k: v for k, v in portfolio["rows"][0].items() if k in buckets} == buckets  # the portfolio's row agrees
    return buckets, items


def dso(service: Service, after: int, as_of: str) -> tuple[Any, Any]:
    answer = read(service, "/v1/dso", after, as_of=as_of, days=120, method="standard", account="C-1")
    return answer["best_possible_dso"], answer["overdue_rate"]


def overdue_alerts(service: Service, after: int, account: str = "C-1") -> list[tuple[str, bool]]:
    """(subject, still open) of the account's overdue and broken-commitment alerts, in order raised."""
    alerts = read(service, "/v1/alerts", after, account=account, status="all", limit=1000)["alerts"]
    timed = [a for a in alerts if a["type"] in ("overdue", "promise_broken")]
    return [(a["subject"], a["cleared_at"] is None) for a in sorted(timed, key=lambda a: (a["raised_at"], a["id"]))]


def test_a_plan_moves_what_is_open_to_its_installments_until_it_breaks(service: Service) -> None:
    post(service, opened("C-1"), invoice("F-1", "1000.00", "2026-03-01", "2026-03-31", account="C-1"),
         invoice("F-2", "400.00", "2026-03-11", "2026-04-10", account="C-1"))  # fmt: skip
    last = post(service, PLAN)
    # Before the agreement, the invoices' own due dates.
    assert aging(service, last, "2026-04-14") == (
        {"1-30": "1400.00"},
        [("F-1", "2026-03-31", "1-30", "1000.00"), ("F-2", "2026-04-10", "1-30", "400.00")],
    )
    # While the plan holds: the installments' dates, F-1 first.
    assert aging(service, last, "2026-04-20") == (
        {"current": "1400.00"},
        [("F-1", "2026-04-30", "current", "700.00"), ("F-1", "2026-05-31", "current", "300.00"),
         ("F-2", "2026-05-31", "current", "400.00")],
    )  # fmt: skip
    # Nothing came by 30 April: broken on 1 May, the invoices are back on their own schedule.
    assert aging(service, last, "2026-05-01")[0] == {"1-30": "400.00", "31-60": "1000.00"}
    assert read(service, "/v1/accounts/C-1", last)["overdue"] == "1400.00"
    assert overdue_alerts(service, last) == [("F-1", True), ("F-2", True), ("plan:PL-1", True)]

    # The first installment was paid on 28 April (recorded late): the plan held until 31 May.
    last = post(service, payment("P-1", "700.00", "2026-04-28", [("F-1", "700.00")], account="C-1"))
    assert aging(service, last, "2026-05-01") == (
        {"current": "700.00"},
        [("F-1", "2026-05-31", "current", "300.00"), ("F-2", "2026-05-31", "current", "400.00")],
    )
    assert aging(service, last, "2026-05-31")[0] == {"current": "700.00"}
    assert aging(service, last, "2026-06-01") == (
        {"31-60": "400.00", "61-90": "300.00"},
        [("F-1", "2026-03-31", "61-90", "300.00"), ("F-2", "2026-04-10", "31-60", "400.00")],
    )
    # Best possible DSO counts what the plan has not yet made due: 700 / 1400 sales * 120 days.
    assert dso(service, last, "2026-05-15") == ("60.0", "0.0")
    assert dso(service, last, "2026-06-15") == ("0.0", "100.0")
    assert read(service, "/v1/accounts/C-1", last)["overdue"] == "700.00"
    # Still broken (now on 1 June): the alerts stay open.
    assert overdue_alerts(service, last) == [("F-1", True), ("F-2", True), ("plan:PL-1", True)]

    # The second installment was paid on 30 May: the plan was kept, the invoices are settled.
    last = post(service, payment("P-2", "700.00", "2026-05-30", [("F-1", "300.00"), ("F-2", "400.00")],
                                 account="C-1"))  # fmt: skip
    assert aging(service, last, "2026-05-20")[0] == {"current": "700.00"}
    assert aging(service, last, "2026-06-15") == ({}, [])
    assert read(service, "/v1/accounts/C-1", last)["overdue"] == "0.00"
    assert overdue_alerts(service, last) == [("F-1", False), ("F-2", False), ("plan:PL-1", False)]
    portfolio = read(service, "/v1/aging", last, as_of="2026-04-20")["totals"]
    assert (portfolio["current"], portfolio["total"]) == ("1400.00", "1400.00")


def test_an_invoice_under_a_plan_that_holds_is_not_overdue(service: Service) -> None:
    today = date.today()

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    post(service, opened("C-2"), invoice("F-9", "500.00", day(-60), day(-30), account="C-2"))
    installments = [{"due_date": day(20), "amount": "250.00"}, {"due_date": day(50), "amount": "250.00"}]
    last = post(service, envelope("pl-9", "PaymentPlanAgreed", "C-2", plan_id="PL-9", invoice_ids=["F-9"],
                                  agreed_date=day(-10), installments=installments))
    summary = read(service, "/v1/accounts/C-2", last)
    assert (summary["outstanding"], summary["overdue"]) == ("500.00", "0.00")
    answer = read(service, "/v1/accounts/C-2/aging", last)
    assert [(i["due_date"], i["bucket"], i["open_balance"]) for i in answer["items"]] == [
        (day(20), "current", "250.00"), (day(50), "current", "250.00")]  # fmt: skip
    assert read(service, "/v1/accounts/C-2/aging", last, as_of=day(-11))["totals"]["1-30"] == "500.00"
    # Overdue when recorded, until the plan was: its alert was raised, then cleared by the plan.
    assert overdue_alerts(service, last, "C-2") == [("F-9", False)]
    # Open items keep the invoice's own terms; the plan's dates are in the aging.
    assert read(service, "/v1/accounts/C-2/open-items", last)["items"][0]["due_date"] == day(-30)

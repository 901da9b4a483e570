"""The auditors' replay: the history as recorded, and the account as known
at a moment and valued at a business date."""

from __future__ import annotations

import time
from datetime import datetime

from tests.integration.conftest import BI, Service, envelope, invoice, opened, payment


def test_history_lists_every_fact_in_order_with_its_data(service: Service) -> None:
    service.post({"events": [opened(), invoice("F-1", "1200", order_id=None)]})
    service.post(payment("P-1", "200.00", "2026-04-01", [("F-1", "200.00")]))
    events = service.history("C-1001").json()["events"]
    assert [e["type"] for e in events] == ["AccountOpened", "InvoiceIssued", "PaymentReceived"]
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    assert events[1]["event_id"] == "inv-F-1"
    assert events[1]["data"] == {
        "invoice_id": "F-1",
        "amount": "1200.00",
        "issue_date": "2026-03-01",
        "due_date": "2026-03-31",
        "order_id": None,
    }
    assert events[2]["data"]["allocations"] == [{"invoice_id": "F-1", "amount": "200.00"}]
    assert datetime.fromisoformat(events[0]["recorded_at"]).tzinfo is not None


def test_history_is_paginated_with_an_opaque_cursor(service: Service) -> None:
    service.post({"events": [opened(), *[invoice(f"F-{i}", "1.00") for i in range(7)]]})
    seen, cursor = [], None
    while True:
        page = service.history("C-1001", limit=3, **({"cursor": cursor} if cursor else {})).json()
        seen += [e["event_id"] for e in page["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["open-C-1001", *[f"inv-F-{i}" for i in range(7)]]
    assert service.history("C-1001", cursor="garbage").status_code == 422


def test_history_of_an_unknown_account_is_404(service: Service) -> None:
    assert service.history("NOPE").status_code == 404


def test_state_is_valued_at_a_business_date(service: Service) -> None:
    service.post(
        {
            "events": [
                opened(),
                invoice("F-1", "1000.00", issue="2026-03-01", due="2026-03-31"),
                invoice("F-2", "500.00", issue="2026-04-10", due="2026-05-10"),
                payment("P-1", "700.00", "2026-04-15", [("F-1", "600.00")]),
                envelope(
                    "cn",
                    "CreditNoteIssued",
                    "C-1001",
                    credit_note_id="CN-1",
                    invoice_id="F-2",
                    amount="50.00",
                    issue_date="2026-05-01",
                ),
            ]
        }
    )
    march = service.state("C-1001", as_of="2026-03-31").json()
    assert (march["outstanding"], march["overdue"], march["unapplied_cash"]) == ("1000.00", "0.00", "0.00")
    april = service.state("C-1001", as_of="2026-04-20").json()
    assert april["outstanding"] == "900.00"  # 400 of F-1 + 500 of F-2
    assert april["unapplied_cash"] == "100.00"
    assert april["exposure"] == "800.00"
    assert april["overdue"] == "400.00"
    assert [(i["invoice_id"], i["open_balance"], i["days_past_due"]) for i in april["open_invoices"]] == [
        ("F-1", "400.00", 20),
        ("F-2", "500.00", -20),
    ]
    now = service.state("C-1001").json()
    assert (now["outstanding"], now["headroom"], now["utilization"]) == ("850.00", "9250.00", "7.5")


def test_state_as_known_at_a_moment_ignores_later_recordings(service: Service) -> None:
    service.post({"events": [opened(), invoice("F-1", "100.00")]})
    time.sleep(0.02)
    between = datetime.now().astimezone().isoformat()
    time.sleep(0.02)
    service.post(invoice("F-2", "50.00", issue="2026-02-01", due="2026-02-28"))
    assert service.state("C-1001", known_at=between).json()["outstanding"] == "100.00"
    assert service.state("C-1001").json()["outstanding"] == "150.00"
    assert service.state("C-1001", known_at="2000-01-01").status_code == 404
    assert service.state("C-1001", known_at="yesterday").status_code == 422
    assert service.state("C-1001", as_of="2026-13-01").status_code == 422


def test_audit_views_need_the_audit_scope(service: Service) -> None:
    service.post(opened())
    assert service.client.get("/v1/accounts/C-1001/state", headers=BI).status_code == 403

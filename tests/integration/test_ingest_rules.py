"""SPEC's rules over HTTP: each violation answers its status and records nothing."""

from __future__ import annotations

from tests.integration.conftest import Service, envelope, invoice, opened, payment


def status_and_field(response: object) -> tuple[int, str]:
    body = response.json()  # type: ignore[attr-defined]
    return response.status_code, body["errors"][0]["field"]  # type: ignore[attr-defined]


def test_unknown_account_is_404(service: Service) -> None:
    assert status_and_field(service.post(invoice("F-1", "10.00", account="NOPE"))) == (404, "account")


def test_opening_an_existing_account_is_409(service: Service) -> None:
    service.post(opened())
    assert status_and_field(service.post(opened(event_id="again"))) == (409, "account")


def test_a_reused_invoice_id_is_409(service: Service) -> None:
    service.post(opened())
    service.post(invoice("F-1", "10.00"))
    assert status_and_field(service.post(invoice("F-1", "10.00", event_id="other"))) == (409, "data.invoice_id")


def test_amounts_must_be_positive_and_due_after_issue(service: Service) -> None:
    service.post(opened())
    assert status_and_field(service.post(invoice("F-1", "0.00"))) == (422, "data.amount")
    assert status_and_field(service.post(invoice("F-1", "-5.00"))) == (422, "data.amount")
    assert status_and_field(service.post(invoice("F-1", "5.00", due="2026-02-01"))) == (422, "data.due_date")


def test_another_currency_is_rejected(service: Service) -> None:
    service.post(opened())
    assert status_and_field(service.post(invoice("F-1", "5.00", currency="USD"))) == (422, "data.currency")
    assert service.post(invoice("F-1", "5.00", currency="EUR")).status_code == 201


def test_allocations_cannot_exceed_the_payment_or_name_a_stranger(service: Service) -> None:
    stranger_invoice = invoice("F-9", "100.00", account="C-2")
    service.post({"events": [opened(), opened("C-2"), invoice("F-1", "100.00"), stranger_invoice]})
    over = payment("P-1", "50.00", "2026-04-01", [("F-1", "60.00")])
    assert status_and_field(service.post(over)) == (422, "data.allocations")
    stranger = payment("P-1", "50.00", "2026-04-01", [("F-9", "50.00")])
    assert status_and_field(service.post(stranger)) == (422, "data.allocations[0].invoice_id")


def test_unapplied_cash_is_allocated_later_within_its_amount(service: Service) -> None:
    service.post({"events": [opened(), invoice("F-1", "100.00"), payment("P-1", "80.00", "2026-04-01", [])]})
    later = envelope(
        "alloc-1",
        "PaymentAllocated",
        "C-1001",
        payment_id="P-1",
        allocation_date="2026-04-05",
        allocations=[{"invoice_id": "F-1", "amount": "90.00"}],
    )
    assert status_and_field(service.post(later)) == (422, "data.allocations")
    later["data"]["allocations"][0]["amount"] = "80.00"
    assert service.post(later).status_code == 201
    state = service.state("C-1001").json()
    assert (state["outstanding"], state["unapplied_cash"]) == ("20.00", "0.00")


def test_credit_notes_and_disputes_are_bounded_by_the_open_balance(service: Service) -> None:
    service.post({"events": [opened(), invoice("F-1", "100.00")]})
    credit = envelope(
        "cn-1",
        "CreditNoteIssued",
        "C-1001",
        credit_note_id="CN-1",
        invoice_id="F-1",
        amount="100.01",
        issue_date="2026-03-05",
    )
    assert status_and_field(service.post(credit)) == (422, "data.amount")
    dispute = envelope(
        "d-1",
        "DisputeOpened",
        "C-1001",
        dispute_id="D-1",
        invoice_id="F-1",
        amount="60.00",
        reason="damaged goods",
        opened_date="2026-03-10",
    )
    assert service.post(dispute).status_code == 201
    second = envelope(
        "d-2",
        "DisputeOpened",
        "C-1001",
        dispute_id="D-2",
        invoice_id="F-1",
        amount="40.01",
        reason="late",
        opened_date="2026-03-10",
    )
    assert status_and_field(service.post(second)) == (422, "data.amount")
    upheld = envelope(
        "d-1r", "DisputeResolved", "C-1001", dispute_id="D-1", outcome="upheld", resolved_date="2026-03-20"
    )
    assert service.post(upheld).status_code == 201
    state = service.state("C-1001").json()
    assert (state["outstanding"], state["disputed"]) == ("40.00", "0.00")
    assert status_and_field(service.post({**upheld, "event_id": "d-1r-again"})) == (409, "data.dispute_id")


def test_orders_count_until_invoiced_or_cancelled(service: Service) -> None:
    service.post(
        {
            "events": [
                opened(),
                envelope("o-1", "OrderPlaced", "C-1001", order_id="O-1", amount="1000.00", order_date="2026-02-20"),
                invoice("F-1", "400.00", order_id="O-1"),
            ]
        }
    )
    assert service.state("C-1001").json()["uninvoiced"] == "600.00"
    cancel = envelope("o-1c", "OrderCancelled", "C-1001", order_id="O-1", cancelled_date="2026-03-10")
    assert service.post(cancel).status_code == 201
    state = service.state("C-1001").json()
    assert (state["uninvoiced"], state["exposure"]) == ("0.00", "400.00")
    assert service.state("C-1001", as_of="2026-03-05").json()["uninvoiced"] == "600.00"


def test_the_answer_tells_which_alerts_the_batch_raised(service: Service) -> None:
    first = service.post({"events": [opened("C-9", credit_limit="1000.00"),
                                     envelope("o-1", "OrderPlaced", "C-9", order_id="O-1", amount="950.00",
                                              order_date="2026-03-01")]})  # fmt: skip
    assert first.status_code == 201, first.text
    assert [(a["type"], a["details"]["exposure"]) for a in first.json()["alerts"]] == [("limit_near", "950.00")]
    beyond = service.post(envelope("o-2", "OrderPlaced", "C-9", order_id="O-2", amount="100.00",
                                   order_date="2026-03-02"))  # fmt: skip
    assert beyond.status_code == 201  # recorded, not refused
    assert [a["type"] for a in beyond.json()["alerts"]] == ["limit_exceeded"]  # limit_near held already
    rated = service.post({"events": [
        envelope("r-1", "RatingChanged", "C-9", agency="Coface", score="7"),
        envelope("r-2", "RatingChanged", "C-9", agency="Coface", score="5"),
        invoice("F-1", "100.00", account="C-9"),
        envelope("d-1", "DisputeOpened", "C-9", dispute_id="D-1", invoice_id="F-1", amount="10.00",
                 reason="price", opened_date="2026-03-05"),
    ]})  # fmt: skip
    told = [(a["type"], a["subject"], a["severity"]) for a in rated.json()["alerts"]]
    assert told == [("rating_downgraded", "C-9", "high"), ("dispute_opened", "D-1", "medium")]
    again = service.post(envelope("o-2", "OrderPlaced", "C-9", order_id="O-2", amount="100.00",
                                  order_date="2026-03-02"))  # fmt: skip
    assert again.status_code == 200 and again.json()["alerts"] == []

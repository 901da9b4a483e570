"""Bad input gets a clear 4xx problem naming the field, and leaves nothing behind."""

from __future__ import annotations

import pytest

from tests.integration.conftest import ERP, Service, envelope, invoice, opened


def problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "detail"} <= set(body)
    return body


def fields_of(body: dict[str, object]) -> list[str]:
    return [e["field"] for e in body["errors"]]  # type: ignore[attr-defined, index]


def test_malformed_json_is_400(service: Service) -> None:
    response = service.client.post("/v1/events", content=b'{"event_id": ', headers=ERP)
    problem(response, 400)


@pytest.mark.parametrize(
    ("amount", "why"),
    [(1200.0, "JSON number"), (1200, "JSON number"), ("12,00", "decimal"), ("abc", "decimal"), (None, "")],
)
def test_amounts_must_be_decimal_strings(service: Service, amount: object, why: str) -> None:
    service.post(opened())
    body = problem(service.post(invoice("F-1", amount)), 422)  # type: ignore[arg-type]
    assert fields_of(body) == ["data.amount"]
    assert why in body["errors"][0]["detail"]  # type: ignore[index]
    assert len(service.history("C-1001").json()["events"]) == 1


@pytest.mark.parametrize("bad", ["2026-02-30", "2026/03/01", "01-03-2026", "", 20260301])
def test_dates_must_be_real_iso_dates(service: Service, bad: object) -> None:
    service.post(opened())
    body = problem(service.post(invoice("F-1", "10.00", issue=bad)), 422)  # type: ignore[arg-type]
    assert fields_of(body) == ["data.issue_date"]


def test_unknown_event_type_is_named(service: Service) -> None:
    body = problem(service.post(envelope("e-1", "InvoicePaid", "C-1001", amount="1.00")), 422)
    assert fields_of(body) == ["type"]
    assert "InvoicePaid" in body["errors"][0]["detail"]  # type: ignore[index]


def test_missing_envelope_fields_are_each_named(service: Service) -> None:
    body = problem(service.post({"type": "AccountOpened", "data": {}}), 422)
    assert fields_of(body) == ["event_id", "account"]


def test_missing_data_fields_are_named_with_their_index_in_a_batch(service: Service) -> None:
    bad = envelope("e-2", "InvoiceIssued", "C-1001", invoice_id="F-1", amount="1.00", due_date="2026-01-01")
    body = problem(service.post({"events": [opened(), bad]}), 422)
    assert fields_of(body) == ["events[1].data.issue_date"]
    assert service.history("C-1001").status_code == 404


def test_a_body_that_is_not_an_object_is_422(service: Service) -> None:
    problem(service.post([1, 2, 3]), 422)
    problem(service.post("text"), 422)


def test_batches_hold_one_to_a_thousand_events(service: Service) -> None:
    assert fields_of(problem(service.post({"events": []}), 422)) == ["events"]
    too_many = [opened(f"C-{i}") for i in range(1001)]
    assert fields_of(problem(service.post({"events": too_many}), 422)) == ["events"]


def test_an_oversize_body_is_413(database_url: str) -> None:
    from tests.integration.conftest import make_service, stop_service

    svc, app = make_service(database_url, max_body_bytes=1000)
    try:
        body = opened(name="x" * 2000)
        problem(svc.post(body), 413)
        assert svc.history("C-1001").status_code == 404
    finally:
        stop_service(app)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"currency": "EURO"}, "data.currency"),
        ({"currency": "XYZ"}, "data.currency"),
        ({"credit_limit": "-1.00"}, "data.credit_limit"),
        ({"credit_limit": "10.001"}, "data.credit_limit"),
        ({"payment_terms_days": "30"}, "data.payment_terms_days"),
        ({"risk_class": "F"}, "data.risk_class"),
        ({"name": ""}, "data.name"),
    ],
)
def test_account_opening_is_checked(service: Service, data: dict[str, object], field: str) -> None:
    body = problem(service.post(opened(**data)), 422)
    assert fields_of(body) == [field]

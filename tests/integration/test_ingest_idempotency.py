"""Posting is idempotent: ERPs retry, and a retry must never double a fact."""

from __future__ import annotations

from tests.integration.conftest import Service, invoice, opened, payment


def test_one_envelope_is_recorded_with_its_position(service: Service) -> None:
    response = service.post(opened())
    assert response.status_code == 201
    assert response.json()["results"] == [{"event_id": "open-C-1001", "status": "recorded", "position": 1}]


def test_the_same_event_posted_again_is_a_duplicate_and_records_nothing(service: Service) -> None:
    service.post(opened())
    first = service.post(invoice("F-1", "1200.00")).json()["results"][0]
    again = service.post(invoice("F-1", "1200.00"))
    assert again.status_code == 200
    assert again.json()["results"] == [{"event_id": "inv-F-1", "status": "duplicate", "position": first["position"]}]
    assert len(service.history("C-1001").json()["events"]) == 2


def test_a_duplicate_written_at_another_scale_is_the_same_content(service: Service) -> None:
    service.post(opened())
    service.post(invoice("F-1", "1200.00"))
    assert service.post(invoice("F-1", "1200")).json()["results"][0]["status"] == "duplicate"


def test_the_same_event_id_with_other_content_is_a_conflict(service: Service) -> None:
    service.post(opened())
    service.post(invoice("F-1", "1200.00"))
    response = service.post(invoice("F-1", "1300.00"))
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "event_id"
    assert service.state("C-1001").json()["outstanding"] == "1200.00"


def test_a_batch_mixes_new_facts_and_duplicates(service: Service) -> None:
    service.post(opened())
    service.post(invoice("F-1", "100.00"))
    response = service.post({"events": [invoice("F-1", "100.00"), invoice("F-2", "50.00")]})
    assert response.status_code == 201
    statuses = [(r["event_id"], r["status"]) for r in response.json()["results"]]
    assert statuses == [("inv-F-1", "duplicate"), ("inv-F-2", "recorded")]


def test_an_event_repeated_inside_one_batch_is_recorded_once(service: Service) -> None:
    service.post(opened())
    response = service.post({"events": [invoice("F-1", "100.00"), invoice("F-1", "100.00")]})
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["recorded", "duplicate"]
    assert results[0]["position"] == results[1]["position"]
    assert service.state("C-1001").json()["outstanding"] == "100.00"


def test_a_batch_is_all_or_nothing(service: Service) -> None:
    service.post(opened())
    batch = {
        "events": [
            invoice("F-1", "100.00"),
            opened("C-2002"),
            payment("P-1", "500.00", "2026-04-01", [("F-1", "150.00")]),  # more than F-1's open balance
        ]
    }
    response = service.post(batch)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "events[2].data.allocations[0].amount"
    assert len(service.history("C-1001").json()["events"]) == 1
    assert service.history("C-2002").status_code == 404
    # Corrected, the same batch then goes through whole.
    batch["events"][2] = payment("P-1", "500.00", "2026-04-01", [("F-1", "100.00")])
    assert service.post(batch).status_code == 201
    assert service.state("C-1001").json()["unapplied_cash"] == "400.00"


def test_positions_increase_across_accounts_in_posting_order(service: Service) -> None:
    batch = {"events": [opened("A"), opened("B"), invoice("F-1", "1.00", account="A")]}
    results = service.post(batch).json()["results"]
    positions = [r["position"] for r in results]
    assert positions == sorted(positions) and len(set(positions)) == 3

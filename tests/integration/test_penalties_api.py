"""Late-payment penalties over HTTP: an account's late invoices with the fixed
indemnity and the interest worked out by hand, to the cent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import BI, ERP, Service, envelope, invoice, make_service, opened, payment, stop_service

# 2.15 % in the first half of 2026, 2.00 % from 1 July; + 10 points: 12.15 % then 12.00 %.
RATES = ((date(2026, 1, 1), Decimal("2.15")), (date(2026, 7, 1), Decimal("2.00")))


@pytest.fixture
def penalties_service(database_url: str) -> Iterator[Service]:
    svc, app = make_service(database_url, penalty_reference_rates=RATES)
    yield svc
    stop_service(app)


def penalties(service: Service, account: str = "C-1001", headers: dict[str, str] | None = None, **params: Any) -> Any:
    return service.client.get(
        f"/v1/accounts/{account}/penalties", params=params, headers=BI if headers is None else headers
    )


def test_late_invoices_with_indemnity_and_interest_to_the_cent(penalties_service: Service) -> None:
    posted = penalties_service.post(
        {
            "events": [
                opened(),
                invoice("F-1", "1200.00", issue="2026-03-01", due="2026-03-31"),
                invoice("F-2", "1000.00", issue="2026-03-01", due="2026-03-31"),
                invoice("F-3", "300.00", issue="2026-03-01", due="2026-03-31"),
                invoice("F-4", "2000.00", issue="2026-05-16", due="2026-06-15"),
                invoice("F-5", "500.00", issue="2026-05-31", due="2026-06-30"),
                invoice("F-6", "800.00", issue="2026-07-15", due="2026-08-14"),
                payment("P-1", "1200.00", "2026-04-30", [("F-1", "1200.00")]),
                payment("P-2", "400.00", "2026-04-15", [("F-2", "400.00")]),
                payment("P-3", "300.00", "2026-03-31", [("F-3", "300.00")]),
                envelope(
                    "cn-1", "CreditNoteIssued", "C-1001",
                    credit_note_id="CN-1", invoice_id="F-2", amount="600.00", issue_date="2026-05-15",
                ),
                payment("P-4", "2000.00", "2026-07-20", [("F-4", "2000.00")]),
            ]
        }
    )  # fmt: skip
    assert posted.status_code == 201, posted.text
    answer = penalties(penalties_service, as_of="2026-08-01")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["account"], body["currency"], body["as_of"]) == ("C-1001", "EUR", "2026-08-01")
    assert body["reference_rates"] == [{"from": "2026-01-01", "rate": "2.15"}, {"from": "2026-07-01", "rate": "2.00"}]
    assert (body["margin_points"], body["indemnity_per_invoice"]) == ("10", "40.00")
    rows = {row["invoice_id"]: row for row in body["invoices"]}
    # F-3 was paid on its due date, F-6 is not due yet: neither is late.
    assert list(rows) == ["F-1", "F-2", "F-4", "F-5"]
    figures = {
        k: (r["settled_date"], r["days_late"], r["indemnity"], r["interest"], r["total"]) for k, r in rows.items()
    }
    assert figures == {
        # 1200 x 12.15 % x 30 / 365 = 11.98356…
        "F-1": ("2026-04-30", 30, "40.00", "11.98", "51.98"),
        # (1000 x 15 days + 600 x 30 days) x 12.15 % / 365 = 10.98493… (paid in part, then a credit note)
        "F-2": ("2026-05-15", 45, "40.00", "10.98", "50.98"),
        # 2000 x (15 days x 12.15 % + 20 days x 12.00 %) / 365 = 23.13698…
        "F-4": ("2026-07-20", 35, "40.00", "23.14", "63.14"),
        # Still open: 500 x 12.00 % x 32 / 365 = 5.26027…
        "F-5": (None, 32, "40.00", "5.26", "45.26"),
    }
    assert rows["F-2"]["periods"] == [
        {
            "from": "2026-04-01",
            "to": "2026-04-15",
            "days": 15,
            "amount": "1000.00",
            "reference_rate": "2.15",
            "rate": "12.15",
            "interest": "4.99",
        },
        {
            "from": "2026-04-16",
            "to": "2026-05-15",
            "days": 30,
            "amount": "600.00",
            "reference_rate": "2.15",
            "rate": "12.15",
            "interest": "5.99",
        },
    ]
    assert [(p["from"], p["to"], p["rate"]) for p in rows["F-4"]["periods"]] == [
        ("2026-06-16", "2026-06-30", "12.15"),
        ("2026-07-01", "2026-07-20", "12.00"),
    ]
    assert body["totals"] == {"indemnity": "160.00", "interest": "51.36", "total": "211.36"}


def test_as_of_counts_only_what_was_known_by_then_and_defaults_to_today(penalties_service: Service) -> None:
    penalties_service.post(
        {
            "events": [
                opened(),
                invoice("F-1", "1200.00", issue="2026-03-01", due="2026-03-31"),
                payment("P-1", "1200.00", "2026-04-30", [("F-1", "1200.00")]),
            ]
        }
    )
    on_due_date = penalties(penalties_service, as_of="2026-03-31").json()
    assert (on_due_date["invoices"], on_due_date["totals"]["total"]) == ([], "0.00")
    # Before the payment: still open, 10 days late: 1200 x 12.15 % x 10 / 365 = 3.99452…
    (row,) = penalties(penalties_service, as_of="2026-04-10").json()["invoices"]
    assert (row["settled_date"], row["days_late"], row["interest"]) == (None, 10, "3.99")
    today = penalties(penalties_service).json()
    assert today["as_of"] == datetime.now(UTC).date().isoformat()
    assert [r["interest"] for r in today["invoices"]] == ["11.98"]


def test_an_unknown_account_is_404(penalties_service: Service) -> None:
    answer = penalties(penalties_service, "NOPE")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "account"


def test_a_token_is_needed_with_the_read_scope(penalties_service: Service) -> None:
    penalties_service.post(opened())
    assert penalties(penalties_service, headers={}).status_code == 401
    assert penalties(penalties_service, headers=ERP).status_code == 403
    assert penalties(penalties_service).status_code == 200


@pytest.mark.parametrize("as_of", ["2026-02-30", "yesterday", "2026-3-1x"])
def test_a_bad_as_of_is_422(penalties_service: Service, as_of: str) -> None:
    penalties_service.post(opened())
    answer = penalties(penalties_service, as_of=as_of)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "as_of"

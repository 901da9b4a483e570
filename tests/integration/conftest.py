"""An o2c service over HTTP on each store, with one token per scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from o2c.api.app import create_app
from o2c.api.auth import Keyring
from o2c.config import Settings
from tests.integration.kafka_broker import fresh_topic, kafka_bootstrap  # noqa: F401 (fixtures)

TOKENS = "erp=ingest,bi=read,auditor=read+audit,root=admin"
ERP = {"Authorization": "Bearer erp"}
AUDITOR = {"Authorization": "Bearer auditor"}
BI = {"Authorization": "Bearer bi"}


class Service:
    """The API as an ERP and an auditor use it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def post(self, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.post("/v1/events", json=body, headers=headers or ERP)

    def history(self, account: str, **params: Any) -> Any:
        return self.client.get(f"/v1/accounts/{account}/history", params=params, headers=AUDITOR)

    def state(self, account: str, **params: Any) -> Any:
        return self.client.get(f"/v1/accounts/{account}/state", params=params, headers=AUDITOR)


def make_service(database_url: str, **settings: Any) -> tuple[Service, Any]:
    """A running service (lifespan started: the projection follows the ledger)."""
    app = create_app(Settings(database_url=database_url, **settings), Keyring.parse(TOKENS))
    client = TestClient(app)
    client.__enter__()
    app.state.test_client = client
    return Service(client), app


def stop_service(app: Any) -> None:
    app.state.test_client.__exit__(None, None, None)
    app.state.ledger.close()


@pytest.fixture
def service(database_url: str) -> Iterator[Service]:
    svc, app = make_service(database_url)
    yield svc
    stop_service(app)


def envelope(event_id: str, fact_type: str, account: str, **data: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": fact_type, "account": account, "data": data}


def opened(account: str = "C-1001", event_id: str | None = None, **data: Any) -> dict[str, Any]:
    fields = {"name": "Acme SA", "currency": "EUR", "credit_limit": "10000.00", **data}
    return envelope(event_id or f"open-{account}", "AccountOpened", account, **fields)


def invoice(
    invoice_id: str,
    amount: str,
    issue: str = "2026-03-01",
    due: str = "2026-03-31",
    account: str = "C-1001",
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return envelope(
        event_id or f"inv-{invoice_id}",
        "InvoiceIssued",
        account,
        invoice_id=invoice_id,
        amount=amount,
        issue_date=issue,
        due_date=due,
        **extra,
    )


def payment(
    payment_id: str,
    amount: str,
    received: str,
    allocations: list[tuple[str, str]],
    account: str = "C-1001",
    event_id: str | None = None,
) -> dict[str, Any]:
    return envelope(
        event_id or f"pay-{payment_id}",
        "PaymentReceived",
        account,
        payment_id=payment_id,
        amount=amount,
        received_date=received,
        allocations=[{"invoice_id": i, "amount": a} for i, a in allocations],
    )

"""`o2c serve`'s default: the projections in a child process beside the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from o2c.api.app import create_app
from o2c.api.auth import Keyring
from o2c.config import Settings
from tests.integration.conftest import BI, ERP, TOKENS, invoice, opened


def test_a_projector_process_follows_the_ledger_and_stops_with_the_api(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, read_your_writes_timeout_s=30), Keyring.parse(TOKENS),
                     projection="process")  # fmt: skip
    with TestClient(app) as client:
        posted = client.post("/v1/events", json={"events": [opened("C-1"), invoice("F-1", "1200.00", account="C-1")]},
                             headers=ERP)  # fmt: skip
        assert posted.status_code == 201, posted.text
        last = posted.json()["results"][-1]["position"]
        summary = client.get("/v1/accounts/C-1", headers={**BI, "X-O2C-After": str(last)})
        assert summary.status_code == 200, summary.text
        assert summary.json()["outstanding"] == "1200.00"
        child = app.state.runner._process
        assert child is not None and child.poll() is None
    assert child.poll() is not None  # stopped with the API
    app.state.ledger.close()

"""Parked accounts over HTTP, on each store: views say they are stale, /health is
degraded, /metrics counts them (from the process that projects, whichever it
is), admins list and retry them; `o2c rebuild` parks the same way, and the
`o2c parked` commands list and retry on the database."""

from __future__ import annotations

import time
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from o2c.api.app import create_app
from o2c.api.auth import Keyring
from o2c.cli import main
from o2c.config import Settings
from tests.integration.conftest import BI, ERP, TOKENS, invoice, make_service, opened, stop_service
from tests.integration.test_parking import fault_on

ROOT = {"Authorization": "Bearer root"}


def metric(client: TestClient, name: str) -> float:
    text = client.get("/metrics").text
    [line] = [line for line in text.splitlines() if line.startswith(name + " ")]
    return float(line.split()[1])


def posted(client: TestClient, facts: list[dict[str, Any]]) -> dict[str, int]:
    response = client.post("/v1/events", json={"events": facts}, headers=ERP)
    assert response.status_code == 201, response.text
    return {r["event_id"]: r["position"] for r in response.json()["results"]}


def test_a_parked_account_is_shown_stale_counted_listed_and_retried(database_url: str) -> None:
    service, app = make_service(database_url)
    client = service.client
    try:
        with fault_on("BAD", 2):
            at = posted(client, [opened("OK"), opened("BAD"), invoice("F-1", "100.00", account="BAD"),
                                 invoice("G-1", "70.00", account="OK")])  # fmt: skip
            after = {**BI, "X-O2C-After": str(max(at.values()))}
            # Every other account answers for a position behind the parked fact.
            ok = client.get("/v1/accounts/OK", headers=after)
            assert ok.status_code == 200 and ok.json()["outstanding"] == "70.00", ok.text
            assert "x-o2c-stale" not in ok.headers and ok.json()["stale"] is None
            bad = client.get("/v1/accounts/BAD", headers=after)
            assert bad.status_code == 200 and bad.json()["outstanding"] == "0.00", bad.text
            assert bad.headers["x-o2c-stale"] == f"parked; position={at['inv-F-1']}"
            assert bad.json()["stale"] == {"reason": "parked", "since_position": at["inv-F-1"]}
            assert client.get("/v1/accounts/BAD/aging", headers=BI).headers["x-o2c-stale"].startswith("parked")
            assert client.get("/v1/aging", headers=BI).headers["x-o2c-stale"] == "parked; accounts=1"

            health = client.get("/health")
            assert health.status_code == 200 and health.json()["status"] == "degraded"
            assert [r["reason"] for r in health.json()["reasons"]] == ["parked"]
            assert metric(client, "o2c_projection_parked_accounts") == 1
            assert metric(client, "o2c_projection_parked_facts") == 1
            assert metric(client, "o2c_projection_errors") >= 1
            assert metric(client, "o2c_projection_lag_events") == 0
            [alert] = client.get("/v1/alerts", params={"type": "projection_parked"}, headers=BI).json()["alerts"]
            assert alert["account"] == "BAD" and alert["details"]["position"] == at["inv-F-1"]

            assert client.get("/v1/admin/parked", headers=BI).status_code == 403
            [entry] = client.get("/v1/admin/parked", headers=ROOT).json()["accounts"]
            assert (entry["account"], entry["first_position"], entry["facts"]) == ("BAD", at["inv-F-1"], 1)
            assert entry["type"] == "InvoiceIssued" and entry["event_id"] == "inv-F-1" and "Fault" in entry["error"]
            still = client.post("/v1/admin/parked/BAD/retry", headers=ROOT)
            assert still.status_code == 200 and still.json()["still_parked"] == 1, still.text

        missing = client.post("/v1/admin/parked/OK/retry", headers=ROOT)
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        retried = client.post("/v1/admin/parked/BAD/retry", headers=ROOT)
        assert retried.json() == {"account": "BAD", "applied": 1, "still_parked": 0, "error": None}
        more = posted(client, [invoice("F-2", "5.00", account="BAD")])
        bad = client.get("/v1/accounts/BAD", headers={**BI, "X-O2C-After": str(more["inv-F-2"])})
        assert bad.json()["outstanding"] == "105.00" and bad.json()["stale"] is None
        assert "x-o2c-stale" not in bad.headers
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/v1/alerts", params={"type": "projection_parked"}, headers=BI).json()["alerts"] == []
        assert client.post("/v1/admin/parked/retry", headers=ROOT).json() == {"retried": []}
    finally:
        stop_service(app)


def unreadable_fact(app: Any, code: str, version: int) -> None:
    """A fact recorded by a version of o2c this one cannot read (an upgrade gone wrong)."""
    app.state.ledger.recorder.insert_events([StoredEvent(code, version, "o2c.gone:Removed", b"{}")])


def until(check: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.1)


def test_the_projector_process_counts_reach_the_api_and_rebuild_parks_too(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(Settings(database_url=database_url, read_your_writes_timeout_s=30), Keyring.parse(TOKENS),
                     projection="process")  # fmt: skip
    with TestClient(app) as client:
        posted(client, [opened("OK"), opened("BAD")])
        unreadable_fact(app, "BAD", 2)
        last = posted(client, [invoice("G-1", "70.00", account="OK")])["inv-G-1"]
        assert client.get("/v1/accounts/OK", headers={**BI, "X-O2C-After": str(last)}).status_code == 200
        until(lambda: metric(client, "o2c_projection_parked_accounts") == 1)
        assert metric(client, "o2c_projection_errors") >= 1
        assert client.get("/health").json()["status"] == "degraded"
    app.state.ledger.close()

    monkeypatch.setenv("O2C_DATABASE_URL", database_url)
    main(["rebuild"])
    assert "1 account(s) parked" in capsys.readouterr().err
    main(["parked", "list"])
    assert '"account": "BAD"' in capsys.readouterr().out
    with pytest.raises(SystemExit) as still:
        main(["parked", "retry", "BAD"])
    assert still.value.code == 3
    assert '"still_parked": 1' in capsys.readouterr().out
    with pytest.raises(SystemExit) as unknown:
        main(["parked", "retry", "OK"])
    assert "not parked" in str(unknown.value.code)

"""Schema-driven fuzzing of the whole OpenAPI (schemathesis), on SQLite, with
every check: no 5xx, and every answer as documented (status, content type,
body schema). Bounded and deterministic so CI stays stable and quick."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from o2c.api.app import create_app
from o2c.api.auth import Keyring
from o2c.config import Settings
from tests.integration.conftest import TOKENS, envelope, invoice, opened, payment

ROOT = {"Authorization": "Bearer root"}
CONFIG = SchemathesisConfig.from_dict({
    # The document's bearer scheme: schemathesis sends the token, and leaves it out to probe the 401s.
    "auth": {"openapi": {"bearer": {"bearer": "root"}}},
    "generation": {"mode": "all", "deterministic": True, "allow-x00": True},
    "checks": {
        # Schema-valid is not rule-valid: a business date outside the ledger's window, a
        # cursor this service did not return, a fact naming an invoice that does not exist
        # are well-formed strings the schema cannot rule out, and the service refuses them 422.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "504"]},
        # A position the fuzzer makes up in X-O2C-After is not projected yet: the documented 504.
        "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "504"]},
    },
})
_store = Path(tempfile.mkdtemp(prefix="o2c-fuzz-")) / "o2c.db"
# ... and is answered after a short wait, not O2C_AFTER_TIMEOUT_S.
_settings = Settings(database_url=f"sqlite:///{_store}", read_your_writes_timeout_s=0.05)
app = create_app(_settings, Keyring.parse(TOKENS), projection="none")
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


def _seeded() -> None:
    """A small portfolio, projected, so that the views have rows to get wrong."""
    facts = [opened("C-1", credit_limit="1000.00"), opened("C-2", currency="JPY", credit_limit="0"),
             invoice("F-1", "1200.00", "2026-01-05", "2026-02-04", account="C-1"),
             invoice("F-2", "500", "2026-03-01", "2026-03-31", account="C-2"),
             payment("P-1", "300.00", "2026-02-20", [("F-1", "200.00")], account="C-1"),
             envelope("d-1", "DisputeOpened", "C-1", dispute_id="D-1", invoice_id="F-1", amount="100.00",
                      reason="damaged", opened_date="2026-02-21")]  # fmt: skip
    answer = TestClient(app).post("/v1/events", json={"events": facts}, headers=ROOT)
    assert answer.status_code == 201, answer.text
    app.state.projection.run_until_caught_up()


_seeded()


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate()

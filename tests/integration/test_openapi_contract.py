"""The OpenAPI document is the contract: it validates, says what every operation
needs and answers (as the service does), documents the body of POST /v1/events
from the models that validate it, and is shown offline by /docs and /redoc."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from o2c.api.app import create_app
from o2c.api.auth import SCOPES, Keyring
from o2c.api.schemas import DATA_MODELS
from o2c.config import Settings
from tests.integration.conftest import TOKENS, Service

PROBLEM = {"$ref": "#/components/schemas/Problem"}
# A token without each scope (admin has them all).
LACKING = {"read": "erp", "ingest": "bi", "audit": "bi", "admin": "auditor"}
PATH_VALUES = {"account": "C-1", "name": "gentle", "date": "2026-03-02", "month": "2026-03"}
_store = Path(tempfile.mkdtemp(prefix="o2c-contract-")) / "o2c.db"
app = create_app(Settings(database_url=f"sqlite:///{_store}"), Keyring.parse(TOKENS), projection="none")
client = TestClient(app)
DOCUMENT: dict[str, Any] = client.get("/openapi.json").json()
OPERATIONS = [(path, method, op) for path, ops in DOCUMENT["paths"].items() for method, op in ops.items()]


def resolved(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return resolved(DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[1]]) if ref else schema


def test_the_document_is_valid_openapi_with_a_bearer_scheme_and_no_fastapi_errors() -> None:
    validate(DOCUMENT)
    bearer = DOCUMENT["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert "ValidationError" not in str(DOCUMENT)  # FastAPI's HTTPValidationError is not what o2c answers


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS])
def test_every_operation_states_its_security_and_answers_problems(path: str, method: str, operation: Any) -> None:
    responses = operation["responses"]
    if path.startswith("/v1/"):
        assert operation["security"] == [{"bearer": []}]
        assert operation["x-o2c-scope"] in SCOPES
        assert f"`{operation['x-o2c-scope']}` scope" in operation["description"]
        assert {"401", "403"} <= set(responses)
    else:
        assert operation["security"] == []
    if operation.get("parameters") or operation.get("requestBody"):
        assert "422" in responses
    if method in ("post", "put"):
        assert {"400", "413"} <= set(responses)
    if any(p["in"] == "path" for p in operation.get("parameters", [])):
        assert "404" in responses
    waits = any(p["name"] == "X-O2C-After" for p in operation.get("parameters", []))
    assert waits == ("504" in responses)
    for status, response in responses.items():
        if status[0] in "45":
            assert response["content"]["application/problem+json"]["schema"] == PROBLEM, status
        elif status[0] == "2":
            assert response.get("content"), f"{status} has no body documented"


@pytest.mark.parametrize(
    ("path", "method", "operation"),
    [o for o in OPERATIONS if o[0].startswith("/v1/")],
    ids=[f"{m} {p}" for p, m, _ in OPERATIONS if p.startswith("/v1/")],
)
def test_the_scope_documented_is_the_scope_required(path: str, method: str, operation: Any) -> None:
    url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m[1]], path)
    token = LACKING[operation["x-o2c-scope"]]
    answer = client.request(method, url, json={}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert client.request(method, url, json={}).status_code == 401


def test_the_events_body_is_one_envelope_or_a_batch_of_every_fact_type() -> None:
    body = DOCUMENT["paths"]["/v1/events"]["post"]["requestBody"]
    assert body["required"]
    one, batch = body["content"]["application/json"]["schema"]["anyOf"]
    assert resolved(batch)["properties"]["events"]["maxItems"] == 1000
    assert one["discriminator"]["propertyName"] == "type"
    assert set(one["discriminator"]["mapping"]) == set(DATA_MODELS)
    for fact_type, ref in one["discriminator"]["mapping"].items():
        envelope = resolved({"$ref": ref})
        assert set(envelope["required"]) == {"event_id", "type", "account", "data"}
        data = resolved(envelope["properties"]["data"])
        model = DATA_MODELS[fact_type]
        assert set(data.get("required", [])) == {n for n, f in model.model_fields.items() if f.is_required()}
        assert set(data["properties"]) == set(model.model_fields)
        assert data["description"] and all(field.get("description") for field in data["properties"].values())
    amount = resolved({"$ref": "#/components/schemas/InvoiceIssued"})["properties"]["amount"]
    assert amount["type"] == "string" and re.fullmatch(amount["pattern"], "1200.00")
    assert not re.fullmatch(amount["pattern"], "1e3")


def test_the_documented_examples_are_recorded(service: Service) -> None:
    """Every envelope's example, in the document's order, is one batch the ledger records."""
    mapping = DOCUMENT["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    envelopes = [
        resolved({"$ref": ref})["examples"][0] for ref in mapping["anyOf"][0]["discriminator"]["mapping"].values()
    ]
    order = list(DATA_MODELS)
    envelopes.sort(key=lambda e: order.index(e["type"]))
    answer = service.post({"events": envelopes})
    assert answer.status_code == 201, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["recorded"] * len(DATA_MODELS)


def test_csv_and_metrics_are_documented_with_their_media_types() -> None:
    with_format = [op for _, _, op in OPERATIONS if any(p["name"] == "format" for p in op.get("parameters", []))]
    assert with_format and all("text/csv" in op["responses"]["200"]["content"] for op in with_format)
    served = client.get("/metrics").headers["content-type"]
    assert list(DOCUMENT["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == [served]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_are_served_offline(page: str) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    html = answer.text
    assert not re.search(r"https?://", html), "a page that loads from elsewhere is blank offline"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 1000, asset
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "http" not in policy
    inline = re.findall(r"<script>", html)
    assert policy.count("'sha256-") == len(inline)  # its own inline script, by its hash, nothing else

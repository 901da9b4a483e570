"""The OpenAPI documents the JSON body of every success of the collections,
reports, alerts, penalties, parked-accounts and health routes with a closed
schema (no open `{}`, no `additionalProperties: true`), and real answers of
those routes, on each store, from a portfolio that makes every optional part
appear (conversions, budgets, parked accounts, each kind of alert), are valid
against it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from jsonschema import Draft202012Validator, FormatChecker

from o2c.api.app import create_app
from o2c.api.auth import Keyring
from o2c.api.routes import alerts, collections, ops, parked, penalties, reports
from o2c.config import Settings
from o2c.domain.alerts import ALERT_TYPES
from o2c.domain.overdue_severity import LEVELS
from tests.integration.by_hand import put_rates
from tests.integration.conftest import (
    BI,
    ERP,
    TOKENS,
    Service,
    envelope,
    invoice,
    make_service,
    opened,
    payment,
    stop_service,
)
from tests.integration.test_parking import fault_on

ROOT = {"Authorization": "Bearer root"}
MODULES = (alerts, collections, ops, parked, penalties, reports)
ELSEWHERE = {"/metrics"}  # text/plain, documented by the OpenAPI's own module
# Keywords that say something of a value: a schema with none of them accepts anything.
CONSTRAINING = {"type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const", "not"}


def operations() -> set[tuple[str, str]]:
    """(method, path) of every operation these route modules serve."""
    return {
        (method.lower(), route.path)
        for module in MODULES
        for route in module.router.routes
        if isinstance(route, APIRoute) and route.path not in ELSEWHERE
        for method in route.methods
    }


def open_parts(schema: Any, where: str, seen: set[str], doc: dict[str, Any]) -> Iterator[str]:
    """Where a schema, followed through its references, accepts any value or any extra field."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from open_parts(doc["components"]["schemas"][name], name, seen, doc)
        return
    if not CONSTRAINING & set(schema):
        yield f"{where}: {schema} accepts anything"
    if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        yield f"{where}: an object open to extra fields"
    for key, sub in schema.get("properties", {}).items():
        yield from open_parts(sub, f"{where}.{key}", seen, doc)
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            yield from open_parts(sub, f"{where}|{i}", seen, doc)
    yield from open_parts(schema.get("items"), f"{where}[]", seen, doc)


def body_schema(doc: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    content = doc["paths"][path][method]["responses"][str(status)].get("content", {})
    assert "application/json" in content, f"{method} {path} {status}: no JSON body documented"
    return content["application/json"]["schema"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def app_doc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    store = tmp_path_factory.mktemp("openapi") / "o2c.db"
    app = create_app(Settings(database_url=f"sqlite:///{store}"), Keyring.parse(TOKENS), projection="none")
    return app, app.openapi()


def test_every_success_has_a_closed_json_schema(app_doc: tuple[Any, dict[str, Any]]) -> None:
    doc = app_doc[1]
    found = []
    for method, path in sorted(operations()):
        successes = [int(s) for s in doc["paths"][path][method]["responses"] if s.startswith("2")]
        assert successes, f"{method} {path}: no success documented"
        for status in successes:
            found += open_parts(body_schema(doc, method, path, status), f"{method} {path} {status}", set(), doc)
    assert not found, "\n".join(found)


def test_the_alert_schema_has_every_type_and_severity(app_doc: tuple[Any, dict[str, Any]]) -> None:
    schemas = app_doc[1]["components"]["schemas"]
    alert = schemas["AlertList"]["properties"]["alerts"]["items"]
    assert set(alert["discriminator"]["mapping"]) == ALERT_TYPES
    assert tuple(schemas["OverdueAlert"]["properties"]["severity"]["enum"]) == LEVELS


def test_an_open_schema_is_found() -> None:
    """The walk above can fail: an open blob and an object without `additionalProperties: false`."""
    doc = {"components": {"schemas": {"Loose": {"type": "object", "properties": {"x": {"title": "X"}}}}}}
    assert len(list(open_parts({"$ref": "#/components/schemas/Loose"}, "", set(), doc))) == 2


# -- real answers, valid against the document -------------------------------------------------


class Checked:
    """Calls routes and validates each JSON answer against its documented schema."""

    def __init__(self, service: Service, doc: dict[str, Any]) -> None:
        self.client, self.doc, self.after = service.client, doc, 0
        self.called: set[tuple[str, str]] = set()

    def __call__(self, method: str, path: str, url: str, status: int = 200, **kwargs: Any) -> Any:
        headers = {**kwargs.pop("headers", ROOT), "X-O2C-After": str(self.after)}
        answer = self.client.request(method.upper(), url, headers=headers, **kwargs)
        assert answer.status_code == status, answer.text
        schema = {**body_schema(self.doc, method, path, status), "components": self.doc["components"]}
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in
                  Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(answer.json())]  # fmt: skip
        assert not errors, f"{method} {url}:\n" + "\n".join(errors)
        self.called.add((method, path))
        if "position" in answer.json():
            self.after = max(self.after, answer.json()["position"])
        return answer.json()

    def post(self, facts: list[dict[str, Any]]) -> None:
        answer = self.client.post("/v1/events", json={"events": facts}, headers=ERP)
        assert answer.status_code == 201, answer.text
        self.after = max(r["position"] for r in answer.json()["results"])


FACTS = [
    opened("ACME", credit_limit="1000.00", insured_limit="500.00"),
    opened("YEN", currency="JPY", credit_limit="0"),
    invoice("F-1", "1200.00", "2026-01-05", "2026-02-04", account="ACME"),
    invoice("F-2", "300.00", "2026-02-01", "2026-03-03", account="ACME"),
    invoice("J-1", "50000", "2026-02-01", "2026-03-03", account="YEN"),
    payment("P-1", "300.00", "2026-02-20", [("F-1", "200.00")], account="ACME"),
    envelope("d-1", "DisputeOpened", "ACME", dispute_id="D-1", invoice_id="F-1", amount="100.00",
             reason="damaged", opened_date="2026-02-21"),
    envelope("r-1", "RatingChanged", "ACME", agency="Coface", score="80", rating="A"),
    envelope("r-2", "RatingChanged", "ACME", agency="Coface", score="60"),
    envelope("pr-1", "PromiseToPay", "ACME", promise_id="PR-1", amount="200.00", promised_date="2026-03-10",
             invoice_ids=["F-2"], promise_date="2026-03-05"),
]  # fmt: skip


def test_real_answers_match_the_documented_schemas(database_url: str, app_doc: tuple[Any, dict[str, Any]]) -> None:
    service, app = make_service(database_url)
    check = Checked(service, app_doc[1])
    try:
        assert check("get", "/health", "/health") == {"status": "ok"}
        check.post(FACTS)
        check.after = put_rates(service, "2026-02-27", {"JPY": "160.00"})
        one = {"steps": [{"offset_days": -3, "channel": "email", "action": "remind"}], "risk_classes": []}
        check("put", "/v1/collections/scenarios/{name}", "/v1/collections/scenarios/soft", 201, json=one)
        check("put", "/v1/collections/scenarios/{name}", "/v1/collections/scenarios/soft", 200, json=one)
        for name in ("soft", "firm"):
            check("get", "/v1/collections/scenarios/{name}", f"/v1/collections/scenarios/{name}")
        listed = check("get", "/v1/collections/scenarios", "/v1/collections/scenarios")
        assert {s["shipped"] for s in listed["scenarios"]} == {True, False}
        agenda = "/v1/collections/agenda"
        assert check("get", agenda, agenda, params={"date": "2026-04-01"}, headers=BI)["accounts"]
        check("get", agenda, agenda, params={"date": "2026-04-01", "reporting_currency": "EUR"}, headers=BI)
        budget = {"cash_collected": "1000.00", "dso": 45, "disputes_opened": "2"}
        check("put", "/v1/reports/budget/{month}", "/v1/reports/budget/2026-02", json=budget)
        report = "/v1/reports/monthly"
        mixed = check("get", report, report, params={"month": "2026-02"}, headers=BI)
        assert mixed["currency"] is None and mixed["budget"]["dso"]["actual"] is None
        one_currency = check("get", report, report, params={"month": "2026-02", "reporting_currency": "EUR"})
        assert one_currency["conversion"]["rates"] and one_currency["budget"]["cash_collected"]["actual"]
        check("get", report, report, params={"month": "2026-01", "currency": "JPY"})
        for code in ("ACME", "YEN"):
            check("get", "/v1/accounts/{account}/penalties", f"/v1/accounts/{code}/penalties", headers=BI)
        with fault_on("BAD", 2):
            check.post([opened("BAD"), invoice("B-1", "10.00", account="BAD")])
            assert check("get", "/v1/admin/parked", "/v1/admin/parked")["accounts"]  # waits for the projection
            assert check("get", "/health", "/health")["status"] == "degraded"
            failed = check("post", "/v1/admin/parked/{account}/retry", "/v1/admin/parked/BAD/retry")
            assert failed["still_parked"] == 1 and failed["error"]
        check("post", "/v1/admin/parked/retry", "/v1/admin/parked/retry")
        shown = check("get", "/v1/alerts", "/v1/alerts", params={"status": "all"}, headers=BI)
        assert {a["type"] for a in shown["alerts"]} == ALERT_TYPES
        check("get", "/v1/alerts", "/v1/alerts", params={"limit": 1}, headers=BI)
        assert check.called == operations()
    finally:
        stop_service(app)

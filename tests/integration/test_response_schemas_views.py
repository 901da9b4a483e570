"""The views', audit's, rates' and posting's JSON answers have real schemas in the
OpenAPI: every 200/201 body of these routes is documented, closed (no
`additionalProperties: true`, no `{}`), and what the service answers for a
portfolio using every fact type, currency conversion, risk review and collections
record validates against it, on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute
from jsonschema import Draft202012Validator

from o2c.api.app import create_app
from o2c.api.auth import Keyring
from o2c.api.routes import accounts, aging, audit, credit_check, directory, events, fx_rates, portfolio
from o2c.config import Settings
from tests.integration.conftest import Service, envelope, invoice, make_service, opened, payment, stop_service

ROUTES = (accounts, aging, portfolio, directory, credit_check, fx_rates, audit, events)
ROOT = {"Authorization": "Bearer root"}
# A schema that says what a value is (anything else is an open `{}`).
_TYPED = {"type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const"}


def operations() -> Iterator[tuple[str, str]]:
    for module in ROUTES:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods:
                yield method.lower(), route.path


def success_schemas(document: dict[str, Any], method: str, path: str) -> dict[str, dict[str, Any]]:
    responses = document["paths"][path][method]["responses"]
    documented = {code: r.get("content", {}) for code, r in responses.items() if code[0] == "2"}
    assert all("application/json" in c for c in documented.values()), f"{method} {path}: {documented}"
    return {code: content["application/json"]["schema"] for code, content in documented.items()}


def open_spots(schema: Any, components: dict[str, Any], where: str, seen: set[str]) -> Iterator[str]:
    """Where a schema lets anything through: an empty or untyped schema, an object
    open to any property, an array of anything."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from open_spots(components[name], components, name, seen)
        return
    if not _TYPED & schema.keys():
        yield f"{where}: untyped {schema}"
    if schema.get("type") == "object" and schema.get("additionalProperties", True) is True:
        yield f"{where}: open object"
    if schema.get("type") == "array" and "items" not in schema and "prefixItems" not in schema:
        yield f"{where}: array of anything"
    for key in ("items", "additionalProperties"):
        yield from open_spots(schema.get(key), components, f"{where}.{key}", seen)
    for key in ("properties", "patternProperties"):
        for name, sub in schema.get(key, {}).items():
            yield from open_spots(sub, components, f"{where}.{name}", seen)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for i, sub in enumerate(schema.get(key, [])):
            yield from open_spots(sub, components, f"{where}.{key}[{i}]", seen)


def test_every_success_of_these_routes_has_a_closed_schema(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/o2c.db")
    app = create_app(settings, Keyring.parse("root=admin"), projection="none")
    document = app.openapi()
    components = document["components"]["schemas"]
    checked = 0
    for method, path in operations():
        schemas = success_schemas(document, method, path)
        assert schemas, f"{method} {path}: no JSON success body"
        for code, schema in schemas.items():
            assert schema.get("$ref"), f"{method} {path} {code}: not a model"
            assert list(open_spots(schema, components, f"{method} {path} {code}", set())) == []
            checked += 1
    assert checked >= 15


def test_the_open_spot_finder_finds_open_spots() -> None:
    components = {"Loose": {"type": "object", "properties": {"a": {}, "b": {"type": "array"}}}}
    found = list(open_spots({"$ref": "#/components/schemas/Loose"}, components, "", set()))
    assert found == ["Loose: open object", "Loose.a: untyped {}", "Loose.b: array of anything"]


def _facts() -> list[dict[str, Any]]:
    """Every fact type, on an EUR account under a limit it exceeds and a JPY one."""
    c1 = "C-1"
    return [
        opened(c1, credit_limit="1000.00", insured_limit="500.00", risk_class="B"),
        opened("C-2", currency="JPY", credit_limit="0"),
        envelope("o-1", "OrderPlaced", c1, order_id="O-1", amount="1500.00", order_date="2026-01-01"),
        invoice("F-1", "1200.00", "2026-01-05", "2026-02-04", account=c1, order_id="O-1"),
        envelope("o-2", "OrderPlaced", c1, order_id="O-2", amount="100.00", order_date="2026-01-01"),
        envelope("o-2c", "OrderCancelled", c1, order_id="O-2"),
        invoice("F-2", "500", "2026-03-01", "2026-03-31", account="C-2"),
        invoice("F-3", "400.00", "2026-03-01", "2026-03-31", account=c1),
        payment("P-1", "300.00", "2026-02-20", [("F-1", "200.00")], account=c1),
        envelope("pa-1", "PaymentAllocated", c1, payment_id="P-1", allocation_date="2026-02-21",
                 allocations=[{"invoice_id": "F-1", "amount": "50.00"}]),
        envelope("cn-1", "CreditNoteIssued", c1, credit_note_id="CN-1", invoice_id="F-1", amount="10.00",
                 issue_date="2026-02-22"),
        envelope("d-1", "DisputeOpened", c1, dispute_id="D-1", invoice_id="F-1", amount="100.00", reason="damaged",
                 opened_date="2026-02-21"),
        envelope("d-2", "DisputeOpened", c1, dispute_id="D-2", invoice_id="F-1", amount="10.00", reason="late",
                 opened_date="2026-02-21"),
        envelope("d-2r", "DisputeResolved", c1, dispute_id="D-2", outcome="upheld", resolved_date="2026-02-25"),
        envelope("r-1", "RatingChanged", c1, agency="SP", score="80", rating="A"),
        envelope("r-2", "RatingChanged", c1, agency="SP", score=50.5),
        envelope("l-1", "LimitChanged", c1, credit_limit="1100.00", reason="review"),
        envelope("ds-1", "DunningStepRecorded", c1, step="reminder", channel="email", invoice_ids=["F-1"], note="1"),
        envelope("pp-1", "PromiseToPay", c1, promise_id="PR-1", amount="100.00", promised_date="2026-03-10",
                 invoice_ids=["F-1"], promise_date="2026-03-01"),
        envelope("pl-1", "PaymentPlanAgreed", c1, plan_id="PL-1", invoice_ids=["F-3"], agreed_date="2026-03-20",
                 installments=[{"due_date": "2026-04-30", "amount": "200.00"},
                               {"due_date": "2026-05-31", "amount": "200.00"}]),
        envelope("rc-1", "RiskClassChanged", c1, risk_class="D", reason="manual"),
        envelope("sa-1", "ScenarioAssigned", c1, scenario="firm"),
    ]  # fmt: skip


VIEWS = [
    "/v1/accounts/C-1", "/v1/accounts/C-2", "/v1/accounts/C-1/open-items?limit=1", "/v1/accounts/C-1/aging",
    "/v1/accounts/C-1/aging?as_of=2026-03-15&buckets=10,20", "/v1/aging?limit=1", "/v1/aging?reporting_currency=EUR",
    "/v1/aging?currency=USD", "/v1/exposure", "/v1/exposure?reporting_currency=EUR", "/v1/dso",
    "/v1/dso?account=C-1&method=standard", "/v1/dso?reporting_currency=EUR", "/v1/accounts?limit=1",
    "/v1/accounts?reporting_currency=EUR&sort=exposure", "/v1/accounts?currency=EUR", "/v1/fx-rates/2026-03-01",
    "/v1/fx-rates", "/v1/fx-rates?as_of=2026-03-02", "/v1/accounts/C-1/history", "/v1/accounts/C-2/history?limit=1",
    "/v1/accounts/C-1/state", "/v1/accounts/C-1/state?as_of=2026-02-01&known_at=2030-01-01",
]  # fmt: skip


class Conformance:
    def __init__(self, service: Service) -> None:
        self.client = service.client
        document = self.client.get("/openapi.json").json()
        self.document, self.checked = document, 0

    def check(self, method: str, path: str, answer: Any) -> Any:
        assert answer.status_code in (200, 201), answer.text
        route = self.route_of(path.split("?")[0])
        schema = self.document["paths"][route][method]["responses"][str(answer.status_code)]["content"]
        validator = Draft202012Validator(
            {**schema["application/json"]["schema"], "components": self.document["components"]},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(answer.json())]
        assert errors == [], f"{method} {path}"
        self.checked += 1
        return answer.json()

    def route_of(self, path: str) -> str:
        parts = path.strip("/").split("/")
        for route in self.document["paths"]:
            pattern = route.strip("/").split("/")
            same = len(pattern) == len(parts)
            if same and all(p == q or p.startswith("{") for p, q in zip(pattern, parts, strict=True)):
                return route
        raise AssertionError(path)


def test_answers_conform_to_their_schemas(database_url: str) -> None:
    service, app = make_service(database_url)
    try:
        api = Conformance(service)
        batch = api.check("post", "/v1/events", service.post({"events": _facts()}, headers=ROOT))
        assert {a["type"] for a in batch["alerts"]} >= {"limit_exceeded", "dispute_opened", "rating_downgraded"}
        api.check("post", "/v1/events", service.post(_facts()[0], headers=ROOT))  # 200: a duplicate
        rates = {"base": "EUR", "rates": {"JPY": "160.5", "USD": "1.08"}}
        api.check("put", "/v1/fx-rates/2026-03-01", service.client.put("/v1/fx-rates/2026-03-01", json=rates,
                                                                       headers=ROOT))  # fmt: skip
        rates["rates"]["JPY"] = "161"
        put = api.check("put", "/v1/fx-rates/2026-03-01", service.client.put("/v1/fx-rates/2026-03-01", json=rates,
                                                                             headers=ROOT))  # fmt: skip
        after = {**ROOT, "X-O2C-After": str(put["position"])}
        for path in VIEWS:
            body = api.check("get", path, service.client.get(path, headers=after))
            if path == "/v1/accounts/C-1/history":
                assert len({e["type"] for e in body["events"]}) == 16  # every fact type, as recorded
        for account, amount in (("C-1", "5000.00"), ("C-2", "1")):
            check = service.client.post("/v1/credit-check", json={"account": account, "amount": amount}, headers=ROOT)
            api.check("post", "/v1/credit-check", check)
        assert api.checked == 4 + len(VIEWS) + 2
    finally:
        stop_service(app)

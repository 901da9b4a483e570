"""The OpenAPI document is the contract an ERP integrates from (/openapi.json), shown
offline by /docs and /redoc. FastAPI's document is completed from the routes
themselves, never from a list kept by hand:

- security: an operation that depends on `require(scope)` needs a bearer token with
  that scope (`security`, `x-o2c-scope`, its description): 401 without a valid
  token, 403 without the scope;
- refusals, all `application/problem+json` with the one Problem schema: 422 when
  it takes parameters or a body, 404 when it names an account (or anything in its
  path), 400 (malformed) and 413 (too large) when it takes a body, 504 and the
  `X-O2C-After` header when it depends on `wait_for_position`; a route declares
  the others it raises itself (409: `problems.answers`);
- media types: `text/csv` where a `format` parameter offers csv, Prometheus' text
  for /metrics;
- request bodies built from pydantic models (`request_body`), the same that validate.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field, TypeAdapter
from starlette.requests import Request
from starlette.responses import HTMLResponse

from o2c.api.auth import RequiredScope
from o2c.api.freshness import wait_for_position
from o2c.api.problems import PROBLEM_BASE, answers

REF = "#/components/schemas/{model}"
PROBLEM_JSON = "application/problem+json"
# Schemas a request body refers to, carried by its operation until they join the components.
SCHEMAS_KEY = "x-o2c-schemas"
BODY_METHODS = ("post", "put", "patch")
# The problem `type` each refusal the module documents answers with, for the examples.
_KINDS = {400: "malformed-json", 401: "unauthorized", 403: "forbidden", 404: "unknown-account", 409: "conflict",
          413: "too-large", 422: "validation", 504: "not-yet-projected"}  # fmt: skip


class FieldError(BaseModel):
    field: str = Field(description="the field at fault, as posted: `events[3].data.amount`, a parameter's name")
    pointer: str = Field(description="the same as a JSON pointer into the body: `#/events/3/data/amount`")
    detail: str = Field(description="why it is refused")


class Problem(BaseModel):
    """RFC 9457 problem details: every refusal of o2c (4xx, 5xx) is answered with one."""

    type: str = Field(
        description=f"the kind of problem: `{PROBLEM_BASE}<kind>`", examples=[PROBLEM_BASE + "validation"]
    )
    title: str = Field(description="the status, in words", examples=["Invalid request"])
    status: int = Field(ge=400, le=599, description="the HTTP status", examples=[422])
    detail: str = Field(description="what went wrong, for a person", examples=["data.amount must be positive"])
    errors: list[FieldError] = Field(
        default=[], description="each field at fault (validation, broken rules); in a batch, prefixed `events[i].`"
    )


AFTER_HEADER = {
    "name": "X-O2C-After",
    "in": "header",
    "required": False,
    "description": "read-your-writes: a position returned by a POST; the view reflects at least it, "
    "or 504 after a bounded wait (O2C_AFTER_TIMEOUT_S)",
    "schema": {"type": "string", "pattern": "^[0-9]{1,18}$", "examples": ["42"]},
}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "a token of O2C_API_KEYS; its scopes: `ingest` (post facts), `read` (views), "
    "`audit` (history, replay), `admin` (configuration; implies every other scope)",
}


def request_body(annotation: Any, description: str, examples: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a route that reads its body itself: the body's JSON schema from
    `annotation` (pydantic models), its sub-schemas bound for the components."""
    schema = TypeAdapter(annotation).json_schema(ref_template=REF)
    schemas = schema.pop("$defs", {})
    content = {"schema": schema, "examples": examples}
    return {"requestBody": {"required": True, "description": description, "content": {"application/json": content}},
            SCHEMAS_KEY: schemas}  # fmt: skip


def documented(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's document, completed as the module says."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem = TypeAdapter(Problem).json_schema(ref_template=REF)
    schemas.update({**problem.pop("$defs"), "Problem": problem})
    components["securitySchemes"] = {"bearer": BEARER}
    # Included routers are resolved lazily (FastAPI >= 0.16x): their routes, as the document has them.
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            calls = _calls(route.dependant)
            path = route.path_format or ""
            for method in route.methods or ():
                operation = document["paths"][path][method.lower()]
                for name, schema in operation.pop(SCHEMAS_KEY, {}).items():
                    if schemas.setdefault(name, schema) != schema:
                        raise ValueError(f"two schemas named {name} in the OpenAPI")
                _secured(operation, calls)
                _refusals(operation, method.lower(), calls, schemas)
                _media_types(path, operation)
    return document


def _calls(dependant: Dependant) -> list[Any]:
    """Every dependency a route runs, its routers' included."""
    return [call for sub in dependant.dependencies for call in (sub.call, *_calls(sub))]


def _secured(operation: dict[str, Any], calls: list[Any]) -> None:
    scope = next((call.scope for call in calls if isinstance(call, RequiredScope)), None)
    if scope is None:
        operation["security"] = []  # open: /health, /metrics
        return
    operation["security"] = [{"bearer": []}]
    operation["x-o2c-scope"] = scope
    needs = "the `admin` scope" if scope == "admin" else f"the `{scope}` scope (or `admin`)"
    operation["description"] = f"{operation.get('description', '')}\n\n**Scope:** a bearer token with {needs}.".lstrip()


def _refusals(operation: dict[str, Any], method: str, calls: list[Any], schemas: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    if wait_for_position in calls:
        parameters.append(AFTER_HEADER)
    body = operation.get("requestBody")
    statuses = {401, 403} if operation["security"] else set()
    if parameters or body:
        statuses.add(422)
    if any(p["in"] == "path" or p["name"] == "account" for p in parameters) or _names_account(body, schemas):
        statuses.add(404)
    if method in BODY_METHODS:
        statuses |= {400, 413}
    if wait_for_position in calls:
        statuses.add(504)
    if not parameters:
        del operation["parameters"]
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses):
        responses.setdefault(str(status), answers(status)[status])
    for status, response in responses.items():
        if status[0] in "45":
            code = int(status)
            example = {"type": PROBLEM_BASE + _KINDS.get(code, "http"), "title": answers(code)[code]["description"],
                       "status": code, "detail": response["description"]}  # fmt: skip
            response["content"] = {PROBLEM_JSON: {"schema": {"$ref": REF.format(model="Problem")}, "example": example}}
    if "401" in responses:
        responses["401"]["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}, "example": 'Bearer realm="o2c"'}
        }


def _names_account(schema: Any, schemas: dict[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    """Whether a body holds an `account` (an unknown one is 404), its references followed."""
    if isinstance(schema, list):
        return any(_names_account(item, schemas, seen) for item in schema)
    if not isinstance(schema, dict):
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        return name not in seen and _names_account(schemas.get(name), schemas, seen | {name})
    return "account" in schema.get("properties", {}) or any(_names_account(v, schemas, seen) for v in schema.values())


def _media_types(path: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    # A second success (201 beside 200) has the body of the first.
    body = next((r["content"] for code, r in responses.items() if code[0] == "2" and r.get("content")), None)
    for status, response in responses.items():
        if status[0] == "2" and body is not None:
            response.setdefault("content", body)
    formats = [p for p in operation.get("parameters", []) if p["name"] == "format"]
    if formats and "csv" in str(formats[0].get("schema")) and "200" in responses:
        csv = {"schema": {"type": "string"}, "example": "account,name,…\r\nC-1001,Acme SA,…\r\n"}
        responses["200"].setdefault("content", {})["text/csv"] = csv
    if path == "/metrics":
        responses["200"]["content"] = {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}


# -- /docs and /redoc, offline: the assets ship in the fastapi-offline wheel ---------------------------

ASSETS = "/docs/assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# Nothing but o2c itself: a page that tried a CDN would be refused by the browser too (both pages
# render under it in headless Chromium 156; only Redoc's "powered by" logo, a CDN image, is blocked).
_CSP = ("default-src 'none'; script-src 'self'{scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'")  # fmt: skip


def _guarded(page: HTMLResponse) -> HTMLResponse:
    """The page with a CSP allowing its own inline scripts by their hashes, and nothing from elsewhere."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(bytes(page.body).decode())
    )
    page.headers["Content-Security-Policy"] = _CSP.format(scripts=hashes)
    page.headers["X-Content-Type-Options"] = "nosniff"
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


def install(app: FastAPI) -> None:
    """The completed document at /openapi.json, and its pages (create the app with docs_url=None, redoc_url=None)."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = documented(app, plain())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.swagger_ui_parameters = {"persistAuthorization": True, "displayRequestDuration": True}
    static = Path(fastapi_offline.__file__).parent / "static"
    app.mount(ASSETS, StaticFiles(directory=static), name="docs-assets")
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png", oauth2_redirect_url=f"{root}{redirect}",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )  # fmt: skip
        return _guarded(page)

    @app.get(redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _guarded(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js", redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )  # fmt: skip
        return _guarded(page)

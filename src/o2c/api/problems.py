"""Errors as RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Route

from o2c.domain.errors import Conflict, NotFound, RuleViolation

PROBLEM_BASE = "https://o2c.dev/problems/"
_TITLES = {
    400: "Malformed request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    500: "Internal error",
    504: "Timeout",
}


class Problem(Exception):
    """An error answered as problem details; `errors` name the fields at fault."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail
        self.errors = errors
        self.headers = headers


def field_error(field: str, detail: str) -> dict[str, str]:
    pointer = "#/" + field.replace("[", "/").replace("]", "").replace(".", "/")
    return {"field": field, "pointer": pointer, "detail": detail}


def invalid(field: str, detail: str) -> Problem:
    """422: a parameter or field the service refuses, named with why."""
    return Problem(422, "validation", f"{field} {detail}", [field_error(field, detail)])


def unknown_account(code: str) -> Problem:
    return Problem(404, "unknown-account", f"no account {code}", [field_error("account", f"no account {code}")])


def violation_problem(violation: RuleViolation, prefix: str = "") -> Problem:
    status, kind = 422, "rule-violation"
    if isinstance(violation, NotFound):
        status, kind = 404, "unknown-account"
    elif isinstance(violation, Conflict):
        status, kind = 409, "conflict"
    field = f"{prefix}{violation.field}"
    return Problem(status, kind, f"{field} {violation.reason}", [field_error(field, violation.reason)])


def problem_response(problem: Problem) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem.kind,
        "title": _TITLES.get(problem.status, "Error"),
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    return Response(
        orjson.dumps(body),
        status_code=problem.status,
        media_type="application/problem+json",
        headers=problem.headers,
    )


def _location(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Error answers an operation (or a router) declares beyond the common ones, e.g. 504."""
    return {status: {"description": _TITLES.get(status, "Error")} for status in statuses}


def _allowed(request: Request) -> str:
    """Every method of the path: Starlette's 405 names only the first route matching it
    (PUT and GET of a scenario are two routes)."""
    path = request.url.path
    routes = [r for r in request.app.routes if isinstance(r, Route) and r.path_regex.match(path)]
    return ", ".join(sorted({method for route in routes for method in route.methods or ()}))


def install(app: FastAPI) -> None:
    """Every error answered as problem details (the OpenAPI says so: api/openapi.py)."""

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> Response:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        errors = [field_error(_location(tuple(e["loc"][1:]) or tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors)
        return problem_response(Problem(422, "validation", detail, errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed(request)}
        return problem_response(Problem(exc.status_code, "http", str(exc.detail), headers=headers))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        return problem_response(Problem(500, "internal", "an unexpected error occurred; it has been logged"))

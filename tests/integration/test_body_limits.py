"""O2C_MAX_BODY_BYTES on every route, before the body is parsed; 401 before the body is read.

Streams go through httpx's ASGI transport, which pulls a request body chunk by chunk only
when the app asks for one: counting the chunks pulled tells how much the app read."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from tests.integration.conftest import BI, ERP, make_service, opened, stop_service

LIMIT = 4096
ROOT = {"Authorization": "Bearer root"}
CHUNK = 1024
PATH_VALUES = {"account": "C-1001", "month": "2026-01", "name": "big"}


@pytest.fixture
def app(database_url: str) -> Iterator[Any]:
    _, app = make_service(database_url, max_body_bytes=LIMIT)
    app.state.test_client.post("/v1/events", json=opened(), headers=ERP)
    yield app
    stop_service(app)


def body_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, its path parameters filled in."""
    routes = []
    for template, operations in app.openapi()["paths"].items():
        path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m[1], "x"), template)
        routes += [(method.upper(), path) for method in operations if method in ("post", "put", "patch", "delete")]
    return routes


def position(app: Any) -> int:
    return app.state.ledger.recorder.max_notification_id() or 0


def oversized() -> bytes:
    """Valid JSON one byte over the limit: only its size is wrong."""
    head, tail = b'{"account": "C-1001", "amount": "1.00", "pad": "', b'"}'
    return head + b"x" * (LIMIT + 1 - len(head) - len(tail)) + tail


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def streamed(app: Any, method: str, path: str, headers: dict[str, str], chunks: int) -> tuple[httpx.Response, int]:
    """Send `chunks` KB as a chunked body (no Content-Length); answer and chunks the app pulled."""
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(chunks):
            pulled += 1
            yield b" " * CHUNK

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://o2c") as client:
            return await client.request(method, path, content=body(), headers=headers)

    return asyncio.run(send()), pulled


def test_every_body_taking_route_is_covered(app: Any) -> None:
    routes = set(body_routes(app))
    assert {("POST", "/v1/events"), ("POST", "/v1/credit-check"), ("PUT", "/v1/collections/scenarios/big"),
            ("PUT", "/v1/reports/budget/2026-01")} <= routes  # fmt: skip


def test_a_body_over_the_limit_is_413_on_every_route_and_records_nothing(app: Any) -> None:
    client, before = app.state.test_client, position(app)
    for method, path in body_routes(app):
        response = client.request(method, path, content=oversized(), headers=ROOT)
        body = assert_problem(response, 413)
        assert body["type"].endswith("/too-large") and str(LIMIT) in body["detail"], (method, path)
    assert position(app) == before
    assert client.get("/v1/collections/scenarios/big", headers=ROOT).status_code == 404


def test_a_chunked_body_over_the_limit_is_413_on_every_route_that_reads_it(app: Any) -> None:
    before, refused = position(app), []
    for method, path in body_routes(app):
        response, pulled = streamed(app, method, path, ROOT, chunks=1000)
        if pulled:  # a route that reads no body (a retry) takes nothing in: its answer is its own
            assert_problem(response, 413)
            assert pulled == LIMIT // CHUNK + 1, (method, path)  # not the 1 MB offered
            refused.append(path)
    assert {"/v1/events", "/v1/credit-check", "/v1/collections/scenarios/big", "/v1/reports/budget/2026-01"} <= set(
        refused)  # fmt: skip
    assert position(app) == before


def test_a_body_of_exactly_the_limit_is_read(app: Any) -> None:
    fact = httpx.Request("POST", "/", json=opened("C-2")).content
    body = fact + b" " * (LIMIT - len(fact))  # JSON allows trailing whitespace
    response = app.state.test_client.post("/v1/events", content=body, headers=ERP)
    assert int(response.request.headers["content-length"]) == LIMIT
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("token", [None, "Bearer guess", "Basic root"])
def test_without_a_valid_token_the_body_is_not_read(app: Any, token: str | None) -> None:
    headers = {} if token is None else {"Authorization": token}
    for method, path in body_routes(app):
        response, pulled = streamed(app, method, path, headers, chunks=10_000)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == 'Bearer realm="o2c"'
        assert pulled == 0, (method, path)


def test_401_wins_over_413_and_403_comes_after_the_size(app: Any) -> None:
    client = app.state.test_client
    assert_problem(client.post("/v1/credit-check", content=oversized()), 401)
    assert_problem(client.post("/v1/events", content=oversized(), headers=BI), 413)  # read token, no ingest scope
    assert_problem(client.post("/v1/events", json=opened("C-3"), headers=BI), 403)


def test_open_routes_need_no_token_but_keep_the_limit(app: Any) -> None:
    client = app.state.test_client
    for path in ("/health", "/metrics", "/openapi.json", "/docs"):
        assert client.get(path).status_code == 200, path
    assert_problem(client.request("GET", "/health", content=oversized()), 413)
    assert_problem(client.get("/v1/no-such-route"), 401)


@pytest.mark.parametrize("length", ["²", "-1", "1e3", "٣"])
def test_a_malformed_content_length_is_400(app: Any, length: str) -> None:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://o2c") as client:
            request = client.build_request("POST", "/v1/events", content=b"{}", headers=ERP)
            request.headers["Content-Length"] = length
            return await client.send(request)

    assert_problem(asyncio.run(send()), 400)


@pytest.fixture
def server(app: Any) -> Iterator[tuple[str, int]]:
    """The app behind a real HTTP server (uvicorn), as `o2c serve` runs it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield sock.getsockname()
    running.should_exit = True
    thread.join(10)


def answer_before_the_body(address: tuple[str, int], headers: str) -> bytes:
    """Announce a 90 MB body, send none of it, and read what the server answers."""
    with socket.create_connection(address, timeout=5) as conn:
        conn.sendall(f"POST /v1/credit-check HTTP/1.1\r\nHost: o2c\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 90000000\r\n{headers}\r\n".encode())  # fmt: skip
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = conn.recv(65536)  # times out (fails) if the server waits for the body
            if not data:
                break
            answer += data
        return answer


def test_a_real_server_answers_before_a_90_mb_body_arrives(server: tuple[str, int]) -> None:
    assert answer_before_the_body(server, "").startswith(b"HTTP/1.1 401 ")
    too_large = answer_before_the_body(server, "Authorization: Bearer bi\r\n")
    assert too_large.startswith(b"HTTP/1.1 413 ")

"""The request guard: what every request must pass before any route reads its body.

A pure ASGI middleware, so it runs before FastAPI parses anything:
1. a request to /v1/... without a valid bearer token is answered 401 from its headers
   alone: not a byte of its body is read (scopes are checked by the routes, 403);
2. a body that declares a `Content-Length` over `O2C_MAX_BODY_BYTES` is answered 413
   without being read, on every route;
3. a body that streams (chunked, or lying about its length) is counted as it arrives
   and cut off with 413 as soon as it passes the limit, without being buffered whole.
401 wins over 413: a stranger's body is not even sized up. Only a
malformed `Content-Length` comes first (400), as the HTTP server itself would refuse it.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from o2c.api.auth import authenticate
from o2c.api.problems import Problem, problem_response

# Everything under /v1 needs a token; /health, /metrics, /docs and /openapi.json do not.
AUTHENTICATED_PREFIX = "/v1/"


class BodyTooLarge(Exception):
    """Raised into the route that reads past the limit, once the 413 is answered."""


def too_large(limit: int) -> Problem:
    return Problem(413, "too-large", f"the body exceeds {limit} bytes")


def declared_length(headers: Headers) -> int | None:
    declared = headers.get("content-length")
    if declared is None:
        return None
    # ASCII digits only: "²".isdigit() is true, and int() of it raises.
    if not declared.isascii() or not declared.strip().isdigit():
        raise Problem(400, "malformed-content-length", "Content-Length must be a whole number of bytes")
    return int(declared)


class RequestGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        limit: int = state.settings.max_body_bytes
        headers = Headers(scope=scope)
        try:
            # A malformed length is 400 first, as the HTTP server itself answers it.
            declared = declared_length(headers)
            if scope["path"].startswith(AUTHENTICATED_PREFIX) or scope["path"] == "/v1":
                authenticate(state.keyring, headers.get("authorization", ""))
            if declared is not None and declared > limit:
                raise too_large(limit)
        except Problem as problem:
            # The connection is kept: the server discards the unread body as it comes
            # (without holding it), and a client that sends it all still reads the answer.
            await problem_response(problem)(scope, receive, send)
            return
        metered = MeteredBody(scope, receive, send, limit)
        try:
            await self.app(scope, metered.receive, metered.send)
        except BodyTooLarge:
            if not metered.answered:
                raise


class MeteredBody:
    """The request's receive and send, counting body bytes against the limit."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        self.scope, self._receive, self._send, self.limit = scope, receive, send, limit
        self.received = 0
        self.started = False
        self.answered = False  # the 413 is sent: whatever the app answers after is dropped

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                if not self.started:
                    # A stream has no announced end to drain to: close the connection.
                    problem = too_large(self.limit)
                    problem.headers = {"Connection": "close"}
                    await problem_response(problem)(self.scope, self._receive, self._send)
                    self.answered = True
                raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        # A route that swallows BodyTooLarge (FastAPI turns it into a 400) must not
        # answer a second time.
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

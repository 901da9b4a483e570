"""How fresh a view is. Read-your-writes: `X-O2C-After: <position>` makes a view
wait (bounded) until the read model has projected that position, and the risk
review has reviewed the accounts the facts up to it touched (their `risk` block,
their class downgrades: projections/reviewed.py); 504 if it does not. Every GET
route that reads the read model takes `wait_for_position` (a test walks the
OpenAPI for those that do not). Staleness: a view of a parked account (its facts
from some position on wait for a retry, see projections/parking.py) says so in
`X-O2C-Stale: parked; position=N`; a portfolio view, while any account is
parked, in `X-O2C-Stale: parked; accounts=N` (the tracking position moves past
parked facts, so `X-O2C-After` answers for every other account)."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from o2c.api.params import count_in
from o2c.api.problems import Problem
from o2c.projections import schema
from o2c.projections.queries import projected_position


async def wait_for_position(request: Request) -> None:
    header = request.headers.get("x-o2c-after")
    if header is None:
        return
    # ASCII digits only: "²" passes isdigit() and then fails int().
    wanted = count_in("X-O2C-After", header.strip())
    engine: AsyncEngine = request.app.state.views
    deadline = time.monotonic() + request.app.state.settings.read_your_writes_timeout_s
    pause = 0.002
    while True:
        async with engine.connect() as conn:
            reached = await projected_position(conn, request.app.state.settings.kafka_projection_topic)
        if reached >= wanted:
            return
        if time.monotonic() >= deadline:
            raise Problem(
                504, "not-yet-projected", f"the read model reached position {reached}, not yet {wanted}; try again"
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)


# The views read from the read model: one account's, and the portfolio's.
ACCOUNT_VIEW = re.compile(r"/v1/accounts/([^/]+)(?:/open-items|/aging)?")
PORTFOLIO_VIEWS = frozenset(
    {"/v1/aging", "/v1/exposure", "/v1/dso", "/v1/alerts", "/v1/credit-check", "/v1/collections/agenda",
     "/v1/reports/monthly", "/v1/accounts"}
)  # fmt: skip
_PARKED = "o2c_parked_since"  # request state: the account's first parked position, once read
P = schema.parked.c


async def parked_since(conn: AsyncConnection, request: Request, account: str) -> int | None:
    """The position of the account's first parked fact, if it has any (kept for MarkStale)."""
    return await _first_parked(conn, request.scope.setdefault("state", {}), account)


async def _first_parked(conn: AsyncConnection, state: dict[str, Any], account: str) -> int | None:
    if _PARKED not in state:
        state[_PARKED] = await conn.scalar(select(func.min(P.position)).where(P.account == account))
    found: int | None = state[_PARKED]
    return found


async def stale(conn: AsyncConnection, request: Request, account: str) -> dict[str, Any] | None:
    """The account summary's `stale` field: why its figures may lag behind the ledger."""
    since = await parked_since(conn, request, account)
    return None if since is None else {"reason": "parked", "since_position": since}


class MarkStale:
    """Adds `X-O2C-Stale` to a successful view of a parked account (or of the portfolio
    while accounts are parked). Looked up once the view has answered: a request
    refused (401, 422 …) costs nothing more."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        account = ACCOUNT_VIEW.fullmatch(path)
        if account is None and path not in PORTFOLIO_VIEWS:
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            answered = message["type"] == "http.response.start" and message["status"]
            # A parked account's opening is not projected yet: its 404 says why too.
            if answered and (200 <= answered < 300 or (account and answered == 404)):
                value = await _stale_value(scope, account[1] if account else None)
                if value is not None:
                    message["headers"] = [*message.get("headers", []), (b"x-o2c-stale", value.encode())]
            await send(message)

        await self.app(scope, receive, marked)


async def _stale_value(scope: Scope, account: str | None) -> str | None:
    state = scope.setdefault("state", {})
    if account is not None and _PARKED in state:  # the view read it already
        since = state[_PARKED]
        return None if since is None else f"parked; position={since}"
    engine: AsyncEngine = scope["app"].state.views
    async with engine.connect() as conn:
        if account is None:
            accounts = await conn.scalar(select(func.count(func.distinct(P.account))))
            return f"parked; accounts={accounts}" if accounts else None
        since = await _first_parked(conn, state, account)
    return None if since is None else f"parked; position={since}"

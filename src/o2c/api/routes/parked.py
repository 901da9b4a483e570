"""Parked accounts (scope admin): those whose facts the projection could not
apply, with the first error; and retrying them once the cause is fixed. A retry
runs here, on the read model's database, whichever process projects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from o2c.api.auth import require
from o2c.api.contract.operations import ParkedAccounts, RetryResult, RetryResults
from o2c.api.freshness import wait_for_position
from o2c.api.problems import Problem, answers, field_error
from o2c.projections.parking import summary, summary_entry
from o2c.projections.projector import ReadModelProjection
from o2c.projections.retry import retry_account, retry_all

router = APIRouter(dependencies=[Depends(require("admin"))])


def _fresh_projection(request: Request) -> Any:
    """A projection of its own per retry: the projector's kept accounts are not touched."""
    state = request.app.state
    engine, weights = state.projection.engine, state.settings.risk_weights
    return lambda: ReadModelProjection(state.ledger, engine, state.ledger.clock, weights)


@router.get(
    "/v1/admin/parked",
    dependencies=[Depends(wait_for_position)],
    response_model=None,
    responses={**answers(504), 200: {"model": ParkedAccounts, "description": "each parked account"}},
)
async def list_parked(request: Request) -> dict[str, Any]:
    async with request.app.state.views.connect() as conn:
        rows = (await conn.execute(summary())).all()
    return {"accounts": [summary_entry(row) for row in rows]}


@router.post(
    "/v1/admin/parked/retry",
    response_model=None,
    responses={200: {"model": RetryResults, "description": "each parked account, retried"}},
)
async def retry_every_account(request: Request) -> dict[str, Any]:
    results = await run_in_threadpool(retry_all, _fresh_projection(request))
    return {"retried": [r.as_dict() for r in results]}


@router.post(
    "/v1/admin/parked/{account}/retry",
    response_model=None,
    responses={200: {"model": RetryResult, "description": "what the retry applied"}},
)
async def retry_one_account(request: Request, account: str) -> dict[str, Any]:
    result = await run_in_threadpool(retry_account, _fresh_projection(request), account)
    if result is None:
        raise Problem(404, "not-parked", f"account {account} has no parked facts",
                      [field_error("account", f"account {account} has no parked facts")])  # fmt: skip
    return result.as_dict()

"""What the credit manager's views of the read model share: their router (the
`read` scope, read-your-writes), today by the ledger's clock, an account's row
(else 404), its headline figures and the risk class in force."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request

from o2c.api.auth import require
from o2c.api.freshness import wait_for_position
from o2c.api.problems import answers, unknown_account
from o2c.api.render import percent, units_amount
from o2c.projections import queries


def views_router() -> APIRouter:
    return APIRouter(dependencies=[Depends(require("read")), Depends(wait_for_position)], responses=answers(504))


def today(request: Request) -> date:
    clock = request.app.state.ledger.clock
    return clock().date()


async def account_or_404(conn: Any, code: str) -> Any:
    row = await queries.account_row(conn, code)
    if row is None:
        raise unknown_account(code)
    return row


def headline_figures(row: Any) -> dict[str, Any]:
    """An account row's code, name, currency and headline figures, at its currency's
    minor unit: headroom is the limit less the exposure, utilization the exposure over
    the limit (null without one). Each answer lists them in its own order."""
    kept_in, limit, exposure = row.currency, int(row.credit_limit), int(row.exposure)
    return {
        "account": row.account,
        "name": row.name,
        "currency": kept_in,
        "credit_limit": units_amount(limit, kept_in),
        "outstanding": units_amount(row.outstanding, kept_in),
        "exposure": units_amount(exposure, kept_in),
        "headroom": units_amount(limit - exposure, kept_in),
        "utilization": percent(Decimal(exposure) / Decimal(limit) if limit else None),
    }


def risk_body(account: Any, collection: Any) -> dict[str, Any]:
    """The class in force (a credit manager's, else the computed one), and the
    latest review's score with the factors and weights that made it."""
    review = collection.risk if collection is not None else None
    # A credit manager's class is projected with the fact that set it (read-your-writes
    # holds for it); the computed one comes with the next risk review.
    in_force = account.risk_class or (collection.risk_class if collection is not None else None)
    return {
        "class": in_force,
        "set_by": "credit_manager" if account.risk_class else ("score" if review else None),
        "score": None if review is None else {k: review[k] for k in ("on", "points", "class", "factors")},
        "rating": account.rating,
    }

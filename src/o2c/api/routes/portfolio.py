"""The portfolio at a glance: the largest exposures, and days sales outstanding
(the portfolio's, or one account's)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from sqlalchemy import select
from starlette.responses import Response

from o2c.api.params import ASCII_DIGITS, BusinessDate
from o2c.api.read_views import account_or_404, today, views_router
from o2c.api.render import json_response, money, one_decimal, percent
from o2c.projections import queries, schema
from o2c.projections.units import from_units

router = views_router()


@router.get("/v1/exposure")
async def exposure(request: Request, top: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 20) -> Response:
    a = schema.accounts.c
    async with request.app.state.views.connect() as conn:
        rows = (await conn.execute(select(schema.accounts).order_by(a.exposure.desc(), a.account).limit(top))).all()
    listed = []
    for r in rows:
        limit, exp = from_units(r.credit_limit), from_units(r.exposure)
        listed.append(
            {
                "account": r.account,
                "name": r.name,
                "exposure": money(exp),
                "credit_limit": money(limit),
                "headroom": money(limit - exp),
                "utilization": percent(exp / limit if limit else None),
                "outstanding": money(from_units(r.outstanding)),
                "uninvoiced": money(from_units(r.uninvoiced)),
                "unapplied_cash": money(from_units(r.unapplied_cash)),
            }
        )
    return json_response({"top": top, "accounts": listed})


@router.get("/v1/dso")
async def days_sales_outstanding(
    request: Request,
    as_of: BusinessDate | None = None,
    days: Annotated[int, Query(ge=1, le=365), ASCII_DIGITS] = 90,
    method: Literal["countback", "standard"] = "countback",
    account: str | None = None,
) -> Response:
    as_of = as_of or today(request)
    async with request.app.state.views.connect() as conn:
        if account is not None:
            await account_or_404(conn, account)
        figures = await queries.dso_as_of(conn, account, as_of, days, method)
    body = {
        "as_of": as_of.isoformat(),
        "days": days,
        "method": method,
        "dso": one_decimal(figures.dso),
        "receivables": money(figures.receivables),
        "sales": money(figures.sales),
        "best_possible_dso": one_decimal(figures.best_possible_dso),
        "average_days_delinquent": one_decimal(figures.average_days_delinquent),
        "overdue_rate": percent(figures.overdue_rate),
    }
    if account is not None:
        body["account"] = account
    return json_response(body)

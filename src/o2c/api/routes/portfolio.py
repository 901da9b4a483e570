"""The portfolio at a glance: the largest exposures, and days sales outstanding
(the portfolio's, or one account's), kept per currency or converted into a
reporting currency (see api/portfolio_currencies.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from starlette.responses import Response

from o2c.api.contract import views as contract
from o2c.api.params import ASCII_DIGITS, BusinessDate
from o2c.api.portfolio_currencies import Currencies, currency_filter, portfolio_currencies
from o2c.api.read_views import account_or_404, headline_figures, today, views_router
from o2c.api.render import amount, json_response, one_decimal, percent
from o2c.domain.money import ZERO
from o2c.domain.receivables import Dso, ReceivablesPosition, combined, dso
from o2c.projections import queries
from o2c.projections.units import from_units

router = views_router()
NOTHING_OWED = ReceivablesPosition(ZERO, ZERO, ZERO, {})  # a currency no account of the answer has lines in
EXPOSURE_COLUMNS = ("account", "name", "currency", "exposure", "credit_limit", "headroom", "utilization", "outstanding",
                    "uninvoiced", "unapplied_cash", "converted_exposure")  # fmt: skip


@router.get("/v1/exposure", responses={200: {"model": contract.Exposure, "description": "the largest exposures"}})
async def exposure(
    request: Request,
    top: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 20,
    currency: str | None = None,
    reporting_currency: str | None = None,
) -> Response:
    """The `top` largest exposures of each currency; with a reporting currency, the
    `top` largest of the portfolio once converted."""
    kept_to = currency_filter(currency)
    async with request.app.state.views.connect() as conn:
        held = await queries.portfolio_currencies(conn, kept_to)
        currencies = await portfolio_currencies(request, conn, held, kept_to, reporting_currency, today(request))
        by_currency = {c: await queries.top_exposures(conn, top, c) for c in currencies.held}
    rows = [row for found in by_currency.values() for row in found]
    if currencies.conversions is not None:
        # Exposures in two currencies compare once converted: the portfolio's top, ties by code.
        ranked_by = ["converted_exposure", "account"]
        rows = sorted(rows, key=lambda r: (-_converted_exposure(r, currencies), r.account))[:top]
    else:  # ranked within their currency, currency first
        ranked_by = ["currency", "exposure", "account"]
    return json_response({
        "top": top,
        **currencies.body(),
        "ranked_by": ranked_by,
        "accounts": [_exposure_row(r, currencies) for r in rows],
        "by_currency": [{"currency": c, "accounts": [_exposure_row(r, currencies) for r in found]}
                        for c, found in by_currency.items()],
    })  # fmt: skip


def _converted_exposure(r: Any, currencies: Currencies) -> Decimal:
    return currencies.converted(r.currency, from_units(r.exposure)) or ZERO


def _exposure_row(r: Any, currencies: Currencies) -> dict[str, Any]:
    figures = {
        **headline_figures(r),
        "uninvoiced": amount(from_units(r.uninvoiced), r.currency),
        "unapplied_cash": amount(from_units(r.unapplied_cash), r.currency),
        # In the reporting currency (the answer's `currency`), when one applies.
        "converted_exposure": currencies.rendered(currencies.converted(r.currency, from_units(r.exposure))),
    }
    return {name: figures[name] for name in EXPOSURE_COLUMNS}


@router.get("/v1/dso", responses={200: {"model": contract.Dso, "description": "days sales outstanding"}})
async def days_sales_outstanding(
    request: Request,
    as_of: BusinessDate | None = None,
    days: Annotated[int, Query(ge=1, le=365), ASCII_DIGITS] = 90,
    method: Literal["countback", "standard"] = "countback",
    account: str | None = None,
    currency: str | None = None,
    reporting_currency: str | None = None,
) -> Response:
    as_of = as_of or today(request)
    kept_to = currency_filter(currency)
    async with request.app.state.views.connect() as conn:
        row = None if account is None else await account_or_404(conn, account)
        positions = await queries.receivables_positions(conn, as_of, row, kept_to)
        currencies = await portfolio_currencies(request, conn, list(positions), kept_to, reporting_currency, as_of)
    held = {c: positions.get(c, NOTHING_OWED) for c in currencies.held}
    if currencies.conversions is not None:
        # Every amount (each day's sales too) converted at the as_of rate, then summed; ratios from the sums.
        conversions = currencies.conversions
        top: ReceivablesPosition | None = combined(p.converted(conversions[c].convert) for c, p in held.items())
    else:
        top = None if currencies.currency is None else held[currencies.currency]
    figures = None if top is None else dso(top, as_of=as_of, days=days, method=method)
    body: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "days": days,
        "method": method,
        **currencies.body(),
        **_dso_figures(figures, currencies.currency),
        "by_currency": [
            {"currency": c, **_dso_figures(dso(p, as_of=as_of, days=days, method=method), c)} for c, p in held.items()
        ],
    }
    if account is not None:
        body["account"] = account
    return json_response(body)


_DSO_AMOUNTS = ("receivables", "sales", "outstanding", "not_yet_due", "overdue")
_DSO_DAYS = ("dso", "best_possible_dso", "average_days_delinquent")


def _dso_figures(figures: Dso | None, currency: str | None) -> dict[str, str | None]:
    """SPEC's DSO figures, and the amounts they come from (overdue rate = overdue /
    outstanding), in `currency`; all null when the currencies are mixed."""
    if figures is None or currency is None:
        return dict.fromkeys((*_DSO_DAYS, *_DSO_AMOUNTS, "overdue_rate"))
    out: dict[str, str | None] = {name: one_decimal(getattr(figures, name)) for name in _DSO_DAYS}
    out.update({name: amount(getattr(figures, name), currency) for name in _DSO_AMOUNTS})
    out["overdue_rate"] = percent(figures.overdue_rate)
    return out

"""The account directory (`GET /v1/accounts`): find accounts by code or name,
filter them, sort them by a headline figure, page through them or take them all
as CSV (the listing itself: projections/directory.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from o2c.api.contract.views import Directory
from o2c.api.keyset import decode_keys, encode_keys
from o2c.api.params import ASCII_DIGITS
from o2c.api.portfolio_currencies import Currencies, currency_filter, portfolio_currencies
from o2c.api.problems import invalid
from o2c.api.read_views import headline_figures, today, views_router
from o2c.api.render import amount, json_response, units_amount
from o2c.api.reporting import reporting_currency as reporting_currency_of
from o2c.api.spreadsheet import csv_response
from o2c.domain.money import ZERO
from o2c.domain.scenarios import RISK_CLASSES
from o2c.projections import directory
from o2c.projections.directory_columns import folded
from o2c.projections.directory_context import Scenarios, context
from o2c.projections.directory_filters import Listing
from o2c.projections.directory_order import AMOUNTS as AMOUNT_SORTS
from o2c.projections.directory_order import Order
from o2c.projections.overdue_today import NOTHING, Overdue
from o2c.projections.units import from_units

router = views_router()
Sort = Literal["account", "name", "outstanding", "overdue", "exposure", "utilization", "oldest_days_past_due",
               "risk_points"]  # fmt: skip
AMOUNTS = ("credit_limit", "outstanding", "exposure", "disputed")  # summed per currency
COLUMNS = ["account", "name", "currency", "credit_limit", "outstanding", "overdue", "exposure", "headroom",
           "utilization", "oldest_days_past_due", "risk_class", "risk_points", "scenario", "open_disputes",
           "disputed", "parked"]  # fmt: skip
FIGURES = ["credit_limit", "outstanding", "overdue", "exposure", "headroom", "utilization", "oldest_days_past_due",
           "risk_points", "open_disputes", "disputed"]  # fmt: skip
MAX_SEARCH = 500  # a name's length


@router.get(
    "/v1/accounts",
    response_model=None,
    responses={200: {"model": Directory, "description": "a page of the directory"}},
)
async def account_directory(
    request: Request,
    q: Annotated[str | None, Query(max_length=MAX_SEARCH, description="code or name, any case or accent")] = None,
    match: Literal["contains", "prefix"] = "contains",
    currency: str | None = None,
    risk_class: Annotated[str | None, Query(description="classes in force, e.g. D,E")] = None,
    scenario: str | None = None,
    overdue: Annotated[bool | None, Query(description="with something past due today")] = None,
    over_limit: bool | None = None,
    disputed: Annotated[bool | None, Query(description="with open disputes")] = None,
    parked: bool | None = None,
    sort: Sort = "account",
    order: Literal["asc", "desc"] = "asc",
    reporting_currency: str | None = None,
    format: Literal["json", "csv"] = "json",
    limit: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 100,
    cursor: str | None = None,
) -> Response:
    on = today(request)
    kept_to = currency_filter(currency)
    converting = reporting_currency_of(request, reporting_currency) is not None and sort in AMOUNT_SORTS
    page_size = None if format == "csv" else limit
    views = request.app.state.views
    async with views.connect() as conn:
        known = await context(conn, on)
        listing = Listing(
            on, known.scenarios, search=_search(q), prefix=match == "prefix", currency=kept_to,
            risk_classes=_classes(risk_class), scenario=_scenario(scenario, known.scenarios), overdue=overdue,
            over_limit=over_limit, disputed=disputed, parked=parked, order=Order(sort, order == "desc", kept_to),
            overdue_now=known.overdue, planned=known.planned, dialect=conn.dialect.name, rankings=known.rankings,
        )  # fmt: skip
        kept = directory.kept_totals(listing, known)
        if converting or kept is not None:  # converted amounts: the rates of the currencies listed first
            groups = kept if kept is not None else await directory.totals(conn, listing, known)
            currencies = await _currencies(request, conn, groups, kept_to, reporting_currency, on)
            if converting:
                rates = {c: float(conversion.rate) for c, conversion in (currencies.conversions or {}).items()}
                listing = replace(listing, order=replace(listing.order, rates=rates))
            rows, more = await _page(conn, listing, cursor, page_size)
        else:  # the totals beside the page, on a second connection
            async with views.connect() as beside:
                groups, (rows, more) = await asyncio.gather(
                    directory.totals(beside, listing, known), _page(conn, listing, cursor, page_size)
                )
            currencies = await _currencies(request, conn, groups, kept_to, reporting_currency, on)
    listed = [_row(r, known.overdue.get(r.account, NOTHING), on) for r, _ in rows]
    by_currency = {g.currency: g for g in groups}
    if format == "csv":
        return csv_response(f"accounts-{on.isoformat()}.csv", COLUMNS,
                            ([_cell(r[c]) for c in COLUMNS] for r in listed), FIGURES)  # fmt: skip
    return json_response({
        "today": on.isoformat(),
        "count": sum(g.accounts for g in groups),
        **currencies.body(),
        "totals": _totals(groups, currencies),
        # With `currency=`, that currency's group even when no account is kept in it (zeros).
        "by_currency": [{"currency": c, **_group(by_currency.get(c), c)} for c in currencies.held],
        "sorted_by": listing.order.named(),
        "accounts": listed,
        "next_cursor": encode_keys(listing.order.tag(), listing.order.kinds(), rows[-1][1]) if more else None,
    })  # fmt: skip


async def _page(
    conn: AsyncConnection, listing: Listing, cursor: str | None, size: int | None
) -> tuple[list[Any], bool]:
    """The page after `cursor` (every row without a size), and whether more follow."""
    # 64 bits: the widest whole number both drivers bind (asyncpg types the key as int8 too);
    # no account's kept amount goes past it short of 922 facts of the largest amount.
    start_after = decode_keys(listing.order.tag(), listing.order.kinds(), cursor, 64)
    rows = await directory.page(conn, listing, start_after, None if size is None else size + 1)
    return rows[:size], size is not None and len(rows) > size


async def _currencies(
    request: Request, conn: AsyncConnection, groups: list[Any], kept_to: str | None, into: str | None, on: date
) -> Currencies:
    return await portfolio_currencies(request, conn, [g.currency for g in groups], kept_to, into, on)


def _search(q: str | None) -> str | None:
    found = folded(q.strip()) if q else ""
    return found or None


def _classes(risk_class: str | None) -> tuple[str, ...]:
    if not risk_class:
        return ()
    classes = tuple(risk_class.split(","))
    if not set(classes) <= set(RISK_CLASSES):
        raise invalid("risk_class", f"must be classes among {', '.join(RISK_CLASSES)}, comma-separated")
    return classes


def _scenario(name: str | None, scenarios: Scenarios) -> str | None:
    if name is not None and name not in scenarios.names:
        raise invalid("scenario", f"no scenario named {name!r}")
    return name


def _row(r: Any, overdue: Overdue, on: date) -> dict[str, Any]:
    figures = {
        **headline_figures(r),
        "overdue": units_amount(overdue.units, r.currency),
        # Of its oldest item past due; 0: nothing is (an item past due is so by a day at least).
        "oldest_days_past_due": (on - overdue.since).days if overdue.since else 0,
        "risk_class": r.class_in_force,
        "risk_points": r.points,
        "scenario": r.scenario or None,
        "open_disputes": r.open_disputes,
        "disputed": units_amount(r.disputed, r.currency),
        "parked": bool(r.is_parked),
    }
    return {name: figures[name] for name in COLUMNS}


def _cell(value: Any) -> Any:
    return str(value).lower() if isinstance(value, bool) else value


def _group(g: Any, currency: str) -> dict[str, Any]:
    figures = {name: amount(from_units(getattr(g, name) if g else 0), currency) for name in AMOUNTS}
    return {"accounts": g.accounts if g else 0, **figures}


def _totals(groups: list[Any], currencies: Currencies) -> dict[str, Any] | None:
    """The groups added up: in one currency, or converted into the reporting one; else none."""
    if currencies.currency is None:
        return None
    figures: dict[str, Any] = {"accounts": sum(g.accounts for g in groups)}
    for name in AMOUNTS:
        total = currencies.total({g.currency: from_units(getattr(g, name)) for g in groups}) or ZERO
        figures[name] = currencies.rendered(total)
    return figures

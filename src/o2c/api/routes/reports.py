"""The monthly management report (read), against an optional budget (admin)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import StrictFloat, StrictInt, StrictStr
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from o2c.api import monthly_figures as shown
from o2c.api.auth import require
from o2c.api.contract.reports import MonthlyReport, RecordedBudget
from o2c.api.freshness import wait_for_position
from o2c.api.monthly_csv import report_csv
from o2c.api.params import ASCII_DIGITS
from o2c.api.portfolio_currencies import currency_filter, portfolio_currencies
from o2c.api.problems import answers, violation_problem
from o2c.domain.budgets import MONTH, month_days
from o2c.domain.errors import RuleViolation
from o2c.domain.limits import check_decimal_text
from o2c.domain.money import ZERO
from o2c.domain.monthly_report import Month, Movements, month_in_one
from o2c.domain.receivables import DEFAULT_BOUNDARIES, bucket_labels
from o2c.ledger.admin import set_budget
from o2c.projections import queries, reports

router = APIRouter()
MONTH_PATTERN = f"^{MONTH.pattern}$"  # the OpenAPI's hint; month_days decides (ASCII, in the window)


def _month(text: str) -> tuple[date, date]:
    try:
        return month_days("month", text)
    except RuleViolation as violation:
        raise violation_problem(violation) from None


@router.get("/v1/reports/monthly", dependencies=[Depends(require("read")), Depends(wait_for_position)],
            response_model=None,
            responses={**answers(504), 200: {"model": MonthlyReport, "description": "the month's figures"}},
            )  # fmt: skip
async def monthly_report(
    request: Request,
    month: Annotated[str, Query(pattern=MONTH_PATTERN)],
    days: Annotated[int, Query(ge=1, le=365), ASCII_DIGITS] = 90,
    top: Annotated[int, Query(ge=1, le=100), ASCII_DIGITS] = 20,
    format: Literal["json", "csv"] = "json",
    currency: str | None = None,
    reporting_currency: str | None = None,
) -> dict[str, Any] | Response:
    first, last = _month(month)
    today = request.app.state.ledger.clock().date()
    # A month not over yet is reported to date (and converted at the rates of that day).
    as_of = min(last, today)
    kept_to = currency_filter(currency)
    frame = shown.Frame(first, as_of, days, bucket_labels(DEFAULT_BOUNDARIES))
    async with request.app.state.views.connect() as conn:
        months = await _months(conn, frame, today, top, kept_to)
        currencies = await portfolio_currencies(request, conn, list(months), kept_to, reporting_currency, as_of)
        # A budget is the whole portfolio's, in its reporting currency: no part of it is held against it.
        budget = None if kept_to is not None else await reports.budget_of(conn, month)
    held = {c: months.get(c) or shown.nothing(frame) for c in currencies.held}
    whole: Month | None = None
    if currencies.conversions is not None:
        conversions = currencies.conversions
        whole = month_in_one([m.converted(conversions[c].convert) for c, m in held.items()], len(frame.labels), top)
    elif currencies.currency is not None:
        whole = held[currencies.currency]
    top_level, actual = shown.figures(whole, currencies.currency, frame, list(held.values()))
    if whole is None:  # exposures in two currencies do not compare: ranked within their currency
        top_level["top_exposures"] = [shown.exposure(e, c) for c, m in held.items() for e in m.top]
    body = {
        "month": month, "from": first.isoformat(), "to": last.isoformat(), "as_of": as_of.isoformat(),
        "complete": as_of == last, **currencies.body(), **top_level,
        "by_currency": [{"currency": c, **shown.figures(m, c, frame, [m])[0]} for c, m in held.items()],
        "budget": None if budget is None else shown.against(budget, actual, currencies.currency),
    }  # fmt: skip
    return report_csv(body) if format == "csv" else body


async def _months(
    conn: AsyncConnection, frame: shown.Frame, today: date, top: int, currency: str | None
) -> dict[str, Month]:
    """The month in each currency accounts are kept in (only `currency`, if given)."""
    first, as_of = frame.first, frame.as_of
    starts = await queries.receivables_positions(conn, first - timedelta(days=1), None, currency)
    ends = await queries.receivables_positions(conn, as_of, None, currency)
    aging = await queries.portfolio_aging(conn, as_of, DEFAULT_BOUNDARIES, currency)
    cash = await reports.movements(conn, "unapplied", first, as_of, currency)
    disputes = await reports.movements(conn, "disputed", first, as_of, currency)
    commitments = await reports.commitments_in(conn, first, as_of, today, currency)
    exposures = await reports.top_exposures(conn, as_of, top, currency)
    empty = shown.nothing(frame)
    out = {}
    for c in ends:
        buckets, unapplied, disputed = aging.get(c, (empty.aging, ZERO, ZERO))
        out[c] = Month(
            starts.get(c, empty.start), ends[c], tuple(buckets), unapplied, disputed, cash.get(c, Movements()),
            disputes.get(c, Movements()), commitments.get(c, empty.commitments), tuple(exposures.get(c, ())),
        )  # fmt: skip
    return out


@router.put(
    "/v1/reports/budget/{month}",
    dependencies=[Depends(require("admin"))],
    response_model=None,
    responses={200: {"model": RecordedBudget, "description": "the month's budget as recorded"}},
)
async def put_budget(
    request: Request,
    month: Annotated[str, Path(pattern=MONTH_PATTERN)],
    figures: Annotated[dict[str, StrictStr | StrictInt | StrictFloat], Body()],
) -> dict[str, Any]:
    _month(month)
    try:
        # Written as decimals in ASCII digits ("40.5"; a JSON number too): no exponent, no NaN.
        parsed = {name: check_decimal_text(f"figures.{name}", str(value)) for name, value in figures.items()}
        budget, position = await run_in_threadpool(set_budget, request.app.state.ledger, month, parsed)
    except RuleViolation as violation:
        raise violation_problem(violation) from None
    return {"month": budget.month, "figures": {k: str(v) for k, v in budget.figures.items()}, "position": position}

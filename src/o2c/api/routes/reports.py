"""The monthly management report (read), against an optional budget (admin)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import StrictFloat, StrictInt, StrictStr
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from o2c.api.auth import require
from o2c.api.freshness import wait_for_position
from o2c.api.params import ASCII_DIGITS
from o2c.api.problems import answers, violation_problem
from o2c.api.render import money, one_decimal, percent
from o2c.api.spreadsheet import csv_response
from o2c.domain.budgets import MONTH, month_days
from o2c.domain.errors import RuleViolation
from o2c.domain.limits import check_decimal_text
from o2c.domain.money import ZERO
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
            response_model=None, responses=answers(504))  # fmt: skip
async def monthly_report(
    request: Request,
    month: Annotated[str, Query(pattern=MONTH_PATTERN)],
    days: Annotated[int, Query(ge=1, le=365), ASCII_DIGITS] = 90,
    top: Annotated[int, Query(ge=1, le=100), ASCII_DIGITS] = 20,
    format: Literal["json", "csv"] = "json",
) -> dict[str, Any] | Response:
    first, last = _month(month)
    today = request.app.state.ledger.clock().date()
    # A month not over yet is reported to date.
    as_of = min(last, today)
    labels = bucket_labels(DEFAULT_BOUNDARIES)
    async with request.app.state.views.connect() as conn:
        figures = await queries.dso_as_of(conn, None, as_of, days, "countback")
        start = await reports.receivables_on(conn, first - timedelta(days=1))
        end = await reports.receivables_on(conn, as_of)
        effectiveness = await reports.cei(conn, first, as_of, start, end)
        by_due = (await queries.receivables_by_due_date(conn, None, as_of)).get(None, {})
        measures = (await queries.balances(conn, None, as_of, ["unapplied", "disputed"]))[None]
        cash = await reports.movements(conn, "unapplied", first, as_of)
        disputes = await reports.movements(conn, "disputed", first, as_of)
        commitments = await reports.commitments_in(conn, first, as_of, today)
        exposures = await reports.top_exposures(conn, as_of, top)
        budget = await reports.budget_of(conn, month)
    aged = queries.aged(by_due, as_of, DEFAULT_BOUNDARIES)
    overdue = end.outstanding - end.not_yet_due
    actual: dict[str, Decimal | None] = {
        "dso": figures.dso, "best_possible_dso": figures.best_possible_dso,
        "average_days_delinquent": figures.average_days_delinquent, "cei": effectiveness,
        "overdue_rate": None if figures.overdue_rate is None else figures.overdue_rate * 100,
        "cash_collected": cash["up"], "outstanding": end.outstanding, "disputes_opened": disputes["up_count"],
    }  # fmt: skip
    body = {
        "month": month, "from": first.isoformat(), "to": last.isoformat(), "as_of": as_of.isoformat(),
        "complete": as_of == last,
        "dso": {"method": "countback", "days": days, "dso": one_decimal(figures.dso),
                "best_possible_dso": one_decimal(figures.best_possible_dso),
                "average_days_delinquent": one_decimal(figures.average_days_delinquent),
                "receivables": money(figures.receivables), "sales": money(figures.sales)},
        "cei": one_decimal(effectiveness),
        "overdue_rate": percent(figures.overdue_rate),
        "outstanding": money(end.outstanding), "overdue": money(overdue),
        "aging": {"buckets": labels, "totals": {**{label: money(aged[label]) for label in labels},
                  "total": money(sum(aged.values(), ZERO)), "unapplied_cash": money(measures["unapplied"]),
                  "disputed": money(measures["disputed"])}},
        "top_exposures": [{**e, "exposure": money(e["exposure"]), "credit_limit": money(e["credit_limit"])}
                          for e in exposures],
        "disputes": {"opened": int(disputes["up_count"]), "opened_amount": money(disputes["up"]),
                     "resolved": int(disputes["down_count"]), "resolved_amount": money(disputes["down"])},
        "cash_collected": money(cash["up"]),
        "promises": commitments,
        "budget": None if budget is None else _against(budget, actual),
    }  # fmt: skip
    return _csv(body) if format == "csv" else body


def _against(budget: dict[str, Decimal], actual: dict[str, Decimal | None]) -> dict[str, Any]:
    out = {}
    for name, target in budget.items():
        value = actual.get(name)
        rounded = money if name in ("cash_collected", "outstanding") else one_decimal

        def show(figure: Decimal, rounded: Any = rounded) -> str | None:
            # A budget recorded before figures were bounded ("1E+30") has more digits than
            # rounding holds: it is shown as recorded rather than failing the whole report.
            try:
                return rounded(figure)
            except ArithmeticError:
                return str(figure)

        out[name] = {"budget": show(target), "actual": None if value is None else show(value),
                     "variance": None if value is None else show(value - target)}  # fmt: skip
    return out


def _csv(body: dict[str, Any]) -> Response:
    rows: list[list[Any]] = []
    budget = body["budget"] or {}
    for name in ("dso", "best_possible_dso", "average_days_delinquent"):
        rows.append(["dso", name, body["dso"][name], *_planned(budget, name)])
    for name in ("cei", "overdue_rate", "outstanding", "overdue", "cash_collected"):
        rows.append(["figures", name, body[name], *_planned(budget, name)])
    for name, value in body["disputes"].items():
        rows.append(["disputes", name, value, *_planned(budget, "disputes_opened" if name == "opened" else "")])
    for name, value in body["promises"].items():
        rows.append(["promises", name, value, "", ""])
    for name, value in body["aging"]["totals"].items():
        rows.append(["aging", name, value, "", ""])
    for rank, e in enumerate(body["top_exposures"], start=1):
        rows.append(["top_exposures", f"{rank}. {e['account']} {e['name']}", e["exposure"], "", ""])
    # `item` holds account codes and names (text); value, budget and variance are figures.
    return csv_response(f"report-{body['month']}.csv", ["section", "item", "value", "budget", "variance"], rows,
                        ["value", "budget", "variance"])  # fmt: skip


def _planned(budget: dict[str, Any], name: str) -> list[str]:
    entry = budget.get(name)
    return ["", ""] if entry is None else [entry["budget"], entry["variance"] or ""]


@router.put("/v1/reports/budget/{month}", dependencies=[Depends(require("admin"))])
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

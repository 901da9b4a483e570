"""Collections: dunning scenarios (admin) and the collector's agenda (read)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from o2c.api.auth import require
from o2c.api.contract.collections import Agenda, RecordedScenario, ScenarioList
from o2c.api.contract.collections import Scenario as ScenarioBody
from o2c.api.freshness import wait_for_position
from o2c.api.params import ASCII_DIGITS, BusinessDate
from o2c.api.portfolio_currencies import Currencies, currency_filter, portfolio_currencies
from o2c.api.problems import Problem, answers, field_error, violation_problem
from o2c.api.render import amount, decode_cursor, encode_cursor
from o2c.api.spreadsheet import csv_response
from o2c.domain.agenda import AccountAgenda
from o2c.domain.agenda_currencies import RankedAgenda, currencies_of
from o2c.domain.errors import RuleViolation
from o2c.domain.limits import MAX_ID_LENGTH
from o2c.domain.scenarios import DEFAULT_SCENARIOS, MAX_OFFSET_DAYS, MAX_STEPS, RISK_CLASSES, Scenario, Step, Version
from o2c.ledger.admin import define_scenario, stored_scenario
from o2c.projections import schema
from o2c.projections.alerting import utc  # SQLite gives moments back naive

router = APIRouter()
CSV_COLUMNS = ("date", "rank", "account", "name", "currency", "risk_class", "scenario", "priority", "invoice_id",
               "due_date", "days_past_due", "step", "channel", "step_date", "days_late", "amount_at_risk",
               "reporting_currency", "converted_priority", "converted_amount_at_risk")  # fmt: skip
# Rendered by o2c (left as numbers and dates in a spreadsheet); the other columns are text.
CSV_FIGURES = ("date", "rank", "priority", "due_date", "days_past_due", "step_date", "days_late", "amount_at_risk",
               "converted_priority", "converted_amount_at_risk")  # fmt: skip


class StepData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    offset_days: Annotated[StrictInt, Field(ge=-MAX_OFFSET_DAYS, le=MAX_OFFSET_DAYS)]
    channel: StrictStr
    action: Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH)]


class ScenarioData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    steps: Annotated[list[StepData], Field(min_length=1, max_length=MAX_STEPS)]
    risk_classes: Annotated[list[StrictStr], Field(max_length=len(RISK_CLASSES))] = []


def _steps(steps: tuple[Step, ...]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(step) for step in steps]


def _scenario_body(scenario: Scenario) -> dict[str, Any]:
    current = scenario.current
    return {
        "name": scenario.name,
        "version": current.version,
        "steps": _steps(current.steps),
        "risk_classes": list(current.risk_classes),
        "recorded_at": current.recorded_at.isoformat(),
        "shipped": False,
        "versions": [_version_body(v) for v in scenario.versions],
    }


def _version_body(version: Version) -> dict[str, Any]:
    return {
        "version": version.version,
        "recorded_at": version.recorded_at.isoformat(),
        "steps": _steps(version.steps),
        "risk_classes": list(version.risk_classes),
    }


def _shipped_body(name: str) -> dict[str, Any]:
    classes, steps = DEFAULT_SCENARIOS[name]
    return {"name": name, "version": 0, "steps": _steps(steps), "risk_classes": list(classes),
            "recorded_at": None, "shipped": True, "versions": []}  # fmt: skip


@router.put(
    "/v1/collections/scenarios/{name}",
    dependencies=[Depends(require("admin"))],
    responses={
        201: {"model": RecordedScenario, "description": "the scenario's first version"},
        200: {"model": RecordedScenario, "description": "its next version"},
    },
)
async def put_scenario(request: Request, name: str, body: ScenarioData) -> Response:
    steps = [Step(s.offset_days, s.channel, s.action) for s in body.steps]
    try:
        scenario, position = await run_in_threadpool(
            define_scenario, request.app.state.ledger, name, steps, body.risk_classes
        )
    except RuleViolation as violation:
        raise violation_problem(violation) from None
    payload = {**_scenario_body(scenario), "position": position}
    status = 201 if scenario.current.version == 1 else 200
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


@router.get(
    "/v1/collections/scenarios/{name}",
    dependencies=[Depends(require("admin"))],
    response_model=None,
    responses={200: {"model": ScenarioBody, "description": "its current version and every version"}},
)
async def get_scenario(request: Request, name: str) -> dict[str, Any]:
    scenario = await run_in_threadpool(stored_scenario, request.app.state.ledger, name)
    if scenario is not None:
        return _scenario_body(scenario)
    if name in DEFAULT_SCENARIOS:
        return _shipped_body(name)
    raise Problem(404, "unknown-scenario", f"no scenario {name}", [field_error("name", f"no scenario {name}")])


# Listed from the read model (one scenario is read from the ledger): waits for X-O2C-After.
@router.get(
    "/v1/collections/scenarios",
    dependencies=[Depends(require("admin")), Depends(wait_for_position)],
    response_model=None,
    responses={**answers(504), 200: {"model": ScenarioList, "description": "stored and shipped scenarios"}},
)
async def list_scenarios(request: Request) -> dict[str, Any]:
    async with request.app.state.views.connect() as conn:
        stored = {row.name: row for row in await conn.execute(select(schema.scenarios))}
    listed = [
        {"name": r.name, "version": r.version, "steps": r.steps, "risk_classes": r.risk_classes,
         "recorded_at": utc(r.recorded_at).isoformat(), "shipped": False}
        for r in stored.values()
    ] + [_shipped_body(name) for name in DEFAULT_SCENARIOS if name not in stored]  # fmt: skip
    return {"scenarios": sorted(listed, key=lambda s: s["name"])}


# -- the agenda ---------------------------------------------------------------------------------


def _account_body(entry: AccountAgenda, currencies: Currencies) -> dict[str, Any]:
    currency = entry.currency
    return {
        "account": entry.account, "name": entry.name, "currency": currency,
        "risk_class": entry.risk_class, "scenario": entry.scenario, "priority": amount(entry.priority, currency),
        "amount_at_risk": amount(entry.amount_at_risk, currency), "days_past_due": entry.days_past_due,
        "formal_notice": entry.formal_notice,
        # In the reporting currency, when one applies.
        "converted_priority": _converted(currencies, entry, entry.priority),
        "converted_amount_at_risk": _converted(currencies, entry, entry.amount_at_risk),
        "items": [
            {"invoice_id": line.invoice_id, "due_date": line.due_date.isoformat(),
             "days_past_due": line.days_past_due, "step": line.action, "channel": line.channel,
             "step_date": line.step_date.isoformat(), "days_late": line.days_late,
             "amount_at_risk": amount(line.amount_at_risk, currency)}
            for line in entry.lines
        ],
    }  # fmt: skip


def _converted(currencies: Currencies, entry: AccountAgenda, value: Decimal) -> str | None:
    return currencies.rendered(currencies.converted(entry.currency, value))


@router.get(
    "/v1/collections/agenda",
    dependencies=[Depends(require("read")), Depends(wait_for_position)],
    response_model=None,
    responses={**answers(504), 200: {"model": Agenda, "description": "the day's steps due, by priority"}},
)
async def collections_agenda(
    request: Request,
    date_: Annotated[BusinessDate | None, Query(alias="date")] = None,
    limit: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 100,
    cursor: str | None = None,
    format: Literal["json", "csv"] = "json",
    currency: str | None = None,
    reporting_currency: str | None = None,
) -> dict[str, Any] | Response:
    on = date_ or request.app.state.ledger.clock().date()
    start = decode_cursor(cursor)
    kept_to = currency_filter(currency)
    agendas = request.app.state.agendas
    async with request.app.state.views.connect() as conn:
        entries = await agendas.of_day(conn, on)
        # Rates of the day for the currencies on the agenda (only `currency`, if filtered).
        currencies = await portfolio_currencies(request, conn, currencies_of(entries), kept_to, reporting_currency, on)
    ranked = agendas.ranked(entries, kept_to, currencies.conversions)
    if format == "csv":
        return _csv(on, ranked, currencies)
    page = ranked.entries[start : start + limit]
    more = start + limit < len(ranked.entries)
    return {
        "date": on.isoformat(),
        **currencies.body(),
        # Priorities in two currencies do not compare: converted, or ranked within their currency.
        "ranked_by": RANKED_CONVERTED if currencies.conversions is not None else RANKED_BY_CURRENCY,
        "accounts": [_account_body(entry, currencies) for entry in page],
        "total_accounts": len(ranked.entries),
        "amount_at_risk": currencies.rendered(currencies.total(ranked.amounts_at_risk())),
        "by_currency": [
            {"currency": s.currency, "accounts": s.accounts, "amount_at_risk": amount(s.amount_at_risk, s.currency)}
            for s in ranked.by_currency
        ],
        "next_cursor": encode_cursor(start + limit) if more else None,
    }


RANKED_BY_CURRENCY = ["currency", "priority", "account"]
RANKED_CONVERTED = ["converted_priority", "account"]


def _csv(on: date, ranked: RankedAgenda, currencies: Currencies) -> Response:
    reporting = (currencies.currency or "") if currencies.conversions is not None else ""
    rows = ([on.isoformat(), rank, entry.account, entry.name, entry.currency, entry.risk_class, entry.scenario,
             amount(entry.priority, entry.currency), line.invoice_id, line.due_date.isoformat(), line.days_past_due,
             line.action, line.channel, line.step_date.isoformat(), line.days_late,
             amount(line.amount_at_risk, entry.currency), reporting,
             _converted(currencies, entry, entry.priority) or "",
             _converted(currencies, entry, line.amount_at_risk) or ""]
            for rank, entry in enumerate(ranked.entries, start=1) for line in entry.lines)  # fmt: skip
    return csv_response(f"agenda-{on.isoformat()}.csv", CSV_COLUMNS, rows, CSV_FIGURES)

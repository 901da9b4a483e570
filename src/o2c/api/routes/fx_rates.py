"""Exchange rates, recorded by an administrator as facts (`o2c:fx:YYYY-MM-DD`)
and read back: one day's document with every version (from the ledger), and
the recorded documents or the rates in force on a day (from the read model)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from sqlalchemy import and_, func, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from o2c.api.auth import require
from o2c.api.contract import rates as contract
from o2c.api.freshness import wait_for_position
from o2c.api.params import ASCII_DIGITS, BusinessDate
from o2c.api.problems import Problem, answers, field_error, violation_problem
from o2c.api.render import decode_key_cursor, encode_key_cursor, not_a_cursor
from o2c.domain.errors import RuleViolation
from o2c.domain.fx_rates import DailyRates, RatesVersion, written
from o2c.ledger.admin import record_rates, stored_rates
from o2c.projections import schema

router = APIRouter()
READ = [Depends(require("read")), Depends(wait_for_position)]
X = schema.fx_rates.c


class RatesData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    base: Annotated[StrictStr, Field(min_length=1, max_length=3)]
    # Values checked by the domain: decimal strings only, so a number is named as such.
    rates: dict[str, Any]


def _version_body(version: RatesVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "base": version.base,
        "rates": {quote: written(rate) for quote, rate in version.rates.items()},
        "recorded_at": version.recorded_at.isoformat(),
    }


def _daily_body(daily: DailyRates) -> dict[str, Any]:
    return {"rate_date": daily.rate_date.isoformat(), **_version_body(daily.current),
            "versions": [_version_body(v) for v in daily.versions]}  # fmt: skip


@router.put(
    "/v1/fx-rates/{date}",
    dependencies=[Depends(require("admin"))],
    responses={
        201: {"model": contract.RecordedRates, "description": "the day's first document"},
        200: {"model": contract.RecordedRates, "description": "a new version"},
    },
)
async def put_rates(request: Request, day: Annotated[BusinessDate, Path(alias="date")], body: RatesData) -> Response:
    try:
        daily, position = await run_in_threadpool(record_rates, request.app.state.ledger, day, body.base, body.rates)
    except RuleViolation as violation:
        raise violation_problem(violation) from None
    payload = {**_daily_body(daily), "position": position}
    status = 201 if daily.current.version == 1 else 200
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


@router.get(
    "/v1/fx-rates/{date}",
    dependencies=READ,
    response_model=None,
    responses={
        200: {"model": contract.DailyRates, "description": "the day's document and its versions"},
        **answers(504),
    },
)
async def get_rates(request: Request, day: Annotated[BusinessDate, Path(alias="date")]) -> dict[str, Any]:
    daily = await run_in_threadpool(stored_rates, request.app.state.ledger, day)
    if daily is None:
        detail = f"no exchange rates recorded for {day}"
        raise Problem(404, "unknown-rates", detail, [field_error("date", detail)])
    return _daily_body(daily)


@router.get(
    "/v1/fx-rates",
    dependencies=READ,
    response_model=None,
    responses={200: {"model": contract.RatesList, "description": "documents, newest first"}, **answers(504)},
)
async def list_rates(
    request: Request,
    as_of: BusinessDate | None = None,
    limit: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The documents recorded (latest version of each day), newest first, dated on
    or before `as_of` if given; with `as_of`, also the rate of each pair in force."""
    before = _cursor_date(cursor)
    dates = select(X.rate_date).distinct()
    if as_of is not None:
        dates = dates.where(X.rate_date <= as_of)
    if before is not None:
        dates = dates.where(X.rate_date < before)
    async with request.app.state.views.connect() as conn:
        days = list((await conn.scalars(dates.order_by(X.rate_date.desc()).limit(limit + 1))).all())
        page = days[:limit]
        rows = (await conn.execute(select(schema.fx_rates).where(X.rate_date.in_(page)))).all() if page else []
        in_force = await _in_force(conn, as_of) if as_of is not None else None
    documents: dict[date, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (r.rate_date, r.quote), reverse=True):
        document = documents.setdefault(r.rate_date, {"rate_date": r.rate_date.isoformat(), "base": r.base,
                                                      "rates": {}, "version": r.version,
                                                      "recorded_at": _utc(r.recorded_at)})  # fmt: skip
        document["rates"][r.quote] = r.rate
    for document in documents.values():
        document["rates"] = dict(sorted(document["rates"].items()))
    more = len(days) > limit
    return {
        "as_of": None if as_of is None else as_of.isoformat(),
        "documents": list(documents.values()),
        "in_force": in_force,
        "next_cursor": encode_key_cursor(page[-1].isoformat()) if more else None,
    }


async def _in_force(conn: Any, as_of: date) -> list[dict[str, Any]]:
    """Per pair (base, quote), the rate of its latest document on or before as_of."""
    latest = (
        select(X.base, X.quote, func.max(X.rate_date).label("rate_date"))
        .where(X.rate_date <= as_of)
        .group_by(X.base, X.quote)
        .subquery()
    )
    on = and_(X.base == latest.c.base, X.quote == latest.c.quote, X.rate_date == latest.c.rate_date)
    rows = await conn.execute(select(X.base, X.quote, X.rate, X.rate_date).join(latest, on).order_by(X.base, X.quote))
    return [{"base": r.base, "quote": r.quote, "rate": r.rate, "rate_date": r.rate_date.isoformat()} for r in rows]


def _utc(moment: datetime) -> str:
    return moment.replace(tzinfo=moment.tzinfo or UTC).isoformat()  # SQLite gives it back naive


def _cursor_date(cursor: str | None) -> date | None:
    key = decode_key_cursor(cursor, 1)
    if key is None:
        return None
    try:
        return date.fromisoformat(key[0])
    except ValueError:
        raise not_a_cursor() from None

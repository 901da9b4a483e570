"""The credit manager's views, read from the projected read model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from starlette.responses import Response

from o2c.api.auth import require
from o2c.api.freshness import stale, wait_for_position
from o2c.api.params import ASCII_DIGITS, AccountCode, BusinessDate
from o2c.api.problems import Problem, answers, field_error
from o2c.api.render import (
    decode_cursor,
    decode_key_cursor,
    encode_cursor,
    encode_key_cursor,
    json_response,
    money,
    not_a_cursor,  # fmt: skip
    percent,
)
from o2c.api.schemas import Amount
from o2c.api.spreadsheet import csv_response
from o2c.domain.limits import COUNT_TEXT, ISO_DATE_TEXT
from o2c.domain.money import ZERO
from o2c.domain.receivables import DEFAULT_BOUNDARIES, bucket_labels, bucket_of
from o2c.projections import queries, schema
from o2c.projections.units import from_units

router = APIRouter(dependencies=[Depends(require("read")), Depends(wait_for_position)], responses=answers(504))
TENTH = Decimal("0.1")


def today(request: Request) -> date:
    clock = request.app.state.ledger.clock
    return clock().date()


# Each boundary is a bucket, and a column the SQL sums: both stores cap the columns of a query.
MAX_BUCKETS = 20
MAX_BUCKET_DAYS = 3650
# The OpenAPI's hint; parse_buckets decides.
BUCKETS_PATTERN = rf"^([0-9]{{1,4}}(,[0-9]{{1,4}}){{0,{MAX_BUCKETS - 1}}})?$"
_BUCKETS_RULE = (f"must be at most {MAX_BUCKETS} increasing day counts from 1 to {MAX_BUCKET_DAYS}, "
                 "in ASCII digits, e.g. 30,60,90,120")  # fmt: skip


def parse_buckets(buckets: str | None) -> tuple[int, ...]:
    if not buckets:
        return DEFAULT_BOUNDARIES
    parts = buckets.split(",")
    bounds = tuple(int(part) for part in parts if COUNT_TEXT.fullmatch(part))
    if (len(bounds) != len(parts) or len(bounds) > MAX_BUCKETS or not bounds[0] > 0 or bounds[-1] > MAX_BUCKET_DAYS
            or list(bounds) != sorted(set(bounds))):  # fmt: skip
        raise Problem(422, "validation", f"buckets {_BUCKETS_RULE}", [field_error("buckets", _BUCKETS_RULE)])
    return bounds


def one_decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(TENTH))


def unknown_account(code: str) -> Problem:
    return Problem(404, "unknown-account", f"no account {code}", [field_error("account", f"no account {code}")])


async def account_or_404(conn: Any, code: str) -> Any:
    row = await queries.account_row(conn, code)
    if row is None:
        raise unknown_account(code)
    return row


# -- one account ---------------------------------------------------------------------------


@router.get("/v1/accounts/{account}")
async def account_summary(request: Request, account: str) -> Response:
    async with request.app.state.views.connect() as conn:
        row = await queries.account_with_overdue(conn, account, today(request))
        if row is None:
            raise unknown_account(account)
        collection = await queries.collection_row(conn, account)
        behind = await stale(conn, request, account)  # parked: its figures wait for a retry
    limit, exposure = from_units(row.credit_limit), from_units(row.exposure)
    return json_response({
        "account": row.account,
        "name": row.name,
        "currency": row.currency,
        "credit_limit": money(limit),
        "outstanding": money(from_units(row.outstanding)),
        "uninvoiced": money(from_units(row.uninvoiced)),
        "unapplied_cash": money(from_units(row.unapplied_cash)),
        "exposure": money(exposure),
        "headroom": money(limit - exposure),
        "utilization": percent(exposure / limit if limit else None),
        "overdue": money(from_units(row.overdue_units)),
        "disputed": money(from_units(row.disputed)),
        "risk": risk_body(row, collection),
        "insured_limit": money(from_units(row.insured_limit)) if row.insured_limit is not None else None,
        "payment_terms_days": row.payment_terms_days,
        "position": row.position,
        "stale": behind,
    })


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


@router.get("/v1/accounts/{account}/open-items")
async def open_items(
    request: Request,
    account: str,
    limit: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    after = _decode_pair(cursor)
    on = today(request)
    async with request.app.state.views.connect() as conn:
        await account_or_404(conn, account)
        rows = await queries.open_invoices(conn, account, after, limit + 1)
    page = rows[:limit]
    return {
        "account": account,
        "items": [
            {
                "invoice_id": r.invoice_id,
                "issue_date": r.issue_date.isoformat(),
                "due_date": r.due_date.isoformat(),
                "amount": money(from_units(r.amount)),
                "open_balance": money(from_units(r.open_balance)),
                "days_past_due": (on - r.due_date).days,
                "disputed": money(from_units(r.disputed)),
            }
            for r in page
        ],
        "next_cursor": _encode_pair(page[-1].due_date.isoformat(), page[-1].invoice_id) if len(rows) > limit else None,
    }


def _encode_pair(first: str, second: str) -> str:
    return encode_key_cursor(first, second)


def _decode_pair(cursor: str | None) -> tuple[str, str] | None:
    """(due date, invoice id) of the last invoice listed."""
    key = decode_key_cursor(cursor, 2)
    if key is None:
        return None
    try:
        if ISO_DATE_TEXT.fullmatch(key[0]) and date.fromisoformat(key[0]):
            return key[0], key[1]
    except ValueError:
        pass
    raise not_a_cursor()


# -- aging -------------------------------------------------------------------------------------


def aging_row(
    labels: Sequence[str], buckets: dict[str, Decimal], unapplied: Decimal, disputed: Decimal
) -> dict[str, str]:
    row = {label: money(buckets[label]) for label in labels}
    row["total"] = money(sum(buckets.values(), ZERO))
    row["unapplied_cash"] = money(unapplied)
    row["disputed"] = money(disputed)
    return row


@router.get("/v1/accounts/{account}/aging")
async def account_aging(
    request: Request,
    account: str,
    as_of: BusinessDate | None = None,
    buckets: Annotated[str | None, Query(pattern=BUCKETS_PATTERN)] = None,
) -> Response:
    as_of = as_of or today(request)
    bounds = parse_buckets(buckets)
    labels = bucket_labels(bounds)
    async with request.app.state.views.connect() as conn:
        aging = await queries.account_aging(conn, account, as_of)
    if aging is None:
        raise unknown_account(account)
    by_bucket = dict.fromkeys(labels, ZERO)
    listed = []
    for invoice_id, due_date, balance, disputed in aging.items:
        overdue_days = (as_of - due_date).days
        label = bucket_of(overdue_days, bounds, labels)
        by_bucket[label] += balance
        listed.append(
            {
                "invoice_id": invoice_id,
                "due_date": due_date.isoformat(),
                "days_past_due": overdue_days,
                "bucket": label,
                "open_balance": money(balance),
                "disputed": money(disputed),
            }
        )
    row = aging_row(labels, by_bucket, aging.unapplied, aging.disputed)
    return json_response({
        "as_of": as_of.isoformat(),
        "buckets": labels,
        "rows": [{"account": account, **row}],
        "totals": row,
        "items": listed,
    })


@router.get("/v1/aging", response_model=None)
async def portfolio_aging(
    request: Request,
    as_of: BusinessDate | None = None,
    buckets: Annotated[str | None, Query(pattern=BUCKETS_PATTERN)] = None,
    format: Literal["json", "csv"] = "json",
    limit: Annotated[int, Query(ge=1, le=5000), ASCII_DIGITS] = 500,
    cursor: str | None = None,
) -> Response:
    as_of = as_of or today(request)
    bounds = parse_buckets(buckets)
    labels = bucket_labels(bounds)
    after = _decode_account_cursor(cursor)
    page_size = None if format == "csv" else limit
    async with request.app.state.views.connect() as conn:
        query = select(schema.accounts.c.account).order_by(schema.accounts.c.account)
        if after:
            query = query.where(schema.accounts.c.account > after)
        if page_size is not None:
            query = query.limit(page_size + 1)
        accounts = list((await conn.execute(query)).scalars())
        more = page_size is not None and len(accounts) > page_size
        accounts = accounts[:page_size] if page_size is not None else accounts
        rows = []
        nothing = ([ZERO] * len(labels), ZERO, ZERO)  # an account with no lines yet
        for start in range(0, len(accounts), 1000):
            chunk = accounts[start : start + 1000]
            aged = await queries.aging_by_account(conn, chunk, as_of, bounds)
            for code in chunk:
                by_bucket, unapplied, disputed = aged.get(code, nothing)
                rows.append({"account": code, **aging_row(labels, dict(zip(labels, by_bucket, strict=True)),
                                                          unapplied, disputed)})  # fmt: skip
        portfolio = queries.aged(
            (await queries.receivables_by_due_date(conn, None, as_of)).get(None, {}), as_of, bounds
        )
        totals_m = (await queries.balances(conn, None, as_of, ["unapplied", "disputed"]))[None]
    totals = aging_row(labels, portfolio, totals_m["unapplied"], totals_m["disputed"])
    if format == "csv":
        return _csv(as_of, labels, rows, totals)
    return json_response({
        "as_of": as_of.isoformat(),
        "buckets": labels,
        "rows": rows,
        "totals": totals,
        "next_cursor": _encode_account_cursor(accounts[-1]) if more else None,
    })


def _encode_account_cursor(account: str) -> str:
    return encode_key_cursor(account)


def _decode_account_cursor(cursor: str | None) -> str | None:
    key = decode_key_cursor(cursor, 1)
    return None if key is None else key[0]


def _csv(as_of: date, labels: Sequence[str], rows: list[dict[str, str]], totals: dict[str, str]) -> Response:
    figures = [*labels, "total", "unapplied_cash", "disputed"]  # amounts; the account code is text
    columns = ["account", *figures]
    lines = [*rows, {"account": "TOTAL", **totals}]
    return csv_response(f"aging-{as_of.isoformat()}.csv", columns, ([r[c] for c in columns] for r in lines), figures)


# -- portfolio ---------------------------------------------------------------------------------


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


# -- alerts --------------------------------------------------------------------------------------


@router.get("/v1/alerts")
async def list_alerts(
    request: Request,
    status: Literal["open", "cleared", "all"] = "open",
    account: str | None = None,
    type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    a = schema.alerts.c
    query = select(schema.alerts).order_by(a.id).limit(limit + 1)
    if status == "open":
        query = query.where(a.cleared_at.is_(None))
    elif status == "cleared":
        query = query.where(a.cleared_at.is_not(None))
    if account is not None:
        query = query.where(a.account == account)
    if type is not None:
        query = query.where(a.type == type)
    after = decode_cursor(cursor)
    if after:
        query = query.where(a.id > after)
    async with request.app.state.views.connect() as conn:
        rows = (await conn.execute(query)).all()
    page = rows[:limit]
    return {
        "alerts": [
            {
                "id": r.id,
                "account": r.account,
                "type": r.type,
                "subject": r.subject,
                "severity": r.severity,
                "raised_at": _moment(r.raised_at),
                "cleared_at": _moment(r.cleared_at),
                "details": r.details,
            }
            for r in page
        ],
        "next_cursor": encode_cursor(page[-1].id) if len(rows) > limit else None,
    }


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


# -- credit decision -------------------------------------------------------------------------------


class CreditCheck(BaseModel):
    model_config = ConfigDict(extra="ignore")
    account: AccountCode
    amount: Amount


@router.post("/v1/credit-check")
async def credit_check(request: Request, check: CreditCheck) -> dict[str, Any]:
    if check.amount <= 0:
        raise Problem(422, "validation", "amount must be positive", [field_error("amount", "must be positive")])
    settings = request.app.state.settings
    on = today(request)
    async with request.app.state.views.connect() as conn:
        row = await account_or_404(conn, check.account)
        i = schema.invoices.c
        oldest_due = await conn.scalar(
            select(i.due_date).where(i.account == check.account, i.open_balance > 0).order_by(i.due_date).limit(1)
        )
        collection = await queries.collection_row(conn, check.account)
    limit, exp = from_units(row.credit_limit), from_units(row.exposure)
    headroom = limit - exp
    reasons = []
    if check.amount > headroom:
        reasons.append("headroom_exceeded")
    if oldest_due is not None and (on - oldest_due).days > settings.hold_days_past_due:
        reasons.append(f"past_due_over_{settings.hold_days_past_due}_days")
    if risk_body(row, collection)["class"] == "E":
        reasons.append("risk_class_E")
    if collection is not None and collection.formal_notice_open:
        reasons.append("formal_notice_open")
    return {
        "account": check.account,
        "amount": money(check.amount),
        "decision": "hold" if reasons else "approve",
        "exposure": money(exp),
        "credit_limit": money(limit),
        "headroom_after": money(headroom - check.amount),
        "reasons": reasons,
    }

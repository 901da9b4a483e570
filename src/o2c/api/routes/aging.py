"""Aging: an account's open items by bucket of days past due, and the
portfolio's, account by account (JSON pages, or the whole as CSV)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Query, Request
from sqlalchemy import select
from starlette.responses import Response

from o2c.api.params import ASCII_DIGITS, BUCKETS_PATTERN, BusinessDate, parse_buckets
from o2c.api.problems import unknown_account
from o2c.api.read_views import today, views_router
from o2c.api.render import decode_key_cursor, encode_key_cursor, json_response, money
from o2c.api.spreadsheet import csv_response
from o2c.domain.money import ZERO
from o2c.domain.receivables import bucket_labels, bucket_of
from o2c.projections import queries, schema

router = views_router()


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
        "next_cursor": encode_key_cursor(accounts[-1]) if more else None,
    })


def _decode_account_cursor(cursor: str | None) -> str | None:
    key = decode_key_cursor(cursor, 1)
    return None if key is None else key[0]


def _csv(as_of: date, labels: Sequence[str], rows: list[dict[str, str]], totals: dict[str, str]) -> Response:
    figures = [*labels, "total", "unapplied_cash", "disputed"]  # amounts; the account code is text
    columns = ["account", *figures]
    lines = [*rows, {"account": "TOTAL", **totals}]
    return csv_response(f"aging-{as_of.isoformat()}.csv", columns, ([r[c] for c in columns] for r in lines), figures)

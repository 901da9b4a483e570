"""Aging: an account's open items by bucket of days past due, and the
portfolio's, account by account (JSON pages, or the whole as CSV)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from o2c.api.contract.views import AccountAging, PortfolioAging
from o2c.api.params import ASCII_DIGITS, BUCKETS_PATTERN, BusinessDate, parse_buckets
from o2c.api.portfolio_currencies import currency_filter, portfolio_currencies
from o2c.api.problems import unknown_account
from o2c.api.read_views import account_or_404, today, views_router
from o2c.api.render import amount, decode_key_cursor, encode_key_cursor, json_response
from o2c.api.spreadsheet import csv_response
from o2c.domain.money import ZERO
from o2c.domain.receivables import bucket_labels, bucket_of
from o2c.projections import queries, schema

router = views_router()
_AMOUNTS = ("total", "unapplied_cash", "disputed")  # beside the buckets


def aging_figures(
    labels: Sequence[str], by_bucket: Sequence[Decimal], unapplied: Decimal, disputed: Decimal
) -> dict[str, Decimal]:
    """A row's or a total's figures: the buckets, their total (Σ buckets), unapplied cash and disputed."""
    figures = dict(zip(labels, by_bucket, strict=True))
    figures["total"] = sum(by_bucket, ZERO)  # Σ buckets = outstanding
    figures["unapplied_cash"], figures["disputed"] = unapplied, disputed
    return figures


def rendered(figures: dict[str, Decimal], currency: str) -> dict[str, str]:
    return {key: amount(value, currency) for key, value in figures.items()}


def aging_row(
    labels: Sequence[str], buckets: dict[str, Decimal], unapplied: Decimal, disputed: Decimal, currency: str
) -> dict[str, str]:
    return rendered(aging_figures(labels, [buckets[b] for b in labels], unapplied, disputed), currency)


@router.get("/v1/accounts/{account}/aging", responses={200: {"model": AccountAging, "description": "by bucket"}})
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
        currency = (await account_or_404(conn, account)).currency  # amounts at its minor unit
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
                "open_balance": amount(balance, currency),
                "disputed": amount(disputed, currency),
            }
        )
    row = aging_row(labels, by_bucket, aging.unapplied, aging.disputed, currency)
    return json_response({
        "as_of": as_of.isoformat(),
        "buckets": labels,
        "currency": currency,
        "rows": [{"account": account, "currency": currency, **row}],
        "totals": row,
        "items": listed,
    })


@router.get(
    "/v1/aging",
    response_model=None,
    responses={200: {"model": PortfolioAging, "description": "a page of accounts, the whole portfolio's totals"}},
)
async def portfolio_aging(
    request: Request,
    as_of: BusinessDate | None = None,
    buckets: Annotated[str | None, Query(pattern=BUCKETS_PATTERN)] = None,
    format: Literal["json", "csv"] = "json",
    limit: Annotated[int, Query(ge=1, le=5000), ASCII_DIGITS] = 500,
    cursor: str | None = None,
    currency: str | None = None,
    reporting_currency: str | None = None,
) -> Response:
    as_of = as_of or today(request)
    bounds = parse_buckets(buckets)
    labels = bucket_labels(bounds)
    after = _decode_account_cursor(cursor)
    kept_to = currency_filter(currency)
    page_size = None if format == "csv" else limit
    async with request.app.state.views.connect() as conn:
        accounts, more = await _accounts_page(conn, after, kept_to, page_size)
        rows = await _rows(conn, accounts, as_of, bounds, labels)
        sums = await queries.portfolio_aging(conn, as_of, bounds, kept_to)
        held = await queries.portfolio_currencies(conn, kept_to)
        currencies = await portfolio_currencies(request, conn, held, kept_to, reporting_currency, as_of)
    by_currency = {c: aging_figures(labels, *sums.get(c, _nothing(labels))) for c in currencies.held}
    groups = [{"currency": c, "totals": rendered(f, c)} for c, f in by_currency.items()]
    totals = None
    if currencies.currency is not None:  # in one currency, or converted into the reporting one
        keys = [*labels, *_AMOUNTS]
        totals = {k: currencies.rendered(currencies.total({c: f[k] for c, f in by_currency.items()})) for k in keys}
    if format == "csv":
        converted = totals if currencies.conversions is not None else None
        return _csv(as_of, labels, rows, groups, converted, currencies.currency)
    return json_response({
        "as_of": as_of.isoformat(),
        "buckets": labels,
        **currencies.body(),
        "rows": rows,
        "totals": totals,
        "by_currency": groups,
        "next_cursor": encode_key_cursor(accounts[-1].account) if more else None,
    })


async def _accounts_page(
    conn: AsyncConnection, after: str | None, kept_to: str | None, page_size: int | None
) -> tuple[list[Row[Any]], bool]:
    """(account, currency) of the page's accounts, by code, and whether more follow."""
    a = schema.accounts.c
    query = select(a.account, a.currency).order_by(a.account)
    if after:
        query = query.where(a.account > after)
    if kept_to is not None:
        query = query.where(a.currency == kept_to)
    if page_size is not None:
        query = query.limit(page_size + 1)
    accounts = list((await conn.execute(query)).all())
    if page_size is None or len(accounts) <= page_size:
        return accounts, False
    return accounts[:page_size], True


async def _rows(
    conn: AsyncConnection, accounts: list[Row[Any]], as_of: date, bounds: Sequence[int], labels: Sequence[str]
) -> list[dict[str, str]]:
    rows = []
    for start in range(0, len(accounts), 1000):
        chunk = accounts[start : start + 1000]
        aged = await queries.aging_by_account(conn, [a.account for a in chunk], as_of, bounds)
        for code, kept_in in chunk:
            figures = aging_figures(labels, *aged.get(code, _nothing(labels)))
            rows.append({"account": code, "currency": kept_in, **rendered(figures, kept_in)})
    return rows


def _nothing(labels: Sequence[str]) -> tuple[list[Decimal], Decimal, Decimal]:
    """The figures of an account (or a currency) with no lines yet."""
    return [ZERO] * len(labels), ZERO, ZERO


def _decode_account_cursor(cursor: str | None) -> str | None:
    key = decode_key_cursor(cursor, 1)
    return None if key is None else key[0]


# Beneath the accounts, a total line per currency, then (with a reporting currency) the converted one.
CONVERTED_TOTAL = "TOTAL CONVERTED"


def _csv(
    as_of: date,
    labels: Sequence[str],
    rows: list[dict[str, str]],
    groups: list[dict[str, Any]],
    converted: dict[str, str | None] | None,
    reporting: str | None,
) -> Response:
    figures = [*labels, *_AMOUNTS]  # the account code and the currency are text
    columns = ["account", "currency", *figures]
    lines = [*rows, *({"account": "TOTAL", "currency": g["currency"], **g["totals"]} for g in groups)]
    if converted is not None:
        lines.append({"account": CONVERTED_TOTAL, "currency": reporting, **converted})
    return csv_response(f"aging-{as_of.isoformat()}.csv", columns, ([r[c] for c in columns] for r in lines), figures)

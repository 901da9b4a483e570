"""One account as the credit manager sees it: its summary (figures, risk,
staleness) and its open items."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import Response

from o2c.api.contract.views import AccountSummary, OpenItems
from o2c.api.freshness import stale
from o2c.api.params import ASCII_DIGITS
from o2c.api.problems import unknown_account
from o2c.api.read_views import account_or_404, risk_body, today, views_router
from o2c.api.render import amount, decode_key_cursor, encode_key_cursor, json_response, not_a_cursor, percent
from o2c.domain.limits import ISO_DATE_TEXT
from o2c.projections import queries
from o2c.projections.units import from_units

router = views_router()


@router.get("/v1/accounts/{account}", responses={200: {"model": AccountSummary, "description": "its figures now"}})
async def account_summary(request: Request, account: str) -> Response:
    async with request.app.state.views.connect() as conn:
        row = await queries.account_with_overdue(conn, account, today(request))
        if row is None:
            raise unknown_account(account)
        collection = await queries.collection_row(conn, account)
        behind = await stale(conn, request, account)  # parked: its figures wait for a retry
    limit, exposure, currency = from_units(row.credit_limit), from_units(row.exposure), row.currency
    return json_response({
        "account": row.account,
        "name": row.name,
        "currency": currency,
        "credit_limit": amount(limit, currency),
        "outstanding": amount(from_units(row.outstanding), currency),
        "uninvoiced": amount(from_units(row.uninvoiced), currency),
        "unapplied_cash": amount(from_units(row.unapplied_cash), currency),
        "exposure": amount(exposure, currency),
        "headroom": amount(limit - exposure, currency),
        "utilization": percent(exposure / limit if limit else None),
        "overdue": amount(from_units(row.overdue_units), currency),
        "disputed": amount(from_units(row.disputed), currency),
        "risk": risk_body(row, collection),
        "insured_limit": amount(from_units(row.insured_limit), currency) if row.insured_limit is not None else None,
        "payment_terms_days": row.payment_terms_days,
        "position": row.position,
        "stale": behind,
    })


@router.get(
    "/v1/accounts/{account}/open-items",
    response_model=None,  # documented only: the body is written as is
    responses={200: {"model": OpenItems, "description": "a page of open invoices"}},
)
async def open_items(
    request: Request,
    account: str,
    limit: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    after = _decode_pair(cursor)
    on = today(request)
    async with request.app.state.views.connect() as conn:
        currency = (await account_or_404(conn, account)).currency
        rows = await queries.open_invoices(conn, account, after, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    return {
        "account": account,
        "currency": currency,
        "items": [
            {
                "invoice_id": r.invoice_id,
                "issue_date": r.issue_date.isoformat(),
                "due_date": r.due_date.isoformat(),
                "amount": amount(from_units(r.amount), currency),
                "open_balance": amount(from_units(r.open_balance), currency),
                "days_past_due": (on - r.due_date).days,
                "disputed": amount(from_units(r.disputed), currency),
            }
            for r in page
        ],
        "next_cursor": encode_key_cursor(page[-1].due_date.isoformat(), page[-1].invoice_id) if more else None,
    }


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

"""The alerts the projection raised (over limit, overdue, promise broken …):
open, cleared or all, by account, type and currency.

Each alert names the account's currency, the business date its condition started
(`effective_date`) beside when o2c recorded it (`raised_at`), and its amounts at
that currency's minor unit. An open `overdue` alert is read as of today: the
invoice's open amount, its days past due, and a severity that rises with both
(domain/overdue_severity.py); a cleared one keeps the severity it was raised with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from pydantic import AfterValidator
from sqlalchemy import select

from o2c.api.contract.alerts import AlertList
from o2c.api.params import ASCII_DIGITS
from o2c.api.portfolio_currencies import currency_filter
from o2c.api.read_views import today, views_router
from o2c.api.render import amount, decode_cursor, encode_cursor
from o2c.domain.alerts import ALERT_TYPES
from o2c.domain.overdue_severity import OverdueSeverity
from o2c.projections import schema
from o2c.projections.units import from_units

router = views_router()
A, ACC, INV = schema.alerts.c, schema.accounts.c, schema.invoices.c
# The amounts alerts keep in their details (balance conditions, a dispute's amount).
AMOUNT_DETAILS = ("exposure", "credit_limit", "insured_limit", "unapplied_cash", "amount")
_TYPES = ", ".join(sorted(ALERT_TYPES))


def _known_type(value: str | None) -> str | None:
    if value is not None and value not in ALERT_TYPES:
        raise ValueError(f"must be one of {_TYPES}")
    return value


# An unknown type is a mistake (422), not a filter nothing matches.
AlertType = Annotated[str | None, AfterValidator(_known_type), Query(description=f"one of {_TYPES}")]


@router.get("/v1/alerts", response_model=None,
            responses={200: {"model": AlertList, "description": "alerts by id, a page at a time"}})  # fmt: skip
async def list_alerts(
    request: Request,
    status: Literal["open", "cleared", "all"] = "open",
    account: str | None = None,
    type: AlertType = None,
    currency: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    kept_in = currency_filter(currency)
    query = (
        select(schema.alerts, ACC.currency, INV.open_balance)
        .join_from(schema.alerts, schema.accounts, ACC.account == A.account, isouter=True)
        .join(schema.invoices, (A.type == "overdue") & (INV.account == A.account) & (INV.invoice_id == A.subject),
              isouter=True)
        .order_by(A.id)
        .limit(limit + 1)
    )  # fmt: skip
    if status == "open":
        query = query.where(A.cleared_at.is_(None))
    elif status == "cleared":
        query = query.where(A.cleared_at.is_not(None))
    if account is not None:
        query = query.where(A.account == account)
    if type is not None:
        query = query.where(A.type == type)
    if kept_in is not None:
        query = query.where(ACC.currency == kept_in)
    after = decode_cursor(cursor)
    if after:
        query = query.where(A.id > after)
    async with request.app.state.views.connect() as conn:
        rows = (await conn.execute(query)).all()
    page, on, severity = rows[:limit], today(request), request.app.state.settings.overdue_severity
    return {
        "alerts": [_alert(r, on, severity) for r in page],
        "next_cursor": encode_cursor(page[-1].id) if len(rows) > limit else None,
    }


def _alert(r: Any, on: date, severity: OverdueSeverity) -> dict[str, Any]:
    details = {k: _amount(v, r.currency) if k in AMOUNT_DETAILS else v for k, v in r.details.items()}
    level = r.severity
    if r.type == "overdue":
        open_amount = None if r.open_balance is None else from_units(r.open_balance)
        details["open_amount"] = None if open_amount is None else _amount(str(open_amount), r.currency)
        # Read as of today while it holds: the day after the due date is its first day past due.
        details["days_past_due"] = None if r.cleared_at is not None else (on - r.effective_date).days + 1
        if r.cleared_at is None:
            level = severity.of(details["days_past_due"], open_amount, r.currency)
    return {
        "id": r.id,
        "account": r.account,
        "currency": r.currency,
        "type": r.type,
        "subject": r.subject,
        "severity": level,
        "effective_date": r.effective_date.isoformat(),
        "raised_at": _moment(r.raised_at),
        "cleared_at": _moment(r.cleared_at),
        "details": details,
    }


def _amount(value: Any, currency: str | None) -> Any:
    """An amount at its currency's minor unit (alerts kept before amounts were written so too)."""
    try:
        return value if currency is None else amount(Decimal(value), currency)
    except (InvalidOperation, TypeError, ValueError):
        return value


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()

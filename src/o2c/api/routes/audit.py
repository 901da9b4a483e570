"""The auditors' views: an account's recorded history, and the account
rebuilt as it was known at a moment (`known_at`), valued at a business date
(`as_of`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from o2c.api.auth import require
from o2c.api.contract.audit import AccountState, History
from o2c.api.params import ASCII_DIGITS, BusinessDate
from o2c.api.problems import Problem, field_error, unknown_account
from o2c.api.render import amount, decode_cursor, encode_cursor, percent, plain
from o2c.domain.account import RESERVED_PREFIX, CustomerAccount
from o2c.domain.errors import Invalid
from o2c.domain.limits import FIRST_BUSINESS_DATE, LAST_BUSINESS_DATE, check_business_date
from o2c.domain.valuation import position
from o2c.ledger.application import Ledger

router = APIRouter(dependencies=[Depends(require("audit"))])

# Event attributes that are the store's, not the ERP's data.
_NOT_DATA = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic", "event_id", "account"})


def history_entry(position_: int, event: Any) -> dict[str, Any]:
    return {
        "position": position_,
        "event_id": event.event_id,
        "type": type(event).__name__,
        "data": {k: plain(v) for k, v in vars(event).items() if k not in _NOT_DATA},
        "recorded_at": event.timestamp.isoformat(),
    }


def customer_code(code: str) -> str:
    """o2c's own aggregates (scenarios, budgets, rates) share the event store with the
    accounts, under a prefix no account code takes: to these routes they do not exist."""
    if code.startswith(RESERVED_PREFIX):
        raise unknown_account(code)
    return code


@router.get(
    "/v1/accounts/{account}/history",
    response_model=None,  # documented only: the body is written as is
    responses={200: {"model": History, "description": "a page of recorded facts"}},
)
async def history(
    request: Request,
    account: str,
    limit: Annotated[int, Query(ge=1, le=1000), ASCII_DIGITS] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    ledger: Ledger = request.app.state.ledger
    after = decode_cursor(cursor)
    entries = await run_in_threadpool(ledger.history, customer_code(account), after, limit + 1)
    if not entries and after == 0:
        raise unknown_account(account)
    page = entries[:limit]
    more = len(entries) > limit
    return {
        "account": account,
        "events": [history_entry(p, e) for p, e in page],
        "next_cursor": encode_cursor(page[-1][1].originator_version) if more else None,
    }


def parse_known_at(value: str | None) -> datetime | None:
    """An ISO timestamp (naive means UTC), or a date: the end of that UTC day."""
    if value is None:
        return None
    try:
        if not value.isascii():
            raise ValueError(value)
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time.max, UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # Inside the business-date window, a moment and its UTC offset stay far from the calendar's ends.
        check_business_date("known_at", moment.date())
    except (ValueError, Invalid):
        rule = f"must be an ISO date or timestamp from {FIRST_BUSINESS_DATE} to {LAST_BUSINESS_DATE}"
        raise Problem(422, "validation", f"known_at {rule}", [field_error("known_at", rule)]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def account_state(account: CustomerAccount, as_of: date | None, today: date) -> dict[str, Any]:
    p = position(account, as_of, today)

    def shown(value: Decimal) -> str:  # at the currency's minor unit: "1200" yen, "1.234" dinars
        return amount(value, account.currency)

    return {
        "account": account.id,
        "name": account.name,
        "currency": account.currency,
        "version": account.version,
        "as_of": as_of.isoformat() if as_of else None,
        "credit_limit": shown(p.credit_limit),
        "insured_limit": shown(account.insured_limit) if account.insured_limit is not None else None,
        "payment_terms_days": account.payment_terms_days,
        "risk_class": account.risk_class,
        "rating": plain(account.rating),
        "outstanding": shown(p.outstanding),
        "uninvoiced": shown(p.uninvoiced),
        "unapplied_cash": shown(p.unapplied_cash),
        "exposure": shown(p.exposure),
        "headroom": shown(p.headroom),
        "utilization": percent(p.utilization),
        "overdue": shown(p.overdue),
        "disputed": shown(p.disputed),
        "open_invoices": [
            {
                "invoice_id": item.invoice_id,
                "issue_date": item.issue_date.isoformat(),
                "due_date": item.due_date.isoformat(),
                "amount": shown(item.amount),
                "open_balance": shown(item.open_balance),
                "days_past_due": item.days_past_due,
                "disputed": shown(item.disputed),
            }
            for item in p.open_items
        ],
        "collections": collections_state(account, as_of),
    }


def collections_state(account: CustomerAccount, as_of: date | None) -> dict[str, Any]:
    """What collectors had recorded (dated by `as_of`, when given) and the scenario assigned."""

    def counts(day: date) -> bool:
        return as_of is None or day <= as_of

    return {
        "scenario": account.scenario,
        "dunning_steps": [plain(step) for step in account.dunning_steps if counts(step.step_date)],
        "promises": [plain(promise) for promise in account.promises.values() if counts(promise.made_date)],
        "plans": [plain(plan) for plan in account.plans.values() if counts(plan.agreed_date)],
    }


@router.get(
    "/v1/accounts/{account}/state",
    response_model=None,
    responses={200: {"model": AccountState, "description": "the account as known at `known_at`"}},
)
async def state(
    request: Request,
    account: str,
    as_of: BusinessDate | None = None,
    known_at: str | None = None,
) -> dict[str, Any]:
    ledger: Ledger = request.app.state.ledger
    moment = parse_known_at(known_at)
    rebuilt = await run_in_threadpool(ledger.stored_account, customer_code(account), moment)
    if rebuilt is None:
        raise unknown_account(account)
    body = account_state(rebuilt, as_of, ledger.clock().date())
    body["known_at"] = moment.isoformat() if moment else None
    return body

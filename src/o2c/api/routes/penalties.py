"""Late-payment penalties of one account (SPEC: "Late-payment penalties"):
the account is rebuilt from its stored history, so the figures are the
ledger's own, as fresh as the last recorded fact; the recovery indemnity of an
account not kept in EUR is converted at the rates the read model holds
(`X-O2C-After` waits for rates just recorded). Conventions (days late, the day
of payment, rounding, currencies, disputes) are in `o2c.domain.penalties`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from o2c.api.auth import require
from o2c.api.contract.collections import Penalties
from o2c.api.freshness import wait_for_position
from o2c.api.params import BusinessDate
from o2c.api.problems import answers, unknown_account
from o2c.api.render import amount, money
from o2c.api.reporting import rate_text
from o2c.api.routes.audit import customer_code
from o2c.domain.indemnity import LAW_CURRENCY, Indemnity
from o2c.domain.penalties import InterestPeriod, InvoicePenalty, PenaltyTerms, account_penalties
from o2c.ledger.application import Ledger
from o2c.projections.fx import rate_book

router = APIRouter(dependencies=[Depends(require("read")), Depends(wait_for_position)], responses=answers(504))


def period_entry(p: InterestPeriod, currency: str) -> dict[str, Any]:
    return {
        "from": p.start.isoformat(),
        "to": p.end.isoformat(),
        "days": p.days,
        "amount": amount(p.amount, currency),
        "reference_rate": str(p.reference_rate),
        "rate": str(p.rate),
        "interest": amount(p.interest, currency),
    }


def indemnity_basis(basis: Indemnity | None) -> dict[str, Any] | None:
    """How the indemnity was found: the law's EUR, converted (at which rate), configured, or none (why)."""
    if basis is None:
        return None
    conversion = basis.conversion
    return {
        "source": basis.source,
        "rate": None if conversion is None else rate_text(conversion.rate),
        "rate_date": None if conversion is None or conversion.rate_date is None else conversion.rate_date.isoformat(),
        "note": basis.note,
    }


def invoice_entry(p: InvoicePenalty, currency: str) -> dict[str, Any]:
    known = p.indemnity_basis is None or p.indemnity_basis.amount is not None
    return {
        "invoice_id": p.invoice_id,
        "due_date": p.due_date.isoformat(),
        "settled_date": p.settled_date.isoformat() if p.settled_date else None,
        "days_late": p.days_late,
        "indemnity": amount(p.indemnity, currency) if known else None,
        "indemnity_basis": indemnity_basis(p.indemnity_basis),
        "interest": amount(p.interest, currency),
        "total": amount(p.total, currency),
        "periods": [period_entry(x, currency) for x in p.periods],
    }


@router.get(
    "/v1/accounts/{account}/penalties",
    response_model=None,
    responses={200: {"model": Penalties, "description": "indemnity and interest of each late invoice"}},
)
async def penalties(request: Request, account: str, as_of: BusinessDate | None = None) -> dict[str, Any]:
    ledger: Ledger = request.app.state.ledger
    terms: PenaltyTerms = request.app.state.settings.penalty_terms
    as_of = as_of or ledger.clock().date()
    # A replay of one account is cheap, and gives every settlement its own business date.
    rebuilt = await run_in_threadpool(ledger.stored_account, customer_code(account))
    if rebuilt is None:
        raise unknown_account(account)
    currency = rebuilt.currency
    rates = None
    if currency != LAW_CURRENCY:
        async with request.app.state.views.connect() as conn:
            rates = await rate_book(conn)
    report = account_penalties(
        rebuilt.invoices.values(), as_of, terms, currency=currency, payments=rebuilt.payments, rates=rates
    )
    return {
        "account": rebuilt.id,
        "currency": currency,
        "as_of": as_of.isoformat(),
        "reference_rates": [{"from": d.isoformat(), "rate": str(r)} for d, r in terms.reference_rates],
        "margin_points": str(terms.margin_points),
        # The law's amount, in EUR; each invoice says what it is in the account's currency.
        "indemnity_per_invoice": money(terms.indemnity),
        "indemnity_currency": LAW_CURRENCY,
        "indemnity_configured": (
            amount(terms.indemnities[currency], currency) if currency in terms.indemnities else None
        ),
        "invoices": [invoice_entry(p, currency) for p in report.invoices],
        "totals": {
            "indemnity": amount(report.indemnity, currency),
            "interest": amount(report.interest, currency),
            "total": amount(report.total, currency),
        },
    }

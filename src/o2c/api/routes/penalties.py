"""Late-payment penalties of one account (SPEC: "Late-payment penalties"):
the account is rebuilt from its stored history, so the figures are the
ledger's own, as fresh as the last recorded fact. Conventions (days late,
rounding, currencies, disputes) are in `o2c.domain.penalties`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from o2c.api.auth import require
from o2c.api.params import BusinessDate
from o2c.api.render import money
from o2c.api.routes.audit import customer_code, unknown_account
from o2c.domain.penalties import InterestPeriod, InvoicePenalty, PenaltyTerms, account_penalties
from o2c.ledger.application import Ledger

router = APIRouter(dependencies=[Depends(require("read"))])


def period_entry(p: InterestPeriod) -> dict[str, Any]:
    return {
        "from": p.start.isoformat(),
        "to": p.end.isoformat(),
        "days": p.days,
        "amount": money(p.amount),
        "reference_rate": str(p.reference_rate),
        "rate": str(p.rate),
        "interest": money(p.interest),
    }


def invoice_entry(p: InvoicePenalty) -> dict[str, Any]:
    return {
        "invoice_id": p.invoice_id,
        "due_date": p.due_date.isoformat(),
        "settled_date": p.settled_date.isoformat() if p.settled_date else None,
        "days_late": p.days_late,
        "indemnity": money(p.indemnity),
        "interest": money(p.interest),
        "total": money(p.total),
        "periods": [period_entry(x) for x in p.periods],
    }


@router.get("/v1/accounts/{account}/penalties")
async def penalties(request: Request, account: str, as_of: BusinessDate | None = None) -> dict[str, Any]:
    ledger: Ledger = request.app.state.ledger
    terms: PenaltyTerms = request.app.state.settings.penalty_terms
    as_of = as_of or ledger.clock().date()
    # A replay of one account is cheap, and gives every settlement its own business date.
    rebuilt = await run_in_threadpool(ledger.stored_account, customer_code(account))
    if rebuilt is None:
        raise unknown_account(account)
    report = account_penalties(rebuilt.invoices.values(), as_of, terms)
    return {
        "account": rebuilt.id,
        "currency": rebuilt.currency,
        "as_of": as_of.isoformat(),
        "reference_rates": [{"from": d.isoformat(), "rate": str(r)} for d, r in terms.reference_rates],
        "margin_points": str(terms.margin_points),
        "indemnity_per_invoice": money(terms.indemnity),
        "invoices": [invoice_entry(p) for p in report.invoices],
        "totals": {
            "indemnity": money(report.indemnity),
            "interest": money(report.interest),
            "total": money(report.total),
        },
    }

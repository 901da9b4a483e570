"""The credit decision on a new order: approve, or hold with the reasons
(headroom exceeded, invoices too long past due, risk class E, formal notice).
Days past due count from the oldest due date with something past due today by
the due dates in force: a payment plan's installments while it holds (SPEC)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict

from o2c.api.contract.views import CreditDecision
from o2c.api.params import AccountCode
from o2c.api.problems import Problem, field_error, violation_problem
from o2c.api.read_views import account_or_404, risk_body, today, views_router
from o2c.api.render import amount
from o2c.api.schemas import Amount
from o2c.domain.errors import Invalid
from o2c.domain.money import check_amount
from o2c.projections import queries
from o2c.projections.overdue_today import NOTHING, overdue_by_account
from o2c.projections.units import from_units

router = views_router()


class CreditCheck(BaseModel):
    model_config = ConfigDict(extra="ignore")
    account: AccountCode
    amount: Amount


@router.post(
    "/v1/credit-check",
    response_model=None,  # documented only: the body is written as is
    responses={200: {"model": CreditDecision, "description": "approve, or hold with the reasons"}},
)
async def credit_check(request: Request, check: CreditCheck) -> dict[str, Any]:
    if check.amount <= 0:
        raise Problem(422, "validation", "amount must be positive", [field_error("amount", "must be positive")])
    settings = request.app.state.settings
    on = today(request)
    async with request.app.state.views.connect() as conn:
        row = await account_or_404(conn, check.account)
        overdue, _ = await overdue_by_account(conn, on, check.account)
        collection = await queries.collection_row(conn, check.account)
    currency = row.currency
    try:  # an order is in the account's currency, at most its minor unit: "100.5" is no yen amount
        ordered = check_amount("amount", check.amount, currency)
    except Invalid as e:
        raise violation_problem(e) from None
    limit, exp = from_units(row.credit_limit), from_units(row.exposure)
    headroom = limit - exp
    reasons = []
    if ordered > headroom:
        reasons.append("headroom_exceeded")
    oldest_past_due = overdue.get(check.account, NOTHING).since
    if oldest_past_due is not None and (on - oldest_past_due).days > settings.hold_days_past_due:
        reasons.append(f"past_due_over_{settings.hold_days_past_due}_days")
    if risk_body(row, collection)["class"] == "E":
        reasons.append("risk_class_E")
    if collection is not None and collection.formal_notice_open:
        reasons.append("formal_notice_open")
    return {
        "account": check.account,
        "currency": currency,
        "amount": amount(ordered, currency),
        "decision": "hold" if reasons else "approve",
        "exposure": amount(exp, currency),
        "credit_limit": amount(limit, currency),
        "headroom_after": amount(headroom - ordered, currency),
        "reasons": reasons,
    }

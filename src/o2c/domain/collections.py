"""What collectors record on an account: dunning steps taken, promises to pay
and payment plans; and, as pure functions of the account's items, whether a
promise or a plan is still being kept on a business date."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from o2c.domain.items import Invoice
from o2c.domain.money import ZERO

CHANNELS = ("email", "phone", "sms", "letter")


@dataclass(frozen=True)
class DunningStep:
    """A reminder made about some invoices, on a business date."""

    step: str  # the scenario step's action, e.g. "reminder", "formal_notice"
    channel: str
    invoice_ids: tuple[str, ...]
    step_date: date
    note: str | None = None


@dataclass(frozen=True)
class Promise:
    promise_id: str
    amount: Decimal
    promised_date: date
    invoice_ids: tuple[str, ...]
    made_date: date  # when the customer promised: the pause runs from here


@dataclass(frozen=True)
class Installment:
    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class PaymentPlan:
    plan_id: str
    invoice_ids: tuple[str, ...]
    installments: tuple[Installment, ...]
    agreed_date: date


# Facts that can change whether a promise or a plan holds: the commitments
# themselves, and what settles their invoices.
MOVE_COMMITMENTS = frozenset(
    {"PromiseToPay", "PaymentPlanAgreed", "PaymentReceived", "PaymentAllocated", "CreditNoteIssued", "DisputeResolved"}
)


def cash_received(invoices: Iterable[Invoice], payments: Mapping[str, object], since: date, until: date) -> Decimal:
    """Cash (payments, not credits) applied to these invoices in [since, until]."""
    return sum(
        (
            m.amount
            for invoice in invoices
            for m in invoice.settlements
            if m.source in payments and since <= m.effective <= until
        ),
        ZERO,
    )


def all_settled(invoices: Iterable[Invoice], on: date) -> bool:
    return all(invoice.open_balance_on(on) == 0 for invoice in invoices)


def promise_broken_on(promise: Promise, invoices: list[Invoice], payments: Mapping[str, object]) -> date | None:
    """The day after the promised date, when the promised cash had not come by
    then (and the invoices were not settled otherwise); None if it was kept."""
    if all_settled(invoices, promise.promised_date):
        return None
    if cash_received(invoices, payments, promise.made_date, promise.promised_date) >= promise.amount:
        return None
    return promise.promised_date + timedelta(days=1)


def promise_pauses(promise: Promise, on: date) -> bool:
    """A promise pauses dunning of its invoices from when it is made until its date."""
    return promise.made_date <= on <= promise.promised_date


def plan_broken_on(plan: PaymentPlan, invoices: list[Invoice], payments: Mapping[str, object]) -> date | None:
    """The day after the first installment whose cumulative amount had not been
    paid by its due date; None while every installment is met."""
    due = ZERO
    for installment in plan.installments:
        due += installment.amount
        if all_settled(invoices, installment.due_date):
            return None
        if cash_received(invoices, payments, plan.agreed_date, installment.due_date) < due:
            return installment.due_date + timedelta(days=1)
    return None


def plan_covers(plan: PaymentPlan, broken_on: date | None, on: date) -> bool:
    """A plan takes its invoices out of dunning from its agreement until it is broken."""
    return plan.agreed_date <= on and (broken_on is None or on < broken_on)

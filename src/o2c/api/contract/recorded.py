"""Each fact's `data` as the ledger recorded it (the audit's history): the fields
of the fact's event, amounts at the account's minor unit, dates ISO, what the
ERP left out filled in (an order's `cancelled_date`, a step's `step_date`…)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from o2c.api.contract.figures import DECIMAL, Amount, Answer, CurrencyCode
from o2c.api.contract.views import CustomerName, InvoiceId

Ids = list[InvoiceId]


class RecordedAllocation(Answer):
    invoice_id: InvoiceId
    amount: Amount


class RecordedAccountOpened(Answer):
    name: CustomerName
    currency: CurrencyCode
    credit_limit: Amount
    payment_terms_days: int
    insured_limit: Amount | None
    risk_class: Literal["A", "B", "C", "D", "E"] | None


class RecordedLimitChanged(Answer):
    credit_limit: Amount
    reason: str | None
    insured_limit: Amount | None


class RecordedOrderPlaced(Answer):
    order_id: str
    amount: Amount
    order_date: date


class RecordedOrderCancelled(Answer):
    order_id: str
    cancelled_date: date = Field(description="as posted, else the UTC day it was recorded")


class RecordedInvoiceIssued(Answer):
    invoice_id: InvoiceId
    amount: Amount
    issue_date: date
    due_date: date
    order_id: str | None


class RecordedPaymentReceived(Answer):
    payment_id: str
    amount: Amount
    received_date: date
    allocations: list[RecordedAllocation]


class RecordedPaymentAllocated(Answer):
    payment_id: str
    allocation_date: date
    allocations: list[RecordedAllocation]


class RecordedCreditNoteIssued(Answer):
    credit_note_id: str
    invoice_id: InvoiceId
    amount: Amount
    issue_date: date


class RecordedDisputeOpened(Answer):
    dispute_id: str
    invoice_id: InvoiceId
    amount: Amount
    reason: str
    opened_date: date


class RecordedDisputeResolved(Answer):
    dispute_id: str
    outcome: Literal["upheld", "rejected", "withdrawn"]
    resolved_date: date
    credited_amount: Amount = Field(description="what the invoice was credited: 0 unless upheld")


class RecordedRatingChanged(Answer):
    agency: str
    score: str = Field(pattern=DECIMAL, description="a decimal string, as posted (a JSON number too)")
    rating: str | None


class RecordedDunningStepRecorded(Answer):
    step: str = Field(description="the scenario step's action")
    channel: str
    invoice_ids: Ids
    step_date: date = Field(description="as posted, else the UTC day it was recorded")
    note: str | None


class RecordedPromiseToPay(Answer):
    promise_id: str
    amount: Amount
    promised_date: date
    invoice_ids: Ids
    promise_date: date = Field(description="when the customer promised (as posted, else the day recorded)")


Installment = Annotated[tuple[date, Amount], Field(description="[due_date, amount]")]


class RecordedPaymentPlanAgreed(Answer):
    plan_id: str
    invoice_ids: Ids
    installments: list[Installment] = Field(description="each as [due_date, amount], in date order")
    agreed_date: date = Field(description="as posted, else the UTC day it was recorded")


class RecordedRiskClassChanged(Answer):
    risk_class: Literal["A", "B", "C", "D", "E"]
    reason: str


class RecordedScenarioAssigned(Answer):
    scenario: str | None = Field(description="null: follow the risk class's scenario again")


RECORDED: dict[str, type[Answer]] = {
    model.__name__.removeprefix("Recorded"): model
    for model in (
        RecordedAccountOpened, RecordedLimitChanged, RecordedOrderPlaced, RecordedOrderCancelled,
        RecordedInvoiceIssued, RecordedPaymentReceived, RecordedPaymentAllocated, RecordedCreditNoteIssued,
        RecordedDisputeOpened, RecordedDisputeResolved, RecordedRatingChanged, RecordedDunningStepRecorded,
        RecordedPromiseToPay, RecordedPaymentPlanAgreed, RecordedRiskClassChanged, RecordedScenarioAssigned,
    )
}  # fmt: skip

"""The facts an ERP posts, by type, and the account method that records each."""

from __future__ import annotations

OPENING_FACT = "AccountOpened"

# type -> CustomerAccount method; AccountOpened creates the account instead.
RECORDED_BY: dict[str, str] = {
    "LimitChanged": "change_limit",
    "OrderPlaced": "place_order",
    "OrderCancelled": "cancel_order",
    "InvoiceIssued": "issue_invoice",
    "PaymentReceived": "receive_payment",
    "PaymentAllocated": "allocate_payment",
    "CreditNoteIssued": "issue_credit_note",
    "DisputeOpened": "open_dispute",
    "DisputeResolved": "resolve_dispute",
    "RatingChanged": "change_rating",
    "DunningStepRecorded": "record_dunning_step",
    "PromiseToPay": "promise_to_pay",
    "PaymentPlanAgreed": "agree_payment_plan",
    "RiskClassChanged": "change_risk_class",
    "ScenarioAssigned": "assign_scenario",
}

# A fact posted without its business date takes the UTC day it is recorded.
DATED_ON_RECORDING: dict[str, str] = {
    "OrderCancelled": "cancelled_date",
    "DunningStepRecorded": "step_date",
    "PromiseToPay": "promise_date",
    "PaymentPlanAgreed": "agreed_date",
}

COLLECTION_FACTS = ("DunningStepRecorded", "PromiseToPay", "PaymentPlanAgreed", "RiskClassChanged", "ScenarioAssigned")
FACT_TYPES = (OPENING_FACT, *RECORDED_BY)
LEDGER_FACTS = tuple(fact for fact in FACT_TYPES if fact not in COLLECTION_FACTS)

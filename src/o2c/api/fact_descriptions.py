"""SPEC's words for the facts an ERP posts, as the OpenAPI shows them (api/schemas.py
applies them to the models that validate, so the fields described are those read)."""

from __future__ import annotations

FACT_DESCRIPTIONS = {
    "AccountOpened": "Creates the account; its currency is fixed from then on.",
    "LimitChanged": "A new credit limit.",
    "OrderPlaced": "Adds to the uninvoiced orders (beyond the limit it is recorded and raises an alert).",
    "OrderCancelled": "Removes what is left of the order.",
    "InvoiceIssued": "Opens a receivable; consumes the order's uninvoiced amount (up to what is left).",
    "PaymentReceived": "Settles invoices; the unallocated rest is unapplied cash.",
    "PaymentAllocated": "Applies unapplied cash later.",
    "CreditNoteIssued": "Reduces an invoice's open balance.",
    "DisputeOpened": "Marks part of an invoice disputed.",
    "DisputeResolved": "Closes a dispute; `upheld` credits the invoice on resolved_date.",
    "RatingChanged": "External risk information.",
    "DunningStepRecorded": "A reminder was made.",
    "PromiseToPay": "Pauses dunning of the invoices until promised_date; a missed promise raises `promise_broken`.",
    "PaymentPlanAgreed": "Replaces the invoices' due schedule for dunning and overdue.",
    "RiskClassChanged": "Manual override of the computed risk class.",
    "ScenarioAssigned": "The dunning scenario the account follows.",
}

# One meaning per field name, whichever fact carries it.
FIELD_DESCRIPTIONS = {
    "name": "the customer's name",
    "currency": "ISO 4217; fixed at opening, and when another fact states it, it must be the account's",
    "credit_limit": "the credit limit, in the account's currency (may be 0)",
    "payment_terms_days": "the customer's payment terms, in days",
    "insured_limit": "what the credit insurer covers (may be 0)",
    "risk_class": "a risk class, A (best) to E; overrides the computed one",
    "reason": "why, in words",
    "order_id": "the ERP's order number, unique within the account",
    "invoice_id": "the ERP's invoice number (unique within the account when issued)",
    "payment_id": "the ERP's payment id, unique within the account",
    "credit_note_id": "the ERP's credit note number, unique within the account",
    "dispute_id": "the ERP's dispute id, unique within the account",
    "promise_id": "the promise's id, unique within the account",
    "plan_id": "the payment plan's id, unique within the account",
    "allocations": "the invoices it settles and how much of each (the rest is unapplied cash)",
    "outcome": "`upheld` (credits the invoice), `rejected` or `withdrawn`",
    "credited_amount": "upheld only: the credit, by default the disputed amount",
    "agency": "the rating agency",
    "score": "on the agency's scale; a lower score than the last raises an alert",
    "rating": "the agency's grade, as it writes it",
    "step": "the scenario's action taken (`formal_notice` is the formal notice)",
    "channel": "`email`, `phone`, `sms` or `letter`",
    "invoice_ids": "the invoices it concerns",
    "note": "what was said or sent",
    "installments": "the new due schedule of the invoices, in order",
    "scenario": "a shipped (`gentle`, `standard`, `firm`) or stored dunning scenario; null: the risk class's",
    **{f"{kind}_date": f"a business date, YYYY-MM-DD: {what}" for kind, what in (
        ("order", "the order's"), ("issue", "the day it was issued"), ("due", "the day it is due"),
        ("received", "the day the cash came in"), ("allocation", "the day the cash was applied"),
        ("cancelled", "the cancellation's (default: the day recorded)"), ("opened", "the dispute's"),
        ("resolved", "the resolution's (an upheld dispute credits the invoice on it)"),
        ("promised", "the day the customer promised to pay by"),
        ("promise", "the promise's (default: the day recorded)"),
        ("agreed", "the plan's (default: the day recorded)"), ("step", "the step's (default: the day recorded)"))},
}  # fmt: skip

# One fact of each type, on one account, in an order the ledger records them in (a test posts
# them as one batch): the OpenAPI's examples.
_A = "C-1001"
FACT_EXAMPLES: dict[str, dict[str, object]] = {
    "AccountOpened": {"name": "Acme SA", "currency": "EUR", "credit_limit": "50000.00", "payment_terms_days": 30,
                      "insured_limit": "40000.00", "risk_class": "B"},
    "LimitChanged": {"credit_limit": "60000.00", "reason": "annual review"},
    "OrderPlaced": {"order_id": "SO-88", "amount": "1200.00", "order_date": "2026-02-25"},
    "InvoiceIssued": {"invoice_id": "F-2026-0042", "amount": "1200.00", "issue_date": "2026-03-01",
                      "due_date": "2026-03-31", "order_id": "SO-88"},
    "OrderCancelled": {"order_id": "SO-88", "cancelled_date": "2026-03-02"},
    "PaymentReceived": {"payment_id": "PAY-311", "amount": "700.00", "received_date": "2026-03-10",
                        "allocations": [{"invoice_id": "F-2026-0042", "amount": "500.00"}]},
    "PaymentAllocated": {"payment_id": "PAY-311", "allocation_date": "2026-03-12",
                         "allocations": [{"invoice_id": "F-2026-0042", "amount": "200.00"}]},
    "CreditNoteIssued": {"credit_note_id": "CN-7", "invoice_id": "F-2026-0042", "amount": "50.00",
                         "issue_date": "2026-03-14"},
    "DisputeOpened": {"dispute_id": "D-3", "invoice_id": "F-2026-0042", "amount": "100.00",
                      "reason": "two items damaged", "opened_date": "2026-03-15"},
    "DisputeResolved": {"dispute_id": "D-3", "outcome": "upheld", "resolved_date": "2026-03-20",
                        "credited_amount": "80.00"},
    "RatingChanged": {"agency": "Creditsafe", "score": "72", "rating": "B+"},
    "DunningStepRecorded": {"step": "reminder", "channel": "email", "invoice_ids": ["F-2026-0042"],
                            "note": "first reminder sent", "step_date": "2026-04-03"},
    "PromiseToPay": {"promise_id": "PR-1", "amount": "150.00", "promised_date": "2026-04-15",
                     "invoice_ids": ["F-2026-0042"], "promise_date": "2026-04-04"},
    "PaymentPlanAgreed": {"plan_id": "PL-1", "invoice_ids": ["F-2026-0042"], "agreed_date": "2026-04-20",
                          "installments": [{"due_date": "2026-05-15", "amount": "150.00"},
                                           {"due_date": "2026-06-15", "amount": "120.00"}]},
    "RiskClassChanged": {"risk_class": "C", "reason": "payment plan agreed"},
    "ScenarioAssigned": {"scenario": "firm"},
}  # fmt: skip

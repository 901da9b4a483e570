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
}

FACT_TYPES = (OPENING_FACT, *RECORDED_BY)

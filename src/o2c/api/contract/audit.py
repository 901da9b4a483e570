"""The auditors' views as the OpenAPI documents them: an account's recorded
history (each entry's `data` by its `type`), and the account rebuilt as known at
a moment, valued at a business date."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, Union

from pydantic import Field, create_model

from o2c.api.contract.figures import Amount, Answer, Cursor, Moment, OneDecimal
from o2c.api.contract.recorded import RECORDED
from o2c.api.contract.views import AccountCode, AsOf, CustomerName, InvoiceId, Kept, OpenItem, Rating, RiskClass


class Entry(Answer):
    position: int = Field(description="in the ledger's global log")
    event_id: str = Field(description="the ERP's id of the fact (its idempotency key)")
    recorded_at: Moment = Field(description="when o2c stored it")


def _entry(fact: str, data: type[Answer]) -> Any:
    """The entry of one fact type: `type` names it, `data` is as that type records it."""
    kind = Field(description="the fact's type: says what `data` holds")
    return create_model(f"{fact}Entry", __base__=Entry, type=(Literal[fact], kind), data=(data, ...))  # type: ignore[arg-type]


_ENTRIES = [_entry(fact, data) for fact, data in RECORDED.items()]
HistoryEntry = Annotated[Union[tuple(_ENTRIES)], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007


class History(Answer):
    account: AccountCode
    events: list[HistoryEntry] = Field(description="every recorded fact, in log order")  # type: ignore[valid-type]
    next_cursor: Cursor


class DunningStep(Answer):
    step: str = Field(description="the scenario step's action")
    channel: str
    invoice_ids: list[InvoiceId]
    step_date: date
    note: str | None


class Promise(Answer):
    promise_id: str
    amount: Amount
    promised_date: date
    invoice_ids: list[InvoiceId]
    made_date: date = Field(description="when the customer promised")


class Installment(Answer):
    due_date: date
    amount: Amount


class Plan(Answer):
    plan_id: str
    invoice_ids: list[InvoiceId]
    installments: list[Installment]
    agreed_date: date


class CollectionsState(Answer):
    """What collectors had recorded (dated by `as_of`, when given)."""

    scenario: str | None = Field(description="the scenario assigned; null: the risk class's")
    dunning_steps: list[DunningStep]
    promises: list[Promise]
    plans: list[Plan]


class AccountState(Answer):
    account: AccountCode
    name: CustomerName
    currency: Kept
    version: int = Field(description="the account's version as known at `known_at`")
    as_of: AsOf | None = Field(description="the business date valued at; null: every fact, past due to today")
    known_at: Moment | None = Field(description="the moment the ledger was read as of; null: now")
    credit_limit: Amount
    insured_limit: Amount | None
    payment_terms_days: int
    risk_class: RiskClass | None = Field(description="set by a credit manager (opening or RiskClassChanged)")
    rating: Rating | None
    outstanding: Amount
    uninvoiced: Amount
    unapplied_cash: Amount
    exposure: Amount
    headroom: Amount
    utilization: OneDecimal | None
    overdue: Amount
    disputed: Amount
    open_invoices: list[OpenItem] = Field(description="open at `as_of`, days past due counted to it")
    collections: CollectionsState

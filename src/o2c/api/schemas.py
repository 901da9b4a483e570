"""The shape of what ERPs post: one pydantic model per fact type's `data`.

Types are strict as SPEC says: amounts are decimal strings (never JSON
numbers), dates are ISO `YYYY-MM-DD` strings. Fields SPEC does not name are
ignored. Rules of the trade (positive amounts, references, balances) are the
domain's to check, not these models'.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr

from o2c.domain.items import Allocation

_DECIMAL = re.compile(r"-?\d{1,18}(\.\d{1,8})?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _decimal_string(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError('must be a decimal string such as "1200.00", not a JSON number')
    if not _DECIMAL.fullmatch(value):
        raise ValueError(f'"{value}" is not a decimal amount such as "1200.00"')
    return Decimal(value)


def _iso_date(value: Any) -> date:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f'"{value}" is not a valid calendar date') from None


def _score(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("must be a number or a decimal string")
    if isinstance(value, int | float):
        value = str(value)
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError):
        raise ValueError("must be a number or a decimal string") from None


Amount = Annotated[Decimal, BeforeValidator(_decimal_string)]
BusinessDate = Annotated[date, BeforeValidator(_iso_date)]
Score = Annotated[Decimal, BeforeValidator(_score)]
Id = Annotated[StrictStr, Field(min_length=1, max_length=200)]
Text = Annotated[StrictStr, Field(max_length=2000)]
Currency = Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]


class FactData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    currency: Currency | None = None  # when the ERP states it, it must be the account's

    def typed(self) -> dict[str, Any]:
        """The fields the ERP sent, typed for the domain; a null counts as absent."""
        sent = self.model_fields_set
        # Straight from the instance dict: getattr per field and a recursive walk
        # of every value cost more than validating them.
        return {
            name: _allocations(value) if type(value) is list else value
            for name, value in self.__dict__.items()
            if value is not None and name in sent
        }


def _allocations(value: list[Any]) -> tuple[Any, ...]:
    # Lists hold allocations, installments (as (due_date, amount), as events keep
    # them) or plain ids.
    if not value or type(value[0]) is str:
        return tuple(value)
    if type(value[0]) is InstallmentData:
        return tuple((item.due_date, item.amount) for item in value)
    return tuple(Allocation(item.invoice_id, item.amount) for item in value)


class AllocationData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    invoice_id: Id
    amount: Amount


class AccountOpened(FactData):
    name: Annotated[StrictStr, Field(min_length=1, max_length=500)]
    currency: Currency  # type: ignore[assignment]
    credit_limit: Amount
    payment_terms_days: StrictInt | None = None
    insured_limit: Amount | None = None
    risk_class: StrictStr | None = None


class LimitChanged(FactData):
    credit_limit: Amount
    reason: Text | None = None
    insured_limit: Amount | None = None


class OrderPlaced(FactData):
    order_id: Id
    amount: Amount
    order_date: BusinessDate


class OrderCancelled(FactData):
    order_id: Id
    cancelled_date: BusinessDate | None = None


class InvoiceIssued(FactData):
    invoice_id: Id
    amount: Amount
    issue_date: BusinessDate
    due_date: BusinessDate
    order_id: Id | None = None


class PaymentReceived(FactData):
    payment_id: Id
    amount: Amount
    received_date: BusinessDate
    allocations: Annotated[list[AllocationData], Field(max_length=1000)] = []


class PaymentAllocated(FactData):
    payment_id: Id
    allocation_date: BusinessDate
    allocations: Annotated[list[AllocationData], Field(min_length=1, max_length=1000)]


class CreditNoteIssued(FactData):
    credit_note_id: Id
    invoice_id: Id
    amount: Amount
    issue_date: BusinessDate


class DisputeOpened(FactData):
    dispute_id: Id
    invoice_id: Id
    amount: Amount
    reason: Annotated[StrictStr, Field(min_length=1, max_length=2000)]
    opened_date: BusinessDate


class DisputeResolved(FactData):
    dispute_id: Id
    outcome: StrictStr
    resolved_date: BusinessDate
    credited_amount: Amount | None = None


class RatingChanged(FactData):
    agency: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    score: Score
    rating: Annotated[StrictStr, Field(max_length=50)] | None = None


# -- collections -----------------------------------------------------------------------

InvoiceIds = Annotated[list[Id], Field(min_length=1, max_length=1000)]


class InstallmentData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    due_date: BusinessDate
    amount: Amount


class DunningStepRecorded(FactData):
    step: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    channel: StrictStr
    invoice_ids: InvoiceIds
    note: Text | None = None
    step_date: BusinessDate | None = None


class PromiseToPay(FactData):
    promise_id: Id
    amount: Amount
    promised_date: BusinessDate
    invoice_ids: InvoiceIds
    promise_date: BusinessDate | None = None


class PaymentPlanAgreed(FactData):
    plan_id: Id
    invoice_ids: InvoiceIds
    installments: Annotated[list[InstallmentData], Field(min_length=1, max_length=120)]
    agreed_date: BusinessDate | None = None


class RiskClassChanged(FactData):
    risk_class: StrictStr
    reason: Annotated[StrictStr, Field(min_length=1, max_length=2000)]


class ScenarioAssigned(FactData):
    scenario: Annotated[StrictStr, Field(min_length=1, max_length=100)] | None = None


DATA_MODELS: dict[str, type[FactData]] = {
    model.__name__: model
    for model in (
        AccountOpened,
        LimitChanged,
        OrderPlaced,
        OrderCancelled,
        InvoiceIssued,
        PaymentReceived,
        PaymentAllocated,
        CreditNoteIssued,
        DisputeOpened,
        DisputeResolved,
        RatingChanged,
        DunningStepRecorded,
        PromiseToPay,
        PaymentPlanAgreed,
        RiskClassChanged,
        ScenarioAssigned,
    )
}

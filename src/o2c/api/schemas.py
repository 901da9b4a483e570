"""The shape of what ERPs post: one pydantic model per fact type's `data`.

Types are strict as SPEC says: amounts are decimal strings (never JSON
numbers), dates are ISO `YYYY-MM-DD` strings. Fields SPEC does not name are
ignored. Rules of the trade (positive amounts, references, balances) are the
domain's to check, not these models'; the limits of what can be held (ASCII
numbers, the business-date window, id lengths and characters) are the domain's
too (`o2c.domain.limits`), applied here as each value is read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr, WithJsonSchema

from o2c.api.fact_descriptions import FACT_DESCRIPTIONS, FIELD_DESCRIPTIONS
from o2c.domain import limits
from o2c.domain.errors import Invalid
from o2c.domain.items import Allocation


def _as_value_error(check: Callable[..., Any], value: Any, **options: Any) -> Any:
    # The domain's reason, under the field pydantic names (its path in the body).
    try:
        return check("", value, **options)
    except Invalid as e:
        raise ValueError(e.reason) from None


def _decimal_string(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError('must be a decimal string such as "1200.00", not a JSON number')
    return _as_value_error(limits.check_decimal_text, value)  # type: ignore[no-any-return]


def _iso_date(value: Any) -> date:
    if not isinstance(value, str) or not limits.ISO_DATE_TEXT.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f'"{value}" is not a valid calendar date') from None
    return _as_value_error(limits.check_business_date, day)  # type: ignore[no-any-return]


def _score(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("must be a number or a decimal string")
    # A JSON number as written (a float by its shortest repr); a string as an amount is.
    score = Decimal(repr(value)) if not isinstance(value, str) else _as_value_error(limits.check_decimal_text, value)
    return _as_value_error(limits.check_score, score)  # type: ignore[no-any-return]


def _checked(check: Callable[..., Any], **options: Any) -> AfterValidator:
    # A partial, not a lambda: one Python call less for every id and label of every fact.
    return AfterValidator(partial(_as_value_error, check, **options))


# The OpenAPI states what the validators accept (a Decimal alone would show as number-or-string).
_DECIMAL_TEXT = {"type": "string", "pattern": f"^{limits.DECIMAL_TEXT.pattern}$"}
Amount = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    WithJsonSchema({**_DECIMAL_TEXT, "examples": ["1200.00"],
                    "description": "a decimal string in the account's currency, at most its minor unit of decimals"}),
]  # fmt: skip
BusinessDate = Annotated[date, BeforeValidator(_iso_date)]
Score = Annotated[
    Decimal,
    BeforeValidator(_score),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": int(limits.MIN_SCORE), "maximum": int(limits.MAX_SCORE)},
                              _DECIMAL_TEXT], "examples": ["72.5"]}),
]  # fmt: skip
# Ids and codes: 1 to 100 printable characters, no surrounding spaces.
Id = Annotated[StrictStr, Field(min_length=1, max_length=limits.MAX_ID_LENGTH), _checked(limits.check_id)]
# Short words (a channel, an outcome, an agency's rating): printable, bounded.
Label = Annotated[StrictStr, Field(min_length=1, max_length=limits.MAX_LABEL_LENGTH), _checked(limits.check_label)]
# Free texts (reasons, notes): tabs and line breaks kept, no other control character.
Text = Annotated[StrictStr, Field(max_length=limits.MAX_TEXT_LENGTH), _checked(limits.check_text)]
Currency = Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]


def _described(schema: dict[str, Any]) -> None:
    """SPEC's words in the OpenAPI: what each fact does, what each field holds."""
    if schema.get("title") in FACT_DESCRIPTIONS:
        schema.setdefault("description", FACT_DESCRIPTIONS[schema["title"]])
    for name, field in schema.get("properties", {}).items():
        if name in FIELD_DESCRIPTIONS:
            field.setdefault("description", FIELD_DESCRIPTIONS[name])


class FactData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_extra=_described)
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
    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_extra=_described)
    invoice_id: Id
    amount: Amount


class AccountOpened(FactData):
    name: Annotated[StrictStr, Field(min_length=1, max_length=limits.MAX_NAME_LENGTH), _checked(limits.check_name)]
    currency: Currency  # type: ignore[assignment]
    credit_limit: Amount
    payment_terms_days: StrictInt | None = None
    insured_limit: Amount | None = None
    risk_class: Label | None = None


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
    reason: Annotated[Text, Field(min_length=1)]
    opened_date: BusinessDate


class DisputeResolved(FactData):
    dispute_id: Id
    outcome: Label
    resolved_date: BusinessDate
    credited_amount: Amount | None = None


class RatingChanged(FactData):
    agency: Label
    score: Score
    rating: Label | None = None


# -- collections -----------------------------------------------------------------------

InvoiceIds = Annotated[list[Id], Field(min_length=1, max_length=1000)]


class InstallmentData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_extra=_described)
    due_date: BusinessDate
    amount: Amount


class DunningStepRecorded(FactData):
    step: Id  # the scenario's action it took
    channel: Label
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
    risk_class: Label
    reason: Annotated[Text, Field(min_length=1)]


class ScenarioAssigned(FactData):
    scenario: Id | None = None


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


def _limits_description() -> str:
    """The ledger's limits, as the OpenAPI description states them (README: Limits)."""
    return f"""Every fact posted to `POST /v1/events` is checked against the ledger's limits;
a value outside them is refused with 422 (problem+json) naming the field, and nothing is recorded.

- **Amounts**: JSON strings of ASCII digits (`"1200.00"`; no exponent, no other digits),
  below {limits.MAX_AMOUNT:,} units of the account's currency ({limits.MAX_AMOUNT_DIGITS} digits before the point),
  with at most the currency's ISO 4217 minor unit of decimals. The read model keeps every sum
  exactly: on PostgreSQL any sum of accepted facts (NUMERIC(38,0)); on SQLite, a 64-bit store,
  each kept sum up to {limits.SQLITE_MAX_SUM:,} (beyond, that account's projection is parked).
- **Scores** (`RatingChanged.score`): a JSON number or an ASCII decimal string, finite,
  from {limits.MIN_SCORE:,} to {limits.MAX_SCORE:,}, at most {limits.SCORE_PLACES} decimal places.
- **Business dates**: `YYYY-MM-DD` in ASCII digits, from {limits.FIRST_BUSINESS_DATE} to {limits.LAST_BUSINESS_DATE}
  (every date field, optional ones included).
- **Ids and codes** (`event_id`, `account`, `invoice_id`, `payment_id`, …, `scenario`, `step`):
  1 to {limits.MAX_ID_LENGTH} characters, no control character (C0, DEL, C1, line or paragraph separator),
  no leading or trailing space. An `account` code is a path segment: it may not hold
  {" ".join(f"`{c}`" for c in sorted(limits.ACCOUNT_FORBIDDEN))}, be `.` or `..`, or start with `o2c:`.
- **Names and texts**: an account's `name` up to {limits.MAX_NAME_LENGTH} characters and short labels
  (`agency`, `rating`, `channel`, …) up to {limits.MAX_LABEL_LENGTH}, without control characters;
  free texts (`reason`, `note`) up to {limits.MAX_TEXT_LENGTH}, where tab and line breaks are kept.
- **References**: `ScenarioAssigned.scenario` names a shipped or stored scenario; a `currency`
  stated on the envelope or in `data` must be the account's.
- **Batches**: 1 to 1000 events; bodies up to `O2C_MAX_BODY_BYTES`.
"""


LIMITS_DESCRIPTION = _limits_description()

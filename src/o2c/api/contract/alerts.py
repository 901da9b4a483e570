"""`GET /v1/alerts`: each alert's `details` depends on its `type`, so an alert is a
union discriminated by `type` (the shapes written by domain/alerts.py,
projections/alerting.py, rules.py, risk_review.py and parking.py; the overdue
figures of today added by api/routes/alerts.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from o2c.api.contract.figures import Amount, Answer, CurrencyCode, Cursor, Moment, OneDecimal

# The balance conditions' and a dispute's details are those the answer to a post names.
from o2c.api.contract.posting import (
    CashUnapplied,
    DisputeRaised,
    ExposureNearLimit,
    ExposureOverLimit,
    ExposureUninsured,
)

# domain/overdue_severity.py LEVELS (a test holds them equal)
Severity = Literal["low", "medium", "high", "critical"]
RiskClass = Annotated[str, Field(description="a risk class, A (best) … E")]


class ScoreDowngradeDetails(Answer):
    """A `RatingChanged` scoring lower than the previous one (subject empty)."""

    agency: str
    from_: str = Field(alias="from", description="the previous score, a decimal string")
    to: str = Field(description="the new score, a decimal string")
    rating: str | None = Field(description="the agency's rating, if it gave one")


class ClassDowngradeDetails(Answer):
    """The risk review moving the account to a worse class (subject `risk_class`)."""

    from_: RiskClass = Field(alias="from")
    to: RiskClass
    points: OneDecimal = Field(description="the review's risk points")


class OverdueDetails(Answer):
    invoice_id: str
    due_date: date = Field(description="the due date it fell overdue from (a plan's installment, for a plan)")
    open_amount: Amount | None = Field(description="the invoice's open balance now (null if it is not projected)")
    days_past_due: int | None = Field(description="today minus that due date while open; null once cleared")


class PromiseBrokenDetails(Answer):
    kind: Literal["promise", "plan"]
    id: str = Field(description="the promise_id or plan_id")
    broken_on: date | None = Field(description="the day after the promised date, or after the missed installment")


class ProjectionParkedDetails(Answer):
    position: int = Field(description="the first parked fact's position in the log")
    type: str = Field(description="its fact type")
    event_id: str | None
    error: str | None = Field(description="why it could not be projected")


class _Alert(Answer):
    id: int = Field(description="the alert's id, in the order alerts were raised")
    account: str
    currency: CurrencyCode | None = Field(description="the account's (null for a parked account not yet opened)")
    subject: str = Field(description="what it is about: an invoice, a dispute, `promise:ID`, `plan:ID`, or empty")
    severity: Severity = Field(description="an open `overdue` alert's rises with days past due and amount")
    effective_date: date = Field(description="the business date its condition started")
    raised_at: Moment = Field(description="when o2c recorded what raised it")
    cleared_at: Moment | None = Field(description="when its condition ended; null while open")


class LimitExceededAlert(_Alert):
    type: Literal["limit_exceeded"]
    details: ExposureOverLimit


class LimitNearAlert(_Alert):
    type: Literal["limit_near"]
    details: ExposureNearLimit


class UninsuredExposureAlert(_Alert):
    type: Literal["uninsured_exposure"]
    details: ExposureUninsured


class UnappliedCashAlert(_Alert):
    type: Literal["unapplied_cash"]
    details: CashUnapplied


class DisputeAlert(_Alert):
    type: Literal["dispute_opened"]
    details: DisputeRaised


class RatingDowngradedAlert(_Alert):
    type: Literal["rating_downgraded"]
    details: ScoreDowngradeDetails | ClassDowngradeDetails


class OverdueAlert(_Alert):
    type: Literal["overdue"]
    details: OverdueDetails


class PromiseBrokenAlert(_Alert):
    type: Literal["promise_broken"]
    details: PromiseBrokenDetails


class ProjectionParkedAlert(_Alert):
    type: Literal["projection_parked"]
    details: ProjectionParkedDetails


Alert = Annotated[
    LimitExceededAlert
    | LimitNearAlert
    | UninsuredExposureAlert
    | UnappliedCashAlert
    | DisputeAlert
    | RatingDowngradedAlert
    | OverdueAlert
    | PromiseBrokenAlert
    | ProjectionParkedAlert,
    Field(discriminator="type"),
]


class AlertList(Answer):
    alerts: list[Alert]
    next_cursor: Cursor

"""The answer to `POST /v1/events` as the OpenAPI documents it: each event's
outcome, and the alerts the batch raised (by the read model's rules)."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from o2c.api.contract.figures import DECIMAL, Amount, Answer, OneDecimal
from o2c.api.contract.views import AccountCode, InvoiceId


class Outcome(Answer):
    event_id: str = Field(description="the ERP's id of the fact, as posted")
    status: Literal["recorded", "duplicate"] = Field(description="duplicate: recorded before, nothing new")
    position: int = Field(description="in the global log (the original one for a duplicate): the `X-O2C-After` "
                          "to send to read it back")  # fmt: skip


class Raised(Answer):
    account: AccountCode
    subject: str = Field(description="the account, or the dispute for dispute_opened")
    severity: Literal["low", "medium", "high", "critical"]


class ExposureOverLimit(Answer):
    exposure: Amount
    credit_limit: Amount


class ExposureNearLimit(ExposureOverLimit):
    utilization: OneDecimal = Field(description="exposure / credit_limit in percent")


class ExposureUninsured(Answer):
    exposure: Amount
    insured_limit: Amount


class CashUnapplied(Answer):
    unapplied_cash: Amount


class DisputeRaised(Answer):
    invoice_id: InvoiceId
    amount: Amount
    reason: str


class RatingLowered(Answer):
    agency: str
    previous: str = Field(alias="from", pattern=DECIMAL, description="the previous score")
    score: str = Field(alias="to", pattern=DECIMAL, description="the new, lower score")


class LimitExceeded(Raised):
    type: Literal["limit_exceeded"]
    details: ExposureOverLimit


class LimitNear(Raised):
    type: Literal["limit_near"]
    details: ExposureNearLimit


class UninsuredExposure(Raised):
    type: Literal["uninsured_exposure"]
    details: ExposureUninsured


class UnappliedCash(Raised):
    type: Literal["unapplied_cash"]
    details: CashUnapplied


class DisputeOpenedAlert(Raised):
    type: Literal["dispute_opened"]
    details: DisputeRaised


class RatingDowngraded(Raised):
    type: Literal["rating_downgraded"]
    details: RatingLowered


RaisedAlert = Annotated[
    Union[LimitExceeded, LimitNear, UninsuredExposure, UnappliedCash, DisputeOpenedAlert, RatingDowngraded],  # noqa: UP007
    Field(discriminator="type"),
]


class Posted(Answer):
    results: list[Outcome] = Field(description="one per event posted, in order")
    alerts: list[RaisedAlert] = Field(description="the alerts the batch raised")

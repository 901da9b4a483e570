"""Operations: `/health` (no token) and the parked accounts (admin), as
api/routes/ops.py and api/routes/parked.py write them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from o2c.api.contract.figures import Answer, Moment


class ParkedReason(Answer):
    reason: Literal["parked"]
    accounts: int = Field(description="accounts whose facts are parked")
    facts: int = Field(description="facts waiting for a retry")
    detail: str


class LaggingReason(Answer):
    reason: Literal["lagging"]
    lag_events: int = Field(description="facts recorded but not yet projected")
    threshold: int = Field(description="O2C_HEALTH_MAX_LAG_EVENTS")
    detail: str


class FailingReason(Answer):
    reason: Literal["failing"]
    since: Moment | None = Field(description="the first failed attempt of the batch retried")
    detail: str


DegradedReason = Annotated[ParkedReason | LaggingReason | FailingReason, Field(discriminator="reason")]


class HealthOk(Answer):
    status: Literal["ok"]


class HealthDegraded(Answer):
    """Still HTTP 200: the API serves every account not parked; monitoring reads `status`."""

    status: Literal["degraded"]
    reasons: list[DegradedReason] = Field(min_length=1, description="why (no account code or error text here)")


Health = Annotated[HealthOk | HealthDegraded, Field(discriminator="status")]


class ParkedAccount(Answer):
    account: str
    first_position: int = Field(description="position of its first parked fact")
    type: str = Field(description="that fact's type")
    event_id: str | None
    error: str | None = Field(description="why it could not be projected")
    parked_at: Moment
    facts: int = Field(description="how many of its facts wait, the first included")


class ParkedAccounts(Answer):
    accounts: list[ParkedAccount] = Field(description="in the order they were parked")


class RetryResult(Answer):
    account: str
    applied: int = Field(description="parked facts now projected")
    still_parked: int = Field(description="facts still parked (0: the account is clear)")
    error: str | None = Field(description="why the first of those still parked failed")


class RetryResults(Answer):
    retried: list[RetryResult]

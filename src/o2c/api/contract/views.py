"""The credit manager's views as the OpenAPI documents them: one account (summary,
open items, aging), the portfolio (aging, exposure, DSO), the account directory and
the credit decision. Documentation only: the routes write their bodies themselves."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from o2c.api.contract.figures import DECIMAL, Amount, Answer, CurrencyCode, Cursor, InCurrency, OneDecimal

RiskClass = Literal["A", "B", "C", "D", "E"]

# The fields every answer names alike.
AccountCode = Annotated[str, Field(description="the ERP's customer code")]
CustomerName = Annotated[str, Field(description="the customer's name, as opened")]
InvoiceId = Annotated[str, Field(description="the ERP's invoice number")]
Kept = Annotated[CurrencyCode, Field(description="the account's currency: its amounts are in it")]
AsOf = Annotated[date, Field(description="the business date the figures are valued at: facts dated by it count")]

# -- one account ------------------------------------------------------------------------------


class RiskFactor(Answer):
    name: Literal["days_late", "late_share", "overdue_share", "disputes", "broken_promises", "rating"]
    value: str = Field(pattern=DECIMAL, description="the raw measure: days, a share, a count or "
                       "the agency's score")  # fmt: skip
    normalized: str = Field(pattern=r"^[0-9]+(\.[0-9]+)?$", description="0 (best) … 1 (worst), 4 decimals")
    weight: OneDecimal = Field(description="the points it gives at its worst; the weights shown sum to 100")
    points: OneDecimal = Field(description="weight * normalized")


class RiskScore(Answer):
    on: date = Field(description="the day of the review")
    points: OneDecimal = Field(description="0 (best) … 100, rounded down to the tenth: always in its class's band")
    risk_class: RiskClass = Field(alias="class", description="computed from the exact points")
    factors: list[RiskFactor] = Field(description="each factor measured (no rating: the others share its weight)")


class Rating(Answer):
    agency: str = Field(description="who rated the customer")
    score: str = Field(pattern=DECIMAL, description="the agency's score, higher is better")
    rating: str | None = Field(description="the agency's grade, if it gave one")


class Risk(Answer):
    risk_class: RiskClass | None = Field(alias="class", description="the class in force; null before any review")
    set_by: Literal["credit_manager", "score"] | None = Field(description="who decided the class in force")
    score: RiskScore | None = Field(description="the latest risk review; null before the first")
    rating: Rating | None = Field(description="the latest external rating (RatingChanged)")


class Stale(Answer):
    reason: Literal["parked"] = Field(description="facts of the account wait for a retry (see parked accounts)")
    since_position: int = Field(description="the first parked position: the figures stop before it")


class Headline(Answer):
    """An account's code, name, currency and headline figures, at its currency's minor unit."""

    account: AccountCode
    name: CustomerName
    currency: Kept
    credit_limit: Amount
    outstanding: Amount = Field(description="Σ open balances")
    exposure: Amount = Field(description="outstanding + uninvoiced - unapplied cash")
    headroom: Amount = Field(description="credit_limit - exposure")
    utilization: OneDecimal | None = Field(description="exposure / credit_limit in percent; null without a limit")


class AccountSummary(Headline):
    uninvoiced: Amount = Field(description="what is left of open orders")
    unapplied_cash: Amount = Field(description="cash received not yet allocated to invoices")
    overdue: Amount = Field(description="open balances past due today (payment plans' schedules while they hold)")
    disputed: Amount = Field(description="Σ open dispute amounts")
    risk: Risk
    insured_limit: Amount | None = Field(description="credit insurance cover; null without one")
    payment_terms_days: int = Field(description="the account's default payment terms")
    position: int = Field(description="the log position of the last fact projected on the account")
    stale: Stale | None = Field(description="why the figures may lag behind the ledger; null when current")


class OpenItem(Answer):
    invoice_id: InvoiceId
    issue_date: date = Field(description="from which the invoice counts")
    due_date: date = Field(description="the invoice's own due date")
    amount: Amount = Field(description="as invoiced")
    open_balance: Amount = Field(description="amount - allocated cash - credits")
    days_past_due: int = Field(description="today - due date (negative: not yet due)")
    disputed: Amount = Field(description="what open disputes hold of it")


class OpenItems(Answer):
    account: AccountCode
    currency: Kept
    items: list[OpenItem] = Field(description="by due date, then invoice id")
    next_cursor: Cursor


# -- aging ------------------------------------------------------------------------------------

# Bucket labels follow `buckets=`: `current`, `1-30`, `31-60`, …, `120+`.
BUCKETS = r"current|[0-9]+-[0-9]+|[0-9]+\+"
BUCKET_LABEL = f"^({BUCKETS})$"


def _with_buckets(schema: dict[str, Any], model: type[Any]) -> None:
    """The buckets are the properties not named: each an amount, under a bucket label. (Not
    `patternProperties`: client generators drop what it holds; they keep `additionalProperties`.)"""
    named = "|".join(schema["properties"])
    schema["additionalProperties"] = {"type": "string", "pattern": DECIMAL, "description": "the bucket's open balances"}
    schema["propertyNames"] = {"pattern": f"^({named}|{BUCKETS})$"}


class AgingFigures(Answer):
    """One amount per bucket (keys as `buckets` names them), their total, unapplied cash, disputed."""

    model_config = ConfigDict(json_schema_extra=_with_buckets)
    total: Amount = Field(description="Σ buckets = outstanding")
    unapplied_cash: Amount
    disputed: Amount


class AgingRow(AgingFigures):
    account: AccountCode
    currency: Kept


class AgingItem(Answer):
    invoice_id: InvoiceId
    due_date: date = Field(description="by the schedule in force: a plan's installment while it holds")
    days_past_due: int
    bucket: str = Field(pattern=BUCKET_LABEL)
    open_balance: Amount = Field(description="what is due on that date")
    disputed: Amount


Buckets = list[str]


class AccountAging(Answer):
    as_of: AsOf
    buckets: Buckets = Field(description="the bucket labels, in order")
    currency: Kept
    rows: list[AgingRow] = Field(description="the account's one row")
    totals: AgingFigures
    items: list[AgingItem] = Field(description="each open line by due date, with its bucket")


class CurrencyAging(Answer):
    currency: CurrencyCode
    totals: AgingFigures


class PortfolioAging(InCurrency):
    as_of: AsOf
    buckets: Buckets = Field(description="the bucket labels, in order")
    rows: list[AgingRow] = Field(description="one per account, by code, each in its own currency")
    totals: AgingFigures | None = Field(description="the whole portfolio in `currency`; null when mixed")
    by_currency: list[CurrencyAging] = Field(description="the whole portfolio's totals, per currency")
    next_cursor: Cursor


# -- exposure and DSO -------------------------------------------------------------------------


class ExposureRow(Headline):
    uninvoiced: Amount
    unapplied_cash: Amount
    converted_exposure: Amount | None = Field(description="in the reporting currency; null without one")


class CurrencyExposures(Answer):
    currency: CurrencyCode
    accounts: list[ExposureRow] = Field(description="its `top` largest")


class Exposure(InCurrency):
    top: int = Field(description="how many of the largest, per currency or (converted) in all")
    ranked_by: list[str] = Field(description="the sort keys, e.g. [currency, exposure, account]")
    accounts: list[ExposureRow]
    by_currency: list[CurrencyExposures]


class DsoFigures(Answer):
    dso: OneDecimal | None = Field(description="days sales outstanding; null when the window has no sales")
    best_possible_dso: OneDecimal | None = Field(description="not-yet-due receivables over the sales")
    average_days_delinquent: OneDecimal | None = Field(description="DSO - best possible DSO (standard method)")
    receivables: Amount = Field(description="R = outstanding - unapplied cash, floored at 0")
    sales: Amount = Field(description="invoiced sales in the window")
    outstanding: Amount
    not_yet_due: Amount
    overdue: Amount
    overdue_rate: OneDecimal | None = Field(description="overdue / outstanding in percent")


class CurrencyDso(DsoFigures):
    currency: CurrencyCode


class Dso(InCurrency, DsoFigures):
    """Top-level figures in `currency`; all null when currencies are mixed and not converted."""

    as_of: AsOf
    days: int = Field(description="the window, in days")
    method: Literal["countback", "standard"]
    receivables: Amount | None  # type: ignore[assignment]
    sales: Amount | None  # type: ignore[assignment]
    outstanding: Amount | None  # type: ignore[assignment]
    not_yet_due: Amount | None  # type: ignore[assignment]
    overdue: Amount | None  # type: ignore[assignment]
    by_currency: list[CurrencyDso]
    account: str | SkipJsonSchema[None] = Field(None, description="with `account=`: that account")


# -- the directory ----------------------------------------------------------------------------


class DirectoryRow(Headline):
    overdue: Amount = Field(description="past due today")
    oldest_days_past_due: int = Field(description="of its oldest item past due; 0 when none is")
    risk_class: RiskClass | None = Field(description="the class in force")
    risk_points: OneDecimal | None = Field(description="the latest review's points; null before the first")
    scenario: str | None = Field(description="the collection scenario it follows")
    open_disputes: int = Field(description="disputes opened and not yet resolved")
    disputed: Amount
    parked: bool = Field(description="facts parked: figures as projected before the first")


class DirectoryFigures(Answer):
    accounts: int = Field(description="how many accounts match")
    credit_limit: Amount
    outstanding: Amount
    exposure: Amount
    disputed: Amount


class CurrencyDirectory(DirectoryFigures):
    currency: CurrencyCode


class Directory(InCurrency):
    today: date
    count: int = Field(description="accounts matching, on every page")
    totals: DirectoryFigures | None = Field(description="in `currency`; null when currencies are mixed")
    by_currency: list[CurrencyDirectory]
    sorted_by: list[str] = Field(description="the sort keys, e.g. [currency, exposure, account]")
    accounts: list[DirectoryRow]
    next_cursor: Cursor


# -- the credit decision ----------------------------------------------------------------------


REASONS = r"^(headroom_exceeded|past_due_over_[0-9]+_days|risk_class_E|formal_notice_open)$"
Reason = Annotated[str, Field(pattern=REASONS)]


class CreditDecision(Answer):
    account: AccountCode
    currency: Kept
    amount: Amount = Field(description="the order asked about")
    decision: Literal["approve", "hold"]
    exposure: Amount
    credit_limit: Amount
    headroom_after: Amount = Field(description="headroom less the order")
    reasons: list[Reason] = Field(description="every rule that fired; none: approve")

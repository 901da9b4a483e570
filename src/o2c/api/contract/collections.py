"""Collections: the dunning scenarios (admin), the collector's agenda and the
late-payment penalties of an account (read), as api/routes/collections.py and
api/routes/penalties.py write them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from o2c.api.contract.figures import Amount, Answer, CurrencyCode, Cursor, InCurrency, Moment, Rate


# -- scenarios -----------------------------------------------------------------------------------
class ScenarioStep(Answer):
    offset_days: int = Field(description="days from the due date (negative: a reminder before it)")
    channel: str = Field(description="email, phone, sms, letter")
    action: str = Field(description="names the step, unique within its scenario")


class ScenarioVersion(Answer):
    version: int
    recorded_at: Moment
    steps: list[ScenarioStep]
    risk_classes: list[str] = Field(description="the risk classes that follow it unless assigned another")


class _ScenarioHead(Answer):
    name: str
    version: int = Field(description="its current version; 0 for a scenario o2c ships, never redefined")
    steps: list[ScenarioStep] = Field(description="the current version's steps")
    risk_classes: list[str] = Field(description="the risk classes that follow it unless assigned another")
    recorded_at: Moment | None = Field(description="when the current version was recorded; null when shipped")
    shipped: bool = Field(description="one of o2c's own (`gentle`, `standard`, `firm`), not redefined")


class Scenario(_ScenarioHead):
    versions: list[ScenarioVersion] = Field(description="every recorded version, from the ledger (none if shipped)")


class RecordedScenario(Scenario):
    position: int = Field(description="the new version's position in the log, for `X-O2C-After`")


class ListedScenario(_ScenarioHead):
    versions: list[ScenarioVersion] = Field(
        default=[],
        max_length=0,
        description="only on a shipped scenario, empty: a stored one's versions are at its own URL",
    )


class ScenarioList(Answer):
    scenarios: list[ListedScenario] = Field(description="stored and shipped, by name")


# -- the agenda ----------------------------------------------------------------------------------
class AgendaItem(Answer):
    invoice_id: str
    due_date: date = Field(description="in force: a plan's installment while the plan holds")
    days_past_due: int = Field(description="negative: a reminder before the due date")
    step: str = Field(description="the scenario's action due")
    channel: str
    step_date: date = Field(description="when the scenario meant the step to be taken")
    days_late: int = Field(description="days since the step date")
    amount_at_risk: Amount = Field(description="open balance less disputed, in the account's currency")


class AgendaAccount(Answer):
    account: str
    name: str
    currency: CurrencyCode
    risk_class: str | None = Field(description="the class in force (null before the first review)")
    scenario: str | None = Field(description="the scenario it follows")
    priority: Amount = Field(description="amount at risk x days past due x risk weight, in its currency")
    amount_at_risk: Amount
    days_past_due: int = Field(description="of its most overdue item")
    formal_notice: bool = Field(description="an item asks for a formal notice: the step before litigation")
    converted_priority: Amount | None = Field(description="in the reporting currency, when one applies")
    converted_amount_at_risk: Amount | None = Field(description="in the reporting currency, when one applies")
    items: list[AgendaItem]


class AgendaCurrency(Answer):
    currency: CurrencyCode
    accounts: int = Field(description="accounts on the agenda in that currency")
    amount_at_risk: Amount


class Agenda(InCurrency):
    date: date
    ranked_by: list[str] = Field(description="`[currency, priority, account]`, or `[converted_priority, account]`")
    accounts: list[AgendaAccount] = Field(description="this page, by priority")
    total_accounts: int = Field(description="accounts on the whole agenda")
    amount_at_risk: Amount | None = Field(description="of the whole agenda, in `currency`; null when mixed")
    by_currency: list[AgendaCurrency]
    next_cursor: Cursor


# -- penalties -----------------------------------------------------------------------------------
class ReferenceRate(Answer):
    from_: date = Field(alias="from", description="in force from that day")
    rate: Rate = Field(description="percent a year")


class InterestPeriod(Answer):
    from_: date = Field(alias="from")
    to: date
    days: int
    amount: Amount = Field(description="the open amount earning interest over the period")
    reference_rate: Rate = Field(description="percent a year")
    rate: Rate = Field(description="reference rate + margin, percent a year")
    interest: Amount = Field(description="unrounded share shown at the minor unit; the invoice's is rounded once")


class IndemnityBasis(Answer):
    source: Literal["law", "converted", "configured", "none"]
    rate: Rate | None = Field(description="EUR → the account's currency, when converted")
    rate_date: date | None = Field(description="the rate document's date, when converted")
    note: str | None = Field(description="why, when there is no indemnity or it was not the law's amount")


class InvoicePenalty(Answer):
    invoice_id: str
    due_date: date
    settled_date: date | None = Field(description="the day it was settled in full; null while open")
    days_late: int
    indemnity: Amount | None = Field(description="the recovery indemnity, once; null when no amount is known")
    indemnity_basis: IndemnityBasis | None = Field(description="how the indemnity was found")
    interest: Amount
    total: Amount
    periods: list[InterestPeriod] = Field(description="split at each partial settlement and change of rate")


class PenaltyTotals(Answer):
    indemnity: Amount
    interest: Amount
    total: Amount


class Penalties(Answer):
    account: str
    currency: CurrencyCode = Field(description="the account's: every amount but the law's indemnity is in it")
    as_of: date
    reference_rates: list[ReferenceRate]
    margin_points: Rate = Field(description="added to the reference rate (O2C_PENALTY_MARGIN_POINTS)")
    indemnity_per_invoice: Amount = Field(description="the law's amount, in `indemnity_currency`")
    indemnity_currency: Literal["EUR"]
    indemnity_configured: Amount | None = Field(description="configured for the account's currency, if any")
    invoices: list[InvoicePenalty]
    totals: PenaltyTotals

"""When an account deserves a credit manager's attention. Pure functions:
the projection raises an alert when its condition starts, clears it when it
ends, and never deletes it; the ledger tells the poster which a batch raised.
Each alert keeps the business date its condition started (`effective_date`)
beside the moment o2c recorded it (`raised_at`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from o2c.domain.money import to_minor_unit

NEAR_LIMIT = Decimal("0.9")

SEVERITY = {
    "limit_exceeded": "high",
    "limit_near": "medium",
    "uninsured_exposure": "high",
    "unapplied_cash": "low",
    "dispute_opened": "medium",
    "rating_downgraded": "high",
    "overdue": "low",  # as raised: read as of each day, it rises with age and amount (overdue_severity)
    "promise_broken": "high",
    "projection_parked": "high",
}
ALERT_TYPES = frozenset(SEVERITY)
# Alerts about the account as a whole; the others are about one invoice or dispute.
ACCOUNT_ALERTS = frozenset(
    {"limit_exceeded", "limit_near", "uninsured_exposure", "unapplied_cash", "rating_downgraded"}
)


@dataclass
class Totals:
    """An account's current figures, every recorded fact counted."""

    credit_limit: Decimal
    insured_limit: Decimal | None
    outstanding: Decimal
    uninvoiced: Decimal
    unapplied_cash: Decimal
    disputed: Decimal

    @property
    def exposure(self) -> Decimal:
        return self.outstanding + self.uninvoiced - self.unapplied_cash


def balance_kinds(t: Totals) -> frozenset[str]:
    """The balance conditions holding now."""
    exposure = t.exposure
    kinds = []
    if exposure > t.credit_limit:
        kinds.append("limit_exceeded")
    if t.credit_limit > 0 and exposure >= NEAR_LIMIT * t.credit_limit:
        kinds.append("limit_near")
    if t.insured_limit is not None and exposure > t.insured_limit:
        kinds.append("uninsured_exposure")
    if t.unapplied_cash > 0:
        kinds.append("unapplied_cash")
    return frozenset(kinds)


def balance_details(kind: str, t: Totals, currency: str) -> dict[str, Any]:
    def amount(value: Decimal) -> str:
        return str(to_minor_unit(value, currency))

    exposure = amount(t.exposure)
    if kind == "limit_exceeded":
        return {"exposure": exposure, "credit_limit": amount(t.credit_limit)}
    if kind == "limit_near":
        utilization = (t.exposure / t.credit_limit * 100).quantize(Decimal("0.1"))
        return {"exposure": exposure, "credit_limit": amount(t.credit_limit), "utilization": str(utilization)}
    if kind == "uninsured_exposure":
        assert t.insured_limit is not None
        return {"exposure": exposure, "insured_limit": amount(t.insured_limit)}
    return {"unapplied_cash": amount(t.unapplied_cash)}


# The business date of each fact that carries one; the others (an opening, a limit,
# a rating, a class, a scenario) happen on the UTC day o2c records them.
FACT_DATES = {
    "OrderPlaced": "order_date", "OrderCancelled": "cancelled_date", "InvoiceIssued": "issue_date",
    "PaymentReceived": "received_date", "PaymentAllocated": "allocation_date", "CreditNoteIssued": "issue_date",
    "DisputeOpened": "opened_date", "DisputeResolved": "resolved_date", "DunningStepRecorded": "step_date",
    "PromiseToPay": "promise_date", "PaymentPlanAgreed": "agreed_date",
}  # fmt: skip


def business_date(fact: Any) -> date:
    """The day a fact happened in the business: the `effective_date` of the alerts it raises."""
    name = FACT_DATES.get(type(fact).__name__)
    day = getattr(fact, name, None) if name else None
    if isinstance(day, date):
        return day
    moment: datetime = fact.timestamp
    return moment.astimezone(UTC).date()


def alert_interval(
    holds_from: date, recorded_at: datetime, ended_at: datetime | None, now: datetime
) -> tuple[datetime, datetime | None] | None:
    """When o2c knew a condition that time brings about (an invoice past due, a
    promise broken) to hold: from the later of the start of the business day it
    holds from and the recording of what it is about, until it ended. It holds from
    its start on: at `now` itself if it starts then (the recording of the last fact
    projected, mostly), not only after."""
    start = max(datetime.combine(holds_from, time.min, UTC), recorded_at)
    if (start >= ended_at) if ended_at is not None else (start > now):
        return None
    return start, ended_at


def overdue_interval(
    due_date: date, recorded_at: datetime, settled_at: datetime | None, now: datetime
) -> tuple[datetime, datetime | None] | None:
    """An invoice is overdue from the day after its due date until it is settled."""
    return alert_interval(due_date + timedelta(days=1), recorded_at, settled_at, now)

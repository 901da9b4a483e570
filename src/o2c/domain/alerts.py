"""When an account deserves a credit manager's attention. Pure functions:
the projection raises an alert when its condition starts, clears it when it
ends, and never deletes it; the ledger tells the poster which a batch raised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from o2c.domain.money import to_cents

NEAR_LIMIT = Decimal("0.9")

SEVERITY = {
    "limit_exceeded": "high",
    "limit_near": "medium",
    "uninsured_exposure": "high",
    "unapplied_cash": "low",
    "dispute_opened": "medium",
    "rating_downgraded": "high",
    "overdue": "medium",
    "promise_broken": "high",
}
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


def balance_details(kind: str, t: Totals) -> dict[str, Any]:
    exposure = str(to_cents(t.exposure))
    if kind == "limit_exceeded":
        return {"exposure": exposure, "credit_limit": str(to_cents(t.credit_limit))}
    if kind == "limit_near":
        utilization = (t.exposure / t.credit_limit * 100).quantize(Decimal("0.1"))
        return {"exposure": exposure, "credit_limit": str(to_cents(t.credit_limit)), "utilization": str(utilization)}
    if kind == "uninsured_exposure":
        assert t.insured_limit is not None
        return {"exposure": exposure, "insured_limit": str(to_cents(t.insured_limit))}
    return {"unapplied_cash": str(to_cents(t.unapplied_cash))}


def balance_conditions(t: Totals) -> dict[tuple[str, str], dict[str, Any]]:
    """(type, subject) -> details of each balance condition holding now."""
    return {(kind, ""): balance_details(kind, t) for kind in balance_kinds(t)}


def alert_interval(
    holds_from: date, recorded_at: datetime, ended_at: datetime | None, now: datetime
) -> tuple[datetime, datetime | None] | None:
    """When o2c knew a condition that time brings about (an invoice past due, a
    promise broken) to hold: from the later of the start of the business day it
    holds from and the recording of what it is about, until it ended."""
    start = max(datetime.combine(holds_from, time.min, UTC), recorded_at)
    if start >= (ended_at or now):
        return None
    return start, ended_at


def overdue_interval(
    due_date: date, recorded_at: datetime, settled_at: datetime | None, now: datetime
) -> tuple[datetime, datetime | None] | None:
    """An invoice is overdue from the day after its due date until it is settled."""
    return alert_interval(due_date + timedelta(days=1), recorded_at, settled_at, now)

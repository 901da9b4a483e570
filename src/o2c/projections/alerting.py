"""How the projection keeps alerts: which it raises or clears as each fact is
projected (balances, disputes, ratings) and as time passes (overdue)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from o2c.domain.account import CustomerAccount
from o2c.domain.alerts import SEVERITY, Totals, balance_conditions, overdue_interval
from o2c.projections.batch import Batch


@dataclass
class Projected:
    """An account as the projection has reached it, with what its alerts need."""

    account: CustomerAccount
    totals: Totals
    open_alerts: set[tuple[str, str]] = field(default_factory=set)  # (type, subject or "")
    recorded_at: dict[str, datetime] = field(default_factory=dict)  # invoice -> when o2c recorded it


def _change(batch: Batch, projected: Projected, key: tuple[str, str], at: datetime, details: Any) -> None:
    """Raises (details given) or clears (None) the alert `key`, if that changes anything."""
    code, is_open = projected.account.id, key in projected.open_alerts
    subject = key[1] or code
    if details is not None and not is_open:
        projected.open_alerts.add(key)
        batch.alerts.append(("raise", {
            "account": code, "type": key[0], "subject": subject, "severity": SEVERITY[key[0]],
            "raised_at": at, "cleared_at": None, "details": details,
        }))  # fmt: skip
    elif details is None and is_open:
        projected.open_alerts.discard(key)
        batch.alerts.append(("clear", {"account": code, "type": key[0], "subject": subject, "at": at}))


def balance_alerts(projected: Projected, batch: Batch, at: datetime) -> None:
    held = balance_conditions(projected.totals)
    for kind in ("limit_exceeded", "limit_near", "uninsured_exposure", "unapplied_cash"):
        _change(batch, projected, (kind, ""), at, held.get((kind, "")))


def event_alerts(event: Any, projected: Projected, rating_before: Any, batch: Batch) -> None:
    kind, at = type(event).__name__, event.timestamp
    if kind == "DisputeOpened":
        details = {"invoice_id": event.invoice_id, "amount": str(event.amount), "reason": event.reason}
        _change(batch, projected, ("dispute_opened", event.dispute_id), at, details)
    elif kind == "DisputeResolved":
        _change(batch, projected, ("dispute_opened", event.dispute_id), at, None)
    elif kind == "RatingChanged":
        # A lower score than the last one known is a downgrade (a higher score is better).
        down = rating_before is not None and event.score < rating_before["score"]
        details = {"agency": event.agency, "from": str(rating_before["score"]), "to": str(event.score),
                   "rating": event.rating} if down else None  # fmt: skip
        _change(batch, projected, ("rating_downgraded", ""), at, details)


def overdue_row(
    code: str, invoice_id: str, due_date: date, raised_at: datetime, cleared_at: datetime | None
) -> dict[str, Any]:
    return {
        "account": code, "type": "overdue", "subject": invoice_id, "severity": SEVERITY["overdue"],
        "raised_at": raised_at, "cleared_at": cleared_at,
        "details": {"invoice_id": invoice_id, "due_date": due_date.isoformat()},
    }  # fmt: skip


def overdue_alerts(
    batch: Batch,
    kept: Mapping[str, Projected],
    known: Mapping[tuple[str, str], bool],
    seen_until: datetime,
    now: datetime,
) -> bool:
    """One overdue alert per invoice: open from the day after its due date (or its
    recording, if later) until it is settled. Invoices touched by the batch only;
    time alone is the sweep's. `known` holds the overdue alerts already in the read
    model (invoice -> still open). An alert is raised only once the projection has
    seen every fact recorded before it starts (`seen_until`): a payment recorded in
    time but not yet projected must not leave an alert that never held. Returns
    whether a raise was left to the sweep for that reason."""
    deferred = False
    for (code, invoice_id), row in batch.invoices.items():
        if row["due_date"] >= now.date() or (row["open_balance"] == 0 and row["settled_at"] is None):
            continue  # not yet due, or settled by an earlier batch
        interval = overdue_interval(row["due_date"], kept[code].recorded_at[invoice_id], row["settled_at"], now)
        if interval is None:
            continue
        raised_at, cleared_at = interval
        state = known.get((code, invoice_id))
        if state is None and raised_at > seen_until:
            deferred = True
        elif state is None:
            batch.alerts.append(("raise", overdue_row(code, invoice_id, row["due_date"], raised_at, cleared_at)))
        elif state and cleared_at is not None:
            batch.alerts.append(
                ("clear", {"account": code, "type": "overdue", "subject": invoice_id, "at": cleared_at})
            )
    return deferred

"""How the projection keeps alerts: which it raises or clears as each fact is
projected (balances, disputes, ratings) and as time passes (overdue invoices;
those a plan names, and broken promises and plans, follow rules of business
days: projections/spells.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from o2c.domain.account import CustomerAccount
from o2c.domain.alerts import SEVERITY, Totals, alert_interval, balance_details, balance_kinds, business_date
from o2c.domain.schedules import Overlay, planned
from o2c.projections.batch import Batch

if TYPE_CHECKING:
    from o2c.projections.spells import Rule


@dataclass
class Projected:
    """An account as the projection has reached it, with what its alerts need."""

    account: CustomerAccount
    totals: Totals
    open_alerts: set[tuple[str, str]] = field(default_factory=set)  # (type, subject or "")
    recorded_at: dict[str, datetime] = field(default_factory=dict)  # invoice -> when o2c recorded it
    # invoice -> when o2c recorded the fact that left it with nothing to pay: a later fact
    # about it (a dispute resolved) does not move that moment, however the facts are batched.
    settled_at: dict[str, datetime] = field(default_factory=dict)
    # (kind, id) of each promise and plan -> when o2c recorded it and when it stopped holding.
    commitments: dict[tuple[str, str], Commitment] = field(default_factory=dict)
    overlay: Overlay = field(default_factory=dict)  # the lines its plans add (domain/schedules.py)
    rules: dict[tuple[str, str], Rule] = field(default_factory=dict)  # (type, subject) -> as known (spells.py)


@dataclass
class Commitment:
    broken_on: date | None  # as known now; may lie ahead
    recorded_at: datetime
    ended_at: datetime | None  # when it stopped holding: kept after all, or its invoices settled


@dataclass(frozen=True)
class TimedCondition:
    """A condition that time alone can bring about, about one subject of an account."""

    account: str
    type: str
    subject: str
    holds_from: date  # the business day it holds from
    recorded_at: datetime  # when o2c recorded what it is about
    ended_at: datetime | None
    details: dict[str, Any]


def _change(batch: Batch, projected: Projected, key: tuple[str, str], fact: Any, details: Any) -> None:
    """Raises (details given) or clears (None) the alert `key` as `fact` is projected,
    if that changes anything; a raise is dated by the fact's business date."""
    code, is_open = projected.account.id, key in projected.open_alerts
    subject = key[1] or code
    if details is not None and not is_open:
        projected.open_alerts.add(key)
        batch.alerts.append(("raise", {
            "account": code, "type": key[0], "subject": subject, "severity": SEVERITY[key[0]],
            "effective_date": business_date(fact), "raised_at": fact.timestamp, "cleared_at": None,
            "details": details,
        }))  # fmt: skip
    elif details is None and is_open:
        projected.open_alerts.discard(key)
        batch.alerts.append(("clear", {"account": code, "type": key[0], "subject": subject, "at": fact.timestamp}))


def balance_alerts(projected: Projected, batch: Batch, event: Any) -> None:
    held, totals = balance_kinds(projected.totals), projected.totals
    for kind in ("limit_exceeded", "limit_near", "uninsured_exposure", "unapplied_cash"):
        if (kind in held) != ((kind, "") in projected.open_alerts):  # details only for a raise
            details = balance_details(kind, totals, projected.account.currency) if kind in held else None
            _change(batch, projected, (kind, ""), event, details)


def event_alerts(event: Any, projected: Projected, rating_before: Any, batch: Batch) -> None:
    kind = type(event).__name__
    if kind == "DisputeOpened":
        details = {"invoice_id": event.invoice_id, "amount": str(event.amount), "reason": event.reason}
        _change(batch, projected, ("dispute_opened", event.dispute_id), event, details)
    elif kind == "DisputeResolved":
        _change(batch, projected, ("dispute_opened", event.dispute_id), event, None)
    elif kind == "RatingChanged":
        # A lower score than the last one known is a downgrade (a higher score is better).
        down = rating_before is not None and event.score < rating_before["score"]
        details = {"agency": event.agency, "from": str(rating_before["score"]), "to": str(event.score),
                   "rating": event.rating} if down else None  # fmt: skip
        _change(batch, projected, ("rating_downgraded", ""), event, details)


def overdue_condition(code: str, invoice_id: str, due_date: date, recorded_at: datetime,
                      settled_at: datetime | None) -> TimedCondition:  # fmt: skip
    details = {"invoice_id": invoice_id, "due_date": due_date.isoformat()}
    return TimedCondition(code, "overdue", invoice_id, due_date + timedelta(days=1), recorded_at, settled_at, details)


def raised_row(condition: TimedCondition, raised_at: datetime, cleared_at: datetime | None) -> dict[str, Any]:
    return {
        "account": condition.account, "type": condition.type, "subject": condition.subject,
        "severity": SEVERITY[condition.type], "effective_date": condition.holds_from, "raised_at": raised_at,
        "cleared_at": cleared_at, "details": condition.details,
    }  # fmt: skip


def batch_conditions(batch: Batch, today: date) -> list[TimedCondition]:
    """The timed conditions about what this batch touched: invoices past due (those
    no plan names: a plan's follow their rule, spells.py)."""
    found = []
    for (code, invoice_id), row in batch.invoices.items():
        if row["due_date"] >= today or (row["open_balance"] == 0 and row["settled_at"] is None):
            continue  # not yet due, or settled by an earlier batch
        account = batch.touched[code].account
        if account.plans and invoice_id in planned(account):
            continue
        recorded_at = batch.touched[code].recorded_at[invoice_id]
        found.append(overdue_condition(code, invoice_id, row["due_date"], recorded_at, row["settled_at"]))
    return found


def as_seen(batch: Batch, seen_until: datetime, now: datetime) -> tuple[datetime, datetime]:
    """How far the projection has seen (`seen_until`) and what time it is, never before
    the recording of the last fact it projected: a fact projected shows that time has
    reached its recording, whatever the projector's clock says (another host's, or a
    test's fixed one, may lag it). Else a batch caught up (seen up to the clock) would
    leave to the sweep what a batch that is not (seen up to its last fact) raises: the
    alerts would depend on where the batches end."""
    latest = max((projected.account.modified_on for projected in batch.touched.values()), default=now)
    # Caught up (seen up to now): up to the last fact too; else seen up to its last fact already.
    return (max(seen_until, latest) if seen_until >= now else seen_until), max(now, latest)


def timed_alerts(
    batch: Batch,
    conditions: list[TimedCondition],
    known: Mapping[tuple[str, str, str], bool],
    seen_until: datetime,
    now: datetime,
) -> bool:
    """One alert per condition: open from when it held (see `alert_interval`) until
    it ended. `known` holds the alerts already in the read model ((account, type,
    subject) -> still open). An alert is raised only once the projection has seen
    every fact recorded before it starts (`seen_until`): a payment recorded in time
    but not yet projected must not leave an alert that never held. Returns whether
    a raise was left to the sweep for that reason."""
    deferred = False
    seen_until, now = as_seen(batch, seen_until, now)
    for condition in conditions:
        interval = alert_interval(condition.holds_from, condition.recorded_at, condition.ended_at, now)
        if interval is None:
            continue
        raised_at, cleared_at = interval
        state = known.get((condition.account, condition.type, condition.subject))
        if state is None and raised_at > seen_until:
            deferred = True
        elif state is None:
            batch.alerts.append(("raise", raised_row(condition, raised_at, cleared_at)))
        elif state and cleared_at is not None:
            batch.alerts.append(("clear", {"account": condition.account, "type": condition.type,
                                           "subject": condition.subject, "at": cleared_at}))  # fmt: skip
    return deferred


def utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored moment is UTC.
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

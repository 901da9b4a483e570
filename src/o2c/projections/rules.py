"""The rules of business days the read model keeps for timed alerts (see
spells.py): for each invoice a plan names, the days it has something past due by
the plans' schedule; for each promise and plan, the days it is broken. Tracked
after each fact that can move them, read back for an account the projection has
not kept, and settled against the alerts with each batch and each sweep."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Set
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from o2c.domain.cases import Commitment
from o2c.domain.schedules import Days, PlanSchedules
from o2c.projections import schema
from o2c.projections.alerting import Projected, as_seen, utc
from o2c.projections.batch import Batch
from o2c.projections.bulk import select_by_keys
from o2c.projections.spells import Key, Row, Rule, rule_of, settle

TIMED = ("overdue", "promise_broken")  # the alerts a rule of business days raises
T = schema.timed_conditions.c


def track_rules(
    projected: Projected,
    at: datetime,
    batch: Batch,
    schedules: PlanSchedules | None,
    commitments: Iterable[Commitment],
) -> None:
    """After a fact that can move them (`schedules`: the plans', if the fact moved
    them; the account's promises and plans): each rule that changed, known from the
    fact's recording."""
    account = projected.account
    found: dict[tuple[str, str], tuple[Days, dict[str, Any]]] = {}
    if schedules is not None:
        for invoice_id, days in schedules.overdue_days.items():
            invoice = account.invoices[invoice_id]
            found[("overdue", invoice_id)] = (days if invoice.open_balance > 0 else (), _overdue(invoice_id, projected))
    for c in commitments:
        days = ((c.broken_on, None),) if c.broken_on is not None and not c.settled else ()
        broken_on = None if c.broken_on is None else c.broken_on.isoformat()
        found[("promise_broken", f"{c.kind}:{c.commitment_id}")] = (days, {"kind": c.kind, "id": c.commitment_id,
                                                                            "broken_on": broken_on})  # fmt: skip
    for key, (days, details) in found.items():
        known = projected.rules.get(key)
        if known is not None and known.days == days:
            continue
        rule = Rule(days, at, details)
        batch.rules.setdefault((account.id, *key), [known or _untracked(projected, key, at)]).append(rule)
        projected.rules[key] = rule


def _overdue(invoice_id: str, projected: Projected) -> dict[str, Any]:
    return {"invoice_id": invoice_id, "due_date": projected.account.invoices[invoice_id].due_date.isoformat()}


def _untracked(projected: Projected, key: tuple[str, str], at: datetime) -> Rule:
    """The rule before o2c kept one: an invoice was overdue from the day after its
    due date, from its recording (the rule of the alerts.py conditions); a promise
    or plan was not broken before it was recorded."""
    if key[0] == "overdue":
        due_date = projected.account.invoices[key[1]].due_date
        days: Days = ((due_date + timedelta(days=1), None),)
        return Rule(days, projected.recorded_at[key[1]], _overdue(key[1], projected))
    return Rule((), at, {})


def load_rules(conn: Connection, code: str) -> dict[tuple[str, str], Rule]:
    rows = conn.execute(select(schema.timed_conditions).where(T.account == code))
    return {(r.type, r.subject): rule_of(r) for r in rows}


def held_rules(batch: Batch) -> set[Key]:
    """The batch's rules that held on some day: a rule that never held has no alert
    to look up (a new promise, mostly)."""
    return {key for key, rules in batch.rules.items() if any(rule.days for rule in rules)}


def settle_rules(
    batch: Batch, alerts: Mapping[Key, list[Row]], seen_until: datetime, waiting: Set[str], now: datetime
) -> bool:
    """The batch's rule changes worked out into its alerts (`alerts`: alert_rows of at
    least its held rules), up to what the projection has seen (for a parked account,
    up to its last fact projected: what time brings after it waits with its parked
    facts); whether a change due by now was left to the sweep."""
    if not batch.rules:
        return False
    seen_until, now = as_seen(batch, seen_until, now)
    horizons: dict[str, datetime] = {}
    for (code, _, _), rules in batch.rules.items():
        horizons[code] = max(horizons.get(code, rules[-1].since), rules[-1].since) if code in waiting else seen_until
    rows = {key: alerts[key] for key in held_rules(batch) if key in alerts}
    changes, kept, upcoming = settle(batch.rules, rows, horizons)
    batch.alerts += changes
    batch.timed.update(kept)
    return any(moment <= now for moment in upcoming)


def sweep_rules(
    conn: Connection, now: datetime, parked: Iterable[str], owns: Callable[[str], bool] = lambda _: True
) -> None:
    """The spells time has brought: each rule whose next change has come, up to now
    (of the accounts this projector `owns`, but the parked ones)."""
    waiting = set(parked)
    rules = {
        (r.account, r.type, r.subject): [rule_of(r)]
        for r in conn.execute(select(schema.timed_conditions).where(T.next_change <= now))
        if r.account not in waiting and owns(r.account)
    }
    if not rules:
        return
    batch = Batch()
    batch.alerts, batch.timed = settle(rules, alert_rows(conn, rules), defaultdict(lambda: now))[:2]
    batch.write(conn)


def alert_rows(conn: Connection, keys: Iterable[Key]) -> Mapping[Key, list[Row]]:
    """(account, type, subject) -> its alerts' (raised_at, cleared_at), for the
    timed alerts of these keys, read through the alerts' index on the three."""
    found: defaultdict[Key, list[Row]] = defaultdict(list)
    columns = ("account", "type", "subject", "raised_at", "cleared_at")
    for r in select_by_keys(conn, schema.alerts, ("account", "type", "subject"), keys, columns):
        cleared = None if r.cleared_at is None else utc(r.cleared_at)
        found[(r.account, r.type, r.subject)].append((utc(r.raised_at), cleared))
    return found

"""A collection case: what a collector needs of one account to decide what to
chase, taken from the account as the ledger knows it now. The read side keeps
it as JSON (see `to_json`) and works out the agenda of any date from it, so
the agenda never needs the account's history replayed."""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from o2c.domain.account import CustomerAccount
from o2c.domain.collections import plan_broken_on, promise_broken_on
from o2c.domain.money import ZERO
from o2c.domain.scenarios import FORMAL_NOTICE

# Facts that leave an account's collection case as it was (it holds no orders,
# limits or ratings): the read model need not write the case again.
LEAVE_THE_CASE = frozenset({"OrderPlaced", "OrderCancelled", "LimitChanged", "RatingChanged"})

# A window in which dunning of an invoice stands still: from and until (both
# business dates; an open-ended plan window has no until).
Window = tuple[date, date | None]


@dataclass(frozen=True)
class CaseInvoice:
    """An invoice with something still open, and what collectors did about it."""

    invoice_id: str
    due_date: date
    open_balance: Decimal
    disputed: Decimal  # under disputes open now
    steps_recorded: tuple[tuple[str, date], ...]  # (action, step date), as recorded
    pauses: tuple[tuple[date, date], ...]  # promises: made .. promised date, both included
    plan_windows: tuple[Window, ...]  # plans: agreed .. broken (excluded), or open-ended while kept

    def paused_on(self, on: date) -> bool:
        return bool(self.pauses) and any(start <= on <= until for start, until in self.pauses)

    def under_plan_on(self, on: date) -> bool:
        windows = self.plan_windows
        return bool(windows) and any(start <= on and (until is None or on < until) for start, until in windows)


@dataclass(frozen=True)
class Commitment:
    """A promise to pay or a payment plan, and the day it broke (as the ledger
    knows now; the day may lie ahead: when it will break unless cash comes)."""

    kind: str  # "promise" | "plan"
    commitment_id: str
    broken_on: date | None
    invoice_ids: tuple[str, ...]
    settled: bool  # its invoices have nothing left open: nothing more to watch
    due_on: date  # the promised date, or a plan's last installment: kept if not broken by then


@dataclass(frozen=True)
class CollectionCase:
    account: str
    name: str
    currency: str
    risk_class: str | None  # in force: a credit manager's class, else the computed one
    scenario: str | None  # assigned to the account; none: its class's scenario
    invoices: tuple[CaseInvoice, ...]  # oldest due first
    commitments: tuple[Commitment, ...]  # on its open invoices

    @property
    def broken(self) -> tuple[Commitment, ...]:
        return tuple(c for c in self.commitments if c.broken_on is not None)

    @property
    def formal_notice_open(self) -> bool:
        """A formal notice was served on one of its invoices (all still open)."""
        return any(action == FORMAL_NOTICE for i in self.invoices for action, _ in i.steps_recorded)


def commitments_of(account: CustomerAccount, on_invoices: Container[str] | None = None) -> tuple[Commitment, ...]:
    """The account's promises and plans (those on one of `on_invoices`, if given),
    each with the day it broke (or will)."""
    found = []
    for promise in account.promises.values():
        if on_invoices is not None and not any(i in on_invoices for i in promise.invoice_ids):
            continue
        promised = [account.invoices[i] for i in promise.invoice_ids]
        broken_on = promise_broken_on(promise, promised, account.payments)
        settled = all(invoice.open_balance == 0 for invoice in promised)
        due_on = promise.promised_date
        found.append(Commitment("promise", promise.promise_id, broken_on, promise.invoice_ids, settled, due_on))
    for plan in account.plans.values():
        if on_invoices is not None and not any(i in on_invoices for i in plan.invoice_ids):
            continue
        planned = [account.invoices[i] for i in plan.invoice_ids]
        broken_on = plan_broken_on(plan, planned, account.payments)
        settled = all(invoice.open_balance == 0 for invoice in planned)
        due_on = plan.installments[-1].due_date
        found.append(Commitment("plan", plan.plan_id, broken_on, plan.invoice_ids, settled, due_on))
    return tuple(found)


def collection_case(account: CustomerAccount, risk_class: str | None) -> CollectionCase:
    """The account's open invoices with the steps, promises and plans about them.
    Settled invoices and what concerned only them are left out: the projection
    builds a case whenever an account changes, and history only grows."""
    open_invoices = account.open_invoices
    commitments = commitments_of(account, open_invoices)
    broken_on = {(c.kind, c.commitment_id): c.broken_on for c in commitments}
    pauses: dict[str, list[tuple[date, date]]] = {}
    windows: dict[str, list[Window]] = {}
    for promise in account.promises.values():
        for invoice_id in promise.invoice_ids:
            if invoice_id in open_invoices:
                pauses.setdefault(invoice_id, []).append((promise.made_date, promise.promised_date))
    for plan in account.plans.values():
        for invoice_id in plan.invoice_ids:
            if invoice_id in open_invoices:
                windows.setdefault(invoice_id, []).append((plan.agreed_date, broken_on[("plan", plan.plan_id)]))
    invoices = [
        CaseInvoice(
            invoice.invoice_id,
            invoice.due_date,
            invoice.open_balance,
            invoice.disputed_on(None) if invoice.disputes else ZERO,
            tuple(account.steps_on.get(invoice.invoice_id, ())),
            tuple(pauses.get(invoice.invoice_id, ())),
            tuple(windows.get(invoice.invoice_id, ())),
        )
        for invoice in open_invoices.values()
    ]
    invoices.sort(key=lambda i: (i.due_date, i.invoice_id))
    return CollectionCase(
        account.account,
        account.name,
        account.currency,
        risk_class,
        account.scenario,
        tuple(invoices),
        commitments,
    )


# -- JSON: dates as ISO strings, amounts as decimal strings (exact, scale kept) ----


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def to_json(case: CollectionCase) -> dict[str, Any]:
    return {
        "account": case.account,
        "name": case.name,
        "currency": case.currency,
        "risk_class": case.risk_class,
        "scenario": case.scenario,
        "invoices": [
            {
                "invoice_id": i.invoice_id,
                "due_date": i.due_date.isoformat(),
                "open_balance": str(i.open_balance),
                "disputed": str(i.disputed),
                "steps_recorded": [[action, day.isoformat()] for action, day in i.steps_recorded],
                "pauses": [[start.isoformat(), until.isoformat()] for start, until in i.pauses],
                "plan_windows": [[start.isoformat(), _iso(until)] for start, until in i.plan_windows],
            }
            for i in case.invoices
        ],
        "commitments": [
            {
                "kind": c.kind,
                "commitment_id": c.commitment_id,
                "broken_on": _iso(c.broken_on),
                "invoice_ids": list(c.invoice_ids),
                "settled": c.settled,
                "due_on": c.due_on.isoformat(),
            }
            for c in case.commitments
        ],
    }


def from_json(data: Mapping[str, Any]) -> CollectionCase:
    invoices = tuple(
        CaseInvoice(
            i["invoice_id"],
            date.fromisoformat(i["due_date"]),
            Decimal(i["open_balance"]),
            Decimal(i["disputed"]),
            tuple((action, date.fromisoformat(day)) for action, day in i["steps_recorded"]),
            tuple((date.fromisoformat(start), date.fromisoformat(until)) for start, until in i["pauses"]),
            tuple((date.fromisoformat(start), _day(until)) for start, until in i["plan_windows"]),
        )
        for i in data["invoices"]
    )
    commitments = tuple(
        Commitment(
            c["kind"],
            c["commitment_id"],
            _day(c["broken_on"]),
            tuple(c["invoice_ids"]),
            c["settled"],
            date.fromisoformat(c["due_on"]),
        )
        for c in data["commitments"]
    )
    return CollectionCase(
        data["account"],
        data["name"],
        data["currency"],
        data["risk_class"],
        data["scenario"],
        invoices,
        commitments,
    )


def formal_notice_open(account: CustomerAccount) -> bool:
    """A formal notice was served on an invoice that is still open: the credit
    decision holds new orders until it is settled."""
    return any(action == FORMAL_NOTICE for i in account.open_invoices for action, _ in account.steps_on.get(i, ()))

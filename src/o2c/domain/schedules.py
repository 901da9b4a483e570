"""Due schedules under payment plans. SPEC: a plan replaces its invoices' due
schedule for dunning and overdue. While a plan holds (from its agreement until
the day it breaks), what is open on its invoices is due on its installments'
dates; from the day it breaks, on the invoices' own due dates again.

How a plan spreads what is open: cash applied to its invoices since the
agreement pays the installments in order, earliest first; what is open is due on
the installments not yet paid, earliest first, each up to what is left of it,
the invoices taken oldest due first. What the installments do not cover (they
add up to less than is open) stays due on the invoice's own date; an installment
beyond what is open is not owed (a credit note settled it). When two plans hold
on one invoice, the one agreed last governs it.

Pure functions of the account at a business date, what is open counted as of a
date (None: every recorded fact)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from o2c.domain.account import CustomerAccount
from o2c.domain.collections import PaymentPlan, cash_received, plan_broken_on, plan_covers
from o2c.domain.items import Invoice
from o2c.domain.money import ZERO

Parts = dict[str, dict[date, Decimal]]  # invoice -> due date -> amount open (> 0) due then
Overlay = dict[tuple[str, date, date], Decimal]  # (invoice, due date, effective date) -> amount
Days = tuple[tuple[date, date | None], ...]  # business days [from, until), until None: from on
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """A plan and the day it broke (or will, unless cash comes; None while kept)."""

    plan: PaymentPlan
    broken_on: date | None

    def holds_on(self, day: date) -> bool:
        return plan_covers(self.plan, self.broken_on, day)


def windows(account: CustomerAccount) -> tuple[Window, ...]:
    """The account's plans, in the order recorded, each with its break date."""
    return tuple(
        Window(plan, plan_broken_on(plan, [account.invoices[i] for i in plan.invoice_ids], account.payments))
        for plan in account.plans.values()
    )


def planned(account: CustomerAccount) -> frozenset[str]:
    """The invoices some plan names: their schedule is worked out here."""
    return frozenset(i for plan in account.plans.values() for i in plan.invoice_ids)


def governing(plans: Sequence[Window], invoice_id: str, day: date) -> Window | None:
    """The plan holding on the invoice that day; of two, the one agreed last (recorded last, on a tie)."""
    chosen = None
    for window in plans:
        held = invoice_id in window.plan.invoice_ids and window.holds_on(day)
        if held and (chosen is None or window.plan.agreed_date >= chosen.plan.agreed_date):
            chosen = window
    return chosen


def due_parts(
    account: CustomerAccount, invoice_ids: Iterable[str], day: date, as_of: date | None, plans: Sequence[Window]
) -> Parts:
    """What is open on these invoices (as of `as_of`), by the due dates in force on `day`."""
    parts: Parts = {}
    governed: defaultdict[int, list[Invoice]] = defaultdict(list)
    for invoice_id in invoice_ids:
        invoice = account.invoices[invoice_id]
        if invoice.open_balance_on(as_of) <= 0:
            continue
        window = governing(plans, invoice_id, day)
        if window is None:
            parts[invoice_id] = {invoice.due_date: invoice.open_balance_on(as_of)}
        else:
            governed[plans.index(window)].append(invoice)
    for index, invoices in governed.items():
        parts.update(_spread(account, plans[index].plan, invoices, as_of))
    return parts


def _spread(account: CustomerAccount, plan: PaymentPlan, invoices: list[Invoice], as_of: date | None) -> Parts:
    """What is open on the invoices a plan governs, on its installments not yet paid."""
    named = [account.invoices[i] for i in plan.invoice_ids]
    cash = cash_received(named, account.payments, plan.agreed_date, as_of or date.max)
    left, due = [], ZERO
    for installment in plan.installments:  # cash pays the earliest first
        due += installment.amount
        left.append(min(installment.amount, max(ZERO, due - cash)))
    parts: Parts = {}
    k = 0
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.invoice_id)):
        owed = invoice.open_balance_on(as_of)
        by_due: dict[date, Decimal] = defaultdict(lambda: ZERO)
        while owed > 0 and k < len(left):
            taken = min(owed, left[k])
            if taken > 0:
                by_due[plan.installments[k].due_date] += taken
                left[k] -= taken
                owed -= taken
            if left[k] == 0:
                k += 1
        if owed > 0:  # beyond what the installments cover: due on its own date
            by_due[invoice.due_date] += owed
        parts[invoice.invoice_id] = dict(by_due)
    return parts


@dataclass(frozen=True)
class PlanSchedules:
    """What the read model keeps of the plans: the dated lines that, added to the
    invoices' own receivable lines, move what is open to the plans' dates while
    they hold (`overlay`); and the business days each planned invoice has
    something past due (`overdue_days`), as of each day."""

    overlay: Overlay
    overdue_days: dict[str, Days]


def plan_schedules(account: CustomerAccount) -> PlanSchedules:
    """Worked out on every day the schedule can change: an agreement or a break,
    and each issue, cash or credit of a planned invoice."""
    plans = windows(account)
    invoice_ids = sorted(planned(account))
    turns = sorted(_turns(account, plans, invoice_ids))
    overlay: Overlay = {}
    spans: defaultdict[str, list[tuple[date, date | None]]] = defaultdict(list)
    moved_before: dict[tuple[str, date], Decimal] = {}
    for n, day in enumerate(turns):
        parts = due_parts(account, invoice_ids, day, day, plans)
        moved = _moved(account, parts)
        for key in moved_before.keys() | moved.keys():
            change = moved.get(key, ZERO) - moved_before.get(key, ZERO)
            if change:
                overlay[(key[0], key[1], day)] = change
        moved_before = moved
        until = turns[n + 1] if n + 1 < len(turns) else None
        for invoice_id, by_due in parts.items():
            start = max(day, min(by_due) + DAY)
            if until is None or start < until:
                _extend(spans[invoice_id], start, until)
    return PlanSchedules(overlay, {i: tuple(spans.get(i, ())) for i in invoice_ids})


def _turns(account: CustomerAccount, plans: Sequence[Window], invoice_ids: Iterable[str]) -> set[date]:
    days = set()
    for window in plans:
        days.add(window.plan.agreed_date)
        if window.broken_on is not None:
            days.add(window.broken_on)
    for invoice_id in invoice_ids:
        invoice = account.invoices[invoice_id]
        days.add(invoice.issue_date)
        days.update(m.effective for m in invoice.settlements)
    return days


def _moved(account: CustomerAccount, parts: Parts) -> dict[tuple[str, date], Decimal]:
    """What the plans move from each invoice's own due date to theirs."""
    moved: defaultdict[tuple[str, date], Decimal] = defaultdict(lambda: ZERO)
    for invoice_id, by_due in parts.items():
        own = account.invoices[invoice_id].due_date
        for due, amount in by_due.items():
            if due != own:
                moved[(invoice_id, due)] += amount
                moved[(invoice_id, own)] -= amount
    return {key: amount for key, amount in moved.items() if amount}


def _extend(spans: list[tuple[date, date | None]], start: date, until: date | None) -> None:
    if spans and spans[-1][1] == start:
        spans[-1] = (spans[-1][0], until)
    else:
        spans.append((start, until))


def overdue_on(account: CustomerAccount, as_of: date | None, today: date) -> Decimal:
    """SPEC's overdue: what is open past due, by the due dates in force. As of a
    date, every invoice as of it; with every fact counted (as_of None), invoices no
    plan names as before (every fact, past due on today), planned ones still open
    as of today (a plan's schedule is a matter of dates)."""
    on = as_of or today
    named = planned(account)
    overdue = sum(
        (i.open_balance_on(as_of) for i in account.invoices.values() if i.invoice_id not in named and i.due_date < on),
        ZERO,
    )
    if named:
        still_open = [i for i in sorted(named) if as_of is not None or account.invoices[i].open_balance > 0]
        for by_due in due_parts(account, still_open, on, on, windows(account)).values():
            overdue += sum((amount for due, amount in by_due.items() if due < on), ZERO)
    return overdue

"""A realistic portfolio of ERP facts, the same for the same seed: the benchmarks' input.

Accounts are opened with limits (some insured, some with a risk class), then
live ~18 months of trade: orders (a few cancelled, some invoiced in two
parts), invoices on 30-60 day terms (some "45 days end of month"), payments
that come early, on time, late or never (a few customers default), partial
payments, monthly remittances settling several invoices, cash received
without a reference and allocated later (or not), small overpayments left
unapplied, credit notes, disputes opened and resolved every way, limit
changes and agency ratings.

The collector works too: dunning steps of the account's scenario recorded on
invoices still open when a step falls due (not every one: collectors fall
behind, which is what fills the agenda), promises to pay made on a call (kept
when the customer pays by the promised date, broken otherwise), payment plans
for large late balances, and now and then a credit manager's risk class.

The facts come out as the ERP would post them (JSON-ready envelopes with
decimal strings and ISO dates), in business-date order across accounts. The
generator keeps its own books of each invoice, so every fact passes the
ledger's rules: nothing allocated, credited or disputed beyond what is open.
"""

from __future__ import annotations

import calendar
import heapq
import itertools
import math
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from o2c.domain.scenarios import DEFAULT_SCENARIOS, Step

Document = dict[str, Any]

# Facts per order cycle and per account besides trade, measured on this
# generator: they turn a target number of facts into an ordering rate.
_FACTS_PER_CYCLE = 3.4
_FACTS_PER_ACCOUNT = 4.1
_AGENCIES = ("Coface", "Altares", "Ellisphere")
_RATING_LETTERS = "DCCBBBAAAA"  # score 1..10 -> letter
_DISPUTE_REASONS = ("short delivery", "price difference", "damaged goods", "not ordered", "late delivery")
_STEP_TAKEN = 0.35  # the share of due dunning steps a collector gets to
_PRE_REMINDER_TAKEN = 0.2  # reminders before the due date: only for some invoices
_PROMISE_ON_CALL = 0.3  # a call (phone step) ends with a promise to pay
_PLAN_ABOVE = 1_000_000  # cents: late balances above this may get a payment plan
_SCENARIO_OF_CLASS = {letter: name for name, (classes, _) in DEFAULT_SCENARIOS.items() for letter in classes}


@dataclass(frozen=True)
class Shape:
    accounts: int = 10_000
    events: int = 1_000_000  # about: the simulation lands within a few percent
    end: date = date(2026, 10, 31)  # the last business date; fixed so a seed always gives the same facts
    months: int = 18
    seed: int = 20261125

    @property
    def start(self) -> date:
        return self.end - timedelta(days=round(self.months * 30.44))


def portfolio(shape: Shape) -> Iterator[Document]:
    """The facts of a portfolio of `shape`, in business-date order."""
    return _Simulation(shape).run()


def batches(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    iterator = iter(documents)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def account_code(number: int) -> str:
    """The ERP's code of the portfolio's `number`th account (from 1)."""
    return f"C{number:06d}"


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _thousands(cents: float) -> int:
    """Limits are set in round thousands of euros."""
    return round(cents / 100_000) * 100_000


# -- the generator's books ------------------------------------------------------------------


@dataclass
class _Invoice:
    invoice_id: str
    issue: date
    due: date
    open: int  # cents, every recorded fact counted (what the ledger checks against)
    disputed: int = 0  # open disputes
    held_until: date | None = None  # under a promise or a plan: no dunning until then


@dataclass
class _Customer:
    code: str
    terms: int
    end_of_month: bool
    delay: Callable[[], float]  # days paid after the due date (negative: early)
    order_size: float  # mean, cents
    interval: float  # mean days between orders
    remittance_day: int | None  # pays monthly on that day, several invoices at once
    defaults_on: date | None
    partial: float
    unreferenced: float  # cash received without saying which invoice it settles
    dispute: float
    credit_note: float
    agency: str
    steps: tuple[Step, ...]  # the dunning scenario the collector follows for it
    facts: int = 0
    ids: int = 0
    to_remit: list[_Invoice] = field(default_factory=list)

    def next_id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}-{self.code}-{self.ids:05d}"

    def pays_on(self, day: date) -> bool:
        return self.defaults_on is None or day < self.defaults_on


class _Simulation:
    """Actions on a calendar: each runs on its business date, records facts and
    schedules what follows from them (an order its invoice, an invoice its payment…)."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.rng = random.Random(shape.seed)
        self.calendar: list[tuple[int, int, Callable[[date], None]]] = []
        self.sequence = itertools.count()
        self.out: list[Document] = []
        span = (shape.end - shape.start).days
        per_account = max(shape.events / max(shape.accounts, 1) - _FACTS_PER_ACCOUNT, 1.0)
        self.mean_interval = span / (per_account / _FACTS_PER_CYCLE)

    def run(self) -> Iterator[Document]:
        for number in range(1, self.shape.accounts + 1):
            self.schedule(self._opening_date(), lambda on, n=number: self.open_account(on, n))
        while self.calendar:
            ordinal, _, action = heapq.heappop(self.calendar)
            action(date.fromordinal(ordinal))
            if self.out:
                yield from self.out
                self.out.clear()

    def schedule(self, on: date, action: Callable[[date], None]) -> None:
        if on <= self.shape.end:
            heapq.heappush(self.calendar, (on.toordinal(), next(self.sequence), action))

    def later(self, on: date, low: int, high: int) -> date:
        return on + timedelta(days=self.rng.randint(low, high))

    def record(self, customer: _Customer, fact_type: str, **data: Any) -> None:
        customer.facts += 1
        self.out.append({
            "event_id": f"{customer.code}/{customer.facts}", "type": fact_type, "account": customer.code,
            "data": data,
        })  # fmt: skip

    # -- accounts --------------------------------------------------------------------------

    def _opening_date(self) -> date:
        # Most customers are already there when the period starts; the rest join along it.
        if self.rng.random() < 0.85:
            return self.shape.start
        return self.later(self.shape.start, 1, max((self.shape.end - self.shape.start).days - 90, 1))

    def open_account(self, on: date, number: int) -> None:
        rng = self.rng
        code = account_code(number)
        activity = rng.lognormvariate(-0.32, 0.8)  # mean ~1: big and small customers
        behaviour = rng.random()
        if behaviour < 0.55:
            delay = lambda: rng.gauss(-2, 4)  # noqa: E731 - prompt payers
        elif behaviour < 0.85:
            delay = lambda: rng.gauss(20, 12)  # noqa: E731 - slow payers
        else:
            delay = lambda: rng.gauss(55, 25)  # noqa: E731 - late payers
        span = (self.shape.end - self.shape.start).days
        defaults_on = self.later(self.shape.start, 180, span) if rng.random() < 0.03 else None
        customer = _Customer(
            code=code,
            terms=rng.choice((30, 30, 45, 45, 60)),
            end_of_month=rng.random() < 0.3,
            delay=delay,
            order_size=rng.lognormvariate(math.log(300_000), 0.9),
            interval=self.mean_interval / activity,
            remittance_day=rng.choice((5, 10, 15, 25)) if rng.random() < 0.25 else None,
            defaults_on=defaults_on,
            partial=0.1,
            unreferenced=0.06,
            dispute=0.03,
            credit_note=0.04,
            agency=rng.choice(_AGENCIES),
            steps=(),
        )
        monthly = customer.order_size * 30 / customer.interval
        limit = max(_thousands(monthly * (customer.terms / 30 + 1) * rng.uniform(1.0, 2.2)), 500_000)
        data: dict[str, Any] = {"name": f"Customer {number} SAS", "currency": "EUR", "credit_limit": money(limit),
                                "payment_terms_days": customer.terms}  # fmt: skip
        if rng.random() < 0.4:
            data["insured_limit"] = money(_thousands(limit * rng.uniform(0.5, 0.9)))
        if rng.random() < 0.3:
            data["risk_class"] = rng.choice("AABBBCCDDE")
        customer.steps = DEFAULT_SCENARIOS[_SCENARIO_OF_CLASS[data.get("risk_class", "C")]][1]
        self.record(customer, "AccountOpened", **data)
        if rng.random() < 0.03:
            self.schedule(self.later(on, 60, 400), lambda d: self.reclassify(d, customer))
        self.schedule(self.later(on, 0, round(customer.interval)), lambda d: self.place_order(d, customer))
        if customer.remittance_day is not None:
            self.schedule(self._next_day_of_month(on, customer.remittance_day), lambda d: self.remit(d, customer))
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            self.schedule(self.later(on, 30, 520), lambda d: self.change_limit(d, customer, limit))
        if rng.random() < 0.4:
            self.schedule(self.later(on, 0, 30), lambda d: self.rate(d, customer, rng.randint(3, 9)))

    def change_limit(self, on: date, customer: _Customer, opening_limit: int) -> None:
        factor = self.rng.choice((0.5, 0.8, 1.25, 1.5, 2.0))
        reason = "annual review" if factor > 1 else "payment incidents"
        self.record(customer, "LimitChanged", credit_limit=money(_thousands(opening_limit * factor)), reason=reason)

    def rate(self, on: date, customer: _Customer, score: int) -> None:
        self.record(customer, "RatingChanged", agency=customer.agency, score=score,
                    rating=_RATING_LETTERS[score - 1])  # fmt: skip
        drift = self.rng.choice((-2, -1, -1, 0, 0, 0, 1, 1))
        if customer.defaults_on is not None and on >= customer.defaults_on - timedelta(days=60):
            drift = -2  # agencies see it coming
        self.schedule(self.later(on, 70, 110), lambda d: self.rate(d, customer, min(max(score + drift, 1), 10)))

    # -- orders and invoices -----------------------------------------------------------------

    def place_order(self, on: date, customer: _Customer) -> None:
        rng = self.rng
        if customer.defaults_on is not None and on > customer.defaults_on + timedelta(days=30):
            return  # a defaulted customer is no longer delivered
        self.schedule(on + timedelta(days=max(1, round(rng.expovariate(1 / customer.interval)))),
                      lambda d: self.place_order(d, customer))  # fmt: skip
        amount = max(round(rng.lognormvariate(math.log(customer.order_size), 0.6)), 5_000)
        if rng.random() < 0.2:  # services invoiced with no order
            self.issue_invoice(on, customer, None, amount)
            return
        order_id = customer.next_id("O")
        self.record(customer, "OrderPlaced", order_id=order_id, amount=money(amount), order_date=on.isoformat())
        chance = rng.random()
        if chance < 0.025:
            self.schedule(self.later(on, 1, 10), lambda d: self.record(
                customer, "OrderCancelled", order_id=order_id, cancelled_date=d.isoformat()))  # fmt: skip
        elif chance < 0.125:  # delivered in two parts
            first = round(amount * rng.uniform(0.3, 0.7))
            self.schedule(self.later(on, 0, 7), lambda d: self.issue_invoice(d, customer, order_id, first))
            self.schedule(self.later(on, 10, 25), lambda d: self.issue_invoice(d, customer, order_id, amount - first))
        else:
            self.schedule(self.later(on, 0, 10), lambda d: self.issue_invoice(d, customer, order_id, amount))

    def _due_date(self, customer: _Customer, issue: date) -> date:
        due = issue + timedelta(days=customer.terms)
        if customer.end_of_month:
            due = due.replace(day=calendar.monthrange(due.year, due.month)[1])
        return due

    def issue_invoice(self, on: date, customer: _Customer, order_id: str | None, amount: int) -> None:
        rng = self.rng
        invoice = _Invoice(customer.next_id("F"), on, self._due_date(customer, on), amount)
        data: dict[str, Any] = {"invoice_id": invoice.invoice_id, "amount": money(amount),
                                "issue_date": on.isoformat(), "due_date": invoice.due.isoformat()}  # fmt: skip
        if order_id is not None:
            data["order_id"] = order_id
        self.record(customer, "InvoiceIssued", **data)
        if rng.random() < customer.credit_note:
            self.schedule(self.later(on, 2, 30), lambda d: self.credit(d, customer, invoice))
        if rng.random() < customer.dispute:
            self.schedule(self.later(on, 5, 45), lambda d: self.open_dispute(d, customer, invoice))
        for step in customer.steps:
            self.schedule(max(invoice.due + timedelta(days=step.offset_days), on),
                          lambda d, step=step: self.dun(d, customer, invoice, step))  # fmt: skip
        paid_on = max(invoice.due + timedelta(days=round(customer.delay())), on + timedelta(days=1))
        if customer.remittance_day is not None:
            self.schedule(paid_on, lambda d: customer.to_remit.append(invoice))
        elif rng.random() < customer.partial:
            self.schedule(paid_on, lambda d: self.pay(d, customer, [invoice], share=rng.uniform(0.3, 0.7)))
            self.schedule(self.later(paid_on, 10, 40), lambda d: self.pay(d, customer, [invoice]))
        else:
            self.schedule(paid_on, lambda d: self.pay(d, customer, [invoice]))

    def credit(self, on: date, customer: _Customer, invoice: _Invoice) -> None:
        amount = min(round(invoice.open * self.rng.uniform(0.05, 0.3)), invoice.open)
        if amount <= 0:
            return
        invoice.open -= amount
        self.record(customer, "CreditNoteIssued", credit_note_id=customer.next_id("A"),
                    invoice_id=invoice.invoice_id, amount=money(amount), issue_date=on.isoformat())  # fmt: skip

    # -- the collector ------------------------------------------------------------------------

    def dun(self, on: date, customer: _Customer, invoice: _Invoice, step: Step) -> None:
        """A scenario step falls due on an invoice: taken if still owed and not held."""
        rng = self.rng
        owed = invoice.open - invoice.disputed
        held = invoice.held_until is not None and on <= invoice.held_until
        taken = _STEP_TAKEN if step.offset_days > 0 else _PRE_REMINDER_TAKEN
        if owed <= 0 or held or rng.random() > taken:
            return
        self.record(customer, "DunningStepRecorded", step=step.action, channel=step.channel,
                    invoice_ids=[invoice.invoice_id], step_date=on.isoformat())  # fmt: skip
        late = on > invoice.due
        if late and owed > _PLAN_ABOVE and step.channel == "letter" and rng.random() < 0.1:
            self.agree_plan(on, customer, invoice, owed)
        elif late and step.channel == "phone" and rng.random() < _PROMISE_ON_CALL:
            self.promise(on, customer, invoice, owed)

    def promise(self, on: date, customer: _Customer, invoice: _Invoice, owed: int) -> None:
        promised = self.later(on, 5, 20)
        invoice.held_until = promised
        self.record(customer, "PromiseToPay", promise_id=customer.next_id("PTP"), amount=money(owed),
                    promised_date=promised.isoformat(), invoice_ids=[invoice.invoice_id],
                    promise_date=on.isoformat())  # fmt: skip
        if self.rng.random() < 0.7:  # kept: paid by the promised date (the usual payment finds nothing left)
            self.schedule(self.later(on, 1, (promised - on).days), lambda d: self.pay(d, customer, [invoice]))

    def agree_plan(self, on: date, customer: _Customer, invoice: _Invoice, owed: int) -> None:
        count = self.rng.choice((2, 3, 4))
        share = owed // count
        amounts = [share] * (count - 1) + [owed - share * (count - 1)]
        dates = [on + timedelta(days=30 * (n + 1)) for n in range(count)]
        invoice.held_until = dates[-1]
        self.record(customer, "PaymentPlanAgreed", plan_id=customer.next_id("PLAN"),
                    invoice_ids=[invoice.invoice_id], agreed_date=on.isoformat(),
                    installments=[{"due_date": d.isoformat(), "amount": money(a)}
                                  for d, a in zip(dates, amounts, strict=True)])  # fmt: skip

    def reclassify(self, on: date, customer: _Customer) -> None:
        letter = self.rng.choice("BCDDEE")
        customer.steps = DEFAULT_SCENARIOS[_SCENARIO_OF_CLASS[letter]][1]
        self.record(customer, "RiskClassChanged", risk_class=letter, reason="credit committee review")

    # -- disputes ----------------------------------------------------------------------------

    def open_dispute(self, on: date, customer: _Customer, invoice: _Invoice) -> None:
        rng = self.rng
        undisputed = invoice.open - invoice.disputed
        amount = min(round(undisputed * rng.choice((0.1, 0.25, 0.5, 1.0))), undisputed)
        if amount <= 0:
            return
        dispute_id = customer.next_id("D")
        invoice.disputed += amount
        self.record(customer, "DisputeOpened", dispute_id=dispute_id, invoice_id=invoice.invoice_id,
                    amount=money(amount), reason=rng.choice(_DISPUTE_REASONS), opened_date=on.isoformat())  # fmt: skip
        if rng.random() < 0.85:  # the rest are still open at the end
            self.schedule(self.later(on, 10, 120), lambda d: self.resolve(d, customer, invoice, dispute_id, amount))

    def resolve(self, on: date, customer: _Customer, invoice: _Invoice, dispute_id: str, amount: int) -> None:
        outcome = self.rng.choices(("upheld", "rejected", "withdrawn"), (45, 35, 20))[0]
        invoice.disputed -= amount
        self.record(customer, "DisputeResolved", dispute_id=dispute_id, outcome=outcome, resolved_date=on.isoformat())
        if outcome == "upheld":
            # The ledger credits the disputed amount, never more than is still open.
            invoice.open -= min(amount, invoice.open)
        else:  # the customer now pays what it held back
            self.schedule(self.later(on, 5, 30), lambda d: self.pay(d, customer, [invoice]))

    # -- cash --------------------------------------------------------------------------------

    @staticmethod
    def _next_day_of_month(on: date, day: int) -> date:
        if on.day < day:
            return on.replace(day=day)
        year, month = divmod(on.year * 12 + on.month, 12)  # the next month, counted from 0
        return date(year, month + 1, day)

    def remit(self, on: date, customer: _Customer) -> None:
        waiting, customer.to_remit = customer.to_remit, []
        self.pay(on, customer, waiting)
        self.schedule(self._next_day_of_month(on, customer.remittance_day or 1), lambda d: self.remit(d, customer))

    def pay(self, on: date, customer: _Customer, invoices: list[_Invoice], share: float = 1.0) -> None:
        """Pays what is open and not disputed on `invoices` (a `share` of it)."""
        rng = self.rng
        if not customer.pays_on(on):
            return
        allocations = []
        for invoice in invoices:
            payable = invoice.open - invoice.disputed
            if share < 1.0:
                payable = round(payable * share)
            if payable > 0:
                allocations.append((invoice, payable))
        if not allocations:
            return
        paid = sum(amount for _, amount in allocations)
        if rng.random() < 0.02:
            paid += rng.randint(1, 5_000)  # an overpayment, left as unapplied cash
        payment_id = customer.next_id("P")
        unreferenced = rng.random() < customer.unreferenced
        self.record(customer, "PaymentReceived", payment_id=payment_id, amount=money(paid),
                    received_date=on.isoformat(),
                    allocations=[] if unreferenced else self._allocate(allocations))  # fmt: skip
        if unreferenced and rng.random() < 0.85:  # the rest stays unapplied
            self.schedule(self.later(on, 2, 25), lambda d: self.allocate_later(d, customer, payment_id, allocations))

    def allocate_later(self, on: date, customer: _Customer, payment_id: str, meant: list[tuple[_Invoice, int]]) -> None:
        # The invoices may have been credited or paid since: allocate what is still open.
        allocations = [(invoice, min(amount, invoice.open)) for invoice, amount in meant if invoice.open > 0]
        if allocations:
            self.record(customer, "PaymentAllocated", payment_id=payment_id, allocation_date=on.isoformat(),
                        allocations=self._allocate(allocations))  # fmt: skip

    @staticmethod
    def _allocate(allocations: list[tuple[_Invoice, int]]) -> list[Document]:
        listed = []
        for invoice, amount in allocations:
            invoice.open -= amount
            listed.append({"invoice_id": invoice.invoice_id, "amount": money(amount)})
        return listed

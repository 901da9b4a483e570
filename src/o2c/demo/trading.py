"""One customer's trade, day by day, as its habits make it: orders, deliveries
invoiced, payment runs, disputes, credit notes and the credit decisions taken
about it. It keeps just enough of the account (what is open, disputed, or
paid but awaiting its remittance advice) for every fact to pass the ledger's
rules; the ledger checks them all again when the demo is recorded."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from functools import partial

from o2c.demo.customers import Customer, Plan, Promise, Reclass, Review
from o2c.demo.feed import Feed
from o2c.domain.money import MINOR_UNITS, ZERO
from o2c.domain.scenarios import DEFAULT_SCENARIOS, FORMAL_NOTICE, Step

AGENCY = "Creditsafe"
DISPUTE_REASONS = (
    "short delivery",
    "damaged goods",
    "price differs from the quotation",
    "goods not ordered",
    "late delivery penalty claimed",
    "quality below specification",
)
# Collectors have recorded the steps they take in o2c for the last six months; they
# take most reminders, not every call, and leave formal notices to the credit manager.
DUNNING_DAYS = 180
TAKEN = {"pre_reminder": 0.5, "pre_reminder_call": 0.8, "reminder": 0.9, "call": 0.6, "second_reminder": 0.5}
CALL_NOTES = (
    None,
    "promised to pay at the next payment run",
    "invoice waiting for approval in their accounts payable",
    "asked for a copy of the invoice: sent again by email",
    "contact away, call back next week",
)
Action = Callable[[date], None]


def rating_band(score: int) -> str:
    """The agency's letter for a score out of 100 (higher is safer)."""
    for floor, letter in ((71, "A"), (51, "B"), (30, "C"), (21, "D")):
        if score >= floor:
            return letter
    return "E"


@dataclass
class OpenInvoice:
    invoice_id: str
    open: Decimal
    due: date
    disputed: Decimal = ZERO
    awaiting: Decimal = ZERO  # cash received for it whose allocation is not posted yet
    pay_on: date | None = None  # when the customer means to pay it; None: not planned
    held_until: date | None = None  # a promise or a plan keeps it out of dunning until then

    @property
    def payable(self) -> Decimal:
        return self.open - self.disputed - self.awaiting


class Trade:
    def __init__(self, customer: Customer, today: date, feed: Feed) -> None:
        self.customer = customer
        self.habits = customer.habits
        self.today = today
        self.feed = feed
        # One generator per customer: its story does not change when another's does.
        self.rng = random.Random(f"o2c-demo/{customer.code}")
        self.quantum = Decimal(1).scaleb(-MINOR_UNITS[customer.currency])
        self.start = today - timedelta(days=customer.since)
        self.invoices: dict[str, OpenInvoice] = {}
        self.cash: dict[str, Decimal] = {}  # payment -> cash received and not applied
        self.prepaid: dict[str, str] = {}  # order -> the payment of its pro-forma
        self.agenda: defaultdict[date, list[Action]] = defaultdict(list)
        self.facts = 0
        self.order_size = self._monthly_sales() / Decimal(str(self.habits.orders_per_month))
        self.run_phase = self.rng.randrange(self.habits.run_every)
        for days_ago, score in customer.ratings:
            self.later(max(self.start, today - timedelta(days=days_ago)), partial(self.rate, score))
        for review in customer.reviews:
            self.later(today - timedelta(days=review.days_ago), partial(self.review, review))
        # Dunning draws from its own generator: it does not change the trade's story.
        self.collector = random.Random(f"o2c-demo/{customer.code}/collections")
        self.risk_class = customer.risk_class
        self.assigned: str | None = None  # the scenario assigned to it, if any
        for promise in customer.promises:
            self.later(
                today - timedelta(days=promise.days_ago),
                partial(self.when_overdue, promise.invoices, partial(self.promise_to_pay, promise)),
            )
        for plan in customer.plans:
            self.later(
                today - timedelta(days=plan.days_ago),
                partial(self.when_overdue, plan.invoices, partial(self.agree_plan, plan)),
            )
        if customer.formal_notice is not None:
            self.later(today - timedelta(days=customer.formal_notice), self.send_formal_notice)
        if customer.reclassed is not None:
            self.later(today - timedelta(days=customer.reclassed.days_ago), partial(self.reclass, customer.reclassed))
        if customer.scenario is not None:
            days_ago, scenario = customer.scenario
            self.later(today - timedelta(days=days_ago), partial(self.assign_scenario, scenario))

    def _monthly_sales(self) -> Decimal:
        c, h = self.customer, self.habits
        if c.monthly_sales is not None:
            return Decimal(c.monthly_sales)
        # Exposure is about a month's sales per 30 days from order to cash.
        cycle = c.payment_terms_days + sum(h.pay_delay) / 2 + 6 + h.run_every / 2
        return Decimal(c.credit_limit) * Decimal(str(h.utilization * 30 / cycle))

    # -- helpers ------------------------------------------------------------------------

    def later(self, day: date, action: Action) -> None:
        self.agenda[day].append(action)

    def days_ago(self, days: int | None) -> date | None:
        return None if days is None else self.today - timedelta(days=days)

    def amount(self, value: Decimal, low: float, high: float) -> Decimal:
        """`value` times a factor drawn in [low, high], at the currency's scale."""
        factor = Decimal(str(round(self.rng.uniform(low, high), 4)))
        return (value * factor).quantize(self.quantum, rounding=ROUND_HALF_EVEN)

    def fact(self, fact_type: str, **data: object) -> None:
        self.facts += 1
        code = self.customer.code
        self.feed.post(f"demo-{code.removeprefix('DEMO-')}-{self.facts:04d}", fact_type, code, **data)

    def promise(self, item: OpenInvoice, on: date) -> None:
        stops = self.days_ago(self.customer.stops_paying)
        item.pay_on = None if stops is not None and on >= stops else on

    def settle(self, item: OpenInvoice, amount: Decimal) -> None:
        item.open -= amount
        if item.open == 0:
            del self.invoices[item.invoice_id]

    # -- a day ----------------------------------------------------------------------------

    def step(self, day: date) -> None:
        if day < self.start:
            return
        if day == self.start:
            c = self.customer
            self.fact("AccountOpened", name=c.name, currency=c.currency, credit_limit=c.credit_limit,
                      payment_terms_days=c.payment_terms_days, risk_class=c.risk_class,
                      insured_limit=c.insured_limit)  # fmt: skip
        for action in self.agenda.pop(day, []):
            action(day)
        self.dun(day)
        stopped = self.days_ago(self.customer.stops_ordering)
        if (stopped is None or day < stopped) and self.rng.random() < self.habits.orders_per_month / 30:
            self.order(day)
        if not self.customer.prepays and (day - self.start).days % self.habits.run_every == self.run_phase:
            self.payment_run(day)

    # -- credit line --------------------------------------------------------------------------

    def rate(self, score: int, day: date) -> None:
        self.fact("RatingChanged", agency=AGENCY, score=score, rating=rating_band(score))

    def review(self, review: Review, day: date) -> None:
        self.fact("LimitChanged", credit_limit=review.credit_limit, reason=review.reason,
                  insured_limit=review.insured_limit)  # fmt: skip

    # -- orders and invoices ---------------------------------------------------------------------

    def growth(self, day: date) -> Decimal:
        ramp = self.customer.ramp_up
        if ramp is None or day < self.today - timedelta(days=ramp):
            return Decimal(1)
        # Twice the usual order size by today.
        return 1 + Decimal((day - (self.today - timedelta(days=ramp))).days) / ramp

    def order(self, day: date) -> None:
        h, rng = self.habits, self.rng
        amount = self.amount(self.order_size * self.growth(day), 0.4, 1.6)
        if not self.customer.prepays and rng.random() < h.direct_invoices:
            self.invoice(amount, None, day)  # a service or freight: invoiced with no order before it
            return
        order_id = self.feed.number("SO", day)
        self.fact("OrderPlaced", order_id=order_id, amount=amount, order_date=day)
        if self.customer.prepays:
            payment_id = self.feed.number("PAY", day)
            self.fact("PaymentReceived", payment_id=payment_id, amount=amount, received_date=day, allocations=[])
            self.cash[payment_id] = amount
            self.prepaid[order_id] = payment_id
        draw = rng.random()
        if draw < h.cancellations:
            self.later(day + timedelta(days=rng.randint(1, 10)), partial(self.cancel, order_id))
        elif draw < h.cancellations + h.split_deliveries:
            first = self.amount(amount, 0.4, 0.7)
            self.later(day + timedelta(days=rng.randint(1, 6)), partial(self.invoice, first, order_id))
            rest = day + timedelta(days=rng.randint(10, 25))
            if rng.random() < 0.3:  # the rest was out of stock
                self.later(rest, partial(self.cancel, order_id))
            else:
                self.later(rest, partial(self.invoice, amount - first, order_id))
        else:
            self.later(day + timedelta(days=rng.randint(1, 10)), partial(self.invoice, amount, order_id))

    def cancel(self, order_id: str, day: date) -> None:
        self.fact("OrderCancelled", order_id=order_id, cancelled_date=day)

    def invoice(self, amount: Decimal, order_id: str | None, day: date) -> None:
        h, rng = self.habits, self.rng
        invoice_id = self.feed.number("F", day)
        due = day + timedelta(days=self.customer.payment_terms_days)
        self.fact("InvoiceIssued", invoice_id=invoice_id, amount=amount, issue_date=day, due_date=due,
                  order_id=order_id)  # fmt: skip
        item = OpenInvoice(invoice_id, amount, due)
        self.invoices[invoice_id] = item
        payment_id = self.prepaid.get(order_id or "")
        if payment_id is not None:
            applied = min(amount, self.cash[payment_id])
            self.fact("PaymentAllocated", payment_id=payment_id, allocation_date=day,
                      allocations=[{"invoice_id": invoice_id, "amount": applied}])  # fmt: skip
            self.use_cash(payment_id, applied)
            self.settle(item, applied)
            return
        self.promise(item, due + timedelta(days=rng.randint(*h.pay_delay)))
        if rng.random() < h.disputes:
            self.later(day + timedelta(days=rng.randint(4, 20)), partial(self.dispute, invoice_id))
        if rng.random() < h.credit_notes:
            self.later(day + timedelta(days=rng.randint(2, 25)), partial(self.credit_note, invoice_id))

    def credit_note(self, invoice_id: str, day: date) -> None:
        item = self.invoices.get(invoice_id)
        if item is None or item.payable <= 0:
            return
        amount = self.amount(item.payable, 0.05, 0.3)
        if amount <= 0:
            return
        self.fact("CreditNoteIssued", credit_note_id=self.feed.number("CN", day), invoice_id=invoice_id,
                  amount=amount, issue_date=day)  # fmt: skip
        self.settle(item, amount)

    # -- disputes -----------------------------------------------------------------------------------

    def dispute(self, invoice_id: str, day: date) -> None:
        item = self.invoices.get(invoice_id)
        if item is None or item.payable <= 0:
            return
        amount = self.amount(item.payable, 0.1, 0.5)
        if amount <= 0:
            return
        dispute_id = self.feed.number("DSP", day)
        self.fact("DisputeOpened", dispute_id=dispute_id, invoice_id=invoice_id, amount=amount,
                  reason=self.rng.choice(DISPUTE_REASONS), opened_date=day)  # fmt: skip
        item.disputed += amount
        # Resolutions due after today stay open disputes.
        self.later(day + timedelta(days=self.rng.randint(10, 75)), partial(self.resolve, dispute_id, item, amount))

    def resolve(self, dispute_id: str, item: OpenInvoice, amount: Decimal, day: date) -> None:
        rng = self.rng
        outcome = rng.choices(("upheld", "rejected", "withdrawn"), weights=(45, 35, 20))[0]
        credited = amount
        if outcome == "upheld" and rng.random() < 0.4:
            credited = self.amount(amount, 0.3, 0.9) or amount  # a settlement for part of the claim
        self.fact("DisputeResolved", dispute_id=dispute_id, outcome=outcome, resolved_date=day,
                  credited_amount=credited if outcome == "upheld" and credited != amount else None)  # fmt: skip
        item.disputed -= amount
        if outcome == "upheld":
            self.settle(item, credited)
        # What the customer held back is due again.
        if item.open > 0 and item.payable > 0 and (item.pay_on is None or item.pay_on < day):
            self.promise(item, day + timedelta(days=rng.randint(5, 20)))

    # -- cash ------------------------------------------------------------------------------------------

    def use_cash(self, payment_id: str, amount: Decimal) -> None:
        self.cash[payment_id] -= amount
        if self.cash[payment_id] == 0:
            del self.cash[payment_id]

    def payment_run(self, day: date) -> None:
        h, rng = self.habits, self.rng
        due = [i for i in self.invoices.values() if i.pay_on is not None and i.pay_on <= day and i.payable > 0]
        if not due:
            return
        pays = {item.invoice_id: item.payable for item in due}
        last = due[-1]
        if rng.random() < h.short_pay:
            part = self.amount(last.payable, 0.3, 0.8)
            if 0 < part < last.payable:
                pays[last.invoice_id] = part
                self.promise(last, day + timedelta(days=rng.randint(14, 40)))
        self.apply_unapplied_cash(pays, day)
        if not pays:
            return
        total = sum(pays.values(), ZERO)
        extra = self.amount(total, 0.01, 0.1) if rng.random() < h.overpay else ZERO
        payment_id = self.feed.number("PAY", day)
        allocations = [{"invoice_id": invoice_id, "amount": amount} for invoice_id, amount in pays.items()]
        if rng.random() < h.late_remittance:
            # The cash is in the bank; what it pays is known when the advice arrives.
            self.fact("PaymentReceived", payment_id=payment_id, amount=total + extra, received_date=day,
                      allocations=[])  # fmt: skip
            for invoice_id, amount in pays.items():
                self.invoices[invoice_id].awaiting += amount
            advice = day + timedelta(days=rng.randint(2, 12))
            self.later(advice, partial(self.remittance_advice, payment_id, allocations))
        else:
            self.fact("PaymentReceived", payment_id=payment_id, amount=total + extra, received_date=day,
                      allocations=allocations)  # fmt: skip
            for invoice_id, amount in pays.items():
                self.settle(self.invoices[invoice_id], amount)
        if extra > 0:
            self.cash[payment_id] = extra

    def remittance_advice(self, payment_id: str, allocations: list[dict[str, object]], day: date) -> None:
        self.fact("PaymentAllocated", payment_id=payment_id, allocation_date=day, allocations=allocations)
        for allocation in allocations:
            item = self.invoices[str(allocation["invoice_id"])]
            amount = allocation["amount"]
            assert isinstance(amount, Decimal)
            item.awaiting -= amount
            self.settle(item, amount)

    def apply_unapplied_cash(self, pays: dict[str, Decimal], day: date) -> None:
        """Cash already received and not applied (an overpayment) pays first."""
        for payment_id in list(self.cash):
            allocations = []
            for invoice_id in list(pays):
                applied = min(self.cash[payment_id], pays[invoice_id])
                allocations.append({"invoice_id": invoice_id, "amount": applied})
                self.settle(self.invoices[invoice_id], applied)
                pays[invoice_id] -= applied
                if pays[invoice_id] == 0:
                    del pays[invoice_id]
                self.use_cash(payment_id, applied)
                if payment_id not in self.cash:
                    break
            if allocations:
                self.fact("PaymentAllocated", payment_id=payment_id, allocation_date=day, allocations=allocations)

    # -- collections ----------------------------------------------------------------------------------

    @property
    def scenario(self) -> tuple[Step, ...]:
        """The steps of the scenario it follows: the one assigned, else its class's."""
        name = self.assigned or next(n for n, (classes, _) in DEFAULT_SCENARIOS.items() if self.risk_class in classes)
        return DEFAULT_SCENARIOS[name][1]

    def dun(self, day: date) -> None:
        """The steps of its scenario falling due today on what it has not paid, one
        fact per step (a letter lists every invoice it is about). Pre-reminders only
        go to an account that already has something overdue."""
        if day < self.today - timedelta(days=DUNNING_DAYS):
            return
        unpaid = [item for item in self.invoices.values() if item.payable > 0]
        late = any(item.due < day for item in unpaid)
        taken: defaultdict[Step, list[str]] = defaultdict(list)
        for item in unpaid:
            if item.held_until is not None and day <= item.held_until:
                continue
            for step in self.scenario:
                if item.due + timedelta(days=step.offset_days) != day or (step.offset_days < 0 and not late):
                    continue
                if self.collector.random() < TAKEN.get(step.action, 0):
                    taken[step].append(item.invoice_id)
        for step, invoice_ids in taken.items():
            note = self.collector.choice(CALL_NOTES) if step.channel == "phone" else None
            self.fact("DunningStepRecorded", step=step.action, channel=step.channel, invoice_ids=invoice_ids,
                      note=note, step_date=day)  # fmt: skip

    def when_overdue(self, count: int, action: Callable[[list[OpenInvoice], date], None], day: date) -> None:
        """`action` on its `count` oldest overdue invoices, the first day from `day` it has one
        (neither disputed, nor paid awaiting its remittance advice, nor under a promise or plan)."""
        overdue = [
            item for item in self.invoices.values()
            if item.due < day and item.payable == item.open and (item.held_until is None or item.held_until < day)
        ]  # fmt: skip
        if overdue:
            action(sorted(overdue, key=lambda item: item.due)[:count], day)
        else:
            self.later(day + timedelta(days=1), partial(self.when_overdue, count, action))

    def promise_to_pay(self, promise: Promise, items: list[OpenInvoice], day: date) -> None:
        promised = day + timedelta(days=promise.within)
        self.fact("PromiseToPay", promise_id=self.feed.number("PTP", day), amount=sum(i.open for i in items),
                  promised_date=promised, invoice_ids=[i.invoice_id for i in items], promise_date=day)  # fmt: skip
        for item in items:
            item.pay_on, item.held_until = None, promised
        if promise.kept:
            self.later(promised - timedelta(days=2), partial(self.pay, items, None))

    def agree_plan(self, plan: Plan, items: list[OpenInvoice], day: date) -> None:
        total = sum((item.open for item in items), ZERO)
        share = (total / plan.installments).quantize(self.quantum, rounding=ROUND_DOWN)
        amounts = [share] * (plan.installments - 1) + [total - share * (plan.installments - 1)]
        dates = [day + timedelta(days=20 + 30 * n) for n in range(plan.installments)]
        self.fact("PaymentPlanAgreed", plan_id=self.feed.number("PLAN", day),
                  invoice_ids=[item.invoice_id for item in items],
                  installments=[{"due_date": on, "amount": amount} for on, amount in zip(dates, amounts, strict=True)],
                  agreed_date=day)  # fmt: skip
        paid = plan.installments if plan.paid is None else plan.paid
        for item in items:
            # Out of dunning until the plan breaks, the day after the installment it misses.
            item.pay_on, item.held_until = None, date.max if paid == plan.installments else dates[paid]
        for on, amount in zip(dates[:paid], amounts[:paid], strict=True):
            self.later(on, partial(self.pay, items, amount))

    def pay(self, items: list[OpenInvoice], amount: Decimal | None, day: date) -> None:
        """A payment of `amount` (None: all they owe) on these invoices, oldest first."""
        allocations, total = [], ZERO
        for item in items:
            applied = item.payable if amount is None else min(amount - total, item.payable)
            if applied > 0:
                allocations.append({"invoice_id": item.invoice_id, "amount": applied})
                self.settle(item, applied)
                total += applied
        if not allocations:
            return
        self.fact("PaymentReceived", payment_id=self.feed.number("PAY", day), amount=total, received_date=day,
                  allocations=allocations)  # fmt: skip

    def send_formal_notice(self, day: date) -> None:
        """The credit manager's formal notice (mise en demeure) about its oldest open invoice."""
        oldest = min((item for item in self.invoices.values() if item.open > 0), key=lambda item: item.due)
        channel = next(step.channel for step in self.scenario if step.action == FORMAL_NOTICE)
        self.fact("DunningStepRecorded", step=FORMAL_NOTICE, channel=channel, invoice_ids=[oldest.invoice_id],
                  note="mise en demeure: payment within 8 days or legal action", step_date=day)  # fmt: skip

    def reclass(self, reclass: Reclass, day: date) -> None:
        self.fact("RiskClassChanged", risk_class=reclass.risk_class, reason=reclass.reason)
        self.risk_class = reclass.risk_class

    def assign_scenario(self, scenario: str, day: date) -> None:
        self.fact("ScenarioAssigned", scenario=scenario)
        self.assigned = scenario

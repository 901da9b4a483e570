"""The customer account: an event-sourced aggregate of one customer's credit
line and open items. Public methods check the rules of the trade, then record
the fact; the `@event` methods below them only apply a fact already accepted.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from datetime import date
from decimal import Decimal

from eventsourcing.domain import event

from o2c.domain.aggregate import KeyedAggregate
from o2c.domain.collections import CHANNELS, DunningStep, Installment, PaymentPlan, Promise
from o2c.domain.errors import Conflict, Invalid
from o2c.domain.items import Allocation, Dispute, Invoice, Movement, Order, Payment
from o2c.domain.limits import check_account_code, check_id, check_name, check_score
from o2c.domain.money import ZERO, check_amount, check_currency
from o2c.domain.scenarios import DEFAULT_SCENARIOS

RISK_CLASSES = ("A", "B", "C", "D", "E")
RESERVED_PREFIX = "o2c:"  # ids of o2c's own aggregates in the shared event store
DISPUTE_OUTCOMES = ("upheld", "rejected", "withdrawn")


class CustomerAccount(KeyedAggregate):
    """One customer's account, identified by the ERP's customer code."""

    @staticmethod
    def create_id(account: str) -> str:
        return account

    @classmethod
    def open(
        cls,
        account: str,
        event_id: str,
        name: str,
        currency: str,
        credit_limit: Decimal,
        payment_terms_days: int = 30,
        insured_limit: Decimal | None = None,
        risk_class: str | None = None,
    ) -> CustomerAccount:
        check_account_code("account", account)
        if account.startswith(RESERVED_PREFIX):
            raise Invalid("account", f"codes starting with '{RESERVED_PREFIX}' are o2c's own (scenarios, budgets)")
        if not name.strip():
            raise Invalid("data.name", "must not be blank")
        check_name("data.name", name)
        check_currency("data.currency", currency)
        credit_limit = check_amount("data.credit_limit", credit_limit, currency, allow_zero=True)
        if insured_limit is not None:
            insured_limit = check_amount("data.insured_limit", insured_limit, currency, allow_zero=True)
        if not 0 <= payment_terms_days <= 3650:
            raise Invalid("data.payment_terms_days", "must be between 0 and 3650 days")
        check_risk_class("data.risk_class", risk_class)
        return cls(
            account=account,
            event_id=event_id,
            name=name,
            currency=currency,
            credit_limit=credit_limit,
            payment_terms_days=payment_terms_days,
            insured_limit=insured_limit,
            risk_class=risk_class,
        )

    @event("AccountOpened")
    def __init__(
        self,
        account: str,
        event_id: str,
        name: str,
        currency: str,
        credit_limit: Decimal,
        payment_terms_days: int = 30,
        insured_limit: Decimal | None = None,
        risk_class: str | None = None,
    ) -> None:
        self.account = account
        self.name = name
        self.currency = currency
        self.credit_limit = credit_limit
        self.payment_terms_days = payment_terms_days
        self.insured_limit = insured_limit
        self.risk_class = risk_class
        self.rating: dict[str, object] | None = None
        self.orders: dict[str, Order] = {}
        self.invoices: dict[str, Invoice] = {}
        self.open_invoices: dict[str, Invoice] = {}  # those with something left to pay, kept as they settle
        self.payments: dict[str, Payment] = {}
        self.credit_notes: dict[str, Movement] = {}
        self.disputes: dict[str, Dispute] = {}
        # Collections: what collectors did and agreed, and the class a credit manager set.
        self.dunning_steps: list[DunningStep] = []
        self.steps_on: dict[str, list[tuple[str, date]]] = {}  # invoice -> (step, step date), as recorded
        self.promises: dict[str, Promise] = {}
        self.plans: dict[str, PaymentPlan] = {}
        self.scenario: str | None = None

    # -- guards ---------------------------------------------------------------

    def check_currency_matches(self, field: str, currency: str) -> None:
        if currency != self.currency:
            raise Invalid(field, f"account {self.account} is kept in {self.currency}, not {currency}")

    def check_amount(self, field: str, amount: Decimal, *, allow_zero: bool = False) -> Decimal:
        return check_amount(field, amount, self.currency, allow_zero=allow_zero)

    def check_id_is_new(self, field: str, known: Mapping[str, object], item_id: str) -> None:
        check_id(field, item_id)
        if item_id in known:
            raise Conflict(field, f"'{item_id}' is already recorded on account {self.account}")

    def invoice_named(self, field: str, invoice_id: str) -> Invoice:
        try:
            return self.invoices[invoice_id]
        except KeyError:
            raise Invalid(field, f"no invoice '{invoice_id}' on account {self.account}") from None

    def check_allocations(self, allocations: Sequence[Allocation], cash: Decimal) -> tuple[Allocation, ...]:
        """Each allocation names an invoice of this account and cannot exceed
        its open balance; together they cannot exceed the cash available."""
        applied: dict[str, Decimal] = {}
        checked = []
        for i, allocation in enumerate(allocations):
            field = f"data.allocations[{i}]"
            invoice = self.invoice_named(f"{field}.invoice_id", allocation.invoice_id)
            amount = self.check_amount(f"{field}.amount", allocation.amount)
            checked.append(Allocation(invoice.invoice_id, amount))
            applied[invoice.invoice_id] = applied.get(invoice.invoice_id, ZERO) + amount
            if applied[invoice.invoice_id] > invoice.open_balance:
                raise Invalid(
                    f"{field}.amount",
                    f"exceeds the open balance {invoice.open_balance} of invoice {invoice.invoice_id}",
                )
        if sum(applied.values(), ZERO) > cash:
            raise Invalid("data.allocations", f"allocate more than the {cash} of cash available")
        return tuple(checked)

    # -- credit line ------------------------------------------------------------

    def change_limit(
        self,
        event_id: str,
        credit_limit: Decimal,
        reason: str | None = None,
        insured_limit: Decimal | None = None,
    ) -> None:
        credit_limit = self.check_amount("data.credit_limit", credit_limit, allow_zero=True)
        if insured_limit is not None:
            insured_limit = self.check_amount("data.insured_limit", insured_limit, allow_zero=True)
        self._change_limit(event_id, credit_limit, reason, insured_limit)

    @event("LimitChanged")
    def _change_limit(
        self, event_id: str, credit_limit: Decimal, reason: str | None, insured_limit: Decimal | None
    ) -> None:
        self.credit_limit = credit_limit
        if insured_limit is not None:
            self.insured_limit = insured_limit

    def change_rating(self, event_id: str, agency: str, score: Decimal, rating: str | None = None) -> None:
        if not agency.strip():
            raise Invalid("data.agency", "must not be blank")
        check_score("data.score", score)
        self._change_rating(event_id, agency, score, rating)

    @event("RatingChanged")
    def _change_rating(self, event_id: str, agency: str, score: Decimal, rating: str | None) -> None:
        self.rating = {"agency": agency, "score": score, "rating": rating}

    # -- orders -------------------------------------------------------------------

    def place_order(self, event_id: str, order_id: str, amount: Decimal, order_date: date) -> None:
        self.check_id_is_new("data.order_id", self.orders, order_id)
        amount = self.check_amount("data.amount", amount)
        self._place_order(event_id, order_id, amount, order_date)

    @event("OrderPlaced")
    def _place_order(self, event_id: str, order_id: str, amount: Decimal, order_date: date) -> None:
        self.orders[order_id] = Order(order_id, amount, order_date)

    def cancel_order(self, event_id: str, order_id: str, cancelled_date: date) -> None:
        order = self.orders.get(order_id)
        if order is None:
            raise Invalid("data.order_id", f"no order '{order_id}' on account {self.account}")
        if order.cancelled is not None:
            raise Conflict("data.order_id", f"order '{order_id}' is already cancelled")
        if cancelled_date < order.order_date:
            raise Invalid("data.cancelled_date", "is before the order date")
        self._cancel_order(event_id, order_id, cancelled_date)

    @event("OrderCancelled")
    def _cancel_order(self, event_id: str, order_id: str, cancelled_date: date) -> None:
        order = self.orders[order_id]
        order.cancel(Movement(cancelled_date, order.uninvoiced, event_id))

    # -- invoices -------------------------------------------------------------------

    def issue_invoice(
        self,
        event_id: str,
        invoice_id: str,
        amount: Decimal,
        issue_date: date,
        due_date: date,
        order_id: str | None = None,
    ) -> None:
        self.check_id_is_new("data.invoice_id", self.invoices, invoice_id)
        amount = self.check_amount("data.amount", amount)
        if due_date < issue_date:
            raise Invalid("data.due_date", "is before the issue date")
        if order_id is not None and order_id not in self.orders:
            raise Invalid("data.order_id", f"no order '{order_id}' on account {self.account}")
        self._issue_invoice(event_id, invoice_id, amount, issue_date, due_date, order_id)

    @event("InvoiceIssued")
    def _issue_invoice(
        self,
        event_id: str,
        invoice_id: str,
        amount: Decimal,
        issue_date: date,
        due_date: date,
        order_id: str | None,
    ) -> None:
        self.invoices[invoice_id] = self.open_invoices[invoice_id] = Invoice(
            invoice_id, amount, issue_date, due_date, order_id
        )
        if order_id is not None:
            self.orders[order_id].consume(invoice_id, amount, issue_date)

    def issue_credit_note(
        self, event_id: str, credit_note_id: str, invoice_id: str, amount: Decimal, issue_date: date
    ) -> None:
        self.check_id_is_new("data.credit_note_id", self.credit_notes, credit_note_id)
        invoice = self.invoice_named("data.invoice_id", invoice_id)
        amount = self.check_amount("data.amount", amount)
        if amount > invoice.open_balance:
            raise Invalid("data.amount", f"exceeds the open balance {invoice.open_balance} of invoice {invoice_id}")
        self._issue_credit_note(event_id, credit_note_id, invoice_id, amount, issue_date)

    @event("CreditNoteIssued")
    def _issue_credit_note(
        self, event_id: str, credit_note_id: str, invoice_id: str, amount: Decimal, issue_date: date
    ) -> None:
        invoice = self.invoices[invoice_id]
        credit = Movement(invoice.effective_date(issue_date), amount, credit_note_id)
        self.credit_notes[credit_note_id] = credit
        self._settle(invoice, credit)

    # -- cash -------------------------------------------------------------------------

    def receive_payment(
        self,
        event_id: str,
        payment_id: str,
        amount: Decimal,
        received_date: date,
        allocations: Sequence[Allocation] = (),
    ) -> None:
        self.check_id_is_new("data.payment_id", self.payments, payment_id)
        amount = self.check_amount("data.amount", amount)
        allocations = self.check_allocations(allocations, amount)
        self._receive_payment(event_id, payment_id, amount, received_date, allocations)

    @event("PaymentReceived")
    def _receive_payment(
        self,
        event_id: str,
        payment_id: str,
        amount: Decimal,
        received_date: date,
        allocations: tuple[Allocation, ...],
    ) -> None:
        self.payments[payment_id] = Payment(payment_id, amount, received_date)
        self._apply_cash(payment_id, received_date, allocations)

    def allocate_payment(
        self, event_id: str, payment_id: str, allocation_date: date, allocations: Sequence[Allocation]
    ) -> None:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise Invalid("data.payment_id", f"no payment '{payment_id}' on account {self.account}")
        if allocation_date < payment.received_date:
            raise Invalid("data.allocation_date", "is before the payment was received")
        if not allocations:
            raise Invalid("data.allocations", "must allocate to at least one invoice")
        allocations = self.check_allocations(allocations, payment.unapplied)
        self._allocate_payment(event_id, payment_id, allocation_date, allocations)

    @event("PaymentAllocated")
    def _allocate_payment(
        self, event_id: str, payment_id: str, allocation_date: date, allocations: tuple[Allocation, ...]
    ) -> None:
        self._apply_cash(payment_id, allocation_date, allocations)

    def _settle(self, invoice: Invoice, movement: Movement) -> None:
        invoice.settle(movement)
        if not invoice.open_balance:
            self.open_invoices.pop(invoice.invoice_id, None)

    def _apply_cash(self, payment_id: str, on: date, allocations: tuple[Allocation, ...]) -> None:
        payment = self.payments[payment_id]
        for allocation in allocations:
            invoice = self.invoices[allocation.invoice_id]
            effective = invoice.effective_date(on)
            self._settle(invoice, Movement(effective, allocation.amount, payment_id))
            payment.allocate(Movement(effective, allocation.amount, invoice.invoice_id))

    # -- disputes ------------------------------------------------------------------------

    def open_dispute(
        self,
        event_id: str,
        dispute_id: str,
        invoice_id: str,
        amount: Decimal,
        reason: str,
        opened_date: date,
    ) -> None:
        self.check_id_is_new("data.dispute_id", self.disputes, dispute_id)
        invoice = self.invoice_named("data.invoice_id", invoice_id)
        amount = self.check_amount("data.amount", amount)
        undisputed = invoice.open_balance - invoice.disputed_on(None)
        if amount > undisputed:
            raise Invalid("data.amount", f"exceeds the undisputed open balance {undisputed} of invoice {invoice_id}")
        if not reason.strip():
            raise Invalid("data.reason", "must not be blank")
        if opened_date < invoice.issue_date:
            raise Invalid("data.opened_date", "is before the invoice was issued")
        self._open_dispute(event_id, dispute_id, invoice_id, amount, reason, opened_date)

    @event("DisputeOpened")
    def _open_dispute(
        self,
        event_id: str,
        dispute_id: str,
        invoice_id: str,
        amount: Decimal,
        reason: str,
        opened_date: date,
    ) -> None:
        dispute = Dispute(dispute_id, invoice_id, amount, reason, opened_date)
        self.disputes[dispute_id] = dispute
        self.invoices[invoice_id].disputes.append(dispute)

    def resolve_dispute(
        self,
        event_id: str,
        dispute_id: str,
        outcome: str,
        resolved_date: date,
        credited_amount: Decimal | None = None,
    ) -> None:
        dispute = self.disputes.get(dispute_id)
        if dispute is None:
            raise Invalid("data.dispute_id", f"no dispute '{dispute_id}' on account {self.account}")
        if dispute.outcome is not None:
            raise Conflict("data.dispute_id", f"dispute '{dispute_id}' is already resolved ({dispute.outcome})")
        if outcome not in DISPUTE_OUTCOMES:
            raise Invalid("data.outcome", f"must be one of {', '.join(DISPUTE_OUTCOMES)}")
        if resolved_date < dispute.opened_date:
            raise Invalid("data.resolved_date", "is before the dispute was opened")
        invoice = self.invoices[dispute.invoice_id]
        if outcome != "upheld":
            if credited_amount is not None:
                raise Invalid("data.credited_amount", f"only an upheld dispute credits the invoice, not {outcome}")
            credited = ZERO
        elif credited_amount is None:
            # By default the disputed amount, but never more than is still open.
            credited = min(dispute.amount, invoice.open_balance)
        else:
            credited = self.check_amount("data.credited_amount", credited_amount)
            if credited > invoice.open_balance:
                raise Invalid(
                    "data.credited_amount",
                    f"exceeds the open balance {invoice.open_balance} of invoice {invoice.invoice_id}",
                )
        self._resolve_dispute(event_id, dispute_id, outcome, resolved_date, credited)

    @event("DisputeResolved")
    def _resolve_dispute(
        self, event_id: str, dispute_id: str, outcome: str, resolved_date: date, credited_amount: Decimal
    ) -> None:
        dispute = self.disputes[dispute_id]
        dispute.outcome = outcome
        dispute.resolved_date = resolved_date
        if credited_amount > 0:
            invoice = self.invoices[dispute.invoice_id]
            self._settle(invoice, Movement(invoice.effective_date(resolved_date), credited_amount, dispute_id))

    # -- collections ------------------------------------------------------------------------

    def invoices_named(self, field: str, invoice_ids: Sequence[str], *, open_only: bool = False) -> list[Invoice]:
        if not invoice_ids:
            raise Invalid(field, "must name at least one invoice")
        if len(set(invoice_ids)) != len(invoice_ids):
            raise Invalid(field, "names an invoice twice")
        invoices = [self.invoice_named(f"{field}[{i}]", invoice_id) for i, invoice_id in enumerate(invoice_ids)]
        for i, invoice in enumerate(invoices):
            if open_only and invoice.open_balance == 0:
                raise Invalid(f"{field}[{i}]", f"invoice {invoice.invoice_id} has nothing left open")
        return invoices

    def record_dunning_step(
        self,
        event_id: str,
        step: str,
        channel: str,
        invoice_ids: Sequence[str],
        step_date: date,
        note: str | None = None,
    ) -> None:
        if not step.strip():
            raise Invalid("data.step", "must not be blank")
        if channel not in CHANNELS:
            raise Invalid("data.channel", f"must be one of {', '.join(CHANNELS)}")
        invoices = self.invoices_named("data.invoice_ids", invoice_ids)
        for i, invoice in enumerate(invoices):
            if step_date < invoice.issue_date:
                raise Invalid("data.step_date", f"is before invoice {invoice_ids[i]} was issued")
        self._record_dunning_step(event_id, step, channel, tuple(invoice_ids), step_date, note)

    @event("DunningStepRecorded")
    def _record_dunning_step(
        self, event_id: str, step: str, channel: str, invoice_ids: tuple[str, ...], step_date: date, note: str | None
    ) -> None:
        self.dunning_steps.append(DunningStep(step, channel, tuple(invoice_ids), step_date, note))
        for invoice_id in invoice_ids:
            self.steps_on.setdefault(invoice_id, []).append((step, step_date))

    def promise_to_pay(
        self,
        event_id: str,
        promise_id: str,
        amount: Decimal,
        promised_date: date,
        invoice_ids: Sequence[str],
        promise_date: date,
    ) -> None:
        self.check_id_is_new("data.promise_id", self.promises, promise_id)
        amount = self.check_amount("data.amount", amount)
        invoices = self.invoices_named("data.invoice_ids", invoice_ids, open_only=True)
        open_balance = sum((invoice.open_balance for invoice in invoices), ZERO)
        if amount > open_balance:
            raise Invalid("data.amount", f"exceeds the open balance {open_balance} of the invoices promised")
        if promised_date < promise_date:
            raise Invalid("data.promised_date", "is before the day the promise was made")
        self._promise_to_pay(event_id, promise_id, amount, promised_date, tuple(invoice_ids), promise_date)

    @event("PromiseToPay")
    def _promise_to_pay(
        self,
        event_id: str,
        promise_id: str,
        amount: Decimal,
        promised_date: date,
        invoice_ids: tuple[str, ...],
        promise_date: date,
    ) -> None:
        self.promises[promise_id] = Promise(promise_id, amount, promised_date, tuple(invoice_ids), promise_date)

    def agree_payment_plan(
        self,
        event_id: str,
        plan_id: str,
        invoice_ids: Sequence[str],
        installments: Sequence[tuple[date, Decimal]],
        agreed_date: date,
    ) -> None:
        self.check_id_is_new("data.plan_id", self.plans, plan_id)
        self.invoices_named("data.invoice_ids", invoice_ids, open_only=True)
        if not installments:
            raise Invalid("data.installments", "must hold at least one installment")
        checked = []
        previous = agreed_date
        for i, (due_date, amount) in enumerate(installments):
            amount = self.check_amount(f"data.installments[{i}].amount", amount)
            if due_date < previous:
                raise Invalid(
                    f"data.installments[{i}].due_date", "must not precede the agreement or the installment before"
                )
            previous = due_date
            checked.append((due_date, amount))
        self._agree_payment_plan(event_id, plan_id, tuple(invoice_ids), tuple(checked), agreed_date)

    @event("PaymentPlanAgreed")
    def _agree_payment_plan(
        self,
        event_id: str,
        plan_id: str,
        invoice_ids: tuple[str, ...],
        installments: tuple[tuple[date, Decimal], ...],
        agreed_date: date,
    ) -> None:
        schedule = tuple(Installment(due_date, amount) for due_date, amount in installments)
        self.plans[plan_id] = PaymentPlan(plan_id, tuple(invoice_ids), schedule, agreed_date)

    def change_risk_class(self, event_id: str, risk_class: str, reason: str) -> None:
        check_risk_class("data.risk_class", risk_class)
        if not reason.strip():
            raise Invalid("data.reason", "must not be blank")
        self._change_risk_class(event_id, risk_class, reason)

    @event("RiskClassChanged")
    def _change_risk_class(self, event_id: str, risk_class: str, reason: str) -> None:
        # A credit manager's class overrides the computed one from now on.
        self.risk_class = risk_class

    def assign_scenario(self, event_id: str, scenario: str | None = None) -> None:
        if scenario is not None and not scenario.strip():
            raise Invalid("data.scenario", "must not be blank (send null to follow the risk class)")
        self._assign_scenario(event_id, scenario)

    @event("ScenarioAssigned")
    def _assign_scenario(self, event_id: str, scenario: str | None) -> None:
        self.scenario = scenario


def check_scenario_known(field: str, scenario: str, stored: Container[str]) -> None:
    """A scenario assigned to an account is shipped or stored (by an admin)."""
    if scenario not in DEFAULT_SCENARIOS and scenario not in stored:
        shipped = ", ".join(DEFAULT_SCENARIOS)
        raise Invalid(field, f"no scenario '{scenario}': one of the shipped ({shipped}) or one stored by an admin")


def check_risk_class(field: str, risk_class: str | None) -> None:
    if risk_class is not None and risk_class not in RISK_CLASSES:
        raise Invalid(field, f"must be one of {', '.join(RISK_CLASSES)}")

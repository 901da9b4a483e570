"""Collections: what collectors did (dunning steps) and agreed (promises to
pay, payment plans), the class a credit manager set and the dunning scenario
the account follows."""

from __future__ import annotations

from collections.abc import Container, Sequence
from datetime import date
from decimal import Decimal

from o2c.domain.account_books import AccountBooks
from o2c.domain.collections import CHANNELS, DunningStep, Installment, PaymentPlan, Promise
from o2c.domain.errors import Invalid
from o2c.domain.items import Invoice
from o2c.domain.money import ZERO
from o2c.domain.scenarios import DEFAULT_SCENARIOS

RISK_CLASSES = ("A", "B", "C", "D", "E")


class Collections(AccountBooks):
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

    def _change_risk_class(self, event_id: str, risk_class: str, reason: str) -> None:
        # A credit manager's class overrides the computed one from now on.
        self.risk_class = risk_class

    def assign_scenario(self, event_id: str, scenario: str | None = None) -> None:
        if scenario is not None and not scenario.strip():
            raise Invalid("data.scenario", "must not be blank (send null to follow the risk class)")
        self._assign_scenario(event_id, scenario)

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

"""The customer account: an event-sourced aggregate of one customer's credit
line and open items. Public methods check the rules of the trade, then record
the fact; the methods applying a fact only apply one already accepted.

The account is composed of one class per area of the trade, each in its own
module (account_credit, account_sales, account_cash, account_disputes,
account_collections), keeping the books of account_books.
"""

from __future__ import annotations

from decimal import Decimal

from eventsourcing.domain import event

from o2c.domain.account_cash import Cash
from o2c.domain.account_collections import RISK_CLASSES, Collections, check_risk_class, check_scenario_known
from o2c.domain.account_credit import CreditLine
from o2c.domain.account_disputes import DISPUTE_OUTCOMES, Disputes
from o2c.domain.account_sales import Sales
from o2c.domain.aggregate import KeyedAggregate
from o2c.domain.errors import Invalid
from o2c.domain.limits import check_account_code, check_name
from o2c.domain.money import check_amount, check_currency

__all__ = [
    "DISPUTE_OUTCOMES",
    "RESERVED_PREFIX",
    "RISK_CLASSES",
    "CustomerAccount",
    "check_risk_class",
    "check_scenario_known",
]

RESERVED_PREFIX = "o2c:"  # ids of o2c's own aggregates in the shared event store


class CustomerAccount(CreditLine, Sales, Cash, Disputes, Collections, KeyedAggregate):
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
        self.rating = None
        self.orders = {}
        self.invoices = {}
        self.payments = {}
        self.credit_notes = {}
        self.disputes = {}
        self.open_orders = {}
        self.open_invoices = {}
        self.open_payments = {}
        self.open_disputes = {}
        self.dunning_steps = []
        self.steps_on = {}
        self.promises = {}
        self.plans = {}
        self.scenario = None

    # The facts, each applied by its area's method. They are named here: the
    # library defines an event class only for the @event methods of the
    # aggregate's own class body, and names it after it. Stored events are
    # decoded by that topic ("o2c.domain.account:CustomerAccount.InvoiceIssued"):
    # an event declared on an area's class would get another one.
    _change_limit = event("LimitChanged")(CreditLine._change_limit)
    _change_rating = event("RatingChanged")(CreditLine._change_rating)
    _place_order = event("OrderPlaced")(Sales._place_order)
    _cancel_order = event("OrderCancelled")(Sales._cancel_order)
    _issue_invoice = event("InvoiceIssued")(Sales._issue_invoice)
    _issue_credit_note = event("CreditNoteIssued")(Sales._issue_credit_note)
    _receive_payment = event("PaymentReceived")(Cash._receive_payment)
    _allocate_payment = event("PaymentAllocated")(Cash._allocate_payment)
    _open_dispute = event("DisputeOpened")(Disputes._open_dispute)
    _resolve_dispute = event("DisputeResolved")(Disputes._resolve_dispute)
    _record_dunning_step = event("DunningStepRecorded")(Collections._record_dunning_step)
    _promise_to_pay = event("PromiseToPay")(Collections._promise_to_pay)
    _agree_payment_plan = event("PaymentPlanAgreed")(Collections._agree_payment_plan)
    _change_risk_class = event("RiskClassChanged")(Collections._change_risk_class)
    _assign_scenario = event("ScenarioAssigned")(Collections._assign_scenario)

"""What a customer account keeps, and the checks its commands share.

`CustomerAccount` (account.py) is composed of one class per area of the trade:
the credit line, sales, cash, disputes and collections. Each holds its area's
commands, which check the rules of the trade and then record the fact, and the
methods applying those facts; they all keep the books declared here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from o2c.domain.collections import DunningStep, PaymentPlan, Promise
from o2c.domain.errors import Conflict, Invalid
from o2c.domain.items import Dispute, Invoice, Movement, Order, Payment
from o2c.domain.limits import check_id
from o2c.domain.money import check_amount


class AccountBooks:
    """An account's books; the account opening (`CustomerAccount.__init__`) opens them."""

    account: str
    name: str
    currency: str
    credit_limit: Decimal
    payment_terms_days: int
    insured_limit: Decimal | None
    risk_class: str | None
    rating: dict[str, object] | None
    orders: dict[str, Order]
    invoices: dict[str, Invoice]
    payments: dict[str, Payment]
    credit_notes: dict[str, Movement]
    disputes: dict[str, Dispute]
    # The items still open, kept as the facts are applied: the current totals
    # (valued for every batch's alerts) sum these, not every item ever recorded.
    open_orders: dict[str, Order]  # with something left to invoice
    open_invoices: dict[str, Invoice]  # with something left to pay
    open_payments: dict[str, Payment]  # with cash not applied yet
    open_disputes: dict[str, Dispute]  # not resolved
    # Collections: what collectors did and agreed, and the class a credit manager set.
    dunning_steps: list[DunningStep]
    steps_on: dict[str, list[tuple[str, date]]]  # invoice -> (step, step date), as recorded
    promises: dict[str, Promise]
    plans: dict[str, PaymentPlan]
    scenario: str | None

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

    def _settle(self, invoice: Invoice, movement: Movement) -> None:
        """Cash, a credit note or an upheld dispute settles (part of) an invoice."""
        invoice.settle(movement)
        if not invoice.open_balance:
            self.open_invoices.pop(invoice.invoice_id, None)

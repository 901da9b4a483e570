"""Random trade on one account for the property tests: a sequence of commands,
valid and invalid, drawn against the account as it stands (existing ids most
of the time), applied the way the ledger applies them. Each accepted command
is kept as a raw fact: {"event_id", "type", "data"} with typed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from o2c.domain.account import CustomerAccount
from o2c.domain.errors import RuleViolation
from o2c.domain.facts import RECORDED_BY
from tests.unit.drawing import PLACES, START, TODAY, allocations, amount, as_of_dates, known_or_not, some_date

__all__ = ["TODAY", "Trade", "as_of_dates", "trade"]

KINDS = (
    "order",
    "cancel",
    "invoice",
    "invoice",
    "payment",
    "payment",
    "allocate",
    "credit",
    "dispute",
    "resolve",
    "limit",
)

NEEDS = (
    (("resolve",), "disputes", "dispute"),
    (("cancel",), "orders", "order"),
    (("allocate",), "payments", "payment"),
    (("credit", "dispute"), "invoices", "invoice"),
)


@dataclass
class Trade:
    account: CustomerAccount
    facts: list[dict[str, Any]]
    events: list[Any] = field(default_factory=list)
    rejected: list[tuple[dict[str, Any], RuleViolation]] = field(default_factory=list)


def command(data: st.DataObject, account: CustomerAccount) -> tuple[str, dict[str, Any]]:
    places = PLACES[account.currency]
    kind = data.draw(st.sampled_from(KINDS))
    # A command that needs an item of a kind the account lacks mostly creates one first.
    for needs, lacking, instead in NEEDS:
        if kind in needs and not getattr(account, lacking) and data.draw(st.integers(0, 9)) < 9:
            kind = instead
    big = Decimal(5000)
    if kind == "order":
        order_id = known_or_not(data, "O", list(account.orders), known_mostly=False)
        return "OrderPlaced", {
            "order_id": order_id,
            "amount": amount(data, places, big),
            "order_date": some_date(data, spread=120),
        }
    if kind == "cancel":
        order_id = known_or_not(data, "O", list(account.orders), known_mostly=True)
        order = account.orders.get(order_id)
        return "OrderCancelled", {
            "order_id": order_id,
            "cancelled_date": some_date(data, order.order_date if order else START),
        }
    if kind == "invoice":
        issue = some_date(data, spread=120)
        order_id = known_or_not(data, "O", list(account.orders), True) if data.draw(st.booleans()) else None
        return "InvoiceIssued", {
            "invoice_id": known_or_not(data, "F", list(account.invoices), known_mostly=False),
            "amount": amount(data, places, big),
            "issue_date": issue,
            "due_date": issue + timedelta(days=data.draw(st.integers(-2, 60))),
            "order_id": order_id,
        }
    if kind == "payment":
        return "PaymentReceived", {
            "payment_id": known_or_not(data, "P", list(account.payments), known_mostly=False),
            "amount": amount(data, places, big),
            "received_date": some_date(data, spread=130),
            "allocations": allocations(data, account, places, at_least=0),
        }
    if kind == "allocate":
        payment_id = known_or_not(data, "P", list(account.payments), known_mostly=True)
        payment = account.payments.get(payment_id)
        return "PaymentAllocated", {
            "payment_id": payment_id,
            "allocation_date": some_date(data, payment.received_date if payment else START),
            "allocations": allocations(data, account, places, at_least=1 if data.draw(st.integers(0, 9)) else 0),
        }
    invoice_id = known_or_not(data, "F", list(account.invoices), known_mostly=True)
    invoice = account.invoices.get(invoice_id)
    balance = invoice.open_balance if invoice else Decimal(100)
    issued = invoice.issue_date if invoice else START
    if kind == "credit":
        return "CreditNoteIssued", {
            "credit_note_id": known_or_not(data, "CN", list(account.credit_notes), known_mostly=False),
            "invoice_id": invoice_id,
            "amount": amount(data, places, balance),
            "issue_date": some_date(data, issued),
        }
    if kind == "dispute":
        return "DisputeOpened", {
            "dispute_id": known_or_not(data, "D", list(account.disputes), known_mostly=False),
            "invoice_id": invoice_id,
            "amount": amount(data, places, balance),
            "reason": data.draw(st.sampled_from(["price", "damaged", "quantity", "late", " "])),
            "opened_date": some_date(data, issued),
        }
    if kind == "resolve":
        dispute_id = known_or_not(data, "D", list(account.disputes), known_mostly=True)
        dispute = account.disputes.get(dispute_id)
        resolution: dict[str, Any] = {
            "dispute_id": dispute_id,
            "outcome": data.draw(st.sampled_from(["upheld", "upheld", "rejected", "withdrawn", "lost"])),
            "resolved_date": some_date(data, dispute.opened_date if dispute else START),
        }
        if data.draw(st.booleans()):
            resolution["credited_amount"] = amount(data, places, dispute.amount if dispute else Decimal(100))
        return "DisputeResolved", resolution
    return "LimitChanged", {"credit_limit": amount(data, places, Decimal(20000))}


def trade(data: st.DataObject, max_steps: int = 40) -> Trade:
    """Opens an account and applies a random sequence of commands to it."""
    currency = data.draw(st.sampled_from(sorted(PLACES)))
    opening = {"name": "Acme", "currency": currency, "credit_limit": Decimal(10000)}
    account = CustomerAccount.open(account="C-1", event_id="e0", **opening)
    result = Trade(account, [{"event_id": "e0", "type": "AccountOpened", "data": opening}])
    result.events.extend(account.collect_events())
    for n in range(1, data.draw(st.integers(1, max_steps)) + 1):
        fact_type, fact_data = command(data, account)
        fact = {"event_id": f"e{n}", "type": fact_type, "data": fact_data}
        try:
            getattr(account, RECORDED_BY[fact_type])(event_id=fact["event_id"], **fact_data)
        except RuleViolation as violation:
            assert account.collect_events() == [], f"{fact} was refused but left events behind"
            result.rejected.append((fact, violation))
        else:
            result.facts.append(fact)
            result.events.extend(account.collect_events())
    return result

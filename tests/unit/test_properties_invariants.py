"""Whatever the ERP posts, valid or not, the account's books stay sound:
nothing goes negative, cash is never over-applied, and every settlement
moves value between outstanding and unapplied cash without losing any."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain.valuation import position
from tests.unit.commands import TODAY, Trade, as_of_dates, trade

PROPERTY = settings(max_examples=100, deadline=None)


def _counts(when: date, as_of: date | None) -> bool:
    return as_of is None or when <= as_of


def _credits(result: Trade, as_of: date | None) -> Decimal:
    """Credit notes and upheld-dispute credits counted on as_of, from the accepted facts and events."""
    invoices = result.account.invoices
    total = Decimal(0)
    for fact in result.facts:
        data = fact["data"]
        if fact["type"] == "CreditNoteIssued":
            effective = max(data["issue_date"], invoices[data["invoice_id"]].issue_date)
            total += data["amount"] if _counts(effective, as_of) else 0
    for event in result.events:
        if type(event).__name__ == "DisputeResolved" and event.resolved_date and _counts(event.resolved_date, as_of):
            total += event.credited_amount
    return total


@given(st.data())
@PROPERTY
def test_no_balance_order_or_cash_is_ever_negative(data: st.DataObject) -> None:
    result = trade(data)
    account = result.account
    for as_of in as_of_dates(data):
        assert all(i.open_balance_on(as_of) >= 0 for i in account.invoices.values())
        assert all(o.uninvoiced_on(as_of) >= 0 for o in account.orders.values())
        assert all(p.unapplied_on(as_of) >= 0 for p in account.payments.values())
        now = position(account, as_of, TODAY)
        assert min(now.outstanding, now.uninvoiced, now.unapplied_cash, now.overdue, now.disputed) >= 0
        assert all(item.open_balance > 0 for item in now.open_items)
        assert now.overdue <= now.outstanding


@given(st.data())
@PROPERTY
def test_the_open_invoices_kept_are_exactly_those_with_a_balance(data: st.DataObject) -> None:
    account = trade(data).account
    assert account.open_invoices == {k: i for k, i in account.invoices.items() if i.open_balance > 0}
    assert all(i.open_balance == i.open_balance_on(None) for i in account.invoices.values())


@given(st.data())
@PROPERTY
def test_allocations_never_exceed_their_payment(data: st.DataObject) -> None:
    result = trade(data)
    allocated: dict[str, Decimal] = {}
    for fact in result.facts:
        if fact["type"] in ("PaymentReceived", "PaymentAllocated"):
            for allocation in fact["data"]["allocations"]:
                allocated[fact["data"]["payment_id"]] = allocated.get(fact["data"]["payment_id"], 0) + allocation.amount
    for payment in result.account.payments.values():
        assert allocated.get(payment.payment_id, 0) <= payment.amount
        assert sum(m.amount for m in payment.allocations) == allocated.get(payment.payment_id, 0)
        assert payment.unapplied == payment.amount - allocated.get(payment.payment_id, 0)


@given(st.data())
@PROPERTY
def test_outstanding_is_what_was_invoiced_less_what_was_settled(data: st.DataObject) -> None:
    result = trade(data)
    invoiced = sum((f["data"]["amount"] for f in result.facts if f["type"] == "InvoiceIssued"), Decimal(0))
    allocated = sum(
        (
            a.amount
            for f in result.facts
            if f["type"] in ("PaymentReceived", "PaymentAllocated")
            for a in f["data"]["allocations"]
        ),
        Decimal(0),
    )
    now = position(result.account, None, TODAY)
    assert now.outstanding == invoiced - allocated - _credits(result, None)


@given(st.data())
@PROPERTY
def test_outstanding_less_unapplied_is_invoiced_less_credited_less_received_on_any_date(data: st.DataObject) -> None:
    result = trade(data)
    issued = [f["data"] for f in result.facts if f["type"] == "InvoiceIssued"]
    received = [f["data"] for f in result.facts if f["type"] == "PaymentReceived"]
    for as_of in as_of_dates(data):
        now = position(result.account, as_of, TODAY)
        invoiced = sum((i["amount"] for i in issued if _counts(i["issue_date"], as_of)), Decimal(0))
        cash = sum((p["amount"] for p in received if _counts(p["received_date"], as_of)), Decimal(0))
        assert now.outstanding - now.unapplied_cash == invoiced - _credits(result, as_of) - cash

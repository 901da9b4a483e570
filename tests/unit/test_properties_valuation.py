"""`position(account, as_of)` agrees with a brute-force valuation worked out
here, independently, from the raw accepted facts alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain.valuation import position
from tests.unit.commands import TODAY, as_of_dates, trade


def _book(facts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every item, each movement with the business date it counts from."""
    book: dict[str, dict[str, Any]] = {"invoice": {}, "order": {}, "payment": {}, "dispute": {}, "limit": {}}
    inv, order, pay, dispute = book["invoice"], book["order"], book["payment"], book["dispute"]

    def settle(invoice_id: str, on: date, amount: Decimal) -> date:
        item = inv[invoice_id]
        item["settled"].append((max(on, item["issued"]), amount))
        item["left"] -= amount
        return max(on, item["issued"])

    for fact in facts:
        d, kind = fact["data"], fact["type"]
        if kind in ("AccountOpened", "LimitChanged"):
            book["limit"]["now"] = d["credit_limit"]
        elif kind == "OrderPlaced":
            order[d["order_id"]] = {"amount": d["amount"], "on": d["order_date"], "left": d["amount"], "gone": []}
        elif kind == "OrderCancelled":
            item = order[d["order_id"]]
            item["cancel"] = [d["cancelled_date"], item["left"]]
            item["gone"].append(item["cancel"])
            item["left"] = Decimal(0)
        elif kind == "InvoiceIssued":
            inv[d["invoice_id"]] = {
                "amount": d["amount"],
                "issued": d["issue_date"],
                "due": d["due_date"],
                "settled": [],
                "left": d["amount"],
            }
            if d["order_id"] is not None:
                item = order[d["order_id"]]
                cancel = item.get("cancel")
                if cancel is not None and d["issue_date"] < cancel[0]:
                    # Dated before a cancellation posted earlier: taken from what it removed.
                    taken = min(cancel[1], d["amount"])
                    cancel[1] -= taken
                else:
                    taken = min(item["left"], d["amount"])
                    item["left"] -= taken
                item["gone"].append((max(d["issue_date"], item["on"]), taken))
        elif kind in ("PaymentReceived", "PaymentAllocated"):
            if kind == "PaymentReceived":
                pay[d["payment_id"]] = {"amount": d["amount"], "on": d["received_date"], "applied": []}
            on = d.get("allocation_date", d.get("received_date"))
            for allocation in d["allocations"]:
                effective = settle(allocation.invoice_id, on, allocation.amount)
                pay[d["payment_id"]]["applied"].append((effective, allocation.amount))
        elif kind == "CreditNoteIssued":
            settle(d["invoice_id"], d["issue_date"], d["amount"])
        elif kind == "DisputeOpened":
            dispute[d["dispute_id"]] = {"invoice": d["invoice_id"], "amount": d["amount"], "on": d["opened_date"]}
        elif kind == "DisputeResolved":
            item = dispute[d["dispute_id"]]
            item["closed"] = d["resolved_date"]
            if d["outcome"] == "upheld":
                credit = d.get("credited_amount", min(item["amount"], inv[item["invoice"]]["left"]))
                if credit > 0:
                    settle(item["invoice"], d["resolved_date"], credit)
    return book


def _value(book: dict[str, dict[str, Any]], as_of: date | None) -> dict[str, Any]:
    def counts(on: date) -> bool:
        return as_of is None or on <= as_of

    def left(item: dict[str, Any], moves: str) -> Decimal:
        return item["amount"] - sum((amount for on, amount in item[moves] if counts(on)), Decimal(0))

    balances = {i: left(item, "settled") for i, item in book["invoice"].items() if counts(item["issued"])}
    disputed = {i: Decimal(0) for i in balances}
    for item in book["dispute"].values():
        if counts(item["on"]) and not ("closed" in item and counts(item["closed"])):
            disputed[item["invoice"]] += item["amount"]
    on_day = as_of or TODAY
    items = sorted(
        (book["invoice"][i]["due"], i, balance, (on_day - book["invoice"][i]["due"]).days, disputed[i])
        for i, balance in balances.items()
        if balance > 0
    )
    return {
        "outstanding": sum((balance for *_, balance, _, _ in items), Decimal(0)),
        "uninvoiced": sum((left(o, "gone") for o in book["order"].values() if counts(o["on"])), Decimal(0)),
        "unapplied": sum((left(p, "applied") for p in book["payment"].values() if counts(p["on"])), Decimal(0)),
        "overdue": sum((balance for _, _, balance, late, _ in items if late > 0), Decimal(0)),
        # SPEC: disputed = Σ open dispute amounts, whether or not the invoice is still open.
        "disputed": sum(disputed.values(), Decimal(0)),
        "items": [(i, balance, late, dsp) for _, i, balance, late, dsp in items],
    }


@given(st.data())
@settings(max_examples=100, deadline=None)
def test_position_agrees_with_a_brute_force_valuation_on_any_date(data: st.DataObject) -> None:
    result = trade(data)
    book = _book(result.facts)
    for as_of in as_of_dates(data):
        now = position(result.account, as_of, TODAY)
        expected = _value(book, as_of)
        assert [(i.invoice_id, i.open_balance, i.days_past_due, i.disputed) for i in now.open_items] == expected[
            "items"
        ], as_of
        assert (now.outstanding, now.uninvoiced, now.unapplied_cash, now.overdue, now.disputed) == (
            expected["outstanding"],
            expected["uninvoiced"],
            expected["unapplied"],
            expected["overdue"],
            expected["disputed"],
        ), as_of
        exposure = expected["outstanding"] + expected["uninvoiced"] - expected["unapplied"]
        assert (now.exposure, now.headroom) == (exposure, book["limit"]["now"] - exposure)

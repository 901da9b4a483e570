"""An account rebuilt from its own events is the account: replaying the
collected events (`mutate(None)`, then `mutate(account)` for each) gives the
same items, balances and valuation."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.domain.account import CustomerAccount
from o2c.domain.facts import RECORDED_BY
from o2c.domain.valuation import position
from tests.unit.commands import TODAY, as_of_dates, trade


def _state(account: CustomerAccount) -> dict[str, Any]:
    return {k: v for k, v in vars(account).items() if k != "_pending_events"}


@given(st.data())
@settings(max_examples=100, deadline=None)
def test_replaying_the_collected_events_rebuilds_the_same_account(data: st.DataObject) -> None:
    result = trade(data)
    assert [e.event_id for e in result.events] == [f["event_id"] for f in result.facts]
    assert [type(e).__name__ for e in result.events] == [f["type"] for f in result.facts]
    assert [e.originator_version for e in result.events] == list(range(1, len(result.facts) + 1))

    rebuilt: CustomerAccount | None = None
    for event in result.events:
        rebuilt = event.mutate(rebuilt)
    assert isinstance(rebuilt, CustomerAccount)
    assert rebuilt.version == result.account.version == len(result.facts)
    assert _state(rebuilt) == _state(result.account)
    for invoice_id, invoice in result.account.invoices.items():
        assert rebuilt.invoices[invoice_id].open_balance == invoice.open_balance
    for as_of in as_of_dates(data):
        assert position(rebuilt, as_of, TODAY) == position(result.account, as_of, TODAY)


@given(st.data())
@settings(max_examples=50, deadline=None)
def test_replaying_a_prefix_of_the_events_gives_the_account_as_it_was_then(data: st.DataObject) -> None:
    result = trade(data, max_steps=25)
    cut = data.draw(st.integers(1, len(result.events)))
    rebuilt: CustomerAccount | None = None
    for event in result.events[:cut]:
        rebuilt = event.mutate(rebuilt)
    again = CustomerAccount.open(account="C-1", event_id="e0", **result.facts[0]["data"])
    for fact in result.facts[1:cut]:
        getattr(again, RECORDED_BY[fact["type"]])(event_id=fact["event_id"], **fact["data"])
    assert rebuilt is not None
    assert position(rebuilt, None, TODAY) == position(again, None, TODAY)
    assert (rebuilt.invoices, rebuilt.payments, rebuilt.orders) == (again.invoices, again.payments, again.orders)

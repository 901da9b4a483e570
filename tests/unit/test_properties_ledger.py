"""The ledger on SQLite keeps what the live account accepted: recording the
accepted facts (in random batches) and rebuilding the account from storage
gives the live account's valuation; each refused fact is refused there too,
for the same reason, and leaves nothing behind."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from o2c.config import eventstore_env
from o2c.domain.account import CustomerAccount
from o2c.domain.valuation import position
from o2c.ledger.application import Ledger
from o2c.ledger.envelope import Envelope, Rejected
from tests.unit.commands import TODAY, as_of_dates, trade

KEPT = ("credit_limit", "insured_limit", "orders", "invoices", "payments", "credit_notes", "disputes", "version")


def _envelope(fact: dict[str, Any]) -> Envelope:
    return Envelope(fact["event_id"], fact["type"], "C-1", fact["data"])


def _books(account: CustomerAccount) -> dict[str, Any]:
    return {name: getattr(account, name) for name in KEPT}


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_the_stored_account_is_worth_what_the_live_account_is(data: st.DataObject) -> None:
    result = trade(data, max_steps=30)
    refused = {fact["event_id"]: violation for fact, violation in result.rejected}
    everything = sorted([*result.facts, *(f for f, _ in result.rejected)], key=lambda f: int(f["event_id"][1:]))
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(eventstore_env(f"sqlite:///{Path(folder) / 'o2c.db'}"))
        try:
            batch: list[Envelope] = []
            for fact in everything:
                if fact["event_id"] not in refused:
                    batch.append(_envelope(fact))
                    if data.draw(st.integers(0, 3)) == 0:
                        ledger.record(batch)
                        batch = []
                    continue
                ledger.record(batch)
                batch = []
                try:
                    ledger.record([_envelope(fact)])
                except Rejected as rejection:
                    expected = refused[fact["event_id"]]
                    assert (type(rejection.violation), rejection.violation.field) == (type(expected), expected.field)
                else:
                    raise AssertionError(f"the ledger recorded {fact}, which the account refused")
            if batch:
                ledger.record(batch)
            stored = ledger.stored_account("C-1")
            history = ledger.history("C-1")
        finally:
            ledger.close()
    assert stored is not None
    assert [event.event_id for _, event in history] == [f["event_id"] for f in result.facts]
    assert _books(stored) == _books(result.account)
    for as_of in as_of_dates(data):
        assert position(stored, as_of, TODAY) == position(result.account, as_of, TODAY)

"""Through the Ledger: unknown accounts, reopening, the account's currency,
atomic batches, idempotent event ids and OrderCancelled's default date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from o2c.config import eventstore_env
from o2c.domain.errors import Conflict, Invalid, NotFound
from o2c.ledger.application import Ledger
from o2c.ledger.envelope import Envelope, Rejected
from tests.unit.trade import day, valued

RECORDED_ON = datetime(2026, 5, 7, 9, 30, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    app = Ledger(eventstore_env(f"sqlite:///{tmp_path}/ledger.db"), clock=lambda: RECORDED_ON)
    yield app
    app.close()


def fact(event_id: str, fact_type: str, account: str = "C-1", **data: Any) -> Envelope:
    return Envelope(event_id, fact_type, account, data)


OPEN = fact("open", "AccountOpened", name="Acme", currency="EUR", credit_limit=Decimal("1000"))
ORDER = fact("o1", "OrderPlaced", order_id="O-1", amount=Decimal("300"), order_date=day(3, 1))


def test_a_fact_on_an_unknown_account_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(Rejected) as refused:
        ledger.record([ORDER])
    assert (refused.value.index, type(refused.value.violation)) == (0, NotFound)
    assert refused.value.violation.field == "account"
    assert ledger.stored_account("C-1") is None


def test_opening_an_open_account_is_a_conflict(ledger: Ledger) -> None:
    ledger.record([OPEN])
    again = fact("open-2", "AccountOpened", name="Acme", currency="EUR", credit_limit=Decimal("5"))
    with pytest.raises(Rejected) as refused:
        ledger.record([again])
    assert isinstance(refused.value.violation, Conflict)
    assert str(ledger.stored_account("C-1").credit_limit) == "1000.00"  # type: ignore[union-attr]


def test_a_fact_in_another_currency_is_invalid(ledger: Ledger) -> None:
    ledger.record([OPEN])
    usd = fact("o1", "OrderPlaced", currency="USD", order_id="O-1", amount=Decimal("3"), order_date=day(3, 1))
    with pytest.raises(Rejected) as refused:
        ledger.record([usd])
    assert (type(refused.value.violation), refused.value.violation.field) == (Invalid, "data.currency")
    eur = fact("o1", "OrderPlaced", currency="EUR", order_id="O-1", amount=Decimal("3"), order_date=day(3, 1))
    ledger.record([eur])
    assert str(ledger.stored_account("C-1").orders["O-1"].amount) == "3.00"  # type: ignore[union-attr]


def test_a_batch_with_one_bad_fact_records_nothing(ledger: Ledger) -> None:
    bad = fact("f1", "InvoiceIssued", invoice_id="F-1", amount=Decimal("-5"), issue_date=day(3, 1), due_date=day(4, 1))
    with pytest.raises(Rejected) as refused:
        ledger.record([OPEN, ORDER, bad])
    assert (refused.value.index, refused.value.violation.field) == (2, "data.amount")
    assert ledger.stored_account("C-1") is None
    assert ledger.history("C-1") == []
    outcomes = ledger.record([OPEN, ORDER])
    assert [o.status for o in outcomes] == ["recorded", "recorded"]


def test_the_same_event_id_again_is_a_duplicate_and_with_other_content_a_conflict(ledger: Ledger) -> None:
    first = ledger.record([OPEN, ORDER])
    again = ledger.record([ORDER])
    assert (again[0].status, again[0].position) == ("duplicate", first[1].position)
    changed = fact("o1", "OrderPlaced", order_id="O-1", amount=Decimal("301"), order_date=day(3, 1))
    with pytest.raises(Rejected) as refused:
        ledger.record([changed])
    assert (type(refused.value.violation), refused.value.violation.field) == (Conflict, "event_id")
    assert len(ledger.history("C-1")) == 2


def test_the_same_amount_written_at_another_scale_is_the_same_content(ledger: Ledger) -> None:
    ledger.record([OPEN, ORDER])
    rewritten = fact("o1", "OrderPlaced", order_id="O-1", amount=Decimal("300.00"), order_date=day(3, 1))
    assert [o.status for o in ledger.record([rewritten])] == ["duplicate"]
    assert len(ledger.history("C-1")) == 2


def test_a_cancellation_without_a_date_is_dated_the_day_it_was_recorded(ledger: Ledger) -> None:
    ledger.record([OPEN, ORDER, fact("c1", "OrderCancelled", order_id="O-1")])
    account = ledger.stored_account("C-1")
    assert account is not None
    assert account.orders["O-1"].cancelled.effective == RECORDED_ON.date()  # type: ignore[union-attr]
    assert str(valued(account, day(5, 6)).uninvoiced) == "300.00"
    assert valued(account, day(5, 7)).uninvoiced == 0


def test_the_stored_account_is_worth_what_the_facts_say(ledger: Ledger) -> None:
    ledger.record(
        [
            OPEN,
            fact(
                "f1",
                "InvoiceIssued",
                invoice_id="F-1",
                amount=Decimal("1200"),
                issue_date=day(3, 1),
                due_date=day(3, 31),
            ),
            fact(
                "p1",
                "PaymentReceived",
                payment_id="P-1",
                amount=Decimal("500"),
                received_date=day(3, 10),
                allocations=(),
            ),
        ]
    )
    account = ledger.stored_account("C-1")
    assert account is not None
    now = valued(account, day(4, 1))
    assert (str(now.outstanding), str(now.unapplied_cash), str(now.overdue), str(now.headroom)) == (
        "1200.00",
        "500.00",
        "1200.00",
        "300.00",
    )
    assert [type(e).__name__ for _, e in ledger.history("C-1")] == ["AccountOpened", "InvoiceIssued", "PaymentReceived"]

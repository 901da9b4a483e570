"""Ids are unique within an account: a second order, invoice, payment, credit
note or dispute under a known id is a Conflict, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from o2c.domain.account import CustomerAccount
from o2c.domain.errors import Conflict, Invalid
from tests.unit.trade import day, invoiced, opened, paid, valued


def _account_with_one_of_each() -> CustomerAccount:
    account = opened()
    account.place_order("o", "O-1", Decimal("500"), day(2, 20))
    invoiced(account, "F-1", "1000.00")
    paid(account, "P-1", "100.00", day(3, 3))
    account.issue_credit_note("cn", "CN-1", "F-1", Decimal("10"), day(3, 4))
    account.open_dispute("d", "D-1", "F-1", Decimal("20"), "late delivery", day(3, 5))
    account.collect_events()
    return account


REUSES: dict[str, tuple[str, Callable[[CustomerAccount, str], None]]] = {
    "order": ("data.order_id", lambda a, i: a.place_order("e2", i, Decimal("1"), day(3, 1))),
    "invoice": ("data.invoice_id", lambda a, i: a.issue_invoice("e2", i, Decimal("1"), day(3, 1), day(3, 2))),
    "payment": ("data.payment_id", lambda a, i: a.receive_payment("e2", i, Decimal("1"), day(3, 1))),
    "credit note": (
        "data.credit_note_id",
        lambda a, i: a.issue_credit_note("e2", i, "F-1", Decimal("1"), day(3, 6)),
    ),
    "dispute": ("data.dispute_id", lambda a, i: a.open_dispute("e2", i, "F-1", Decimal("1"), "x", day(3, 6))),
}
KNOWN = {"order": "O-1", "invoice": "F-1", "payment": "P-1", "credit note": "CN-1", "dispute": "D-1"}


@pytest.mark.parametrize("kind", list(REUSES))
def test_reusing_a_known_id_is_a_conflict_and_records_nothing(kind: str) -> None:
    account = _account_with_one_of_each()
    before = valued(account)
    field, command = REUSES[kind]
    with pytest.raises(Conflict) as refused:
        command(account, KNOWN[kind])
    assert refused.value.field == field
    assert KNOWN[kind] in refused.value.reason
    assert account.collect_events() == []
    assert valued(account) == before


@pytest.mark.parametrize("kind", list(REUSES))
def test_a_blank_id_is_invalid(kind: str) -> None:
    field, command = REUSES[kind]
    account = _account_with_one_of_each()
    with pytest.raises(Invalid) as refused:
        command(account, "  ")
    assert not isinstance(refused.value, Conflict)
    assert refused.value.field == field


@pytest.mark.parametrize("kind", list(REUSES))
def test_a_new_id_of_each_kind_is_accepted(kind: str) -> None:
    _, command = REUSES[kind]
    account = _account_with_one_of_each()
    command(account, "NEW-1")
    assert len(account.collect_events()) == 1


def test_ids_of_different_kinds_live_side_by_side() -> None:
    account = opened()
    account.place_order("e1", "X-1", Decimal("100"), day(3, 1))
    account.issue_invoice("e2", "X-1", Decimal("100"), day(3, 1), day(3, 31), "X-1")
    account.receive_payment("e3", "X-1", Decimal("30"), day(3, 2))
    assert (str(account.orders["X-1"].uninvoiced), str(account.payments["X-1"].unapplied)) == ("0.00", "30.00")

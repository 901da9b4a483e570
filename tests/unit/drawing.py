"""Drawing the pieces of a command: business dates, amounts (mostly valid,
sometimes zero, negative, too fine or a bit too much), ids (existing or
fresh) and allocations, for the property tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from o2c.domain.account import CustomerAccount
from o2c.domain.items import Allocation

START = date(2026, 1, 1)
TODAY = date(2026, 6, 1)
PLACES = {"EUR": 2, "JPY": 0, "KWD": 3}


def some_date(data: st.DataObject, after: date = START, spread: int = 40) -> date:
    return after + timedelta(days=data.draw(st.integers(-3, spread)))


def amount(data: st.DataObject, places: int, up_to: Decimal) -> Decimal:
    """Mostly a valid amount up to `up_to`; sometimes zero, negative, too fine or a bit over."""
    unit = Decimal(1).scaleb(-places)
    top = max(int(up_to / unit), 1)
    pick = data.draw(st.integers(0, 19))
    if pick == 16:
        return Decimal(0)
    if pick == 17:
        return -unit * data.draw(st.integers(1, 500))
    if pick == 18:
        return unit * data.draw(st.integers(1, top)) + unit / 10
    if pick == 19:
        return unit * (top + data.draw(st.integers(1, 3)))
    return unit * data.draw(st.integers(1, top))


def known_or_not(data: st.DataObject, prefix: str, known: list[str], known_mostly: bool) -> str:
    """An existing id most of the time when `known_mostly`, else a fresh one most of the time."""
    pick = data.draw(st.integers(0, 9))
    use_known = pick < 8 if known_mostly else pick >= 8
    if use_known and known:
        return data.draw(st.sampled_from(sorted(known)))
    fresh = len(known)
    while f"{prefix}-{fresh}" in known:
        fresh += 1
    return f"{prefix}-{fresh}"


def allocations(data: st.DataObject, account: CustomerAccount, places: int, at_least: int) -> tuple[Allocation, ...]:
    chosen: list[Allocation] = []
    if not account.invoices and not at_least:
        return ()
    for _ in range(data.draw(st.integers(at_least, 2))):
        invoice_id = known_or_not(data, "F", list(account.invoices), known_mostly=True)
        invoice = account.invoices.get(invoice_id)
        balance = invoice.open_balance if invoice else Decimal(100)
        chosen.append(Allocation(invoice_id, amount(data, places, balance)))
    return tuple(chosen)


def as_of_dates(data: st.DataObject) -> list[date | None]:
    dates = data.draw(st.lists(st.integers(-5, 200), min_size=3, max_size=6))
    return [None, *(START + timedelta(days=d) for d in dates)]

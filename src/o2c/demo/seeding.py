"""Records the demo portfolio through the ledger, as the API would.

Every envelope goes through the API's own parsing (`parse_body`) and the
ledger's rules, in atomic batches of the API's size. Its `event_id`s are
stable (`demo-0001-0042`), so seeding again records nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import orjson
from eventsourcing.domain import CanMutateAggregate

from o2c.api.envelopes import MAX_BATCH, parse_body
from o2c.demo.customers import CUSTOMERS
from o2c.demo.feed import Feed
from o2c.demo.trading import Trade
from o2c.ledger.admin import record_rates, stored_rates
from o2c.ledger.application import Ledger
from o2c.ledger.envelope import Rejected


class DemoRejected(Exception):
    """The ledger refused a demo fact: the demo and the rules disagree."""


@dataclass(frozen=True)
class Seeded:
    accounts: int
    recorded: int
    duplicates: int
    today: date  # the day the portfolio's business dates lead up to
    rate_days: int = 0  # days of exchange rates recorded (the first of each month)


# Euro reference rates of the demo's months (1 EUR = rate), drifting a little month to month,
# so a reporting currency converts the dollar and yen accounts as a group's controller would.
_EUR_RATES = {"USD": (Decimal("1.0850"), Decimal("0.0040")), "JPY": (Decimal("161.20"), Decimal("0.85"))}


RATE_HISTORY_DAYS = 760  # the demo's trade goes back about two years


def monthly_rates(first: date, today: date) -> list[tuple[date, dict[str, str]]]:
    days, month = [], date(first.year, first.month, 1)
    while month <= today:
        n = len(days)
        wobble = (-1, 0, 1, 2, 1, 0, -1, -2)[n % 8]
        days.append((month, {quote: str(level + step * wobble) for quote, (level, step) in _EUR_RATES.items()}))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return days


def seed_rates(ledger: Ledger, first: date, today: date) -> int:
    """The month's euro rates, once: seeding again records no new version."""
    recorded = 0
    for day, rates in monthly_rates(first, today):
        if stored_rates(ledger, day) is None:
            record_rates(ledger, day, "EUR", rates)
            recorded += 1
    return recorded


def portfolio(today: date) -> list[dict[str, Any]]:
    """The demo's envelopes, every customer's trade up to `today`, in business-date order."""
    feed = Feed()
    trades = [Trade(customer, today, feed) for customer in CUSTOMERS]
    first = min(trade.start for trade in trades)
    for offset in range((today - first).days + 1):
        day = first + timedelta(days=offset)
        for trade in trades:
            trade.step(day)
    return feed.documents


def seeded_on(ledger: Ledger) -> date | None:
    """The day the demo was first seeded, if it was: its dates lead up to that day,
    so seeding again later posts the same facts (duplicates), not a second story."""
    for _, opened in ledger.history(CUSTOMERS[0].code, limit=1):
        assert isinstance(opened, CanMutateAggregate)
        return opened.timestamp.date()
    return None


def seed(ledger: Ledger) -> Seeded:
    """Records the portfolio up to the day it was first seeded (today, the first time)."""
    today = seeded_on(ledger) or ledger.clock().date()
    documents = portfolio(today)
    recorded = 0
    for start in range(0, len(documents), MAX_BATCH):
        batch = documents[start : start + MAX_BATCH]
        envelopes, _ = parse_body(orjson.dumps({"events": batch}))
        try:
            outcomes = ledger.record(envelopes)
        except Rejected as rejected:
            fact = batch[rejected.index]
            where = f"{fact['event_id']} ({fact['type']} on {fact['account']})"
            raise DemoRejected(f"{where}: {rejected.violation}") from None
        recorded += sum(1 for outcome in outcomes if outcome.status == "recorded")
    rate_days = seed_rates(ledger, today - timedelta(days=RATE_HISTORY_DAYS), today)
    return Seeded(len(CUSTOMERS), recorded, len(documents) - recorded, today, rate_days)

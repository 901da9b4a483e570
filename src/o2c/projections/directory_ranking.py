"""The directory sorted by what is overdue today: a figure of the day that no
column keeps, so the accounts are ranked in memory from the day's figures
(directory.Context): once per day, read-model position and way of ranking (one
currency or each, converted or not, either order); a listing then takes its page
from that ranking, its other filters read from the database."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.projections import schema
from o2c.projections.directory_order import Order
from o2c.projections.overdue_today import NOTHING, Overdue

A = schema.accounts.c
Entry = tuple[tuple[Any, ...], str, str, tuple[Any, ...]]  # comparable keys, code, currency, keys
KEPT_RANKINGS = 8


class Rankings:
    def __init__(self, overdue: Mapping[str, Overdue]) -> None:
        self.overdue = overdue
        self._accounts: list[tuple[str, str]] | None = None  # (code, currency), read when first ranked
        self._kept: dict[Any, list[Entry]] = {}

    async def ranked(self, conn: AsyncConnection, order: Order, today: date) -> list[Entry]:
        """Every account in `order` (sorted by overdue)."""
        rates = None if order.rates is None else tuple(sorted(order.rates.items()))
        way = (order.currency is not None, order.descending, rates)
        found = self._kept.get(way)
        if found is None:
            if self._accounts is None:
                self._accounts = [
                    (code, currency) for code, currency in await conn.execute(select(A.account, A.currency))
                ]
            found = self._kept[way] = sorted(self._entries(order, today))
            while len(self._kept) > KEPT_RANKINGS:
                self._kept.pop(next(iter(self._kept)))
        return found

    def _entries(self, order: Order, today: date) -> list[Entry]:
        descending = [key.descending for key in order.keys(today)]
        entries = []
        for code, currency in self._accounts or ():
            units = int(self.overdue.get(code, NOTHING).units or 0)
            if order.rates is not None:  # as the database converts the other amounts: in doubles
                keys: tuple[Any, ...] = (float(units) * order.rates[currency], code)
            elif order.currency is not None:
                keys = (units, code)
            else:
                keys = (currency, units, code)
            entries.append((comparable(keys, descending), code, currency, keys))
        return entries


def comparable(keys: Sequence[Any], descending: Sequence[bool]) -> tuple[Any, ...]:
    # Only figures go in descending order here (the currency and the code ascend): negated.
    return tuple(-v if d else v for v, d in zip(keys, descending, strict=True))


def after(entries: list[Entry], start_after: Sequence[Any] | None, order: Order, today: date) -> int:
    """Where the page after the cursor's keys starts in `entries`."""
    if start_after is None:
        return 0
    beyond = comparable(start_after, [key.descending for key in order.keys(today)])
    return bisect.bisect_right(entries, beyond, key=lambda entry: entry[0])

"""The exchange rates the read model keeps (rm_fx_rates), as the domain's
RateBook: every day's latest document, for the conversions of portfolio views."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.domain.fx import RateBook, RateDocument
from o2c.projections import schema

X = schema.fx_rates.c
# The book last read, per database: rates change a day at a time, views ask for them
# on every request. Each recording (a day's first document or a replacement) writes
# rows later than any before it, so the latest recording tells which documents the
# table holds: the kept book is current while it is the one it was read at (one
# index lookup, ~1 ms, where reading ten years of 30 quotes, 78,000 rows, takes 0.4-0.8 s).
_KEPT: dict[str, tuple[datetime | None, RateBook]] = {}


async def rate_book(conn: AsyncConnection) -> RateBook:
    """Every rate document recorded (its latest version per day)."""
    marker = await conn.scalar(select(func.max(X.recorded_at)))
    key = str(conn.engine.url)
    kept = _KEPT.get(key)
    if kept is not None and kept[0] == marker:
        return kept[1]
    book = RateBook(documents(await conn.execute(select(X.rate_date, X.base, X.quote, X.rate))))
    _KEPT[key] = (marker, book)
    return book


def documents(rows: Any) -> list[RateDocument]:
    """Rows of rm_fx_rates (rate_date, base, quote, rate) as one document per day."""
    days: defaultdict[tuple[date, str], dict[str, Decimal]] = defaultdict(dict)
    for rate_date, base, quote, rate in rows:
        days[(rate_date, base)][quote] = Decimal(rate)
    return [RateDocument(day, base, rates) for (day, base), rates in days.items()]

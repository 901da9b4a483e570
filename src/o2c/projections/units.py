"""Amounts in the read model are integers of 1/10,000 of the currency unit:
exact sums in SQL on SQLite and PostgreSQL alike (SQLite has no decimal type),
enough places for every ISO 4217 currency (CLF has 4). PostgreSQL keeps them as
NUMERIC(38,0) and hands them back as Decimal, SQLite as int (a sum past 64 bits
as its decimal text: database.ExactSum): all read the same."""

from __future__ import annotations

from decimal import Decimal

SCALE = 4


def to_units(amount: Decimal) -> int:
    return int(amount.scaleb(SCALE))


def from_units(units: int | Decimal | str | None) -> Decimal:
    return Decimal(units or 0).scaleb(-SCALE)

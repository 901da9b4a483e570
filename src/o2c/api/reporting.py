"""The reporting currency a portfolio view converts into, and how an answer says
which rates it used. Rates come from the read model (projections/fx.py); the
conversion itself is the domain's (domain/fx.py), exact until rendered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Context, Decimal
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.api.problems import violation_problem
from o2c.domain.errors import Invalid
from o2c.domain.fx import Conversion
from o2c.domain.money import check_currency
from o2c.projections.fx import rate_book

FIELD = "reporting_currency"


def reporting_currency(request: Request, value: str | None) -> str | None:
    """The query parameter, else `O2C_REPORTING_CURRENCY`; none: no conversion.
    An empty `reporting_currency=` asks for none even when a default is configured."""
    if value is None:
        configured: str | None = request.app.state.settings.reporting_currency
        return configured
    if value == "":
        return None
    try:
        return check_currency(FIELD, value)
    except Invalid as e:
        raise violation_problem(e) from None


async def conversions(
    conn: AsyncConnection, currencies: Iterable[str], reporting: str | None, as_of: date
) -> dict[str, Conversion] | None:
    """Each currency's conversion into `reporting` at the latest rates on or before
    `as_of`; none without a reporting currency; 422 naming the pair without a rate."""
    if reporting is None:
        return None
    book = await rate_book(conn)
    try:
        return book.conversions(currencies, reporting, as_of, FIELD)
    except Invalid as e:
        raise violation_problem(e) from None


def conversion_body(reporting: str | None, used: dict[str, Conversion] | None) -> dict[str, Any] | None:
    """The answer's `conversion`: the reporting currency and each rate used, exact as
    applied (a cross rate holds more digits than a recorded one)."""
    if reporting is None or used is None:
        return None
    return {
        "reporting_currency": reporting,
        "rates": [
            {"currency": c.currency, "rate": rate_text(c.rate), "rate_date": c.rate_date.isoformat()}
            for c in used.values()
            if c.rate_date is not None  # the reporting currency itself needs no rate
        ],
    }


def rate_text(rate: Decimal) -> str:
    """A rate as a plain decimal string: no exponent, no trailing zeros ("1.0842", "162.53"),
    every digit applied (34 for a cross rate: normalize() rounds to its context's precision,
    28 by default, so it is given the rate's own)."""
    return format(rate.normalize(Context(prec=max(1, len(rate.as_tuple().digits)))), "f")

"""What the portfolio views (aging, DSO, exposure) do with currencies: amounts in
two currencies are never added up. An answer holds the currencies its accounts
are kept in (only one, with `currency=`); its top-level figures are in one
currency (the one it holds, or the reporting currency, converted at the rates in
force on its date) or are null. Converted figures are exact until rendered:
each is rounded once, at the reporting currency's minor unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c.api.problems import violation_problem
from o2c.api.render import amount
from o2c.api.reporting import conversion_body, conversions, reporting_currency
from o2c.domain.errors import RuleViolation
from o2c.domain.fx import Conversion
from o2c.domain.money import ZERO, check_currency


def currency_filter(code: str | None) -> str | None:
    """`currency=`: an ISO 4217 code, else 422 naming `currency`."""
    try:
        return None if code is None else check_currency("currency", code)
    except RuleViolation as violation:
        raise violation_problem(violation) from None


@dataclass(frozen=True)
class Currencies:
    held: list[str]  # the currencies of the answer's groups, by code
    currency: str | None  # of the top-level figures: the one held, the reporting one, or none (mixed)
    conversions: dict[str, Conversion] | None  # by currency held, when a reporting currency applies

    def total(self, by_currency: Mapping[str, Decimal]) -> Decimal | None:
        """One figure of each currency held as a top-level figure: converted and
        summed, the one currency's, or None when the currencies are mixed."""
        if self.conversions is not None:
            return sum((self.conversions[c].convert(by_currency.get(c, ZERO)) for c in self.held), ZERO)
        return None if self.currency is None else by_currency.get(self.currency, ZERO)

    def converted(self, currency: str, value: Decimal) -> Decimal | None:
        return None if self.conversions is None else self.conversions[currency].convert(value)

    def rendered(self, value: Decimal | None) -> str | None:
        """A top-level amount at its currency's minor unit."""
        return None if value is None or self.currency is None else amount(value, self.currency)

    def body(self) -> dict[str, Any]:
        """The answer's `currency` and `conversion` (null without a reporting currency)."""
        reporting = self.currency if self.conversions is not None else None
        return {"currency": self.currency, "conversion": conversion_body(reporting, self.conversions)}


async def portfolio_currencies(
    request: Request,
    conn: AsyncConnection,
    held: Sequence[str],
    kept_to: str | None,
    reporting: str | None,
    as_of: date,
) -> Currencies:
    """The currencies of an answer (`held`, or only `kept_to` when the view is filtered
    on it) and, with a reporting currency (`reporting=`, else the configured one), each
    one's conversion at the latest rates on or before `as_of`: a missing rate is 422."""
    chosen = [kept_to] if kept_to is not None else sorted(set(held))
    into = reporting_currency(request, reporting)
    if into is None:
        return Currencies(chosen, chosen[0] if len(chosen) == 1 else None, None)
    return Currencies(chosen, into, await conversions(conn, chosen, into, as_of))

"""Exchange rates, recorded as facts, and the conversions a portfolio view makes
with them. Pure: the read model hands over the rate documents it keeps.

A rate document of day D with base B says `1 B = rate Q` for each quote Q.
Converting currency C into reporting currency R on `as_of` takes the latest
document dated on or before `as_of` that relates C and R: directly (base C,
quote R), inversely (base R, quote C) or across its base (C and R both quoted).
The rate is kept exact; only the converted figure is rounded, when rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal

from o2c.domain.errors import Invalid

# Rates divide into one another: 34 significant digits (decimal128) keep any
# converted amount exact to far below the smallest minor unit.
_EXACT = Context(prec=34)
ONE = Decimal(1)


@dataclass(frozen=True)
class RateDocument:
    """The rates recorded for one day, against one base currency."""

    rate_date: date
    base: str
    rates: Mapping[str, Decimal]  # quote currency -> units of it for one unit of base

    def rate(self, currency: str, reporting_currency: str) -> Decimal | None:
        """Units of `reporting_currency` for one unit of `currency`, if this day relates them."""
        if currency == reporting_currency:
            return ONE
        per_base = dict(self.rates)
        per_base[self.base] = ONE
        if currency in per_base and reporting_currency in per_base:
            return _EXACT.divide(per_base[reporting_currency], per_base[currency])
        return None


@dataclass(frozen=True)
class Conversion:
    """How one currency's figures are converted: amount * rate, at the rates of `rate_date`."""

    currency: str
    reporting_currency: str
    rate: Decimal
    rate_date: date | None  # none when no conversion is needed (the same currency)

    def convert(self, amount: Decimal) -> Decimal:
        return amount if self.rate == ONE else _EXACT.multiply(amount, self.rate)


class RateBook:
    """Every rate document recorded, to find the rate in force on a day."""

    def __init__(self, documents: Iterable[RateDocument]) -> None:
        self.documents = sorted(documents, key=lambda d: d.rate_date, reverse=True)

    def conversion(
        self, currency: str, reporting_currency: str, as_of: date, field: str = "reporting_currency"
    ) -> Conversion:
        if currency == reporting_currency:
            return Conversion(currency, reporting_currency, ONE, None)
        for document in self.documents:
            if document.rate_date > as_of:
                continue
            rate = document.rate(currency, reporting_currency)
            if rate is not None:
                return Conversion(currency, reporting_currency, rate, document.rate_date)
        raise Invalid(field, f"no exchange rate {currency}/{reporting_currency} recorded on or before {as_of}")

    def conversions(
        self, currencies: Iterable[str], reporting_currency: str, as_of: date, field: str = "reporting_currency"
    ) -> dict[str, Conversion]:
        return {c: self.conversion(c, reporting_currency, as_of, field) for c in sorted(set(currencies))}

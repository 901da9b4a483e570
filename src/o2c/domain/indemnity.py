"""The fixed recovery indemnity of a late invoice (Code de commerce D441-5) in
the account's currency: the law fixes it in euros, so an account kept in
another currency owes its equivalent on the day it became owed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from o2c.domain.errors import Invalid
from o2c.domain.fx import Conversion, RateBook
from o2c.domain.money import to_minor_unit

LAW_CURRENCY = "EUR"  # the currency D441-5 fixes the indemnity in


@dataclass(frozen=True)
class Indemnity:
    amount: Decimal | None  # in the account's currency; none when it cannot be told (see note)
    source: str  # law (EUR), converted, configured, or none
    conversion: Conversion | None = None
    note: str | None = None


def indemnity_in(
    currency: str, owed_on: date, law_amount: Decimal, configured: Mapping[str, Decimal], rates: RateBook | None
) -> Indemnity:
    """The law's amount in EUR; else converted at the rates in force on `owed_on`;
    else the amount configured for the currency; else none, saying why."""
    if currency == LAW_CURRENCY:
        return Indemnity(law_amount, "law")
    if rates is not None:
        try:
            conversion = rates.conversion(LAW_CURRENCY, currency, owed_on)
        except Invalid:
            pass
        else:
            return Indemnity(to_minor_unit(conversion.convert(law_amount), currency), "converted", conversion)
    if currency in configured:
        return Indemnity(configured[currency], "configured")
    return Indemnity(
        None,
        "none",
        note=f"no {LAW_CURRENCY}/{currency} rate recorded on or before {owed_on} and no indemnity configured "
        f"in {currency} (O2C_PENALTY_INDEMNITY={currency}=…): left out",
    )

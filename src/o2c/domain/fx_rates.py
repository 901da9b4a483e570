"""A day's exchange rates, recorded as a fact: an aggregate of its own per day
(`o2c:fx:YYYY-MM-DD`), so every version an administrator recorded stays in the
ledger and a converted figure can always be traced to the rates it used.

A document says `1 base = rate quote` for each quote. A PUT of the same day
replaces its document (a new version): conversions use the latest one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from eventsourcing.domain import event

from o2c.domain.aggregate import KeyedAggregate
from o2c.domain.errors import Invalid
from o2c.domain.fx import RateDocument
from o2c.domain.limits import check_business_date
from o2c.domain.money import MINOR_UNITS, check_currency

FX_PREFIX = "o2c:fx:"
MAX_QUOTES = 200  # more than every ISO 4217 currency in use against one base
# One unit of a currency is worth between a billionth and a billion units of
# another: every pair in use (VND/KWD ~ 1/80,000) lies far inside; a rate
# outside is a typo (a missing point) that would turn every converted figure.
MIN_RATE = Decimal(10) ** -9
MAX_RATE = Decimal(10) ** 9
RATE_PLACES = 12
# As amounts are written (limits.DECIMAL_TEXT), with room for more decimals than 12
# so that too many is said as such; no exponent, NaN or non-ASCII digit.
RATE_TEXT = re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,18})?", re.ASCII)


def check_rate(field: str, text: object) -> Decimal:
    """A rate is an ASCII decimal string, as amounts are (a JSON number is refused:
    a float parser may have rounded it already), > 0, bounded, at most 12 decimals."""
    if not isinstance(text, str):
        raise Invalid(field, 'must be a decimal string such as "1.0842" (not a JSON number)')
    if not RATE_TEXT.fullmatch(text):
        raise Invalid(field, f'"{text[:40]}" is not a decimal rate such as "1.0842" (ASCII digits)')
    rate = Decimal(text)
    if not MIN_RATE <= rate <= MAX_RATE:
        raise Invalid(field, f"must be a rate from {MIN_RATE:f} to {MAX_RATE:,}")
    if rate != rate.quantize(Decimal(1).scaleb(-RATE_PLACES)):
        raise Invalid(field, f"has more than {RATE_PLACES} decimal places")
    return rate


def written(rate: Decimal) -> str:
    """A rate as it was written, without an exponent: "0.000000001", not "1E-9"."""
    return format(rate, "f")


def check_rates(base: str, rates: Mapping[str, Any]) -> dict[str, Decimal]:
    """Base and quotes ISO 4217, no quote the base itself, 1 to 200 quotes."""
    check_currency("base", base)
    if not 1 <= len(rates) <= MAX_QUOTES:
        raise Invalid("rates", f"must hold 1 to {MAX_QUOTES} quote currencies")
    checked = {}
    for quote, text in rates.items():
        # A key is named in the field only when short and plain (it is echoed back).
        field = f"rates.{quote}" if quote.isascii() and quote.isalnum() and len(quote) <= 8 else "rates"
        if quote not in MINOR_UNITS:
            raise Invalid(field, f"{quote if field != 'rates' else 'a key'} is not an ISO 4217 currency code")
        if quote == base:
            raise Invalid(field, f"is the base currency: 1 {base} = 1 {base}")
        checked[quote] = check_rate(field, text)
    return dict(sorted(checked.items()))


@dataclass(frozen=True)
class RatesVersion:
    version: int
    base: str
    rates: dict[str, Decimal]
    recorded_at: datetime


class DailyRates(KeyedAggregate):
    """The exchange rates of one business day (the event topics name this class: keep it)."""

    @staticmethod
    def create_id(rate_date: date) -> str:
        return f"{FX_PREFIX}{rate_date.isoformat()}"

    @classmethod
    def record(cls, rate_date: date, event_id: str, base: str, rates: Mapping[str, Any]) -> DailyRates:
        check_business_date("date", rate_date)
        return cls(rate_date=rate_date, event_id=event_id, base=base, rates=check_rates(base, rates))

    @event("RatesRecorded")
    def __init__(self, rate_date: date, event_id: str, base: str, rates: dict[str, Decimal]) -> None:
        self.rate_date = rate_date
        self.versions: list[RatesVersion] = []
        self._add_version(base, rates, self.created_on)

    class RatesReplaced(KeyedAggregate.Event):
        base: str
        rates: dict[str, Decimal]

        def apply(self, aggregate: Any) -> None:
            # Dated by this event's own timestamp: the version's recording time.
            aggregate._add_version(self.base, self.rates, self.timestamp)

    def replace(self, event_id: str, base: str, rates: Mapping[str, Any]) -> None:
        self.trigger_event(self.RatesReplaced, event_id=event_id, base=base, rates=check_rates(base, rates))

    def _add_version(self, base: str, rates: Mapping[str, Decimal], recorded_at: datetime) -> None:
        self.versions.append(RatesVersion(len(self.versions) + 1, base, dict(rates), recorded_at))

    @property
    def current(self) -> RatesVersion:
        return self.versions[-1]

    @property
    def document(self) -> RateDocument:
        return RateDocument(self.rate_date, self.current.base, dict(self.current.rates))

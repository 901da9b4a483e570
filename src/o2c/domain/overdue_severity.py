"""How urgent an overdue invoice is: its severity rises one level at each
threshold its days past due reach, or its open amount (in the account's own
currency), whichever rises higher. Read as of the day asked, so it changes with
the calendar (an alert's stored severity cannot).

Amount thresholds are per currency (10,000 EUR and 10,000 JPY are not the same
stake); a currency without its own thresholds rises with age alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from o2c.domain.money import MINOR_UNITS

LEVELS = ("low", "medium", "high", "critical")  # below the first threshold, then one per threshold
DEFAULT_DAYS = "30,60,90"
DEFAULT_AMOUNTS = (
    "EUR=10000/50000/100000,USD=10000/50000/100000,GBP=10000/50000/100000,CHF=10000/50000/100000,"
    "JPY=1500000/7500000/15000000"
)


@dataclass(frozen=True)
class OverdueSeverity:
    days: tuple[int, ...] = (30, 60, 90)
    amounts: Mapping[str, tuple[Decimal, ...]] = field(default_factory=dict)

    def of(self, days_past_due: int, open_amount: Decimal | None, currency: str | None) -> str:
        by_age = sum(days_past_due >= threshold for threshold in self.days)
        by_amount = 0
        if open_amount is not None and currency is not None:
            by_amount = sum(open_amount >= threshold for threshold in self.amounts.get(currency, ()))
        return LEVELS[max(by_age, by_amount)]

    @classmethod
    def parse(cls, days: str = DEFAULT_DAYS, amounts: str = DEFAULT_AMOUNTS) -> OverdueSeverity:
        """From configuration: O2C_OVERDUE_SEVERITY_DAYS ("30,60,90") and
        O2C_OVERDUE_SEVERITY_AMOUNTS ("EUR=10000/50000/100000,JPY=…"); either may be empty."""
        variable = "O2C_OVERDUE_SEVERITY_DAYS"
        by_age = _thresholds(variable, days.strip(), ",", int)
        by_amount: dict[str, tuple[Decimal, ...]] = {}
        variable = "O2C_OVERDUE_SEVERITY_AMOUNTS"
        for entry in filter(None, (part.strip() for part in amounts.split(","))):
            currency, sep, values = (s.strip() for s in entry.partition("="))
            if not sep or currency not in MINOR_UNITS or currency in by_amount:
                raise ValueError(f"{variable}: {entry!r} is not CURRENCY=A/B/C with an ISO 4217 code given once")
            by_amount[currency] = _thresholds(variable, values, "/", Decimal)
        return cls(by_age, by_amount)


T = TypeVar("T", int, Decimal)


def _thresholds(variable: str, text: str, separator: str, kind: type[T]) -> tuple[T, ...]:
    """At most one threshold per level above the first, positive and increasing."""
    texts = text.split(separator) if text else []
    try:
        values = tuple(kind(text.strip()) for text in texts)
    except (ValueError, InvalidOperation):
        values = ()
    finite = all(Decimal(v).is_finite() for v in values)
    if (not finite or len(values) != len(texts) or len(values) >= len(LEVELS) or not all(v > 0 for v in values)
            or list(values) != sorted(set(values))):  # fmt: skip
        raise ValueError(f"{variable}: {text!r} must be up to {len(LEVELS) - 1} increasing positive numbers")
    return values


DEFAULT_OVERDUE_SEVERITY = OverdueSeverity.parse()

"""What the monthly management report is worked out from, for one currency: the
receivables the day before the month and at its end, aging, cash and disputes
of the month, promises and plans, the largest exposures. Two currencies' months
add up only once converted into one: every amount (each day's sales too) at the
same rate, the ratios (DSO, CEI, overdue rate) then computed from the sums."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from o2c.domain.money import ZERO
from o2c.domain.receivables import ReceivablesPosition, collection_effectiveness, combined

Convert = Callable[[Decimal], Decimal]
COMMITMENT_COUNTS = ("promises_kept", "promises_broken", "plans_kept", "plans_broken")


@dataclass(frozen=True)
class Movements:
    """A measure's increases and decreases dated in the month (cash received; disputes opened, resolved)."""

    up_count: int = 0
    up: Decimal = ZERO
    down_count: int = 0
    down: Decimal = ZERO

    def converted(self, convert: Convert) -> Movements:
        return replace(self, up=convert(self.up), down=convert(self.down))

    def __add__(self, other: Movements) -> Movements:
        return Movements(self.up_count + other.up_count, self.up + other.up, self.down_count + other.down_count,
                         self.down + other.down)  # fmt: skip


@dataclass(frozen=True)
class Exposure:
    account: str
    name: str
    currency: str
    exposure: Decimal  # in its own currency
    credit_limit: Decimal
    converted: Decimal | None = None  # in the reporting currency, once converted


@dataclass(frozen=True)
class Month:
    """A month in one currency (or converted into one)."""

    start: ReceivablesPosition  # the day before the month's first
    end: ReceivablesPosition  # on the report's day
    aging: tuple[Decimal, ...]  # open balances by aging bucket, on the report's day
    unapplied: Decimal
    disputed: Decimal
    cash: Movements  # unapplied cash arriving: payments received
    disputes: Movements
    commitments: Mapping[str, int]  # promises and plans kept and broken: counts, in no currency
    top: tuple[Exposure, ...]  # the largest exposures on the report's day, largest first

    def effectiveness(self, first: date, last: date) -> Decimal | None:
        """CEI of the month: R at its start and end, its sales, what is not yet due at its end."""
        sales = sum((s for day, s in self.end.sales_by_day.items() if first <= day <= last), ZERO)
        return collection_effectiveness(self.start.receivables, sales, self.end.receivables, self.end.not_yet_due)

    def converted(self, convert: Convert) -> Month:
        """Every amount converted, exactly; each exposure keeps its own amount beside."""
        return Month(
            self.start.converted(convert), self.end.converted(convert), tuple(convert(b) for b in self.aging),
            convert(self.unapplied), convert(self.disputed), self.cash.converted(convert),
            self.disputes.converted(convert), self.commitments,
            tuple(replace(e, converted=convert(e.exposure)) for e in self.top),
        )  # fmt: skip


def counts(months: Iterable[Month]) -> dict[str, int]:
    """Promises and plans of every currency: counts add up across currencies."""
    out: dict[str, int] = {}
    for month in months:
        for name, n in month.commitments.items():
            out[name] = out.get(name, 0) + n
    return out


def month_in_one(months: list[Month], buckets: int, top: int) -> Month:
    """Months already in one currency (converted) added up; the largest converted
    exposures of them all, ties by account code."""

    def total(amounts: Iterable[Decimal]) -> Decimal:
        return sum(amounts, ZERO)

    exposures = (e for month in months for e in month.top)
    return Month(
        combined(m.start for m in months), combined(m.end for m in months),
        tuple(total(m.aging[i] for m in months) for i in range(buckets)),
        total(m.unapplied for m in months), total(m.disputed for m in months),
        sum((m.cash for m in months), Movements()), sum((m.disputes for m in months), Movements()),
        counts(months),
        tuple(heapq.nsmallest(top, exposures, key=lambda e: (-(e.converted or ZERO), e.account))),
    )  # fmt: skip

"""Portfolio measures of receivables: aging buckets and DSO, as SPEC defines
them. Pure functions over amounts by due date and sales by day."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from o2c.domain.money import ZERO

DEFAULT_BOUNDARIES = (30, 60, 90, 120)
COUNTBACK_LIMIT_DAYS = 365


def bucket_labels(boundaries: Sequence[int]) -> list[str]:
    """current, 1-30, 31-60, …, 120+ for boundaries 30,60,90,120."""
    labels = ["current"]
    low = 1
    for high in boundaries:
        labels.append(f"{low}-{high}")
        low = high + 1
    labels.append(f"{boundaries[-1]}+")
    return labels


def bucket_of(days_past_due: int, boundaries: Sequence[int], labels: Sequence[str]) -> str:
    if days_past_due <= 0:
        return labels[0]
    for index, high in enumerate(boundaries):
        if days_past_due <= high:
            return labels[index + 1]
    return labels[-1]


@dataclass(frozen=True)
class ReceivablesPosition:
    """What DSO is worked out from, in one currency (or converted into one) on D:
    the receivables R(D), the outstanding and what of it is not yet due, and the
    invoiced sales by day."""

    receivables: Decimal  # outstanding - unapplied cash, floored at 0
    outstanding: Decimal
    not_yet_due: Decimal  # due on or after D
    sales_by_day: Mapping[date, Decimal]

    @classmethod
    def of(
        cls, outstanding: Decimal, unapplied: Decimal, not_yet_due: Decimal, sales_by_day: Mapping[date, Decimal]
    ) -> ReceivablesPosition:
        return cls(max(outstanding - unapplied, ZERO), outstanding, not_yet_due, sales_by_day)

    @property
    def overdue(self) -> Decimal:
        return self.outstanding - self.not_yet_due

    def converted(self, convert: Callable[[Decimal], Decimal]) -> ReceivablesPosition:
        """Every amount (each day's sales too) converted, exactly: ratios are worked
        out from the converted amounts, never averaged."""
        sales = {day: convert(amount) for day, amount in self.sales_by_day.items()}
        return ReceivablesPosition(
            convert(self.receivables), convert(self.outstanding), convert(self.not_yet_due), sales
        )


def combined(positions: Iterable[ReceivablesPosition]) -> ReceivablesPosition:
    """Positions in one currency added up; each kept its own floor at 0 (unapplied
    cash in dollars does not reduce what is owed in yen)."""
    receivables = outstanding = not_yet_due = ZERO
    sales: dict[date, Decimal] = {}
    for p in positions:
        receivables, outstanding = receivables + p.receivables, outstanding + p.outstanding
        not_yet_due += p.not_yet_due
        for day, amount in p.sales_by_day.items():
            sales[day] = sales.get(day, ZERO) + amount
    return ReceivablesPosition(receivables, outstanding, not_yet_due, sales)


@dataclass(frozen=True)
class Dso:
    receivables: Decimal
    sales: Decimal  # invoiced sales in (D - days, D]
    dso: Decimal | None
    best_possible_dso: Decimal | None
    average_days_delinquent: Decimal | None
    overdue_rate: Decimal | None
    outstanding: Decimal
    not_yet_due: Decimal
    overdue: Decimal


def standard_dso(receivables: Decimal, sales: Decimal, days: int) -> Decimal | None:
    # One division, last: an exact tie (72.25) stays exact and rounds half-even.
    return receivables * days / sales if sales else None


def countback_dso(receivables: Decimal, sales_by_day: Mapping[date, Decimal], as_of: date) -> Decimal:
    """Walk back from D one day at a time, consuming each day's sales from the
    receivables: full days count 1, the last partial day its fraction."""
    remaining, days = receivables, Decimal(0)
    for back in range(COUNTBACK_LIMIT_DAYS):
        if remaining <= 0:
            break
        sales = sales_by_day.get(as_of - timedelta(days=back), ZERO)
        if sales <= 0:
            days += 1
            continue
        if remaining >= sales:
            remaining -= sales
            days += 1
        else:
            days += remaining / sales
            remaining = ZERO
    return days


def dso(position: ReceivablesPosition, *, as_of: date, days: int, method: str) -> Dso:
    receivables, not_yet_due = position.receivables, position.not_yet_due
    window_start = as_of - timedelta(days=days)
    sales = sum((s for d, s in position.sales_by_day.items() if window_start < d <= as_of), ZERO)
    standard = standard_dso(receivables, sales, days)
    chosen = countback_dso(receivables, position.sales_by_day, as_of) if method == "countback" else standard
    return Dso(
        receivables=receivables,
        sales=sales,
        dso=chosen,
        best_possible_dso=standard_dso(not_yet_due, sales, days),
        # (R - best) * N / S rather than a difference of two rounded quotients.
        average_days_delinquent=standard_dso(receivables - not_yet_due, sales, days),
        overdue_rate=position.overdue / position.outstanding if position.outstanding else None,
        outstanding=position.outstanding,
        not_yet_due=not_yet_due,
        overdue=position.overdue,
    )


def collection_effectiveness(
    receivables_start: Decimal, sales: Decimal, receivables_end: Decimal, current_end: Decimal, months: int = 1
) -> Decimal | None:
    """CEI: the share of what could be collected over the period that was, as SPEC
    defines it (over k months, sales count for 1/k in both terms); None when there
    was nothing to collect."""
    sales_share = sales / months
    collectable = receivables_start + sales_share - current_end
    if collectable <= 0:
        return None
    return (receivables_start + sales_share - receivables_end) * 100 / collectable

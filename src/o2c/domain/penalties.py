"""Late-payment penalties under French commercial law (Code de commerce,
art. L441-10 and D441-5): for every invoice paid, or still open, after its due
date, a fixed recovery indemnity and late interest at the reference rate plus
a margin (10 points by law), counted per day on what was still owed.

Conventions (SPEC fixes only the formula; these are our choices):

- **Days late.** Penalties are due "le jour suivant la date de règlement
  figurant sur la facture": interest runs from the day after the due date
  *through the day of payment*, so an invoice due on 31 March and paid on
  30 April is 30 days late (30 April - 31 March), the count French penalty
  calculators use and the same as SPEC's days past due (`as_of - due_date`).
  Cash dated on the due date is on time. An invoice still open on `as_of` has
  interest through `as_of` inclusive.
- **Partial settlements.** Interest runs on the amount still owed each day.
  A payment, credit note or upheld dispute dated D is still owed on D (it is
  the day of payment) and stops accruing from D + 1; so the periods split at
  D + 1. Settlements count from their own business date (never before the
  invoice's issue date: the ledger already dates them so), and only those
  dated on or before `as_of`.
- **Disputes.** Kept simple: interest runs on the open amount, disputed or
  not. An upheld dispute is a credit from its resolution date like a credit
  note; it does not cancel interest already run on that amount. A credit
  manager who waives penalties on a contested amount does it by hand.
- **Rates.** The reference rate is a schedule of (effective date, rate in
  percent): a day takes the rate of the latest entry effective on or before
  it (by law the ECB main refinancing rate in force on 1 January applies for
  the first half-year and the one in force on 1 July for the second, so the
  schedule usually has one entry per half-year). Days before the first entry
  take the first entry's rate: configure the schedule back far enough. The
  applied annual rate is reference + margin points; a year counts 365 days,
  leap years included, as SPEC's formula says.
- **Rounding.** Each period's interest is computed exactly (Decimal), the
  invoice's interest is their sum rounded half-even to the cent once, at the
  end; totals are sums of the rounded invoice figures, so a report adds up.
  Per-period interest is shown rounded too, for reading only: the rounded
  periods may add up to a cent more or less than the invoice figure.
- **Indemnity.** Once per invoice that was still (partly) open after its due
  date, owed as soon as it is late (counted on `as_of`); none for an invoice
  settled by its due date. The law fixes 40 EUR; o2c holds no exchange rates,
  so for an account in another currency the configured amount (default the
  same number, 40.00) is taken in the account's currency.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from o2c.domain.items import Invoice, counted
from o2c.domain.money import ZERO, to_cents

LEGAL_MARGIN_POINTS = Decimal(10)
LEGAL_INDEMNITY = Decimal("40.00")
DAYS_IN_YEAR = 365
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class PenaltyTerms:
    """The reference-rate schedule, the margin and the fixed indemnity."""

    reference_rates: tuple[tuple[date, Decimal], ...]
    margin_points: Decimal = LEGAL_MARGIN_POINTS
    indemnity: Decimal = LEGAL_INDEMNITY

    def __post_init__(self) -> None:
        if not self.reference_rates:
            raise ValueError("the reference rate schedule is empty: give at least one date=rate")
        dates = [effective for effective, _ in self.reference_rates]
        if dates != sorted(set(dates)):
            raise ValueError("reference rate dates must be strictly increasing, each given once")
        for value, what in [(self.margin_points, "margin points"), (self.indemnity, "indemnity")]:
            if not value.is_finite() or value < 0:
                raise ValueError(f"the {what} must be a finite number, zero or more, not {value}")
        for effective, rate in self.reference_rates:
            # A negative applied rate would pay the debtor for being late.
            if not rate.is_finite() or rate + self.margin_points < 0:
                raise ValueError(f"the reference rate from {effective} ({rate}) plus the margin is negative")

    def reference_rate_on(self, day: date) -> Decimal:
        rate = self.reference_rates[0][1]
        for effective, value in self.reference_rates:
            if effective > day:
                break
            rate = value
        return rate

    def rate_changes(self) -> list[date]:
        return [effective for effective, _ in self.reference_rates]


@dataclass(frozen=True)
class InterestPeriod:
    """Days (both inclusive) over which the amount owed and the rate held."""

    start: date
    end: date
    days: int
    amount: Decimal
    reference_rate: Decimal
    rate: Decimal  # reference + margin, percent a year
    interest: Decimal  # exact, unrounded


@dataclass(frozen=True)
class InvoicePenalty:
    invoice_id: str
    due_date: date
    settled_date: date | None  # when it was fully settled, on or before as_of
    days_late: int
    indemnity: Decimal
    interest: Decimal  # rounded half-even to the cent
    periods: tuple[InterestPeriod, ...]

    @property
    def total(self) -> Decimal:
        return self.indemnity + self.interest

    @property
    def is_late(self) -> bool:
        return self.days_late > 0


@dataclass(frozen=True)
class AccountPenalties:
    as_of: date
    invoices: tuple[InvoicePenalty, ...]  # late invoices only, oldest due first

    @property
    def indemnity(self) -> Decimal:
        return sum((i.indemnity for i in self.invoices), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((i.interest for i in self.invoices), ZERO)

    @property
    def total(self) -> Decimal:
        return self.indemnity + self.interest


def settled_date(invoice: Invoice, as_of: date) -> date | None:
    """The day the invoice was fully settled, counting settlements dated up to as_of."""
    owed = invoice.amount
    for movement in sorted(invoice.settlements, key=lambda m: m.effective):
        if movement.effective > as_of:
            break
        owed -= movement.amount
        if owed <= 0:
            return movement.effective
    return None


def owed_on(invoice: Invoice, day: date) -> Decimal:
    """What still accrues interest on `day`: what was settled that very day is
    still owed on it (the day of payment counts)."""
    return invoice.amount - counted(invoice.settlements, day - _ONE_DAY)


def invoice_penalty(invoice: Invoice, as_of: date, terms: PenaltyTerms) -> InvoicePenalty:
    """Days late, indemnity and interest of one invoice, as they stand on as_of."""
    settled = settled_date(invoice, as_of)
    on_time = settled is not None and settled <= invoice.due_date
    if on_time or as_of <= invoice.due_date:
        return InvoicePenalty(invoice.invoice_id, invoice.due_date, settled, 0, ZERO, ZERO, ())
    last = min(settled, as_of) if settled is not None else as_of
    periods = interest_periods(invoice, invoice.due_date + _ONE_DAY, last, terms)
    return InvoicePenalty(
        invoice_id=invoice.invoice_id,
        due_date=invoice.due_date,
        settled_date=settled,
        days_late=(last - invoice.due_date).days,
        indemnity=terms.indemnity,
        interest=to_cents(sum((p.interest for p in periods), ZERO)),
        periods=periods,
    )


def interest_periods(invoice: Invoice, first: date, last: date, terms: PenaltyTerms) -> tuple[InterestPeriod, ...]:
    """Split first..last (inclusive) wherever the amount owed or the reference rate changes."""
    # The amount owed changes the day after a settlement; the rate on its effective date.
    changes = {m.effective + _ONE_DAY for m in invoice.settlements} | set(terms.rate_changes())
    starts = [first, *sorted(d for d in changes if first < d <= last)]
    ends = [d - _ONE_DAY for d in starts[1:]] + [last]
    periods: list[InterestPeriod] = []
    for start, end in zip(starts, ends, strict=True):
        amount, reference = owed_on(invoice, start), terms.reference_rate_on(start)
        if periods and (periods[-1].amount, periods[-1].reference_rate) == (amount, reference):
            # A schedule entry repeating the same rate is no change: one period, not two.
            start = periods.pop().start
        periods.append(period(start, end, amount, reference, terms.margin_points))
    return tuple(periods)


def period(start: date, end: date, amount: Decimal, reference: Decimal, margin: Decimal) -> InterestPeriod:
    days = (end - start).days + 1
    rate = reference + margin
    # One division, last: the exact figure up to Decimal's 28 digits.
    interest = amount * rate * days / (100 * DAYS_IN_YEAR)
    return InterestPeriod(start, end, days, amount, reference, rate, interest)


def account_penalties(invoices: Iterable[Invoice], as_of: date, terms: PenaltyTerms) -> AccountPenalties:
    """The penalties of every invoice late on as_of, oldest due first."""
    late = [p for p in (invoice_penalty(i, as_of, terms) for i in invoices) if p.is_late]
    late.sort(key=lambda p: (p.due_date, p.invoice_id))
    return AccountPenalties(as_of, tuple(late))

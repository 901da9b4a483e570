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
  D + 1. Settlements count only once dated on or before `as_of`.
- **The day of payment is the day the cash came.** Cash received unallocated
  and allocated later paid the invoice on the day it was *received* (L441-10
  runs interest to the day of payment), never before the invoice's issue date:
  the allocation (once dated by `as_of`) stops the interest from that day on,
  not from the allocation's date. Credit notes and upheld disputes count from
  their own date.
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
  invoice's interest is their sum rounded half-even once, at the end, to the
  account currency's minor unit (the cent; 1 yen; 0.001 dinar); totals are
  sums of the rounded invoice figures, so a report adds up. Per-period
  interest is shown rounded too, for reading only: the rounded periods may
  add up to a minor unit more or less than the invoice figure.
- **Indemnity.** Once per invoice that was still (partly) open after its due
  date, owed as soon as it is late (counted on `as_of`); none for an invoice
  settled by its due date. The law fixes 40 EUR (D441-5). On an account in
  another currency it is converted at the rates in force the day it became
  owed (the day after the due date: the latest document on or before it
  relating EUR and the currency), rounded to the currency's minor unit; with
  no such rate, the amount configured for that currency; with neither, it is
  left out (none rather than a guess) and the invoice says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from o2c.domain.errors import Invalid
from o2c.domain.fx import RateBook
from o2c.domain.indemnity import LAW_CURRENCY, Indemnity, indemnity_in
from o2c.domain.items import Invoice, Movement, Payment, counted
from o2c.domain.money import ZERO, check_amount, to_minor_unit

LEGAL_MARGIN_POINTS = Decimal(10)
LEGAL_INDEMNITY = Decimal("40.00")
DAYS_IN_YEAR = 365
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class PenaltyTerms:
    """The reference-rate schedule, the margin and the fixed indemnity."""

    reference_rates: tuple[tuple[date, Decimal], ...]
    margin_points: Decimal = LEGAL_MARGIN_POINTS
    indemnity: Decimal = LEGAL_INDEMNITY  # in EUR
    # For a currency no recorded rate relates to EUR: the amount to claim in it.
    indemnities: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.reference_rates:
            raise ValueError("the reference rate schedule is empty: give at least one date=rate")
        dates = [effective for effective, _ in self.reference_rates]
        if dates != sorted(set(dates)):
            raise ValueError("reference rate dates must be strictly increasing, each given once")
        amounts = [(amount, f"indemnity in {currency}") for currency, amount in self.indemnities.items()]
        for value, what in [(self.margin_points, "margin points"), (self.indemnity, "indemnity"), *amounts]:
            if not value.is_finite() or value < 0:
                raise ValueError(f"the {what} must be a finite number, zero or more, not {value}")
        for currency, amount in self.indemnities.items():
            try:  # as an amount of the ledger: below 10^12, at the currency's minor unit
                check_amount(f"indemnity in {currency}", amount, currency, allow_zero=True)
            except Invalid as e:
                raise ValueError(str(e)) from None
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
    settled_date: date | None  # the day it was fully paid (cash: when received), settlements dated by as_of
    days_late: int
    indemnity: Decimal  # in the account's currency; zero when it cannot be told (see indemnity_basis)
    interest: Decimal  # rounded half-even to the currency's minor unit
    periods: tuple[InterestPeriod, ...]
    indemnity_basis: Indemnity | None = None  # how the indemnity was found; none when not late

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


def paid(invoice: Invoice, as_of: date, payments: Mapping[str, Payment]) -> list[Movement]:
    """The settlements counted on as_of, each dated by the day it paid the invoice."""
    return [
        Movement(payment_day(invoice, m, payments), m.amount, m.source)
        for m in invoice.settlements
        if m.effective <= as_of
    ]


def payment_day(invoice: Invoice, settlement: Movement, payments: Mapping[str, Payment]) -> date:
    """Cash pays on the day it was received (not before the invoice exists), however
    late it was allocated; a credit note or upheld dispute on its own date. A movement
    is cash when its payment holds the matching allocation (a credit note may share a
    payment's id: ids are unique per kind)."""
    payment = payments.get(settlement.source)
    if payment is None or not any(
        (a.source, a.effective, a.amount) == (invoice.invoice_id, settlement.effective, settlement.amount)
        for a in payment.allocations
    ):
        return settlement.effective
    return max(payment.received_date, invoice.issue_date)


def settled_date(invoice: Invoice, as_of: date, payments: Mapping[str, Payment] | None = None) -> date | None:
    """The day the invoice was fully paid, counting settlements dated up to as_of."""
    return _settled_on(invoice.amount, paid(invoice, as_of, payments or {}))


def _settled_on(amount: Decimal, settlements: list[Movement]) -> date | None:
    owed = amount
    for movement in sorted(settlements, key=lambda m: m.effective):
        owed -= movement.amount
        if owed <= 0:
            return movement.effective
    return None


def owed_on(amount: Decimal, settlements: list[Movement], day: date) -> Decimal:
    """What still accrues interest on `day`: what was paid that very day is still
    owed on it (the day of payment counts)."""
    return amount - counted(settlements, day - _ONE_DAY)


def invoice_penalty(
    invoice: Invoice,
    as_of: date,
    terms: PenaltyTerms,
    *,
    currency: str = LAW_CURRENCY,
    payments: Mapping[str, Payment] | None = None,
    rates: RateBook | None = None,
) -> InvoicePenalty:
    """Days late, indemnity and interest of one invoice, as they stand on as_of."""
    settlements = paid(invoice, as_of, payments or {})
    settled = _settled_on(invoice.amount, settlements)
    on_time = settled is not None and settled <= invoice.due_date
    if on_time or as_of <= invoice.due_date:
        return InvoicePenalty(invoice.invoice_id, invoice.due_date, settled, 0, ZERO, ZERO, ())
    last = min(settled, as_of) if settled is not None else as_of
    first = invoice.due_date + _ONE_DAY
    periods = interest_periods(invoice.amount, settlements, first, last, terms)
    basis = indemnity_in(currency, first, terms.indemnity, terms.indemnities, rates)
    return InvoicePenalty(
        invoice_id=invoice.invoice_id,
        due_date=invoice.due_date,
        settled_date=settled,
        days_late=(last - invoice.due_date).days,
        indemnity=ZERO if basis.amount is None else basis.amount,
        interest=to_minor_unit(sum((p.interest for p in periods), ZERO), currency),
        periods=periods,
        indemnity_basis=basis,
    )


def interest_periods(
    amount: Decimal, settlements: list[Movement], first: date, last: date, terms: PenaltyTerms
) -> tuple[InterestPeriod, ...]:
    """Split first..last (inclusive) wherever the amount owed or the reference rate changes."""
    # The amount owed changes the day after a payment; the rate on its effective date.
    changes = {m.effective + _ONE_DAY for m in settlements} | set(terms.rate_changes())
    starts = [first, *sorted(d for d in changes if first < d <= last)]
    ends = [d - _ONE_DAY for d in starts[1:]] + [last]
    periods: list[InterestPeriod] = []
    for start, end in zip(starts, ends, strict=True):
        owed, reference = owed_on(amount, settlements, start), terms.reference_rate_on(start)
        if periods and (periods[-1].amount, periods[-1].reference_rate) == (owed, reference):
            # A schedule entry repeating the same rate is no change: one period, not two.
            start = periods.pop().start
        periods.append(period(start, end, owed, reference, terms.margin_points))
    return tuple(periods)


def period(start: date, end: date, amount: Decimal, reference: Decimal, margin: Decimal) -> InterestPeriod:
    days = (end - start).days + 1
    rate = reference + margin
    # One division, last: the exact figure up to Decimal's 28 digits.
    interest = amount * rate * days / (100 * DAYS_IN_YEAR)
    return InterestPeriod(start, end, days, amount, reference, rate, interest)


def account_penalties(
    invoices: Iterable[Invoice],
    as_of: date,
    terms: PenaltyTerms,
    *,
    currency: str = LAW_CURRENCY,
    payments: Mapping[str, Payment] | None = None,
    rates: RateBook | None = None,
) -> AccountPenalties:
    """The penalties of every invoice late on as_of, oldest due first."""
    found = (invoice_penalty(i, as_of, terms, currency=currency, payments=payments, rates=rates) for i in invoices)
    late = sorted((p for p in found if p.is_late), key=lambda p: (p.due_date, p.invoice_id))
    return AccountPenalties(as_of, tuple(late))

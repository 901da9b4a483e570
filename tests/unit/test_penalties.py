"""Late-payment penalties (French commercial law): figures worked out by hand
to the cent, and properties against a day-by-day count done here."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.domain.account import CustomerAccount
from o2c.domain.items import Invoice, Movement
from o2c.domain.money import to_cents
from o2c.domain.penalties import PenaltyTerms, account_penalties, invoice_penalty
from tests.unit.trade import day, invoiced, opened, paid

# 2.15 % in the first half of 2026, 2.00 % from 1 July; + 10 points: 12.15 % then 12.00 %.
TERMS = PenaltyTerms(((date(2026, 1, 1), Decimal("2.15")), (date(2026, 7, 1), Decimal("2.00"))))


def penalty_of(account: CustomerAccount, invoice_id: str, as_of: date) -> tuple[int, str, str, date | None]:
    p = invoice_penalty(account.invoices[invoice_id], as_of, TERMS)
    return p.days_late, str(p.indemnity), str(p.interest), p.settled_date


def test_a_single_late_payment() -> None:
    account = opened()
    invoiced(account, "F-1", "1200.00", issue=day(3, 1), due=day(3, 31))
    paid(account, "P-1", "1200.00", day(4, 30), ("F-1", "1200.00"))
    # 1200 x 12.15 % x 30 / 365 = 11.98356… (1 to 30 April: the payment day counts)
    assert penalty_of(account, "F-1", day(6, 1)) == (30, "40.00", "11.98", day(4, 30))
    p = invoice_penalty(account.invoices["F-1"], day(6, 1), TERMS)
    assert [(x.start, x.end, x.days, x.amount, x.rate) for x in p.periods] == [
        (day(4, 1), day(4, 30), 30, Decimal("1200.00"), Decimal("12.15"))
    ]
    assert str(p.total) == "51.98"


def test_partial_payments_reduce_the_amount_bearing_interest_from_the_next_day() -> None:
    account = opened()
    invoiced(account, "F-1", "1000.00", due=day(3, 31))
    paid(account, "P-1", "400.00", day(4, 15), ("F-1", "400.00"))
    paid(account, "P-2", "600.00", day(5, 15), ("F-1", "600.00"))
    # (1000 x 15 days [1-15 Apr] + 600 x 30 days [16 Apr-15 May]) x 12.15 % / 365 = 10.98493…
    assert penalty_of(account, "F-1", day(6, 1)) == (45, "40.00", "10.98", day(5, 15))
    periods = invoice_penalty(account.invoices["F-1"], day(6, 1), TERMS).periods
    assert [(x.start, x.end, x.days, str(x.amount)) for x in periods] == [
        (day(4, 1), day(4, 15), 15, "1000.00"),
        (day(4, 16), day(5, 15), 30, "600.00"),
    ]


def test_a_rate_change_splits_the_period() -> None:
    account = opened()
    invoiced(account, "F-1", "2000.00", issue=day(5, 16), due=day(6, 15))
    paid(account, "P-1", "2000.00", day(7, 20), ("F-1", "2000.00"))
    # 2000 x (15 days x 12.15 % [16-30 June] + 20 days x 12.00 % [1-20 July]) / 365 = 23.13698…
    assert penalty_of(account, "F-1", day(8, 1)) == (35, "40.00", "23.14", day(7, 20))
    periods = invoice_penalty(account.invoices["F-1"], day(8, 1), TERMS).periods
    assert [(x.days, x.reference_rate, x.rate) for x in periods] == [
        (15, Decimal("2.15"), Decimal("12.15")),
        (20, Decimal("2.00"), Decimal("12.00")),
    ]


@pytest.mark.parametrize("paid_on", [day(3, 31), day(3, 20)])
def test_a_payment_by_the_due_date_owes_nothing(paid_on: date) -> None:
    account = opened()
    invoiced(account, "F-1", "1200.00", due=day(3, 31))
    paid(account, "P-1", "1200.00", paid_on, ("F-1", "1200.00"))
    assert penalty_of(account, "F-1", day(6, 1)) == (0, "0", "0", paid_on)
    assert account_penalties(account.invoices.values(), day(6, 1), TERMS).invoices == ()


def test_an_invoice_still_open_runs_through_as_of() -> None:
    account = opened()
    invoiced(account, "F-1", "500.00", due=day(3, 31))
    # 500 x 12.15 % x 60 / 365 = 9.98630…
    assert penalty_of(account, "F-1", day(5, 30)) == (60, "40.00", "9.99", None)
    # On the due date it is not late yet; the day after, it is, indemnity and all.
    assert penalty_of(account, "F-1", day(3, 31)) == (0, "0", "0", None)
    assert penalty_of(account, "F-1", day(4, 1)) == (1, "40.00", "0.17", None)


def test_a_payment_after_as_of_does_not_count_yet() -> None:
    account = opened()
    invoiced(account, "F-1", "500.00", due=day(3, 31))
    paid(account, "P-1", "500.00", day(6, 15), ("F-1", "500.00"))
    assert penalty_of(account, "F-1", day(5, 30)) == (60, "40.00", "9.99", None)


def test_a_credit_note_reduces_the_amount_like_a_payment() -> None:
    account = opened()
    invoiced(account, "F-1", "1000.00", due=day(3, 31))
    account.issue_credit_note("cn-1", "CN-1", "F-1", Decimal("250.00"), day(4, 10))
    paid(account, "P-1", "750.00", day(4, 30), ("F-1", "750.00"))
    # (1000 x 10 days + 750 x 20 days) x 12.15 % / 365 = 8.32191…
    assert penalty_of(account, "F-1", day(6, 1)) == (30, "40.00", "8.32", day(4, 30))


def test_part_paid_on_time_the_rest_late() -> None:
    account = opened()
    invoiced(account, "F-1", "1000.00", due=day(3, 31))
    paid(account, "P-1", "600.00", day(3, 20), ("F-1", "600.00"))
    paid(account, "P-2", "400.00", day(4, 10), ("F-1", "400.00"))
    # 400 x 12.15 % x 10 / 365 = 1.33150…
    assert penalty_of(account, "F-1", day(6, 1)) == (10, "40.00", "1.33", day(4, 10))


def test_interest_runs_on_disputed_amounts_until_an_upheld_dispute_credits_them() -> None:
    account = opened()
    invoiced(account, "F-1", "1000.00", due=day(3, 31))
    account.open_dispute("d-1", "D-1", "F-1", Decimal("200.00"), "damaged goods", day(3, 25))
    account.resolve_dispute("r-1", "D-1", "upheld", day(4, 10))
    paid(account, "P-1", "800.00", day(4, 30), ("F-1", "800.00"))
    # Like the credit note: (1000 x 10 + 800 x 20) x 12.15 % / 365 = 8.65479…
    assert penalty_of(account, "F-1", day(6, 1)) == (30, "40.00", "8.65", day(4, 30))


def test_rounding_is_half_even_once_per_invoice() -> None:
    # 456.25 x 10 % x 1 / 365 = 0.125 exactly: half-even to 0.12.
    terms = PenaltyTerms(((date(2026, 1, 1), Decimal("0")),))
    late = Invoice("F-1", Decimal("456.25"), day(3, 1), day(3, 31))
    assert str(invoice_penalty(late, day(4, 1), terms).interest) == "0.12"
    # Per period the exact figure is kept: 0.125 + 0.125 is 0.25, not 0.24.
    paid_partly = Invoice(
        "F-2", Decimal("912.50"), day(3, 1), day(3, 31), settlements=[Movement(day(4, 1), Decimal("456.25"), "P")]
    )
    penalty = invoice_penalty(paid_partly, day(4, 2), terms)
    assert [str(p.interest) for p in penalty.periods] == ["0.25", "0.125"]
    assert str(penalty.interest) == "0.38"  # 0.375 -> 0.38 (half-even: 8 is even)


def test_account_totals_add_the_late_invoices_oldest_due_first() -> None:
    account = opened()
    invoiced(account, "F-2", "500.00", due=day(3, 31))
    invoiced(account, "F-1", "1200.00", issue=day(2, 1), due=day(3, 1))
    invoiced(account, "F-3", "300.00", due=day(5, 31))  # not yet due on 30 May
    invoiced(account, "F-4", "300.00", due=day(3, 31))
    paid(account, "P-4", "300.00", day(3, 31), ("F-4", "300.00"))  # on time
    # F-1: 1200 x 12.15 % x 90 / 365 = 35.95068…; F-2: 9.98630…
    report = account_penalties(account.invoices.values(), day(5, 30), TERMS)
    assert [(p.invoice_id, p.days_late, str(p.interest)) for p in report.invoices] == [
        ("F-1", 90, "35.95"),
        ("F-2", 60, "9.99"),
    ]
    assert (str(report.indemnity), str(report.interest), str(report.total)) == ("80.00", "45.94", "125.94")


def test_a_repeated_rate_is_one_period_and_days_before_the_schedule_take_its_first_rate() -> None:
    terms = PenaltyTerms(((date(2025, 7, 1), Decimal("2.15")), (date(2026, 1, 1), Decimal("2.15"))))
    late = Invoice("F-1", Decimal("1000.00"), date(2025, 11, 15), date(2025, 12, 15))
    penalty = invoice_penalty(late, date(2026, 1, 14), terms)
    assert [(p.start, p.end, p.days) for p in penalty.periods] == [(date(2025, 12, 16), date(2026, 1, 14), 30)]
    early = Invoice("F-0", Decimal("1000.00"), date(2025, 1, 1), date(2025, 1, 31))
    assert invoice_penalty(early, date(2025, 3, 2), terms).periods[0].reference_rate == Decimal("2.15")


def test_the_indemnity_is_configurable_for_other_currencies() -> None:
    # Without rates relating EUR and USD (more in test_penalties_currencies).
    account = opened(currency="USD")
    invoiced(account, "F-1", "500.00", due=day(3, 31))
    terms = PenaltyTerms(TERMS.reference_rates, indemnities={"USD": Decimal("45.00")})
    assert str(invoice_penalty(account.invoices["F-1"], day(4, 30), terms, currency="USD").indemnity) == "45.00"


@pytest.mark.parametrize(
    ("rates", "margin", "indemnity", "message"),
    [
        ((), "10", "40", "empty"),
        (((date(2026, 7, 1), "2"), (date(2026, 1, 1), "2")), "10", "40", "increasing"),
        (((date(2026, 1, 1), "2"), (date(2026, 1, 1), "3")), "10", "40", "increasing"),
        (((date(2026, 1, 1), "-11"),), "10", "40", "negative"),
        (((date(2026, 1, 1), "2"),), "-1", "40", "margin"),
        (((date(2026, 1, 1), "2"),), "10", "-40", "indemnity"),
        (((date(2026, 1, 1), "NaN"),), "10", "40", "negative"),
    ],
)
def test_bad_terms_are_refused(rates: tuple[tuple[date, str], ...], margin: str, indemnity: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PenaltyTerms(tuple((d, Decimal(r)) for d, r in rates), Decimal(margin), Decimal(indemnity))


# -- properties -------------------------------------------------------------------------------

ISSUED, DUE = date(2025, 12, 1), date(2026, 1, 31)
RATES = st.lists(
    st.tuples(st.integers(0, 400), st.decimals(min_value=-1, max_value=5, places=2)),
    min_size=1,
    max_size=4,
    unique_by=lambda r: r[0],
)


@st.composite
def terms(draw: st.DrawFn) -> PenaltyTerms:
    schedule = sorted((DUE + timedelta(days=offset - 100), rate) for offset, rate in draw(RATES))
    return PenaltyTerms(tuple(schedule), Decimal(draw(st.integers(1, 12))))


@st.composite
def invoices(draw: st.DrawFn) -> Invoice:
    """An invoice and settlements of part or all of it, each dated around its due date."""
    cents = draw(st.integers(1, 10_000_000))
    parts = draw(st.lists(st.integers(1, cents), max_size=4))
    settlements, left = [], cents
    for part in parts:
        taken = min(part, left)
        if taken == 0:
            break
        offset = draw(st.integers(0, 200))
        settlements.append(Movement(ISSUED + timedelta(days=offset), Decimal(taken) / 100, f"P-{len(settlements)}"))
        left -= taken
    return Invoice("F-1", Decimal(cents) / 100, ISSUED, DUE, settlements=settlements)


def day_by_day(invoice: Invoice, as_of: date, t: PenaltyTerms) -> Decimal:
    """The interest counted one day at a time, from the facts alone (exact: one division)."""
    total, d = Decimal(0), DUE + timedelta(days=1)
    while d <= as_of:
        owed = invoice.amount - sum((m.amount for m in invoice.settlements if m.effective < d), Decimal(0))
        if owed <= 0:
            break
        rate = next((r for e, r in reversed(t.reference_rates) if e <= d), t.reference_rates[0][1])
        total += owed * (rate + t.margin_points)
        d += timedelta(days=1)
    return total / 36500


AS_OF = st.integers(-10, 300).map(lambda n: DUE + timedelta(days=n))


@given(invoices(), terms(), AS_OF)
def test_interest_is_the_day_by_day_count_rounded_once(invoice: Invoice, t: PenaltyTerms, as_of: date) -> None:
    penalty = invoice_penalty(invoice, as_of, t)
    exact = sum((p.interest for p in penalty.periods), Decimal(0))
    assert abs(exact - day_by_day(invoice, as_of, t)) < Decimal("1e-18")
    assert penalty.interest == to_cents(exact)
    assert penalty.interest >= 0
    assert sum(p.days for p in penalty.periods) == penalty.days_late
    assert all(b.start == a.end + timedelta(days=1) for a, b in itertools.pairwise(penalty.periods))
    assert penalty.indemnity == (t.indemnity if penalty.days_late else 0)


@given(invoices(), terms(), AS_OF, st.integers(0, 100))
def test_later_as_of_never_owes_less(invoice: Invoice, t: PenaltyTerms, as_of: date, more: int) -> None:
    earlier, later = invoice_penalty(invoice, as_of, t), invoice_penalty(invoice, as_of + timedelta(days=more), t)
    assert later.interest >= earlier.interest
    assert later.days_late >= earlier.days_late
    assert later.indemnity >= earlier.indemnity


@given(invoices(), terms(), AS_OF, st.data())
def test_a_later_settlement_never_owes_less(
    invoice: Invoice, t: PenaltyTerms, as_of: date, data: st.DataObject
) -> None:
    if not invoice.settlements:
        return
    which = data.draw(st.integers(0, len(invoice.settlements) - 1))
    delay = timedelta(days=data.draw(st.integers(1, 60)))
    moved = list(invoice.settlements)
    moved[which] = Movement(moved[which].effective + delay, moved[which].amount, moved[which].source)
    delayed = Invoice(invoice.invoice_id, invoice.amount, ISSUED, DUE, settlements=moved)
    assert invoice_penalty(delayed, as_of, t).interest >= invoice_penalty(invoice, as_of, t).interest


@given(invoices(), terms(), st.integers(1, 400))
def test_settled_by_the_due_date_owes_nothing(invoice: Invoice, t: PenaltyTerms, after: int) -> None:
    on_time = [Movement(min(m.effective, DUE), m.amount, m.source) for m in invoice.settlements]
    rest = invoice.amount - sum((m.amount for m in on_time), Decimal(0))
    if rest:
        on_time.append(Movement(DUE, rest, "P-last"))
    penalty = invoice_penalty(
        Invoice("F-1", invoice.amount, ISSUED, DUE, settlements=on_time), DUE + timedelta(days=after), t
    )
    assert (penalty.days_late, penalty.indemnity, penalty.interest, penalty.periods) == (0, 0, 0, ())

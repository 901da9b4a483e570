"""Late-payment penalties beyond the euro and beyond the allocation date: the
day of payment is the day the cash came; interest at the currency's minor
unit; the recovery indemnity's 40 EUR converted at the rates of the day it
became owed, else as configured, else left out saying why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from o2c.domain.account import CustomerAccount
from o2c.domain.fx import RateBook, RateDocument
from o2c.domain.penalties import PenaltyTerms, account_penalties, invoice_penalty
from tests.unit.trade import allocate, day, invoiced, opened, paid

# 2.15 % + 10 points all year: 12.15 %.
TERMS = PenaltyTerms(((date(2026, 1, 1), Decimal("2.15")),))


def penalty(account: CustomerAccount, invoice_id: str, as_of: date, terms: PenaltyTerms = TERMS,
            rates: RateBook | None = None) -> tuple[int, str, str, date | None]:  # fmt: skip
    p = invoice_penalty(account.invoices[invoice_id], as_of, terms, currency=account.currency,
                        payments=account.payments, rates=rates)  # fmt: skip
    return p.days_late, str(p.indemnity), str(p.interest), p.settled_date


def allocated_later(account: CustomerAccount, payment_id: str, on: date, *allocations: tuple[str, str]) -> None:
    account.allocate_payment(f"alloc-{payment_id}-{on}", payment_id, on, tuple(allocate(*a) for a in allocations))


# -- the day of payment ------------------------------------------------------------------------------


def test_cash_received_unallocated_stops_interest_on_the_day_it_came() -> None:
    account = opened()
    invoiced(account, "F-1", "1200.00", due=day(3, 31))
    paid(account, "P-1", "1200.00", day(4, 10))  # unallocated
    # Until the allocation is dated, the invoice is open: interest runs through as_of (20 days).
    assert penalty(account, "F-1", day(4, 20)) == (20, "40.00", "7.99", None)
    allocated_later(account, "P-1", day(4, 30), ("F-1", "1200.00"))
    # Once allocated, it was paid on 10 April: 1200 x 12.15 % x 10 / 365 = 3.99452…, not 30 days' 11.98.
    assert penalty(account, "F-1", day(6, 1)) == (10, "40.00", "3.99", day(4, 10))
    # as_of between receipt and allocation: the allocation is not yet dated, the invoice still open.
    assert penalty(account, "F-1", day(4, 29)) == (29, "40.00", "11.58", None)


def test_cash_received_by_the_due_date_and_allocated_after_it_was_on_time() -> None:
    account = opened()
    invoiced(account, "F-1", "1200.00", due=day(3, 31))
    paid(account, "P-1", "1200.00", day(3, 31))
    allocated_later(account, "P-1", day(4, 15), ("F-1", "1200.00"))
    assert penalty(account, "F-1", day(6, 1)) == (0, "0", "0", day(3, 31))


def test_part_paid_by_cash_allocated_later_and_the_rest_by_a_credit_note() -> None:
    account = opened()
    invoiced(account, "F-1", "1000.00", due=day(3, 31))
    paid(account, "P-1", "400.00", day(4, 15))
    allocated_later(account, "P-1", day(5, 5), ("F-1", "400.00"))
    account.issue_credit_note("cn-1", "C-1", "F-1", Decimal("600.00"), day(5, 15))  # from its own date
    # 1000 x 15 days [1-15 Apr] + 600 x 30 days [16 Apr-15 May], x 12.15 % / 365 = 10.98493…
    p = invoice_penalty(account.invoices["F-1"], day(6, 1), TERMS, payments=account.payments)
    assert (p.days_late, str(p.interest), p.settled_date) == (45, "10.98", day(5, 15))
    assert [(x.start, x.end, str(x.amount)) for x in p.periods] == [
        (day(4, 1), day(4, 15), "1000.00"), (day(4, 16), day(5, 15), "600.00")
    ]  # fmt: skip


def test_cash_received_before_the_invoice_pays_it_from_its_issue_date() -> None:
    account = opened()
    paid(account, "P-0", "300.00", day(2, 1))  # an advance
    invoiced(account, "F-1", "300.00", issue=day(3, 1), due=day(3, 31))
    allocated_later(account, "P-0", day(4, 30), ("F-1", "300.00"))
    assert penalty(account, "F-1", day(6, 1)) == (0, "0", "0", day(3, 1))


# -- minor units -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "amount", "interest", "period_interest"),
    [
        # 1,000,000 x 12.15 % x 30 / 365 = 9,986.30137 yen: no decimals.
        ("JPY", "1000000", "9986", Decimal("9986.301369863013698630136986")),
        # 1000 x 12.15 % x 30 / 365 = 9.98630137 dinars: three decimals.
        ("KWD", "1000.000", "9.986", Decimal("9.986301369863013698630136986")),
        ("EUR", "1000.00", "9.99", Decimal("9.986301369863013698630136986")),
    ],
)
def test_interest_is_rounded_to_the_currency_minor_unit(
    currency: str, amount: str, interest: str, period_interest: Decimal
) -> None:
    account = opened(currency=currency)
    invoiced(account, "F-1", amount, due=day(3, 31))
    paid(account, "P-1", amount, day(4, 30), ("F-1", amount))
    terms = PenaltyTerms(TERMS.reference_rates, indemnities={"JPY": Decimal(6000), "KWD": Decimal("12.500")})
    p = invoice_penalty(account.invoices["F-1"], day(6, 1), terms, currency=currency, payments=account.payments)
    assert (str(p.interest), p.periods[0].interest) == (interest, period_interest)
    assert str(p.indemnity) == {"JPY": "6000", "KWD": "12.500", "EUR": "40.00"}[currency]


# -- the recovery indemnity ------------------------------------------------------------------------


def _book(*documents: tuple[date, str, dict[str, str]]) -> RateBook:
    return RateBook(RateDocument(d, base, {q: Decimal(r) for q, r in rates.items()}) for d, base, rates in documents)


def test_the_indemnity_is_converted_at_the_rates_of_the_day_after_the_due_date() -> None:
    account = opened(currency="JPY")
    invoiced(account, "F-1", "100000", due=day(3, 31))
    rates = _book(
        (day(3, 25), "EUR", {"JPY": "160.00"}),
        (day(4, 1), "EUR", {"JPY": "162.53", "USD": "1.0842"}),  # the day it became owed
        (day(4, 2), "EUR", {"JPY": "170.00"}),  # later: not this invoice's
    )
    p = invoice_penalty(account.invoices["F-1"], day(6, 1), TERMS, currency="JPY", rates=rates)
    assert str(p.indemnity) == "6501"  # 40 x 162.53 = 6,501.2 yen
    assert p.indemnity_basis is not None and p.indemnity_basis.source == "converted"
    assert p.indemnity_basis.conversion is not None and p.indemnity_basis.conversion.rate_date == day(4, 1)


def test_the_indemnity_converts_inversely_and_across_the_base() -> None:
    usd, gbp = opened(currency="USD", code="U"), opened(currency="GBP", code="G")
    for account in (usd, gbp):
        invoiced(account, "F-1", "1000.00", due=day(3, 31))
    inverse = _book((day(3, 30), "USD", {"EUR": "0.92"}))  # 40 / 0.92 = 43.478… dollars
    assert penalty(usd, "F-1", day(6, 1), rates=inverse)[1] == "43.48"
    across = _book((day(3, 30), "USD", {"EUR": "0.92", "GBP": "0.79"}))  # 40 x 0.79 / 0.92 = 34.3478… pounds
    assert penalty(gbp, "F-1", day(6, 1), rates=across)[1] == "34.35"


def test_without_a_rate_the_configured_amount_else_none_with_a_note() -> None:
    account = opened(currency="USD")
    invoiced(account, "F-1", "500.00", due=day(3, 31))
    configured = PenaltyTerms(TERMS.reference_rates, indemnities={"USD": Decimal("45.00")})
    too_late = _book((day(4, 2), "EUR", {"USD": "1.08"}))  # recorded after the day it became owed
    assert penalty(account, "F-1", day(4, 30), configured, rates=too_late)[:2] == (30, "45.00")
    p = invoice_penalty(account.invoices["F-1"], day(4, 30), TERMS, currency="USD", rates=too_late)
    assert (p.indemnity, p.indemnity_basis and p.indemnity_basis.amount) == (Decimal(0), None)
    assert p.indemnity_basis is not None and "no EUR/USD rate" in (p.indemnity_basis.note or "")
    assert p.total == p.interest  # the interest is still owed
    report = account_penalties(account.invoices.values(), day(4, 30), TERMS, currency="USD", rates=too_late)
    assert report.indemnity == 0 and report.interest == p.interest


@pytest.mark.parametrize(
    ("indemnities", "message"),
    [({"JPY": Decimal("1.5")}, "decimal places"), ({"USD": Decimal(-1)}, "zero or more"),
     ({"USD": Decimal("1E+15")}, "below")],
)  # fmt: skip
def test_a_configured_indemnity_is_an_amount_of_its_currency(indemnities: dict[str, Decimal], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PenaltyTerms(TERMS.reference_rates, indemnities=indemnities)

"""A worklist in several currencies: priorities compare within a currency, or once
converted; a conversion reorders accounts across currencies, never within one.
And the monthly report's months in one currency, added up once converted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from o2c.domain.agenda import AccountAgenda
from o2c.domain.agenda_currencies import currencies_of, ranked_agenda
from o2c.domain.fx import RateBook, RateDocument
from o2c.domain.monthly_report import Exposure, Month, Movements, month_in_one
from o2c.domain.receivables import ReceivablesPosition

DAY = date(2026, 4, 20)
BOOK = RateBook([RateDocument(DAY, "EUR", {"USD": Decimal("2"), "JPY": Decimal("100")})])


def entry(account: str, currency: str, at_risk: str, days: int = 10) -> AccountAgenda:
    amount = Decimal(at_risk)
    return AccountAgenda(account, account, currency, "C", "standard", (), amount, days, amount * days * 2, False)


def in_agenda_order(entries: list[AccountAgenda]) -> list[AccountAgenda]:
    return sorted(entries, key=lambda e: (e.currency, -e.priority, e.account))


def test_without_rates_accounts_come_by_currency_then_priority() -> None:
    entries = in_agenda_order([entry("E-1", "EUR", "10.00"), entry("J-1", "JPY", "5000"), entry("E-2", "EUR", "50.00")])
    ranked = ranked_agenda(entries)
    assert [e.account for e in ranked.entries] == ["E-2", "E-1", "J-1"]
    assert [(s.currency, s.accounts, s.amount_at_risk) for s in ranked.by_currency] == [
        ("EUR", 2, Decimal("60.00")), ("JPY", 1, Decimal("5000")),
    ]  # fmt: skip
    assert [e.account for e in ranked_agenda(entries, "JPY").entries] == ["J-1"]
    assert currencies_of(entries) == ["EUR", "JPY"]


def test_converted_priorities_rank_across_currencies_ties_by_code() -> None:
    entries = in_agenda_order([
        entry("E-1", "EUR", "10.00"), entry("U-1", "USD", "20.00"), entry("J-1", "JPY", "5000"),
        entry("A-1", "EUR", "1"),
    ])  # fmt: skip
    conversions = BOOK.conversions(currencies_of(entries), "EUR", DAY)
    # 10 EUR = 20 USD (a tie, by code), 5000 JPY = 50 EUR.
    assert [e.account for e in ranked_agenda(entries, None, conversions).entries] == ["J-1", "E-1", "U-1", "A-1"]


@given(st.lists(st.tuples(st.sampled_from(["EUR", "USD", "JPY"]), st.integers(1, 10**6), st.integers(0, 90)),
                min_size=1, max_size=30))  # fmt: skip
def test_a_conversion_never_reorders_one_currency(rows: list[tuple[str, int, int]]) -> None:
    entries = in_agenda_order([entry(f"A-{i:02}", c, str(n), days) for i, (c, n, days) in enumerate(rows)])
    converted = ranked_agenda(entries, None, BOOK.conversions(currencies_of(entries), "USD", DAY)).entries
    for currency in currencies_of(entries):
        assert [e for e in converted if e.currency == currency] == [e for e in entries if e.currency == currency]
    assert sorted(converted, key=lambda e: e.account) == sorted(entries, key=lambda e: e.account)


def month(cash: str, exposures: list[tuple[str, str]], currency: str) -> Month:
    owed = ReceivablesPosition(Decimal(100), Decimal(100), Decimal(40), {DAY: Decimal(30)})
    top = tuple(Exposure(a, a, currency, Decimal(x), Decimal(0)) for a, x in exposures)
    return Month(owed, owed, (Decimal(40), Decimal(60)), Decimal(0), Decimal(0), Movements(1, Decimal(cash)),
                 Movements(), {"promises_kept": 1}, top)  # fmt: skip


def test_months_converted_add_up_and_their_largest_exposures_are_the_portfolio_s() -> None:
    eur = month("10", [("E-1", "300"), ("E-2", "100")], "EUR").converted(lambda x: x)
    jpy = month("1000", [("J-1", "20000"), ("J-2", "10000")], "JPY").converted(lambda x: x / 100)
    whole = month_in_one([eur, jpy], buckets=2, top=3)
    assert (whole.cash, whole.commitments) == (Movements(2, Decimal(20)), {"promises_kept": 2})
    assert whole.aging == (Decimal("40.4"), Decimal("60.6"))
    assert whole.end.sales_by_day == {DAY: Decimal("30.3")}
    assert [(e.account, e.converted) for e in whole.top] == [("E-1", 300), ("J-1", 200), ("E-2", 100)]

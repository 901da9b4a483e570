"""The ledger's limits (domain/limits.py), rule by rule: ASCII numbers, the
largest amount, bounded scores, the business-date window, printable ids and
account codes that are path segments, and references that must exist."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o2c.domain import limits
from o2c.domain.account import check_scenario_known
from o2c.domain.errors import Invalid
from o2c.domain.money import MINOR_UNITS, check_amount
from o2c.projections.units import from_units, to_units
from tests.unit.trade import invoiced, opened

# Every decimal digit Unicode knows that is not one of ASCII's 0-9.
FOREIGN_DIGITS = [chr(c) for c in range(0x80, 0x110000) if unicodedata.category(chr(c)) == "Nd"]


@given(st.text(alphabet="0123456789.", min_size=1, max_size=12), st.sampled_from(FOREIGN_DIGITS), st.data())
def test_a_decimal_string_with_any_non_ascii_digit_is_refused(ascii_part: str, digit: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(ascii_part)))
    with pytest.raises(Invalid) as refused:
        limits.check_decimal_text("data.amount", ascii_part[:at] + digit + ascii_part[at:])
    assert refused.value.field == "data.amount"
    assert "ASCII" in refused.value.reason


ARABIC_INDIC_1200 = "\u0661\u0662\u0660\u0660.\u0660\u0660"  # Decimal() reads 1200.00
FULL_WIDTH_1200 = "\uff11\uff12\uff10\uff10.\uff10\uff10"


@pytest.mark.parametrize(
    "written", [ARABIC_INDIC_1200, FULL_WIDTH_1200, "1E+3", "NaN", "Infinity", "\u00b2", " 1", "1_000", "+1", ""]
)
def test_what_decimal_reads_but_an_amount_is_not(written: str) -> None:
    with pytest.raises(Invalid):
        limits.check_decimal_text("data.amount", written)


@pytest.mark.parametrize("written", ["\u00b2", "\u0661\u0662", "\uff11\uff12", "-1", "1.0", ""])
def test_a_count_is_ascii_digits(written: str) -> None:
    with pytest.raises(Invalid):
        limits.check_count_text("limit", written)
    assert limits.check_count_text("limit", "0042") == 42


@given(st.sampled_from(sorted(MINOR_UNITS)), st.data())
def test_any_accepted_amount_round_trips_through_its_text_and_the_read_model(
    currency: str, data: st.DataObject
) -> None:
    places = MINOR_UNITS[currency]
    cents = data.draw(st.integers(1, 10 ** (limits.MAX_AMOUNT_DIGITS + places) - 1))
    amount = Decimal(cents).scaleb(-places)
    written = format(amount, "f")
    read = limits.check_decimal_text("data.amount", written)
    kept = check_amount("data.amount", read, currency)
    assert kept == amount and from_units(to_units(kept)) == kept
    # A sum of 922 of the largest fits a 64-bit integer of units (SQLite's bound).
    assert to_units(kept) * 922 < 2**63


@pytest.mark.parametrize("amount", ["1000000000000", "1000000000000.00", "600000000000000", "1E+16", "1E+1000000"])
def test_an_amount_of_thirteen_digits_or_more_is_refused(amount: str) -> None:
    account = opened()
    with pytest.raises(Invalid) as refused:
        invoiced(account, "F-1", amount)
    assert (refused.value.field, account.invoices) == ("data.amount", {})
    assert "below 1,000,000,000,000" in refused.value.reason


@pytest.mark.parametrize("score", ["1E+1000000", "-1E+30", "NaN", "Infinity", "-Infinity", "10000.01", "0.00001"])
def test_a_score_out_of_bounds_is_refused(score: str) -> None:
    account = opened()
    with pytest.raises(Invalid) as refused:
        account.change_rating("r", "Coface", Decimal(score))
    assert (refused.value.field, account.rating) == ("data.score", None)


@given(st.decimals(min_value=-10_000, max_value=10_000, places=4, allow_nan=False, allow_infinity=False))
def test_a_score_within_bounds_is_recorded(score: Decimal) -> None:
    account = opened()
    account.change_rating("r", "Coface", score)
    assert account.rating is not None and account.rating["score"] == score


@given(st.dates())
def test_a_business_date_lies_in_the_window(day: date) -> None:
    inside = limits.FIRST_BUSINESS_DATE <= day <= limits.LAST_BUSINESS_DATE
    try:
        assert limits.check_business_date("data.issue_date", day) == day
    except Invalid as refused:
        assert not inside and refused.field == "data.issue_date"
    else:
        assert inside


def test_the_window_leaves_room_for_every_date_the_domain_derives() -> None:
    # Terms and scenario offsets up to ten years either way, the DSO countback a year back.
    room = timedelta(days=3650 + 366)
    assert date.min + room < limits.FIRST_BUSINESS_DATE and limits.LAST_BUSINESS_DATE + room < date.max


UNPRINTABLE = st.characters(categories=["Cc", "Zl", "Zp"])
PRINTABLE = st.characters(categories=["L", "N", "P", "S"])


@given(st.text(PRINTABLE, max_size=20), UNPRINTABLE, st.text(PRINTABLE, max_size=20))
def test_an_id_with_a_control_character_is_refused(before: str, bad: str, after: str) -> None:
    with pytest.raises(Invalid) as refused:
        limits.check_id("data.invoice_id", "F" + before + bad + after)
    assert refused.value.field == "data.invoice_id"


@given(st.text(PRINTABLE, min_size=1, max_size=limits.MAX_ID_LENGTH))
def test_a_printable_id_is_accepted(value: str) -> None:
    assert limits.check_id("data.invoice_id", value) == value


@pytest.mark.parametrize("value", ["", "   ", " F-1", "F-1 ", "F" * 101, "F-\u0000", "F-\u007f", "F-\u0085", "F\u2029"])
def test_ids_that_are_refused(value: str) -> None:
    with pytest.raises(Invalid):
        limits.check_id("data.invoice_id", value)


def test_free_texts_keep_tabs_and_line_breaks_but_no_other_control_character() -> None:
    assert limits.check_text("data.note", "called:\n\tno answer\r\n") == "called:\n\tno answer\r\n"
    with pytest.raises(Invalid):
        limits.check_text("data.note", "called\u0000")
    with pytest.raises(Invalid):
        limits.check_name("data.name", "Acme\nSA")
    name = "Acme\u00a0SA \u2013 Soci\u00e9t\u00e9"  # a no-break space, a dash and accents
    assert limits.check_name("data.name", name) == name


@pytest.mark.parametrize("code", ["C/1", "C\\1", "C?1", "C#1", "C%20", ".", "..", " C", "C\n", "C\u0000"])
def test_an_account_code_that_no_route_can_reach_is_refused(code: str) -> None:
    with pytest.raises(Invalid) as refused:
        opened(code=code)
    assert refused.value.field == "account"


def test_an_account_code_with_inner_spaces_and_accents_is_accepted() -> None:
    assert opened(code="Soci\u00e9t\u00e9 G\u00e9n\u00e9rale 01").account == "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale 01"


def test_a_scenario_assigned_is_shipped_or_stored() -> None:
    check_scenario_known("data.scenario", "firm", set())
    check_scenario_known("data.scenario", "mine", {"mine"})
    with pytest.raises(Invalid) as refused:
        check_scenario_known("data.scenario", "nope", {"mine"})
    assert refused.value.field == "data.scenario"

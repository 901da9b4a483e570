"""A read model's units written at the currency's minor unit with integers give
exactly what the Decimal route gives (the route every other answer takes), except
that less than half a minor unit below zero is written "0.00", not "-0.00"."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from o2c.api.render import amount, units_amount
from o2c.domain.money import MINOR_UNITS
from o2c.projections.units import from_units

CURRENCIES = sorted({"EUR", "JPY", "KWD", "CLF", "USD", *MINOR_UNITS})


@given(st.integers(min_value=-(10**20), max_value=10**20), st.sampled_from(CURRENCIES))
def test_units_are_written_as_amount_writes_them(units: int, currency: str) -> None:
    by_decimal = amount(from_units(units), currency)
    assert units_amount(units, currency) == (by_decimal.lstrip("-") if set(by_decimal) <= set("-0.") else by_decimal)


def test_halves_go_to_the_even_minor_unit_on_both_sides_of_zero() -> None:
    assert [units_amount(u, "EUR") for u in (12350, 12250, -12350, -12250, 50, -50, 0, None)] == [
        "1.24", "1.22", "-1.24", "-1.22", "0.00", "0.00", "0.00", "0.00"]  # fmt: skip
    assert [units_amount(u, "JPY") for u in (15000, 25000, -15000, 123456)] == ["2", "2", "-2", "12"]

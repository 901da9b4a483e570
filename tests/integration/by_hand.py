"""Conversions worked out by hand for the currency tests: exact fractions at the
rates recorded (1 EUR = rate units of each quote), rounded once, half-even, at the
reporting currency's minor unit; and random rates to record."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.integration.conftest import Service

ADMIN = {"Authorization": "Bearer root"}
PLACES = {"EUR": 2, "USD": 2, "JPY": 0}
RATE = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000"), places=4)
REPORTING = st.sampled_from(["EUR", "USD", "JPY"])
RATES_PROPERTY = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def put_rates(service: Service, day: str, rates: dict[str, str]) -> int:
    """Records a day's rates against EUR (replacing that day's document); its position."""
    response = service.client.put(f"/v1/fx-rates/{day}", json={"base": "EUR", "rates": rates}, headers=ADMIN)
    assert response.status_code in (200, 201), response.text
    return int(response.json()["position"])


def converted(value: Any, currency: str, reporting: str, rates: dict[str, str]) -> Fraction:
    per_eur = {"EUR": Fraction(1), **{quote: Fraction(rate) for quote, rate in rates.items()}}
    return Fraction(value) * per_eur[reporting] / per_eur[currency]


def rendered(value: Fraction, places: int) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)  # 28 digits: far below any minor unit
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))

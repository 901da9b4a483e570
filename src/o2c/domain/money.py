"""Money: exact Decimal amounts in an account's ISO 4217 currency."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from o2c.domain.errors import Invalid
from o2c.domain.limits import check_amount_size

# Active ISO 4217 codes whose minor unit is not 2 (the rest use cents).
_MINOR_UNITS_OTHER_THAN_2 = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    "CLF": 4,
    "UYW": 4,
}
_TWO_DECIMAL_CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR
    JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU
    MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR
    RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS
    TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG""".split()  # noqa: SIM905
)
MINOR_UNITS: dict[str, int] = {code: 2 for code in _TWO_DECIMAL_CURRENCIES}
MINOR_UNITS.update(_MINOR_UNITS_OTHER_THAN_2)

ZERO = Decimal("0")
CENT = Decimal("0.01")


def check_currency(field: str, currency: str) -> str:
    if currency not in MINOR_UNITS:
        raise Invalid(field, f"'{currency}' is not an ISO 4217 currency code")
    return currency


def check_amount(field: str, amount: Decimal, currency: str, *, allow_zero: bool = False) -> Decimal:
    """An amount must be finite, positive (or zero where allowed), below the
    ledger's maximum and carry no more decimal places than the currency's minor
    unit; it is returned at the currency's scale."""
    if not amount.is_finite():
        raise Invalid(field, "must be a finite decimal amount")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise Invalid(field, "must be zero or more" if allow_zero else "must be positive")
    places = MINOR_UNITS[currency]
    check_amount_size(field, amount)
    written = amount.quantize(minor_unit(currency))
    if written != amount:
        raise Invalid(field, f"has more than {places} decimal places for {currency}")
    # Recorded at the currency's scale: "1200" is kept as "1200.00" (and "-0" as "0.00").
    return abs(written) if written.is_zero() else written


def minor_unit(currency: str) -> Decimal:
    """The smallest amount a currency writes: 0.01 EUR, 1 JPY, 0.001 KWD."""
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))


def to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """Round half-even to the currency's minor unit, as every amount in a response is."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_EVEN)


def to_cents(amount: Decimal) -> Decimal:
    """Round half-even to the cent, as every figure in a response is."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)

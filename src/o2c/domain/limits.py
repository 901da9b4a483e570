"""What the ledger accepts, decided once: every layer (the API's parsing, the
aggregates, the read model's columns) is sized from these figures.

Each check returns the value it accepts or raises `Invalid` naming the field,
so the API and the domain give the same reason for the same value.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from o2c.domain.errors import Invalid

# Amounts: below 10^12 units of the currency (at most 12 digits before the point).
# One fact then fits a 64-bit integer of 1/10,000 units (the read model's scale)
# with room for 922 of them in one sum; PostgreSQL keeps sums as NUMERIC(38,0),
# which holds any sum of any number of accepted facts.
MAX_AMOUNT_DIGITS = 12
MAX_AMOUNT = Decimal(10) ** MAX_AMOUNT_DIGITS
# The largest sum a 64-bit store of 1/10,000 units holds (SQLite): 922,337,203,685,477.
SQLITE_MAX_SUM = Decimal(2**63 - 1).scaleb(-4).to_integral_value(rounding=ROUND_FLOOR)

# Decimal strings are ASCII: str.isdigit() and `\d` take Arabic-Indic or
# full-width digits, which Decimal() would read as the same number.
DECIMAL_TEXT = re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,8})?", re.ASCII)
ISO_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
COUNT_TEXT = re.compile(r"[0-9]{1,18}", re.ASCII)

# An external rating's score, on its agency's scale (commonly 0-100, up to some
# thousands): below 0 counts as the worst (see risk.py), so it stays accepted.
MAX_SCORE = Decimal(10_000)
MIN_SCORE = -MAX_SCORE
SCORE_PLACES = 4

# Business dates: wide enough for any ERP's history and plans, narrow enough that
# every date the domain derives (terms, scenario offsets, plans, interest
# periods, the DSO countback) stays far inside what `datetime.date` holds.
FIRST_BUSINESS_DATE = date(1900, 1, 1)
LAST_BUSINESS_DATE = date(2199, 12, 31)

# Ids (event_id, account, invoice_id, …) and short labels.
MAX_ID_LENGTH = 100
MAX_NAME_LENGTH = 500  # an account's name
MAX_LABEL_LENGTH = 200  # an agency, a rating, a channel, an outcome
MAX_TEXT_LENGTH = 2000
# Characters a per-account route cannot carry in one path segment as typed.
ACCOUNT_FORBIDDEN = frozenset("/\\?#%")
# Control characters (C0, DEL, C1), surrogates and line/paragraph separators:
# NUL breaks PostgreSQL text, the others break logs, CSV files and paths.
_UNPRINTABLE = frozenset(("Cc", "Cs", "Zl", "Zp"))
TEXT_WHITESPACE = frozenset("\t\n\r")  # kept in free texts (notes, reasons)


def check_decimal_text(field: str, text: str) -> Decimal:
    """An ASCII decimal string such as "1200.00" (no exponent, no NaN)."""
    if not DECIMAL_TEXT.fullmatch(text):
        raise Invalid(field, f'"{_shown(text)}" is not a decimal amount such as "1200.00" (ASCII digits)')
    return Decimal(text)


def check_count_text(field: str, text: str) -> int:
    """A whole number written in ASCII digits (query parameters, headers)."""
    if not COUNT_TEXT.fullmatch(text):
        raise Invalid(field, f'"{_shown(text)}" is not a whole number written in ASCII digits')
    return int(text)


def check_amount_size(field: str, amount: Decimal) -> Decimal:
    # By its exponent alone: abs() or a comparison of "1E+1000000" would overflow the context.
    if amount.is_finite() and not amount.is_zero() and amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise Invalid(field, f"must be below {MAX_AMOUNT:,} (at most {MAX_AMOUNT_DIGITS} digits before the point)")
    return amount


def check_score(field: str, score: Decimal) -> Decimal:
    if not score.is_finite():
        raise Invalid(field, "must be a finite number")
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise Invalid(field, f"must be between {MIN_SCORE:,} and {MAX_SCORE:,}")
    if score != score.quantize(Decimal(1).scaleb(-SCORE_PLACES)):
        raise Invalid(field, f"has more than {SCORE_PLACES} decimal places")
    return score


def check_business_date(field: str, day: date) -> date:
    if not FIRST_BUSINESS_DATE <= day <= LAST_BUSINESS_DATE:
        raise Invalid(field, f"must lie between {FIRST_BUSINESS_DATE} and {LAST_BUSINESS_DATE}")
    return day


def check_id(field: str, value: str, *, max_length: int = MAX_ID_LENGTH) -> str:
    """An id or code: 1 to `max_length` printable characters, no surrounding spaces."""
    stripped = value.strip()  # once: every id of every posted fact comes through here
    if not stripped:
        raise Invalid(field, "must not be blank")
    if value != stripped:
        raise Invalid(field, "must not start or end with spaces")
    return check_text(field, value, max_length=max_length, keep=frozenset())


def check_account_code(field: str, code: str) -> str:
    """An account code is a path segment of every per-account route."""
    check_id(field, code)
    forbidden = sorted(ACCOUNT_FORBIDDEN.intersection(code))
    if forbidden:
        raise Invalid(field, f"must not hold {' '.join(repr(c) for c in forbidden)} (it is a path segment)")
    if code in (".", ".."):
        raise Invalid(field, "must not be '.' or '..' (it is a path segment)")
    return code


def check_name(field: str, value: str) -> str:
    return check_text(field, value, max_length=MAX_NAME_LENGTH, keep=frozenset())


def check_label(field: str, value: str) -> str:
    return check_text(field, value, max_length=MAX_LABEL_LENGTH, keep=frozenset())


def check_text(
    field: str, value: str, *, max_length: int = MAX_TEXT_LENGTH, keep: frozenset[str] = TEXT_WHITESPACE
) -> str:
    """At most `max_length` characters, none of them a control character (but `keep`)."""
    if len(value) > max_length:
        raise Invalid(field, f"is longer than {max_length} characters")
    if value.isprintable():  # the usual case, in C: no control or separator character at all
        return value
    for position, char in enumerate(value):
        if char not in keep and unicodedata.category(char) in _UNPRINTABLE:
            raise Invalid(field, f"holds the control character U+{ord(char):04X} at {position}")
    return value


def _shown(text: str) -> str:
    # Echoed in a problem: short, and with no control characters of its own.
    short = text if len(text) <= 40 else text[:40] + "…"
    return short.encode("unicode_escape").decode("ascii") if not short.isprintable() else short

"""Query parameters and headers as the API reads them. Pydantic, `int()` and
`str.isdigit()` take other digits than ASCII ones ("²", "١٢") and dates from
year 1 to 9999: here a business date is ISO in ASCII digits inside the
ledger's window, a whole number is ASCII digits, and aging buckets are
increasing day counts in ASCII digits, else 422 naming it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from o2c.api.problems import Problem, field_error
from o2c.domain.errors import Invalid
from o2c.domain.limits import (
    COUNT_TEXT,
    ISO_DATE_TEXT,
    MAX_ID_LENGTH,
    check_business_date,
    check_count_text,
    check_text,
)
from o2c.domain.receivables import DEFAULT_BOUNDARIES


def _iso_text(value: Any) -> Any:
    if isinstance(value, str) and not ISO_DATE_TEXT.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD in ASCII digits")
    return value


def _in_window(day: date) -> date:
    try:
        return check_business_date("date", day)
    except Invalid as e:
        raise ValueError(e.reason) from None


def _ascii_count(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return check_count_text("", value)
        except Invalid:
            raise ValueError("must be a whole number written in ASCII digits") from None
    return value


# `as_of`, `date`: dates outside the window would overflow the date arithmetic behind the views.
BusinessDate = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_in_window)]
# `limit`, `days`, `top`: `Annotated[int, Query(ge=, le=), ASCII_DIGITS]` (Query first,
# so that its bounds show in the OpenAPI as minimum and maximum).
ASCII_DIGITS = BeforeValidator(_ascii_count)


def _printable(value: str) -> str:
    try:
        return check_text("account", value, max_length=MAX_ID_LENGTH, keep=frozenset())
    except Invalid as e:
        raise ValueError(e.reason) from None


# An account code named in a body or a query: no control character reaches a query.
AccountCode = Annotated[str, Field(min_length=1), AfterValidator(_printable)]


def count_in(field: str, text: str) -> int:
    """A whole number from a header or a list item: ASCII digits, else 422 naming `field`."""
    try:
        return check_count_text(field, text)
    except Invalid as e:
        raise Problem(422, "validation", f"{field} {e.reason}", [field_error(field, e.reason)]) from None


# `buckets`: each boundary is a bucket, and a column the SQL sums: both stores cap the columns of a query.
MAX_BUCKETS = 20
MAX_BUCKET_DAYS = 3650
# The OpenAPI's hint; parse_buckets decides.
BUCKETS_PATTERN = rf"^([0-9]{{1,4}}(,[0-9]{{1,4}}){{0,{MAX_BUCKETS - 1}}})?$"
_BUCKETS_RULE = (f"must be at most {MAX_BUCKETS} increasing day counts from 1 to {MAX_BUCKET_DAYS}, "
                 "in ASCII digits, e.g. 30,60,90,120")  # fmt: skip


def parse_buckets(buckets: str | None) -> tuple[int, ...]:
    if not buckets:
        return DEFAULT_BOUNDARIES
    parts = buckets.split(",")
    bounds = tuple(int(part) for part in parts if COUNT_TEXT.fullmatch(part))
    if (len(bounds) != len(parts) or len(bounds) > MAX_BUCKETS or not bounds[0] > 0 or bounds[-1] > MAX_BUCKET_DAYS
            or list(bounds) != sorted(set(bounds))):  # fmt: skip
        raise Problem(422, "validation", f"buckets {_BUCKETS_RULE}", [field_error("buckets", _BUCKETS_RULE)])
    return bounds

"""How figures are written in responses: decimal strings rounded half-even to
the cent, rates as percentages and day figures (DSO) to one decimal, dates in
ISO form."""

from __future__ import annotations

import base64
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import orjson
from starlette.responses import Response

from o2c.api.problems import Problem, field_error
from o2c.domain.errors import Invalid
from o2c.domain.limits import COUNT_TEXT, MAX_ID_LENGTH, check_text
from o2c.domain.money import MINOR_UNITS, to_cents, to_minor_unit
from o2c.projections.units import SCALE

TENTH = Decimal("0.1")


def money(amount: Decimal) -> str:
    return str(to_cents(amount))


def amount(value: Decimal, currency: str) -> str:
    """An amount as its currency writes it: "1200.00" EUR, "1200" JPY, "1.200" KWD."""
    return str(to_minor_unit(value, currency))


def units_amount(units: int | Decimal | str | None, currency: str) -> str:
    """`amount(from_units(units), currency)` in integers: a read model's units (1/10,000,
    projections/units.py) rounded half-even to the currency's minor unit. A listing writes
    six amounts a row; through Decimal they were half of a directory page's time."""
    places = MINOR_UNITS.get(currency, 2)
    whole, dropped = int(units or 0), 10 ** (SCALE - places)
    if dropped > 1:
        whole, rest = divmod(whole, dropped)  # floored: rest >= 0 for negatives too
        if rest * 2 > dropped or (rest * 2 == dropped and whole % 2):
            whole += 1
    if not places:
        return str(whole)
    units_part, minor = divmod(abs(whole), 10**places)
    return f"{'-' if whole < 0 else ''}{units_part}.{minor:0{places}d}"


def percent(ratio: Decimal | None) -> str | None:
    return None if ratio is None else str((ratio * 100).quantize(TENTH, rounding=ROUND_HALF_EVEN))


def one_decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(TENTH))


def json_response(body: Any) -> Response:
    """A view's body as JSON, written by orjson. Returned as is, FastAPI would first
    walk it with `jsonable_encoder` (or validate it against `dict[str, Any]`): a
    quarter of a 500-row aging page's time. Bodies hold only JSON types (figures
    are already strings), so the bytes are those FastAPI would have sent."""
    return Response(orjson.dumps(body), media_type="application/json")


def plain(value: Any) -> Any:
    """A recorded value as JSON: amounts as written, dates ISO, items as objects."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    return value


# Cursors are opaque to clients: base64 of what the next page starts after.
# Anything else sent as a cursor is 422 naming it, before it reaches a query.
_NOT_A_CURSOR = "is not a cursor this service returned"
_KEY_SEPARATOR = "\x00"
_KEY_LENGTH = 10 * MAX_ID_LENGTH  # ids recorded before the limit may be longer


def not_a_cursor() -> Problem:
    return Problem(422, "validation", f"cursor {_NOT_A_CURSOR}", [field_error("cursor", _NOT_A_CURSOR)])


def _unbase64(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise not_a_cursor() from None


def encode_cursor(value: int) -> str:
    """A position or an offset, as `v1:N`."""
    return base64.urlsafe_b64encode(f"v1:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    version, _, value = _unbase64(cursor).partition(":")
    # ASCII digits, at most 18 of them: int() takes "١٢", "+1", "1_0", and a huge
    # number overflows a 64-bit column on both stores.
    if version != "v1" or not COUNT_TEXT.fullmatch(value):
        raise not_a_cursor()
    return int(value)


def encode_key_cursor(*key: str) -> str:
    """A key of the last row listed (an account code; a due date and an invoice id)."""
    return base64.urlsafe_b64encode(_KEY_SEPARATOR.join(key).encode()).decode()


def decode_key_cursor(cursor: str | None, parts: int) -> tuple[str, ...] | None:
    if not cursor:
        return None
    key = tuple(_unbase64(cursor).split(_KEY_SEPARATOR))
    if len(key) != parts or not all(key):
        raise not_a_cursor()
    try:  # a control character (NUL breaks PostgreSQL's text) is in no key the ledger accepts
        for part in key:
            check_text("cursor", part, max_length=_KEY_LENGTH, keep=frozenset())
    except Invalid:
        raise not_a_cursor() from None
    return key

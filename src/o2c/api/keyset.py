"""Cursors of keyset pages: the sort keys of the last row listed, each written by
its kind, after a tag naming the order they belong to. Anything else sent back
(another order's cursor, a key that does not read as its kind) is 422 `cursor`,
before it reaches a query."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from o2c.api.render import decode_key_cursor, encode_key_cursor, not_a_cursor
from o2c.domain.limits import ISO_DATE_TEXT

WHOLE = re.compile(r"-?[0-9]{1,40}", re.ASCII)  # amounts in 1/10,000 units: NUMERIC(38,0) sums


def encode_keys(tag: str, kinds: Sequence[str], values: Sequence[Any]) -> str:
    return encode_key_cursor(tag, *(_written(value, kind) for value, kind in zip(values, kinds, strict=True)))


def decode_keys(tag: str, kinds: Sequence[str], cursor: str | None, whole_bits: int | None = None) -> list[Any] | None:
    """The keys of `cursor` (none without one); `whole_bits`: the widest whole number the
    store binds (SQLite: 64), none beyond it is a key it returned."""
    parts = decode_key_cursor(cursor, len(kinds) + 1)
    if parts is None:
        return None
    if parts[0] != tag:
        raise not_a_cursor()
    try:
        values = [_read(part, kind) for part, kind in zip(parts[1:], kinds, strict=True)]
    except ValueError:
        raise not_a_cursor() from None
    if whole_bits is not None and any(type(v) is int and v.bit_length() >= whole_bits for v in values):
        raise not_a_cursor()
    return values


def _written(value: Any, kind: str) -> str:
    if kind == "date":
        return str(value.isoformat())
    if kind == "real":
        return repr(float(value))
    if kind == "int":  # PostgreSQL's NUMERIC may come back as Decimal("1.00E+6")
        return f"={int(value)}"
    return f"={value}"  # a text may be empty (a name of accents alone): a cursor's parts may not


def _read(part: str, kind: str) -> Any:
    if kind == "date":
        if not ISO_DATE_TEXT.fullmatch(part):
            raise ValueError(part)
        return date.fromisoformat(part)
    if kind == "real":
        value = float(part)  # "nan" and "inf" read as floats: no key is one
        if not math.isfinite(value):
            raise ValueError(part)
        return value
    if not part.startswith("="):
        raise ValueError(part)
    text = part[1:]
    if kind == "int":
        if not WHOLE.fullmatch(text):
            raise ValueError(part)
        return int(text)
    return text

"""An ERP fact as the ledger receives it, and what became of it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import orjson

from o2c.domain.errors import RuleViolation
from o2c.domain.items import Allocation


@dataclass(frozen=True)
class Envelope:
    """One posted fact, its data already typed (Decimal, date, Allocation)
    and holding only the fields the ERP sent."""

    event_id: str
    type: str
    account: str
    data: Mapping[str, Any]
    fingerprint: str = field(default="", compare=False)
    # The currency stated on the envelope, beside `data`: checked against the
    # account's like `data.currency`, and no part of the fact's content.
    currency: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", fingerprint(self.type, self.account, self.data))


@dataclass(frozen=True)
class Outcome:
    event_id: str
    status: Literal["recorded", "duplicate"]
    position: int


class Rejected(Exception):
    """The fact at `index` of a batch broke a rule; nothing was recorded."""

    def __init__(self, index: int, violation: RuleViolation) -> None:
        super().__init__(f"fact {index}: {violation}")
        self.index = index
        self.violation = violation


def _canonical(value: Any) -> Any:
    # Equal amounts hash alike whatever their written scale ("1200" = "1200.00").
    # Dates are written by orjson itself, as isoformat() would: no call back each.
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Allocation):
        return [value.invoice_id, _canonical(value.amount)]
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def fingerprint(fact_type: str, account: str, data: Mapping[str, Any]) -> str:
    """What makes a repost 'the same content': its type, account and data."""
    canonical = orjson.dumps(
        {"type": fact_type, "account": account, "data": data},
        default=_canonical,
        option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS,
    )
    return hashlib.sha256(canonical).hexdigest()

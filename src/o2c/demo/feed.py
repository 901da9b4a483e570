"""The demo's facts as an ERP posts them: JSON envelopes (amounts as decimal
strings, ISO dates) numbered the way a seller's ERP numbers its documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


def as_json(value: Any) -> Any:
    """A value as the ERP writes it in JSON: amounts are strings, never numbers."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    return value


@dataclass
class Feed:
    """The envelopes posted, oldest business date first, and the seller's
    document numbers: one sequence per kind of document and year, shared by
    every customer (as invoice numbers are)."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    _last_number: dict[tuple[str, int], int] = field(default_factory=dict)

    def number(self, kind: str, on: date) -> str:
        key = (kind, on.year)
        self._last_number[key] = self._last_number.get(key, 0) + 1
        return f"{kind}-{on.year}-{self._last_number[key]:05d}"

    def post(self, event_id: str, fact_type: str, account: str, **data: Any) -> None:
        self.documents.append({
            "event_id": event_id,
            "type": fact_type,
            "account": account,
            "data": {key: as_json(value) for key, value in data.items() if value is not None},
        })  # fmt: skip

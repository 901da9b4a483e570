"""From a posted body to typed envelopes, or a problem naming every bad field."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from o2c.api.problems import Problem, field_error
from o2c.api.schemas import DATA_MODELS
from o2c.domain.errors import Invalid
from o2c.domain.facts import FACT_TYPES
from o2c.domain.limits import check_account_code, check_id
from o2c.domain.money import check_currency
from o2c.ledger.envelope import Envelope

MAX_BATCH = 1000
# event_id is a receipt key and account a path segment: both within the ids' limits.
_ENVELOPE_KEYS = {"event_id": check_id, "type": check_id, "account": check_account_code}


def parse_body(body: bytes) -> tuple[list[Envelope], bool]:
    """The envelopes of a body, and whether it was a batch."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise Problem(400, "malformed-json", f"the body is not valid JSON: {e}") from None
    if isinstance(document, dict) and "events" in document and "type" not in document:
        events = document["events"]
        if not isinstance(events, list):
            raise Problem(
                422,
                "validation",
                "events must be a list of envelopes",
                [field_error("events", "must be a list of envelopes")],
            )
        if not 1 <= len(events) <= MAX_BATCH:
            raise Problem(
                422,
                "validation",
                f"a batch holds 1 to {MAX_BATCH} events, not {len(events)}",
                [field_error("events", f"must hold 1 to {MAX_BATCH} events")],
            )
        return _envelopes(events, batch=True), True
    return _envelopes([document], batch=False), False


def _envelopes(documents: list[Any], batch: bool) -> list[Envelope]:
    envelopes: list[Envelope] = []
    errors: list[dict[str, str]] = []
    for index, document in enumerate(documents):
        prefix = f"events[{index}]." if batch else ""
        envelope = _envelope(document, prefix, errors)
        if envelope is not None:
            envelopes.append(envelope)
    if errors:
        detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors[:10])
        raise Problem(422, "validation", detail, errors)
    return envelopes


def _envelope(document: Any, prefix: str, errors: list[dict[str, str]]) -> Envelope | None:
    if not isinstance(document, dict):
        errors.append(field_error(prefix.rstrip(".") or "body", "must be a JSON object (an event envelope)"))
        return None
    before = len(errors)
    refused: set[str] = set()
    for key, check in _ENVELOPE_KEYS.items():
        value = document.get(key)
        try:
            if not isinstance(value, str) or not value.strip():
                raise Invalid(prefix + key, "is required, as a non-empty string")
            check(prefix + key, value)
        except Invalid as e:
            errors.append(field_error(e.field, e.reason))
            refused.add(key)
    fact_type = document.get("type")
    if "type" not in refused and fact_type not in DATA_MODELS:
        errors.append(field_error(prefix + "type", f"unknown event type '{fact_type}'; one of {', '.join(FACT_TYPES)}"))
    currency = document.get("currency")
    if currency is not None:
        # Stated beside the data, it must be an ISO code (and, when recorded, the account's).
        try:
            if not isinstance(currency, str):
                raise Invalid(prefix + "currency", 'must be an ISO 4217 currency code such as "EUR"')
            check_currency(prefix + "currency", currency)
        except Invalid as e:
            errors.append(field_error(e.field, e.reason))
    data = document.get("data")
    if not isinstance(data, dict):
        errors.append(field_error(prefix + "data", "is required, as a JSON object"))
        return None
    if len(errors) > before:
        return None
    try:
        model = DATA_MODELS[fact_type].model_validate(data)
    except ValidationError as e:
        for error in e.errors():
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
            errors.append(field_error(f"{prefix}data{path}", error["msg"].removeprefix("Value error, ")))
        return None
    return Envelope(document["event_id"], fact_type, document["account"], model.typed(), currency=currency)

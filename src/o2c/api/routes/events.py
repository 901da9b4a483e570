"""POST /v1/events: ERP facts in, one envelope or an atomic batch."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from o2c.api.auth import require
from o2c.api.envelopes import MAX_BATCH, parse_body
from o2c.api.problems import Problem, answers, violation_problem
from o2c.domain.facts import FACT_TYPES
from o2c.domain.limits import MAX_ID_LENGTH
from o2c.ledger.application import ConcurrentWriters, Ledger
from o2c.ledger.envelope import Rejected

router = APIRouter()

# The body as the OpenAPI shows it, loosely: each type's `data` is SPEC's table (issue 10 will detail it).
_ENVELOPE = {
    "type": "object",
    "required": ["event_id", "type", "account", "data"],
    "properties": {
        "event_id": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH},
        "type": {"enum": list(FACT_TYPES)},
        "account": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH},
        "currency": {"type": "string"},
        "data": {"type": "object"},
    },
}
_BATCH = {
    "type": "object",
    "required": ["events"],
    "properties": {"events": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": _ENVELOPE}},
}
EVENTS_BODY = {"required": True, "content": {"application/json": {"schema": {"anyOf": [_ENVELOPE, _BATCH]}}}}


@router.post(
    "/v1/events",
    dependencies=[Depends(require("ingest"))],
    status_code=201,
    openapi_extra={"requestBody": EVENTS_BODY},
    responses={200: {"description": "every event was a duplicate: nothing recorded"}, **answers(409)},
)
async def post_events(request: Request) -> Response:
    body = await request.body()  # O2C_MAX_BODY_BYTES is enforced by the request guard
    envelopes, is_batch = parse_body(body)
    ledger: Ledger = request.app.state.ledger
    try:
        outcomes, alerts = await run_in_threadpool(ledger.record_and_tell, envelopes)
    except Rejected as rejected:
        request.app.state.metrics.facts.labels("rejected").inc(len(envelopes))
        raise violation_problem(rejected.violation, f"events[{rejected.index}]." if is_batch else "") from None
    except ConcurrentWriters as e:
        raise Problem(409, "concurrent-writers", f"{e}; post the batch again") from None
    recorded = sum(1 for o in outcomes if o.status == "recorded")
    request.app.state.metrics.facts.labels("recorded").inc(recorded)
    request.app.state.metrics.facts.labels("duplicate").inc(len(outcomes) - recorded)
    payload: dict[str, Any] = {
        "results": [{"event_id": o.event_id, "status": o.status, "position": o.position} for o in outcomes],
        "alerts": alerts,
    }
    # A repost that records nothing is answered 200, as SPEC says of duplicates.
    return Response(orjson.dumps(payload), status_code=201 if recorded else 200, media_type="application/json")

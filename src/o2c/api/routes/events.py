"""POST /v1/events: ERP facts in, one envelope or an atomic batch."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from o2c.api.auth import require
from o2c.api.envelopes import parse_body
from o2c.api.problems import Problem, violation_problem
from o2c.ledger.application import ConcurrentWriters, Ledger
from o2c.ledger.envelope import Rejected

router = APIRouter()


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "too-large", f"the body exceeds {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Problem(413, "too-large", f"the body exceeds {limit} bytes")
    return bytes(body)


@router.post("/v1/events", dependencies=[Depends(require("ingest"))])
async def post_events(request: Request) -> Response:
    body = await read_body(request, request.app.state.settings.max_body_bytes)
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

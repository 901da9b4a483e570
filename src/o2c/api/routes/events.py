"""POST /v1/events: ERP facts in, one envelope or an atomic batch."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from o2c.api.auth import require
from o2c.api.contract.posting import Posted
from o2c.api.envelopes import MAX_BATCH, parse_body
from o2c.api.fact_descriptions import FACT_DESCRIPTIONS, FACT_EXAMPLES
from o2c.api.openapi import request_body
from o2c.api.problems import Problem, answers, violation_problem
from o2c.api.schemas import DATA_MODELS, Currency, FactData, Id
from o2c.ledger.application import ConcurrentWriters, Ledger
from o2c.ledger.envelope import Rejected

router = APIRouter()

# -- the body as the OpenAPI documents it, from the models that validate each type's `data` ---------
# (parse_body reads the body itself: one problem names every field at fault, in every envelope.)

ACCOUNT = r"^[^/\\?#%]+$"  # a path segment (limits.check_account_code says the rest)


def _example(fact_type: str) -> dict[str, Any]:
    return {"event_id": f"erp-{fact_type}-1", "type": fact_type, "account": "C-1001", "data": FACT_EXAMPLES[fact_type]}


def _envelope(fact_type: str, data: type[FactData]) -> type[BaseModel]:
    return create_model(
        f"{fact_type}Envelope",
        __doc__=f"The `{fact_type}` fact. {FACT_DESCRIPTIONS[fact_type]}",
        __config__=ConfigDict(json_schema_extra={"examples": [_example(fact_type)]}),
        event_id=(Id, Field(description="the ERP's unique id for the fact: the idempotency key")),
        type=(Literal[fact_type], Field(description="the fact's type: says what `data` holds")),  # type: ignore[arg-type]
        account=(Annotated[Id, Field(pattern=ACCOUNT)], Field(description="the ERP's customer code")),
        currency=(Currency | None, Field(None, description="if stated, it must be the account's")),
        data=(data, ...),
    )


# One envelope per fact type, told apart by `type`: a union built at run time (no static type).
Envelope: Any = Annotated[
    Union[tuple(_envelope(name, model) for name, model in DATA_MODELS.items())],  # noqa: UP007
    Field(discriminator="type"),
]


class Batch(BaseModel):
    """Facts recorded atomically: every one of them, or none."""

    events: list[Envelope] = Field(min_length=1, max_length=MAX_BATCH)


_ONE = _example("InvoiceIssued")
_BATCH = {"events": [_example(t) for t in ("AccountOpened", "OrderPlaced", "InvoiceIssued", "PaymentReceived")]}
EVENTS_BODY = request_body(
    Envelope | Batch,
    'One fact (an envelope), or a batch `{"events": [...]}` of 1 to 1000. Fields not named here are ignored.',
    {"one fact": {"value": _ONE}, "a batch": {"value": _BATCH}},
)


@router.post(
    "/v1/events",
    dependencies=[Depends(require("ingest"))],
    status_code=201,
    openapi_extra=EVENTS_BODY,
    responses={
        201: {"model": Posted, "description": "recorded: each event's outcome and the alerts raised"},
        200: {"model": Posted, "description": "every event was a duplicate: nothing recorded"},
        **answers(409),
    },
)
async def post_events(request: Request) -> Response:
    """Records ERP facts, idempotently by `event_id`: a repost of the same content is a `duplicate`
    (200 when every one is), another content under a recorded `event_id` is 409."""
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

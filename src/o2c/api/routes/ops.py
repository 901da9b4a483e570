"""Health and Prometheus metrics; no token needed.

The projection's figures are read from the read model's database (projections/
status.py), where the projecting process keeps them, whichever process that is.
/health answers 200 even when degraded: the API still serves every account that
is not parked, and a 503 would make a load balancer or an orchestrator take all of
it away (or restart it, which fixes nothing). Monitoring reads `status`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from o2c.api.contract.operations import Health
from o2c.projections.alerting import utc  # SQLite gives moments back naive
from o2c.projections.status import status_query

router = APIRouter()


class Metrics:
    def __init__(self, ledger: Any, projection: Any, runner: Any) -> None:
        self.registry = CollectorRegistry()
        self.facts = Counter(
            "o2c_facts",
            "Facts posted, by outcome (recorded, duplicate, rejected)",
            ["status"],
            registry=self.registry,
        )
        Gauge("o2c_ledger_position", "Last position in the ledger's log", registry=self.registry).set_function(
            lambda: ledger.recorder.max_notification_id() or 0
        )
        r = self.registry
        self.position = Gauge("o2c_projection_position", "Last position the read model has projected", registry=r)
        self.lag = Gauge("o2c_projection_lag_events", "Events recorded but not yet projected", registry=r)
        self.lag_seconds = Gauge(
            "o2c_projection_lag_seconds",
            "Age of the oldest fact recorded but not yet projected (0 when caught up)",
            registry=r,
        )
        self.errors = Gauge(
            "o2c_projection_errors", "Projection attempts that failed (retried, or parked an account)", registry=r
        )
        self.failing = Gauge("o2c_projection_failing", "1 while the projector retries a failed batch", registry=r)
        self.parked_accounts = Gauge("o2c_projection_parked_accounts", "Accounts whose facts are parked", registry=r)
        self.parked_facts = Gauge("o2c_projection_parked_facts", "Facts parked, waiting for a retry", registry=r)
        Gauge(
            "o2c_write_conflicts", "Batches replayed after a concurrent writer won", registry=self.registry
        ).set_function(lambda: ledger.conflicts_retried)

    def observe(self, status: Any, head: int) -> None:
        self.position.set(status.position or 0)
        self.lag.set(max(head - (status.position or 0), 0))
        self.errors.set(status.errors or 0)
        self.failing.set(1 if status.failing else 0)
        self.parked_accounts.set(status.parked_accounts)
        self.parked_facts.set(status.parked_facts)


async def projection_status(request: Request) -> tuple[Any, int]:
    """The projector's row of figures, and the ledger's last position."""
    head = await run_in_threadpool(request.app.state.ledger.recorder.max_notification_id)
    async with request.app.state.views.connect() as conn:
        status = (await conn.execute(status_query(request.app.state.settings.kafka_projection_topic))).one()
    return status, head or 0


@router.get(
    "/health",
    response_model=None,
    responses={200: {"model": Health, "description": "ok, or degraded with its reasons (still 200)"}},
)
async def health(request: Request) -> dict[str, Any]:
    """`ok`, or `degraded` with its reasons (no account codes or errors: no token needed here)."""
    status, head = await projection_status(request)
    reasons = []
    if status.parked_accounts:
        reasons.append({"reason": "parked", "accounts": status.parked_accounts, "facts": status.parked_facts,
                        "detail": "facts the projection could not apply: see GET /v1/admin/parked"})  # fmt: skip
    lag, most = max(head - (status.position or 0), 0), request.app.state.settings.health_max_lag_events
    if lag > most:
        reasons.append({"reason": "lagging", "lag_events": lag, "threshold": most,
                        "detail": "the read model is behind the ledger"})  # fmt: skip
    if status.failing:
        at = status.last_error_at
        reasons.append({"reason": "failing", "since": utc(at).isoformat() if at else None,
                        "detail": "the projection retries a batch that failed: see its log"})  # fmt: skip
    return {"status": "degraded", "reasons": reasons} if reasons else {"status": "ok"}


def lag_seconds(ledger: Any, position: int, head: int) -> float:
    """How long ago the first fact not yet projected was recorded (one row read, at a scrape)."""
    if head <= position:
        return 0.0
    waiting = ledger.recorder.select_notifications(position + 1, 1)
    if not waiting:
        return 0.0
    recorded_at = ledger.mapper.to_domain_event(waiting[0]).timestamp
    return max((datetime.now(UTC) - recorded_at).total_seconds(), 0.0)  # the recording's clock, not the ledger's


@router.get("/metrics", response_class=PlainTextResponse)  # documented as the text it is
async def metrics(request: Request) -> Response:
    status, head = await projection_status(request)
    request.app.state.metrics.observe(status, head)
    ledger = request.app.state.ledger
    seconds = await run_in_threadpool(lag_seconds, ledger, status.position or 0, head)
    request.app.state.metrics.lag_seconds.set(seconds)
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

"""Liveness and Prometheus metrics; no token needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from starlette.responses import Response

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
        Gauge(
            "o2c_projection_position", "Last position the read model has projected", registry=self.registry
        ).set_function(projection.position)
        Gauge(
            "o2c_projection_lag_events", "Events recorded but not yet projected", registry=self.registry
        ).set_function(lambda: max((ledger.recorder.max_notification_id() or 0) - projection.position(), 0))
        Gauge(
            "o2c_projection_errors", "Projection batches that failed and were retried", registry=self.registry
        ).set_function(lambda: runner.errors if runner else 0)
        Gauge(
            "o2c_write_conflicts", "Batches replayed after a concurrent writer won", registry=self.registry
        ).set_function(lambda: ledger.conflicts_retried)


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

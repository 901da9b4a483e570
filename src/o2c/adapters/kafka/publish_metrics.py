"""`o2c kafka-publish`'s figures on a Prometheus port: O2C_KAFKA_METRICS_PORT, 9181 when unset
(beside `o2c kafka-ingest`'s 9180 on the same host), 0 for no endpoint."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class _Lag(Collector):
    """Read at each scrape: the ledger's head and the alert log move without the publisher."""

    def __init__(self, publisher: Any) -> None:
        self.publisher = publisher

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily(
            "o2c_kafka_publish_lag",
            "Recorded and not yet published: facts (ledger topic), alert changes (alerts topic)",
            labels=["topic"],
        )
        for topic, waiting in self.publisher.lag().items():
            lag.add_metric([topic], waiting)
        yield lag


class PublishMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "o2c_kafka_published_messages", "Messages acknowledged by the broker", ["topic"], registry=self.registry
        )
        self.position = Gauge(
            "o2c_kafka_published_position",
            "Last position stored as published (ledger position; alert changes counted)",
            ["topic"],
            registry=self.registry,
        )

    def published(self, topic: str, messages: int, position: int) -> None:
        self.messages.labels(topic).inc(messages)
        self.position.labels(topic).set(position)

    def follow(self, publisher: Any) -> None:
        self.registry.register(_Lag(publisher))


DEFAULT_PORT = 9181


def serve_metrics(metrics: PublishMetrics, port: int | None = None) -> int | None:
    """Starts the HTTP endpoint on `port` (else the environment's); the port, or None if 0."""
    if port is None:
        configured = os.environ.get("O2C_KAFKA_METRICS_PORT", "").strip()
        if configured and not configured.isdigit():
            raise ValueError(f"O2C_KAFKA_METRICS_PORT: {configured!r} is not a port number")
        port = int(configured) if configured else DEFAULT_PORT
    if not port:
        return None
    start_http_server(port, addr="0.0.0.0", registry=metrics.registry)
    return port

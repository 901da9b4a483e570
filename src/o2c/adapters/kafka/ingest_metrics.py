"""What `o2c kafka-ingest` tells Prometheus, on a port of its own (O2C_KAFKA_METRICS_PORT)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class IngestMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.consumed = Counter("o2c_kafka_consumed", "Messages read from the facts topic", registry=r)
        self.recorded = Counter("o2c_kafka_recorded", "Facts recorded in the ledger from Kafka", registry=r)
        self.duplicates = Counter(
            "o2c_kafka_duplicates", "Facts whose event_id was already recorded (a redelivery or a repost)", registry=r
        )
        self.dead_lettered = Counter(
            "o2c_kafka_dead_lettered",
            "Messages sent to the dead-letter topic, by problem type",
            ["problem"],
            registry=r,
        )
        self.batches = Counter("o2c_kafka_batches", "Batches recorded and committed", registry=r)
        self.conflicts = Counter(
            "o2c_kafka_concurrent_writer_retries", "Batches retried after other writers kept winning", registry=r
        )
        self.lag = _Lag()
        r.register(self.lag)

    def serve(self, port: int) -> None:
        """Starts the /metrics endpoint in a daemon thread (0: no endpoint)."""
        if port:
            start_http_server(port, addr="0.0.0.0", registry=self.registry)


class _Lag(Collector):
    """Messages behind the end of each assigned partition, as last seen: the partitions
    a rebalance takes away disappear with them instead of keeping a stale figure."""

    def __init__(self) -> None:
        self.partitions: dict[tuple[str, int], int] = {}

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "o2c_kafka_lag_messages", "Messages not yet consumed, per assigned partition", labels=["topic", "partition"]
        )
        for (topic, partition), lag in sorted(self.partitions.items()):
            family.add_metric([topic, str(partition)], lag)
        yield family

"""`o2c kafka-project`: the read model built by several workers, on one machine or many,
sharing the ledger topic that `o2c kafka-publish` fills (keyed by account, so that each
account's facts are in one partition, in log order).

The workers form a consumer group; each projects the facts of the partitions it is
given (projections/partitioned.py) and keeps their offsets in the read model, moved in
the transaction of the rows: on an assignment it seeks to them, and Kafka's committed
offsets are not used. A worker killed or stopped mid-batch leaves nothing: its batch
rolls back, and the partition's next owner reads from the offsets stored. A worker
that lost a partition and still commits finds the offset moved and drops its batch.

A failure that is not a fact's (parking.py parks those) is logged, counted where the
API's /health and /metrics read it, and the same messages are read again after a
growing wait, never skipped.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import FrameType
from typing import Any

import orjson
from kafka import ConsumerRebalanceListener
from kafka.partitioner.default import murmur2
from kafka.structs import TopicPartition

from o2c.adapters.kafka.publish import FACTS_TOPIC
from o2c.adapters.kafka.settings import group_consumer, int_env
from o2c.config import Settings, eventstore_env
from o2c.ledger.application import Ledger
from o2c.projections.database import migrate, sync_engine
from o2c.projections.partitioned import Delivery, PartitionedProjection
from o2c.projections.projector import CATCH_UP_BATCH
from o2c.projections.runner import FIRST_BACKOFF_S, MAX_BACKOFF_S
from o2c.projections.status import record_failure, record_recovered
from o2c.projections.tracking import TrackingConflict

log = logging.getLogger("o2c.kafka.project")
IDLE_POLL_MS = 200


@dataclass(frozen=True)
class ProjectSettings:
    topic: str = FACTS_TOPIC
    group: str = "o2c-projection"
    batch_max: int = CATCH_UP_BATCH  # messages per transaction at most: the catch-up's batch
    session_timeout_ms: int = 10_000
    max_poll_interval_ms: int = 300_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ProjectSettings:
        env = os.environ if env is None else env
        return cls(
            topic=env.get("O2C_KAFKA_LEDGER_TOPIC", "").strip() or cls.topic,
            group=env.get("O2C_KAFKA_PROJECTION_GROUP", "").strip() or cls.group,
            batch_max=int_env(env, "O2C_KAFKA_PROJECTION_BATCH", cls.batch_max, 1, 20_000),
            session_timeout_ms=int_env(env, "O2C_KAFKA_SESSION_TIMEOUT_MS", cls.session_timeout_ms, 1_000, 600_000),
            max_poll_interval_ms=int_env(
                env, "O2C_KAFKA_MAX_POLL_INTERVAL_MS", cls.max_poll_interval_ms, 1_000, 3_600_000
            ),
        )


def partitioner(partitions: int) -> Any:
    """An account's partition, as kafka-python's (and Java's) default partitioner picks it
    for the publisher's key: the partitions a worker owns are the accounts it sweeps."""
    return lambda code: (murmur2(code.encode()) & 0x7FFFFFFF) % partitions


class ProjectionWorker:
    def __init__(self, projection: PartitionedProjection, consumer: Any, settings: ProjectSettings) -> None:
        self.projection, self.consumer, self.settings = projection, consumer, settings
        self.stopping = False
        self.backoff = FIRST_BACKOFF_S
        self._failing = False
        self.projected = 0  # facts, by this worker

    def subscribe(self) -> None:
        self.consumer.subscribe([self.settings.topic], listener=_SeekToMarks(self))

    def run(self) -> None:
        while not self.stopping:
            self.step()
        if self.caught_up():  # what time has brought to the accounts owned, before leaving
            self.projection.project([], caught_up=True)

    def step(self) -> None:
        polled = self.consumer.poll(timeout_ms=IDLE_POLL_MS, max_records=self.settings.batch_max)
        deliveries = [delivery(record) for records in polled.values() for record in records]
        try:
            self.projected += self.projection.project(deliveries, self.caught_up())
        except TrackingConflict as conflict:  # a partition moved on without us, or a retry ran
            log.info("batch dropped (%s): reading again from the offsets stored", conflict)
            self.seek_to_marks()
            return
        except Exception as error:
            self._failing = True
            record_failure(self.projection.engine, error, self.projection.clock())
            wait, self.backoff = self.backoff, min(self.backoff * 2, MAX_BACKOFF_S)
            log.exception("projection failed; the same messages again in %.2fs", wait)
            self.seek_to_marks()
            time.sleep(wait)
            return
        if self._failing:
            self._failing = not record_recovered(self.projection.engine)
        self.backoff = FIRST_BACKOFF_S

    def caught_up(self) -> bool:
        """Every partition owned read to its end, as the broker last said (the single
        projector's partial batch: time up to now is seen, the sweep may run)."""
        for tp in self.consumer.assignment():
            end = self.consumer.highwater(tp)
            if end is None or self.consumer.position(tp) < end:
                return False
        return True

    def assign(self, partitions: list[TopicPartition]) -> None:
        count = len(self.consumer.partitions_for_topic(self.settings.topic) or ())
        self.projection.partition_of = partitioner(max(count, 1))
        offsets = self.projection.assign([tp.partition for tp in partitions])
        for tp in partitions:
            self.consumer.seek(tp, offsets[tp.partition])
        log.info("assigned %s", {f"{self.settings.topic}[{p}]": offset for p, offset in sorted(offsets.items())})

    def seek_to_marks(self) -> None:
        self.assign(list(self.consumer.assignment()))

    def stop(self, signum: int = 0, _: FrameType | None = None) -> None:
        self.stopping = True


def delivery(record: Any) -> Delivery:
    """The message's place and the ledger position it carries; anything else stops the worker
    (the topic is o2c kafka-publish's alone: a fact skipped would leave the books wrong)."""
    try:
        position = orjson.loads(record.value)["position"]
        if not isinstance(position, int) or isinstance(position, bool) or position < 1:
            raise ValueError(position)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        where = f"{record.topic}[{record.partition}] offset {record.offset}"
        raise ValueError(f"{where} is not a fact of `o2c kafka-publish` (no ledger position): {e!r}") from None
    return Delivery(record.partition, record.offset, position)


class _SeekToMarks(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, each partition is read from the offset stored with the rows."""

    def __init__(self, worker: ProjectionWorker) -> None:
        self.worker = worker

    def on_partitions_revoked(self, revoked: Any) -> None:
        """Nothing is in flight: a batch is projected and committed within one poll's turn."""

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.worker.assign(list(assigned))


def run(
    settings: Settings,
    worker: ProjectSettings,
    connection: dict[str, Any],
    clock: Callable[[], datetime] | None = None,
) -> None:
    """A worker on the database of `settings` (migrated first), until SIGTERM or SIGINT."""
    migrate(settings.database_url)
    ledger = Ledger(eventstore_env(settings.database_url))
    engine = sync_engine(settings.database_url)
    projection = PartitionedProjection(ledger, engine, worker.topic, partitioner(1), clock or ledger.clock,
                                       settings.risk_weights)  # fmt: skip
    try:
        main(projection, worker, connection)
    finally:
        ledger.close()
        engine.dispose()


def main(projection: PartitionedProjection, settings: ProjectSettings, connection: dict[str, Any]) -> None:
    """Runs a worker until SIGTERM or SIGINT (the batch in hand is finished), then leaves the group."""
    consumer = group_consumer(connection, "o2c-kafka-project", settings.group, settings.batch_max,
                              settings.session_timeout_ms, settings.max_poll_interval_ms,
                              fetch_max_bytes=64 * 1024 * 1024, max_partition_fetch_bytes=16 * 1024 * 1024)  # fmt: skip
    worker = ProjectionWorker(projection, consumer, settings)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.subscribe()
    log.info("projecting %s as group %s", settings.topic, settings.group)
    try:
        worker.run()
    finally:
        consumer.close(autocommit=False)
    log.info("stopped; %d facts projected", worker.projected)

"""Kafka benchmark (issue 10 §5), on PostgreSQL, against tansu started here (or the
cluster O2C_KAFKA_BOOTSTRAP names):

- ingest: facts/s recorded through the ledger by `o2c kafka-ingest` (a child process, as
  deployed, as REST is served by `o2c serve`'s app in a child process) from a topic filled
  beforehand (bench.generate's portfolio, one envelope per message, keyed by account, 3
  partitions), beside REST (`POST /v1/events`, batches of 500, served without projection)
  on the same facts, each on a fresh database, in the same run; and each one's CPU per fact.
  Target: Kafka ingest >= REST ingest.
- publish: facts/s `o2c kafka-publish`'s publisher sends from the recorded log
  (acks=all, idempotent, acknowledged and stored per batch of 1,000).

    python -m bench.kafka_io [--events 20000]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from tests.integration.kafka_broker import tansu

from bench._support import cpu_seconds, throwaway_database
from bench.generate import Shape, batches, portfolio
from bench.ingest import BATCH, ingest
from o2c.adapters.kafka.publish import Publisher, make_producer
from o2c.config import eventstore_env
from o2c.ledger.application import Ledger
from o2c.projections.database import migrate, sync_engine

_TIMEOUT_S = 600


@contextmanager
def broker() -> Iterator[str]:
    given = os.environ.get("O2C_KAFKA_BOOTSTRAP", "").strip()
    if given:
        yield given
        return
    with tansu() as bootstrap:
        yield bootstrap


def fill_topic(bootstrap: str, topic: str, facts: list[dict[str, Any]]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    for fact in facts:
        producer.send(topic, key=fact["account"].encode(), value=orjson.dumps(fact))
    producer.flush()
    producer.close()


def kafka_ingest(database_url: str, bootstrap: str, topic: str, facts: int) -> tuple[float, float]:
    """`o2c kafka-ingest` in a child process, as deployed (and as REST is served): facts/s from
    the first fact recorded to the last (the group's join is not counted), and the worker's
    CPU µs per fact over the same span."""
    env = {**os.environ, "O2C_DATABASE_URL": database_url, "O2C_KAFKA_BOOTSTRAP": bootstrap,
           "O2C_KAFKA_INGEST_TOPIC": topic, "O2C_KAFKA_DLQ_TOPIC": f"{topic}.dlq", "O2C_KAFKA_GROUP": topic,
           "O2C_KAFKA_METRICS_PORT": "0"}  # fmt: skip
    migrate(database_url)  # the ledger's tables, so that the head can be read from the start
    ledger = Ledger(eventstore_env(database_url))
    worker = subprocess.Popen([sys.executable, "-m", "o2c.cli", "kafka-ingest"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    first: tuple[float, int, float] | None = None
    deadline = time.monotonic() + _TIMEOUT_S
    try:
        while (head := ledger.recorder.max_notification_id() or 0) < facts and time.monotonic() < deadline:
            if worker.poll() is not None:
                raise SystemExit(f"kafka ingest: the worker stopped: {worker.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            if first is None and head:
                first = (time.perf_counter(), head, cpu_seconds(worker.pid))
            time.sleep(0.01)
        if head < facts or first is None:
            raise SystemExit(f"kafka ingest: {head:,} of {facts:,} facts recorded within {_TIMEOUT_S} s")
        seconds, cpu = time.perf_counter() - first[0], cpu_seconds(worker.pid) - first[2]
        return (head - first[1]) / seconds, cpu / (head - first[1]) * 1e6
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        ledger.close()


def publish(database_url: str, bootstrap: str, facts: int) -> float:
    """Facts/s from the recorded log to a fresh topic, until every position is stored as published."""
    migrate(database_url)
    ledger, engine = Ledger(eventstore_env(database_url)), sync_engine(database_url)
    producer = make_producer({"bootstrap_servers": bootstrap})
    publisher = Publisher(ledger, engine, producer, f"bench-ledger-{uuid.uuid4().hex[:8]}", "bench-alerts")
    try:
        started = time.perf_counter()
        publisher.run(threading.Event(), once=True)
        seconds = time.perf_counter() - started
        if (left := publisher.lag()[publisher.facts_topic]) != 0:
            raise SystemExit(f"publish: {left:,} facts left")
        return facts / seconds
    finally:
        producer.close()
        ledger.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    shape = Shape(accounts=max(args.events // 100, 1), events=args.events)
    posted = list(batches(portfolio(shape), BATCH))
    facts = [fact for batch in posted for fact in batch]
    print(f"kafka: {len(facts):,} facts on {shape.accounts:,} accounts, PostgreSQL")
    with broker() as bootstrap:
        topic = f"bench-facts-{uuid.uuid4().hex[:8]}"
        fill_topic(bootstrap, topic, facts)
        with throwaway_database() as url:
            by_kafka, kafka_cpu_us = kafka_ingest(url, bootstrap, topic, len(facts))
            published = publish(url, bootstrap, len(facts))
    with throwaway_database() as url:
        rest = ingest(url, [orjson.dumps({"events": b}) for b in posted], len(facts), project_in_process=False)
    by_rest, rest_cpu_us = rest.rate, rest.server_cpu_s / rest.events * 1e6
    print(
        f"  ingest  Kafka (o2c kafka-ingest, one worker, batches of up to 500): {by_kafka:7,.0f} facts/s, "
        f"{kafka_cpu_us:.0f} µs CPU/fact"
    )
    print(
        f"          REST  (o2c serve, POST /v1/events, batches of 500):         {by_rest:7,.0f} facts/s, "
        f"{rest_cpu_us:.0f} µs CPU/fact"
    )
    print(f"  publish o2c kafka-publish, acks=all:                                {published:7,.0f} facts/s")
    verdict = "PASS" if by_kafka >= by_rest else "FAIL"
    print(f"  {verdict}: Kafka ingest >= REST ingest; measured {by_kafka / by_rest:.2f} of REST")
    if verdict == "FAIL":
        sys.exit(1)


if __name__ == "__main__":
    main()

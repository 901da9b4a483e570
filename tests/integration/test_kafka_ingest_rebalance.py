"""A rebalance while `o2c kafka-ingest` has a batch recording and another in hand: both are
recorded and their offsets committed before the partitions move, so the worker that takes
them over reads nothing twice. (kafka-python 3 calls the rebalance listener on its IO
thread, where a blocking commit is refused: this path once stopped the worker.)"""

from __future__ import annotations

import threading
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from o2c.adapters.kafka.dead_letters import DeadLetters
from o2c.adapters.kafka.ingest import IngestSettings, IngestWorker
from o2c.adapters.kafka.ingest_metrics import IngestMetrics
from o2c.config import eventstore_env
from o2c.ledger.application import Ledger
from tests.integration.kafka_broker import GROUP_TIMEOUTS
from tests.integration.test_kafka_ingest import (  # noqa: F401 (fixtures)
    FACTS,
    Names,
    assert_each_fact_once,
    ledger_url,
    names,
    produce,
    stream,
)

BATCH = 100


def joining(group: Names, joined: threading.Event, stop: threading.Event) -> tuple[threading.Thread, list[Any]]:
    """A second member of the group, polling until `stop`; what it reads goes to `read`."""
    read: list[Any] = []

    def member() -> None:
        consumer = KafkaConsumer(group.topic, bootstrap_servers=group.bootstrap, group_id=group.group,
                                 enable_auto_commit=False, auto_offset_reset="earliest", **GROUP_TIMEOUTS)  # fmt: skip
        while not stop.is_set():
            read.extend(m for records in consumer.poll(200).values() for m in records)
            if consumer.assignment():
                joined.set()
        consumer.close(autocommit=False)

    thread = threading.Thread(target=member)
    thread.start()
    return thread, read


def test_a_rebalance_records_and_commits_the_batches_in_hand_before_the_partitions_move(
    ledger_url: str,  # noqa: F811
    names: Names,  # noqa: F811
) -> None:
    facts = FACTS[: BATCH + BATCH // 2]
    placed = produce(names.bootstrap, names.topic, stream(facts, every=len(facts) + 1))
    ledger = Ledger(eventstore_env(ledger_url))
    settings = IngestSettings(topic=names.topic, dead_letter_topic=names.dlq, group=names.group, metrics_port=0,
                              batch_max=BATCH, batch_ms=500)  # fmt: skip
    consumer = KafkaConsumer(bootstrap_servers=names.bootstrap, group_id=names.group, enable_auto_commit=False,
                             auto_offset_reset="earliest", max_poll_records=BATCH, **GROUP_TIMEOUTS)  # fmt: skip
    producer = KafkaProducer(bootstrap_servers=names.bootstrap, acks="all")
    worker = IngestWorker(ledger, consumer, DeadLetters(producer, names.dlq), settings, IngestMetrics())
    worker.subscribe()
    joined, stop = threading.Event(), threading.Event()
    try:
        deadline = time.monotonic() + 30
        while worker.in_flight is None and time.monotonic() < deadline:
            worker.step()
        assert worker.in_flight is not None and len(worker.in_flight[0].messages) == BATCH
        member, read = joining(names, joined, stop)

        def collect_until_stopped() -> None:  # it meets the rebalance inside a poll: its listener records both
            while not worker.stopping:
                worker.collect()

        collecting = threading.Thread(target=collect_until_stopped)
        collecting.start()
        assert joined.wait(30), "the second member was never given partitions"
        worker.stopping = True
        collecting.join(30)
        assert worker.failure is None, worker.failure
        assert worker.in_flight is None and worker.pending == []
        time.sleep(1)  # the second member has polled its partitions from their committed offsets
        stop.set()
        member.join(30)
    finally:
        stop.set()
        consumer.close(autocommit=False)
        producer.close()
        ledger.close()
    assert_each_fact_once(ledger_url, facts)
    assert read == []  # every offset was committed before the partitions moved
    admin = KafkaAdminClient(bootstrap_servers=names.bootstrap)
    committed = {
        tp.partition: meta.offset for tp, meta in admin.list_group_offsets({names.group: None})[names.group].items()
    }
    admin.close()
    ends = {p: max(o for q, o in placed if q == p) + 1 for p, _ in placed}
    assert committed == ends

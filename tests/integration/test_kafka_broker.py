"""The tests' broker answers as Kafka does: a keyed message produced is consumed
by a group, in order within its partition."""

from __future__ import annotations

import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from tests.integration.kafka_broker import GROUP_TIMEOUTS


def test_a_group_consumes_what_was_produced_in_order_per_key(kafka_bootstrap: str, fresh_topic: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(fresh_topic, num_partitions=3, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for i in range(12):
        producer.send(fresh_topic, key=f"C-{i % 3}".encode(), value=str(i).encode())
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(fresh_topic, bootstrap_servers=kafka_bootstrap, group_id=fresh_topic,
                             auto_offset_reset="earliest", enable_auto_commit=False, **GROUP_TIMEOUTS)  # fmt: skip
    seen: dict[bytes, list[int]] = {}
    deadline = time.monotonic() + 30
    while sum(map(len, seen.values())) < 12 and time.monotonic() < deadline:
        for records in consumer.poll(500).values():
            for r in records:
                seen.setdefault(r.key, []).append(int(r.value))
    consumer.close()
    assert seen == {f"C-{k}".encode(): [k, k + 3, k + 6, k + 9] for k in range(3)}

"""The read model built by 2 and by 3 `o2c kafka-project` workers sharing the ledger topic
(issue 11 §2), one of them SIGKILLed midway and another started, equals the single
projector's, row for row, on PostgreSQL with the real broker: nothing lost, nothing
doubled. The portfolio sums are compared summed over the workers' shards; what the risk
review writes is left out as in the rebuild property (portfolio_strategies.tables)."""

from __future__ import annotations

import os
import pprint
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from sqlalchemy import Engine, func, select

from o2c.adapters.kafka.publish import Publisher, make_producer
from o2c.api.envelopes import parse_body
from o2c.config import eventstore_env
from o2c.ledger.application import Ledger
from o2c.projections import schema
from o2c.projections.database import migrate, reset, sync_engine
from o2c.projections.partitions import reached_position
from o2c.projections.projector import ReadModelProjection
from tests.integration.portfolio_strategies import differences, tables
from tests.integration.test_kafka_ingest import FACTS, wait_for

PARTITIONS = 6
NOW = datetime.now(UTC).replace(microsecond=0)  # the projections' clock, the same for all
SHARDED = {"rm_portfolio_receivables": 3, "rm_portfolio_balances": 3}  # key columns before `shard`


def read_model(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The rows to compare: the portfolio sums summed over shards; where each projector
    keeps its progress (tracking position, partitions' offsets) left out."""
    found = tables(engine)
    for name in ("rm_tracking", "rm_partition_offsets"):
        found.pop(name)
    for name, keys in SHARDED.items():
        sums: defaultdict[tuple[Any, ...], int] = defaultdict(int)
        for row in found[name]:
            sums[row[:keys]] += int(row[keys + 1])
        found[name] = sorted(((*key, amount) for key, amount in sums.items()), key=repr)
    return found


class Published:
    def __init__(self, url: str, bootstrap: str, topic: str, engine: Engine, head: int) -> None:
        self.url, self.bootstrap, self.topic, self.engine, self.head = url, bootstrap, topic, engine, head
        self.expected: dict[str, list[tuple[Any, ...]]] = {}
        self.messages = 0

    def reached(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(reached_position(self.topic)).scalar_one())

    def offsets(self) -> int:
        with self.engine.connect() as conn:
            o = schema.partition_offsets.c
            return int(conn.execute(select(func.coalesce(func.sum(o.offset), 0))).scalar_one())

    def unreviewed(self) -> int:
        with self.engine.connect() as conn:
            c = schema.collections.c
            return int(conn.execute(select(func.count()).where(c.risk.is_(None))).scalar_one())

    def worker(self, group: str, log: Path) -> subprocess.Popen[bytes]:
        env = {**os.environ, "O2C_DATABASE_URL": self.url, "O2C_KAFKA_BOOTSTRAP": self.bootstrap,
               "O2C_KAFKA_LEDGER_TOPIC": self.topic, "O2C_KAFKA_PROJECTION_GROUP": group,
               "O2C_KAFKA_PROJECTION_BATCH": "20", "O2C_KAFKA_SESSION_TIMEOUT_MS": "3000",
               "O2C_KAFKA_MAX_POLL_INTERVAL_MS": "3000"}  # fmt: skip
        with log.open("ab") as out:
            return subprocess.Popen([sys.executable, "-m", "tests.integration.projection_worker", NOW.isoformat()],
                                    env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


@pytest.fixture
def published(postgres_url: str, kafka_bootstrap: str, fresh_topic: str) -> Iterator[Published]:
    """The sample portfolio recorded, published in batches of 100 (a checkpoint each), and the
    single projector's read model kept as the expected one, then emptied."""
    migrate(postgres_url)
    ledger, engine = Ledger(eventstore_env(postgres_url)), sync_engine(postgres_url)
    for start in range(0, len(FACTS), 200):
        envelopes, _ = parse_body(orjson.dumps({"events": FACTS[start : start + 200]}))
        ledger.record(envelopes)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(fresh_topic, num_partitions=PARTITIONS, replication_factor=1)])
    admin.close()
    producer = make_producer({"bootstrap_servers": [kafka_bootstrap]})
    publisher = Publisher(ledger, engine, producer, facts_topic=fresh_topic, alerts_topic=f"{fresh_topic}.alerts")
    state = Published(postgres_url, kafka_bootstrap, fresh_topic, engine, ledger.recorder.max_notification_id() or 0)
    while sent := publisher.publish_facts(limit=100):
        state.messages += sent
    producer.close()
    assert state.messages == state.head > 1000
    single = ReadModelProjection(ledger, engine, clock=lambda: NOW)
    single.run_until_caught_up()
    state.expected = read_model(engine)
    yield state
    ledger.close()
    engine.dispose()


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_build_the_single_projectors_read_model_through_a_kill(
    published: Published, workers: int, tmp_path: Path
) -> None:
    reset(published.engine)  # the read model emptied (the partitions' offsets with it)
    assert published.reached() == 0
    group, log = f"{published.topic}-{workers}", tmp_path / "workers.log"
    running = [published.worker(group, log) for _ in range(workers)]
    try:
        wait_for(lambda: published.offsets() >= published.messages // 4, 120, "a quarter of the topic projected")
        running[0].kill()  # mid-batch, most likely: its transaction is rolled back
        running[0].wait()
        killed_at = published.offsets()
        running.append(published.worker(group, log))
        wait_for(lambda: published.reached() >= published.head, 180, "every position projected")
        # A position reached is a risk reviewed: every account's, though the workers catching up
        # review only once caught up, and the replacement reviews what the killed one left.
        assert published.unreviewed() == 0
        assert killed_at < published.messages, "the kill came after the end: nothing was taken over"
    finally:
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # a stop sweeps what is due, as when caught up
        for process in running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    assert published.offsets() == published.messages  # each message consumed once, by one owner
    found = differences(published.expected, read_model(published.engine))
    assert found == {}, pprint.pformat(found, width=160)[:8000]

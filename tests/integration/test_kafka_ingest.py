"""`o2c kafka-ingest` against a real broker (tansu) and PostgreSQL: the same ledger and views
as REST, every fact once through crashes and rebalances, exactly the bad messages dead-lettered,
and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.structs import TopicPartition

from o2c.adapters.kafka.dead_letters import DeadLetters
from o2c.adapters.kafka.ingest import IngestSettings, IngestWorker
from o2c.adapters.kafka.ingest_metrics import IngestMetrics
from o2c.adapters.kafka.settings import client_settings
from o2c.config import eventstore_env
from o2c.demo.seeding import portfolio
from o2c.ledger.application import Ledger
from tests.integration.conftest import AUDITOR, BI, ERP, Service, invoice, make_service, payment, stop_service
from tests.integration.kafka_broker import GROUP_TIMEOUTS, free_port
from tests.integration.portfolio_strategies import fresh_database

PARTITIONS = 4


def sample(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every fifth account of the demo, and one more for each fact type they lack (~1,400 facts)."""
    accounts = set(sorted({f["account"] for f in facts})[::5])
    types = {f["type"] for f in facts if f["account"] in accounts}
    for fact in facts:
        if fact["type"] not in types:
            accounts.add(fact["account"])
            types |= {f["type"] for f in facts if f["account"] == fact["account"]}
    return [f for f in facts if f["account"] in accounts]


FACTS = sample(portfolio(date.today()))
# Bad messages, each with the problem REST answers for it: not JSON, a broken rule, an
# invalid field, a fact for no account, and a repost of a recorded event_id with other content.
BAD: list[tuple[bytes, int]] = [
    (b'{"event_id": "x-1", "type": ', 400),
    (orjson.dumps(payment("P-X", "5.00", "2026-01-05", [("NO-SUCH", "5.00")], FACTS[0]["account"], "bad-alloc")), 422),
    (orjson.dumps({**FACTS[1], "event_id": "bad-no-data", "data": "none"}), 422),
    (orjson.dumps(invoice("F-0", "10.00", account="NOBODY", event_id="bad-no-account")), 404),
    (orjson.dumps({**FACTS[0], "data": {**FACTS[0]["data"], "name": "Other SA"}}), 409),
]


def create_topics(bootstrap: str, *names: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1) for name in names])
    admin.close()


def stream(good: list[dict[str, Any]], every: int) -> list[tuple[bytes, bytes]]:
    """(key, value) in order: the facts, with a bad message after every `every`th."""
    messages: list[tuple[bytes, bytes]] = []
    bad = iter(BAD * (len(good) // every // len(BAD) + 1))
    for n, fact in enumerate(good, 1):
        messages.append((fact["account"].encode(), orjson.dumps(fact)))
        if n % every == 0:
            value, _ = next(bad)
            messages.append((orjson.loads(value)["account"].encode() if value.endswith(b"}") else b"?", value))
    return messages


def produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]], pause: float = 0.0) -> list[Any]:
    """Sends keyed by account; the (partition, offset) of each, in the same order."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    futures = []
    for n, (key, value) in enumerate(messages):
        futures.append(producer.send(topic, key=key, value=value))
        if pause and n % 50 == 49:
            time.sleep(pause)
    producer.flush()
    placed = [f.get(timeout=10) for f in futures]
    producer.close()
    return [(p.partition, p.offset) for p in placed]


def read_all(bootstrap: str, topic: str, count: int, timeout_s: float = 20) -> list[Any]:
    """At least `count` messages of the topic, from the start (no group)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
    consumer.seek_to_beginning()
    got: list[Any] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count and time.monotonic() < deadline:
        got += [m for records in consumer.poll(500).values() for m in records]
    got += [m for records in consumer.poll(500).values() for m in records]  # and any repeat
    consumer.close()
    return got


def ledger_event_ids(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT event_id FROM o2c_receipts")]


def stored_events(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM o2c_events").fetchone()[0])  # type: ignore[index]


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


class Names:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap, self.topic, self.dlq, self.group = bootstrap, topic, f"{topic}.dlq", f"{topic}-group"
        create_topics(bootstrap, self.topic, self.dlq)

    def env(self, url: str, metrics_port: int = 0) -> dict[str, str]:
        return {**os.environ, "O2C_DATABASE_URL": url, "O2C_KAFKA_BOOTSTRAP": self.bootstrap,
                "O2C_KAFKA_INGEST_TOPIC": self.topic, "O2C_KAFKA_DLQ_TOPIC": self.dlq, "O2C_KAFKA_GROUP": self.group,
                "O2C_KAFKA_BATCH_MAX": "200", "O2C_KAFKA_BATCH_MS": "50", "O2C_KAFKA_METRICS_PORT": str(metrics_port),
                "O2C_KAFKA_SESSION_TIMEOUT_MS": "3000", "O2C_KAFKA_MAX_POLL_INTERVAL_MS": "3000"}  # fmt: skip

    def worker(self, url: str, log: Path, metrics_port: int = 0) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen([sys.executable, "-m", "o2c.cli", "kafka-ingest"],
                                    env=self.env(url, metrics_port), stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


@pytest.fixture
def names(kafka_bootstrap: str, fresh_topic: str) -> Names:
    return Names(kafka_bootstrap, fresh_topic)


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


# -- the same ledger and views as REST ----------------------------------------------------------


VOLATILE = ("position", "recorded_at")


def snapshot(service: Service, accounts: list[str], last: int) -> dict[str, Any]:
    """What an auditor and a BI tool see, positions and recording times left out."""
    after = {**BI, "X-O2C-After": str(last)}
    seen: dict[str, Any] = {"aging": service.client.get("/v1/aging", headers=after).json()}
    for code in accounts:
        history = service.client.get(f"/v1/accounts/{code}/history", params={"limit": 1000}, headers=AUDITOR).json()
        assert history["next_cursor"] is None
        seen[code] = {
            "view": service.client.get(f"/v1/accounts/{code}", headers=after).json(),
            "state": service.client.get(f"/v1/accounts/{code}/state", headers=AUDITOR).json(),
            "history": history["events"],
        }
    return seen


def differing(left: Any, right: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Where two snapshots differ, (path, left, right), but for positions in the log and recording times."""
    if isinstance(left, dict) and isinstance(right, dict):
        keys = sorted((set(left) | set(right)) - set(VOLATILE), key=str)
        return [d for k in keys for d in differing(left.get(k), right.get(k), f"{path}.{k}")]
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        return [d for n, (a, b) in enumerate(zip(left, right, strict=True)) for d in differing(a, b, f"{path}[{n}]")]
    return [] if left == right else [(path, left, right)]


def test_rest_and_kafka_ingestion_give_the_same_ledger_and_views(postgres_url: str, names: Names) -> None:
    accounts = sorted({f["account"] for f in FACTS})
    service, app = make_service(postgres_url)
    try:
        for start in range(0, len(FACTS), 1000):
            assert service.post({"events": FACTS[start : start + 1000]}).status_code == 201
        for value, status in BAD:  # REST refuses each bad one, with the status its dead letter will carry
            assert service.client.post("/v1/events", content=value, headers=ERP).status_code == status
        by_rest = snapshot(service, accounts, app.state.ledger.recorder.max_notification_id())
    finally:
        stop_service(app)

    with fresh_database(postgres_url) as url:
        messages = stream(FACTS, every=len(FACTS) // len(BAD))
        placed = produce(names.bootstrap, names.topic, messages)
        ledger = Ledger(eventstore_env(url))
        settings = IngestSettings(topic=names.topic, dead_letter_topic=names.dlq, group=names.group, metrics_port=0,
                                  session_timeout_ms=3000, max_poll_interval_ms=3000)  # fmt: skip
        consumer = KafkaConsumer(bootstrap_servers=names.bootstrap, group_id=names.group, enable_auto_commit=False,
                                 auto_offset_reset="earliest", **GROUP_TIMEOUTS)  # fmt: skip
        producer = KafkaProducer(bootstrap_servers=names.bootstrap, acks="all")
        metrics = IngestMetrics()
        worker = IngestWorker(ledger, consumer, DeadLetters(producer, names.dlq), settings, metrics)
        worker.subscribe()
        deadline = time.monotonic() + 60
        while metrics.consumed._value.get() < len(messages) and time.monotonic() < deadline:
            worker.step()
        worker.drain()  # the last batch may still be recording
        consumer.close(autocommit=False)
        producer.close()
        ledger.close()
        assert metrics.recorded._value.get() == len(FACTS)
        letters = read_all(names.bootstrap, names.dlq, len(BAD))
        bad_at = {placed[n] for n, (_, value) in enumerate(messages) if value in {v for v, _ in BAD}}
        assert {(int(dict(m.headers)["o2c.original.partition"]), int(dict(m.headers)["o2c.original.offset"]))
                for m in letters} == bad_at  # fmt: skip
        statuses = sorted(orjson.loads(m.value)["status"] for m in letters)
        assert statuses == sorted(status for _, status in BAD)
        service, app = make_service(url)
        try:
            by_kafka = snapshot(service, accounts, app.state.ledger.recorder.max_notification_id())
        finally:
            stop_service(app)
    assert not (diff := differing(by_kafka, by_rest)), diff[:5]


# -- the worker as a process: crashes, a clean stop, a rebalance ---------------------------------


@pytest.fixture
def ledger_url(postgres_url: str) -> str:
    """A database whose ledger tables exist, so that workers started together do not race to create them."""
    Ledger(eventstore_env(postgres_url)).close()
    return postgres_url


def sending(names: Names, messages: list[tuple[bytes, bytes]], pause: float) -> tuple[threading.Thread, list[Any]]:
    """A producer that keeps sending in the background; `placed` is filled when it is done."""
    placed: list[Any] = []
    thread = threading.Thread(target=lambda: placed.extend(produce(names.bootstrap, names.topic, messages, pause)))
    thread.start()
    return thread, placed


def assert_each_fact_once(url: str, facts: list[dict[str, Any]]) -> None:
    recorded = ledger_event_ids(url)
    assert sorted(recorded) == sorted(f["event_id"] for f in facts)
    assert stored_events(url) == len(facts)  # one event per fact, none without its receipt


def test_five_kills_while_a_producer_sends_record_every_fact_once_and_dead_letter_the_bad(
    ledger_url: str, names: Names, workers: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    messages = stream(FACTS, every=97)
    # The producer sends a sixth of the stream per worker's life, the next once that worker is
    # killed: each worker has facts still coming to record, however fast or slow the machine.
    size = -(-len(messages) // 6)
    gates, placed = [threading.Event() for _ in range(6)], []

    def send_in_sixths() -> None:
        for k, gate in enumerate(gates):
            gate.wait(120)
            placed.extend(produce(names.bootstrap, names.topic, messages[k * size:(k + 1) * size], pause=0.3))

    producer = threading.Thread(target=send_in_sixths)
    producer.start()
    gates[0].set()
    log = tmp_path / "ingest.log"
    for k in range(5):
        before = len(ledger_event_ids(ledger_url))
        workers.append(worker := names.worker(ledger_url, log))
        wait_for(lambda: len(ledger_event_ids(ledger_url)) > before, 60, f"a worker to record past {before}")  # noqa: B023
        time.sleep(random.uniform(0, 0.3))  # somewhere in a batch, or between two
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        gates[k + 1].set()
    workers.append(last := names.worker(ledger_url, log))
    producer.join()
    wait_for(lambda: len(ledger_event_ids(ledger_url)) == len(FACTS), 60, "every fact recorded")
    bad_at = {placed[n] for n, (_, value) in enumerate(messages) if value in {v for v, _ in BAD}}
    letters = read_all(names.bootstrap, names.dlq, len(bad_at))
    last.send_signal(signal.SIGTERM)
    assert last.wait(timeout=20) == 0, log.read_text()
    assert_each_fact_once(ledger_url, FACTS)
    # Exactly the bad messages; one may be dead-lettered again if a kill fell between its dead letter and the commit.
    origins = {(int(dict(m.headers)["o2c.original.partition"]), int(dict(m.headers)["o2c.original.offset"]))
               for m in letters}  # fmt: skip
    assert origins == bad_at


def test_sigterm_finishes_the_batch_commits_its_offsets_and_leaves_the_group(
    ledger_url: str, names: Names, workers: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    placed = produce(names.bootstrap, names.topic, stream(FACTS, every=len(FACTS) + 1))
    port, log = free_port(), tmp_path / "ingest.log"
    workers.append(worker := names.worker(ledger_url, log, metrics_port=port))
    wait_for(lambda: len(ledger_event_ids(ledger_url)) > 0, 30, "the first batch")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0, log.read_text()
    assert "stopped; offsets committed" in log.read_text()
    admin = KafkaAdminClient(bootstrap_servers=names.bootstrap)
    offsets = admin.list_group_offsets({names.group: None})[names.group]
    committed = {tp.partition: meta.offset for tp, meta in offsets.items()}
    admin.close()
    # It left the group (kafka-python's own log line; tansu's DescribeGroups answer is one it cannot read),
    # so its partitions need not wait for its session to time out.
    assert f"Leaving consumer group {names.group}" in log.read_text()
    # Exactly what the committed offsets cover is recorded: the batch in hand was finished, none begun after.
    below = [f for f, (partition, offset) in zip(FACTS, placed, strict=True) if offset < committed.get(partition, 0)]
    assert len(below) > 0 and sorted(ledger_event_ids(ledger_url)) == sorted(f["event_id"] for f in below)


def test_two_workers_share_the_partitions_and_a_rebalance_loses_nothing(
    ledger_url: str, names: Names, workers: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    messages, logs = stream(FACTS, every=len(FACTS) + 1), {name: tmp_path / f"{name}.log" for name in ("one", "two")}
    half = len(messages) // 2
    producer, _ = sending(names, messages[:half], pause=0.1)
    port = free_port()
    workers.append(one := names.worker(ledger_url, logs["one"], metrics_port=port))
    wait_for(lambda: len(ledger_event_ids(ledger_url)) > 0, 30, "the first worker to record")
    workers.append(two := names.worker(ledger_url, logs["two"]))
    wait_for(lambda: len(assigned(logs["two"])) > 0, 30, "the second worker's partitions")
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert "o2c_kafka_recorded_total" in metrics and 'o2c_kafka_lag_messages{partition="' in metrics
    producer.join()
    one.send_signal(signal.SIGTERM)  # its partitions move to the second worker
    assert one.wait(timeout=20) == 0
    produce(names.bootstrap, names.topic, messages[half:])  # facts only the second can record now
    wait_for(lambda: len(ledger_event_ids(ledger_url)) == len(FACTS), 60, "every fact recorded")
    two.send_signal(signal.SIGTERM)
    assert two.wait(timeout=20) == 0
    assert_each_fact_once(ledger_url, FACTS)
    shares = [assigned(logs["one"]), assigned(logs["two"])]
    assert len(shares[0][-1]) + len(shares[1][0]) == PARTITIONS, shares  # shared while both ran
    assert shares[0][-1] and shares[1][0] and len(shares[1][-1]) == PARTITIONS, shares  # then all to the second


def assigned(log: Path) -> list[list[str]]:
    """The partitions a worker was given, at each rebalance, from its log."""
    lines = [line.split("assigned ", 1)[1] for line in log.read_text().splitlines() if " assigned [" in line]
    return [[p for p in line.strip("[]").replace("'", "").split(", ") if p] for line in lines]


def test_a_real_clusters_settings_become_the_clients_arguments(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    env = {"O2C_KAFKA_BOOTSTRAP": "b-1:9096, b-2:9096", "O2C_KAFKA_SASL_MECHANISM": "scram-sha-512",
           "O2C_KAFKA_SASL_USERNAME": "o2c", "O2C_KAFKA_SASL_PASSWORD": "secret",
           "O2C_KAFKA_SSL_CAFILE": str(ca)}  # fmt: skip
    assert client_settings(env) == {
        "bootstrap_servers": ["b-1:9096", "b-2:9096"], "security_protocol": "SASL_SSL", "ssl_cafile": str(ca),
        "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "o2c", "sasl_plain_password": "secret",
    }  # fmt: skip
    assert client_settings({"O2C_KAFKA_BOOTSTRAP": "k:9092"})["security_protocol"] == "PLAINTEXT"
    for wrong, variable in [
        ({}, "O2C_KAFKA_BOOTSTRAP"),
        ({**env, "O2C_KAFKA_SASL_PASSWORD": ""}, "O2C_KAFKA_SASL_USERNAME"),
        ({**env, "O2C_KAFKA_SASL_MECHANISM": "GSSAPI"}, "O2C_KAFKA_SASL_MECHANISM"),
        ({**env, "O2C_KAFKA_SSL_CERTFILE": str(ca)}, "O2C_KAFKA_SSL_KEYFILE"),
        ({**env, "O2C_KAFKA_SSL_CAFILE": str(tmp_path / "none.pem")}, "O2C_KAFKA_SSL_CAFILE"),
        ({"O2C_KAFKA_BOOTSTRAP": "k:9092", "O2C_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "O2C_KAFKA_SASL_MECHANISM"),
    ]:
        with pytest.raises(ValueError, match=variable):
            client_settings(wrong)
    with pytest.raises(ValueError, match="O2C_KAFKA_BATCH_MS"):
        IngestSettings.from_env({"O2C_KAFKA_BATCH_MS": "soon"})

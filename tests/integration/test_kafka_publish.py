"""`o2c kafka-publish` (issue 10 §3, §4) on a real broker: every recorded fact reaches
the ledger topic, in order per account, as the history renders it; alerts raised and
cleared reach the alerts topic; SIGKILLed and restarted, the command publishes every
position (repeats allowed, each carrying its position; none missing; order per account)."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic
from prometheus_client import generate_latest
from sqlalchemy import Engine

from o2c.adapters.kafka.publish import Publisher, make_producer
from o2c.adapters.kafka.publish_metrics import PublishMetrics
from o2c.api.envelopes import parse_body
from o2c.config import eventstore_env
from o2c.domain.alerts import SEVERITY
from o2c.ledger.application import Ledger
from o2c.projections.batch import log_alert_changes
from o2c.projections.database import migrate, sync_engine
from o2c.projections.projector import ReadModelProjection
from tests.integration.conftest import envelope, invoice, opened, payment

Message = tuple[str, dict[str, Any]]  # (key, value)


@pytest.fixture
def store(database_url: str) -> Iterator[tuple[Ledger, Engine]]:
    migrate(database_url)
    ledger, engine = Ledger(eventstore_env(database_url)), sync_engine(database_url)
    yield ledger, engine
    ledger.close()
    engine.dispose()


def record(ledger: Ledger, *facts: dict[str, Any]) -> None:
    envelopes, _ = parse_body(orjson.dumps({"events": list(facts)}))
    ledger.record(envelopes)


def record_round(ledger: Ledger, round_: int, accounts: int = 6, invoices: int = 20) -> None:
    """`accounts` accounts (opened in the first round), each `invoices` more invoices, interleaved."""
    if round_ == 0:
        record(ledger, *(opened(f"K-{a}", credit_limit="1000000.00") for a in range(accounts)))
    for n in range(invoices):
        record(ledger, *(invoice(f"R{round_}-{n}", "10.00", account=f"K-{a}", event_id=f"inv-K-{a}-R{round_}-{n}")
                         for a in range(accounts)))  # fmt: skip


def create_topics(bootstrap: str, *topics: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(t, num_partitions=3, replication_factor=1) for t in topics])
    admin.close()


def consume(bootstrap: str, topic: str, done: Any, timeout_s: float = 60) -> list[Message]:
    """Every message of `topic` (all partitions, from the start) until `done(messages)`."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False)  # fmt: skip
    messages: list[Message] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not done(messages) and time.monotonic() < deadline:
            for records in consumer.poll(300).values():
                messages += [(r.key.decode(), orjson.loads(r.value)) for r in records]
    finally:
        consumer.close()
    return messages


def followed(messages: list[Message]) -> dict[str, list[int]]:
    """Per key, the positions a consumer keeps: it drops a position it has seen (a repeat)."""
    kept: dict[str, list[int]] = {}
    for key, value in messages:
        seen = kept.setdefault(key, [])
        if not seen or value["position"] > seen[-1]:
            seen.append(value["position"])
    return kept


def ledger_positions(ledger: Ledger) -> dict[str, list[int]]:
    notifications = ledger.recorder.select_notifications(1, 1_000_000)
    by_account: dict[str, list[int]] = {}
    for n in notifications:
        by_account.setdefault(n.originator_id, []).append(n.id)
    return by_account


def scraped(metrics: PublishMetrics) -> str:
    return generate_latest(metrics.registry).decode()


def test_every_fact_and_alert_change_is_published_in_order(
    store: tuple[Ledger, Engine], kafka_bootstrap: str, fresh_topic: str
) -> None:
    ledger, engine = store
    facts_topic, alerts_topic = f"{fresh_topic}-ledger", f"{fresh_topic}-alerts"
    create_topics(kafka_bootstrap, facts_topic, alerts_topic)
    record_round(ledger, 0, accounts=3, invoices=5)
    record(
        ledger,
        invoice("BIG-1", "1500000.00", account="K-1"),  # beyond the limit: limit_exceeded raised
        envelope("d-1", "DisputeOpened", "K-2", dispute_id="D-1", invoice_id="R0-1", amount="5.00",
                 reason="damaged", opened_date="2026-03-05"),
    )  # fmt: skip
    record(
        ledger,
        payment("P-1", "1500000.00", "2026-03-10", [("BIG-1", "1500000.00")], account="K-1"),  # cleared
        envelope("d-2", "DisputeResolved", "K-2", dispute_id="D-1", outcome="rejected", resolved_date="2026-03-09"),
    )
    ReadModelProjection(ledger, engine).run_until_caught_up()
    metrics = PublishMetrics()
    publisher = Publisher(ledger, engine, make_producer({"bootstrap_servers": kafka_bootstrap}), facts_topic,
                          alerts_topic, metrics.published)  # fmt: skip
    metrics.follow(publisher)
    total = len(ledger.recorder.select_notifications(1, 1000))
    assert f'o2c_kafka_publish_lag{{topic="{facts_topic}"}} {total}.0' in scraped(metrics)
    deadline = time.monotonic() + 60
    # Small batches: the stored position moves many times. On PostgreSQL an alert change waits
    # until every transaction open before it on the server has ended (publish.alert_changes_after).
    while publisher.lag() != {facts_topic: 0, alerts_topic: 0} and time.monotonic() < deadline:
        publisher.publish_some(limit=4) or time.sleep(0.1)
    assert publisher.lag() == {facts_topic: 0, alerts_topic: 0}
    figures = scraped(metrics)
    assert f'o2c_kafka_publish_lag{{topic="{facts_topic}"}} 0.0' in figures
    assert f'o2c_kafka_published_messages_total{{topic="{facts_topic}"}} {total}.0' in figures
    expected = ledger_positions(ledger)

    facts = consume(kafka_bootstrap, facts_topic, lambda m: len(m) >= total)
    assert len(facts) == total  # nothing published twice without a crash
    assert followed(facts) == expected
    first = next(value for key, value in facts if value["event_id"] == "inv-BIG-1")
    assert first == {
        "position": first["position"], "event_id": "inv-BIG-1", "type": "InvoiceIssued", "account": "K-1",
        "data": {"invoice_id": "BIG-1", "amount": "1500000.00", "issue_date": "2026-03-01",
                 "due_date": "2026-03-31", "order_id": None},
        "recorded_at": first["recorded_at"],
    }  # fmt: skip

    def both_cleared(messages: list[Message]) -> bool:
        return sum(v["change"] == "cleared" for _, v in messages) >= 2

    alerts = consume(kafka_bootstrap, alerts_topic, both_cleared)
    in_order = [v for _, v in sorted(alerts, key=lambda m: m[1]["position"])]
    assert [v["position"] for v in in_order] == list(range(1, len(alerts) + 1))
    assert all(key == value["account"] for key, value in alerts)

    def changes_of(account: str, kind: str, subject: str) -> list[str]:
        return [v["change"] for v in in_order if (v["account"], v["type"], v["subject"]) == (account, kind, subject)]

    assert changes_of("K-1", "limit_exceeded", "K-1") == ["raised", "cleared"]
    assert changes_of("K-2", "dispute_opened", "D-1") == ["raised", "cleared"]
    dispute = next(v for v in in_order if v["subject"] == "D-1")
    assert dispute["severity"] == SEVERITY["dispute_opened"]
    assert (dispute["effective_date"], dispute["details"]["invoice_id"]) == ("2026-03-05", "R0-1")
    assert "raised_at" in dispute and "cleared_at" in next(v for v in reversed(in_order) if v["subject"] == "D-1")

    # A second publisher on the same database starts where the first stopped.
    again = Publisher(ledger, engine, make_producer({"bootstrap_servers": kafka_bootstrap}), facts_topic, alerts_topic)
    assert again.publish_some() == 0


def _clear(account: str) -> tuple[str, dict[str, Any]]:
    return "clear", {"account": account, "type": "limit_exceeded", "subject": account, "at": datetime.now(UTC)}


def test_an_alert_change_committed_after_a_later_one_is_not_skipped(postgres_url: str, kafka_bootstrap: str,
                                                                     fresh_topic: str) -> None:  # fmt: skip
    """PostgreSQL draws `seq` before commit: a change committed late may hold a lower `seq`
    than one already visible. The publisher waits for it rather than step over it."""
    migrate(postgres_url)
    ledger, engine = Ledger(eventstore_env(postgres_url)), sync_engine(postgres_url)
    producer = make_producer({"bootstrap_servers": kafka_bootstrap})
    publisher = Publisher(ledger, engine, producer, f"{fresh_topic}-ledger", f"{fresh_topic}-alerts")
    try:
        with engine.connect() as early:
            early.begin()
            log_alert_changes(early, [_clear("EARLY")])  # seq 1, still open
            with engine.begin() as late:
                log_alert_changes(late, [_clear("LATE")])  # seq 2, committed
            assert publisher.publish_alerts() == 0
            early.commit()
        published, deadline = 0, time.monotonic() + 30  # other transactions on the server may hold it back
        while published < 2 and time.monotonic() < deadline:
            done = publisher.publish_alerts()
            published += done
            time.sleep(0 if done else 0.1)
        assert published == 2
    finally:
        ledger.close()
        engine.dispose()
    alerts = consume(kafka_bootstrap, f"{fresh_topic}-alerts", lambda m: len(m) >= 2)
    assert sorted((v["position"], v["account"]) for _, v in alerts) == [(1, "EARLY"), (2, "LATE")]


def _start(database_url: str, bootstrap: str, topics: tuple[str, str], log: Path, *extra: str) -> Any:
    """The command in its own process; its stderr to `log` (a pipe nobody reads could fill and block it)."""
    facts_topic, alerts_topic = topics
    env = {**os.environ, "O2C_DATABASE_URL": database_url, "O2C_KAFKA_BOOTSTRAP": bootstrap}
    command = [sys.executable, "-m", "o2c.cli", "kafka-publish", "--facts-topic", facts_topic, "--alerts-topic",
               alerts_topic, "--batch", "25", "--poll", "0.05", "--metrics-port", "0", *extra]  # fmt: skip
    with log.open("ab") as stderr:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=stderr)


def _wait_started(process: Any, log: Path, timeout_s: float = 60) -> None:
    ready, _, _ = select.select([process.stdout], [], [], timeout_s)
    assert ready and process.stdout.readline().startswith(b"publishing"), log.read_text()


def _wait_moved(probe: Publisher, topic: str, behind: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while probe.lag()[topic] == behind and time.monotonic() < deadline:
        time.sleep(0.002)


def test_killed_and_restarted_it_publishes_every_position_in_order_per_account(
    store: tuple[Ledger, Engine], database_url: str, kafka_bootstrap: str, fresh_topic: str, tmp_path: Path
) -> None:
    ledger, engine = store
    facts_topic = f"{fresh_topic}-ledger"
    topics = facts_topic, f"{fresh_topic}-alerts"
    create_topics(kafka_bootstrap, *topics)
    probe = Publisher(ledger, engine, None, *topics)
    log = tmp_path / "kafka-publish.log"
    killed_behind = []
    for round_ in range(3):
        record_round(ledger, round_, invoices=25 if round_ else 80)  # facts arrive between the crashes
        behind = probe.lag()[facts_topic]
        process = _start(database_url, kafka_bootstrap, topics, log, "--batch", str(random.randint(1, 3)))
        _wait_started(process, log)
        _wait_moved(probe, facts_topic, behind)  # killed at its first stored batch: mid-stream on any machine
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        killed_behind.append(probe.lag()[facts_topic])
    assert any(killed_behind), f"never killed while behind the log: {killed_behind}"
    finish = _start(database_url, kafka_bootstrap, topics, log, "--once")
    assert finish.wait(timeout=120) == 0, log.read_text()
    assert probe.lag()[facts_topic] == 0

    expected = ledger_positions(ledger)
    everything = {p for positions in expected.values() for p in positions}
    facts = consume(kafka_bootstrap, facts_topic, lambda m: {v["position"] for _, v in m} >= everything)
    assert {v["position"] for _, v in facts} == everything  # none missing
    assert followed(facts) == expected  # in order per account, once a consumer drops repeats

"""`o2c kafka-publish`: the ledger and its alerts out to Kafka, so a warehouse or a
CRM follows o2c without polling.

- Every recorded fact, in log order, to `o2c.ledger`, keyed by account (o2c's own
  settings under their `o2c:` codes), its value as the account's history renders it
  plus `account`.
- Every alert raised or cleared, in the order written, to `o2c.alerts`, keyed by
  account, read from rm_alert_changes (projections/schema.py): the projection appends
  there in the transaction that changes the alert, so no change is missed or invented.

At least once: a batch is produced (acks=all, idempotent producer), flushed, every
send confirmed, and only then its position stored in `kafka_published`; a crash in
between publishes the batch again. Each message carries its `position` (the ledger's,
or the alert change's count, the same on a republish): a consumer drops a message whose
position it has seen for that topic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, literal_column, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from o2c.api.routes.audit import history_entry
from o2c.config import LEDGER_TOPIC
from o2c.ledger.application import Ledger
from o2c.projections import schema
from o2c.projections.alerting import utc
from o2c.projections.partitions import store_checkpoint

FACTS_TOPIC = LEDGER_TOPIC
ALERTS_TOPIC = "o2c.alerts"
BATCH = 1000
SEND_TIMEOUT_S = 60.0
C, P = schema.alert_changes.c, schema.kafka_published.c
# PostgreSQL: every transaction below this id has ended; one that writes later has a higher id.
_HORIZON: Any = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


@dataclass(frozen=True)
class Published:
    """What a topic has had acknowledged: the ledger's position, or for alerts their
    count and the last change's (txid, seq)."""

    position: int = 0
    change_txid: int | None = None
    change_seq: int | None = None


def published(conn: Connection, topic: str) -> Published:
    row = conn.execute(select(P.position, P.change_txid, P.change_seq).where(P.topic == topic)).first()
    return Published(*row) if row else Published()


def store_published(conn: Connection, topic: str, done: Published) -> None:
    values = {"topic": topic, "position": done.position, "change_txid": done.change_txid,
              "change_seq": done.change_seq}  # fmt: skip
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(schema.kafka_published).values(values)
    # Only forward: a second publisher on the same topic repeats messages, it never moves this back.
    ahead = P.position < upsert.excluded.position
    conn.execute(upsert.on_conflict_do_update(index_elements=["topic"], set_=values, where=ahead))


def fact_message(position: int, event: Any) -> dict[str, Any]:
    entry = history_entry(position, event)
    return {"position": position, "event_id": entry["event_id"], "type": entry["type"],
            "account": event.originator_id, "data": entry["data"], "recorded_at": entry["recorded_at"]}  # fmt: skip


def alert_message(position: int, row: Any) -> dict[str, Any]:
    moment = "raised_at" if row.change == "raised" else "cleared_at"
    return {"position": position, "change": row.change, "account": row.account, "type": row.type,
            "subject": row.subject, **row.alert, moment: utc(row.at).isoformat()}  # fmt: skip


def alert_changes_after(conn: Connection, after: Published, limit: int) -> Sequence[Any]:
    """The next alert changes, in an order no later commit can break: on PostgreSQL by
    (txid, seq) and only from transactions that have ended (a `seq` drawn by a transaction
    still open may be lower than one already visible); on SQLite, one writer: by `seq`."""
    columns = select(C.seq, C.txid, C.change, C.account, C.type, C.subject, C.at, C.alert)
    if conn.dialect.name != "postgresql":
        return conn.execute(columns.where(C.seq > (after.change_seq or 0)).order_by(C.seq).limit(limit)).all()
    last = tuple_(C.txid, C.seq) > tuple_(after.change_txid or 0, after.change_seq or 0)
    query = columns.where(C.txid < _HORIZON, last).order_by(C.txid, C.seq).limit(limit)
    return conn.execute(query).all()


class Publisher:
    def __init__(
        self,
        ledger: Ledger,
        engine: Engine,
        producer: Any,  # a kafka.KafkaProducer (make_producer)
        facts_topic: str = FACTS_TOPIC,
        alerts_topic: str = ALERTS_TOPIC,
        on_published: Callable[[str, int, int], None] | None = None,  # topic, messages, position
    ) -> None:
        self.ledger, self.engine, self.producer = ledger, engine, producer
        self.facts_topic, self.alerts_topic = facts_topic, alerts_topic
        self.on_published = on_published

    def publish_facts(self, limit: int = BATCH) -> int:
        """The next facts of the log; returns how many were published."""
        with self.engine.connect() as conn:
            done = published(conn, self.facts_topic)
        notifications = self.ledger.recorder.select_notifications(done.position + 1, limit)
        if not notifications:
            return 0
        messages = [(str(n.originator_id), fact_message(n.id, self.ledger.mapper.to_domain_event(n)))
                    for n in notifications]  # fmt: skip
        ends = self._send(self.facts_topic, messages)
        self._store(self.facts_topic, Published(notifications[-1].id), len(messages), ends)
        return len(messages)

    def publish_alerts(self, limit: int = BATCH) -> int:
        """The next alert changes; returns how many were published."""
        with self.engine.connect() as conn:
            done = published(conn, self.alerts_topic)
            rows = alert_changes_after(conn, done, limit)
        if not rows:
            return 0
        self._send(self.alerts_topic, [(r.account, alert_message(done.position + i, r)) for i, r in enumerate(rows, 1)])
        self._store(self.alerts_topic, Published(done.position + len(rows), rows[-1].txid, rows[-1].seq), len(rows))
        return len(rows)

    def publish_some(self, limit: int = BATCH) -> int:
        return self.publish_facts(limit) + self.publish_alerts(limit)

    def run(self, stop: threading.Event, poll_s: float = 0.2, once: bool = False, limit: int = BATCH) -> None:
        """Publishes until `stop` is set (between batches), or when caught up if `once`."""
        while not stop.is_set():
            if self.publish_some(limit) == 0:
                if once:
                    return
                stop.wait(poll_s)

    def lag(self) -> dict[str, int]:
        """Per topic, what is recorded and not yet published: facts, alert changes."""
        head = self.ledger.recorder.max_notification_id() or 0
        with self.engine.connect() as conn:
            facts = published(conn, self.facts_topic)
            alerts = published(conn, self.alerts_topic)
            after = C.seq > (alerts.change_seq or 0)
            if conn.dialect.name == "postgresql":
                after = tuple_(C.txid, C.seq) > tuple_(alerts.change_txid or 0, alerts.change_seq or 0)
            waiting = conn.execute(select(func.count()).select_from(schema.alert_changes).where(after)).scalar()
        return {self.facts_topic: max(head - facts.position, 0), self.alerts_topic: int(waiting or 0)}

    def _send(self, topic: str, messages: list[tuple[str, dict[str, Any]]]) -> dict[int, int]:
        """Produces and waits until the broker has acknowledged every message (or raises);
        returns, per partition written to, the offset after the batch's last message there."""
        sent = [self.producer.send(topic, key=key.encode(), value=orjson.dumps(value)) for key, value in messages]
        self.producer.flush(timeout=SEND_TIMEOUT_S)
        ends: dict[int, int] = {}
        for future in sent:
            acked = future.get(timeout=SEND_TIMEOUT_S)
            ends[acked.partition] = max(ends.get(acked.partition, 0), acked.offset + 1)
        return ends

    def _store(self, topic: str, done: Published, messages: int, ends: dict[int, int] | None = None) -> None:
        with self.engine.begin() as conn:
            store_published(conn, topic, done)
            if ends:  # how the projection workers' offsets map to this position (projections/partitions.py)
                store_checkpoint(conn, topic, done.position, ends)
        if self.on_published is not None:
            self.on_published(topic, messages, done.position)


def make_producer(settings: dict[str, Any]) -> Any:
    """acks=all and idempotence: a retried send neither duplicates nor reorders a partition.
    Batches of 256 KiB: a thousand facts go in a few requests (~20% less CPU than 16 KiB)."""
    from kafka import KafkaProducer  # type: ignore[import-untyped]

    return KafkaProducer(**settings, acks="all", enable_idempotence=True, linger_ms=20, batch_size=256 * 1024)

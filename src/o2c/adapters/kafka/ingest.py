"""`o2c kafka-ingest`: ERP facts from a topic into the ledger, by the rules POST /v1/events follows.

A message holds one envelope (or a `{"events": [...]}` batch, recorded all or nothing, as
over REST); producers key it by account so that an account's facts stay in one partition,
in order. Messages are recorded in batches (O2C_KAFKA_BATCH_MAX messages or O2C_KAFKA_BATCH_MS
after the first), one ledger transaction per batch. Offsets are committed only once the
batch is recorded and its dead letters acknowledged: a crash or a rebalance re-delivers
what was not committed, and the event_id receipts absorb the repeats.

A message that is not JSON or breaks a rule goes to the dead-letter topic; the rest of its
batch is still recorded, in order, later facts of its account included: as REST would have
answered those facts posted one by one (a payment after a refused invoice is then refused
too, on its own merits, and dead-lettered beside it).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import FrameType
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaProducer
from kafka.errors import CommitFailedError
from kafka.structs import OffsetAndMetadata, TopicPartition

from o2c.adapters.kafka.dead_letters import DeadLetter, DeadLetters
from o2c.adapters.kafka.ingest_metrics import IngestMetrics
from o2c.adapters.kafka.settings import group_consumer, int_env
from o2c.api.envelopes import parse_body
from o2c.api.guards import too_large
from o2c.api.problems import Problem, violation_problem
from o2c.config import Settings
from o2c.ledger.application import ConcurrentWriters, Ledger
from o2c.ledger.envelope import Envelope, Outcome, Rejected

log = logging.getLogger("o2c.kafka.ingest")
IDLE_POLL_MS = 500  # how long an idle worker waits for messages before it looks at `stopping` again
IN_FLIGHT_POLL_MS = 20


@dataclass(frozen=True)
class IngestSettings:
    topic: str = "o2c.facts"
    dead_letter_topic: str = "o2c.facts.dlq"
    group: str = "o2c-ingest"
    batch_max: int = 500
    batch_ms: int = 200
    metrics_port: int = 9180
    session_timeout_ms: int = 10_000
    max_poll_interval_ms: int = 60_000
    max_message_bytes: int = Settings.max_body_bytes  # REST's body limit, O2C_MAX_BODY_BYTES

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestSettings:
        env = os.environ if env is None else env
        return cls(
            topic=env.get("O2C_KAFKA_INGEST_TOPIC", "").strip() or cls.topic,
            dead_letter_topic=env.get("O2C_KAFKA_DLQ_TOPIC", "").strip() or cls.dead_letter_topic,
            group=env.get("O2C_KAFKA_GROUP", "").strip() or cls.group,
            batch_max=int_env(env, "O2C_KAFKA_BATCH_MAX", cls.batch_max, 1, 10_000),
            batch_ms=int_env(env, "O2C_KAFKA_BATCH_MS", cls.batch_ms, 0, 60_000),
            metrics_port=int_env(env, "O2C_KAFKA_METRICS_PORT", cls.metrics_port, 0, 65_535),
            session_timeout_ms=int_env(env, "O2C_KAFKA_SESSION_TIMEOUT_MS", cls.session_timeout_ms, 1_000, 600_000),
            max_poll_interval_ms=int_env(
                env, "O2C_KAFKA_MAX_POLL_INTERVAL_MS", cls.max_poll_interval_ms, 1_000, 3_600_000
            ),
            max_message_bytes=int_env(env, "O2C_MAX_BODY_BYTES", cls.max_message_bytes, 1, 2**31),
        )


@dataclass(frozen=True)
class Parsed:
    message: Any  # the ConsumerRecord
    envelopes: list[Envelope]
    is_batch: bool


def parse(message: Any, max_bytes: int = Settings.max_body_bytes) -> Parsed | DeadLetter:
    """The message's envelopes, parsed and validated as REST's body is, or its dead letter."""
    try:
        if message.value is None:
            raise Problem(400, "malformed-json", "the message has no value (a tombstone is not a fact)")
        if len(message.value) > max_bytes:
            raise too_large(max_bytes)  # as REST answers such a body, before reading it
        envelopes, is_batch = parse_body(message.value)
    except Problem as problem:
        return DeadLetter(message, problem)
    return Parsed(message, envelopes, is_batch)


def record(ledger: Ledger, parsed: Sequence[Parsed]) -> tuple[list[Outcome], list[DeadLetter]]:
    """Records the messages in order, one transaction while none is refused; a refused
    message is dead-lettered and the messages around it are recorded without it."""
    outcomes: list[Outcome] = []
    letters: list[DeadLetter] = []
    rest = list(parsed)
    while rest:
        owners = [(n, j) for n, p in enumerate(rest) for j in range(len(p.envelopes))]
        try:
            outcomes += ledger.record([e for p in rest for e in p.envelopes])
            break
        except Rejected as rejected:
            n, j = owners[rejected.index]
            # What comes before was applied without fault; on fresh state it is checked again.
            head_outcomes, head_letters = record(ledger, rest[:n]) if n else ([], [])
            outcomes += head_outcomes
            prefix = f"events[{j}]." if rest[n].is_batch else ""
            letters += [*head_letters, DeadLetter(rest[n].message, violation_problem(rejected.violation, prefix))]
            rest = rest[n + 1 :]
    return outcomes, letters


@dataclass
class _Batch:
    """Messages read together: those that parsed go to the ledger, the others are dead letters."""

    messages: list[Any]
    parsed: list[Parsed]
    letters: list[DeadLetter]

    @classmethod
    def of(cls, messages: list[Any], max_bytes: int) -> _Batch:
        parsed: list[Parsed] = []
        letters: list[DeadLetter] = []
        for message in messages:
            outcome = parse(message, max_bytes)
            if isinstance(outcome, DeadLetter):
                letters.append(outcome)
            else:
                parsed.append(outcome)
        return cls(messages, parsed, letters)


class IngestWorker:
    """One consumer of the group: collects a batch, records it, dead-letters, commits.

    A batch is recorded on a thread of its own while the next one is fetched and parsed:
    the ledger's waits on PostgreSQL overlap the consumer's reading. One batch at most is
    in flight, and its offsets are committed only once it is recorded."""

    def __init__(
        self, ledger: Ledger, consumer: Any, dead_letters: DeadLetters, settings: IngestSettings, metrics: IngestMetrics
    ) -> None:
        self.ledger, self.consumer, self.dead_letters = ledger, consumer, dead_letters
        self.settings, self.metrics = settings, metrics
        self.pending: list[Any] = []
        self.in_flight: tuple[_Batch, Future[tuple[list[Outcome], list[DeadLetter]]]] | None = None
        self._recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="o2c-kafka-record")
        self.stopping = False
        self.failure: BaseException | None = None

    def subscribe(self) -> None:
        self.consumer.subscribe([self.settings.topic], listener=_FlushOnRevoke(self))

    def run(self) -> None:
        """Until `stopping`: then the batches in hand are recorded and committed."""
        while not self.stopping:
            self.step()
        self.drain()

    def step(self) -> None:
        self.collect()
        self.flush()
        if self.failure is not None:  # raised in the rebalance listener, which kafka-python only logs
            raise self.failure

    def collect(self) -> None:
        """Polls until the batch is full, or O2C_KAFKA_BATCH_MS after its first message, or idle."""
        deadline: float | None = None
        # With a batch in flight, an idle topic is not waited on: the batch is settled sooner.
        idle_ms = IN_FLIGHT_POLL_MS if self.in_flight else IDLE_POLL_MS
        while len(self.pending) < self.settings.batch_max and not self.stopping:
            if deadline is None:
                timeout_ms = idle_ms
            else:
                timeout_ms = int((deadline - time.monotonic()) * 1000)
                if timeout_ms <= 0:
                    return
            polled = self.consumer.poll(timeout_ms=timeout_ms, max_records=self.settings.batch_max - len(self.pending))
            messages = [m for records in polled.values() for m in records]
            if not messages and deadline is None:
                return
            if messages and deadline is None:
                deadline = time.monotonic() + self.settings.batch_ms / 1000
            self.pending += messages

    def flush(self, in_rebalance: bool = False) -> None:
        """Parses the messages in hand, settles the batch in flight, then sets this one recording."""
        messages, self.pending = self.pending, []
        batch = _Batch.of(messages, self.settings.max_message_bytes) if messages else None
        if batch:
            self.metrics.consumed.inc(len(messages))
        self.settle(in_rebalance)
        if batch:
            self.in_flight = batch, self._recorder.submit(self._record, batch.parsed)
        if not in_rebalance:
            self._observe_lag()

    def drain(self, in_rebalance: bool = False) -> None:
        """Everything in hand recorded, dead-lettered and committed (a rebalance, a stop)."""
        self.flush(in_rebalance)
        self.settle(in_rebalance)

    def settle(self, in_rebalance: bool = False) -> None:
        """Waits for the batch in flight, then dead-letters its refusals and commits its offsets."""
        if self.in_flight is None:
            return
        (batch, recording), self.in_flight = self.in_flight, None
        outcomes, refused = recording.result()
        letters = sorted([*batch.letters, *refused], key=lambda d: (d.message.partition, d.message.offset))
        if letters:  # in their partitions' order, as their accounts sent them
            self.dead_letters.send(letters)
            for letter in letters:
                self.metrics.dead_lettered.labels(letter.kind).inc()
                m = letter.message
                log.warning("dead-lettered %s[%d]@%d: %s", m.topic, m.partition, m.offset, letter.problem.detail)
        self._commit(batch.messages, in_rebalance)
        recorded = sum(1 for o in outcomes if o.status == "recorded")
        self.metrics.recorded.inc(recorded)
        self.metrics.duplicates.inc(len(outcomes) - recorded)
        self.metrics.batches.inc()

    def _record(self, parsed: list[Parsed]) -> tuple[list[Outcome], list[DeadLetter]]:
        """Nothing is committed until this returns: retrying is safe, the receipts absorb what
        an attempt recorded before other writers won the race."""
        attempt = 0
        while True:
            try:
                return record(self.ledger, parsed)
            except ConcurrentWriters as e:
                attempt += 1
                self.metrics.conflicts.inc()
                log.warning("%s; retrying the batch (attempt %d)", e, attempt)
                time.sleep(min(0.1 * attempt, 5.0))

    def _commit(self, messages: list[Any], in_rebalance: bool) -> None:
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for m in messages:
            tp = TopicPartition(m.topic, m.partition)
            if tp not in offsets or offsets[tp].offset <= m.offset:
                offsets[tp] = OffsetAndMetadata(m.offset + 1, "", -1)
        if in_rebalance:
            # kafka-python 3 runs rebalance listeners on its IO thread, where a blocking commit
            # is refused: the commit is sent ahead of the group's rejoin instead. Should it be
            # refused (the generation moved on), the new owner re-reads what it covered and the
            # receipts absorb it.
            self.consumer.commit_async(offsets, callback=_log_refused_commit)
            return
        try:
            self.consumer.commit(offsets)
        except CommitFailedError as e:
            # The group moved these partitions on (this worker was too slow): their new owner
            # re-reads from the last commit, and the receipts absorb what this batch recorded.
            log.warning("offsets not committed, the group rebalanced: %s", e)

    def _observe_lag(self) -> None:
        lag = self.metrics.lag.partitions
        lag.clear()
        for tp in self.consumer.assignment():
            end = self.consumer.highwater(tp)
            if end is not None:
                lag[(tp.topic, tp.partition)] = max(end - self.consumer.position(tp), 0)

    def stop(self, signum: int = 0, _: FrameType | None = None) -> None:
        self.stopping = True


def _log_refused_commit(offsets: Any, response: Any) -> None:
    if isinstance(response, BaseException):
        log.warning("offsets not committed at a rebalance, their new owner re-reads them: %s", response)


class _FlushOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before a rebalance takes partitions away, the batch read from them is recorded and committed."""

    def __init__(self, worker: IngestWorker) -> None:
        self.worker = worker

    def on_partitions_revoked(self, revoked: Any) -> None:
        try:
            self.worker.drain(in_rebalance=True)
        except BaseException as e:  # kafka-python would only log it: the worker raises it after the poll
            self.worker.failure = e

    def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("assigned %s", sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned))


def main(ledger: Ledger, settings: IngestSettings, connection: dict[str, Any]) -> None:
    """Runs a worker until SIGTERM or SIGINT; then leaves the group cleanly."""
    consumer = group_consumer(connection, "o2c-kafka-ingest", settings.group, settings.batch_max,
                              settings.session_timeout_ms, settings.max_poll_interval_ms)  # fmt: skip
    producer = KafkaProducer(**connection, client_id="o2c-kafka-ingest-dlq", acks="all")
    metrics = IngestMetrics()
    metrics.serve(settings.metrics_port)
    worker = IngestWorker(ledger, consumer, DeadLetters(producer, settings.dead_letter_topic), settings, metrics)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.subscribe()
    log.info(
        "consuming %s as group %s (dead letters to %s)", settings.topic, settings.group, settings.dead_letter_topic
    )
    try:
        worker.run()
    finally:
        consumer.close(autocommit=False)  # leaves the group: its partitions move on at once
        producer.close()
    log.info("stopped; offsets committed")

"""A Kafka message is held to REST's body limits (O2C_MAX_BODY_BYTES): over it, the dead
letter carries the 413 problem REST answers, and the message is not parsed."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from o2c.adapters.kafka.dead_letters import DeadLetter
from o2c.adapters.kafka.ingest import IngestSettings, Parsed, parse


@dataclass
class Message:
    value: bytes | None
    topic: str = "o2c.facts"
    partition: int = 0
    offset: int = 0


FACT = orjson.dumps({"event_id": "e-1", "type": "AccountOpened", "account": "ACME",
                     "data": {"name": "Acme", "credit_limit": "1000.00", "currency": "EUR"}})  # fmt: skip


def test_a_message_over_the_limit_is_dead_lettered_as_rest_answers_it() -> None:
    outcome = parse(Message(FACT), max_bytes=len(FACT) - 1)
    assert isinstance(outcome, DeadLetter)
    assert (outcome.problem.status, outcome.kind) == (413, "too-large")
    assert str(len(FACT) - 1) in outcome.problem.detail


def test_a_message_at_the_limit_is_parsed() -> None:
    outcome = parse(Message(FACT), max_bytes=len(FACT))
    assert isinstance(outcome, Parsed) and outcome.envelopes[0].event_id == "e-1"


def test_the_limit_is_rests() -> None:
    assert IngestSettings.from_env({"O2C_MAX_BODY_BYTES": "2048"}).max_message_bytes == 2048
    assert IngestSettings.from_env({}).max_message_bytes == 4 * 1024 * 1024

"""The dead-letter topic: a message o2c cannot record, with why, and where it came from.

Value: the problem+json REST would have answered for it. Key: the original key (the
account), so an account's dead letters stay in order. Headers: `o2c.original.topic`,
`.partition`, `.offset`, `.key`, `.value` (to fix and replay it after the topic's
retention) and `o2c.problem.status`. Dead letters are written at least once: after a
crash between the dead letter and the offsets' commit the same message is dead-lettered
again; (topic, partition, offset) identifies it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kafka.producer.future import FutureRecordMetadata

from o2c.api.problems import Problem, problem_response

SEND_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class DeadLetter:
    message: Any  # the kafka ConsumerRecord
    problem: Problem

    @property
    def kind(self) -> str:
        return self.problem.kind

    def headers(self) -> list[tuple[str, bytes]]:
        m = self.message
        return [
            ("o2c.original.topic", m.topic.encode()),
            ("o2c.original.partition", str(m.partition).encode()),
            ("o2c.original.offset", str(m.offset).encode()),
            ("o2c.original.key", m.key or b""),
            ("o2c.original.value", m.value or b""),
            ("o2c.problem.status", str(self.problem.status).encode()),
        ]


class DeadLetters:
    def __init__(self, producer: Any, topic: str) -> None:
        self.producer, self.topic = producer, topic

    def send(self, letters: list[DeadLetter]) -> None:
        """Writes every dead letter and waits until the brokers have them all (acks=all):
        only then may the offsets that skip their messages be committed."""
        futures: list[FutureRecordMetadata] = [
            self.producer.send(
                self.topic,
                key=letter.message.key,
                value=bytes(problem_response(letter.problem).body),
                headers=letter.headers(),
            )
            for letter in letters
        ]
        self.producer.flush(timeout=SEND_TIMEOUT_S)
        for future in futures:
            future.get(timeout=SEND_TIMEOUT_S)  # raises the broker's refusal, if any

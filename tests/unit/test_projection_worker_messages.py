"""What a projection worker takes from the ledger topic: the ledger position each message
carries (anything else stops it, named), and which accounts its partitions hold, as the
publisher's producer placed them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from kafka.partitioner.default import DefaultPartitioner

from o2c.adapters.kafka.project import delivery, partitioner
from o2c.projections.partitioned import Delivery


def record(value: bytes) -> Any:
    return SimpleNamespace(value=value, topic="o2c.ledger", partition=2, offset=7)


def test_a_message_gives_its_place_and_ledger_position() -> None:
    assert delivery(record(b'{"position": 42, "type": "InvoiceIssued"}')) == Delivery(2, 7, 42)


@pytest.mark.parametrize("value", [b"not json", b"{}", b'{"position": "42"}', b'{"position": true}', b"[42]",
                                   b'{"position": 0}', b'{"position": 4.2}'])  # fmt: skip
def test_a_message_without_a_ledger_position_stops_the_worker_naming_it(value: bytes) -> None:
    with pytest.raises(ValueError, match=r"o2c\.ledger\[2\] offset 7 is not a fact of `o2c kafka-publish`"):
        delivery(record(value))


class Cluster:
    def __init__(self, partitions: int) -> None:
        self.count = partitions

    def topics(self) -> set[str]:
        return {"o2c.ledger"}

    def partitions_for_topic(self, _: str) -> set[int]:
        return set(range(self.count))

    def available_partitions_for_topic(self, _: str) -> set[int]:
        return set(range(self.count))


@pytest.mark.parametrize("partitions", [1, 4, 6, 24])
def test_an_accounts_partition_is_the_one_the_producer_chose(partitions: int) -> None:
    producer = DefaultPartitioner()
    for code in ["C-1001", "DEMO-0001", "o2c:fx:2026-01-02", "Émile & Fils", "K-" + "9" * 150]:
        chosen = producer.partition("o2c.ledger", code.encode(), code.encode(), None, None, Cluster(partitions))
        assert partitioner(partitions)(code) == chosen

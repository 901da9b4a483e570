"""Base for aggregates identified by a business key (the ERP's customer code)
rather than a UUID, whose every event carries the ERP's id for the fact."""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate, MetaDomainEvent


class KeyedAggregate(BaseAggregate[str]):
    class Event(CanMutateAggregate[str], metaclass=MetaDomainEvent):
        originator_id: str
        originator_version: int
        timestamp: datetime  # when o2c recorded the fact
        event_id: str  # the ERP's id for the fact: its idempotency key

    class Created(Event, CanInitAggregate[str]):
        originator_topic: str

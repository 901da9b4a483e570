"""What an administrator records beside the ERP's facts: dunning scenarios,
monthly budgets and exchange rates. Each is an aggregate of its own in the same
event store, so the log an auditor replays holds them too."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError

from o2c.domain.aggregate import KeyedAggregate
from o2c.domain.budgets import Budget
from o2c.domain.fx_rates import DailyRates
from o2c.domain.scenarios import Scenario, Step
from o2c.ledger.application import Ledger

Setting = TypeVar("Setting", bound=KeyedAggregate)


def _stored(ledger: Ledger, aggregate_id: str, kind: type[Setting]) -> Setting | None:
    try:
        aggregate: object = ledger.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    assert isinstance(aggregate, kind)
    return aggregate


def _record(
    ledger: Ledger,
    aggregate_id: str,
    kind: type[Setting],
    create: Callable[[str], Setting],
    revise: Callable[[Setting, str], None],
) -> tuple[Setting, int]:
    """Records a setting's first version, or its next one; returns it and its position."""
    event_id = f"o2c-{aggregate_id.split(':')[1]}-{uuid.uuid4().hex}"  # o2c-scenario-…, o2c-fx-…
    with ledger.write_lock:
        aggregate = _stored(ledger, aggregate_id, kind)
        if aggregate is None:
            aggregate = create(event_id)
        else:
            revise(aggregate, event_id)
        recordings = ledger.save(aggregate)
    return aggregate, recordings[-1].notification.id


def define_scenario(
    ledger: Ledger, name: str, steps: Sequence[Step], risk_classes: Sequence[str]
) -> tuple[Scenario, int]:
    return _record(
        ledger, Scenario.create_id(name), Scenario,
        lambda event_id: Scenario.define(name, event_id, steps, risk_classes),
        lambda scenario, event_id: scenario.redefine(event_id, steps, risk_classes),
    )  # fmt: skip


def stored_scenario(ledger: Ledger, name: str) -> Scenario | None:
    return _stored(ledger, Scenario.create_id(name), Scenario)


def set_budget(ledger: Ledger, month: str, figures: Mapping[str, Decimal]) -> tuple[Budget, int]:
    return _record(
        ledger, Budget.create_id(month), Budget,
        lambda event_id: Budget.set(month, event_id, figures),
        lambda budget, event_id: budget.revise(event_id, figures),
    )  # fmt: skip


def record_rates(ledger: Ledger, rate_date: date, base: str, rates: Mapping[str, Any]) -> tuple[DailyRates, int]:
    """A day's rates; a second PUT of the day replaces its document (a new version)."""
    return _record(
        ledger, DailyRates.create_id(rate_date), DailyRates,
        lambda event_id: DailyRates.record(rate_date, event_id, base, rates),
        lambda daily, event_id: daily.replace(event_id, base, rates),
    )  # fmt: skip


def stored_rates(ledger: Ledger, rate_date: date) -> DailyRates | None:
    return _stored(ledger, DailyRates.create_id(rate_date), DailyRates)

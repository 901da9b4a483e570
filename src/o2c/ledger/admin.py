"""What an administrator records beside the ERP's facts: dunning scenarios and
monthly budgets. Each is an aggregate of its own in the same event store, so
the log an auditor replays holds them too."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal

from eventsourcing.application import AggregateNotFoundError

from o2c.domain.budgets import Budget
from o2c.domain.scenarios import Scenario, Step
from o2c.ledger.application import Ledger


def _event_id(kind: str) -> str:
    return f"o2c-{kind}-{uuid.uuid4().hex}"


def define_scenario(
    ledger: Ledger, name: str, steps: Sequence[Step], risk_classes: Sequence[str]
) -> tuple[Scenario, int]:
    """Records a scenario's first or next version; returns it and its position."""
    with ledger.write_lock:
        try:
            scenario = ledger.repository.get(Scenario.create_id(name))
            assert isinstance(scenario, Scenario)
            scenario.redefine(_event_id("scenario"), steps, risk_classes)
        except AggregateNotFoundError:
            scenario = Scenario.define(name, _event_id("scenario"), steps, risk_classes)
        recordings = ledger.save(scenario)
    return scenario, recordings[-1].notification.id


def stored_scenario(ledger: Ledger, name: str) -> Scenario | None:
    try:
        scenario = ledger.repository.get(Scenario.create_id(name))
    except AggregateNotFoundError:
        return None
    assert isinstance(scenario, Scenario)
    return scenario


def set_budget(ledger: Ledger, month: str, figures: Mapping[str, Decimal]) -> tuple[Budget, int]:
    with ledger.write_lock:
        try:
            budget = ledger.repository.get(Budget.create_id(month))
            assert isinstance(budget, Budget)
            budget.revise(_event_id("budget"), figures)
        except AggregateNotFoundError:
            budget = Budget.set(month, _event_id("budget"), figures)
        recordings = ledger.save(budget)
    return budget, recordings[-1].notification.id

"""o2c's own aggregates in the log (dunning scenarios, budgets), as the read
model keeps them: the latest version of each, for the agenda and the report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from o2c.domain.budgets import Budget
from o2c.domain.scenarios import Scenario
from o2c.projections.batch import Batch


def project_setting(aggregate: Any, recorded_at: datetime, batch: Batch) -> None:
    if isinstance(aggregate, Scenario):
        current = aggregate.current
        batch.scenarios[aggregate.name] = {
            "name": aggregate.name, "version": current.version, "recorded_at": current.recorded_at,
            "steps": [{"offset_days": s.offset_days, "channel": s.channel, "action": s.action} for s in current.steps],
            "risk_classes": list(current.risk_classes),
        }  # fmt: skip
    elif isinstance(aggregate, Budget):
        batch.budgets[aggregate.month] = {
            "month": aggregate.month, "recorded_at": recorded_at,
            "figures": {name: str(value) for name, value in aggregate.figures.items()},
        }  # fmt: skip

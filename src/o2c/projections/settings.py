"""o2c's own aggregates in the log (dunning scenarios, budgets, exchange rates),
as the read model keeps them: the latest version of each, for the agenda, the
report and the conversions of portfolio views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from o2c.domain.budgets import Budget
from o2c.domain.fx_rates import DailyRates, written
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
    elif isinstance(aggregate, DailyRates):
        # The day's document as a whole: a replacement drops the quotes it no longer holds.
        rates = aggregate.current
        batch.fx_rates[aggregate.rate_date] = [
            {"rate_date": aggregate.rate_date, "quote": quote, "base": rates.base, "rate": written(rate),
             "version": rates.version, "recorded_at": rates.recorded_at}
            for quote, rate in rates.rates.items()
        ]  # fmt: skip

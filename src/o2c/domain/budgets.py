"""A month's budget for the management report: the figures management aims
for (DSO, overdue rate, cash collected, …). Kept in the ledger like every
other fact, so the report can be read against the budget as it stood."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from eventsourcing.domain import event

from o2c.domain.aggregate import KeyedAggregate
from o2c.domain.errors import Invalid

BUDGET_PREFIX = "o2c:budget:"
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# What a budget may set, each compared with the report's figure of the same name.
BUDGET_FIGURES = ("dso", "best_possible_dso", "average_days_delinquent", "cei", "overdue_rate", "cash_collected",
                  "outstanding", "disputes_opened")  # fmt: skip


def check_month(field: str, month: str) -> str:
    if not MONTH.fullmatch(month):
        raise Invalid(field, "must be a month written YYYY-MM")
    return month


def check_figures(figures: Mapping[str, Decimal]) -> dict[str, Decimal]:
    if not figures:
        raise Invalid("figures", f"must set at least one of {', '.join(BUDGET_FIGURES)}")
    for name, value in figures.items():
        if name not in BUDGET_FIGURES:
            raise Invalid(f"figures.{name}", f"is not a budget figure; one of {', '.join(BUDGET_FIGURES)}")
        if not value.is_finite() or value < 0:
            raise Invalid(f"figures.{name}", "must be a finite number, zero or more")
    return dict(figures)


class Budget(KeyedAggregate):
    @staticmethod
    def create_id(month: str) -> str:
        return BUDGET_PREFIX + month

    @classmethod
    def set(cls, month: str, event_id: str, figures: Mapping[str, Decimal]) -> Budget:
        return cls(month=check_month("month", month), event_id=event_id, figures=check_figures(figures))

    @event("BudgetSet")
    def __init__(self, month: str, event_id: str, figures: dict[str, Decimal]) -> None:
        self.month = month
        self.figures = dict(figures)

    def revise(self, event_id: str, figures: Mapping[str, Decimal]) -> None:
        self._revise(event_id, check_figures(figures))

    @event("BudgetRevised")
    def _revise(self, event_id: str, figures: dict[str, Decimal]) -> None:
        self.figures = dict(figures)

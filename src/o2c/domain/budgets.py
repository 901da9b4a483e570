"""A month's budget for the management report: the figures management aims
for (DSO, overdue rate, cash collected, …). Kept in the ledger like every
other fact, so the report can be read against the budget as it stood."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from eventsourcing.domain import event

from o2c.domain.aggregate import KeyedAggregate
from o2c.domain.errors import Invalid
from o2c.domain.limits import FIRST_BUSINESS_DATE, LAST_BUSINESS_DATE

BUDGET_PREFIX = "o2c:budget:"
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")  # ASCII: `\d` takes "٢٠٢٦" too
# What a budget may set, each compared with the report's figure of the same name.
BUDGET_FIGURES = ("dso", "best_possible_dso", "average_days_delinquent", "cei", "overdue_rate", "cash_collected",
                  "outstanding", "disputes_opened")  # fmt: skip


# Each figure is bounded by what its unit can mean (a DSO of ten years is no target),
# so the report can show budget, actual and variance whatever was budgeted.
MAX_BUDGET_DAYS = Decimal(3650)
MAX_BUDGET_PERCENT = Decimal(100)
MAX_BUDGET_MONEY = Decimal(10) ** 15  # a portfolio's figure, not one fact's
MAX_BUDGET_COUNT = Decimal(10) ** 9
BUDGET_PLACES = 4
_BOUNDS = {"dso": MAX_BUDGET_DAYS, "best_possible_dso": MAX_BUDGET_DAYS, "average_days_delinquent": MAX_BUDGET_DAYS,
           "cei": MAX_BUDGET_PERCENT, "overdue_rate": MAX_BUDGET_PERCENT, "cash_collected": MAX_BUDGET_MONEY,
           "outstanding": MAX_BUDGET_MONEY, "disputes_opened": MAX_BUDGET_COUNT}  # fmt: skip


def month_days(field: str, month: str) -> tuple[date, date]:
    """The first and last days of a month written YYYY-MM, inside the business-date window."""
    if not MONTH.fullmatch(month):
        raise Invalid(field, "must be a month written YYYY-MM")
    year, number = int(month[:4]), int(month[5:])
    if not FIRST_BUSINESS_DATE.year <= year <= LAST_BUSINESS_DATE.year:
        raise Invalid(field, f"must lie between {FIRST_BUSINESS_DATE:%Y-%m} and {LAST_BUSINESS_DATE:%Y-%m}")
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def check_month(field: str, month: str) -> str:
    month_days(field, month)
    return month


def check_figures(figures: Mapping[str, Decimal]) -> dict[str, Decimal]:
    if not figures:
        raise Invalid("figures", f"must set at least one of {', '.join(BUDGET_FIGURES)}")
    for name, value in figures.items():
        if name not in BUDGET_FIGURES:
            raise Invalid(f"figures.{name}", f"is not a budget figure; one of {', '.join(BUDGET_FIGURES)}")
        bound = _BOUNDS[name]
        if not value.is_finite() or not 0 <= value <= bound:
            raise Invalid(f"figures.{name}", f"must be a number from 0 to {bound:,}")
        if value != value.quantize(Decimal(1).scaleb(-BUDGET_PLACES)):
            raise Invalid(f"figures.{name}", f"has more than {BUDGET_PLACES} decimal places")
        if name == "disputes_opened" and value != value.to_integral_value():
            raise Invalid(f"figures.{name}", "must be a whole number")
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

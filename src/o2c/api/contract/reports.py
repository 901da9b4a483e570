"""The monthly management report and its budget, as api/routes/reports.py and
api/monthly_figures.py write them. The top-level figures are in one currency
(the portfolio's one, `currency=`, or the reporting currency) or, mixed and not
converted, every amount and ratio is null; counts are in no currency."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, create_model

from o2c.api.contract.figures import Amount, Answer, CurrencyCode, InCurrency, OneDecimal
from o2c.api.monthly_figures import AGING_MEASURES
from o2c.domain.budgets import BUDGET_FIGURES, MONTH
from o2c.domain.monthly_report import COMMITMENT_COUNTS
from o2c.domain.receivables import DEFAULT_BOUNDARIES, bucket_labels

MONTH_TEXT = f"^{MONTH.pattern}$"
# A budget recorded before figures were bounded is shown as recorded ("1E+30").
BUDGET_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?(E[+-]?[0-9]+)?$"


class MonthlyDso(Answer):
    method: Literal["countback"]
    days: int = Field(description="the window, in days")
    dso: OneDecimal | None
    best_possible_dso: OneDecimal | None
    average_days_delinquent: OneDecimal | None
    receivables: Amount | None
    sales: Amount | None = Field(description="invoiced sales over the window")


# The report's aging has the default buckets (current, 1-30, … 120+) and its measures.
_AGING_KEYS = [*bucket_labels(DEFAULT_BOUNDARIES), *AGING_MEASURES]
MonthlyAgingTotals: Any = create_model(
    "MonthlyAgingTotals",
    __base__=Answer,
    **{f"key_{i}": (Amount | None, Field(alias=key)) for i, key in enumerate(_AGING_KEYS)},  # type: ignore[call-overload]
)


class MonthlyAging(Answer):
    buckets: list[str] = Field(description="the bucket labels, in order")
    totals: MonthlyAgingTotals  # type: ignore[valid-type]


class TopExposure(Answer):
    account: str
    name: str
    currency: CurrencyCode = Field(description="the account's")
    exposure: Amount = Field(description="in the account's currency")
    credit_limit: Amount = Field(description="in the account's currency")
    converted_exposure: Amount | None = Field(description="in the report's currency, once converted")


class MonthlyDisputes(Answer):
    opened: int
    opened_amount: Amount | None
    resolved: int
    resolved_amount: Amount | None


Commitments: Any = create_model(
    "MonthlyCommitments",
    __base__=Answer,
    __doc__="Promises and plans due in the month and kept, or broken in it (absent when no currency is held).",
    **{name: (int, Field(default=0)) for name in COMMITMENT_COUNTS},  # type: ignore[call-overload]
)


class MonthFigures(Answer):
    dso: MonthlyDso
    cei: OneDecimal | None = Field(description="collection effectiveness index, percent")
    overdue_rate: OneDecimal | None = Field(description="overdue / outstanding, percent")
    outstanding: Amount | None
    overdue: Amount | None
    cash_collected: Amount | None = Field(description="payments received in the month")
    aging: MonthlyAging
    top_exposures: list[TopExposure]
    disputes: MonthlyDisputes
    promises: Commitments  # type: ignore[valid-type]


class CurrencyMonth(MonthFigures):
    currency: CurrencyCode


class BudgetLine(Answer):
    budget: str = Field(pattern=BUDGET_DECIMAL)
    actual: str | None = Field(pattern=BUDGET_DECIMAL, description="null when the figure is not known")
    variance: str | None = Field(pattern=BUDGET_DECIMAL, description="actual minus budget")


Budget: Any = create_model(
    "MonthlyBudget",
    __base__=Answer,
    __doc__="Each figure budgeted, held against the top-level figures.",
    **{name: (BudgetLine, Field(default=None)) for name in BUDGET_FIGURES},  # type: ignore[call-overload]
)


class MonthlyReport(InCurrency, MonthFigures):
    month: str = Field(pattern=MONTH_TEXT, examples=["2026-03"])
    from_: date = Field(alias="from", description="the month's first day")
    to: date = Field(description="the month's last day")
    as_of: date = Field(description="the month's last day, or today for the month under way")
    complete: bool = Field(description="false for the month under way")
    by_currency: list[CurrencyMonth] = Field(description="the same figures in each currency held")
    budget: Budget | None = Field(description="null without a budget, or for a part of the portfolio")  # type: ignore[valid-type]


BudgetFigures: Any = create_model(
    "BudgetFigures",
    __base__=Answer,
    **{name: (str, Field(default=None, pattern=BUDGET_DECIMAL)) for name in BUDGET_FIGURES},  # type: ignore[call-overload]
)


class RecordedBudget(Answer):
    month: str = Field(pattern=MONTH_TEXT)
    figures: BudgetFigures  # type: ignore[valid-type]
    position: int = Field(description="its position in the log, for `X-O2C-After`")

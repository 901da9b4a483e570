"""The monthly report's figures as the answer writes them: a month in one currency
(or converted into one) rendered at that currency's minor unit, or, when the
currencies are mixed and not converted, every amount and ratio null; and the
budget held against the top-level figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from o2c.api.render import amount, money, one_decimal, percent
from o2c.domain.money import ZERO
from o2c.domain.monthly_report import COMMITMENT_COUNTS, Exposure, Month, Movements, counts
from o2c.domain.receivables import ReceivablesPosition, dso


@dataclass(frozen=True)
class Frame:
    first: date
    as_of: date
    days: int  # of the DSO window
    labels: list[str]  # aging buckets


def nothing(frame: Frame) -> Month:
    """A currency with no figure in the month (one asked for with `currency=` that no account is kept in)."""
    owed = ReceivablesPosition(ZERO, ZERO, ZERO, {})
    none_kept = dict.fromkeys(COMMITMENT_COUNTS, 0)
    return Month(owed, owed, (ZERO,) * len(frame.labels), ZERO, ZERO, Movements(), Movements(), none_kept, ())


def figures(
    month: Month | None, currency: str | None, frame: Frame, counted: list[Month]
) -> tuple[dict[str, Any], dict[str, Decimal | None]]:
    """The report's figures in `currency` (and the actuals a budget is held against);
    with no month (currencies mixed, not converted) every amount and ratio is null.
    Counts (disputes, promises and plans) are in no currency: those of `counted` add up."""
    if month is None or currency is None:
        rendered: dict[str, Any] = {
            "dso": {"method": "countback", "days": frame.days, **dict.fromkeys(DSO_FIGURES)},
            "aging": {"buckets": frame.labels, "totals": dict.fromkeys([*frame.labels, *AGING_MEASURES])},
            "top_exposures": [], **dict.fromkeys(FIGURES),
        }  # fmt: skip
        actual: dict[str, Decimal | None] = {}
        disputes = dict.fromkeys(("opened_amount", "resolved_amount"))
    else:
        rendered, actual = _in_one_currency(month, currency, frame)
        disputes = {"opened_amount": amount(month.disputes.up, currency),
                    "resolved_amount": amount(month.disputes.down, currency)}  # fmt: skip
    opened = sum(m.disputes.up_count for m in counted)
    rendered["disputes"] = {"opened": opened, "opened_amount": disputes["opened_amount"],
                            "resolved": sum(m.disputes.down_count for m in counted),
                            "resolved_amount": disputes["resolved_amount"]}  # fmt: skip
    rendered["promises"] = counts(counted)
    actual["disputes_opened"] = Decimal(opened)
    return rendered, actual


DSO_FIGURES = ("dso", "best_possible_dso", "average_days_delinquent", "receivables", "sales")
AGING_MEASURES = ("total", "unapplied_cash", "disputed")
FIGURES = ("cei", "overdue_rate", "outstanding", "overdue", "cash_collected")


def _in_one_currency(month: Month, currency: str, frame: Frame) -> tuple[dict[str, Any], dict[str, Decimal | None]]:
    sales_days = dso(month.end, as_of=frame.as_of, days=frame.days, method="countback")
    effectiveness = month.effectiveness(frame.first, frame.as_of)
    aging = dict(zip(frame.labels, month.aging, strict=True))
    rendered = {
        "dso": {"method": "countback", "days": frame.days, "dso": one_decimal(sales_days.dso),
                "best_possible_dso": one_decimal(sales_days.best_possible_dso),
                "average_days_delinquent": one_decimal(sales_days.average_days_delinquent),
                "receivables": amount(sales_days.receivables, currency), "sales": amount(sales_days.sales, currency)},
        "cei": one_decimal(effectiveness),
        "overdue_rate": percent(sales_days.overdue_rate),
        "outstanding": amount(month.end.outstanding, currency), "overdue": amount(month.end.overdue, currency),
        "aging": {"buckets": frame.labels, "totals": {
            **{label: amount(value, currency) for label, value in aging.items()},
            "total": amount(sum(month.aging, ZERO), currency), "unapplied_cash": amount(month.unapplied, currency),
            "disputed": amount(month.disputed, currency)}},
        "top_exposures": [exposure(e, currency) for e in month.top],
        "cash_collected": amount(month.cash.up, currency),
    }  # fmt: skip
    actual: dict[str, Decimal | None] = {
        "dso": sales_days.dso, "best_possible_dso": sales_days.best_possible_dso,
        "average_days_delinquent": sales_days.average_days_delinquent, "cei": effectiveness,
        "overdue_rate": None if sales_days.overdue_rate is None else sales_days.overdue_rate * 100,
        "cash_collected": month.cash.up, "outstanding": month.end.outstanding,
    }  # fmt: skip
    return rendered, actual


def exposure(e: Exposure, currency: str) -> dict[str, Any]:
    """An account's exposure in its own currency, and in `currency` once converted."""
    return {"account": e.account, "name": e.name, "currency": e.currency, "exposure": amount(e.exposure, e.currency),
            "credit_limit": amount(e.credit_limit, e.currency),
            "converted_exposure": None if e.converted is None else amount(e.converted, currency)}  # fmt: skip


def against(budget: dict[str, Decimal], actual: dict[str, Decimal | None], currency: str | None) -> dict[str, Any]:
    """Budget, actual and variance of each figure budgeted; amounts in the top-level currency."""
    in_currency: Callable[[Decimal], str] = money if currency is None else partial(amount, currency=currency)
    out = {}
    for name, target in budget.items():
        value = actual.get(name)
        rounded = in_currency if name in ("cash_collected", "outstanding") else one_decimal

        def show(figure: Decimal, rounded: Callable[[Decimal], str | None] = rounded) -> str | None:
            # A budget recorded before figures were bounded ("1E+30") has more digits than
            # rounding holds: it is shown as recorded rather than failing the whole report.
            try:
                return rounded(figure)
            except ArithmeticError:
                return str(figure)

        out[name] = {"budget": show(target), "actual": None if value is None else show(value),
                     "variance": None if value is None else show(value - target)}  # fmt: skip
    return out

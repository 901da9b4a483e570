"""The monthly report as CSV: the top-level figures (scope `portfolio`, in the
answer's currency, blank when mixed), then each currency's (scope `currency`)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from o2c.api.monthly_figures import FIGURES
from o2c.api.spreadsheet import csv_response

CSV_COLUMNS = ["scope", "currency", "section", "item", "value", "budget", "variance"]


def report_csv(body: dict[str, Any]) -> Response:
    rows = _csv_rows("portfolio", body["currency"] or "", body, body["budget"] or {})
    for group in body["by_currency"]:
        rows += _csv_rows("currency", group["currency"], group, {})
    # `item` holds account codes and names (text); value, budget and variance are figures.
    return csv_response(f"report-{body['month']}.csv", CSV_COLUMNS, rows, ["value", "budget", "variance"])


def _csv_rows(scope: str, currency: str, figures: dict[str, Any], budget: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for name in ("dso", "best_possible_dso", "average_days_delinquent"):
        rows.append([scope, currency, "dso", name, figures["dso"][name], *_planned(budget, name)])
    for name in FIGURES:
        rows.append([scope, currency, "figures", name, figures[name], *_planned(budget, name)])
    for name, value in figures["disputes"].items():
        rows.append([scope, currency, "disputes", name, value,
                     *_planned(budget, "disputes_opened" if name == "opened" else "")])  # fmt: skip
    for name, value in figures["promises"].items():
        rows.append([scope, currency, "promises", name, value, "", ""])
    for name, value in figures["aging"]["totals"].items():
        rows.append([scope, currency, "aging", name, value, "", ""])
    for rank, e in enumerate(figures["top_exposures"], start=1):
        converted = e["converted_exposure"]
        # Converted, the figure is in the answer's currency; else in the account's own.
        value, kept_in = (converted, currency) if converted is not None else (e["exposure"], e["currency"])
        rows.append([scope, kept_in, "top_exposures", f"{rank}. {e['account']} {e['name']}", value, "", ""])
    return rows


def _planned(budget: dict[str, Any], name: str) -> list[str]:
    entry = budget.get(name)
    return ["", ""] if entry is None else [entry["budget"], entry["variance"] or ""]

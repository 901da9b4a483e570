"""Every CSV export is safe to open in a spreadsheet: hostile account codes, names,
invoice ids and scenario steps come out neutralized, negative amounts stay numbers."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.integration.conftest import BI, Service, opened
from tests.integration.conftest import invoice as invoiced
from tests.unit.test_csv_injection_cells import formula_cells

ROOT = {"Authorization": "Bearer root"}
# A hostile value and the cell a spreadsheet reads from it: text, not a formula.
NEUTRALIZED = {
    '=HYPERLINK("http://x","y")': '\'=HYPERLINK("http://x","y")',
    "+1": "'+1",
    "-2": "'-2",
    "@SUM(1)": "'@SUM(1)",
    "\tTAB": "'\tTAB",
    "\rCR": "'\rCR",
    "Dupont;=1+1": "Dupont;'=1+1",  # a French spreadsheet would start a cell after the `;`
}
HOSTILE = list(NEUTRALIZED)
DAY = "2026-04-20"
ACTION = "=cmd|' /C calc'!A0"  # the classic DDE payload, as a dunning step's action
NEUTRALIZED[ACTION] = "'" + ACTION


def post(service: Service, *facts: dict[str, Any]) -> Any:
    return service.post({"events": list(facts)})


def recorded(service: Service, index: int, value: str) -> dict[str, str] | None:
    """An account carrying `value` as its code, name and invoice id where the ledger
    accepts it there (what it refuses at the door, e.g. control characters, never
    reaches a CSV)."""
    for code, invoice_id in ((value, value), (f"H-{index}", value), (f"H-{index}", f"F-{index}")):
        facts = (opened(code, event_id=f"open-{index}", name=value, risk_class="C"),
                 invoiced(invoice_id, "100.00", account=code, event_id=f"inv-{index}"))  # fmt: skip
        response = post(service, *facts)
        if response.status_code == 201:
            return {"account": code, "name": value, "invoice_id": invoice_id}
        assert response.status_code == 422, response.text
    return None


@pytest.fixture
def hostile(service: Service) -> tuple[list[dict[str, str]], int, str | None]:
    """The accounts, the last position, and the hostile step the class C scenario takes
    (None if the ledger refuses such an action at the door)."""
    step = {"offset_days": 1, "channel": "email", "action": ACTION}
    put = service.client.put("/v1/collections/scenarios/hostile", json={"steps": [step], "risk_classes": ["C"]},
                             headers=ROOT)  # fmt: skip
    assert put.status_code in (201, 422), put.text
    accounts = [a for i, value in enumerate(HOSTILE) if (a := recorded(service, i, value)) is not None]
    # Whatever else the ledger refuses, it records formula-like names and codes.
    assert {a["name"] for a in accounts} >= {'=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(1)"}
    budget = service.client.put("/v1/reports/budget/2026-04", json={"cash_collected": "1000.00"}, headers=ROOT)
    assert budget.status_code == 200, budget.text
    return accounts, budget.json()["position"], ACTION if put.status_code == 201 else None


def export(service: Service, url: str, after: int, **params: Any) -> str:
    response = service.client.get(url, params={**params, "format": "csv"}, headers={**BI, "X-O2C-After": str(after)})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    text = response.text
    for delimiter in (",", ";", "\t"):
        assert formula_cells(text, delimiter) == [], (url, delimiter)
    return text


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def neutralized(value: str) -> str:
    return NEUTRALIZED.get(value, value)


def test_the_portfolio_aging_csv_neutralizes_account_codes(service: Service, hostile: Any) -> None:
    accounts, last, _ = hostile
    lines = rows(export(service, "/v1/aging", last, as_of=DAY))
    codes = [line["account"] for line in lines]
    for account in accounts:
        assert neutralized(account["account"]) in codes
    assert lines[-1]["account"] == "TOTAL" and lines[-1]["total"] == f"{100 * len(accounts)}.00"


def test_the_agenda_csv_neutralizes_codes_names_ids_and_steps(service: Service, hostile: Any) -> None:
    accounts, last, action = hostile
    lines = rows(export(service, "/v1/collections/agenda", last, date=DAY))
    by_account = {line["account"]: line for line in lines}
    for account in accounts:
        line = by_account[neutralized(account["account"])]
        assert line["name"] == neutralized(account["name"])
        assert line["invoice_id"] == neutralized(account["invoice_id"])
        assert line["amount_at_risk"] == "100.00" and line["date"] == DAY
    if action is not None:  # every account (class C) follows the stored scenario
        assert {(line["scenario"], line["step"]) for line in lines} == {("hostile", neutralized(action))}


def test_the_monthly_report_csv_keeps_negative_figures_as_numbers(service: Service, hostile: Any) -> None:
    accounts, last, _ = hostile
    text = export(service, "/v1/reports/monthly", last, month="2026-04")
    lines = list(csv.reader(io.StringIO(text, newline="")))
    assert ["portfolio", "EUR", "figures", "cash_collected", "0.00", "1000.00", "-1000.00"] in lines  # below budget
    exposures = [line[3] for line in lines if line[0] == "portfolio" and line[2] == "top_exposures"]
    assert len(exposures) == len(accounts)
    for account in accounts:
        shown = f"{account['account']} {account['name']}".replace(";=", ";'=")  # "1. CODE NAME": only `;=` inside
        assert any(item.endswith(shown) for item in exposures), (shown, exposures)

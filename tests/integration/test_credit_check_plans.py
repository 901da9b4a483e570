"""The credit check's `past_due_over_60_days` under a payment plan, on each store:
days past due count from the oldest due date with something past due today by
the schedule in force (SPEC: a plan replaces its invoices' due schedule while it
holds), as the summary's `overdue` does; on a calendar the test turns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import BI, envelope, invoice, opened, payment
from tests.integration.test_alerts import Desk, desk_on

HELD = "past_due_over_60_days"  # O2C_HOLD_DAYS_PAST_DUE's default


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    with desk_on(database_url) as desk:
        yield desk


def past_due_reasons(desk: Desk, account: str = "C-1") -> list[str]:
    response = desk.client.post("/v1/credit-check", json={"account": account, "amount": "10.00"},
                                headers={**BI, "X-O2C-After": str(desk.last)})  # fmt: skip
    assert response.status_code == 200, response.text
    return [r for r in response.json()["reasons"] if r.startswith("past_due")]


def overdue(desk: Desk, account: str = "C-1") -> Any:
    response = desk.client.get(f"/v1/accounts/{account}", headers={**BI, "X-O2C-After": str(desk.last)})
    assert response.status_code == 200, response.text
    return response.json()["overdue"]


def plan(account: str, invoice_id: str, agreed: str, *installments: tuple[str, str]) -> dict[str, Any]:
    listed = [{"due_date": d, "amount": a} for d, a in installments]
    return envelope(f"pl-{account}", "PaymentPlanAgreed", account, plan_id=f"PL-{account}", invoice_ids=[invoice_id],
                    agreed_date=agreed, installments=listed)  # fmt: skip


def test_a_plan_that_holds_lifts_the_hold_until_it_breaks(desk: Desk) -> None:
    d = desk.day
    desk.post(opened("C-1", credit_limit="50000.00"), invoice("F-1", "1000.00", d(-120), d(-90), account="C-1"))
    assert past_due_reasons(desk) == [HELD]  # 90 days past due by its own terms
    # Agreed 10 days ago: what is open is due on 20 and 50 days from now.
    desk.post(plan("C-1", "F-1", d(-10), (d(20), "500.00"), (d(50), "500.00")))
    assert (past_due_reasons(desk), overdue(desk)) == ([], "0.00")
    # Nothing came by the first installment: broken on day 21, F-1 is back on its own terms (111 days).
    desk.clock.turn(21)
    assert (past_due_reasons(desk), overdue(desk)) == ([HELD], "1000.00")
    # The installment had been paid on day 19 (recorded late): the plan holds after all.
    desk.post(payment("P-1", "500.00", d(19), [("F-1", "500.00")], account="C-1"))
    assert (past_due_reasons(desk), overdue(desk)) == ([], "0.00")


def test_what_the_installments_leave_out_stays_due_on_its_own_date(desk: Desk) -> None:
    d = desk.day
    desk.post(opened("C-1", credit_limit="50000.00"), invoice("F-1", "1000.00", d(-120), d(-90), account="C-1"),
              plan("C-1", "F-1", d(-10), (d(20), "400.00")))  # fmt: skip
    assert (past_due_reasons(desk), overdue(desk)) == ([HELD], "600.00")


def test_an_installment_over_60_days_past_due_holds(desk: Desk) -> None:
    # A plan agreed before its invoice was issued is kept at its first installment (nothing
    # was owed then), so it holds on: F-1 is due on that installment, 90 days ago, though its
    # own terms run 30 more days.
    d = desk.day
    desk.post(opened("C-1", credit_limit="50000.00"), invoice("F-1", "1000.00", d(-30), d(30), account="C-1"),
              plan("C-1", "F-1", d(-100), (d(-90), "1000.00")))  # fmt: skip
    assert (past_due_reasons(desk), overdue(desk)) == ([HELD], "1000.00")
    # 60 days past due is not over 60.
    desk.post(opened("C-2", credit_limit="50000.00"), invoice("F-2", "1000.00", d(-30), d(30), account="C-2"),
              plan("C-2", "F-2", d(-100), (d(-60), "1000.00")))  # fmt: skip
    assert (past_due_reasons(desk, "C-2"), overdue(desk, "C-2")) == ([], "1000.00")
